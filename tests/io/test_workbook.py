"""Personal score workbooks: what an expert gets, and the fast reader checked against openpyxl."""

from __future__ import annotations

import openpyxl
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection.io.workbook import CONFLICT_MARK, catalogue_fingerprint, workbook_bytes
from selection.io.xlsx import read_xlsx
from selection.model import Application, CriteriaCatalogue


def test_same_inputs_give_byte_identical_workbooks(kp):
    call, ctx = kp
    apps = list(ctx.applications.values())[:5]
    e = ctx.experts["E04"]
    assert workbook_bytes(call, ctx.catalogue, e, apps, stage=1) == workbook_bytes(
        call, ctx.catalogue, e, apps, stage=1)


def test_what_the_expert_sees(tmp_path, kp, sheet_tools):
    """Instructions in Danish and English, validation on the step grid, locks, conflicts."""
    call, ctx = kp
    path = sheet_tools.make(tmp_path / "e04.xlsx", call, ctx, "E04", ["KP-13", "KP-14", "KP-15"])
    wb = openpyxl.load_workbook(path)
    assert wb.sheetnames == ["Instructions", "Scores", "meta"]
    assert [ws.sheet_state for ws in wb] == ["visible", "visible", "veryHidden"]
    ins = "\n".join(str(c.value) for row in wb["Instructions"].iter_rows() for c in row if c.value)
    for crit in ctx.catalogue.criteria:
        assert crit.name_da in ins and crit.name_en in ins and crit.guide.high in ins
    assert "afstår" in ins and "abstain" in ins and "inhabil" in ins
    ws = wb["Scores"]
    assert ws.protection.sheet and wb["Instructions"].protection.sheet
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
                                                     [evil], stage=1))
    ws = openpyxl.load_workbook(tmp_path / "w.xlsx")["Scores"]
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
    first = workbook_bytes(call, ctx.catalogue, e, apps, stage=1)

    class Later(dt.datetime):
        @classmethod
        def now(cls, tz=None):
            return dt.datetime(2031, 5, 4, 3, 2, 1, tzinfo=tz)

    monkeypatch.setattr(excel.datetime, "datetime", Later)
    assert workbook_bytes(call, ctx.catalogue, e, apps, stage=1) == first
