"""Sensitivity benchmarks: the fast exact re-selection path against the naive loop, and SMAA ranking.

Run: ``.venv/bin/python benchmarks/bench_sensitivity.py [--samples 10000] [--naive 60]``

1. Full two-stage re-selection for ``--samples`` uniform weight samples on a 60-application call
   with every rule of the example call (at most 8, budget, a floor per focus area, a rural floor,
   a cap per industry, one per lead organisation; stage 2: at most 5 of the 8, co-financing and
   total-budget caps, regional-share cap). The naive loop (rank with pandas, rebuild the pulp model,
   call CBC, per stage and sample) is timed on the first ``--naive`` samples of the same run and
   extrapolated per sample; the selections of those samples are checked to be identical.
2. Ranking-only SMAA acceptability, 100,000 samples x 200 applications: time and peak memory
   (tracemalloc), against a naive per-sample loop (numpy argsort per weight vector) timed on a
   subset and extrapolated.
"""

from __future__ import annotations

import argparse
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from selection.model import Application  # noqa: E402
from selection.pipeline import load_call_folder, run_call  # noqa: E402
from selection.sensitivity.engine import (  # noqa: E402
    Context,
    StageContext,
    build_context,
    select_samples,
    select_samples_naive,
)
from selection.sensitivity.sampling import sample_weights  # noqa: E402
from selection.sensitivity.smaa import rank_acceptability  # noqa: E402


def sixty_application_context(rng: np.random.Generator) -> Context:
    """The example call's rules with 60 applications (the 40 of the example and 20 variants)."""
    folder = load_call_folder(ROOT / "examples" / "kreative-partnerskaber")
    base = build_context(folder, run_call(folder))
    apps = dict(folder.applications)
    originals = list(folder.applications.values())
    for k in range(20):
        a = originals[k]
        data = a.model_dump()
        data.update(id=f"KP-V{k + 1:02d}", lead_organisation=f"{a.lead_organisation} (variant {k + 1})")
        apps[data["id"]] = Application.model_validate(data)
    ids = sorted(apps)
    stages = []
    for sc in base.stages:
        old = dict(zip(sc.ids, sc.scores, strict=True))
        rows = []
        for a in ids:
            if a in old:
                rows.append(old[a])
            else:  # a variant: its original's panel scores, perturbed, on the half-point grid
                src = old[originals[int(a[-2:]) - 1].id]
                rows.append(np.round(np.clip(src + rng.normal(0, 0.6, len(src)), 0, 5) * 2) / 2)
        x = np.array(rows)
        stages.append(StageContext(sc.stage, sc.catalogue, tuple(ids), x, sc.weights, sc.seed))
    return Context(apps, tuple(stages))


def bench_selection(n: int, n_naive: int, workers: int) -> None:
    rng = np.random.default_rng(2024)
    ctx = sixty_application_context(rng)
    weights = [sample_weights(n, sc.weights, rng, mode="simplex") for sc in ctx.stages]
    t0 = time.perf_counter()
    fast = select_samples(ctx, weights, workers=workers)
    t_fast = time.perf_counter() - t0
    sub = [w[:n_naive] for w in weights]
    t0 = time.perf_counter()
    naive = select_samples_naive(ctx, sub, solver="cbc")
    t_naive = time.perf_counter() - t0
    same = all((f is None and g is None) or (f is not None and g is not None and set(f) == set(g))
               for k in range(len(ctx.stages)) for f, g in zip(fast.selections[k][:n_naive], naive[k], strict=True))
    per_naive = t_naive / n_naive
    print(f"[1] two-stage re-selection, {len(ctx.stages[0].ids)} applications, {n} weight samples, "
          f"workers={workers}")
    print(f"    fast path            : {t_fast:8.2f} s   ({1e3 * t_fast / n:.3f} ms/sample)")
    print(f"    naive loop (pulp+CBC): {t_naive:8.2f} s for {n_naive} samples = {1e3 * per_naive:.1f} ms/sample "
          f"-> {per_naive * n:.0f} s extrapolated to {n}")
    print(f"    ratio naive/fast     : {per_naive * n / t_fast:8.1f} x   (target >= 30 x, fast < 15 s)")
    print(f"    identical selections on the {n_naive} compared samples: {same}")
    for k, st in enumerate(fast.stats):
        print(f"    stage {ctx.stages[k].stage.number} decided by: {st.as_dict()}")


def bench_acceptability(n: int, n_apps: int) -> None:
    rng = np.random.default_rng(7)
    x = np.round(rng.uniform(0, 5, (n_apps, 10)) * 2) / 2
    w0 = np.full(10, 0.1)
    tracemalloc.start()
    t0 = time.perf_counter()
    w = sample_weights(n, w0, rng, mode="simplex")
    acc = rank_acceptability(x, w)
    t_fast = time.perf_counter() - t0
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    m = 2000
    t0 = time.perf_counter()
    counts = np.zeros((n_apps, n_apps))
    for i in range(m):
        order = np.argsort(-(x @ w[i]), kind="stable")
        counts[order, np.arange(n_apps)] += 1
    t_naive = (time.perf_counter() - t0) / m * n
    print(f"[2] ranking-only acceptability, {n} samples x {n_apps} applications")
    print(f"    vectorised           : {t_fast:8.2f} s   peak memory {peak / 2**20:.0f} MiB "
          f"(targets < 3 s, < 1024 MiB)")
    print(f"    naive per-sample loop: {t_naive:8.2f} s (timed on {m} samples, extrapolated)")
    print(f"    ratio naive/fast     : {t_naive / t_fast:8.1f} x")
    assert np.allclose(acc.acceptability.sum(axis=1), 1.0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--samples", type=int, default=10_000)
    p.add_argument("--naive", type=int, default=60)
    p.add_argument("--workers", type=int, default=1)
    p.add_argument("--acceptability-samples", type=int, default=100_000)
    a = p.parse_args()
    bench_selection(a.samples, a.naive, a.workers)
    bench_acceptability(a.acceptability_samples, 200)


if __name__ == "__main__":
    main()
