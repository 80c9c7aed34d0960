"""One leniency label (issue 13): "lenient"/"severe" only beyond the band AND with a 95 % interval
that excludes zero; the console, the report and the workbench all read the engine's label."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from selection import evaluation as ev
from selection import schema
from selection.aggregate import calibrate_cube, leniency_table, score_cube
from selection.aggregate.calibration import leniency_interval, leniency_label


def _panel(planted: dict[str, float], n_apps: int = 40, noise: float = 0.4, seed: int = 7) -> pd.DataFrame:
    """Every expert scores every application on one criterion: quality + planted leniency + noise."""
    rng = np.random.default_rng(seed)
    quality = rng.uniform(1.0, 4.0, n_apps)
    rows = [(f"A{i:02d}", e, "c", float(quality[i] + bias + rng.normal(0.0, noise)))
            for e, bias in planted.items() for i in range(n_apps)]
    return pd.DataFrame(rows, columns=[ev.APPLICATION, ev.EXPERT, ev.CRITERION, ev.SCORE])


def test_planted_leniency_is_labelled_and_a_tiny_one_is_not():
    evaluation = _panel({"E1": 1.0, "E2": 0.02, "E3": -0.5, "E4": -0.52})
    table = leniency_table(calibrate_cube(score_cube(evaluation, ["c"]), "additive"))
    overall = table[table["criterion_id"] == "all"].set_index("expert_id")
    assert overall.at["E1", "label"] == "lenient"
    assert overall.at["E2", "label"] == "in_line"  # a few hundredths is nobody's leniency
    assert overall.at["E2", "leniency_low"] < 0 < overall.at["E2", "leniency_high"]
    # every label follows the one rule from the written leniency and interval
    for r in table.itertuples():
        assert r.label == leniency_label(r.leniency, r.leniency_low, r.leniency_high)
        if r.label in ("lenient", "severe"):
            assert abs(r.leniency) > schema.LENIENCY_BAND and not (r.leniency_low <= 0 <= r.leniency_high)


def test_interval_needs_two_deviations():
    assert np.isnan(leniency_interval(0.5, np.array([0.4]))).all()
    lo, hi = leniency_interval(0.5, np.array([0.4, 0.6, 0.5, 0.5]))
    assert lo < 0.5 < hi
    assert leniency_label(0.5, float("nan"), float("nan")) == ""


@pytest.mark.parametrize("lang, lenient", [("en", "lenient (scores above the panel)"),
                                           ("da", "mild (scorer over panelet)")])
def test_report_reads_the_engines_label(lang, lenient):
    from selection.report.compact import LENIENCY_BAND, leniency_view

    assert LENIENCY_BAND == schema.LENIENCY_BAND
    frame = pd.DataFrame({"expert_id": ["E1", "E2", "E3"], "criterion_id": ["all"] * 3,
                          "leniency": [0.4, 0.4, 0.03], "leniency_low": [0.1, -0.2, 0.01],
                          "leniency_high": [0.7, 1.0, 0.05], "label": ["lenient", "in_line", "in_line"]})
    view = leniency_view(frame, lang)
    readings = view.iloc[:, -1].tolist()
    assert readings[0] == lenient and readings[1] == readings[2] != lenient
    # a folder written before the label column: the same rule (band and interval) is applied
    old = frame.drop(columns="label")
    assert leniency_view(old, lang).iloc[:, -1].tolist() == readings
