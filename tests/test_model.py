"""The domain model rejects bad catalogues and calls, naming every problem with file and key."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from pydantic import ValidationError

from selection.errors import CallError, CatalogueError
from selection.io.toml import load_call, load_catalogue
from selection.model import Application, Call, Constraint, CriteriaCatalogue, Scale

GOOD_CRITERION = """
[[criteria]]
id = "{id}"
name_da = "Kriterie"
name_en = "Criterion"
group = "g"
description = "d"
weight = {weight}
{extra}
guide = {{ low = "l", middle = "m", high = "h" }}
"""


def write_catalogue(path: Path, criteria: list[dict], header: str = "") -> Path:
    body = 'schema_version = 1\nid = "c"\nname = "C"\nstage = 1\n' + header
    for c in criteria:
        body += GOOD_CRITERION.format(id=c.get("id", "a"), weight=c.get("weight", 1), extra=c.get("extra", ""))
    path.write_text(body, encoding="utf-8")
    return path


def test_bundled_catalogues_load(tmp_path):
    root = Path(__file__).resolve().parents[1] / "criteria"
    names = sorted(p.name for p in root.glob("*.toml"))
    assert names == ["horizon-europe-ia.toml", "horizon-europe-ria.toml",
                     "kreative-partnerskaber-stage1.toml", "kreative-partnerskaber-stage2.toml",
                     "research-council.toml"]
    for p in root.glob("*.toml"):
        cat = load_catalogue(p)
        assert abs(sum(cat.weights().values()) - 1) < 1e-12
        for c in cat.criteria:
            assert c.guide.low and c.guide.middle and c.guide.high


def test_horizon_europe_ia_weights_impact_for_ranking_only():
    root = Path(__file__).resolve().parents[1] / "criteria"
    ia = load_catalogue(root / "horizon-europe-ia.toml")
    w = ia.weights()
    assert w["impact"] == pytest.approx(1.5 * w["excellence"])
    assert ia.overall_threshold == 10 and ia.overall_threshold_basis == "sum"
    assert all(c.threshold == 3 and c.scale.step == 0.5 for c in ia.criteria)


def test_catalogue_reports_every_problem_with_key(tmp_path):
    f = write_catalogue(tmp_path / "bad.toml", [
        {"id": "a", "weight": -1},
        {"id": "b", "weight": 1, "extra": "threshold = 7"},
        {"id": "b", "weight": 1},
    ])
    with pytest.raises(CatalogueError) as exc:
        load_catalogue(f)
    text = str(exc.value)
    assert "bad.toml, criteria[0] (id 'a').weight: Input should be greater than or equal to 0" in text
    assert "criteria[1] (id 'b')" in text and "threshold 7 is outside the scale 0–5" in text
    assert len(exc.value.problems) == 2  # the duplicate is reported once the criteria themselves are valid


def test_duplicate_criterion_ids(tmp_path):
    f = write_catalogue(tmp_path / "dup.toml", [{"id": "b"}, {"id": "b"}])
    with pytest.raises(CatalogueError, match="duplicate criterion ids: b"):
        load_catalogue(f)


def test_unknown_key_and_syntax_error(tmp_path):
    f = write_catalogue(tmp_path / "x.toml", [{"id": "a"}], header="colour = 'blue'\n")
    with pytest.raises(CatalogueError, match=r"x.toml, colour: unknown key"):
        load_catalogue(f)
    g = tmp_path / "y.toml"
    g.write_text("schema_version = = 1", encoding="utf-8")
    with pytest.raises(CatalogueError, match=r"y.toml: not valid TOML"):
        load_catalogue(g)


def test_all_zero_weights_rejected():
    with pytest.raises(ValidationError, match="all weights are zero"):
        CriteriaCatalogue.model_validate({
            "schema_version": 1, "id": "z", "name": "Z", "stage": 1,
            "criteria": [{"id": "a", "name_da": "A", "name_en": "A", "description": "d", "group": "g",
                          "weight": 0, "guide": {"low": "l", "middle": "m", "high": "h"}}]})


def test_hierarchical_weights():
    g = {"low": "l", "middle": "m", "high": "h"}
    cat = CriteriaCatalogue.model_validate({
        "schema_version": 1, "id": "h", "name": "H", "stage": 1, "group_weights": {"p": 3, "q": 1},
        "criteria": [{"id": "a", "name_da": "A", "name_en": "A", "description": "d", "group": "p", "weight": 1, "guide": g},
                     {"id": "b", "name_da": "B", "name_en": "B", "description": "d", "group": "p", "weight": 1, "guide": g},
                     {"id": "c", "name_da": "C", "name_en": "C", "description": "d", "group": "q", "weight": 5, "guide": g}]})
    assert cat.weights() == pytest.approx({"a": 0.375, "b": 0.375, "c": 0.25})


def test_scale_grid():
    s = Scale(min=0, max=5, step=0.5)
    assert s.values()[:3] == [0.0, 0.5, 1.0] and len(s.values()) == 11
    assert s.contains(3.5) and not s.contains(3.25) and not s.contains(5.5)
    with pytest.raises(ValidationError, match="does not divide"):
        Scale(min=0, max=5, step=2)


def test_application_keeps_declared_attributes_and_legacy_keywords():
    a = Application(id="A", title="t", lead_organisation="l", industries=frozenset({"poetry"}),
                    focus_areas=frozenset({"space"}), municipality="Aarhus", rural=True)
    assert a.attributes == {"industry": frozenset({"poetry"}), "focus_area": frozenset({"space"}),
                            "municipality": "Aarhus", "rural": True}
    assert a.group_values("industry") == {"poetry"} and a.group_values("rural") == {"true"}
    assert a.group_values("country") == frozenset()


def test_application_cofinancing_cannot_exceed_budget():
    with pytest.raises(ValidationError, match="exceeds the total budget"):
        Application(id="A", title="t", lead_organisation="l", industries=frozenset({"music"}),
                    municipality="Aarhus", total_budget_per_year=100, regional_cofinancing_per_year=200)


def _call(attributes, constraints):
    return {"schema_version": 1, "id": "c", "name": "c", "attributes": attributes,
            "stages": [{"number": 1, "name": "s", "catalogue": "c.toml", "max_selected": 2,
                        "constraints": constraints}]}


FOCUS = {"id": "focus_area", "label_da": "Fokusområde", "label_en": "Focus area", "type": "several",
         "values": [{"id": "food", "label_da": "Fødevarer", "label_en": "Food"}]}


def test_constraint_groups_and_values_checked_against_the_declared_vocabulary():
    with pytest.raises(ValidationError) as exc:
        Call.model_validate(_call([FOCUS], [{"kind": "at_least", "group": "focus_area", "value": "space", "count": 1},
                                            {"kind": "at_least", "group": "rural", "value": "true", "count": 1}]))
    text = str(exc.value)
    assert "Focus area (focus_area) has no value 'space'; use one of food" in text
    assert "group 'rural' is not a declared attribute; use one of focus_area, lead_organisation, any" in text
    call = Call.model_validate(_call([FOCUS], [{"kind": "at_least", "group": "focus_area", "value": "food", "count": 1}]))
    c = call.stage(1).constraints[0]
    assert c.declared is not None and c.describe() == "at least 1 selected in focus area Food"
    assert Constraint(kind="at_most", group="lead_organisation", count=1).describe() == \
        "at most 1 selected per lead organisation"


def test_currency_reaches_every_stage():
    call = Call.model_validate({**_call([], []), "currency": "EUR"})
    assert call.stage(1).currency.code == "EUR"
    assert call.stage(1).currency.format(7_500_000) == "7,500,000 EUR"


def test_models_are_frozen():
    s = Scale()
    with pytest.raises(ValidationError):
        s.max = 10  # type: ignore[misc]


CALL = """
schema_version = 1
id = "t"
name = "T"
[[stages]]
number = 1
name = "one"
catalogue = "{cat}"
max_selected = 2
"""


def test_call_with_missing_catalogue_and_wrong_stage(tmp_path):
    (tmp_path / "call.toml").write_text(CALL.format(cat="nope.toml"), encoding="utf-8")
    with pytest.raises(CallError, match=r"call.toml, stages\[0\].catalogue: stage 1 names catalogue 'nope.toml', which does not exist"):
        load_call(tmp_path / "call.toml")
    write_catalogue(tmp_path / "c2.toml", [{"id": "a"}])
    text = (tmp_path / "c2.toml").read_text().replace("stage = 1", "stage = 2")
    (tmp_path / "c2.toml").write_text(text)
    (tmp_path / "call.toml").write_text(CALL.format(cat="c2.toml"), encoding="utf-8")
    with pytest.raises(CallError, match="serves stage 2, but stage 1 uses it"):
        load_call(tmp_path / "call.toml")


def test_call_stage_without_catalogue_key(tmp_path):
    (tmp_path / "call.toml").write_text(textwrap.dedent(CALL.format(cat="x")).replace('catalogue = "x"\n', ""), encoding="utf-8")
    with pytest.raises(CallError, match=r"stages\[0\] \(stage 1\)\.catalogue: required key is missing"):
        load_call(tmp_path / "call.toml")


def test_stage_keys_name_the_stage_number(tmp_path):
    text = CALL.format(cat="c.toml").replace("max_selected = 2", "max_selected = 0")
    (tmp_path / "call.toml").write_text(text, encoding="utf-8")
    with pytest.raises(CallError, match=r"stages\[0\] \(stage 1\)\.max_selected: Input should be greater than or equal to 1"):
        load_call(tmp_path / "call.toml")


def test_constraint_words_in_danish():
    from selection.model import Constraint

    assert Constraint(kind="at_most", group="lead_organisation", count=1).describe("da") == \
        "højst 1 udvalgt pr. hovedansøger"
    assert Constraint(kind="at_least", group="any", count=2).describe("da") == "mindst 2 udvalgt"
