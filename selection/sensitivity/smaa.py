"""Stochastic multicriteria acceptability analysis (SMAA-2) of a ranking, and selection probabilities.

Lahdelma, R. & Salminen, P. (2001). SMAA-2: Stochastic multicriteria acceptability analysis for
group decision making. *Operations Research* 49(3), 444-454. doi:10.1287/opre.49.3.444.11220

For weight samples ``w^(s)`` and a score matrix ``x`` (applications x criteria):

* the **rank acceptability index** ``b_i^r`` is the share of samples in which application ``i``
  has rank ``r`` (ranks are strict: equal scores are ordered by the given ``order``, by default the
  table order — the baseline ranking when the caller passes it so);
* the **central weight vector** ``w_i^c`` is the mean of the weights of the samples in which ``i``
  ranks first (undefined, ``NaN``, when it never does);
* the **expected rank** is ``sum_r r b_i^r`` and ``probability_top_k`` the share of samples with
  rank ``<= k``.

Samples are processed in chunks of about 2^22 values, and only the first ``ranks`` rank
acceptabilities are kept (the expected rank is accumulated exactly from every rank), so memory
grows with (applications x ranks reported), not with the square of the applications: 20,000
applications x 1,000 samples fit in well under 1 GB.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Acceptability", "rank_acceptability", "selection_probability"]


@dataclass(frozen=True)
class Acceptability:
    acceptability: np.ndarray  #: (n_apps, ranks): [i, r-1] = share of samples with rank r
    central_weights: np.ndarray  #: (n_apps, n_criteria), NaN where never first
    first: np.ndarray  #: (n_apps,) share of samples ranked first (= acceptability[:, 0])
    n_samples: int
    expected_rank: np.ndarray  #: (n_apps,) mean rank over all samples (every rank, not only those kept)

    def top_k(self, k: int) -> np.ndarray:
        """Share of samples with rank <= ``k`` (``k`` at most the ranks kept)."""
        if k > self.acceptability.shape[1]:
            raise ValueError(f"only the first {self.acceptability.shape[1]} ranks were kept; asked for {k}")
        return self.acceptability[:, :k].sum(axis=1)


def _order(v: np.ndarray) -> np.ndarray:
    """Per row the columns from the highest value down, equal values in column order (as a stable
    sort), by :func:`_packed_order` where it applies, else by an argsort (the fast unstable one,
    with only the rows holding equal values sorted again stably)."""
    pos = _packed_order(v)
    if pos is not None:
        return pos
    pos = np.argsort(-v, axis=1)
    sv = np.take_along_axis(v, pos, axis=1)
    tied = np.any(sv[:, 1:] == sv[:, :-1], axis=1)
    if tied.any():
        pos[tied] = np.argsort(-v[tied], axis=1, kind="stable")
    return pos


def _packed_order(v: np.ndarray) -> np.ndarray | None:
    """:func:`_order` by one sort of 64-bit integers instead of an argsort (several times faster).

    Each float64 value is mapped to an integer of the same order (the IEEE-754 bit pattern, with
    the bits of negative numbers flipped; Knuth, *TAOCP* vol. 3, §5.2.5 key transformations),
    reversed for a descending order; its lowest ``b = bits(columns - 1)`` bits are replaced by the
    column number, so a plain sort orders by value, then by column. Two values that agree in every
    bit but those ``b`` are ordered by column, which is right when they are equal; the rows where
    such a pair holds different values are sorted again exactly by a stable argsort. The result is
    therefore exactly that of ``argsort(-v, kind="stable")``. ``None`` when a value is not finite
    (the plain argsort handles those).
    """
    n_rows, n_cols = v.shape
    if n_cols < 2 or n_rows == 0:
        return np.zeros((n_rows, n_cols), dtype=np.int64) if n_cols == 1 else None
    if not np.all(np.isfinite(v)):
        return None
    bits = max(1, int(n_cols - 1).bit_length())
    key = np.add(v, 0.0, dtype=np.float64).view(np.int64)  # a copy; + 0.0 turns -0.0 into 0.0
    # in place (each temporary of this size costs as much as the sort): the floats' order, reversed
    np.bitwise_xor(key, np.int64(0x7FFFFFFFFFFFFFFF), out=key, where=key < 0)
    np.invert(key, out=key)
    np.right_shift(key, bits, out=key)
    np.left_shift(key, bits, out=key)
    np.bitwise_or(key, np.arange(n_cols, dtype=np.int64)[None, :], out=key)  # then the column
    key.sort(axis=1)
    pos = key & np.int64((1 << bits) - 1)
    np.right_shift(key, bits, out=key)  # the kept bits only
    clash = key[:, 1:] == key[:, :-1]  # equal in the kept bits: right only if the values are equal
    rows = np.flatnonzero(clash.any(axis=1))
    if rows.size:
        sv = np.take_along_axis(v[rows], pos[rows], axis=1)
        bad = rows[np.any(clash[rows] & (sv[:, 1:] != sv[:, :-1]), axis=1)]
        if bad.size:
            pos[bad] = np.argsort(-v[bad], axis=1, kind="stable")
    return pos


def rank_acceptability(x: np.ndarray, weights: np.ndarray, *, order: np.ndarray | None = None,
                       kernel=None, ranks: int | None = None, chunk: int | None = None,
                       **params) -> Acceptability:
    """Rank acceptability indices and central weights for ``weights`` (n_samples, n_criteria).

    Parameters
    ----------
    x
        Scores (n_apps, n_criteria), benefit direction.
    weights
        Weight samples, rows summing to 1.
    order
        Tie order: position of each application in the baseline ranking (lower wins a tie);
        default the row order.
    kernel
        A ranking kernel ``kernel(x, w, **params) -> (n_samples, n_apps)``, higher = better
        (:data:`selection.rank.KERNELS`); default the weighted sum.
    ranks
        How many rank acceptabilities to keep (ranks 1..``ranks``); default all.
    chunk
        Samples per chunk (default: about 2^22 values per chunk).

    Examples
    --------
    Two applications, two criteria: A is better on the first, B on the second; with uniform
    weights each is first half of the time.

    >>> x = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> w = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    >>> r = rank_acceptability(x, w)
    >>> r.acceptability.tolist(), r.central_weights.round(2).tolist(), r.expected_rank.tolist()
    ([[0.5, 0.5], [0.5, 0.5]], [[0.75, 0.25], [0.25, 0.75]], [1.5, 1.5])
    """
    x = np.asarray(x, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    n_apps, n_crit = x.shape
    n = len(weights)
    keep = n_apps if ranks is None else max(0, min(int(ranks), n_apps))
    chunk = chunk or max(1, (1 << 22) // max(n_apps, 1))
    tie = np.arange(n_apps) if order is None else np.asarray(order)
    perm = np.argsort(tie, kind="stable")  # columns in tie order: a stable sort keeps it on ties
    xp = x[perm]
    counts = np.zeros((keep, n_apps), dtype=np.int64)  # [r, app]
    rank_sum = np.zeros(n_apps, dtype=np.int64)
    wsum = np.zeros((n_apps, n_crit))
    firsts = np.zeros(n_apps, dtype=np.int64)
    for start in range(0, n, chunk):
        w = weights[start:start + chunk]
        v = w @ xp.T if kernel is None else kernel(xp, w, **params)
        pos = _order(v)  # pos[s, r] = column at rank r+1
        if keep:  # one count over (rank, column) pairs
            cell = pos[:, :keep] + (np.arange(keep, dtype=np.int64) * n_apps)[None, :]
            counts += np.bincount(cell.ravel(), minlength=keep * n_apps).reshape(keep, n_apps)
        # every rank (not only those kept): the sum of 0-based ranks per column, exact in int64
        rank_sum += np.bincount(pos.ravel(), weights=np.broadcast_to(
            np.arange(n_apps, dtype=np.float64), pos.shape).ravel(), minlength=n_apps).round().astype(np.int64)
        first = pos[:, 0] if n_apps else np.zeros(0, dtype=np.int64)
        firsts += np.bincount(first, minlength=n_apps)
        np.add.at(wsum, first, w)
    # back from tie order to the rows of x
    acc = np.zeros((n_apps, keep))
    acc[perm] = counts.T / max(n, 1)
    expected = np.zeros(n_apps)
    expected[perm] = 1.0 + rank_sum / max(n, 1)
    fw = np.zeros((n_apps, n_crit))
    fw[perm] = wsum
    fc = np.zeros(n_apps, dtype=np.int64)
    fc[perm] = firsts
    with np.errstate(invalid="ignore", divide="ignore"):
        central = fw / fc[:, None]
    central[fc == 0] = np.nan
    return Acceptability(acc, central, fc / max(n, 1), n, expected)


def selection_probability(selections, ids) -> np.ndarray:
    """Share of samples whose selection contains each of ``ids`` (``None`` counts as not selected)."""
    pos = {a: i for i, a in enumerate(ids)}
    counts = np.zeros(len(ids))
    for sel in selections:
        for a in sel or ():
            if a in pos:
                counts[pos[a]] += 1
    return counts / max(len(selections), 1)
