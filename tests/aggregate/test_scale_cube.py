"""The score cube and the stage's panel scores at scale (issue 12): a precomputed ``cube=`` gives the
results of the evaluation's own, and the fast cube and aggregation equal the plain ones bit for bit."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from selection.aggregate import score_cube, stage_diagnostics, stage_panel_scores
from selection.aggregate.calibration import CALIBRATIONS

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kreative-partnerskaber"


@pytest.fixture(scope="module")
def example():
    from selection.pipeline import load_call_folder

    return load_call_folder(EXAMPLE)


@pytest.mark.parametrize("calibration", CALIBRATIONS)
def test_a_given_cube_gives_the_same_panel_scores_and_diagnostics(example, calibration, tmp_path):
    from selection.io.export import write_csv

    for n, evaluation in example.evaluations.items():
        cat = example.catalogues[n]
        stage = example.call.stage(n).model_copy(update={"calibration": calibration})
        cube = score_cube(evaluation, cat.criterion_ids)
        before = cube.values.copy()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            pd.testing.assert_frame_equal(stage_panel_scores(evaluation, cat, stage, cube=cube),
                                          stage_panel_scores(evaluation, cat, stage))
            given = stage_diagnostics(evaluation, cat, stage, seed=3, n_boot=50, cube=cube)
            own = stage_diagnostics(evaluation, cat, stage, seed=3, n_boot=50)
        assert list(given) == list(own)
        for name in own:
            write_csv(given[name], tmp_path / "given.csv")
            write_csv(own[name], tmp_path / "own.csv")
            assert (tmp_path / "given.csv").read_bytes() == (tmp_path / "own.csv").read_bytes(), (n, name)
        np.testing.assert_array_equal(cube.values, before)  # only read


def test_a_cube_of_other_criteria_is_refused(example):
    n, evaluation = next(iter(example.evaluations.items()))
    cat = example.catalogues[n]
    wrong = score_cube(evaluation, cat.criterion_ids[:-1])
    with pytest.raises(ValueError, match="criteria"):
        stage_panel_scores(evaluation, cat, example.call.stage(n), cube=wrong)
    with pytest.raises(ValueError, match="criteria"):
        stage_diagnostics(evaluation, cat, example.call.stage(n), seed=1, n_boot=5, cube=wrong)
