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

**Small programs** (at most 12 free applications, e.g. 5 of 8 in stage 2) are enumerated
exhaustively once per candidate set; the best selection is accepted when the second best is
worse by more than the same margin.

**Fallback.** Whenever no certificate can be given (fractional LP optimum, near ties, too many
degenerate columns), the sample goes to the reference :func:`~selection.select.solve_stage`
itself (HiGHS, including its tie-break pass), so the fast path returns exactly the reference's
selection in every case.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from selection.errors import InfeasibleError, Problem, SolverError
from selection.model import Application, Stage
from selection.select.program import StageInput, build_rules, solve_stage

__all__ = ["FastStage", "FastStats", "solve_naive", "nondominated_selections", "TIE_MARGIN"]

#: Relative margin a certified optimum must keep over every other selection (10x the reference
#: tie-break tolerance of 1e-7).
TIE_MARGIN = 1e-6
_MAX_Z = 12
_MAX_MODELS = 512
_MAX_CERTS = 128
_MAX_ENUMERATE = 12


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
    enumerated: int = 0  #: small program (<= 12 free applications) proved by exhaustive search
    reference: int = 0  #: handed to the reference solve_stage (fractional LP or near tie)
    infeasible: int = 0

    def as_dict(self) -> dict[str, int]:
        return {"cone": self.cone, "lp": self.lp, "enumerated": self.enumerated, "reference": self.reference,
                "infeasible": self.infeasible}

    def add(self, other: FastStats) -> None:
        self.cone += other.cone
        self.lp += other.lp
        self.enumerated += other.enumerated
        self.reference += other.reference
        self.infeasible += other.infeasible


@cache
def _patterns(k: int) -> np.ndarray:
    """Every non-empty subset of ``k`` columns as 0/1 rows."""
    return ((np.arange(1, 2**k)[:, None] >> np.arange(k)) & 1).astype(float)


@dataclass
class _Cert:
    x: np.ndarray  # 0/1 over the model's columns
    tight_rows: np.ndarray  # indices of the nonbasic (tight) rows
    basic_cols: np.ndarray
    ymap: np.ndarray | None  # (len(tight_rows), n_criteria): y_N = ymap @ w


