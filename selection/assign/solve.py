"""Solve an :class:`~selection.assign.problem.AssignmentProblem` exactly, or say why it cannot be.

The assignment is a 0-1 integer program over the allowed (expert, application) pairs, solved to
a proven optimum (zero gap) with HiGHS through :mod:`selection.select.milp`:

* every application gets exactly its ``need`` experts; each expert's load lies in
  ``[min_load, max_load]``; barred pairs have no variable, fixed pairs a lower bound of 1;
* optional side rules: at least one expert of each required kind per application, at most
  ``max_per_affiliation`` experts of one affiliation per application.

Without side rules the constraint matrix is that of a transportation problem, totally unimodular,
so the LP optimum is integral: the same program as a min-cost flow (Ahuja, R. K., Magnanti, T. L.
& Orlin, J. B. (1993). *Network Flows*, Prentice Hall, ch. 9-11; the assignment formulation of
Taylor, C. J. (2008). On the optimal assignment of conference papers to reviewers. Tech. rep.
MS-CIS-08-30, University of Pennsylvania), and HiGHS proves it at the root.

Objectives, lexicographically (each later one keeps the earlier optimum):

1. with an earlier stage to continue (``prefer``): as many of its pairs as possible;
2. in ``fair`` mode: the fit of the worst-served application (the max-min objective of
   PeerReview4All: Stelmakh, I., Shah, N. B. & Singh, A. (2019). PeerReview4All: Fair and
   accurate reviewer assignment in peer review. *ALT 2019*, PMLR 98, 828-856.
   arXiv:1806.06237; journal version *JMLR* 22(163), 2021), then the number of applications
   held at that worst level (fewest first: the next-worst applications are raised as far as the
   worst level allows);
3. the total fit (the sum-of-similarities objective of the Toronto Paper Matching System and of
   OpenReview's min-cost-flow matcher).

When the rules cannot all be kept, :func:`diagnose` says why in words with numbers: first the
counting arguments (an application with fewer allowed experts than it needs, loads that cannot
add up), else the smallest violation found by an elastic program.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np

from selection.assign.problem import BAR_REASONS, FIX_REASONS, AssignmentProblem
from selection.errors import InfeasibleError, Problem, SolverError
from selection.select.milp import Milp, highs_model, solve_milp

__all__ = ["AssignmentResult", "solve_assignment", "diagnose", "TOL", "FAIR_RESOLUTION"]

#: Tolerance when an earlier objective's optimum is kept as a bound (fits are sums of shares).
TOL = 1e-7
#: Resolution at which fair mode compares the fits of an affinity matrix of arbitrary numbers
#: (declared-expertise fits are compared exactly: they are multiples of 1/q for a small q).
FAIR_RESOLUTION = 0.01
#: Column generation adds at most this many improving pairs per application per round.
PRICED_PER_APPLICATION = 3


@dataclass(frozen=True)
class AssignmentResult:
    """The optimal assignment: ``x[i, j]`` is true when expert ``i`` scores application ``j``."""

    problem: AssignmentProblem
    x: np.ndarray
    solver: str
    objectives: tuple[tuple[str, float], ...]
    seconds: float

    @property
    def loads(self) -> np.ndarray:
        return self.x.sum(axis=1)

    @property
    def application_fit(self) -> np.ndarray:
        return (self.problem.fit * self.x).sum(axis=0)

    @property
    def total_fit(self) -> float:
        return float(self.application_fit.sum())

    @property
    def worst_fit(self) -> float:
        f = self.application_fit
        return float(f.min()) if f.size else 0.0

    def pairs(self) -> list[tuple[str, str]]:
        """``(expert_id, application_id)`` of every assigned pair, by expert then application."""
        i, j = np.nonzero(self.x)
        p = self.problem
        return sorted((p.experts[a], p.applications[b]) for a, b in zip(i.tolist(), j.tolist(), strict=True))


@dataclass
class _Program:
    milp: Milp
    ii: np.ndarray  # expert of each pair variable
    jj: np.ndarray  # application of each pair variable
    slack_rows: list[tuple[str, int, int, int]]  # (what, expert, application, slack variable)


def _groups(keys: np.ndarray, size: int) -> list[np.ndarray]:
    """Variable indices grouped by ``keys`` (0..size-1), each group in increasing order."""
    order = np.argsort(keys, kind="stable")
    return np.split(order, np.cumsum(np.bincount(keys, minlength=size))[:-1])


def _build(p: AssignmentProblem, *, elastic: bool = False) -> _Program:
    """The 0-1 program of ``p`` (pair variables first). ``elastic``: every rule gets a slack
    variable and the program minimises the total slack (used to explain infeasibility)."""
    m, n = p.shape
    allowed = p.bar == 0
    ii, jj = np.nonzero(allowed)
    prog = Milp(maximize=not elastic)
    lo = (p.fix[ii, jj] > 0).astype(float)
    prog.add_vars(len(ii), cost=0.0, lower=lo, upper=1.0)
    slacks: list[tuple[str, int, int, int]] = []

    def slack(what: str, i: int, j: int) -> int:
        k = prog.add_vars(1, cost=1.0, lower=0.0, upper=np.inf, integer=False)
        slacks.append((what, i, j, k))
        return k

    by_app = _groups(jj, n)
    by_exp = _groups(ii, m)
    for j, cols in enumerate(by_app):
        need = float(p.need[j])
        if elastic:
            s_lo, s_hi = slack("app_short", -1, j), slack("app_over", -1, j)
            prog.add_row(np.r_[cols, s_lo, s_hi], np.r_[np.ones(len(cols)), 1.0, -1.0], need, need)
        else:
            prog.add_row(cols, 1.0, need, need)
    for i, cols in enumerate(by_exp):
        lo_, hi_ = float(p.min_load[i]), float(p.max_load[i])
        if elastic:
            u, v = slack("load_short", i, -1), slack("load_over", i, -1)
            prog.add_row(np.r_[cols, u], np.r_[np.ones(len(cols)), 1.0], lo_, np.inf)
            prog.add_row(np.r_[cols, v], np.r_[np.ones(len(cols)), -1.0], -np.inf, hi_)
        else:
            prog.add_row(cols, 1.0, lo_, hi_)
    for kind in p.require_kinds:
        has = np.array([kind in k for k in p.kinds], dtype=bool)[ii] if p.kinds else np.zeros(len(ii), bool)
        for j, cols in enumerate(by_app):
            if p.need[j] == 0:
                continue
            sel = cols[has[cols]]
            if elastic:
                w = slack(f"kind:{kind}", -1, j)
                prog.add_row(np.r_[sel, w], np.r_[np.ones(len(sel)), 1.0], 1.0, np.inf)
            else:
                prog.add_row(sel, 1.0, 1.0, np.inf)
    if p.max_per_affiliation is not None and p.affiliations:
        names = sorted({a for a in p.affiliations if a})
        code = {a: k for k, a in enumerate(names)}
        aff = np.array([code.get(a, -1) for a in p.affiliations], dtype=np.int64)[ii]
        keep = aff >= 0
        key = aff[keep] * n + jj[keep]
        idx = np.flatnonzero(keep)
        order = np.argsort(key, kind="stable")
        uniq, start, count = np.unique(key[order], return_index=True, return_counts=True)
        for u, s0, c in zip(uniq.tolist(), start.tolist(), count.tolist(), strict=True):
            if c <= p.max_per_affiliation:
                continue
            cols = idx[order[s0:s0 + c]]
            if elastic:
                z = slack(f"aff:{names[u // n]}", -1, u % n)
                prog.add_row(np.r_[cols, z], np.r_[np.ones(len(cols)), -1.0], -np.inf,
                             float(p.max_per_affiliation))
            else:
                prog.add_row(cols, 1.0, -np.inf, float(p.max_per_affiliation))
    return _Program(prog, ii, jj, slacks)


def _solve(prog: Milp, solver: str, start: np.ndarray | None = None):
    sol = solve_milp(prog, solver, start=start)
    if sol.status not in ("optimal", "infeasible"):
        raise SolverError(Problem(f"the solver stopped without a proven optimum ({sol.status})",
                                  hint="try the other solver with --solver"))
    return sol


class _Structure:
    """Every row of the program over every allowed pair (columns ``0..P-1``) plus extra columns
    (``t``, ``z``) added by the objectives: a scipy CSC matrix, so that any column subset can be
    solved and every left-out column priced with the duals (column generation)."""

    def __init__(self, p: AssignmentProblem) -> None:
        m, n = p.shape
        self.p = p
        self.ii, self.jj = np.nonzero(p.bar == 0)
        self.P = len(self.ii)
        self.fit = p.fit[self.ii, self.jj]
        self.entries: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []  # (row, col, value)
        self.row_lower: list[float] = []
        self.row_upper: list[float] = []
        self.lower = list((p.fix[self.ii, self.jj] > 0).astype(float))
        self.upper = [1.0] * self.P
        self.integer = [True] * self.P
        cols = np.arange(self.P)
        self._rows(self.jj, cols, np.ones(self.P), p.need.astype(float), p.need.astype(float))
        self._rows(self.ii + 0, cols, np.ones(self.P), p.min_load.astype(float), p.max_load.astype(float),
                   offset=n)
        for kind in p.require_kinds:
            has = np.array([kind in k for k in p.kinds], dtype=bool)[self.ii] if p.kinds else np.zeros(self.P, bool)
            apps = np.flatnonzero(p.need > 0)
            local = np.full(n, -1)
            local[apps] = np.arange(len(apps))
            sel = has & (local[self.jj] >= 0)
            self._rows(local[self.jj[sel]], cols[sel], np.ones(int(sel.sum())), np.ones(len(apps)),
                       np.full(len(apps), np.inf), offset=len(self.row_lower), nrows=len(apps))
        if p.max_per_affiliation is not None and p.affiliations:
            names = sorted({a for a in p.affiliations if a})
            code = {a: k for k, a in enumerate(names)}
            aff = np.array([code.get(a, -1) for a in p.affiliations], dtype=np.int64)[self.ii]
            ok = aff >= 0
            key = aff[ok] * n + self.jj[ok]
            uniq, inv, count = np.unique(key, return_inverse=True, return_counts=True)
            big = count > p.max_per_affiliation
            local = np.full(len(uniq), -1)
            local[big] = np.arange(int(big.sum()))
            sel = local[inv] >= 0
            nb = int(big.sum())
            self._rows(local[inv][sel], cols[ok][sel], np.ones(int(sel.sum())), np.full(nb, -np.inf),
                       np.full(nb, float(p.max_per_affiliation)), offset=len(self.row_lower), nrows=nb)

    @property
    def n_rows(self) -> int:
        return len(self.row_lower)

    @property
    def n_cols(self) -> int:
        return len(self.lower)

    def _rows(self, local_row, col, val, lo, hi, *, offset: int | None = None, nrows: int | None = None) -> None:
        base = self.n_rows if offset is None else offset
        k = len(lo) if nrows is None else nrows
        self.entries.append((np.asarray(local_row, dtype=np.int64) + base, np.asarray(col, dtype=np.int64),
                             np.asarray(val, dtype=float)))
        self.row_lower += list(np.broadcast_to(np.asarray(lo, dtype=float), (k,)))
        self.row_upper += list(np.broadcast_to(np.asarray(hi, dtype=float), (k,)))

    def add_var(self, k: int, *, lower: float, upper: float, integer: bool) -> int:
        first = self.n_cols
        self.lower += [lower] * k
        self.upper += [upper] * k
        self.integer += [integer] * k
        return first

    def add_rows(self, local_row, col, val, lo, hi) -> None:
        self._rows(local_row, col, val, lo, hi)

    def matrix(self):
        import scipy.sparse as sp

        r = np.concatenate([e[0] for e in self.entries])
        c = np.concatenate([e[1] for e in self.entries])
        v = np.concatenate([e[2] for e in self.entries])
        return sp.csc_matrix((v, (r, c)), shape=(self.n_rows, self.n_cols))

    def milp(self, A, cols: np.ndarray, cost: np.ndarray, *, relax: bool = False) -> Milp:
        """The program restricted to the columns ``cols`` (sorted), as a :class:`Milp`."""
        sub = A[:, cols].tocsr()
        prog = Milp(maximize=True)
        prog.cost = cost[cols].tolist()
        prog.lower = [self.lower[c] for c in cols]
        prog.upper = [self.upper[c] for c in cols]
        prog.integer = [False if relax else self.integer[c] for c in cols]
        ptr = sub.indptr
        prog.rows = [(sub.indices[ptr[r]:ptr[r + 1]].astype(np.int64), sub.data[ptr[r]:ptr[r + 1]])
                     for r in range(sub.shape[0])]
        prog.row_lower = list(self.row_lower)
        prog.row_upper = list(self.row_upper)
        return prog


def _lp(prog: Milp):
    """Solve the LP ``prog`` with HiGHS's dual simplex; ``(status, x, objective, row duals)``."""
    import highspy

    h = highs_model(prog, relax=True)
    h.run()
    status = h.getModelStatus()
    if status == highspy.HighsModelStatus.kInfeasible:
        return "infeasible", None, np.nan, None
    if status != highspy.HighsModelStatus.kOptimal:
        return h.modelStatusToString(status).lower(), None, np.nan, None
    sol = h.getSolution()
    x = np.asarray(sol.col_value, dtype=float)
    return "optimal", x, float(np.dot(prog.cost, x)), np.asarray(sol.row_dual, dtype=float)


