"""Rank intervals at scale (issue 12, wave 4): ranks by counting, the streamed grid bootstrap, the
score quantiles from resample counts; every result the plain computation's, bit for bit.

Oracles nobody here changed: ``scipy.stats.rankdata(method="min")`` (competition ranks),
``numpy.quantile`` on the whole replicate array, numpy's reductions, and the previous
implementations kept verbatim: the engine as of 1de2462 (``prev_*`` below: the bootstrap's set-up,
draws and table rows, ranks by sorting, the rank intervals from whole totals and keys arrays) and
``ref_rank_intervals`` of tests/aggregate/test_scale_identity.py (before wave 3: the whole
``(n_boot, A, C)`` replicate cube, its totals, sorted ranks and ``np.quantile``).
"""

from __future__ import annotations

import importlib.util
import math
import warnings
from collections.abc import Iterator, Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import scipy.stats
from hypothesis import given, settings
from hypothesis import strategies as st

from selection import evaluation as ev
from selection.aggregate import bootstrap as bootstrap_module
from selection.aggregate import rank_intervals
from selection.aggregate.arrays import PanelError, _exact_sums, aggregate_kernel
from selection.aggregate.bootstrap import (
    _check,
    _linear_quantiles,
    _Resampling,
    _weights,
    rank_intervals_cube,
    weighted_totals,
)
from selection.aggregate.calibration import CalibrationWarning
from selection.errors import Problem
from selection.rank import _common, competition_ranks
from selection.rank._common import benefit_mask

# the previous implementation's block and table sizes (tests shrink them with the engine's)
_CHUNK_CELLS = bootstrap_module._CHUNK_CELLS
_TABLE_CELLS = bootstrap_module._TABLE_CELLS


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


# ---------------------------------------------------------------------------------------------
# The previous implementation (1de2462), verbatim but renamed and calling each other: the resample
# table, the bootstrap's set-up, draws, table rows and blocks, ranks_of_keys (by sorting) and the
# rank intervals (whole totals and keys arrays, ranks sorted, np.quantile of the totals): the
# oracle of the tests below and the same-run baseline of benchmarks/bench_diagnostics.py.
# ---------------------------------------------------------------------------------------------

