"""Rank intervals at scale (issue 12, wave 4): ranks by counting, the streamed grid bootstrap, the
score quantiles from resample counts; every result the plain computation's, bit for bit.

Oracles nobody here changed: ``scipy.stats.rankdata(method="min")`` (competition ranks),
``numpy.quantile`` on the whole replicate array, the sort path of ``ranks_of_keys``, and the
previous implementations kept verbatim: the bootstrap's draws and table rows as of ef8f8f5's
parent (``ref_draws``, ``ref_codes`` below) and ``ref_rank_intervals`` of
tests/aggregate/test_scale_identity.py (the whole ``(n_boot, A, C)`` replicate cube, its totals,
sorted ranks and ``np.quantile``).
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

import numpy as np
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from selection.aggregate import bootstrap as bootstrap_module
from selection.aggregate import rank_intervals
from selection.aggregate.arrays import PanelError
from selection.aggregate.bootstrap import _linear_quantiles, _Resampling, rank_intervals_cube
from selection.aggregate.calibration import CalibrationWarning
from selection.rank import _common


def _identity_module():
    """tests/aggregate/test_scale_identity.py, for its verbatim references (importlib mode: no import by name)."""
    path = Path(__file__).with_name("test_scale_identity.py")
    spec = importlib.util.spec_from_file_location("_scale_identity_refs", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_REF = _identity_module()
ref_rank_intervals, sparse_cube, same_frame = _REF.ref_rank_intervals, _REF.sparse_cube, _REF.same_frame


def ref_draws(res: _Resampling, n_boot: int, rng: np.random.Generator):
    """``_Resampling.draws`` before this change, verbatim (a fresh array per block, broadcast scaling)."""
    A, m = res.A, res.m
    chunk = max(1, bootstrap_module._CHUNK_CELLS // max(A * m * (res.C if res.method != "mean" else 1), 1))
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        u = rng.random((b, A, m))
        u *= res.n_draw[None, :, None]
        idx = u.astype(res.slot_type)
        np.minimum(idx, res.last_slot[None, :, None], out=idx)
        yield start, idx


def ref_codes(res: _Resampling, idx: np.ndarray) -> np.ndarray:
    """``_Resampling.codes`` before this change, verbatim: the counts of the draws, encoded, looked up."""
    _, base, power, local = res.lookup
    code = np.zeros(idx.shape[:2], dtype=np.int32)
    for d in range(res.m):
        slot = power[idx[:, :, d]]
        code += slot if res.slot_ok[:, d].all() else np.where(res.slot_ok[None, :, d], slot, 0)
    return base[None, :] + local[code]


def same_array(a: np.ndarray, b: np.ndarray) -> None:
    assert a.shape == b.shape and a.dtype == b.dtype
    assert a.tobytes() == b.tobytes(), "not bit for bit the same"


# ---------------------------------------------------------------------------------------------
# Competition ranks by counting
# ---------------------------------------------------------------------------------------------

@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 10_000), shape=st.sampled_from([(1,), (6,), (1, 1), (3, 9), (5, 40), (2, 3, 17), (4, 0)]),
       span=st.sampled_from([1, 2, 5, 30, 1_000]), offset=st.sampled_from([0, -7, 10**12]),
       dtype=st.sampled_from(["int8", "int16", "int32", "int64", "uint8", "uint64"]))
def test_ranks_by_counting_are_scipys_min_ranks(seed, shape, span, offset, dtype):
    """Integer keys of any type, range and offset: the counting path (small ranges) and the sort path
    (wide ones) give scipy's competition ranks ("min"), as int64, the shape kept."""
    rng = np.random.default_rng(seed)
    info = np.iinfo(dtype)
    low = max(int(info.min), min(offset, int(info.max) - span))
    key = (low + rng.integers(0, span, size=shape)).astype(dtype)
    got = _common.ranks_of_keys(key)
    expected = scipy.stats.rankdata(key.astype(np.float64) - low, method="min", axis=-1) if key.size \
        else np.zeros(shape)
    assert got.dtype == np.int64 and got.shape == key.shape
    np.testing.assert_array_equal(got, expected.astype(np.int64))


