"""Speed of a whole stage: stage 1 of the real example call and of generated calls of 40, 2,000 and
20,000 applications, from the ranking to the selection (the stage's input built, then solved).

Each figure is printed with the one-pass pulp loop measured in the same run: values and
exclusions read off the ranking with numpy, the rows, the program built the textbook way — one
pulp variable and one ``lpSum`` per rule — solved by the bundled CBC through files, a single pass
without the tie pass (so the baseline does less work than the engine).

Targets (issue 6): 40 applications < 50 ms median; 2,000 < 1 s; 20,000 < 5 s. With HiGHS the stage's
optimum and tie rule are proved by LexCore (one LP relaxation and an exact listing, issue 12 wave 3)
when its listing is short; CBC always solves in full. Wall seconds (median) with the engine's CPU
seconds and the load average beside them: on a shared machine compare CPU and ratios.

Usage: ``.venv/bin/python benchmarks/bench_select.py [--quick]``
"""

from __future__ import annotations

import os
import statistics
import sys
import time
import warnings

import numpy as np
import pandas as pd

from selection.model import Application, Constraint, Stage
from selection.select import StageInput, build_rules, solve_stage, stage_input
from selection.select.stage import sample_free_exclusion


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
    return stage, ranking, apps


def example_instance():
    """Stage 1 of the real example call, with the ranking of its run."""
    from pathlib import Path

    from selection.pipeline import load_call_folder, run_call

    folder = load_call_folder(Path(__file__).resolve().parents[1] / "examples" / "kreative-partnerskaber")
    st = folder.call.stages[0]
    return st, run_call(folder).stages[st.number].ranking, folder.applications


def engine(stage, ranking, apps, solver: str):
    """The whole stage as the engine runs it: its input built from the ranking, then solved."""
    return solve_stage(stage_input(stage, ranking, apps), solver)


def naive(stage, ranking, apps) -> float:
    """The one-pass pulp loop: values and exclusions read off the ranking with numpy, the rows,
    a per-variable pulp model, CBC through files, one pass (no tie pass)."""
    import pulp

    ids = ranking.index.to_numpy()
    score = ranking["score"].to_numpy(dtype=float)
    ok = ranking["eligible"].to_numpy(dtype=bool)
    values = dict(zip(ids.tolist(), score.tolist(), strict=True))
    excluded = dict.fromkeys(ids[~ok].tolist(), "x")
    for a in ids[ok].tolist():  # the call's sample-free rules (regional share, requirements, forced out)
        if sample_free_exclusion(stage, a, apps[a]) is not None:
            excluded[a] = "x"
    for f in stage.forced:
        if not f.include:
            excluded[f.application] = "x"
    inp = StageInput(stage, apps, values, dict(zip(ids.tolist(), range(1, len(ids) + 1), strict=True)), excluded)
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


def timed(fn, repeats: int) -> tuple[float, object, float]:
    """Median wall seconds, the last result, median CPU seconds (``time.process_time``)."""
    out, ts, cs = None, [], []
    for _ in range(repeats):
        t, c = time.perf_counter(), time.process_time()
        out = fn()
        ts.append(time.perf_counter() - t)
        cs.append(time.process_time() - c)
    return statistics.median(ts), out, statistics.median(cs)


def main(quick: bool = False) -> None:
    print(f"{'applications':>12}  {'solver':>6}  {'engine (median)':>16}  {'engine CPU':>10}  {'naive baseline':>15}  "
          f"{'ratio':>6}  {'target':>7}  same optimum  load")
    plan = [("example", "highs", 21, 0.05), ("example", "cbc", 21, 0.05), (40, "highs", 21, 0.05),
            (40, "cbc", 21, 0.05), (2_000, "highs", 3, 1.0), (2_000, "cbc", 1, 1.0),
            (20_000, "highs", 1 if quick else 3, 5.0)]
    for n, solver, reps, target in plan:
        case = example_instance() if n == "example" else instance(n)
        t_engine, out, c_engine = timed(lambda case=case, solver=solver: engine(*case, solver), reps)
        t_naive, obj, _ = timed(lambda case=case: naive(*case), 1 if n not in (40, "example") else reps)
        if case[0].objective == "score":  # the baseline maximises the ranking score
            same = "yes" if abs(obj - out.objective) <= 1e-6 * max(1.0, abs(obj)) else "NO"
        else:
            same = "n/a"
        print(f"{n:>12}  {solver:>6}  {t_engine * 1000:>13.1f} ms  {c_engine * 1000:>7.1f} ms  "
              f"{t_naive * 1000:>12.1f} ms  {t_naive / t_engine:>5.1f}x  {'<' + format(target * 1000, '.0f'):>5} ms  "
              f"{same}  ({'met' if t_engine < target else 'MISSED'})  {os.getloadavg()[0]:.1f}")
        sys.stdout.flush()


if __name__ == "__main__":
    main(quick="--quick" in sys.argv)
