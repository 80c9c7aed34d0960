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

import numpy as np
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


def _widest(column: pd.Series, header: str) -> int:
    """The longest text of a column's header and its values as the sheet shows them (a float
    column read straight from its array: NaN empty, the same texts as through :func:`_value`)."""
    if isinstance(column.dtype, np.dtype) and column.dtype.kind == "f":
        return max([len(header), *(len(str(x)) for x in column.to_numpy().tolist() if x == x)])
    return max([len(header), *(0 if v is None else len(str(v)) for v in column.map(_value))])


def _write(ws, frame: pd.DataFrame, fast_cells: int | None = None) -> pd.DataFrame | None:
    """One table on a write-only (streamed) sheet: widths, frozen header and filter are declared
    first, then the styled header and the rows are streamed, so memory stays flat however large
    the table (e.g. rank acceptabilities of thousands of applications).

    A table of more than ``fast_cells`` cells (default :data:`FAST_CELLS`) gets only its header
    here and is returned: its rows are written by :func:`_stream_rows` after the workbook is saved."""
    fast_cells = FAST_CELLS if fast_cells is None else fast_cells
    header = [neutralise(_ILLEGAL.sub("", str(c))) for c in frame.columns]
    sample = frame.iloc[:_WIDTH_ROWS]
    for j, col in enumerate(header, start=1):
        ws.column_dimensions[get_column_letter(j)].width = min(60, max(8, _widest(sample.iloc[:, j - 1], str(col)) + 2))
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
    if frame.size > fast_cells:
        return frame  # the rows are streamed into the sheet's XML after saving (_stream_rows)
    for row in frame.itertuples(index=False):
        ws.append([_value(v) for v in row])
    return None


#: Tables of more cells than this have their rows written by :func:`_stream_rows` (several times
#: faster than a cell object per value, the same bytes: a 3,000 x 1,745 rank-acceptability sheet in
#: seconds); smaller tables go through openpyxl's cells.
FAST_CELLS = 10_000

#: Cells whose XML is held in memory at once while a large table is streamed (memory stays flat).
BLOCK_CELLS = 100_000

_XML_ESCAPE = str.maketrans({"&": "&amp;", "<": "&lt;", ">": "&gt;"})


def _cell_xml(v, ref: str) -> str:
    """One cell as openpyxl's write-only mode writes it (numbers ``t="n"``, text inline, booleans
    ``t="b"``); ``""`` for an empty cell. ``v`` is already passed through :func:`_value`."""
    if v is None:
        return ""
    if isinstance(v, bool):
        return f'<c r="{ref}" t="b"><v>{int(v)}</v></c>'
    if isinstance(v, (int, float)):  # 16 significant digits, as openpyxl writes numbers
        return f'<c r="{ref}" t="n"><v>{v:.16g}</v></c>'
    if v == "":
        return f'<c r="{ref}" t="inlineStr" />'
    text = str(v).translate(_XML_ESCAPE)
    space = ' xml:space="preserve"' if text != text.strip() else ""
    return f'<c r="{ref}" t="inlineStr"><is><t{space}>{text}</t></is></c>'


def _column_values(series: pd.Series) -> tuple[str, object]:
    """A column prepared once for :func:`_cells_xml`: its kind (``f`` float, ``i`` integer, ``o``
    other) and its values (a float64 array, the integer column's own array, or the Series)."""
    if pd.api.types.is_float_dtype(series.dtype):
        return "f", series.to_numpy(dtype=np.float64)
    if pd.api.types.is_integer_dtype(series.dtype) and not pd.api.types.is_bool_dtype(series.dtype):
        return "i", series.to_numpy() if isinstance(series.dtype, np.dtype) else series
    return "o", series


def _block_values(seq, start: int, stop: int) -> list:
    """Rows ``start:stop`` of a prepared column as Python values (as ``Series.tolist`` gives them)."""
    return seq[start:stop].tolist() if isinstance(seq, np.ndarray) else seq.iloc[start:stop].tolist()


def _column_xml(series: pd.Series, letter: str, first_row: int) -> list[str]:
    """A column's cells as XML, numbers formatted column-wise where the column is numeric."""
    kind, seq = _column_values(series)
    return _cells_xml(kind, _block_values(seq, 0, len(series)), letter, first_row)


