"""Weight sampling, SMAA acceptability, sweeps and RPM: analytic cases, properties, brute force."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selection.errors import WeightError
from selection.model import Application, Constraint, Stage
from selection.sensitivity import (
    core_index,
    extreme_weights,
    rank_acceptability,
    sample_weights,
    stability_interval,
    swept_weights,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.floats(0.1, 1.0), min_size=2, max_size=6), st.sampled_from(["simplex", "interval", "ordinal"]),
       st.integers(0, 2**32 - 1))
def test_samples_lie_in_their_weight_set(w0, mode, seed):
    w0 = np.array(w0) / np.sum(w0)
    w = sample_weights(200, w0, np.random.default_rng(seed), mode=mode, spread=0.25)
    assert w.shape == (200, len(w0))
    assert np.allclose(w.sum(axis=1), 1.0) and (w >= -1e-15).all()
    if mode == "interval":
        assert (w >= w0 * 0.75 - 1e-12).all() and (w <= w0 * 1.25 + 1e-12).all()
    if mode == "ordinal":
        order = np.argsort(-w0, kind="stable")
        assert (np.diff(w[:, order], axis=1) <= 1e-15).all()
    # every sample is a convex combination of the extreme points: inside their hull's bounds
    ext = extreme_weights(w0, mode=mode, spread=0.25)
    assert (w.min(axis=0) >= ext.min(axis=0) - 1e-12).all() and (w.max(axis=0) <= ext.max(axis=0) + 1e-12).all()


def test_same_seed_same_samples_and_bad_input():
    a = sample_weights(50, [1, 2, 3], np.random.default_rng(5), mode="interval")
    b = sample_weights(50, [1, 2, 3], np.random.default_rng(5), mode="interval")
    assert np.array_equal(a, b)
    with pytest.raises(WeightError):
        sample_weights(5, [1, -1], np.random.default_rng(0))
    with pytest.raises(WeightError):
        sample_weights(5, [1, 1], np.random.default_rng(0), mode="interval", spread=1.5)
    with pytest.raises(WeightError):
        sample_weights(5, [1, 1], np.random.default_rng(0), mode="guess")


def test_interval_sampling_is_uniform_on_the_polytope():
    """Two criteria, w0 = (0.5, 0.5), ±40 %: w1 is uniform on [0.3, 0.7] (mean 0.5, var 0.4²/12)."""
    w = sample_weights(200_000, [0.5, 0.5], np.random.default_rng(1), mode="interval", spread=0.4)
    assert w[:, 0].min() >= 0.3 - 1e-12 and w[:, 0].max() <= 0.7 + 1e-12
    assert w[:, 0].mean() == pytest.approx(0.5, abs=2e-3)
    assert w[:, 0].var() == pytest.approx(0.4**2 / 12, rel=0.02)


def test_smaa_acceptability_analytic_two_criteria():
    """Lahdelma & Salminen (2001) SMAA-2 on a case solvable by hand: A = (1, 0), B = (0, 1),
    C = (0.6, 0.6) with w1 ~ U(0, 1): A first iff w1 > 0.6 (0.4), B iff w1 < 0.4 (0.4), C otherwise
    (0.2); C's central weight is (0.5, 0.5), A's (0.8, 0.2); C is never last."""
    x = np.array([[1.0, 0.0], [0.0, 1.0], [0.6, 0.6]])
    w = sample_weights(200_000, [0.5, 0.5], np.random.default_rng(2), mode="simplex")
    r = rank_acceptability(x, w, chunk=30_000)
    assert r.acceptability[:, 0] == pytest.approx([0.4, 0.4, 0.2], abs=0.005)
    assert r.acceptability[2, 2] == 0.0
    assert r.acceptability[2, 1] == pytest.approx(0.8, abs=0.005)
    assert r.central_weights[2] == pytest.approx([0.5, 0.5], abs=0.005)
    assert r.central_weights[0] == pytest.approx([0.8, 0.2], abs=0.005)
    assert np.allclose(r.acceptability.sum(axis=0), 1.0) and np.allclose(r.acceptability.sum(axis=1), 1.0)


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 10_000))
def test_smaa_equals_per_sample_brute_force(seed):
    rng = np.random.default_rng(seed)
    x = np.round(rng.uniform(0, 5, (7, 3)) * 2) / 2
    w = sample_weights(300, [1, 1, 1], rng)
    r = rank_acceptability(x, w, chunk=64)
    counts = np.zeros((7, 7))
    for s in range(len(w)):
        v = x @ w[s]
        order = sorted(range(7), key=lambda i: (-v[i], i))
        for pos, i in enumerate(order):
            counts[i, pos] += 1
    # ties (equal rows) are ordered by row index in both
    assert np.allclose(r.acceptability, counts / len(w))
    assert np.allclose(r.expected_rank, counts @ np.arange(1, 8) / len(w))
    # keeping fewer ranks: the same first columns, the same exact expected rank; a tie order
    x[3] = x[1]  # a duplicate row: equal totals in every sample
    order = rng.permutation(7)
    full = rank_acceptability(x, w, order=order, chunk=50)
    part = rank_acceptability(x, w, order=order, ranks=3)
    counts = np.zeros((7, 7))
    for s in range(len(w)):
        v = x @ w[s]
        for pos, i in enumerate(sorted(range(7), key=lambda i: (-v[i], order[i]))):
            counts[i, pos] += 1
    assert np.allclose(full.acceptability, counts / len(w))
    assert np.allclose(part.acceptability, full.acceptability[:, :3])
    assert np.allclose(part.expected_rank, full.expected_rank) and np.allclose(part.top_k(2), full.top_k(2))
    with pytest.raises(ValueError, match="first 3 ranks"):
        part.top_k(4)


def test_swept_weights_and_stability_interval():
    w = swept_weights(np.array([0.2, 0.5, 0.3]), 0, np.linspace(0, 1, 5))
    assert np.allclose(w.sum(axis=1), 1) and np.allclose(w[:4, 1] / w[:4, 2], 0.5 / 0.3) and w[4, 0] == 1
    same = lambda t: 0.13 <= t <= 0.61  # noqa: E731
    grid = np.linspace(0, 1, 11)
    lo, hi = stability_interval(same, 0.2, grid, np.array([same(t) for t in grid]), tol=1e-6)
    assert lo == pytest.approx(0.13, abs=1e-5) and hi == pytest.approx(0.61, abs=1e-5)


def _stage_apps(n, rng):
    apps = {}
    for i in range(n):
        apps[f"A{i}"] = Application(id=f"A{i}", title="t", lead_organisation=f"L{i}",
                                    industries=frozenset({["music", "design"][i % 2]}), municipality="Aarhus",
                                    rural=bool(i % 3 == 0), grant_requested={1: int(rng.integers(1, 4)) * 100_000})
    return apps


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 10_000), st.sampled_from(["simplex", "interval", "ordinal"]))
def test_rpm_nondominated_set_equals_brute_force(seed, mode):
    """Liesiö, Mild & Salo (2007) non-dominance, by enumerating every feasible selection and
    checking dominance at the extreme weights; the core index follows."""
    rng = np.random.default_rng(seed)
    n = 8
    apps = _stage_apps(n, rng)
    stage = Stage(number=1, name="s", catalogue="c.toml", max_selected=3, budget=600_000,
                  constraints=[Constraint(kind="at_least", group="rural", value="true", count=1),
                               Constraint(kind="at_most", group="industry", count=2)])
    ids = list(apps)
    x = np.round(rng.uniform(0, 5, (n, 3)) * 2) / 2
    w0 = np.array([0.5, 0.3, 0.2])
    r = core_index(stage, apps, ids, {}, x, w0, mode=mode, spread=0.3)
    ext = extreme_weights(w0, mode=mode, spread=0.3)
    V = np.round(ext @ x.T, 12)
    feas = []
    for k in range(0, 4):
        for s in itertools.combinations(range(n), k):
            if sum(apps[ids[i]].grant_requested[1] for i in s) > 600_000:
                continue
            if not any(apps[ids[i]].rural for i in s):
                continue
            inds = [next(iter(apps[ids[i]].industries)) for i in s]
            if any(inds.count(t) > 2 for t in set(inds)):
                continue
            feas.append(s)
    vals = np.array([[V[e, list(s)].sum() for e in range(len(ext))] for s in feas])
    nd = []
    for a in range(len(feas)):
        dominated = np.any(np.all(vals >= vals[a] - 1e-12, axis=1) & np.any(vals > vals[a] + 1e-4, axis=1))
        if not dominated:
            nd.append(frozenset(ids[i] for i in feas[a]))
    got = {frozenset(s) for s in r.selections}
    # selections with identical value vectors are one point of the non-dominated set
    assert got <= set(nd)
    vec = {frozenset(ids[i] for i in s): np.round(vals[j], 9) for j, s in enumerate(feas)}
    # every non-dominated value vector is found, up to the enumeration's eps = 1e-4 (value differences
    # below eps count as ties, so a vector within eps of a found one in every extreme weight is that point)
    for s in nd:
        assert any(np.all(vec[g] >= vec[s] - 1e-4 - 1e-9) for g in got), sorted(s)
    core = r.table.set_index("application_id")
    for a in ids:
        share = sum(a in s for s in got) / len(got)
        assert core.at[a, "core_index"] == pytest.approx(share)
