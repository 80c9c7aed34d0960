"""Personal score workbooks (.xlsx): one per expert, with instructions, validation and metadata.

A workbook made by :func:`write_score_workbook` has three sheets:

``Vejledning – Instructions``
    the call, the stage with its dates (the stage's window and the deadline for the scores, when
    the call file gives them), the criteria with their Danish and English names, descriptions and scoring
    guides, the scale of each criterion, and how to abstain or what a conflict of interest means.
``Bedømmelse – Scores``
    one row per application assigned to the expert and one column per criterion (then one comment
    column per criterion and a general comment column). Every score cell carries an Excel list
    validation restricted to the criterion's step grid plus the abstention words; the id, title and
    header cells are locked (sheet protection without a password, which still lets the expert enter
    scores and comments and resize columns); the cells of an application the expert has a declared
    conflict of interest with are marked red, hold the word ``inhabil / conflict`` and are locked.
    The header row is as tall as its longest label needs (wrapped in its column). Printed, the
    scores fit one landscape A4 page width and the comment columns follow on pages of their own;
    the id and title columns and the header rows are repeated on every page (print titles).
``meta`` (very hidden)
    the call id, stage, expert id, the :func:`catalogue_fingerprint`, the application and criterion
    ids in sheet order, where that list came from, the id of the call's key, and an HMAC-SHA-256
    over all of them under the call's secret key (``.selection-key`` in the call folder, made by
    the first ``selection sheets``; see :func:`ensure_sheet_key`); plus the allowed values that the
    list validations point at. :mod:`selection.io.xlsx` checks all of it on import.

The layout constants below are the contract between this writer and the reader in
:mod:`selection.io.xlsx`. openpyxl is imported only when a workbook is written.

Workbooks are reproducible: the same inputs give byte-identical files (fixed document dates and
fixed zip entry times).
"""

from __future__ import annotations

import hashlib
import hmac
import io
import json
import math
import os
import secrets
import tempfile
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from selection.errors import InputError, Problem
from selection.io.export import reproducible_xlsx, xlsx_text
from selection.model import Application, Call, CriteriaCatalogue, Criterion, Expert

__all__ = [
    "SCORES_SHEET", "INSTRUCTIONS_SHEET", "META_SHEET", "SHEET_NAMES", "LEGACY_SHEET_NAMES", "FORMAT", "FORMAT_VERSION",
    "header_height", "stage_dates_line",
    "HEADER_ROW", "SCALE_ROW", "FIRST_ROW", "CONFLICT_MARK", "ABSTAIN_DA", "ABSTAIN_EN",
    "SheetMeta", "catalogue_fingerprint", "header_labels", "meta_mac", "scale_hint", "KEY_FILE",
    "EXPERT_ROW", "expert_line", "key_id", "load_sheet_key", "ensure_sheet_key",
    "write_score_workbook", "workbook_bytes", "sheet_file_name",
]  # fmt: skip

#: Sheet tabs, in Danish and English (Excel allows 31 characters and no ``/``).
SCORES_SHEET = "Bedømmelse – Scores"
INSTRUCTIONS_SHEET = "Vejledning – Instructions"
META_SHEET = "meta"
SHEET_NAMES = (INSTRUCTIONS_SHEET, SCORES_SHEET, META_SHEET)
#: The English-only tabs of sheets made before the tabs were bilingual -> today's tab: such a
#: sheet, already sent out, is still imported.
LEGACY_SHEET_NAMES = {"Scores": SCORES_SHEET, "Instructions": INSTRUCTIONS_SHEET}
FORMAT = "selection-score-sheet"
#: Version 2: the metadata is signed with HMAC-SHA-256 under the call's key. Version 1 (a plain
#: SHA-256 anyone could recompute) is refused on import.
FORMAT_VERSION = "2"
#: The call's secret sheet key, in the call folder (never in a sheet); see :func:`ensure_sheet_key`.
KEY_FILE = ".selection-key"
KEY_BYTES = 32

