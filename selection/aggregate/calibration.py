"""Calibrating expert leniency: per-expert z-scores and an additive expert-effect model.

Some experts score high across the board (lenient), some low (severe). When each application is
scored by a different subset of experts, that alone can move it up or down the ranking. Two
corrections are offered, each producing *adjusted expert scores* that are then aggregated with the
stage's method (mean, median, trimmed mean):

``zscore``
    Per expert and criterion, the expert's scores are standardised (``(x - m_e) / s_e``) and mapped
    back onto the scale with the mean and standard deviation of all scores on that criterion.
    Assumes every expert saw a comparable mix of applications.

``additive``
    ``score[a, e] = application effect[a] + expert effect[e] + noise``, fitted per criterion (or
    on the weighted total) by least squares over the expert-application design with a ridge
    penalty ``ridge * sum(effect_e^2)`` that shrinks the leniency of experts with few scores
    towards zero. The adjusted score is ``score - expert effect``; the mean of an application's
    adjusted scores is exactly its fitted application effect. Expert effects sum to zero. The model
    needs a *connected* design (experts and applications linked through shared scores); otherwise
    each island has its own level and the islands are named, and the raw scores are kept with a
    :class:`CalibrationWarning`, as they are when the data are too thin (no residual degrees of
    freedom).

References
----------
Johnson, V. E. (2008). Statistical analysis of the National Institutes of Health peer review
system. *PNAS* 105(32), 11076-11080. doi:10.1073/pnas.0804538105

Roos, M., Rothe, J., & Scheuermann, B. (2011). How to calibrate the scores of biased reviewers by
quadratic programming. *Proceedings of the Twenty-Fifth AAAI Conference on Artificial
Intelligence*, 255-260 (the additive reviewer-bias model for conference reviewing).

Eccleston, J. A., & Hedayat, A. (1974). On the theory of connected designs: characterization and
optimality. *The Annals of Statistics* 2(6), 1238-1255. doi:10.1214/aos/1176342876

Hoerl, A. E., & Kennard, R. W. (1970). Ridge regression: biased estimation for nonorthogonal
problems. *Technometrics* 12(1), 55-67. doi:10.1080/00401706.1970.10488634
"""

from __future__ import annotations

import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from selection import evaluation as ev
from selection.aggregate.arrays import PanelError, ScoreCube, _exact_sums, expert_rows, score_cube
from selection.aggregate.sums import column_sums, cube_cells, pairwise_sums
from selection.errors import Problem
from selection.schema import LENIENCY_BAND

__all__ = ["CALIBRATIONS", "CalibrationWarning", "Calibration", "islands", "fit_additive", "calibrate_cube",
           "leniency_table",
           "calibrate_evaluation", "calibration_warnings_silenced", "warn_calibration", "LENIENCY_COLUMNS", "leniency_interval", "leniency_label"]

CALIBRATIONS = ("none", "zscore", "additive")
LENIENCY_COLUMNS = ["expert_id", "criterion_id", "n_scores", "mean_score", "mean_deviation", "leniency",
                    "spread_ratio", "note", "leniency_low", "leniency_high", "label"]

_Z95 = 1.959963984540054  # two-sided 95 % normal quantile


def leniency_interval(leniency: float, deviations: np.ndarray) -> tuple[float, float]:
    """Approximate 95 % interval of an expert's leniency: ``leniency ± 1.96 · se``, with ``se`` the
    standard error of the expert's deviations from their co-experts on the same applications
    (Wald interval; the normal-based confidence interval of Wasserman 2004, *All of Statistics*,
    ch. 6, doi:10.1007/978-0-387-21736-9); ``(nan, nan)`` with fewer than two deviations."""
    d = np.asarray(deviations, dtype=np.float64)
    d = d[np.isfinite(d)]
    if d.size < 2 or not np.isfinite(leniency):
        return float("nan"), float("nan")
    se = float(d.std(ddof=1) / np.sqrt(d.size))
    return leniency - _Z95 * se, leniency + _Z95 * se


