"""Speed of the secretariat's workbench (``selection serve``) on the example call.

Starts the real server (uvicorn on 127.0.0.1, a free port) over a copy of the example call and
times, over HTTP on the loopback:

* the first page (``GET /``) once the server is up (the call is read, solved and checked at
  start-up, before the address is printed);
* ``POST /api/whatif`` for random weight vectors (each one re-solves both stages exactly).

Baseline measured in the same run: the same what-ifs computed in-process by the engine alone
(:func:`selection.overrides.apply_scenario` + :func:`selection.pipeline.run_call`), so the ratio
is the page's overhead over the computation itself.

Targets (issue 14): what-if p95 < 300 ms; first page < 1 s.

Usage: ``.venv/bin/python benchmarks/bench_web.py [--n 40]``
"""

from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import httpx
import numpy as np

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "kreative-partnerskaber"


def p95(xs: list[float]) -> float:
    return float(np.percentile(xs, 95))


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--n", type=int, default=40, help="what-if requests (default 40)")
    args = ap.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="bench-web-"))
    call = tmp / "examples" / "kreative-partnerskaber"
    shutil.copytree(EXAMPLE, call, ignore=shutil.ignore_patterns("runs"))
    shutil.copytree(ROOT / "criteria", tmp / "criteria")
    t_start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "selection", "serve", str(call), "--port", "0", "--out", str(tmp / "runs")],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = None
    while url is None:
        line = proc.stdout.readline()
        if not line:
            print("server did not start", file=sys.stderr)
            return 1
        m = re.search(r"(http://\S+/\?token=(\S+))", line)
        if m:
            url, token = m.group(1), m.group(2)
    startup = time.perf_counter() - t_start
    base = url.split("/?")[0]
    try:
        with httpx.Client(base_url=base, headers={"X-Selection-Token": token}, timeout=60) as client:
            t0 = time.perf_counter()
            r = client.get("/")
            first = time.perf_counter() - t0
            assert r.status_code == 200, r.status_code
            from selection.overrides import apply_scenario
            from selection.pipeline import load_call_folder, run_call
            from selection.web.state import WhatIf, Workbench

            bench = Workbench(call)
            folder = load_call_folder(call)
            criteria = [c for cat in folder.catalogues.values() for c in cat.criterion_ids]
            rng = np.random.default_rng(14)
            vectors = [{c: round(float(w), 1) for c, w in zip(criteria, rng.uniform(1, 40, len(criteria)), strict=True)}
                       for _ in range(args.n)]
            web, engine = [], []
            for w in vectors:
                t0 = time.perf_counter()
                r = client.post("/api/whatif", json={"weights": w})
                web.append(time.perf_counter() - t0)
                assert r.status_code == 200, r.text
                scen = bench.scenario_from(WhatIf(w))
                t0 = time.perf_counter()
                c2, cats = apply_scenario(folder.call, folder.catalogues, scen)
                res = run_call(replace(folder, call=c2, catalogues=cats, scenario=scen))
                engine.append(time.perf_counter() - t0)
                assert [list(res.stages[s["number"]].outcome.selected) for s in r.json()["stages"]] == \
                    [s["selected"] for s in r.json()["stages"]]
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"server start-up (read, solve, check the call; before the address is printed): {startup:.2f} s")
    print(f"first page GET /: {first * 1000:.0f} ms   (target < 1000 ms)")
    print(f"what-if over HTTP, {args.n} random weight vectors: median {statistics.median(web) * 1000:.0f} ms, "
          f"p95 {p95(web) * 1000:.0f} ms   (target p95 < 300 ms)")
    print(f"baseline, the engine alone in-process:          median {statistics.median(engine) * 1000:.0f} ms, "
          f"p95 {p95(engine) * 1000:.0f} ms")
    print(f"ratio web / engine (p95): {p95(web) / p95(engine):.2f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
