"""A Bayesian panel model fitted by a vectorised Gibbs sampler (numpy only).

The model (one stage; applications ``a``, experts ``e``, criteria ``c``)::

    y_aec = mu_c + q_ac + b_e + eps_aec,     eps_aec ~ N(0, sigma_c^2)
    q_ac ~ N(0, tau_c^2)          (application quality on criterion c)
    b_e  ~ N(0, beta^2)           (expert effect: leniency, shared by the expert's criteria)
    mu_c flat;  sigma_c^2, tau_c^2, beta^2 ~ inverse-gamma (see :class:`Prior`)

is the additive (crossed) random-effects model of panel scoring: score = application quality +
expert leniency + noise, with hierarchical (partially pooled) priors, as in the Bayesian ranking
model of Heyard, R., Ott, M., Salanti, G. & Egger, M. (2022). Rethinking the funding line at the
Swiss National Science Foundation: Bayesian ranking and lottery. *Statistics and Public Policy*
9(1), 110-121. doi:10.1080/2330443X.2022.2086190. Every observed score enters once; abstentions
(``NaN``) and scores an expert gave despite a declared conflict never enter.

It is conditionally conjugate, so every block has a closed-form full conditional (Gelfand, A. E.
& Smith, A. F. M. (1990). Sampling-based approaches to calculating marginal densities. *JASA*
85(410), 398-409. doi:10.1080/01621459.1990.10476213): normal for ``q``, ``b`` and ``mu``,
inverse-gamma for the variances (Gelman, A. et al. (2013). *Bayesian Data Analysis*, 3rd ed.,
CRC, ch. 11 and 15). ``mu`` and the mean of ``b`` (and of each ``q_.c``) are only identified
through the priors, which makes plain Gibbs crawl along that ridge; each sweep therefore adds
an exact *generalised Gibbs* translation move ``(mu_c + d, b_e - d)`` and ``(mu_c + d_c,
q_ac - d_c)`` with ``d`` drawn from its conditional (Liu, J. S. & Sabatti, C. (2000).
Generalised Gibbs sampler and multigrid Monte Carlo for Bayesian computation. *Biometrika*
87(2), 353-369. doi:10.1093/biomet/87.2.353), which leaves the posterior invariant and mixes
the ridge in one step.

What is reported is invariant to those translations:

* quality of application ``a`` on criterion ``c`` on the score scale:
  ``theta_ac = mu_c + q_ac + mean_e(b_e)`` — the score the panel's average expert would give
  without noise;
* leniency of expert ``e``: ``b_e - mean_e(b_e)`` (points above the panel average).

Chains run side by side as one array (chain axis first); all randomness comes from one
``numpy.random.Generator`` seeded by the caller, so a fit is reproducible bit for bit.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import sparse

from selection import evaluation as ev
from selection.rank import reflect_costs

__all__ = ["Prior", "PanelData", "SamplerSettings", "Posterior", "panel_data", "fit"]


@dataclass(frozen=True)
class Prior:
    """Inverse-gamma priors ``IG(shape, shape - 1) * s^2`` with prior mean ``s^2`` per variance.

    The scales are shares of each criterion's scale range (``max - min``): noise ``sigma``
    0.1 x range (half a point on 0-5), quality ``tau`` 0.2 x range, leniency ``beta`` 0.1 x
    range. Shape 2 keeps them weakly informative (infinite prior variance of the variance)
    while avoiding the near-improper ``IG(eps, eps)`` that Gelman (2006, *Bayesian Analysis*
    1(3), 515-534, doi:10.1214/06-BA117A) warns against for few groups — here: few experts.
    """

    shape: float = 2.0
    noise_share: float = 0.1
    quality_share: float = 0.2
    leniency_share: float = 0.1


@dataclass(frozen=True)
class SamplerSettings:
    """Chains, warm-up and kept draws per chain, and how many draws to keep for selection."""

    chains: int = 4
    warmup: int = 500
    draws: int = 1000
    keep_for_selection: int = 300


@dataclass(frozen=True)
class PanelData:
    """The observed scores of one stage as index arrays (one entry per score)."""

    applications: tuple[str, ...]
    experts: tuple[str, ...]
    criteria: tuple[str, ...]
    app: np.ndarray
    expert: np.ndarray
    criterion: np.ndarray
    y: np.ndarray
    scale_range: np.ndarray  #: per criterion, max - min of its scale

    @property
    def shape(self) -> tuple[int, int, int]:
        return len(self.applications), len(self.experts), len(self.criteria)


def panel_data(evaluation: pd.DataFrame, criteria: Sequence[str], scale_range: Sequence[float], *,
               applications: Sequence[str] | None = None,
               conflicts: Mapping[str, frozenset[str]] | None = None) -> PanelData:
    """The scores of ``evaluation`` (the long table of :mod:`selection.evaluation`) as arrays.

    Abstentions (``NaN``) and criteria outside ``criteria`` are left out, and so is any score
    by an expert on an application in ``conflicts[expert]``. ``applications`` fixes the
    applications modelled (default: every application with a score), in that order.
    """
    frame = evaluation[evaluation[ev.SCORE].notna() & evaluation[ev.CRITERION].isin(list(criteria))]
    if conflicts:
        bad = np.array([a in conflicts.get(e, ()) for e, a in zip(frame[ev.EXPERT], frame[ev.APPLICATION], strict=True)],
                       dtype=bool)
        frame = frame[~bad]
    apps = tuple(applications) if applications is not None else tuple(sorted(set(frame[ev.APPLICATION])))
    frame = frame[frame[ev.APPLICATION].isin(apps)]
    experts = tuple(sorted(set(frame[ev.EXPERT])))
    if not len(frame):
        raise ValueError("no scores to model: every score is missing, abstained or in conflict")
    a_pos = {a: i for i, a in enumerate(apps)}
    e_pos = {e: i for i, e in enumerate(experts)}
    c_pos = {c: i for i, c in enumerate(criteria)}
    return PanelData(apps, experts, tuple(criteria),
                     frame[ev.APPLICATION].map(a_pos).to_numpy(np.int64),
                     frame[ev.EXPERT].map(e_pos).to_numpy(np.int64),
                     frame[ev.CRITERION].map(c_pos).to_numpy(np.int64),
                     frame[ev.SCORE].to_numpy(np.float64),
                     np.asarray(scale_range, dtype=np.float64))


@dataclass(frozen=True)
class Posterior:
    """Posterior draws of one stage's panel model (chains first)."""

    data: PanelData
    settings: SamplerSettings
    seed: int | Sequence[int]
    weights: np.ndarray  #: normalised criterion weights used for the totals
    benefit: np.ndarray  #: True where higher is better (cost criteria are reflected)
    totals: np.ndarray  #: (chains, draws, applications) weighted totals on the scale
    leniency: np.ndarray  #: (chains, draws, experts) b_e - mean(b)
    quality_mean: np.ndarray  #: (applications, criteria) posterior mean of theta
    quality_draws: np.ndarray  #: (kept, applications, criteria) thinned draws of theta
    sigma2: np.ndarray  #: (chains, draws, criteria) noise variances
    tau2: np.ndarray  #: (chains, draws, criteria) quality variances
    beta2: np.ndarray  #: (chains, draws) leniency variance
    timings: dict[str, float] = field(default_factory=dict)

    def quality_frame(self) -> pd.DataFrame:
        """Posterior mean quality per application and criterion, on the criteria's scale."""
        return pd.DataFrame(self.quality_mean, index=pd.Index(self.data.applications, name=ev.APPLICATION),
                            columns=pd.Index(list(self.data.criteria), name=ev.CRITERION))


