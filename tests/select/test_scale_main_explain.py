"""The main path at scale (issue 12, wave 4): stage explanations made once per record shape
(selection.select.explain.explain_selection: an outranked record once per set of rules and
coefficients, plain-text facts' JSON once per text, claims_context once per stage) against the
previous record-by-record loop, kept verbatim below as the oracle: equal tables, byte for byte, on
random calls with every constraint kind, thresholds, forced decisions and both objectives' values,
including many applications that share the same rules (where the shapes repeat)."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings

from selection.decisions import Decision, text
from selection.select.explain import (
    RECORD_COLUMNS,
    Resolver,
    Screen,
    SwapGoals,
    _exclusion,
    _forced_reasons,
    _rule_facts,
    _swaps,
    _Usage,
    check_claims,
    explain_selection,
    forced_in_value,
    stage_program,
    stage_screen,
)
from selection.select.milp import Milp
from selection.select.program import Rule, StageInput, StageOutcome, solve_stage
from selection.select.stage import stage_input

from .conftest import instances


# ---- verbatim: selection/select/explain.py explain_selection at 1de2462 (the oracle) ----
def old_explain_selection(inp: StageInput, outcome: StageOutcome, solver: str, *,
                      resolve: Resolver | None = None, base_objective: float | None = None,
                      cost_goal: str = "value", swap_goals: SwapGoals | None = None,
                      cost_unit: str | None = None, **_legacy: object) -> pd.DataFrame:
    """One row per ranked application with :data:`RECORD_COLUMNS`, in rank order.

    ``resolve(a)`` gives the objective and the selection when ``a`` is forced in (default: the
    stage's own program re-solved); ``cost_to_include`` is ``outcome.objective`` minus that
    objective (``inf`` when no rule-abiding selection can include it). ``base_objective`` replaces
    ``outcome.objective`` when ``resolve`` measures another goal (linked mode: stage-2 value, with
    ``cost_goal="stage2_value"`` and ``swap_goals`` giving the linked goals of a swapped stage 1).
    Every record's claims are checked by :func:`check_claims` before it is returned. The words
    (``reason``, ``reason_da``) are added by :func:`selection.words.add_reasons`.
    """
    if cost_unit is not None:  # the older keyword: the goal's name in words
        cost_goal = {"total value": "value", "stage-2 value": "stage2_value", "total score": "score"}.get(
            cost_unit, cost_goal)
    base = outcome.objective if base_objective is None else base_objective
    if resolve is None:
        program: list[tuple[Milp, np.ndarray, np.ndarray]] = []  # built on the first deviation only
        screens: list[Screen | None] = []

        def resolve(a: str) -> tuple[float, tuple[str, ...]] | None:
            if not program:
                program.append(stage_program(inp, outcome.rules))
                screens.append(stage_screen(program[0]))
            return forced_in_value(inp, a, solver, program=program[0], screen=screens[0])
    forced_in = _forced_reasons(inp)
    chosen = set(outcome.selected)
    worst = max((inp.ranks[a] for a in chosen), default=0)
    u = _Usage(outcome.rules, outcome.selected)
    linked = swap_goals is not None
    index = {b: [u.rules[k] for k in ks] for b, ks in u.member.items()}
    lhs_cache: dict[int, float] = {}
    rows = []
    for a in sorted(inp.values, key=lambda b: inp.ranks[b]):
        cost, leave = math.nan, ""
        if a in chosen:
            d = Decision("selected", {"forced": forced_in.get(a)})
            if outcome.granted is not None:  # partial funding: the amount granted beside the one requested
                d = Decision("selected", {"forced": forced_in.get(a), "granted": int(outcome.granted[a]),
                                          "requested": inp.stage.funded(inp.applications[a]),
                                          "currency": inp.stage.currency.code})
        elif a in inp.excluded:
            d = _exclusion(inp.excluded[a])
            if d.code == "excluded" and a in inp.excluded_da:
                d = Decision("excluded", {"text": text(str(inp.excluded[a]), inp.excluded_da[a])})
        elif inp.ranks[a] < worst:
            swaps, more = _swaps(u, inp, outcome, a, swap_goals, base if linked else None)
            facts: dict = {"swaps": swaps, "more_kinds": more, "linked": linked, "cost_goal": cost_goal}
            alt = resolve(a)
            if alt is not None and math.isnan(alt[0]):
                pass  # costs not requested
            elif alt is None:
                cost = math.inf
                facts["impossible"] = True
            else:
                cost = round(base - alt[0], 9)
                leaving = [b for b in outcome.selected if b not in alt[1]]
                leave = " ".join(leaving)
                facts.update(cost=cost, would_leave=leaving)
            d = Decision("ranking_deviation", facts)
        else:
            broken = u.broken(a)
            if broken:
                d = Decision("outranked", {"broken": [_rule_facts(r, new, before) for r, new, before in broken]})
            else:
                d = Decision("no_gain", {"value": float(inp.values[a])})
        check_claims(inp, outcome, a, d, linked=linked, index=index, lhs_cache=lhs_cache)
        if d.code == "ranking_deviation":
            for s in d.facts["swaps"]:
                s.pop("all", None)
        rows.append((a, inp.ranks[a], float(inp.values[a]), a in chosen, cost, leave,
                     a not in inp.excluded, d.code, d.to_json()))
    table = pd.DataFrame(rows, columns=RECORD_COLUMNS)
    if outcome.granted is not None:  # partial funding: requested and granted amounts side by side
        table["requested"] = [inp.stage.funded(inp.applications[a]) for a in table["application_id"]]
        table["granted"] = [int(outcome.granted.get(a, 0)) for a in table["application_id"]]
    return table

# ---- end of the verbatim oracle ----


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_n=14))
def test_records_made_once_per_shape_equal_the_loop(inst):
    stage, ranking, apps = inst
    inp = stage_input(stage, ranking, apps)
    try:
        outcome = solve_stage(inp, "highs")
    except Exception:  # noqa: BLE001 (an infeasible call has nothing to explain)
        return
    got = explain_selection(inp, outcome, "highs")
    want = old_explain_selection(inp, outcome, "highs")
    pd.testing.assert_frame_equal(got, want)
    assert got["facts"].tolist() == want["facts"].tolist()


def test_equal_shapes_share_one_record_and_a_zero_coefficient_keeps_its_sign():
    """Many applications in the same rules with the same coefficients give the same record (and
    the table equals the loop's); a rule with coefficient 0.0 and one with -0.0 are different shapes."""
    from selection.model import Application, Stage

    from .conftest import declare

    apps = {f"A{i:02d}": Application(id=f"A{i:02d}", title="t", lead_organisation="L", industries=frozenset({"music"}),
                                     municipality="Aarhus", grant_requested={1: 100_000},
                                     total_budget_per_year=500_000, regional_cofinancing_per_year=100_000)
            for i in range(30)}
    ranking = pd.DataFrame({"rank": range(1, 31), "score": np.linspace(5, 1, 30), "eligible": True,
                            "failed_thresholds": ""}, index=list(apps))
    stage = declare(Stage(number=1, name="s", catalogue="c.toml", max_selected=5, budget=400_000))
    inp = stage_input(stage, ranking, apps)
    outcome = solve_stage(inp, "highs")
    got = explain_selection(inp, outcome, "highs")
    pd.testing.assert_frame_equal(got, old_explain_selection(inp, outcome, "highs"))
    assert got["reason_code"].value_counts().to_dict() == {"outranked": 26, "selected": 4}
    assert got.loc[got["reason_code"].eq("outranked"), "facts"].nunique() == 1
    zero = Rule("zero", "a row whose coefficients are zero", {a: (-0.0 if a == "A29" else 0.0) for a in apps},
                "<=", 1.0)
    other = StageOutcome(outcome.stage, outcome.selected, outcome.objective, (*outcome.rules, zero),
                         outcome.binding, outcome.solver)
    pd.testing.assert_frame_equal(explain_selection(inp, other, "highs"), old_explain_selection(inp, other, "highs"))