class _Model:
    """One stage program (fixed candidates and exclusions) with its LP in HiGHS."""

    def __init__(self, stage: Stage, applications: Mapping[str, Application], ids: list[str],
                 excluded: frozenset[str]):
        self.ids = ids
        rules = build_rules(StageInput(stage, applications, dict.fromkeys(ids, 0.0),
                                       {a: i + 1 for i, a in enumerate(ids)},
                                       {a: "excluded" for a in excluded}))
        n, m = len(ids), len(rules)
        col = {a: j for j, a in enumerate(ids)}
        self.A = np.zeros((m, n))
        self.lo = np.full(m, -np.inf)
        self.hi = np.full(m, np.inf)
        for r, rule in enumerate(rules):
            for a, c in rule.coefs.items():
                if a in col:
                    self.A[r, col[a]] = c
            if rule.sense == "<=":
                self.hi[r] = rule.rhs
            else:
                self.lo[r] = rule.rhs
        self.free = np.array([a not in excluded for a in ids])
        self._h = None
        self._subsets: np.ndarray | None = None
        self._stacked = None

    def enumerate(self, v: np.ndarray) -> tuple[str, np.ndarray | None]:
        """Exhaustive search for small programs (at most 2^16 selections of the free columns)."""
        if self._subsets is None:
            free = np.nonzero(self.free)[0]
            k = len(free)
            pats = ((np.arange(2**k)[:, None] >> np.arange(k)) & 1).astype(float)
            full = np.zeros((2**k, len(self.ids)))
            full[:, free] = pats
            rows = full @ self.A.T
            ok = np.all((rows <= self.hi + 1e-9) & (rows >= self.lo - 1e-9), axis=1)
            self._subsets = full[ok]
        if len(self._subsets) == 0:
            return "infeasible", None
        totals = self._subsets @ v
        order = np.argsort(-totals, kind="stable")
        best = totals[order[0]]
        tol = TIE_MARGIN * max(1.0, abs(best))
        if len(order) > 1 and totals[order[1]] >= best - tol:
            return "unproved", None
        return "proved", self._subsets[order[0]]

    def _highs(self):
        if self._h is None:
            import highspy
            from highspy._core import _Highs  # the plain binding: no banner

            h = _Highs()
            for key, value in (("output_flag", False), ("log_to_console", False), ("threads", 1),
                               ("random_seed", 0), ("presolve", "off")):
                h.setOptionValue(key, value)
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
            h.passModel(lp)
            self._h = h
            self._basic = highspy.HighsBasisStatus.kBasic
            self._optimal = highspy.HighsModelStatus.kOptimal
            self._infeasible = highspy.HighsModelStatus.kInfeasible
            self._idx = np.arange(n, dtype=np.int32)
        return self._h

    # -- the certificate -------------------------------------------------------------------
    def certify(self, v: np.ndarray, x: np.ndarray, y: np.ndarray) -> bool:
        """Whether ``x`` is, provably, the unique optimum of ``max v.x`` with the margin."""
        ax = self.A @ x
        tol_feas = 1e-9 * (1.0 + np.abs(ax))
        up = np.abs(ax - self.hi) <= tol_feas
        down = np.abs(ax - self.lo) <= tol_feas
        y = np.where((up & (y > 0)) | (down & (y < 0)), y, 0.0)  # keep only valid-sign multipliers
        d = v - self.A.T @ y
        best = float(v @ x)
        tol = TIE_MARGIN * max(1.0, abs(best))
        on = x > 0.5
        good = self.free & np.where(on, d >= tol, d <= -tol)
        z = np.nonzero(self.free & ~good)[0]
        if len(z) > _MAX_Z:
            return False
        n_good = np.abs(d[good])
        if n_good.size and float(n_good.min()) - float(np.abs(d[z]).sum()) <= tol:
            return False
        if len(z):
            delta = np.where(on[z], -1.0, 1.0) * _patterns(len(z))  # (P, k)
            rows = ax[None, :] + delta @ self.A[:, z].T
            feas = np.all((rows <= self.hi + 1e-9) & (rows >= self.lo - 1e-9), axis=1)
            if np.any(delta[feas] @ v[z] >= -tol):
                return False
        return True

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
        m, n = self.A.shape
        Y = np.zeros((1, m, cert.ymap.shape[1]))
        Y[0, cert.tight_rows] = cert.ymap
        ax = self.A @ cert.x
        tol = 1e-9 * (1.0 + np.abs(ax))
        pos = (np.abs(ax - self.hi) <= tol)[None, :]
        neg = (np.abs(ax - self.lo) <= tol)[None, :]
        if self._stacked is None:
            self._stacked = ([cert], Y, pos, neg, cert.x[None, :])
            return
        certs, Ys, P, N, X = self._stacked
        keep = _MAX_CERTS - 1
        self._stacked = ([cert] + certs[:keep], np.concatenate([Y, Ys[:keep]]), np.concatenate([pos, P[:keep]]),
                         np.concatenate([neg, N[:keep]]), np.concatenate([cert.x[None, :], X[:keep]]))

    def try_cones(self, v: np.ndarray, w: np.ndarray) -> np.ndarray | None:
        """Selection proved by a stored certificate's multiplier map at weights ``w``, if any.

        All stored cones are screened at once (multipliers, reduced values, margin without the
        ``Z`` columns); the few that pass get the full :meth:`certify`.
        """
        if self._stacked is None:
            return None
        certs, Y, pos, neg, xs = self._stacked
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
        ok = (nz <= _MAX_Z) & ((dmin - zsum) > tol[:, 0])
        for k in np.nonzero(ok)[0]:
            if self.certify(v, certs[k].x, y[k]):
                return certs[k].x
        return None

    def solve_lp(self, v: np.ndarray, X: np.ndarray | None) -> tuple[str, np.ndarray | None]:
        """Solve the LP; return ("infeasible"|"proved"|"unproved", selection)."""
        h = self._highs()
        n = len(v)
        h.changeColsCost(n, self._idx, v)
        h.run()
        status = h.getModelStatus()
        if status == self._infeasible:
            return "infeasible", None
        if status != self._optimal:
            return "unproved", None
        xs = np.asarray(h.getSolution().col_value)
        x = np.round(xs)
        if np.any(np.abs(xs - x) > 1e-7):
            return "unproved", None
        basis = h.getBasis()
        basic_cols = np.array([j for j, s in enumerate(basis.col_status) if s == self._basic], dtype=np.int64)
        tight = np.array([r for r, s in enumerate(basis.row_status) if s != self._basic], dtype=np.int64)
        if len(basic_cols) != len(tight):
            return "unproved", None
        cert = _Cert(x, tight, basic_cols, None)
        y = self._multipliers(v, cert)
        if y is None or not self.certify(v, x, y):
            return "unproved", x
        if X is not None:
            M = self.A[np.ix_(tight, basic_cols)]
            cert.ymap = np.linalg.solve(M.T, X[basic_cols]) if len(tight) else np.zeros((0, X.shape[1]))
            self._stack(cert)
        return "proved", x


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

    def _model(self, cand: tuple[int, ...], excluded: frozenset[str]) -> _Model:
        key = (cand, excluded)
        model = self._models.get(key)
        if model is None:
            model = _Model(self.stage, self.applications, [self.universe[i] for i in cand], excluded)
            self._models[key] = model
            if len(self._models) > _MAX_MODELS:
                self._models.popitem(last=False)
        else:
            self._models.move_to_end(key)
        return model

    def solve(self, values: np.ndarray, excluded: Mapping[str, str], *,
              candidates: Sequence[int] | None = None, weights: np.ndarray | None = None,
              reference: Callable[[], StageInput] | None = None) -> tuple[str, ...] | None:
        """The selection (ids in universe order) for these values, or ``None`` if infeasible.

        Parameters
        ----------
        values
            Value of every application of the universe (only candidates are used).
        excluded
            Candidates that may not be selected (id -> reason), as :func:`select_stage` finds them.
        candidates
            Positions in the universe of the applications this stage chooses from (default all).
        weights
            The weight vector with ``values = scores @ weights``, enabling the certificate cones.
        reference
            Builds the full :class:`StageInput` (with the ranks of the sample) for the fallback to
            :func:`solve_stage`; required unless every sample can be certified.
        """
        cand = tuple(range(len(self.universe))) if candidates is None else tuple(candidates)
        model = self._model(cand, frozenset(a for a in excluded if a in self.pos))
        v = np.asarray(values, dtype=np.float64)[list(cand)]
        X = None
        if int(model.free.sum()) <= _MAX_ENUMERATE:
            status, x = model.enumerate(v)
            if status == "infeasible":
                self.stats.infeasible += 1
                return None
            if status == "proved":
                self.stats.enumerated += 1
                return self._ids(model, x)
        elif self.scores is not None and weights is not None:
            X = self.scores[list(cand)]
            x = model.try_cones(v, weights)
            if x is not None:
                self.stats.cone += 1
                return self._ids(model, x)
        status, x = model.solve_lp(v, X)
        if status == "infeasible":
            self.stats.infeasible += 1
            return None
        if status == "proved":
            self.stats.lp += 1
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

    @staticmethod
    def _ids(model: _Model, x: np.ndarray) -> tuple[str, ...]:
        return tuple(a for a, on in zip(model.ids, x > 0.5, strict=True) if on)



def nondominated_selections(stage: Stage, applications: Mapping[str, Application], ids: Sequence[str],
                            excluded: Mapping[str, str], values: np.ndarray, *, max_count: int = 2000,
                            eps: float = 1e-4) -> tuple[list[tuple[str, ...]], bool]:
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
    from highspy._core import _Highs

    model = _Model(stage, applications, list(ids), frozenset(a for a in excluded if a in ids))
    V = np.asarray(values, dtype=np.float64)
    e, n = V.shape
    if np.any(V < 0):
        raise ValueError("RPM needs non-negative values")
    h = _Highs()
    for key, value in (("output_flag", False), ("log_to_console", False), ("threads", 1), ("random_seed", 0),
                       ("mip_rel_gap", 0.0), ("mip_abs_gap", 0.0), ("mip_feasibility_tolerance", 1e-9),
                       ("primal_feasibility_tolerance", 1e-9)):
        h.setOptionValue(key, value)
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
