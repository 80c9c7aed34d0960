"""Selection at scale (issue 12): the what-ifs of the explanations, proved by one warm LP relaxation
and an exact listing of what its dual bound leaves possible (LexCore), equal the full solve and brute
force; and no solve of the selection program is offered a start solution (HiGHS 1.16 was seen to stop
at a start and call it optimal)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import selection.select.linked as linked_module
import selection.select.program as program_module
from selection.errors import InfeasibleError
from selection.model import Application, Constraint, Stage
from selection.select import select_stage, solve_linked, solve_stage, stage_input
from selection.select.explain import WHAT_IF_OPTIONS, forced_in_value, stage_program, stage_screen
from selection.select.program import explain_infeasible, solve_with_ties

from .conftest import brute_force, instances, lex_best

SETTINGS = settings(max_examples=50, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def solved_with_screen(inst):
    """A random instance solved by the engine, with what its what-ifs start from: ``(input, outcome,
    program, screen, brute-force selections)``, or ``None`` when the instance has no feasible selection."""
    stage, ranking, apps = inst
    inp = stage_input(stage, ranking, apps)
    try:
        out = solve_stage(inp, "highs")
    except InfeasibleError:
        return None
    program = stage_program(inp, out.rules)
    return inp, out, program, stage_screen(program), brute_force(stage, ranking, apps)


def full_what_if(inp, a, program, solver="highs", options=WHAT_IF_OPTIONS):
    """The what-if by the full solve: the stage's program with ``a`` forced in, value and tie rule by
    branch and bound and sequential fixing (no LexCore), as before issue 12's wave 3."""
    m0, values, tie = program
    ids = list(inp.values)
    m = m0.copy()
    m.options = {**m.options, **options}
    m.lower = list(m.lower)
    m.lower[ids.index(a)] = 1.0
    found = solve_with_ties(m, values, tie, solver, what="what-if", core=False)
    if found is None:
        return None
    x, obj = found
    return obj, tuple(sorted((b for i, b in enumerate(ids) if x[i] > 0.5), key=lambda b: inp.ranks[b]))


@SETTINGS
@given(instances(max_n=8))
def test_what_if_shortcut_equals_the_full_solve_and_brute_force(inst):
    """For every eligible application left out: the what-if as the explanations compute it (one warm
    LP relaxation for all, LexCore) gives the same value and selection as the full solve with the tie
    rule (HiGHS and CBC), and both equal the brute-force lexicographic optimum among the selections
    containing it; on these small programs LexCore always proves the answer itself."""
    solved = solved_with_screen(inst)
    if solved is None:
        return
    inp, out, program, screen, feas = solved
    ranking = inst[1]
    chosen = set(out.selected)
    ids = list(inp.values)
    cross_checked = False
    for a in ids:
        if a in chosen or a in inp.excluded:
            continue
        with_a = [(v, s) for v, s in feas if a in s]
        if screen is not None and with_a:  # proved by the listing, not by a fallback solve
            assert screen.core.solve({ids.index(a): 1.0}) is not None
        fast = forced_in_value(inp, a, "highs", program=program, screen=screen)
        assert fast == full_what_if(inp, a, program)
        if not with_a:
            assert fast is None
            continue
        assert fast is not None
        assert fast[0] == pytest.approx(with_a[0][0], abs=1e-9)
        assert frozenset(fast[1]) == lex_best(with_a, ranking)
        if not cross_checked:  # CBC, an independent solver, once per instance (a subprocess per solve)
            assert full_what_if(inp, a, program, "cbc")[1] == fast[1]
            cross_checked = True


def test_no_solve_is_offered_a_start(monkeypatch):
    """A stage with ties, ranking deviations (what-ifs), an infeasible diagnosis and linked mode:
    every solve of the selection program starts cold."""
    starts: list[object] = []
    real = program_module.solve_milp

    def spy(m, solver="cbc", *, start=None):
        starts.append(start)
        return real(m, solver)

    monkeypatch.setattr(program_module, "solve_milp", spy)
    monkeypatch.setattr(linked_module, "solve_milp", spy)
    rng = np.random.default_rng(5)
    n = 60
    apps = {f"A{i:02d}": Application(id=f"A{i:02d}", title="t", lead_organisation=f"L{i % 45}",
                                     grant_requested={1: int(rng.integers(1, 5)) * 100_000},
                                     regional_cofinancing_per_year=int(rng.integers(1, 4)) * 100_000,
                                     total_budget_per_year=1_000_000)
            for i in range(n)}
    scores = np.sort(rng.integers(4, 10, n) / 2)[::-1]
    ranking = pd.DataFrame({"rank": range(1, n + 1), "score": scores, "eligible": True,
                            "failed_thresholds": ""}, index=list(apps))
    stage = Stage(number=1, name="s", catalogue="c.toml", max_selected=8, budget=1_500_000,
                  constraints=[Constraint(kind="at_most", group="lead_organisation", count=1)])
    for solver in ("highs", "cbc"):
        _, table = select_stage(stage, ranking, apps, solver=solver)
        assert (table["reason_code"] == "ranking_deviation").any()
    tight = Stage(number=1, name="s", catalogue="c.toml", max_selected=2, budget=100_000,
                  constraints=[Constraint(kind="at_least", group="any", count=2)])
    assert explain_infeasible(stage_input(tight, ranking, apps), program_module.build_rules(
        stage_input(tight, ranking, apps)), "highs")
    stage2 = Stage(number=2, name="s2", catalogue="c.toml", max_selected=4, from_stage=1,
                   budget=600_000, budget_basis="regional_cofinancing_per_year")
    res = solve_linked(stage_input(stage, ranking, apps), stage_input(stage2, ranking, apps), "highs")
    assert res.stage2_value > -math.inf
    assert starts and all(s is None for s in starts)
