"""The Bayesian panel model: calibration, agreement with a frequentist fit, planted leniency."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from selection.bayes import SamplerSettings, fit, panel_data
from selection.bayes.simulate import simulate_panel
from selection.bayes.summary import application_table, diagnostics_table, expert_table

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "kreative-partnerskaber"
FAST = SamplerSettings(chains=4, warmup=300, draws=300, keep_for_selection=100)


def test_simulation_based_calibration_of_90_percent_intervals():
    """Talts et al. (2018), arXiv:1804.06788: with parameters drawn from the prior, 90 % posterior
    intervals of each application's weighted total contain the true value about 90 % of the time."""
    hits, n = 0, 0
    ranks = []
    for k in range(12):
        sim = simulate_panel(25, 6, 2, 3, seed=100 + k, missing=0.05)
        post = fit(panel_data(sim.evaluation, sim.criteria, [5.0, 5.0]), [1.0, 1.0], seed=k, settings=FAST)
        t = post.totals.reshape(-1, 25)
        truth = sim.quality.reindex(list(post.data.applications)).to_numpy().mean(axis=1)
        lo, hi = np.quantile(t, [0.05, 0.95], axis=0)
        hits += int(((truth >= lo) & (truth <= hi)).sum())
        n += len(truth)
        ranks += list((t[::12] < truth).sum(axis=0))  # SBC rank statistic on 100 thinned draws
    coverage = hits / n
    assert n == 300
    assert 0.83 <= coverage <= 0.96, coverage
    # the rank statistic is uniform on 0..100 when the posterior is calibrated: no pile-up at the ends
    ranks = np.asarray(ranks)
    assert 0.05 <= np.mean(ranks <= 10) <= 0.17 and 0.05 <= np.mean(ranks >= 90) <= 0.17


def test_posterior_means_match_statsmodels_crossed_random_effects():
    """An independent REML fit of the crossed model (statsmodels MixedLM, one group with variance
    components for applications and experts) gives the same quality and leniency (BLUPs)."""
    smf = pytest.importorskip("statsmodels.formula.api")
    sim = simulate_panel(100, 8, 1, 4, seed=5, from_prior=False)
    df = sim.evaluation.rename(columns={"application_id": "app", "expert_id": "expert"}).assign(g=1)
    m = smf.mixedlm("score ~ 1", df, groups="g", re_formula="0",
                    vc_formula={"app": "0 + C(app)", "expert": "0 + C(expert)"}).fit(reml=True)
    re = m.random_effects[1]

    def part(prefix):
        s = re[[i for i in re.index if i.startswith(prefix)]]
        return pd.Series(s.to_numpy(), index=[i.split("[")[2].rstrip("]") for i in s.index])

    app, ex = part("app"), part("expert")
    quality = m.fe_params["Intercept"] + app + ex.mean()
    post = fit(panel_data(sim.evaluation, sim.criteria, [5.0]), [1.0], seed=2)
    ours = pd.Series(post.quality_mean[:, 0], index=list(post.data.applications))
    assert np.abs(ours - quality.reindex(ours.index)).max() < 0.04
    len_ours = expert_table(post).set_index("expert_id")["leniency"]
    assert np.abs(len_ours - (ex - ex.mean()).reindex(len_ours.index)).max() < 0.02
    # and both recover the simulated truth
    assert np.corrcoef(ours, sim.quality.reindex(ours.index).iloc[:, 0])[0, 1] > 0.9


def test_planted_leniency_of_the_example_call_is_recovered():
    """examples/generate_kreative_partnerskaber.py adds 0.5, -0.6, 0.1, -0.2, 0.3, -0.4, 0.0 points
    (E01..E07) to every stage-1 score before rounding to half points and clipping to 0-5."""
    from selection.pipeline import load_call_folder

    folder = load_call_folder(EXAMPLE)
    cat = folder.catalogues[1]
    data = panel_data(folder.evaluations[1], cat.criterion_ids, [c.scale.max - c.scale.min for c in cat.criteria],
                      conflicts={e.id: e.conflicts for e in folder.experts.values()})
    w = cat.weights()
    post = fit(data, [w[c] for c in cat.criterion_ids], seed=[2012, 1])  # the default sampler settings
    planted = pd.Series([0.5, -0.6, 0.1, -0.2, 0.3, -0.4, 0.0], index=[f"E0{i}" for i in range(1, 8)])
    planted -= planted.mean()
    est = expert_table(post).set_index("expert_id")
    assert list(est.index) == list(planted.index)
    assert np.abs(est["leniency"] - planted).max() < 0.15  # clipping at 0 and 5 pulls the extremes in
    # the order is recovered (experts planted 0.1 apart may swap within the estimates' noise)
    assert np.corrcoef(est["leniency"].rank(), planted.rank())[0, 1] > 0.9
    lenient, strict = est.loc["E01"], est.loc["E02"]
    assert lenient["leniency_q05"] > 0.2 and strict["leniency_q95"] < -0.2
    assert diagnostics_table(post)["rhat"].max() < 1.01


def test_same_seed_same_draws_and_conflicts_never_enter():
    sim = simulate_panel(20, 5, 2, 3, seed=1)
    ev = sim.evaluation
    e0, a0 = ev.iloc[0]["expert_id"], ev.iloc[0]["application_id"]
    data = panel_data(ev, sim.criteria, [5.0, 5.0], conflicts={e0: frozenset({a0})})
    n_conflicted = int(((ev["expert_id"] == e0) & (ev["application_id"] == a0)).sum())
    assert len(data.y) == len(ev) - n_conflicted > 0
    ev2 = ev.copy()
    ev2.loc[0, "score"] = np.nan  # an abstention is simply absent
    assert len(panel_data(ev2, sim.criteria, [5.0, 5.0]).y) == len(ev) - 1
    a = fit(data, [1, 1], seed=9, settings=FAST)
    b = fit(data, [1, 1], seed=9, settings=FAST)
    assert np.array_equal(a.totals, b.totals) and np.array_equal(a.quality_draws, b.quality_draws)
    table = application_table(a)
    assert (table["total_q05"] <= table["mean_total"]).all() and (table["mean_total"] <= table["total_q95"]).all()
    assert (table["er_q05"] <= table["expected_rank"]).all() and (table["expected_rank"] <= table["er_q95"]).all()
    assert table["expected_rank"].sum() == pytest.approx(20 * 21 / 2)


def test_cost_criterion_enters_reflected():
    sim = simulate_panel(15, 4, 2, 3, seed=4)
    data = panel_data(sim.evaluation, sim.criteria, [5.0, 5.0])
    post = fit(data, [0.5, 0.5], benefit=[True, False], seed=1, settings=FAST)
    theta = post.quality_draws
    expected = 0.5 * theta[..., 0] + 0.5 * (theta[..., 1].max(axis=1, keepdims=True)
                                            + theta[..., 1].min(axis=1, keepdims=True) - theta[..., 1])
    # the kept draws are draws of the same chains: their totals are among the stored totals
    flat = post.totals.reshape(-1, 15)
    assert any(np.allclose(expected[0], row) for row in flat)
