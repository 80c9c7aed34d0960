"""Hostile names, faults and messages (issue 11): each ends in a clear message with the right exit
code, no traceback, no output folder and unchanged inputs."""

from __future__ import annotations

import errno
import hashlib
import io
import json
import os
import shutil
import stat
import subprocess
import sys
import threading
from pathlib import Path

import openpyxl
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selection.cli import EXIT_BUG, main
from selection.io.workbook import SCORES_SHEET


def _run(args, capsys):
    try:
        code = main([str(a) for a in args])
    except SystemExit as exc:  # argparse: a usage mistake
        code = exc.code
    out = capsys.readouterr()
    return code, out.out, out.err


def _digests(root: Path) -> dict[Path, str]:
    return {p: hashlib.sha256(p.read_bytes()).hexdigest() for p in sorted(root.rglob("*"))
            if p.is_file() and "runs" not in p.parts}


# --- item 7: --scenario is a name ---------------------------------------------------------------

@pytest.mark.parametrize("name", ["../../../x", "/etc/passwd", "a/b", "..", "x.toml", ""])
def test_scenario_must_be_a_name_not_a_path(call_copy, tmp_path, capsys, name):
    (call_copy.parent / "x.toml").write_text('name = "x"\n', encoding="utf-8")
    before = _digests(call_copy)
    out = tmp_path / "out"
    code, text, err = _run(["run", call_copy, "--scenario", name, "--out", out], capsys)
    assert code == 1 and "Traceback" not in err
    assert "--scenario" in err and "not a scenario name" in err and "scenarios/" in err
    assert not out.exists() and _digests(call_copy) == before
    assert not any(p.name.endswith("-x") for p in tmp_path.rglob("*"))


def test_library_refuses_a_scenario_path_too(call_copy):
    from selection.errors import InputError
    from selection.pipeline import load_call_folder

    with pytest.raises(InputError) as exc:
        load_call_folder(call_copy, "../../x")
    assert exc.value.problems[0].key == "--scenario"


# --- item 12: concurrent runs, killed runs ------------------------------------------------------

def test_concurrent_writers_into_one_folder_each_land(tmp_path):
    """Eight threads write a run folder with the same name at the same moment: all eight land,
    in target, target-2, ... target-8, each complete."""
    from selection.runs import write_run

    target = tmp_path / "20261129T101010Z-baseline"
    barrier = threading.Barrier(8)
    results, errors = [], []

    def one(k):
        try:
            barrier.wait()
            results.append(write_run(target, {"t.csv": pd.DataFrame({"k": [k]})}, {"kind": "test"},
                                     [], tmp_path))
        except Exception as exc:  # noqa: BLE001
            errors.append(exc)

    threads = [threading.Thread(target=one, args=(k,)) for k in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert errors == []
    assert sorted(p.name for p in results) == sorted(
        [target.name] + [f"{target.name}-{k}" for k in range(2, 9)])
    assert sorted(int(pd.read_csv(p / "t.csv")["k"][0]) for p in results) == list(range(8))
    assert all((p / "manifest.json").is_file() for p in results)
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporary left


def test_two_run_processes_at_once_both_land(example_dir, tmp_path):
    out = tmp_path / "runs"
    cmd = [sys.executable, "-m", "selection", "run", str(example_dir), "--out", str(out), "--quiet"]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
             for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    folders = sorted(Path(o.strip()) for o, _ in outs)
    assert len(set(folders)) == 2 and all(f.parent == out for f in folders)
    a, b = ((f / "selection-stage1.csv").read_bytes() for f in folders)
    assert a == b  # the same inputs give the same results
    assert sorted(p.name for p in out.iterdir()) == sorted(f.name for f in folders)


def test_a_killed_runs_temporary_folder_is_cleaned_up_by_the_next_command(call_copy, tmp_path,
                                                                          capsys):
    from selection.io.export import _host

    out = tmp_path / "runs"
    out.mkdir()
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                          capture_output=True, text=True).stdout.strip()
    stale = out / f".20261129T000000Z-baseline.partial.{dead}.{_host()}.abc123"
    stale.mkdir()
    (stale / "ranking.csv").write_text("half", encoding="utf-8")
    remote = out / ".20261129T000000Z-panel.partial.1.some-other-pc.xyz"
    remote.mkdir()
    code, text, err = _run(["run", call_copy, "--out", out, "--quiet"], capsys)
    assert code == 0, err
    assert not stale.exists() and remote.exists()
    assert f"Note: removed {stale}, the temporary folder of an interrupted run" in err
    assert f"{remote} is the temporary folder of a run on another computer" in err


