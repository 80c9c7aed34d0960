"""The call's record: the board's decision file kept apart from the recommendation (selection.board),
the call's dates (selection.model), and the operator's written assessments (selection.io.assessments)."""

from __future__ import annotations

import datetime
import json
import re
from pathlib import Path

import pandas as pd
import pytest

from selection.board import read_board_decisions
from selection.errors import InputError
from selection.model import Board, Call, Window, format_date

HEADER = "stage,application_id,decision,reason_en,reason_da,decided_by,decided_on\n"
BOARD = Board(name_da="Vækstforum", name_en="Vækstforum")


def _write(tmp_path: Path, text: str) -> Path:
    p = tmp_path / "board-decisions.csv"
    p.write_text(text, encoding="utf-8")
    return p


def _problems(exc: pytest.ExceptionInfo) -> list:
    return list(exc.value.problems)


def _set_stage1_record(call_dir: Path, rows: str) -> None:
    """Replace the example's decision file by ``rows`` (after the header)."""
    (call_dir / "board-decisions.csv").write_text(HEADER + rows, encoding="utf-8")


# --- reading and checking the file -----------------------------------------------------------------

def test_every_problem_of_a_decision_file_is_located(tmp_path):
    path = _write(tmp_path, HEADER + (
        "3,KP-01,selected,,,Vækstforum,2013-10\n"        # line 2: no stage 3
        "1,KP-99,selected,,,Vækstforum,2013-10\n"        # line 3: unknown application
        "1,KP-02,maybe,,,Vækstforum,2013-10\n"           # line 4: not a decision word
        "1,KP-03,selected,,,,2013-10\n"                  # line 5: nobody decided
        "1,KP-04,selected,,,Vækstforum,2013-02-30\n"     # line 6: no such day
        "1,KP-05,selected,,,Vækstforum,2013-10\n"
        "1,KP-05,not_selected,x,x,Vækstforum,2013-10\n"  # line 8: twice
    ))
    with pytest.raises(InputError) as exc:
        read_board_decisions(path, BOARD, stages=[1, 2], application_ids={f"KP-0{i}" for i in range(1, 6)},
                             display_name="board-decisions.csv")
    found = {(p.row, p.column): p for p in _problems(exc)}
    assert set(found) == {(2, "stage"), (3, "application_id"), (4, "decision"), (5, "decided_by"),
                          (6, "decided_on"), (8, "application_id")}
    assert all(p.file == "board-decisions.csv" and p.hint for p in found.values())
    assert "write 1, 2" in found[(2, "stage")].hint.replace("one of ", "")
    assert "selected or not_selected" in found[(4, "decision")].hint
    assert "no such day" in found[(6, "decided_on")].message
    assert "first in row 7" in found[(8, "application_id")].message


def test_missing_columns_name_the_closest(tmp_path):
    path = _write(tmp_path, "stage,application,decision,decided_by,date\n1,KP-01,selected,V,2013\n")
    with pytest.raises(InputError) as exc:
        read_board_decisions(path, BOARD, stages=[1], application_ids={"KP-01"}, display_name="d.csv")
    (p,) = _problems(exc)
    assert "application_id" in p.message and "decided_on" in p.message and p.row == 1
    assert "'application' to 'application_id'" in p.hint


def test_one_stage_is_one_decision(tmp_path):
    path = _write(tmp_path, HEADER + "2,A,selected,,,Vækstforum,2013-10\n2,B,selected,,,Vækstforum,2013-11\n")
    with pytest.raises(InputError) as exc:
        read_board_decisions(path, BOARD, stages=[2], application_ids={"A", "B"}, display_name="d.csv")
    (p,) = _problems(exc)
    assert p.row == 3 and p.column == "decided_on" and "more than one decided_on" in p.message