def _cells_xml(kind: str, vals: list, letter: str, first_row: int) -> list[str]:
    """Cells of one column (``vals``, of :func:`_column_values`'s ``kind``) from row ``first_row`` on."""
    rows = range(first_row, first_row + len(vals))
    if kind == "f":
        out = []
        for r, x in zip(rows, vals, strict=True):
            if x != x:  # NaN: an empty cell
                out.append("")
            elif x in (math.inf, -math.inf):
                out.append(_cell_xml(_value(x), f"{letter}{r}"))
            else:
                out.append(f'<c r="{letter}{r}" t="n"><v>{x:.16g}</v></c>')
        return out
    if kind == "i":
        return [f'<c r="{letter}{r}" t="n"><v>{x:.16g}</v></c>' for r, x in zip(rows, vals, strict=True)]
    return [_cell_xml(_value(v), f"{letter}{r}") for r, v in zip(rows, vals, strict=True)]


def _stream_rows(data: bytes, fills: dict[str, pd.DataFrame]) -> bytes:
    """Write the rows of the large tables into their sheets' XML (``fills``: zip entry name ->
    table, whose header openpyxl has written), streaming them into the zip in blocks of rows.

    The cells are those openpyxl would write (the same types and values, checked by
    tests/report/test_large_tables.py); the ECMA-376 SpreadsheetML row and cell elements
    (ECMA-376 Part 1, §18.3.1.73 ``row``, §18.3.1.4 ``c``)."""
    import zipfile

    out = io.BytesIO()
    # fastest deflate level: reproducible_xlsx re-packs every entry right after
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED,
                                                                  compresslevel=1) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            frame = fills.get(info.filename)
            if frame is None:
                dst.writestr(info, body)
                continue
            head, sep, tail = body.partition(b"</sheetData>")
            if not sep:  # pragma: no cover - openpyxl always writes the header row
                raise RuntimeError(f"{info.filename}: no sheetData to fill")
            letters = [get_column_letter(j) for j in range(1, len(frame.columns) + 1)]
            with dst.open(zipfile.ZipInfo(info.filename, date_time=info.date_time), "w",
                          force_zip64=True) as fh:
                fh.write(head)
                block = max(1, BLOCK_CELLS // max(1, len(letters)))  # rows per block
                prepared = [_column_values(frame.iloc[:, j]) for j in range(len(letters))]  # once per column
                for start in range(0, len(frame), block):
                    cols = [_cells_xml(kind, _block_values(seq, start, start + block), letters[j], start + 2)
                            for j, (kind, seq) in enumerate(prepared)]
                    rows = [f'<row r="{start + 2 + i}">' + "".join(cells) + "</row>"
                            for i, cells in enumerate(zip(*cols, strict=True))] if cols else []
                    fh.write("".join(rows).encode("utf-8"))
                fh.write(sep + tail)
    return out.getvalue()


#: English columns that have a Danish twin in the run files (the twin is shown in the Danish workbook),
#: and the decision records' machine-readable facts (JSON; the reasons render them in words).
_ENGLISH_TWINS = {"reason": "reason_da", "failed_thresholds": "failed_thresholds_da", "description": "description_da",
                  "reason_baseline": "reason_baseline_da", "reason_scenario": "reason_scenario_da"}
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


def render_xlsx(sections: list[Section], meta: list[tuple[str, str]], *, created: datetime, lang: str = "en",
                fast_cells: int | None = None) -> bytes:
    """Every table of the report (one sheet each, first an overview sheet) as .xlsx bytes; sheet
    names and, in Danish, the run files' column headers in ``lang``. Tables of more than
    ``fast_cells`` cells (default :data:`FAST_CELLS`) have their rows streamed straight into the
    sheet's XML (:func:`_stream_rows`); the cells are the same."""
    wb = Workbook(write_only=True)
    taken: set[str] = set()
    fills: dict[str, pd.DataFrame] = {}  # zip entry -> a large table whose rows are streamed after saving
    _write(wb.create_sheet(sheet_title(sheet("overview", lang), taken)), pd.DataFrame(meta, columns=["", " "]))
    for s in sections:
        for b in s.blocks:
            if isinstance(b, Table) and b.sheet is not None:
                big = _write(wb.create_sheet(sheet_title(b.sheet, taken)), b.frame if lang == "en" else _in(b.frame, lang),
                             fast_cells)
                if big is not None:  # openpyxl names the write-only sheets' parts in creation order
                    fills[f"xl/worksheets/sheet{len(wb.worksheets)}.xml"] = big
    wb.properties.creator = "selection"
    wb.properties.created = wb.properties.modified = created
    wb.properties.lastModifiedBy = "selection"
    raw = io.BytesIO()
    wb.save(raw)
    data = _stream_rows(raw.getvalue(), fills) if fills else raw.getvalue()
    # Re-pack with fixed entry times and dates so the same inputs give the same bytes.
    return reproducible_xlsx(data, created.strftime("%Y-%m-%dT%H:%M:%SZ"))
