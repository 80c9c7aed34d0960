"""The score cube and the stage's panel scores at scale (issue 12): a precomputed ``cube=`` gives the
results of the evaluation's own, and the fast cube and aggregation equal the plain ones bit for bit."""

from __future__ import annotations

import pickle
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selection import evaluation as ev
from selection.aggregate import (
    ScoreCube,
    score_counts,
    score_cube,
    stage_diagnostics,
    stage_panel_scores,
)
from selection.aggregate.arrays import AGGREGATIONS, PanelError, aggregate_cube, aggregate_kernel
from selection.aggregate.calibration import CALIBRATIONS
from selection.errors import Problem

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


# ---------------------------------------------------------------------------------------------
# The engine before the speed-up (1de2462), verbatim (renamed): the oracles of the fast cube,
# the compact aggregation and the coded counts
# ---------------------------------------------------------------------------------------------

def ref_score_cube(evaluation: pd.DataFrame, criteria: list[str] | None = None) -> ScoreCube:
    missing = [c for c in (ev.APPLICATION, ev.EXPERT, ev.CRITERION, ev.SCORE) if c not in evaluation.columns]
    if missing:
        raise PanelError(Problem(f"the evaluation table has no column(s) {', '.join(missing)}",
                                 hint="pass the long score table of selection.evaluation"))
    if criteria is None:
        criteria = sorted(evaluation[ev.CRITERION].astype(str).unique())
    criteria = [str(c) for c in criteria]
    apps = sorted(evaluation[ev.APPLICATION].astype(str).unique())
    experts = sorted(evaluation[ev.EXPERT].astype(str).unique())
    rows = evaluation[evaluation[ev.CRITERION].astype(str).isin(criteria)]
    a = pd.Index(apps).get_indexer(rows[ev.APPLICATION].astype(str))
    e = pd.Index(experts).get_indexer(rows[ev.EXPERT].astype(str))
    c = pd.Index(criteria).get_indexer(rows[ev.CRITERION].astype(str))
    s = rows[ev.SCORE].to_numpy(dtype=np.float64)
    flat = (a * len(experts) + e) * len(criteria) + c
    uniq, counts = np.unique(flat, return_counts=True)
    if (counts > 1).any():
        dup = rows.iloc[np.nonzero(np.isin(flat, uniq[counts > 1]))[0]]
        problems = []
        for (ai, ei, ci), _ in dup.groupby([ev.APPLICATION, ev.EXPERT, ev.CRITERION], sort=True):
            problems.append(Problem(f"expert {ei} scored application {ai} on criterion {ci} more than once",
                                    hint="keep one score per expert, application and criterion"))
        raise PanelError(problems)
    values = np.full((len(apps), len(experts), len(criteria)), np.nan)
    values[a, e, c] = s
    return ScoreCube(apps, experts, criteria, values)


def ref_score_counts(evaluation: pd.DataFrame, *, min_experts: int | None = None) -> pd.DataFrame:
    scored = evaluation[evaluation[ev.SCORE].notna()]
    apps = pd.Index(sorted(evaluation[ev.APPLICATION].unique()), name=ev.APPLICATION)
    g = evaluation.groupby(ev.APPLICATION, sort=True)
    out = pd.DataFrame({
        "n_experts": scored.groupby(ev.APPLICATION)[ev.EXPERT].nunique().reindex(apps, fill_value=0).astype(int),
        "n_scores": g[ev.SCORE].count().reindex(apps, fill_value=0).astype(int),
        "n_abstentions": g[ev.ABSTAINED].sum().reindex(apps, fill_value=0).astype(int)
        if ev.ABSTAINED in evaluation.columns else 0,
    }, index=apps)
    if min_experts is not None:
        out["too_few_experts"] = out["n_experts"] < int(min_experts)
    return out


def ref_raw_panel(cube: ScoreCube, method: str, trim: float) -> np.ndarray:
    """The raw panel scores as ``panel_scores`` made them: the kernel over the whole dense cube."""
    return aggregate_kernel(cube.values, method, trim, axis=1)


def bits(x: np.ndarray) -> np.ndarray:
    """The float64 bit patterns: ``-0.0`` differs from ``+0.0``, a NaN equals the same NaN."""
    return np.ascontiguousarray(x, dtype=np.float64).view(np.int64)


