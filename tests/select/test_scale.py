"""Selection at scale (issue 12): the what-if shortcut of the explanations is exact, and no solve
of the selection program is offered a start solution (HiGHS 1.16 was seen to stop at a start and
call it optimal)."""

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
from selection.select.explain import _proved_swap, forced_in_value, stage_program, stage_screen
from selection.select.program import explain_infeasible

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
    chosen = set(out.selected)
    screen = stage_screen(program, np.array([1.0 if a in chosen else 0.0 for a in inp.values]))
    return inp, out, program, screen, brute_force(stage, ranking, apps)


@SETTINGS
@given(instances(max_n=8))
def test_what_if_shortcut_equals_the_full_solve_and_brute_force(inst):
    """For every eligible application left out: the what-if with the LP-bound shortcut gives the
    same value and selection as the full solve with the tie rule, and both equal the brute-force
    lexicographic optimum among the selections containing it."""
    solved = solved_with_screen(inst)
    if solved is None:
        return
    inp, out, program, screen, feas = solved
    ranking = inst[1]
    chosen = set(out.selected)
    for a in inp.values:
        if a in chosen or a in inp.excluded:
            continue
        if screen is not None:  # a point the shortcut proves optimal is optimal by brute force
            m = program[0].copy()
            m.lower = list(m.lower)
            j = list(inp.values).index(a)
            m.lower[j] = 1.0
            proved = _proved_swap(m, j, screen)
            if proved is not None:
                v = math.fsum(inp.values[b] for b, on in zip(inp.values, proved, strict=True) if on > 0.5)
                assert v == pytest.approx(max(w for w, s in feas if a in s), abs=1e-9)
        fast = forced_in_value(inp, a, "highs", program=program, screen=screen)
        full = forced_in_value(inp, a, "highs", program=program)
        assert fast == full
        with_a = [(v, s) for v, s in feas if a in s]
        if not with_a:
            assert full is None
            continue
        assert full is not None
        assert full[0] == pytest.approx(with_a[0][0], abs=1e-9)
        assert frozenset(full[1]) == lex_best(with_a, ranking)


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
