"""The fast, exact path for solving one stage many times with changing values (sensitivity).

The sensitivity engine re-solves a stage for thousands of weight (or score) samples. Rebuilding
the pulp model and calling CBC per sample (the *naive loop*, :func:`solve_naive`) costs tens of
milliseconds. :class:`FastStage` keeps one in-process HiGHS linear program per set of
candidates and exclusions (the rows of :func:`~selection.select.build_rules`, binary ``x``
relaxed to ``0 <= x <= 1``, excluded applications fixed to 0) and per sample only changes the
objective (``threads=1``, the previous basis as the start). A selection is accepted only with a
**certificate of unique optimality with a margin**:

For any row multipliers ``y`` with the right signs (``y_r >= 0`` on a ``<=`` row that ``x*``
meets with equality, ``y_r <= 0`` on a tight ``>=`` row, ``y_r = 0`` elsewhere) and reduced
values ``d = v - A^T y``, every feasible 0-1 selection ``x`` satisfies (Lagrangian duality;
e.g. Wolsey, L. A. (2020). *Integer Programming*, 2nd ed., Wiley, ch. 6.
doi:10.1002/9781119606475)::

    v.x - v.x* = d.(x - x*) + y.(A x - A x*)  <=  d.(x - x*).

Let ``N`` be the applications whose reduced value has the sign that keeps them where ``x*`` has
them, by at least the margin, and ``Z`` the (few) others. A selection that changes anything in
``N`` loses at least ``min_N |d| - sum_Z |d|``; the ``2^|Z| - 1`` selections that change only
``Z`` are checked one by one (feasible? value?). When every other feasible selection is worse
than ``x*`` by more than ``1e-6 * max(1, |v.x*|)`` — ten times the tolerance within which the
reference tie-break pass of :func:`~selection.select.solve_stage` prefers higher-ranked
applications — ``x*`` is *the* answer of the reference, whatever its tie-break rule.

**Skipping the solve.** The multipliers come from the LP basis: ``y_N = M^{-T} v_B`` with ``M``
the tight rows restricted to the basic columns. When the values are ``v = X w`` for a fixed
score matrix ``X`` (weight sampling), ``y`` is linear in ``w``: ``y_N = (M^{-T} X_B) w``. So for
a new weight vector, the stored maps of earlier certificates give multipliers in microseconds,
and if the certificate holds, the selection is proved optimal without calling the solver. The
set of weights where a certificate holds is a polyhedral cone (the stability region of the
basis; Gal, T. (1995). *Postoptimal Analyses, Parametric Programming and Related Topics*, de
Gruyter, ch. 3. doi:10.1515/9783110871203) — valid because the constraints do not depend on the
weights.

**Batches.** The samples still open are taken 32 at a time: their LPs are solved one after the
other (each warm from the last; the basis read as its basic variables), then all optima are
certified at once in arrays (:meth:`_Model.certify_many`, the test of :meth:`_Model.certify`;
the changes of the degenerate columns ``Z`` for all samples with as many of them at once).
Only a sample whose optimum is fractional or not proved takes the one-by-one path. While
certificates are tested on neighbours, batches are taken in sample order (far apart); otherwise
along a nearest-neighbour tour of the weights, so that each LP starts near its optimum.

**Small programs** (at most 12 free applications, e.g. 5 of 8 in stage 2) are enumerated
exhaustively once per candidate set; the best selection is accepted when the second best is
worse by more than the same margin.

**Exclusions are bounds.** One model is kept per set of candidates; which of them may be
selected in a sample (a weighted-total threshold moves with the weights) is set as column bounds,
and ``if_available`` floors follow the number of members left, so no model is rebuilt per sample.

**The 0-1 program in-process.** When the LP optimum is fractional (or gives no certificate), the
same HiGHS model with integrality (kept between samples; only costs and bounds change) is solved
exactly, and its optimum accepted when a second solve — the optimum cut off by a no-good row,
the value held within the margin of it — is infeasible: no other selection comes within the
margin, so it is the reference's answer whatever its tie rule.

**Fallback.** Only a near tie (another selection within the margin) goes to the reference
:func:`~selection.select.solve_stage` itself (HiGHS, including its tie rule), so the fast path
returns exactly the reference's selection in every case.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache, partial
from typing import Any

import numpy as np

from selection.errors import InfeasibleError, Problem, SolverError
from selection.model import Application, Stage
from selection.select.milp import Milp, quiet_highs
from selection.select.program import (
    TIE_TOLERANCE,
    StageInput,
    build_rules,
    integer_grid,
    solve_stage,
    solve_with_ties,
)

__all__ = ["FastStage", "FastStats", "solve_naive", "nondominated_selections", "TIE_MARGIN"]

#: Relative margin a certified optimum must keep over every other selection: ten times the
#: tolerance within which the reference tie rule counts two values as equal
#: (:data:`selection.select.program.TIE_TOLERANCE`; values on an integer grid tie only exactly).
TIE_MARGIN = 10 * TIE_TOLERANCE
_MAX_Z = 12
_MAX_MODELS = 512
_MAX_CERTS = 128
_MAX_ENUMERATE = 12
_NEIGHBOURS = 48  #: a new certificate is tested on this many nearest weight samples
_MAX_SEEN = 256  #: earlier selections kept per model as incumbents for reduced-cost fixing
_MAX_FREE = 14  #: columns left free after reduced-cost fixing that are enumerated (2^14 selections)
_BATCH = 32  #: samples whose LPs are solved one after the other and then certified at once


def _tour(nbr: np.ndarray) -> np.ndarray:
    """A greedy nearest-neighbour tour of the samples (``nbr``: each sample's nearest samples,
    itself first): from each sample to its nearest one not yet visited, else to the first
    unvisited in sample order."""
    S = len(nbr)
    seen = np.zeros(S, dtype=bool)
    out = np.empty(S, dtype=np.int64)
    i = nxt = 0
    for k in range(S):
        out[k] = i
        seen[i] = True
        near = nbr[i][~seen[nbr[i]]]
        if len(near):
            i = int(near[0])
            continue
        while nxt < S and seen[nxt]:
            nxt += 1
        i = nxt
    return out


def solve_naive(inp: StageInput, solver: str = "cbc") -> tuple[str, ...] | None:
    """The naive baseline: build the pulp model and call the solver (CBC) for this one input.

    Returns the selected ids sorted by rank, or ``None`` when no selection satisfies the rules.
    """
    try:
        return solve_stage(inp, solver).selected
    except InfeasibleError:
        return None


@dataclass
class FastStats:
    """How each sample was decided (for benchmarks and the run manifest)."""

    cone: int = 0  #: proved by a stored certificate, no solver call
    lp: int = 0  #: proved by one warm-started LP solve
    mip: int = 0  #: fractional LP optimum: the 0-1 program solved in-process, optimum proved unique
    fixed: int = 0  #: fractional LP optimum: reduced-cost fixing against an earlier selection, the rest enumerated
    enumerated: int = 0  #: small program (<= 12 free applications) proved by exhaustive search
    tie_rule: int = 0  #: a (near) tie decided in-process by the reference's own tie rule (ranks)
    funding_line: int = 0  #: a funding-line stage: the rank order solved by the pipeline's own funding line
    reference: int = 0  #: handed to the reference path (no ranks given, or a value only it computes)
    infeasible: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"cone": self.cone, "lp": self.lp, "fixed": self.fixed, "mip": self.mip, "enumerated": self.enumerated,
                "tie_rule": self.tie_rule, "funding_line": self.funding_line, "reference": self.reference, "infeasible": self.infeasible}

    def add(self, other: FastStats) -> None:
        self.cone += other.cone
        self.lp += other.lp
        self.mip += other.mip
        self.fixed += other.fixed
        self.enumerated += other.enumerated
        self.tie_rule += other.tie_rule
        self.funding_line += other.funding_line
        self.reference += other.reference
        self.infeasible += other.infeasible


@cache
def _patterns(k: int) -> np.ndarray:
    """Every non-empty subset of ``k`` columns as 0/1 rows."""
    return ((np.arange(1, 2**k)[:, None] >> np.arange(k)) & 1).astype(float)


def tied(totals: np.ndarray, best: float, grid: int | None) -> np.ndarray:
    """Which totals the reference tie rule counts as equal to the optimum ``best``: on an integer
    grid ``1/D`` exactly equal, else within :data:`~selection.select.program.TIE_TOLERANCE`
    (relative to ``max(1, |best|)``), as :func:`~selection.select.program.solve_with_ties` does."""
    if grid is not None:
        return np.round(np.asarray(totals) * grid) >= np.round(best * grid)
    return np.asarray(totals) >= best - TIE_TOLERANCE * max(1.0, abs(best))


def lex_best(subsets: np.ndarray, totals: np.ndarray, v: np.ndarray, priority: np.ndarray) -> np.ndarray:
    """The reference's tie rule over an explicit list of feasible selections (rows of 0/1):
    among those of optimal value (:func:`tied`), the one whose best-ranked differing application
    (highest ``priority``) is selected — the lexicographic maximum in priority order."""
    best = float(totals.max())
    cand = subsets[tied(totals, best, integer_grid(v))]
    order = np.argsort(-np.asarray(priority, dtype=float), kind="stable")
    keys = cand[:, order] > 0.5
    # np.lexsort sorts by its last key first: the best-ranked column is the primary key
    return cand[np.lexsort(keys[:, ::-1].T)[-1]]


@dataclass
class _Cert:
    x: np.ndarray  # 0/1 over the model's columns
    tight_rows: np.ndarray  # indices of the nonbasic (tight) rows
    basic_cols: np.ndarray
    ymap: np.ndarray | None  # (len(tight_rows), n_criteria): y_N = ymap @ w


class _Model:
    """One stage program over fixed candidates, with its LP (and, lazily, its MIP) in HiGHS.

    Exclusions are column bounds (``x_j <= 0``), set per sample by :meth:`set_free`, so a
    weight-dependent threshold does not rebuild anything; ``if_available`` floors follow the
    number of members that may be selected (as :func:`~selection.select.build_rules` lowers them).
    """

    def __init__(self, stage: Stage, applications: Mapping[str, Application], ids: list[str],
                 excluded: frozenset[str] = frozenset()):
        self.ids = ids
        rules = build_rules(StageInput(stage, applications, dict.fromkeys(ids, 0.0),
                                       {a: i + 1 for i, a in enumerate(ids)}, {}))
        n, m = len(ids), len(rules)
        col = {a: j for j, a in enumerate(ids)}
        self.A = np.zeros((m, n))
        lo = np.full(m, -np.inf)
        self.hi = np.full(m, np.inf)
        floors: list[tuple[int, int]] = []  # (row, the rule's own count) of if_available floors
        for r, rule in enumerate(rules):
            for a, c in rule.coefs.items():
                if a in col:
                    self.A[r, col[a]] = c
            if rule.sense == "<=":
                self.hi[r] = rule.rhs
            else:
                lo[r] = rule.rhs
                if rule.if_available and rule.source is not None:  # the rule's data, not its name
                    floors.append((r, stage.constraints[rule.source].count))
        self.base_lo = lo
        self.lo = lo.copy()
        self._floor_rows = np.array([r for r, _ in floors], dtype=np.int64)
        self._floor_count = np.array([k for _, k in floors], dtype=float)
        self._floor_members = (self.A[self._floor_rows] != 0) if floors else np.zeros((0, n), dtype=bool)
        self._floor_members_t = self._floor_members.T.astype(float)  # (n, floors): members as 0/1 columns
        #: per column, the rows it has a coefficient in (the rows a change of it can move)
        self._col_rows = self.A.T != 0
        self.free = np.ones(n, dtype=bool)
        self._h: Any = None  # highspy objects (made on first use)
        self._mip: Any = None
        self._mip_bounds: tuple[bytes, bytes] | None = None
        self._lp_bounds: tuple[bytes, bytes] | None = None
        self._subsets: dict[tuple[bytes, bytes], np.ndarray] = {}
        self._stacked: tuple[list[_Cert], np.ndarray, np.ndarray, np.ndarray] | None = None
        self.last_cert: _Cert | None = None
        self._lo_key = self.lo.tobytes()
        #: per selection and row bounds: (on, A x, feasible, tight caps, tight floors) — see :meth:`_point`
        self._points: dict[tuple[bytes, bytes], tuple[np.ndarray, np.ndarray, bool, np.ndarray, np.ndarray]] = {}
        #: per selection, Z columns and row bounds: the feasible flips of Z (see :meth:`certify`)
        self._flips: dict[tuple[bytes, bytes, bytes], tuple[np.ndarray, np.ndarray]] = {}
        self._names: dict[bytes, tuple[str, ...]] = {}  #: selected ids per selection (see FastStage._ids)
        self.set_free(np.array([a not in excluded for a in ids]))

    def set_free(self, free: np.ndarray) -> None:
        """Which candidates may be selected in this sample; floors lowered as the rules do."""
        self.free = np.asarray(free, dtype=bool)
        if len(self._floor_rows):
            avail = self.free.astype(float) @ self._floor_members_t  # members left (a count, not a bool)
            need = np.minimum(self._floor_count, avail)
            need[need <= 0] = -np.inf
            self.lo = self.base_lo.copy()
            self.lo[self._floor_rows] = need
            self._lo_key = self.lo.tobytes()

    def _key(self) -> tuple[bytes, bytes]:
        return self.free.tobytes(), self.lo.tobytes()

    def feasible(self, x: np.ndarray) -> bool:
        """Whether the 0-1 point ``x`` keeps every row and exclusion of this sample."""
        if np.any(x[~self.free] > 0.5):
            return False
        ax = self.A @ x
        return bool(np.all((ax <= self.hi + 1e-9) & (ax >= self.lo - 1e-9)))

    def enumerate(self, v: np.ndarray, priority: np.ndarray | None = None) -> tuple[str, np.ndarray | None]:
        """Exhaustive search for small programs (at most 2^12 selections of the free columns).

        A near tie is "unproved", or with the tie rule's ``priority`` (higher first) decided by it
        (status "tie_rule", :func:`lex_best`)."""
        key = self._key()
        subsets = self._subsets.get(key)
        if subsets is None:
            free = np.nonzero(self.free)[0]
            k = len(free)
            pats = ((np.arange(2**k)[:, None] >> np.arange(k)) & 1).astype(float)
            full = np.zeros((2**k, len(self.ids)))
            full[:, free] = pats
            rows = full @ self.A.T
            ok = np.all((rows <= self.hi + 1e-9) & (rows >= self.lo - 1e-9), axis=1)
            subsets = full[ok]
            if len(self._subsets) > 256:
                self._subsets.clear()
            self._subsets[key] = subsets
        if len(subsets) == 0:
            return "infeasible", None
        totals = subsets @ v
        order = np.argsort(-totals, kind="stable")
        best = totals[order[0]]
        tol = TIE_MARGIN * max(1.0, abs(best))
        if len(order) > 1 and totals[order[1]] >= best - tol:
            if priority is not None:  # the tie rule itself, over every feasible selection
                return "tie_rule", lex_best(subsets, totals, v, priority)
            return "unproved", None
        return "proved", subsets[order[0]]

    def lo_many(self, free: np.ndarray) -> np.ndarray:
        """Row lower bounds for many samples' free masks (S, n) -> (S, m)."""
        LO = np.empty((len(free), len(self.base_lo)))
        LO[...] = self.base_lo
        if len(self._floor_rows):
            need = np.minimum(self._floor_count, free.astype(float) @ self._floor_members_t)
            need[need <= 0] = -np.inf
            LO[:, self._floor_rows] = need
        return LO

    def enumerate_many(self, V: np.ndarray, blocked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`enumerate` for many samples (every candidate column, at most 2^12 subsets).

        Returns per sample a status (1 proved, 0 infeasible, -1 unproved: a near tie) and the
        index of the chosen subset in ``self._all_subsets``.
        """
        if getattr(self, "_all_subsets", None) is None:
            k = len(self.ids)
            full = ((np.arange(2**k)[:, None] >> np.arange(k)) & 1).astype(float)
            rows = full @ self.A.T
            ok = np.all(rows <= self.hi + 1e-9, axis=1)
            self._all_subsets, self._all_rows = full[ok], rows[ok]
        subsets, rows = self._all_subsets, self._all_rows
        S = len(V)
        status = np.full(S, -1, dtype=np.int8)
        pick = np.zeros(S, dtype=np.int64)
        if len(subsets) == 0:
            status[:] = 0
            return status, pick
        LO = self.lo_many(~blocked)
        for a in range(0, S, 1024):
            b = min(S, a + 1024)
            allowed = (blocked[a:b].astype(float) @ subsets.T) < 0.5  # uses no blocked candidate
            allowed &= np.all(rows[None, :, :] >= LO[a:b, None, :] - 1e-9, axis=2)
            totals = np.where(allowed, V[a:b] @ subsets.T, -np.inf)
            if totals.shape[1] == 1:
                top = np.zeros(b - a, dtype=np.int64)
                second = np.full(b - a, -np.inf)
            else:
                part = np.argpartition(-totals, 1, axis=1)[:, :2]
                t2 = np.take_along_axis(totals, part, axis=1)
                first = np.argmax(t2, axis=1)
                top = part[np.arange(b - a), first]
                second = t2[np.arange(b - a), 1 - first]
            best = totals[np.arange(b - a), top]
            tol = TIE_MARGIN * np.maximum(1.0, np.abs(best))
            st = np.where(~np.isfinite(best), 0, np.where(second >= best - tol, -1, 1))
            status[a:b] = st
            pick[a:b] = top
        return status, pick

    def cover(self, cert: _Cert, V: np.ndarray, W: np.ndarray, blocked: np.ndarray) -> np.ndarray:
        """Which samples (rows of ``V``, ``W``, ``blocked``) the certificate ``cert`` proves: its
        multiplier map gives each sample's multipliers, screened as in :meth:`try_cones`;
        samples with degenerate columns get the full :meth:`certify`."""
        if cert.ymap is None:
            raise ValueError("a certificate without a multiplier map proves no other sample")
        return self.cover_many([cert], V, W, blocked, [np.arange(len(V))])[0]

    def cover_many(self, certs: Sequence[_Cert], V: np.ndarray, W: np.ndarray, blocked: np.ndarray,
                   rests: Sequence[np.ndarray]) -> list[np.ndarray]:
        """:meth:`cover` of several certificates at once: ``certs[j]`` on the samples ``rests[j]``
        (indices of rows of ``V``, ``W``, ``blocked``); per certificate, which of its samples it
        proves. The same test on one array of (certificate, sample) pairs: each sample's verdict
        depends only on the certificate and the sample."""
        m = self.A.shape[0]
        out = [np.zeros(len(r), dtype=bool) for r in rests]
        rows: list[np.ndarray] = []
        owner: list[int] = []
        ys: list[np.ndarray] = []
        axs: list[np.ndarray] = []
        xs: list[np.ndarray] = []
        bests: list[np.ndarray] = []
        for j, (cert, r) in enumerate(zip(certs, rests, strict=True)):
            if not len(r):
                continue
            if cert.ymap is None:
                raise ValueError("a certificate without a multiplier map proves no other sample")
            ax = self.A @ cert.x
            if not (ax <= self.hi + 1e-9).all():  # the certificate's selection breaks a cap: no sample
                continue
            Ymap = np.zeros((m, cert.ymap.shape[1]))
            Ymap[cert.tight_rows] = cert.ymap
            ys.append(W[r] @ Ymap.T)
            bests.append(V[r] @ cert.x)
            axs.append(ax)
            xs.append(cert.x)
            rows.append(r)
            owner.append(j)
        if not rows:
            return out
        # the pairs: certificate ``jp`` (its place ``cp`` among those tested), sample ``r`` (at
        # ``kp`` in its rest)
        lens = np.array([len(r) for r in rows])
        cp = np.repeat(np.arange(len(rows)), lens)
        jp = np.array(owner)[cp]
        kp = np.arange(len(cp)) - np.repeat(np.cumsum(lens) - lens, lens)
        r = np.concatenate(rows)
        ax = np.array(axs)[cp]
        on = (np.array(xs) > 0.5)[cp]
        Vr, Br = V[r], blocked[r]
        free = ~Br
        LO = self.lo_many(free)
        # usable: the sample may select every column of x, and x keeps its floors
        usable = ~(Br & on).any(axis=1) & (ax >= LO - 1e-9).all(axis=1)
        tol_feas = 1e-9 * (1.0 + np.abs(ax))
        pos = np.abs(ax - self.hi) <= tol_feas
        neg = np.abs(ax - LO) <= tol_feas
        y = np.concatenate(ys)
        y = np.where((pos & (y > 0)) | (neg & (y < 0)), y, 0.0)
        d = Vr - y @ self.A
        best = np.concatenate(bests)
        tol = TIE_MARGIN * np.maximum(1.0, np.abs(best))
        sd = np.where(on, d, -d)  # >= tol: the column keeps x's value by at least the margin
        good = free & (sd >= tol[:, None])
        bad = free ^ good
        nz = bad.sum(axis=1)
        # on a good column |d| = sd (sd >= tol > 0)
        dmin = np.where(good, sd, np.inf).min(axis=1)
        zsum = np.where(bad, np.abs(d), 0.0).sum(axis=1)
        passed = usable & (nz <= _MAX_Z) & ((dmin - zsum) > tol)
        # the rest of :meth:`certify` for the pairs with columns Z: no feasible change of Z alone
        # comes within the margin (pairs with as many Z columns at once, as in :meth:`certify_many`)
        ok = passed.copy()
        self._no_close_change(passed & (nz > 0), ok, on, ax, bad, LO, Vr, tol)
        for j in np.unique(jp[ok]).tolist():
            sel = ok & (jp == j)
            out[j][kp[sel]] = True
        return out

    def _new_highs(self, integer: bool):
        import highspy

        h = quiet_highs(exact=True) if integer else quiet_highs(presolve="off")
        m, n = self.A.shape
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = n, m
        lp.col_cost_ = np.zeros(n)
        lp.col_lower_ = np.zeros(n)
        lp.col_upper_ = self.free.astype(float)
        inf = highspy.kHighsInf
        lp.row_lower_ = np.where(np.isfinite(self.lo), self.lo, -inf)
        lp.row_upper_ = np.where(np.isfinite(self.hi), self.hi, inf)
        rows, cols = np.nonzero(self.A)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
        lp.a_matrix_.start_ = np.searchsorted(rows, np.arange(m + 1)).astype(np.int32)
        lp.a_matrix_.index_ = cols.astype(np.int32)
        lp.a_matrix_.value_ = self.A[rows, cols].astype(float)
        lp.sense_ = highspy.ObjSense.kMaximize
        if integer:
            lp.integrality_ = [highspy.HighsVarType.kInteger] * n
        h.passModel(lp)
        self._ok = highspy.HighsStatus.kOk
        self._optimal = highspy.HighsModelStatus.kOptimal
        self._infeasible = highspy.HighsModelStatus.kInfeasible
        self._inf = inf
        self._idx = np.arange(n, dtype=np.int32)
        self._ridx = np.arange(m, dtype=np.int32)
        return h, self._key()

    def _sync(self, h, have: tuple[bytes, bytes] | None) -> tuple[bytes, bytes]:
        """Pass this sample's column and row bounds to ``h`` when they changed."""
        key = self._key()
        if key != have:
            if have is None or len(have[0]) != len(key[0]):
                changed = self._idx
            else:  # only the columns whose exclusion changed since the bounds ``have``
                changed = np.nonzero(self.free != np.frombuffer(have[0], dtype=bool))[0].astype(np.int32)
            if len(changed):
                h.changeColsBounds(len(changed), changed, np.zeros(len(changed)), self.free[changed].astype(float))
            if len(self._floor_rows) and (have is None or have[1] != key[1]):
                lo = np.where(np.isfinite(self.lo), self.lo, -self._inf)
                h.changeRowsBounds(len(self._ridx), self._ridx, lo, np.where(np.isfinite(self.hi), self.hi, self._inf))
        return key

    def _highs(self):
        if self._h is None:
            self._h, self._lp_bounds = self._new_highs(False)
        self._lp_bounds = self._sync(self._h, self._lp_bounds)
        return self._h

    # -- the certificate -------------------------------------------------------------------
    def _point(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool, np.ndarray, np.ndarray]:
        """For the 0-1 point ``x`` under this sample's row bounds: which columns are on, the row
        activities ``A x``, whether every row is kept, and which rows are tight at their cap and
        at their floor (kept per selection and floors: many samples share them)."""
        on = x > 0.5
        key = (on.tobytes(), self._lo_key)
        got = self._points.get(key)
        if got is None:
            ax = self.A @ x
            hi_gap, lo_gap = ax - self.hi, ax - self.lo
            ok = not ((hi_gap > 1e-9).any() or (lo_gap < -1e-9).any())
            tol_feas = 1e-9 * (1.0 + np.abs(ax))
            got = (on, ax, ok, np.abs(hi_gap) <= tol_feas, np.abs(lo_gap) <= tol_feas)
            if len(self._points) > 4096:
                self._points.clear()
            self._points[key] = got
        return got

    def _feasible_flips(self, on: np.ndarray, ax: np.ndarray, zmask: np.ndarray,
                        lo: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """The changes of the columns ``Z`` (rows: -1 turns an ``on`` column off, +1 an off one on;
        every non-empty subset) that keep every row of this sample (or of the row floors ``lo``),
        and ``Z``'s indices — kept per selection, ``Z`` and floors: they do not depend on the values."""
        if lo is None:
            lo = self.lo
            lo_key = self._lo_key
        else:
            lo_key = lo.tobytes()
        key = (on.tobytes(), zmask.tobytes(), lo_key)
        got = self._flips.get(key)
        if got is None:
            z = zmask.nonzero()[0]
            delta = np.where(on[z], -1.0, 1.0) * _patterns(len(z))  # (P, k)
            feas = self._flips_keep(ax, z, delta, lo)
            got = (np.ascontiguousarray(delta[feas]), z)
            if len(self._flips) > 4096:
                self._flips.clear()
            self._flips[key] = got
        return got

    def _flips_keep(self, ax: np.ndarray, z: np.ndarray, delta: np.ndarray, lo: np.ndarray) -> np.ndarray:
        """Which changes ``delta`` (rows, of the columns ``z``) of a point with row activities
        ``ax`` keep every row (floors ``lo``): the test of :meth:`_feasible_flips` on given changes."""
        # a row without a coefficient on Z keeps its activity ``ax`` under every change
        touched = self._col_rows[z].any(axis=0)
        r = touched.nonzero()[0]
        still = ~touched
        if not ((ax[still] <= self.hi[still] + 1e-9).all() and (ax[still] >= lo[still] - 1e-9).all()):
            return np.zeros(len(delta), dtype=bool)
        rows = ax[r] + delta @ self.A[r][:, z].T
        return ((rows <= self.hi[r] + 1e-9) & (rows >= lo[r] - 1e-9)).all(axis=1)

    def certify(self, v: np.ndarray, x: np.ndarray, y: np.ndarray) -> bool:
        """Whether ``x`` is, provably, the unique optimum of ``max v.x`` with the margin."""
        on, ax, ok, up, down = self._point(x)
        if (on & ~self.free).any() or not ok:
            return False
        # keep only valid-sign multipliers: y > 0 on a tight cap, y < 0 on a tight floor
        keep = (up & (y > 0)) | (down & (y < 0))
        d = v - (y * keep) @ self.A
        best = float(v @ x)
        tol = TIE_MARGIN * max(1.0, abs(best))
        sd = np.where(on, d, -d)  # >= tol: the column keeps x's value by at least the margin
        good = self.free & (sd >= tol)
        zmask = self.free & ~good
        nz = int(np.count_nonzero(zmask))
        if nz > _MAX_Z:
            return False
        if good.any() and float(sd[good].min()) - float(np.abs(d[zmask]).sum()) <= tol:
            return False
        if nz:
            delta, z = self._feasible_flips(on, ax, zmask)
            if len(delta) and (delta @ v[z] >= -tol).any():
                return False
        return True

    def certify_many(self, V: np.ndarray, XS: np.ndarray, Y: np.ndarray,
                     blocked: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """:meth:`certify` for many samples at once: the LP optima ``XS`` (rows), their multipliers
        ``Y``, the values ``V`` and the blocked candidates of each sample. Returns the rounded
        optima and which of them are integral and proved (the same test, on arrays: the changes of
        ``Z`` for all samples with as many ``Z`` columns at once)."""
        x = np.round(XS)
        free = ~blocked
        LO = self.lo_many(free)
        on = x > 0.5
        ax = x @ self.A.T
        hi_gap, lo_gap = ax - self.hi, ax - LO
        tol_feas = 1e-9 * (1.0 + np.abs(ax))
        # valid-sign multipliers only: y > 0 on a tight cap, y < 0 on a tight floor
        keep = ((np.abs(hi_gap) <= tol_feas) & (Y > 0)) | ((np.abs(lo_gap) <= tol_feas) & (Y < 0))
        d = V - (Y * keep) @ self.A
        best = np.einsum("ij,ij->i", V, x)
        tol = TIE_MARGIN * np.maximum(1.0, np.abs(best))
        sd = np.where(on, d, -d)  # >= tol: the column keeps x's value by at least the margin
        good = free & (sd >= tol[:, None])
        zmask = free & ~good
        nz = zmask.sum(axis=1)
        dmin = np.where(good, sd, np.inf).min(axis=1)
        zsum = np.where(zmask, np.abs(d), 0.0).sum(axis=1)
        proved = ~np.any(np.abs(XS - x) > 1e-7, axis=1) & ~np.any(on & ~free, axis=1)
        proved &= ~np.any(hi_gap > 1e-9, axis=1) & ~np.any(lo_gap < -1e-9, axis=1)
        proved &= (nz <= _MAX_Z) & ~(good.any(axis=1) & (dmin - zsum <= tol))
        self._no_close_change(proved & (nz > 0), proved, on, ax, zmask, LO, V, tol)
        return x, proved

    def _no_close_change(self, todo: np.ndarray, proved: np.ndarray, on: np.ndarray, ax: np.ndarray,
                         zmask: np.ndarray, LO: np.ndarray, V: np.ndarray, tol: np.ndarray) -> None:
        """The last step of :meth:`certify` for the rows ``todo`` (of selections ``on``, row
        activities ``ax``, columns ``Z`` = ``zmask``, floors ``LO``, values ``V``, margins ``tol``):
        no feasible change of ``Z`` alone (every non-empty subset flipped) comes within the margin;
        ``proved`` is cleared where one does. Rows with as many ``Z`` columns are taken at once."""
        rows = np.nonzero(todo)[0]
        nz = zmask[rows].sum(axis=1)
        for k in np.unique(nz).tolist():
            pats = _patterns(k)
            rows_k = rows[nz == k]
            step = max(1, 2_000_000 // (len(pats) * max(1, self.A.shape[0])))  # bounded memory
            for a in range(0, len(rows_k), step):
                g = rows_k[a:a + step]
                Z = np.nonzero(zmask[g])[1].reshape(len(g), k)  # each row's Z, ascending
                delta = pats[None, :, :] * np.where(on[g[:, None], Z], -1.0, 1.0)[:, None, :]  # (g, P, k)
                act = ax[g][:, None, :] + delta @ self.A[:, Z].transpose(1, 2, 0)  # (g, P, m)
                feas = np.all((act <= self.hi + 1e-9) & (act >= LO[g][:, None, :] - 1e-9), axis=2)
                gain = (delta @ V[g[:, None], Z][:, :, None])[:, :, 0]  # (g, P)
                proved[g] &= ~np.any(feas & (gain >= -tol[g][:, None]), axis=1)

    def _multipliers(self, v: np.ndarray, cert: _Cert) -> np.ndarray | None:
        y = np.zeros(self.A.shape[0])
        if len(cert.tight_rows):
            M = self.A[np.ix_(cert.tight_rows, cert.basic_cols)]
            try:
                y[cert.tight_rows] = np.linalg.solve(M.T, v[cert.basic_cols])
            except np.linalg.LinAlgError:
                return None
        return y

    def _stack(self, cert: _Cert) -> None:
        """Add a certificate's map to the stacked arrays that test all cones at once."""
        if cert.ymap is None:
            raise ValueError("a certificate without a multiplier map cannot be stacked")
        m, n = self.A.shape
        Y = np.zeros((1, m, cert.ymap.shape[1]))
        Y[0, cert.tight_rows] = cert.ymap
        ax = (self.A @ cert.x)[None, :]
        if self._stacked is None:
            self._stacked = ([cert], Y, ax, cert.x[None, :])
            return
        certs, Ys, AX, X = self._stacked
        keep = self.max_certs - 1
        self._stacked = ([cert] + certs[:keep], np.concatenate([Y, Ys[:keep]]), np.concatenate([ax, AX[:keep]]),
                         np.concatenate([cert.x[None, :], X[:keep]]))

    #: certificates kept for the cone screen (fewer for large programs, where screening costs more)
    max_certs = _MAX_CERTS

    def try_cones(self, v: np.ndarray, w: np.ndarray | None) -> np.ndarray | None:
        """Selection proved by a stored certificate's multiplier map at weights ``w``, if any.

        All stored cones are screened at once (multipliers, reduced values, margin without the
        ``Z`` columns); the few that pass get the full :meth:`certify`.
        """
        if self._stacked is None or w is None:
            return None
        certs, Y, AX, xs = self._stacked
        tol_feas = 1e-9 * (1.0 + np.abs(AX))
        usable = ~np.any(xs[:, ~self.free] > 0.5, axis=1) & \
            np.all((AX <= self.hi + 1e-9) & (AX >= self.lo - 1e-9), axis=1)
        if not usable.any():
            return None
        pos = np.abs(AX - self.hi) <= tol_feas
        neg = np.abs(AX - self.lo) <= tol_feas
        y = Y @ w
        y = np.where((pos & (y > 0)) | (neg & (y < 0)), y, 0.0)
        d = v[None, :] - y @ self.A
        best = xs @ v
        tol = (TIE_MARGIN * np.maximum(1.0, np.abs(best)))[:, None]
        on = xs > 0.5
        good = self.free[None, :] & np.where(on, d >= tol, d <= -tol)
        bad = self.free[None, :] & ~good
        nz = bad.sum(axis=1)
        dmin = np.where(good, np.abs(d), np.inf).min(axis=1)
        zsum = np.where(bad, np.abs(d), 0.0).sum(axis=1)
        ok = usable & (nz <= _MAX_Z) & ((dmin - zsum) > tol[:, 0])
        for k in np.nonzero(ok)[0]:
            if self.certify(v, certs[k].x, y[k]):
                return certs[k].x
        return None

    def solve_lp(self, v: np.ndarray, X: np.ndarray | None, *, stack: bool = True) -> tuple[str, np.ndarray | None]:
        """Solve the LP; return ("infeasible"|"proved"|"unproved", selection).

        With ``X``, a proved selection's certificate gets its multiplier map (:attr:`last_cert`),
        kept for :meth:`try_cones` when ``stack``."""
        self.last_cert = None
        h = self._highs()
        n = len(v)
        h.changeColsCost(n, self._idx, v)
        h.run()
        status = h.getModelStatus()
        if status == self._infeasible:
            return "infeasible", None
        if status != self._optimal:
            return "unproved", None
        self.last_lp = None
        self.last_frac = None
        sol = h.getSolution()
        xs = np.asarray(sol.col_value)
        # the LP's row duals are the basis multipliers y_N = M^-T v_B (HiGHS's sign convention for a
        # maximisation: d = v - A^T y is its column dual); certify() keeps only valid-sign ones
        y = np.asarray(sol.row_dual, dtype=np.float64)
        x = np.round(xs)
        if np.any(np.abs(xs - x) > 1e-7):
            self.last_frac = (xs, y)
            return "unproved", None
        self.last_lp = (x, y)
        if not self.certify(v, x, y):
            return "unproved", x
        if X is not None and (self.max_certs > 0 or not stack):  # the map y(w) needs the basis
            # the basis as its basic variables (a column j as j, row r's slack as -1 - r): far
            # cheaper than the basis's status lists of pybind enums
            status, bv = h.getBasicVariables()
            cert = self.basis_cert(x, np.asarray(bv, dtype=np.int64) if status == self._ok else None, X)
            if cert is None:
                return "proved", x
            self.last_cert = cert
            if stack:
                self._stack(cert)
        return "proved", x

    def basis_cert(self, x: np.ndarray, bv: np.ndarray | None, X: np.ndarray) -> _Cert | None:
        """The certificate of ``x`` with the multiplier map of the LP basis whose basic variables
        are ``bv`` (HiGHS's numbering: a column ``j`` as ``j``, row ``r``'s slack as ``-1 - r``):
        ``y_N = (M^-T X_B) w``; ``None`` when there is no square nonsingular ``M``."""
        if bv is None:
            return None
        basic_cols = np.sort(bv[bv >= 0])
        tight = np.ones(self.A.shape[0], dtype=bool)
        tight[-1 - bv[bv < 0]] = False
        tight = np.nonzero(tight)[0]
        if len(basic_cols) != len(tight):
            return None
        cert = _Cert(x, tight, basic_cols, None)
        M = self.A[tight][:, basic_cols]
        try:
            cert.ymap = np.linalg.solve(M.T, X[basic_cols]) if len(tight) else np.zeros((0, X.shape[1]))
        except np.linalg.LinAlgError:
            return None
        return cert

    #: the last integral LP optimum and its multipliers (for :meth:`solve_restricted`)
    last_lp: tuple[np.ndarray, np.ndarray] | None = None
    #: the last fractional LP optimum and its multipliers (for :meth:`fix_and_enumerate`)
    last_frac: tuple[np.ndarray, np.ndarray] | None = None
    #: distinct selections decided on this model (incumbents for :meth:`fix_and_enumerate`)
    seen: OrderedDict[bytes, np.ndarray]

    def remember(self, x: np.ndarray, key: bytes | None = None) -> None:
        """Keep ``x`` (``key``: its on-mask's bytes) among the incumbents :attr:`seen`."""
        if not hasattr(self, "seen"):
            self.seen = OrderedDict()
        if key is None:
            key = (x > 0.5).tobytes()
        if key in self.seen:
            self.seen.move_to_end(key)
            return
        self.seen[key] = (x > 0.5).astype(float)
        if len(self.seen) > _MAX_SEEN:
            self.seen.popitem(last=False)

    def fix_and_enumerate(self, v: np.ndarray, priority: np.ndarray | None) -> tuple[str, np.ndarray | None]:
        """A fractional LP optimum decided without branch and bound: reduced-cost fixing against
        the best earlier selection, then every selection of the few columns left.

        With the LP optimum ``x̄`` and valid-sign multipliers ``y`` (``d = v - A^T y``), every
        feasible ``x`` has ``v.x <= U - sum_j loss_j(x_j)``, ``U = v.x̄ + sum_j max(d_j (1 - x̄_j),
        -d_j x̄_j)`` and ``loss_j`` what the value ``x_j`` gives up against the better of 0 and 1
        (Wolsey 2020, ch. 6 and 7, reduced-cost fixing; doi:10.1002/9781119606475). Given a
        feasible ``x*`` of value ``z*`` (the best earlier selection that keeps this sample's
        bounds), every selection within the margin of ``z*`` has each column with
        ``loss_j > U - z* + margin`` at its better value; the other columns ``F`` (at most
        ``_MAX_FREE``) are enumerated exactly. The best is proved when the second best is worse by
        the margin (or, with ``priority``, the tie rule picks among the tied, :func:`lex_best`).
        Returns ("proved" | "tie_rule" | "unproved", selection)."""
        if self.last_frac is None or not getattr(self, "seen", None):
            return "unproved", None
        xb, y = self.last_frac
        inc = np.array(list(self.seen.values()))
        ok = ~np.any(inc[:, ~self.free] > 0.5, axis=1)
        rows = inc @ self.A.T
        ok &= np.all((rows <= self.hi + 1e-9) & (rows >= self.lo - 1e-9), axis=1)
        if not ok.any():
            return "unproved", None
        zstar = float(np.max(inc[ok] @ v))
        ax = self.A @ xb
        tol_feas = 1e-9 * (1.0 + np.abs(ax))
        up = np.abs(ax - self.hi) <= tol_feas
        down = np.abs(ax - self.lo) <= tol_feas
        y = np.where((up & (y > 0)) | (down & (y < 0)), y, 0.0)
        d = v - self.A.T @ y
        g1, g0 = d * (1.0 - xb), -d * xb  # what x_j = 1 and x_j = 0 add to the bound
        better = np.where(self.free, g1 > g0, False)  # excluded columns stay at 0
        top = np.where(self.free, np.maximum(g1, g0), g0)
        U = float(v @ xb) + float(top.sum())
        loss = np.where(self.free, np.abs(g1 - g0), np.inf)
        tol = TIE_MARGIN * max(1.0, abs(zstar), abs(U))  # at least the margin of any value up to U
        slack = U - zstar + 2 * tol + 1e-9 * max(1.0, abs(U))
        F = np.nonzero(self.free & (loss <= slack))[0]
        if len(F) > _MAX_FREE:
            return "unproved", None
        base = better.astype(float)
        base[F] = 0.0
        pats = ((np.arange(2 ** len(F))[:, None] >> np.arange(len(F))) & 1).astype(float)
        # the rows' activities: the fixed columns' once, plus each pattern's on F alone
        act = (self.A @ base)[None, :] + pats @ self.A[:, F].T
        feas = np.all((act <= self.hi + 1e-9) & (act >= self.lo - 1e-9), axis=1)
        if not feas.any():
            return "unproved", None
        cand = np.broadcast_to(base, (int(feas.sum()), len(base))).copy()
        cand[:, F] = pats[feas]
        totals = cand @ v
        order = np.argsort(-totals, kind="stable")
        best = float(totals[order[0]])
        if best < zstar - tol:  # pragma: no cover - the incumbent is among them
            return "unproved", None
        margin = TIE_MARGIN * max(1.0, abs(best))
        if len(order) > 1 and totals[order[1]] >= best - margin:
            if priority is None:
                return "unproved", None
            return "tie_rule", lex_best(cand, totals, v, priority)
        return "proved", cand[order[0]]

    def milp(self) -> Milp:
        """This sample's program (bounds as set by :meth:`set_free`) as a :class:`Milp`."""
        m = Milp(maximize=True)
        n = len(self.ids)
        m.add_vars(n, upper=self.free.astype(float))
        for r in range(self.A.shape[0]):
            cols = np.nonzero(self.A[r])[0]
            m.add_row(cols, self.A[r, cols], lower=float(self.lo[r]), upper=float(self.hi[r]))
        return m

    def solve_ties(self, v: np.ndarray, priority: np.ndarray) -> tuple[str, np.ndarray | None]:
        """The reference's own exact program and tie rule
        (:func:`~selection.select.program.solve_with_ties`) on this sample's model.

        First, when the last LP optimum was integral, its multipliers often prove that every
        selection the tie rule counts as optimal agrees with it outside a few columns ``Z`` whose
        reduced values are (near) zero (:meth:`solve_restricted`); the tie rule then runs on
        those columns only. Otherwise on the whole program."""
        if self.last_lp is not None:
            x = self.solve_restricted(v, *self.last_lp, priority)
            if x is not None:
                return "tie_rule", x
        found = solve_with_ties(self.milp(), v, np.asarray(priority, dtype=float), "highs",
                                what="sensitivity sample")
        if found is None:
            return "infeasible", None
        return "tie_rule", np.round(found[0][:len(v)])

    def solve_restricted(self, v: np.ndarray, x: np.ndarray, y: np.ndarray,
                         priority: np.ndarray) -> np.ndarray | None:
        """The tie rule on the columns a certificate cannot fix, or ``None`` when it cannot prove
        that the others are fixed.

        With valid-sign multipliers ``y`` for the 0-1 point ``x`` and ``d = v - A^T y``, every
        feasible ``x'`` has ``v.x' - v.x <= d.(x' - x)`` (see the module notes). Let ``N`` be the
        free columns whose ``d`` keeps them where ``x`` has them (``|d| > 0``) and ``Z`` the rest.
        A selection that changes a column of ``N`` loses at least ``min_N |d| - sum_Z |d|``; when
        that exceeds the tie tolerance, every selection the tie rule counts as optimal agrees
        with ``x`` on ``N``, so the rule is applied (:func:`solve_with_ties`) to the program
        restricted to ``Z``, ``N`` fixed as in ``x`` (their value carried by one fixed column,
        so that the tolerance is that of the whole value)."""
        if np.any(x[~self.free] > 0.5) or not self.feasible(x):
            return None
        ax = self.A @ x
        tol_feas = 1e-9 * (1.0 + np.abs(ax))
        up = np.abs(ax - self.hi) <= tol_feas
        down = np.abs(ax - self.lo) <= tol_feas
        y = np.where((up & (y > 0)) | (down & (y < 0)), y, 0.0)
        d = v - self.A.T @ y
        best = float(v @ x)
        on = x > 0.5
        ztol = 1e-9 * max(1.0, float(np.max(np.abs(v))) if len(v) else 1.0)
        good = self.free & np.where(on, d > ztol, d < -ztol)
        z = np.nonzero(self.free & ~good)[0]
        if not len(z):
            return None  # no tie at all: the certificate failed for another reason
        n_good = np.abs(d[good])
        gap = (float(n_good.min()) if n_good.size else np.inf) - float(np.abs(d[z]).sum())
        if gap <= TIE_MARGIN * max(1.0, abs(best)):
            return None
        fixed = ~np.isin(np.arange(len(v)), z)
        uniform = self._uniform_ties(v, x, z, fixed, priority)
        if uniform is not None:
            return uniform
        m = Milp(maximize=True)
        m.add_vars(len(z))
        m.add_vars(1, lower=1.0, upper=1.0)  # the fixed columns' value, as one fixed column
        base = self.A[:, fixed] @ x[fixed]
        for r in np.nonzero(np.any(self.A[:, z] != 0, axis=1))[0]:
            cols = np.nonzero(self.A[r, z])[0]
            m.add_row(cols, self.A[r, z[cols]], lower=float(self.lo[r] - base[r]),
                      upper=float(self.hi[r] - base[r]))
        vals = np.r_[v[z], math.fsum(v[fixed & on])]
        found = solve_with_ties(m, vals, np.r_[np.asarray(priority, dtype=float)[z], 0.0], "highs",
                                what="sensitivity sample")
        if found is None:  # pragma: no cover - x restricted to Z is feasible
            return None
        out = x.copy()
        out[z] = np.round(found[0][:len(z)])
        return out if self.feasible(out) else None

    def _uniform_ties(self, v: np.ndarray, x: np.ndarray, z: np.ndarray, fixed: np.ndarray,
                      priority: np.ndarray) -> np.ndarray | None:
        """The tie rule on ``Z`` in closed form when every column of ``Z`` has the same value and
        the same coefficient in each row (e.g. the applications tied at the funding line under a
        count and a budget of equal amounts): a selection of ``Z`` is then worth ``const + v_z t``
        and feasible by its size ``t`` alone, so the rule takes the largest tied size (a larger
        set of the best-ranked is lexicographically better) and the best-ranked ``t`` of ``Z``.
        ``None`` when ``Z`` is not uniform."""
        vz = v[z]
        if not np.all(vz == vz[0]):
            return None
        Az = self.A[:, z]
        if not np.all(Az == Az[:, :1]):
            return None
        base = self.A[:, fixed] @ x[fixed]
        t = np.arange(len(z) + 1, dtype=float)
        act = base[:, None] + Az[:, :1] * t[None, :]  # each row's activity with t of Z selected
        ok = np.all((act <= self.hi[:, None] + 1e-9) & (act >= self.lo[:, None] - 1e-9), axis=0)
        if not ok.any():  # pragma: no cover - x itself is feasible
            return None
        const = math.fsum(v[fixed & (x > 0.5)])
        totals = const + float(vz[0]) * t
        best = float(totals[ok].max())
        good = ok & tied(totals, best, integer_grid(v))
        size = int(np.nonzero(good)[0].max())
        order = z[np.argsort(-np.asarray(priority, dtype=float)[z], kind="stable")]
        out = x.copy()
        out[z] = 0.0
        out[order[:size]] = 1.0
        return out if self.feasible(out) else None

    def solve_mip(self, v: np.ndarray) -> tuple[str, np.ndarray | None]:
        """The 0-1 program itself in HiGHS (kept between samples; only costs and bounds change).

        The optimum is accepted when a second solve, with the optimum cut off and the value held
        within the margin of it, is infeasible: then no other selection comes within
        ``TIE_MARGIN`` of it, so it is the reference's answer whatever its tie rule.
        Returns ("infeasible"|"proved"|"unproved", selection).
        """
        if self._mip is None:
            self._mip, self._mip_bounds = self._new_highs(True)
        h = self._mip
        self._mip_bounds = self._sync(h, self._mip_bounds)
        n = len(v)
        h.changeColsCost(n, self._idx, v)
        h.run()
        status = h.getModelStatus()
        if status == self._infeasible:
            return "infeasible", None
        if status != self._optimal:
            return "unproved", None
        x = np.round(np.asarray(h.getSolution().col_value))
        if not self.feasible(x):
            return "unproved", None
        best = float(v @ x)
        tol = TIE_MARGIN * max(1.0, abs(best))
        on = x > 0.5
        m = h.getNumRow()
        # sum_{on} (1 - x_j) + sum_{off} x_j >= 1   and   v.x >= best - tol
        h.addRow(1.0 - float(on.sum()), self._inf, n, self._idx, np.where(on, -1.0, 1.0))
        nz = np.nonzero(v)[0].astype(np.int32)
        h.addRow(best - tol, self._inf, len(nz), nz, v[nz])
        h.run()
        other = h.getModelStatus()
        h.deleteRows(2, np.array([m, m + 1], dtype=np.int32))
        return ("proved", x) if other == self._infeasible else ("unproved", x)


class FastStage:
    """Solve one stage for many value vectors, exactly as :func:`solve_stage` would.

    Parameters
    ----------
    stage, applications
        The stage (its rules) and every application of the call.
    universe
        Application ids, in the order of the value vectors passed to :meth:`solve`.
    scores
        Optional fixed matrix ``X`` (len(universe), n_criteria) with ``values = X @ w``: enables the
        certificate cones (no solver call when a stored certificate proves the selection).

    Examples
    --------
    See ``tests/sensitivity/test_fast.py``: on seeded samples the selections equal the naive loop's.
    """

    def __init__(self, stage: Stage, applications: Mapping[str, Application], universe: Sequence[str],
                 *, scores: np.ndarray | None = None):
        self.stage = stage
        self.applications = applications
        self.universe = list(universe)
        self.pos = {a: i for i, a in enumerate(self.universe)}
        self.scores = None if scores is None else np.asarray(scores, dtype=np.float64)
        self.stats = FastStats()
        self._models: OrderedDict[tuple, _Model] = OrderedDict()
        self._cone_tries = 0
        self._cone_hits = 0
        self.last_cert: _Cert | None = None
        self._cover_tested = 0
        self._cover_seen = 0
        self._cover_hits = 0

    def _model(self, cand: tuple[int, ...]) -> _Model:
        model = self._models.get(cand)
        if model is None:
            model = _Model(self.stage, self.applications, [self.universe[i] for i in cand])
            if len(cand) > 400:  # the cone screen costs certificates x candidates per sample
                model.max_certs = max(8, _MAX_CERTS * 400 // len(cand))
            self._models[cand] = model
            if len(self._models) > _MAX_MODELS:
                self._models.popitem(last=False)
        else:
            self._models.move_to_end(cand)
        return model

    def solve(self, values: np.ndarray, excluded: Mapping[str, str] | np.ndarray, *,
              candidates: Sequence[int] | None = None, weights: np.ndarray | None = None,
              reference: Callable[[], StageInput] | None = None,
              priority: Callable[[], np.ndarray] | None = None) -> tuple[str, ...] | None:
        """The selection (ids in universe order) for these values, or ``None`` if infeasible.

        Parameters
        ----------
        values
            Value of every application of the universe (only candidates are used).
        excluded
            Candidates that may not be selected: ids (id -> reason, as :func:`select_stage` finds
            them) or a boolean mask over the candidates (``True`` = may not be selected).
        candidates
            Positions in the universe of the applications this stage chooses from (default all).
        weights
            The weight vector with ``values = scores @ weights``, enabling the certificate cones.
        reference
            Builds the full :class:`StageInput` (with the ranks of the sample) for the fallback to
            :func:`solve_stage`, used only for near ties (another selection within the margin)
            when ``priority`` is not given.
        priority
            Gives the tie rule's priority of each candidate (``n + 1 - rank`` in the sample's
            ranking, in candidate order): near ties are then decided in-process by the same rule
            (:meth:`_Model.solve_ties`), without the reference path.
        """
        cand = tuple(range(len(self.universe))) if candidates is None else tuple(candidates)
        model = self._model(cand)
        if isinstance(excluded, np.ndarray):
            model.set_free(~excluded.astype(bool))
        else:
            model.set_free(np.array([a not in excluded for a in model.ids], dtype=bool))
        v = np.asarray(values, dtype=np.float64)[list(cand)]
        X = None if self.scores is None or weights is None else self.scores[list(cand)]
        return self._decide(model, v, X, weights, reference, screen=True, priority=priority)

    def _decide(self, model: _Model, v: np.ndarray, X: np.ndarray | None, weights: np.ndarray | None,
                reference: Callable[[], StageInput] | None, *, screen: bool,
                priority: Callable[[], np.ndarray] | None = None) -> tuple[str, ...] | None:
        """One sample on ``model`` (its bounds already set); sets :attr:`last_cert` when an LP
        certificate with a multiplier map was found. ``priority()`` gives the tie rule's
        priorities over the model's columns (``n + 1 - rank``), for near ties."""
        self.last_cert = None
        model.last_lp = None
        model.last_frac = None
        if int(model.free.sum()) <= _MAX_ENUMERATE:
            status, x = model.enumerate(v, None if priority is None else priority())
            if status == "infeasible":
                self.stats.infeasible += 1
                return None
            if status == "proved":
                self.stats.enumerated += 1
                return self._ids(model, x)
            if status == "tie_rule":
                self.stats.tie_rule += 1
                return self._ids(model, x)
        elif X is not None and screen:
            # screen the stored cones only while they pay: after 200 tries, a hit rate under 1 in 4
            if self._cone_tries < 200 or 4 * self._cone_hits >= self._cone_tries:
                self._cone_tries += 1
                x = model.try_cones(v, weights)
                if x is not None:
                    self._cone_hits += 1
                    self.stats.cone += 1
                    return self._ids(model, x)
        status, x = model.solve_lp(v, X if int(model.free.sum()) > _MAX_ENUMERATE else None, stack=screen)
        if status == "infeasible":
            self.stats.infeasible += 1
            return None
        if status == "proved":
            self.stats.lp += 1
            self.last_cert = model.last_cert
            return self._ids(model, x)
        if priority is not None and model.last_lp is not None:  # a tie an integral LP optimum localises
            x = model.solve_restricted(v, *model.last_lp, priority())
            if x is not None:
                self.stats.tie_rule += 1
                return self._ids(model, x)
        if model.last_frac is not None:  # a fractional LP optimum: fix by reduced costs, enumerate the rest
            status, x = model.fix_and_enumerate(v, None if priority is None else priority())
            if status == "proved":
                self.stats.fixed += 1
                return self._ids(model, x)
            if status == "tie_rule":
                self.stats.tie_rule += 1
                return self._ids(model, x)
        status, x = model.solve_mip(v)
        if status == "infeasible":
            self.stats.infeasible += 1
            return None
        if status == "proved":
            self.stats.mip += 1
            return self._ids(model, x)
        if priority is not None:  # a near tie: the reference's tie rule on this model, in-process
            model.last_lp = None
            status, x = model.solve_ties(v, priority())
            if status == "infeasible":
                self.stats.infeasible += 1
                return None
            self.stats.tie_rule += 1
            return self._ids(model, x)
        if reference is None:
            raise ValueError("no certificate for this sample and no reference input to fall back on")
        self.stats.reference += 1
        try:
            chosen = set(solve_stage(reference(), "highs").selected)
        except InfeasibleError:
            self.stats.infeasible += 1
            return None
        return tuple(a for a in model.ids if a in chosen)

    def solve_many(self, candidates: Sequence[int], values: np.ndarray, blocked: np.ndarray,
                   weights: np.ndarray | None, reference: Callable[[int], StageInput],
                   priority: Callable[[int], np.ndarray] | None = None) -> list[tuple[str, ...] | None]:
        """Many samples on one set of candidates at once (same answers as :meth:`solve` per sample).

        ``values`` and ``blocked`` are (n_samples, len(candidates)): each sample's values and which
        candidates it may not select; ``weights`` (n_samples, n_criteria) with ``values = scores
        @ w`` enables the cones; ``reference(i)`` builds sample ``i``'s reference input and
        ``priority(i)`` its tie priorities (see :meth:`solve`).

        Small programs are enumerated for all samples in one array operation. Otherwise samples
        are taken in order; each new LP certificate is tested at once on every sample still open
        (a vectorised screen, then :meth:`_Model.certify` where degenerate columns need it), for
        as long as that pays (it decides only how a sample is proved, never the selection).
        """
        cand = tuple(candidates)
        model = self._model(cand)
        V = np.asarray(values, dtype=np.float64)
        B = np.asarray(blocked, dtype=bool)
        S = len(V)
        out: list[tuple[str, ...] | None] = [None] * S
        done = np.zeros(S, dtype=bool)
        if len(cand) <= _MAX_ENUMERATE and S:
            status, pick = model.enumerate_many(V, B)  # near ties (-1) are left to _decide
            for i in np.nonzero(status == 1)[0].tolist():
                out[i] = self._ids(model, model._all_subsets[pick[i]])
            self.stats.enumerated += int((status == 1).sum())
            self.stats.infeasible += int((status == 0).sum())
            done = status >= 0
        X = None if self.scores is None or weights is None else self.scores[list(cand)]
        nbr = None
        if X is not None and S > 1 and not done.all():
            from scipy.spatial import cKDTree

            # (larger unbalanced leaves: the same neighbours, found in about two thirds of the time)
            tree = cKDTree(weights, leafsize=64, balanced_tree=False, compact_nodes=False)
            nbr = tree.query(weights, k=min(_NEIGHBOURS, S))[1]
        batch = len(cand) > _MAX_ENUMERATE  # small programs: only near ties are left (one by one)
        tour = _tour(nbr) if batch and nbr is not None else None
        start = at = 0
        while True:
            # the certificate's multiplier map is computed only when the cover test below will run
            paying = nbr is not None and (self._cover_tested < 20 or (self._cover_seen + 1) % 8 == 0
                                          or 200 * self._cover_hits >= len(cand) * self._cover_tested)
            # the next samples still open, a batch solved and certified at once: in sample order
            # (far apart) while certificates are tested on neighbours, else along a nearest-
            # neighbour tour of the weights (each LP warm from a near optimum: fewer iterations)
            idx: list[int] = []
            while len(idx) < (_BATCH if batch else 1):
                if tour is not None and not paying:
                    while at < S and done[tour[at]]:
                        at += 1
                    if at >= S:
                        break
                    i = int(tour[at])
                else:
                    while start < S and done[start]:
                        start += 1
                    if start >= S:
                        break
                    i = start
                idx.append(i)
                done[i] = True
            if not idx:
                break
            certs: list[tuple[int, _Cert | None]] = []
            decided = self._lp_batch(model, idx, V, B, X if paying else None) if batch else [None] * len(idx)
            for i, got in zip(idx, decided, strict=True):
                if got is not None:  # proved by its LP optimum's certificate
                    x, cert = got
                    out[i] = self._ids(model, x)
                    self.stats.lp += 1
                    self._cover_seen += 1
                    certs.append((i, cert))
                    continue
                model.set_free(~B[i])
                lp_before = self.stats.lp
                out[i] = self._decide(model, V[i], X if paying else None, None if weights is None else weights[i],
                                      partial(reference, i), screen=False,
                                      priority=None if priority is None else partial(priority, i))
                if self.stats.lp > lp_before:
                    self._cover_seen += 1
                certs.append((i, self.last_cert))
            # test certificates on the neighbours only while that pays: after the first 20 tests,
            # while they prove at least len(cand)/200 samples each (a test costs about as much as
            # len(cand)/200 solves); counted, not timed, so that the statistics are reproducible
            # (when it does not, every 8th LP certificate is still tested, so that a change is seen)
            # (all of the batch's certificates are tested at once on their neighbours still open
            # now; then, in order, each one's verdicts on those still open after the earlier ones)
            tested: list[tuple[int, _Cert]] = []
            near: list[np.ndarray] = []
            verdicts: list[np.ndarray] = []
            if nbr is not None and weights is not None and paying:
                tested = [(i, cert) for i, cert in certs if cert is not None]
                near = [nbr[i][~done[nbr[i]]] for i, _ in tested]
                if tested:
                    verdicts = model.cover_many([c for _, c in tested], V, weights, B, near)
            for (_i, cert), near_i, ok_i in zip(tested, near, verdicts, strict=True):
                still = ~done[near_i]
                rest = near_i[still]
                if not len(rest):
                    continue
                self._cover_tested += 1
                ok = ok_i[still]
                if ok.any():
                    sel = self._ids(model, cert.x)
                    for j in rest[ok]:
                        out[j] = sel
                    done[rest[ok]] = True
                    self._cover_hits += int(ok.sum())
                    self.stats.cone += int(ok.sum())
        return out

    @staticmethod
    def _lp_batch(model: _Model, idx: list[int], V: np.ndarray, B: np.ndarray,
                  X: np.ndarray | None) -> list[tuple[np.ndarray, _Cert | None] | None]:
        """The LP of each sample ``idx`` (values ``V[i]``, blocked ``B[i]``), solved one after the
        other (each warm from the last), then every optimum certified at once: the same test as
        :meth:`_Model.certify` on arrays of samples. Per sample the proved selection and, with
        ``X``, its certificate with a multiplier map (:meth:`_Model.solve_lp`); ``None`` where
        the LP optimum is fractional or not proved (the sample then takes the one-by-one path)."""
        b = len(idx)
        m, n = model.A.shape
        XS = np.zeros((b, n))
        Y = np.zeros((b, m))
        solved = np.zeros(b, dtype=bool)
        bases: list[np.ndarray | None] = [None] * b
        for k, i in enumerate(idx):
            model.set_free(~B[i])
            h = model._highs()
            h.changeColsCost(n, model._idx, V[i])
            h.run()
            if h.getModelStatus() != model._optimal:
                continue
            sol = h.getSolution()
            XS[k] = sol.col_value
            Y[k] = sol.row_dual
            solved[k] = True
            if X is not None:
                status, bv = h.getBasicVariables()
                if status == model._ok:
                    bases[k] = np.asarray(bv, dtype=np.int64)
        x, proved = model.certify_many(V[idx], XS, Y, B[idx])
        proved &= solved
        out: list[tuple[np.ndarray, _Cert | None] | None] = [None] * b
        for k in np.nonzero(proved)[0].tolist():
            out[k] = (x[k], None if X is None else model.basis_cert(x[k], bases[k], X))
        return out

    @staticmethod
    def _ids(model: _Model, x: np.ndarray | None) -> tuple[str, ...]:
        if x is None:
            raise ValueError("a proved status comes with its selection")
        on = x > 0.5
        key = on.tobytes()
        model.remember(x, key)
        ids = model._names.get(key)
        if ids is None:
            ids = tuple(a for a, o in zip(model.ids, on.tolist(), strict=True) if o)
            if len(model._names) > 4096:
                model._names.clear()
            model._names[key] = ids
        return ids


def nondominated_selections(stage: Stage, applications: Mapping[str, Application], ids: Sequence[str],
                            excluded: Mapping[str, str], values: np.ndarray, *, max_count: int = 2000,
                            eps: float = 1e-4,
                            progress: Callable[[int], None] | None = None) -> tuple[list[tuple[str, ...]], bool]:
    """Every non-dominated selection for the value rows ``values`` (one per extreme weight vector).

    A selection ``x`` dominates ``x'`` when ``V x >= V x'`` for every extreme weight (row of ``V``)
    and ``>`` for one — i.e. for every weight of the (convex) weight set (Liesiö, J., Mild, P. &
    Salo, A. (2007). Preference programming for robust portfolio modeling and project selection.
    *EJOR* 181(3), 1488-1505. doi:10.1016/j.ejor.2006.06.049). They are enumerated exactly with
    HiGHS: maximise the centroid value over the selections that beat every one found so far in
    at least one extreme weight (by ``eps``, well above the solver's feasibility tolerance, so
    value differences below ``eps`` count as ties; one binary per found selection and extreme weight);
    each optimum is non-dominated, and the loop ends when none is left.

    Returns the selections (ids in ``ids`` order) and whether ``max_count`` stopped the search.
    """
    import highspy

    model = _Model(stage, applications, list(ids), frozenset(a for a in excluded if a in ids))
    V = np.asarray(values, dtype=np.float64)
    e, n = V.shape
    if np.any(V < 0):
        raise ValueError("RPM needs non-negative values")
    h = quiet_highs(exact=True, mip_feasibility_tolerance=1e-9, primal_feasibility_tolerance=1e-9)
    inf = highspy.kHighsInf
    h.addVars(n, np.zeros(n), model.free.astype(float))
    h.changeColsIntegrality(n, np.arange(n, dtype=np.int32), np.array([highspy.HighsVarType.kInteger] * n))
    h.changeColsCost(n, np.arange(n, dtype=np.int32), V.mean(axis=0))
    h.changeObjectiveSense(highspy.ObjSense.kMaximize)
    for r in range(model.A.shape[0]):
        cols = np.nonzero(model.A[r])[0]
        h.addRow(model.lo[r] if np.isfinite(model.lo[r]) else -inf, model.hi[r] if np.isfinite(model.hi[r]) else inf,
                 len(cols), cols.astype(np.int32), model.A[r, cols])
    found: list[np.ndarray] = []
    while len(found) < max_count:
        h.run()
        status = h.getModelStatus()
        if status == highspy.HighsModelStatus.kInfeasible:
            break
        if status != highspy.HighsModelStatus.kOptimal:
            raise SolverError(Problem(f"robust portfolio enumeration: HiGHS ended with {h.modelStatusToString(status)} "
                                      f"after {len(found)} non-dominated selections"))
        x = np.round(np.asarray(h.getSolution().col_value)[:n])
        found.append(x)
        if progress is not None:
            progress(len(found))
        first = h.getNumCol()
        h.addVars(e, np.zeros(e), np.ones(e))
        z = np.arange(first, first + e, dtype=np.int32)
        h.changeColsIntegrality(e, z, np.array([highspy.HighsVarType.kInteger] * e))
        h.addRow(1.0, inf, e, z, np.ones(e))
        target = V @ x + eps
        for k in range(e):
            cols = np.r_[np.arange(n), first + k].astype(np.int32)
            h.addRow(0.0, inf, n + 1, cols, np.r_[V[k], -target[k]])
    truncated = len(found) >= max_count
    return [tuple(a for a, on in zip(ids, x > 0.5, strict=True) if on) for x in found], truncated