def test_danish_words_and_dates_are_read(tmp_path):
    path = _write(tmp_path, HEADER + "1,A,udvalgt,,,Vækstforum,2013-01-30\n1,B,ikke_udvalgt,r,r,Vækstforum,2013-01-30\n")
    d = read_board_decisions(path, BOARD, stages=[1], application_ids={"A", "B"})
    assert d.selected(1) == ["A"] and d.decided(1) and not d.decided(2)
    assert d.by_stage[1]["B"].reason == "r" and d.by_stage[1]["A"].decided_on == "2013-01-30"


# --- the run: recommendation beside decision --------------------------------------------------------

def test_the_example_keeps_recommendation_and_decision_apart(example_result):
    sr = example_result.stages[2]
    table = sr.board
    assert table is not None and sr.board_warnings == ()
    assert set(table[table["recommended"]]["application_id"]) == set(sr.outcome.selected)
    decided = set(table[table["decided"]]["application_id"])
    assert decided == set(sr.outcome.selected) - {"KP-33"}
    dev = table[table["deviation"]]
    assert list(dev["application_id"]) == ["KP-33"] and "financing" in dev["reason"].iloc[0]
    assert "finansiering" in dev["reason_da"].iloc[0]
    assert set(table["decided_by"]) == {"Vækstforum"} and set(table["decided_on"]) == {"2013-10"}
    # the engine's own selection table is untouched by the board's decision
    assert "KP-33" in set(sr.selection[sr.selection["selected"]]["application_id"])


def test_stage2_chooses_among_the_boards_stage1_decision(call_copy, example_result):
    """The board swaps one of the 8: stage 2 chooses among the board's 8, not the recommendation's."""
    from selection.pipeline import load_call_folder, run_call

    rec = list(example_result.stages[1].outcome.selected)
    r1 = example_result.stages[1].ranking
    out, into = _stage1_record_with_a_swap(call_copy, example_result)
    result = run_call(load_call_folder(call_copy))
    s2 = result.stages[2]
    assert s2.candidates_from_board and s2.board is None
    assert set(s2.ranking.index) == set(rec) - {out} | {into}
    assert result.stages[1].board is not None
    assert list(result.stages[1].board.query("deviation")["application_id"]) == sorted(
        [out, into], key=lambda a: int(r1.loc[a, "rank"]))


def test_gaps_in_the_record_are_warnings_naming_the_file(call_copy, example_result):
    from selection.pipeline import load_call_folder, run_call

    rec = list(example_result.stages[2].outcome.selected)
    # one recommended application without a row, one deviation without a reason
    rows = "".join(f"2,{a},selected,,,Vækstforum,2013-10\n" for a in rec[2:])
    rows += f"2,{rec[1]},not_selected,,,Vækstforum,2013-10\n"
    _set_stage1_record(call_copy, rows)
    result = run_call(load_call_folder(call_copy))
    warnings = {p.message: p for p in result.stages[2].board_warnings}
    assert any(m.startswith(f"{rec[0]} is recommended in stage 2, but the decision file has no row")
               for m in warnings)
    reasonless = next(p for m, p in warnings.items() if m.startswith(f"{rec[1]} is not selected although"))
    assert reasonless.file == "board-decisions.csv" and reasonless.row == len(rec[2:]) + 2
    assert reasonless.column == "reason_en"


def test_run_and_validate_print_the_gaps_as_warnings(call_copy, example_result, tmp_path, capsys):
    from selection.cli import main

    rec = list(example_result.stages[2].outcome.selected)
    _set_stage1_record(call_copy, "".join(f"2,{a},selected,,,Vækstforum,2013-10\n" for a in rec[1:]))
    for argv in (["run", str(call_copy), "--out", str(tmp_path / "runs"), "--quiet"], ["validate", str(call_copy)]):
        assert main(argv) == 0
        err = capsys.readouterr().err
        assert (f"Warning (not an error): the board's record of stage 2: board-decisions.csv, column application_id: "
                f"{rec[0]} is recommended in stage 2, but the decision file has no row for it") in err


