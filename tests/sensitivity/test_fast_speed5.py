"""The batched certificate test of the sensitivity fast path proves what the one-certificate test
proves, and only true optima (issue 12, the SMAA speed target).

:meth:`selection.select.fast._Model.cover_many` tests all of a batch's LP certificates on their
neighbouring weight samples in one array operation. Checked here against the test it replaced
(kept verbatim below as ``_reference_cover``), against itself one certificate at a time, and
against HiGHS's MIP on every sample it proves; the feasible changes of degenerate columns against
the full-row formula; and the k-d tree's settings against SciPy's defaults (same neighbours).
"""

from __future__ import annotations

import numpy as np
import pytest

from selection.select.fast import _MAX_Z, TIE_MARGIN, FastStage, _Model, _patterns
from selection.sensitivity.engine import _batch_values


def _reference_cover(model: _Model, cert, V: np.ndarray, W: np.ndarray, blocked: np.ndarray) -> np.ndarray:
    """``_Model.cover`` as it was before the batched test (main 27fd9b5), verbatim but for ``self``."""
    self = model
    x = cert.x
    on = x > 0.5
    ax = self.A @ x
    tol_feas = 1e-9 * (1.0 + np.abs(ax))
    pos = np.abs(ax - self.hi) <= tol_feas
    Ymap = np.zeros((self.A.shape[0], cert.ymap.shape[1]))
    Ymap[cert.tight_rows] = cert.ymap
    free = ~blocked
    LO = self.lo_many(free)
    usable = ~np.any(free < on[None, :], axis=1) & np.all(ax[None, :] >= LO - 1e-9, axis=1) & \
        bool(np.all(ax <= self.hi + 1e-9))
    neg = np.abs(ax[None, :] - LO) <= tol_feas[None, :]
    y = W @ Ymap.T
    y = np.where((pos[None, :] & (y > 0)) | (neg & (y < 0)), y, 0.0)
    d = V - y @ self.A
    best = V @ x
    tol = TIE_MARGIN * np.maximum(1.0, np.abs(best))
    good = free & np.where(on[None, :], d >= tol[:, None], d <= -tol[:, None])
    bad = free & ~good
    nz = bad.sum(axis=1)
    dmin = np.where(good, np.abs(d), np.inf).min(axis=1)
    zsum = np.where(bad, np.abs(d), 0.0).sum(axis=1)
    passed = usable & (nz <= _MAX_Z) & ((dmin - zsum) > tol)
    ok = passed & (nz == 0)
    for i in np.nonzero(passed & (nz > 0))[0].tolist():
        z = np.nonzero(bad[i])[0]
        delta = np.where(on[z], -1.0, 1.0) * _patterns(len(z))
        rows = ax[None, :] + delta @ self.A[:, z].T
        feas = np.all((rows <= self.hi + 1e-9) & (rows >= LO[i] - 1e-9), axis=1)
        ok[i] = not np.any(delta[feas] @ V[i, z] >= -tol[i])
    return ok


@pytest.fixture(scope="module")
def setting(example_context):
    """The example's stage 1 (40 applications, every rule, a threshold that moves the exclusions
    with the weights), 400 weight samples (a quarter on a coarse grid: ties) and the LP
    certificates of 40 of them."""
    sc = example_context.stages[0]
    fast = FastStage(sc.stage, example_context.applications, sc.ids, scores=sc.scores)
    model = fast._model(tuple(range(len(sc.ids))))
    rng = np.random.default_rng(5)
    W = rng.dirichlet(np.ones(len(sc.criteria)), 400)
    W[::4] = np.round(W[::4] * 4) + 1
    W /= W.sum(axis=1, keepdims=True)
    V, B, _ = _batch_values(sc, sc.scores, W)
    certs = []
    for k in range(0, 400, 10):
        model.set_free(~B[k])
        status, _ = model.solve_lp(V[k], sc.scores, stack=False)
        if status == "proved" and model.last_cert is not None:
            certs.append(model.last_cert)
    assert len(certs) > 10
    return model, V, W, B, certs, rng


def test_cover_many_equals_the_previous_one_certificate_test(setting):
    """Every certificate on 60 random samples: the batched verdicts equal the previous test's and
    the batch's own one certificate at a time; some samples are proved, some not."""
    model, V, W, B, certs, rng = setting
    rests = [rng.choice(len(V), 60, replace=False) for _ in certs]
    rests[1] = rests[1][:0]  # a certificate without samples
    got = model.cover_many(certs, V, W, B, rests)
    proved = 0
    for cert, r, g in zip(certs, rests, got, strict=True):
        assert g.shape == (len(r),)
        assert np.array_equal(g, _reference_cover(model, cert, V[r], W[r], B[r]))
        assert np.array_equal(g, model.cover_many([cert], V, W, B, [r])[0])
        assert np.array_equal(g, model.cover(cert, V[r], W[r], B[r]))
        proved += int(g.sum())
    assert 0 < proved < sum(len(r) for r in rests)


def test_cover_many_proves_only_the_mip_optimum(setting):
    """Each sample a certificate proves has that certificate's selection as its optimum by
    HiGHS's MIP (solved exactly, independently of the LP and the certificates)."""
    model, V, W, B, certs, rng = setting
    rests = [rng.choice(len(V), 40, replace=False) for _ in certs]
    checked = 0
    for cert, r, g in zip(certs, rests, model.cover_many(certs, V, W, B, rests), strict=True):
        for s in r[g][:3].tolist():
            model.set_free(~B[s])
            status, x = model.solve_mip(V[s])
            assert x is not None and np.array_equal(x > 0.5, cert.x > 0.5), (status, s)
            checked += 1
    assert checked > 5


def test_feasible_flips_equal_the_full_row_formula(setting):
    """The feasible changes of up to 6 degenerate columns (only the rows they touch are
    recomputed) equal those of every row's activity, for random selections, columns and floors."""
    model, _, _, B, _, rng = setting
    n = model.A.shape[1]
    for t in range(200):
        model.set_free(~B[t])
        x = (rng.random(n) < 0.15).astype(float)
        on = x > 0.5
        ax = model.A @ x
        zmask = np.zeros(n, dtype=bool)
        zmask[rng.choice(n, int(rng.integers(1, 7)), replace=False)] = True
        lo = model.lo if t % 2 else model.lo_many(~B[t:t + 1])[0]
        delta, z = model._feasible_flips(on, ax, zmask, lo)
        assert np.array_equal(z, np.nonzero(zmask)[0])
        full = np.where(on[z], -1.0, 1.0) * _patterns(len(z))
        rows = ax[None, :] + full @ model.A[:, z].T
        want = full[np.all((rows <= model.hi + 1e-9) & (rows >= lo - 1e-9), axis=1)]
        assert np.array_equal(delta, want)


def test_kd_tree_settings_find_the_default_neighbours():
    """The k-d tree built with larger unbalanced leaves finds the same nearest weight samples, in
    the same order, as SciPy's default tree."""
    from scipy.spatial import cKDTree

    rng = np.random.default_rng(11)
    for dim in (3, 6, 8):
        W = rng.dirichlet(np.ones(dim), 3000)
        want = cKDTree(W).query(W, k=48)[1]
        got = cKDTree(W, leafsize=64, balanced_tree=False, compact_nodes=False).query(W, k=48)[1]
        assert np.array_equal(got, want)
