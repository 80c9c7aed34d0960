"""The workbench's panel page states what each agreement value rests on and each expert's
leniency interval (issue 13; the row logic: tests/aggregate/test_agreement_basis.py)."""

from __future__ import annotations


def test_workbench_panel_page_states_basis_and_leniency_interval(client):
    page = client.get("/panel").text
    assert "Based on" in page and "applications," in page and "experts</td>" in page
    assert "95 % interval" in page and "A value resting on fewer than 5 applications or 2 experts" in page
