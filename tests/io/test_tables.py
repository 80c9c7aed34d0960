"""applications.csv / experts.csv: every problem reported at once with row and column."""

from __future__ import annotations

import pytest

from selection.errors import ApplicationError
from selection.io.tables import application_columns, read_applications, read_experts
from selection.io.toml import load_call

HEADER = "application_id,title,lead_organisation,industries,focus_areas,municipality,rural,grant_stage1,total_budget_per_year,regional_cofinancing_per_year\n"


def _attributes(example_dir):
    return load_call(example_dir / "call.toml")[0].attributes  # the call's declared vocabulary


def test_example_applications(example_dir):
    apps = read_applications(example_dir / "applications.csv", _attributes(example_dir))
    assert len(apps) >= 36
    assert {i for a in apps for i in a.industries} == {
        "music", "architecture", "design", "radio_tv", "books_press", "advertising", "film_video",
        "art_crafts", "furniture_interior", "content_games", "fashion"}
    assert {f for a in apps for f in a.focus_areas} == {"tourism", "food", "energy", "welfare_innovation", "it"}
    assert any(a.rural for a in apps) and any(a.municipality == "Aarhus" for a in apps)
    assert all(a.grant_requested[1] == 250_000 for a in apps)


def test_bad_applications_all_reported(tmp_path, example_dir):
    f = tmp_path / "applications.csv"
    f.write_text(HEADER
                 + "A1,T,L,poetry,,Aarhus,false,250000,100,10\n"
                 + "A2,T,L,music,space,Aarhus,perhaps,lots,100,10\n"
                 + "A1,T,L,music,,Aarhus,false,250000,100,500\n", encoding="utf-8")
    with pytest.raises(ApplicationError) as exc:
        read_applications(f, _attributes(example_dir))
    text = str(exc.value)
    assert "row 2, column industries: unknown industry 'poetry'" in text
    assert "row 3, column rural: Rural/peripheral must be true or false, not 'perhaps'" in text
    assert "row 3, column grant_stage1: 'lots' is not a whole amount of money" in text
    assert "row 3, column focus_areas: unknown focus area 'space'" in text
    assert "row 4, column application_id: application id 'A1' also on row 2" in text
    assert "row 4: co-financing (500 per year) exceeds the total budget" in text


def test_declared_attribute_columns(tmp_path):
    """Any call declares its own attributes: a country (one of a list), a gender flag, a count."""
    from selection.vocabulary import Attribute
    attrs = [Attribute(id="country", label_da="Land", label_en="Country", type="one", required=True,
                       values=[{"id": "DK", "label_da": "Danmark", "label_en": "Denmark"}]),
             Attribute(id="female_pi", label_da="Kvindelig projektleder", label_en="Female PI", type="yes_no"),
             Attribute(id="partners", label_da="Partnere", label_en="Partners", type="number")]
    f = tmp_path / "applications.csv"
    f.write_text("application_id,title,lead_organisation,country,female_pi,partners,notes\n"
                 "P1,T,L,DK,yes,3,x\nP2,T,M,SE,,2.5,y\n", encoding="utf-8")
    with pytest.raises(ApplicationError) as exc:
        read_applications(f, attrs)
    assert "row 3, column country: unknown country 'SE'" in str(exc.value)
    f.write_text("application_id,title,lead_organisation,country,female_pi,partners\nP1,T,L,DK,yes,3\n"
                 "P2,T,M,DK,,2.5\n", encoding="utf-8")
    p1, p2 = read_applications(f, attrs)
    assert p1.attributes == {"country": "DK", "female_pi": True, "partners": 3}
    assert p2.attributes == {"country": "DK", "female_pi": False, "partners": 2.5}
    assert application_columns(attrs, ["notes", "grant_stage2"]) == [
        "application_id", "title", "lead_organisation", "grant_stage1", "total_budget_per_year",
        "regional_cofinancing_per_year", "grant_stage2", "country", "female_pi", "partners"]


def test_missing_columns(tmp_path):
    f = tmp_path / "applications.csv"
    f.write_text("application_id,title\nA,B\n", encoding="utf-8")
    with pytest.raises(ApplicationError, match="row 1: missing column"):
        read_applications(f)


def test_expert_conflict_with_unknown_application(tmp_path):
    f = tmp_path / "experts.csv"
    f.write_text("expert_id,name,affiliation,conflicts\nE1,Åse,,A9\n", encoding="utf-8")
    with pytest.raises(ApplicationError, match="row 2, column conflicts: conflict names unknown application 'A9'"):
        read_experts(f, {"A1"})
