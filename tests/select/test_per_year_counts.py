"""Count rules per year and over the period (issue 17), and the call's "Stop and Go" review after
2015 (KREATIVE PARTNERSKABER §5.2) as a later stage.

``count_rules`` count the selected applications with money in given amounts (one money attribute
per year): at most N partnerships with money in 2014, at least M over the period, and so on. The
engine is checked against a brute force that enumerates every selection and evaluates each rule
from the call's words.
"""

from __future__ import annotations

import itertools
import random
from fractions import Fraction

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection.errors import InfeasibleError
from selection.model import Application, Call
from selection.select.stage import select_stage
from selection.words import add_reasons

YEARS = ["y2014", "y2015", "y2016", "y2017"]
ATTRIBUTES = [{"id": y, "label_en": y[1:], "label_da": y[1:], "type": "money"} for y in YEARS]


def _ranking(scores: dict[str, float]) -> pd.DataFrame:
    ids = sorted(scores, key=lambda a: (-scores[a], a))
    return pd.DataFrame({"rank": range(1, len(ids) + 1), "score": [scores[a] for a in ids],
                         "eligible": [True] * len(ids), "failed_thresholds": [""] * len(ids)}, index=ids)


def _call(stages: list[dict]) -> Call:
    return Call.model_validate({"schema_version": 1, "id": "t", "name": "t", "attributes": ATTRIBUTES,
                                "stages": stages})


def _instance(seed: int):
    rnd = random.Random(seed)
    n = rnd.randint(2, 8)
    apps, scores = {}, {}
    for i in range(n):
        start = rnd.randint(0, 3)  # a partnership's money starts in some year and may stop
        money = {y: (rnd.randint(1, 4) if k >= start and rnd.random() < 0.8 else 0) for k, y in enumerate(YEARS)}
        apps[f"P{i}"] = Application(id=f"P{i}", title="t", lead_organisation=f"L{i}", attributes=money)
        scores[f"P{i}"] = rnd.randint(2, 10) / 2
    rules = []
    for y in rnd.sample(YEARS, rnd.randint(1, 3)):  # per year
        rules.append({"name_en": f"with money in {y[1:]}", "name_da": f"med midler i {y[1:]}",
                      "with_money_in": [y], "at_most": rnd.randint(0, 3)})
    if rnd.random() < 0.5:  # over the period
        rules.append({"name_en": "with money in 2014-2017", "name_da": "med midler i 2014-2017",
                      "with_money_in": YEARS, "at_least": rnd.randint(0, 3)})
    if rnd.random() < 0.5:
        rules.append({"name_en": "with money in 2016-2017", "name_da": "med midler i 2016-2017",
                      "with_money_in": YEARS[2:], "at_least": rnd.randint(0, 2), "at_most": rnd.randint(2, 4)})
    caps = [{"name_en": f"money {y[1:]}", "name_da": f"midler {y[1:]}", "of": [y], "at_most": rnd.randint(2, 8)}
            for y in rnd.sample(YEARS, rnd.randint(0, 2))]
    call = _call([{"number": 1, "name": "s", "catalogue": "c.toml", "max_selected": rnd.randint(1, n),
                   "count_rules": rules, "money_caps": caps}])
    return call.stages[0], _ranking(scores), apps


def _keeps(stage, apps, sel) -> bool:
    if len(sel) > stage.max_selected:
        return False
    for cr in stage.count_rules:
        n = sum(1 for a in sel if any(apps[a].attributes[y] > 0 for y in cr.with_money_in))
        if (cr.at_most is not None and n > cr.at_most) or (cr.at_least is not None and n < cr.at_least):
            return False
    return all(sum(apps[a].attributes[b] for a in sel for b in mc.of) <= mc.at_most for mc in stage.money_caps)


def _brute(stage, ranking, apps):
    order = list(ranking.index)
    feasible = [s for k in range(len(order) + 1) for s in itertools.combinations(order, k) if _keeps(stage, apps, s)]
    if not feasible:
        return None
    value = {s: sum(Fraction(ranking.at[a, "score"]) for a in s) for s in feasible}
    top = max(value.values())
    return max((s for s in feasible if value[s] == top), key=lambda s: tuple(a in s for a in order))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(0, 10**6))
