"""The assignment program against things nobody here wrote: brute force over every assignment of
small random instances (optimum and every rule), scipy's Hungarian-method solver
(``linear_sum_assignment``; Crouse, D. F. (2016). On implementing 2D rectangular assignment
algorithms. *IEEE Trans. Aerospace and Electronic Systems* 52(4), 1679-1696.
doi:10.1109/TAES.2016.140952) on the pure balanced case, and property tests."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.optimize import linear_sum_assignment

from selection.assign import AssignmentProblem, diagnose, solve_assignment
from selection.errors import InfeasibleError


def make(fit, need, *, bar=None, fix=None, min_load=None, max_load=None, kinds=(), require=(),
         affs=(), max_aff=None, prefer=None, mode="total"):
    fit = np.asarray(fit, dtype=float)
    m, n = fit.shape
    return AssignmentProblem(
        experts=tuple(f"E{i}" for i in range(m)), applications=tuple(f"A{j}" for j in range(n)),
        fit=fit, need=np.broadcast_to(np.asarray(need), (n,)).astype(int),
        min_load=np.zeros(m, int) if min_load is None else np.broadcast_to(min_load, (m,)).astype(int),
        max_load=np.full(m, n) if max_load is None else np.broadcast_to(max_load, (m,)).astype(int),
        bar=np.zeros((m, n), np.int8) if bar is None else np.asarray(bar, np.int8),
        fix=np.zeros((m, n), np.int8) if fix is None else np.asarray(fix, np.int8),
        kinds=tuple(kinds), require_kinds=tuple(require), affiliations=tuple(affs),
        max_per_affiliation=max_aff, prefer=prefer, mode=mode)


def feasible(p: AssignmentProblem, x: np.ndarray) -> bool:
    if np.any(x & (p.bar > 0)) or np.any(~x & (p.fix > 0)):
        return False
    if np.any(x.sum(axis=0) != p.need):
        return False
    load = x.sum(axis=1)
    if np.any(load < p.min_load) or np.any(load > p.max_load):
        return False
    for kind in p.require_kinds:
        has = np.array([kind in k for k in p.kinds])
        if np.any(x[has].sum(axis=0) < 1):
            return False
    if p.max_per_affiliation is not None:
        for a in set(p.affiliations) - {""}:
            rows = np.array([b == a for b in p.affiliations])
            if np.any(x[rows].sum(axis=0) > p.max_per_affiliation):
                return False
    return True


def brute_force(p: AssignmentProblem, step: float = 0.25):
    """Every assignment; the best by the program's lexicographic objectives, or None."""
    m, n = p.shape
    best, best_key = None, None
    for combo in itertools.product(*[itertools.combinations(range(m), int(p.need[j])) for j in range(n)]):
        x = np.zeros((m, n), dtype=bool)
        for j, rows in enumerate(combo):
            x[list(rows), j] = True
        if not feasible(p, x):
            continue
        app_fit = (p.fit * x).sum(axis=0)
        key: tuple = ()
        if p.prefer is not None and p.prefer.any():
            key += (int((x & p.prefer).sum()),)
        if p.mode == "fair":
            worst = round(float(app_fit.min()), 9)
            key += (worst, int((app_fit >= worst + step - 1e-9).sum()))
        key += (round(float(app_fit.sum()), 9),)
        if best_key is None or key > best_key:
            best, best_key = x, key
    return best, best_key


def result_key(p: AssignmentProblem, x: np.ndarray, step: float = 0.25) -> tuple:
    app_fit = (p.fit * x).sum(axis=0)
    key: tuple = ()
    if p.prefer is not None and p.prefer.any():
        key += (int((x & p.prefer).sum()),)
    if p.mode == "fair":
        worst = round(float(app_fit.min()), 9)
        key += (worst, int((app_fit >= worst + step - 1e-9).sum()))
    return key + (round(float(app_fit.sum()), 9),)


def random_problem(rng: np.random.Generator, *, mode: str) -> AssignmentProblem:
    m, n = int(rng.integers(3, 6)), int(rng.integers(2, 5))
    k = int(rng.integers(1, min(3, m) + 1))
    fit = rng.integers(0, 5, size=(m, n)) / 4  # multiples of 0.25
    bar = (rng.random((m, n)) < 0.2).astype(np.int8)
    fix = ((rng.random((m, n)) < 0.08) & (bar == 0)).astype(np.int8)
    cap = int(np.ceil(n * k / m)) + int(rng.integers(0, 2))
    kinds = [frozenset(rng.choice(["business", "creative"], size=int(rng.integers(1, 3)), replace=False).tolist())
             for _ in range(m)]
    require = ("business", "creative") if k >= 2 and rng.random() < 0.4 else ()
    affs = [f"org{int(rng.integers(0, 3))}" for _ in range(m)]
    max_aff = 1 if rng.random() < 0.3 else None
    prefer = (rng.random((m, n)) < 0.3) & (bar == 0) if rng.random() < 0.3 else None
    return make(fit, k, bar=bar, fix=fix, min_load=int(rng.integers(0, 2)), max_load=cap, kinds=kinds,
                require=require, affs=affs, max_aff=max_aff, prefer=prefer, mode=mode)


@pytest.mark.parametrize("mode", ["total", "fair"])
def test_brute_force_optimum_and_every_rule(mode):
    rng = np.random.default_rng(20190 if mode == "total" else 20191)
    solved = infeasible = 0
    for _ in range(30):
        p = random_problem(rng, mode=mode)
        best, best_key = brute_force(p)
        if best is None:
            with pytest.raises(InfeasibleError) as exc:
                solve_assignment(p)
            assert exc.value.problems, "an infeasible problem is explained"
            infeasible += 1
            continue
        r = solve_assignment(p)
        assert feasible(p, r.x)
        assert result_key(p, r.x) == best_key
        solved += 1
    assert solved >= 10 and infeasible >= 2  # both branches are exercised


