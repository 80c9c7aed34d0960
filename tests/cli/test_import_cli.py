"""``selection sheets`` and ``selection import`` from the command line."""

from __future__ import annotations

import shutil

import openpyxl

from selection.cli import main
from selection.io.workbook import SCORES_SHEET


def _run(args, capsys):
    code = main([str(a) for a in args])
    out = capsys.readouterr()
    return code, out.out, out.err


def _snapshot(root):
    return {p: p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_sheets_then_import_then_run(call_copy, tmp_path, capsys):
    out = tmp_path / "sheets"
    code, text, err = _run(["sheets", call_copy, "--out", out], capsys)
    assert code == 0, err
    files = sorted(out.glob("*.xlsx"))
    assert [f.name for f in files][:2] == ["kreative-partnerskaber-2012-stage1-E01.xlsx",
                                           "kreative-partnerskaber-2012-stage1-E02.xlsx"]
    assert len(files) == 7 and "E04 Jens Åkjær, 20 application(s)" in text
    # the call records what it sent (the workbench shows it): one row per sheet, with its hash
    from selection.io.sheetlog import read_sheet_log

    log = read_sheet_log(call_copy)
    assert [(e.stage, e.expert_id, e.file) for e in log] == [(1, f.name.rsplit("-", 1)[1][:3], f.name) for f in files]
    import hashlib
    assert all(e.sha256 == hashlib.sha256((out / e.file).read_bytes()).hexdigest() for e in log)
    assert [e.applications for e in log if e.expert_id == "E04"] == [20]
    # a second run refuses to overwrite, and says how to proceed
    code, _, err = _run(["sheets", call_copy, "--out", out], capsys)
    assert code == 1 and "exists already" in err and "--force" in err and "Traceback" not in err
    # E01 fills in the sheet
    wb = openpyxl.load_workbook(files[0])
    ws = wb[SCORES_SHEET]
    r = 7
    while ws.cell(r, 1).value:
        for c in range(3, 11):
            ws.cell(r, c).value = 4
        r += 1
    ws["C7"] = "afstår"
    wb.save(files[0])
    # the example's own E01 CSV holds the same scores: importing must say so, and a dry run
    # writes nothing at all
    before = _snapshot(call_copy)
    code, _, err = _run(["import", call_copy, files[0], "--dry-run"], capsys)
    assert code == 1 and "expert E01 scored the same 152 application x criterion cells in" in err
    (call_copy / "scores" / "stage1" / "expert-01.csv").unlink()
    before = _snapshot(call_copy)
    code, text, err = _run(["import", call_copy, files[0], "--dry-run"], capsys)
    assert code == 0, err
    assert "E01: 152 new scores" in text and "Dry run: nothing written." in text
    assert _snapshot(call_copy) == before
    code, text, err = _run(["import", call_copy, files[0]], capsys)
    assert code == 0, err
    assert "Stored: scores/stage1-imported.csv now holds 152 score(s)" in text
    code, text, _ = _run(["import", call_copy, files[0]], capsys)
    assert "E01: unchanged" in text and "Nothing to change" in text
    code, text, err = _run(["validate", call_copy], capsys)
    assert code == 0, err
    code, text, err = _run(["run", call_copy, "--out", tmp_path / "runs", "--quiet"], capsys)
    assert code == 0, err


def test_import_reports_every_problem_without_traceback(call_copy, tmp_path, capsys):
    bad = tmp_path / "bad.csv"
    bad.write_text("expert_id;application_id;criterion_id;score\nE01;KP-01;udsyn;9\n"
                   "E01;KP-02;udsyn;tre\n", encoding="cp1252")
    code, _, err = _run(["import", call_copy, bad, tmp_path / "missing.xlsx"], capsys)
    assert code == 1 and "Traceback" not in err
    assert "3 problems" in err and "cell D2: 9 is outside the scale" in err
    # the invalid 9 is not also reported as a second score beside expert-01.csv's
    assert "scored application KP-01 on criterion udsyn 2 times" not in err
    assert "cell D3: 'tre' is not a number" in err and "missing.xlsx: file not found" in err


def test_stage2_sheets_for_given_applications(call_copy, tmp_path, capsys):
    out = tmp_path / "s2"
    code, text, err = _run(["sheets", call_copy, "--stage", "2", "--out", out, "--expert", "E02",
                            "--applications", "KP-01,KP-03"], capsys)
    assert code == 0, err
    (f,) = out.glob("*.xlsx")
    assert f.name.endswith("stage2-E02.xlsx") and "1 with a declared conflict" in text
    code, _, err = _run(["import", call_copy, f], capsys)  # into stage 1: refused
    assert code == 1 and "the sheet is for stage 2, not stage 1" in err and "--stage 2" in err
    shutil.rmtree(out)
