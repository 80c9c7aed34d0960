"""Speed of ``selection assign``: the exact assignment at 40 x 7 (the example call's size) and at
2,000 applications x 200 experts x 3 experts each, in total and in fair mode.

Each figure is printed with a lean baseline measured in the same run on the same fit matrix:
scipy's Hungarian-method solver (``linear_sum_assignment``) on the expanded cost matrix (each
expert repeated ``max_load`` times, each application ``K`` times). The baseline solves a looser
problem (it may give an application the same expert twice, and knows no conflict, diversity or
fairness rule), so it is a yardstick of the machine, not a competitor.

Targets (issue 15): 40 x 7 < 0.2 s; 2,000 x 200 x 3 < 10 s; fair mode < 60 s.

Usage: ``.venv/bin/python benchmarks/bench_assign.py [--quick]`` (``--quick``: 40 x 7 and
500 x 50 only).
"""

from __future__ import annotations

import math
import sys
import time

import numpy as np
from scipy.optimize import linear_sum_assignment

from selection.assign import AssignmentProblem, expertise_fit, solve_assignment

INDUSTRIES = [f"industry{j}" for j in range(11)]
FOCI = [f"focus{j}" for j in range(5)]


def instance(n: int, m: int, k: int, *, mode: str = "total", seed: int = 0) -> AssignmentProblem:
    """``n`` applications with 1-2 industries and 0-2 focus areas; ``m`` experts declaring 3-5
    terms, a business or creative background; 3 % declared conflicts; balanced loads + 1."""
    rng = np.random.default_rng(seed)
    app_terms = [set(rng.choice(INDUSTRIES, size=rng.integers(1, 3), replace=False).tolist())
                 | set(rng.choice(FOCI, size=rng.integers(0, 3), replace=False).tolist()) for _ in range(n)]
    exp_terms = [set(rng.choice(INDUSTRIES + FOCI, size=rng.integers(3, 6), replace=False).tolist())
                 for _ in range(m)]
    fit = expertise_fit(exp_terms, app_terms)
    bar = (rng.random((m, n)) < 0.03).astype(np.int8)
    kinds = tuple(frozenset({"business"} if i % 2 else {"creative"}) for i in range(m))
    cap = math.ceil(n * k / m) + 1
    return AssignmentProblem(
        experts=tuple(f"E{i:03d}" for i in range(m)), applications=tuple(f"A{j:05d}" for j in range(n)),
        fit=fit, need=np.full(n, k), min_load=np.zeros(m, dtype=int), max_load=np.full(m, cap), bar=bar,
        fix=np.zeros((m, n), np.int8), kinds=kinds, require_kinds=("business", "creative") if k >= 2 else (),
        mode=mode)


def baseline(p: AssignmentProblem) -> float:
    """Seconds of the Hungarian method on the expanded matrix (experts x max_load, apps x K)."""
    cost = np.repeat(np.repeat(p.fit, int(p.max_load[0]), axis=0), int(p.need[0]), axis=1)
    t = time.perf_counter()
    linear_sum_assignment(cost, maximize=True)
    return time.perf_counter() - t


def measure(n: int, m: int, k: int, mode: str, target: float, repeat: int = 1) -> None:
    p = instance(n, m, k, mode=mode)
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        r = solve_assignment(p)
        times.append(time.perf_counter() - t)
    ours = min(times)
    base = baseline(p)
    ok = "ok" if ours < target else "OVER TARGET"
    print(f"{n:>5} x {m:>3} x {k}  {mode:<5}  {ours:8.3f} s  (target {target:>5.1f} s: {ok})  "
          f"baseline {base:7.3f} s  ratio {ours / base:6.2f}  "
          f"total fit {r.total_fit:.2f}, worst {r.worst_fit:.3f}", flush=True)


def main(argv: list[str]) -> None:
    quick = "--quick" in argv
    print("applications x experts x K  mode  time (best)  target  Hungarian baseline  ratio")
    measure(40, 7, 3, "total", 0.2, repeat=5)
    measure(40, 7, 3, "fair", 0.2, repeat=3)
    if quick:
        measure(500, 50, 3, "total", 10.0)
        measure(500, 50, 3, "fair", 60.0)
        return
    measure(2000, 200, 3, "total", 10.0)
    measure(2000, 200, 3, "fair", 60.0)


if __name__ == "__main__":
    main(sys.argv[1:])
