"""Speed of the Bayesian panel model (issue #16).

Targets: the example call's stage 1 (40 applications x 7 experts x 8 criteria) under 5 s;
2,000 applications x 5 reviewers each (8 criteria, 150 experts) under 60 s. Each time covers
what ``selection run`` does for a ``panel_model = "bayes"`` stage: the Gibbs sampler (4 chains x
1,500 sweeps), R-hat and bulk ESS of every reported quantity, totals, expected ranks and leniency
with intervals, and the probability of selection (the stage's program solved on 300 posterior
draws). Baselines measured in the same run: a plain numpy mean aggregation of the same scores
(what ``aggregation = "mean"`` computes), for the example statsmodels' REML fit of the crossed
random-effects model on one criterion, and for 2,000 x 5 the plain way of the probability of
selection: one cold exact 0-1 solve of the stage per draw (timed on 5 draws, CPU seconds).
Load average and CPU seconds are printed beside the wall times (shared machine).

Run: ``.venv/bin/python benchmarks/bench_bayes.py [--quick]``
"""

from __future__ import annotations

import os
import sys
import time
import warnings
from pathlib import Path

import numpy as np

from selection.bayes.simulate import simulate_panel
from selection.bayes.stage import fit_stage
from selection.bayes.summary import probability_selected
from selection.model import Application, CriteriaCatalogue, Expert, Stage

ROOT = Path(__file__).resolve().parents[1]
GUIDE = {"low": "weak", "middle": "fair", "high": "excellent"}


def numpy_mean(evaluation, criteria) -> float:
    t = time.perf_counter()
    a_codes, a = np.unique(evaluation["application_id"].to_numpy(), return_inverse=True)
    c_pos = {c: i for i, c in enumerate(criteria)}
    c = evaluation["criterion_id"].map(c_pos).to_numpy()
    y = evaluation["score"].to_numpy(dtype=float)
    ok = np.isfinite(y)
    k = a[ok] * len(criteria) + c[ok]
    n = np.bincount(k, minlength=len(a_codes) * len(criteria))
    s = np.bincount(k, weights=y[ok], minlength=len(a_codes) * len(criteria))
    _ = (s / np.maximum(n, 1)).reshape(len(a_codes), len(criteria))
    return time.perf_counter() - t


def full_stage(stage, cat, evaluation, experts, applications, seed):
    """Wall time (and, in ``CPU``, the process's CPU time: on a shared, loaded machine the fair
    figure) of the model fit and of fit + probability of selection."""
    t, c = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = fit_stage(stage, cat, evaluation, experts, call_seed=seed)
    t_fit, c_fit = time.perf_counter() - t, time.process_time() - c
    prob = probability_selected(fitted.posterior, stage, cat, applications, seed=seed)
    CPU.update(fit=c_fit, total=time.process_time() - c)
    return time.perf_counter() - t, t_fit, fitted, prob


CPU: dict[str, float] = {}


def example() -> None:
    from selection.pipeline import load_call_folder

    folder = load_call_folder(ROOT / "examples" / "kreative-partnerskaber")
    st, cat = folder.call.stage(1), folder.catalogues[1]
    ev_ = folder.evaluations[1]
    total, t_fit, fitted, prob = full_stage(st, cat, ev_, folder.experts, folder.applications, folder.call.seed)
    base = min(numpy_mean(ev_, cat.criterion_ids) for _ in range(5))
    print(f"example call stage 1 ({len(fitted.table)} apps x {len(fitted.experts)} experts x {len(cat.criteria)} "
          f"criteria, {len(fitted.posterior.data.y)} scores)")
    print(f"  bayes (fit {t_fit:.2f} s + probability of selection on {prob.draws} draws): {total:.2f} s "
          f"(target < 5 s) — max R-hat {fitted.diagnostics['rhat'].max():.3f}")
    print(f"  CPU time: fit {CPU['fit']:.2f} s, total {CPU['total']:.2f} s")
    print(f"  baseline numpy mean aggregation: {base * 1e3:.2f} ms  ratio {total / base:,.0f}x")
    try:
        import statsmodels.formula.api as smf
    except ImportError:
        return
    c0 = cat.criterion_ids[0]
    df = ev_[(ev_["criterion_id"] == c0) & ev_["score"].notna()].rename(
        columns={"application_id": "app", "expert_id": "expert"}).assign(g=1)
    t = time.perf_counter()
    smf.mixedlm("score ~ 1", df, groups="g", re_formula="0",
                vc_formula={"app": "0 + C(app)", "expert": "0 + C(expert)"}).fit(reml=True)
    sm = time.perf_counter() - t
    print(f"  baseline statsmodels MixedLM (REML, crossed, ONE criterion, no intervals/ranks): {sm:.2f} s  "
          f"ratio bayes/statsmodels {total / sm:.2f}")