def test_run_cli_writes_both_and_the_manifest_says_which_stage1_stage2_used(example_dir, tmp_path, capsys):
    from selection import schema
    from selection.cli import main

    assert main(["run", str(example_dir), "--out", str(tmp_path), "--quiet"]) == 0
    run = next(tmp_path.iterdir())
    assert schema.check_folder(run, "run") == []
    table = pd.read_csv(run / schema.BOARD_DECISIONS.file(2))
    assert list(table.columns) == list(schema.BOARD_DECISIONS.columns)
    manifest = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["board"]["decided_stages"] == [2]
    assert manifest["board"]["candidates_from"] == {"2": "recommendation"}
    assert manifest["inputs"]["board-decisions.csv"]
    assert manifest["dates"]["stages"]["1"]["window"] == {"start": "2012-12", "end": "2013-01"}
    assessed = pd.read_csv(run / schema.ASSESSMENTS.file(2))
    assert set(assessed["application_id"]) == set(manifest["selected"]["1"])
    assert set(assessed["language"]) == {"da", "en"}


def test_a_named_decision_file_that_does_not_exist_is_an_error(call_copy, capsys):
    from selection.cli import main

    (call_copy / "board-decisions.csv").unlink()
    assert main(["validate", str(call_copy)]) == 1
    err = capsys.readouterr()
    text = err.out + err.err
    assert "call.toml, board.decisions" in text and "does not exist" in text and "Traceback" not in text


def test_a_bad_decision_file_stops_the_run_and_writes_nothing(call_copy, tmp_path, capsys):
    from selection.cli import main

    _set_stage1_record(call_copy, "2,KP-05,yes,,,Vækstforum,2013-10\n")
    before = (call_copy / "board-decisions.csv").read_bytes()
    out = tmp_path / "runs"
    assert main(["run", str(call_copy), "--out", str(out)]) == 1
    text = "".join(capsys.readouterr())
    assert "board-decisions.csv, row 2, column decision" in text
    assert not out.exists() or not any(out.iterdir())
    assert (call_copy / "board-decisions.csv").read_bytes() == before


# --- dates ------------------------------------------------------------------------------------------

def test_call_dates_are_days_months_or_years():
    assert Window(start=datetime.date(2012, 8, 28)).describe("da") == "28. august 2012"
    assert Window(start="2012-12", end="2013-01").describe() == "December 2012 – January 2013"
    assert format_date("2013", "da") == "2013"
    for bad, words in (("2013-13", "no month 13"), ("18.01.2013", "is not a date"), ("2013-02-29", "no such day")):
        with pytest.raises(ValueError, match=words):
            Window(start=bad)
    with pytest.raises(ValueError, match="ends .* before it starts"):
        Window(start="2013-02", end="2013-01-31")
    Window(start="2013-01", end="2013-01-31")  # a day within the month it starts: fine


def test_date_problems_in_the_call_file_name_the_key(call_copy, capsys):
    from selection.cli import main

    toml = call_copy / "call.toml"
    text = toml.read_text(encoding="utf-8")
    text = text.replace('window = { start = "2012-12", end = "2013-01" }', 'window = { start = "2013-01", end = "2012-12" }')
    text = text.replace("scores_due = 2013-01-18", 'scores_due = "18.01.2013"')
    toml.write_text(text, encoding="utf-8")
    assert main(["validate", str(call_copy)]) == 1
    out = "".join(capsys.readouterr())
    assert re.search(r"call.toml, stages\[0\] \(stage 1\)\.window: .*ends \(2012-12\) before it starts", out)
    assert re.search(r"call.toml, stages\[0\] \(stage 1\)\.scores_due: .*is not a date", out)


def test_a_later_stage_cannot_start_before_the_one_it_chooses_from():
    base = {"schema_version": 1, "id": "c", "name": "C", "stages": [
        {"number": 1, "name": "one", "catalogue": "a.toml", "max_selected": 2, "window": {"start": "2013-10"}},
        {"number": 2, "name": "two", "catalogue": "b.toml", "max_selected": 1, "from_stage": 1,
         "window": {"start": "2013-01"}}]}
    with pytest.raises(ValueError, match="stage 2 starts .* before stage 1"):
        Call.model_validate(base)


