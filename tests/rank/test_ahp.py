"""AHP weights (Saaty's principal eigenvector) and the consistency ratio."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from selection.errors import WeightError
from selection.rank import RANDOM_INDEX, ahp_weights
from selection.rank.ahp import AhpInconsistencyWarning, pairwise_matrix


def _power_iteration(a, iters=500):
    v = np.ones(len(a))
    for _ in range(iters):
        v = a @ v
        v /= v.sum()
    return v, float((a @ v / v).mean())


def test_saaty_random_index_table():
    """Saaty (1980) random consistency indices for n = 3..10."""
    assert [RANDOM_INDEX[n] for n in range(3, 11)] == [0.58, 0.90, 1.12, 1.24, 1.32, 1.41, 1.45, 1.49]


def test_consistent_matrix_recovers_its_weights_exactly():
    """Saaty (1977), doi:10.1016/0022-2496(77)90033-5: for a consistent matrix a_ij = w_i/w_j the
    principal eigenvector is w and lambda_max = n, so CI = CR = 0."""
    w = np.array([0.4, 0.3, 0.2, 0.1])
    r = ahp_weights(np.outer(w, 1 / w), list("abcd"))
    np.testing.assert_allclose(list(r.weights.values()), w, atol=1e-12)
    assert r.lambda_max == pytest.approx(4.0) and r.cr == pytest.approx(0.0, abs=1e-12)


def test_three_criteria_textbook_matrix():
    """The 1-3-5 matrix used in many AHP textbooks: priorities 0.637, 0.258, 0.105;
    lambda_max = 3.039, CI = 0.019, CR = 0.033 with Saaty's RI(3) = 0.58. Cross-checked against
    an independent power iteration."""
    a = [[1, 3, 5], [1 / 3, 1, 3], [1 / 5, 1 / 3, 1]]
    r = ahp_weights(a, ["a", "b", "c"])
    np.testing.assert_allclose(list(r.weights.values()), [0.637, 0.258, 0.105], atol=5e-4)
    assert round(r.lambda_max, 3) == 3.039 and round(r.ci, 3) == 0.019 and round(r.cr, 3) == 0.033
    v, lam = _power_iteration(np.array(a))
    np.testing.assert_allclose(list(r.weights.values()), v, atol=1e-10)
    assert r.lambda_max == pytest.approx(lam, abs=1e-9)


def test_inconsistent_comparisons_warn():
    a = pairwise_matrix({("a", "b"): 9, ("b", "c"): 9, ("a", "c"): 1 / 9}, ["a", "b", "c"])
    with pytest.warns(AhpInconsistencyWarning, match="consistency ratio"):
        r = ahp_weights(a, ["a", "b", "c"])
    assert r.cr > 0.1 and not r.consistent
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        ahp_weights(a, ["a", "b", "c"], warn=False)


def test_bad_matrices_are_clear_errors():
    with pytest.raises(WeightError, match="not reciprocal"):
        ahp_weights([[1, 3], [3, 1]], ["a", "b"])
    with pytest.raises(WeightError, match="square"):
        ahp_weights([[1, 2, 3]])
    with pytest.raises(WeightError, match="> 0"):
        ahp_weights([[1, -2], [-0.5, 1]])
    with pytest.raises(WeightError) as exc:
        pairwise_matrix({("a", "x"): 3}, ["a", "b", "c"])
    assert "unknown item" in str(exc.value) and "no comparison for (a, b), (a, c), (b, c)" in str(exc.value)
