"""Stage explanations at scale (issue 12): the what-ifs of ranking deviations are proved by one warm
LP relaxation of the stage and an exact listing of the selections its dual bound leaves possible
(LexCore), and solved in full without HiGHS presolve otherwise. Neither may change an answer: checked
against brute force on small calls and against the plain full solve (presolve on, no shortcut) on a
call with many deviations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

import selection.select.explain as explain_module
import selection.select.milp as milp_module
from selection.model import Application, Stage
from selection.select import select_stage
from selection.select.explain import WHAT_IF_OPTIONS, forced_in_value, stage_screen
from selection.select.milp import LexCore, Milp, highs_model, lp_point, lp_reduced_costs

from .conftest import instances, lex_best
from .test_scale import full_what_if, solved_with_screen

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@SETTINGS
@given(instances(max_n=8))
def test_what_if_against_brute_force_and_the_plain_full_solve(inst):
    """For every eligible application left out: the what-if (LexCore on one warm relaxation shared by
    all what-ifs) equals brute force's lexicographic optimum and the full solve with HiGHS' defaults
    (presolve on, no LexCore); and the same what-ifs with a fresh model each (cold LP) agree."""
    solved = solved_with_screen(inst)
    if solved is None:
        return
    inp, out, program, screen, feas = solved
    ranking = inst[1]
    chosen = set(out.selected)
    ids = list(inp.values)
    for a in reversed(ids):  # another order than test_scale's: the warm model's path differs
        if a in chosen or a in inp.excluded:
            continue
        with_a = [(v, s) for v, s in feas if a in s]
        fast = forced_in_value(inp, a, "highs", program=program, screen=screen)
        assert fast == full_what_if(inp, a, program, options={})
        assert fast == forced_in_value(inp, a, "highs", program=program, screen=stage_screen(program))
        if not with_a:
            assert fast is None
            continue
        assert fast is not None
        assert fast[0] == pytest.approx(with_a[0][0], abs=1e-9)
        assert frozenset(fast[1]) == lex_best(with_a, ranking)


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
    leave, every reason) is identical with LexCore and with the plain full solve of the stage and of
    each what-if (branch and bound and sequential fixing, HiGHS defaults); and with LexCore no
    branch-and-bound solve runs at all."""
    stage, ranking, apps = _deviating_call()
    solves = []
    real = milp_module._solve_highs
    monkeypatch.setattr(milp_module, "_solve_highs", lambda m, start: solves.append(m) or real(m, start))
    outcome, fast = select_stage(stage, ranking, apps, solver=solver)
    assert (fast["reason_code"] == "ranking_deviation").sum() >= 10
    assert solves == []
    monkeypatch.setattr(LexCore, "solve", lambda self, fix=None: None)
    monkeypatch.setattr(explain_module, "WHAT_IF_OPTIONS", {})
    outcome2, plain = select_stage(stage, ranking, apps, solver=solver)
    assert len(solves) > 10
    assert outcome2.selected == outcome.selected
    pd.testing.assert_frame_equal(fast, plain)
