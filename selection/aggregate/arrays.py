"""The evaluation as a dense float64 cube (application x expert x criterion) and NaN-aware kernels.

Every computation of this package (aggregation, calibration, agreement, bootstrap) converts the
long evaluation table once with :func:`score_cube` and then works on label-free numpy arrays.
A cell is ``NaN`` when the expert did not score the application on that criterion (not assigned,
conflict of interest, or abstention).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from selection import evaluation as ev
from selection.errors import InputError, Problem

__all__ = ["PanelError", "ScoreCube", "score_cube", "aggregate_kernel", "expert_rows", "AGGREGATIONS"]

AGGREGATIONS = ("mean", "median", "trimmed_mean")


class PanelError(InputError):
    """Expert scores cannot be turned into panel scores as asked (unknown method, no scores, ...)."""


@dataclass(frozen=True)
class ScoreCube:
    """Scores as an array ``values[a, e, c]`` with the labels of each axis (sorted ids).

    ``criteria`` keeps the order it was given in (the catalogue's order).
    """

    applications: list[str]
    experts: list[str]
    criteria: list[str]
    values: np.ndarray

    @property
    def scored(self) -> np.ndarray:
        """``(A, E)`` bool: the expert gave the application at least one score."""
        return ~np.isnan(self.values).all(axis=2)


def score_cube(evaluation: pd.DataFrame, criteria: list[str] | None = None) -> ScoreCube:
    """Convert the long evaluation table into a :class:`ScoreCube`.

    Rows for criteria not in ``criteria`` are ignored; every application and expert in the table
    gets a slice even if all its scores are missing. Two scores for the same application, expert
    and criterion are an error naming the cells.

    >>> e = pd.DataFrame({"application_id": ["A", "A", "B"], "expert_id": ["x", "y", "x"],
    ...                   "criterion_id": ["c", "c", "c"], "score": [3.0, 4.0, 2.0]})
    >>> score_cube(e).values[:, :, 0].tolist()
    [[3.0, 4.0], [2.0, nan]]
    """
    missing = [c for c in (ev.APPLICATION, ev.EXPERT, ev.CRITERION, ev.SCORE) if c not in evaluation.columns]
    if missing:
        raise PanelError(Problem(f"the evaluation table has no column(s) {', '.join(missing)}",
                                 hint="pass the long score table of selection.evaluation"))
    if criteria is None:
        criteria = sorted(evaluation[ev.CRITERION].astype(str).unique())
    criteria = [str(c) for c in criteria]
    apps = sorted(evaluation[ev.APPLICATION].astype(str).unique())
    experts = sorted(evaluation[ev.EXPERT].astype(str).unique())
    rows = evaluation[evaluation[ev.CRITERION].astype(str).isin(criteria)]
    a = pd.Index(apps).get_indexer(rows[ev.APPLICATION].astype(str))
    e = pd.Index(experts).get_indexer(rows[ev.EXPERT].astype(str))
    c = pd.Index(criteria).get_indexer(rows[ev.CRITERION].astype(str))
    s = rows[ev.SCORE].to_numpy(dtype=np.float64)
    flat = (a * len(experts) + e) * len(criteria) + c
    uniq, counts = np.unique(flat, return_counts=True)
    if (counts > 1).any():
        dup = rows.iloc[np.nonzero(np.isin(flat, uniq[counts > 1]))[0]]
        problems = []
        for (ai, ei, ci), _ in dup.groupby([ev.APPLICATION, ev.EXPERT, ev.CRITERION], sort=True):
            problems.append(Problem(f"expert {ei} scored application {ai} on criterion {ci} more than once",
                                    hint="keep one score per expert, application and criterion"))
        raise PanelError(problems)
    values = np.full((len(apps), len(experts), len(criteria)), np.nan)
    values[a, e, c] = s
    return ScoreCube(apps, experts, criteria, values)


def expert_rows(values: np.ndarray) -> list[np.ndarray]:
    """Per expert ``e``, the sorted application indices ``a`` where ``values[a, e, :]`` holds a score.

    The cube is sparse (each application is scored by a few of many experts): per-expert loops
    gather ``values[rows[e], e, c]`` instead of scanning every application, and get the same
    values in the same (application) order as a boolean mask over the whole column.

    >>> v = np.full((3, 2, 1), np.nan); v[0, 1, 0] = v[2, 1, 0] = 1.0; v[1, 0, 0] = 2.0
    >>> [r.tolist() for r in expert_rows(v)]
    [[1], [0, 2]]
    """
    values = np.asarray(values)
    scored = ~np.isnan(values).all(axis=2) if values.shape[2] else np.zeros(values.shape[:2], dtype=bool)
    e, a = np.nonzero(scored.T)  # sorted by expert, then application
    cuts = np.searchsorted(e, np.arange(values.shape[1] + 1))
    return [a[cuts[i]:cuts[i + 1]] for i in range(values.shape[1])]


def aggregate_kernel(x: np.ndarray, method: str = "mean", trim: float = 0.1, axis: int = 1) -> np.ndarray:
    """Aggregate along ``axis`` ignoring ``NaN``: mean, median or trimmed mean.

    The trimmed mean cuts ``int(trim * n)`` values from each end of the ``n`` present values,
    as :func:`scipy.stats.trim_mean` does. A slice with no value gives ``NaN``.
    """
    if method not in AGGREGATIONS:
        raise PanelError(Problem(f"unknown aggregation {method!r}", hint=f"use one of {', '.join(AGGREGATIONS)}"))
    x = np.moveaxis(np.asarray(x, dtype=np.float64), axis, -1)
    present = ~np.isnan(x)
    k = present.sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "mean":
            return np.where(k > 0, np.where(present, x, 0.0).sum(axis=-1) / np.maximum(k, 1), np.nan)
        xs = np.sort(x, axis=-1)  # NaN sort last
        if method == "median":
            lo = np.take_along_axis(xs, np.maximum((k - 1) // 2, 0)[..., None], axis=-1)[..., 0]
            hi = np.take_along_axis(xs, np.maximum(k // 2, 0)[..., None], axis=-1)[..., 0]
            hi = np.where(k > 1, hi, lo)
            return np.where(k > 0, (lo + hi) / 2.0, np.nan)
        cut = np.floor(trim * k).astype(np.int64)
        cs = np.concatenate([np.zeros(xs.shape[:-1] + (1,)), np.cumsum(np.nan_to_num(xs), axis=-1)], axis=-1)
        upper = np.take_along_axis(cs, (k - cut)[..., None], axis=-1)[..., 0]
        lower = np.take_along_axis(cs, cut[..., None], axis=-1)[..., 0]
        return np.where(k > 0, (upper - lower) / np.maximum(k - 2 * cut, 1), np.nan)


def _exact_sums(filled: np.ndarray, slots: int) -> bool:
    """Whether every sum of at most ``slots`` draws of the values ``filled`` (each drawn value
    weighted by a whole count, any order of the additions) is exact in float64: all values are
    whole multiples of one power of two (scores on a whole, half- or quarter-point grid) small
    enough that no such sum needs more than 53 bits. Then each replicate's mean is the same double
    whichever way it is summed -- the matrix product's way, a table's, or numpy's pairwise sums."""
    if not np.isfinite(filled).all():
        return False
    top = float(np.abs(filled).max()) if filled.size else 0.0
    for bits in range(0, 31):
        scaled = filled * 2.0 ** bits  # exact: a power of two
        if top * 2.0 ** bits * max(slots, 1) >= 2.0 ** 53:
            return False
        if (scaled == np.floor(scaled)).all():
            return True
    return False