def large(quick: bool) -> None:
    A, E, C, k = (400, 40, 8, 5) if quick else (2000, 150, 8, 5)
    sim = simulate_panel(A, E, C, k, seed=11, from_prior=False)
    cat = CriteriaCatalogue.model_validate({
        "schema_version": 1, "id": "bench", "name": "bench", "stage": 1,
        "criteria": [{"id": c, "name_da": c, "name_en": c, "description": "-", "guide": GUIDE, "group": "g",
                      "weight": 1 + j % 3} for j, c in enumerate(sim.criteria)]})
    rng = np.random.default_rng(3)
    # equal grants (as the example call's stage 1): the budget caps the count. With unequal costs
    # the stage is a knapsack and the 300 exact 0-1 solves, not the model, dominate (see --knapsack).
    knapsack = "--knapsack" in sys.argv
    apps = {a: Application(id=a, title="t", lead_organisation=f"L{i % 300}", industries=frozenset({"music"}),
                           municipality="Aarhus",
                           grant_requested={1: int(rng.integers(1, 6)) * 100_000 if knapsack else 250_000})
            for i, a in enumerate(sim.quality.index)}
    experts = {e: Expert(id=e, name=e) for e in sorted(set(sim.evaluation["expert_id"]))}
    # the budget allows the places with room to spare: a budget row exactly parallel to the count row
    # (equal grants, budget = places x grant) makes the LP degenerate and sends every draw to the MIP
    st = Stage(number=1, name="s", catalogue="bench.toml", max_selected=A // 10,
               budget=A // 10 * 250_000 + (0 if knapsack else 125_000), panel_model="bayes")
    t, c = time.perf_counter(), time.process_time()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fitted = fit_stage(st, cat, sim.evaluation, experts, call_seed=0)
    t_fit, c_fit = time.perf_counter() - t, time.process_time() - c
    # the probability of selection on every kept draw (the stage's program solved on each)
    post = fitted.posterior
    t, c = time.perf_counter(), time.process_time()
    prob = probability_selected(post, st, cat, apps, seed=0)
    t_sel, c_sel = time.perf_counter() - t, time.process_time() - c
    total = t_fit + t_sel
    CPU.update(fit=c_fit, total=c_fit + c_sel)
    # same-run baseline for the selection part: one exact 0-1 solve of the stage per draw, the
    # obvious way (ranking-free: values = the draw's weighted totals, HiGHS in-process, no tie pass)
    m = min(5, prob.draws)
    t_lean, c_lean = lean_draws(post, st, cat, apps, m)
    base = min(numpy_mean(sim.evaluation, sim.criteria) for _ in range(3))
    print(f"{A} applications x {k} reviewers{' (unequal grants: knapsack)' if knapsack else ''} ({E} experts, {C} criteria, {len(fitted.posterior.data.y)} scores); load {os.getloadavg()[0]:.1f}")
    print(f"  bayes (fit {t_fit:.2f} s + probability of selection on all {prob.draws} draws: {t_sel:.2f} s): "
          f"{total:.2f} s (target < 60 s: {'met' if total < 60 else 'MISSED'}) — max R-hat "
          f"{fitted.diagnostics['rhat'].max():.3f}, min bulk ESS {fitted.diagnostics['ess_bulk'].min():.0f}")
    print(f"  CPU time: fit {CPU['fit']:.2f} s, probability of selection {c_sel:.2f} s, total {CPU['total']:.2f} s")
    print(f"  baseline one plain 0-1 solve per draw (timed on {m}): {1e3 * c_lean:.0f} ms CPU per draw -> "
          f"{c_lean * prob.draws:.1f} s CPU for {prob.draws}; ratio plain/fast {c_lean * prob.draws / max(c_sel, 1e-9):.1f}x")
    print(f"  baseline numpy mean aggregation: {base * 1e3:.2f} ms  ratio {total / base:,.0f}x")
    print(f"  draws decided by: infeasible {prob.infeasible} of {prob.draws}")


def lean_draws(post, st, cat, apps, m: int) -> tuple[float, float]:
    """Per draw, wall and CPU seconds of the plain way: weighted totals in numpy (no thresholds here),
    the stage's rows (:func:`selection.select.build_rules`), one cold 0-1 solve with HiGHS
    (:func:`selection.select.milp.solve_milp`)."""
    from selection.select import StageInput, build_rules
    from selection.select.milp import solve_milp
    from selection.select.program import stage_milp

    ids = list(post.data.applications)
    w = cat.weights()
    wv = np.array([w[c] for c in cat.criterion_ids])
    t, c = time.perf_counter(), time.process_time()
    for q in post.quality_draws[:m]:
        values = dict(zip(ids, np.round(q @ wv, 12).tolist(), strict=True))
        inp = StageInput(st, apps, values, {a: i + 1 for i, a in enumerate(ids)}, {})
        sol = solve_milp(stage_milp(inp, build_rules(inp)), "highs")
        assert sol.status == "optimal"
    return (time.perf_counter() - t) / m, (time.process_time() - c) / m


if __name__ == "__main__":
    sys.stdout.reconfigure(line_buffering=True)
    if "--large-only" not in sys.argv:
        example()
    large("--quick" in sys.argv)
