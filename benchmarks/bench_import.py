"""Benchmark: import 40 experts x 300 applications x 10 criteria (120,000 scores) from workbooks.

Target (issue 3): within 10 s on the 2-core reference machine. The script writes 40 filled
personal workbooks (made by ``selection.io.workbook`` with seeded random scores, abstentions and
conflicts of interest), then times, in the same run and on the same files:

* ``engine``: ``selection.io.scores.read_score_files`` -- the full validating import (metadata,
  headers, merged cells, hidden rows, formulas, scale and grid of every score, duplicates,
  conflicts) into the evaluation table;
* ``plan``: ``selection.io.store.plan_import`` -- the above plus store and archive planning;
* baseline ``openpyxl``: openpyxl's plain cell-by-cell read (``read_only=True,
  values_only=True``) of every sheet of the same files, with no checks at all;
* baseline ``pandas``: ``pandas.read_excel`` of the Scores sheet of every file.

Run: ``.venv/bin/python benchmarks/bench_import.py [--experts 40 --applications 300 --criteria 10]``
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import numpy as np

#: The sheet key the benchmark signs its workbooks with.
KEY = bytes(range(32))


def build(n_experts: int, n_apps: int, n_crit: int, rng: np.random.Generator):
    from selection.io.scores import ScoreContext
    from selection.model import Application, Call, CriteriaCatalogue, Expert

    guide = {"low": "svag / weak", "middle": "middel / fair", "high": "fremragende / excellent"}
    cat = CriteriaCatalogue.model_validate({
        "schema_version": 1, "id": "bench", "name": "Benchmark", "stage": 1,
        "criteria": [{"id": f"c{k:02d}", "name_da": f"Kriterium {k}", "name_en": f"Criterion {k}",
                      "description": "d", "guide": guide, "group": "g", "weight": 1,
                      "scale": {"min": 0, "max": 5, "step": 0.5}} for k in range(n_crit)]})
    call = Call.model_validate({"schema_version": 1, "id": "bench", "name": "Benchmark call",
                                "stages": [{"number": 1, "name": "Fase 1", "catalogue": "c.toml",
                                            "max_selected": 8}]})
    apps = [Application(id=f"A{i:03d}", title=f"Ansøgning {i} – Århus", lead_organisation=f"L{i}",
                        industries=frozenset({"design"}), municipality="Aarhus")
            for i in range(n_apps)]
    experts = []
    for e in range(n_experts):
        conflicts = frozenset(f"A{i:03d}" for i in rng.choice(n_apps, 2, replace=False))
        experts.append(Expert(id=f"E{e:02d}", name=f"Ekspert {e} Ø", conflicts=conflicts))
    ctx = ScoreContext(cat, {a.id: a for a in apps}, {x.id: x for x in experts}, call_id=call.id,
                       stage=1, sheet_key=KEY)
    return call, cat, apps, experts, ctx


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--experts", type=int, default=40)
    ap.add_argument("--applications", type=int, default=300)
    ap.add_argument("--criteria", type=int, default=10)
    ap.add_argument("--repeat", type=int, default=3)
    args = ap.parse_args()

    import openpyxl
    import pandas as pd

    from selection.io.scores import read_score_files
    from selection.io.store import plan_import
    from selection.io.workbook import SCORES_SHEET, workbook_bytes

    rng = np.random.default_rng(2012)
    call, cat, apps, experts, ctx = build(args.experts, args.applications, args.criteria, rng)
    grid = cat.criteria[0].scale.values()
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        t0 = time.perf_counter()
        files = []
        for x in experts:
            prefill = {}
            for a in apps:
                if a.id in x.conflicts:
                    continue
                for c in cat.criteria:
                    prefill[(a.id, c.id)] = ("afstår" if rng.random() < 0.01
                                             else float(rng.choice(grid)))
            f = tmp / f"{x.id}.xlsx"
            f.write_bytes(workbook_bytes(call, cat, x, apps, stage=1, key=KEY, prefill=prefill))
            files.append(f)
        print(f"setup: wrote {len(files)} workbooks in {time.perf_counter() - t0:.1f} s")

        def engine():
            return read_score_files(files, ctx)

        def plan():
            return plan_import(tmp / "call", "scores", 1, ctx, files)

        def base_openpyxl():
            n = 0
            for f in files:
                wb = openpyxl.load_workbook(f, read_only=True, data_only=True)
                for ws in wb.worksheets:
                    for row in ws.iter_rows(values_only=True):
                        n += sum(v is not None for v in row)
                wb.close()
            return n

        def base_pandas():
            return sum(len(pd.read_excel(f, sheet_name=SCORES_SHEET, header=None)) for f in files)

        def best(fn):
            times = []
            for _ in range(args.repeat):
                t = time.perf_counter()
                out = fn()
                times.append(time.perf_counter() - t)
            return min(times), out

        t_engine, frame = best(engine)
        t_plan, p = best(plan)
        t_opx, _ = best(base_openpyxl)
        t_pd, _ = best(base_pandas)
    n = len(frame)
    print(f"scores imported: {n} ({args.experts} experts x {args.applications} applications x "
          f"{args.criteria} criteria, minus conflicts); store rows planned: {len(p.table)}")
    print(f"engine read_score_files (validating): {t_engine:7.3f} s   target <= 10 s: "
          f"{'PASS' if t_engine <= 10 else 'FAIL'}")
    print(f"engine plan_import (validating+plan): {t_plan:7.3f} s")
    print(f"baseline openpyxl read-only values:   {t_opx:7.3f} s   ratio engine/baseline = "
          f"{t_engine / t_opx:.2f}")
    print(f"baseline pandas.read_excel (Scores):  {t_pd:7.3f} s   ratio engine/baseline = "
          f"{t_engine / t_pd:.2f}")


if __name__ == "__main__":
    main()
