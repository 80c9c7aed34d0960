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
from hypothesis import example, given, settings
from hypothesis import strategies as st

from selection import evaluation as ev
from selection.aggregate import agreement as agreement_module
from selection.aggregate import calibration as calibration_module
from selection.aggregate import sums
from selection.aggregate.agreement import _coincidence_pairs, _dyadic_weights
from selection.aggregate.arrays import PanelError, ScoreCube, _exact_sums, expert_rows
from selection.aggregate.calibration import (
    LENIENCY_COLUMNS,
    CalibrationWarning,
    _additive_effects,
    _leniency,
    islands,
    leniency_interval,
    leniency_label,
)
from selection.aggregate.divergence import DIVERGENCE_COLUMNS, divergent_scores
from selection.aggregate.panel import agreement_table
from selection.errors import Problem
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


# ---------------------------------------------------------------------------------------------
# The previous implementations (1de2462), verbatim but renamed: the leniency table's per-expert
# gathers from the dense cube and the divergence list's sort and grouping of every score row. (The
# agreement table's and the additive effects' previous computations are the dense paths the engine
# keeps: ``dense_paths`` below.)
# ---------------------------------------------------------------------------------------------

def prev_leniency(cube: ScoreCube, effects: np.ndarray) -> pd.DataFrame:
    """:func:`leniency_table` of the scores ``cube`` and the calibration's ``(E, C)`` expert ``effects``."""
    x = cube.values
    A, E, C = x.shape
    rows = []
    present = ~np.isnan(x)
    n_ac = present.sum(axis=1)  # (A, C)
    scored = present.any(axis=2)
    m = int(scored.sum(axis=1).max(initial=0))
    if C > 1 and _exact_sums(x[present], m):
        # scores on a grid: the few experts of each application summed (exact sums, the same doubles
        # in any order) instead of the whole expert axis (0.7 s at 20,000 x 200 x 8)
        order = np.argsort(~scored, axis=1, kind="stable")[:, :m]  # the experts who scored first
        slots = np.take_along_axis(x, order[:, :, None], axis=1)
        s_ac = np.where(np.isnan(slots), 0.0, slots).sum(axis=1)
    else:
        s_ac = np.where(present, x, 0.0).sum(axis=1)
    # each criterion's spread over every score given, once (not once per expert)
    col_sd = []
    for c in range(C):
        col = x[:, :, c][present[:, :, c]]
        usable = bool(col.size >= 2 and col.std() > 0)
        col_sd.append((float(col.std(ddof=1)) if usable else np.nan, usable))
    by_expert = expert_rows(x)  # gathers the same values in the same order as a full-column mask
    for e, expert in enumerate(cube.experts):
        devs_all, n_all = [], 0
        mine = by_expert[e]
        for c, crit in enumerate(cube.criteria):
            ok = mine[present[mine, e, c]]
            k = len(ok)
            xe = x[ok, e, c]
            others = n_ac[ok, c] - 1
            with np.errstate(invalid="ignore", divide="ignore"):
                dev = xe - (s_ac[ok, c] - xe) / others
            dev = dev[others > 0]
            devs_all.extend(dev.tolist())
            n_all += k
            ratio = (xe.std(ddof=1) / col_sd[c][0]) if k >= 2 and col_sd[c][1] else np.nan
            lenient = float(effects[e, c]) if k else np.nan
            low, high = leniency_interval(lenient, dev)
            rows.append({"expert_id": expert, "criterion_id": crit, "n_scores": k,
                         "mean_score": float(xe.mean()) if k else np.nan,
                         "mean_deviation": float(dev.mean()) if dev.size else np.nan,
                         "leniency": lenient,
                         "spread_ratio": float(ratio), "note": "" if dev.size else "no shared applications",
                         "leniency_low": low, "leniency_high": high, "label": leniency_label(lenient, low, high)})
        scored = present[mine, e, :]
        lenient = float(effects[e, scored.any(axis=0)].mean()) if n_all else np.nan
        low, high = leniency_interval(lenient, np.array(devs_all))
        rows.append({"expert_id": expert, "criterion_id": "all", "n_scores": n_all,
                     "mean_score": float(x[mine, e, :][scored].mean()) if n_all else np.nan,
                     "mean_deviation": float(np.mean(devs_all)) if devs_all else np.nan,
                     "leniency": lenient, "spread_ratio": np.nan,
                     "note": "" if len(devs_all) >= 2 else "too little data for an interval",
                     "leniency_low": low, "leniency_high": high, "label": leniency_label(lenient, low, high)})
    return pd.DataFrame(rows, columns=LENIENCY_COLUMNS)


