"""Rank acceptability at scale (issue 12): the packed-key sort gives exactly the stable argsort's
order, and :func:`rank_acceptability` equals a plain per-sample loop (the textbook SMAA-2 count,
Lahdelma & Salminen 2001, doi:10.1287/opre.49.3.444.11220) whatever the ties, signs and chunking."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from selection.sensitivity.smaa import _order, _packed_order, rank_acceptability


def _reference(v: np.ndarray) -> np.ndarray:
    return np.argsort(-v, axis=1, kind="stable")


@settings(max_examples=60, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 40)),
              elements=st.sampled_from([0.0, -0.0, 1.0, -1.0, 0.5, 2.5, 1e-300, -1e-300, 3.0,
                                        1.0 + 2.0 ** -52, 1.0 - 2.0 ** -53, 1e300, -1e300])))
def test_packed_order_is_the_stable_argsort(v):
    """Equal values, values one ulp apart (they agree in all but the lowest bits, which hold the
    column), signed zeros, huge and tiny magnitudes."""
    assert np.array_equal(_order(v), _reference(v))


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 300), st.integers(1, 30), st.integers(0, 2**32 - 1))
def test_packed_order_on_near_ties(n_cols, n_rows, seed):
    """Weighted sums of half-point scores (many exact ties) with one-ulp nudges."""
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(0, 5, (n_cols, 4)) * 2) / 2
    w = rng.dirichlet(np.ones(4), n_rows)
    v = w @ x.T
    v[:, ::3] = np.nextafter(v[:, ::3], np.inf if seed % 2 else -np.inf)
    assert np.array_equal(_order(v), _reference(v))


def test_non_finite_values_fall_back():
    v = np.array([[1.0, np.nan, 2.0], [np.inf, 0.0, -np.inf]])
    assert _packed_order(v) is None
    assert np.array_equal(_order(v)[1], _reference(v)[1])


@settings(max_examples=25, deadline=None)
@given(st.integers(2, 25), st.integers(1, 400), st.integers(0, 2**32 - 1), st.integers(1, 50))
def test_acceptability_equals_a_per_sample_loop(n_apps, n, seed, chunk):
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(0, 5, (n_apps, 3)) * 2) / 2
    x[n_apps // 2] = x[0]  # an exact tie in every sample
    w = rng.dirichlet(np.ones(3), n)
    order = rng.permutation(n_apps)
    keep = int(rng.integers(1, n_apps + 1))
    got = rank_acceptability(x, w, order=order, ranks=keep, chunk=chunk)
    counts = np.zeros((n_apps, n_apps))
    first_w = np.zeros((n_apps, 3))
    first_n = np.zeros(n_apps)
    for s in range(n):
        v = x @ w[s]
        # rank by value, ties by the given order (lower wins)
        ranked = sorted(range(n_apps), key=lambda i: (-v[i], order[i]))
        for r, i in enumerate(ranked):
            counts[i, r] += 1
        first_w[ranked[0]] += w[s]
        first_n[ranked[0]] += 1
    assert np.array_equal(np.round(got.acceptability * n), counts[:, :keep])
    assert np.allclose(got.expected_rank, (counts * np.arange(1, n_apps + 1)).sum(axis=1) / n, rtol=0, atol=1e-12)
    seen = first_n > 0
    assert np.allclose(got.central_weights[seen], first_w[seen] / first_n[seen, None])
    assert np.all(np.isnan(got.central_weights[~seen]))