# ---------------------------------------------------------------------------------------------
# Random long tables: few experts per application, sometimes all; zeros of both signs; grid
# scores or arbitrary doubles; abstentions; rows of other criteria; shuffled; several id dtypes
# ---------------------------------------------------------------------------------------------

@st.composite
def long_tables(draw):
    seed = draw(st.integers(0, 2**32 - 1))
    rng = np.random.default_rng(seed)
    A, E, C = draw(st.integers(1, 12)), draw(st.integers(1, 7)), draw(st.integers(1, 4))
    grid = draw(st.sampled_from(["half", "quarter", "zeros", "doubles", "huge"]))
    rows = []
    for a in range(A):
        k = E if rng.random() < 0.2 else int(rng.integers(0, min(E, 3) + 1))
        for e in rng.choice(E, size=k, replace=False):
            for c in range(C):
                if rng.random() < 0.1:
                    continue  # this criterion not scored
                if grid == "half":
                    v = float(rng.integers(-2, 11)) / 2
                elif grid == "quarter":
                    v = float(rng.integers(0, 21)) / 4
                elif grid == "zeros":
                    v = float(rng.choice([0.0, -0.0, 1.0]))
                elif grid == "doubles":
                    v = float(rng.normal(3, 2))
                else:
                    v = float(rng.choice([2.0 ** 52, 1.0, -0.0]))
                if rng.random() < 0.1:
                    v = float("nan")  # abstained
                rows.append((f"E{e}", f"A{a:02d}", f"c{c}", v, bool(np.isnan(v))))
    if rows and rng.random() < 0.5:  # scores of a criterion not in the catalogue
        rows += [(e, a, "other", 1.0, False) for e, a in dict.fromkeys((r[0], r[1]) for r in rows[:3])]
    frame = pd.DataFrame(rows, columns=[ev.EXPERT, ev.APPLICATION, ev.CRITERION, ev.SCORE, ev.ABSTAINED])
    frame = frame.iloc[rng.permutation(len(frame))].reset_index(drop=True)
    dtype = draw(st.sampled_from(["object", "string", "category"]))
    if len(frame):
        for col in (ev.EXPERT, ev.APPLICATION, ev.CRITERION):
            frame[col] = frame[col].astype(dtype)
    criteria = draw(st.sampled_from([None, "catalogue", "reversed"]))
    crit = None if criteria is None else [f"c{c}" for c in range(C)][::(-1 if criteria == "reversed" else 1)]
    return frame, crit


@settings(max_examples=80, deadline=None)
@given(table=long_tables(), trim=st.sampled_from([0.1, 0.25, 0.4]))
def test_the_cube_and_raw_panel_scores_are_the_plain_ones_bit_for_bit(table, trim):
    frame, criteria = table
    ref = ref_score_cube(frame, criteria)
    new = score_cube(frame, criteria)
    assert (new.applications, new.experts, new.criteria) == (ref.applications, ref.experts, ref.criteria)
    for method in AGGREGATIONS:  # before the dense values are made, where the compact form is used
        np.testing.assert_array_equal(bits(aggregate_cube(new, method, trim)), bits(ref_raw_panel(ref, method, trim)),
                                      err_msg=method)
    np.testing.assert_array_equal(bits(new.scored), bits(ref.scored))
    if len(ref.applications):
        rows = np.flatnonzero(np.arange(len(ref.applications)) % 2 == 0)
        np.testing.assert_array_equal(bits(new.dense_rows(rows)), bits(ref.values[rows]))
    np.testing.assert_array_equal(bits(new.values), bits(ref.values))
    for method in AGGREGATIONS:  # and after
        np.testing.assert_array_equal(bits(aggregate_cube(new, method, trim)), bits(ref_raw_panel(ref, method, trim)))
    again = pickle.loads(pickle.dumps(new))
    assert again._values is None  # the dense cube does not travel; it is made again where read
    np.testing.assert_array_equal(bits(again.values), bits(ref.values))


@settings(max_examples=60, deadline=None)
@given(table=long_tables(), min_experts=st.sampled_from([None, 1, 2, 3]), drop=st.booleans())
def test_score_counts_are_the_plain_ones(table, min_experts, drop):
    frame, _ = table
    if not len(frame):
        return
    frame[ev.APPLICATION] = frame[ev.APPLICATION].astype(str)
    if drop:
        frame = frame.drop(columns=ev.ABSTAINED)
    pd.testing.assert_frame_equal(score_counts(frame, min_experts=min_experts),
                                  ref_score_counts(frame, min_experts=min_experts), check_exact=True)


