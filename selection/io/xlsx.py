"""Read .xlsx score workbooks back, strictly and fast.

:func:`read_xlsx` is a small reader of the SpreadsheetML parts of an .xlsx file (ECMA-376 Part 1,
§18: workbook, relationships, shared strings, worksheets) written with the standard library's
zip and XML parsers. Unlike a general spreadsheet library it keeps, for every cell, both the
formula and its cached value, and for every sheet its visibility, hidden rows and columns and
merged ranges -- everything the import has to refuse -- in one pass. openpyxl's fast read-only
mode gives neither formulas together with cached values nor merged ranges or hidden rows; its full
mode is several times slower. The whole validating import runs at about the speed of openpyxl's
plain read-only value read of the same files (``benchmarks/bench_import.py``); tests check the
reader cell by cell against openpyxl.

:func:`read_score_workbook` interprets a workbook made by :mod:`selection.io.workbook`: it checks
the metadata (format, its HMAC under the call's key, call, stage, expert, catalogue fingerprint,
assignments, and the visible expert line), the sheets, headers,
application rows, merged cells, hidden rows and columns, formulas, and every score cell, and returns
the scores with provenance (file, SHA-256, sheet, cell) and every problem found.
"""

from __future__ import annotations

import hashlib
import hmac
import io
import posixpath
import re
import zipfile
import zlib
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, NamedTuple, Protocol
from xml.etree import ElementTree as ET

import pandas as pd

from selection import evaluation as ev
from selection.errors import Problem, ScoreSheetError
from selection.io.workbook import (
    CONFLICT_MARK,
    EXPERT_ROW,
    FIRST_ROW,
    FORMAT,
    FORMAT_VERSION,
    HEADER_ROW,
    KEY_FILE,
    LEGACY_SHEET_NAMES,
    META_KEYS,
    META_SHEET,
    SCALE_ROW,
    SCORES_SHEET,
    SHEET_NAMES,
    catalogue_fingerprint,
    header_labels,
    key_id,
    meta_mac,
    scale_hint,
)  # fmt: skip
from selection.model import Application, CriteriaCatalogue, Expert

__all__ = ["XCell", "XSheet", "read_xlsx", "read_score_workbook", "SheetContext", "MAX_UNCOMPRESSED",
           "MAX_FILE", "MAX_PART", "MAX_RATIO", "MAX_CELLS"]


class SheetContext(Protocol):
    """What a workbook is checked against; :class:`selection.io.scores.ScoreContext` is one.

    A protocol rather than an import, so that ``io.scores`` (which dispatches .xlsx files here)
    and this module do not import each other.
    """

    @property
    def catalogue(self) -> CriteriaCatalogue: ...
    @property
    def applications(self) -> Mapping[str, Application]: ...
    @property
    def experts(self) -> Mapping[str, Expert]: ...
    @property
    def call_id(self) -> str | None: ...
    @property
    def stage(self) -> int | None: ...
    @property
    def assignments(self) -> Mapping[str, frozenset[str]] | None: ...
    @property
    def sheet_key(self) -> bytes | None: ...

    def parse_score(self, text: str, cid: str) -> tuple[float | None, bool, str | None]:
        """(score, abstained, problem message) of one cell's text for criterion ``cid``."""
        ...


#: Refuse workbooks whose parts together declare more than this many unpacked bytes.
MAX_UNCOMPRESSED = 200_000_000
#: Refuse files larger than this (a score sheet for 2,000 applications is about 2 MB).
MAX_FILE = 20_000_000
#: Refuse any part read (sheet, shared strings, workbook) that unpacks to more than this.
MAX_PART = 40_000_000
#: ... or, above 4 MB, to more than this many times its packed size.
MAX_RATIO = 200
#: Refuse a sheet with more cells (or rows) than this, and shared strings with more texts.
MAX_CELLS = 200_000
#: Elements held at once while streaming (one row, one shared string), and the size of the small
#: structural parts (relationships, workbook) parsed whole.
_MAX_PENDING = 100_000
_MAX_SMALL = 2_000_000