#: Row of the column headers on the Scores sheet, of the scale hints, and of the first application.
HEADER_ROW = 5
SCALE_ROW = 6
FIRST_ROW = 7
#: What a conflict-of-interest cell holds (and may still hold on import).
CONFLICT_MARK = "inhabil / conflict"
ABSTAIN_DA = "afstår"
ABSTAIN_EN = "abstain"

#: Keys of the metadata block (column A of the meta sheet, from row 1), in order.
META_KEYS = ("format", "format_version", "call_id", "stage", "expert_id", "catalogue_sha256",
             "applications", "criteria", "source", "key_id", "mac")  # fmt: skip
#: Row (1-based) of the Scores sheet's visible expert line, and its text before the name.
EXPERT_ROW = 2
#: Column (1-based) of the meta sheet where the first criterion's allowed values start.
META_LIST_COL = 4

_FIXED_DATE = datetime(2000, 1, 1)


def catalogue_fingerprint(catalogue: CriteriaCatalogue) -> str:
    """SHA-256 of what an expert scores against: the catalogue id and stage and, per criterion,
    its id, names, description, scoring guide and scale.

    Weights and thresholds are left out on purpose: they are the secretariat's to tune (scenarios
    change them) and do not change what a score means, so tuning them does not invalidate
    returned sheets; changing a scale, a guide or the criteria does.
    """
    data = {
        "id": catalogue.id,
        "stage": catalogue.stage,
        "criteria": [
            {"id": c.id, "name_da": c.name_da, "name_en": c.name_en, "description": c.description,
             "guide": c.guide.model_dump(), "scale": c.scale.model_dump()}
            for c in catalogue.criteria
        ],
    }  # fmt: skip
    blob = json.dumps(data, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class SheetMeta:
    """The hidden identity of one personal workbook.

    ``source`` says where the list of applications came from: ``"assignments"`` (the expert's
    rows of assignments.csv; checked again on import), ``"chosen"`` (a list the secretariat gave,
    e.g. the stage-1 selection for stage 2) or ``"all"`` (the call has no assignments).
    """

    call_id: str
    stage: int
    expert_id: str
    catalogue_sha256: str
    applications: tuple[str, ...]
    criteria: tuple[str, ...]
    source: str = "chosen"

    def unsigned_values(self, key: bytes) -> dict[str, str]:
        return {"format": FORMAT, "format_version": FORMAT_VERSION, "call_id": self.call_id,
                "stage": str(self.stage), "expert_id": self.expert_id,
                "catalogue_sha256": self.catalogue_sha256,
                "applications": "|".join(self.applications), "criteria": "|".join(self.criteria),
                "source": self.source, "key_id": key_id(key)}

    def values(self, key: bytes) -> dict[str, str]:
        """The metadata block as written, ending with its ``mac`` under the call's ``key``."""
        v = self.unsigned_values(key)
        return {**v, "mac": meta_mac(v, key)}


def meta_mac(values: Mapping[str, str], key: bytes) -> str:
    """HMAC-SHA-256 (RFC 2104, FIPS 198-1) under the call's sheet key over every metadata value
    but ``mac`` itself, in :data:`META_KEYS` order and JSON-encoded (so no two different blocks
    share one message).

    Unlike a plain hash, nobody without the key can compute it: an expert who edits the hidden
    metadata (to import the sheet as another expert's, or with other applications) cannot make a
    matching MAC.

    >>> meta_mac({"format": FORMAT}, b"k" * 32) == meta_mac({"format": FORMAT}, b"k" * 32)
    True
    >>> meta_mac({"format": FORMAT}, b"k" * 32) == meta_mac({"format": FORMAT}, b"K" * 32)
    False
    """
    blob = json.dumps([[k, values.get(k, "")] for k in META_KEYS if k != "mac"],
                      ensure_ascii=False, separators=(",", ":"))
    return hmac.new(key, blob.encode("utf-8"), hashlib.sha256).hexdigest()


def key_id(key: bytes) -> str:
    """A short public name of a sheet key (it reveals nothing about the key): lets the import
    tell "made with another copy of the call folder" apart from "edited"."""
    return hashlib.sha256(b"selection sheet key id\0" + key).hexdigest()[:16]


def _parse_key(text: str, path: Path) -> bytes:
    try:
        key = bytes.fromhex(text.strip())
    except ValueError:
        key = b""
    if len(key) != KEY_BYTES:
        raise InputError(Problem(
            f"the call's sheet key is damaged (expected {2 * KEY_BYTES} hexadecimal digits)",
            file=str(path), hint="restore the file from the call folder's backup; without it the "
                                 "sheets sent out cannot be imported, so send fresh sheets after "
                                 f"deleting {KEY_FILE} (a new key is made)"))
    return key


def load_sheet_key(call_dir: Path | str) -> bytes | None:
    """The call's sheet key (``<call_dir>/.selection-key``), or ``None`` if none was made yet.

    Raises
    ------
    InputError
        If the key file exists but is damaged or unreadable.
    """
    path = Path(call_dir) / KEY_FILE
    try:
        text = path.read_text(encoding="ascii")
    except FileNotFoundError:
        return None
    except (OSError, UnicodeDecodeError) as exc:
        raise InputError(Problem(f"cannot read the call's sheet key ({exc.__class__.__name__})",
                                 file=str(path), hint="check that the file is readable by you"
                                 )) from None
    return _parse_key(text, path)


def ensure_sheet_key(call_dir: Path | str) -> bytes:
    """The call's sheet key, made on first use: 32 random bytes (``secrets``) written as hex to
    ``<call_dir>/.selection-key`` with mode 0600. The file is created atomically (written to a
    temporary file and linked into place), so two concurrent ``selection sheets`` agree on one key.
    """
    root = Path(call_dir)
    key = load_sheet_key(root)
    if key is not None:
        return key
    fd, tmp = tempfile.mkstemp(prefix=".selection-key.", dir=root)  # mode 0600
    try:
        with os.fdopen(fd, "w", encoding="ascii") as f:
            f.write(secrets.token_hex(KEY_BYTES) + "\n")
            f.flush()
            os.fsync(f.fileno())
        try:
            os.link(tmp, root / KEY_FILE)
        except FileExistsError:
            pass  # somebody else made it first: use theirs
    finally:
        os.unlink(tmp)
    key = load_sheet_key(root)
    assert key is not None
    return key


def _num(x: float) -> str:
    return f"{x:g}"


def scale_hint(c: Criterion) -> str:
    """The scale as shown under a criterion's header, e.g. ``0–5, trin 0,5 / step 0.5``."""
    s = c.scale
    return f"{_num(s.min)}–{_num(s.max)}, trin {_num(s.step).replace('.', ',')} / step {_num(s.step)}"


def header_height(labels: Sequence[str], widths: Sequence[float], *, points_per_line: float = 15.0) -> float:
    """The height (points) of a header row whose cells wrap ``labels`` in columns of ``widths``
    (Excel character units): enough lines for the label that needs most once wrapped at word
    boundaries, counted for bold text (about 0.9 characters per unit of width), plus a little air.

    Spreadsheet programs do not grow a row for wrapped text written by a library, so without this
    long bilingual labels are cut off.

    >>> header_height(["Udsyn / Outlook"], [18])
    19.0
    >>> header_height(["Eksperimenterende og risikovillig / Exploratory and risk-willing"], [18])
    79.0
    """
    import textwrap

    most = 1
    for label, width in zip(labels, widths, strict=True):
        chars = max(4, int(width * 0.9) - 1)
        lines = sum(max(1, len(textwrap.wrap(part, chars, break_long_words=True)))
                    for part in label.split("\n"))
        most = max(most, lines)
    return points_per_line * most + 4.0


def stage_dates_line(call: Call, stage: int) -> str:
    """The stage's dates as shown on the sheets, in Danish and English, e.g. ``Periode / Period:
    december 2012 – januar 2013 / December 2012 – January 2013. Frist for point / Scores due:
    18. januar 2013 / 18 January 2013``; empty when the call file gives no dates."""
    from selection.model import format_date

    st = call.stage(stage)
    parts = []
    if st.window is not None:
        parts.append(f"Periode / Period: {st.window.describe('da')} / {st.window.describe('en')}")
    if st.scores_due is not None:
        parts.append(f"Frist for point / Scores due: {format_date(st.scores_due, 'da')} / "
                     f"{format_date(st.scores_due, 'en')}")
    return ". ".join(parts)


def header_labels(catalogue: CriteriaCatalogue) -> list[str]:
    """The Scores sheet's header row: id, title, one per criterion, one comment per criterion,
    and the general comment."""
    crits = catalogue.criteria
    return (["Ansøgning / Application", "Titel / Title"] + [c.label for c in crits]
            + [f"Kommentar / Comment: {c.label}" for c in crits]
            + ["Samlet kommentar / General comment"])  # fmt: skip


def sheet_file_name(call_id: str, stage: int, expert_id: str) -> str:
    """File name of an expert's workbook, e.g. ``kreative-partnerskaber-2012-stage1-E03.xlsx``."""
    return f"{call_id}-stage{stage}-{expert_id}.xlsx"


def _col(i: int) -> str:
    """1-based column number -> letters."""
    name = ""
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def _runs(rows: Sequence[int]) -> list[tuple[int, int]]:
    """Contiguous runs of sorted row numbers: [3, 4, 5, 8] -> [(3, 5), (8, 8)]."""
    out: list[tuple[int, int]] = []
    for r in rows:
        if out and out[-1][1] == r - 1:
            out[-1] = (out[-1][0], r)
        else:
            out.append((r, r))
    return out


def expert_line(expert: Expert) -> str:
    """The visible expert line of a sheet (Scores!A2); the import checks it names the expert of
    the metadata."""
    return f"Ekspert / Expert: {expert.id} – {expert.name}"


def workbook_bytes(call: Call, catalogue: CriteriaCatalogue, expert: Expert,
                   applications: Iterable[Application], *, stage: int, key: bytes,
                   source: str = "chosen",
                   prefill: Mapping[tuple[str, str], float | str] | None = None) -> bytes:
    """The .xlsx bytes of one expert's personal workbook (see the module docstring).

    Parameters
    ----------
    call, catalogue
        The call and the stage's criteria catalogue.
    expert
        Whose workbook it is; their declared conflicts are marked and locked.
    applications
        The applications listed on the Scores sheet, in this order.
    stage
        The stage number recorded in the metadata.
    key
        The call's secret sheet key (:func:`ensure_sheet_key`); the metadata is signed with it.
    source
        Where ``applications`` came from (see :class:`SheetMeta`): ``"assignments"`` makes the
        import check them against assignments.csv again.
    prefill
        Scores to enter already, ``(application id, criterion id) -> score or abstention word``
        (e.g. to send an expert their imported scores back for correction). They are written as
        given and checked like any other score on import; conflicted cells are never filled.
    """
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Border, Font, PatternFill, Protection, Side
    from openpyxl.worksheet.datavalidation import DataValidation

    apps = list(applications)
    crits = catalogue.criteria
    n = len(crits)
    meta = SheetMeta(call.id, stage, expert.id, catalogue_fingerprint(catalogue),
                     tuple(a.id for a in apps), tuple(c.id for c in crits), source)
    wb = Workbook()
    wb.properties.creator = "selection"
    wb.properties.created = _FIXED_DATE
    wb.properties.modified = _FIXED_DATE
    wb.properties.title = xlsx_text(f"{call.name} – {expert.id}")

    bold = Font(name="Calibri", bold=True)
    header_font = Font(name="Calibri", bold=True, size=10)  # fonts named: no serif fallback in print
    title_font = Font(name="Calibri", bold=True, size=14)
    wrap = Alignment(wrap_text=True, vertical="top")
    header_fill = PatternFill("solid", fgColor="D9D9D9")
    input_fill = PatternFill("solid", fgColor="FFFFFF")
    locked_fill = PatternFill("solid", fgColor="F2F2F2")
    conflict_fill = PatternFill("solid", fgColor="F4B6B6")
    thin = Side(style="thin", color="A6A6A6")
    box = Border(left=thin, right=thin, top=thin, bottom=thin)
    unlocked = Protection(locked=False)

    def put(ws, ref, value, **style):
        cell = ws[ref]
        cell.value = xlsx_text(value) if isinstance(value, str) else value
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula, whatever the text starts with
        for k, v in style.items():
            setattr(cell, k, v)
        return cell

    # --- Instructions -------------------------------------------------------------------------
    ins = wb.active
    ins.title = INSTRUCTIONS_SHEET
    st = call.stage(stage)
    lines: list[tuple[str, dict]] = [
        (call.name, {"font": title_font}),
        (call.name_en, {"font": Font(name="Calibri", italic=True)}),
        (f"Fase / Stage {stage}: {st.name}", {"font": bold}),
        (expert_line(expert), {"font": bold}),
        (stage_dates_line(call, stage), {"font": bold}),
        ("Sådan udfylder du arket / How to fill in the sheet", {"font": bold}),
        (f"1. Giv hver ansøgning et point for hvert kriterium i arket '{SCORES_SHEET}' (hvide felter). "
         "Vælg point i rullelisten eller skriv dem (3,5 eller 3.5). / Score each application on "
         f"each criterion in the sheet '{SCORES_SHEET}' (white cells). Pick a score from the drop-down list "
         "or type it.", {}),
        ("2. Kun pointene på kriteriets skala er tilladt (se tabellen nedenfor). / Only the "
         "scores on the criterion's scale are allowed (see the table below).", {}),
        (f"3. Vil du ikke give point, så skriv '{ABSTAIN_DA}' (eller '{ABSTAIN_EN}'); tomme felter "
         f"afvises ved indlæsning. / To abstain, write '{ABSTAIN_DA}' (or '{ABSTAIN_EN}'); empty "
         f"cells are rejected on import.", {}),
        (f"4. Røde felter med '{CONFLICT_MARK}': du har erklæret inhabilitet; de kan ikke "
         f"udfyldes. / Red cells marked '{CONFLICT_MARK}': you declared a conflict of interest; "
         f"they cannot be filled in.", {}),
        ("5. Skriv gerne kommentarer i kommentarkolonnerne. Grå felter er låst. Tilføj ikke ark, "
         "rækker eller formler. / Comments go in the comment columns. Grey cells are locked. Do "
         "not add sheets, rows or formulas.", {}),
        ("6. Gem som Excel-projektmappe (.xlsx) og returnér filen. / Save as an Excel workbook "
         "(.xlsx) and return the file.", {}),
        ("", {}),
        ("Kriterier / Criteria", {"font": bold}),
    ]
    for i, (text, style) in enumerate(lines, start=1):
        if text:
            put(ins, f"A{i}", text, **style)
    head = ["Kriterium (dansk)", "Criterion (English)", "Beskrivelse / Description",
            "Skala / Scale", "Lav / Low", "Middel / Middle", "Høj / High"]
    r0 = len(lines) + 1
    widths = (22, 22, 60, 22, 40, 40, 40)
    for j, h in enumerate(head, start=1):
        put(ins, f"{_col(j)}{r0}", h, font=bold, fill=header_fill, border=box, alignment=wrap)
    for i, c in enumerate(crits, start=r0 + 1):
        row = [c.name_da, c.name_en, c.description, scale_hint(c), c.guide.low, c.guide.middle,
               c.guide.high]
        for j, v in enumerate(row, start=1):
            put(ins, f"{_col(j)}{i}", v, alignment=wrap, border=box)
        # Spreadsheet programs do not grow a row for wrapped text written by a library: set the
        # height from the longest cell (about 1.1 characters per unit of column width).
        lines_needed = max(math.ceil(len(str(v)) / (w * 1.1)) for v, w in zip(row, widths, strict=True))
        ins.row_dimensions[i].height = 15 * max(1, lines_needed)
    for j, w in enumerate(widths, start=1):
        ins.column_dimensions[_col(j)].width = w
    ins.protection.sheet = True
    _print_wide(ins)

    # --- Scores -------------------------------------------------------------------------------
    ws = wb.create_sheet(SCORES_SHEET)
    put(ws, "A1", f"Bedømmelsesark / Score sheet – {call.name}", font=title_font)
    put(ws, f"A{EXPERT_ROW}", expert_line(expert), font=bold)
    dates = stage_dates_line(call, stage)
    put(ws, "A3", f"Fase / Stage {stage}: {st.name}" + (f". {dates}" if dates else ""))
    put(ws, "A4", f"Point i de hvide felter; '{ABSTAIN_DA}' for at afstå; røde felter = inhabil. "
                  f"/ Scores in the white cells; '{ABSTAIN_EN}' to abstain; red = conflict of "
                  f"interest. Se / see '{INSTRUCTIONS_SHEET}'.", font=Font(name="Calibri", italic=True))
    labels = header_labels(catalogue)
    for j, h in enumerate(labels, start=1):
        put(ws, f"{_col(j)}{HEADER_ROW}", h, font=header_font, fill=header_fill, border=box,
            alignment=Alignment(wrap_text=True, vertical="top", horizontal="center"))
    for k, c in enumerate(crits):
        put(ws, f"{_col(3 + k)}{SCALE_ROW}", scale_hint(c), fill=header_fill, border=box,
            font=Font(name="Calibri", italic=True, size=9), alignment=Alignment(horizontal="center"))
    for j in (1, 2, *range(3 + n, 4 + 2 * n)):
        put(ws, f"{_col(j)}{SCALE_ROW}", "", fill=header_fill, border=box)
    free_rows: list[int] = []
    for i, a in enumerate(apps):
        r = FIRST_ROW + i
        conflict = a.id in expert.conflicts
        put(ws, f"A{r}", a.id, fill=locked_fill, border=box)
        put(ws, f"B{r}", a.title, fill=locked_fill, border=box)
        for k in range(n):
            ref = f"{_col(3 + k)}{r}"
            if conflict:
                put(ws, ref, CONFLICT_MARK, fill=conflict_fill, border=box,
                    font=Font(name="Calibri", italic=True, color="9C0006", size=9))
            else:
                cell = ws[ref]
                cell.fill, cell.border, cell.protection = input_fill, box, unlocked
                cell.alignment = Alignment(horizontal="center")
                value = prefill.get((a.id, crits[k].id)) if prefill else None
                if isinstance(value, str):
                    cell.value, cell.data_type = xlsx_text(value), "s"
                elif value is not None:
                    cell.value = float(value)
        for j in range(3 + n, 4 + 2 * n):
            cell = ws[f"{_col(j)}{r}"]
            cell.border, cell.alignment = box, wrap
            if conflict:
                cell.fill = conflict_fill
            else:
                cell.protection = unlocked
        if not conflict:
            free_rows.append(r)

    # Allowed values live on the meta sheet; each criterion's list validation points at them.
    meta_ws = wb.create_sheet(META_SHEET)
    for i, (meta_key, meta_value) in enumerate(meta.values(key).items(), start=1):
        put(meta_ws, f"A{i}", meta_key)
        put(meta_ws, f"B{i}", meta_value)
    for k, c in enumerate(crits):
        col = _col(META_LIST_COL + k)
        put(meta_ws, f"{col}1", c.id)
        allowed: list[float | str] = [*c.scale.values(), ABSTAIN_DA, ABSTAIN_EN]
        for i, choice in enumerate(allowed, start=2):
            if isinstance(choice, str):
                put(meta_ws, f"{col}{i}", choice)
            else:
                meta_ws[f"{col}{i}"].value = int(choice) if float(choice).is_integer() else choice
        dv = DataValidation(
            type="list", formula1=f"{META_SHEET}!${col}$2:${col}${len(allowed) + 1}",
            allow_blank=True, showErrorMessage=True, showInputMessage=True,
            errorTitle="Ugyldigt point / Invalid score",
            error=f"{c.label}: {scale_hint(c)}, eller / or '{ABSTAIN_DA}'",
            promptTitle=c.name_da[:32],
            prompt=f"{scale_hint(c)}; '{ABSTAIN_DA}' / '{ABSTAIN_EN}'"[:255],
        )
        letter = _col(3 + k)
        for lo, hi in _runs(free_rows):
            dv.add(f"{letter}{lo}:{letter}{hi}")
        if free_rows:
            ws.add_data_validation(dv)
    meta_ws.sheet_state = "veryHidden"
    meta_ws.protection.sheet = True

    score_widths = [12.0, 32.0] + [18.0] * n + [30.0] * (n + 1)
    for j, sw in enumerate(score_widths, start=1):
        ws.column_dimensions[_col(j)].width = sw
    ws.row_dimensions[HEADER_ROW].height = header_height(labels, score_widths)
    _print_scores(ws, score_widths, n)
    ws.freeze_panes = f"C{FIRST_ROW}"
    ws.protection.sheet = True
    ws.protection.formatColumns = False  # experts may widen columns
    ws.protection.formatRows = False
    wb.active = 1

    buf = io.BytesIO()
    wb.save(buf)
    return reproducible_xlsx(buf.getvalue())




def write_score_workbook(path: Path | str, call: Call, catalogue: CriteriaCatalogue, expert: Expert,
                         applications: Iterable[Application], *, stage: int, key: bytes,
                         source: str = "chosen",
                         prefill: Mapping[tuple[str, str], float | str] | None = None) -> Path:
    """Write one expert's workbook to ``path`` (see :func:`workbook_bytes`)."""
    path = Path(path)
    path.write_bytes(workbook_bytes(call, catalogue, expert, applications, stage=stage, key=key,
                                    source=source, prefill=prefill))
    return path


#: Printable width of a landscape A4 page in column-width units at 100 % (29.7 cm less 2 × 1.8 cm
#: margins, at about 0.21 cm per unit as LibreOffice prints Calibri/Carlito 11; Excel's units are
#: a little narrower, so the pages fit in both).
_PAGE_UNITS = 120.0


def _print_scores(ws, widths: Sequence[float], n: int) -> None:
    """Print the Scores sheet on landscape A4: the id, title and score columns at a scale that fits
    them on one page width; then the comment columns on pages of their own (a column break before
    them and wherever a page is full); the id and title columns and the header rows repeated on
    every page (print titles), as many pages down as the applications need."""
    from openpyxl.worksheet.pagebreak import Break, ColBreak

    ws.page_setup.orientation = "landscape"
    ws.page_setup.paperSize = ws.PAPERSIZE_A4
    ws.sheet_properties.pageSetUpPr.fitToPage = False  # manual breaks count only without fit-to-page
    score_units = sum(widths[: 2 + n])
    scale = min(100, int(100 * _PAGE_UNITS / score_units))
    ws.page_setup.scale = scale
    room = _PAGE_UNITS * 100 / scale - sum(widths[:2])  # for comment columns beside the repeated titles
    breaks, used = [2 + n], 0.0
    for j in range(2 + n, len(widths)):
        if used and used + widths[j] > room:
            breaks.append(j)
            used = 0.0
        used += widths[j]
    ws.col_breaks = ColBreak()
    for b in breaks:
        ws.col_breaks.append(Break(id=b))
    ws.print_title_cols = "A:B"
    ws.print_title_rows = f"{HEADER_ROW}:{SCALE_ROW}"
    ws.page_setup.fitToHeight = 0


def _print_wide(sheet) -> None:
    """Print in landscape on A4, all columns on one page width (as many pages down as needed)."""
    sheet.page_setup.orientation = "landscape"
    sheet.page_setup.paperSize = sheet.PAPERSIZE_A4
    sheet.sheet_properties.pageSetUpPr.fitToPage = True
    sheet.page_setup.fitToWidth = 1
    sheet.page_setup.fitToHeight = 0
