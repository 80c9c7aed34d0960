"""The batched LP path of the sensitivity fast path is exact (issue 12).

:meth:`selection.select.fast.FastStage.solve_many` solves the LPs of a batch of samples one after
the other and certifies all their optima at once (:meth:`selection.select.fast._Model.certify_many`).
Checked here against things the batch does not use: the one-sample certificate
(:meth:`~selection.select.fast._Model.certify`) on the same LP optima, a brute force over every
selection (value, then the tie rule by rank; ``tests/sensitivity/test_fast_exact.py``) and the
reference path (pandas ranking, stage input, the pipeline's solve).
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from selection.model import Constraint, Stage
from selection.select.fast import FastStage
from selection.sensitivity import select_samples, select_samples_naive
from selection.sensitivity.engine import Context, StageContext, _batch_values
from tests.sensitivity.test_fast_exact import _apps, _brute, _catalogue, _same


def test_certify_many_equals_certify_sample_by_sample(example_context):
    """On the example's stage 1 (40 applications, every rule, a weighted-total threshold that
    moves the exclusions with the weights): for 300 weight samples (half on a coarse grid, with ties), the array test proves exactly
    the LP optima that the one-sample certificate proves."""
    sc = example_context.stages[0]
    fast = FastStage(sc.stage, example_context.applications, sc.ids, scores=sc.scores)
    model = fast._model(tuple(range(len(sc.ids))))
    rng = np.random.default_rng(3)
    W = rng.dirichlet(np.ones(len(sc.criteria)), 300)
    W[::2] = np.round(W[::2] * 4) + 1  # every other sample on a coarse grid: ties, fractional optima
    W /= W.sum(axis=1, keepdims=True)
    V, failed, _ = _batch_values(sc, sc.scores, W)
    B = failed
    n, m = len(model.ids), model.A.shape[0]
    XS, Y = np.zeros((len(W), n)), np.zeros((len(W), m))
    for k in range(len(W)):
        model.set_free(~B[k])
        h = model._highs()
        h.changeColsCost(n, model._idx, V[k])
        h.run()
        sol = h.getSolution()
        XS[k], Y[k] = sol.col_value, sol.row_dual
    x, proved = model.certify_many(V, XS, Y, B)
    integral = ~np.any(np.abs(XS - np.round(XS)) > 1e-7, axis=1)
    for k in range(len(W)):
        model.set_free(~B[k])
        want = bool(integral[k]) and model.certify(V[k], np.round(XS[k]), Y[k])
        assert bool(proved[k]) == want, k
    assert 0 < proved.sum() < len(W)  # both outcomes occur


def _context(rng: np.random.Generator, n: int, threshold: float | None) -> Context:
    apps = _apps(n, rng)
    ids = tuple(sorted(apps))
    rules = [Constraint(kind="at_least", group="focus_area", value="food", count=2, if_available=True),
             Constraint(kind="at_most", group="industry", count=int(rng.integers(1, 3))),
             Constraint(kind="at_least", group="rural", value="true", count=1, if_available=True)]
    stage = Stage(number=1, name="s", catalogue="c.toml", max_selected=int(rng.integers(2, 5)),
                  budget=int(rng.integers(4, 10)) * 100_000 if rng.integers(2) else None,
                  constraints=[r for r, on in zip(rules, rng.integers(0, 2, 3) | [1, 0, 0], strict=True) if on])
    scores = rng.integers(0, 4, (n, 2)).astype(float)  # a coarse grid: ties
    return Context(apps, (StageContext(stage, _catalogue(2, threshold=threshold), ids, scores,
                                       np.array([1.0, 2.0]) / 3, int(rng.integers(0, 1000))),))


@settings(max_examples=12, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_batched_lp_path_equals_brute_force_and_reference(seed):
    """Calls of 13-16 applications (beyond exhaustive enumeration, so every sample goes through
    the batched LPs), an ``if_available`` floor of 2 whose members the threshold may exclude:
    each of 16 weight samples' selections equals the brute force's and the reference path's;
    none is handed to the reference path."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(13, 17))
    ctx = _context(rng, n, None if seed % 3 else 1.5)
    sc = ctx.stages[0]
    W = np.round(rng.dirichlet(np.ones(2), 16), 1)
    W = np.clip(W, 0.0, 1.0)
    W = W / W.sum(axis=1, keepdims=True)
    fast = select_samples(ctx, [W])
    naive = select_samples_naive(ctx, [W], solver="highs")
    for i in range(len(W)):
        want = _brute(ctx, W[i], sc.scores)
        assert _same(fast.selections[0][i], want), (i, fast.selections[0][i], want)
        assert _same(naive[0][i], want), (i, naive[0][i], want)
    assert fast.stats[0].reference == 0
