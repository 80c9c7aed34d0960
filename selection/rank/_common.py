"""Helpers shared by the label-free kernels: weight matrices and criterion directions."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

__all__ = ["DIRECTION_ALIASES", "benefit_mask", "direction_word", "oriented", "weight_matrix"]

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
