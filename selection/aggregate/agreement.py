"""How far the experts agree: intraclass correlation, Kendall's W, Krippendorff's alpha.

Every public function takes a ratings table with **applications as rows and experts as columns**
(``NaN`` = the expert did not score the application) and returns pandas objects.

References
----------
Shrout, P. E., & Fleiss, J. L. (1979). Intraclass correlations: uses in assessing rater
reliability. *Psychological Bulletin* 86(2), 420-428. doi:10.1037/0033-2909.86.2.420

McGraw, K. O., & Wong, S. P. (1996). Forming inferences about some intraclass correlation
coefficients. *Psychological Methods* 1(1), 30-46. doi:10.1037/1082-989X.1.1.30

Kendall, M. G., & Babington Smith, B. (1939). The problem of m rankings. *The Annals of
Mathematical Statistics* 10(3), 275-287. doi:10.1214/aoms/1177732186

Hayes, A. F., & Krippendorff, K. (2007). Answering the call for a standard reliability measure
for coding data. *Communication Methods and Measures* 1(1), 77-89. doi:10.1080/19312450709336664

Krippendorff, K. (2019). *Content Analysis: An Introduction to Its Methodology* (4th ed.), ch. 12.
doi:10.4135/9781071878781
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from selection.aggregate.arrays import PanelError
from selection.aggregate.sums import cube_cells, pairwise_sums
from selection.errors import Problem


# The F and chi-squared distributions and average ranks through scipy.special and numpy: the same
# functions scipy.stats evaluates (its f.ppf is special.fdtri, f.sf special.fdtrc, chi2.sf
# special.chdtrc, with the same argument checks), without importing scipy.stats, which is about
# half of `selection run`'s start-up on a small call (issue 12; equality tested in
# tests/select/test_scale.py). scipy.special itself (about 0.2 s: its array-API layer loads numpy.f2py)
# is imported when a measure is first computed, which `selection run` does in its diagnostics worker.
def _f_ppf(q: float, dfn: float, dfd: float) -> float:
    """``scipy._f_ppf(q, dfn, dfd)`` for ``0 < q < 1``."""
    from scipy import special

    return float(special.fdtri(dfn, dfd, q)) if dfn > 0 and dfd > 0 else float("nan")


def _f_sf(x: float, dfn: float, dfd: float) -> float:
    """``scipy._f_sf(x, dfn, dfd)``."""
    if not (dfn > 0 and dfd > 0) or x != x:
        return float("nan")
    if x == math.inf:
        return 0.0
    from scipy import special

    return 1.0 if x <= 0 else float(special.fdtrc(dfn, dfd, x))


def _chi2_sf(x: float, df: float) -> float:
    """``scipy._chi2_sf(x, df)``."""
    if not df > 0 or x != x:
        return float("nan")
    if x == math.inf:
        return 0.0
    from scipy import special

    return 1.0 if x <= 0 else float(special.chdtrc(df, x))


def _rankdata(a: np.ndarray) -> np.ndarray:
    """``scipy.stats.rankdata(a)`` (average ranks of a 1-d array, ties sharing their mean rank)."""
    a = np.asarray(a).ravel()
    sorter = np.argsort(a, kind="mergesort")
    inv = np.empty(sorter.size, dtype=np.intp)
    inv[sorter] = np.arange(sorter.size, dtype=np.intp)
    s = a[sorter]
    obs = np.r_[True, s[1:] != s[:-1]]
    dense = obs.cumsum()[inv]
    count = np.r_[np.nonzero(obs)[0], len(obs)]
    return 0.5 * (count[dense] + count[dense - 1] + 1)

__all__ = ["ICC_FORMS", "icc", "icc_table", "kendalls_w", "krippendorff_alpha"]

#: Canonical names of the Shrout & Fleiss forms, with accepted aliases.
ICC_FORMS = ("ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k")
_ALIASES = {"ICC(1,1)": "ICC1", "ICC(2,1)": "ICC2", "ICC(3,1)": "ICC3", "ICC(1,k)": "ICC1k",
            "ICC(2,k)": "ICC2k", "ICC(3,k)": "ICC3k", "ICC1": "ICC1", "ICC2": "ICC2", "ICC3": "ICC3",
            "ICC1K": "ICC1k", "ICC2K": "ICC2k", "ICC3K": "ICC3k", "ICC21": "ICC2", "ICC31": "ICC3",
            "ICC11": "ICC1", "ICC2,1": "ICC2", "ICC3,1": "ICC3", "ICC1,1": "ICC1"}


class _Scored:
    """A ratings matrix (applications x experts) held as its scored cells: ``row``, ``col`` in
    ``np.nonzero``'s (row-major) order and their values ``val`` (none NaN) -- what the measures read
    of a sparse panel (each application scored by a few of many experts) without the dense matrix
    (20,000 x 200 per criterion and the total at national scale). Each measure gives the same
    doubles as on the dense matrix (:mod:`selection.aggregate.sums` adds in numpy's order)."""

    def __init__(self, shape: tuple[int, int], row: np.ndarray, col: np.ndarray, val: np.ndarray) -> None:
        self.shape = shape
        self.row, self.col, self.val = row, col, val
        n, k = shape
        self.row_counts = np.bincount(row, minlength=n)
        kept_rows, kept_cols = self.row_counts > 0, np.bincount(col, minlength=k) > 0
        # the matrix without its all-missing rows and columns (what _IccDesign measures)
        self.n, self.k = int(kept_rows.sum()), int(kept_cols.sum())
        self.row_kept = (np.cumsum(kept_rows) - 1)[row]
        self.col_kept = (np.cumsum(kept_cols) - 1)[col]

    def dense(self) -> np.ndarray:
        x = np.full(self.shape, np.nan)
        x[self.row, self.col] = self.val
        return x

    def complete(self) -> np.ndarray:
        """The rows scored by every expert who scored at all, those experts' columns (C-ordered)."""
        full = self.row_counts[self.row] == self.k
        return self.val[full].reshape(-1, self.k)


def _scored_matrices(cube, w: np.ndarray) -> list[_Scored | np.ndarray] | None:
    """Per criterion of the score ``cube``, then for the ``w``-weighted total (``einsum``, as
    :func:`~selection.aggregate.panel.agreement_table` makes it), the scored cells (the cube's,
    without its dense array); ``None`` when the dense matrices are to be used (an empty axis, a dense
    array not in C order, or a numpy that sums in another order: :func:`~selection.aggregate.sums.cube_cells`).
    A matrix nobody scored is given dense (all NaN): its measures' notes count what that matrix holds."""
    A, E, C = len(cube.applications), len(cube.experts), len(cube.criteria)
    cells = cube_cells(cube) if A and E and C else None
    if cells is None or not cells[0].size:
        return None
    idx, val = cells
    crit, pair = idx % C, idx // C
    out: list[_Scored | np.ndarray] = []

    def scored(row: np.ndarray, col: np.ndarray, v: np.ndarray) -> _Scored | np.ndarray:
        return _Scored((A, E), row, col, v) if v.size else np.full((A, E), np.nan)

    for c in range(C):
        at = crit == c
        out.append(scored(pair[at] // E, pair[at] % E, val[at]))
    starts = np.flatnonzero(np.r_[True, pair[1:] != pair[:-1]])
    counts = np.diff(np.r_[starts, len(pair)])
    full = starts[counts == C]  # the (a, e) scored on every criterion (their C cells in a row); any other total is NaN
    total = np.einsum("aec,c->ae", val[full[:, None] + np.arange(C)][:, None, :], w)[:, 0]
    ok = ~np.isnan(total)
    out.append(scored(pair[full[ok]] // E, pair[full[ok]] % E, total[ok]))
    return out


def _pairable_counts(x) -> tuple[int, int]:
    """Applications with two or more scores and experts with any score, of a checked ratings matrix."""
    if isinstance(x, _Scored):
        return int((x.row_counts >= 2).sum()), x.k
    present = ~np.isnan(x)
    return int((present.sum(axis=1) >= 2).sum()), int(present.any(axis=0).sum())


def _matrix(ratings):
    if isinstance(ratings, _Scored):
        if np.isinf(ratings.val).any():
            raise PanelError(Problem("the ratings hold infinite values"))
        return ratings
    if isinstance(ratings, np.ndarray) and ratings.ndim == 2 and ratings.dtype == np.float64:
        # a copy without the frame (20,000 x 200 ratings per criterion in the panel diagnostics), row by
        # row: the layout every measure's sums run on anyway (they select rows, which numpy returns
        # C-ordered, before summing), so the values are those of pandas' column-by-column copy below
        x = np.array(ratings, order="C")
        if np.isinf(x).any():
            raise PanelError(Problem("the ratings hold infinite values"))
        return x
    try:
        x = np.asarray(pd.DataFrame(ratings).to_numpy(dtype=np.float64))
    except (TypeError, ValueError):
        raise PanelError(Problem("the ratings table holds values that are not numbers",
                                 hint="give numeric scores, applications as rows, experts as columns")) from None
    if x.ndim != 2:
        raise PanelError(Problem("the ratings must be a table: applications as rows, experts as columns"))
    if np.isinf(x).any():
        raise PanelError(Problem("the ratings hold infinite values"))
    return x


def _form(form: str) -> str:
    key = str(form).replace(" ", "")
    canon = _ALIASES.get(key) or _ALIASES.get(key.upper())
    if canon is None:
        raise PanelError(Problem(f"unknown ICC form {form!r}", hint=f"use one of {', '.join(ICC_FORMS)}"))
    return canon


def _anova_two_way(x: np.ndarray) -> dict:
    n, k = x.shape
    grand = x.mean()
    ss_rows = k * ((x.mean(axis=1) - grand) ** 2).sum()
    ss_cols = n * ((x.mean(axis=0) - grand) ** 2).sum()
    ss_total = ((x - grand) ** 2).sum()
    ss_err = ss_total - ss_rows - ss_cols
    return {"n": n, "k": float(k), "BMS": ss_rows / (n - 1), "JMS": ss_cols / (k - 1),
            "EMS": ss_err / ((n - 1) * (k - 1)), "WMS": (ss_total - ss_rows) / (n * (k - 1)),
            "df_b": n - 1, "df_w": n * (k - 1), "df_e": (n - 1) * (k - 1), "df_j": k - 1}


def _anova_one_way(x: np.ndarray) -> dict:
    """One-way random-effects ANOVA allowing a different number of ratings per row.

    With unequal numbers ``k_i`` the average group size is ``k0 = (N - sum k_i^2 / N) / (n - 1)``
    (Searle, Casella & McCulloch 1992, sec. 3.6; doi:10.1002/9780470316856); with complete data
    ``k0 = k`` and the result is Shrout & Fleiss's Case 1.
    """
    present = ~np.isnan(x)
    ki = present.sum(axis=1).astype(np.float64)
    N = ki.sum()
    n = len(ki)
    # np.nansum's arrays (NaN as +0.0, the same layout) made once: the same sums, fewer passes
    xz = np.where(present, x, 0.0)
    means = np.where(ki > 0, xz.sum(axis=1) / np.maximum(ki, 1), 0.0)
    grand = xz.sum() / N
    ss_b = (ki * (means - grand) ** 2).sum()
    ss_w = np.where(present, (x - means[:, None]) ** 2, 0.0).sum()
    k0 = (N - (ki**2).sum() / N) / (n - 1)
    return {"n": n, "k": float(k0), "BMS": ss_b / (n - 1), "WMS": ss_w / (N - n), "df_b": n - 1, "df_w": N - n}


def _anova_one_way_scored(x: _Scored) -> dict:
    """:func:`_anova_one_way` of the matrix without its all-missing rows and columns (what
    :class:`_IccDesign` measures), from its scored cells: the same sums in numpy's order, so the
    same doubles."""
    n, k = x.n, x.k
    row, col, val = x.row_kept, x.col_kept, x.val
    ki = x.row_counts[x.row_counts > 0].astype(np.float64)
    N = ki.sum()
    means = np.where(ki > 0, pairwise_sums(row, col, val, n, k) / np.maximum(ki, 1), 0.0)
    whole, flat = np.zeros_like(row), row * k + col
    grand = pairwise_sums(whole, flat, val, 1, n * k)[0] / N
    ss_b = (ki * (means - grand) ** 2).sum()
    ss_w = pairwise_sums(whole, flat, (val - means[row]) ** 2, 1, n * k)[0]
    k0 = (N - (ki**2).sum() / N) / (n - 1)
    return {"n": n, "k": float(k0), "BMS": ss_b / (n - 1), "WMS": ss_w / (N - n), "df_b": n - 1, "df_w": N - n}


def _icc_value_ci(form: str, a: dict, alpha: float) -> tuple[float, float, float, float, float, float]:
    """(icc, low, high, F, df1, df2) following Shrout & Fleiss (1979) and McGraw & Wong (1996)."""
    n, k = a["n"], a["k"]
    q = 1 - alpha / 2
    with np.errstate(divide="ignore", invalid="ignore"):
        if form in ("ICC1", "ICC1k"):
            bms, wms = a["BMS"], a["WMS"]
            f0, df1, df2 = bms / wms, a["df_b"], a["df_w"]
            fl, fu = f0 / _f_ppf(q, df1, df2), f0 * _f_ppf(q, df2, df1)
            if form == "ICC1":
                v = (bms - wms) / (bms + (k - 1) * wms)
                return v, (fl - 1) / (fl + k - 1), (fu - 1) / (fu + k - 1), f0, df1, df2
            return (bms - wms) / bms, 1 - 1 / fl, 1 - 1 / fu, f0, df1, df2
        bms, jms, ems = a["BMS"], a["JMS"], a["EMS"]
        f0, df1, df2 = bms / ems, a["df_b"], a["df_e"]
        if form in ("ICC3", "ICC3k"):
            fl, fu = f0 / _f_ppf(q, df1, df2), f0 * _f_ppf(q, df2, df1)
            if form == "ICC3":
                return (bms - ems) / (bms + (k - 1) * ems), (fl - 1) / (fl + k - 1), (fu - 1) / (fu + k - 1), \
                    f0, df1, df2
            return (bms - ems) / bms, 1 - 1 / fl, 1 - 1 / fu, f0, df1, df2
        icc2 = (bms - ems) / (bms + (k - 1) * ems + k * (jms - ems) / n)
        # Satterthwaite degrees of freedom (McGraw & Wong 1996, Table 7, case 2A)
        aa = k * icc2 / (n * (1 - icc2))
        bb = 1 + k * icc2 * (n - 1) / (n * (1 - icc2))
        v = (aa * jms + bb * ems) ** 2 / ((aa * jms) ** 2 / (k - 1) + (bb * ems) ** 2 / ((n - 1) * (k - 1)))
        fs, fs2 = _f_ppf(q, n - 1, v), _f_ppf(q, v, n - 1)
        lo = n * (bms - fs * ems) / (fs * (k * jms + (k * n - k - n) * ems) + n * bms)
        hi = n * (fs2 * bms - ems) / (k * jms + (k * n - k - n) * ems + n * fs2 * bms)
        if form == "ICC2":
            return icc2, lo, hi, f0, df1, df2
        sb = lambda r: k * r / (1 + (k - 1) * r)  # noqa: E731  Spearman-Brown step-up to k raters
        return (bms - ems) / (bms + (jms - ems) / n), sb(lo), sb(hi), f0, df1, df2


def icc(ratings, form: str = "ICC2k", *, confidence: float = 0.95) -> pd.Series:
    """Intraclass correlation in one of the Shrout & Fleiss (1979) forms, with a confidence interval.

    Parameters
    ----------
    ratings
        Applications as rows, experts as columns, ``NaN`` where an expert gave no score.
    form
        ``"ICC1"`` (one-way random: each application scored by its own experts), ``"ICC2"``
        (two-way random, absolute agreement), ``"ICC3"`` (two-way mixed, consistency), each for
        a single expert, and ``"ICC1k"``, ``"ICC2k"``, ``"ICC3k"`` for the mean of the experts.
        ``"ICC(2,1)"``-style names are accepted too.
    confidence
        Level of the interval (F-distribution limits of Shrout & Fleiss 1979 and, for ICC2,
        the Satterthwaite approximation of McGraw & Wong 1996).

    Returns
    -------
    Series with ``form, icc, ci_low, ci_high, f, df1, df2, p_value, n_applications, n_experts``.

    Notes
    -----
    The two-way forms need every expert to score every application; rows with a missing score
    are left out (``n_applications`` says how many remained). ICC1 uses every score: with a
    different number of experts per application, ``k`` is the average group size ``k0`` of the
    unbalanced one-way analysis of variance, and ICC1k is the reliability of a mean of ``k0``.

    Examples
    --------
    Shrout & Fleiss (1979), Table 2: six targets rated by four judges.

    >>> sf = pd.DataFrame([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6],
    ...                    [10, 5, 6, 9], [6, 2, 4, 7]])
    >>> round(float(icc(sf, "ICC(2,1)")["icc"]), 2), round(float(icc(sf, "ICC3k")["icc"]), 2)
    (0.29, 0.91)
    """
    form = _form(form)
    if not 0 < confidence < 1:
        raise PanelError(Problem(f"confidence is {confidence}; use a level between 0 and 1, e.g. 0.95"))
    return _icc_prepared(_IccDesign(_matrix(ratings)), form, confidence)


class NotComputable(PanelError):
    """A measure that cannot be computed on this panel, with what it found as data (``applications``,
    and ``experts`` when the measure counts them), so that readers say it in any language without
    reading the message."""

    def __init__(self, problem: Problem, applications: int, experts: int | None = None) -> None:
        super().__init__(problem)
        self.applications, self.experts = int(applications), None if experts is None else int(experts)


class _IccDesign:
    """A ratings matrix with its all-missing experts and applications dropped, and each form's analysis
    of variance computed once (``ICC1``/``ICC1k`` share the one-way table, the two-way forms theirs)."""

    def __init__(self, x) -> None:
        self._one: dict | None = None
        self._two: tuple[np.ndarray, dict | None] | None = None
        self.scored = x if isinstance(x, _Scored) else None
        if self.scored is not None:
            self.x = np.zeros((0, 0))  # measured from the scored cells
            return
        if x.size:
            cols = ~np.isnan(x).all(axis=0)
            x = x if cols.all() else x[:, cols]
            rows = ~np.isnan(x).all(axis=1)
            # selected rows are a new C-ordered array; a C-ordered matrix keeping every row is that array
            # already (the same values in the same layout, so the same sums), without the copies
            x = x if rows.all() and x.flags.c_contiguous else x[rows]
        self.x = x

    def one_way(self, form: str) -> tuple[dict, int]:
        sc = self.scored
        if self._one is None:
            counts: np.ndarray
            if sc is not None:
                counts = sc.row_counts[sc.row_counts > 0]
            else:
                counts = (~np.isnan(self.x)).sum(axis=1) if self.x.size else np.zeros(0)
            if len(counts) < 2 or (counts >= 2).sum() < 1 or counts.sum() <= len(counts):
                raise NotComputable(Problem(f"{form} needs at least 2 applications and an application scored by 2 "
                                            f"or more experts; found {len(counts)} application(s)"), len(counts))
            self._one = _anova_one_way(self.x) if sc is None else _anova_one_way_scored(sc)
        return self._one, (self.x.shape[1] if sc is None else sc.k)

    def two_way(self, form: str) -> tuple[dict, int]:
        if self._two is None:
            x = self.scored.complete() if self.scored is not None else self.x[~np.isnan(self.x).any(axis=1)]
            self._two = (x, _anova_two_way(x) if x.shape[0] >= 2 and x.shape[1] >= 2 else None)
        x, a = self._two
        if a is None:
            raise NotComputable(Problem(
                f"{form} needs at least 2 applications scored by the same 2 or more experts; "
                f"{x.shape[0]} application(s) were scored by every expert",
                hint="use ICC1, which allows each application its own experts"), x.shape[0])
        return a, x.shape[1]


def _icc_prepared(design: _IccDesign, form: str, confidence: float) -> pd.Series:
    """:func:`icc` of a canonical ``form`` on a prepared design (shared by the six forms of one matrix)."""
    a, n_exp = design.one_way(form) if form in ("ICC1", "ICC1k") else design.two_way(form)
    v, lo, hi, f0, df1, df2 = _icc_value_ci(form, a, 1 - confidence)
    return pd.Series({"form": form, "icc": float(v), "ci_low": float(lo), "ci_high": float(hi), "f": float(f0),
                      "df1": float(df1), "df2": float(df2), "p_value": float(_f_sf(f0, df1, df2)),
                      "n_applications": int(a["n"]), "n_experts": int(n_exp)}, name=form)


def icc_table(ratings, *, confidence: float = 0.95) -> pd.DataFrame:
    """All six Shrout & Fleiss forms as rows (see :func:`icc`); a form that cannot be computed from
    the ratings has ``NaN`` and the reason in ``note``."""
    rows = []
    for f in ICC_FORMS:
        try:
            s = icc(ratings, f, confidence=confidence)
            rows.append({**s.to_dict(), "note": ""})
        except PanelError as exc:
            rows.append({"form": f, "icc": np.nan, "ci_low": np.nan, "ci_high": np.nan, "f": np.nan,
                         "df1": np.nan, "df2": np.nan, "p_value": np.nan, "n_applications": 0,
                         "n_experts": 0, "note": exc.problems[0].message})
    return pd.DataFrame(rows).set_index("form")


def kendalls_w(ratings) -> pd.Series:
    """Kendall's coefficient of concordance W, corrected for ties, with Friedman's test.

    Each expert (column) ranks the applications (rows) by score, tied scores sharing their mean
    rank; ``W = 12 S / (m^2 (n^3 - n) - m sum T)`` with ``S`` the sum of squared deviations of the
    rank sums from their mean and ``T = sum (t^3 - t)`` over each expert's groups of ``t`` ties
    (Kendall & Babington Smith 1939; Siegel & Castellan 1988, sec. 9.4). Applications some expert
    did not score are left out.

    Returns
    -------
    Series with ``w, chi2, df, p_value, n_applications, n_experts``; ``chi2 = m (n - 1) W`` is
    Friedman's statistic (tie-corrected).

    >>> r = pd.DataFrame({"x": [1, 2, 3, 4], "y": [1, 2, 3, 4], "z": [2, 1, 3, 4]})
    >>> round(float(kendalls_w(r)["w"]), 4)
    0.9111
    """
    return _kendalls_w_matrix(_matrix(ratings))


def _kendalls_w_matrix(x) -> pd.Series:
    """:func:`kendalls_w` of a checked ratings matrix (:func:`_matrix`)."""
    if isinstance(x, _Scored):
        x = x.complete()  # what the two lines below keep of the dense matrix
    x = x[:, ~np.isnan(x).all(axis=0)] if x.size else x
    x = x[~np.isnan(x).any(axis=1)] if x.size else x
    n, m = x.shape if x.ndim == 2 else (0, 0)
    if n < 2 or m < 2:
        raise NotComputable(Problem(f"Kendall's W needs at least 2 applications scored by the same 2 or more "
                                    f"experts; found {n} application(s) scored by all {m} expert(s)"), n, m)
    ranks = np.apply_along_axis(_rankdata, 0, x)
    r = ranks.sum(axis=1)
    s = ((r - r.mean()) ** 2).sum()
    t = 0.0
    for j in range(m):
        _, counts = np.unique(x[:, j], return_counts=True)
        t += (counts**3 - counts).sum()
    denom = m**2 * (n**3 - n) - m * t
    w = 12 * s / denom if denom > 0 else np.nan
    chi2 = m * (n - 1) * w
    return pd.Series({"w": float(w), "chi2": float(chi2), "df": n - 1,
                      "p_value": float(_chi2_sf(chi2, n - 1)), "n_applications": n, "n_experts": m},
                     name="kendalls_w")


def krippendorff_alpha(ratings, level: str = "interval") -> float:
    """Krippendorff's alpha for interval or ordinal scores, missing scores allowed.

    ``alpha = 1 - D_o / D_e`` computed from the coincidence matrix of pairable values (applications
    with at least two scores), with the interval difference ``(c - k)^2`` or the ordinal difference
    ``(sum_{g=c..k} n_g - (n_c + n_k) / 2)^2`` (Hayes & Krippendorff 2007; Krippendorff 2019,
    sec. 12.3).

    Parameters
    ----------
    ratings
        Applications (units) as rows, experts (coders) as columns; ``NaN`` = no score.
    level
        ``"interval"`` or ``"ordinal"`` (``"nominal"`` and ``"ratio"`` are accepted too).

    Returns
    -------
    float
        ``NaN`` when every pairable value is the same (no expected disagreement).

    Examples
    --------
    Krippendorff's reliability data: 4 observers, 12 units, missing values (Hayes & Krippendorff 2007).

    >>> nan = float("nan")
    >>> data = pd.DataFrame({"A": [1, 2, 3, 3, 2, 1, 4, 1, 2, nan, nan, nan],
    ...                      "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, nan, 3],
    ...                      "C": [nan, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, nan],
    ...                      "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, nan]})
    >>> round(krippendorff_alpha(data, "interval"), 3), round(krippendorff_alpha(data, "ordinal"), 3)
    (0.849, 0.815)
    """
    if level not in ("interval", "ordinal", "nominal", "ratio"):
        raise PanelError(Problem(f"unknown level {level!r}", hint="use 'interval' or 'ordinal'"))
    return _alpha_from(*_coincidences(_matrix(ratings)), level)


def _coincidences(x) -> tuple[np.ndarray, np.ndarray]:
    """The distinct pairable values and their coincidence matrix (one per ratings matrix, any level)."""
    if isinstance(x, _Scored):
        mu, row, scores = x.row_counts, x.row, x.val
    else:
        present = ~np.isnan(x)
        mu = present.sum(axis=1)
        row, col = np.nonzero(present)
        scores = None
    pairable = mu >= 2
    mu = mu[pairable]
    if len(mu) == 0:
        raise PanelError(Problem("Krippendorff's alpha needs at least one application scored by 2 or more experts"))
    # the scores of the pairable units, row by row, without copying the (sparse) matrix's pairable rows
    keep = pairable[row]
    unit = (np.cumsum(pairable) - 1)[row[keep]]
    values, inv = np.unique(x[row[keep], col[keep]] if scores is None else scores[keep], return_inverse=True)
    V = len(values)
    wgt = 1.0 / (mu - 1)
    if _dyadic_weights(mu):
        return values, _coincidence_pairs(unit, inv.ravel(), wgt, V)
    # value counts per unit: whole numbers, so counting them at once gives exactly np.add.at's table
    h = np.bincount(unit * V + inv.ravel(), minlength=len(mu) * V).reshape(len(mu), V).astype(np.float64)
    o = (h * wgt[:, None]).T @ h - np.diag((h * wgt[:, None]).sum(axis=0))
    return values, o


def _dyadic_weights(mu: np.ndarray) -> bool:
    """Whether every unit's weight ``1 / (mu - 1)`` is a power of two (2, 3, 5, 9... scores per unit)
    and every coincidence sum stays far below 2**53: then each term ``h * w * h`` and every partial
    sum is a whole multiple of the smallest weight, held exactly, and the coincidence matrix is the
    same double however its sums are ordered (a matrix product's blocking, or one by one)."""
    m1 = mu.astype(np.int64) - 1
    if not len(m1) or (m1 < 1).any() or (m1 & (m1 - 1)).any():
        return False
    top = int(m1.max())
    return float(len(m1)) * float(top + 1) ** 2 * top < 2.0**50


def _coincidence_pairs(unit: np.ndarray, value: np.ndarray, wgt: np.ndarray, V: int) -> np.ndarray:
    """The coincidence matrix ``(h * w).T @ h - diag((h * w).sum(axis=0))`` of the value counts
    ``h[unit, value]`` from each unit's pairs of distinct values (a few per unit) instead of the
    ``units x values`` table (20,000 x 460 on a national call's weighted totals): exact for
    :func:`_dyadic_weights`, so the same doubles as the matrix product."""
    keys, h = np.unique(unit * V + value, return_counts=True)  # sorted: by unit, then value
    u, c = keys // V, keys % V
    hw = h * wgt[u]
    first = np.flatnonzero(np.r_[True, u[1:] != u[:-1]])
    size = np.diff(np.r_[first, len(u)])
    per = np.repeat(size, size)  # entries of each entry's unit
    left = np.repeat(np.arange(len(u)), per)
    start = np.repeat(np.repeat(first, size), per)
    right = start + (np.arange(len(left)) - np.repeat(np.cumsum(per) - per, per))
    o = np.bincount(c[left] * V + c[right], weights=hw[left] * h[right], minlength=V * V).reshape(V, V)
    return o - np.diag(np.bincount(c, weights=hw, minlength=V))


def _alpha_from(values: np.ndarray, o: np.ndarray, level: str) -> float:
    """Krippendorff's alpha at ``level`` from :func:`_coincidences`."""
    nc = o.sum(axis=1)
    n = nc.sum()
    if level == "nominal":
        d2 = (values[:, None] != values[None, :]).astype(float)
    elif level == "interval":
        d2 = (values[:, None] - values[None, :]) ** 2
    elif level == "ratio":
        with np.errstate(invalid="ignore", divide="ignore"):
            d2 = np.nan_to_num(((values[:, None] - values[None, :]) / (values[:, None] + values[None, :])) ** 2)
    else:
        cum = np.concatenate([[0.0], np.cumsum(nc)])
        lo = np.minimum.outer(np.arange(len(values)), np.arange(len(values)))
        hi = np.maximum.outer(np.arange(len(values)), np.arange(len(values)))
        d2 = (cum[hi + 1] - cum[lo] - (nc[:, None] + nc[None, :]) / 2) ** 2
    d_o = (o * d2).sum() / n
    d_e = (np.outer(nc, nc) * d2).sum() / (n * (n - 1))
    return float(1 - d_o / d_e) if d_e > 0 else float("nan")