def _inv_gamma(rng: np.random.Generator, shape, rate) -> np.ndarray:
    return rate / rng.standard_gamma(shape)


def _totals(theta: np.ndarray, w: np.ndarray, benefit: np.ndarray) -> np.ndarray:
    """Weighted totals of ``theta`` (..., A, C), cost columns reflected as max + min - x over A
    (:func:`selection.rank.reflect_costs`, the ranking's own rule)."""
    return reflect_costs(theta, benefit) @ w


def fit(data: PanelData, weights: Sequence[float], *, benefit: Sequence[bool] | None = None,
        seed: int | Sequence[int] = 0, settings: SamplerSettings | None = None,
        prior: Prior | None = None) -> Posterior:
    """Draw from the posterior of the panel model with ``settings.chains`` chains.

    Parameters
    ----------
    data
        From :func:`panel_data`.
    weights
        Criterion weights (normalised here) for the weighted totals.
    benefit
        Per criterion whether higher is better (default all); cost criteria enter the total as
        ``max + min - theta`` over the applications, as :func:`selection.rank.weighted_sum` does.
    seed
        Seed (or seed sequence) of the one ``numpy.random.Generator`` used.

    Examples
    --------
    >>> ev_ = pd.DataFrame({"expert_id": ["E1", "E1", "E2", "E2"], "application_id": ["A", "B", "A", "B"],
    ...                     "criterion_id": ["q"] * 4, "score": [4.0, 2.0, 3.0, 1.5]})
    >>> post = fit(panel_data(ev_, ["q"], [5.0]), [1.0], seed=1)
    >>> bool(post.totals.mean(axis=(0, 1))[0] > post.totals.mean(axis=(0, 1))[1])
    True
    """
    import time

    t0 = time.perf_counter()
    s = settings or SamplerSettings()
    pr = prior or Prior()
    rng = np.random.default_rng(seed)
    A, E, C = data.shape
    K = s.chains
    w = np.asarray(weights, dtype=np.float64)
    w = w / w.sum()
    ben = np.ones(C, dtype=bool) if benefit is None else np.asarray(benefit, dtype=bool)
    y, a, e, c = data.y, data.app, data.expert, data.criterion
    N = len(y)
    ac = a * C + c
    ec = e * C + c
    # one sparse incidence matrix per sum over scores: (expert, criterion) x (application, criterion)
    # and (application, criterion) x expert, so that every sweep costs O(scores) in compiled code
    P = sparse.csr_matrix((np.ones(N), (ec, ac)), shape=(E * C, A * C))
    R = sparse.csr_matrix((np.ones(N), (ac, e)), shape=(A * C, E))
    n_ac = np.bincount(ac, minlength=A * C).reshape(A, C).astype(np.float64)
    n_ec = np.bincount(ec, minlength=E * C).reshape(E, C).astype(np.float64)
    n_c = n_ac.sum(axis=0)
    S_ac = np.bincount(ac, weights=y, minlength=A * C).reshape(A, C)
    Y_ec = np.bincount(ec, weights=y, minlength=E * C).reshape(E, C)
    Y_c = S_ac.sum(axis=0)
    YY_c = np.bincount(c, weights=y * y, minlength=C)
    rng_c = np.where(data.scale_range > 0, data.scale_range, 1.0)
    sh = pr.shape
    rate_sig = (pr.noise_share * rng_c) ** 2 * (sh - 1)
    rate_tau = (pr.quality_share * rng_c) ** 2 * (sh - 1)
    rate_beta = (pr.leniency_share * rng_c.mean()) ** 2 * (sh - 1)

    # over-dispersed starting points, one per chain
    ybar = np.where(n_c > 0, Y_c / np.maximum(n_c, 1), 0.0)
    sd = max(float(np.std(y)), 1e-3)
    mu = ybar[None, :] + rng.normal(0, sd, size=(K, C))
    q = rng.normal(0, sd, size=(K, A, C))
    b = rng.normal(0, sd / 2, size=(K, E))
    sig2 = np.full((K, C), sd**2) * rng.uniform(0.5, 2.0, size=(K, C))
    tau2 = np.full((K, C), sd**2) * rng.uniform(0.5, 2.0, size=(K, C))
    beta2 = (sd / 2) ** 2 * rng.uniform(0.5, 2.0, size=K)

    S = s.draws
    totals = np.empty((K, S, A))
    len_draws = np.empty((K, S, E))
    sig_draws = np.empty((K, S, C))
    tau_draws = np.empty((K, S, C))
    beta_draws = np.empty((K, S))
    theta_sum = np.zeros((A, C))
    per_chain = -(-s.keep_for_selection // K)  # kept for selection: keep/K per chain, evenly spread
    keep_iters = set(np.unique(np.linspace(0, S - 1, min(S, per_chain)).round().astype(int)).tolist())
    kept: list[np.ndarray] = []

    for it in range(s.warmup + S):
        # q | rest
        bsum = (R @ b.T).T.reshape(K, A, C)  # sum of b_e over the scores of (a, c)
        prec = n_ac[None] / sig2[:, None, :] + 1.0 / tau2[:, None, :]
        rhs = (S_ac[None] - n_ac[None] * mu[:, None, :] - bsum) / sig2[:, None, :]
        q = rhs / prec + rng.standard_normal((K, A, C)) / np.sqrt(prec)
        # b | rest
        qsum = (P @ q.reshape(K, A * C).T).T.reshape(K, E, C)  # sum of q_ac over the scores of (e, c)
        prec_b = (n_ec[None] / sig2[:, None, :]).sum(axis=2) + 1.0 / beta2[:, None]
        rhs_b = ((Y_ec[None] - n_ec[None] * mu[:, None, :] - qsum) / sig2[:, None, :]).sum(axis=2)
        b = rhs_b / prec_b + rng.standard_normal((K, E)) / np.sqrt(prec_b)
        # mu | rest (flat prior)
        resid_c = Y_c[None] - (n_ac[None] * q).sum(axis=1) - np.einsum("ec,ke->kc", n_ec, b)
        mu = np.where(n_c > 0, resid_c / np.maximum(n_c, 1), 0.0) + \
            rng.standard_normal((K, C)) * np.sqrt(sig2 / np.maximum(n_c, 1))
        # translation moves (Liu & Sabatti 2000): (mu + d, b - d) and (mu_c + d_c, q_.c - d_c)
        d = b.mean(axis=1) + rng.standard_normal(K) * np.sqrt(beta2 / E)
        b = b - d[:, None]
        mu = mu + d[:, None]
        dc = q.mean(axis=1) + rng.standard_normal((K, C)) * np.sqrt(tau2 / A)
        q = q - dc[:, None, :]
        mu = mu + dc
        # variances
        # residual sum of squares per criterion, expanded into sums already at hand:
        # sum (y - m)^2 = sum y^2 - 2 sum y m + sum m^2 with m = (mu_c + q_ac) + b_e
        bsum = (R @ b.T).T.reshape(K, A, C)
        mq = mu[:, None, :] + q
        cross = (S_ac[None] * mq).sum(axis=1) + np.einsum("ec,ke->kc", Y_ec, b)
        msq = (n_ac[None] * mq * mq).sum(axis=1) + 2 * (mq * bsum).sum(axis=1) + \
            np.einsum("ec,ke->kc", n_ec, b * b)
        ssr = np.maximum(YY_c[None] - 2 * cross + msq, 0.0)
        sig2 = _inv_gamma(rng, sh + n_c[None] / 2, rate_sig[None] + ssr / 2)
        tau2 = _inv_gamma(rng, sh + A / 2, rate_tau[None] + (q * q).sum(axis=1) / 2)
        beta2 = _inv_gamma(rng, sh + E / 2, rate_beta + (b * b).sum(axis=1) / 2)
        if it >= s.warmup:
            j = it - s.warmup
            bbar = b.mean(axis=1)
            theta = mu[:, None, :] + q + bbar[:, None, None]
            totals[:, j] = _totals(theta, w, ben)
            len_draws[:, j] = b - bbar[:, None]
            sig_draws[:, j], tau_draws[:, j], beta_draws[:, j] = sig2, tau2, beta2
            theta_sum += theta.sum(axis=0)
            if j in keep_iters:
                kept.append(theta.copy())
    # kept draws ordered chain by chain
    quality_draws = np.stack(kept, axis=1).reshape(-1, A, C) if kept else np.empty((0, A, C))
    return Posterior(data, s, seed, w, ben, totals, len_draws, theta_sum / (K * S), quality_draws,
                     sig_draws, tau_draws, beta_draws, {"sampling_s": time.perf_counter() - t0})
