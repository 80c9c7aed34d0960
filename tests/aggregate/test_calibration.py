"""Calibration of expert leniency: planted offsets, invariance, connectivity, fallbacks."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selection import evaluation as ev
from selection.aggregate import (
    CalibrationWarning,
    calibrate_cube,
    calibrate_evaluation,
    fit_additive,
    islands,
    panel_scores,
    score_cube,
)


def connected_design(rng, A, E, per_app):
    """Each application scored by ``per_app`` experts, in a rotating block that links all experts."""
    mask = np.zeros((A, E), dtype=bool)
    for a in range(A):
        start = (a * max(1, E // A + 1) + rng.integers(0, E)) % E
        mask[a, [(start + j) % E for j in range(per_app)]] = True
    return mask


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1))
def test_additive_model_recovers_planted_expert_offsets(seed):
    rng = np.random.default_rng(seed)
    A, E = 60, 8
    mask = connected_design(rng, A, E, 4)
    quality = rng.normal(3.0, 1.0, A)
    offsets = rng.normal(0.0, 0.6, E)
    offsets -= offsets.mean()
    x = np.where(mask, quality[:, None] + offsets[None, :] + rng.normal(0, 0.05, (A, E)), np.nan)
    assert len(islands(mask, [str(i) for i in range(A)], [str(j) for j in range(E)])) == 1
    alpha, beta = fit_additive(x, ridge=0.0)
    np.testing.assert_allclose(beta, offsets, atol=0.06)
    # application effects recover quality up to the common level
    np.testing.assert_allclose(alpha - alpha.mean(), quality - quality.mean(), atol=0.15)


def test_additive_exact_without_noise():
    rng = np.random.default_rng(0)
    A, E = 20, 5
    mask = connected_design(rng, A, E, 3)
    quality, offsets = rng.normal(3, 1, A), np.array([0.5, -0.3, 0.1, -0.6, 0.3])
    x = np.where(mask, quality[:, None] + offsets[None, :], np.nan)
    alpha, beta = fit_additive(x, ridge=0.0)
    np.testing.assert_allclose(beta, offsets, atol=1e-10)
    np.testing.assert_allclose(alpha, quality, atol=1e-10)


@settings(max_examples=50, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), shift=st.floats(-2, 2, allow_nan=False), expert=st.integers(0, 5))
def test_application_effects_invariant_to_shifting_one_expert(seed, shift, expert):
    """In a connected design, adding a constant to every score of one expert changes only that
    expert's effect: application effects move by a common constant, so their differences (and the
    ranking) do not change."""
    rng = np.random.default_rng(seed)
    A, E = 15, 6
    mask = connected_design(rng, A, E, 3)
    x = np.where(mask, rng.integers(0, 11, (A, E)) / 2.0, np.nan)
    shifted = x.copy()
    shifted[:, expert] += shift
    a0, _ = fit_additive(x, ridge=0.0)
    a1, _ = fit_additive(shifted, ridge=0.0)
    np.testing.assert_allclose(a1 - a1[0], a0 - a0[0], atol=1e-9)


def test_additive_equals_dense_least_squares():
    """Independent check: the eliminated E x E system equals a full least-squares fit of
    x = alpha_a + beta_e with the ridge as extra rows."""
    rng = np.random.default_rng(5)
    A, E, ridge = 12, 5, 0.7
    mask = connected_design(rng, A, E, 3)
    x = np.where(mask, rng.normal(3, 1, (A, E)), np.nan)
    a, e = np.nonzero(mask)
    D = np.zeros((len(a) + E, A + E))
    D[np.arange(len(a)), a] = 1
    D[np.arange(len(a)), A + e] = 1
    D[len(a) + np.arange(E), A + np.arange(E)] = np.sqrt(ridge)
    y = np.r_[x[a, e], np.zeros(E)]
    sol = np.linalg.lstsq(D, y, rcond=None)[0]
    alpha, beta = fit_additive(x, ridge=ridge)
    np.testing.assert_allclose(alpha, sol[:A], atol=1e-10)
    np.testing.assert_allclose(beta, sol[A:], atol=1e-10)
    assert abs(beta.sum()) < 1e-10


def test_islands_are_named_and_the_raw_scores_kept(h):
    values = np.full((4, 4, 1), np.nan)
    values[0, [0, 1], 0] = [3, 4]
    values[1, [0, 1], 0] = [2, 3]
    values[2, [2, 3], 0] = [1, 5]
    values[3, [2, 3], 0] = [2, 4]
    e = h.long_table(values)
    cube = score_cube(e, ["c0"])
    with pytest.warns(CalibrationWarning, match=r"2 separate islands: island 1: experts E00, E01 with "
                                                r"applications A000, A001; island 2: experts E02, E03"):
        cal = calibrate_cube(cube, "additive")
    np.testing.assert_array_equal(cal.values, cube.values)
    assert "not connected" in cal.notes[0]
    with pytest.warns(CalibrationWarning):
        p = panel_scores(e, ["c0"], calibration="additive")
    pd.testing.assert_frame_equal(p, panel_scores(e, ["c0"]))


def test_thin_data_falls_back_with_a_warning(h):
    values = np.array([[[3.0], [4.0]], [[2.0], [np.nan]]])  # 3 scores, 3 effects
    with pytest.warns(CalibrationWarning, match="no residual degrees of freedom"):
        cal = calibrate_cube(score_cube(h.long_table(values), ["c0"]), "additive")
    np.testing.assert_array_equal(cal.values, score_cube(h.long_table(values), ["c0"]).values)


def test_calibration_removes_leniency_from_the_ranking(h):
    """Two equally good applications; the one scored by the lenient expert wins on raw means and
    ties after additive calibration."""
    rng = np.random.default_rng(1)
    A, E = 30, 6
    mask = connected_design(rng, A, E, 3)
    quality = np.round(rng.uniform(1, 4, A), 1)
    offsets = np.array([0.8, 0, 0, 0, 0, -0.8])
    x = np.where(mask, quality[:, None] + offsets[None, :], np.nan)
    e = h.long_table(x[:, :, None])
    raw = panel_scores(e, ["c0"])["c0"].to_numpy()
    cal = panel_scores(e, ["c0"], calibration="additive", ridge=0.0)["c0"].to_numpy()
    assert np.abs(raw - quality).max() > 0.2
    np.testing.assert_allclose(cal - cal.mean(), quality - quality.mean(), atol=1e-9)


def test_zscore_maps_each_expert_onto_the_common_mean_and_spread(h):
    rng = np.random.default_rng(2)
    x = np.where(connected_design(rng, 40, 5, 3), rng.integers(0, 11, (40, 5)) / 2.0, np.nan)
    x[:, 0] = np.where(np.isnan(x[:, 0]), np.nan, x[:, 0] * 0.5 + 2)  # compressed, lenient expert
    cube = score_cube(h.long_table(x[:, :, None]), ["c0"])
    cal = calibrate_cube(cube, "zscore")
    allv = x[~np.isnan(x)]
    for j in range(5):
        v = cal.values[:, j, 0]
        v = v[~np.isnan(v)]
        assert v.mean() == pytest.approx(allv.mean())
        assert v.std(ddof=1) == pytest.approx(allv.std(ddof=1))


def test_calibrate_evaluation_keeps_rows_and_abstentions(h):
    rng = np.random.default_rng(3)
    x = np.where(connected_design(rng, 10, 4, 3)[:, :, None], rng.integers(0, 11, (10, 4, 2)) / 2.0, np.nan)
    e = h.long_table(x, criteria=["a", "b"])
    e.loc[0, ev.SCORE] = np.nan
    before = e.copy()
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        out = calibrate_evaluation(e, h.make_catalogue(["a", "b"]), method="additive")
    pd.testing.assert_frame_equal(e, before)  # input untouched
    assert len(out) == len(e) and np.isnan(out.loc[0, ev.SCORE])
    assert not np.allclose(out[ev.SCORE].fillna(0), e[ev.SCORE].fillna(0))


def test_example_call_leniency(example_folder):
    from selection.aggregate import analyse_panel

    a = analyse_panel(example_folder.evaluations[1], example_folder.catalogues[1], min_experts=2)
    overall = a.leniency[a.leniency["criterion_id"] == "all"].set_index("expert_id")["leniency"]
    assert overall.abs().max() < 2 and len(overall) == 7
    # leniency agrees in sign with the model-free mean deviation from co-experts
    dev = a.leniency[a.leniency["criterion_id"] == "all"].set_index("expert_id")["mean_deviation"]
    assert (np.sign(overall[dev.abs() > 0.2]) == np.sign(dev[dev.abs() > 0.2])).all()
