"""Issue 13: a fixed number of decimals per kind of quantity in the report's tables (a panel score
column showed 3,875 beside 2,5 and 3,1667; weights 0,2 beside 0,05)."""

from __future__ import annotations

import re

import pandas as pd

from selection.report.content import Table
from selection.report.html import _table
from selection.words import DECIMALS


def _cells(html: str) -> list[str]:
    return re.findall(r'<td class="num">([^<]*)</td>', html)


def test_a_column_of_one_kind_keeps_its_decimals_in_both_languages():
    frame = pd.DataFrame({"Ansøgning": ["A", "B", "C"], "Udsyn": [3.875, 2.5, 3.1666667], "Vægt": [0.2, 0.05, 1]})
    t = Table("Panelscorer", frame, None, digits={"Udsyn": DECIMALS["score"], "Vægt": DECIMALS["weight"]})
    assert _cells(_table(t, "da")) == ["3,88", "0,200", "2,50", "0,050", "3,17", "1,000"]
    assert _cells(_table(t, "en")) == ["3.88", "0.200", "2.50", "0.050", "3.17", "1.000"]


def test_columns_without_a_kind_are_written_plainly_as_before():
    t = Table("t", pd.DataFrame({"x": [2.5, 2660000.0], "n": [3, 12000]}), None)
    assert _cells(_table(t, "da")) == ["2,5", "3", "2.660.000", "12.000"]