def leniency_label(leniency: float, low: float, high: float, band: float = LENIENCY_BAND) -> str:
    """The one leniency label: ``"lenient"`` / ``"severe"`` only when the leniency lies beyond
    ±``band`` score points and its 95 % interval excludes zero, ``"in_line"`` otherwise, ``""``
    when there is no leniency or no interval (too little data).

    >>> leniency_label(0.4, 0.1, 0.7), leniency_label(0.4, -0.1, 0.9), leniency_label(0.02, 0.01, 0.03)
    ('lenient', 'in_line', 'in_line')
    >>> leniency_label(-0.3, -0.5, -0.1), leniency_label(0.4, float("nan"), float("nan"))
    ('severe', '')
    """
    if not (np.isfinite(leniency) and np.isfinite(low) and np.isfinite(high)):
        return ""
    if leniency > band and low > 0:
        return "lenient"
    if leniency < -band and high < 0:
        return "severe"
    return "in_line"


class CalibrationWarning(UserWarning):
    """A calibration could not be applied as asked (disconnected design, too few scores)."""


@dataclass(frozen=True)
class Calibration:
    """Adjusted expert scores and each expert's estimated leniency.

    Attributes
    ----------
    method
        ``"none"``, ``"zscore"`` or ``"additive"``.
    values
        Adjusted scores ``(A, E, C)``, ``NaN`` where the raw score is missing.
    effects
        ``(E, C)`` additive expert effects (leniency, in scale points; 0 when not fitted).
    notes
        Plain-words warnings (also issued as :class:`CalibrationWarning`).
    """

    method: str
    cube: ScoreCube
    values: np.ndarray
    effects: np.ndarray
    notes: list[str] = field(default_factory=list)


def islands(mask: np.ndarray, applications: list[str], experts: list[str]) -> list[tuple[list[str], list[str]]]:
    """Connected components of the expert-application design ``mask[a, e]`` (``True`` = scored).

    Returns a list of ``(experts, applications)``, largest first; applications and experts with no
    score are left out. One component means the design is connected: every two experts' leniencies
    can be compared through chains of shared applications.

    >>> m = np.array([[1, 1, 0], [0, 1, 0], [0, 0, 1]], dtype=bool)
    >>> islands(m, ["A", "B", "C"], ["x", "y", "z"])
    [(['x', 'y'], ['A', 'B']), (['z'], ['C'])]
    """
    A, E = mask.shape
    a, e = np.nonzero(mask)
    labels = _components(A + E, a, A + e)
    used = np.r_[mask.any(axis=1), mask.any(axis=0)]
    out = []
    for lab in np.unique(labels[used]):
        members = np.nonzero((labels == lab) & used)[0]
        out.append(([experts[i - A] for i in members if i >= A], [applications[i] for i in members if i < A]))
    out.sort(key=lambda t: (-(len(t[0]) + len(t[1])), t[0], t[1]))
    return out


