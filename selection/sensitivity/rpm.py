"""Robust portfolio modelling (RPM): non-dominated selections and core indices.

Liesiö, J., Mild, P. & Salo, A. (2007). Preference programming for robust portfolio modeling and
project selection. *European Journal of Operational Research* 181(3), 1488-1505.
doi:10.1016/j.ejor.2006.06.049

Under incomplete weight information (a convex set of weights: the simplex, intervals around the
given weights, or an order of the criteria; see :mod:`selection.sensitivity.sampling`), a
feasible selection is *non-dominated* when no other feasible selection is at least as good for
every admissible weight and better for one. Checking the extreme points of the weight set is
enough, because the total value is linear in the weights. The **core index** of an application
is the share of non-dominated selections that contain it: **core** (1: in every one — choose
it whatever the weights), **exterior** (0: in none — safe to reject), otherwise **borderline**.

The enumeration is exact (:func:`selection.select.fast.nondominated_selections`) and meant for
calls of up to about 60 applications; eligibility (thresholds) is taken at the given weights.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from selection.select.fast import nondominated_selections
from selection.sensitivity.sampling import extreme_weights

__all__ = ["RpmResult", "core_index", "core_labels"]


@dataclass(frozen=True)
class RpmResult:
    selections: list[tuple[str, ...]]
    table: pd.DataFrame  #: application_id, core_index, core_label, n_nondominated
    truncated: bool


def core_labels(index: np.ndarray) -> list[str]:
    """``core`` (1), ``exterior`` (0) or ``borderline`` for each core index.

    >>> core_labels(np.array([1.0, 0.4, 0.0]))
    ['core', 'borderline', 'exterior']
    """
    return ["core" if c >= 1 - 1e-12 else "exterior" if c <= 1e-12 else "borderline" for c in index]


def core_index(stage, applications, ids, excluded, scores: np.ndarray, w0, *, mode: str = "interval",
               spread: float = 0.2, max_count: int = 2000, progress=None) -> RpmResult:
    """Non-dominated selections of one stage and each application's core index.

    Parameters
    ----------
    stage, applications
        The stage's rules and every application.
    ids, scores
        The candidates and their panel scores (len(ids), n_criteria), benefit direction.
    excluded
        Candidates that may not be selected (id -> reason).
    w0, mode, spread
        The weight information (see :func:`~selection.sensitivity.sampling.extreme_weights`).
    progress
        Optional, called with the number of non-dominated selections found so far.
    """
    ext = extreme_weights(w0, mode=mode, spread=spread)
    values = np.round(ext @ np.asarray(scores, dtype=np.float64).T, 12)
    sels, truncated = nondominated_selections(stage, applications, list(ids), excluded, values, max_count=max_count,
                                              progress=progress)
    counts = np.zeros(len(ids))
    pos = {a: i for i, a in enumerate(ids)}
    for s in sels:
        for a in s:
            counts[pos[a]] += 1
    idx = counts / max(len(sels), 1)
    table = pd.DataFrame({"application_id": list(ids), "core_index": idx, "core_label": core_labels(idx),
                          "n_nondominated": len(sels)})
    return RpmResult(sels, table, truncated)