_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_REL_STRICT = "http://purl.oclc.org/ooxml/officeDocument/relationships"
_PKG_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_REF = re.compile(r"^([A-Z]{1,3})(\d+)$")


class XCell(NamedTuple):
    """One cell: its value (``str``, ``float``, ``bool`` or ``None``), type code and formula.

    ``kind`` is ``"n"`` number, ``"s"`` text, ``"b"`` boolean, ``"e"`` error (``#DIV/0!``...),
    ``"d"`` ISO date text, ``""`` empty. ``formula`` is the formula text if the cell holds one
    (``value`` is then the cached result, ``None`` if it was never computed).
    """

    value: str | float | bool | None
    kind: str
    formula: str | None = None


@dataclass
class XSheet:
    name: str
    state: str  # visible, hidden or veryHidden
    kind: str  # worksheet, chartsheet, ...
    cells: dict[tuple[int, int], XCell] = field(default_factory=dict)  # (row, col), both 1-based
    hidden_rows: set[int] = field(default_factory=set)
    hidden_cols: set[int] = field(default_factory=set)
    merged: list[str] = field(default_factory=list)

    def text(self, row: int, col: int) -> str:
        c = self.cells.get((row, col))
        if c is None or c.value is None:
            return ""
        if isinstance(c.value, float):
            return _fmt(c.value)
        return str(c.value)


def _col_number(letters: str) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ord(ch) - 64
    return n


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _text_of(elem: ET.Element) -> str:
    """Concatenated ``<t>`` text of a string item, skipping phonetic runs (``<rPh>``)."""
    out = []
    for child in elem:
        tag = _local(child.tag)
        if tag == "t":
            out.append(child.text or "")
        elif tag == "r":
            for t in child:
                if _local(t.tag) == "t":
                    out.append(t.text or "")
    return "".join(out)


def _rels(zf: zipfile.ZipFile, part: str) -> dict[str, tuple[str, str]]:
    """Relationship id -> (type, target part path) of ``part``."""
    folder, base = posixpath.split(part)
    rel_part = posixpath.join(folder, "_rels", base + ".rels")
    if rel_part not in zf.NameToInfo:
        return {}
    out = {}
    for rel in _small_xml(zf, rel_part):
        target = rel.get("Target", "")
        path = target.lstrip("/") if target.startswith("/") else posixpath.normpath(
            posixpath.join(folder, target))
        out[rel.get("Id", "")] = (rel.get("Type", "").rsplit("/", 1)[-1], path)
    return out


_COLS: dict[str, int] = {}


def _col_of(ref: str) -> int:
    """Column number of a cell reference such as ``AB12`` (cached per letters)."""
    k = 0
    while k < len(ref) and ref[k] >= "A":
        k += 1
    letters = ref[:k]
    n = _COLS.get(letters)
    if n is None:
        if not _REF.match(ref):
            raise ValueError(f"bad cell reference {ref!r}")
        n = _COLS.setdefault(letters, _col_number(letters))
    return n


