"""Panel diagnostics from the scored cells only (issue 12): numpy's sums of a mostly-empty matrix
rebuilt from its few non-zero cells bit for bit, and the agreement table, the additive expert effects,
the leniency table and the divergence list of a national-scale panel (a few of many experts per
application) the same as the dense computation's -- compared with numpy itself, with the dense path the
engine keeps (for a numpy that sums otherwise), and with the verbatim pre-speed-up implementations
of ``test_scale_identity`` (``ref_*``), as CSV bytes.
"""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selection.aggregate import agreement as agreement_module
from selection.aggregate import calibration as calibration_module
from selection.aggregate import sums
from selection.aggregate.agreement import _coincidence_pairs, _dyadic_weights
from selection.aggregate.calibration import CalibrationWarning, _additive_effects, _leniency
from selection.aggregate.divergence import divergent_scores
from selection.aggregate.panel import agreement_table
from tests.aggregate.test_scale_identity import (
    csv_bytes,
    labelled,
    ref_agreement_table,
    ref_calibrate_cube,
    ref_divergent_scores,
    ref_leniency_table,
    same_array,
    same_frame,
)


def identical(a: pd.DataFrame, b: pd.DataFrame, tmp_path) -> None:
    """Two tables of this engine (the same columns): equal exactly, and the same CSV bytes."""
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert csv_bytes(a, tmp_path, "a.csv") == csv_bytes(b, tmp_path, "b.csv")


def national(seed: int, A: int = 1500, E: int = 60, C: int = 4, step: float = 0.5, off_grid: bool = False,
             abstain: float = 0.02) -> np.ndarray:
    """A callgen-like panel: mostly 3 experts an application, some 2, 4 or 5 (unit weights 1/(mu-1)
    dyadic and not), abstentions, an expert who scores nothing on one criterion, and with
    ``off_grid`` scores whose sums depend on the order of the additions."""
    rng = np.random.default_rng(seed)
    x = np.full((A, E, C), np.nan)
    per = rng.choice([2, 3, 4, 5], size=A, p=[0.1, 0.7, 0.1, 0.1])
    for a in range(A):
        who = rng.choice(E - 1, size=per[a], replace=False)
        x[a, who, :] = step * rng.integers(0, round(5 / step) + 1, size=(per[a], C))
    x[rng.random(x.shape) < abstain] = np.nan
    x[:, 0, C - 1] = np.nan  # expert 0 leaves out the last criterion
    if off_grid:
        x = x + np.where(np.isnan(x), np.nan, rng.integers(0, 3, x.shape) / 3)  # thirds: few distinct values
    return x


@pytest.fixture
def dense_paths(monkeypatch):
    """The dense computations the engine keeps for a numpy that sums in another order."""
    def use() -> None:
        monkeypatch.setattr(agreement_module, "NUMPY_ORDER", False)
        monkeypatch.setattr(agreement_module, "_dyadic_weights", lambda mu: False)
        monkeypatch.setattr(calibration_module, "NUMPY_ORDER", False)
    return use


def test_this_numpy_sums_the_way_the_fast_paths_assume():
    """Otherwise every diagnostic silently takes the dense path again (correct, but 3x slower)."""
    assert sums.NUMPY_ORDER


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 30), k=st.sampled_from([1, 7, 8, 9, 16, 127, 128, 129, 200, 257, 1000, 9000]),
       density=st.sampled_from([0.005, 0.05, 0.4, 1.0]), spread=st.sampled_from([0, 3, 12]))
def test_sums_of_the_scored_cells_are_numpys(seed, n, k, density, spread):
    """Rows (``sum(axis=1)``), the whole (``sum()``) and columns (``sum(axis=0)``) of a C-ordered matrix,
    values of many magnitudes and both signs (so the order of the additions shows in the last bits)."""
    rng = np.random.default_rng(seed)
    a = np.zeros((n, k))
    mask = rng.random((n, k)) < density
    m = int(mask.sum())
    a[mask] = rng.standard_normal(m) * 10.0 ** rng.uniform(-spread, spread, m)
    r, c = np.nonzero(a)
    v = a[r, c]
    same_array(sums.pairwise_sums(r, c, v, n, k), a.sum(axis=1))
    same_array(sums.pairwise_sums(np.zeros_like(r), r * k + c, v, 1, n * k), np.array([a.sum()]))
    same_array(sums.column_sums(r, c, v, n, k), a.sum(axis=0))


def test_sums_of_a_national_matrix_are_numpys():
    """20,000 x 200 with 3 scores a row: the matrices of the agreement table at national scale."""
    rng = np.random.default_rng(12)
    a = np.zeros((20_000, 200))
    for i in range(3):
        a[np.arange(20_000), rng.integers(0, 200, 20_000)] = rng.random(20_000) * 5 + i / 7
    r, c = np.nonzero(a)
    v = a[r, c]
    same_array(sums.pairwise_sums(r, c, v, 20_000, 200), a.sum(axis=1))
    assert sums.pairwise_sums(np.zeros_like(r), r * 200 + c, v, 1, a.size)[0] == a.sum()
    same_array(sums.column_sums(r, c, v, 20_000, 200), a.sum(axis=0))


@pytest.mark.parametrize("name, value", [("_LANES", 4), ("_BLOCK", 64)])
def test_the_probe_notices_another_summation_order(monkeypatch, name, value):
    monkeypatch.setattr(sums, name, value)
    sums._tree.cache_clear()
    try:
        assert not sums._probe()
    finally:
        monkeypatch.undo()
        sums._tree.cache_clear()
    assert sums._probe()


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), units=st.integers(1, 300), V=st.integers(1, 40),
       mus=st.sampled_from([(2,), (3,), (2, 3, 5), (3, 9, 17), (2, 5, 9, 33)]))
