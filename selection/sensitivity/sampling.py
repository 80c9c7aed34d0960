"""Weight samples for SMAA and the extreme points of the same weight sets for RPM.

Three kinds of weight information (Lahdelma, R. & Salminen, P. (2001). SMAA-2: Stochastic
multicriteria acceptability analysis for group decision making. *Operations Research* 49(3),
444-454. doi:10.1287/opre.49.3.444.11220):

* ``"simplex"`` — no information: uniform on the simplex ``{w >= 0, sum w = 1}`` (a Dirichlet(1)
  draw; Rubinstein, R. Y. (1982). Generating random vectors uniformly distributed inside and on
  the surface of different regions. *EJOR* 10(2), 205-209. doi:10.1016/0377-2217(82)90161-8);
* ``"interval"`` — each weight within ``±x`` (relative) of the given weight: uniform on the
  polytope ``{w in simplex, (1-x) w0_j <= w_j <= (1+x) w0_j}``, drawn exactly as
  ``w = l + (1 - sum l) s`` with ``s`` Dirichlet(1), rejecting draws above an upper bound;
* ``"ordinal"`` — only the order of the criteria is known (by the given weights, ties in
  catalogue order): uniform on ``{w_1 >= w_2 >= ... >= w_n}``, a sorted Dirichlet(1) draw.

All randomness comes from the passed :class:`numpy.random.Generator`.
"""

from __future__ import annotations

import itertools

import numpy as np

from selection.errors import Problem, WeightError

__all__ = ["WEIGHT_MODES", "sample_weights", "extreme_weights", "ordinal_order"]

WEIGHT_MODES = ("simplex", "interval", "ordinal")


def ordinal_order(w0: np.ndarray) -> np.ndarray:
    """Criterion indices from the heaviest to the lightest (ties in the given order)."""
    return np.argsort(-np.asarray(w0, dtype=float), kind="stable")


def _check(mode: str, w0: np.ndarray, spread: float) -> np.ndarray:
    w0 = np.asarray(w0, dtype=np.float64)
    if mode not in WEIGHT_MODES:
        raise WeightError(Problem(f"unknown weight sampling {mode!r}", hint=f"use one of {', '.join(WEIGHT_MODES)}"))
    if w0.ndim != 1 or len(w0) == 0 or np.any(w0 < 0) or not np.isfinite(w0).all() or w0.sum() <= 0:
        raise WeightError(Problem("the given weights must be finite, >= 0 and not all zero"))
    if mode == "interval" and not (0 < spread < 1):
        raise WeightError(Problem(f"the weight spread is {spread}; use a share between 0 and 1 (0.2 = ±20 %)"))
    return w0 / w0.sum()


def sample_weights(n: int, w0, rng: np.random.Generator, *, mode: str = "simplex",
                   spread: float = 0.2) -> np.ndarray:
    """``n`` weight vectors (rows summing to 1) of the chosen kind; see the module notes.

    >>> w = sample_weights(5, [0.5, 0.3, 0.2], np.random.default_rng(1), mode="ordinal")
    >>> bool(np.all(w[:, 0] >= w[:, 1])), bool(np.all(w[:, 1] >= w[:, 2])), np.allclose(w.sum(1), 1)
    (True, True, True)
    """
    w0 = _check(mode, w0, spread)
    c = len(w0)
    if n < 0:
        raise WeightError(Problem(f"the number of samples is {n}; use 0 or more"))
    if mode == "simplex":
        return rng.dirichlet(np.ones(c), size=n)
    if mode == "ordinal":
        s = -np.sort(-rng.dirichlet(np.ones(c), size=n), axis=1)
        out = np.empty_like(s)
        out[:, ordinal_order(w0)] = s
        return out
    lo, hi = w0 * (1 - spread), np.minimum(w0 * (1 + spread), 1.0)
    free = 1.0 - lo.sum()
    out = np.empty((n, c))
    filled, drawn, limit = 0, 0, 1000 * n + 100_000
    while filled < n:
        if drawn > limit:
            raise WeightError(Problem(
                f"the ±{spread:.0%} weight intervals leave too small a share of the simplex to sample "
                f"exactly (fewer than 1 in 1000 draws fit)",
                hint="widen --spread, or use --weights ordinal or simplex"))
        batch = max(64, 4 * (n - filled))
        drawn += batch
        w = lo + free * rng.dirichlet(np.ones(c), size=batch)
        ok = w[np.all(w <= hi + 1e-15, axis=1)]
        take = min(len(ok), n - filled)
        out[filled:filled + take] = ok[:take]
        filled += take
    return out


def extreme_weights(w0, *, mode: str = "simplex", spread: float = 0.2) -> np.ndarray:
    """The extreme points of the weight set (rows), as RPM's dominance check needs them.

    ``simplex``: the unit vectors; ``ordinal``: ``(1/k, ..., 1/k, 0, ..., 0)`` in criterion order;
    ``interval``: the vertices of the box-cut simplex (``c - 1`` coordinates at a bound).

    >>> extreme_weights([0.5, 0.5], mode="interval", spread=0.2).round(3).tolist()
    [[0.4, 0.6], [0.6, 0.4]]
    """
    w0 = _check(mode, w0, spread)
    c = len(w0)
    if mode == "simplex":
        return np.eye(c)
    if mode == "ordinal":
        out = np.zeros((c, c))
        order = ordinal_order(w0)
        for k in range(1, c + 1):
            out[k - 1, order[:k]] = 1.0 / k
        return out
    lo, hi = w0 * (1 - spread), np.minimum(w0 * (1 + spread), 1.0)
    pts = set()
    for free in range(c):
        others = [j for j in range(c) if j != free]
        for bits in itertools.product((0, 1), repeat=c - 1):
            w = np.empty(c)
            for j, b in zip(others, bits, strict=True):
                w[j] = hi[j] if b else lo[j]
            w[free] = 1.0 - w[others].sum()
            if lo[free] - 1e-12 <= w[free] <= hi[free] + 1e-12:
                pts.add(tuple(np.round(w, 12)))
    return np.array(sorted(pts))