def _parse_sheet(fp: IO[bytes], sheet: XSheet, strings: list[str], max_cells: int) -> None:
    """Stream-parse one worksheet part: each ``<row>`` is read and then dropped, so memory holds
    the cells kept, not the XML tree."""
    ns = ""
    t_v, t_f, t_is = "v", "f", "is"
    cells = sheet.cells
    row_no = n_rows = 0
    root = parent = None  # the worksheet element; sheetData, emptied after each row
    depth = pending = 0  # elements held since the last drop
    for event, elem in ET.iterparse(fp, events=("start", "end")):
        if event == "start":
            depth += 1
            pending += 1
            if pending > _MAX_PENDING:
                raise _TooLarge(f"sheet {sheet.name!r} nests more than {_MAX_PENDING:,} elements in one row")
            if root is None:
                root = elem
                ns = elem.tag[: elem.tag.index("}") + 1] if elem.tag.startswith("{") else ""
                t_v, t_f, t_is = f"{ns}v", f"{ns}f", f"{ns}is"
            if elem.tag == f"{ns}sheetData":
                parent = elem
            continue
        depth -= 1
        if depth == 1 and root is not None:  # a complete child of <worksheet>: drop it after use
            _sheet_part(elem, elem.tag[len(ns):], sheet, max_cells)
            root.clear()
            pending = 0
            continue
        tag = elem.tag[len(ns):]
        if tag == "row":
            r_attr = elem.get("r")
            row_no = int(r_attr) if r_attr else row_no + 1
            if elem.get("hidden") in ("1", "true"):
                sheet.hidden_rows.add(row_no)
            col_no = 0
            for c in elem:
                ref = c.get("r")
                col_no = _col_of(ref) if ref else col_no + 1
                if not len(c):
                    continue  # a styled but empty cell
                t = c.get("t", "n")
                v_text, formula, inline = None, None, None
                for part in c:
                    ptag = part.tag
                    if ptag == t_v:
                        v_text = part.text
                    elif ptag == t_f:
                        formula = part.text or ("(shared formula)" if part.get("t") == "shared"
                                                else "")
                    elif ptag == t_is:
                        inline = _text_of(part)
                if t == "n":
                    if v_text is None or not v_text.strip():
                        cell = XCell(None, "", formula)
                    else:
                        try:
                            cell = XCell(float(v_text), "n", formula)
                        except ValueError:
                            cell = XCell(v_text, "e", formula)
                elif t == "s":
                    try:
                        cell = XCell(strings[int(v_text or "")], "s", formula)
                    except (ValueError, IndexError):
                        cell = XCell(None, "e", formula)
                elif t == "inlineStr":
                    cell = XCell(inline if inline is not None else (v_text or ""), "s", formula)
                elif t == "str":
                    cell = XCell(v_text, "s" if v_text is not None else "", formula)
                elif t == "b":
                    cell = XCell(v_text in ("1", "true"), "b", formula)
                elif t == "e":
                    cell = XCell(v_text or "#ERROR", "e", formula)
                else:  # "d" (ISO 8601 date) or unknown
                    cell = XCell(v_text, "d" if t == "d" else "e", formula)
                if cell.value is None and cell.formula is None:
                    continue
                cells[(row_no, col_no)] = cell
            n_rows += 1
            if len(cells) > max_cells or n_rows > max_cells:
                raise _TooLarge(f"sheet {sheet.name!r} holds more than {max_cells:,} "
                                + ("cells" if len(cells) > max_cells else "rows"))
            elem.clear()
            if parent is not None:
                parent.clear()
            pending = 0


def _sheet_part(elem: ET.Element, tag: str, sheet: XSheet, max_cells: int) -> None:
    """Hidden columns and merged ranges from a complete ``<cols>`` or ``<mergeCells>``."""
    if tag == "cols":
        for col in elem:
            if col.get("hidden") in ("1", "true"):
                lo, hi = int(col.get("min", "1")), int(col.get("max", "1"))
                sheet.hidden_cols.update(range(max(lo, 1), min(hi, 16384) + 1))
    elif tag == "mergeCells":
        sheet.merged += [m.get("ref", "") for m in elem]
        if len(sheet.merged) > max_cells:
            raise _TooLarge(f"sheet {sheet.name!r} holds more than {max_cells:,} merged ranges")


class _TooLarge(Exception):
    """A part of the workbook is larger than a score sheet can be (message says which)."""


def _read_strings(fp: IO[bytes], max_items: int) -> list[str]:
    """Stream-parse the shared strings part (each ``<si>`` dropped once read)."""
    strings: list[str] = []
    root = None
    depth = pending = 0
    for event, elem in ET.iterparse(fp, events=("start", "end")):
        if event == "start":
            depth += 1
            pending += 1
            if pending > _MAX_PENDING:
                raise _TooLarge(f"a shared string nests more than {_MAX_PENDING:,} elements")
            if root is None:
                root = elem
            continue
        depth -= 1
        if depth == 1 and root is not None:  # a complete child of <sst>
            if _local(elem.tag) == "si":
                strings.append(_text_of(elem))
                if len(strings) > max_items:
                    raise _TooLarge(f"the shared strings hold more than {max_items:,} texts")
            root.clear()
            pending = 0
    return strings