def test_count_rules_per_year_equal_brute_force(seed):
    stage, ranking, apps = _instance(seed)
    want = _brute(stage, ranking, apps)
    if want is None:
        try:
            select_stage(stage, ranking, apps, solver="highs")
        except InfeasibleError:
            return
        raise AssertionError("the engine found a selection the brute force says is impossible")
    outcome, _ = select_stage(stage, ranking, apps, solver="highs")  # every claim checked (check_claims)
    assert set(outcome.selected) == set(want)


def test_per_year_count_rule_in_reasons_both_languages():
    """Three partnerships, money in 2014 for two of them, at most one of those: the second is out
    because of the 2014 count, in words in both languages."""
    apps = {a: Application(id=a, title="t", lead_organisation=a, attributes={"y2014": m, "y2015": 1,
                                                                             "y2016": 0, "y2017": 0})
            for a, m in (("A", 1), ("B", 2), ("C", 0))}
    stage = _call([{"number": 1, "name": "s", "catalogue": "c.toml", "max_selected": 3, "count_rules": [
        {"name_en": "partnerships with money in 2014", "name_da": "partnerskaber med midler i 2014",
         "with_money_in": ["y2014"], "at_most": 1, "reason": "§13 yearly frame"}]}]).stages[0]
    outcome, table = select_stage(stage, _ranking({"A": 3, "B": 2, "C": 1}), apps, solver="highs")
    assert outcome.selected == ("A", "C")
    t = add_reasons(table).set_index("application_id")
    assert "at most 1 selected among partnerships with money in 2014" in " ".join(r.description for r in outcome.rules)
    assert "højst 1 udvalgt blandt partnerskaber med midler i 2014" in " ".join(r.description_da for r in outcome.rules)
    assert t.at["B", "reason"].startswith("ranking deviation: instead of C: excluded by the cap on "
                                          "partnerships with money in 2014 (at most 1; 1 already selected)")
    assert "loftet for partnerskaber med midler i 2014 (højst 1; 1 allerede udvalgt)" in t.at["B", "reason_da"]


def test_stop_and_go_review_is_a_later_stage():
    """KREATIVE PARTNERSKABER §5.2: a "Stop and Go" review of progress after 2015. Written as a
    stage 3 that chooses among stage 2's selection (from_stage = 2), with the money of 2016-2017
    and a count per year: the partnerships that go on are chosen by the review's scores, within
    the years' budgets; the others stop after 2015."""
    stages = [
        {"number": 1, "name": "Modning", "catalogue": "c.toml", "max_selected": 8},
        {"number": 2, "name": "Projektfase 2014-2017", "catalogue": "c.toml", "max_selected": 5, "from_stage": 1,
         "money_caps": [{"name_en": "money 2014", "name_da": "midler 2014", "of": ["y2014"], "at_most": 10}]},
        {"number": 3, "name": "Stop and Go 2015", "catalogue": "c.toml", "max_selected": 5, "from_stage": 2,
         "money_caps": [{"name_en": f"money {y}", "name_da": f"midler {y}", "of": [f"y{y}"], "at_most": 6}
                        for y in (2016, 2017)],
         "count_rules": [{"name_en": "partnerships with money in 2016-2017",
                          "name_da": "partnerskaber med midler i 2016-2017",
                          "with_money_in": ["y2016", "y2017"], "at_most": 3,
                          "reason": "§5.2 Stop and Go: the review decides who goes on"}]},
    ]
    call = _call(stages)
    assert [s.from_stage for s in call.stages] == [None, 1, 2]
    apps = {f"P{i}": Application(id=f"P{i}", title="t", lead_organisation=f"L{i}",
                                 attributes={"y2014": 2, "y2015": 2, "y2016": 2, "y2017": 2}) for i in range(6)}
    stage2_selection = ["P0", "P1", "P2", "P3", "P4"]  # P5 was not chosen for the project phase
    review = _ranking({"P0": 2.0, "P1": 4.0, "P2": 3.5, "P3": 1.0, "P4": 3.0, "P5": 5.0})
    outcome, table = select_stage(call.stage(3), review, apps, candidates=stage2_selection, solver="highs")
    assert outcome.selected == ("P1", "P2", "P4")  # the three best reviewed of stage 2's five; never P5
    t = add_reasons(table).set_index("application_id")
    assert t.at["P5", "reason"] == "not selected in stage 2"
    assert "partnerships with money in 2016-2017" in t.at["P0", "reason"]