# --- the operator's assessments ---------------------------------------------------------------------

def test_assessment_problems_are_all_located(call_copy, capsys):
    from selection.cli import main

    folder = call_copy / "assessments" / "stage2"
    (folder / "KP-99.md").write_text("text", encoding="utf-8")              # unknown application
    (folder / "KP-05.md").write_text("both languages", encoding="utf-8")    # beside KP-05.da.md
    (folder / "KP-20.da.md").write_bytes("Fødevarer".encode("cp1252"))      # not UTF-8
    (folder / "KP-21.en.md").write_text("  \n", encoding="utf-8")           # empty
    (folder / "notes.docx").write_bytes(b"PK")                              # not an assessment name
    assert main(["validate", str(call_copy)]) == 1
    out = "".join(capsys.readouterr())
    for where, what in (("KP-99.md", "no application 'KP-99'"), ("KP-05.md", "a second assessment of KP-05"),
                        ("KP-20.da.md", "not UTF-8 text"), ("KP-21.en.md", "the assessment is empty"),
                        ("notes.docx", "not an assessment file name")):
        assert re.search(rf"assessments/stage2/{re.escape(where)}: {what}", out), (where, out)
    assert "Traceback" not in out


def test_assessment_text_by_language(tmp_path):
    from selection.io.assessments import read_assessments

    (tmp_path / "A.md").write_text("\ufeffbegge / both\r\n", encoding="utf-8")
    (tmp_path / "B.da.md").write_text("dansk", encoding="utf-8")
    got = read_assessments(tmp_path, root=tmp_path, application_ids={"A", "B"})
    assert got["A"].text("da") == got["A"].text("en") == "begge / both"
    assert got["B"].text("da") == "dansk" and got["B"].text("en") == "dansk"  # the one there is


def test_the_comparison_columns_are_the_schemas():
    from selection import schema
    from selection.board import comparison_columns

    assert comparison_columns() == list(schema.BOARD_DECISIONS.columns)


# --- the report: recommendation beside decision, dates, assessments -----------------------------------

@pytest.fixture(scope="module")
def example_reports(example_dir, tmp_path_factory):
    """The example's run folder and its report, in English and Danish (visible text and workbook)."""
    import io as _io

    import openpyxl

    from selection.cli import main
    from selection.report import build_report, load_report_inputs

    out = tmp_path_factory.mktemp("record-report")
    assert main(["run", str(example_dir), "--out", str(out), "--quiet"]) == 0
    run = next(out.iterdir())
    got = {}
    for lang in ("en", "da"):
        html, xlsx = build_report(load_report_inputs(run), lang=lang)
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).replace("&#x27;", "'").replace("&#39;", "'")
        got[lang] = (html, text, openpyxl.load_workbook(_io.BytesIO(xlsx)))
    return got


def test_report_shows_recommendation_and_decision_side_by_side(example_reports):
    html, text, wb = example_reports["en"]
    assert 'id="decision"' in html
    assert "The secretariat of Vækstforum recommends; Vækstforum (the regional growth forum) decides." in text
    assert "Stage 2: Vækstforum (the regional growth forum) decided October 2013: 4 selected (KP-05, KP-20, KP-03, KP-21)." in text
    assert "Deviations from the recommendation: 1" in text
    assert re.search(r"8 KP-33 Radiodrama til skoler yes no yes the business plan's financing", text)
    sheet = wb["Decision stage 2"]
    rows = [[c.value for c in r] for r in sheet.iter_rows()]
    header = next(r for r in rows if r and "Recommended" in r)
    assert header[:6] == ["Rank", "Application", "Title", "Recommended", "Decided", "Deviation"]
    kp33 = next(r for r in rows if "KP-33" in r)
    assert kp33[3:6] == ["yes", "no", "yes"]
    # every candidate of the stage is in the workbook, the HTML shows the relevant ones
    assert sum(1 for r in rows if r and isinstance(r[1], str) and r[1].startswith("KP-")) == 8


