"""A small solver-neutral 0-1 programme and its two back ends: CBC (via pulp) and HiGHS (in-process).

Every program of :mod:`selection.select` (a stage, its tie-break pass, the elastic infeasibility
program, k-best cuts, the linked two-stage program) is built once as a :class:`Milp` — numpy
arrays of a row-wise sparse matrix — and handed to :func:`solve_milp` with the solver's name.

* ``"cbc"``: the CBC binary bundled with pulp (Forrest, J. & Lougee-Heimer, R. (2005). CBC user
  guide. In *Emerging Theory, Methods, and Applications*, INFORMS, 257-277.
  doi:10.1287/educ.1053.0020), called through pulp's file interface.
* ``"highs"``: HiGHS in-process through highspy, model passed as arrays (Huangfu, Q. & Hall,
  J. A. J. (2018). Parallelizing the dual revised simplex method. *Mathematical Programming
  Computation* 10, 119-142. doi:10.1007/s12532-017-0130-5). No per-variable Python objects,
  which is what makes 20,000-application calls fast.

Both run with a zero relative and absolute optimality gap (exact optimum) on one thread.
"""

from __future__ import annotations

import math
import warnings
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from selection.errors import Problem, SolverError

__all__ = ["SOLVERS", "DEFAULT_SOLVER", "Milp", "MilpSolution", "solve_milp", "check_solver", "quiet_highs", "highs_model",
           "lp_point", "LexCore", "WarmRelaxation"]

SOLVERS = ("cbc", "highs")
#: The solver used unless the user names one (``--solver``, a scenario's ``solver``): HiGHS in
#: process — no model file, no subprocess, and none of the bundled CBC 2.10.3's occasional
#: 10-second stalls (docs/selection.md, "Solvers and exactness").
DEFAULT_SOLVER = "highs"
INF = math.inf


@dataclass
class Milp:
    """``max/min cost.x`` s.t. ``row_lower <= A x <= row_upper``, ``lower <= x <= upper``.

    ``A`` is stored row-wise (CSR: ``starts``, ``index``, ``value``). Build with :meth:`add_vars`
    and :meth:`add_row`; :meth:`copy` gives an independent program to add cuts to.
    """

    maximize: bool = True
    cost: list[float] = field(default_factory=list)
    lower: list[float] = field(default_factory=list)
    upper: list[float] = field(default_factory=list)
    integer: list[bool] = field(default_factory=list)
    row_lower: list[float] = field(default_factory=list)
    row_upper: list[float] = field(default_factory=list)
    rows: list[tuple[np.ndarray, np.ndarray]] = field(default_factory=list)
    #: HiGHS options for this program and every copy of it (e.g. ``{"presolve": "off"}`` for the
    #: explanations' small what-ifs, where presolve costs more than it saves); they change how the
    #: optimum is found, never which optimum is proved (the gap stays zero).
    options: dict[str, Any] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return len(self.cost)

    def add_vars(self, n: int, *, cost=0.0, lower=0.0, upper=1.0, integer: bool = True) -> int:
        """Append ``n`` variables (binary by default); return the index of the first."""
        first = self.n
        self.cost.extend(np.broadcast_to(np.asarray(cost, dtype=float), (n,)).tolist())
        self.lower.extend(np.broadcast_to(np.asarray(lower, dtype=float), (n,)).tolist())
        self.upper.extend(np.broadcast_to(np.asarray(upper, dtype=float), (n,)).tolist())
        self.integer.extend([integer] * n)
        return first

    def add_row(self, index, value, lower: float = -INF, upper: float = INF) -> int:
        """Append ``lower <= sum value[k] x[index[k]] <= upper``; return the row number."""
        idx = np.asarray(index, dtype=np.int64)
        val = np.broadcast_to(np.asarray(value, dtype=float), idx.shape).copy()
        self.rows.append((idx, val))
        self.row_lower.append(float(lower))
        self.row_upper.append(float(upper))
        return len(self.rows) - 1

    def copy(self) -> Milp:
        return Milp(self.maximize, list(self.cost), list(self.lower), list(self.upper),
                    list(self.integer), list(self.row_lower), list(self.row_upper), list(self.rows),
                    dict(self.options))


