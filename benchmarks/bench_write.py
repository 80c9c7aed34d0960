"""Everything after the computation of ``selection run``, each step beside its previous form timed in
the same run (issue 12: a run of 20,000 applications under 10 s).

Run: ``.venv/bin/python benchmarks/bench_write.py [--sizes 2000,20000] [--repeat 3]``

For a generated call (``benchmarks/callgen.py``) the call is read and run once (not timed here), then:

- every run file's CSV text (``io.export.csv_text``) against pandas' ``to_csv`` path it replaced
  (``_pandas_csv_text``, the previous ``csv_text``), bytes checked equal;
- ``panel-scores.csv``'s ``n_scores`` (``runs._score_counts``) against the per-row look-up;
- ``application-attributes.csv`` (``runs.attribute_table``) against the row-by-row build;
- ``Decision.to_json`` of every record against the previous recursion;
- ``words.add_reasons`` against rendering every row.

The previous forms are the verbatim references of ``tests/test_runs_scale.py``. Each line prints
the median CPU and wall seconds of both, their ratio, and ``os.getloadavg()``: on a shared machine
CPU seconds are the steadier figure.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, str(ROOT / "tests"))

from callgen import write_call  # noqa: E402
from test_runs_scale import (  # noqa: E402
    reference_add_reasons,
    reference_attribute_table,
    reference_plain,
    reference_score_counts,
)

from selection.decisions import Decision  # noqa: E402
from selection.io.export import _pandas_csv_text, csv_text  # noqa: E402
from selection.pipeline import load_call_folder, run_call  # noqa: E402
from selection.runs import _score_counts, attribute_table, panel_diagnostics, run_tables  # noqa: E402
from selection.words import add_reasons  # noqa: E402


def _timed(f, repeat: int) -> tuple[float, float, object]:
    cpu, wall, out = [], [], None
    for _ in range(repeat):
        c, w = time.process_time(), time.perf_counter()
        out = f()
        cpu.append(time.process_time() - c)
        wall.append(time.perf_counter() - w)
    return statistics.median(cpu), statistics.median(wall), out


def pair(name: str, new, old, repeat: int, same=lambda a, b: a == b) -> tuple[float, float]:
    cn, wn, a = _timed(new, repeat)
    co, wo, b = _timed(old, repeat)
    assert same(a, b), f"{name}: the new form differs from the previous one"
    load = os.getloadavg()[0]
    print(f"  {name:46s} new {cn:7.3f} s CPU {wn:7.3f} s wall | previous {co:7.3f} s CPU {wo:7.3f} s wall"
          f" | {co / max(cn, 1e-9):6.1f}x CPU  (load {load:.2f})", flush=True)
    return cn, co


def bench(n: int, repeat: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        call = Path(tmp) / f"call{n}"
        write_call(call, n)
        t = time.perf_counter()
        folder = load_call_folder(call)
        result = run_call(folder)
        print(f"N = {n:,}: call read and run in {time.perf_counter() - t:.1f} s (not compared)", flush=True)
    diag = panel_diagnostics(result)
    import selection.runs as runs

    real, runs.panel_diagnostics = runs.panel_diagnostics, lambda *a, **k: diag  # already computed
    try:
        tables = run_tables(result)
    finally:
        runs.panel_diagnostics = real
    total_new = total_old = 0.0
    for name, frame in tables.items():
        cn, co = pair(f"csv {name} ({len(frame):,} rows)", lambda f=frame: csv_text(f),
                      lambda f=frame: _pandas_csv_text(f), repeat)
        total_new, total_old = total_new + cn, total_old + co
    for n_stage, sr in result.stages.items():
        long = sr.panel.stack().rename("panel_score").reset_index()
        scored = folder.evaluations[n_stage]
        cn, co = pair(f"n_scores stage {n_stage} ({len(long):,} pairs)", lambda s=scored, lg=long: _score_counts(s, lg).tolist(),
                      lambda s=scored, lg=long: reference_score_counts(s, lg), repeat)
        total_new, total_old = total_new + cn, total_old + co
    if folder.call.attributes:
        cn, co = pair("attribute table", lambda: attribute_table(folder.call.attributes, folder.applications),
                      lambda: reference_attribute_table(folder.call.attributes, folder.applications), repeat,
                      same=lambda a, b: a.equals(b) and list(a.dtypes) == list(b.dtypes))
        total_new, total_old = total_new + cn, total_old + co
    records = [Decision.from_json(c, f) for sr in result.stages.values()
               for c, f in zip(sr.selection["reason_code"], sr.selection["facts"], strict=True)]
    cn, co = pair(f"to_json ({len(records):,} records)", lambda: [d.to_json() for d in records],
                  lambda: [json.dumps(reference_plain(d.facts), ensure_ascii=False, sort_keys=True,
                                      separators=(",", ":")) for d in records], repeat)
    total_new, total_old = total_new + cn, total_old + co
    for n_stage, sr in result.stages.items():
        bare = sr.selection.drop(columns=["reason", "reason_da"])
        cols = list(sr.selection.columns)
        cn, co = pair(f"add_reasons stage {n_stage} ({len(bare):,} rows)", lambda b=bare, c=cols: add_reasons(b, c),
                      lambda b=bare, c=cols: reference_add_reasons(b, c), repeat,
                      same=lambda a, b: a.equals(b))
        total_new, total_old = total_new + cn, total_old + co
    print(f"  {'all of the above':46s} new {total_new:7.3f} s CPU | previous {total_old:7.3f} s CPU | "
          f"{total_old / max(total_new, 1e-9):6.1f}x  (load {os.getloadavg()[0]:.2f})\n", flush=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--sizes", default="2000", help="comma-separated numbers of applications")
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()
    for n in (int(s) for s in args.sizes.split(",")):
        bench(n, args.repeat)


if __name__ == "__main__":
    main()
