"""The stage program against brute-force enumeration, across solvers, and its explanations."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection.errors import InfeasibleError
from selection.model import Application, Constraint, ForcedDecision, Stage
from selection.select import k_best, stage_input
from selection.select import select_stage as _select_stage
from selection.words import add_reasons

from .conftest import brute_force, declare, eligible_ids, feasible, instances, lex_best


def select_stage(*args, **kwargs):
    """The stage and its table with the reasons rendered (as the run files have them)."""
    outcome, table = _select_stage(*args, **kwargs)
    return outcome, add_reasons(table)

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def _solve(stage, ranking, apps, solver):
    try:
        return select_stage(stage, ranking, apps, solver=solver)
    except InfeasibleError as exc:
        return exc


@SETTINGS
@given(instances())
def test_equals_brute_force_on_both_solvers(inst):
    """Exactness: CBC and HiGHS reach the brute-force optimum; every rule holds; infeasible iff
    brute force finds no feasible selection; ties go to the higher-ranked selection."""
    stage, ranking, apps = inst
    feas = brute_force(stage, ranking, apps)
    for solver in ("cbc", "highs"):
        got = _solve(stage, ranking, apps, solver)
        if not feas:
            assert isinstance(got, InfeasibleError), solver
            assert got.problems and all(p.message for p in got.problems)
            continue
        assert not isinstance(got, InfeasibleError), (solver, str(got))
        outcome, table = got
        assert outcome.objective == pytest.approx(feas[0][0], abs=1e-9), solver
        assert feasible(stage, apps, eligible_ids(stage, ranking, apps), outcome.selected)
        # tie rule: among optimal selections the lexicographically best by rank
        assert set(outcome.selected) == lex_best(feas, ranking), solver
        assert list(table["application_id"]) == list(ranking.index)
        assert (table["selected"] == table["reason"].str.startswith("selected")).all()


@SETTINGS
@given(instances(forced=False), st.integers(50_000, 400_000))
def test_more_budget_never_lowers_the_objective(inst, extra):
    stage, ranking, apps = inst
    stage = Stage.model_validate({**stage.model_dump(), "budget": stage.budget or 200_000})
    more = Stage.model_validate({**stage.model_dump(), "budget": stage.budget + extra})
    a, b = _solve(stage, ranking, apps, "highs"), _solve(more, ranking, apps, "highs")
    if isinstance(a, InfeasibleError):
        return
    assert not isinstance(b, InfeasibleError)
    assert b[0].objective >= a[0].objective - 1e-9


@settings(max_examples=40, deadline=None)
@given(instances(max_n=7), st.integers(1, 5))
def test_k_best_equals_brute_force(inst, k):
    """The k best distinct selections have the k largest values of all feasible selections."""
    stage, ranking, apps = inst
    feas = brute_force(stage, ranking, apps)
    if not feas:
        return
    alts = k_best(stage_input(stage, ranking, apps), k, "highs")
    assert len(alts) == min(k, len(feas))
    assert len({a.selected for a in alts}) == len(alts)
    for alt, (v, _) in zip(alts, feas, strict=False):
        assert alt.objective == pytest.approx(v, abs=1e-9)
        assert feasible(stage, apps, eligible_ids(stage, ranking, apps), alt.selected)


@settings(max_examples=40, deadline=None)
@given(instances(max_n=7, forced=False))
def test_cost_to_include_equals_brute_force(inst):
    """cost_to_include = optimum - best value of a feasible selection containing the application."""
    stage, ranking, apps = inst
    feas = brute_force(stage, ranking, apps)
    if not feas:
        return
    _, table = select_stage(stage, ranking, apps, solver="highs")
    for row in table.itertuples():
        if not row.reason.startswith("ranking deviation"):
            continue
        with_it = [v for v, s in feas if row.application_id in s]
        expected = feas[0][0] - with_it[0] if with_it else math.inf
        assert row.cost_to_include == pytest.approx(expected, abs=1e-9)


# --- hand-made cases -----------------------------------------------------------------------

def _apps(spec):
    return {i: Application(id=i, title=i, lead_organisation=lead, industries=frozenset(inds),
                           focus_areas=frozenset(foci), municipality="Aarhus", rural=rural,
                           grant_requested={1: grant}) for i, (lead, inds, foci, rural, grant) in spec.items()}


def _ranking(scores, eligible=None):
    ids = sorted(scores, key=lambda a: (-scores[a], a))
    eligible = eligible or {}
    return pd.DataFrame({"rank": range(1, len(ids) + 1), "score": [scores[a] for a in ids],
                         "eligible": [eligible.get(a, True) for a in ids],
                         "failed_thresholds": ["" if eligible.get(a, True) else "impact 1.00 < 2" for a in ids]},
                        index=ids)


APPS = _apps({
    "A": ("L1", ["fashion"], ["tourism"], False, 250_000),
    "B": ("L2", ["fashion"], ["food"], False, 250_000),
    "C": ("L3", ["fashion", "design"], [], False, 250_000),
    "D": ("L4", ["music"], ["food"], True, 250_000),
    "E": ("L4", ["design"], [], True, 250_000),
})
SCORES = {"A": 4.5, "B": 4.0, "C": 3.5, "D": 3.0, "E": 2.0}


def _stage(**kw):
    return declare(Stage.model_validate({"number": 1, "name": "s", "catalogue": "c.toml", "max_selected": 3, **kw}))


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_rural_floor_with_no_eligible_rural_application(solver):
    st = _stage(constraints=[Constraint(kind="at_least", group="rural", value="true", count=1,
                                        reason="§11 rural areas")])
    ranking = _ranking(SCORES, eligible={"D": False, "E": False})
    with pytest.raises(InfeasibleError) as err:
        select_stage(st, ranking, APPS, solver=solver)
    msg = str(err.value)
    assert "at least 1 rural/peripheral selected" in msg
    assert "but no application in rural/peripheral passes the thresholds" in msg
    assert "2 below a threshold" in msg
    assert err.value.exit_code == 2


@pytest.mark.parametrize("solver", ["cbc", "highs"])
def test_conflict_names_the_rules_and_the_amount(solver):
    """Budget for one, but two focus areas required by distinct applications: the conflict set is
    exactly {budget, tourism floor, food floor} and the closest selection misses by 1."""
    st = _stage(budget=250_000, constraints=[
        Constraint(kind="at_least", group="focus_area", value="tourism", count=1),
        Constraint(kind="at_least", group="focus_area", value="food", count=1),
        Constraint(kind="at_most", group="industry", count=3)])
    with pytest.raises(InfeasibleError) as err:
        select_stage(st, _ranking(SCORES), APPS, solver=solver)
    first = err.value.problems[0].message
    assert "no selection satisfies these rules together" in first
    assert "requested grants within 250,000 DKK" in first
    assert "Tourism / Turisme" in first and "Food / Fødevarer" in first
    assert "industry" not in first and "at most 3 selected" not in first
    assert any("by 1 application" in p.message or "by 250,000 DKK" in p.message for p in err.value.problems)


def test_forced_in_but_below_threshold_is_explained():
    st = _stage(forced=[ForcedDecision(application="E", include=True, reason="political priority")])
    with pytest.raises(InfeasibleError, match="E is forced in \\(political priority\\), but it may not be "
                                              "selected: below threshold"):
        select_stage(st, _ranking(SCORES, eligible={"E": False}), APPS)


def test_reasons_cap_budget_and_deviation():
    """A, B fill the fashion cap (2); C (fashion) is excluded by the cap, and a deviation since D
    below it is selected; its cost is the brute-force loss of forcing it in."""
    st = _stage(constraints=[Constraint(kind="at_most", group="industry", value="fashion", count=2)])
    outcome, table = select_stage(st, _ranking(SCORES), APPS)
    assert outcome.selected == ("A", "B", "D")
    t = table.set_index("application_id")
    assert "excluded by the cap on industry Fashion / Mode (at most 2; 2 already selected)" in t.at["C", "reason"]
    assert t.at["C", "reason"].startswith("ranking deviation")
    assert t.at["C", "cost_to_include"] == pytest.approx(4.0 - 3.5)  # B leaves for C
    assert t.at["C", "would_leave"] == "B"
    assert t.at["E", "reason"].startswith("outranked: all 3 places went to higher-ranked")
    st2 = _stage(budget=500_000)
    _, table2 = select_stage(st2, _ranking(SCORES), APPS)
    assert table2.set_index("application_id").at["C", "reason"].startswith("outranked within the budget")


def test_forced_out_and_forced_in_reasons():
    st = _stage(forced=[ForcedDecision(application="A", include=False, reason="conflict of interest"),
                        ForcedDecision(application="E", include=True, reason="strategic")])
    outcome, table = select_stage(st, _ranking(SCORES), APPS, solver="highs")
    t = table.set_index("application_id")
    assert t.at["A", "reason"] == "forced out: conflict of interest"
    assert t.at["E", "reason"] == "selected (forced in: strategic)"
    assert outcome.selected == ("B", "C", "E")


def test_exactly_and_objectives():
    st = _stage(constraints=[Constraint(kind="exactly", group="rural", value="true", count=2)])
    outcome, _ = select_stage(st, _ranking(SCORES), APPS)
    assert outcome.selected == ("A", "D", "E")
    rank_obj = _stage(objective="rank")
    outcome, table = select_stage(rank_obj, _ranking(SCORES), APPS)
    assert list(table["value"]) == [5.0, 4.0, 3.0, 2.0, 1.0] and outcome.objective == 12.0
    apps = dict(APPS)
    apps["E"] = Application.model_validate({**APPS["E"].model_dump(), "grant_requested": {1: 50_000}})
    per = _stage(objective="score_per_dkk", max_selected=1)
    outcome, _ = select_stage(per, _ranking(SCORES), apps)
    assert outcome.selected == ("E",)  # 2.0 / 0.05 M beats 4.5 / 0.25 M


def test_ties_prefer_the_higher_ranked():
    scores = {"A": 3.0, "B": 3.0, "C": 3.0, "D": 3.0, "E": 3.0}
    for solver in ("cbc", "highs"):
        outcome, _ = select_stage(_stage(), _ranking(scores), APPS, solver=solver)
        assert outcome.selected == ("A", "B", "C")