def read_xlsx(path: Path | str, *, name: str | None = None, data: bytes | None = None,
              sheets: Collection[str] | None = None) -> list[XSheet]:
    """Read the sheets of an .xlsx file (cells with formulas and cached values, visibility,
    hidden rows/columns, merged ranges), in workbook order.

    Only the parts needed are unpacked, each stream-parsed and each capped: the package's
    relationships, the workbook part, the shared strings and the worksheets named in ``sheets``
    (default: every worksheet; the others are listed with name and state but no cells). A part
    that unpacks to more than :data:`MAX_PART` bytes, or (above 4 MB) more than
    :data:`MAX_RATIO` times its packed size, and a sheet of more than :data:`MAX_CELLS` cells
    are refused before they fill memory, so a workbook under :data:`MAX_FILE` bytes is read in
    bounded memory whatever it holds (``tests/io/test_workbook.py`` measures it on zip bombs).

    Raises
    ------
    ScoreSheetError
        If the file is empty, not an .xlsx (zip) package, encrypted, an old .xls, too large, or
        its parts are not well-formed XML.
    """
    name = name or str(path)
    if data is None:
        try:
            size = Path(path).stat().st_size
        except OSError as exc:
            raise ScoreSheetError(Problem(f"cannot read the file ({exc.strerror or exc})", file=name,
                                          hint="check the path and that you may read it")) from None
        with open(path, "rb") as f:
            head = f.read(8)
    else:
        size, head = len(data), data[:8]
    if not size:
        raise ScoreSheetError(Problem("the file is empty (0 bytes)", file=name,
                                      hint="save the workbook again in Excel and resend it"))
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise ScoreSheetError(Problem(
            "this is an old-format .xls workbook or a password-protected (encrypted) one", file=name,
            hint="open it in Excel, remove any password to open, and save as Excel Workbook (.xlsx)"))
    if size > MAX_FILE:
        raise ScoreSheetError(Problem(
            f"the file is {size / 1e6:.0f} MB; a score sheet is at most {MAX_FILE // 1_000_000} MB",
            file=name, hint="send the score sheet only (no pictures or extra sheets)"))
    try:
        zf = zipfile.ZipFile(io.BytesIO(data) if data is not None else path)
    except (zipfile.BadZipFile, OSError, ValueError):
        raise ScoreSheetError(Problem("not an .xlsx workbook (not a zip package)", file=name,
                                      hint="save it from Excel as Excel Workbook (.xlsx)")) from None
    with zf:
        if sum(i.file_size for i in zf.infolist()) > MAX_UNCOMPRESSED:
            raise ScoreSheetError(Problem(
                f"the workbook unpacks to more than {MAX_UNCOMPRESSED // 1_000_000} MB", file=name,
                hint="send the score sheet only"))
        try:
            return _read_package(zf, name, sheets)
        except _TooLarge as exc:
            raise ScoreSheetError(Problem(f"{exc}: too large for a score sheet", file=name,
                                          hint="send the score sheet only, as it was sent to "
                                               "you")) from None
        except (ET.ParseError, KeyError, ValueError, zipfile.BadZipFile, zlib.error,
                EOFError, NotImplementedError, RuntimeError, OSError) as exc:
            raise ScoreSheetError(Problem(
                f"damaged .xlsx workbook ({type(exc).__name__}: {exc})", file=name,
                hint="open it in Excel and save it again as Excel Workbook (.xlsx)")) from None


