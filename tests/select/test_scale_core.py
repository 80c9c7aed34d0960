"""LexCore (issue 12, wave 3): the optimum and the lexicographic tie rule of a 0-1 program proved by a
Lagrangian bound and an exact listing of the points it leaves possible, checked against brute force
over every 0-1 point, for HiGHS' duals, for any other multipliers (the proof must not rest on them)
and for many fixings on one warm relaxation."""

from __future__ import annotations

import itertools

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection.select.milp import LexCore, Milp, WarmRelaxation

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def programs(draw, max_n: int = 8):
    """A random 0-1 program: integer goals of any sign (ties likely), 1-4 rows with integer
    coefficients of any sign, each a cap, a floor or both, some variables fixed; and a priority order."""
    n = draw(st.integers(1, max_n))
    goal = np.array(draw(st.lists(st.integers(-3, 6), min_size=n, max_size=n)), dtype=float)
    m = Milp(maximize=True)
    m.add_vars(n, cost=goal)
    for j in range(n):
        fix = draw(st.sampled_from([None, None, None, 0.0, 1.0]))
        if fix is not None:
            m.lower[j] = m.upper[j] = fix
    for _ in range(draw(st.integers(1, 4))):
        cols = sorted(draw(st.sets(st.integers(0, n - 1), min_size=1, max_size=n)))
        coef = [float(draw(st.sampled_from([1, 1, 2, 3, 5, -1, -2]))) * (100_000 if draw(st.booleans()) else 1)
                for _ in cols]
        lo_sum = sum(min(c, 0) for c in coef)
        hi_sum = sum(max(c, 0) for c in coef)
        kind = draw(st.sampled_from(["cap", "floor", "both"]))
        a = draw(st.integers(int(lo_sum), int(hi_sum))) if hi_sum > lo_sum else lo_sum
        b = draw(st.integers(int(a), int(hi_sum))) if hi_sum > a else a
        m.add_row(cols, coef, lower=a if kind != "cap" else -np.inf, upper=b if kind != "floor" else np.inf)
    priority = np.array(draw(st.permutations(list(range(n)))), dtype=np.int64)
    return m, goal, priority


def brute(m: Milp, goal: np.ndarray, priority: np.ndarray, fix: dict[int, float] | None = None):
    """The lexicographically best optimal point by listing all 2^n points, or None if none keeps every row."""
    fix = fix or {}
    best = None
    for bits in itertools.product((0.0, 1.0), repeat=m.n):
        x = np.array(bits)
        if any(x[j] < m.lower[j] or x[j] > m.upper[j] for j in range(m.n) if j not in fix):
            continue
        if any(x[j] != v for j, v in fix.items()):
            continue
        if not all(lo <= float(np.dot(v, x[i])) <= hi for (i, v), lo, hi in zip(m.rows, m.row_lower, m.row_upper,
                                                                                 strict=True)):
            continue
        key = (float(np.dot(goal, x)), tuple(x[priority]))
        if best is None or key > best[0]:
            best = (key, x)
    return None if best is None else best[1]


def _agrees(got, want) -> None:
    if want is None:
        assert got is None or got == ("infeasible", None)
    else:
        assert got is not None, "a program this small is always proved"
        assert got[0] == "optimal"
        np.testing.assert_array_equal(got[1], want)


@SETTINGS
@given(programs())
def test_lex_core_equals_brute_force(prog):
    """The optimum with the tie rule equals brute force's lexicographically best optimal point."""
    m, goal, priority = prog
    _agrees(LexCore(m, goal, priority).solve(), brute(m, goal, priority))


@SETTINGS
@given(programs(), st.data())
def test_lex_core_on_one_warm_relaxation_for_many_fixings(prog, data):
    """One core (one warm LP model) answers what-ifs one after another, each with one variable fixed
    to 1 or 0: every answer equals brute force with that fixing, whatever the warm start's path."""
    m, goal, priority = prog
    core = LexCore(m, goal, priority)
    for _ in range(4):
        j = data.draw(st.integers(0, m.n - 1))
        v = data.draw(st.sampled_from([0.0, 1.0]))
        if not (m.lower[j] <= v <= m.upper[j]):
            continue
        _agrees(core.solve({j: v}), brute(m, goal, priority, {j: v}))
    _agrees(core.solve(), brute(m, goal, priority))  # the fixings are undone


@SETTINGS
@given(programs(), st.lists(st.floats(-3.0, 3.0, allow_nan=False), min_size=4, max_size=4))
def test_lex_core_is_exact_for_any_multipliers(prog, u):
    """The bound is recomputed from the multipliers, so any multipliers (not only the LP's duals)
    give the right answer or none: a weak bound only makes the listing longer."""
    m, goal, priority = prog
    core = LexCore(m, goal, priority, max_points=1 << 12)
    mult = np.array(u[:len(m.rows)]) / 1e5 ** np.array([1.0 if np.max(np.abs(r[1])) > 10 else 0.0 for r in m.rows])
    core.relaxation = _Fixed(mult)
    got = core.solve()
    want = brute(m, goal, priority)
    if got is not None:  # may be unproved within the listing's limit, never wrong
        _agrees(got, want)


class _Fixed(WarmRelaxation):
    """Row multipliers given, not solved for."""

    def __init__(self, u: np.ndarray):
        self.u = u

    def row_duals(self, fix=None):
        return self.u.copy()


def test_lex_core_gives_up_rather_than_guess():
    """With a listing limit too small for the program, the answer is None (the caller solves in
    full), never a point that is not proved optimal."""
    m = Milp(maximize=True)
    n = 14
    m.add_vars(n, cost=[5.0] * n)
    m.add_row(list(range(n)), [2.0] * n, upper=13.0)  # LP 32.5, integer 30: every 6-subset ties
    priority = np.arange(n)
    small = LexCore(m, np.full(n, 5.0), priority, max_points=8)
    for _ in range(3):
        assert small.worth_trying()
        assert small.solve() is None
    assert not small.worth_trying()  # three unproved in a row: the what-ifs go straight to the full solve
    got = LexCore(m, np.full(n, 5.0), priority).solve()
    assert got is not None and got[0] == "optimal"
    np.testing.assert_array_equal(got[1], [1.0] * 6 + [0.0] * (n - 6))  # the six best-ranked


def test_lex_core_proves_infeasibility_only_by_listing_everything():
    """No 0-1 point keeps a floor the LP relaxation can meet (x0 + x1 = 1.5 is LP-feasible): every
    point is listed and none fits, so the answer is infeasible."""
    m = Milp(maximize=True)
    m.add_vars(2, cost=[1.0, 1.0])
    m.add_row([0, 1], [2.0, 2.0], lower=3.0, upper=3.0)
    assert LexCore(m, np.array([1.0, 1.0]), np.arange(2)).solve() == ("infeasible", None)


def test_lex_core_lists_every_point_at_the_optimum_before_choosing():
    """A point found below the first level proves only a lower bound: the listing is redone down to
    its value, so an equally good point with a better-ranked variable (here x5, whose flip costs more
    than the first level allows) is found too (hypothesis found the case where stopping early fails)."""
    m = Milp(maximize=True)
    m.add_vars(6, cost=[0.0, 0.0, 0.0, 0.0, -2.0, 0.0])
    m.add_row([0, 1, 2, 4, 5], [1.0, 1.0, 1.0, 2e5, -1.0], lower=100_003.0)
    goal = np.array(m.cost)
    got = LexCore(m, goal, np.arange(6)).solve()
    want = brute(m, goal, np.arange(6))
    np.testing.assert_array_equal(want, [1.0] * 6)
    _agrees(got, want)
