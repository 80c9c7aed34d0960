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
    sort); the fast unstable sort is used and only rows with equal values are sorted again."""
    pos = np.argsort(-v, axis=1)
    sv = np.take_along_axis(v, pos, axis=1)
    tied = np.any(sv[:, 1:] == sv[:, :-1], axis=1)
    if tied.any():
        pos[tied] = np.argsort(-v[tied], axis=1, kind="stable")
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
        for r in range(keep):
            counts[r] += np.bincount(pos[:, r], minlength=n_apps)
        inv = np.empty_like(pos)
        np.put_along_axis(inv, pos, np.arange(n_apps)[None, :], axis=1)
        rank_sum += inv.sum(axis=0)
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