def test_ranks_by_counting_are_the_sorted_ranks(monkeypatch):
    """Bootstrap-sized keys (66 replicates x 20,000 applications, 600 key values): counted, then sorted."""
    key = np.random.default_rng(3).integers(0, 600, size=(66, 20_000)).astype(np.int32)
    counted = _common.ranks_of_keys(key)
    monkeypatch.setattr(_common, "_COUNT_SPAN", 0)  # no key range is small enough: the sort path
    same_array(counted, _common.ranks_of_keys(key))


@pytest.mark.parametrize("dtype", [np.int16, np.int32, np.int64])
def test_ranks_by_counting_in_a_narrow_type(dtype):
    key = np.random.default_rng(5).integers(0, 50, size=(7, 3, 300))
    got = _common.ranks_by_counting(key, 50, dtype=dtype)
    assert got.dtype == dtype
    np.testing.assert_array_equal(got, scipy.stats.rankdata(key, method="min", axis=-1))


def test_counting_is_used_only_for_small_ranges(monkeypatch):
    calls: list[int] = []
    original = _common.ranks_by_counting
    monkeypatch.setattr(_common, "ranks_by_counting", lambda k, span, **kw: (calls.append(span), original(k, span, **kw))[1])
    _common.ranks_of_keys(np.array([[3, 1, 2, 3]]))
    _common.ranks_of_keys(np.array([[0, 10**6, 5, 7]]))  # 1,000,001 values for 4 keys: sorted
    _common.ranks_of_keys(np.array([[0.5, 0.25]]))  # not integers: sorted
    assert calls == [3]


# ---------------------------------------------------------------------------------------------
# Score quantiles from counts
# ---------------------------------------------------------------------------------------------

@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.sampled_from([1, 2, 3, 7, 20, 21, 40, 101, 1_000]), P=st.integers(1, 10),
       A=st.integers(1, 6), grid=st.booleans(), q=st.sampled_from([(0.05, 0.95), (0.0, 1.0), (0.5,), (0.25, 0.3, 0.999)]))
def test_linear_quantiles_from_counts_are_numpys(seed, n, P, A, grid, q):
    """Each application's replicates take P values (ties among them too) as often as drawn: the
    quantiles read from the counts are np.quantile's of the replicates themselves, bit for bit."""
    rng = np.random.default_rng(seed)
    values = np.round(rng.normal(size=(P, A)) * 3, 1) if grid else rng.normal(size=(P, A)) / 3
    if P > 2:
        values[1] = values[0]  # a tie between two resamples
    drawn = np.stack([rng.multinomial(n, rng.dirichlet(np.ones(P))) for _ in range(A)], axis=1)
    replicates = np.stack([np.repeat(values[:, a], drawn[:, a]) for a in range(A)], axis=1)
    rng.shuffle(replicates, axis=0)
    same_array(_linear_quantiles(values, drawn, n, q), np.quantile(replicates, list(q), axis=0))


# ---------------------------------------------------------------------------------------------
# Draws and resample numbers
# ---------------------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), per_app=st.integers(1, 5), abstain=st.sampled_from([0.0, 0.3]),
       empty_app=st.booleans(), n_boot=st.sampled_from([1, 9, 33]))
