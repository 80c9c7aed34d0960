"""The command line: run folders, determinism, validation report, exit codes, no tracebacks."""

from __future__ import annotations

import json
import subprocess
import sys

from selection.cli import main


def _run(args, capsys):
    code = main(args)
    out = capsys.readouterr()
    return code, out.out, out.err


def test_run_writes_a_new_run_folder(example_dir, tmp_path, capsys):
    before = {p: p.stat().st_mtime_ns for p in example_dir.rglob("*") if p.is_file() and "runs" not in p.parts}
    code, out, err = _run(["run", str(example_dir), "--out", str(tmp_path)], capsys)
    assert code == 0, err
    assert "Stage 1" in out and "Stage 2" in out and "Binding rules" in out
    (run,) = list(tmp_path.iterdir())
    names = sorted(p.name for p in run.iterdir())
    assert names == ["agreement.csv", "application-attributes.csv", "assessments-stage2.csv",
                     "board-decisions-stage2.csv", "divergence.csv", "expert-leniency.csv", "manifest.json",
                     "panel-scores.csv", "rank-intervals.csv", "ranking.csv", "reserve-stage1.csv",
                     "selection-stage1.csv", "selection-stage2.csv"]
    m = json.loads((run / "manifest.json").read_text())
    assert m["seed"] == 2012 and "call.toml" in m["inputs"] and m["versions"]["pulp"].startswith("3.")
    assert all(len(h) == 64 for h in m["inputs"].values())
    header = (run / "selection-stage1.csv").read_text().splitlines()[0]
    assert header == ("application_id,rank,value,selected,reason,cost_to_include,would_leave,eligible,reason_da,"
                      "reason_code,facts")
    after = {p: p.stat().st_mtime_ns for p in example_dir.rglob("*") if p.is_file() and "runs" not in p.parts}
    assert before == after  # inputs untouched


def test_two_runs_identical_and_never_overwrite(example_dir, tmp_path, capsys):
    for _ in range(2):
        assert _run(["run", str(example_dir), "--out", str(tmp_path), "--quiet"], capsys)[0] == 0
    a, b = sorted(tmp_path.iterdir())
    assert a != b
    for name in ("ranking.csv", "panel-scores.csv", "selection-stage1.csv", "selection-stage2.csv"):
        assert (a / name).read_bytes() == (b / name).read_bytes(), name


def test_highs_gives_same_selection(example_dir, tmp_path, capsys):
    _run(["run", str(example_dir), "--out", str(tmp_path / "c"), "--quiet"], capsys)
    _run(["run", str(example_dir), "--out", str(tmp_path / "h"), "--quiet", "--solver", "highs"], capsys)
    (c,), (h,) = list((tmp_path / "c").iterdir()), list((tmp_path / "h").iterdir())
    for n in ("1", "2"):
        assert json.loads((c / "manifest.json").read_text())["selected"][n] == \
            json.loads((h / "manifest.json").read_text())["selected"][n]


def test_scenarios_run(example_dir, tmp_path, capsys):
    for name in sorted(p.stem for p in (example_dir / "scenarios").glob("*.toml")):
        code, out, err = _run(["run", str(example_dir), "--scenario", name, "--out", str(tmp_path), "--quiet"], capsys)
        assert code == 0, err
    assert len(list(tmp_path.iterdir())) >= 3


def test_validate_ok(example_dir, capsys):
    code, out, _ = _run(["validate", str(example_dir)], capsys)
    assert code == 0 and out.startswith("OK:")


def _put_score_9_in_d2(call_dir):
    """Overwrite the first score (cell D2) of expert 01's long CSV with 9, outside the 0-5 scale."""
    f = call_dir / "scores" / "stage1" / "expert-01.csv"
    lines = f.read_text(encoding="utf-8").splitlines()
    parts = lines[1].split(",")
    parts[3] = "9"
    lines[1] = ",".join(parts)
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_validate_lists_every_problem(call_copy, capsys):
    apps = call_copy / "applications.csv"
    text = apps.read_text(encoding="utf-8").replace(",music,", ",musik,", 1)
    apps.write_text(text, encoding="utf-8")
    _put_score_9_in_d2(call_copy)
    code, out, err = _run(["validate", str(call_copy)], capsys)
    assert code == 1
    assert "column industries: unknown industry 'musik'" in err  # the declared vocabulary (vocabulary.toml)
    assert "Traceback" not in err
    # the score files are still checked, against the ids applications.csv lists: one report
    assert "scores/stage1/expert-01.csv, cell D2: 9 is outside the scale" in err


def test_validate_bad_scores_reported_with_cell(call_copy, capsys):
    _put_score_9_in_d2(call_copy)
    code, _, err = _run(["validate", str(call_copy)], capsys)
    assert code == 1
    assert "scores/stage1/expert-01.csv, cell D2: 9 is outside the scale 0–5" in err


def test_infeasible_exit_code_2_with_reason(call_copy, tmp_path, capsys):
    (call_copy / "scenarios" / "impossible.toml").write_text(
        'schema_version = 1\nname = "impossible"\n[stages.1]\n'
        'add_constraints = [{ kind = "at_least", group = "rural", value = "true", count = 7 }]\n', encoding="utf-8")
    code, out, err = _run(["run", str(call_copy), "--scenario", "impossible", "--out", str(tmp_path / "out")], capsys)
    assert code == 2
    assert "No feasible selection" in err and "at least 7 rural/peripheral selected" in err and "short by" in err
    assert not (tmp_path / "out").exists()  # nothing written


def test_missing_folder_and_unknown_scenario(tmp_path, example_dir, capsys):
    code, _, err = _run(["run", str(tmp_path / "nowhere")], capsys)
    assert code == 1 and "no call.toml" in err
    code, _, err = _run(["run", str(example_dir), "--scenario", "nope", "--out", str(tmp_path)], capsys)
    assert code == 1 and "no scenario 'nope'" in err and "equal-weights" in err


def test_console_script_no_traceback(tmp_path):
    p = subprocess.run([sys.executable, "-m", "selection", "validate", str(tmp_path)], capture_output=True, text=True)
    assert p.returncode == 1 and "Traceback" not in p.stderr and "no call.toml" in p.stderr


def test_usage_mistake_is_exit_1_not_2(example_dir, capsys):
    """Exit code 2 is reserved for an infeasible selection; argparse's own 2 is mapped to 1."""
    import pytest

    with pytest.raises(SystemExit) as exc:
        main(["run", str(example_dir), "--solver", "gurobi"])
    assert exc.value.code == 1
    assert "invalid choice: 'gurobi'" in capsys.readouterr().err


def test_validate_solves_and_names_an_infeasible_scenario(call_copy, capsys):
    (call_copy / "scenarios" / "impossible.toml").write_text(
        'schema_version = 1\nname = "impossible"\n[stages.1]\n'
        'add_constraints = [{ kind = "at_least", group = "rural", value = "true", count = 7 }]\n', encoding="utf-8")
    code, out, err = _run(["validate", str(call_copy)], capsys)
    assert code == 2 and out.startswith("OK:")
    assert "impossible: stage 1" in err and "at least 7" in err and "Traceback" not in err
    code, out, err = _run(["validate", str(call_copy), "--no-solve"], capsys)
    assert code == 0 and "Feasible" not in out