# --- item 13: unwritable output, full disk, encodings, bugs -------------------------------------

@pytest.mark.parametrize("command", ["run", "scenarios", "sensitivity"])
def test_out_naming_a_file(call_copy, tmp_path, capsys, command):
    """Refused before anything is computed."""
    import time

    f = tmp_path / "notes.txt"
    f.write_text("x", encoding="utf-8")
    t0 = time.perf_counter()
    code, _, err = _run([command, call_copy, "--out", f], capsys)
    assert code == 1 and "Traceback" not in err
    assert f"{f}: --out names a file, not a folder" in err and "Fix:" in err
    assert f.read_text(encoding="utf-8") == "x"
    assert time.perf_counter() - t0 < 30  # not after a whole sensitivity analysis


def test_read_only_out(call_copy, tmp_path, capsys, monkeypatch):
    out = tmp_path / "ro"
    out.mkdir()
    real = os.access
    monkeypatch.setattr(os, "access", lambda p, m, **kw: False if Path(p) == out else real(p, m, **kw))
    code, _, err = _run(["run", call_copy, "--out", out, "--quiet"], capsys)
    assert code == 1 and "Traceback" not in err
    assert f"cannot write into {out}: permission denied or a read-only file system" in err
    assert list(out.iterdir()) == []


@pytest.mark.parametrize("err_no, words", [(errno.ENOSPC, "the disk is full"),
                                           (errno.EROFS, "read-only file system"),
                                           (errno.EACCES, "permission denied")])
def test_write_failing_midway_leaves_nothing_and_says_why(call_copy, tmp_path, capsys,
                                                          monkeypatch, err_no, words):
    import pathlib

    calls = []

    def failing(path, data):  # the disk fails while the run's third table is written
        if path.suffix == ".csv":
            calls.append(path)
            if len(calls) == 3:
                raise OSError(err_no, os.strerror(err_no), str(path))
        return real(path, data)

    real = pathlib.Path.write_bytes
    monkeypatch.setattr(pathlib.Path, "write_bytes", failing)
    out = tmp_path / "out"
    before = _digests(call_copy)
    code, _, err = _run(["run", call_copy, "--out", out, "--quiet"], capsys)
    assert code == 1 and "Traceback" not in err and words in err
    assert str(calls[2]) in err and "Fix:" in err
    assert list(out.iterdir()) == []  # the partial folder is removed
    assert _digests(call_copy) == before


def test_non_utf8_terminal_does_not_crash(example_dir, tmp_path):
    env = {**os.environ, "PYTHONIOENCODING": "cp850"}
    for args in (["run", str(example_dir), "--out", str(tmp_path)],
                 ["sheets", str(example_dir), "--out", str(tmp_path / "s"), "--expert", "E04"]):
        if args[0] == "sheets":  # the key made by sheets goes into a copy, not the repository
            shutil.copytree(example_dir.parent.parent / "criteria", tmp_path / "criteria",
                            dirs_exist_ok=True)
            call = tmp_path / "examples" / "kp"
            shutil.copytree(example_dir, call, ignore=shutil.ignore_patterns("runs"))
            args[1] = str(call)
        p = subprocess.run([sys.executable, "-m", "selection", *args], capture_output=True,
                           env=env, timeout=300)
        assert p.returncode == 0, p.stderr.decode("cp850", "replace")
        assert b"Traceback" not in p.stderr
    assert "Jens ?kj?r" in p.stdout.decode("cp850") or "Jens Åkjær" in p.stdout.decode("cp850")


