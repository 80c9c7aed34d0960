"""VIKOR against Opricovic & Tzeng (2004) and its compromise conditions."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from selection.errors import RankingError
from selection.rank import vikor, vikor_kernel
from selection.rank.vikor import compromise, vikor_components

OT2004 = pd.DataFrame({"f1": [1.0, 2.0, 5.0], "f2": [3000.0, 3750.0, 4500.0]}, index=["A1", "A2", "A3"])


def test_vikor_opricovic_tzeng_2004_numerical_example():
    """Opricovic & Tzeng (2004), doi:10.1016/S0377-2217(03)00020-1, numerical example: three
    alternatives, f1 to be minimised and f2 maximised, equal weights, v = 0.5. VIKOR proposes A2
    as the single compromise solution (both conditions hold); A1 and A3 tie. The S, R and Q
    values are worked by hand from the paper's equations (the same data is the CRAN package
    MCDM's VIKOR example)."""
    res = vikor(OT2004, {"f1": 0.5, "f2": 0.5}, directions={"f1": "cost"}, v=0.5)
    np.testing.assert_allclose(res["S"], [0.5, 0.375, 0.5])
    np.testing.assert_allclose(res["R"], [0.5, 0.25, 0.5])
    np.testing.assert_allclose(res["score"], [1.0, 0.0, 1.0])
    assert res["rank"].tolist() == [2, 1, 2]
    comp = res.attrs["compromise"]
    assert comp.acceptable_advantage and comp.acceptable_stability
    assert comp.solutions == ("A2",) and comp.dq == pytest.approx(0.5)
    assert res["compromise"].tolist() == [False, True, False]


def test_compromise_set_when_conditions_fail():
    ids = ["a", "b", "c", "d", "e"]  # DQ = 1/4
    # C1 fails (b within DQ of a), C2 holds: the set is every alternative within DQ of the first
    s = np.array([0.1, 0.2, 0.5, 0.6, 0.9])
    r = np.array([0.1, 0.2, 0.5, 0.6, 0.9])
    q = np.array([0.0, 0.1, 0.2, 0.6, 1.0])
    c = compromise(ids, s, r, q)
    assert not c.acceptable_advantage and c.acceptable_stability
    assert c.solutions == ("a", "b", "c")
    # C2 fails (a is not best by S nor by R), C1 holds: the first two
    c = compromise(ids, np.array([0.3, 0.1, 0.5, 0.6, 0.9]), np.array([0.3, 0.2, 0.1, 0.6, 0.9]), np.array([0.0, 0.3, 0.5, 0.6, 1.0]))
    assert c.acceptable_advantage and not c.acceptable_stability
    assert c.solutions == ("a", "b")


def test_v_extremes_rank_by_s_or_by_r():
    rng = np.random.default_rng(1)
    x = rng.uniform(0, 5, (12, 4))
    w = rng.dirichlet(np.ones(4))
    s, r, _ = vikor_components(x, w)
    np.testing.assert_allclose(vikor_components(x, w, v=1.0)[2], (s - s.min()) / (s.max() - s.min()))
    np.testing.assert_allclose(vikor_components(x, w, v=0.0)[2], (r - r.min()) / (r.max() - r.min()))


def test_kernel_returns_minus_q_for_many_weight_vectors():
    rng = np.random.default_rng(2)
    x = rng.uniform(0, 5, (20, 5))
    w = rng.dirichlet(np.ones(5), size=40)
    k = vikor_kernel(x, w, v=0.3)
    assert k.shape == (40, 20) and (k <= 0).all() and (k >= -1).all()
    loop = np.array([-vikor_components(x, wi, v=0.3)[2] for wi in w])
    np.testing.assert_allclose(k, loop, atol=1e-12)
    # naive per-alternative loops, straight from the paper's formulas
    wi = w[0] / w[0].sum()
    best, worst = x.max(axis=0), x.min(axis=0)
    S = [sum(wi[j] * (best[j] - x[i, j]) / (best[j] - worst[j]) for j in range(5)) for i in range(20)]
    R = [max(wi[j] * (best[j] - x[i, j]) / (best[j] - worst[j]) for j in range(5)) for i in range(20)]
    Q = [0.3 * (S[i] - min(S)) / (max(S) - min(S)) + 0.7 * (R[i] - min(R)) / (max(R) - min(R)) for i in range(20)]
    np.testing.assert_allclose(k[0], -np.array(Q), atol=1e-12)


def test_constant_criterion_and_all_equal():
    t = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 4.0, 4.0]}, index=["X", "Y", "Z"])
    res = vikor(t, {"a": 0.5, "b": 0.5})
    assert np.isfinite(res["score"]).all() and res["rank"].tolist() == [3, 2, 1]
    same = pd.DataFrame({"a": [2.0, 2.0]}, index=["X", "Y"])
    assert vikor(same, {"a": 1})["score"].tolist() == [0.0, 0.0]


@pytest.mark.parametrize("v", [-0.1, 1.5, "half"])
def test_bad_v_is_an_error(v):
    with pytest.raises(RankingError, match="VIKOR v"):
        vikor(OT2004, {"f1": 0.5, "f2": 0.5}, v=v)
