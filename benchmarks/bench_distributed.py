"""Sensitivity's sample shards on Dask distributed against the same samples in one process.

Run: ``.venv/bin/python benchmarks/bench_distributed.py [--n 200] [--samples 10000] [--workers 2]``

On a generated call of ``--n`` applications (``benchmarks/callgen.py``, every rule of the example),
the full two-stage re-selection of ``--samples`` weight samples is timed three ways in the same
run: **one process** (``select_samples(workers=1)``, the baseline), the process pool
(``select_samples(workers=W)``) and a Dask ``LocalCluster`` of ``W`` single-threaded worker
processes (``--scheduler local``; its start-up and a warm-up shard — imports on the workers, the
context sent — timed apart). It prints wall and CPU seconds (this
process; the workers' CPU from the workers themselves), the load average beside each, the ratios
against the baseline, and checks that all three give the same selection for every sample.

There is no speed target for Dask in the issue: on one machine it should cost little more than the
process pool; its point is more machines. The shards' overhead (sending the context and the shards,
scheduling) is what this measures.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from callgen import write_call  # noqa: E402

from selection.pipeline import load_call_folder, run_call  # noqa: E402
from selection.sensitivity.distributed import connect  # noqa: E402
from selection.sensitivity.engine import build_context, select_samples  # noqa: E402
from selection.sensitivity.sampling import sample_weights  # noqa: E402


def _load() -> str:
    return " ".join(f"{x:.1f}" for x in os.getloadavg())


def _timed(label: str, fn):
    la = _load()
    w0, c0 = time.perf_counter(), time.process_time()
    out = fn()
    wall, cpu = time.perf_counter() - w0, time.process_time() - c0
    print(f"  {label:<34} wall {wall:7.2f} s   CPU here {cpu:7.2f} s   load {la}")
    return out, wall


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--n", type=int, default=200)
    ap.add_argument("--samples", type=int, default=10_000)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-distributed-") as tmp:
        folder = load_call_folder(write_call(Path(tmp) / "call", args.n))
        ctx = build_context(folder, run_call(folder))
    rng = np.random.default_rng(12)
    W = [sample_weights(args.samples, sc.weights, rng) for sc in ctx.stages]
    print(f"N = {args.n}, {args.samples} weight samples, two stages, {args.workers} workers; cores {os.cpu_count()}")
    one, t1 = _timed("one process (baseline)", lambda: select_samples(ctx, W, workers=1))
    pool, tp = _timed(f"process pool, {args.workers} workers", lambda: select_samples(ctx, W, workers=args.workers))
    start = time.perf_counter()
    with connect("local", args.workers) as shards:
        print(f"  {'Dask LocalCluster start-up':<34} wall {time.perf_counter() - start:7.2f} s   load {_load()}")
        shards.select_samples(ctx, [w[:2 * args.workers] for w in W])  # warm-up: imports, context sent
        before = shards.client.run(time.process_time)
        dask, td = _timed(f"Dask LocalCluster, {args.workers} workers", lambda: shards.select_samples(ctx, W))
        after = shards.client.run(time.process_time)
        worker_cpu = sum(after[w] - before.get(w, 0.0) for w in after)
        print(f"  {'':<34} CPU on the workers {worker_cpu:7.2f} s")
    same = one.selections == pool.selections == dask.selections
    print(f"same selection for every sample and stage (one process, pool, Dask): {same}")
    print(f"ratios of wall time against one process: pool {t1 / tp:.2f}x, Dask {t1 / td:.2f}x; "
          f"Dask against the pool {tp / td:.2f}x")
    if not same:
        raise SystemExit("the selections differ")


if __name__ == "__main__":
    main()
