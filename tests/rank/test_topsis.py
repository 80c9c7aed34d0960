"""TOPSIS against Hwang & Yoon (1981) and by its invariances."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from selection.errors import RankingError
from selection.rank import topsis, topsis_kernel

AIRCRAFT = pd.DataFrame(
    [[2.0, 1500, 20000, 5.5, 5, 9],
     [2.5, 2700, 18000, 6.5, 3, 5],
     [1.8, 2000, 21000, 4.5, 7, 7],
     [2.2, 1800, 20000, 5.0, 5, 5]],
    index=["A1", "A2", "A3", "A4"],
    columns=["max_speed", "ferry_range", "max_payload", "acquisition_cost", "reliability", "maneuverability"],
)
AIRCRAFT_W = {"max_speed": 0.2, "ferry_range": 0.1, "max_payload": 0.1, "acquisition_cost": 0.1,
              "reliability": 0.2, "maneuverability": 0.3}


def test_topsis_hwang_yoon_1981_fighter_aircraft():
    """Hwang & Yoon (1981), doi:10.1007/978-3-642-48318-9, fighter-aircraft example: relative
    closeness C* = 0.643, 0.268, 0.613, 0.312 (printed to 3 decimals), order A1 > A3 > A4 > A2.
    The book rounds its normalised matrix to 4 decimals before going on, so its third decimal can
    differ from exact arithmetic by one unit (A3: exact 0.61354); we assert within 1e-3."""
    res = topsis(AIRCRAFT, AIRCRAFT_W, directions={"acquisition_cost": "cost"})
    np.testing.assert_allclose(res["score"].to_numpy(), [0.643, 0.268, 0.613, 0.312], atol=1e-3)
    assert res["rank"].tolist() == [1, 4, 2, 3]
    # the book's separation measures S*_i and S-_i (printed to 4 decimals, same rounding caveat)
    np.testing.assert_allclose(res["d_plus"], [0.0545, 0.1197, 0.0580, 0.1009], atol=2e-4)
    np.testing.assert_allclose(res["d_minus"], [0.0983, 0.0439, 0.0920, 0.0458], atol=2e-4)


def test_cost_direction_equals_negated_benefit():
    x = AIRCRAFT.to_numpy()
    w = np.array(list(AIRCRAFT_W.values()))
    a = topsis_kernel(x, w, directions=[True, True, True, False, True, True])
    flipped = x.copy()
    flipped[:, 3] = -flipped[:, 3]
    np.testing.assert_allclose(a, topsis_kernel(flipped, w), atol=1e-15)


def test_minmax_normalisation_and_constant_criterion():
    t = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 4.0, 4.0]}, index=["X", "Y", "Z"])
    for norm in ("vector", "minmax"):
        res = topsis(t, {"a": 0.5, "b": 0.5}, normalization=norm)
        assert np.isfinite(res["score"]).all()
        assert res["rank"].tolist() == [3, 2, 1]
    # min-max: closeness is linear in the single informative criterion
    np.testing.assert_allclose(topsis(t, {"a": 0.5, "b": 0.5}, normalization="minmax")["score"], [0, 0.5, 1])
    # every application equal: closeness 0.5 for all, one shared rank
    same = pd.DataFrame({"a": [2.0, 2.0]}, index=["X", "Y"])
    res = topsis(same, {"a": 1})
    assert res["score"].tolist() == [0.5, 0.5] and res["rank"].tolist() == [1, 1]


def test_unknown_normalisation_is_an_error():
    with pytest.raises(RankingError, match="normalization"):
        topsis(AIRCRAFT, AIRCRAFT_W, normalization="sum")


def test_kernel_scores_many_weight_vectors_like_one_at_a_time():
    rng = np.random.default_rng(5)
    x = rng.uniform(0, 5, (30, 6))
    w = rng.dirichlet(np.ones(6), size=50)
    batch = topsis_kernel(x, w)
    loop = np.array([topsis_kernel(x, wi) for wi in w])
    assert batch.shape == (50, 30)
    np.testing.assert_allclose(batch, loop, atol=1e-12)
    # against a direct textbook implementation (ideal/anti-ideal of the weighted matrix)
    r = x / np.sqrt((x ** 2).sum(axis=0))
    for wi, ci in zip(w[:5], batch[:5], strict=True):
        v = r * wi
        dp = np.sqrt(((v - v.max(axis=0)) ** 2).sum(axis=1))
        dm = np.sqrt(((v - v.min(axis=0)) ** 2).sum(axis=1))
        np.testing.assert_allclose(ci, dm / (dp + dm), atol=1e-12)


scores = arrays(np.float64, st.tuples(st.integers(2, 8), st.integers(1, 5)),
                elements=st.floats(0.5, 5, allow_nan=False).map(lambda v: round(v * 2) / 2))


@settings(max_examples=60, deadline=None)
@given(x=scores, data=st.data())
def test_scaling_a_benefit_criterion_keeps_vector_normalised_ranks(x, data):
    w = np.array(data.draw(st.lists(st.floats(0.05, 1), min_size=x.shape[1], max_size=x.shape[1])))
    j = data.draw(st.integers(0, x.shape[1] - 1))
    k = data.draw(st.sampled_from([0.5, 2.0, 10.0, 1000.0]))
    y = x.copy()
    y[:, j] *= k
    np.testing.assert_allclose(topsis_kernel(x, w), topsis_kernel(y, w), atol=1e-9)


@pytest.mark.filterwarnings("ignore::selection.rank.WeightNormalisationWarning")
@settings(max_examples=60, deadline=None)
@given(x=scores, data=st.data())
def test_permuting_applications_permutes_topsis_ranks(x, data):
    w = {f"c{j}": data.draw(st.floats(0.05, 1)) for j in range(x.shape[1])}
    t = pd.DataFrame(x, index=[f"A{i}" for i in range(len(x))], columns=list(w))
    perm = data.draw(st.permutations(range(len(x))))
    a = topsis(t, w)
    b = topsis(t.iloc[list(perm)], w)
    assert (b["rank"] == a["rank"].loc[b.index]).all()


@settings(max_examples=60, deadline=None)
@given(x=scores, data=st.data())
def test_dominated_application_never_outranks_its_dominator_topsis(x, data):
    w = np.array(data.draw(st.lists(st.floats(0.05, 1), min_size=x.shape[1], max_size=x.shape[1])))
    bump = np.array(data.draw(st.lists(st.sampled_from([0.0, 0.5, 1.0]), min_size=x.shape[1],
                                       max_size=x.shape[1])))
    y = np.vstack([x, x[0] + bump])  # the last row dominates (or equals) row 0
    c = topsis_kernel(y, w)
    assert c[-1] >= c[0] - 1e-12
