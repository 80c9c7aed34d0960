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

Samples are processed in chunks (default 8,192) so memory stays at a few chunk-sized arrays
whatever the number of samples.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

__all__ = ["Acceptability", "rank_acceptability", "selection_probability"]


@dataclass(frozen=True)
class Acceptability:
    acceptability: np.ndarray  #: (n_apps, n_apps): [i, r-1] = share of samples with rank r
    central_weights: np.ndarray  #: (n_apps, n_criteria), NaN where never first
    first: np.ndarray  #: (n_apps,) share of samples ranked first (= acceptability[:, 0])
    n_samples: int

    @property
    def expected_rank(self) -> np.ndarray:
        n = self.acceptability.shape[1]
        return self.acceptability @ np.arange(1, n + 1)

    def top_k(self, k: int) -> np.ndarray:
        return self.acceptability[:, :k].sum(axis=1)


def rank_acceptability(x: np.ndarray, weights: np.ndarray, *, order: np.ndarray | None = None,
                       kernel=None, chunk: int = 8192, **params) -> Acceptability:
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

    Examples
    --------
    Two applications, two criteria: A is better on the first, B on the second; with uniform
    weights each is first half of the time.

    >>> x = np.array([[1.0, 0.0], [0.0, 1.0]])
    >>> w = np.array([[0.9, 0.1], [0.2, 0.8], [0.6, 0.4], [0.3, 0.7]])
    >>> r = rank_acceptability(x, w)
    >>> r.acceptability.tolist(), r.central_weights.round(2).tolist()
    ([[0.5, 0.5], [0.5, 0.5]], [[0.75, 0.25], [0.25, 0.75]])
    """
    x = np.asarray(x, dtype=np.float64)
    weights = np.asarray(weights, dtype=np.float64)
    n_apps, n_crit = x.shape
    n = len(weights)
    tie = np.arange(n_apps) if order is None else np.asarray(order)
    perm = np.argsort(tie, kind="stable")  # columns in tie order: a stable sort keeps it on ties
    xp = x[perm]
    counts = np.zeros(n_apps * n_apps, dtype=np.int64)
    wsum = np.zeros((n_apps, n_crit))
    firsts = np.zeros(n_apps, dtype=np.int64)
    ranks_base = np.arange(n_apps)
    for start in range(0, n, chunk):
        w = weights[start:start + chunk]
        v = w @ xp.T if kernel is None else kernel(xp, w, **params)
        pos = np.argsort(-v, axis=1, kind="stable")  # pos[s, r] = column at rank r+1
        app = perm[pos]
        counts += np.bincount((app * n_apps + ranks_base).ravel(), minlength=n_apps * n_apps)
        first = app[:, 0]
        firsts += np.bincount(first, minlength=n_apps)
        np.add.at(wsum, first, w)
    acc = counts.reshape(n_apps, n_apps) / max(n, 1)
    with np.errstate(invalid="ignore", divide="ignore"):
        central = wsum / firsts[:, None]
    central[firsts == 0] = np.nan
    return Acceptability(acc, central, firsts / max(n, 1), n)


def selection_probability(selections, ids) -> np.ndarray:
    """Share of samples whose selection contains each of ``ids`` (``None`` counts as not selected)."""
    pos = {a: i for i, a in enumerate(ids)}
    counts = np.zeros(len(ids))
    for sel in selections:
        for a in sel or ():
            if a in pos:
                counts[pos[a]] += 1
    return counts / max(len(selections), 1)
