"""A corpus of malformed score files, built here, each with the exact error it must produce.

Every case builds its files in a temporary folder (workbooks made by ``selection sheets``'s writer
and then damaged the way experts and mail clients damage them, or CSV text), reads them with
:func:`selection.io.scores.read_score_files` and checks that a :class:`ScoreSheetError` is raised
whose problems are exactly ``n`` and include the expected ``location: message`` line.
"""

from __future__ import annotations

import pytest

from selection.errors import ScoreSheetError
from selection.io.scores import ScoreContext, read_score_files
from selection.io.workbook import INSTRUCTIONS_SHEET, SCORES_SHEET
from selection.model import Application, Call, CriteriaCatalogue, Expert

VA = 'criterion "Værditilvækst / Value added"'
KI = 'criterion "Kreativ innovation / Creative innovation"'


def _filled(tmp, kp, t, expert="E01", apps=None, name="s.xlsx", **kw):
    call, ctx = kp
    path = t.make(tmp / name, call, ctx, expert, apps)
    return t.fill(path, t.full(ctx, expert, apps), **kw)


def _set(ref, value):
    def edit(wb):
        wb[SCORES_SHEET][ref].value = value
    return edit


def _cell_xml(ref, xml):
    """Replace the XML of score cell ``ref`` on the Scores sheet (sheet2.xml)."""
    import re

    def fn(text):
        new, n = re.subn(rf'<c r="{ref}"[^>]*?(/>|>.*?</c>)', xml, text, count=1)
        assert n == 1
        return new
    return fn


def case_out_of_scale(tmp, kp, t):
    return [_filled(tmp, kp, t, edit=_set("C7", 7))]


def case_off_grid(tmp, kp, t):
    return [_filled(tmp, kp, t, edit=_set("D7", 3.25))]


def case_text(tmp, kp, t):
    return [_filled(tmp, kp, t, edit=_set("C8", "tre"))]


def case_missing(tmp, kp, t):
    return [_filled(tmp, kp, t, edit=_set("J9", None))]


def case_negative(tmp, kp, t):
    return [_filled(tmp, kp, t, edit=_set("C7", -1))]


def case_formula_uncomputed(tmp, kp, t):
    return [_filled(tmp, kp, t, edit=_set("C7", "=1+2"))]


def case_formula_text_result(tmp, kp, t):
    p = _filled(tmp, kp, t)
    return [t.patch(p, "xl/worksheets/sheet2.xml",
                    _cell_xml("C7", '<c r="C7" t="str"><f>"tre"</f><v>tre</v></c>'))]


def case_boolean(tmp, kp, t):
    return [_filled(tmp, kp, t, edit=_set("C7", True))]


def case_error_value(tmp, kp, t):
    p = _filled(tmp, kp, t)
    return [t.patch(p, "xl/worksheets/sheet2.xml",
                    _cell_xml("C7", '<c r="C7" t="e"><f>1/0</f><v>#DIV/0!</v></c>'))]


def case_hidden_row(tmp, kp, t):
    def edit(wb):
        wb[SCORES_SHEET].row_dimensions[8].hidden = True
    return [_filled(tmp, kp, t, edit=edit)]


def case_hidden_column(tmp, kp, t):
    def edit(wb):
        wb[SCORES_SHEET].column_dimensions["D"].hidden = True
    return [_filled(tmp, kp, t, edit=edit)]


def case_merged(tmp, kp, t):
    def edit(wb):
        wb[SCORES_SHEET].merge_cells("C7:D7")
    return [_filled(tmp, kp, t, edit=edit)]


def case_extra_sheet(tmp, kp, t):
    def edit(wb):
        wb.create_sheet("Ark1")["A1"] = "noter"
    return [_filled(tmp, kp, t, edit=edit)]


def case_wrong_header(tmp, kp, t):
    return [_filled(tmp, kp, t, edit=_set("C5", "Value"))]


def case_edited_metadata(tmp, kp, t):
    return [_filled(tmp, kp, t, edit=lambda wb: setattr(wb["meta"]["B5"], "value", "E02"))]


def case_other_call(tmp, kp, t):
    call, ctx = kp
    other = Call.model_validate({**call.model_dump(), "id": "another-call"})
    path = t.make(tmp / "s.xlsx", other, ctx, "E01")
    return [t.fill(path, t.full(ctx, "E01"))]


