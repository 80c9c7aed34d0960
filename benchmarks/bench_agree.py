"""Speed of three of the panel diagnostics a run writes: agreement, expert leniency, divergence.

For each size a generated call (``callgen.py``: 3 experts per application, 8 criteria in stage 1,
N x 3 / 300 experts) is read once; then the four computations behind ``agreement.csv``,
``expert-leniency.csv`` and ``divergence.csv`` of stage 1 (issue 12's target at N = 20,000: at most
2 s CPU together, from 4.4 s) are timed two ways in the same run:

- the engine: ``agreement_table``, ``calibration._additive_effects`` (the leniency's expert
  effects), ``calibration._leniency`` and ``divergent_scores``, which read only the scored cells;
- the previous implementation (1de2462), the same-run baseline the ratios are taken against: the
  dense paths the engine keeps for a numpy that sums in another order (agreement, additive effects)
  and the verbatim ``prev_leniency`` / ``prev_divergent_scores`` of
  ``tests/aggregate/test_scale_agree.py``.

Each table of both is written as CSV and compared byte for byte, the effects bit for bit (the run
stops if they differ). Timings print wall and CPU seconds and the load average (a shared machine);
the two are alternated, and the best of ``--repeat`` (by CPU) is shown. BLAS runs one thread, as in
``selection`` commands (unless the environment says otherwise).

Run: ``.venv/bin/python benchmarks/bench_agree.py [--sizes 2000,20000] [--repeat 1]``
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import sys
import tempfile
import time
import warnings
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(ROOT))
for _var in ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS"):
    os.environ.setdefault(_var, "1")  # as the CLI runs (selection.cli._one_blas_thread), before numpy loads

import numpy as np  # noqa: E402
from callgen import write_call  # noqa: E402

from selection.aggregate import agreement as agreement_module  # noqa: E402
from selection.aggregate import calibration as calibration_module  # noqa: E402
from selection.aggregate import divergent_scores, score_cube, sums  # noqa: E402
from selection.aggregate.panel import agreement_table  # noqa: E402
from selection.io.export import csv_text  # noqa: E402
from selection.pipeline import load_call_folder  # noqa: E402


def _previous():
    spec = importlib.util.spec_from_file_location("test_scale_agree", ROOT / "tests" / "aggregate" / "test_scale_agree.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@contextmanager
def dense_paths():
    """The previous computations of the agreement table and the additive effects (kept in the engine)."""
    saved = sums.numpy_order, agreement_module._dyadic_weights
    sums.numpy_order = lambda: False  # type: ignore[assignment]
    agreement_module._dyadic_weights = lambda mu: False
    try:
        yield
    finally:
        sums.numpy_order, agreement_module._dyadic_weights = saved


def timed(fn):
    w, c = time.perf_counter(), time.process_time()
    out = fn()
    return out, time.perf_counter() - w, time.process_time() - c, os.getloadavg()[0]


def one_size(tmp: Path, n: int, prev, repeat: int) -> None:
    folder = load_call_folder(write_call(tmp / f"call-{n}", n))
    evaluation, cat, stage = folder.evaluations[1], folder.catalogues[1], folder.call.stage(1)
    criteria = cat.criterion_ids
    cube = score_cube(evaluation, criteria)
    w = np.array([cat.weights()[c] for c in criteria])
    A, E, C = cube.values.shape
    print(f"N = {n:,}: {len(evaluation):,} score rows, stage 1 cube {A:,} x {E:,} x {C}, best of {repeat}", flush=True)
    effects = calibration_module._additive_effects(cube)
    parts = {
        "agreement_table": (lambda: agreement_table(cube, w), lambda: _dense(lambda: agreement_table(cube, w))),
        "_additive_effects": (lambda: calibration_module._additive_effects(cube),
                              lambda: _dense(lambda: calibration_module._additive_effects(cube))),
        "_leniency": (lambda: calibration_module._leniency(cube, effects), lambda: prev.prev_leniency(cube, effects)),
        "divergent_scores": (lambda: divergent_scores(evaluation, criteria, min_range=stage.divergence_range),
                             lambda: prev.prev_divergent_scores(evaluation, criteria, min_range=stage.divergence_range)),
    }
    total = {"engine": [0.0, 0.0], "previous": [0.0, 0.0]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for name, (engine, previous) in parts.items():
            runs: dict[str, list] = {"engine": [], "previous": []}
            for _ in range(repeat):  # alternated, so a change of load touches both alike
                runs["engine"].append(timed(engine))
                runs["previous"].append(timed(previous))
            new, old = runs["engine"][0][0], runs["previous"][0][0]
            same = new.tobytes() == old.tobytes() if isinstance(new, np.ndarray) else csv_text(new) == csv_text(old)
            if not same:
                raise SystemExit(f"{name} differs from the previous implementation's at N = {n}")
            best = {k: min(v, key=lambda r: r[2]) for k, v in runs.items()}  # by CPU seconds
            (_, w_new, c_new, load), (_, w_old, c_old, _) = best["engine"], best["previous"]
            for k in total:
                total[k][0] += best[k][1]
                total[k][1] += best[k][2]
            print(f"  {name:18s} engine wall {w_new:6.2f} s CPU {c_new:6.2f} s | previous (base) wall {w_old:6.2f} s "
                  f"CPU {c_old:6.2f} s | CPU {c_old / max(c_new, 1e-9):5.1f}x  (load {load:.1f}; identical)", flush=True)
    (w_new, c_new), (w_old, c_old) = total["engine"], total["previous"]
    print(f"  {'together':18s} engine wall {w_new:6.2f} s CPU {c_new:6.2f} s | previous (base) wall {w_old:6.2f} s "
          f"CPU {c_old:6.2f} s | CPU {c_old / max(c_new, 1e-9):5.1f}x", flush=True)


def _dense(fn):
    with dense_paths():
        return fn()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="2000,20000")
    parser.add_argument("--repeat", type=int, default=0, help="timings per size (default 3 below 10,000, else 1)")
    args = parser.parse_args()
    prev = _previous()
    with tempfile.TemporaryDirectory(prefix="bench-agree-") as tmp:
        one_size(Path(tmp), 200, prev, 1)  # warm-up: lazy imports (scipy.special, scipy.sparse) paid once, untimed below
        print("(warm-up above)\n")
        for n in [int(s) for s in args.sizes.split(",") if s]:
            one_size(Path(tmp), n, prev, args.repeat or (3 if n < 10_000 else 1))


if __name__ == "__main__":
    main()
