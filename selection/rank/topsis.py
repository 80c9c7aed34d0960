"""TOPSIS: closeness to the ideal and distance from the anti-ideal application.

Reference: Hwang, C.-L. & Yoon, K. (1981). *Multiple Attribute Decision Making: Methods and
Applications*. Lecture Notes in Economics and Mathematical Systems 186. Springer, Berlin.
doi:10.1007/978-3-642-48318-9
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Literal

import numpy as np
import pandas as pd

from selection.errors import Problem, RankingError
from selection.rank._common import oriented, weight_matrix
from selection.rank.weighted import prepare, ranks_from_scores

__all__ = ["topsis", "topsis_kernel", "topsis_distances", "NORMALIZATIONS"]

NORMALIZATIONS = ("vector", "minmax")


def _normalise(x: np.ndarray, normalization: str) -> np.ndarray:
    if normalization == "vector":
        norm = np.sqrt((x * x).sum(axis=0))
        return x / np.where(norm > 0, norm, 1.0)  # an all-zero column stays zero
    if normalization == "minmax":
        lo, hi = x.min(axis=0), x.max(axis=0)
        span = hi - lo
        return (x - lo) / np.where(span > 0, span, 1.0)  # a constant column becomes zero
    raise ValueError(f"unknown TOPSIS normalization {normalization!r}; use one of {', '.join(NORMALIZATIONS)}")


def topsis_distances(x: np.ndarray, w: np.ndarray, *, directions=None,
                     normalization: str = "vector") -> tuple[np.ndarray, np.ndarray]:
    """Euclidean distances ``(D+, D-)`` of each application to the weighted ideal and anti-ideal.

    Shapes follow ``w``: (n_apps,) for one weight vector, (n_samples, n_apps) for many.
    With non-negative weights the weighted ideal is ``w_j * max_i r_ij``, so
    ``D+_i**2 = sum_j w_j**2 (r_ij - max_i r_ij)**2``: one matrix product scores every weight
    vector at once.
    """
    r = _normalise(oriented(x, directions), normalization)
    wm, single = weight_matrix(w)
    w2 = wm * wm
    d_plus = np.sqrt(w2 @ ((r - r.max(axis=0)) ** 2).T)
    d_minus = np.sqrt(w2 @ ((r - r.min(axis=0)) ** 2).T)
    if single:
        return d_plus[0], d_minus[0]
    return d_plus, d_minus


def topsis_kernel(x: np.ndarray, w: np.ndarray, *, directions=None,
                  normalization: str = "vector") -> np.ndarray:
    """Label-free TOPSIS: relative closeness ``C = D- / (D+ + D-)`` in [0, 1], higher = better.

    Parameters
    ----------
    x
        float64 (n_apps, n_criteria) scores.
    w
        Non-negative weights, (n_criteria,) or (n_samples, n_criteria). Closeness does not change
        when a weight vector is scaled.
    directions
        Optional boolean array (``True`` = benefit) or ``"benefit"``/``"cost"`` words; a cost
        criterion's ideal is its lowest score.
    normalization
        ``"vector"`` (Hwang & Yoon 1981: ``x_ij / sqrt(sum_i x_ij**2)``) or ``"minmax"``.

    Returns
    -------
    (n_apps,) or (n_samples, n_apps). When every application is both ideal and anti-ideal on
    every weighted criterion (all equal) the closeness is 0.5 for all.
    """
    d_plus, d_minus = topsis_distances(x, w, directions=directions, normalization=normalization)
    total = d_plus + d_minus
    with np.errstate(invalid="ignore", divide="ignore"):
        c = d_minus / total
    return np.where(total > 0, c, 0.5)


def topsis(table: pd.DataFrame, weights: Mapping[str, float], *,
           directions: Mapping[str, str] | None = None,
           normalization: Literal["vector", "minmax"] = "vector") -> pd.DataFrame:
    """Rank applications by TOPSIS (Technique for Order Preference by Similarity to Ideal Solution).

    Each criterion is normalised (vector normalisation by default, as in Hwang & Yoon 1981;
    ``normalization="minmax"`` scales each criterion to [0, 1]), weighted, and each application's
    Euclidean distances to the ideal (best on every criterion) and anti-ideal (worst on every
    criterion) are combined into the relative closeness ``C = D- / (D+ + D-)``. A criterion on
    which every application scores the same adds nothing to either distance. Equal closeness
    gives a shared rank; :func:`selection.rank.rank_applications` breaks such ties.

    Reference: Hwang, C.-L. & Yoon, K. (1981). *Multiple Attribute Decision Making: Methods and
    Applications*. Springer. doi:10.1007/978-3-642-48318-9

    Parameters
    ----------
    table
        Applications as index, criteria as columns, every cell a number.
    weights
        Criterion id -> weight (>= 0; normalised to sum 1).
    directions
        Criterion id -> ``"benefit"`` (default) or ``"cost"``.
    normalization
        ``"vector"`` or ``"minmax"``.

    Returns
    -------
    DataFrame with ``score`` (closeness, higher is better), ``rank`` (1 = best), ``d_plus`` and
    ``d_minus``.

    >>> t = pd.DataFrame({"a": [3.0, 4.0, 1.0], "b": [5.0, 1.0, 1.0]}, index=["X", "Y", "Z"])
    >>> topsis(t, {"a": 0.5, "b": 0.5})[["score", "rank"]].round(4)
        score  rank
    X  0.8150     1
    Y  0.4332     2
    Z  0.0000     3
    """
    if normalization not in NORMALIZATIONS:
        raise RankingError(Problem(f"unknown TOPSIS normalization {normalization!r}",
                                   hint=f"use one of {', '.join(NORMALIZATIONS)}"))
    x, w, mask = prepare(table, weights, directions)
    d_plus, d_minus = topsis_distances(x, w, directions=mask, normalization=normalization)
    c = topsis_kernel(x, w, directions=mask, normalization=normalization)
    return pd.DataFrame({"score": c, "rank": ranks_from_scores(np.round(c, 12)), "d_plus": d_plus, "d_minus": d_minus},
                        index=table.index)


# -- the ranking-method protocol (one entry in selection.ranking_methods) -------------------------

kernel = topsis_kernel


def method_scores(table: pd.DataFrame, weights: Mapping[str, float], *,
                  directions: Mapping[str, str] | None = None, **params: Any
                  ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """(closeness, closeness, no attrs) for :func:`selection.rank.rank_applications`."""
    own = topsis(table, weights, directions=directions, **params)["score"].to_numpy()
    return own, own, {}
