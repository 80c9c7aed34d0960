"""Speed of a stage's explanations: the what-if of every ranking deviation (the selection re-solved
with it forced in, under the tie rule) on a generated call (``callgen.py``), stage 2 by default
(the stage with the deviations: 110 of them at 20,000 applications).

Printed in the same run, on the same deviations:

* ``engine``: :func:`selection.select.explain.forced_in_value` as ``selection run`` calls it (issue
  12, wave 3): one warm LP relaxation of the stage shared by every what-if, and LexCore's exact
  listing of the selections its dual bound leaves possible, which proves the value and the tie rule
  without branch and bound (how many it proved, and how many fell back to the full solve, is printed);
* ``full solve``: the same what-ifs solved in full -- HiGHS branch and bound for the value and
  the rank sum, then the tie rule's sequential fixing (``solve_with_ties`` without LexCore, presolve
  off as in wave 2; the same answers, checked here);
* ``lean``: the lean baseline -- one cold HiGHS solve per deviation of the value alone with the
  deviation forced in (no tie rule, so it does less than the engine).

CPU seconds (``time.process_time``) beside wall seconds and the load average: on a shared machine
quote the CPU figures and the ratios.

Usage: ``.venv/bin/python benchmarks/bench_explain.py [--sizes 2000,20000] [--stage 2]``
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from callgen import write_call  # noqa: E402

from selection.pipeline import load_call_folder  # noqa: E402
from selection.select.explain import WHAT_IF_OPTIONS, forced_in_value, stage_program, stage_screen  # noqa: E402
from selection.select.milp import LexCore, solve_milp  # noqa: E402
from selection.select.program import solve_with_ties  # noqa: E402


def _deviations(inp, outcome) -> list[str]:
    on = set(outcome.selected)
    worst = max((inp.ranks[a] for a in on), default=0)
    return [a for a in sorted(inp.values, key=lambda b: inp.ranks[b])
            if a not in on and a not in inp.excluded and inp.ranks[a] < worst]


def _stage(n: int, number: int, solver: str):
    """The stage's input and outcome from a whole run of a generated call of ``n`` applications."""
    import selection.select.stage as stage_module
    from selection.pipeline import run_call

    with tempfile.TemporaryDirectory() as tmp:
        folder = load_call_folder(write_call(Path(tmp) / "call", n))
    seen = {}
    real = stage_module.explain_selection

    def keep(inp, outcome, solver, **kw):
        seen[inp.stage.number] = (inp, outcome)
        kw["resolve"] = lambda a: (float("nan"), ())  # what-ifs are timed below, not here
        return real(inp, outcome, solver, **kw)

    stage_module.explain_selection = keep
    try:
        run_call(folder, solver=solver)
    finally:
        stage_module.explain_selection = real
    return seen[number]


def _timed(f):
    w, c = time.perf_counter(), time.process_time()
    out = f()
    return out, time.perf_counter() - w, time.process_time() - c


def measure(n: int, number: int, solver: str) -> None:
    """Time the three ways on the deviations of stage ``number`` of a generated call of ``n``."""
    inp, outcome = _stage(n, number, solver)
    devs = _deviations(inp, outcome)
    program = stage_program(inp, outcome.rules)
    ids = list(inp.values)

    proved = [0, 0]
    real_solve = LexCore.solve

    def counted(self, fix=None):
        out = real_solve(self, fix)
        proved[out is None] += 1
        return out

    def engine():
        LexCore.solve = counted
        try:
            screen = stage_screen(program)
            return [forced_in_value(inp, a, solver, program=program, screen=screen) for a in devs]
        finally:
            LexCore.solve = real_solve

    def full():
        out = []
        for a in devs:
            m = program[0].copy()
            m.options = {**m.options, **WHAT_IF_OPTIONS}
            m.lower = list(m.lower)
            m.lower[ids.index(a)] = 1.0
            found = solve_with_ties(m, program[1], program[2], solver, what="what-if", core=False)
            out.append(None if found is None else (found[1], tuple(sorted(
                (b for i, b in enumerate(ids) if found[0][i] > 0.5), key=lambda b: inp.ranks[b]))))
        return out

    def lean():
        out = []
        for a in devs:
            m = program[0].copy()
            m.lower = list(m.lower)
            m.lower[ids.index(a)] = 1.0
            out.append(solve_milp(m, "highs").objective)
        return out

    load = os.getloadavg()
    fast, fw, fc = _timed(engine)
    slow, sw, sc = _timed(full)
    values, lw, lc = _timed(lean)
    assert fast == slow, "the engine's what-ifs differ from the full solve"
    assert all(f is None or abs(f[0] - v) <= 1e-6 * max(1.0, abs(v)) for f, v in zip(fast, values, strict=True))
    print(f"N = {n:,}, stage {number}: {len(ids)} applications, {len(devs)} ranking deviations, "
          f"{proved[0]} proved by LexCore, {proved[1]} solved in full (load {load[0]:.1f} -> {os.getloadavg()[0]:.1f})")
    for name, w, c in (("engine", fw, fc), ("full solve", sw, sc), ("lean baseline", lw, lc)):
        print(f"  {name:16s} wall {w:7.2f} s  CPU {c:7.2f} s")
    print(f"  engine vs full solve: {sc / max(fc, 1e-9):.1f}x less CPU; engine vs lean baseline: "
          f"{lc / max(fc, 1e-9):.1f}x less CPU (the engine also proves the tie rule)")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--sizes", default="2000,20000")
    p.add_argument("--stage", type=int, default=2)
    p.add_argument("--solver", default="highs")
    args = p.parse_args()
    for n in [int(s) for s in args.sizes.split(",") if s]:
        measure(n, args.stage, args.solver)


if __name__ == "__main__":
    main()