def _restricted_lp(s: _Structure, A, idx: np.ndarray, cost: np.ndarray, penalty: float):
    """The LP over the columns ``idx`` plus one artificial column (cost ``-penalty``) per row with
    a floor; ``(status, x, objective, row duals, index of the first artificial)``."""
    lp = s.milp(A, idx, cost, relax=True)
    floors = [r for r, lo in enumerate(lp.row_lower) if lo > -np.inf]
    first = lp.add_vars(len(floors), cost=-penalty, lower=0.0, upper=np.inf, integer=False)
    for k, r in enumerate(floors):
        i, v = lp.rows[r]
        lp.rows[r] = (np.append(i, first + k), np.append(v, 1.0))
    status, x, z, y = _lp(lp)
    return status, x, z, y, first


def _phase_one_infeasible(s: _Structure, A, cols: np.ndarray, extra: np.ndarray) -> bool:
    """True when the whole LP relaxation is proven infeasible: the phase-one LP (minimise the
    artificial columns alone) priced over every left-out column still needs them."""
    zero = np.zeros(s.n_cols)
    while True:
        idx = np.r_[np.flatnonzero(cols), extra]
        status, x, _, y, first = _restricted_lp(s, A, idx, zero, 1.0)
        if status != "optimal" or not np.any(x[first:] > 1e-9):
            return False
        out = ~cols & (-(A[:, : s.P].T @ y) > 1e-9)
        if not out.any():
            return True
        cols |= out