def _open_part(zf: zipfile.ZipFile, part: str) -> IO[bytes]:
    """Open one part for streaming after checking its unpacked size and packing ratio (the
    declared size bounds what zipfile will unpack; a lie fails its CRC check)."""
    info = zf.getinfo(part)
    if info.file_size > MAX_PART:
        raise _TooLarge(f"part {part} unpacks to {info.file_size / 1e6:.0f} MB (at most "
                        f"{MAX_PART // 1_000_000} MB)")
    if info.file_size > 4_000_000 and info.file_size > MAX_RATIO * max(info.compress_size, 1):
        raise _TooLarge(f"part {part} unpacks {info.file_size // max(info.compress_size, 1):,} "
                        f"times its packed size (a zip bomb?)")
    return zf.open(info)


def _small_xml(zf: zipfile.ZipFile, part: str) -> ET.Element:
    """A small structural part (relationships, workbook), parsed whole after the size check."""
    size = zf.getinfo(part).file_size
    if size > _MAX_SMALL:
        raise _TooLarge(f"part {part} unpacks to {size:,} bytes (a workbook's structure takes a few "
                        f"thousand)")
    with _open_part(zf, part) as fp:
        data = fp.read(_MAX_SMALL + 1)
    return ET.fromstring(data)


def _read_package(zf: zipfile.ZipFile, name: str, wanted: Collection[str] | None
                  ) -> list[XSheet]:
    root_rels = _rels(zf, "")
    wb_part = next((p for t, p in root_rels.values() if t == "officeDocument"), "xl/workbook.xml")
    if wb_part not in zf.NameToInfo:
        raise ScoreSheetError(Problem("not an Excel workbook (no workbook part)", file=name,
                                      hint="save it from Excel as Excel Workbook (.xlsx)"))
    rels = _rels(zf, wb_part)
    wb = _small_xml(zf, wb_part)
    listed = []
    for block in wb:
        if _local(block.tag) != "sheets":
            continue
        for s in block:
            rid = s.get(f"{{{_REL}}}id") or s.get(f"{{{_REL_STRICT}}}id") or ""
            kind, part = rels.get(rid, ("", ""))
            listed.append((XSheet(s.get("name", ""), s.get("state", "visible"), kind), part))
    todo = [(sh, part) for sh, part in listed if sh.kind == "worksheet" and part in zf.NameToInfo
            and (wanted is None or sh.name in wanted)]
    strings: list[str] = []
    ss_part = next((p for t, p in rels.values() if t == "sharedStrings"), None)
    if todo and ss_part and ss_part in zf.NameToInfo:
        with _open_part(zf, ss_part) as fp:
            strings = _read_strings(fp, MAX_CELLS)
    for sheet, part in todo:
        with _open_part(zf, part) as fp:
            _parse_sheet(fp, sheet, strings, MAX_CELLS)
    return [sh for sh, _ in listed]


def _ref(row: int, col: int) -> str:
    letters, n = "", col
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return f"{letters}{row}"