def test_coincidences_of_dyadic_units_are_the_matrix_product(seed, units, V, mus):
    """Units of 2, 3, 5, 9... values: each unit's value pairs give the matrix product's doubles."""
    rng = np.random.default_rng(seed)
    mu = rng.choice(mus, size=units)
    unit = np.repeat(np.arange(units), mu)
    value = rng.integers(0, V, size=len(unit))
    assert _dyadic_weights(mu)
    wgt = 1.0 / (mu - 1)
    h = np.bincount(unit * V + value, minlength=units * V).reshape(units, V).astype(np.float64)
    dense = (h * wgt[:, None]).T @ h - np.diag((h * wgt[:, None]).sum(axis=0))
    same_array(_coincidence_pairs(unit, value, wgt, V), dense)


def test_units_of_other_sizes_keep_the_matrix_product():
    assert not _dyadic_weights(np.array([3, 4, 3]))  # 1/3 is not held exactly
    assert not _dyadic_weights(np.array([], dtype=np.int64))
    assert _dyadic_weights(np.array([2, 3, 5, 9]))


@pytest.mark.parametrize("off_grid", [False, True])
@pytest.mark.parametrize("weights", [None, np.array([0.15, 0.35, 0.2, 0.3])])
def test_agreement_table_of_a_national_panel_is_the_dense_one(off_grid, weights, dense_paths, tmp_path):
    cube = labelled(national(3, off_grid=off_grid))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fast = agreement_table(cube, weights)
        same_frame(fast, ref_agreement_table(cube, weights), tmp_path)
        dense_paths()
        identical(fast, agreement_table(cube, weights), tmp_path)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), C=st.integers(1, 3), off_grid=st.booleans(),
       complete=st.booleans(), abstain=st.sampled_from([0.0, 0.1, 0.5]))
def test_agreement_table_from_scored_cells_is_the_plain_one(seed, C, off_grid, complete, abstain, tmp_path_factory):
    """Small panels too: complete rows (two-way forms and Kendall's W from the scored cells), rows and
    experts without a score, criteria nobody or one expert scored."""
    x = national(seed, A=30, E=6 if complete else 12, C=C, off_grid=off_grid, abstain=abstain)
    if complete:
        x[:8, :5, :] = np.round(np.random.default_rng(seed).random((8, 5, C)) * 4 + 1, 1 if off_grid else 0)
    cube = labelled(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        same_frame(agreement_table(cube, np.arange(1.0, C + 1)), ref_agreement_table(cube, np.arange(1.0, C + 1)),
                   tmp_path_factory.mktemp("agr"))


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), off_grid=st.booleans(), ridge=st.sampled_from([0.0, 1.0, 3.5]),
       islands=st.booleans())
def test_additive_effects_from_scored_cells_are_the_dense_ones(seed, off_grid, ridge, islands):
    """The same expert effects bit for bit (signs of zeros included) and the same notes, with designs
    shared between criteria, differing by abstentions, or split into islands (no fit, a note)."""
    x = national(seed, A=120, E=15, C=3, off_grid=off_grid, abstain=0.05)
    if islands:
        x[:20, :, :] = np.nan
        x[:20, 14, :] = 2.0  # applications only the last expert scored, who scored nothing else
    cube = labelled(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        notes_fast: list[str] = []
        fast = _additive_effects(cube, ridge, notes=notes_fast)
        notes_dense: list[str] = []
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(calibration_module, "NUMPY_ORDER", False)
            dense = _additive_effects(cube, ridge, notes=notes_dense)
    same_array(fast, dense)
    assert notes_fast == notes_dense
    assert islands == any("not connected" in n for n in notes_fast)


@pytest.mark.parametrize("off_grid", [False, True])
@pytest.mark.parametrize("C", [1, 4])
def test_leniency_of_a_national_panel_is_the_plain_one(off_grid, C, tmp_path):
    cube = labelled(national(5, A=800, E=40, C=C, off_grid=off_grid))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        new = calibrate_module_additive(cube)
        ref = ref_calibrate_cube(cube, "additive")
    same_array(new.effects, ref.effects)
    same_frame(_leniency(cube, new.effects), ref_leniency_table(ref), tmp_path)


def calibrate_module_additive(cube):
    return calibration_module.calibrate_cube(cube, "additive")


def test_leniency_of_empty_axes_is_the_plain_one(tmp_path):
    for shape in [(0, 3, 2), (3, 0, 2), (3, 2, 0)]:
        cube = labelled(np.full(shape, np.nan))
        effects = np.zeros((shape[1], shape[2]))
        ref = calibration_module.Calibration("additive", cube, cube.values, effects)
        same_frame(_leniency(cube, effects), ref_leniency_table(ref), tmp_path)


@pytest.mark.parametrize("with_comments", [False, True])
def test_divergence_of_a_national_panel_is_the_plain_one(with_comments, h, tmp_path):
    x = national(7, A=1200, E=50, C=4)
    e = h.long_table(x).sample(frac=1.0, random_state=3).reset_index(drop=True)  # rows in any order
    rng = np.random.default_rng(1)
    e.loc[rng.random(len(e)) < 0.03, "score"] = np.nan  # abstentions
    if with_comments:
        e["comment"] = np.where(rng.random(len(e)) < 0.5, "see p. 3", "")
    crit = ["c3", "c0", "c1"]  # a subset, in the catalogue's order
    same_frame(divergent_scores(e, crit, min_range=2.0), ref_divergent_scores(e, crit, min_range=2.0), tmp_path)
    same_frame(divergent_scores(e, min_range=1.5), ref_divergent_scores(e, min_range=1.5), tmp_path)
