"""Speed of a stage's score cube, panel scores and score counts (the part of `selection run` that
turns the long score table into what ranking reads, and the cube the panel diagnostics share).

For each size, a generated call (``callgen.py``: 3 experts per application, 8 criteria in stage 1
and 6 in stage 2) is read once; then per stage, in the same run:

- the engine: ``score_cube`` (ids coded by hashing, the compact form, no dense array), then
  ``stage_panel_scores(..., cube=cube)``, and ``score_counts``;
- the baseline: the previous implementation (1de2462), kept verbatim in
  ``tests/aggregate/test_scale_cube.py``: ``ref_score_cube`` (labels looked up per row, one dense
  ``(A, E, C)`` array) with the aggregation over the dense cube, and ``ref_score_counts`` (pandas
  group-by);
- what the worker pays when it first reads the dense cube (``cube.values``), for the record.

Panel scores are compared bit for bit, counts and the dense cubes exactly (the run stops if they
differ). Timings print wall and CPU seconds and the load average (shared machine).
Issue 12's targets at N = 20,000 (stage 1): cube <= 0.25 s; cube + panel scores <= 0.3 s.

Run: ``.venv/bin/python benchmarks/bench_cube.py [--sizes 2000,20000]``
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from callgen import write_call  # noqa: E402

from selection.aggregate import score_counts, score_cube, stage_panel_scores  # noqa: E402
from selection.aggregate.panel import _frame  # noqa: E402
from selection.pipeline import load_call_folder  # noqa: E402


def _reference():
    spec = importlib.util.spec_from_file_location("test_scale_cube", ROOT / "tests" / "aggregate" / "test_scale_cube.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c


def bench_stage(ref, n: int, number: int, evaluation, cat, stage) -> None:
    """One stage's figures, the engine against the previous implementation, outputs compared."""

    def old():
        cube = ref.ref_score_cube(evaluation, cat.criterion_ids)
        return cube, _frame(ref.ref_raw_panel(cube, stage.aggregation, stage.trim), cube)

    def new():
        cube = score_cube(evaluation, cat.criterion_ids)
        return cube, stage_panel_scores(evaluation, cat, stage, cube=cube)

    load = os.getloadavg()[0]
    (old_cube, old_panel), ow, oc = timed(old)
    old_counts, cw, cc = timed(lambda: ref.ref_score_counts(evaluation))
    (cube, panel), nw, nc = timed(new)
    counts, kw, kc = timed(lambda: score_counts(evaluation))
    _, dw, dc = timed(lambda: cube.values)
    assert np.array_equal(ref.bits(panel.to_numpy()), ref.bits(old_panel.to_numpy())), "panel scores differ"
    assert counts.equals(old_counts), "score counts differ"
    assert np.array_equal(ref.bits(cube.values), ref.bits(old_cube.values)), "dense cubes differ"
    print(f"N = {n:,} stage {number}: {len(evaluation):,} score rows, {cube.values.shape} cube, "
          f"load {load:.2f} -> {os.getloadavg()[0]:.2f}")
    print(f"  cube + panel scores  engine {nc:6.3f} s CPU ({nw:.3f} wall)   previous {oc:6.3f} s CPU "
          f"({ow:.3f} wall)   {oc / max(nc, 1e-9):5.1f}x")
    print(f"  score counts         engine {kc:6.3f} s CPU ({kw:.3f} wall)   previous {cc:6.3f} s CPU "
          f"({cw:.3f} wall)   {cc / max(kc, 1e-9):5.1f}x")
    print(f"  dense cube, when first read: {dc:.3f} s CPU ({dw:.3f} wall)")


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    parser.add_argument("--sizes", default="2000,20000")
    args = parser.parse_args()
    ref = _reference()
    for n in (int(s) for s in args.sizes.split(",")):
        with tempfile.TemporaryDirectory() as tmp:
            folder = load_call_folder(write_call(Path(tmp) / "call", n))
        for number, evaluation in folder.evaluations.items():
            bench_stage(ref, n, number, evaluation, folder.catalogues[number], folder.call.stage(number))
    print("panel scores, counts and dense cubes identical to the previous implementation")


if __name__ == "__main__":
    main()