@dataclass(frozen=True)
class MilpSolution:
    status: str  # "optimal", "infeasible" or the solver's own word
    x: np.ndarray
    objective: float


def check_solver(name: str) -> None:
    """Raise :class:`SolverError` unless ``name`` is a known, available solver."""
    if name not in SOLVERS:
        raise SolverError(Problem(f"unknown solver {name!r}", hint=f"use one of {', '.join(SOLVERS)}"))
    if name == "cbc" and not _cbc().available():
        raise SolverError(Problem("the solver 'cbc' is not available on this machine",
                                  hint="reinstall pulp, which bundles CBC, or use --solver highs"))
    if name == "highs":
        try:
            import highspy  # noqa: F401
        except ImportError as exc:  # pragma: no cover
            raise SolverError(Problem("the solver 'highs' is not available on this machine",
                                      hint="install highspy or use --solver cbc")) from exc


def solve_milp(m: Milp, solver: str = "cbc", *, start: np.ndarray | None = None) -> MilpSolution:
    """Solve ``m`` to a proven optimum (zero gap) with ``solver`` (``"cbc"`` or ``"highs"``).

    ``start`` is an optional feasible point offered to HiGHS as an incumbent.
    """
    check_solver(solver)
    if m.n == 0 or not m.rows or all(len(i) == 0 for i, _ in m.rows):
        return _trivial(m)
    if solver == "highs":
        return _solve_highs(m, start)
    return _solve_cbc(m)


def _trivial(m: Milp) -> MilpSolution:
    """No row couples the variables: each sits at its best bound (solvers call such models empty)."""
    if any(not (lo <= 0.0 <= hi) for lo, hi in zip(m.row_lower, m.row_upper, strict=True)):
        return MilpSolution("infeasible", np.zeros(m.n), math.nan)
    c = np.asarray(m.cost, dtype=float) * (1.0 if m.maximize else -1.0)
    lo, hi = np.asarray(m.lower, dtype=float), np.asarray(m.upper, dtype=float)
    if np.any(lo > hi) or np.any((c > 0) & ~np.isfinite(hi)) or np.any((c < 0) & ~np.isfinite(lo)):
        return MilpSolution("infeasible" if np.any(lo > hi) else "unbounded", np.zeros(m.n), math.nan)
    x = np.where(c > 0, hi, np.where(np.isfinite(lo), lo, np.minimum(hi, 0.0)))
    return MilpSolution("optimal", x, float(np.dot(m.cost, x)) if m.n else 0.0)


def _cbc():
    import pulp

    with warnings.catch_warnings():
        # PuLP 3.3 marks its bundled CBC as deprecated for 4.0; the project pins pulp<4.
        warnings.simplefilter("ignore", DeprecationWarning)
        return pulp.PULP_CBC_CMD(msg=False, gapRel=0.0, gapAbs=0.0, threads=1)


def _solve_cbc(m: Milp) -> MilpSolution:
    import pulp

    prob = pulp.LpProblem("selection", pulp.LpMaximize if m.maximize else pulp.LpMinimize)
    xs = []
    for j in range(m.n):
        lo = None if m.lower[j] == -INF else m.lower[j]
        hi = None if m.upper[j] == INF else m.upper[j]
        cat = pulp.LpInteger if m.integer[j] else pulp.LpContinuous
        xs.append(prob.add_variable(f"x{j}", lowBound=lo, upBound=hi, cat=cat))
    prob += pulp.LpAffineExpression([(xs[j], c) for j, c in enumerate(m.cost) if c != 0.0])
    for k, ((idx, val), lo, hi) in enumerate(zip(m.rows, m.row_lower, m.row_upper, strict=True)):
        expr = pulp.LpAffineExpression([(xs[j], v) for j, v in zip(idx.tolist(), val.tolist(), strict=True)])
        if lo == hi:
            prob += pulp.LpConstraint(expr, pulp.LpConstraintEQ, f"r{k}", lo)
            continue
        if lo > -INF:
            prob += pulp.LpConstraint(expr, pulp.LpConstraintGE, f"r{k}l", lo)
        if hi < INF:
            prob += pulp.LpConstraint(expr, pulp.LpConstraintLE, f"r{k}u", hi)
    status = pulp.LpStatus[prob.solve(_cbc())]
    if status == "Infeasible":
        return MilpSolution("infeasible", np.zeros(m.n), math.nan)
    if status != "Optimal":
        return MilpSolution(status.lower(), np.zeros(m.n), math.nan)
    x = np.array([v.varValue or 0.0 for v in xs], dtype=float)
    return MilpSolution("optimal", x, float(np.dot(m.cost, x)) if m.n else 0.0)


