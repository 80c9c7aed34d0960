"""Speed of a stage's explanations: the what-if of every ranking deviation (the selection re-solved
with it forced in, under the tie rule) on a generated call (``callgen.py``), stage 2 by default
(the stage with the deviations: 110 of them at 20,000 applications).

Printed in the same run, on the same deviations:

* ``engine``: :func:`selection.select.explain.forced_in_value` as ``selection run`` calls it (the
  LP-bound proof first, the what-if solves without HiGHS presolve);
* ``plain``: the same what-ifs as before issue 12's wave 2 -- the full solve with the tie rule,
  HiGHS defaults, no LP-bound proof (the same answers, checked here);
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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from callgen import write_call  # noqa: E402

import selection.select.explain as explain_module  # noqa: E402
from selection.pipeline import load_call_folder  # noqa: E402
from selection.select.explain import forced_in_value, stage_program, stage_screen  # noqa: E402
from selection.select.milp import solve_milp  # noqa: E402


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

    def engine():
        on = set(outcome.selected)
        screen = stage_screen(program, np.array([1.0 if b in on else 0.0 for b in ids]))
        return [forced_in_value(inp, a, solver, program=program, screen=screen) for a in devs]

    def plain():
        saved = dict(explain_module.WHAT_IF_OPTIONS)
        explain_module.WHAT_IF_OPTIONS.clear()
        try:
            return [forced_in_value(inp, a, solver, program=program) for a in devs]
        finally:
            explain_module.WHAT_IF_OPTIONS.update(saved)

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
    slow, sw, sc = _timed(plain)
    values, lw, lc = _timed(lean)
    assert fast == slow, "the engine's what-ifs differ from the plain full solve"
    assert all(f is None or abs(f[0] - v) <= 1e-6 * max(1.0, abs(v)) for f, v in zip(fast, values, strict=True))
    print(f"N = {n:,}, stage {number}: {len(ids)} applications, {len(devs)} ranking deviations "
          f"(load {load[0]:.1f} -> {os.getloadavg()[0]:.1f})")
    for name, w, c in (("engine", fw, fc), ("plain (before)", sw, sc), ("lean baseline", lw, lc)):
        print(f"  {name:16s} wall {w:7.2f} s  CPU {c:7.2f} s")
    print(f"  engine vs plain: {sc / max(fc, 1e-9):.2f}x less CPU; engine / lean baseline: "
          f"{fc / max(lc, 1e-9):.2f}x the CPU (the engine also proves the tie rule)")


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
