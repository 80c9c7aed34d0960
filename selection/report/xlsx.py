"""The report's tables as a formatted .xlsx workbook: styled header, column widths, frozen
header row, autofilter, and injection-safe text (OWASP CSV-injection rule, as for CSV exports).

The workbook is written in openpyxl's write-only (streaming) mode, so a table of millions of cells
does not hold a cell object per value. The file is reproducible: fixed document dates and zip
entry times.
"""

from __future__ import annotations

import io
import math
import re
from datetime import datetime

import pandas as pd
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from selection.io.export import neutralise, reproducible_xlsx
from selection.report.content import Section, Table
from selection.report.words import column, say, sheet

__all__ = ["render_xlsx", "sheet_title"]

_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")  # not storable in XML 1.0
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
_HEADER_FILL = PatternFill("solid", fgColor="0072B2")
_HEADER_FONT = Font(bold=True, color="FFFFFF")


def _cut(text: str, most: int) -> str:
    """``text`` in at most ``most`` characters, cut between words when it is longer (a single
    word longer than ``most`` is cut)."""
    if len(text) <= most:
        return text
    head = text[: most + 1]
    cut = max(head.rfind(" "), head.rfind("-"))
    return (text[:cut] if cut > 0 else text[:most]).rstrip(" -")


def sheet_title(name: str, taken: set[str]) -> str:
    """A valid, unique sheet title (at most 31 characters, no ``[]:*?/\\``), shortened between
    words, never in the middle of one.

    >>> sheet_title("Beslutningsgrundlag pr. ansøgning og fase i alt", set())
    'Beslutningsgrundlag pr.'
    """
    base = _cut(_BAD_SHEET.sub("-", name).strip("'"), 31) or "Sheet"
    title, k = base, 2
    while title.lower() in taken:
        suffix = f" ({k})"
        title, k = _cut(base, 31 - len(suffix)) + suffix, k + 1
    taken.add(title.lower())
    return title


def _value(v):
    if hasattr(v, "item"):
        v = v.item()
    if v is None or v is pd.NA or (isinstance(v, float) and (math.isnan(v))):
        return None
    if isinstance(v, float) and math.isinf(v):
        return "inf" if v > 0 else "-inf"
    if isinstance(v, str):
        return neutralise(_ILLEGAL.sub("", v))
    return v


#: Rows looked at to size a column (the whole column for smaller tables).
_WIDTH_ROWS = 2000


def _write(ws, frame: pd.DataFrame) -> None:
    """One table on a write-only (streamed) sheet: widths, frozen header and filter are declared
    first, then the styled header and the rows are streamed, so memory stays flat however large
    the table (e.g. rank acceptabilities of thousands of applications)."""
    header = [neutralise(_ILLEGAL.sub("", str(c))) for c in frame.columns]
    sample = frame.iloc[:_WIDTH_ROWS]
    for j, col in enumerate(header, start=1):
        values = [str(col)] + ["" if v is None else str(v) for v in sample.iloc[:, j - 1].map(_value)]
        ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, max(map(len, values)) + 2))
    ws.freeze_panes = "A2"
    if len(frame.columns):
        ws.auto_filter.ref = f"A1:{get_column_letter(len(frame.columns))}{len(frame) + 1}"
    cells = []
    for h in header:
        cell = WriteOnlyCell(ws, value=h)
        cell.font, cell.fill = _HEADER_FONT, _HEADER_FILL
        cell.alignment = Alignment(vertical="top", wrap_text=True)
        cells.append(cell)
    ws.append(cells)
    for row in frame.itertuples(index=False):
        ws.append([_value(v) for v in row])


#: English columns that have a Danish twin in the run files (the twin is shown in the Danish workbook),
#: and the decision records' machine-readable facts (JSON; the reasons render them in words).
_ENGLISH_TWINS = {"reason": "reason_da", "failed_thresholds": "failed_thresholds_da", "description": "description_da"}
_RECORD_ONLY = ("facts",)
#: Words the run files write as codes, in the language of the workbook.
_CODED = {"label": ("lenient", "severe", "in_line"), "change": ("enters", "leaves"),
          "core_label": ("core", "borderline", "exterior")}


def _in(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """A run file's table for the workbook in ``lang`` (not English): the English twin of a Danish
    column and the record-only columns left out, coded words in ``lang``, headers in ``lang``."""
    drop = [c for c, twin in _ENGLISH_TWINS.items() if c in frame.columns and twin in frame.columns]
    out = frame.drop(columns=drop + [c for c in _RECORD_ONLY if c in frame.columns])
    for c, codes in _CODED.items():
        if c in out.columns:
            out[c] = out[c].map(lambda v, codes=codes: say(v, lang).split(" (")[0] if v in codes else v)
    return out.rename(columns=lambda c: column(str(c), lang))


def render_xlsx(sections: list[Section], meta: list[tuple[str, str]], *, created: datetime, lang: str = "en") -> bytes:
    """Every table of the report (one sheet each, first an overview sheet) as .xlsx bytes; sheet
    names and, in Danish, the run files' column headers in ``lang``."""
    wb = Workbook(write_only=True)
    taken: set[str] = set()
    _write(wb.create_sheet(sheet_title(sheet("overview", lang), taken)), pd.DataFrame(meta, columns=["", " "]))
    for s in sections:
        for b in s.blocks:
            if isinstance(b, Table) and b.sheet is not None:
                _write(wb.create_sheet(sheet_title(b.sheet, taken)), b.frame if lang == "en" else _in(b.frame, lang))
    wb.properties.creator = "selection"
    wb.properties.created = wb.properties.modified = created
    wb.properties.lastModifiedBy = "selection"
    raw = io.BytesIO()
    wb.save(raw)
    # Re-pack with fixed entry times and dates so the same inputs give the same bytes.
    return reproducible_xlsx(raw.getvalue(), created.strftime("%Y-%m-%dT%H:%M:%SZ"))
