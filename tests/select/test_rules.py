"""The rule kinds a real call needs: fixed costs per selected, money shares (exact, with a
tolerance), eligibility on attributes, mutually exclusive applications, the reserve list."""

from __future__ import annotations

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection.model import Application, Stage
from selection.select import select_stage as _select_stage
from selection.select import stage_input
from selection.select.program import build_rules
from selection.select.reserve import reserve_list
from selection.words import add_reasons

from .conftest import brute_force, declare, eligible_ids, feasible, instances


def select_stage(*args, **kwargs):
    """The stage and its table with the reasons rendered (as the run files have them)."""
    outcome, table = _select_stage(*args, **kwargs)
    return outcome, add_reasons(table)


def _ranking(ids, scores=None):
    scores = scores or [5.0 - 0.25 * i for i in range(len(ids))]
    return pd.DataFrame({"rank": range(1, len(ids) + 1), "score": scores, "eligible": True,
                         "failed_thresholds": ""}, index=list(ids))


def _stage(**kw) -> Stage:
    return declare(Stage.model_validate({"number": 1, "name": "s", "catalogue": "c.toml", "max_selected": 8, **kw}))


FIXED = [{"name_en": "Springboard advice", "name_da": "Springboard-rådgivning", "amount": 37_500},
         {"name_en": "effect-measurement design", "name_da": "effektmålingsdesign", "amount": 45_000}]


def test_fixed_costs_per_selected_kreative_partnerskaber_section_12():
    """§12: 8 x (250,000 + 37,500 + 45,000) = 2,660,000 = 2,000,000 + 300,000 + 360,000; one more
    partnership costs 332,500, so a budget 1 DKK short of that admits 7."""
    apps = {f"A{i}": Application(id=f"A{i}", title="t", lead_organisation=f"L{i}", grant_requested={1: 250_000})
            for i in range(10)}
    ranking = _ranking(apps)
    st8 = _stage(budget=2_660_000, fixed_costs=FIXED)
    assert st8.cost(apps["A0"]) == 332_500
    assert len(select_stage(st8, ranking, apps)[0].selected) == 8
    st7 = _stage(budget=2_660_000 - 1, fixed_costs=FIXED)
    outcome, table = select_stage(st7, ranking, apps)
    assert len(outcome.selected) == 7
    rule = next(r for r in outcome.rules if r.kind == "budget")
    assert rule.description == ("requested grants + Springboard advice 37,500 + effect-measurement design 45,000 "
                                "per selected within 2,659,999 DKK")


def _cofinanced(shares):
    """Three partnerships; together B and C ask the region for exactly a third."""
    spec = {"A": (9_000_000, 2_000_000), "B": (6_000_000, 2_400_000), "C": (7_500_000, 2_600_000)}
    return {a: Application(id=a, title=a, lead_organisation=a, total_budget_per_year=t,
                           regional_cofinancing_per_year=r) for a, (t, r) in spec.items()}


@pytest.mark.parametrize(("share", "pool_ok"), [("1/3", True), ({"value": "33 %", "tolerance": "0.5 %"}, True),
                                                ("33 %", False)])
def test_pool_share_is_exact_with_its_tolerance(share, pool_ok):
    """B + C = 5.0 of 13.5 M... and A + B + C = 7.0 of 22.5 M < 1/3; B + C alone: 5.0/13.5 = 37 %.
    Selecting all three: 7.0 of 22.5 M = 31 %: fine under every reading. Forcing the pool to
    exactly 7.5 of 22.5 M tests the boundary."""
    apps = _cofinanced(share)
    apps["C"] = Application(id="C", title="C", lead_organisation="C", total_budget_per_year=7_500_000,
                            regional_cofinancing_per_year=3_100_000)  # A+B+C: 7.5 of 22.5 M, a third
    st_ = _stage(max_selected=3, shares=[{"kind": "max_share", "share": share,
                                          "of": "regional_cofinancing_per_year", "within": "total_budget_per_year"}])
    outcome, _ = select_stage(st_, _ranking(["A", "B", "C"]), apps)
    assert (set(outcome.selected) == {"A", "B", "C"}) == pool_ok
    # the per-partnership reading of the same clause excludes B (40 %) and C (41 %) outright
    per = _stage(max_selected=3, max_regional_share={"value": "33 %", "tolerance": "0.5 %"})
    assert per.max_regional_share == pytest.approx(0.335)
    assert select_stage(per, _ranking(["A", "B", "C"]), apps)[0].selected == ("A",)


def test_group_min_share_of_the_money():
    """At least 30 % of the money to food: the food application is chosen although it ranks last."""
    apps = {a: Application(id=a, title=a, lead_organisation=a, grant_requested={1: g}, focus_areas=f)
            for a, g, f in [("A", 500, []), ("B", 400, []), ("C", 300, ["food"])]}
    st_ = _stage(max_selected=2, shares=[{"kind": "min_share", "share": "30 %", "group": "focus_area",
                                         "value": "food", "of": "grant", "within": "grant"}])
    outcome, _ = select_stage(st_, _ranking(["A", "B", "C"]), apps)
    assert set(outcome.selected) == {"A", "C"}  # 300 of 800 = 37.5 % >= 30 %
    share = next(r for r in outcome.rules if r.kind == "share")
    assert share.description == "requested grants to focus area Food / Fødevarer at least 30 % of requested grants (over the selection)"


