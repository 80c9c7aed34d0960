"""Large tables: summarised in the HTML, complete in the (streamed) workbook."""

from __future__ import annotations

import io
from datetime import UTC, datetime

import numpy as np
import pandas as pd
from openpyxl import load_workbook

import selection.report.xlsx as xlsx_module
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


def _mixed(n: int) -> pd.DataFrame:
    """Every kind of cell a run table holds: ids, text needing escapes or neutralising, Danish
    letters, control characters, blanks, NaN, infinities, integers, booleans and floats."""
    rng = np.random.default_rng(2)
    text = ["a & b < c > d", "=cmd|' /C calc'!A0", " leading and trailing ", "æøå ÆØÅ", "tab\there",
            "bell\x07", "", None, "+1", "-2", "@x"]
    return pd.DataFrame({
        "application_id": [f"A{i:05d}" for i in range(n)],
        "text": [text[i % len(text)] for i in range(n)],
        "share": rng.random(n) * [1.0 if i % 7 else np.nan for i in range(n)],
        "edge": [[np.inf, -np.inf, 1e-300, -0.0, 1 / 3, 2.0][i % 6] for i in range(n)],
        "count": np.arange(n, dtype=np.int64) - 5,
        "flag": [bool(i % 2) for i in range(n)],
        "mixed": [[1, 2.5, "x", None, True, np.nan][i % 6] for i in range(n)],
    })


def _cells(data: bytes) -> dict[str, list[tuple]]:
    wb = load_workbook(io.BytesIO(data))  # the full reader: types and values as Excel would see them
    return {ws.title: [tuple((c.value, c.data_type) for c in row) for row in ws.iter_rows()]
            for ws in wb.worksheets}


def test_streamed_rows_equal_openpyxl_cells(monkeypatch):
    """The fast writer of large tables writes exactly what openpyxl's own cells give: the same
    bytes, hence the same cells (value and type) on every sheet, with the large table between two
    small ones."""
    small = pd.DataFrame({"x": [1, 2]})
    sections = [Section("s", "S", [Table("one", small, sheet="one"), Table("big", _mixed(997), sheet="big"),
                                   Table("two", small.assign(y=["a", "b"]), sheet="two")])]
    created = datetime(2026, 1, 2, tzinfo=UTC)
    slow = render_xlsx(sections, [("Seed", "1")], created=created, fast_cells=10**9)
    filled: list[list[str]] = []
    real = xlsx_module._stream_rows
    monkeypatch.setattr(xlsx_module, "_stream_rows", lambda data, fills: filled.append(sorted(fills)) or real(data, fills))
    fast = render_xlsx(sections, [("Seed", "1")], created=created, fast_cells=10)
    assert filled == [["xl/worksheets/sheet3.xml"]]  # the big table only (sheet 1 is the overview)
    assert _cells(fast) == _cells(slow)
    assert fast == slow
    monkeypatch.setattr(xlsx_module, "BLOCK_CELLS", 50)  # many blocks of rows (7 rows of 7 columns each)
    assert render_xlsx(sections, [("Seed", "1")], created=created, fast_cells=10) == slow
