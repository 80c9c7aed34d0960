"""Bootstrap over experts: the contract of bootstrap_panels and rank_intervals.

Checked against an independent per-replicate pandas implementation drawing the same experts,
exact resampling distributions on tiny panels, the plug-in bootstrap variance of a mean
(Efron & Tibshirani 1993, eq. 6.9-6.10), and a brute-force ranking with scipy.
"""

from __future__ import annotations

import itertools
from collections import Counter

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata, trim_mean

from selection import evaluation as ev
from selection.aggregate import (
    RANK_INTERVAL_COLUMNS,
    PanelError,
    bootstrap_panels,
    competition_ranks,
    panel_scores,
    rank_intervals,
)


def naive_bootstrap(evaluation, criteria, n_boot, rng, method="mean", trim=0.1):
    """Per replicate, per application: draw experts, build the resampled long table, aggregate with pandas.

    Draw convention shared with the implementation: one ``rng.random((n_boot, A, m))`` block
    (small inputs fit in one chunk); slot ``j`` of application ``a`` picks the
    ``floor(u * n_a)``-th of the experts who scored it, in sorted id order.
    """
    scored = evaluation[evaluation[ev.SCORE].notna() & evaluation[ev.CRITERION].isin(criteria)]
    apps = sorted(evaluation[ev.APPLICATION].unique())
    who = {a: sorted(scored.loc[scored[ev.APPLICATION] == a, ev.EXPERT].unique()) for a in apps}
    m = max(len(v) for v in who.values())
    u = rng.random((n_boot, len(apps), m))
    out = np.empty((n_boot, len(apps), len(criteria)))
    by_app = {a: g for a, g in scored.groupby(ev.APPLICATION)}
    for b in range(n_boot):
        for i, a in enumerate(apps):
            n = len(who[a])
            drawn = [who[a][int(u[b, i, j] * n)] for j in range(n)]
            g = by_app[a].set_index(ev.EXPERT)
            rows = pd.concat([g.loc[[x]] for x in drawn])
            for k, c in enumerate(criteria):
                s = rows.loc[rows[ev.CRITERION] == c, ev.SCORE].to_numpy()
                if len(s) == 0:
                    out[b, i, k] = np.nan
                elif method == "mean":
                    out[b, i, k] = s.mean()
                elif method == "median":
                    out[b, i, k] = np.median(s)
                else:
                    out[b, i, k] = trim_mean(s, trim)
    return apps, out


@pytest.mark.parametrize("method", ["mean", "median", "trimmed_mean"])
def test_bootstrap_equals_naive_pandas_implementation(h, method):
    rng = np.random.default_rng(7)
    values = h.random_design(rng, n_apps=6, n_experts=5, n_crit=3, per_app=4)
    e = h.long_table(values)
    crit = ["c0", "c1", "c2"]
    apps, fast = bootstrap_panels(e, crit, 40, np.random.default_rng(11), method=method, trim=0.25)
    apps2, slow = naive_bootstrap(e, crit, 40, np.random.default_rng(11), method=method, trim=0.25)
    assert apps == apps2
    np.testing.assert_allclose(fast, slow, rtol=0, atol=1e-12)


def test_bootstrap_shape_order_and_reproducibility(h):
    values = h.random_design(np.random.default_rng(3), n_apps=9, n_experts=7, n_crit=4, per_app=3)
    e = h.long_table(values)
    shuffled = e.sample(frac=1.0, random_state=5)
    crit = ["c3", "c0", "c2", "c1"]
    apps, a = bootstrap_panels(e, crit, 25, np.random.default_rng(42))
    apps_s, b = bootstrap_panels(shuffled, crit, 25, np.random.default_rng(42))
    assert apps == sorted(apps) == apps_s
    assert a.shape == (25, 9, 4) and a.dtype == np.float64
    assert a.tobytes() == b.tobytes()
    _, c = bootstrap_panels(e, crit, 25, np.random.default_rng(43))
    assert not np.array_equal(a, c)
    # column order follows `criteria`
    _, d = bootstrap_panels(e, ["c0", "c1", "c2", "c3"], 25, np.random.default_rng(42))
    np.testing.assert_array_equal(a[:, :, 0], d[:, :, 3])


def test_two_experts_exact_resampling_distribution():
    """One application, two experts scoring 2 and 4: the resample is {2,2}, {2,4}, {4,2} or {4,4},
    so the mean is 2, 3 or 4 with probabilities 1/4, 1/2, 1/4."""
    e = pd.DataFrame({ev.APPLICATION: ["A", "A"], ev.EXPERT: ["x", "y"], ev.CRITERION: ["c", "c"],
                      ev.SCORE: [2.0, 4.0]})
    _, r = bootstrap_panels(e, ["c"], 20_000, np.random.default_rng(0))
    freq = Counter(r[:, 0, 0].tolist())
    assert set(freq) == {2.0, 3.0, 4.0}
    for v, p in [(2.0, 0.25), (3.0, 0.5), (4.0, 0.25)]:
        assert abs(freq[v] / 20_000 - p) < 0.015


