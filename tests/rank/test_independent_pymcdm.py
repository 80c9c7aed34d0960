"""Our MCDA kernels against an implementation nobody here wrote: pymcdm (Kizielewicz, Shekhovtsov &
Sałabun (2023). pymcdm — The universal library for solving multi-criteria decision-making
problems. *SoftwareX* 22, 101368. doi:10.1016/j.softx.2023.101368).

pymcdm is a test dependency; it is never imported by the package. A missing pymcdm is a failure,
not a skip.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pymcdm import normalizations as N
from pymcdm.methods import PROMETHEE_II, TOPSIS, VIKOR

from selection.rank import KERNELS, promethee_ii

pytestmark = pytest.mark.filterwarnings("ignore::UserWarning")  # pymcdm's dominance notices

matrices = st.integers(3, 9).flatmap(lambda n: st.integers(2, 6).flatmap(lambda m: st.tuples(
    st.lists(st.lists(st.sampled_from([x / 2 for x in range(11)]), min_size=m, max_size=m), min_size=n, max_size=n),
    st.lists(st.floats(0.05, 1.0), min_size=m, max_size=m))))


def _arrays(data):
    rows, w = data
    x = np.array(rows, dtype=float)
    w = np.array(w, dtype=float)
    return x, w / w.sum()


def test_promethee_ii_pymcdm_documented_example():
    """pymcdm's documented PROMETHEE II example (usual criterion): net flows 0.1, -0.3, 0.2."""
    t = pd.DataFrame([[4, 3, 2], [3, 2, 4], [5, 1, 3]], index=["A1", "A2", "A3"], columns=["c1", "c2", "c3"])
    res = promethee_ii(t, {"c1": 0.5, "c2": 0.3, "c3": 0.2})
    assert [round(v, 2) for v in res["score"]] == [0.1, -0.3, 0.2]


@settings(max_examples=60, deadline=None)
@given(matrices)
def test_topsis_equals_pymcdm(data):
    x, w = _arrays(data)
    assume(not np.any(np.all(x == 0, axis=0)))  # an all-zero criterion cannot be vector-normalised
    assume(np.ptp(x, axis=0).max() > 0)  # identical applications: closeness 0/0, defined differently
    types = np.ones(x.shape[1])
    ours = KERNELS["topsis"](x, w)
    theirs = TOPSIS(normalization_function=N.vector_normalization)(x, w, types)
    np.testing.assert_allclose(ours, theirs, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(matrices)
def test_vikor_q_equals_pymcdm(data):
    x, w = _arrays(data)
    assume(not np.any(np.ptp(x, axis=0) == 0))  # pymcdm divides by a constant criterion's spread
    ours_q = -KERNELS["vikor"](x, w, v=0.5)
    theirs = VIKOR(v=0.5)(x, w, np.ones(x.shape[1]))
    assume(np.ptp(theirs) > 0 and np.all(np.isfinite(theirs)))
    np.testing.assert_allclose(ours_q, theirs, atol=1e-12)


@settings(max_examples=60, deadline=None)
@given(matrices, st.sampled_from(["usual", "ushape", "vshape", "level"]))
def test_promethee_ii_equals_pymcdm(data, function):
    x, w = _arrays(data)
    m = x.shape[1]
    q = np.full(m, 0.5)
    p = np.full(m, 1.5)
    ours_fn = {"usual": {"function": "usual"}, "ushape": {"function": "u_shape", "q": 0.5},
               "vshape": {"function": "v_shape", "p": 1.5},
               "level": {"function": "level", "q": 0.5, "p": 1.5}}[function]
    ours = KERNELS["promethee_ii"](x, w, functions=[ours_fn] * m)
    kwargs = {"usual": {}, "ushape": {"q": q}, "vshape": {"p": p}, "level": {"q": q, "p": p}}[function]
    theirs = PROMETHEE_II(function, **kwargs)(x, w, np.ones(m))
    np.testing.assert_allclose(ours, theirs, atol=1e-12)