def test_the_one_page_summary_says_recommended_and_what_the_board_decided(example_reports):
    """The decision in brief must not call the recommendation the selection once the board has decided
    otherwise: stage 2 is 'recommended', followed by the board's decision and its deviation count."""
    for lang, rec, decided, dev in (
            ("en", "Recommended: 5 of at most 5.", "Vækstforum (the regional growth forum) decided October 2013: "
             "4 selected (KP-05, KP-20, KP-03, KP-21).", "Deviations from the recommendation: 1"),
            ("da", "Indstillet: 5 af højst 5.", "Vækstforum besluttede oktober 2013: 4 udvalgt (KP-05, KP-20, KP-03, "
             "KP-21).", "Afvigelser fra indstillingen: 1")):
        html, _, _ = example_reports[lang]
        summary = html.split('id="summary"', 1)[1].split("</section>", 1)[0]
        text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", summary))
        assert rec in text and decided in text and dev in text, lang
        stage1 = text.split("Fase 2" if lang == "da" else "Stage 2", 1)[0]
        assert ("Udvalgt: 8 af højst 8." if lang == "da" else "Selected: 8 of at most 8.") in stage1  # not decided


def test_dossiers_carry_the_decision_and_the_operators_assessment(example_reports):
    _, en, _ = example_reports["en"]
    _, da, _ = example_reports["da"]
    assert ("Stage 2 — decision of Vækstforum not selected by Vækstforum (the regional growth forum) "
            "(October 2013), against the recommendation: the business plan's financing") in en
    assert "Stage 2 — the operator's assessment Radio drama for schools has a finished concept" in en
    assert "Fase 2 — Vækstforums beslutning ikke udvalgt af Vækstforum (oktober 2013), imod indstillingen" in da
    assert "Fase 2 — operatørens faglige vurdering Radiodrama til skoler har et færdigt koncept" in da


def test_report_lists_the_calls_time_table_in_both_languages(example_reports):
    _, en, _ = example_reports["en"]
    _, da, wb = example_reports["da"]
    assert "Recommendation to Vækstforum 28 August 2012" in en
    assert "Stage 1: Modningsfase / Maturation phase 2012-2013 December 2012 – January 2013; scores due 18 January 2013" in en
    assert "Indstilling til Vækstforum 28. august 2012" in da
    assert "frist for point 18. januar 2013" in da and "Projektfase 2014 – 2017" in da
    assert "året er sekretariatets læsning" in da and "the year is the secretariat's reading" in en
    assert "Tidsplan" in wb.sheetnames and "Beslutning fase 2" in wb.sheetnames
    # the Danish section is Danish
    section = da[da.index("Indstilling og beslutning Vækstforums"):da.index("Scenarier", da.index("Indstilling og beslutning Vækstforums"))]
    section = section.replace("board-decisions.csv", "")  # the file's name is a name
    for english in ("recommend", "decided", "Deviation", "Reason", "selected", "board"):
        assert english not in section, english


def test_a_run_without_record_gives_the_report_as_before(tmp_path):
    """An older run folder (no board, no dates, no assessments): no section, no dossier lines."""
    from selection.report.bundle import RunBundle
    from selection.report.record import board_summary, dossier_facts, timeline_frame

    run = RunBundle(tmp_path, {"kind": "run", "parameters": {"stages": {"1": {}}}}, {}, {})
    assert board_summary(run, "en") == [] and timeline_frame(run, "da") is None
    assert dossier_facts(run, "KP-01", 1, "en") == []