def test_unexpected_error_is_exit_3_with_saved_traceback(call_copy, tmp_path, capsys, monkeypatch):
    import selection.pipeline as pipeline

    def broken(*a, **k):
        raise ZeroDivisionError("boom")

    monkeypatch.setattr(pipeline, "run_call", broken)
    monkeypatch.setenv("TMPDIR", str(tmp_path))
    import tempfile

    monkeypatch.setattr(tempfile, "tempdir", None)
    out = tmp_path / "out"
    code, text, err = _run(["run", call_copy, "--out", out], capsys)
    assert code == EXIT_BUG == 3
    lines = err.strip().splitlines()
    assert len(lines) == 1 and "a bug in selection, not a problem with your input" in lines[0]
    assert "ZeroDivisionError: boom" in lines[0] and "Traceback" not in err
    saved = Path(lines[0].split("the traceback is saved in ")[1].split(". ")[0])
    assert saved.parent == tmp_path and "Traceback" in saved.read_text(encoding="utf-8")
    assert not out.exists()


# --- item 18: permissions, sheets into the score folder -----------------------------------------

def test_run_folders_respect_the_umask(tmp_path):
    from selection.runs import write_run

    old = os.umask(0o022)
    try:
        a = write_run(tmp_path / "a", {"t.csv": pd.DataFrame({"k": [1]})}, {}, [], tmp_path)
        os.umask(0o077)
        b = write_run(tmp_path / "b", {"t.csv": pd.DataFrame({"k": [1]})}, {}, [], tmp_path)
    finally:
        os.umask(old)
    assert stat.S_IMODE(a.stat().st_mode) == 0o755
    assert stat.S_IMODE((a / "t.csv").stat().st_mode) == 0o644
    assert stat.S_IMODE(b.stat().st_mode) == 0o700


def test_sheets_into_the_calls_score_folder_is_refused(call_copy, capsys):
    before = _digests(call_copy)
    for out in (call_copy / "scores" / "stage1", call_copy / "scores"):
        code, _, err = _run(["sheets", call_copy, "--out", out], capsys)
        assert code == 1 and "Traceback" not in err
        assert "--out is inside the call's score folder" in err and "selection import" in err
    assert _digests(call_copy) == before and not (call_copy / ".selection-key").exists()


# --- item 4 from the command line ---------------------------------------------------------------

def test_sheets_make_a_private_key_and_import_checks_it(call_copy, tmp_path, capsys):
    (call_copy / "scores" / "stage1" / "expert-01.csv").unlink()  # E01 returns a workbook instead
    out = tmp_path / "sheets"
    code, text, err = _run(["sheets", call_copy, "--out", out, "--expert", "E01"], capsys)
    assert code == 0, err
    key = call_copy / ".selection-key"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600 and "secret sheet key" in text
    (sheet,) = out.glob("*.xlsx")
    assert key.read_text().strip() not in sheet.read_bytes().decode("latin-1")
    # a second sheets run keeps the key
    first = key.read_bytes()
    assert _run(["sheets", call_copy, "--out", out, "--expert", "E01", "--force"], capsys)[0] == 0
    assert key.read_bytes() == first
    wb = openpyxl.load_workbook(sheet)
    ws = wb[SCORES_SHEET]
    r = 7
    while ws.cell(r, 1).value:
        if ws.cell(r, 3).value != "inhabil / conflict":
            for c in range(3, 11):
                ws.cell(r, c).value = 3
        r += 1
    wb.save(sheet)
    code, text, err = _run(["import", call_copy, sheet, "--dry-run"], capsys)
    assert code == 0, err
    # the same sheet offered to another copy of the call (another key) is refused
    other = tmp_path / "other" / "examples" / "kp"
    shutil.copytree(call_copy.parent.parent / "criteria", tmp_path / "other" / "criteria")
    shutil.copytree(call_copy, other)
    (other / ".selection-key").unlink()
    code, _, err = _run(["sheets", other, "--out", tmp_path / "o", "--expert", "E02"], capsys)
    assert code == 0
    code, _, err = _run(["import", other, sheet, "--dry-run"], capsys)
    assert code == 1 and "signed with another key" in err and "Traceback" not in err