def quiet_highs(*, exact: bool = False, **options: Any) -> Any:
    """A fresh in-process HiGHS instance: silent, one thread, seed 0 (the same answer every run),
    a zero optimality gap when ``exact``, and any further HiGHS ``options``."""
    from highspy._core import _Highs  # the plain binding: no callback machinery, no banner

    h = _Highs()
    settings: dict[str, Any] = {"output_flag": False, "log_to_console": False, "threads": 1, "random_seed": 0}
    if exact:
        settings.update(mip_rel_gap=0.0, mip_abs_gap=0.0)
    settings.update(options)
    for key, value in settings.items():
        h.setOptionValue(key, value)
    return h


def highs_model(m: Milp, *, relax: bool = False, exact: bool = False) -> Any:
    """:func:`quiet_highs` holding ``m``; ``relax`` passes no integrality (the LP relaxation).

    Every in-process HiGHS solve of a :class:`Milp` builds its model here.
    """
    import highspy

    h = quiet_highs(exact=exact, **m.options)
    lp = highspy.HighsLp()
    lp.num_col_ = m.n
    lp.num_row_ = len(m.rows)
    lp.col_cost_ = np.asarray(m.cost, dtype=float)
    lp.col_lower_ = np.asarray(m.lower, dtype=float)
    lp.col_upper_ = np.asarray(m.upper, dtype=float)
    lp.row_lower_ = np.asarray(m.row_lower, dtype=float)
    lp.row_upper_ = np.asarray(m.row_upper, dtype=float)
    lens = np.array([len(i) for i, _ in m.rows], dtype=np.int64)
    lp.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    lp.a_matrix_.start_ = np.concatenate([[0], np.cumsum(lens)]).astype(np.int32)
    lp.a_matrix_.index_ = (np.concatenate([i for i, _ in m.rows]) if m.rows else np.zeros(0)).astype(np.int32)
    lp.a_matrix_.value_ = (np.concatenate([v for _, v in m.rows]) if m.rows else np.zeros(0)).astype(float)
    lp.sense_ = highspy.ObjSense.kMaximize if m.maximize else highspy.ObjSense.kMinimize
    if not relax:
        lp.integrality_ = [highspy.HighsVarType.kInteger if b else highspy.HighsVarType.kContinuous
                           for b in m.integer]
    h.passModel(lp)
    return h


def _solve_highs(m: Milp, start: np.ndarray | None) -> MilpSolution:
    import highspy

    h = highs_model(m, exact=True)
    if start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(start, dtype=float).tolist()
        sol.value_valid = True
        h.setSolution(sol)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return MilpSolution("infeasible", np.zeros(m.n), math.nan)
    if status != highspy.HighsModelStatus.kOptimal:
        return MilpSolution(h.modelStatusToString(status).lower(), np.zeros(m.n), math.nan)
    x = np.asarray(h.getSolution().col_value, dtype=float)
    return MilpSolution("optimal", x, float(np.dot(m.cost, x)) if m.n else 0.0)


def lp_reduced_costs(m: Milp) -> tuple[float, np.ndarray] | None:
    """The LP relaxation of ``m`` (every variable continuous) solved by HiGHS: its optimal value
    and the reduced costs, or ``None`` when it does not end optimal.

    For a maximisation whose LP optimum has ``x_j`` at its lower bound, fixing ``x_j`` one unit
    higher cannot give more than ``value + reduced_cost_j`` (``reduced_cost_j <= 0``; LP duality,
    e.g. Nemhauser, G. L. & Wolsey, L. A. (1988). *Integer and Combinatorial Optimization*. Wiley,
    §I.2.5 "reduced-cost fixing"). The tie rule uses it to rule out, without a solve, applications
    that no optimal selection can contain.
    """
    h = _solved_relaxation(m)
    if h is None:
        return None
    return float(h.getInfo().objective_function_value), np.asarray(h.getSolution().col_dual, dtype=float)