def test_column_generation_equals_the_full_program():
    """Starting from 1 candidate per application gives the optimum of the whole program."""
    rng = np.random.default_rng(7)
    for trial in range(6):
        m, n, k = 12, 30, 2
        fit = rng.random((m, n)) if trial % 2 else rng.integers(0, 5, (m, n)) / 4
        p = make(fit, k, bar=(rng.random((m, n)) < 0.1).astype(np.int8), max_load=6,
                 kinds=[frozenset({"business"} if i % 2 else {"creative"}) for i in range(m)],
                 require=("business", "creative") if trial % 3 == 0 else (),
                 affs=[f"o{i % 4}" for i in range(m)], max_aff=1 if trial % 4 == 1 else None,
                 mode="fair" if trial % 2 == 0 else "total")
        a = solve_assignment(p, candidates=1)
        b = solve_assignment(p, candidates=10**6)
        assert [round(v, 7) for _, v in a.objectives] == [round(v, 7) for _, v in b.objectives]


def test_balanced_case_matches_linear_sum_assignment():
    """One expert per application, each expert at most L: the Hungarian method on the matrix
    with L copies of each expert solves the same problem."""
    rng = np.random.default_rng(1)
    for _ in range(10):
        m, n, cap = 6, 20, 4
        fit = rng.random((m, n))
        r = solve_assignment(make(fit, 1, max_load=cap))
        rows, cols = linear_sum_assignment(np.repeat(fit, cap, axis=0), maximize=True)
        assert r.total_fit == pytest.approx(np.repeat(fit, cap, axis=0)[rows, cols].sum(), abs=1e-9)
    # square: K = 1, load exactly 1, is the classical assignment problem
    fit = rng.random((9, 9))
    r = solve_assignment(make(fit, 1, min_load=1, max_load=1))
    rows, cols = linear_sum_assignment(fit, maximize=True)
    assert r.x[rows, cols].all()


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10**6), st.sampled_from(["total", "fair"]))
def test_a_conflict_is_never_assigned(seed, mode):
    rng = np.random.default_rng(seed)
    p = random_problem(rng, mode=mode)
    try:
        r = solve_assignment(p)
    except InfeasibleError:
        return
    assert not np.any(r.x & (p.bar > 0))
    assert np.all(r.x[p.fix > 0])
    assert feasible(p, r.x)


def test_incremental_changes_only_what_it_must():
    """An expert drops out: every other pair stays, and each freed place gets one new expert."""
    rng = np.random.default_rng(3)
    m, n, k = 7, 40, 2
    fit = rng.integers(0, 5, (m, n)) / 4
    first = solve_assignment(make(fit, k, max_load=14))
    gone = 2
    bar = np.zeros((m, n), np.int8)
    bar[gone] = 5
    fix = np.where(first.x & (bar == 0), 1, 0).astype(np.int8)
    second = solve_assignment(make(fit, k, bar=bar, fix=fix, max_load=14))
    kept = first.x.copy()
    kept[gone] = False
    assert np.all(second.x[kept])  # nothing else moved
    changed = second.x & ~first.x
    assert changed.sum() == first.x[gone].sum()  # one new pair per freed place
    assert np.array_equal(changed.sum(axis=0), first.x[gone].astype(int))


def test_counting_reasons_in_words():
    fit = np.ones((3, 2))
    bar = np.array([[1, 0], [1, 0], [0, 0]])
    with pytest.raises(InfeasibleError) as exc:
        solve_assignment(make(fit, 2, bar=bar))
    assert "A0 has 1 expert without a conflict but needs 2" in str(exc.value)
    with pytest.raises(InfeasibleError) as exc:
        solve_assignment(make(np.ones((3, 5)), 2, max_load=3))
    assert "5 applications need 10 expert places but the 3 experts can take at most 9" in str(exc.value)
    kinds = [frozenset({"creative"})] * 3
    with pytest.raises(InfeasibleError) as exc:
        solve_assignment(make(np.ones((3, 2)), 2, kinds=kinds, require=("business",)))
    assert "A0 has no business expert" in str(exc.value)


def test_elastic_diagnosis_names_the_bottleneck():
    """Counting alone does not see it: A0 and A1 may only have E0 and E1, who can take 1 each."""
    bar = np.array([[0, 0, 0], [0, 0, 0], [1, 1, 0], [1, 1, 0]])
    p = make(np.ones((4, 3)), 2, bar=bar, max_load=[1, 1, 3, 3])
    reasons = diagnose(p)
    assert reasons and "closest one misses by 2" in reasons[0]
    assert any("would get only" in r and "of its 2 experts" in r for r in reasons)
    with pytest.raises(InfeasibleError):
        solve_assignment(p)
    assert diagnose(make(np.ones((4, 3)), 2)) == []


def test_fair_mode_raises_the_worst_served_application():
    # total fit prefers giving E0 (the only expert who knows A0 and A1 well) to A1
    fit = np.array([[1.0, 1.0], [0.0, 0.25], [0.0, 0.25]])
    total = solve_assignment(make(fit, 1, max_load=1))
    fair = solve_assignment(make(fit, 1, max_load=1, mode="fair"))
    assert fair.worst_fit == pytest.approx(0.25)
    assert total.total_fit >= fair.total_fit
    assert fair.worst_fit >= total.worst_fit
