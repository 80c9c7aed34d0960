"""The panel bootstrap at scale (issue 12): the mean path writes its replicates straight into the
output, bit for bit what the textbook form gives (weighted mean of the drawn experts; a cell whose
drawn experts all abstained keeps the observed panel score)."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from selection.aggregate.bootstrap import bootstrap_cube


def _reference(values: np.ndarray, n_boot: int, rng: np.random.Generator) -> np.ndarray:
    """One replicate and application at a time, with the same draws as the kernel."""
    A, _, C = values.shape
    scored = ~np.isnan(values).all(axis=2)
    n_a = scored.sum(axis=1)
    m = max(int(n_a.max()) if A else 0, 1)
    order = np.argsort(~scored, axis=1, kind="stable")[:, :m]
    padded = np.take_along_axis(values, order[:, :, None], axis=1)
    with np.errstate(invalid="ignore"):
        observed = np.array([[np.nanmean(padded[a, :, c]) if np.any(~np.isnan(padded[a, :, c])) else np.nan
                              for c in range(C)] for a in range(A)])
    n_draw = np.maximum(n_a, 1)
    out = np.empty((n_boot, A, C))
    chunk = max(1, 4_000_000 // max(A * m, 1))
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        u = rng.random((b, A, m))
        idx = np.minimum((u * n_draw[None, :, None]).astype(np.int64), n_draw[None, :, None] - 1)
        for r in range(b):
            for a in range(A):
                counts = np.bincount(idx[r, a, :n_a[a]], minlength=m).astype(float)
                for c in range(C):
                    x = padded[a, :, c]
                    ok = ~np.isnan(x)
                    den = float(np.dot(counts, ok.astype(float)))
                    out[start + r, a, c] = np.dot(counts, np.where(ok, x, 0.0)) / den if den > 0 else observed[a, c]
    return out


@settings(max_examples=30, deadline=None)
@given(st.integers(1, 6), st.integers(1, 4), st.integers(1, 3), st.integers(1, 5), st.integers(0, 2**32 - 1))
def test_mean_bootstrap_equals_the_textbook_form(A, E, C, n_boot, seed):
    rng = np.random.default_rng(seed)
    values = rng.normal(3.0, 1.0, (A, E, C))  # not on a grid: the sums' rounding matters
    values[rng.random((A, E, C)) < 0.35] = np.nan  # abstentions, whole experts and applications too
    got = bootstrap_cube(values, n_boot, np.random.default_rng(seed + 1))
    want = _reference(values, n_boot, np.random.default_rng(seed + 1))
    assert np.allclose(got, want, rtol=1e-12, atol=0, equal_nan=True)
    assert np.array_equal(np.isnan(got), np.isnan(want))
