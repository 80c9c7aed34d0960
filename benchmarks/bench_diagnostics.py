"""Speed of the panel diagnostics `selection run` writes (agreement, leniency, divergence, rank intervals).

For each size, a generated call (``callgen.py``: 3 experts per application, 8 criteria in stage 1,
about N x 3 / 300 experts) is read once; then stage 1's diagnostics (every application, 1,000
bootstrap replicates: the part that grows with the call) are timed three ways in the same run:

- the engine (``selection.aggregate.stage_diagnostics``);
- the previous implementation, kept verbatim in ``tests/aggregate/test_scale_identity.py``
  (``ref_stage_diagnostics``): the same-run baseline the ratio is taken against;
- the floor any diagnostics pays: the score cube and its plain panel means.

The four tables of both implementations are written as CSV and compared byte for byte (the run
stops if they differ). Timings print wall and CPU seconds and the load average (shared machine).

Then the largest part alone, the rank intervals (the expert bootstrap of stage 1's cube, calibrated
as the stage says, 1,000 replicates; issue 12's target at N = 20,000: at most 1.2 s), timed two ways
in the same run: the engine's ``rank_intervals_cube`` and its previous version (1de2462, kept
verbatim as ``prev_rank_intervals_cube`` in ``tests/aggregate/test_scale_boot.py``: the baseline);
both tables compared byte for byte as CSV.

Run: ``.venv/bin/python benchmarks/bench_diagnostics.py [--sizes 2000,20000] [--only rank-intervals]``
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
import warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np  # noqa: E402
from callgen import write_call  # noqa: E402

from selection.aggregate import calibrate_cube, score_cube, stage_diagnostics  # noqa: E402
from selection.aggregate.arrays import aggregate_kernel  # noqa: E402
from selection.aggregate.bootstrap import rank_intervals_cube  # noqa: E402
from selection.io.export import write_csv  # noqa: E402
from selection.pipeline import load_call_folder  # noqa: E402


def _reference(name: str = "test_scale_identity"):
    spec = importlib.util.spec_from_file_location(name, ROOT / "tests" / "aggregate" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c, os.getloadavg()[0]


def one_size(tmp: Path, n: int, module, repeat: int) -> None:
    reference = module.ref_stage_diagnostics
    folder = load_call_folder(write_call(tmp / f"call-{n}", n))
    evaluation, cat, stage = folder.evaluations[1], folder.catalogues[1], folder.call.stage(1)
    seed = folder.call.seed
    print(f"N = {n:,}: {len(evaluation):,} score rows, stage 1, 1,000 replicates, best of {repeat}", flush=True)
    runs: dict[str, list] = {"engine": [], "previous": [], "floor": []}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for _ in range(repeat):  # alternated, so a change of load touches both alike
            runs["engine"].append(timed(lambda: stage_diagnostics(evaluation, cat, stage, seed=seed)))
            runs["previous"].append(timed(lambda: reference(evaluation, cat, stage, seed=seed)))
            runs["floor"].append(timed(lambda: aggregate_kernel(
                score_cube(evaluation, cat.criterion_ids).values, "mean", axis=1)))
    new, old = runs["engine"][0][0], runs["previous"][0][0]
    for name in new:
        # agreement.csv's found_* counts came after the reference (the test checks them against the note)
        write_csv(module.without_found(new[name]) if name == "agreement.csv" else new[name], tmp / "new.csv")
        write_csv(old[name], tmp / "old.csv")
        if (tmp / "new.csv").read_bytes() != (tmp / "old.csv").read_bytes():
            raise SystemExit(f"{name} differs from the previous implementation's at N = {n}")
    best = {k: min(v, key=lambda r: r[2]) for k, v in runs.items()}  # by CPU seconds
    for label, key in (("engine", "engine"), ("previous (base)", "previous"), ("floor: cube+mean", "floor")):
        _, w, c, load = best[key]
        print(f"  {label:17s} wall {w:7.2f} s  CPU {c:7.2f} s  (load {load:.1f})")
    (_, w_new, c_new, _), (_, w_old, c_old, _) = best["engine"], best["previous"]
    print(f"  speed-up vs previous: CPU {c_old / c_new:.2f}x, wall {w_old / w_new:.2f}x; "
          f"engine / floor: CPU {c_new / max(best['floor'][2], 1e-9):.1f}x; files byte-identical", flush=True)


def rank_intervals_part(tmp: Path, n: int, previous, repeat: int) -> None:
    """The engine's rank intervals against their previous version on stage 1's (calibrated) cube."""
    folder = load_call_folder(write_call(tmp / f"call-{n}", n))
    evaluation, cat, stage = folder.evaluations[1], folder.catalogues[1], folder.call.stage(1)
    cube = score_cube(evaluation, cat.criterion_ids)
    values = cube.values if stage.calibration == "none" else calibrate_cube(cube, stage.calibration).values
    print(f"N = {n:,}: rank intervals of stage 1 ({values.shape[0]:,} x {values.shape[1]:,} x {values.shape[2]} "
          f"cube), 1,000 replicates, best of {repeat}", flush=True)

    def one(fn):
        return lambda: fn(cube.applications, values, cat, 1000, np.random.default_rng([folder.call.seed, 1]),
                          top_k=stage.max_selected, method=stage.aggregation, trim=stage.trim)

    runs: dict[str, list] = {"engine": [], "previous": []}
    for _ in range(repeat):  # alternated, so a change of load touches both alike
        runs["engine"].append(timed(one(rank_intervals_cube)))
        runs["previous"].append(timed(one(previous.prev_rank_intervals_cube)))
    write_csv(runs["engine"][0][0].reset_index(), tmp / "new.csv")
    write_csv(runs["previous"][0][0].reset_index(), tmp / "old.csv")
    if (tmp / "new.csv").read_bytes() != (tmp / "old.csv").read_bytes():
        raise SystemExit(f"rank-intervals.csv differs from the previous implementation's at N = {n}")
    best = {k: min(v, key=lambda r: r[2]) for k, v in runs.items()}  # by CPU seconds
    for label, key in (("engine", "engine"), ("previous (base)", "previous")):
        _, w, c, load = best[key]
        print(f"  {label:17s} wall {w:7.2f} s  CPU {c:7.2f} s  (load {load:.1f})")
    (_, w_new, c_new, _), (_, w_old, c_old, _) = best["engine"], best["previous"]
    print(f"  speed-up vs previous: CPU {c_old / c_new:.2f}x, wall {w_old / w_new:.2f}x; files byte-identical",
          flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--repeat", type=int, default=0, help="timings per size (default 3 below 10,000, else 1)")
    parser.add_argument("--only", choices=["all", "rank-intervals"], default="all",
                        help="rank-intervals: only the rank intervals against their previous version")
    args = parser.parse_args()
    reference, previous = _reference(), _reference("test_scale_boot")
    sizes = [int(s) for s in args.sizes.split(",") if s]
    with tempfile.TemporaryDirectory(prefix="bench-diag-") as tmp:
        if args.only == "all":
            one_size(Path(tmp), 200, reference, 1)  # warm-up: lazy imports (scipy.sparse, ...) paid once, untimed below
            print("(warm-up above)\n")
            for n in sizes:
                one_size(Path(tmp), n, reference, args.repeat or (3 if n < 10_000 else 1))
        rank_intervals_part(Path(tmp), 200, previous, 1)  # warm-up
        print("(warm-up above)\n")
        for n in sizes:
            rank_intervals_part(Path(tmp), n, previous, args.repeat or 3)


if __name__ == "__main__":
    main()
