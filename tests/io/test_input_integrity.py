"""Input integrity (issue 11): what is accepted as users expect, beside the refusals of
``test_corpus.py`` — Excel's ``sep=`` line, warnings that do not stop a run, scores outside the
assignment counted when the call allows it, assignments per stage, and error reports of bounded
size however many problems a file has."""

from __future__ import annotations

import csv
import io

import pytest

from selection.cli import main
from selection.errors import InputError, Problem
from selection.io.csvfile import file_kind_problem, parse_csv_text, read_csv
from selection.io.tables import assignments_for_stage, money_basis_problems, unknown_column_warnings


def _run(argv, capsys):
    code = main(argv)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_excel_sep_line_is_honoured_and_keeps_line_numbers(tmp_path):
    f = tmp_path / "x.csv"
    f.write_bytes(b"sep=;\r\nid;score\r\nA;3,5\r\n")
    t = read_csv(f)
    assert t.separator == ";" and t.header == ["id", "score"] and t.header_line == 2
    assert t.rows[0].values == {"id": "A", "score": "3,5"} and t.rows[0].line == 3
    # a quoted sep line, as some exporters write it, and a comma one
    assert parse_csv_text('"sep=,"\nid,score\nA,3\n', name="y.csv").separator == ","


def test_repeated_header_names_name_both_positions():
    with pytest.raises(InputError) as exc:
        parse_csv_text("a,b,a,c,b\n1,2,3,4,5\n", name="x.csv")
    assert [str(p) for p in exc.value.problems] == [
        "x.csv, row 1: column 'a' appears twice: column 1 (A) and column 3 (C). Fix: rename or delete one "
        "of them; each column name may appear once",
        "x.csv, row 1: column 'b' appears twice: column 2 (B) and column 5 (E). Fix: rename or delete one "
        "of them; each column name may appear once"]
    # header names are compared as read (stripped, lower-cased): 'Score' and ' score' are one name
    with pytest.raises(InputError, match="column 'score' appears twice"):
        parse_csv_text("id,Score, score\nA,1,2\n", name="x.csv")


