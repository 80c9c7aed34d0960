"""The sensitivity summary on the console (issue 13): the run's own selection first, in the order of
the stage-1 decision actually taken, always every application the run selected (also one that
the weight samples never select), and the SMAA probability and the robust-portfolio label named
for their weight spaces with a sentence on why they can differ."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from selection.cli import main
from selection.cli.sensitivity_cmd import decision_order, weight_space


def test_every_selected_application_first_even_at_probability_zero():
    n = 25
    prob = pd.DataFrame({"application_id": [f"A{i:02d}" for i in range(n)], "title": ["t"] * n,
                         "selected_stage1_baseline": [i in (3, 20, 24) for i in range(n)],
                         "probability_selected_stage1": [0.9 - i * 0.03 for i in range(n)],
                         "selected_stage2_baseline": [i == 20 for i in range(n)],
                         "probability_selected_stage2": [0.5] * n})
    prob.loc[24, "probability_selected_stage1"] = 0.0  # selected by the run, never by a sample
    prob = pd.concat([prob[["application_id", "title"]].assign(  # as written: a row per stage
        stage=k, selected_baseline=prob[f"selected_stage{k}_baseline"],
        probability_selected=prob[f"probability_selected_stage{k}"]) for k in (1, 2)], ignore_index=True)
    shown = decision_order(prob, [1, 2], others=5)
    assert shown["application_id"].tolist()[:3] == ["A20", "A03", "A24"]  # both stages, then stage 1 only
    assert shown["run"].tolist()[:3] == ["1+2", "1", "1"]
    assert shown["application_id"].tolist()[3:] == ["A00", "A01", "A02", "A04", "A05"]
    assert len(shown) == 8


def test_weight_spaces_in_words():
    assert weight_space("interval", 0.2) == "within ±20% of the call's weights"
    assert "simplex" in weight_space("simplex", 0.2) and "order" in weight_space("ordinal", 0.2)


def test_console_summary_of_a_small_sensitivity_run(example_dir, tmp_path, capsys):
    assert main(["run", str(example_dir), "--out", str(tmp_path), "--quiet"]) == 0
    run = Path(capsys.readouterr().out.strip())
    selected = json.loads((run / "manifest.json").read_text())["selected"]["1"]
    assert main(["sensitivity", str(example_dir), "--out", str(tmp_path), "--samples", "10", "--bootstrap", "0",
                 "--sweep-steps", "0", "--workers", "1", "--no-progress", "--rpm-weights", "interval"]) == 0
    out = capsys.readouterr().out
    assert "The run's selection first (selected in stage 1 and the last stage, then stage 1 only)" in out
    assert "weight samples drawn uniformly from all weights summing to 1 (the simplex) (SMAA)" in out
    assert "Robust portfolio modelling, stage 1, for every weighting within ±20% of the call's weights" in out
    assert "The two can differ" in out
    lines = out.split("under which the application is selected:")[1].splitlines()[3:3 + len(selected)]
    assert sorted(line.split()[0] for line in lines) == sorted(selected)


def test_report_probability_table_follows_the_run_and_names_weight_spaces(tmp_path):
    import sys

    sys.path.insert(0, str(Path(__file__).parent))
    import reporttext
    import synthetic

    from selection.report import build_report, load_report_inputs

    run = synthetic.make_folders(tmp_path)
    mf = run / "manifest.json"
    m = json.loads(mf.read_text())
    m["selected"] = {"1": ["A1", "A3", "A4", "A6"], "2": ["A3"]}  # A6: no weighting drawn selects it
    mf.write_text(json.dumps(m))
    text = reporttext.visible_text(build_report(load_report_inputs(run))[0])
    part = text.split("The run's selection first (selected in both stages, then stage 1 only)")[1]
    part = part.split("The probability and the robust-portfolio label can differ")[0]
    apps = [line for line in part.splitlines() if line in synthetic.APPS]
    assert apps == ["A3", "A1", "A4", "A6", "A5", "A2"]  # both stages, stage 1 only (by P), then the others
    assert "P(selected), stage 1: weights drawn from all weights summing to 1" in part
    assert "Robust portfolio label, stage 1: every weighting within ±20% of the call's weights" in part
    assert "another set of weights and another question" in text
