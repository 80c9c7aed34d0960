"""A report never mixes inputs (issue 13): a scenarios or sensitivity folder beside the run is
used only when it was made from the same input files (SHA-256 in the manifests' ``inputs``) and
the same scenario; otherwise it is left out with a notice in the report and on the console, and a
folder named explicitly (``--scenarios`` / ``--sensitivity``) is refused."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))
import reporttext  # noqa: E402
import synthetic  # noqa: E402

from selection.errors import InputError  # noqa: E402
from selection.report import build_report, load_report_inputs  # noqa: E402
from selection.report.bundle import Mismatch, input_mismatch  # noqa: E402
from selection.report.words import mismatch_text  # noqa: E402

SENS = "20260102T050000Z-sensitivity"
SCEN = "20260102T040000Z-scenarios"


@pytest.fixture
def run(tmp_path: Path) -> Path:
    return synthetic.make_folders(tmp_path)


def _edit(folder: Path, **changes) -> None:
    mf = folder / "manifest.json"
    m = json.loads(mf.read_text(encoding="utf-8"))
    for key, value in changes.items():
        if value is None:
            m.pop(key, None)
        else:
            m[key] = value
    mf.write_text(json.dumps(m), encoding="utf-8")


def _other_call_toml() -> dict:
    return {**synthetic.INPUTS, "call.toml": "d" * 64}


def _text(run: Path, lang: str = "en", **kw) -> str:
    return reporttext.visible_text(build_report(load_report_inputs(run, **kw), lang=lang)[0])


def test_matching_siblings_are_used(run):
    inp = load_report_inputs(run)
    assert inp.scenarios.path.name == SCEN and inp.sensitivity.path.name == SENS and not inp.left_out


def test_sensitivity_of_another_call_toml_is_left_out_with_a_notice(run, capsys):
    _edit(run.parent / SENS, inputs=_other_call_toml())
    inp = load_report_inputs(run)
    assert inp.sensitivity is None and inp.scenarios is not None
    assert inp.left_out == (Mismatch("sensitivity", SENS, changed=("call.toml",)),)
    text = _text(run)
    notice = (f"The sensitivity run {SENS} is left out because it was not made from the same inputs as the "
              f"report's run: different content of call.toml.")
    sensitivity_part = text.split("Sensitivity")[-1]
    assert notice in sensitivity_part  # in the section, instead of "none found"
    assert "No sensitivity run found" not in text
    assert f"Sensitivity run\n— ({notice})" in text  # and in the header's table of inputs
    assert "probability selected" not in text  # no robustness from it in the dossiers
    da = _text(run, "da")
    assert f"Følsomhedskørslen {SENS} er udeladt, fordi den ikke er lavet af de samme input" in da
    assert "andet indhold i call.toml" in da
    # the workbook says it too (its "about" rows)
    from io import BytesIO

    from openpyxl import load_workbook

    wb = load_workbook(BytesIO(build_report(inp)[1]))
    cells = [str(c.value) for ws in wb.worksheets for row in ws.iter_rows() for c in row if c.value]
    assert any(notice in c for c in cells)
    # the console says it
    from selection.cli import main

    assert main(["report", str(run)]) == 0
    out = capsys.readouterr().out
    assert f"sensitivity: left out. {notice}" in out


def test_baseline_sensitivity_under_a_scenario_run_is_left_out(run):
    _edit(run, scenario="equal-weights")
    inp = load_report_inputs(run)
    assert inp.sensitivity is None
    assert "it was made for scenario baseline, the report's run for equal-weights" in _text(run)


def test_an_older_matching_folder_is_used_and_the_newer_one_named(run):
    newer = run.parent / "20260103T000000Z-sensitivity"
    shutil.copytree(run.parent / SENS, newer)
    _edit(newer, created_utc="2026-01-03T00:00:00Z",
          inputs={**synthetic.INPUTS, "scores/stage1/E2.csv": "f" * 64})
    inp = load_report_inputs(run)
    assert inp.sensitivity.path.name == SENS
    assert inp.left_out == (Mismatch("sensitivity", newer.name, only_other=("scores/stage1/E2.csv",)),)
    assert "only it read scores/stage1/E2.csv" in mismatch_text(inp.left_out[0])


def test_a_folder_without_input_hashes_cannot_be_checked_and_is_left_out(run):
    _edit(run.parent / SCEN, inputs=None)
    inp = load_report_inputs(run)
    assert inp.scenarios is None and inp.left_out[0].unverifiable
    assert "a manifest records no input hashes" in _text(run).split("Scenarios")[-1]


def test_explicitly_named_mismatched_folder_is_refused(run, capsys):
    sens = run.parent / SENS
    _edit(sens, inputs={k: v for k, v in synthetic.INPUTS.items() if k != "applications.csv"})
    with pytest.raises(InputError) as exc:
        load_report_inputs(run, sensitivity=sens)
    assert "only the run read applications.csv" in str(exc.value)
    from selection.cli import main

    before = sorted(p.name for p in run.iterdir())
    assert main(["report", str(run), "--sensitivity", str(sens)]) == 1
    err = capsys.readouterr().err
    assert "only the run read applications.csv" in err and "leave out --sensitivity" in err
    assert "Traceback" not in err
    assert sorted(p.name for p in run.iterdir()) == before  # nothing written


def test_scenarios_folder_is_checked_by_its_sub_run_of_the_run_scenario(run):
    scen = run.parent / SCEN
    _edit(scen, scenarios={"baseline": "ok", "equal-weights": "ok"},
          inputs={**synthetic.INPUTS, "scenarios/equal-weights.toml": "1" * 64})
    # top level: the baseline run's files plus the scenario files -> it matches
    assert input_mismatch(json.loads((run / "manifest.json").read_text()),
                          json.loads((scen / "manifest.json").read_text()), "scenarios", scen) is None
    # a sub-run per scenario, as `selection scenarios` writes: its own inputs decide
    (scen / "baseline").mkdir()
    (scen / "baseline" / "manifest.json").write_text(json.dumps({"kind": "run", "inputs": _other_call_toml()}))
    inp = load_report_inputs(run)
    assert inp.scenarios is None and inp.left_out[0].changed == ("call.toml",)
    # a run of a scenario the folder does not hold
    (scen / "baseline" / "manifest.json").write_text(json.dumps({"kind": "run", "inputs": synthetic.INPUTS}))
    assert load_report_inputs(run).scenarios is not None
    _edit(run, scenario="two-rural")
    miss = load_report_inputs(run).left_out
    assert [m.kind for m in miss] == ["scenarios", "sensitivity"]
    assert miss[0].scenario == ("baseline, equal-weights", "two-rural")