def test_bootstrap_variance_of_mean_is_plug_in_variance():
    """Efron & Tibshirani (1993) eq. 6.9: the ideal bootstrap variance of a mean of n values is
    sum((x - xbar)^2) / n^2."""
    x = np.array([1.0, 2.5, 3.0, 4.5, 5.0])
    e = pd.DataFrame({ev.APPLICATION: "A", ev.EXPERT: [f"e{i}" for i in range(5)], ev.CRITERION: "c",
                      ev.SCORE: x})
    _, r = bootstrap_panels(e, ["c"], 40_000, np.random.default_rng(1))
    ideal = ((x - x.mean()) ** 2).sum() / len(x) ** 2
    assert abs(r[:, 0, 0].var() / ideal - 1) < 0.03
    assert abs(r[:, 0, 0].mean() - x.mean()) < 0.01


def test_small_panel_all_resamples_enumerated():
    """Three experts: every one of the 27 ordered resamples is possible; the set of replicate
    medians equals the set of medians over all 27 resamples."""
    x = {"p": 1.0, "q": 3.0, "r": 5.0}
    e = pd.DataFrame({ev.APPLICATION: "A", ev.EXPERT: list(x), ev.CRITERION: "c", ev.SCORE: list(x.values())})
    _, r = bootstrap_panels(e, ["c"], 3000, np.random.default_rng(2), method="median")
    possible = {float(np.median(s)) for s in itertools.product(x.values(), repeat=3)}
    assert set(r[:, 0, 0].tolist()) == possible


def test_expert_is_the_resampling_unit():
    """An expert's scores on the criteria of an application are drawn together: if every expert
    gives equal scores on both criteria, every replicate has equal panel scores on both."""
    e = pd.DataFrame({ev.APPLICATION: "A", ev.EXPERT: ["x", "x", "y", "y", "z", "z"],
                      ev.CRITERION: ["c", "d"] * 3, ev.SCORE: [1.0, 1.0, 4.0, 4.0, 5.0, 5.0]})
    _, r = bootstrap_panels(e, ["c", "d"], 500, np.random.default_rng(3))
    np.testing.assert_array_equal(r[:, 0, 0], r[:, 0, 1])
    assert r[:, 0, 0].std() > 0


def test_abstentions_are_skipped_and_all_abstained_cells_keep_the_observed_score():
    e = pd.DataFrame({ev.APPLICATION: "A", ev.EXPERT: ["x", "x", "y", "y"], ev.CRITERION: ["c", "d"] * 2,
                      ev.SCORE: [2.0, np.nan, 4.0, 3.0], ev.ABSTAINED: [False, True, False, False]})
    _, r = bootstrap_panels(e, ["c", "d"], 2000, np.random.default_rng(4))
    assert not np.isnan(r).any()
    # criterion d has a single score (3) from y: every replicate is 3 (either y drawn, or the fallback)
    assert set(r[:, 0, 1].tolist()) == {3.0}


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), method=st.sampled_from(["mean", "median", "trimmed_mean"]))
def test_replicates_stay_within_each_applications_score_range(h, seed, method):
    rng = np.random.default_rng(seed)
    values = h.random_design(rng, n_apps=5, n_experts=6, n_crit=2, per_app=int(rng.integers(1, 6)))
    _, r = bootstrap_panels(h.long_table(values), ["c0", "c1"], 30, rng, method=method)
    lo, hi = np.nanmin(values, axis=1), np.nanmax(values, axis=1)
    assert (r >= lo[None] - 1e-12).all() and (r <= hi[None] + 1e-12).all()


def test_bad_arguments_are_clear_errors(h):
    e = h.long_table(h.random_design(np.random.default_rng(0), n_apps=3, n_experts=3, n_crit=1, per_app=2))
    with pytest.raises(PanelError, match="unknown aggregation"):
        bootstrap_panels(e, ["c0"], 10, np.random.default_rng(0), method="mode")
    with pytest.raises(PanelError, match="at least 1 replicate"):
        bootstrap_panels(e, ["c0"], 0, np.random.default_rng(0))
    with pytest.raises(TypeError, match="Generator"):
        bootstrap_panels(e, ["c0"], 10, 42)


# ---------------------------------------------------------------- ranks


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(1, 12), ties=st.booleans())
def test_competition_ranks_equal_scipy_rankdata_min(seed, n, ties):
    rng = np.random.default_rng(seed)
    s = rng.integers(0, 4, size=(5, n)).astype(float) if ties else rng.random((5, n))
    expected = np.vstack([rankdata(-row, method="min") for row in s])
    np.testing.assert_array_equal(competition_ranks(s), expected)


