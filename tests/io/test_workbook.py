"""Personal score workbooks: what an expert gets, and the fast reader checked against openpyxl."""

from __future__ import annotations

import io

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection.io.workbook import (
    CONFLICT_MARK,
    HEADER_ROW,
    INSTRUCTIONS_SHEET,
    SCORES_SHEET,
    catalogue_fingerprint,
    header_labels,
    workbook_bytes,
)
from selection.io.xlsx import read_xlsx
from selection.model import Application, CriteriaCatalogue

KEY = bytes(range(32))  # the tests' sheet key (conftest TEST_KEY)


def test_same_inputs_give_byte_identical_workbooks(kp):
    call, ctx = kp
    apps = list(ctx.applications.values())[:5]
    e = ctx.experts["E04"]
    assert workbook_bytes(call, ctx.catalogue, e, apps, stage=1, key=KEY) == workbook_bytes(
        call, ctx.catalogue, e, apps, stage=1, key=KEY)


def test_what_the_expert_sees(tmp_path, kp, sheet_tools):
    """Instructions in Danish and English, validation on the step grid, locks, conflicts."""
    call, ctx = kp
    path = sheet_tools.make(tmp_path / "e04.xlsx", call, ctx, "E04", ["KP-13", "KP-14", "KP-15"])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == [INSTRUCTIONS_SHEET, SCORES_SHEET, "meta"]
    assert [ws.sheet_state for ws in wb] == ["visible", "visible", "veryHidden"]
    ins = "\n".join(str(c.value) for row in wb[INSTRUCTIONS_SHEET].iter_rows() for c in row if c.value)
    for crit in ctx.catalogue.criteria:
        assert crit.name_da in ins and crit.name_en in ins and crit.guide.high in ins
    assert "afstår" in ins and "abstain" in ins and "inhabil" in ins
    ws = wb[SCORES_SHEET]
    assert ws.protection.sheet and wb[INSTRUCTIONS_SHEET].protection.sheet
    assert [ws.cell(r, 1).value for r in (7, 8, 9)] == ["KP-13", "KP-14", "KP-15"]
    assert ws["A7"].protection.locked and ws["B7"].protection.locked and ws["C5"].protection.locked
    assert not ws["C7"].protection.locked and not ws["K7"].protection.locked  # score, comment
    # KP-14 is a declared conflict of E04: marked, red, locked, not validated as fillable
    assert ws["C8"].value == CONFLICT_MARK and ws["C8"].protection.locked
    assert ws["C8"].fill.fgColor.rgb.endswith("F4B6B6") and ws["K8"].protection.locked
    dvs = ws.data_validations.dataValidation
    assert len(dvs) == len(ctx.catalogue.criteria)
    dv = dvs[0]
    assert dv.type == "list" and dv.showErrorMessage and dv.allow_blank
    assert str(dv.sqref) == "C7 C9"  # the conflict row is left out
    col = dv.formula1.split("!")[1].split(":")
    meta = wb["meta"]
    allowed = [c.value for row in meta[col[0].replace("$", ""):col[1].replace("$", "")] for c in row]
    assert allowed[:-2] == ctx.catalogue.criteria[0].scale.values() and allowed[-2:] == [
        "afstår", "abstain"]
    assert meta["B6"].value == catalogue_fingerprint(ctx.catalogue)


def test_fingerprint_ignores_weights_but_not_scales(kp):
    _, ctx = kp
    data = ctx.catalogue.model_dump()
    data["criteria"][0]["weight"] = 99
    data["criteria"][0]["threshold"] = None
    assert catalogue_fingerprint(CriteriaCatalogue.model_validate(data)) == catalogue_fingerprint(
        ctx.catalogue)
    data["criteria"][0]["scale"] = {"min": 0, "max": 10, "step": 1}
    assert catalogue_fingerprint(CriteriaCatalogue.model_validate(data)) != catalogue_fingerprint(
        ctx.catalogue)


