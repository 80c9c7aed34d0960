"""Speed of the panel-score engine: 300 applications x 40 experts x 10 criteria.

Targets (issue #4): aggregation + calibration + agreement under 2 s; 2,000 bootstrap replicates
under 5 s. Each timing is printed with its ratio against a naive baseline measured in the same run:
a pandas ``groupby`` per criterion for the aggregation, and a pandas resample-and-groupby loop per
replicate for the bootstrap (timed on a few replicates and scaled to 2,000).

Run: ``.venv/bin/python benchmarks/bench_panel.py``
"""

from __future__ import annotations

import time
import warnings

import numpy as np
import pandas as pd

from selection import evaluation as ev
from selection.aggregate import analyse_panel, bootstrap_panels, rank_intervals
from selection.model import CriteriaCatalogue

A, E, C = 300, 40, 10
N_BOOT = 2000
GUIDE = {"low": "weak", "middle": "fair", "high": "excellent"}


def synthetic(per_app: int, seed: int = 0) -> tuple[pd.DataFrame, CriteriaCatalogue]:
    rng = np.random.default_rng(seed)
    quality = rng.normal(3, 0.8, (A, 1, C))
    lenient = rng.normal(0, 0.4, (1, E, 1))
    x = np.clip(np.round((quality + lenient + rng.normal(0, 0.6, (A, E, C))) * 2) / 2, 0, 5)
    mask = np.zeros((A, E), dtype=bool)
    for a in range(A):
        mask[a, rng.choice(E, per_app, replace=False)] = True
    ai, ei = np.nonzero(mask)
    rows = pd.DataFrame({
        ev.APPLICATION: np.repeat([f"A{i:03d}" for i in ai], C), ev.EXPERT: np.repeat([f"E{j:02d}" for j in ei], C),
        ev.CRITERION: np.tile([f"c{k}" for k in range(C)], len(ai)), ev.SCORE: x[ai, ei].reshape(-1),
        ev.ABSTAINED: False, ev.COMMENT: ""})
    cat = CriteriaCatalogue.model_validate({
        "schema_version": 1, "id": "bench", "name": "bench", "stage": 1,
        "criteria": [{"id": f"c{k}", "name_da": f"c{k}", "name_en": f"c{k}", "description": "-", "guide": GUIDE,
                      "group": "g", "weight": 1 + k % 3} for k in range(C)]})
    return rows, cat


def best_of(fn, repeat: int = 3) -> float:
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return min(times)


def naive_aggregation(e: pd.DataFrame) -> pd.DataFrame:
    return pd.DataFrame({c: g.groupby(ev.APPLICATION)[ev.SCORE].mean() for c, g in e.groupby(ev.CRITERION)})


def naive_bootstrap(e: pd.DataFrame, n_boot: int, rng: np.random.Generator) -> list[pd.DataFrame]:
    who = e.groupby(ev.APPLICATION)[ev.EXPERT].unique()
    indexed = e.set_index([ev.APPLICATION, ev.EXPERT])
    out = []
    for _ in range(n_boot):
        keys = [(a, x) for a, exps in who.items() for x in rng.choice(exps, len(exps), replace=True)]
        sample = indexed.loc[keys].reset_index()
        out.append(sample.groupby([ev.APPLICATION, ev.CRITERION])[ev.SCORE].mean().unstack())
    return out


def main() -> None:
    print(f"panel benchmark: {A} applications x {E} experts x {C} criteria, {N_BOOT} bootstrap replicates")
    for label, per_app in [("5 experts per application", 5), ("every expert scores every application", E)]:
        e, cat = synthetic(per_app)
        print(f"\n-- {label}: {len(e):,} scores")
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            t_full = best_of(lambda: analyse_panel(e, cat, calibration="additive", min_experts=3))  # noqa: B023
        t_naive = best_of(lambda: naive_aggregation(e))  # noqa: B023
        print(f"aggregation + calibration + agreement + divergence: {t_full:.3f} s (target < 2 s)"
              f"  | naive pandas groupby mean alone: {t_naive:.3f} s  | ratio {t_full / t_naive:.1f}x "
              f"(computes also calibration, agreement, leniency and divergence)")
        t_boot = best_of(lambda: bootstrap_panels(e, cat.criterion_ids, N_BOOT, np.random.default_rng(1)), 2)  # noqa: B023
        t_ri = best_of(lambda: rank_intervals(e, cat, N_BOOT, np.random.default_rng(1), top_k=20), 2)  # noqa: B023
        k = 5
        t_nb = best_of(lambda: naive_bootstrap(e, k, np.random.default_rng(1)), 1) * N_BOOT / k  # noqa: B023
        print(f"bootstrap_panels, {N_BOOT} replicates: {t_boot:.3f} s (target < 5 s)  | rank_intervals: {t_ri:.3f} s"
              f"  | naive pandas loop (timed on {k}, scaled): {t_nb:.1f} s  | speed-up {t_nb / t_boot:.0f}x")


if __name__ == "__main__":
    main()