def prev_resample_table(filled: np.ndarray, present: np.ndarray, observed: np.ndarray, n_a: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None:
    """Every possible resample mean of each application, for the exact case (:func:`_exact_sums`).

    A resample of an application scored by ``n`` experts is fixed by how often each of its ``n``
    expert slots was drawn: one of ``C(2n - 1, n)`` count vectors (10 for 3 experts). Returns
    ``(table, base, power, local)``: ``table[base[a] + local[code]]`` is the ``(C,)`` mean of the
    resample whose counts ``k_j`` encode as ``code = sum_j k_j * power[j]``; a cell every drawn
    expert abstained on keeps the observed score, as in the matrix products. ``None`` when the
    table would exceed ``_TABLE_CELLS``.
    """
    from itertools import combinations_with_replacement

    A, m, C = filled.shape
    radix = m + 1  # a count is at most m
    if radix ** m > _TABLE_CELLS or C == 0:  # (8 experts or more on one application)
        return None
    power = radix ** np.arange(m, dtype=np.int32)
    sizes = {int(n): math.comb(2 * int(n) - 1, int(n)) if n else 1 for n in np.unique(n_a)}
    if sum(sizes[int(n)] * int(k) for n, k in zip(*np.unique(n_a, return_counts=True), strict=True)) * C \
            > _TABLE_CELLS:
        return None
    local = np.full(radix ** m, -1, dtype=np.int64)
    patterns: dict[int, np.ndarray] = {}
    for n in sizes:
        counts = np.zeros((sizes[n], m), dtype=np.int64)
        for i, draw in enumerate(combinations_with_replacement(range(n), n) if n else [()]):
            np.add.at(counts[i], list(draw), 1)
        local[counts @ power] = np.arange(sizes[n])
        patterns[n] = counts
    per_app = np.array([sizes[int(n)] for n in n_a], dtype=np.int64)
    base = np.cumsum(per_app) - per_app  # each application's first row
    table = np.empty((int(per_app.sum()), C))
    for n, counts in patterns.items():
        apps = np.nonzero(n_a == n)[0]
        w = counts.astype(np.float64)  # (P, m)
        num = np.zeros((len(apps), len(w), C))  # from +0.0, as a matrix product's sums (a zero sum is +0.0)
        den = np.zeros((len(apps), len(w), C))
        for j in range(m):
            num += w[None, :, j, None] * filled[apps, None, j, :]
            den += w[None, :, j, None] * present[apps, None, j, :]
        empty = den == 0.0
        np.divide(num, den, out=num, where=~empty)
        num = np.where(empty, observed[apps, None, :], num)
        table[(base[apps, None] + np.arange(len(w))[None, :]).reshape(-1)] = num.reshape(-1, C)
    return table, base, power, local


class PrevResampling:
    """The arrays every replicate of :func:`bootstrap_blocks` is drawn from, prepared once: each
    application's scoring experts as slots ``(A, m, C)``, its observed panel scores, and (the mean
    of scores on a grid) the table of its possible resample means (:func:`_resample_table`)."""

    def __init__(self, values: np.ndarray, method: str, trim: float) -> None:
        values = np.asarray(values, dtype=np.float64)
        A, _, C = values.shape
        scored = ~np.isnan(values).all(axis=2)
        n_a = scored.sum(axis=1)
        m = max(int(n_a.max()) if A else 0, 1)
        order = np.argsort(~scored, axis=1, kind="stable")[:, :m]  # the experts who scored come first
        padded = np.take_along_axis(values, order[:, :, None], axis=1)  # (A, m, C)
        if padded.shape[1] < m:  # fewer experts than slots (E < 1)
            padded = np.full((A, m, C), np.nan)
        self.A, self.m, self.C, self.method, self.trim = A, m, C, method, trim
        self.n_a, self.padded = n_a, padded
        self.observed = aggregate_kernel(padded, method, trim, axis=1)  # (A, C)
        self.present = ~np.isnan(padded)
        self.filled = np.where(self.present, padded, 0.0)
        self.slot_ok = np.arange(m)[None, :] < n_a[:, None]  # (A, m)
        self.n_draw = np.maximum(n_a, 1)
        self.slot_type = np.int8 if m < 128 else np.int64
        self.last_slot = (self.n_draw - 1).astype(self.slot_type)
        # the mean of scores on a grid: each replicate looked up among its application's possible
        # resamples (the same doubles as the matrix products, which sum the same exact numbers)
        self.lookup = prev_resample_table(self.filled, self.present, self.observed, n_a) \
            if method == "mean" and _exact_sums(self.filled, m) else None

    def draws(self, n_boot: int, rng: np.random.Generator) -> Iterator[tuple[int, np.ndarray]]:
        """``(start, idx)`` per block: ``idx[r, a, d]``, the slot replicate ``start + r`` draws for
        application ``a``'s ``d``-th draw (only ``d < n_a`` count), from ``rng`` in order."""
        A, m = self.A, self.m
        chunk = max(1, _CHUNK_CELLS // max(A * m * (self.C if self.method != "mean" else 1), 1))
        for start in range(0, n_boot, chunk):
            b = min(chunk, n_boot - start)
            u = rng.random((b, A, m))
            u *= self.n_draw[None, :, None]
            idx = u.astype(self.slot_type)  # small whole numbers: the same slots in a narrower type
            np.minimum(idx, self.last_slot[None, :, None], out=idx)
            yield start, idx

    def codes(self, idx: np.ndarray) -> np.ndarray:
        """``(b, A)`` table rows (:attr:`lookup`) of the replicates drawn as ``idx``."""
        assert self.lookup is not None
        _, base, power, local = self.lookup
        code = np.zeros(idx.shape[:2], dtype=np.int32)  # how often each slot was drawn, encoded (< _TABLE_CELLS)
        for d in range(self.m):
            slot = power[idx[:, :, d]]
            code += slot if self.slot_ok[:, d].all() else np.where(self.slot_ok[None, :, d], slot, 0)
        return base[None, :] + local[code]

    def blocks(self, n_boot: int, rng: np.random.Generator) -> Iterator[tuple[int, np.ndarray]]:
        """:func:`bootstrap_blocks` of the prepared arrays."""
        A, m, C = self.A, self.m, self.C
        for start, idx in self.draws(n_boot, rng):
            b = len(idx)
            if self.lookup is not None:
                yield start, np.take(self.lookup[0], self.codes(idx), axis=0)
                continue
            if self.method == "mean":
                # how often each expert slot was drawn: a weighted mean is the mean of the resample
                flat = ((np.arange(b)[:, None, None] * A + np.arange(A)[None, :, None]) * m + idx)
                counts = np.bincount(flat[np.broadcast_to(self.slot_ok, flat.shape)], minlength=b * A * m)
                w = counts.reshape(b, A, m).astype(np.float64).transpose(1, 0, 2)  # (A, b, m)
                num = np.matmul(w, self.filled)  # (A, b, C)
                den = np.matmul(w, self.present.astype(np.float64))
                # den == 0 (every drawn expert abstained) implies num == 0: the cell keeps the observed
                # score. Written straight into the (b, A, C) output, without NaN intermediates.
                empty = den == 0.0
                np.divide(num, den, out=num, where=~empty)
                target = np.empty((b, A, C))
                np.copyto(target, num.transpose(1, 0, 2))
                if empty.any():
                    np.copyto(target, np.broadcast_to(self.observed[None], target.shape),
                              where=empty.transpose(1, 0, 2))
                yield start, target
                continue
            drawn = self.padded[np.arange(A)[None, :, None], idx]  # (b, A, m, C)
            drawn = np.where(self.slot_ok[None, :, :, None], drawn, np.nan)
            rep = aggregate_kernel(drawn, self.method, self.trim, axis=2)
            yield start, np.where(np.isnan(rep), self.observed[None], rep)


def prev_ranks_of_keys(key: np.ndarray, *, stable: bool = False) -> np.ndarray:
    """Competition ranks along the last axis of sort keys, the lowest key ranked 1 (equal keys share
    the best rank): :func:`competition_ranks` after its rounding, for keys of any ordered type. Keys
    that keep the order and the ties of the rounded scores (e.g. small integers numbering their
    distinct values) give the same ranks; ``stable`` sorts stably (needed only for NaN keys).

    >>> prev_ranks_of_keys(np.array([[2, 0, 2, 5]])).tolist()
    [[2, 1, 2, 4]]
    """
    # equal keys share their rank whatever their order, so any sort gives the same ranks (numpy's
    # default sort is ~4x the stable one on 1,000 x 20,000 bootstrap totals)
    order = np.argsort(key, axis=-1, kind="stable" if stable else None)
    ss = np.sort(key, axis=-1)  # = key in that order (equal keys are equal values); cheaper than gathering
    first = np.ones(ss.shape, dtype=bool)
    first[..., 1:] = ss[..., 1:] != ss[..., :-1]
    # each element's rank is 1 + the sorted position where its group of equal keys starts: each group's
    # start repeated over the group (every row starts a group, so no group spans two rows)
    starts = np.flatnonzero(first)
    sizes = np.diff(starts, append=first.size)
    start = np.repeat(starts % max(key.shape[-1], 1) + 1, sizes).reshape(ss.shape)
    ranks = np.empty(key.shape, dtype=np.int64)
    np.put_along_axis(ranks, order, start, axis=-1)
    return ranks


def prev_rank_intervals_cube(apps: list[str], values: np.ndarray, catalogue, n_boot: int, rng: np.random.Generator, *,
                        top_k: int, weights: Mapping[str, float] | None = None, method: str = "mean",
                        trim: float = 0.1) -> pd.DataFrame:
    """:func:`rank_intervals` of an (already calibrated) score cube ``values[a, e, c]`` whose applications
    are ``apps`` and criteria the catalogue's, in its order: the panel diagnostics reuse the cube and
    calibration they computed instead of rebuilding both from the long table (same result)."""
    if int(top_k) < 1:
        raise PanelError(Problem(f"top_k is {top_k}; use at least 1"))
    _weights(catalogue, weights)  # validate before the expensive part
    n_boot = _check(method, rng, n_boot)
    res = PrevResampling(values, method, trim)
    totals = np.empty((n_boot, res.A))
    keys: np.ndarray | None = None  # competition_ranks' sort keys, when known as integers
    if res.lookup is not None and benefit_mask([c.direction for c in catalogue.criteria], res.C).all():
        # scores on a grid, no cost criterion (whose reflection depends on the whole replicate):
        # each application's weighted total of each of its possible resamples, by the same stacked
        # matrix-vector products as the replicates' (numpy multiplies stack by stack, so a row's total
        # depends on that row and its position only); each replicate then looks its totals up
        table, base, _, _ = res.lookup
        per_app = np.diff(np.append(base, len(table)))
        rows = base[None, :] + np.minimum(np.arange(int(per_app.max(initial=1)))[:, None], per_app[None, :] - 1)
        stacked = np.take(table, rows, axis=0)  # (P, A, C): resample p of each application
        possible = weighted_totals(stacked, catalogue, weights)  # (P, A)
        # every resample of an application keeps the observed NaN of a criterion nobody scored
        unscored = np.isnan(stacked).any(axis=(0, 2))
        pattern = np.empty(len(table), dtype=np.int64)  # table row -> its pattern's number p
        pattern[:] = np.arange(len(table)) - np.repeat(base, per_app)
        # competition_ranks' sort keys (totals rounded to 12 decimals, best first) numbered once over
        # the possible totals: small integers in the same order with the same ties, a faster sort
        _, number = np.unique(-np.round(possible, 12), return_inverse=True)
        keys = np.empty((n_boot, res.A), dtype=np.int32 if number.size < 2**31 else np.int64)
        number = number.reshape(-1).astype(keys.dtype)
        for start, idx in res.draws(n_boot, rng):
            at = pattern[res.codes(idx)] * res.A + np.arange(res.A)[None, :]
            totals[start:start + len(idx)] = np.take(possible.reshape(-1), at)
            keys[start:start + len(idx)] = np.take(number, at)
    else:
        # block by block: each replicate's totals are the same stacked matrix product as over the
        # whole cube (numpy multiplies stack by stack), without holding the (n_boot, A, C) replicates
        unscored = np.zeros(res.A, dtype=bool)
        for start, block in res.blocks(n_boot, rng):
            unscored |= np.isnan(block).any(axis=(0, 2))
            totals[start:start + len(block)] = weighted_totals(block, catalogue, weights)
    nan_apps = [apps[i] for i in np.nonzero(unscored)[0]]
    if nan_apps:
        raise PanelError([Problem(f"application {a} has no score on some criterion",
                                  hint="every application needs at least one score per criterion")
                          for a in nan_apps])
    ranks = competition_ranks(totals) if keys is None else prev_ranks_of_keys(keys)
    # type-1 quantiles are order statistics: each application's ranks sorted once (small integers,
    # a fast sort), at the positions np.quantile(ranks, q, axis=0, method="inverted_cdf") picks
    # (found by asking it on the positions 0..n_boot-1 themselves)
    pick = np.quantile(np.arange(len(ranks), dtype=np.float64), [0.05, 0.25, 0.5, 0.75, 0.95],
                       method="inverted_cdf").astype(np.int64)
    q = np.sort(ranks.T.astype(np.int32 if ranks.shape[1] < 2**31 else np.int64), axis=1)[:, pick].T
    sq = np.quantile(totals, [0.05, 0.95], axis=0)
    out = pd.DataFrame({
        "expected_rank": ranks.mean(axis=0),
        "rank_q05": q[0].astype(np.int64), "rank_q25": q[1].astype(np.int64), "rank_q50": q[2].astype(np.int64),
        "rank_q75": q[3].astype(np.int64), "rank_q95": q[4].astype(np.int64),
        "probability_top_k": (ranks <= int(top_k)).mean(axis=0),
        "score_mean": totals.mean(axis=0), "score_q05": sq[0], "score_q95": sq[1],
    }, index=pd.Index(apps, name=ev.APPLICATION))
    return out


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
    monkeypatch.setattr(_common, "COUNT_SPAN", 0)  # no key range is small enough: the sort path
    same_array(counted, _common.ranks_of_keys(key))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), shape=st.sampled_from([(0,), (1,), (9,), (3, 0), (4, 1), (5, 13), (2, 3, 17)]),
       nan=st.booleans(), integers=st.booleans())