@pytest.mark.parametrize("data,what", [
    ("a,b\n".encode("utf-16"), "UTF-16 text"),
    ("a,b\n".encode("utf-16-be"), "UTF-16 text"),
    ("a,b\n".encode("utf-16-le"), "UTF-16 text"),
    (b"PK\x03\x04\x14\x00", "Excel workbook (.xlsx"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1\x00", "old Excel workbook (.xls)"),
    (b"a,b\n1,\x00\n", "binary file"),
])
def test_files_that_are_not_csv_text_say_what_they_are(data, what):
    p = file_kind_problem(data, "x.csv")
    assert p is not None and what in p.message and p.hint


def test_plain_csv_is_not_mistaken_for_another_kind():
    for text in ("a,b\n1,2\n", "navn;by\nSøren;Århus\n"):
        for enc in ("utf-8", "utf-8-sig", "cp1252"):
            assert file_kind_problem(text.encode(enc), "x.csv") is None


def test_unknown_column_warning_names_the_closest_known_name():
    ws = unknown_column_warnings(["application_id", "titel", "grant_stage_1", "notes", ""],
                                 ["application_id", "title", "grant_stage1"], "a.csv")
    assert [(w.column, w.hint.split("?")[0]) for w in ws] == [
        ("titel", "did you mean 'title'"), ("grant_stage_1", "did you mean 'grant_stage1'"),
        ("notes", "delete the column, or declare it in the call if it is an attribute the rules use")]


def test_money_basis_needs_its_column_and_every_cell(tmp_path, example_folder):
    f = tmp_path / "a.csv"
    f.write_text("application_id,grant_stage1,total_budget_per_year,regional_cofinancing_per_year\n"
                 "A,250000,100,10\nB,,100,\n", encoding="utf-8")
    probs = money_basis_problems(f, example_folder.call.stages, "a.csv")
    assert [(p.row, p.column) for p in probs] == [(3, "grant_stage1"), (3, "regional_cofinancing_per_year")]
    f.write_text("application_id,grant_stage_1\nA,1\n", encoding="utf-8")
    (p, *rest) = money_basis_problems(f, example_folder.call.stages[:1], "a.csv")
    assert not rest and "no column 'grant_stage1'" in p.message and p.hint == "rename column 'grant_stage_1' to 'grant_stage1'"


def test_unknown_column_is_a_warning_that_reaches_the_user(call_copy, tmp_path, capsys):
    apps = call_copy / "applications.csv"
    rows = list(csv.reader(io.StringIO(apps.read_text(encoding="utf-8"))))
    rows = [[*r, "focus_area" if i == 0 else "x"] for i, r in enumerate(rows)]
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\n").writerows(rows)
    apps.write_text(buf.getvalue(), encoding="utf-8")
    code, out, err = _run(["validate", str(call_copy), "--no-solve"], capsys)
    assert code == 0 and out.startswith("OK:")
    assert "Warning" in err and "column focus_area: unknown column 'focus_area' is not read" in err
    assert "did you mean 'focus_areas'?" in err
    code, out, err = _run(["run", str(call_copy), "--out", str(tmp_path / "runs"), "--quiet"], capsys)
    assert code == 0 and "unknown column 'focus_area'" in err


def _unassigned_pair(call_dir):
    rows = list(csv.reader(io.StringIO((call_dir / "assignments.csv").read_text(encoding="utf-8"))))
    mine = {r[1] for r in rows[1:] if r and r[0] == "E01"}
    apps = list(csv.reader(io.StringIO((call_dir / "applications.csv").read_text(encoding="utf-8"))))
    return next(r[0] for r in apps[1:] if r and r[0] not in mine)


def test_scores_outside_the_assignment_refused_then_counted_and_listed(call_copy, tmp_path, capsys):
    app = _unassigned_pair(call_copy)
    f = call_copy / "scores" / "stage1" / "expert-01-extra.csv"
    f.write_text(f"expert_id,application_id,criterion_id,score\nE01,{app},udsyn,5\nE01,{app},spillover,5\n"
                 f"E01,{app},skalerbarhed,abstain\n", encoding="utf-8")
    code, out, err = _run(["validate", str(call_copy), "--no-solve"], capsys)
    assert code == 1
    assert (f"scores/stage1/expert-01-extra.csv, row 2: expert E01 is not assigned to application {app} in "
            "assignments.csv but scored it (2 scores)") in err  # the abstention is not a score
    call = call_copy / "call.toml"
    call.write_text(call.read_text(encoding="utf-8").replace(
        'scores = "scores"', 'scores = "scores"\nscores_outside_assignment = "count"', 1), encoding="utf-8")
    code, out, err = _run(["validate", str(call_copy), "--no-solve"], capsys)
    assert code == 0, err
    assert "stage 1: 2 score(s) by experts outside their assignment are counted" in err
    code, out, err = _run(["panel", str(call_copy), "--out", str(tmp_path / "runs"), "--boot", "5", "--quiet"], capsys)
    assert code == 0, err
    (run,) = (tmp_path / "runs").iterdir()
    rows = list(csv.DictReader(io.StringIO((run / "outside-assignment.csv").read_text(encoding="utf-8"))))
    assert [(r["stage"], r["expert_id"], r["application_id"], r["n_scores"], r["source_file"]) for r in rows] == [
        ("1", "E01", app, "2", "scores/stage1/expert-01-extra.csv")]


def test_assignments_govern_stages_as_documented(tmp_path):
    f = tmp_path / "assignments.csv"
    f.write_text("expert_id,application_id\nE1,A\nE1,B\n", encoding="utf-8")
    assert assignments_for_stage(f, {"E1"}, {"A", "B"}, 1) == {"E1": frozenset({"A", "B"})}
    # without a stage column the rows do not govern a stage that chooses from an earlier selection
    assert assignments_for_stage(f, {"E1"}, {"A", "B"}, 2, from_earlier_stage=True) is None
    f.write_text("expert_id,application_id,stage\nE1,A,1\nE1,B,2\n", encoding="utf-8")
    assert assignments_for_stage(f, {"E1"}, {"A", "B"}, 2, from_earlier_stage=True) == {"E1": frozenset({"B"})}
    assert assignments_for_stage(f, {"E1"}, {"A", "B"}, 3) is None  # no rows for stage 3: not governed
    assert assignments_for_stage(tmp_path / "none.csv", {"E1"}, {"A"}, 1) is None


def test_a_report_lists_twenty_of_a_kind_and_counts_the_rest():
    err = InputError([Problem(f"{i!r} is not a number", file="s.csv", row=i + 2, hint="write a number")
                      for i in range(1_000)] + [Problem("unknown expert 'X'", file="s.csv", row=5)])
    lines = err.report().splitlines()
    assert lines[0] == "1,001 problems:"
    assert len(lines) == 1 + 20 + 1 + 1
    assert lines[21] == ("  - … and 980 more of this kind (next: s.csv, row 22: 20 is not a number. "
                         "Fix: write a number)")
    assert lines[22] == "  - s.csv, row 5: unknown expert 'X'"
    long = InputError([Problem("unrecognised header " + "x," * 100_000, file="s.csv", row=1)])
    assert len(long.report()) < 1_100 and "characters)" in long.report()


def test_a_huge_bad_score_file_gives_a_short_report(call_copy, capsys):
    f = call_copy / "scores" / "stage1" / "expert-09.csv"
    f.write_text("expert_id,application_id,criterion_id,score\n" + "E01,KP-01,udsyn,tre\n" * 10_000,
                 encoding="utf-8")
    code, out, err = _run(["validate", str(call_copy), "--no-solve"], capsys)
    assert code == 1
    assert len(err) < 20_000, len(err)
    assert "more of this kind" in err and "Traceback" not in err


def test_warnings_are_shown_beside_the_errors(call_copy, capsys):
    apps = call_copy / "applications.csv"
    lines = apps.read_text(encoding="utf-8").split("\n")
    lines[0] = lines[0].replace("grant_stage1", "grant_stage_1")
    apps.write_text("\n".join(lines), encoding="utf-8")
    code, out, err = _run(["validate", str(call_copy), "--no-solve"], capsys)
    assert code == 1
    problems, warnings = err.split("Warning (not an error):\n")
    assert "1 problem:" in problems and "stage 1 budgets grants, but the table has no column 'grant_stage1'" in problems
    assert "unknown column 'grant_stage_1' is not read. Fix: did you mean 'grant_stage1'?" in warnings