def lp_point(m: Milp) -> tuple[float, np.ndarray] | None:
    """The LP relaxation of ``m`` solved by HiGHS: its optimal value and an optimal (basic) point,
    or ``None`` when it does not end optimal. A basic optimum of a program with ``r`` rows has at
    most ``r`` fractional variables, so rounding it is a good first guess at a 0-1 optimum (the
    explanations' what-ifs use it as a lower bound beside the LP value as the upper bound)."""
    h = _solved_relaxation(m)
    if h is None:
        return None
    return float(h.getInfo().objective_function_value), np.asarray(h.getSolution().col_value, dtype=float)


def _solved_relaxation(m: Milp):
    """HiGHS after solving the LP relaxation of ``m`` to optimality, or ``None`` (no highspy, an
    empty program, or a relaxation that does not end optimal): the one solve behind
    :func:`lp_reduced_costs` and :func:`lp_point`."""
    try:
        import highspy
    except ImportError:  # pragma: no cover
        return None
    if m.n == 0 or not m.rows:
        return None
    h = highs_model(m, relax=True)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return h


class WarmRelaxation:
    """The LP relaxation of one :class:`Milp` under an integer ``goal`` (maximised), held in one
    HiGHS instance and re-solved warm (dual simplex from the last basis) after a few column bounds
    are fixed and then restored: the explanations' what-ifs share one model instead of building one
    each. Which optimal dual solution a re-solve ends at may depend on the path; the bounds built
    from it (:func:`lex_optimum`) are valid for any, so answers never depend on it."""

    def __init__(self, m: Milp, goal: np.ndarray):
        lp = m.copy()
        lp.cost = np.asarray(goal, dtype=float).tolist()
        lp.maximize = True
        self.lower = np.asarray(lp.lower, dtype=float)
        self.upper = np.asarray(lp.upper, dtype=float)
        self._h = highs_model(lp, relax=True) if lp.n and lp.rows else None

    def row_duals(self, fix: dict[int, float] | None = None) -> np.ndarray | None:
        """The row duals of an optimal solution of the relaxation with ``fix`` (column -> value)
        applied, or ``None`` when it does not end optimal (infeasible, or no model)."""
        import highspy

        if self._h is None:
            return None
        fix = fix or {}
        for j, v in fix.items():
            self._h.changeColBounds(int(j), float(v), float(v))
        try:
            self._h.run()
            if self._h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
                return None
            return np.asarray(self._h.getSolution().row_dual, dtype=float)
        finally:
            for j in fix:
                self._h.changeColBounds(int(j), float(self.lower[j]), float(self.upper[j]))