def test_sorted_ranks_are_the_previous_ones(seed, shape, nan, integers):
    """The sort path (running maximum of group starts, one flat scatter) against the previous one
    (repeated starts, put_along_axis): ties, -0.0 beside 0.0, infinities, NaN (stable), integers."""
    rng = np.random.default_rng(seed)
    if integers:
        key = rng.integers(-3, 4, size=shape)
    else:
        key = rng.choice([0.0, -0.0, 1.0, 2.5, np.inf, -np.inf] + ([np.nan] if nan else []), size=shape)
    stable = bool(not integers and np.isnan(key).any())
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(_common, "COUNT_SPAN", 0)  # integers sorted, not counted
        same_array(_common.ranks_of_keys(key, stable=stable), prev_ranks_of_keys(key, stable=stable))


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


@settings(max_examples=80, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.sampled_from([1, 2, 3, 7, 20, 101, 1_000]), A=st.integers(0, 7),
       special=st.sampled_from(["none", "ties", "zero", "negative_zero", "nan", "inf"]),
       q=st.sampled_from([(0.05, 0.95), (0.0, 1.0), (0.5,), (0.25, 0.3, 0.999)]))
def test_column_quantiles_are_numpys(seed, n, A, special, q):
    """Columns partitioned as rows at only the positions read: np.quantile's doubles; with a zero,
    NaN or an infinity np.quantile itself."""
    from selection.aggregate.bootstrap import _column_quantiles

    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, A)) / 3
    if special == "ties":
        x = np.round(x, 1) + 0.05
    elif x.size and special != "none":
        x.reshape(-1)[rng.integers(0, x.size, size=3)] = {"zero": 0.0, "negative_zero": -0.0, "nan": np.nan,
                                                          "inf": np.inf}[special]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        same_array(_column_quantiles(x, q), np.quantile(x, list(q), axis=0))


