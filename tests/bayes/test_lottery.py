"""The gray zone and the partial lottery on small stages, checked by brute force."""

from __future__ import annotations

import hashlib
import itertools

import pandas as pd
import pytest

from selection.bayes.lottery import (
    EXACT_MAX,
    _Program,
    draw_lottery,
    lottery_seed,
    public_seed,
    zones,
)
from selection.model import Application, Constraint, Stage

APPS = {f"A{i}": Application(id=f"A{i}", title="t", lead_organisation=f"L{i % 3}", industries=frozenset({"music"}),
                             municipality="Aarhus", grant_requested={1: 100_000 * (1 + i % 2)}) for i in range(10)}
POSTERIOR = pd.DataFrame({"application_id": list(APPS),
                          "expected_rank": [1.2, 2.1, 3.5, 4.5, 5.0, 5.5, 6.0, 8.5, 9.1, 9.8],
                          "er_q05": [1, 1, 2, 2, 3, 3, 4, 7, 8, 9], "er_q95": [2, 3, 6, 7, 8, 8, 9, 10, 10, 10]})


def _stage(**lottery) -> Stage:
    return Stage(number=1, name="s", catalogue="c.toml", max_selected=4, budget=600_000,
                 constraints=[Constraint(kind="at_most", group="lead_organisation", count=2)],
                 panel_model="bayes", lottery=lottery or {"seed": 5})


def test_public_seed_is_the_sha256_of_the_value():
    # FIPS 180-2, appendix B.1: SHA-256("abc")
    assert public_seed("abc") == int("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad", 16)
    st = _stage(public_seed="Lotto 24-11-2012: 3 7 12")
    assert lottery_seed(st, 0)[0] == int(hashlib.sha256(b"Lotto 24-11-2012: 3 7 12").hexdigest(), 16)
    assert lottery_seed(_stage(seed=17), 0)[0] == 17


def test_lottery_needs_the_bayesian_model_and_one_seed():
    with pytest.raises(ValueError, match="panel_model"):
        Stage(number=1, name="s", catalogue="c.toml", max_selected=2, lottery={"seed": 1})
    with pytest.raises(ValueError, match="not both"):
        _stage(seed=1, public_seed="x")


def test_zones_funding_line_and_draw_keep_every_rule():
    d = draw_lottery(_stage(), APPS, POSTERIOR, {}, {}, call_seed=0, solver="highs")
    assert d.provisional == ("A0", "A1", "A2", "A3") and d.funding_line == 4.5
    assert [d.zones[a] for a in APPS] == ["above"] * 2 + ["gray"] * 5 + ["below"] * 3
    assert {"A0", "A1"} <= set(d.selected) and not {"A7", "A8", "A9"} & set(d.selected)
    chosen = [APPS[a] for a in d.selected]
    assert len(chosen) <= 4 and sum(a.grant_requested[1] for a in chosen) <= 600_000
    assert max(sum(a.lead_organisation == lead for a in chosen) for lead in ("L0", "L1", "L2")) <= 2
    assert sorted(d.order) == sorted(d.gray_sorted)
    again = draw_lottery(_stage(), APPS, POSTERIOR, {}, {}, call_seed=0, solver="cbc")
    assert again.order == d.order and again.selected == d.selected  # seeded, solver-independent


def test_chances_equal_brute_force_over_every_order():
    """Every order of the gray zone solved by the engine's own solve_stage (CBC): the chances
    the lottery records (fast path) are exactly the shares of orders selecting each application."""
    d = draw_lottery(_stage(), APPS, POSTERIOR, {}, {}, call_seed=0, solver="highs")
    assert d.probability_method.startswith("exact")
    prog = _Program(_stage(), APPS, POSTERIOR, d.zones, {}, {})
    counts = dict.fromkeys(APPS, 0)
    orders = list(itertools.permutations(d.gray_sorted))
    for o in orders:
        for a in prog.solve(o, "cbc"):
            counts[a] += 1
    assert {a: c / len(orders) for a, c in counts.items()} == pytest.approx(dict(d.probability))
    assert sum(d.probability.values()) == pytest.approx(4.0)  # four places, always filled


def test_monte_carlo_chances_when_the_gray_zone_is_large():
    """Eight indistinguishable applications for three places, nothing else binding: each has
    chance 3/8; the Monte Carlo estimate (2000 sub-seeded draws) is within 4 standard errors."""
    apps = {f"B{i}": Application(id=f"B{i}", title="t", lead_organisation=f"L{i}", industries=frozenset({"music"}),
                                 municipality="Aarhus", grant_requested={1: 1}) for i in range(9)}
    post = pd.DataFrame({"application_id": list(apps), "expected_rank": [1.0] + [5.0] * 8,
                         "er_q05": [1] + [2] * 8, "er_q95": [1] + [9] * 8})
    st = Stage(number=1, name="s", catalogue="c.toml", max_selected=4, panel_model="bayes", lottery={"seed": 3})
    d = draw_lottery(st, apps, post, {}, {}, call_seed=0, solver="highs")
    assert len(d.gray_sorted) == 8 > EXACT_MAX and d.probability_method.startswith("Monte Carlo")
    assert d.probability["B0"] == 1.0
    se = (3 / 8 * 5 / 8 / 2000) ** 0.5
    for a in d.gray_sorted:
        assert abs(d.probability[a] - 3 / 8) < 4 * se


def test_excluded_applications_are_never_drawn():
    z = zones(POSTERIOR, {"A3": "below threshold"}, ("A0", "A1", "A2"), 3.5)
    assert z["A3"] == "excluded" and z["A2"] == "gray"
    d = draw_lottery(_stage(), APPS, POSTERIOR, {"A3": "below threshold"}, {"A3": "under tærsklen"},
                     call_seed=0, solver="highs")
    assert "A3" not in d.selected and d.probability["A3"] == 0.0


def test_no_lottery_in_the_linked_mode():
    from selection.model import Call

    stages = [{"number": 1, "name": "s", "catalogue": "c.toml", "max_selected": 2, "panel_model": "bayes",
               "lottery": {"seed": 1}}]
    Call.model_validate({"schema_version": 1, "id": "t", "name": "t", "stages": stages})
    with pytest.raises(ValueError, match="linked"):
        Call.model_validate({"schema_version": 1, "id": "t", "name": "t", "stages": stages,
                             "selection_mode": "linked"})


def test_a_scenario_switches_the_model_and_the_lottery_on():
    from selection.model import Call, CriteriaCatalogue, Scenario
    from selection.overrides import apply_scenario

    call = Call.model_validate({"schema_version": 1, "id": "t", "name": "t", "stages": [
        {"number": 1, "name": "s", "catalogue": "c.toml", "max_selected": 2}]})
    cat = CriteriaCatalogue.model_validate({"schema_version": 1, "id": "c", "name": "c", "stage": 1, "criteria": [
        {"id": "a", "name_da": "A", "name_en": "A", "description": "a", "group": "g", "weight": 1,
         "guide": {"low": "l", "middle": "m", "high": "h"}}]})
    scen = Scenario.model_validate({"schema_version": 1, "name": "lot", "stages": {
        1: {"panel_model": "bayes", "lottery": {"public_seed": "x"}}}})
    new, _ = apply_scenario(call, {1: cat}, scen)
    st = new.stage(1)
    assert st.panel_model == "bayes" and st.lottery is not None and st.lottery.public_seed == "x"
    assert call.stage(1).panel_model == "aggregate"  # the call itself is untouched