def prev_divergent_scores(evaluation: pd.DataFrame, criteria: list[str] | None = None, *, min_range: float = 2.0
                     ) -> pd.DataFrame:
    """:func:`~selection.aggregate.divergence.divergent_scores` as of 1de2462."""
    if not (np.isfinite(min_range) and min_range > 0):
        raise PanelError(Problem(f"the divergence range is {min_range}; use a positive number of points"))
    crit = list(criteria) if criteria is not None else sorted(evaluation[ev.CRITERION].astype(str).unique())
    rows = evaluation[evaluation[ev.SCORE].notna() & evaluation[ev.CRITERION].astype(str).isin(crit)]
    rows = rows.sort_values([ev.APPLICATION, ev.CRITERION, ev.EXPERT], kind="stable")
    keys = [ev.APPLICATION, ev.CRITERION]
    g = rows.groupby(keys, sort=True)[ev.SCORE]
    spread = g.transform("max") - g.transform("min")
    rows = rows[(spread >= min_range - 1e-9).to_numpy()]  # only the divergent cells' rows are written out
    if ev.COMMENT in rows.columns:
        comments = rows[ev.COMMENT].fillna("").astype(str).str.strip()
    else:
        comments = pd.Series("", index=rows.index)
    experts = rows[ev.EXPERT].astype(str)
    rows = rows.assign(
        _comment=comments,
        _score=experts + ": " + rows[ev.SCORE].map(lambda v: f"{v:g}"),
        _text=np.where(comments != "", experts + ": " + comments, ""),
    )
    grouped = rows.groupby(keys, sort=True)
    stats_ = grouped[ev.SCORE].agg(["count", "min", "max", "std"])
    # each cell's scores and comments joined in row (expert) order, in one pass over the rows
    # (a Python join per group through pandas costs ~70 us a cell: 2 s at 28,000 divergent cells)
    cell = grouped.ngroup().to_numpy()
    scores = prev_joined(cell, rows["_score"].tolist(), len(stats_))
    texts = prev_joined(cell, rows["_text"].tolist(), len(stats_))
    out = pd.DataFrame({
        "application_id": [k[0] for k in stats_.index], "criterion_id": [k[1] for k in stats_.index],
        "n_scores": stats_["count"].to_numpy().astype(int), "min_score": stats_["min"].to_numpy(),
        "max_score": stats_["max"].to_numpy(), "score_range": (stats_["max"] - stats_["min"]).to_numpy(),
        "score_sd": stats_["std"].fillna(0.0).to_numpy(), "scores": scores, "comments": texts,
    })
    table = out.reindex(columns=DIVERGENCE_COLUMNS)
    if table.empty:
        return table
    order = {c: i for i, c in enumerate(crit)}
    table["_c"] = table["criterion_id"].map(order)
    table = table.sort_values(["score_range", "application_id", "_c"], ascending=[False, True, True], kind="stable")
    return table.drop(columns="_c").reset_index(drop=True)


def prev_joined(group: np.ndarray, texts: list[str], n: int) -> np.ndarray:
    """``" | "``-joined non-empty ``texts`` per group number (``0..n-1``), in the order given."""
    parts: list[list[str]] = [[] for _ in range(n)]
    for i, t in zip(group.tolist(), texts, strict=True):
        if t:
            parts[i].append(t)
    return np.array([" | ".join(p) for p in parts], dtype=object)


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
        monkeypatch.setattr(sums, "numpy_order", lambda: False)
        monkeypatch.setattr(agreement_module, "_dyadic_weights", lambda mu: False)
    return use


def test_this_numpy_sums_the_way_the_fast_paths_assume():
    """Otherwise every diagnostic silently takes the dense path again (correct, but 3x slower)."""
    assert sums.numpy_order()


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
       complete=st.booleans(), abstain=st.sampled_from([0.0, 0.1, 0.5]),
       unscored=st.sampled_from(["no", "nobody", "one expert", "one application"]))
