"""VIKOR: the compromise ranking closest to the ideal (group utility S, individual regret R, Q).

Reference: Opricovic, S. & Tzeng, G.-H. (2004). Compromise solution by MCDM methods: A
comparative analysis of VIKOR and TOPSIS. *European Journal of Operational Research* 156(2),
445-455. doi:10.1016/S0377-2217(03)00020-1
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from selection.errors import Problem, RankingError
from selection.rank._common import oriented, weight_matrix
from selection.rank.weighted import prepare, ranks_from_scores

__all__ = ["vikor", "vikor_kernel", "vikor_components", "Compromise", "compromise"]


def _regrets(x: np.ndarray, directions) -> np.ndarray:
    """``(f*_j - f_ij) / (f*_j - f^-_j)`` per application and criterion; 0 on a constant criterion."""
    x = oriented(x, directions)
    best, worst = x.max(axis=0), x.min(axis=0)
    span = best - worst
    return (best - x) / np.where(span > 0, span, 1.0)


def _scaled(a: np.ndarray) -> np.ndarray:
    """``(a - min) / (max - min)`` along the last axis; 0 where every value is equal."""
    lo = a.min(axis=-1, keepdims=True)
    span = a.max(axis=-1, keepdims=True) - lo
    return (a - lo) / np.where(span > 0, span, 1.0)


def vikor_components(x: np.ndarray, w: np.ndarray, *, directions=None, v: float = 0.5
                     ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(S, R, Q)``, each shaped like the kernel's result (lower is better for all three).

    ``S_i = sum_j w_j d_ij`` (group utility), ``R_i = max_j w_j d_ij`` (individual regret) and
    ``Q_i = v (S_i - S*)/(S- - S*) + (1 - v)(R_i - R*)/(R- - R*)``, where ``d_ij`` is the
    normalised regret; a term whose spread is zero counts as 0. Weight rows are normalised to
    sum 1 (which changes S and R but never Q).
    """
    d = _regrets(x, directions)
    wm, single = weight_matrix(w)
    with np.errstate(invalid="ignore", divide="ignore"):
        wm = wm / wm.sum(axis=1, keepdims=True)
    s = wm @ d.T
    n, m = d.shape
    r = np.empty_like(s)
    chunk = max(1, 4_000_000 // max(1, n * m))  # bound the (chunk, n, m) temporary
    for start in range(0, wm.shape[0], chunk):
        blk = wm[start:start + chunk]
        r[start:start + chunk] = (blk[:, None, :] * d[None, :, :]).max(axis=2)
    q = v * _scaled(s) + (1.0 - v) * _scaled(r)
    if single:
        return s[0], r[0], q[0]
    return s, r, q


def vikor_kernel(x: np.ndarray, w: np.ndarray, *, directions=None, v: float = 0.5) -> np.ndarray:
    """Label-free VIKOR returning **-Q**, so that higher = better as for every kernel.

    Parameters
    ----------
    x
        float64 (n_apps, n_criteria) scores.
    w
        Non-negative weights, (n_criteria,) or (n_samples, n_criteria).
    directions
        Optional boolean array (``True`` = benefit) or ``"benefit"``/``"cost"`` words.
    v
        Weight of the strategy of maximum group utility (0 to 1; 0.5 = consensus).

    Returns
    -------
    ``-Q``, (n_apps,) or (n_samples, n_apps), in [-1, 0].
    """
    return -vikor_components(x, w, directions=directions, v=v)[2]


@dataclass(frozen=True)
class Compromise:
    """Opricovic & Tzeng's (2004) compromise conditions for the application ranked first by Q.

    ``acceptable_advantage`` (C1): ``Q(a2) - Q(a1) >= DQ`` with ``DQ = 1/(J - 1)``;
    ``acceptable_stability`` (C2): the first by Q is also first by S or by R. ``solutions`` is
    the compromise set: the first alone when both hold; the first two when only C2 fails; the
    first M with ``Q(aM) - Q(a1) < DQ`` when C1 fails.
    """

    acceptable_advantage: bool
    acceptable_stability: bool
    dq: float
    solutions: tuple[str, ...]


def compromise(ids: list[str], s: np.ndarray, r: np.ndarray, q: np.ndarray) -> Compromise:
    """The compromise conditions and set for one (S, R, Q) result (see :class:`Compromise`)."""
    order = np.argsort(q, kind="stable")
    j = len(ids)
    if j < 2:
        return Compromise(True, True, math.inf, tuple(ids))
    dq = 1.0 / (j - 1)
    first = order[0]
    c1 = bool(q[order[1]] - q[first] >= dq - 1e-12)
    c2 = bool(s[first] <= s.min() + 1e-12 or r[first] <= r.min() + 1e-12)
    if c1 and c2:
        sol = [first]
    elif c1:  # C2 fails
        sol = list(order[:2])
    else:  # C1 fails: all within DQ of the first
        sol = [i for i in order if q[i] - q[first] < dq - 1e-12]
    return Compromise(c1, c2, dq, tuple(ids[i] for i in sol))


def vikor(table: pd.DataFrame, weights: Mapping[str, float], *,
          directions: Mapping[str, str] | None = None, v: float = 0.5) -> pd.DataFrame:
    """Rank applications by VIKOR's compromise index Q (lower Q is better).

    Per criterion the best and worst scores define a normalised regret ``d_ij``; ``S`` is the
    weighted sum of regrets (group utility), ``R`` the largest weighted regret (individual
    regret), and ``Q`` mixes their normalised values with weight ``v``. A constant criterion
    gives no regret. Equal Q share a rank; :func:`selection.rank.rank_applications` breaks such
    ties. The compromise conditions (acceptable advantage C1, acceptable stability C2) and the
    compromise set are in ``result.attrs["compromise"]`` (a :class:`Compromise`) and in the
    column ``compromise`` (True for members of the compromise set).

    Reference: Opricovic, S. & Tzeng, G.-H. (2004). *EJOR* 156(2), 445-455.
    doi:10.1016/S0377-2217(03)00020-1

    Parameters
    ----------
    table
        Applications as index, criteria as columns, every cell a number.
    weights
        Criterion id -> weight (>= 0; normalised to sum 1).
    directions
        Criterion id -> ``"benefit"`` (default) or ``"cost"``.
    v
        Weight of the strategy of the majority of criteria, in [0, 1] (default 0.5).

    Returns
    -------
    DataFrame with ``score`` (= Q, lower is better), ``rank`` (1 = best, i.e. lowest Q), ``S``,
    ``R`` and ``compromise``.

    >>> t = pd.DataFrame({"a": [3.0, 4.0, 1.0], "b": [5.0, 1.0, 1.0]}, index=["X", "Y", "Z"])
    >>> vikor(t, {"a": 0.5, "b": 0.5})[["score", "rank"]]
       score  rank
    X    0.0     1
    Y    0.7     2
    Z    1.0     3
    """
    if not (isinstance(v, int | float) and 0.0 <= v <= 1.0):
        raise RankingError(Problem(f"VIKOR v is {v!r}", hint="use a number from 0 to 1 (0.5 = consensus)"))
    x, w, mask = prepare(table, weights, directions)
    s, r, q = vikor_components(x, w, directions=mask, v=float(v))
    ids = [str(i) for i in table.index]
    comp = compromise(ids, s, r, q)
    out = pd.DataFrame({"score": q, "rank": ranks_from_scores(np.round(q, 12), higher_is_better=False),
                        "S": s, "R": r, "compromise": [i in comp.solutions for i in ids]}, index=table.index)
    out.attrs["compromise"] = comp
    return out


# -- the ranking-method protocol (one entry in selection.ranking_methods) -------------------------

kernel = vikor_kernel


def method_scores(table: pd.DataFrame, weights: Mapping[str, float], *,
                  directions: Mapping[str, str] | None = None, **params: Any
                  ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """(1 - Q, Q, the compromise conditions) for :func:`selection.rank.rank_applications`."""
    res = vikor(table, weights, directions=directions, **params)
    q = res["score"].to_numpy()
    return 1.0 - q, q, {"compromise": res.attrs["compromise"]}
