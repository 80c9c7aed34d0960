"""Large tables: summarised in the HTML, complete in the (streamed) workbook."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from openpyxl import load_workbook

from selection.report.content import Section, Table
from selection.report.html import render_html
from selection.report.xlsx import render_xlsx


def _big() -> Section:
    rng = np.random.default_rng(1)
    frame = pd.DataFrame(rng.random((500, 50)), columns=[f"rank_acceptability_{r}" for r in range(1, 51)])
    frame.insert(0, "application_id", [f"A{i:04d}" for i in range(500)])
    return Section("acc", "Rank acceptability", [Table("Rank acceptability", frame, sheet="Rank acceptability")])


def test_html_shows_a_part_and_says_where_the_rest_is():
    html = render_html([_big()], [("Seed", "1")], [], title="t", lang="en")
    assert "Showing the first 200 of 500 rows and 40 of 51 columns" in html
    assert "Rank acceptability" in html and "A0199" in html and "A0200" not in html
    da = render_html([_big()], [("Seed", "1")], [], title="t", lang="da")
    assert "Viser de første 200 af 500 rækker og 40 af 51 kolonner" in da and "projektmappen" in da


def test_workbook_holds_the_complete_table():
    section = _big()
    data = render_xlsx([section], [("Seed", "1")], created=datetime(2026, 1, 2, tzinfo=UTC))
    wb = load_workbook(io.BytesIO(data), read_only=True)
    ws = wb["Rank acceptability"]
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 501 and len(rows[0]) == 51
    assert rows[0][0] == "application_id" and rows[-1][0] == "A0499"
    assert rows[-1][-1] == section.blocks[0].frame.iloc[-1, -1]
    # the same inputs give the same bytes
    assert data == render_xlsx([_big()], [("Seed", "1")], created=datetime(2026, 1, 2, tzinfo=UTC))