@example(seed=1, C=3, off_grid=False, complete=False, abstain=0.0, unscored="nobody")
def test_agreement_table_from_scored_cells_is_the_plain_one(seed, C, off_grid, complete, abstain, unscored,
                                                            tmp_path_factory):
    """Small panels too: complete rows (two-way forms and Kendall's W from the scored cells), rows and
    experts without a score, a criterion nobody, one expert or one application scored."""
    x = national(seed, A=30, E=6 if complete else 12, C=C, off_grid=off_grid, abstain=abstain)
    if complete:
        x[:8, :5, :] = np.round(np.random.default_rng(seed).random((8, 5, C)) * 4 + 1, 1 if off_grid else 0)
    if unscored != "no":
        x[:, :, C - 1] = np.nan
        if unscored == "one expert":
            x[:10, 2, C - 1] = 3.0
        elif unscored == "one application":
            x[4, :3, C - 1] = [1.0, 2.0, 4.0]
    cube = labelled(x)
    w = np.arange(1.0, C + 1)
    tmp = tmp_path_factory.mktemp("agr")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        fast = agreement_table(cube, w)
        with pytest.MonkeyPatch.context() as mp:  # the dense path (1de2462's computation)
            mp.setattr(sums, "numpy_order", lambda: False)
            mp.setattr(agreement_module, "_dyadic_weights", lambda mu: False)
            identical(fast, agreement_table(cube, w), tmp)
        if unscored == "no":  # (fe09cc6's reference counts the applications of a matrix nobody scored otherwise)
            same_frame(fast, ref_agreement_table(cube, w), tmp)


@settings(max_examples=20, deadline=None)
@given(seed=st.integers(0, 10_000), off_grid=st.booleans(), ridge=st.sampled_from([0.0, 1.0, 3.5]),
       islands=st.booleans(), thin=st.sampled_from(["no", "unscored criterion", "one score", "one expert"]))
def test_additive_effects_from_scored_cells_are_the_dense_ones(seed, off_grid, ridge, islands, thin):
    """The same expert effects bit for bit (signs of zeros included) and the same notes, with designs
    shared between criteria, differing by abstentions, split into islands (no fit, a note), or too
    thin for a fit (a criterion nobody, one expert or only one score has)."""
    x = national(seed, A=120, E=15, C=3, off_grid=off_grid, abstain=0.05)
    if thin == "unscored criterion":
        x[:, :, 1] = np.nan
    elif thin == "one score":
        x[:, :, 1] = np.nan
        x[5, 3, 1] = 4.0
    elif thin == "one expert":
        x[:, :, 1] = np.nan
        x[:30, 3, 1] = 2.0
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
            mp.setattr(sums, "numpy_order", lambda: False)
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


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), C=st.integers(1, 3), off_grid=st.booleans(), abstain=st.sampled_from([0.0, 0.1]))
def test_leniency_is_the_previous_one(seed, C, off_grid, abstain, tmp_path_factory):
    cube = labelled(national(seed, A=200, E=20, C=C, off_grid=off_grid, abstain=abstain))
    effects = np.random.default_rng(seed).standard_normal((20, C))
    identical(_leniency(cube, effects), prev_leniency(cube, effects), tmp_path_factory.mktemp("len"))


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 10_000), comments=st.sampled_from(["none", "some", "column missing"]),
       min_range=st.sampled_from([0.5, 2.0, 4.0]), negative_zero=st.booleans())
def test_divergence_is_the_previous_one(seed, comments, min_range, negative_zero, h, tmp_path_factory):
    x = national(seed, A=150, E=20, C=3)
    if negative_zero:
        x[~np.isnan(x) & (x == 0.0)] = -0.0  # written "-0", as before
    e = h.long_table(x).sample(frac=1.0, random_state=seed).reset_index(drop=True)
    if comments == "some":
        e[ev.COMMENT] = np.where(np.random.default_rng(seed).random(len(e)) < 0.3, "  see p. 3 ", None)
    elif comments == "column missing":
        e = e.drop(columns=ev.COMMENT)
    identical(divergent_scores(e, ["c2", "c0"], min_range=min_range),
              prev_divergent_scores(e, ["c2", "c0"], min_range=min_range), tmp_path_factory.mktemp("div"))


