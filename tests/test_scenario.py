"""Scenarios: overrides applied, every scenario run and compared, and the scenarios run folder."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pandas as pd
import pytest

from selection.cli import main
from selection.errors import ScenarioError
from selection.model import Scenario
from selection.pipeline import load_call_folder
from selection.scenario import BASELINE, apply_scenario, compare_scenarios, run_scenarios

EXAMPLE = Path(__file__).resolve().parents[1] / "examples" / "kreative-partnerskaber"


@pytest.fixture(scope="module")
def results():
    return run_scenarios(EXAMPLE)


def test_overrides_cover_weights_aggregation_ranking_thresholds_budgets_rules_ties():
    folder = load_call_folder(EXAMPLE)
    scen = Scenario.model_validate({"schema_version": 1, "name": "all", "stages": {1: {
        "weights": {"udsyn": 3}, "aggregation": "trimmed_mean", "trim": 0.2, "calibration": "zscore",
        "ranking_method": "topsis", "thresholds": {"udsyn": 2.0}, "overall_threshold": 2.0,
        "overall_threshold_basis": "sum", "budget": 1_500_000, "tie_breaks": ["lottery"],
        "add_constraints": [{"kind": "at_least", "group": "rural", "value": "true", "count": 2}]}}})
    call, cats = apply_scenario(folder.call, folder.catalogues, scen)
    st, cat = call.stage(1), cats[1]
    assert (st.aggregation, st.trim, st.calibration, st.ranking_method, st.budget) == \
        ("trimmed_mean", 0.2, "zscore", "topsis", 1_500_000)
    assert cat.criterion("udsyn").weight == 3 and cat.criterion("udsyn").threshold == 2.0
    assert (cat.overall_threshold, cat.overall_threshold_basis, cat.tie_breaks) == (2.0, "sum", ["lottery"])
    assert len(st.constraints) == len(folder.call.stage(1).constraints) + 1
    assert folder.call.stage(1).budget == 2_660_000  # the input is untouched


def test_unknown_criterion_in_a_scenario_is_reported_with_where_and_how():
    folder = load_call_folder(EXAMPLE)
    scen = Scenario.model_validate({"schema_version": 1, "name": "bad", "stages": {1: {"weights": {"nope": 1}},
                                                                                  9: {"budget": 1}}})
    with pytest.raises(ScenarioError) as exc:
        apply_scenario(folder.call, folder.catalogues, scen, file="scenarios/bad.toml")
    text = exc.value.report()
    assert "unknown criterion 'nope'" in text and "no stage 9" in text and "scenarios/bad.toml" in text


def test_comparison_is_consistent_with_each_run(results):
    assert set(results) == {BASELINE, "equal-weights", "no-focus-priority", "promethee", "regional-budget-cut",
                            "regional-share-per-partnership", "two-rural"}
    t = compare_scenarios(results)
    matrix, changes, summary = t["scenario-matrix.csv"], t["scenario-changes.csv"], t["scenario-summary.csv"]
    base = results[BASELINE]
    for name, r in results.items():
        for n in (1, 2):
            rows = matrix[(matrix["stage"] == n) & (matrix["scenario"] == name)]  # long: a row per stage
            chosen = set(rows.loc[rows["selected"] == 1, "application_id"])
            assert chosen == set(r.stages[n].outcome.selected)
            enter = set(changes.query("scenario == @name and stage == @n and change == 'enters'")["application_id"])
            leave = set(changes.query("scenario == @name and stage == @n and change == 'leaves'")["application_id"])
            assert enter == chosen - set(base.stages[n].outcome.selected)
            assert leave == set(base.stages[n].outcome.selected) - chosen
    for n in (1, 2):  # robust core = selected in every scenario
        core = set.intersection(*(set(r.stages[n].outcome.selected) for r in results.values()))
        assert set(matrix.loc[(matrix["stage"] == n) & matrix["robust_core"], "application_id"]) == core
    # the reasons come from each run's selection table
    row = changes.iloc[0]
    sel = results[row["scenario"]].stages[int(row["stage"])].selection.set_index("application_id")
    assert row["reason_scenario"] == sel.at[row["application_id"], "reason"]
    assert (summary["status"] == "ok").all()


def test_scenarios_cli_writes_the_run_folder(tmp_path, capsys):
    assert main(["scenarios", str(EXAMPLE), "--out", str(tmp_path)]) == 0
    (run,) = tmp_path.iterdir()
    assert run.name.endswith("-scenarios")
    for f in ("scenario-matrix.csv", "scenario-changes.csv", "scenario-summary.csv", "manifest.json"):
        assert (run / f).is_file()
    for name in ("baseline", "equal-weights", "two-rural"):
        m = json.loads((run / name / "manifest.json").read_text())
        assert m["kind"] == "run" and (run / name / "selection-stage1.csv").is_file()
    man = json.loads((run / "manifest.json").read_text())
    assert man["kind"] == "scenarios" and "scenario-matrix.csv" in man["outputs"]
    assert "Robust core, stage 1" in capsys.readouterr().out
    pd.read_csv(run / "scenario-changes.csv")


def test_infeasible_scenario_is_reported_not_fatal(tmp_path):
    call = tmp_path / "examples" / "kreative-partnerskaber"
    shutil.copytree(EXAMPLE, call, ignore=shutil.ignore_patterns("runs"))
    criteria = EXAMPLE.parents[1] / "criteria"
    shutil.copytree(criteria, tmp_path / "criteria")
    (call / "scenarios" / "impossible.toml").write_text(
        'schema_version = 1\nname = "impossible"\n[stages.1]\nadd_constraints = [\n'
        '  { kind = "at_least", group = "rural", value = "true", count = 7 },\n]\n', encoding="utf-8")
    results = run_scenarios(call)
    summary = compare_scenarios(results)["scenario-summary.csv"]
    bad = summary[summary["scenario"] == "impossible"]
    assert (bad["status"] == "infeasible").all() and bad["infeasibility"].str.len().gt(0).all()
