"""Stage explanations at scale (issue 12, wave 2): the what-ifs of ranking deviations are proved by
the LP relaxation with the deviation forced in when a swap reaches its bound, and solved without
HiGHS presolve otherwise. Neither may change an answer: checked against brute force on small calls
and against the plain full solve (presolve on, no shortcut) on a call with many deviations."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import selection.select.explain as explain_module
from selection.model import Application, Stage
from selection.select import select_stage, solve_stage, stage_input
from selection.select.explain import (
    WHAT_IF_OPTIONS,
    _proved_swap,
    forced_in_value,
    stage_program,
    stage_screen,
)
from selection.select.milp import Milp, highs_model, lp_point, lp_reduced_costs

from .conftest import instances, lex_best
from .test_scale import solved_with_screen

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(instances(max_n=8))
def test_lp_bound_and_what_if_options_against_brute_force(inst):
    """For every eligible application left out: the relaxation with it forced in bounds the brute-force
    optimum from above and lies under the reduced-cost bound; a point the shortcut proves optimal is
    optimal by brute force; the what-if (shortcut, no presolve) equals brute force's lexicographic
    optimum and the full solve with HiGHS' defaults."""
    solved = solved_with_screen(inst)
    if solved is None:
        return
    inp, out, program, screen, feas = solved
    ranking = inst[1]
    chosen = set(out.selected)
    ids = list(inp.values)
    for a in ids:
        if a in chosen or a in inp.excluded:
            continue
        with_a = [(v, s) for v, s in feas if a in s]
        if screen is not None:
            j = ids.index(a)
            m = program[0].copy()
            m.lower = list(m.lower)
            m.lower[j] = 1.0
            lp = m.copy()
            lp.cost = screen.goal.tolist()
            relaxed = lp_point(lp)
            if with_a:
                grid = round(float(screen.goal[j]) / inp.values[a]) if inp.values[a] else None
                assert relaxed is not None
                assert relaxed[0] <= screen.bound + min(float(screen.reduced[j]), 0.0) + 1e-6
                if grid:
                    assert relaxed[0] >= with_a[0][0] * grid - 1e-6
            proved = _proved_swap(m, j, screen)
            if proved is not None:
                v = math.fsum(inp.values[b] for b, on in zip(ids, proved, strict=True) if on > 0.5)
                assert v == pytest.approx(max(w for w, s in with_a), abs=1e-9)
        fast = forced_in_value(inp, a, "highs", program=program, screen=screen)
        plain = _plain_what_if(inp, a, program)
        assert fast == plain
        if not with_a:
            assert fast is None
            continue
        assert fast is not None
        assert fast[0] == pytest.approx(with_a[0][0], abs=1e-9)
        assert frozenset(fast[1]) == lex_best(with_a, ranking)


def _plain_what_if(inp, a, program):
    """The what-if as before this change: full solve, HiGHS defaults (presolve on), no shortcut."""
    saved = dict(WHAT_IF_OPTIONS)
    WHAT_IF_OPTIONS.clear()
    try:
        return forced_in_value(inp, a, "highs", program=program)
    finally:
        WHAT_IF_OPTIONS.update(saved)


def test_milp_options_reach_highs_and_survive_copies():
    """A program's HiGHS options go to every copy and into the model HiGHS solves; the stage's own
    program (and so every solve but the what-ifs) keeps HiGHS' defaults."""
    m = Milp(maximize=True)
    m.add_vars(3, cost=[3.0, 2.0, 2.0])
    m.add_row([0, 1, 2], [1.0, 1.0, 1.0], upper=2.0)
    assert highs_model(m).getOptionValue("presolve")[1] == "choose"
    m.options = {"presolve": "off"}
    c = m.copy()
    assert c.options == {"presolve": "off"} and c.options is not m.options
    assert highs_model(c, exact=True).getOptionValue("presolve")[1] == "off"
    value, x = lp_point(c)
    assert value == pytest.approx(5.0)
    assert x[0] == pytest.approx(1.0) and float(np.sum(x)) == pytest.approx(2.0)
    assert lp_reduced_costs(c)[0] == pytest.approx(value)
    assert WHAT_IF_OPTIONS == {"presolve": "off"}