def case_other_stage(tmp, kp, t):
    call, ctx = kp
    path = t.make(tmp / "s.xlsx", call, ctx, "E01", stage=2)
    return [t.fill(path, t.full(ctx, "E01"))]


def case_other_catalogue_version(tmp, kp, t):
    call, ctx = kp
    data = ctx.catalogue.model_dump()
    data["criteria"][0]["guide"]["high"] = "5: changed guide"
    old = CriteriaCatalogue.model_validate(data)
    path = t.make(tmp / "s.xlsx", call, ctx, "E01", catalogue=old)
    return [t.fill(path, t.full(ctx, "E01"))]


def case_unknown_expert(tmp, kp, t):
    call, ctx = kp
    stranger = Expert(id="E99", name="Ukendt")
    path = t.make(tmp / "s.xlsx", call, ctx, stranger, ["KP-01"])
    return [t.fill(path, {("KP-01", c): 3 for c in ctx.catalogue.criterion_ids})]


def case_unknown_application(tmp, kp, t):
    call, ctx = kp
    ghost = Application(id="KP-99", title="Spøgelse", lead_organisation="X",
                        industries=frozenset({"design"}), municipality="Aarhus")
    path = t.make(tmp / "s.xlsx", call, ctx, "E01", [ghost])
    return [t.fill(path, {("KP-99", c): 3 for c in ctx.catalogue.criterion_ids})]


def case_conflict_scored(tmp, kp, t):
    mine = sorted(kp[1].assignments["E04"])  # KP-14 (row 8) between two applications assigned to E04
    apps = [mine[0], "KP-14", mine[1]]
    return [_filled(tmp, kp, t, expert="E04", apps=apps, edit=_set("E8", 4))]


def case_outside_table(tmp, kp, t):
    return [_filled(tmp, kp, t, edit=_set("U9", "note"))]


def case_row_edited(tmp, kp, t):
    return [_filled(tmp, kp, t, edit=_set("A7", "KP-02"))]


def case_comment_formula(tmp, kp, t):
    return [_filled(tmp, kp, t, edit=_set("K7", "=SUM(C7:D7)"))]


def case_empty_xlsx(tmp, kp, t):
    (tmp / "s.xlsx").write_bytes(b"")
    return [tmp / "s.xlsx"]


def case_not_zip(tmp, kp, t):
    (tmp / "s.xlsx").write_text("expert_id;score\n", encoding="utf-8")
    return [tmp / "s.xlsx"]


def case_old_xls(tmp, kp, t):
    (tmp / "s.xlsx").write_bytes(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 504)
    return [tmp / "s.xlsx"]