@pytest.mark.parametrize("off_grid", [False, True])
def test_a_cube_in_fortran_order_gives_the_dense_results(off_grid, dense_paths, tmp_path):
    """numpy sums another memory layout in another order: such a cube takes the dense paths."""
    x = national(11, A=300, E=20, C=3, off_grid=off_grid)
    c_cube, f_cube = labelled(np.ascontiguousarray(x)), labelled(np.asfortranarray(x))
    w = np.array([0.2, 0.5, 0.3])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast_f, fast_c = agreement_table(f_cube, w), agreement_table(c_cube, w)
        eff_f, eff_c = _additive_effects(f_cube), _additive_effects(c_cube)
        len_f = _leniency(f_cube, eff_f)
        dense_paths()
        identical(fast_f, agreement_table(f_cube, w), tmp_path)
        identical(fast_c, agreement_table(c_cube, w), tmp_path)
        same_array(eff_f, _additive_effects(f_cube))
        same_array(eff_c, _additive_effects(c_cube))
    identical(len_f, prev_leniency(f_cube, eff_f), tmp_path)


def test_the_diagnostics_leave_a_compact_cube_compact(h):
    """At 20,000 x 200 x 8 the dense cube is 256 MB of page faults: agreement, additive effects and
    leniency read the scored cells of the compact form, and give what they give on the dense cube."""
    from selection.aggregate import score_cube

    x = national(13, A=200, E=20, C=3)
    cube = score_cube(h.long_table(x), ["c0", "c1", "c2"])
    assert cube._values is None  # built in its compact form
    w = np.array([0.2, 0.5, 0.3])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        table, effects = agreement_table(cube, w), _additive_effects(cube)
        lenient = _leniency(cube, effects)
    assert cube._values is None, "the dense cube was made"
    dense = labelled(np.ascontiguousarray(x[:, :-1, :]))  # (the last expert scores nothing: not in the table)
    assert dense.experts == cube.experts
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        pd.testing.assert_frame_equal(table, agreement_table(dense, w), check_exact=True)
        same_array(effects, _additive_effects(dense))
        pd.testing.assert_frame_equal(lenient, _leniency(dense, effects), check_exact=True)


def scipy_islands(mask: np.ndarray, applications: list[str], experts: list[str]) -> list[tuple[list[str], list[str]]]:
    """``calibration.islands`` as of 1de2462 (scipy's connected components), verbatim but renamed."""
    from scipy.sparse import coo_matrix
    from scipy.sparse.csgraph import connected_components

    A, E = mask.shape
    a, e = np.nonzero(mask)
    graph = coo_matrix((np.ones(len(a)), (a, A + e)), shape=(A + E, A + E))
    _, labels = connected_components(graph, directed=False)
    used = np.r_[mask.any(axis=1), mask.any(axis=0)]
    out = []
    for lab in np.unique(labels[used]):
        members = np.nonzero((labels == lab) & used)[0]
        out.append(([experts[i - A] for i in members if i >= A], [applications[i] for i in members if i < A]))
    out.sort(key=lambda t: (-(len(t[0]) + len(t[1])), t[0], t[1]))
    return out


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), A=st.integers(0, 60), E=st.integers(0, 12),
       density=st.sampled_from([0.0, 0.02, 0.08, 0.3, 1.0]), shape=st.sampled_from(["random", "blocks", "chain"]))
def test_islands_are_scipys_connected_components(seed, A, E, density, shape):
    """Random designs, block-diagonal ones (many islands) and long chains (many hooking rounds)."""
    rng = np.random.default_rng(seed)
    mask = rng.random((A, E)) < density
    if shape == "blocks" and A and E:
        mask &= (np.arange(A)[:, None] * 4 // max(A, 1)) == (np.arange(E)[None, :] * 4 // max(E, 1))
    elif shape == "chain" and A and E:
        mask[:] = False
        for a in range(A):  # application a scored by experts a and a + 1 (modulo E): a ring of islands joined
            mask[a, a % E] = mask[a, (a + 1) % E] = True
    apps, exps = [f"A{i:03d}" for i in range(A)], [f"E{j:02d}" for j in range(E)]
    assert islands(mask, apps, exps) == scipy_islands(mask, apps, exps)


def test_islands_of_a_long_chain():
    """Application i shares expert i with application i - 1: one island, 2,000 nodes long."""
    n = 1000
    mask = np.zeros((n, n + 1), dtype=bool)
    mask[np.arange(n), np.arange(n)] = mask[np.arange(n), np.arange(n) + 1] = True
    apps, exps = [f"A{i:04d}" for i in range(n)], [f"E{j:04d}" for j in range(n + 1)]
    assert islands(mask, apps, exps) == scipy_islands(mask, apps, exps) == [(exps, apps)]
