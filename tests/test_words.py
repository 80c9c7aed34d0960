"""The glossary: every reason code renders in English and Danish from its facts alone."""

from __future__ import annotations

import re

import pytest

from selection.decisions import CODES, Decision, text
from selection.words import fmt, render

RULE = {"rule": "constraint[2]:industry=film", "kind": "group", "sense": "<=", "allowed": 3.0, "used": 3.0,
        "new": 4.0, "unit": "applications", "label": text("industry Film & Video", "branchen Film & Video"),
        "description": text("at most 3 selected in industry Film & Video", "højst 3 udvalgt i branchen Film & Video")}
BUDGET = {"rule": "budget", "kind": "budget", "sense": "<=", "allowed": 2_000_000.0, "used": 1_900_000.0,
          "new": 2_150_000.0, "unit": "DKK", "label": text(""),
          "description": text("requested grants within 2,000,000 DKK", "ansøgte tilskud inden for 2.000.000 kr.")}
FLOOR = {"rule": "constraint[1]:rural=true", "kind": "group", "sense": ">=", "allowed": 1.0, "used": 1.0, "new": 0.0,
         "unit": "applications", "label": text("rural", "landdistrikt"),
         "description": text("at least 1 rural/peripheral selected", "mindst 1 udvalgt i landdistrikt/yderområde"),
         "because": text("§1.1 rural areas", "§1.1 landdistrikter")}
FORCED = {"rule": "forced:KP-17", "kind": "forced", "sense": ">=", "allowed": 1.0, "used": 1.0, "new": 0.0,
          "unit": "applications", "member": "KP-17", "label": text(""), "description": text("KP-17 forced in"),
          "because": text("board decision", "bestyrelsens beslutning")}
COUNT = {"rule": "max_selected", "kind": "count", "sense": "<=", "allowed": 8.0, "used": 8.0, "new": 9.0,
         "unit": "applications", "label": text(""), "description": text("at most 8 selected", "højst 8 udvalgt")}

GRAY = {"zone": "gray", "n_gray": 4, "expected_rank": 7.25, "q05": 4, "q95": 11, "funding_line": 8.5,
        "chance": 0.5, "drawn": True}
BELOW = {"zone": "below", "n_gray": 4, "expected_rank": 15.5, "q05": 12, "q95": 19, "funding_line": 8.5,
         "drawn": False}

EXAMPLES = {
    "selected": [{"forced": None}, {"forced": text("board decision", "bestyrelsens beslutning")},
                 {"forced": None, "lottery": GRAY}],
    "lottery": [{**GRAY, "drawn": False}, BELOW],
    "not_in_earlier_stage": [{"stage": 1}],
    "below_threshold": [{"failed": text("Value added 1.00 < 2", "Værditilvækst 1,00 < 2")}],
    "regional_share_over_cap": [{"share": 0.4, "cap": 0.33}],
    "not_eligible": [{"why": text("Cultural partners 0, at least 1 required",
                                  "Kulturelle partnere 0, mindst 1 kræves")}],
    "forced_out": [{"because": text("withdrawn", "trukket tilbage")}],
    "excluded": [{"text": text("below the gray zone", "under gråzonen")}],
    "outranked": [{"broken": [COUNT, BUDGET, RULE]}, {"broken": [BUDGET]}],
    "no_gain": [{"value": 0.0}],
    "ranking_deviation": [
        {"swaps": [{"instead_of": ["KP-21"], "more": 0, "broken": [FLOOR, RULE]},
                   {"instead_of": ["KP-33", "KP-30", "KP-29"], "more": 2, "broken": [FORCED]},
                   {"instead_of": ["KP-40"], "more": 0, "value_drop": 0.0708333}],
         "more_kinds": 1, "linked": False, "cost_goal": "value", "cost": 0.141666, "would_leave": ["KP-10", "KP-33"]},
        {"swaps": [{"instead_of": ["KP-02"], "more": 0, "value_drop": -0.5, "stage2_drop": 1.25},
                   {"instead_of": ["KP-03"], "more": 0, "value_drop": 0.25, "stage2_drop": 0.0},
                   {"instead_of": ["KP-04"], "more": 0, "value_drop": 0.25, "stage2_drop": "inf"}],
         "more_kinds": 0, "linked": True, "cost_goal": "stage2_value", "impossible": True},
    ],
}


def test_every_code_has_an_example():
    assert set(EXAMPLES) == set(CODES)