def test_draws_and_resample_numbers_are_the_previous_ones(seed, per_app, abstain, empty_app, n_boot):
    """One buffer for the uniforms, scaling by one number or per application, and the resample number
    looked up from the ordered draws: the same slots and table rows as before, block by block;
    applications scored by different numbers of experts, one scored by nobody."""
    x = sparse_cube(seed, A=19, E=8, C=2, per_app=per_app, abstain=abstain)
    if empty_app:
        x[4] = np.nan
    res = _Resampling(x, "mean", 0.1)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bootstrap_module, "_CHUNK_CELLS", 100)
        new = list(res.draws(n_boot, np.random.default_rng(seed)))
        ref = list(ref_draws(res, n_boot, np.random.default_rng(seed)))
    assert len(new) == len(ref) > (1 if n_boot > 1 else 0)
    for (s1, i1), (s2, i2) in zip(new, ref, strict=True):
        assert s1 == s2
        same_array(i1, i2)
        if res.lookup is not None:
            np.testing.assert_array_equal(res.codes(i1), ref_codes(res, i2))
            np.testing.assert_array_equal(res.patterns(i1), ref_codes(res, i2) - res.lookup[1][None, :])


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), A=st.integers(0, 30), E=st.integers(0, 9), C=st.sampled_from([1, 2, 3, 4, 8]),
       per_app=st.integers(0, 5), short=st.sampled_from([0.0, 0.1, 0.5]), layout=st.sampled_from(["C", "F", "strided"]))
def test_scored_experts_and_their_slots_are_the_sorted_ones(seed, A, E, C, per_app, short, layout):
    """Which experts scored (NaN flags read as whole numbers) and each application's slots (placed
    from the scored cells) against ``~isnan.all`` and the stable argsort; applications with fewer
    experts than the most, none, no expert at all, any memory layout."""
    from selection.aggregate.bootstrap import _scored, _slot_experts

    rng = np.random.default_rng(seed)
    x = np.full((A, E, C), np.nan)
    for a in range(A):
        k = min(E, per_app if rng.random() >= short else int(rng.integers(0, per_app + 1)))
        who = rng.choice(E, size=k, replace=False)
        x[a, who] = rng.integers(0, 6, size=(k, C))
        x[a, who, rng.integers(0, C)] = np.nan  # one criterion left out (still scored when C > 1)
    x = {"C": x, "F": np.asfortranarray(x), "strided": np.repeat(x, 2, axis=2)[:, :, ::2]}[layout]
    scored = _scored(x)
    np.testing.assert_array_equal(scored, ~np.isnan(x).all(axis=2))
    n_a = scored.sum(axis=1)
    m = max(int(n_a.max()) if A else 0, 1)
    same_array(_slot_experts(scored, n_a, m), np.argsort(~scored, axis=1, kind="stable")[:, :m])


# ---------------------------------------------------------------------------------------------
# Rank intervals, end to end
# ---------------------------------------------------------------------------------------------

def _both(x: np.ndarray, cat, n_boot: int, seed: int, top_k: int, h, **kw):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        new = rank_intervals(h.long_table(x), cat, n_boot, np.random.default_rng(seed), top_k=top_k, **kw)
        ref = ref_rank_intervals(h.long_table(x), cat, n_boot, np.random.default_rng(seed), top_k=top_k, **kw)
    return new, ref


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), per_app=st.integers(1, 4), A=st.sampled_from([2, 3, 25]),
       n_boot=st.sampled_from([1, 2, 20, 61]), top_k=st.sampled_from([1, 3, 30]), step=st.sampled_from([1.0, 0.5]))
def test_streamed_rank_intervals_are_the_plain_ones(seed, per_app, A, n_boot, top_k, step, h, tmp_path_factory):
    """The counted ranks, streamed sums and counted score quantiles against the whole replicate
    cube's, in many blocks; inexact weights (the order of the score sums shows), few applications."""
    x = sparse_cube(seed, A=A, E=7, C=3, per_app=per_app, abstain=0.0, step=step, lone=False)
    cat = h.make_catalogue(["c0", "c1", "c2"], weights={"c0": 0.55, "c1": 0.3, "c2": 0.15})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bootstrap_module, "_CHUNK_CELLS", 90)
        mp.setitem(_REF.__dict__, "_CHUNK_CELLS", 90)
        new, ref = _both(x, cat, n_boot, seed, top_k, h)
    same_frame(new, ref, tmp_path_factory.mktemp("ri"))


