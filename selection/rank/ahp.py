"""AHP: criterion weights from pairwise comparisons (principal eigenvector, consistency ratio).

Reference: Saaty, T. L. (1980). *The Analytic Hierarchy Process*. McGraw-Hill, New York; and
Saaty, T. L. (1977). A scaling method for priorities in hierarchical structures. *Journal of
Mathematical Psychology* 15(3), 234-281. doi:10.1016/0022-2496(77)90033-5
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from selection.errors import Problem, WeightError

__all__ = ["RANDOM_INDEX", "AhpResult", "AhpInconsistencyWarning", "ahp_weights", "pairwise_matrix"]

#: Saaty's random consistency index RI(n) (Saaty 1980, the mean consistency index of random
#: reciprocal matrices on the 1/9..9 scale), for n = 1..10. This is the table used for CR.
RANDOM_INDEX: dict[int, float] = {1: 0.0, 2: 0.0, 3: 0.58, 4: 0.90, 5: 1.12, 6: 1.24, 7: 1.32,
                                  8: 1.41, 9: 1.45, 10: 1.49}

#: Above this consistency ratio the comparisons should be revised (Saaty 1980).
CR_LIMIT = 0.1


class AhpInconsistencyWarning(UserWarning):
    """The pairwise comparisons' consistency ratio exceeds 0.1."""


@dataclass(frozen=True)
class AhpResult:
    """AHP priorities: ``weights`` (label -> weight, summing to 1), the principal eigenvalue
    ``lambda_max``, the consistency index ``ci = (lambda_max - n)/(n - 1)`` and ratio
    ``cr = ci / RI(n)`` (``0`` for n <= 2, ``nan`` for n > 10, beyond Saaty's table)."""

    weights: dict[str, float]
    lambda_max: float
    ci: float
    cr: float

    @property
    def consistent(self) -> bool:
        return not (self.cr > CR_LIMIT)


def pairwise_matrix(comparisons: Mapping[tuple[str, str], float], items: Sequence[str]) -> np.ndarray:
    """A reciprocal matrix from judgements ``{(a, b): how much more important a is than b}``.

    Each unordered pair needs exactly one judgement; the diagonal is 1.

    >>> pairwise_matrix({("a", "b"): 3}, ["a", "b"]).tolist()
    [[1.0, 3.0], [0.3333333333333333, 1.0]]
    """
    idx = {c: i for i, c in enumerate(items)}
    n = len(items)
    a = np.eye(n)
    seen = np.eye(n, dtype=bool)
    problems = []
    for (i, j), v in comparisons.items():
        if i not in idx or j not in idx:
            problems.append(Problem(f"comparison ({i}, {j}) names an unknown item",
                                    hint=f"use {', '.join(items)}"))
            continue
        if i == j or seen[idx[i], idx[j]]:
            problems.append(Problem(f"comparison ({i}, {j}) is repeated or compares an item with itself"))
            continue
        a[idx[i], idx[j]], a[idx[j], idx[i]] = float(v), 1.0 / float(v)
        seen[idx[i], idx[j]] = seen[idx[j], idx[i]] = True
    missing = [f"({items[i]}, {items[j]})" for i in range(n) for j in range(i + 1, n) if not seen[i, j]]
    if missing:
        problems.append(Problem(f"no comparison for {', '.join(missing)}", hint="compare every pair once"))
    if problems:
        raise WeightError(problems)
    return a


def ahp_weights(matrix, labels: Sequence[str] | None = None, *, warn: bool = True) -> AhpResult:
    """Weights from a positive reciprocal pairwise-comparison matrix by its principal eigenvector.

    ``matrix[i][j]`` says how much more important item ``i`` is than item ``j`` (Saaty's 1-9
    scale); the matrix must be square, positive, with a unit diagonal and ``a_ji = 1/a_ij``.
    The consistency ratio uses :data:`RANDOM_INDEX` (Saaty 1980); above 0.1 an
    :class:`AhpInconsistencyWarning` is issued when ``warn``.

    >>> r = ahp_weights([[1, 3], [1 / 3, 1]], ["a", "b"])
    >>> {k: round(v, 2) for k, v in r.weights.items()}, r.cr
    ({'a': 0.75, 'b': 0.25}, 0.0)
    """
    try:
        a = np.asarray(matrix, dtype=np.float64)
    except (TypeError, ValueError):
        raise WeightError("the pairwise comparison matrix holds values that are not numbers") from None
    if a.ndim != 2 or a.shape[0] != a.shape[1] or a.shape[0] == 0:
        raise WeightError(f"the pairwise comparison matrix must be square and non-empty, not {a.shape}")
    n = a.shape[0]
    labels = [str(c) for c in (labels if labels is not None else range(1, n + 1))]
    if len(labels) != n:
        raise WeightError(f"{len(labels)} labels for a {n}x{n} comparison matrix")
    problems = []
    if not np.all(np.isfinite(a)) or np.any(a <= 0):
        problems.append(Problem("every comparison must be a finite number > 0 (Saaty's scale 1/9..9)"))
    else:
        if not np.allclose(np.diag(a), 1.0):
            problems.append(Problem("the diagonal must be 1 (an item compared with itself)"))
        bad = [(labels[i], labels[j]) for i in range(n) for j in range(i + 1, n)
               if not math.isclose(a[i, j] * a[j, i], 1.0, rel_tol=1e-3)]
        for i, j in bad:
            problems.append(Problem(f"comparisons ({i}, {j}) and ({j}, {i}) are not reciprocal",
                                    hint="enter a_ji = 1 / a_ij"))
    if problems:
        raise WeightError(problems)
    vals, vecs = np.linalg.eig(a)
    k = int(np.argmax(vals.real))
    lam = float(vals[k].real)
    vec = np.abs(vecs[:, k].real)
    vec = vec / vec.sum()
    ci = (lam - n) / (n - 1) if n > 1 else 0.0
    ci = max(ci, 0.0) if abs(ci) < 1e-12 else ci
    ri = RANDOM_INDEX.get(n)
    if n <= 2:
        cr = 0.0
    elif ri is None:
        cr = math.nan
    else:
        cr = ci / ri
    if warn and cr > CR_LIMIT:
        warnings.warn(f"AHP consistency ratio {cr:.3f} exceeds {CR_LIMIT}; revise the comparisons",
                      AhpInconsistencyWarning, stacklevel=2)
    return AhpResult(dict(zip(labels, vec.tolist(), strict=True)), lam, ci, cr)