def test_eligibility_and_mutually_exclusive():
    apps = {a: Application(id=a, title=a, lead_organisation=a, partners={"cultural": c})
            for a, c in [("A", 0), ("B", 1), ("C", 2), ("D", 1)]}
    st_ = _stage(max_selected=2,
                 eligibility=[{"attribute": "partners_cultural", "at_least": 1, "reason": "§7 cultural competences"}],
                 mutually_exclusive=[{"applications": ["B", "C"], "reason": "the same project twice"}])
    outcome, table = select_stage(st_, _ranking(list(apps)), apps)
    assert outcome.selected == ("B", "D")
    t = table.set_index("application_id")
    assert t.at["A", "reason"] == "not eligible: Cultural partners 0, at least 1 required (§7 cultural competences)"
    assert not t.at["A", "eligible"]
    assert "at most 1 of B, C" in " ".join(r.description for r in outcome.rules)


def test_reserve_list_passes_a_floor_to_the_best_reserve_that_meets_it():
    """B is the only rural one selected: if B withdraws, the best rural reserve (E) moves up,
    not the best reserve (C)."""
    apps = {a: Application(id=a, title=a, lead_organisation=a, rural=r)
            for a, r in [("A", False), ("B", True), ("C", False), ("D", False), ("E", True)]}
    st_ = _stage(max_selected=2, reserve=2,
                 constraints=[{"kind": "at_least", "group": "rural", "value": "true", "count": 1}])
    ranking = _ranking(list(apps))
    outcome, _ = select_stage(st_, ranking, apps)
    assert outcome.selected == ("A", "B")
    res = reserve_list(stage_input(st_, ranking, apps), outcome, 2).set_index("application_id")
    assert list(res.index) == ["C", "D", "E"]  # the first two, and B's successor
    assert res.at["C", "enters_if_withdraws"] == "A"
    assert res.at["E", "enters_if_withdraws"] == "B"
    assert "C would break \"at least 1 rural/peripheral selected\"" in res.at["E", "reason"]
    assert res.at["D", "enters_if_withdraws"] == ""


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_n=6), st.sampled_from(["1/3", "50 %", "1/4"]), st.sampled_from(["max_share", "min_share"]))
def test_share_rules_equal_brute_force(inst, share, kind):
    """A money share over the selection, exact: the program's optimum equals enumeration."""
    stage, ranking, apps = inst
    stage = declare(Stage.model_validate({**stage.model_dump(), "shares": [
        {"kind": kind, "share": share, "group": "rural", "value": "true", "of": "grant", "within": "grant"}]}))
    expected = brute_force(stage, ranking, apps)
    inp = stage_input(stage, ranking, apps)
    assert len([r for r in build_rules(inp) if r.kind == "share"]) == 1
    from selection.errors import InfeasibleError

    try:
        outcome, _ = select_stage(stage, ranking, apps, solver="highs", explain=False)
    except InfeasibleError:
        assert not expected
        return
    assert expected and outcome.objective == pytest.approx(expected[0][0], abs=1e-9)
    assert feasible(stage, apps, eligible_ids(stage, ranking, apps), outcome.selected)


def test_budgets_per_year_and_over_the_period():
    """Per-year amounts as money attributes: a cap per year and one over the period."""
    from selection.model import Call

    attrs = [{"id": f"y{y}", "label_da": str(y), "label_en": str(y), "type": "money"} for y in (2014, 2015)]
    apps = {a: Application(id=a, title=a, lead_organisation=a, attributes={"y2014": v14, "y2015": v15})
            for a, v14, v15 in [("A", 5, 5), ("B", 4, 1), ("C", 1, 4), ("D", 1, 1)]}
    call = Call.model_validate({"schema_version": 1, "id": "c", "name": "c", "attributes": attrs, "stages": [{
        "number": 1, "name": "s", "catalogue": "c.toml", "max_selected": 4, "money_caps": [
            {"name_en": "2014", "name_da": "2014", "of": ["y2014"], "at_most": 6},
            {"name_en": "2014-2015", "name_da": "2014-2015", "of": ["y2014", "y2015"], "at_most": 11}]}]})
    outcome, _ = select_stage(call.stage(1), _ranking(list(apps)), apps)
    assert set(outcome.selected) == {"B", "C"}  # A with anyone breaks one of the caps (brute force by hand)
    assert sum(apps[a].attributes["y2014"] for a in outcome.selected) <= 6
    assert sum(apps[a].attributes["y2014"] + apps[a].attributes["y2015"] for a in outcome.selected) <= 11
    assert "2014-2015 within 11 DKK" in [r.description for r in outcome.rules]
