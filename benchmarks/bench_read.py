"""Reading a call folder at scale (issue 12): ``load_call_folder`` on generated calls
(``callgen.py``; 3 experts per application, long score files, two stages) against a lean
baseline measured in the same run: pandas' C engine reading every CSV of the call as text
(``pd.read_csv(dtype=str, keep_default_na=False)``), which checks nothing.

Also times the engine with its score files read row by row (``scores._reference_only``: the
reader every faulty file still goes through), file by file (``scores._file_by_file``: each file
split column-wise, then the rows checked by their texts, as before a clean stage was read at once
as integer codes) and as text (``scores._text_only``: each file split into values, not read from
its bytes), to show what each path saves, and the same call with its stage-1 scores imported
(``selection import``: the store, which is what a real call's run reads), its lean baseline
reading the store's CSV too. The load average is printed beside every timing.

    .venv/bin/python benchmarks/bench_read.py [--sizes 2000,20000] [--repeat 1]
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

sys.path.insert(0, str(Path(__file__).resolve().parent))
import callgen  # noqa: E402

from selection.io import scores  # noqa: E402
from selection.io.store import apply_import, call_context, loose_score_files, plan_import  # noqa: E402
from selection.pipeline import load_call_folder  # noqa: E402


def _timed(fn) -> tuple[float, float]:
    w, c = time.perf_counter(), time.process_time()
    fn()
    return time.perf_counter() - w, time.process_time() - c


def _lean(folder: Path) -> None:
    for f in sorted(folder.rglob("*.csv")):
        pd.read_csv(f, dtype=str, keep_default_na=False)  # callgen writes comma-separated UTF-8


def _with(flag: str, folder: Path) -> None:
    """``load_call_folder`` with one of the score readers' test switches set."""
    setattr(scores, flag, True)
    try:
        load_call_folder(folder)
    finally:
        setattr(scores, flag, False)


def _imported(folder: Path, target: Path) -> Path:
    """A copy of the call whose stage-1 score files are imported into the store (not timed)."""
    shutil.copytree(folder, target)
    inbox = target.parent / f"{target.name}-inbox"
    inbox.mkdir()
    for f in loose_score_files(target, "scores", 1):
        f.rename(inbox / f.name)
    _call, ctx = call_context(target, 1)
    apply_import(plan_import(target, "scores", 1, ctx, sorted(inbox.iterdir())))
    return target


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2000,20000")
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-read-") as tmp:
        for n in [int(s) for s in args.sizes.split(",") if s]:
            folder = callgen.write_call(Path(tmp) / f"call{n}", n)
            stored = _imported(folder, Path(tmp) / f"stored{n}")
            runs = {"engine": lambda folder=folder: load_call_folder(folder),
                    "engine, scores as text": lambda folder=folder: _with("_text_only", folder),
                    "engine, scores file by file": lambda folder=folder: _with("_file_by_file", folder),
                    "engine, scores row by row": lambda folder=folder: _with("_reference_only", folder),
                    "lean: pandas C engine, no checks": lambda folder=folder: _lean(folder),
                    "engine, stage 1 imported (store)": lambda stored=stored: load_call_folder(stored),
                    "lean, stage 1 imported (store)": lambda stored=stored: _lean(stored)}
            got: dict[str, list[tuple[float, float]]] = {k: [] for k in runs}
            loads: dict[str, float] = {}
            for _ in range(args.repeat):  # alternating, so that every variant sees the same load
                for k, f in runs.items():
                    got[k].append(_timed(f))
                    loads[k] = os.getloadavg()[0]
            print(f"N = {n:,} applications ({n * 3 * 14:,} scores), load {os.getloadavg()[0]:.1f}")
            for k, times in got.items():
                lean = "lean, stage 1 imported (store)" if "store" in k else "lean: pandas C engine, no checks"
                base_cpu = statistics.median(c for _, c in got[lean])
                wall = statistics.median(w for w, _ in times)
                cpu = statistics.median(c for _, c in times)
                print(f"  {k:34s} wall {wall:6.2f} s  CPU {cpu:6.2f} s  {cpu / base_cpu:5.1f}x the lean CPU"
                      f"  (load {loads[k]:.1f})")


if __name__ == "__main__":
    main()