def case_damaged_xml(tmp, kp, t):
    p = _filled(tmp, kp, t)
    return [t.patch(p, "xl/worksheets/sheet2.xml", lambda s: s[: len(s) // 2])]


def case_foreign_workbook(tmp, kp, t):
    import openpyxl

    wb = openpyxl.Workbook()
    wb.active.append(["expert_id", "application_id", "criterion_id", "score"])
    wb.save(tmp / "s.xlsx")
    return [tmp / "s.xlsx"]


def case_unsupported_type(tmp, kp, t):
    (tmp / "s.ods").write_bytes(b"PK\x03\x04")
    return [tmp / "s.ods"]


def case_twice_across_files(tmp, kp, t):
    a = _filled(tmp, kp, t, name="a.xlsx")
    b = tmp / "b.xlsx"
    b.write_bytes(a.read_bytes())
    return [a, b]


def _csv(tmp, text, name="s.csv", enc="utf-8"):
    (tmp / name).write_bytes(text.encode(enc))
    return [tmp / name]


def case_csv_empty(tmp, kp, t):
    return _csv(tmp, "")


def case_csv_only_separators(tmp, kp, t):
    return _csv(tmp, ";;;\n;;\n")


def case_csv_wrong_header(tmp, kp, t):
    return _csv(tmp, "ekspert;ansøgning;point\nE01;KP-01;3\n")


def case_csv_wide_missing_criterion(tmp, kp, t):
    _, ctx = kp
    crits = ctx.catalogue.criterion_ids[:-1]
    return _csv(tmp, "expert_id,application_id," + ",".join(crits) + "\nE01,KP-01,"
                + ",".join("3" for _ in crits) + "\n")


def case_csv_unknown_criterion(tmp, kp, t):
    return _csv(tmp, "expert_id,application_id,criterion_id,score\nE01,KP-01,foo,3\n")


def case_csv_too_many_values(tmp, kp, t):
    return _csv(tmp, "expert_id;application_id;criterion_id;score\nE01;KP-01;udsyn;3;5;x\n")


def case_csv_header_only(tmp, kp, t):
    return _csv(tmp, "expert_id;application_id;criterion_id;score;comment\n")


def case_csv_decimal_comma_off_grid(tmp, kp, t):
    return _csv(tmp, "expert_id;application_id;criterion_id;score\r\nE01;KP-01;udsyn;3,7\r\n",
                enc="cp1252")


S = f"s.xlsx, sheet {SCORES_SHEET}, cell"
CASES = [
    # (builder, number of problems, the exact "location: message" of one of them)
    (case_out_of_scale, 1, f'{S} C7: 7 is outside the scale 0–5 of {VA}'),
    (case_off_grid, 1, f"{S} D7: 3.25 is not on the step grid of {KI} (0–5 in steps of 0.5)"),
    (case_text, 1, f"{S} C8: 'tre' is not a number ({VA})"),
    (case_missing, 1, f"{S} J9: missing score for criterion \"Spill-over til fokusområder / "
                      "Spill-over to focus areas\" (write 'abstain' to abstain)"),
    (case_negative, 1, f"{S} C7: -1 is outside the scale 0–5 of {VA}"),
    (case_formula_uncomputed, 1, f"{S} C7: the score cell holds a formula (=1+2) whose value is "
                                 f"not computed, not a plain number ({VA})"),
    (case_formula_text_result, 1, f"{S} C7: the score cell holds a formula (=\"tre\") whose value "
                                  f"is 'tre', not a plain number ({VA})"),
    (case_boolean, 1, f"{S} C7: TRUE is not a number ({VA})"),
    (case_error_value, 1, f"{S} C7: the score cell holds a formula (=1/0) whose value is "
                          f"'#DIV/0!', not a plain number ({VA})"),
    (case_hidden_row, 1, f"{S} A8: row 8 is hidden"),
    (case_hidden_column, 1, f"{S} D5: column D is hidden"),
    (case_merged, 2, f"{S} C7: merged cells C7:D7"),
    (case_extra_sheet, 1, "s.xlsx, sheet Ark1: extra sheet 'Ark1': a score sheet holds only "
                          f"{INSTRUCTIONS_SHEET}, {SCORES_SHEET}"),
    (case_wrong_header, 1, f"{S} C5: wrong header: expected 'Værditilvækst / Value added', "
                           "found 'Value'"),
    (case_edited_metadata, 1, "s.xlsx, sheet meta: the workbook's hidden metadata was edited "
                              "(its signature does not match)"),
    (case_other_call, 1, "s.xlsx, sheet meta: the sheet belongs to call 'another-call', not to "
                         "'kreative-partnerskaber-2012'"),
    (case_other_stage, 1, "s.xlsx, sheet meta: the sheet is for stage 2, not stage 1"),
    (case_other_catalogue_version, 1, "s.xlsx, sheet meta: the sheet was made for another version "
                                      "of the criteria catalogue"),
    (case_unknown_expert, 1, "s.xlsx, sheet meta: the sheet is for expert 'E99', who is not in "
                             "experts.csv"),
    (case_unknown_application, 1, f"{S} A7: unknown application 'KP-99'"),
    (case_conflict_scored, 1, f"{S} E8: expert E04 declared a conflict of interest with KP-14 "
                              "but scored it"),
    (case_outside_table, 1, f"{S} U9: unexpected content 'note' outside the score table"),
    (case_row_edited, 1, f"{S} A7: expected application 'KP-01' in this row, found 'KP-02'"),
    (case_comment_formula, 1, f"{S} K7: the comment cell holds a formula (=SUM(C7:D7)), not text"),
    (case_empty_xlsx, 1, "s.xlsx: the file is empty (0 bytes)"),
    (case_not_zip, 1, "s.xlsx: not an .xlsx workbook (not a zip package)"),
    (case_old_xls, 1, "s.xlsx: this is an old-format .xls workbook or a password-protected "
                      "(encrypted) one"),
    (case_damaged_xml, 1, "s.xlsx: damaged .xlsx workbook"),
    (case_foreign_workbook, 1, "s.xlsx: not a score sheet made by 'selection sheets' (no Scores "
                               "sheet or no metadata)"),
    (case_unsupported_type, 1, "s.ods: unsupported file type '.ods'"),
    (case_twice_across_files, 1, f"a.xlsx, sheet {SCORES_SHEET}, cell D7: expert E01 scored the same 152 application x "
                                 "criterion cells in a.xlsx and b.xlsx (first: application KP-01, criterion "
                                 "kreativ_innovation: a.xlsx D7; b.xlsx D7)"),
    (case_csv_empty, 1, "s.csv: the file is empty"),
    (case_csv_only_separators, 1, "s.csv: the file holds no header and no data"),
    (case_csv_wrong_header, 1, "s.csv, row 1: unrecognised header ekspert, ansøgning, point"),
    (case_csv_wide_missing_criterion, 1, "s.csv, row 1: missing column(s) spillover"),
    (case_csv_unknown_criterion, 1, "s.csv, cell C2: unknown criterion 'foo'"),
    (case_csv_too_many_values, 1, "s.csv, row 2: 6 values but the header has 4 columns"),
    (case_csv_header_only, 1, "s.csv: the file holds no scores"),
    (case_csv_decimal_comma_off_grid, 1, "s.csv, cell D2: 3,7 is not on the step grid of "
                                         "criterion \"Udsyn / Outlook\" (0–5 in steps of 0.5)"),
]


def test_corpus_is_large_enough():
    assert len(CASES) >= 25
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize(("build", "n", "expected"), CASES, ids=[c[0].__name__[5:] for c in CASES])
def test_malformed_input_gives_its_exact_error(build, n, expected, tmp_path, kp, sheet_tools,
                                               monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, ctx = kp
    files = build(tmp_path, kp, sheet_tools)
    before = {f: f.read_bytes() for f in files}
    with pytest.raises(ScoreSheetError) as exc:
        read_score_files([f.relative_to(tmp_path) for f in files], ctx)
    lines = [f"{p.location}: {p.message}" for p in exc.value.problems]
    assert any(line == expected or (line.startswith(expected) and "damaged" in expected)
               or (line.startswith(expected) and "catalogue" in expected) for line in lines), lines
    assert len(exc.value.problems) == n, lines
    assert all(p.hint for p in exc.value.problems), "every problem says how to fix it"
    assert {f: f.read_bytes() for f in files} == before, "inputs are never modified"


def test_all_problems_of_all_files_at_once(tmp_path, kp, sheet_tools, monkeypatch):
    """Several broken files: one error listing every problem of every file."""
    monkeypatch.chdir(tmp_path)
    _, ctx = kp
    a = _filled(tmp_path, kp, sheet_tools, name="a.xlsx", edit=_set("C7", 7))
    b = _filled(tmp_path, kp, sheet_tools, expert="E02", name="b.xlsx", edit=_set("D8", "x"))
    (tmp_path / "c.csv").write_text("", encoding="utf-8")
    with pytest.raises(ScoreSheetError) as exc:
        read_score_files([a.relative_to(tmp_path), b.relative_to(tmp_path), "c.csv"], ctx)
    files = sorted({p.file for p in exc.value.problems})
    assert files == ["a.xlsx", "b.xlsx", "c.csv"]


def test_formula_with_numeric_cached_value_is_used(tmp_path, kp, sheet_tools, monkeypatch):
    """A formula whose cached value is a plain number is accepted (its value is used)."""
    monkeypatch.chdir(tmp_path)
    _, ctx = kp
    p = _filled(tmp_path, kp, sheet_tools)
    sheet_tools.patch(p, "xl/worksheets/sheet2.xml",
                      _cell_xml("C7", '<c r="C7"><f>2+2.5</f><v>4.5</v></c>'))
    frame = read_score_files([p.relative_to(tmp_path)], ctx)
    row = frame[(frame.application_id == "KP-01") & (frame.criterion_id == "vaerditilvaekst")]
    assert row.score.tolist() == [4.5] and row.cell.tolist() == ["C7"]


def test_context_without_call_id_skips_only_that_check(tmp_path, kp, sheet_tools, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, ctx = kp
    loose = ScoreContext(ctx.catalogue, ctx.applications, ctx.experts, sheet_key=ctx.sheet_key)
    p = _filled(tmp_path, kp, sheet_tools)
    assert len(read_score_files([p.relative_to(tmp_path)], loose)) == 19 * 8
