"""``selection panel`` and the panel diagnostics of ``selection run`` folders."""

from __future__ import annotations

import json

import pandas as pd

from selection.cli import main


def test_selection_panel_prints_and_writes_a_panel_run_folder(example_dir, tmp_path, capsys):
    assert main(["panel", str(example_dir), "--out", str(tmp_path), "--boot", "200"]) == 0
    out = capsys.readouterr().out
    assert "Agreement / Enighed" in out and "Expert leniency" in out and "consensus meeting" in out
    (run,) = list(tmp_path.iterdir())
    assert run.name.endswith("-panel")
    files = {p.name for p in run.iterdir()}
    assert files == {"agreement.csv", "expert-leniency.csv", "divergence.csv", "panel-scores.csv",
                     "rank-intervals.csv", "manifest.json"}
    manifest = json.loads((run / "manifest.json").read_text())
    assert manifest["kind"] == "panel" and manifest["parameters"]["n_boot"] == 200
    panel = pd.read_csv(run / "panel-scores.csv")
    assert {"panel_score_raw", "panel_score_zscore", "panel_score_additive"} <= set(panel.columns)
    # same inputs and seed -> byte-identical tables
    assert main(["panel", str(example_dir), "--out", str(tmp_path), "--boot", "200", "--quiet"]) == 0
    run2 = [p for p in tmp_path.iterdir() if p != run][0]
    for name in files - {"manifest.json"}:
        assert (run / name).read_bytes() == (run2 / name).read_bytes(), name


def test_selection_panel_bad_boot_is_a_clear_error(example_dir, tmp_path, capsys):
    assert main(["panel", str(example_dir), "--out", str(tmp_path), "--boot", "0"]) == 1
    assert "--boot is 0" in capsys.readouterr().err
    assert not list(tmp_path.iterdir())


def test_run_folder_has_panel_diagnostics(example_result):
    from selection.runs import run_tables

    tables = run_tables(example_result)
    for name in ("agreement.csv", "expert-leniency.csv", "divergence.csv", "rank-intervals.csv"):
        assert name in tables and set(tables[name]["stage"]) <= {1, 2}
    ri = tables["rank-intervals.csv"]
    assert set(ri.loc[ri["stage"] == 2, "application_id"]) == set(example_result.stages[2].panel.index)
