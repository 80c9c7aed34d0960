"""Helpers shared by the label-free kernels: weight matrices and criterion directions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["DIRECTION_ALIASES", "benefit_mask", "competition_ranks", "direction_word", "oriented", "ranks_by_counting",
           "ranks_of_keys", "reflect_costs", "weight_matrix"]

#: scikit-criteria's direction words, accepted beside ours: ``"max"`` = benefit, ``"min"`` = cost.
DIRECTION_ALIASES = {"max": "benefit", "min": "cost"}


def direction_word(d: object) -> object:
    """``"benefit"``/``"cost"`` for ``"max"``/``"min"``; anything else unchanged (checked by the caller)."""
    return DIRECTION_ALIASES.get(d, d) if isinstance(d, str) else d


def benefit_mask(directions: Sequence[bool] | Sequence[str] | np.ndarray | None, m: int) -> np.ndarray:
    """Boolean mask, ``True`` where a criterion is a benefit (higher is better).

    ``directions`` is ``None`` (all benefit), a boolean array (``True`` = benefit, ``False`` =
    cost) or a sequence of the words ``"benefit"``/``"cost"``, or their aliases ``"max"``/``"min"``
    (scikit-criteria's convention).

    >>> benefit_mask(["benefit", "cost"], 2)
    array([ True, False])
    >>> benefit_mask(["min", "max"], 2)
    array([False,  True])
    """
    if directions is None:
        return np.ones(m, dtype=bool)
    d = np.asarray(directions)
    if d.dtype.kind in "UO":
        words = [DIRECTION_ALIASES.get(v, v) if isinstance(v, str) else v for v in d.tolist()]
        bad = sorted({str(v) for v in words if v not in ("benefit", "cost")})
        if bad:
            raise ValueError(f"directions must be 'benefit' or 'cost' (or 'max'/'min'), found {', '.join(bad)}")
        d = np.array([v == "benefit" for v in words], dtype=bool)
    d = d.astype(bool)
    if d.shape != (m,):
        raise ValueError(f"directions has shape {d.shape}; expected ({m},)")
    return d


def oriented(x: np.ndarray, directions=None) -> np.ndarray:
    """``x`` as float64 with cost columns negated, so that higher is better everywhere.

    Negation is exact for every method whose result depends only on differences or on
    sign-symmetric norms (TOPSIS, PROMETHEE, VIKOR). The input is never modified.
    """
    x = np.asarray(x, dtype=np.float64)
    if directions is None:
        return x
    mask = benefit_mask(directions, x.shape[1])
    if mask.all():
        return x
    return np.where(mask, x, -x)


def weight_matrix(w) -> tuple[np.ndarray, bool]:
    """Weights as a (n_samples, n_criteria) float64 array, and whether the input was one vector."""
    w = np.asarray(w, dtype=np.float64)
    if w.ndim == 1:
        return w[None, :], True
    if w.ndim != 2:
        raise ValueError(f"weights must have shape (n_criteria,) or (n_samples, n_criteria), not {w.shape}")
    return w, False



def reflect_costs(x: np.ndarray, directions: Sequence[bool] | Sequence[str] | np.ndarray | None) -> np.ndarray:
    """``x`` (..., n_apps, n_criteria) as float64 with each cost column reflected over the
    applications, ``max + min - x``, so that higher is better and the column stays on its scale.

    The one definition of the cost-criterion flip: the weighted sum, the expert bootstrap and
    the sensitivity analysis all use it, so the fast paths stay exact. Leading axes (bootstrap
    replicates) are reflected each over its own applications. The input is never modified.

    >>> reflect_costs(np.array([[1.0, 5.0], [3.0, 2.0]]), ["benefit", "cost"]).tolist()
    [[1.0, 2.0], [3.0, 5.0]]
    """
    x = np.asarray(x, dtype=np.float64)
    if directions is None:
        return x
    mask = benefit_mask(directions, x.shape[-1])
    if mask.all():
        return x
    return np.where(mask, x, x.max(axis=-2, keepdims=True) + x.min(axis=-2, keepdims=True) - x)


def competition_ranks(scores: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """Competition ranks along the last axis (1 = best; equal scores share the best rank: 1, 2, 2, 4).

    The one definition of ranks from scores (the ranking's ``tied_rank``, every method's ``rank``,
    bootstrap and sensitivity ranks). Vectorised over leading axes. Scores are rounded to 12
    decimals first, as the ranking does, so float noise does not split true ties.

    >>> competition_ranks(np.array([[3.0, 5.0, 3.0, 1.0]])).tolist()
    [[2, 1, 2, 4]]
    >>> competition_ranks(np.array([0.2, 0.1, 0.2]), higher_is_better=False).tolist()
    [2, 1, 2]
    """
    s = np.round(np.asarray(scores, dtype=np.float64), 12)
    key = -s if higher_is_better else s
    # NaN keys are not equal to each other and each takes its own position: their order is the stable one
    return ranks_of_keys(key, stable=bool(np.isnan(key).any()))


#: Largest number of key values per key of a row that :func:`ranks_of_keys` ranks by counting.
COUNT_SPAN = 4


def ranks_by_counting(key: np.ndarray, span: int, *, dtype: type = np.int64) -> np.ndarray:
    """:func:`ranks_of_keys` of integer keys ``0 <= key < span`` along the last axis, by counting:
    each row's histogram of keys (``rows x span`` bins, one ``np.bincount``), the number of keys
    before each bin (a running sum; minus the keys of the rows before, it is the number of smaller
    keys of the bin's own row), one gather. No sort; ``O(size + rows * span)``. The ranks are of
    type ``dtype`` (it must hold the row length).

    >>> ranks_by_counting(np.array([[2, 0, 2, 3], [1, 1, 0, 1]]), 4).tolist()
    [[2, 1, 2, 4], [2, 2, 1, 2]]
    """
    n = key.shape[-1] if key.ndim else 1
    rows = key.size // max(n, 1)
    if key.size == 0:
        return np.zeros(key.shape, dtype=dtype)
    # row r's keys at r * span + key (np.bincount counts intp indexes)
    flat = np.add(key.reshape(rows, n), np.arange(0, rows * span, span, dtype=np.int64)[:, None], dtype=np.int64)
    counts = np.bincount(flat.reshape(-1), minlength=rows * span)
    rank = np.cumsum(counts)
    rank -= counts  # keys before each bin, over all rows
    rank -= np.repeat(np.arange(0, rows * n, n, dtype=np.int64) - 1, span)  # 1 + smaller keys of its row
    return np.take(rank.astype(dtype, copy=False), flat).reshape(key.shape)


def ranks_of_keys(key: np.ndarray, *, stable: bool = False) -> np.ndarray:
    """Competition ranks along the last axis of sort keys, the lowest key ranked 1 (equal keys share
    the best rank): :func:`competition_ranks` after its rounding, for keys of any ordered type. Keys
    that keep the order and the ties of the rounded scores (e.g. small integers numbering their
    distinct values) give the same ranks; ``stable`` sorts stably (needed only for NaN keys).

    Integer keys of a small range (at most :data:`COUNT_SPAN` times as many possible values per row
    as a row has keys, e.g. the bootstrap's numbered totals) are ranked by counting, without a sort
    (:func:`ranks_by_counting`).

    >>> ranks_of_keys(np.array([[2, 0, 2, 5]])).tolist()
    [[2, 1, 2, 4]]
    >>> ranks_of_keys(np.array([[0.5, -1.0, 0.5]])).tolist()
    [[2, 1, 2]]
    """
    key = np.asarray(key)
    if key.dtype.kind in "iu" and key.ndim >= 1 and key.size:
        lo, hi = int(key.min()), int(key.max())
        rows = key.size // key.shape[-1]
        if (hi - lo + 1) * rows <= COUNT_SPAN * key.size:
            shifted = np.subtract(key, lo, dtype=np.uint64 if key.dtype == np.uint64 else np.int64)
            return ranks_by_counting(shifted.astype(np.int64, copy=False), hi - lo + 1)
    # equal keys share their rank whatever their order, so any sort gives the same ranks (numpy's
    # default sort is ~4x the stable one on 1,000 x 20,000 bootstrap totals)
    order = np.argsort(key, axis=-1, kind="stable" if stable else None)
    ss = np.sort(key, axis=-1)  # = key in that order (equal keys are equal values); cheaper than gathering
    first = np.ones(ss.shape, dtype=bool)
    first[..., 1:] = ss[..., 1:] != ss[..., :-1]
    n = key.shape[-1] if key.ndim else 0
    if n:
        # each element's rank is 1 + the sorted position where its group of equal keys starts: the
        # running maximum of the group starts' positions (each row's first key starts a group), placed
        # back through the sort order by one flat scatter (np.put_along_axis builds index grids)
        start = np.where(first, np.arange(1, n + 1), 0)
        np.maximum.accumulate(start, axis=-1, out=start)
        rows = key.size // n
        at = order.reshape(rows, n)
        at += np.arange(0, rows * n, n)[:, None]
        ranks = np.empty(key.shape, dtype=np.int64)
        ranks.reshape(-1)[at.reshape(-1)] = start.reshape(-1)
        return ranks
    # (no key, or one without an axis) each group's start repeated over the group
    starts = np.flatnonzero(first)
    sizes = np.diff(starts, append=first.size)
    start = np.repeat(starts % max(key.shape[-1], 1) + 1, sizes).reshape(ss.shape)
    ranks = np.empty(key.shape, dtype=np.int64)
    np.put_along_axis(ranks, order, start, axis=-1)
    return ranks