def test_manifest_records_no_key(call_copy, tmp_path, capsys):
    """The key is never an input of a run nor written into a run folder."""
    assert _run(["sheets", call_copy, "--out", tmp_path / "s", "--expert", "E01"], capsys)[0] == 0
    code, text, _ = _run(["run", call_copy, "--out", tmp_path / "r", "--quiet"], capsys)
    run = Path(text.strip())
    m = json.loads((run / "manifest.json").read_text())
    assert not any(".selection-key" in k for k in m["inputs"])
    secret = (call_copy / ".selection-key").read_text().strip()
    assert all(secret not in p.read_text(encoding="utf-8", errors="replace")
               for p in run.iterdir())


# --- item 9: "$...$" in labels is plain text ----------------------------------------------------

def test_dollar_pairs_in_labels_are_drawn_as_plain_text(tmp_path):
    import io

    from selection import plot

    frame = pd.DataFrame({"stage": 1, "application_id": ["A", "B"], "rank": [1, 2],
                          "title": ["Pris $x$ og $\\frac{1}{0}$", "Søren $$ Ø"],
                          "score": [3.0, 2.0], "eligible": [True, True], "selected": [True, False]})
    ax = plot.ranking(frame, threshold=1.0, funding_line=1)
    ax.set_title("Ekspert $y$")  # drawn later, outside the style context, as the report does
    ax.figure.savefig(io.BytesIO(), format="png")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert any("$x$" in t for t in labels)
    assert all(not t.get_parse_math() for t in [*ax.get_yticklabels(), ax.title])


def test_report_with_dollar_signs_in_titles_and_names(call_copy, tmp_path, capsys):
    apps = call_copy / "applications.csv"
    apps.write_text(apps.read_text(encoding="utf-8").replace("Lyd på landet", "Lyd $x^$ på landet"),
                    encoding="utf-8")
    experts = call_copy / "experts.csv"
    experts.write_text(experts.read_text(encoding="utf-8").replace("Anne Østergaard", "Anne $\\y$"),
                       encoding="utf-8")
    code, text, err = _run(["run", call_copy, "--out", tmp_path / "runs", "--quiet"], capsys)
    assert code == 0, err
    run = Path(text.strip())
    code, text, err = _run(["report", run], capsys)
    assert code == 0 and "Traceback" not in err, err
    assert "Lyd $x^$ på landet" in (run / "report.html").read_text(encoding="utf-8")


# --- item 8: output CSVs safe at , and ; -- ids exact -------------------------------------------

_FORMULA = ("=", "+", "-", "@", "\t", "\r")


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


def _live_formulas(path: Path) -> list[tuple[str, str]]:
    """Fields a spreadsheet splitting ``path`` at ``,`` or at ``;`` would read as a formula."""
    import csv

    bad = []
    text = path.read_text(encoding="utf-8")
    for sep in (",", ";"):
        for row in csv.reader(io.StringIO(text, newline=""), delimiter=sep):
            bad += [(sep, f) for f in row if f.startswith(_FORMULA) and not _is_number(f)]
    return bad


@settings(max_examples=60, deadline=None)
@given(st.lists(st.tuples(st.text(st.characters(exclude_categories=("Cs", "Cc")), max_size=12),
                          st.text(st.sampled_from('=+-@;,"\t\n\r ab1Øæ\'|'), max_size=12)),
                min_size=1, max_size=6))
def test_any_text_is_safe_at_comma_and_semicolon_and_ids_come_back(tmp_path_factory, rows):
    from selection.io.export import neutralise, write_csv

    path = tmp_path_factory.mktemp("csv") / "t.csv"
    from selection.io.tables import formula_id_problems

    ids = [f"A{k}{t}" for k, (t, _) in enumerate(rows)]
    ids = [i for i in ids if not formula_id_problems({"id": i}, ["id"], "a.csv", 1)] or ["A"]
    rows = rows[:len(ids)]  # the ids the input readers accept
    frame = pd.DataFrame({"application_id": ids, "title": [t for _, t in rows], "n": range(len(rows))})
    write_csv(frame, path)
    back = pd.read_csv(path, dtype=str, keep_default_na=False)
    assert back["application_id"].tolist() == ids  # exactly, whatever they hold
    assert back["title"].tolist() == [neutralise(t) for _, t in rows]
    assert _live_formulas(path) == []


