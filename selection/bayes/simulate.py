"""Simulated panels from the model itself, for calibration checks and benchmarks."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from selection import evaluation as ev
from selection.bayes.gibbs import Prior

__all__ = ["SimulatedPanel", "simulate_panel"]


@dataclass(frozen=True)
class SimulatedPanel:
    evaluation: pd.DataFrame  #: long table (expert_id, application_id, criterion_id, score)
    quality: pd.DataFrame  #: true theta (applications x criteria): mu_c + q_ac + mean(b)
    leniency: pd.Series  #: true b_e - mean(b)
    criteria: list[str]


def simulate_panel(n_apps: int, n_experts: int, n_criteria: int, per_app: int, *, seed: int = 0,
                   prior: Prior | None = None, scale_range: float = 5.0, from_prior: bool = True,
                   sigma: float = 0.5, tau: float = 0.8, beta: float = 0.4,
                   missing: float = 0.0) -> SimulatedPanel:
    """A panel of ``n_apps`` applications, each scored by ``per_app`` random experts on every
    criterion (a share ``missing`` of the scores left out, as abstentions).

    With ``from_prior`` the variances are drawn from the model's priors (simulation-based
    calibration, Talts, S., Betancourt, M., Simpson, D., Vehtari, A. & Gelman, A. (2018).
    Validating Bayesian inference algorithms with simulation-based calibration.
    arXiv:1804.06788); otherwise ``sigma``, ``tau`` and ``beta`` are used. Scores are continuous
    (the model's own likelihood), not rounded to a scale.
    """
    pr = prior or Prior()
    rng = np.random.default_rng(seed)
    C = n_criteria
    if from_prior:
        def ig(share):
            return ((share * scale_range) ** 2 * (pr.shape - 1)) / rng.standard_gamma(pr.shape)
        sig = np.sqrt([ig(pr.noise_share) for _ in range(C)])
        ta = np.sqrt([ig(pr.quality_share) for _ in range(C)])
        be = float(np.sqrt(ig(pr.leniency_share)))
    else:
        sig, ta, be = np.full(C, sigma), np.full(C, tau), beta
    mu = rng.uniform(0.4, 0.6, size=C) * scale_range
    q = rng.normal(0, 1, size=(n_apps, C)) * ta
    b = rng.normal(0, be, size=n_experts)
    apps = [f"A{i:05d}" for i in range(n_apps)]
    experts = [f"E{j:04d}" for j in range(n_experts)]
    crits = [f"c{k}" for k in range(C)]
    who = np.argsort(rng.random((n_apps, n_experts)), axis=1)[:, :per_app]  # (A, per_app)
    ai = np.repeat(np.arange(n_apps), per_app * C)
    ei = np.repeat(who.ravel(), C)
    ci = np.tile(np.arange(C), n_apps * per_app)
    y = mu[ci] + q[ai, ci] + b[ei] + rng.normal(0, 1, size=len(ai)) * sig[ci]
    keep = rng.random(len(y)) >= missing
    frame = pd.DataFrame({ev.EXPERT: np.array(experts)[ei[keep]], ev.APPLICATION: np.array(apps)[ai[keep]],
                          ev.CRITERION: np.array(crits)[ci[keep]], ev.SCORE: y[keep]})
    theta = mu[None, :] + q + b.mean()
    return SimulatedPanel(frame, pd.DataFrame(theta, index=pd.Index(apps, name=ev.APPLICATION), columns=crits),
                          pd.Series(b - b.mean(), index=experts), crits)
