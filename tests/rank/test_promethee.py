"""PROMETHEE II: the generalised criteria of Brans & Vincke (1985), flows against an
independent pairwise implementation, and properties."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selection.errors import RankingError
from selection.rank import PreferenceFunction, promethee_ii, promethee_ii_kernel
from selection.rank.promethee import preference

D = np.array([-2.0, 0.0, 0.5, 1.0, 1.5, 2.0, 3.0])


@pytest.mark.parametrize(("function", "params", "expected"), [
    # Brans & Vincke (1985), doi:10.1287/mnsc.31.6.647, types I-VI, evaluated at d = D
    ("usual", {}, [0, 0, 1, 1, 1, 1, 1]),
    ("u_shape", {"q": 1.0}, [0, 0, 0, 0, 1, 1, 1]),
    ("v_shape", {"p": 2.0}, [0, 0, 0.25, 0.5, 0.75, 1, 1]),
    ("level", {"q": 0.5, "p": 1.5}, [0, 0, 0, 0.5, 0.5, 1, 1]),
    ("linear", {"q": 1.0, "p": 2.0}, [0, 0, 0, 0, 0.5, 1, 1]),
    ("gaussian", {"s": 1.0}, [0, 0] + [1 - math.exp(-d * d / 2) for d in (0.5, 1.0, 1.5, 2.0, 3.0)]),
])
def test_generalised_criteria_brans_vincke_1985(function, params, expected):
    np.testing.assert_allclose(preference(D, function, **params), expected, atol=1e-15)


def _naive_promethee(x, w, fns):
    """Straight from Brans, Vincke & Mareschal (1986): pi(a,b), phi+, phi-, phi, in loops."""
    n, m = x.shape
    w = np.asarray(w) / np.sum(w)
    pi = [[sum(w[k] * float(preference(np.array([x[a, k] - x[b, k]]), fns[k].function, fns[k].q,
                                       fns[k].p, fns[k].s)[0]) for k in range(m)) for b in range(n)]
          for a in range(n)]
    plus = [sum(pi[a][b] for b in range(n) if b != a) / (n - 1) for a in range(n)]
    minus = [sum(pi[b][a] for b in range(n) if b != a) / (n - 1) for a in range(n)]
    return np.array(plus), np.array(minus), np.array(plus) - np.array(minus)


def test_hand_worked_three_alternatives():
    """Usual criteria, equal weights: X beats Y on b, Y beats X on a; both beat Z on one
    criterion and tie on the other: pi(X,Y) = 0.5, pi(Y,X) = 0.5, pi(X,Z) = 1, pi(Z,X) = 0,
    pi(Y,Z) = 0.5, pi(Z,Y) = 0; so phi+ = (0.75, 0.5, 0), phi- = (0.25, 0.25, 0.75)."""
    t = pd.DataFrame({"a": [3.0, 4.0, 1.0], "b": [5.0, 1.0, 1.0]}, index=["X", "Y", "Z"])
    res = promethee_ii(t, {"a": 1, "b": 1})
    np.testing.assert_allclose(res["phi_plus"], [0.75, 0.5, 0.0])
    np.testing.assert_allclose(res["phi_minus"], [0.25, 0.25, 0.75])
    np.testing.assert_allclose(res["score"], [0.5, 0.25, -0.75])


FUNCTIONS = [PreferenceFunction("usual"), PreferenceFunction("u_shape", q=0.5),
             PreferenceFunction("v_shape", p=2.0), PreferenceFunction("level", q=0.5, p=1.5),
             PreferenceFunction("linear", q=0.5, p=2.5), PreferenceFunction("gaussian", s=1.0)]


@pytest.mark.filterwarnings("ignore::selection.rank.WeightNormalisationWarning")
@settings(max_examples=40, deadline=None)
@given(data=st.data(), n=st.integers(2, 7))
def test_flows_equal_the_pairwise_definition(data, n):
    x = np.array(data.draw(st.lists(st.lists(st.sampled_from([0, 0.5, 1, 1.5, 2, 3, 4, 5]), min_size=6,
                                                     max_size=6), min_size=n, max_size=n)), dtype=float)
    w = np.array(data.draw(st.lists(st.floats(0.01, 1), min_size=6, max_size=6)))
    t = pd.DataFrame(x, columns=[f"c{k}" for k in range(6)])
    res = promethee_ii(t, dict(zip(t.columns, w, strict=True)),
                       preference_functions=dict(zip(t.columns, FUNCTIONS, strict=True)))
    plus, minus, net = _naive_promethee(x, w, FUNCTIONS)
    np.testing.assert_allclose(res["phi_plus"], plus, atol=1e-12)
    np.testing.assert_allclose(res["phi_minus"], minus, atol=1e-12)
    np.testing.assert_allclose(res["score"], net, atol=1e-12)
    assert abs(res["score"].sum()) < 1e-12  # net flows sum to zero


LIN = ["usual", "usual", "usual", {"function": "linear", "q": 0.5, "p": 2.0}]


def test_kernel_batches_weights_and_handles_cost_and_constant():
    rng = np.random.default_rng(3)
    x = rng.uniform(0, 5, (25, 4))
    x[:, 2] = 3.0  # constant criterion: no preference either way
    w = rng.dirichlet(np.ones(4), size=30)
    k = promethee_ii_kernel(x, w, directions=[True, False, True, True], functions=LIN)
    loop = np.array([promethee_ii_kernel(x, wi, directions=[True, False, True, True],
                                         functions=LIN)
                     for wi in w])
    np.testing.assert_allclose(k, loop, atol=1e-12)
    y = x.copy()
    y[:, 1] = -y[:, 1]
    np.testing.assert_allclose(k, promethee_ii_kernel(y, w, functions=LIN), atol=1e-12)
    assert promethee_ii_kernel(x[:1], w[0]).tolist() == [0.0]  # one application: flows are 0


def test_bad_preference_functions_are_reported_together():
    t = pd.DataFrame({"a": [1.0, 2.0], "b": [2.0, 1.0]}, index=["X", "Y"])
    with pytest.raises(RankingError) as exc:
        promethee_ii(t, {"a": 1, "b": 1}, preference_functions={
            "a": {"function": "linear", "q": 2, "p": 1}, "b": "triangle", "zz": "usual"})
    text = str(exc.value)
    assert "p (1) must be greater than q (2)" in text and "triangle" in text and "zz" in text


@settings(max_examples=50, deadline=None)
@given(data=st.data(), n=st.integers(2, 8))
def test_permuting_applications_permutes_net_flows(data, n):
    x = np.array(data.draw(st.lists(st.lists(st.sampled_from([0, 1, 2, 3, 4, 5]), min_size=3, max_size=3),
                                    min_size=n, max_size=n)), dtype=float)
    perm = np.array(data.draw(st.permutations(range(n))))
    w = np.array([0.5, 0.3, 0.2])
    np.testing.assert_allclose(promethee_ii_kernel(x[perm], w), promethee_ii_kernel(x, w)[perm], atol=1e-12)