def test_rank_intervals_against_brute_force(h):
    rng = np.random.default_rng(9)
    values = h.random_design(rng, n_apps=10, n_experts=6, n_crit=3, per_app=3)
    e = h.long_table(values)
    cat = h.make_catalogue(["c0", "c1", "c2"], weights={"c0": 2, "c1": 1, "c2": 1})
    out = rank_intervals(e, cat, 300, np.random.default_rng(5), top_k=3)
    assert list(out.columns) == RANK_INTERVAL_COLUMNS
    assert out.index.name == "application_id" and list(out.index) == sorted(out.index)
    _, reps = bootstrap_panels(e, ["c0", "c1", "c2"], 300, np.random.default_rng(5))
    totals = reps @ np.array([0.5, 0.25, 0.25])
    ranks = np.vstack([rankdata(-np.round(t, 12), method="min") for t in totals])
    np.testing.assert_allclose(out["expected_rank"], ranks.mean(axis=0))
    np.testing.assert_allclose(out["probability_top_k"], (ranks <= 3).mean(axis=0))
    np.testing.assert_allclose(out["score_mean"], totals.mean(axis=0))
    for q, col in [(0.05, "rank_q05"), (0.5, "rank_q50"), (0.95, "rank_q95")]:
        # type-1 empirical quantile: the smallest observed rank with cumulative share >= q
        expected = [np.sort(ranks[:, i])[int(np.ceil(q * len(ranks))) - 1] for i in range(ranks.shape[1])]
        np.testing.assert_array_equal(out[col], expected)
    assert (out["rank_q05"] <= out["rank_q25"]).all() and (out["rank_q25"] <= out["rank_q50"]).all()
    assert (out["rank_q50"] <= out["rank_q75"]).all() and (out["rank_q75"] <= out["rank_q95"]).all()
    assert (out["score_q05"] <= out["score_mean"] + 1e-12).all()


def test_unanimous_panels_have_no_rank_uncertainty(h):
    """When every expert gives an application the same scores, each replicate equals the observed
    panel, so ranks are certain and top-k probabilities are 0 or 1."""
    rng = np.random.default_rng(1)
    per_app = rng.integers(0, 11, size=(8, 1, 2)) / 2.0 + rng.random((8, 1, 2)) * 1e-3
    values = np.repeat(per_app, 4, axis=1)
    e = h.long_table(values)
    cat = h.make_catalogue(["c0", "c1"])
    out = rank_intervals(e, cat, 200, np.random.default_rng(2), top_k=3)
    observed = panel_scores(e, ["c0", "c1"]).mean(axis=1)
    r = rankdata(-observed.to_numpy(), method="min")
    for col in ["rank_q05", "rank_q25", "rank_q50", "rank_q75", "rank_q95"]:
        np.testing.assert_array_equal(out[col], r)
    np.testing.assert_allclose(out["expected_rank"], r)
    np.testing.assert_array_equal(out["probability_top_k"], (r <= 3).astype(float))
    np.testing.assert_allclose(out["score_q05"], observed.to_numpy())


def test_top_k_probabilities_sum_to_k_without_ties(h):
    rng = np.random.default_rng(4)
    values = h.random_design(rng, n_apps=15, n_experts=8, n_crit=3, per_app=4) + rng.random((15, 8, 3)) * 1e-6
    cat = h.make_catalogue(["c0", "c1", "c2"])
    out = rank_intervals(h.long_table(values), cat, 400, np.random.default_rng(8), top_k=5)
    assert out["probability_top_k"].sum() == pytest.approx(5.0)
    assert out["expected_rank"].sum() == pytest.approx(15 * 16 / 2)


def test_rank_intervals_cost_criterion_and_custom_weights(h):
    """A cost criterion enters reversed (max + min - x), as selection.rank.weighted_sum does."""
    values = np.array([[[1.0, 5.0]], [[2.0, 1.0]], [[3.0, 3.0]]])
    e = h.long_table(values)
    cat = h.make_catalogue(["c0", "c1"], directions={"c1": "cost"})
    out = rank_intervals(e, cat, 10, np.random.default_rng(0), top_k=1, weights={"c0": 0, "c1": 1})
    # c1 reversed: 1, 5, 3 -> A001 best
    assert out["rank_q50"].tolist() == [3, 1, 2]
    assert out["score_mean"].tolist() == [1.0, 5.0, 3.0]


def test_rank_intervals_refuses_unscored_applications(h):
    values = np.array([[[1.0, 2.0]], [[2.0, np.nan]]])
    cat = h.make_catalogue(["c0", "c1"])
    with pytest.raises(PanelError, match="A001 has no score"):
        rank_intervals(h.long_table(values), cat, 10, np.random.default_rng(0), top_k=1)
    with pytest.raises(PanelError, match="top_k"):
        rank_intervals(h.long_table(values), cat, 10, np.random.default_rng(0), top_k=0)


def test_rank_intervals_on_the_example_call(example_folder):
    ev1 = example_folder.evaluations[1]
    cat = example_folder.catalogues[1]
    a = rank_intervals(ev1, cat, 500, np.random.default_rng(2012), top_k=8)
    b = rank_intervals(ev1, cat, 500, np.random.default_rng(2012), top_k=8)
    pd.testing.assert_frame_equal(a, b)
    assert len(a) == 40 and a["probability_top_k"].sum() >= 8 - 1e-9
    assert a["expected_rank"].between(1, 40).all()