def test_every_output_csv_of_a_run_joins_back_exactly_and_is_safe(call_copy, tmp_path, capsys):
    apps_file = call_copy / "applications.csv"
    apps = pd.read_csv(apps_file, dtype=str, keep_default_na=False)
    hostile = {"KP-01": "Lyd;=cmd|' /C calc'!A0;x", "KP-02": "-2+3 møbler, \"citat\"\tfane",
               "KP-03": "@SUM(1;2)"}
    apps["title"] = [hostile.get(a, t) for a, t in zip(apps["application_id"], apps["title"],
                                                       strict=True)]
    apps.to_csv(apps_file, index=False)
    code, text, err = _run(["run", call_copy, "--out", tmp_path / "runs", "--quiet"], capsys)
    assert code == 0, err
    run = Path(text.strip())
    ids = set(apps["application_id"])
    csvs = sorted(run.glob("*.csv"))
    assert len(csvs) >= 5
    joined = 0
    for f in csvs:
        assert _live_formulas(f) == [], f.name
        table = pd.read_csv(f, dtype=str, keep_default_na=False)
        if "application_id" in table.columns:
            assert set(table["application_id"]) <= ids, f.name
            merged = table.merge(apps[["application_id"]], on="application_id", how="inner",
                                 validate="many_to_one")
            assert len(merged) == len(table), f.name
            joined += 1
    assert joined >= 4
    ranking = pd.read_csv(run / "ranking.csv", dtype=str, keep_default_na=False)
    titles = dict(zip(ranking["application_id"], ranking["title"], strict=False))
    assert titles["KP-01"] == "Lyd;'=cmd|' /C calc'!A0;x" and titles["KP-03"] == "'@SUM(1;2)"


# --- item 16: a damaged manifest.json is named key by key ---------------------------------------

@pytest.fixture(scope="module")
def a_run(tmp_path_factory, example_dir):
    out = tmp_path_factory.mktemp("runs")
    assert main(["run", str(example_dir), "--out", str(out), "--quiet"]) == 0
    return next(out.iterdir())


@pytest.mark.parametrize("path, bad", [
    (["parameters"], "x"), (["parameters", "stages"], [1]), (["parameters", "stages", "1"], 7),
    (["parameters", "stages", "1", "max_selected"], "8"),
    (["parameters", "stages", "1", "thresholds", "effekt"], "high"),
    (["parameters", "stages", "1", "weights"], None),
    (["parameters", "stages", "2", "criterion_names", "effekt"], "Effekt"),
    (["parameters", "call"], ["KP"]), (["rules", "1"], {"a": 1}), (["rules", "1", 0, "used"], "x"),
    (["rules", "1", 0, "binding"], "yes"), (["rules", "1", 0, "members"], "KP-01"),
    (["selected", "1"], "KP-01"), (["created_utc"], "yesterday"), (["kind"], 3),
])
def test_damaged_manifest_names_the_key(a_run, tmp_path, capsys, path, bad):
    run = tmp_path / a_run.name
    shutil.copytree(a_run, run)
    mf = run / "manifest.json"
    data = json.loads(mf.read_text(encoding="utf-8"))
    node = data
    for k in path[:-1]:
        node = node[k]
    node[path[-1]] = bad
    mf.write_text(json.dumps(data), encoding="utf-8")
    before = _digests(run)
    code, _, err = _run(["report", run], capsys)
    key = ".".join(map(str, path))
    assert code == 1 and "Traceback" not in err and "bug" not in err, err
    assert f"manifest.json, {key}:" in err or (key == "kind" and "kind" in err), err
    assert _digests(run) == before and not (run / "report.html").exists()