def _stage1_record_with_a_swap(call_dir: Path, result) -> tuple[str, str]:
    """Write a stage-1 record in which the board swaps the last recommended for the best other
    eligible application; returns (left out, taken in)."""
    rec = list(result.stages[1].outcome.selected)
    r1 = result.stages[1].ranking
    out, into = rec[-1], next(a for a in r1.index if a not in rec and bool(r1.loc[a, "eligible"]))
    rows = "".join(f"1,{a},selected,,,Operatøren,2013-01\n" for a in rec if a != out)
    rows += f"1,{out},not_selected,withdrew,trak sig,Operatøren,2013-01\n"
    rows += f"1,{into},selected,moves up,rykker op,Operatøren,2013-01\n"
    _set_stage1_record(call_dir, rows)
    return out, into


def test_linked_mode_with_a_board_that_deviated_in_stage1(call_copy, example_result):
    """The linked promise is about the recommendation; a board that swapped one of the 8 voids it,
    and stage 2 is solved among the board's 8 (no 'promised ... delivers' error)."""
    from selection.pipeline import load_call_folder, run_call

    out, into = _stage1_record_with_a_swap(call_copy, example_result)
    toml = call_copy / "call.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace('seed = 2012\n', 'seed = 2012\nselection_mode = "linked"\n', 1),
                    encoding="utf-8")
    result = run_call(load_call_folder(call_copy))
    s2 = result.stages[2]
    assert s2.candidates_from_board and into in s2.ranking.index and out not in s2.ranking.index
    assert set(s2.outcome.selected) <= set(s2.ranking.index)


def test_a_board_choice_without_later_scores_is_named(call_copy, example_result, capsys):
    """Stage 2 chooses among the board's 8: one of them without stage-2 scores is a located error."""
    from selection.cli import main

    out, into = _stage1_record_with_a_swap(call_copy, example_result)
    for f in (call_copy / "scores" / "stage2").glob("*.csv"):
        lines = f.read_text(encoding="utf-8").splitlines(keepends=True)
        f.write_text("".join(line for line in lines if f",{into}," not in line and f";{into};" not in line),
                     encoding="utf-8")
    assert main(["run", str(call_copy), "--out", str(call_copy.parent / "runs")]) == 1
    text = "".join(capsys.readouterr())
    assert f"application {into}, selected in stage 1, has scores from 0 expert(s) in stage 2" in text
    assert "scores/stage2" in text and "Traceback" not in text


def test_stage2_assignment_follows_the_boards_stage1_decision(call_copy, example_result, tmp_path, capsys):
    from selection.cli import main

    out, into = _stage1_record_with_a_swap(call_copy, example_result)
    runs = tmp_path / "runs"
    assert main(["run", str(call_copy), "--out", str(runs), "--quiet"]) == 0
    run = next(runs.iterdir())
    capsys.readouterr()
    target = tmp_path / "assign-stage2.csv"
    assert main(["assign", str(call_copy), "--stage", "2", "--run", str(run), "--out", str(target)]) == 0
    assert "assigns among the board's stage-1 decision (board-decisions-stage1.csv)" in capsys.readouterr().out
    rows = pd.read_csv(target)
    assigned = set(rows[rows["stage"] == 2]["application_id"])  # the file keeps stage 1's rows
    board = pd.read_csv(run / "board-decisions-stage1.csv")
    assert assigned == set(board[board["decided"]]["application_id"])
    assert into in assigned and out not in assigned


def test_a_scenario_run_says_its_recommendation_is_not_the_one_decided(tmp_path):
    from selection.report.bundle import RunBundle
    from selection.report.record import board_summary

    manifest = {"kind": "run", "scenario": "equal-weights", "parameters": {"stages": {"2": {}}},
                "board": {"name_da": "Vækstforum", "name_en": "Vækstforum", "recommender_da": "Sekretariatet",
                          "recommender_en": "The secretariat", "file": "board-decisions.csv", "decided_stages": [2],
                          "candidates_from": {}}}
    text = " ".join(board_summary(RunBundle(tmp_path, manifest, {}, {}), "da"))
    assert "Denne kørsel er scenariet equal-weights" in text
    manifest["scenario"] = "baseline"
    assert "scenariet" not in " ".join(board_summary(RunBundle(tmp_path, manifest, {}, {}), "da"))