def _deviating_call(n: int = 40, seed: int = 3):
    """Stage 2 of a generated call in miniature: a co-financing budget and a total-budget cap with
    many ranking deviations (applications ranked high whose co-financing does not fit)."""
    rng = np.random.default_rng(seed)
    apps = {f"A{i:03d}": Application(
        id=f"A{i:03d}", title="t", lead_organisation=f"L{i}",
        grant_requested={1: 500_000},
        regional_cofinancing_per_year=int(rng.integers(1, 12)) * 50_000,
        total_budget_per_year=int(rng.integers(6, 20)) * 100_000) for i in range(n)}
    scores = np.sort(np.round(rng.normal(3.0, 0.6, n).clip(0, 5) * 12) / 12)[::-1]
    ranking = pd.DataFrame({"rank": range(1, n + 1), "score": scores, "eligible": True,
                            "failed_thresholds": ""}, index=list(apps))
    stage = Stage(number=1, name="s", catalogue="c.toml", max_selected=n // 2, budget=n * 110_000,
                  budget_basis="regional_cofinancing_per_year", total_budget_cap_per_year=n * 450_000)
    return stage, ranking, apps


@pytest.mark.parametrize("solver", ["highs"])
def test_explanations_identical_to_the_plain_full_solve(solver, monkeypatch):
    """On a call with dozens of ranking deviations, the selection table (cost to include, who would
    leave, every reason) is identical with the faster what-ifs and with the plain full solve of each
    (no LP-bound shortcut, HiGHS defaults)."""
    stage, ranking, apps = _deviating_call()
    outcome, fast = select_stage(stage, ranking, apps, solver=solver)
    assert (fast["reason_code"] == "ranking_deviation").sum() >= 10
    monkeypatch.setattr(explain_module, "WHAT_IF_OPTIONS", {})
    monkeypatch.setattr(explain_module, "stage_screen", lambda program, x: None)
    outcome2, plain = select_stage(stage, ranking, apps, solver=solver)
    assert outcome2.selected == outcome.selected
    pd.testing.assert_frame_equal(fast, plain)


def test_second_lp_bound_proves_what_the_reduced_cost_bound_cannot():
    """On a call where the reduced-cost bound leaves a deviation unproved, the LP with it forced in
    proves a swap optimal; that point has the full solve's value (the second bound is used, and right)."""
    from selection.select.explain import _best_swap, _floor

    stage, ranking, apps = _deviating_call(60, 3)
    inp = stage_input(stage, ranking, apps)
    out = solve_stage(inp, "highs")
    program = stage_program(inp, out.rules)
    ids, on = list(inp.values), set(out.selected)
    screen = stage_screen(program, np.array([1.0 if b in on else 0.0 for b in ids]))
    assert screen is not None
    worst = max(inp.ranks[b] for b in on)
    only_second = []
    for a in ids:
        if a in on or a in inp.excluded or inp.ranks[a] > worst:
            continue
        j = ids.index(a)
        m = program[0].copy()
        m.lower = list(m.lower)
        m.lower[j] = 1.0
        first = _best_swap(m, j, screen, _floor(screen.bound + min(float(screen.reduced[j]), 0.0)))
        proved = _proved_swap(m, j, screen)
        if first is None and proved is not None:
            only_second.append((a, proved))
    assert only_second
    for a, proved in only_second:
        full = _plain_what_if(inp, a, program)
        assert full is not None
        assert math.fsum(inp.values[b] for b, x in zip(ids, proved, strict=True) if x > 0.5) == pytest.approx(full[0], abs=1e-9)
