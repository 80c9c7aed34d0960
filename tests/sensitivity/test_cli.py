"""``selection sensitivity``: the run folder, its tables, reproducibility and worker independence."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd

from selection.cli import main

from .conftest import EXAMPLE

ARGS = ["--samples", "300", "--bootstrap", "60", "--sweep-steps", "6", "--seed", "4"]


def _run(tmp_path, name, extra=()):
    out = tmp_path / name
    assert main(["sensitivity", str(EXAMPLE), *ARGS, *extra, "--out", str(out)]) == 0
    (run,) = out.iterdir()
    return run


def test_sensitivity_run_folder_reproducible_and_worker_independent(tmp_path, capsys):
    a = _run(tmp_path, "a")
    b = _run(tmp_path, "b", ["--workers", "2"])
    files = ("rank-acceptability.csv", "central-weights.csv", "selection-probability.csv", "score-uncertainty.csv",
             "weight-stability.csv", "weight-sweep.csv", "core-index.csv")
    for f in files:
        assert (a / f).read_bytes() == (b / f).read_bytes(), f
    man = json.loads((a / "manifest.json").read_text())
    assert man["kind"] == "sensitivity" and man["seed"] == 4 and set(files) <= set(man["outputs"])
    long = pd.read_csv(a / "selection-probability.csv")  # a row per stage and application
    assert set(long["stage"]) == {1, 2}
    prob = long.pivot(index="application_id", columns="stage", values="probability_selected").add_prefix(
        "probability_selected_stage")
    # at most 8 (5) selected per sample, so the probabilities sum to at most 8 (5)
    assert prob["probability_selected_stage1"].sum() <= 8 + 1e-9
    assert prob["probability_selected_stage2"].sum() <= 5 + 1e-9
    # stage 2 is chosen among stage 1: never more likely in stage 2
    assert (prob["probability_selected_stage2"] <= prob["probability_selected_stage1"] + 1e-12).all()
    acc = pd.read_csv(a / "rank-acceptability.csv")
    racc = acc[[c for c in acc.columns if c.startswith("rank_acceptability_")]]
    assert np.allclose(racc.fillna(0).sum(axis=1), 1.0)
    core = pd.read_csv(a / "core-index.csv")
    assert set(core["core_label"]) <= {"core", "borderline", "exterior"}
    stab = pd.read_csv(a / "weight-stability.csv")
    assert (stab["stable_from"] <= stab["baseline_weight"] + 1e-12).all()
    assert (stab["baseline_weight"] <= stab["stable_to"] + 1e-12).all()
    assert "Run folder" in capsys.readouterr().out


def test_bad_options_are_reported(capsys):
    assert main(["sensitivity", str(EXAMPLE), "--samples", "0", "--spread", "2"]) == 1
    err = capsys.readouterr().err
    assert "--samples is 0" in err and "--spread is 2" in err