@pytest.mark.parametrize("case", ["one_application", "negative_zero", "no_application", "many_key_values"])
def test_rank_intervals_edge_cases_are_the_plain_ones(case, h, tmp_path):
    """One application (numpy sums a single column pairwise: the totals are kept), totals of -0.0
    (np.quantile may pick either zero of a tie with 0.0: the totals are kept), no application, and
    more key values than counting takes (weights that separate every total: ranks_of_keys sorts)."""
    x = sparse_cube(7, A=30, E=6, C=3, per_app=3, abstain=0.0, lone=False)
    weights = {"c0": 0.5, "c1": 0.3, "c2": 0.2}
    if case == "one_application":
        x = x[:1]
    elif case == "negative_zero":
        x[2:4] = np.where(np.isnan(x[2:4]), np.nan, 0.0)
        x[2, :, 0] = np.where(np.isnan(x[2, :, 0]), np.nan, np.arange(6) % 2)  # A002: some totals 0, some not
    elif case == "many_key_values":
        weights = {"c0": 1 / 3 + 1e-6, "c1": 1 / 7, "c2": 1 - 1 / 3 - 1e-6 - 1 / 7}
    cat = h.make_catalogue(["c0", "c1", "c2"], weights=weights)
    if case == "no_application":
        for fn in (rank_intervals, ref_rank_intervals):
            out = fn(h.long_table(x).iloc[:0], cat, 5, np.random.default_rng(0), top_k=2)
            assert out.empty
        return
    counted: list[bool] = []
    with pytest.MonkeyPatch.context() as mp:
        quantiles = bootstrap_module._linear_quantiles
        mp.setattr(bootstrap_module, "_linear_quantiles", lambda *a: (counted.append(True), quantiles(*a))[1])
        if case == "negative_zero":
            # the engine's totals start from +0.0, so a zero total is +0.0: those of even applications
            # made -0.0 (the same in both implementations, which take their totals from this function)
            totals = bootstrap_module.weighted_totals

            def signed(*a, **kw):
                t = totals(*a, **kw)
                return np.where((t == 0) & (np.arange(t.shape[-1]) % 2 == 0), -0.0, t)

            mp.setattr(bootstrap_module, "weighted_totals", signed)
            mp.setitem(_REF.__dict__, "weighted_totals", signed)
        new, ref = _both(x, cat, 23, 4, 5, h)
    same_frame(new, ref, tmp_path)
    assert counted == ([] if case in ("one_application", "negative_zero") else [True])


def test_unscored_application_is_named_before_anything_is_drawn(h):
    x = sparse_cube(13, A=8, E=5, C=2, abstain=0.0, lone=False)
    x[2, :, 1] = np.nan
    cat = h.make_catalogue(["c0", "c1"])
    rng = np.random.default_rng(0)
    with pytest.raises(PanelError) as exc:
        rank_intervals_cube([f"A{i:03d}" for i in range(8)], x, cat, 5, rng, top_k=2)
    assert [p.message for p in exc.value.problems] == ["application A002 has no score on some criterion"]


def test_callgen_sized_rank_intervals_are_the_plain_ones(h, tmp_path):
    """2,000 applications, 3 of 60 experts each, 8 criteria on the 0-5 grid, uneven weights, 60
    replicates: the engine's stage-1 shape (ranks counted over ~600 key values)."""
    rng = np.random.default_rng(12)
    x = np.full((2_000, 60, 8), np.nan)
    for a in range(2_000):
        x[a, rng.choice(60, 3, replace=False)] = rng.integers(0, 6, size=(3, 8))
    weights = dict(zip([f"c{k}" for k in range(8)], [0.2, 0.15, 0.15, 0.1, 0.1, 0.1, 0.1, 0.1], strict=True))
    cat = h.make_catalogue(list(weights), weights=weights)
    new, ref = _both(x, cat, 60, 2, 200, h)
    same_frame(new, ref, tmp_path)