def test_manifest_that_is_not_json_or_not_an_object(a_run, tmp_path, capsys):
    for text in ("{", "[1, 2]", '"run"'):
        run = tmp_path / f"r{len(text)}"
        shutil.copytree(a_run, run)
        (run / "manifest.json").write_text(text, encoding="utf-8")
        code, _, err = _run(["report", run], capsys)
        assert code == 1 and "Traceback" not in err and "manifest.json" in err, err


# --- item 14: ranking errors are found by validate and named by file and key --------------------

_SCENARIOS = {
    "bad-param": ('[stages.1]\nranking_method = "topsis"\nranking_params = { nonsense = 3 }',
                  "scenarios/bad-param.toml, stages.1.ranking_params: ranking method 'topsis' takes no "
                  "parameter 'nonsense'"),
    "bad-tie": ('[stages.1]\ntie_breaks = ["no_such_step"]',
                "scenarios/bad-tie.toml, stages.1.tie_breaks[0]: unknown tie-break step 'no_such_step'"),
    "prom-q": ('[stages.1]\nranking_method = "promethee_ii"\nranking_params = { preference_functions = '
               '{ vaerditilvaekst = { function = "linear", q = "a", p = 2 } } }',
               "scenarios/prom-q.toml, stages.1.ranking_params.preference_functions.vaerditilvaekst: "
               "preference function of 'vaerditilvaekst' is malformed"),
    "prom-lin": ('[stages.1]\nranking_method = "promethee_ii"\nranking_params = { preference_functions = '
                 '"linear" }', "scenarios/prom-lin.toml, stages.1.ranking_params.preference_functions: "
                               "preference_functions must be a table"),
    "forced-ghost": ('[stages.1]\nforced = [{ application = "KP-99", include = true, reason = "board" }]',
                     "scenarios/forced-ghost.toml, stages.1.forced[0].application: forced decision for "
                     "'KP-99', which is not in applications.csv"),
    "neg-weight": ("[stages.1.weights]\nvaerditilvaekst = -1\nkreativ_innovation = 1",
                   "scenarios/neg-weight.toml, stages.1.weights.vaerditilvaekst: Input should be greater than or "
                   "equal to 0"),
}


def _scenario(call_dir, name, body):
    (call_dir / "scenarios" / f"{name}.toml").write_text(
        f'schema_version = 1\nname = "{name}"\ndescription = "x"\n{body}\n', encoding="utf-8")


def test_validate_finds_every_ranking_problem_before_saying_ok(call_copy, capsys):
    for name, (body, _) in _SCENARIOS.items():
        _scenario(call_copy, name, body)
    before = _digests(call_copy)
    code, out, err = _run(["validate", call_copy, "--no-solve"], capsys)
    assert code == 1 and "OK" not in out and "Traceback" not in err, (out, err)
    for _, expected in _SCENARIOS.values():
        assert expected in err, (expected, err)
    assert _digests(call_copy) == before


@pytest.mark.parametrize("name", ["prom-q", "forced-ghost", "bad-tie"])
def test_run_names_the_file_and_key_and_exits_1(call_copy, tmp_path, capsys, name):
    body, expected = _SCENARIOS[name]
    _scenario(call_copy, name, body)
    out = tmp_path / "out"
    code, _, err = _run(["run", call_copy, "--scenario", name, "--out", out], capsys)
    assert code == 1 and expected in err and "Traceback" not in err, err
    assert not out.exists()


def test_baseline_ranking_problem_names_the_call_file(call_copy, capsys):
    call = call_copy / "call.toml"
    text = call.read_text(encoding="utf-8")
    first = text.index("[[stages]]")
    call.write_text(text[:first] + text[first:].replace("[[stages]]\n", "[[stages]]\nranking_method = "
                                                        "\"topsis\"\nranking_params = { nonsense = 1 }\n", 1),
                    encoding="utf-8")
    code, _, err = _run(["validate", call_copy, "--no-solve"], capsys)
    assert code == 1 and "call.toml, stages[0].ranking_params: ranking method 'topsis' takes no parameter " \
                         "'nonsense'" in err, err