def test_text_that_looks_like_a_formula_is_written_as_neutralised_text(tmp_path, kp):
    """CSV-injection rule for xlsx: no title, name or comment ever becomes a formula."""
    call, ctx = kp
    evil = Application(id="KP-66", title='=HYPERLINK("http://x","klik") Århus',
                       lead_organisation="@evil", industries=frozenset({"design"}),
                       municipality="Aarhus")
    (tmp_path / "w.xlsx").write_bytes(workbook_bytes(call, ctx.catalogue, ctx.experts["E01"],
                                                     [evil], stage=1, key=KEY))
    ws = openpyxl.load_workbook(tmp_path / "w.xlsx")[SCORES_SHEET]
    assert ws["B7"].data_type == "s" and ws["B7"].value == "'=HYPERLINK(\"http://x\",\"klik\") Århus"
    sheets = read_xlsx(tmp_path / "w.xlsx")
    assert all(c.formula is None for s in sheets for c in s.cells.values())


_cell_values = st.one_of(
    st.none(),
    st.floats(allow_nan=False, allow_infinity=False, width=64),
    st.integers(-10**9, 10**9),
    st.booleans(),
    st.text(st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")), max_size=20)
    .filter(lambda s: not s.startswith("=")),
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(grid=st.lists(st.lists(_cell_values, min_size=1, max_size=6), min_size=1, max_size=6),
       hidden=st.sets(st.integers(1, 6), max_size=2), shared=st.booleans())
def test_reader_agrees_with_openpyxl(tmp_path, grid, hidden, shared):
    """Independent implementation: every cell value our reader sees equals openpyxl's."""
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Data"
    for r, row in enumerate(grid, start=1):
        for c, v in enumerate(row, start=1):
            ws.cell(r, c).value = v
    for r in hidden:
        ws.row_dimensions[r].hidden = True
    if shared:
        wb.create_sheet("Other")["B2"] = "Æøå"
    path = tmp_path / "p.xlsx"
    wb.save(path)
    ours = {s.name: s for s in read_xlsx(path)}
    theirs = openpyxl.load_workbook(path)
    for sheet in theirs:
        mine = ours[sheet.title]
        for row in sheet.iter_rows():
            for cell in row:
                got = mine.cells.get((cell.row, cell.column))
                value = None if got is None else got.value
                expected = cell.value
                if isinstance(expected, (int, float)) and not isinstance(expected, bool):
                    assert isinstance(value, float) and value == float(expected)
                elif expected == "":
                    assert value in (None, "")
                else:
                    assert value == expected
        assert {r for r in hidden if r <= sheet.max_row} <= mine.hidden_rows or sheet.title != "Data"


def test_workbooks_written_seconds_apart_are_byte_identical(kp, monkeypatch):
    """openpyxl stamps the save time into docProps/core.xml; the engine fixes it."""
    import datetime as dt

    import openpyxl.writer.excel as excel

    call, ctx = kp
    apps = list(ctx.applications.values())[:3]
    e = ctx.experts["E04"]
    first = workbook_bytes(call, ctx.catalogue, e, apps, stage=1, key=KEY)

    class Later(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime(2031, 5, 4, 3, 2, 1, tzinfo=tz)

    monkeypatch.setattr(excel.datetime, "datetime", Later)
    assert workbook_bytes(call, ctx.catalogue, e, apps, stage=1, key=KEY) == first


# --- signed metadata (issue 11 item 4) ----------------------------------------------------------

def _problems(path, ctx):
    from selection.io.xlsx import read_score_workbook

    frame, problems = read_score_workbook(path, ctx)
    return frame, [f"{p.location}: {p.message}" for p in problems], problems


def _edit_meta(path, changes, out=None):
    """Change metadata values (by key) with openpyxl, as a dishonest expert could."""
    wb = openpyxl.load_workbook(path)
    meta = wb["meta"]
    rows = {meta.cell(r, 1).value: r for r in range(1, 20) if meta.cell(r, 1).value}
    for k, v in changes(dict((k, meta.cell(r, 2).value) for k, r in rows.items())).items():
        meta.cell(rows[k], 2).value = v
    wb.save(out or path)
    return out or path


def test_forged_metadata_with_recomputed_hash_is_refused(tmp_path, kp, sheet_tools):
    """E01 fills in their sheet and makes it look like E02's: edits expert_id and the visible
    line, and recomputes the plain SHA-256 the old format used. The HMAC under the call's key
    (which the expert does not have) refuses it; the untouched sheet is accepted."""
    import hashlib

    from selection.io.workbook import META_KEYS

    call, ctx = kp
    apps = ["KP-01", "KP-03"]
    path = sheet_tools.make(tmp_path / "e01.xlsx", call, ctx, "E01", apps)
    sheet_tools.fill(path, sheet_tools.full(ctx, "E01", apps))
    frame, lines, _ = _problems(path, ctx)
    assert lines == [] and set(frame.expert_id) == {"E01"}

    def forge(v):
        v = {**v, "expert_id": "E02"}
        blob = "\n".join(f"{k}={v.get(k, '')}" for k in META_KEYS if k != "mac")
        return {**v, "mac": hashlib.sha256(blob.encode()).hexdigest()}

    def relabel(wb):
        wb[SCORES_SHEET]["A2"].value = f"Ekspert / Expert: E02 – {ctx.experts['E02'].name}"

    forged = _edit_meta(sheet_tools.fill(path, {}, edit=relabel, out=tmp_path / "e02.xlsx"), forge)
    before = forged.read_bytes()
    frame, lines, problems = _problems(forged, ctx)
    assert frame.empty
    assert lines == [f"{forged}, sheet meta: the workbook's hidden metadata was edited (its "
                     "signature does not match)"]
    assert "fresh sheet" in problems[0].hint
    assert forged.read_bytes() == before


def test_sheet_from_another_key_or_without_key_is_refused(tmp_path, kp, sheet_tools):
    from dataclasses import replace

    call, ctx = kp
    path = sheet_tools.make(tmp_path / "s.xlsx", call, ctx, "E01", ["KP-01"])
    sheet_tools.fill(path, sheet_tools.full(ctx, "E01", ["KP-01"]))
    _, lines, _ = _problems(path, replace(ctx, sheet_key=b"\x01" * 32))
    assert len(lines) == 1 and "signed with another key" in lines[0]
    _, lines, problems = _problems(path, replace(ctx, sheet_key=None))
    assert lines == [f"{path}, sheet meta: the call folder has no sheet key (.selection-key), so "
                     "the sheet's signature cannot be checked"]
    assert ".selection-key" in problems[0].hint


def test_old_unsigned_sheet_is_refused_with_send_fresh_sheets(tmp_path, kp, sheet_tools):
    """A format-1 sheet (plain checksum) cannot be told apart from a forged one: refused."""
    call, ctx = kp
    path = sheet_tools.make(tmp_path / "s.xlsx", call, ctx, "E01", ["KP-01"])

    def old(v):
        return {**v, "format_version": "1", "source": "checksum", "key_id": "0" * 64, "mac": None}

    _edit_meta(path, old)
    _, lines, problems = _problems(path, ctx)
    assert len(lines) == 1 and "format version 1" in lines[0] and lines[0].startswith(
        f"{path}, sheet meta: the sheet was made before score sheets were signed")
    assert "send the expert a fresh sheet" in problems[0].hint


def test_visible_expert_line_must_agree_with_the_metadata(tmp_path, kp, sheet_tools):
    call, ctx = kp
    path = sheet_tools.make(tmp_path / "s.xlsx", call, ctx, "E01", ["KP-01"])
    sheet_tools.fill(path, sheet_tools.full(ctx, "E01", ["KP-01"]),
                     edit=lambda wb: setattr(wb[SCORES_SHEET]["A2"], "value", "Ekspert / Expert: E02 – X"))
    _, lines, _ = _problems(path, ctx)
    assert lines == [f"{path}, sheet {SCORES_SHEET}, cell A2: the sheet shows 'Ekspert / Expert: E02 – X', "
                     "but it was made for expert 'E01'"]


def test_applications_of_an_assignment_sheet_must_be_assigned(tmp_path, kp, sheet_tools):
    """A sheet made from assignments.csv lists only that expert's applications; if the
    assignments no longer say so, the row is refused (cell of the application id)."""
    call, ctx = kp
    mine = sorted(ctx.assignments["E01"])
    other = next(a for a in ctx.applications if a not in ctx.assignments["E01"])
    apps = [mine[0], other]
    path = sheet_tools.make(tmp_path / "s.xlsx", call, ctx, "E01", apps, source="assignments")
    sheet_tools.fill(path, sheet_tools.full(ctx, "E01", apps))
    frame, lines, _ = _problems(path, ctx)
    assert lines == [f"{path}, sheet {SCORES_SHEET}, cell A8: application {other!r} is not assigned to "
                     "expert E01 in assignments.csv"]
    assert set(frame.application_id) == {mine[0]}
    # a list the secretariat chose (e.g. stage-1 selection for stage 2) is signed as such
    path = sheet_tools.make(tmp_path / "c.xlsx", call, ctx, "E01", apps, source="chosen")
    sheet_tools.fill(path, sheet_tools.full(ctx, "E01", apps))
    assert _problems(path, ctx)[1] == []


def test_sheet_key_is_made_once_private_and_shared_by_concurrent_callers(tmp_path):
    import os
    import stat
    from concurrent.futures import ThreadPoolExecutor

    from selection.io.workbook import KEY_FILE, ensure_sheet_key, load_sheet_key

    assert load_sheet_key(tmp_path) is None
    with ThreadPoolExecutor(8) as pool:
        keys = set(pool.map(lambda _: ensure_sheet_key(tmp_path), range(16)))
    assert len(keys) == 1 and len(next(iter(keys))) == 32
    assert stat.S_IMODE(os.stat(tmp_path / KEY_FILE).st_mode) == 0o600
    assert sorted(p.name for p in tmp_path.iterdir()) == [KEY_FILE]  # no temporary files left
    assert load_sheet_key(tmp_path) == next(iter(keys))


def test_damaged_key_file_is_named(tmp_path):
    import pytest

    from selection.errors import InputError
    from selection.io.workbook import KEY_FILE, load_sheet_key

    (tmp_path / KEY_FILE).write_text("not hex\n", encoding="ascii")
    with pytest.raises(InputError) as exc:
        load_sheet_key(tmp_path)
    assert exc.value.problems[0].file == str(tmp_path / KEY_FILE)
    assert "damaged" in exc.value.problems[0].message


# --- formulas in comment cells (item 10) --------------------------------------------------------

def test_string_formula_in_a_comment_cell_is_refused(tmp_path, kp, sheet_tools):
    """Excel saves ="x"&A1 in a text cell as <c t="str"><f>..</f><v>text</v></c>: refused."""
    import re

    call, ctx = kp
    path = sheet_tools.make(tmp_path / "s.xlsx", call, ctx, "E01", ["KP-01"])
    sheet_tools.fill(path, sheet_tools.full(ctx, "E01", ["KP-01"]))

    def fn(text):
        new, n = re.subn(r'<c r="K7"[^>]*?(/>|>.*?</c>)',
                         '<c r="K7" t="str"><f>"god "&amp;B7</f><v>god idé</v></c>', text, count=1)
        assert n == 1
        return new

    sheet_tools.patch(path, "xl/worksheets/sheet2.xml", fn)
    _, lines, problems = _problems(path, ctx)
    assert lines == [f'{path}, sheet {SCORES_SHEET}, cell K7: the comment cell holds a formula (="god "&B7), '
                     "not text"]
    assert problems[0].hint


# --- bounded memory on hostile workbooks (item 6) -----------------------------------------------

_MEASURE = r"""
import dataclasses, json, resource, sys
from pathlib import Path
from selection.io.store import call_context
from selection.io.xlsx import read_score_workbook
call, ctx = call_context(sys.argv[1], 1)
ctx = dataclasses.replace(ctx, sheet_key=bytes(range(32)))
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
out = []
for f in sys.argv[2:]:  # peak so far, rows read, problems
    frame, problems = read_score_workbook(Path(f), ctx)
    after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    out.append([(after - before) // 1024, len(frame), "|".join(p.message for p in problems)])
print(json.dumps(out))
"""


def _with_part(src, dst, part, write):
    """Copy workbook ``src`` to ``dst``, replacing (or adding, as shared strings) ``part`` by what
    ``write(stream)`` streams."""
    import zipfile

    sst = ('<Relationship Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/'
           'sharedStrings" Target="sharedStrings.xml" Id="rIdSst" /></Relationships>')
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            data = zin.read(info.filename)
            if info.filename == "xl/_rels/workbook.xml.rels" and part == "xl/sharedStrings.xml":
                data = data.decode().replace("</Relationships>", sst).encode()
            if info.filename != part:
                zout.writestr(info.filename, data)
        with zout.open(part, "w", force_zip64=True) as w:
            write(w)
    return dst


def _peak_mb(example_dir, paths):
    """[(peak memory growth so far in MB, rows read, problems)] of reading each workbook in
    turn, in a fresh interpreter (ru_maxrss after the imports is the baseline)."""
    import json
    import subprocess
    import sys

    out = subprocess.run([sys.executable, "-c", _MEASURE, str(example_dir), *map(str, paths)],
                         capture_output=True, text=True, timeout=120)
    assert out.returncode == 0, out.stderr
    return json.loads(out.stdout)


def test_workbook_bombs_are_read_in_bounded_memory(tmp_path, kp, sheet_tools, example_dir):
    """Zip bombs under the file-size cap: an unused Instructions part unpacking to 100 MB is never
    unpacked (the sheet is accepted); a Scores sheet and shared strings just under the per-part cap
    are refused before they fill memory. Peak memory (ru_maxrss, measured in a subprocess) grows
    by less than 200 MB in every case."""
    from selection.io.xlsx import MAX_CELLS, MAX_FILE, MAX_PART

    call, ctx = kp
    good = sheet_tools.make(tmp_path / "good.xlsx", call, ctx, "E01", ["KP-01"])
    sheet_tools.fill(good, sheet_tools.full(ctx, "E01", ["KP-01"]))

    def huge_instructions(w):
        w.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData>")
        row = (b'<row><c t="inlineStr"><is><t>' + b"x" * 1000 + b"</t></is></c></row>") * 100
        for _ in range(1_000):  # 100 MB
            w.write(row)
        w.write(b"</sheetData></worksheet>")

    bombs = [_with_part(good, tmp_path / "bomb1.xlsx", "xl/worksheets/sheet1.xml",
                        huge_instructions)]

    def many_cells(w):  # Scores: the most cells a sheet may hold, hardly compressible
        w.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData>")
        for r in range(MAX_CELLS // 40 + 2):
            w.write(("<row>" + "".join(f"<c><v>{(r * 40 + k) * 7919 % 1000003}</v></c>"
                                       for k in range(40)) + "</row>").encode())
        w.write(b"</sheetData></worksheet>")

    bombs.append(_with_part(good, tmp_path / "bomb2.xlsx", "xl/worksheets/sheet2.xml", many_cells))

    def repeated_cells(w):  # Scores: highly packed (ratio check)
        w.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData>")
        row = b"<row>" + b"<c><v>1</v></c>" * 1000 + b"</row>"
        for _ in range(MAX_PART // len(row)):
            w.write(row)
        w.write(b"</sheetData></worksheet>")

    bombs.append(_with_part(good, tmp_path / "bomb3.xlsx", "xl/worksheets/sheet2.xml",
                            repeated_cells))

    def many_strings(w):
        w.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        for k in range(MAX_CELLS + 2):
            w.write(f"<si><t>{k * 7919 % 1000003}</t></si>".encode())
        w.write(b"</sst>")

    bombs.append(_with_part(good, tmp_path / "bomb4.xlsx", "xl/sharedStrings.xml", many_strings))
    assert all(b.stat().st_size < MAX_FILE for b in bombs)
    (mb1, n1, m1), (mb2, n2, m2), (mb3, n3, m3), (mb4, n4, m4) = _peak_mb(example_dir, bombs)
    assert (n1, m1) == (8, "") and mb1 < 50, (mb1, m1)  # the 100 MB part is never unpacked
    assert n2 == 0 and "more than 200,000 cells" in m2, m2
    assert n3 == 0 and "times its packed size" in m3, m3
    assert n4 == 0 and "more than 200,000 texts" in m4, m4
    assert max(mb1, mb2, mb3, mb4) < 200


def test_a_part_over_the_cap_is_refused_without_unpacking(tmp_path, kp, sheet_tools):
    from selection.io.xlsx import MAX_PART

    call, ctx = kp
    good = sheet_tools.make(tmp_path / "good.xlsx", call, ctx, "E01", ["KP-01"])

    def over(w):
        w.write(b'<sst xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
        block = b" " * 1_000_000
        for _ in range(MAX_PART // len(block) + 1):
            w.write(block)
        w.write(b"</sst>")

    bomb = _with_part(good, tmp_path / "bomb.xlsx", "xl/sharedStrings.xml", over)
    _, lines, _ = _problems(bomb, ctx)
    assert len(lines) == 1 and "part xl/sharedStrings.xml unpacks to" in lines[0]


def test_elements_held_while_streaming_are_bounded(tmp_path, kp, sheet_tools):
    """One giant row, or junk beside the sheet data, cannot make the streaming parser hold the
    whole part: a row is dropped once read, other parts as soon as they close, and one row may
    not nest more than 100,000 elements."""
    call, ctx = kp
    good = sheet_tools.make(tmp_path / "good.xlsx", call, ctx, "E01", ["KP-01"])

    def giant_row(w):
        w.write(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                b"<sheetData><row>" + b"<c><v>1</v></c>" * 60_000 + b"</row></sheetData></worksheet>")

    bomb = _with_part(good, tmp_path / "row.xlsx", "xl/worksheets/sheet2.xml", giant_row)
    _, lines, _ = _problems(bomb, ctx)
    assert len(lines) == 1 and "nests more than 100,000 elements in one row" in lines[0], lines

    from selection.io.xlsx import XSheet, _parse_sheet

    junk = io.BytesIO(b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
                      + b"<x><y/></x>" * 80_000 + b"<sheetData><row><c><v>2</v></c></row></sheetData>"
                      + b"<x/>" * 80_000 + b"</worksheet>")
    sheet = XSheet(SCORES_SHEET, "visible", "worksheet")
    _parse_sheet(junk, sheet, [], 10)  # 240,000 elements, never more than a few held
    assert list(sheet.cells) == [(1, 1)] and sheet.cells[(1, 1)].value == 2.0


# --- what a printed and opened sheet looks like (issues 13 and 17) -----------------------------------

def test_tabs_are_bilingual_and_valid_excel_names():
    for name in (INSTRUCTIONS_SHEET, SCORES_SHEET):
        da, en = name.split(" – ")
        assert da and en and len(name) <= 31
        assert not set(name) & set(":\\/?*[]"), name  # characters Excel refuses in a tab name
    assert (INSTRUCTIONS_SHEET, SCORES_SHEET) == ("Vejledning – Instructions", "Bedømmelse – Scores")


def _wrapped_lines(text: str, width: float) -> int:
    """Lines a bold label needs in a column of ``width``, wrapped at spaces (a conservative model:
    about 0.9 characters per unit of column width, as Calibri 11 bold)."""
    import textwrap

    return len(textwrap.wrap(text, max(4, int(width * 0.9) - 1), break_long_words=True)) or 1


def test_no_header_label_is_clipped(tmp_path, kp, sheet_tools):
    """Every header label fits its cell: the row is as tall as the longest label needs (five of
    eight bilingual headers were cut off at the fixed 48 points)."""
    call, ctx = kp
    path = sheet_tools.make(tmp_path / "e.xlsx", call, ctx, "E01", ["KP-01"])
    ws = openpyxl.load_workbook(path)[SCORES_SHEET]
    height = ws.row_dimensions[HEADER_ROW].height
    labels = header_labels(ctx.catalogue)
    from selection.io.workbook import _col

    for j, label in enumerate(labels, start=1):
        assert ws.cell(HEADER_ROW, j).value == label and ws.cell(HEADER_ROW, j).alignment.wrap_text
        width = ws.column_dimensions[_col(j)].width
        assert 15 * _wrapped_lines(label, width) <= height, (label, width, height)
    longest = max(labels, key=len)
    assert longest == "Kommentar / Comment: Eksperimenterende og risikovillig / Exploratory and risk-willing"
    assert height >= 15 * 4  # the longest criterion labels need 5 lines in their columns
    clipped_before = sum(15 * _wrapped_lines(lab, ws.column_dimensions[_col(j)].width) > 48
                         for j, lab in enumerate(labels, start=1))
    assert clipped_before >= 5  # what the fixed height cut off


def test_print_scores_on_one_page_width_and_comments_on_their_own_pages(tmp_path, kp, sheet_tools):
    call, ctx = kp
    path = sheet_tools.make(tmp_path / "e.xlsx", call, ctx, "E01")
    wb = openpyxl.load_workbook(path)
    ws = wb[SCORES_SHEET]
    n = len(ctx.catalogue.criteria)
    ps = ws.page_setup
    assert ps.orientation == "landscape" and int(ps.paperSize) == int(ws.PAPERSIZE_A4)
    assert not ws.sheet_properties.pageSetUpPr.fitToPage  # manual breaks count only without fit-to-page
    breaks = [b.id for b in ws.col_breaks.brk]
    assert breaks[0] == 2 + n  # a page break after the last score column: comments start a page
    assert all(b > 2 + n for b in breaks[1:]) and breaks == sorted(breaks)
    # the id/title/score block fits one landscape page at the chosen scale
    from selection.io.workbook import _PAGE_UNITS, _col

    widths = [ws.column_dimensions[_col(j)].width for j in range(1, 4 + 2 * n)]
    assert sum(widths[: 2 + n]) * ps.scale / 100 <= _PAGE_UNITS
    # each comment page (beside the repeated id and title) fits too
    edges = [*breaks, len(widths)]
    for lo, hi in zip(edges, edges[1:], strict=False):
        assert (sum(widths[:2]) + sum(widths[lo:hi])) * ps.scale / 100 <= _PAGE_UNITS + 1e-9
    # print titles: id and title columns, header and scale rows, on every page
    assert ws.print_title_cols == "$A:$B" and ws.print_title_rows == f"${HEADER_ROW}:${HEADER_ROW + 1}"
    import zipfile

    book = zipfile.ZipFile(path).read("xl/workbook.xml").decode("utf-8")
    assert (f'<definedName name="_xlnm.Print_Titles" localSheetId="1">\'{SCORES_SHEET}\'!$5:$6,'
            f"'{SCORES_SHEET}'!$A:$B</definedName>") in book


def test_sheets_show_the_stage_dates(tmp_path, kp, sheet_tools):
    call, ctx = kp
    path = sheet_tools.make(tmp_path / "e.xlsx", call, ctx, "E01", ["KP-01"])
    wb = openpyxl.load_workbook(path)
    ins = "\n".join(str(c.value) for row in wb[INSTRUCTIONS_SHEET].iter_rows() for c in row if c.value)
    scores_head = str(wb[SCORES_SHEET]["A3"].value)
    for text in (ins, scores_head):
        assert "Periode / Period: december 2012 – januar 2013 / December 2012 – January 2013" in text
        assert "Frist for point / Scores due: 18. januar 2013 / 18 January 2013" in text


def test_a_sheet_with_the_old_english_tabs_still_imports(tmp_path, kp, sheet_tools):
    """Sheets sent out before the tabs were bilingual ('Instructions', 'Scores') are read as before."""
    call, ctx = kp
    path = sheet_tools.make(tmp_path / "old.xlsx", call, ctx, "E01", ["KP-01", "KP-02"])

    def old_tabs(wb):
        wb[INSTRUCTIONS_SHEET].title = "Instructions"
        wb[SCORES_SHEET].title = "Scores"

    sheet_tools.fill(path, sheet_tools.full(ctx, "E01", ["KP-01", "KP-02"]), edit=old_tabs)
    frame, lines, _ = _problems(path, ctx)
    assert lines == [] and len(frame) and set(frame["sheet"]) == {"Scores"}
