"""One-at-a-time weight sweeps and stability intervals.

For a criterion ``j`` of a stage with given weights ``w0``, the sweep sets ``w_j = t`` and scales
the other weights proportionally so they sum to ``1 - t`` (``w_k = (1 - t) w0_k / (1 - w0_j)``;
equal shares when ``w0_j = 1``), for ``t`` on a grid over ``[0, 1]``. The **stability interval**
is the largest interval of ``t`` containing ``w0_j`` in which the selections of every stage stay
those at ``w0``; its ends are located by bisection between grid points to ``tol``. (The
one-at-a-time scheme and its limits are discussed in Saltelli, A. et al. (2008). *Global
Sensitivity Analysis: The Primer*. Wiley. doi:10.1002/9780470725184.)
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

__all__ = ["swept_weights", "stability_interval"]


def swept_weights(w0: np.ndarray, j: int, t: np.ndarray) -> np.ndarray:
    """Weight vectors with criterion ``j`` at each ``t`` and the others scaled to ``1 - t``.

    >>> swept_weights(np.array([0.5, 0.3, 0.2]), 0, np.array([0.0, 1.0])).round(3).tolist()
    [[0.0, 0.6, 0.4], [1.0, 0.0, 0.0]]
    """
    w0 = np.asarray(w0, dtype=np.float64)
    if len(w0) < 2:
        raise ValueError("a weight sweep needs at least two criteria (with one there is no weight to move)")
    t = np.atleast_1d(np.asarray(t, dtype=np.float64))
    rest = w0.copy()
    rest[j] = 0.0
    rest = rest / rest.sum() if rest.sum() > 0 else np.where(np.arange(len(w0)) == j, 0.0, 1.0 / (len(w0) - 1))
    out = (1.0 - t)[:, None] * rest[None, :]
    out[:, j] = t
    return out


def stability_interval(same: Callable[[float], bool], w0j: float, grid: np.ndarray, grid_same: np.ndarray,
                       *, tol: float = 1e-4) -> tuple[float, float]:
    """Ends of the interval around ``w0j`` where ``same(t)`` holds, refined by bisection.

    ``grid_same[i]`` is ``same(grid[i])`` (already computed along the sweep).
    """
    grid = np.asarray(grid, dtype=float)
    lo_i = np.searchsorted(grid, w0j, side="right") - 1  # grid[lo_i] <= w0j
    hi_i = lo_i + 1

    def refine(inside: float, outside: float) -> float:
        while abs(outside - inside) > tol:
            mid = 0.5 * (inside + outside)
            if same(mid):
                inside = mid
            else:
                outside = mid
        return inside

    lower = w0j
    i = lo_i
    while i >= 0 and grid_same[i]:
        lower = grid[i]
        i -= 1
    if i >= 0:
        lower = refine(lower, grid[i])
    upper = w0j
    i = hi_i
    while i < len(grid) and grid_same[i]:
        upper = grid[i]
        i += 1
    if i < len(grid):
        upper = refine(upper, grid[i])
    return float(lower), float(upper)
