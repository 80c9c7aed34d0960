"""Convergence diagnostics of Markov chains: rank-normalised split R-hat and bulk effective sample size.

Both follow Vehtari, A., Gelman, A., Simpson, D., Carpenter, B. & Bürkner, P.-C. (2021).
Rank-normalization, folding, and localization: an improved R-hat for assessing convergence of
MCMC. *Bayesian Analysis* 16(2), 667-718. doi:10.1214/20-BA1221:

* every chain is split in half (so that a trend within a chain shows up as disagreement);
* draws are replaced by the normal scores of their ranks over all chains,
  ``z = Phi^-1((r - 3/8) / (S + 1/4))`` (Blom's offsets), so heavy tails do not hide trouble;
* R-hat is the classical potential scale reduction (Gelman, A. & Rubin, D. B. (1992).
  *Statistical Science* 7(4), 457-472. doi:10.1214/ss/1177011136) of the normal scores (bulk)
  and of the normal scores of the distances to the median (tail); the larger of the two is
  reported;
* the bulk ESS is ``M N / tau`` of the rank-normalised split chains, with the autocorrelations
  combined over chains (their eq. 10) and summed with Geyer's initial monotone sequence
  (Geyer, C. J. (1992). Practical Markov chain Monte Carlo. *Statistical Science* 7(4),
  473-483. doi:10.1214/ss/1177011137).

Everything is vectorised over parameters: draws come as an array ``(chains, draws, P)``.
``tests/bayes/test_diagnostics.py`` checks both against ArviZ's independent implementation.
"""

from __future__ import annotations

import numpy as np
from scipy.special import ndtri
from scipy.stats import rankdata

__all__ = ["split_chains", "rank_normalise", "rhat", "ess_bulk", "RHAT_LIMIT", "ESS_MIN"]

#: Largest R-hat accepted as converged (Vehtari et al. 2021 recommend 1.01).
RHAT_LIMIT = 1.01
#: Smallest bulk ESS accepted (Vehtari et al. 2021: at least 100 per chain for 4 chains).
ESS_MIN = 400


def _as3d(draws: np.ndarray) -> np.ndarray:
    x = np.asarray(draws, dtype=np.float64)
    if x.ndim == 2:
        x = x[:, :, None]
    if x.ndim != 3:
        raise ValueError(f"draws must be (chains, draws) or (chains, draws, parameters), got shape {x.shape}")
    return x


def split_chains(draws: np.ndarray) -> np.ndarray:
    """Each chain cut into its first and second half (an odd middle draw is dropped)."""
    x = _as3d(draws)
    half = x.shape[1] // 2
    return np.concatenate([x[:, :half], x[:, x.shape[1] - half:]], axis=0)


def rank_normalise(draws: np.ndarray) -> np.ndarray:
    """Normal scores of the ranks over all chains, per parameter (average ranks for ties)."""
    x = _as3d(draws)
    m, n, p = x.shape
    flat = np.ascontiguousarray(x.reshape(m * n, p).T)  # (P, draws): sort along contiguous rows
    order = np.argsort(flat, axis=1)
    srt = np.take_along_axis(flat, order, axis=1)
    if np.any(srt[:, 1:] == srt[:, :-1]):
        r = rankdata(flat, axis=1, method="average")  # ties: average ranks (slower)
    else:
        r = np.empty_like(flat)
        np.put_along_axis(r, order, np.arange(1, m * n + 1, dtype=np.float64)[None, :], axis=1)
    return ndtri((r.T - 0.375) / (m * n + 0.25)).reshape(m, n, p)


def _psrf(x: np.ndarray) -> np.ndarray:
    """Classical potential scale reduction factor of chains ``(M, N, P)``."""
    m, n, _ = x.shape
    means = x.mean(axis=1)
    w = x.var(axis=1, ddof=1).mean(axis=0)
    b = n * means.var(axis=0, ddof=1)
    var_plus = (n - 1) / n * w + b / n
    with np.errstate(divide="ignore", invalid="ignore"):
        out = np.sqrt(var_plus / w)
    return np.where(w > 0, out, np.nan)


def rhat(draws: np.ndarray) -> np.ndarray:
    """Rank-normalised split R-hat per parameter: ``max(bulk, tail)`` (NaN for a constant)."""
    x = split_chains(draws)
    bulk = _psrf(rank_normalise(x))
    folded = np.abs(x - np.median(x.reshape(-1, x.shape[2]), axis=0))
    tail = _psrf(rank_normalise(folded))
    return np.fmax(bulk, tail)


def _autocovariance(x: np.ndarray) -> np.ndarray:
    """Autocovariance per chain and parameter at every lag (biased, FFT), shape ``(M, N, P)``."""
    m, n, p = x.shape
    c = x - x.mean(axis=1, keepdims=True)
    size = 1 << (2 * n - 1).bit_length()
    f = np.fft.rfft(c, n=size, axis=1)
    return np.fft.irfft(f * np.conj(f), n=size, axis=1)[:, :n] / n


def ess(draws: np.ndarray) -> np.ndarray:
    """Effective sample size of the chains as given (no splitting or rank normalisation)."""
    x = _as3d(draws)
    m, n, p = x.shape
    acov = _autocovariance(x)
    chain_var = acov[:, 0] * n / (n - 1)
    w = chain_var.mean(axis=0)
    var_plus = w * (n - 1) / n
    if m > 1:
        var_plus = var_plus + x.mean(axis=1).var(axis=0, ddof=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        rho = 1.0 - (w[None, :] - acov.mean(axis=0)) / var_plus[None, :]  # (N, P)
    rho[0] = 1.0
    k = n // 2
    pairs = rho[0:2 * k:2] + rho[1:2 * k:2]  # Gamma_k = rho_2k + rho_2k+1, (K, P)
    # Geyer: keep the initial positive sequence, then make it monotone.
    positive = np.cumprod(pairs > 0, axis=0).astype(bool)
    mono = np.minimum.accumulate(np.where(positive, pairs, np.inf), axis=0)
    mono = np.where(positive, mono, 0.0)
    tau = -1.0 + 2.0 * mono.sum(axis=0)
    total = m * n
    tau = np.maximum(tau, 1.0 / np.log10(total))
    out = total / tau
    return np.where(np.isfinite(var_plus) & (var_plus > 0), out, np.nan)


def ess_bulk(draws: np.ndarray) -> np.ndarray:
    """Bulk effective sample size: :func:`ess` of the rank-normalised split chains."""
    return ess(rank_normalise(split_chains(draws)))
