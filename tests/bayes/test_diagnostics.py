"""R-hat and bulk ESS (Vehtari et al. 2021, doi:10.1214/20-BA1221) against ArviZ's independent code."""

from __future__ import annotations

import numpy as np
import pytest

from selection.bayes.diagnostics import ess_bulk, rhat

array_stats = pytest.importorskip("arviz_stats.base").array_stats


def _chains(seed: int, kind: str) -> np.ndarray:
    rng = np.random.default_rng(seed)
    if kind == "iid":
        return rng.normal(size=(4, 400, 3))
    if kind == "ar1":  # autocorrelated chains
        x = np.zeros((4, 400, 3))
        for t in range(1, 400):
            x[:, t] = 0.8 * x[:, t - 1] + rng.normal(size=(4, 3))
        return x
    if kind == "shifted":  # one chain elsewhere: not converged
        x = rng.normal(size=(4, 400, 3))
        x[0] += 1.5
        return x
    x = rng.standard_cauchy(size=(4, 400, 3))  # heavy tails
    return x


@pytest.mark.parametrize("kind", ["iid", "ar1", "shifted", "cauchy"])
def test_rhat_and_ess_match_arviz(kind):
    x = _chains(7, kind)
    ours_r, ours_e = rhat(x), ess_bulk(x)
    for p in range(x.shape[2]):
        ref_r = float(array_stats.rhat(x[:, :, p], chain_axis=0, draw_axis=1, method="rank"))
        ref_e = float(array_stats.ess(x[:, :, p], chain_axis=0, draw_axis=1, method="bulk"))
        assert ours_r[p] == pytest.approx(ref_r, rel=1e-6)
        assert ours_e[p] == pytest.approx(ref_e, rel=0.03)


def test_rhat_flags_disagreeing_chains():
    assert rhat(_chains(1, "iid")).max() < 1.01
    assert rhat(_chains(1, "shifted")).min() > 1.05