def read_score_workbook(path: Path | str, ctx: SheetContext, display_name: str | None = None,
                        data: bytes | None = None) -> tuple[pd.DataFrame, list[Problem]]:
    """Read one personal score workbook; returns (evaluation rows, problems), raising nothing for
    bad content.

    ``ctx`` is a :class:`selection.io.scores.ScoreContext`; its ``call_id`` and ``stage`` (when
    set) must match the workbook's metadata, as must the catalogue's fingerprint.
    """
    name = display_name or str(path)
    try:
        sheets = read_xlsx(path, name=name, data=data, sheets=(SCORES_SHEET, META_SHEET, *LEGACY_SHEET_NAMES))
    except ScoreSheetError as exc:
        return ev.empty_evaluation(), exc.problems
    if data is None:
        h = hashlib.sha256()
        with open(path, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                h.update(chunk)
        digest = h.hexdigest()
    else:
        digest = hashlib.sha256(data).hexdigest()
    problems: list[Problem] = []
    by_name = {s.name: s for s in sheets}
    # a sheet made before the tabs were bilingual ("Scores") is read under its own tab name
    scores_sheet = next((old for old, new in LEGACY_SHEET_NAMES.items()
                         if new == SCORES_SHEET and old in by_name and SCORES_SHEET not in by_name), SCORES_SHEET)
    meta_sheet = by_name.get(META_SHEET)
    if meta_sheet is None or scores_sheet not in by_name:
        problems.append(Problem(
            "not a score sheet made by 'selection sheets' (no Scores sheet or no metadata)",
            file=name, hint="fill in the personal workbook you were sent, or send the scores as "
                            "CSV (see docs/score-sheets.md)"))
        return ev.empty_evaluation(), problems
    extra = [s.name for s in sheets if s.name not in SHEET_NAMES and s.name not in LEGACY_SHEET_NAMES]
    for s in extra:
        problems.append(Problem(f"extra sheet {s!r}: a score sheet holds only "
                                f"{', '.join(SHEET_NAMES[:2])}", file=name, sheet=s,
                                hint=f"delete that sheet (scores belong in sheet {scores_sheet})"))
    meta = {meta_sheet.text(r, 1): meta_sheet.text(r, 2) for r in range(1, len(META_KEYS) + 1)}
    meta_problem = _check_meta(meta, ctx)
    if meta_problem:
        problems.append(Problem(meta_problem[0], file=name, sheet=META_SHEET, hint=meta_problem[1]))
        return ev.empty_evaluation(), problems

    ws = by_name[scores_sheet]
    # The metadata is authentic (its MAC checked); the visible sheet must agree with it.
    line = ws.text(EXPERT_ROW, 1)
    if not line.startswith(f"Ekspert / Expert: {meta['expert_id']} – "):
        problems.append(Problem(
            f"the sheet shows {line!r}, but it was made for expert {meta['expert_id']!r}",
            file=name, sheet=scores_sheet, cell=_ref(EXPERT_ROW, 1),
            hint="import each expert's own workbook as it was sent; do not copy scores between "
                 "workbooks"))
    crits = ctx.catalogue.criteria
    n = len(crits)
    expected = header_labels(ctx.catalogue)
    for j, label in enumerate(expected, start=1):
        found = ws.text(HEADER_ROW, j)
        if found != label:
            problems.append(Problem(f"wrong header: expected {label!r}, found {found!r}", file=name,
                                    sheet=scores_sheet, cell=_ref(HEADER_ROW, j),
                                    hint="do not edit the header row; use a fresh sheet"))
    for k, c in enumerate(crits):
        found = ws.text(SCALE_ROW, 3 + k)
        if found != scale_hint(c):
            problems.append(Problem(f"wrong scale note: expected {scale_hint(c)!r}, found "
                                    f"{found!r}", file=name, sheet=scores_sheet,
                                    cell=_ref(SCALE_ROW, 3 + k),
                                    hint="do not edit the header rows; use a fresh sheet"))
    for m in ws.merged:
        problems.append(Problem(f"merged cells {m}", file=name, sheet=scores_sheet,
                                cell=m.split(":")[0], hint="unmerge them (Home > Merge > Unmerge)"))
    app_ids = [a for a in meta["applications"].split("|") if a]
    last_row = FIRST_ROW + len(app_ids) - 1
    last_col = 3 + 2 * n
    for r in sorted(ws.hidden_rows):
        if r <= last_row:
            problems.append(Problem(f"row {r} is hidden", file=name, sheet=scores_sheet,
                                    cell=_ref(r, 1), hint="unhide every row (Format > Unhide rows)"))
    for col in sorted(ws.hidden_cols):
        if col <= last_col:
            problems.append(Problem(f"column {_ref(1, col)[:-1]} is hidden", file=name,
                                    sheet=scores_sheet, cell=_ref(HEADER_ROW, col),
                                    hint="unhide every column (Format > Unhide columns)"))
    outside = sorted(k for k in ws.cells if k[0] >= FIRST_ROW and (k[0] > last_row or
                                                                   k[1] > last_col))
    for r, col in outside:
        stray = ws.cells[(r, col)]
        if stray.value not in (None, "") or stray.formula:
            problems.append(Problem(f"unexpected content {ws.text(r, col)!r} outside the score table",
                                    file=name, sheet=scores_sheet, cell=_ref(r, col),
                                    hint="move it into a comment column or delete it"))

    expert_id = meta["expert_id"]
    expert = ctx.experts.get(expert_id)
    if expert is None:
        problems.append(Problem(f"the sheet is for expert {expert_id!r}, who is not in experts.csv",
                                file=name, sheet=META_SHEET,
                                hint="add the expert to experts.csv or check the file"))
    assigned = None
    assignments = getattr(ctx, "assignments", None)
    if (meta["source"] == "assignments" and assignments is not None
            and not getattr(ctx, "count_outside_assignment", False)):
        assigned = assignments.get(expert_id, frozenset())
    conflicts = expert.conflicts if expert else frozenset()
    rows = []
    letters = [_ref(1, 3 + k)[:-1] for k in range(n)]
    cache: dict[tuple[int, XCell | None], tuple] = {}
    for i, a in enumerate(app_ids):
        r = FIRST_ROW + i
        found = ws.text(r, 1)
        if found != a:
            problems.append(Problem(f"expected application {a!r} in this row, found {found!r}",
                                    file=name, sheet=scores_sheet, cell=_ref(r, 1),
                                    hint="do not edit, sort or delete the application rows"))
            continue
        if a not in ctx.applications:
            problems.append(Problem(f"unknown application {a!r}", file=name, sheet=scores_sheet,
                                    cell=_ref(r, 1), hint="use an application_id from "
                                                          "applications.csv"))
            continue
        if assigned is not None and a not in assigned:
            problems.append(Problem(
                f"application {a!r} is not assigned to expert {expert_id} in assignments.csv",
                file=name, sheet=scores_sheet, cell=_ref(r, 1),
                hint="the assignments changed after the sheet was sent: add the row to "
                     "assignments.csv if it is right, or send the expert a fresh sheet"))
            continue
        for j in range(3 + n, 4 + 2 * n):
            cell = ws.cells.get((r, j))
            if cell is not None and cell.formula is not None:
                problems.append(Problem(
                    f"the comment cell holds a formula (={cell.formula.lstrip('=')}), not text",
                    file=name, sheet=scores_sheet, cell=_ref(r, j),
                    hint="type the comment as plain text; to start it with =, type an apostrophe "
                         "first ('=)"))
        general = ws.text(r, 3 + 2 * n).strip()
        for k, c in enumerate(crits):
            ref = f"{letters[k]}{r}"
            cell = ws.cells.get((r, 3 + k))
            own = ws.text(r, 3 + n + k).strip()
            comment = " | ".join(x for x in (own, general) if x)
            if a in conflicts and (cell is None or cell.value in (None, "", CONFLICT_MARK)):
                continue  # a conflict of interest: no score, as it should be
            key = (k, cell)
            res = cache.get(key)
            if res is None:  # scores repeat (a grid of ~11 values): check each distinct one once
                text, msg = _cell_text(cell, c.label)
                if msg:
                    res = cache[key] = (None, False, msg, "type the score as a plain number")
                else:
                    score, abstained, msg = ctx.parse_score(text, c.id)
                    res = cache[key] = (score, abstained, msg, _hint_for(c))
            score, abstained, msg, hint = res
            if msg:
                problems.append(Problem(msg, file=name, sheet=scores_sheet, cell=ref, hint=hint))
                if hint.startswith("type"):
                    continue
            rows.append((expert_id, a, c.id, score, abstained, comment, ref))
    frame = pd.DataFrame(rows, columns=[ev.EXPERT, ev.APPLICATION, ev.CRITERION, ev.SCORE,
                                        ev.ABSTAINED, ev.COMMENT, ev.CELL])
    frame[ev.SOURCE_FILE] = name
    frame[ev.SOURCE_SHA256] = digest
    frame[ev.SHEET] = scores_sheet
    return frame.reindex(columns=ev.COLUMNS), problems


def _hint_for(c) -> str:
    return f"use a value on the scale {c.scale}, or 'afstår' / 'abstain' to abstain"


def _fmt(x: float) -> str:
    """Shortest exact text of a number: 7.0 -> '7', 3.5 -> '3.5' (never rounded)."""
    t = repr(x)
    return t[:-2] if t.endswith(".0") else t


def _cell_text(cell: XCell | None, label: str) -> tuple[str, str | None]:
    """A score cell as text for :func:`selection.io.scores.score_cell`, or a problem message."""
    if cell is None:
        return "", None
    if cell.formula is not None:
        if cell.kind == "n" and isinstance(cell.value, float):
            return _fmt(cell.value), None  # a formula whose computed value is a plain number
        shown = "=" + cell.formula if not cell.formula.startswith("(") else cell.formula
        return "", (f"the score cell holds a formula ({shown}) whose value is "
                    f"{'not computed' if cell.value is None else repr(cell.value)}, not a plain "
                    f"number (criterion \"{label}\")")
    if cell.kind == "n" and isinstance(cell.value, int | float):
        return _fmt(float(cell.value)), None
    if cell.kind == "s":
        return str(cell.value), None
    if cell.kind == "b":
        return "", f"{'TRUE' if cell.value else 'FALSE'} is not a number (criterion \"{label}\")"
    if cell.kind == "d":
        return "", f"the date {cell.value} is not a score (criterion \"{label}\")"
    return "", f"the cell shows the error {cell.value} (criterion \"{label}\")"


def _check_meta(meta: dict[str, str], ctx: SheetContext) -> tuple[str, str] | None:
    """(message, hint) if the metadata is not authentic or does not fit this call, stage and
    catalogue."""
    fresh = "generate a fresh sheet with 'selection sheets' and have it filled in again"
    if meta.get("format") != FORMAT:
        return ("the metadata of the workbook is missing or damaged", fresh)
    if meta.get("format_version") == "1":
        return ("the sheet was made before score sheets were signed (format version 1, protected "
                "only by a checksum anyone can recompute), so it cannot be proven to be this "
                "expert's sheet", "send the expert a fresh sheet made with 'selection sheets' and "
                                  "have the scores entered into it")
    if meta.get("format_version") != FORMAT_VERSION:
        return (f"score sheet format version {meta.get('format_version')!r} is not supported "
                f"(expected {FORMAT_VERSION})", fresh)
    if list(meta) != list(META_KEYS):
        return ("the metadata of the workbook is missing or damaged", fresh)
    key = getattr(ctx, "sheet_key", None)
    if key is None:
        return (f"the call folder has no sheet key ({KEY_FILE}), so the sheet's signature cannot "
                "be checked", "import into the call folder in which 'selection sheets' made the "
                              f"sheets (the key is kept there as {KEY_FILE}), or restore that file "
                              "from a backup")
    if meta["key_id"] != key_id(key):
        return (f"the sheet was signed with another key (key id {meta['key_id'][:8]}…, this "
                f"call's {key_id(key)[:8]}…): it was made from another copy of the call folder "
                "or its metadata was edited", "import it into the call folder it was made in, "
                                              "or send the expert a fresh sheet")
    if not hmac.compare_digest(meta_mac(meta, key), meta["mac"]):
        return ("the workbook's hidden metadata was edited (its signature does not match)", fresh)
    call_id = ctx.call_id
    if call_id is not None and meta["call_id"] != call_id:
        return (f"the sheet belongs to call {meta['call_id']!r}, not to {call_id!r}",
                "import it into the call it was made for")
    stage = ctx.catalogue.stage if ctx.stage is None else ctx.stage
    if meta["stage"] != str(stage):
        return (f"the sheet is for stage {meta['stage']}, not stage {stage}",
                f"import it with --stage {meta['stage']}")
    if meta["catalogue_sha256"] != catalogue_fingerprint(ctx.catalogue):
        return ("the sheet was made for another version of the criteria catalogue "
                f"(fingerprint {meta['catalogue_sha256'][:12]}…, current "
                f"{catalogue_fingerprint(ctx.catalogue)[:12]}…)", fresh)
    if meta["criteria"].split("|") != ctx.catalogue.criterion_ids:
        return ("the sheet's criteria differ from the catalogue's", fresh)
    return None