@pytest.mark.parametrize("code", sorted(CODES))
def test_every_code_renders_in_both_languages(code):
    for facts in EXAMPLES[code]:
        d = Decision.from_json(code, Decision(code, facts).to_json())  # through the run file's JSON
        en, da = render(d, "en"), render(d, "da")
        assert en and da and en != da or code in ("excluded",) and en and da
        # Danish numbers have decimal commas, English decimal points; no English words in Danish
        # (values have 4 decimals, shares 1; money is whole with thousands separators)
        assert all(sep == "," for sep in re.findall(r"\d([.,])\d{4}\b", da)), da
        assert all(sep == "." for sep in re.findall(r"\d([.,])\d{4}\b", en)), en
        assert all(sep == "." for sep in re.findall(r"\d([.,])000 kr\.", da)) and "DKK" not in da, da
        assert all(sep == "," for sep in re.findall(r"\d([.,])000 DKK", en)), en
        assert not re.search(r"\b(selected|outranked|would|instead|forcing|budget|threshold)\b", da), da


def test_known_sentences():
    dev = Decision("ranking_deviation", EXAMPLES["ranking_deviation"][0])
    assert render(dev, "en") == (
        "ranking deviation: instead of KP-21: without KP-21, \"at least 1 rural/peripheral selected\" would fail "
        "(§1.1 rural areas); excluded by the cap on industry Film & Video (at most 3; 3 already selected); "
        "instead of KP-33 or KP-30 or KP-29 (and 2 more): KP-17 is forced in (board decision); instead of KP-40: "
        "it keeps every rule but lowers the total value by 0.0708; (1 more kind of swap); forcing it in costs "
        "0.1417 in total value (KP-10, KP-33 would leave)")
    da = render(dev, "da")  # no calque ("at tvinge den ind", "tvunget ind"): plain Danish (issue 17)
    assert da.endswith("at tage den med koster 0,1417 i samlet værdi (KP-10, KP-33 ville udgå)")
    assert "KP-17 er udvalgt ved beslutning (bestyrelsens beslutning)" in da and "tvinge" not in da
    assert "(1 anden slags bytte)" in da and "(1 more kind of swap)" in render(dev, "en")  # one, not "1 andre"
    out = Decision("outranked", EXAMPLES["outranked"][1])
    assert render(out, "en") == ("outranked within the budget: \"requested grants within 2,000,000 DKK\" would be "
                                 "exceeded by 150,000 DKK")
    assert render(out, "da") == ("overgået inden for budgettet: \"ansøgte tilskud inden for 2.000.000 kr.\" ville "
                                 "blive overskredet med 150.000 kr.")


def test_number_style_per_language_and_kind():
    assert fmt(1234.5, "money", "en", unit="EUR") == "1,234 EUR" or fmt(1234.5, "money", "en", unit="EUR") == "1,235 EUR"
    assert fmt(2_500_000, "money", "da", unit="DKK") == "2.500.000 kr."
    assert fmt(0.4, "share", "da") == "40,0 %" and fmt(0.4, "share", "en") == "40.0%"
    assert fmt(3.14159, "score", "da") == "3,14" and fmt(0.3333, "weight", "en") == "0.333"
    assert fmt(3.0, "count", "da") == "3" and fmt(2.5, "count", "en") == "2.50"
    with pytest.raises(ValueError, match="unknown language"):
        fmt(1.0, "value", "de")


def test_unknown_code_is_refused():
    with pytest.raises(ValueError, match="unknown reason code"):
        Decision("because", {})


def test_lottery_decisions_rendered_from_their_facts():
    """A partial lottery's decision is a record (zone, ranks, chance) worded here, in both languages
    and each language's number style (issue 16: it was prose with "7.2" in the Danish reason)."""
    drawn = Decision("selected", {"forced": None, "lottery": GRAY})
    assert render(drawn, "en") == ("selected: decided by lot among the 4 applications of the gray zone (expected rank "
                                   "7.2, 90 % interval 4–11, crosses the funding line at 8.5); chance of selection "
                                   "50.0%")
    assert render(drawn, "da") == ("udvalgt: afgjort ved lodtrækning blandt gråzonens 4 ansøgninger (forventet "
                                   "placering 7,2, 90 %-interval 4–11, krydser finansieringsgrænsen ved 8,5); chance "
                                   "for udvælgelse 50,0 %")
    out = Decision("lottery", {**GRAY, "drawn": False})
    assert render(out, "en").startswith("not selected: decided by lot") and render(out, "da").startswith(
        "ikke udvalgt: afgjort ved lodtrækning")
    assert render(Decision("lottery", BELOW), "da") == ("under gråzonen: 90 %-intervallet for dens forventede placering "
                                                        "(12–19) ligger under finansieringsgrænsen ved 8,5")
    # run folders from before the record kept the words themselves
    old = Decision("selected", {"forced": None, "lottery": text("selected: decided by lot", "udvalgt: ved lod")})
    assert render(old, "da") == "udvalgt: ved lod"
