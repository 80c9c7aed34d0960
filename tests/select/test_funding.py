"""The funding-line objective: the lexicographic rank-order optimum, checked against brute force."""

from __future__ import annotations

import itertools

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings

from selection.errors import InfeasibleError
from selection.model import Application, Constraint, Stage
from selection.select import select_stage as _select_stage
from selection.select import stage_input
from selection.select.funding import funding_line
from selection.select.program import build_rules
from selection.words import add_reasons

from .conftest import declare, eligible_ids, feasible, instances


def select_stage(*args, **kwargs):
    """The stage and its table with the reasons rendered (as the run files have them)."""
    outcome, table = _select_stage(*args, **kwargs)
    return outcome, add_reasons(table)


def _lex_best(stage, ranking, apps):
    """Brute force: of all rule-abiding selections, the one whose rank-ordered 0-1 vector is
    lexicographically largest (Ehrgott 2005, §5.1)."""
    elig = sorted(eligible_ids(stage, ranking, apps), key=lambda a: ranking.at[a, "rank"])
    best = None
    for k in range(0, min(stage.max_selected, len(elig)) + 1):
        for sel in itertools.combinations(elig, k):
            if feasible(stage, apps, set(elig), sel):
                key = tuple(a in sel for a in elig)
                if best is None or key > best[0]:
                    best = (key, frozenset(sel))
    return None if best is None else best[1]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_n=7))
def test_funding_line_is_the_lexicographic_optimum(inst):
    stage, ranking, apps = inst
    stage = Stage.model_validate({**stage.model_dump(), "objective": "funding_line"})
    expected = _lex_best(stage, ranking, apps)
    inp = stage_input(stage, ranking, apps)
    got = funding_line(inp, build_rules(inp), "highs")
    if expected is None:
        assert got is None
    else:
        assert got is not None and frozenset(got) == expected


def _apps(costs):
    return {a: Application(id=a, title=a, lead_organisation=a, grant_requested={1: c}) for a, c in costs.items()}


def _ranking(ids):
    return pd.DataFrame({"rank": range(1, len(ids) + 1), "score": [5.0 - 0.5 * i for i in range(len(ids))],
                         "eligible": True, "failed_thresholds": ""}, index=ids)


def test_funding_line_funds_in_rank_order_where_value_sum_buys_many_cheap_ones():
    """A research council's line: the 2nd (too dear for what is left) is skipped and the line goes
    on; the value-sum objective instead drops the 1st for four cheaper ones."""
    apps = _apps({"A": 700, "B": 500, "C": 150, "D": 150, "E": 150})
    ranking = _ranking(list(apps))
    base = {"number": 1, "name": "s", "catalogue": "c.toml", "max_selected": 5, "budget": 1000}
    line, table = select_stage(Stage.model_validate({**base, "objective": "funding_line"}), ranking, apps)
    assert line.selected == ("A", "C", "D")
    t = table.set_index("application_id")
    assert "the budget \"requested grants within 1,000 DKK\" would be exceeded by 350 DKK" in t.at["B", "reason"]
    assert t.at["B", "would_leave"] == "A"  # A and B together exceed the budget
    value_sum, _ = select_stage(Stage.model_validate(base), ranking, apps)
    assert set(value_sum.selected) == {"B", "C", "D", "E"}


def test_funding_line_keeps_floors():
    """A floor (at least one rural) makes the line reach down for the best rural application."""
    apps = {a: Application(id=a, title=a, lead_organisation=a, grant_requested={1: 100}, rural=r)
            for a, r in {"A": False, "B": False, "C": False, "D": True}.items()}
    st = declare(Stage.model_validate({"number": 1, "name": "s", "catalogue": "c.toml", "max_selected": 2,
                                       "objective": "funding_line", "constraints": [
                                           Constraint(kind="at_least", group="rural", value="true", count=1)]}))
    outcome, _ = select_stage(st, _ranking(list(apps)), apps)
    assert outcome.selected == ("A", "D")
    st2 = Stage.model_validate({**st.model_dump(), "max_selected": 1, "budget": 50})
    with pytest.raises(InfeasibleError):
        select_stage(st2, _ranking(list(apps)), apps)