def _components(n: int, u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """A label per node of the undirected graph on nodes ``0..n-1`` with edges ``(u[i], v[i])``, the
    same for two nodes exactly when a path joins them (the component's smallest node).

    Roots hook onto the smallest root across their edges, then every node jumps to its root, until no
    edge joins two roots: each round merges every component that has an edge into another, so at most
    about ``log2 n`` rounds (hooking and pointer jumping; Shiloach & Vishkin 1982,
    doi:10.1016/0196-6774(82)90008-6). numpy only: ``scipy.sparse.csgraph`` (the reference in the
    tests) costs 0.2 s to import in a run's main process.

    >>> _components(5, np.array([0, 3]), np.array([1, 4])).tolist()
    [0, 0, 2, 3, 3]
    """
    parent = np.arange(n)
    u, v = np.asarray(u, dtype=np.intp), np.asarray(v, dtype=np.intp)
    while True:
        pu, pv = parent[u], parent[v]  # roots: every node points at a root here
        differ = pu != pv
        if not differ.any():
            return parent
        np.minimum.at(parent, np.maximum(pu, pv)[differ], np.minimum(pu, pv)[differ])
        while True:
            up = parent[parent]
            if np.array_equal(up, parent):
                break
            parent = up


@dataclass(frozen=True)
class _Design:
    """What :func:`fit_additive` derives from the scored cells alone (not from the scores): criteria
    scored on the same cells share it -- one ``A x E`` information-matrix product per distinct design
    instead of one per criterion (the same arrays, so the same fit, bit for bit)."""

    mask: np.ndarray
    m: np.ndarray
    n_a: np.ndarray
    n_e: np.ndarray
    inv_na: np.ndarray
    L: np.ndarray

    @classmethod
    def of(cls, mask: np.ndarray) -> _Design:
        m = mask.astype(np.float64)
        n_a = m.sum(axis=1)
        n_e = m.sum(axis=0)
        inv_na = np.where(n_a > 0, 1.0 / np.maximum(n_a, 1), 0.0)
        L = np.diag(n_e) - (m * inv_na[:, None]).T @ m
        return cls(mask, m, n_a, n_e, inv_na, L)


def fit_additive(x: np.ndarray, ridge: float = 1.0, *, design: _Design | None = None
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Fit ``x[a, e] = alpha[a] + beta[e] + noise`` on the present cells by penalised least squares.

    Minimises ``sum (x - alpha_a - beta_e)^2 + ridge * sum beta_e^2``. Eliminating ``alpha``
    (``alpha_a`` = mean of ``x[a, e] - beta_e`` over the experts who scored ``a``) leaves the
    ``E x E`` system ``(L + ridge I) beta = r`` with ``L = diag(n_e) - N^T diag(1/n_a) N`` (the
    information matrix of the design, Eccleston & Hedayat 1974) and ``r_e`` the sum of expert
    ``e``'s deviations from the application means. With ``ridge = 0`` the minimum-norm solution is
    taken (expert effects sum to zero), which is the unique least-squares fit under that constraint
    when the design is connected.

    Returns
    -------
    alpha, beta
        ``(A,)`` application effects (``NaN`` for an application with no score) and ``(E,)``
        expert effects (0 for an expert with no score).
    """
    beta, design, xz = _additive_beta(x, ridge, design)
    m, n_a = design.m, design.n_a
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(n_a > 0, (m * (xz - beta[None, :])).sum(axis=1) / np.maximum(n_a, 1), np.nan)
    return alpha, beta


def _additive_beta(x: np.ndarray, ridge: float, design: _Design | None) -> tuple[np.ndarray, _Design, np.ndarray]:
    """:func:`fit_additive`'s expert effects ``beta`` (with the design and the zero-filled scores),
    without the application effects the calibration does not use."""
    if ridge < 0 or not np.isfinite(ridge):
        raise PanelError(Problem(f"ridge is {ridge}; use a number >= 0"))
    x = np.asarray(x, dtype=np.float64)
    mask = ~np.isnan(x)
    if design is None or not np.array_equal(design.mask, mask):
        design = _Design.of(mask)
    m, n_a = design.m, design.n_a
    xz = np.where(mask, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        xbar = np.where(n_a > 0, xz.sum(axis=1) / np.maximum(n_a, 1), 0.0)
    r = (m * (xz - xbar[:, None])).sum(axis=0)
    return _beta_from(design, r, ridge), design, xz


def _beta_from(design: _Design, r: np.ndarray, ridge: float) -> np.ndarray:
    """The expert effects solving ``(L + ridge I) beta = r`` (minimum norm for ``ridge = 0``)."""
    L, n_e = design.L, design.n_e
    if ridge > 0:
        return np.linalg.solve(L + ridge * np.eye(len(n_e)), r)
    beta = np.linalg.lstsq(L, r, rcond=None)[0]
    return np.where(n_e > 0, beta, 0.0)


def _additive_beta_cells(a: np.ndarray, e: np.ndarray, v: np.ndarray, ridge: float, design: _Design) -> np.ndarray:
    """:func:`_additive_beta`'s ``beta`` from the scored cells ``(a, e)`` (row-major) with their values
    ``v`` on ``design``'s cells: the row means and the experts' deviation sums in numpy's order of the
    dense sums (:mod:`selection.aggregate.sums`), so the same doubles, without the ``A x E`` arrays."""
    if ridge < 0 or not np.isfinite(ridge):
        raise PanelError(Problem(f"ridge is {ridge}; use a number >= 0"))
    A, E = design.mask.shape
    n_a = design.n_a
    with np.errstate(invalid="ignore", divide="ignore"):
        xbar = np.where(n_a > 0, pairwise_sums(a, e, v, A, E) / np.maximum(n_a, 1), 0.0)
    # m * (xz - xbar) is v - xbar on a scored cell (1.0 * y) and a zero elsewhere, which adds nothing
    return _beta_from(design, column_sums(a, e, v - xbar[a], A, E), ridge)


#: Set (per thread and task: a context variable) while calibration warnings are silenced; see
#: :func:`calibration_warnings_silenced`.
_SILENCED: ContextVar[bool] = ContextVar("selection_calibration_warnings_silenced", default=False)


@contextmanager
def calibration_warnings_silenced() -> Iterator[None]:
    """Calibration notes are still collected (``Calibration.notes``) but not issued as
    :class:`CalibrationWarning` inside this block -- in this thread only. ``warnings.catch_warnings``
    would change the process-wide filters, and a thread beside this one (a web server's, another
    computation's) would lose its own calibration warnings meanwhile."""
    token = _SILENCED.set(True)
    try:
        yield
    finally:
        _SILENCED.reset(token)


def warn_calibration(text: str, stacklevel: int = 2) -> None:
    """Issue ``text`` as a :class:`CalibrationWarning`, unless silenced in this thread."""
    if not _SILENCED.get():
        warnings.warn(text, CalibrationWarning, stacklevel=stacklevel + 1)


def _warn(notes: list[str], text: str) -> None:
    notes.append(text)
    warn_calibration(text, stacklevel=3)


def _describe_islands(parts, limit: int = 6) -> str:
    out = []
    for i, (exps, apps) in enumerate(parts[:limit], 1):
        shown = ", ".join(apps[:8]) + (f" and {len(apps) - 8} more" if len(apps) > 8 else "")
        out.append(f"island {i}: experts {', '.join(exps) or '-'} with applications {shown or '-'}")
    if len(parts) > limit:
        out.append(f"and {len(parts) - limit} more islands")
    return "; ".join(out)


def _additive_ok(mask: np.ndarray, cube: ScoreCube, what: str, notes: list[str],
                 parts: list[tuple[list[str], list[str]]] | None = None, counts: tuple[int, int] | None = None
                 ) -> bool:
    """Whether the design ``mask`` allows the additive fit (else a note says why); ``parts`` its
    islands and ``counts`` its ``(scores, effects)`` when known already."""
    if parts is None:
        parts = islands(mask, cube.applications, cube.experts)
    if len(parts) > 1:
        _warn(notes, f"additive calibration of {what}: the expert-application design is not connected "
                     f"({len(parts)} separate islands: {_describe_islands(parts)}); leniencies cannot be "
                     f"compared across islands, so the raw scores are used. Fix: have some experts score "
                     f"applications in more than one island")
        return False
    if counts is None:
        counts = int(mask.sum()), int(mask.any(axis=1).sum() + mask.any(axis=0).sum() - 1)
    n_obs, n_par = counts
    if n_obs - n_par < 1:
        _warn(notes, f"additive calibration of {what}: {n_obs} scores for {n_par} effects leave no residual "
                     f"degrees of freedom; the raw scores are used. Fix: more experts per application")
        return False
    return True


def calibrate_cube(cube: ScoreCube, method: str = "additive", *, ridge: float = 1.0, basis: str = "criterion",
                   weights: np.ndarray | None = None) -> Calibration:
    """Adjusted expert scores for the calibration ``method`` (see the module docstring).

    Parameters
    ----------
    cube
        The scores (:func:`~selection.aggregate.score_cube`).
    method
        ``"none"``, ``"zscore"`` or ``"additive"``.
    ridge
        Penalty on the expert effects of the additive model (a pseudo-count of scores at zero
        leniency; 0 = ordinary least squares).
    basis
        ``"criterion"``: one additive fit per criterion; ``"total"``: one fit on each expert's
        weighted total (``weights``, normalised), the expert's effect then subtracted from each of
        their criterion scores.
    """
    if method not in CALIBRATIONS:
        raise PanelError(Problem(f"unknown calibration {method!r}", hint=f"use one of {', '.join(CALIBRATIONS)}"))
    if basis not in ("criterion", "total"):
        raise PanelError(Problem(f"unknown calibration basis {basis!r}", hint="use 'criterion' or 'total'"))
    x = cube.values
    A, E, C = x.shape
    notes: list[str] = []
    effects = np.zeros((E, C))
    if method == "none":
        return Calibration(method, cube, x.copy(), effects, notes)
    present = ~np.isnan(x)
    if method == "zscore":
        out = x.copy()
        rows = expert_rows(x)  # each expert's applications: the same values, in the same order, as a full-column mask
        for c in range(C):
            col = x[:, :, c]
            allv = col[~np.isnan(col)]
            if allv.size < 2:
                continue
            mu, sd = allv.mean(), allv.std(ddof=1)
            for e in range(E):
                vv = x[rows[e], e, c]
                ok = ~np.isnan(vv)
                k = int(ok.sum())
                if k == 0:
                    continue
                if k < 2:
                    _warn(notes, f"z-score calibration: expert {cube.experts[e]} has one score on "
                                 f"{cube.criteria[c]}; kept unadjusted")
                    continue
                at, v = rows[e][ok], vv[ok]
                me, se = v.mean(), v.std(ddof=1)
                if se > 0 and sd > 0:
                    out[at, e, c] = mu + sd * (v - me) / se
                else:
                    out[at, e, c] = v - me + mu
                effects[e, c] = me - mu
        return Calibration(method, cube, out, effects, notes)
    effects = _additive_effects(cube, ridge, basis, weights, notes)
    out = np.where(present, x - effects[None, :, :], np.nan)
    return Calibration(method, cube, out, effects, notes)


def _additive_effects(cube: ScoreCube, ridge: float = 1.0, basis: str = "criterion",
                      weights: np.ndarray | None = None, notes: list[str] | None = None) -> np.ndarray:
    """The ``(E, C)`` expert effects of :func:`calibrate_cube`'s additive calibration (zero where the
    design does not allow a fit; warnings added to ``notes``), without the adjusted ``(A, E, C)``
    scores: the leniency table needs only these."""
    A, E, C = len(cube.applications), len(cube.experts), len(cube.criteria)
    notes = [] if notes is None else notes
    effects = np.zeros((E, C))
    cells = cube_cells(cube) if basis == "criterion" and A * E * C else None
    if cells is not None:
        # per criterion its scored cells (row-major) and their scores (the cube's, without its dense
        # array): the designs compared, and the fits made, on these instead of A x E masks and matrices
        flat, val = cells
        crit, pair = flat % C, flat // C
        found: list[list] = []  # [scored (a, e) pairs, their mask, their islands, their _Design once needed]
        for c in range(C):
            at = crit == c
            cp = pair[at]
            seen = next((d for d in found if np.array_equal(d[0], cp)), None)
            if seen is None:
                flat_mask = np.zeros(A * E, dtype=bool)
                flat_mask[cp] = True
                grid = flat_mask.reshape(A, E)
                # scores, and effects (applications and experts with a score, less one), from the cells
                n_apps = int(np.count_nonzero(np.diff(cp // E))) + 1 if len(cp) else 0  # cp sorted
                n_par = n_apps + int(np.count_nonzero(np.bincount(cp % E, minlength=E))) - 1
                seen = [cp, grid, islands(grid, cube.applications, cube.experts), None, (len(cp), n_par)]
                found.append(seen)
            if _additive_ok(seen[1], cube, f"criterion {cube.criteria[c]}", notes, seen[2], seen[4]):
                if seen[3] is None:
                    seen[3] = _Design.of(seen[1])
                effects[:, c] = _additive_beta_cells(cp // E, cp % E, val[at], ridge, seen[3])
    elif basis == "criterion":
        x = cube.values
        present = ~np.isnan(x)
        # criteria scored on the same cells (every criterion, unless someone abstained) share the
        # design: its islands and information matrix are computed once
        designs: list[list] = []  # [scored cells, their islands, their _Design once needed]
        for c in range(C):
            mask = present[:, :, c]
            seen = next((d for d in designs if np.array_equal(d[0], mask)), None)
            if seen is None:
                seen = [mask, islands(mask, cube.applications, cube.experts), None]
                designs.append(seen)
            if _additive_ok(mask, cube, f"criterion {cube.criteria[c]}", notes, seen[1]):
                if seen[2] is None:
                    seen[2] = _Design.of(mask)
                effects[:, c] = _additive_beta(x[:, :, c], ridge, seen[2])[0]
    else:
        w = np.full(C, 1.0 / C) if weights is None else np.asarray(weights, dtype=np.float64) / np.sum(weights)
        total = np.einsum("aec,c->ae", cube.values, w)  # NaN when the expert missed a criterion
        if _additive_ok(~np.isnan(total), cube, "the weighted total", notes):
            effects[:] = _additive_beta(total, ridge, None)[0][:, None]
    return effects


def leniency_table(cal: Calibration) -> pd.DataFrame:
    """Per expert and criterion (plus ``criterion_id = "all"``): scores given, mean score, the mean
    deviation from the other experts on the same applications, the estimated leniency (additive
    effect, or for z-scores the expert's mean minus the overall mean) and the spread ratio
    (expert's standard deviation / overall standard deviation). Positive leniency = scores higher
    than the panel. ``leniency_low``/``leniency_high`` bound its approximate 95 % interval
    (:func:`leniency_interval`) and ``label`` reads it (:func:`leniency_label`: beyond
    ±``LENIENCY_BAND`` points with an interval excluding zero)."""
    return _leniency(cal.cube, cal.effects)


def _leniency(cube: ScoreCube, effects: np.ndarray) -> pd.DataFrame:
    """:func:`leniency_table` of the scores ``cube`` and the calibration's ``(E, C)`` expert ``effects``.

    Read from the scored cells (the cube's, without its dense array; then each expert's scores per
    criterion as a slice of them sorted by expert, criterion and application): every mean and spread
    is numpy's of the same values in the same order as gathered from the dense cube, so the same
    doubles."""
    A, E, C = len(cube.applications), len(cube.experts), len(cube.criteria)
    rows = []
    flat, v = cube.scored_cells()
    a, rest = np.divmod(flat, E * C) if E * C else (flat, flat)
    e_of, c_of = np.divmod(rest, C) if C else (rest, rest)
    n_ac = np.bincount(a * C + c_of, minlength=A * C).reshape(A, C)  # scores per application and criterion
    pair = flat // C if C else flat
    first = np.r_[True, pair[1:] != pair[:-1]] if pair.size else np.zeros(0, dtype=bool)
    m = int(np.bincount(a[first], minlength=A).max(initial=0))  # most experts on one application
    if C > 1 and _exact_sums(v, m):
        # scores on a grid: each application's few scores per criterion summed (exact sums, the same
        # doubles in any order) instead of the whole expert axis (0.7 s at 20,000 x 200 x 8)
        s_ac = np.bincount(a * C + c_of, weights=v, minlength=A * C).reshape(A, C)
    else:
        x = cube.values
        s_ac = np.where(~np.isnan(x), x, 0.0).sum(axis=1)
    others = n_ac[a, c_of] - 1
    with np.errstate(invalid="ignore", divide="ignore"):
        dev = v - (s_ac[a, c_of] - v) / others  # each score's deviation from its co-experts' mean
    shared = others > 0
    # each criterion's spread over every score given, once (not once per expert)
    col_sd = []
    for c in range(C):
        col = v[c_of == c]
        usable = bool(col.size >= 2 and col.std() > 0)
        col_sd.append((float(col.std(ddof=1)) if usable else np.nan, usable))
    by_ec = np.argsort(e_of * C + c_of, kind="stable")  # by expert, criterion, then application
    v_ec, dev_ec, shared_ec = v[by_ec], dev[by_ec], shared[by_ec]
    cut_ec = np.searchsorted((e_of * C + c_of)[by_ec], np.arange(E * C + 1))
    by_e = np.argsort(e_of, kind="stable")  # by expert, then application and criterion
    v_e = v[by_e]
    cut_e = np.searchsorted(e_of[by_e], np.arange(E + 1))
    for e, expert in enumerate(cube.experts):
        devs: list[np.ndarray] = []
        n_all = 0
        any_c = np.zeros(C, dtype=bool)
        for c, crit in enumerate(cube.criteria):
            lo, hi = cut_ec[e * C + c], cut_ec[e * C + c + 1]
            k = int(hi - lo)
            xe = v_ec[lo:hi]
            d = dev_ec[lo:hi][shared_ec[lo:hi]]
            devs.append(d)
            n_all += k
            any_c[c] = k > 0
            ratio = (xe.std(ddof=1) / col_sd[c][0]) if k >= 2 and col_sd[c][1] else np.nan
            lenient = float(effects[e, c]) if k else np.nan
            low, high = leniency_interval(lenient, d)
            rows.append({"expert_id": expert, "criterion_id": crit, "n_scores": k,
                         "mean_score": float(xe.mean()) if k else np.nan,
                         "mean_deviation": float(d.mean()) if d.size else np.nan,
                         "leniency": lenient,
                         "spread_ratio": float(ratio), "note": "" if d.size else "no shared applications",
                         "leniency_low": low, "leniency_high": high, "label": leniency_label(lenient, low, high)})
        devs_all = np.concatenate(devs) if devs else np.zeros(0)
        lenient = float(effects[e, any_c].mean()) if n_all else np.nan
        low, high = leniency_interval(lenient, devs_all)
        rows.append({"expert_id": expert, "criterion_id": "all", "n_scores": n_all,
                     "mean_score": float(v_e[cut_e[e]:cut_e[e + 1]].mean()) if n_all else np.nan,
                     "mean_deviation": float(np.mean(devs_all)) if devs_all.size else np.nan,
                     "leniency": lenient, "spread_ratio": np.nan,
                     "note": "" if devs_all.size >= 2 else "too little data for an interval",
                     "leniency_low": low, "leniency_high": high, "label": leniency_label(lenient, low, high)})
    return pd.DataFrame(rows, columns=LENIENCY_COLUMNS)


def calibrate_evaluation(evaluation: pd.DataFrame, catalogue=None, *, method: str = "additive",
                         ridge: float = 1.0, basis: str = "criterion") -> pd.DataFrame:
    """A copy of the evaluation with each score replaced by its calibrated value (abstentions stay ``NaN``).

    ``catalogue`` (optional) gives the criteria and, for ``basis="total"``, the weights; without
    it every criterion in the table is used with equal weight. The input is not modified.
    """
    criteria = catalogue.criterion_ids if catalogue is not None else None
    cube = score_cube(evaluation, criteria)
    weights = np.array(list(catalogue.weights().values())) if catalogue is not None else None
    cal = calibrate_cube(cube, method, ridge=ridge, basis=basis, weights=weights)
    out = evaluation.copy()
    keep = out[ev.CRITERION].astype(str).isin(cube.criteria).to_numpy()
    a = pd.Index(cube.applications).get_indexer(out[ev.APPLICATION].astype(str))
    e = pd.Index(cube.experts).get_indexer(out[ev.EXPERT].astype(str))
    c = pd.Index(cube.criteria).get_indexer(out[ev.CRITERION].astype(str))
    new = out[ev.SCORE].to_numpy(dtype=np.float64).copy()
    new[keep] = cal.values[a[keep], e[keep], c[keep]]
    out[ev.SCORE] = new
    return out
