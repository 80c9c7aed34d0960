"""applications.csv / experts.csv: every problem reported at once with row and column."""

from __future__ import annotations

import pytest

from selection.errors import ApplicationError
from selection.io.tables import read_applications, read_experts

HEADER = "application_id,title,lead_organisation,industries,focus_areas,municipality,rural,grant_stage1,total_budget_per_year,regional_cofinancing_per_year\n"


def test_example_applications(example_dir):
    apps = read_applications(example_dir / "applications.csv")
    assert len(apps) >= 36
    assert {i for a in apps for i in a.industries} == {
        "music", "architecture", "design", "radio_tv", "books_press", "advertising", "film_video",
        "art_crafts", "furniture_interior", "content_games", "fashion"}
    assert {f for a in apps for f in a.focus_areas} == {"tourism", "food", "energy", "welfare_innovation", "it"}
    assert any(a.rural for a in apps) and any(a.municipality == "Aarhus" for a in apps)
    assert all(a.grant_requested[1] == 250_000 for a in apps)


def test_bad_applications_all_reported(tmp_path):
    f = tmp_path / "applications.csv"
    f.write_text(HEADER
                 + "A1,T,L,poetry,,Aarhus,false,250000,100,10\n"
                 + "A2,T,L,music,space,Aarhus,perhaps,lots,100,10\n"
                 + "A1,T,L,music,,Aarhus,false,250000,100,500\n", encoding="utf-8")
    with pytest.raises(ApplicationError) as exc:
        read_applications(f)
    text = str(exc.value)
    assert "row 2, column industries: unknown creative industry poetry" in text
    assert "row 3, column rural: rural must be true or false, not 'perhaps'" in text
    assert "row 3, column grant_stage1: 'lots' is not a whole amount of money" in text
    assert "row 3, column focus_areas: unknown focus area(s) space" in text
    assert "row 4, column application_id: application id 'A1' also on row 2" in text
    assert "row 4: regional co-financing (500 DKK/year) exceeds the total budget" in text


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