class LexCore:
    """Exact optimum and lexicographic tie rule of a 0-1 program by Lagrangian (reduced-cost)
    enumeration, without branch and bound.

    For any row multipliers ``u`` (signed so that ``u_r * (A x)_r`` is bounded above on the row's
    range), every point ``x`` satisfies ``goal.x = u.(A x) + d.x`` with ``d = goal - A^T u``, so
    ``goal.x <= B - sum of |d_j| over the variables j where x differs from x_b``, where ``x_b`` puts
    each variable at the bound its ``d_j`` prefers and ``B`` is the Lagrangian bound (LP duality;
    reduced-cost fixing, Nemhauser, G. L. & Wolsey, L. A. (1988). *Integer and Combinatorial
    Optimization*. Wiley, §I.2.5; the same bound drives the core algorithms for knapsack problems,
    Balas, E. & Zemel, E. (1980). An algorithm for large zero-one knapsack problems. *Operations
    Research* 28(5), 1130-1154. doi:10.1287/opre.28.5.1130). With integer goals, every point of
    value at least ``T`` (an integer) differs from ``x_b`` only on a set of variables whose ``|d_j|``
    sum to at most ``B - T``: all such sets are listed, each point is checked exactly against every
    row, and ``T`` is lowered one step at a time from ``floor(B)`` until a point is found. The points
    found at that level are then *all* the optimal points, so the lexicographically best of them
    (``priority``: variable indices, first = most important; 1 beats 0) is the tie rule's answer —
    the same as sequential fixing (Isermann 1982, doi:10.1007/BF01782758) proves it with solves.

    ``u`` comes from the LP relaxation (:class:`WarmRelaxation`), but the bound is recomputed here
    from ``u`` alone, so its validity does not rest on the LP solver's tolerances; a margin covers
    float rounding. When the listing would exceed ``max_points`` sets the answer is ``None``
    (unproved) and the caller solves in full.
    """

    def __init__(self, m: Milp, goal: np.ndarray, priority: np.ndarray, *, max_points: int = 1 << 15):
        self.m = m
        self.n = m.n
        self.goal = np.asarray(goal, dtype=float)
        self.priority = np.asarray(priority, dtype=np.int64)
        lens = np.array([len(i) for i, _ in m.rows], dtype=np.int64)
        self.ri = np.repeat(np.arange(len(m.rows), dtype=np.int64), lens)
        self.ci = np.concatenate([i for i, _ in m.rows]).astype(np.int64) if m.rows else np.zeros(0, np.int64)
        self.val = np.concatenate([v for _, v in m.rows]).astype(float) if m.rows else np.zeros(0)
        self.rlo = np.asarray(m.row_lower, dtype=float)
        self.rhi = np.asarray(m.row_upper, dtype=float)
        self.max_points = max_points
        self.binary = bool(np.all(np.asarray(m.integer, dtype=bool))) and \
            bool(np.all(np.asarray(m.lower) >= 0.0)) and bool(np.all(np.asarray(m.upper) <= 1.0))
        self.relaxation: WarmRelaxation | None = None
        self.proved = 0  # answers proved by the listing, and left to the full solve
        self.gave_up = 0

    def solve(self, fix: dict[int, float] | None = None) -> tuple[str, np.ndarray | None] | None:
        """The lexicographically best optimal point with the variables of ``fix`` fixed:
        ``("optimal", x)``, ``("infeasible", None)`` when every point was listed and none keeps
        every row, or ``None`` when not proved this way (not 0-1, no LP optimum, too many sets)."""
        out = self._solve(fix)
        if out is None:
            self.gave_up += 1
        else:
            self.proved += 1
        return out

    def worth_trying(self) -> bool:
        """Whether to try :meth:`solve` again for another fixing: not after three answers in a row
        were left unproved with none proved (a program full of exact ties, where every listing would
        run to its limit before the full solve; the answers do not depend on it)."""
        return self.gave_up < 3 or self.proved > 0

    def _solve(self, fix: dict[int, float] | None) -> tuple[str, np.ndarray | None] | None:
        if not self.binary or self.n == 0 or not self.m.rows:
            return None
        if self.relaxation is None:
            self.relaxation = WarmRelaxation(self.m, self.goal)
        u = self.relaxation.row_duals(fix)
        if u is None:
            return None
        lo = np.asarray(self.m.lower, dtype=float).copy()
        hi = np.asarray(self.m.upper, dtype=float).copy()
        for j, v in (fix or {}).items():
            lo[j] = hi[j] = float(v)
        lo, hi = np.round(lo), np.round(hi)
        if np.any(lo > hi):
            return None
        best = None
        for sign in (1.0, -1.0):  # HiGHS' sign convention for duals, whichever bounds tighter
            bound = self._bound(sign * u, lo, hi)
            if bound is not None and (best is None or bound[0] < best[0]):
                best = bound
        if best is None:
            return None
        return self._enumerate(best, lo, hi)

    def _bound(self, u: np.ndarray, lo: np.ndarray, hi: np.ndarray):
        """The Lagrangian bound of the multipliers ``u``: (B, x_b, penalties |d_j|, float margin)."""
        u = u.copy()
        u[(u > 0) & ~np.isfinite(self.rhi)] = 0.0  # a multiplier must not reward an open side
        u[(u < 0) & ~np.isfinite(self.rlo)] = 0.0
        rows = np.where(u > 0, u * np.where(np.isfinite(self.rhi), self.rhi, 0.0),
                        u * np.where(np.isfinite(self.rlo), self.rlo, 0.0))
        d = self.goal - np.bincount(self.ci, weights=self.val * u[self.ri], minlength=self.n)
        xb = np.where(d > 0, hi, lo)
        cols = d * xb
        bound = math.fsum(rows.tolist()) + math.fsum(cols.tolist())
        margin = 1e-9 * (float(np.sum(np.abs(rows))) + float(np.sum(np.abs(cols))) +
                         float(np.sum(np.abs(self.val * u[self.ri])))) + 1e-9
        if not math.isfinite(bound):
            return None
        pen = np.where(hi > lo, np.abs(d), math.inf)
        return bound, xb, pen, margin, u

    def _enumerate(self, found, lo: np.ndarray, hi: np.ndarray) -> tuple[str, np.ndarray | None] | None:
        """List every point of value >= a level (``floor(B)``, then 1, 3, 7, ... lower) until one
        keeps every row; the best of those listed is then the optimum, and every optimal point is
        among them. ``("infeasible", None)`` once the level is below the lowest value any point
        can have and still none fits."""
        bound, xb, pen, margin, u = found
        base_value = float(np.dot(self.goal, xb))
        act0 = np.bincount(self.ri, weights=self.val * xb[self.ci], minlength=len(self.rlo))
        free_all = np.flatnonzero(np.isfinite(pen))
        lowest = math.fsum(np.minimum(self.goal * lo, self.goal * hi).tolist())
        top = math.floor(bound + margin)
        for step in range(64):
            level = top - (2 ** step - 1)
            budget = bound - level + margin  # by how much a point of value >= level may fall short of B
            cols = free_all[pen[free_all] <= budget]
            cols = cols[np.argsort(pen[cols], kind="stable")]
            rows, delta = self._flips(cols, xb)
            other = np.ones(len(self.rlo), dtype=bool)
            other[rows] = False  # rows no listed flip changes: at act0 in every listed point
            if self._keeps(act0[other], other):
                fixed = float(np.sum(self._short(u[other], act0[other], act0[other], other)))
                sets = self._sets(delta, act0[rows], rows, u[rows], pen[cols], budget - fixed)
                if sets is None:
                    return None
                sign = np.where(xb[cols] > 0.5, -1.0, 1.0)
                values = base_value + sets.astype(float) @ (sign * self.goal[cols])
                ok = self._keeps(act0[rows][None, :] + sets.astype(float) @ delta.T, rows)  # exact check
                if np.any(ok):
                    sets, values = sets[ok], values[ok]
                    best = float(values.max())
                    if best >= level - 0.5:  # every point of value >= level is listed, so best is optimal
                        return "optimal", self._lex_best(sets[values == best], cols, xb)
            if level <= lowest:  # every point listed, none keeps every row
                return "infeasible", None
        return None

    def _flips(self, cols: np.ndarray, xb: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The rows the columns ``cols`` are in, and what flipping each column (away from ``xb``)
        changes in each of those rows (a dense rows x columns matrix)."""
        pos = np.full(self.n, -1, dtype=np.int64)
        pos[cols] = np.arange(len(cols))
        at = pos[self.ci]
        nz = at >= 0
        rows = np.unique(self.ri[nz])
        where = np.full(len(self.rlo), -1, dtype=np.int64)
        where[rows] = np.arange(len(rows))
        delta = np.zeros((len(rows), len(cols)))
        np.add.at(delta, (where[self.ri[nz]], at[nz]), self.val[nz])
        return rows, delta * np.where(xb[cols] > 0.5, -1.0, 1.0)[None, :]

    def _keeps(self, act: np.ndarray, rows, most: np.ndarray | None = None) -> np.ndarray:
        """Whether activities ``act`` (the last axis over ``rows``) keep every one of those rows,
        with the relative tolerance 1e-9 of :func:`~selection.select.program._feasible`. With
        ``most``, whether some activity between ``act`` (least) and ``most`` can."""
        lo_r, hi_r = self.rlo[rows], self.rhi[rows]
        tol_lo = 1e-9 * np.maximum(1.0, np.abs(np.where(np.isfinite(lo_r), lo_r, 0.0)))
        tol_hi = 1e-9 * np.maximum(1.0, np.abs(np.where(np.isfinite(hi_r), hi_r, 0.0)))
        top = act if most is None else most
        return np.all((top >= lo_r - tol_lo) & (act <= hi_r + tol_hi), axis=-1)

    def _short(self, u: np.ndarray, least: np.ndarray, most: np.ndarray, rows) -> np.ndarray:
        """Per row of ``rows``, ``|u_r|`` times the least distance from the side ``u_r`` prices over
        the activities between ``least`` and ``most`` (a row's shortfall from the bound ``B``)."""
        hi_r = np.where(np.isfinite(self.rhi[rows]), self.rhi[rows], 0.0)
        lo_r = np.where(np.isfinite(self.rlo[rows]), self.rlo[rows], 0.0)
        return np.where(u > 0, u * np.maximum(0.0, hi_r - most), np.where(u < 0, -u * np.maximum(0.0, least - lo_r), 0.0))

    def _sets(self, delta: np.ndarray, act0: np.ndarray, rows: np.ndarray, u: np.ndarray, p: np.ndarray,
              budget: float) -> np.ndarray | None:
        """Every set of the flips ``delta`` (columns sorted by penalty ``p``; rows ``rows``, at
        ``act0`` before any flip) that a point of value >= the level can have, as a boolean matrix
        (one row per set), or ``None`` beyond ``max_points``.

        A point falls short of the bound ``B`` by exactly its flips' penalties plus, per row,
        ``|u_r|`` times its distance from the side ``u_r`` prices (``goal.x = u.Ax + d.x``). The sets
        are grown one column at a time; a partial set is dropped when no choice on the remaining
        columns can keep a row, or bring the shortfall within ``budget`` (each row's least shortfall
        over the activities still reachable): sets that break the count row, or leave places unused
        that the bound prices, are never listed."""
        k = delta.shape[1]
        zero = np.zeros((len(rows), 1))  # what the columns from c on can still add, at most / at least
        up = np.concatenate([np.cumsum(np.maximum(delta, 0.0)[:, ::-1], axis=1)[:, ::-1], zero], axis=1)
        down = np.concatenate([np.cumsum(np.minimum(delta, 0.0)[:, ::-1], axis=1)[:, ::-1], zero], axis=1)

        def keep(act: np.ndarray, spent: np.ndarray, c: int) -> np.ndarray:
            """Which partial sets (decided on the columns before ``c``) can still be completed."""
            least, most = act + down[:, c], act + up[:, c]
            short = self._short(u, least, most, rows).sum(axis=1)
            return self._keeps(least, rows, most) & (spent + short <= budget)

        sets = np.zeros((1, k), dtype=bool)
        act = act0[None, :].copy()
        spent = np.zeros(1)
        ok = keep(act, spent, 0)
        sets, act, spent = sets[ok], act[ok], spent[ok]
        for c in range(k):
            flip = sets.copy()
            flip[:, c] = True
            sets = np.vstack([sets, flip])
            act = np.vstack([act, act + delta[:, c][None, :]])
            spent = np.concatenate([spent, spent + p[c]])
            ok = keep(act, spent, c + 1)
            sets, act, spent = sets[ok], act[ok], spent[ok]
            if len(sets) > self.max_points:
                return None
        return sets

    def _lex_best(self, sets: np.ndarray, cols: np.ndarray, xb: np.ndarray) -> np.ndarray:
        """The point among the flips ``sets`` of ``xb`` on ``cols`` that is lexicographically best
        in ``priority`` order (the first variable where two differ is 1 in the better)."""
        rank = np.full(self.n, self.n, dtype=np.int64)
        rank[self.priority] = np.arange(len(self.priority))
        chosen = sets == (xb[cols] < 0.5)[None, :]  # True where the variable ends at 1
        for c in np.argsort(rank[cols], kind="stable"):  # best priority first
            if np.any(chosen[:, c]) and not np.all(chosen[:, c]):
                keep = chosen[:, c]
                chosen, sets = chosen[keep], sets[keep]
        x = xb.copy()
        x[cols[sets[0]]] = 1.0 - x[cols[sets[0]]]
        return x