# ---------------------------------------------------------------------------------------------
# Draws and resample numbers
# ---------------------------------------------------------------------------------------------

@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), per_app=st.integers(1, 5), abstain=st.sampled_from([0.0, 0.3]),
       empty_app=st.booleans(), n_boot=st.sampled_from([1, 9, 33]))
def test_draws_and_resample_numbers_are_the_previous_ones(seed, per_app, abstain, empty_app, n_boot):
    """One buffer for the uniforms, scaling by one number or per application, the product cast as it
    is made, and the resample number looked up from the ordered draws: the same slots and table rows
    as before, block by block; applications scored by different numbers of experts, one by nobody."""
    x = sparse_cube(seed, A=19, E=8, C=2, per_app=per_app, abstain=abstain)
    if empty_app:
        x[4] = np.nan
    res, prev = _Resampling(x, "mean", 0.1), PrevResampling(x, "mean", 0.1)
    for name in ("n_a", "padded", "observed", "present", "filled", "slot_ok", "n_draw", "last_slot"):
        same_array(getattr(res, name), getattr(prev, name))
    assert (res.lookup is None) == (prev.lookup is None)
    if res.lookup is not None:
        for new_part, prev_part in zip(res.lookup, prev.lookup, strict=True):
            same_array(new_part, prev_part)
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bootstrap_module, "_CHUNK_CELLS", 100)
        mp.setitem(globals(), "_CHUNK_CELLS", 100)
        new = list(res.draws(n_boot, np.random.default_rng(seed)))
        ref = list(prev.draws(n_boot, np.random.default_rng(seed)))
    assert len(new) == len(ref) > (1 if n_boot > 1 else 0)
    for (s1, i1), (s2, i2) in zip(new, ref, strict=True):
        assert s1 == s2
        same_array(i1, i2)
        if res.lookup is not None:
            np.testing.assert_array_equal(res.codes(i1), prev.codes(i2))
            np.testing.assert_array_equal(res.patterns(i1), prev.codes(i2) - prev.lookup[1][None, :])


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
    apps = [f"A{i:03d}" for i in range(len(x))]
    same_frame(rank_intervals_cube(apps, x, cat, 60, np.random.default_rng(2), top_k=200),
               prev_rank_intervals_cube(apps, x, cat, 60, np.random.default_rng(2), top_k=200), tmp_path)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), per_app=st.integers(1, 4), abstain=st.sampled_from([0.0, 0.2]),
       step=st.sampled_from([1.0, 0.5, 0.1]), n_boot=st.sampled_from([1, 13, 50]), cost=st.booleans(),
       method=st.sampled_from(["mean", "median"]), top_k=st.sampled_from([1, 4, 100]))
