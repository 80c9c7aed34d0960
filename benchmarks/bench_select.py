"""Speed of the stage program: one stage-1 solve at 40, 2,000 and 20,000 applications.

Each figure is printed with a naive baseline measured in the same run: the program built the
textbook way — one pulp variable and one ``lpSum`` per rule, solved by the bundled CBC through
files, a single pass without the tie pass (so the baseline does less work than the engine).

Targets (issue 6): 40 applications < 50 ms median; 2,000 < 1 s; 20,000 < 5 s.

Usage: ``.venv/bin/python benchmarks/bench_select.py [--quick]``
"""

from __future__ import annotations

import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd

from selection.model import Application, Constraint, Stage
from selection.select import build_rules, solve_stage, stage_input


def instance(n: int, seed: int = 0):
    """A call of ``n`` applications shaped like KREATIVE PARTNERSKABER, scaled up."""
    rng = np.random.default_rng(seed)
    # the example call's vocabulary sizes (11 industries, 5 focus areas, 19 municipalities); the
    # engine knows no vocabulary, so plain ids do
    inds, foci = [f"industry{j}" for j in range(11)], [f"focus{j}" for j in range(5)]
    k = max(8, n // 40)
    apps = {}
    for i in range(n):
        a = Application(
            id=f"A{i:05d}", title=f"application {i}", lead_organisation=f"lead {rng.integers(0, int(n * 0.8) + 1)}",
            industries=frozenset(rng.choice(inds, size=rng.integers(1, 3), replace=False).tolist()),
            focus_areas=frozenset(rng.choice(foci, size=rng.integers(0, 3), replace=False).tolist()),
            municipality=f"municipality{rng.integers(0, 19)}", rural=bool(rng.random() < 0.2),
            grant_requested={1: int(rng.integers(4, 11)) * 50_000})
        apps[a.id] = a
    score = np.round(rng.normal(3.0, 0.7, n).clip(0, 5) * 48) / 48  # means of half points x weights
    order = np.lexsort((np.arange(n), -score))
    ids = np.array(list(apps))[order]
    ranking = pd.DataFrame({"rank": np.arange(1, n + 1), "score": score[order],
                            "eligible": rng.random(n)[order] > 0.15, "failed_thresholds": ""}, index=ids)
    ranking.loc[~ranking["eligible"], "failed_thresholds"] = "impact 1.50 < 2"
    stage = Stage(number=1, name="stage 1", catalogue="c.toml", max_selected=k, budget=k * 250_000,
                  constraints=[
                      Constraint(kind="at_least", group="focus_area", count=1, if_available=True),
                      Constraint(kind="at_least", group="rural", value="true", count=max(1, k // 8)),
                      Constraint(kind="at_most", group="industry", count=max(3, 3 * k // 8)),
                      Constraint(kind="at_most", group="lead_organisation", count=1)])
    return stage_input(stage, ranking, apps)


def naive(inp) -> float:
    """The baseline: per-variable pulp model, CBC through files, one pass."""
    import pulp

    rules = build_rules(inp)
    prob = pulp.LpProblem("naive", pulp.LpMaximize)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        x = {a: pulp.LpVariable(f"x{i}", cat="Binary") for i, a in enumerate(inp.values)}
        for a in inp.excluded:
            x[a].upBound = 0
        prob += pulp.lpSum(inp.values[a] * x[a] for a in x)
        for r in rules:
            e = pulp.lpSum(c * x[a] for a, c in r.coefs.items())
            prob += (e <= r.rhs) if r.sense == "<=" else (e >= r.rhs)
        prob.solve(pulp.PULP_CBC_CMD(msg=False, gapRel=0.0, gapAbs=0.0, threads=1))
    return pulp.value(prob.objective)


def timed(fn, repeats: int) -> tuple[float, object]:
    out, ts = None, []
    for _ in range(repeats):
        t = time.perf_counter()
        out = fn()
        ts.append(time.perf_counter() - t)
    return statistics.median(ts), out


def main(quick: bool = False) -> None:
    print(f"{'applications':>12}  {'solver':>6}  {'engine (median)':>16}  {'naive baseline':>15}  "
          f"{'ratio':>6}  {'target':>7}  same optimum")
    plan = [(40, "cbc", 21, 0.05), (40, "highs", 21, 0.05), (2_000, "highs", 3, 1.0), (2_000, "cbc", 1, 1.0),
            (20_000, "highs", 1 if quick else 3, 5.0)]
    for n, solver, reps, target in plan:
        inp = instance(n)
        t_engine, out = timed(lambda inp=inp, solver=solver: solve_stage(inp, solver), reps)
        t_naive, obj = timed(lambda inp=inp: naive(inp), 1 if n > 40 else reps)
        same = abs(obj - out.objective) <= 1e-6 * max(1.0, abs(obj))
        print(f"{n:>12}  {solver:>6}  {t_engine * 1000:>13.1f} ms  {t_naive * 1000:>12.1f} ms  "
              f"{t_naive / t_engine:>5.1f}x  {'<' + format(target * 1000, '.0f'):>5} ms  "
              f"{'yes' if same else 'NO'}  ({'met' if t_engine < target else 'MISSED'})")
        sys.stdout.flush()


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
