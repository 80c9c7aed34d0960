"""Uncertainty of panel scores and ranks: the bootstrap over the experts who scored each application.

Each replicate draws, for every application independently, as many experts as scored it, with
replacement, from those experts, and aggregates their scores per criterion. An expert's scores on
the criteria of one application stay together (the expert is the resampling unit), so correlation
between criteria within an expert is kept. The spread of the replicates estimates how much the
panel score depends on which experts happened to score the application (Efron & Tibshirani 1993,
ch. 6; for ranks, Hall & Miller 2009).

References
----------
Efron, B., & Tibshirani, R. J. (1993). *An Introduction to the Bootstrap*. Chapman & Hall.
doi:10.1201/9780429246593

Hall, P., & Miller, H. (2009). Using the bootstrap to quantify the authority of an empirical
ranking. *The Annals of Statistics* 37(6B), 3929-3959. doi:10.1214/09-AOS699
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping

import numpy as np
import pandas as pd

from selection import evaluation as ev
from selection.aggregate.arrays import (
    AGGREGATIONS,
    PanelError,
    ScoreCube,
    _exact_sums,
    aggregate_kernel,
    score_cube,
)
from selection.errors import Problem
from selection.rank import competition_ranks, reflect_costs
from selection.rank._common import COUNT_SPAN, benefit_mask, ranks_by_counting, ranks_of_keys

__all__ = ["bootstrap_panels", "bootstrap_cube", "bootstrap_blocks", "rank_intervals", "rank_intervals_cube", "competition_ranks",
           "RANK_INTERVAL_COLUMNS"]

RANK_INTERVAL_COLUMNS = ["expected_rank", "rank_q05", "rank_q25", "rank_q50", "rank_q75", "rank_q95",
                         "probability_top_k", "score_mean", "score_q05", "score_q95"]

#: Cells of the (replicate x application x expert-slot x criterion) work array per chunk.
_CHUNK_CELLS = 4_000_000
#: Largest table of resample means (:func:`_resample_table`: application x possible resample x
#: criterion cells) the mean bootstrap looks its replicates up in; beyond it, matrix products.
_TABLE_CELLS = 8_000_000


def _resample_table(filled: np.ndarray, present: np.ndarray, observed: np.ndarray, n_a: np.ndarray
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
        every = len(patterns) == 1  # all applications have n experts: no selection, rows in order
        apps = slice(None) if every else np.nonzero(n_a == n)[0]
        w = counts.astype(np.float64)  # (P, m)
        size = A if every else len(np.asarray(apps))
        num = np.zeros((size, len(w), C))  # from +0.0, as a matrix product's sums (a zero sum is +0.0)
        den = np.zeros((size, len(w), C))
        for j in range(m):
            num += w[None, :, j, None] * filled[apps, None, j, :]
            den += w[None, :, j, None] * present[apps, None, j, :]
        empty = den == 0.0
        np.divide(num, den, out=num, where=~empty)
        if empty.any():
            num = np.where(empty, observed[apps, None, :], num)
        if every:
            table[:] = num.reshape(-1, C)
        else:
            table[(base[apps, None] + np.arange(len(w))[None, :]).reshape(-1)] = num.reshape(-1, C)
    return table, base, power, local


def bootstrap_cube(values: np.ndarray, n_boot: int, rng: np.random.Generator, *, method: str = "mean",
                   trim: float = 0.1) -> np.ndarray:
    """Label-free kernel of :func:`bootstrap_panels`.

    Parameters
    ----------
    values
        ``(A, E, C)`` scores, ``NaN`` where the expert gave no score.
    n_boot
        Number of replicates.
    rng
        The only source of randomness.

    Returns
    -------
    ``(n_boot, A, C)`` panel scores. When all the experts drawn for an application abstained on
    a criterion, the replicate keeps the observed panel score of that cell; an application no
    expert scored is ``NaN`` throughout.
    """
    blocks = bootstrap_blocks(values, n_boot, rng, method=method, trim=trim)
    start, block = next(blocks)  # the arguments are checked before anything is allocated
    out = np.empty((int(n_boot), *block.shape[1:]))
    out[start:start + len(block)] = block
    for start, block in blocks:
        out[start:start + len(block)] = block
    return out


def _scored(values: np.ndarray) -> np.ndarray:
    """``(A, E)``: whether the expert scored the application on some criterion, i.e.
    ``~np.isnan(values).all(axis=2)``; with 2, 4 or 8 criteria each cell's NaN flags (one byte each)
    are read as one whole number (all NaN = every byte 1), not reduced over a short axis."""
    nan = np.isnan(values)
    C = values.shape[2]
    if C in (2, 4, 8) and nan.flags.c_contiguous:
        every = np.frombuffer(b"\x01" * C, dtype=f"u{C}")[0]  # (the same bytes in either byte order)
        return nan.view(f"u{C}")[:, :, 0] != every
    return ~nan.all(axis=2)


def _slot_experts(scored: np.ndarray, n_a: np.ndarray, m: int) -> np.ndarray:
    """``np.argsort(~scored, axis=1, kind="stable")[:, :m]``: each application's ``m`` experts, those
    who scored it first (in expert order), then the first who did not. Placed from the scored cells
    in their row-major order; only the applications with fewer than ``m`` experts are sorted."""
    A, E = scored.shape
    short = np.nonzero(n_a < m)[0]
    if E < m or len(short) * 4 > A:
        return np.argsort(~scored, axis=1, kind="stable")[:, :m]
    order = np.empty((A, m), dtype=np.intp)
    a, e = np.nonzero(scored)
    order[a, np.arange(len(a)) - np.repeat(np.cumsum(n_a) - n_a, n_a)] = e
    if len(short):
        order[short] = np.argsort(~scored[short], axis=1, kind="stable")[:, :m]
    return order


class _Resampling:
    """The arrays every replicate of :func:`bootstrap_blocks` is drawn from, prepared once: each
    application's scoring experts as slots ``(A, m, C)``, its observed panel scores, and (the mean
    of scores on a grid) the table of its possible resample means (:func:`_resample_table`)."""

    def __init__(self, values: np.ndarray | ScoreCube, method: str, trim: float) -> None:
        slots = values.scoring_slots() if isinstance(values, ScoreCube) else None
        if slots is not None:  # the same slots from the cube's compact form: no dense cube
            n_a, padded = slots
            A, m, C = padded.shape
        else:
            values = np.asarray(values.values if isinstance(values, ScoreCube) else values, dtype=np.float64)
            A, E, C = values.shape
            scored = _scored(values)
            n_a = scored.sum(axis=1)
            m = max(int(n_a.max()) if A else 0, 1)
            order = _slot_experts(scored, n_a, m)  # the experts who scored come first
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
        self.lookup = _resample_table(self.filled, self.present, self.observed, n_a) \
            if method == "mean" and _exact_sums(self.filled, m) else None
        self._lut: np.ndarray | None = None  # :meth:`_ordered`, made on first use

    def draws(self, n_boot: int, rng: np.random.Generator) -> Iterator[tuple[int, np.ndarray]]:
        """``(start, idx)`` per block: ``idx[r, a, d]``, the slot replicate ``start + r`` draws for
        application ``a``'s ``d``-th draw (only ``d < n_a`` count), from ``rng`` in order."""
        A, m = self.A, self.m
        chunk = max(1, _CHUNK_CELLS // max(A * m * (self.C if self.method != "mean" else 1), 1))
        # the uniforms of each block are drawn into one buffer (the same numbers as rng.random of the
        # block's shape, without fresh pages per block) and scaled by the application's number of
        # experts: one number when all applications have the same (an (A, m) array otherwise, so that
        # numpy's inner loop runs over whole rows, not over the m draws of one application)
        same = A > 0 and bool((self.n_draw == self.n_draw[0]).all())
        scale: float | np.ndarray = float(self.n_draw[0]) if same else \
            np.repeat(self.n_draw.astype(np.float64)[:, None], m, axis=1)
        last: int | np.ndarray = int(self.last_slot[0]) if same else np.repeat(self.last_slot[:, None], m, axis=1)
        buffer = np.empty((min(chunk, n_boot), A, m))
        for start in range(0, n_boot, chunk):
            b = min(chunk, n_boot - start)
            u = buffer[:b]
            rng.random(out=u)
            # small whole numbers: the slots, cast to a narrower type as the product is made (the
            # same truncation as .astype of the product)
            idx = np.empty(u.shape, dtype=self.slot_type)
            np.multiply(u, scale, out=idx, casting="unsafe")
            np.minimum(idx, last, out=idx)
            yield start, idx

    def codes(self, idx: np.ndarray) -> np.ndarray:
        """``(b, A)`` table rows (:attr:`lookup`) of the replicates drawn as ``idx``."""
        assert self.lookup is not None
        return self.lookup[1][None, :] + self.patterns(idx)

    def patterns(self, idx: np.ndarray, lut: np.ndarray | None = None) -> np.ndarray:
        """``(b, A)``: which of its possible resamples (:func:`_resample_table`'s ``local`` number) each
        application's replicate drawn as ``idx`` is, from one look-up of its draws in their order.

        The draws ``d`` of one application are read as the digits of ``sum_d idx[d] * radix**d``
        (``radix = m + 1``; a draw beyond the application's experts is the digit ``m``, no draw), a
        number below ``radix**m`` computed in the narrowest integer type; :meth:`_ordered` maps each
        such number to its resample, as ``local`` maps the counts of the draws. ``lut``: another
        look-up by the same numbers instead (e.g. :meth:`_ordered` times the number of applications).
        """
        m, radix = self.m, self.m + 1
        lut = self._ordered() if lut is None else lut
        wide = np.int8 if radix ** m <= 127 else np.int16 if radix ** m <= 32767 else np.int32
        if not self.slot_ok.all():
            idx = np.where(self.slot_ok[None], idx, m)
        code: np.ndarray = idx[:, :, m - 1].astype(wide)
        for d in range(m - 2, -1, -1):  # Horner: ((idx[m-1]) * radix + idx[m-2]) * radix + ...
            code *= wide(radix)
            code += idx[:, :, d]
        return np.take(lut, code)

    def _ordered(self) -> np.ndarray:
        """The look-up :meth:`patterns` reads: for every number ``sum_d digit[d] * radix**d`` (digits
        below ``radix``), the ``local`` number of the resample whose counts those draws make (a digit
        ``m`` draws nothing), in the narrowest integer type; made once."""
        if self._lut is None:
            assert self.lookup is not None
            _, _, power, local = self.lookup
            m, radix = self.m, self.m + 1
            ordered = np.arange(radix ** m, dtype=np.int64)
            counts = np.zeros(radix ** m, dtype=np.int64)
            for d in range(m):
                digit = (ordered // radix ** d) % radix
                counts += np.where(digit < m, power[np.minimum(digit, m - 1)], 0)
            lut = local[counts]
            self._lut = lut.astype(np.int8 if lut.max(initial=0) < 128 else np.int16 if lut.max() < 32768
                                   else np.int64)
        return self._lut

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


def _check(method: str, rng, n_boot) -> int:
    if method not in AGGREGATIONS:
        raise PanelError(Problem(f"unknown aggregation {method!r}", hint=f"use one of {', '.join(AGGREGATIONS)}"))
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator, e.g. numpy.random.default_rng(seed)")
    if int(n_boot) < 1:
        raise PanelError(Problem(f"n_boot is {n_boot}; use at least 1 replicate"))
    return int(n_boot)


def bootstrap_blocks(values: np.ndarray, n_boot: int, rng: np.random.Generator, *, method: str = "mean",
                     trim: float = 0.1) -> Iterator[tuple[int, np.ndarray]]:
    """:func:`bootstrap_cube` block by block: ``(start, replicates[start:start + b])``, each block a
    ``(b, A, C)`` array, drawn in order from ``rng``. A consumer that needs only a summary of each
    replicate (weighted totals) never holds the whole ``(n_boot, A, C)`` cube (1.3 GB at 20,000
    applications x 8 criteria x 1,000 replicates); the values are the same, bit for bit."""
    n_boot = _check(method, rng, n_boot)
    yield from _Resampling(values, method, trim).blocks(n_boot, rng)


def bootstrap_panels(evaluation: pd.DataFrame, criteria: list[str], n_boot: int, rng: np.random.Generator,
                     *, method: str = "mean", trim: float = 0.1) -> tuple[list[str], np.ndarray]:
    """Bootstrap replicates of the panel scores, resampling the experts who scored each application.

    Parameters
    ----------
    evaluation
        The long score table (:mod:`selection.evaluation`); abstentions (``NaN``) are skipped.
    criteria
        Criterion ids, in the order of the last axis of the result.
    n_boot
        Number of replicates.
    rng
        A seeded :class:`numpy.random.Generator`; the same generator state gives the same result.
    method, trim
        Aggregation per replicate, as in :func:`selection.aggregate.panel_scores`.

    Returns
    -------
    applications, replicates
        The application ids (sorted) and an array of shape ``(n_boot, n_apps, n_criteria)``.

    Notes
    -----
    An application's resample has as many draws as experts scored it. If every drawn expert
    abstained on a criterion, that cell keeps its observed panel score (otherwise the replicate
    would have no value there); an application nobody scored is ``NaN``.

    >>> e = pd.DataFrame({"application_id": ["A", "A", "B"], "expert_id": ["x", "y", "x"],
    ...                   "criterion_id": ["c", "c", "c"], "score": [3.0, 5.0, 2.0]})
    >>> apps, reps = bootstrap_panels(e, ["c"], 1000, np.random.default_rng(1))
    >>> apps, reps.shape, sorted(set(reps[:, 0, 0].tolist())), set(reps[:, 1, 0].tolist())
    (['A', 'B'], (1000, 2, 1), [3.0, 4.0, 5.0], {2.0})
    """
    cube = score_cube(evaluation, list(criteria))
    return cube.applications, bootstrap_cube(cube.values, n_boot, rng, method=method, trim=trim)


def _weights(catalogue, weights: Mapping[str, float] | None) -> np.ndarray:
    """The catalogue's normalised weights, or ``weights`` checked and normalised to sum 1."""
    criteria = catalogue.criterion_ids
    if weights is None:
        w = catalogue.weights()
        return np.array([w[c] for c in criteria], dtype=np.float64)
    from selection.rank.weights import check_weights  # one validation of weights for the engine

    w = check_weights(weights, criteria, warn=False)
    return np.array([w[c] for c in criteria], dtype=np.float64)


def weighted_totals(replicates: np.ndarray, catalogue, weights: Mapping[str, float] | None = None) -> np.ndarray:
    """``(n_boot, A)`` weighted totals of ``(n_boot, A, C)`` replicates, as :func:`selection.rank.weighted_sum`.

    Cost criteria enter as ``max + min - x`` over the applications of the same replicate.
    """
    x = reflect_costs(np.asarray(replicates, dtype=np.float64), [c.direction for c in catalogue.criteria])
    return x @ _weights(catalogue, weights)


def rank_intervals(evaluation: pd.DataFrame, catalogue, n_boot: int, rng: np.random.Generator, *, top_k: int,
                   weights: Mapping[str, float] | None = None, method: str = "mean", trim: float = 0.1,
                   calibration: str = "none") -> pd.DataFrame:
    """Distribution of each application's weighted total and rank over bootstrap replicates.

    Parameters
    ----------
    evaluation
        The long score table.
    catalogue
        The stage's :class:`~selection.model.CriteriaCatalogue` (criteria, weights, directions).
    n_boot, rng
        Number of replicates and the seeded generator (see :func:`bootstrap_panels`).
    top_k
        The ``probability_top_k`` column is the share of replicates in which the application's
        rank is ``<= top_k`` (e.g. the stage's ``max_selected``).
    weights
        Criterion weights (normalised here); default the catalogue's.
    method, trim
        Aggregation per replicate.
    calibration
        ``"none"`` (default), ``"zscore"`` or ``"additive"``: calibrate the scores once
        (:func:`selection.aggregate.calibrate_evaluation`) and bootstrap the calibrated scores
        (the calibration is treated as fixed).

    Returns
    -------
    DataFrame indexed by ``application_id`` (sorted) with :data:`RANK_INTERVAL_COLUMNS`.
    Ranks are competition ranks per replicate (ties share the best rank, no tie-break);
    rank quantiles are empirical quantiles of the replicates (Hyndman & Fan type 1, so they are
    ranks that occurred), score quantiles interpolate linearly (type 7). ``rank_q05``-``rank_q95``
    is the 90 % interval, ``rank_q25``-``rank_q75`` the 50 % interval.
    """
    if int(top_k) < 1:
        raise PanelError(Problem(f"top_k is {top_k}; use at least 1"))
    if calibration != "none":
        from selection.aggregate.calibration import calibrate_evaluation

        evaluation = calibrate_evaluation(evaluation, catalogue, method=calibration)
    criteria = catalogue.criterion_ids
    w = _weights(catalogue, weights)  # validate before the expensive part
    del w
    cube = score_cube(evaluation, list(criteria))
    return rank_intervals_cube(cube.applications, cube.values, catalogue, n_boot, rng, top_k=top_k,
                               weights=weights, method=method, trim=trim)


def rank_intervals_cube(apps: list[str], values: np.ndarray | ScoreCube, catalogue, n_boot: int, rng: np.random.Generator, *,
                        top_k: int, weights: Mapping[str, float] | None = None, method: str = "mean",
                        trim: float = 0.1) -> pd.DataFrame:
    """:func:`rank_intervals` of an (already calibrated) score cube ``values[a, e, c]`` (or an uncalibrated
    :class:`~selection.aggregate.arrays.ScoreCube`, resampled from its compact form) whose applications
    are ``apps`` and criteria the catalogue's, in its order: the panel diagnostics reuse the cube and
    calibration they computed instead of rebuilding both from the long table (same result)."""
    if int(top_k) < 1:
        raise PanelError(Problem(f"top_k is {top_k}; use at least 1"))
    _weights(catalogue, weights)  # validate before the expensive part
    n_boot = _check(method, rng, n_boot)
    res = _Resampling(values, method, trim)
    if res.lookup is not None and benefit_mask([c.direction for c in catalogue.criteria], res.C).all():
        return _intervals_from_table(apps, res, catalogue, weights, n_boot, rng, int(top_k))
    # block by block: each replicate's totals are the same stacked matrix product as over the
    # whole cube (numpy multiplies stack by stack), without holding the (n_boot, A, C) replicates
    totals = np.empty((n_boot, res.A))
    unscored = np.zeros(res.A, dtype=bool)
    for start, block in res.blocks(n_boot, rng):
        unscored |= np.isnan(block).any(axis=(0, 2))
        totals[start:start + len(block)] = weighted_totals(block, catalogue, weights)
    _no_unscored(apps, unscored)
    ranks = competition_ranks(totals)
    # type-1 quantiles are order statistics: each application's ranks sorted once (small integers,
    # a fast sort), at the positions np.quantile(ranks, q, axis=0, method="inverted_cdf") picks
    small = np.int16 if ranks.shape[1] < 2**15 else np.int32 if ranks.shape[1] < 2**31 else np.int64
    q = np.sort(ranks.T.astype(small), axis=1)[:, _picks(n_boot)].T  # (a rank is at most A)
    sq = _column_quantiles(totals, (0.05, 0.95))
    return _interval_frame(apps, ranks.mean(axis=0), q, (ranks <= int(top_k)).mean(axis=0),
                           totals.mean(axis=0), sq)


def _no_unscored(apps: list[str], unscored: np.ndarray) -> None:
    """The error naming every application with no score on some criterion (NaN totals), if any."""
    nan_apps = [apps[i] for i in np.nonzero(unscored)[0]]
    if nan_apps:
        raise PanelError([Problem(f"application {a} has no score on some criterion",
                                  hint="every application needs at least one score per criterion")
                          for a in nan_apps])


def _picks(n_boot: int) -> np.ndarray:
    """The positions among ``n_boot`` sorted ranks that np.quantile(ranks, (0.05, 0.25, 0.5, 0.75,
    0.95), method="inverted_cdf") picks (type 1: order statistics), found by asking it on the
    positions 0..n_boot-1 themselves."""
    return np.quantile(np.arange(n_boot, dtype=np.float64), [0.05, 0.25, 0.5, 0.75, 0.95],
                       method="inverted_cdf").astype(np.int64)


def _interval_frame(apps: list[str], expected: np.ndarray, q: np.ndarray, top: np.ndarray, score_mean: np.ndarray,
                    sq: np.ndarray) -> pd.DataFrame:
    """The table of :func:`rank_intervals` from its columns (``q``: the five rank quantiles, ``sq``
    the two score quantiles, one row each)."""
    return pd.DataFrame({
        "expected_rank": expected,
        "rank_q05": q[0].astype(np.int64), "rank_q25": q[1].astype(np.int64), "rank_q50": q[2].astype(np.int64),
        "rank_q75": q[3].astype(np.int64), "rank_q95": q[4].astype(np.int64),
        "probability_top_k": top,
        "score_mean": score_mean, "score_q05": sq[0], "score_q95": sq[1],
    }, index=pd.Index(apps, name=ev.APPLICATION))


def _interpolated(statistic: Callable[[np.ndarray], np.ndarray], n: int, q: tuple[float, ...]) -> np.ndarray:
    """``np.quantile(x, q, axis=0)`` (type 7, linear) of ``n`` replicates per column, from
    ``statistic(j)``, the ``j[i]``-th smallest replicate of each column (rows ``i``), by numpy's own
    arithmetic (``numpy.lib._function_base_impl``: virtual index ``(n - 1) * q``, its floor and
    fraction, indexes past the last clamped, ``_lerp``), so the result is the same double.

    Hyndman, R. J., & Fan, Y. (1996). Sample quantiles in statistical packages. *The American
    Statistician* 50(4), 361-365. doi:10.1080/00031305.1996.10473566
    """
    virtual = (n - 1) * np.asarray(q, dtype=np.float64)
    previous = np.floor(virtual)
    following = previous + 1
    previous[virtual >= n - 1] = following[virtual >= n - 1] = -1
    previous[virtual < 0] = following[virtual < 0] = 0
    previous_i, following_i = previous.astype(np.intp), following.astype(np.intp)
    gamma = (virtual - previous_i)[:, None]
    lo, hi = statistic(previous_i % n), statistic(following_i % n)
    diff = hi - lo
    out = lo + diff * gamma
    np.subtract(hi, diff * (1 - gamma), out=out, where=np.broadcast_to(gamma >= 0.5, out.shape))
    return out


def _linear_quantiles(values: np.ndarray, drawn: np.ndarray, n: int, q: tuple[float, ...]) -> np.ndarray:
    """``np.quantile(x, q, axis=0)`` of the ``n`` replicates ``x[:, a]`` of which ``drawn[p, a]``
    take the value ``values[p, a]``, without the replicates: each order statistic is read from the
    running counts of the values in order (:func:`_interpolated`). The values must be free of NaN
    and of a -0.0 (np.quantile's partition may pick either zero of a tie)."""
    P, A = values.shape
    order = np.argsort(values, axis=0, kind="stable")
    ordered = np.take_along_axis(values, order, axis=0)
    below = np.cumsum(np.take_along_axis(drawn, order, axis=0), axis=0)  # replicates up to each value

    def statistic(j: np.ndarray) -> np.ndarray:  # the j-th smallest replicate of each application
        return ordered[(below[None, :, :] <= j[:, None, None]).sum(axis=1), np.arange(A)[None, :]]

    return _interpolated(statistic, n, q)


def _column_quantiles(x: np.ndarray, q: tuple[float, ...]) -> np.ndarray:
    """``np.quantile(x, q, axis=0)`` of a 2-D array: each column copied into a row of its own and
    partitioned at only the positions the quantiles read (np.quantile partitions the strided
    columns), interpolated by :func:`_interpolated`. Finite values with no zero only (np.quantile's
    partition may pick either zero of a tie of -0.0 and 0.0; NaN sorts apart); otherwise np.quantile."""
    n = x.shape[0]
    if n == 0 or x.shape[1] == 0 or not np.isfinite(x).all() or not x.all():
        return np.quantile(x, list(q), axis=0)
    virtual = (n - 1) * np.asarray(q, dtype=np.float64)
    kth = np.unique(np.concatenate([np.floor(virtual), np.floor(virtual) + 1]).clip(0, n - 1).astype(np.intp))
    rows = np.partition(np.ascontiguousarray(x.T), kth, axis=1)
    return _interpolated(lambda j: rows[:, j].T, n, q)


def _intervals_from_table(apps: list[str], res: _Resampling, catalogue, weights: Mapping[str, float] | None,
                          n_boot: int, rng: np.random.Generator, top_k: int) -> pd.DataFrame:
    """:func:`rank_intervals_cube` of scores on a grid without a cost criterion, by counting.

    Each application's weighted total of each of its possible resamples (:func:`_resample_table`) is
    made once, by the same stacked matrix-vector products as the replicates' (numpy multiplies stack
    by stack, so a row's total depends on that row and its position only); the totals are numbered
    once (``competition_ranks``' keys: rounded to 12 decimals, best first; small integers in the same
    order with the same ties). Each block of replicates then only looks up which resample each
    application drew: its total (added to the running sum in replicate order, as ``totals.mean``
    adds them), its key (ranked by counting, :func:`selection.rank._common.ranks_of_keys`) and how
    often each resample was drawn (the score quantiles, :func:`_linear_quantiles`). Only the ranks
    are kept, as 16-bit integers, for their quantiles. The result is the plain computation's, bit
    for bit (tests/aggregate/test_scale_boot.py).
    """
    assert res.lookup is not None
    table, base, _, _ = res.lookup
    A = res.A
    per_app = np.diff(np.append(base, len(table)))
    rows = base[None, :] + np.minimum(np.arange(int(per_app.max(initial=1)))[:, None], per_app[None, :] - 1)
    stacked = np.take(table, rows, axis=0)  # (P, A, C): resample p of each application
    possible = weighted_totals(stacked, catalogue, weights)  # (P, A)
    # every resample of an application keeps the observed NaN of a criterion nobody scored
    _no_unscored(apps, np.isnan(stacked).any(axis=(0, 2)))
    P = possible.shape[0]
    distinct, number = np.unique(-np.round(possible, 12), return_inverse=True)
    number = number.reshape(-1)  # the key of resample p of application a at p * A + a
    K = len(distinct)  # keys 0..K-1: ranked by counting unless there are many more than applications
    counted = K <= COUNT_SPAN * max(A, 1)
    flat = possible.reshape(-1)
    # kept whole where the streamed sums and counted quantiles could differ in a bit: a -0.0 total
    # (np.quantile's partition picks either zero of a tie), and a single application (numpy sums
    # one column pairwise, not in replicate order)
    totals = np.empty((n_boot, A)) if A < 2 or bool((np.signbit(possible) & (possible == 0)).any()) else None
    ranks_t = np.empty((A, n_boot), dtype=np.int16 if A < 2**15 else np.int32 if A < 2**31 else np.int64)
    rank_sum = np.zeros(A, dtype=np.int64)
    top = np.zeros(A, dtype=np.int64)
    drawn = np.zeros(P * A, dtype=np.int64)  # how often resample p of application a was drawn, at p * A + a
    score_sum = np.zeros(A)
    lanes = np.arange(A, dtype=np.int64)
    row_of = res._ordered().astype(np.int64) * A  # resample p of the ordered draws -> p * A
    for start, idx in res.draws(n_boot, rng):
        b = len(idx)
        at = res.patterns(idx, row_of)
        at += lanes
        block = np.take(flat, at)
        if totals is not None:
            totals[start:start + b] = block
        else:
            for r, row in enumerate(block):  # replicate after replicate, as numpy's sum over axis 0
                if start == 0 and r == 0:
                    score_sum[:] = row
                else:
                    score_sum += row
        drawn += np.bincount(at.reshape(-1), minlength=P * A)
        ranks = ranks_by_counting(np.take(number, at), K, dtype=ranks_t.dtype.type) if counted \
            else ranks_of_keys(np.take(number, at))
        rank_sum += ranks.sum(axis=0, dtype=np.int64)
        top += np.count_nonzero(ranks <= min(top_k, A), axis=0)  # (a rank is at most A)
        ranks_t[:, start:start + b] = ranks.T
    # type-1 rank quantiles: order statistics of each application's ranks, sorted once
    q = np.sort(ranks_t, axis=1)[:, _picks(n_boot)].T
    if totals is not None:
        score_mean, sq = totals.mean(axis=0), np.quantile(totals, [0.05, 0.95], axis=0)
    else:
        score_mean = score_sum / n_boot
        sq = _linear_quantiles(possible, drawn.reshape(P, A), n_boot, (0.05, 0.95))
    # np.mean of integers sums them as doubles (exact here) and divides by the count
    return _interval_frame(apps, rank_sum.astype(np.float64) / n_boot, q, top.astype(np.float64) / n_boot,
                           score_mean, sq)