def test_rank_intervals_of_a_cube_are_the_previous_ones(seed, per_app, abstain, step, n_boot, cost, method, top_k, h,
                                                       tmp_path_factory):
    """The engine against its previous version (1de2462) on the same cube: on the grid and off it,
    with and without a cost criterion, mean and median, many blocks; the same table or the same error."""
    x = sparse_cube(seed, A=21, E=7, C=3, per_app=per_app, abstain=abstain, step=step)
    cat = h.make_catalogue(["c0", "c1", "c2"], weights={"c0": 0.55, "c1": 0.3, "c2": 0.15},
                           directions={"c1": "cost"} if cost else None)
    apps = [f"A{i:03d}" for i in range(len(x))]
    outcomes = []
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bootstrap_module, "_CHUNK_CELLS", 120)
        mp.setitem(globals(), "_CHUNK_CELLS", 120)
        for fn in (rank_intervals_cube, prev_rank_intervals_cube):
            try:
                outcomes.append(fn(apps, x, cat, n_boot, np.random.default_rng(seed), top_k=top_k, method=method))
            except PanelError as exc:
                outcomes.append([p.message for p in exc.problems])
    if isinstance(outcomes[0], pd.DataFrame):
        same_frame(outcomes[0], outcomes[1], tmp_path_factory.mktemp("ri"))
    else:
        assert outcomes[0] == outcomes[1]