def test_a_zero_median_of_both_signed_zeros_is_the_dense_one():
    """Slices holding ``-0.0`` and ``+0.0`` whose median is zero: the dense rows decide its sign."""
    rows = []
    for a, scores in enumerate([[-0.0, 0.0, 1.0], [-0.0, -0.0, 0.0, 2.0], [-0.0, 0.0], [-0.0, -0.0, 3.0]]):
        rows += [(f"E{e}", f"A{a}", "c", v) for e, v in enumerate(scores)]
    frame = pd.DataFrame(rows, columns=[ev.EXPERT, ev.APPLICATION, ev.CRITERION, ev.SCORE])
    frame = pd.concat([frame, pd.DataFrame([("E9", "A9", "c", 1.0)], columns=frame.columns)])  # E > K
    new, ref = score_cube(frame), ref_score_cube(frame)
    for method in AGGREGATIONS:
        np.testing.assert_array_equal(bits(aggregate_cube(new, method, 0.25)), bits(ref_raw_panel(ref, method, 0.25)))


def test_a_wide_panel_is_the_dense_one():
    """200 experts, 3-5 per application and some applications scored by all: numpy sorts a dense
    slice of 200 in another way than a compact one of 5 (``-0.0`` and ``+0.0`` then come out in
    another order: the median's dense rows decide); arbitrary doubles on the second criterion."""
    rng = np.random.default_rng(1)
    rows = []
    for a in range(400):
        for e in rng.choice(200, size=200 if a % 50 == 0 else 3 + a % 3, replace=False):
            rows.append((f"E{e:03d}", f"A{a:03d}", "c0", float(rng.choice([0.0, -0.0, 1.0, 2.5]))))
            rows.append((f"E{e:03d}", f"A{a:03d}", "c1", float(rng.normal())))
    frame = pd.DataFrame(rows, columns=[ev.EXPERT, ev.APPLICATION, ev.CRITERION, ev.SCORE])
    ref = ref_score_cube(frame)
    for method in AGGREGATIONS:
        new = score_cube(frame)
        np.testing.assert_array_equal(bits(aggregate_cube(new, method, 0.2)), bits(ref_raw_panel(ref, method, 0.2)),
                                      err_msg=method)
        assert new._values is None or method == "mean"  # the mean of arbitrary doubles: dense


def test_all_negative_zero_slices_are_the_dense_ones():
    """A slice of ``-0.0`` scores, with and without an absent expert (whose dense ``+0.0`` term
    decides the sign of the sum), and one scored by every expert."""
    frame = pd.DataFrame([("E0", "A0", "c", -0.0), ("E1", "A0", "c", -0.0), ("E0", "A1", "c", -0.0)],
                         columns=[ev.EXPERT, ev.APPLICATION, ev.CRITERION, ev.SCORE])
    for method in AGGREGATIONS:
        np.testing.assert_array_equal(bits(aggregate_cube(score_cube(frame), method)),
                                      bits(ref_raw_panel(ref_score_cube(frame), method, 0.1)))


def test_duplicates_and_missing_ids_are_reported_as_before():
    frame = pd.DataFrame([("E0", "A0", "c", 1.0), ("E0", "A0", "c", 2.0), ("E1", "A1", "d", 1.0),
                          ("E1", "A1", "d", 1.0), ("E1", "A1", "c", 1.0)],
                         columns=[ev.EXPERT, ev.APPLICATION, ev.CRITERION, ev.SCORE])
    for criteria in (None, ["c"], ["d", "c"]):
        with pytest.raises(PanelError) as new:
            score_cube(frame, criteria)
        with pytest.raises(PanelError) as ref:
            ref_score_cube(frame, criteria)
        assert [p.message for p in new.value.problems] == [p.message for p in ref.value.problems]
    gaps = frame.iloc[[0, 2, 4]].copy()
    gaps[ev.APPLICATION] = pd.array(["A0", None, "A1"], dtype=object)  # left to the plain way, as it was
    with pytest.raises(TypeError):
        ref_score_cube(gaps)
    with pytest.raises(TypeError):
        score_cube(gaps)