def _initial_columns(s: _Structure, per_app: int) -> np.ndarray:
    """The ``per_app`` best-fitting allowed experts of each application, every fixed or preferred
    pair, and for each expert enough pairs to reach its minimum load: a start for column generation."""
    p = s.p
    m, n = p.shape
    keep = np.zeros(s.P, dtype=bool)
    keep |= np.asarray(s.lower[: s.P]) > 0
    if p.prefer is not None:
        keep |= p.prefer[s.ii, s.jj]
    order = np.lexsort((-s.fit, s.jj))  # by application, best fit first
    starts = np.searchsorted(s.jj[order], np.arange(n))
    rank = np.arange(s.P) - starts[s.jj[order]]
    keep[order[rank < per_app]] = True
    for kind in p.require_kinds:  # the best few of each required kind, per application
        has = np.array([kind in k for k in p.kinds], dtype=bool)[s.ii] if p.kinds else np.zeros(s.P, bool)
        sub = np.flatnonzero(has)
        order = sub[np.lexsort((-s.fit[sub], s.jj[sub]))]
        starts = np.searchsorted(s.jj[order], np.arange(n))
        rank = np.arange(len(order)) - starts[s.jj[order]]
        keep[order[rank < max(2, per_app // 2)]] = True
    # each expert's best applications, up to twice its maximum load: room for every load
    order = np.lexsort((-s.fit, s.ii))
    starts = np.searchsorted(s.ii[order], np.arange(m))
    rank = np.arange(s.P) - starts[s.ii[order]]
    need = np.maximum(np.minimum(2 * p.max_load, n), 2 * np.maximum(p.min_load, 1))[s.ii[order]]
    keep[order[rank < need]] = True
    return keep


def _best_per_application(s: _Structure, candidates: np.ndarray, score: np.ndarray, k: int) -> np.ndarray:
    """Of the pair columns ``candidates`` (bool), the ``k`` with the highest ``score`` per application
    (partial pricing: a few columns at a time keep the restricted program small)."""
    sub = np.flatnonzero(candidates)
    order = sub[np.lexsort((-score[sub], s.jj[sub]))]
    starts = np.searchsorted(s.jj[order], np.arange(s.p.shape[1]))
    rank = np.arange(len(order)) - starts[s.jj[order]]
    out = np.zeros(s.P, dtype=bool)
    out[order[rank < k]] = True
    return out


def _optimise(s: _Structure, A, cost: np.ndarray, solver: str, cols: np.ndarray, start: np.ndarray | None,
              per_app: int, quantum: float = 1e-9):
    """Maximise ``cost`` over the whole program exactly, solving only a subset of the pair
    columns: the restricted LP is priced with its duals until no left-out column improves it (the
    full LP bound), then the restricted MIP is solved, and every left-out column whose reduced
    cost could close the remaining gap is added before the MIP is solved again (reduced-cost
    fixing: Nemhauser, G. L. & Wolsey, L. A. (1988). *Integer and Combinatorial Optimization*,
    Wiley, §II.2; column generation: Desrosiers, J. & Lübbecke, M. E. (2005). A primer in column
    generation. In *Column Generation*, Springer, 1-32. doi:10.1007/0-387-25486-2_1).

    ``cols``: bool mask of the pair columns in the subset (updated in place); ``quantum``: the
    smallest possible improvement of the objective (1 for a count, a fit step for a fit on a
    grid). Returns ``(status, x over all columns, objective)``.
    """
    P, ncol = s.P, s.n_cols
    extra = np.arange(P, ncol)
    if solver != "highs":
        cols[:] = True
    while True:
        idx = np.r_[np.flatnonzero(cols), extra]
        if solver != "highs" or cols.all():
            break
        # the restricted LP with an artificial column (cost -big) on every row with a floor, so
        # that it is feasible whatever columns are left out (the "big M" start of column generation)
        big = 10.0 * (1.0 + float(np.abs(cost).sum()))
        status, x, z_lp, y, first = _restricted_lp(s, A, idx, cost, big)
        if status != "optimal":
            cols[:] = True  # let the whole program decide (and diagnose)
            continue
        if np.any(x[first:] > 1e-9):
            reduced = cost[:P] - A[:, :P].T @ y
            out = ~cols & (reduced > 1e-9)
            if out.any():
                cols |= _best_per_application(s, out, reduced, PRICED_PER_APPLICATION)
                continue
            if _phase_one_infeasible(s, A, cols, extra):
                return "infeasible", None, np.nan
            cols[:] = True  # big was too small: let the whole program decide
            continue
        x = x[:first]
        reduced = cost[:P] - A[:, :P].T @ y
        out = ~cols & (reduced > 1e-9)
        if out.any():
            cols |= _best_per_application(s, out, reduced, PRICED_PER_APPLICATION)
            continue
        integral = np.asarray([s.integer[c] for c in idx], dtype=bool)
        if np.all(np.abs(x - np.round(x))[integral] < 1e-9):
            # the LP optimum is integral (always so without side rules: a transportation matrix)
            full = np.zeros(ncol)
            full[idx] = np.where(integral, np.round(x), x)
            return "optimal", full, float(cost @ full)
        break
    idx = np.r_[np.flatnonzero(cols), extra]
    # no incumbent is offered: HiGHS 1.16 given the earlier phase's optimum as a start was seen
    # to stop at it as "optimal" although a better point existed (tests/assign brute force)
    sol = _solve(s.milp(A, idx, cost), solver)
    if sol.status != "optimal":
        if not cols.all():
            cols[:] = True
            return _optimise(s, A, cost, solver, cols, start, per_app, quantum)
        return sol.status, None, np.nan
    if not cols.all():
        # a better integer point is better by at least ``quantum``: only columns whose reduced
        # cost could bring the LP bound that far can be in it
        gap = z_lp - sol.objective
        add = ~cols & (reduced > quantum - gap - 1e-9)
        if gap >= quantum - 1e-9 and add.any():
            cols |= add
            idx2 = np.r_[np.flatnonzero(cols), extra]
            sol = _solve(s.milp(A, idx2, cost), solver)
            idx = idx2
    full = np.zeros(ncol)
    full[idx] = sol.x
    return sol.status, full, float(sol.objective)


def solve_assignment(p: AssignmentProblem, *, solver: str = "highs", candidates: int | None = None) -> AssignmentResult:
    """The optimal assignment of ``p`` (see the module docstring for the objectives).

    ``candidates``: how many best-fitting experts per application the column generation starts
    from (default ``3 x need + 5``); the answer is exact whatever it is.
    Raises :class:`~selection.errors.InfeasibleError` with :func:`diagnose`'s reasons when no
    assignment keeps every rule.
    """
    t0 = time.perf_counter()
    reasons = _counting(p)
    if reasons:
        raise InfeasibleError([Problem(r) for r in reasons])
    s = _Structure(p)
    P, n = s.P, p.shape[1]
    per_app = candidates or int(3 * (p.need.max() if n else 1) + 5)
    cols = _initial_columns(s, per_app)
    objectives: list[tuple[str, float]] = []
    start: np.ndarray | None = None
    fit = s.fit
    A = s.matrix()

    def run(cost: np.ndarray, what: str, quantum: float = 1e-9, allow_infeasible: bool = False):
        nonlocal start
        status, x, obj = _optimise(s, A, cost, solver, cols, start, per_app, quantum)
        if status == "infeasible" and allow_infeasible:
            return None
        if status == "infeasible":
            raise InfeasibleError([Problem(r) for r in diagnose(p, solver=solver)])
        if status != "optimal":
            raise SolverError(Problem(f"the solver stopped without a proven optimum ({status})",
                                      hint="try the other solver with --solver"))
        objectives.append((what, obj))
        start = x
        return x

    def pad(x: np.ndarray | None) -> np.ndarray | None:
        return None if x is None else np.r_[x, np.zeros(s.n_cols - len(x))]

    if p.prefer is not None and p.prefer[s.ii, s.jj].any():
        cost = np.zeros(s.n_cols)
        cost[:P] = p.prefer[s.ii, s.jj]
        run(cost, "pairs kept from the earlier stage", 1.0)
        pref = np.flatnonzero(cost[:P])
        s.add_rows(np.zeros(len(pref), dtype=np.int64), pref, np.ones(len(pref)),
                   [round(objectives[-1][1]) - 0.5], [np.inf])
        A = s.matrix()
    total_quantum = _granularity(p.fit) or 1e-9
    if p.mode == "fair":
        # Fairness first (PeerReview4All's max-min, then the next level). Fits are compared on
        # their grid (shares of declared terms are multiples of 1/q), so the worst level is an
        # integer t of steps and z_j = 1 marks an application at least one step above it:
        #   fit_j >= step * t,   fit_j >= step * (t + z_j).
        # t is first fixed at its upper bound (each application's best experts, ignoring loads);
        # if an assignment reaches it, the bound is the max-min optimum; else t is maximised.
        # Then sum(z) and the total fit are maximised together: a lift weighs more than any
        # total-fit difference, so the order is exact.
        step = _granularity(p.fit)
        fair_full = p.fit if step is not None else np.round(p.fit / FAIR_RESOLUTION) * FAIR_RESOLUTION
        step = step or FAIR_RESOLUTION
        fair_fit = fair_full[s.ii, s.jj]
        t = s.add_var(1, lower=-np.inf, upper=np.inf, integer=True)
        s.add_rows(np.r_[s.jj, np.arange(n)], np.r_[np.arange(P), np.full(n, t)],
                   np.r_[fair_fit, -step * np.ones(n)], np.full(n, -TOL), np.full(n, np.inf))
        z0 = s.add_var(n, lower=0.0, upper=1.0, integer=True)
        s.add_rows(np.r_[s.jj, np.arange(n), np.arange(n)],
                   np.r_[np.arange(P), z0 + np.arange(n), np.full(n, t)],
                   np.r_[fair_fit, -step * np.ones(n), -step * np.ones(n)],
                   np.full(n, -TOL), np.full(n, np.inf))
        A = s.matrix()
        weight = 1.0 + float(p.need.sum()) * float(np.abs(p.fit).max(initial=0.0))
        both = np.zeros(s.n_cols)
        both[:P] = fit
        both[z0:z0 + n] = weight
        allowed = (p.bar == 0) & (p.max_load[:, None] > 0)
        best = -np.sort(-np.where(allowed, fair_full, -np.inf), axis=0)
        tops = [best[: int(p.need[j]), j].sum() for j in range(n)]
        k = int(np.floor(min(tops, default=0.0) / step + 1e-9))
        s.lower[t] = s.upper[t] = k
        x = run(both, "fair", total_quantum, allow_infeasible=True)
        if x is None:
            s.lower[t], s.upper[t] = -np.inf, np.inf
            cost = np.zeros(s.n_cols)
            cost[t] = step
            # a total-fit term too small to trade one step of t (it guides the search)
            cost[:P] = step / (4.0 * (1.0 + float(np.abs(fit).sum()))) * fit
            x = run(cost, "worst level", step * 0.5)
            k = round(x[t])
            s.lower[t] = s.upper[t] = k
            x = run(both, "fair", total_quantum)
        objectives[:] = [o for o in objectives if o[0] not in ("fair", "worst level")]
        objectives += [("worst-served application's fit", k * step),
                       ("applications lifted above the worst level", float(round(x[z0:z0 + n].sum()))),
                       ("total fit", float(fit @ x[:P]))]
    else:
        cost = np.zeros(s.n_cols)
        cost[:P] = fit
        x = run(cost, "total fit", total_quantum)
    chosen = np.zeros(p.shape, dtype=bool)
    chosen[s.ii, s.jj] = x[:P] > 0.5
    _verify(p, chosen)
    return AssignmentResult(p, chosen, solver, tuple(objectives), time.perf_counter() - t0)


def _granularity(fit: np.ndarray) -> float | None:
    """The smallest positive difference between two application fits when fits are multiples of
    a common step 1/q (q <= 60: shares of up to a few terms), else ``None``."""
    vals = np.unique(fit)
    for q in range(1, 61):
        if np.allclose(vals * q, np.round(vals * q), atol=1e-9):
            return 1.0 / q
    return None


def _verify(p: AssignmentProblem, x: np.ndarray) -> None:
    """Check the solver's answer against every rule (a guard: a violation is a bug, not input)."""
    bad = []
    if np.any(x & (p.bar > 0)):
        bad.append("a barred pair is assigned")
    if np.any(~x & (p.fix > 0)):
        bad.append("a fixed pair is missing")
    if np.any(x.sum(axis=0) != p.need):
        bad.append("an application has the wrong number of experts")
    load = x.sum(axis=1)
    if np.any(load < p.min_load) or np.any(load > p.max_load):
        bad.append("a load is out of bounds")
    if bad:
        raise SolverError(Problem("the solver's assignment breaks a rule: " + "; ".join(bad),
                                  hint="report this as a bug; try --solver cbc"))


def _n(k: int, word: str) -> str:
    return f"{k} {word}{'' if k == 1 else 's'}"


def _counting(p: AssignmentProblem) -> list[str]:
    """Reasons found by counting alone (fast, and the clearest words)."""
    m, n = p.shape
    out: list[str] = []
    fixed = p.fix > 0
    for i, j in zip(*np.nonzero(fixed & (p.bar > 0)), strict=True):
        out.append(f"{p.experts[i]} - {p.applications[j]} is {FIX_REASONS[int(p.fix[i, j])]}, but "
                   f"{p.experts[i]} is barred: {BAR_REASONS[int(p.bar[i, j])]}")
    available = (p.bar == 0) & (p.max_load[:, None] > 0)
    kind_of = {kind: np.array([kind in k for k in p.kinds], dtype=bool) if p.kinds else np.zeros(m, bool)
               for kind in p.require_kinds}
    for j in range(n):
        need, have = int(p.need[j]), int(available[:, j].sum())
        if have < need:
            codes = p.bar[:, j]
            why = [f"{int((codes == c).sum())} {w}" for c, w in BAR_REASONS.items() if (codes == c).any()]
            only_conflicts = all(c in (0, 1) for c in codes.tolist()) and have == int((codes == 0).sum())
            who = "without a conflict" if only_conflicts else "who may score it"
            out.append(f"{p.applications[j]} has {_n(have, 'expert')} {who} but needs {need}"
                       + (f" (of {m}: {', '.join(why)})" if why else ""))
        nfix = int(fixed[:, j].sum())
        if nfix > need:
            out.append(f"{p.applications[j]} has {nfix} experts kept or forced in but needs only {need}")
        for kind in p.require_kinds:
            ok = available[:, j] & kind_of[kind]
            if need > 0 and not np.any(ok):
                out.append(f"{p.applications[j]} has no {kind} expert who may score it "
                           f"(the call asks for at least one per application)")
        if p.max_per_affiliation is not None and have >= need and p.affiliations:
            cap = p.max_per_affiliation
            counts: dict[str, int] = {}
            for i in np.flatnonzero(available[:, j]).tolist():
                counts[p.affiliations[i] or f"#{i}"] = counts.get(p.affiliations[i] or f"#{i}", 0) + 1
            reach = sum(min(c, cap) if not a.startswith("#") else c for a, c in counts.items())
            if reach < need:
                out.append(f"{p.applications[j]} can get at most {reach} experts with at most {cap} "
                           f"per organisation but needs {need}")
    if len(p.require_kinds) and np.any(p.need < len(p.require_kinds)) and n:
        k = int(p.need.min())
        out.append(f"the call asks for one expert of each of {len(p.require_kinds)} kinds "
                   f"({', '.join(p.require_kinds)}) but an application gets only {k}")
    demand, supply, floor = int(p.need.sum()), int(p.max_load.sum()), int(p.min_load.sum())
    if supply < demand:
        out.append(f"{n} applications need {demand} expert places but the {m} experts can take at most "
                   f"{supply} (max loads); raise --max-load or add experts")
    if floor > demand:
        out.append(f"the experts' minimum loads add up to {floor} but the {n} applications need only "
                   f"{demand} expert places; lower --min-load")
    for i in range(m):
        if int(available[i].sum()) < int(p.min_load[i]):
            out.append(f"{p.experts[i]} may score only {int(available[i].sum())} applications but its "
                       f"minimum load is {int(p.min_load[i])}")
        if int(fixed[i].sum()) > int(p.max_load[i]):
            out.append(f"{p.experts[i]} has {int(fixed[i].sum())} pairs kept or forced in but a "
                       f"maximum load of {int(p.max_load[i])}")
    return out


def diagnose(p: AssignmentProblem, *, solver: str = "highs") -> list[str]:
    """Why ``p`` has no assignment, in words with numbers (empty when it has one)."""
    out = _counting(p)
    if out:
        return out
    prog = _build(p, elastic=True)
    sol = _solve(prog.milp, solver)
    if sol.status != "optimal":  # pragma: no cover - an elastic program is always feasible
        return ["the rules cannot all be kept (the solver found no assignment)"]
    total = sol.objective
    if total <= 0.5:
        return []
    out.append(f"no assignment keeps every rule; the closest one misses by {round(total)} "
               "expert place(s) in all:")
    for what, i, j, k in prog.slack_rows:
        v = round(float(sol.x[k]))
        if v <= 0:
            continue
        if what == "app_short":
            out.append(f"{p.applications[j]} would get only {int(p.need[j]) - v} of its {int(p.need[j])} "
                       "experts within the load limits")
        elif what == "app_over":
            out.append(f"{p.applications[j]} would get {int(p.need[j]) + v} experts, {v} more than it needs")
        elif what == "load_short":
            out.append(f"{p.experts[i]} would score {_n(v, 'application')} fewer than its minimum "
                       f"load {int(p.min_load[i])}")
        elif what == "load_over":
            out.append(f"{p.experts[i]} would score {_n(v, 'application')} more than its maximum load "
                       f"{int(p.max_load[i])}")
        elif what.startswith("kind:"):
            out.append(f"{p.applications[j]} would get no {what[5:]} expert")
        elif what.startswith("aff:"):
            out.append(f"{p.applications[j]} would get {v} more experts from {what[4:]} than the "
                       f"{p.max_per_affiliation} allowed")
    return out