def test_the_run_main_process_never_makes_the_dense_cube_on_grid_scores(example):
    """A stage on grid scores without calibration ranks on the compact form (the dense cube is
    made only where something reads ``values``: the diagnostics)."""
    for n, evaluation in example.evaluations.items():
        cat, stage = example.catalogues[n], example.call.stage(n)
        cube = score_cube(evaluation, cat.criterion_ids)
        panel = stage_panel_scores(evaluation, cat, stage.model_copy(update={"calibration": "none"}), cube=cube)
        assert cube._values is None
        np.testing.assert_array_equal(bits(panel.to_numpy()),
                                      bits(ref_raw_panel(ref_score_cube(evaluation, cat.criterion_ids),
                                                         stage.aggregation, stage.trim)))


@settings(max_examples=40, deadline=None)
@given(table=long_tables())
def test_the_scored_cells_are_those_of_the_dense_cube(table):
    """``ScoreCube.scored_cells`` from the compact form is ``sums.scored_cells`` of the dense values."""
    from selection.aggregate.sums import scored_cells

    frame, criteria = table
    ref = scored_cells(ref_score_cube(frame, criteria).values)
    new = score_cube(frame, criteria)
    idx, val = new.scored_cells()
    assert new._values is None and idx.dtype == ref[0].dtype
    np.testing.assert_array_equal(idx, ref[0])
    np.testing.assert_array_equal(bits(val), bits(ref[1]))
    assert not idx.flags.writeable and not val.flags.writeable
    dense = score_cube(frame, criteria)
    dense.values  # noqa: B018 - made first: the cells from the dense cube
    np.testing.assert_array_equal(dense.scored_cells()[0], ref[0])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.sampled_from([0, 1, 5, 4095, 4096, 9000]),
       run=st.sampled_from([1, 2, 8, 50]), kinds=st.sampled_from(["str", "gaps", "mixed"]))
def test_factorizing_runs_is_pandas_factorize(seed, n, run, kinds):
    """The codes and distinct values of ``pandas.factorize``, for values in runs or not, with missing
    values (``NaN``, ``None``) and values equal across types (``1 == 1.0 == True``)."""
    from selection.aggregate.arrays import _factorize

    rng = np.random.default_rng(seed)
    pool = {"str": ["A1", "B", "A10", "c"], "gaps": ["A1", "B", None, float("nan"), "c"],
            "mixed": ["A1", 1, 1.0, True, "1", None, float("nan")]}[kinds]
    picks = rng.integers(0, len(pool), size=-(-n // run)).repeat(run)[:n]
    if rng.random() < 0.3:
        picks = picks[rng.permutation(n)]
    values = np.empty(n, dtype=object)
    values[:] = [pool[i] for i in picks]
    codes, uniques = _factorize(values)
    ref_codes, ref_uniques = pd.factorize(values)
    np.testing.assert_array_equal(codes, ref_codes)
    assert [(type(u), u) for u in uniques] == [(type(u), u) for u in np.asarray(ref_uniques, dtype=object)]


def test_pickled_copies_of_a_cube_share_its_dense_array_in_a_process(example):
    """A run sends a stage's later diagnostics jobs, with its cube, to the worker that holds the forked
    original: each copy reads the dense array made there instead of making its own (256 MB at 20,000
    x 200 x 8, in page faults); another cube of the same scores makes its own."""
    n, evaluation = next(iter(example.evaluations.items()))
    cube = score_cube(evaluation, example.catalogues[n].criterion_ids)
    early = pickle.loads(pickle.dumps(cube))  # copied before anything was made
    made = cube.values
    late = pickle.loads(pickle.dumps(cube))
    assert late._values is None and early._values is None
    assert late.values is made and early.values is made
    other = score_cube(evaluation, example.catalogues[n].criterion_ids)
    assert other.values is not made
    np.testing.assert_array_equal(bits(other.values), bits(made))
    with pytest.raises(AttributeError):
        cube.applications = []


def test_diagnostics_from_the_cube_alone_need_no_long_table(example, tmp_path):
    """With the cube given, every file but divergence.csv is made without the long table (None)."""
    from selection.aggregate.panel import DIAGNOSTIC_FILES
    from selection.io.export import write_csv

    n, evaluation = next(iter(example.evaluations.items()))
    cat, stage = example.catalogues[n], example.call.stage(n)
    cube = score_cube(evaluation, cat.criterion_ids)
    files = tuple(f for f in DIAGNOSTIC_FILES if f != "divergence.csv")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        alone = stage_diagnostics(None, cat, stage, seed=3, n_boot=40, cube=cube, files=files)
        full = stage_diagnostics(evaluation, cat, stage, seed=3, n_boot=40)
    assert list(alone) == list(files)
    for name in files:
        write_csv(alone[name], tmp_path / "a.csv")
        write_csv(full[name], tmp_path / "f.csv")
        assert (tmp_path / "a.csv").read_bytes() == (tmp_path / "f.csv").read_bytes(), name
    with pytest.raises(ValueError, match="long evaluation"):
        stage_diagnostics(None, cat, stage, seed=3, n_boot=5, cube=cube)
    with pytest.raises(ValueError, match="no evaluation and no score cube"):
        stage_diagnostics(None, cat, stage, seed=3, n_boot=5, files=files)


@settings(max_examples=50, deadline=None)
@given(table=long_tables(), abstain_all=st.booleans())
def test_the_scoring_slots_are_the_bootstraps_own(table, abstain_all):
    """``ScoreCube.scoring_slots`` from the compact form is what the bootstrap's resampling takes
    from the dense cube (the scoring experts' slots, and their count), bit for bit; also with an
    expert who abstained on every criterion of an application (a slot with no score)."""
    from selection.aggregate.bootstrap import _Resampling

    frame, criteria = table
    if abstain_all and len(frame):
        pair = frame.iloc[0]
        hit = (frame[ev.APPLICATION] == pair[ev.APPLICATION]) & (frame[ev.EXPERT] == pair[ev.EXPERT])
        frame.loc[hit, ev.SCORE] = np.nan
    ref = _Resampling(ref_score_cube(frame, criteria).values, "mean", 0.1)
    cube = score_cube(frame, criteria)
    n_a, padded = cube.scoring_slots()
    assert cube._values is None
    np.testing.assert_array_equal(n_a, ref.n_a)
    assert n_a.dtype == ref.n_a.dtype and padded.shape == ref.padded.shape
    np.testing.assert_array_equal(bits(padded), bits(ref.padded))
    dense = score_cube(frame, criteria)
    dense.values  # noqa: B018 - made first: the slots from the dense cube
    np.testing.assert_array_equal(bits(dense.scoring_slots()[1]), bits(ref.padded))


def test_a_deep_copy_has_arrays_of_its_own(example):
    import copy

    n, evaluation = next(iter(example.evaluations.items()))
    cube = score_cube(evaluation, example.catalogues[n].criterion_ids)
    made = cube.values
    twin = copy.deepcopy(cube)
    assert twin.values is not made and twin.compact is not cube.compact
    np.testing.assert_array_equal(bits(twin.values), bits(made))


def test_uncalibrated_diagnostics_never_make_the_dense_cube(example, tmp_path):
    """Agreement, leniency and rank intervals of an uncalibrated stage read the cube's compact form
    (scored cells, scoring slots): the 256 MB dense array of a national call is never made; the
    rank intervals are those of the dense cube."""
    from selection.aggregate.bootstrap import rank_intervals_cube
    from selection.io.export import write_csv

    n, evaluation = next(iter(example.evaluations.items()))
    cat = example.catalogues[n]
    stage = example.call.stage(n).model_copy(update={"calibration": "none"})
    cube = score_cube(evaluation, cat.criterion_ids)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        stage_diagnostics(evaluation, cat, stage, seed=3, n_boot=20, cube=cube)
    assert cube._values is None
    for method in AGGREGATIONS:
        compact = rank_intervals_cube(cube.applications, cube, cat, 60, np.random.default_rng(4), top_k=5, method=method)
        dense = rank_intervals_cube(cube.applications, ref_score_cube(evaluation, cat.criterion_ids).values, cat, 60,
                                    np.random.default_rng(4), top_k=5, method=method)
        write_csv(compact, tmp_path / "c.csv", index=True)
        write_csv(dense, tmp_path / "d.csv", index=True)
        assert (tmp_path / "c.csv").read_bytes() == (tmp_path / "d.csv").read_bytes(), method
