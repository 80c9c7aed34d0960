"""What the posterior says: totals with credible intervals, expected ranks, leniency, diagnostics,
and each application's probability of being selected under the stage's real rules.

Expected rank (ER): per posterior draw the applications are ranked by their weighted total
(1 = best); the ER is the mean of an application's ranks over the draws and its interval the
5 % and 95 % quantiles of those ranks (Heyard et al. 2022, doi:10.1080/2330443X.2022.2086190,
after Laird, N. M. & Louis, T. A. (1989). Empirical Bayes ranking methods. *Journal of
Educational Statistics* 14(1), 29-46. doi:10.3102/10769986014001029).

The probability of being selected solves the stage's selection program (every rule: places,
budgets, group floors and caps, thresholds on each draw's scores, regional share, forced
decisions) on ``keep_for_selection`` thinned posterior draws, through the same exact fast
path the sensitivity analysis uses (:func:`selection.sensitivity.engine.select_samples`).
"""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from selection.bayes.diagnostics import ESS_MIN, RHAT_LIMIT, ess_bulk, rhat
from selection.bayes.gibbs import Posterior

__all__ = ["POSTERIOR_COLUMNS", "EXPERT_POSTERIOR_COLUMNS", "DIAGNOSTIC_COLUMNS", "ConvergenceWarning",
           "rank_draws", "application_table", "expert_table", "diagnostics_table", "convergence_problems",
           "probability_selected", "StageSelectionProbability"]

POSTERIOR_COLUMNS = ["stage", "application_id", "mean_total", "total_q05", "total_q95", "expected_rank",
                     "er_q05", "er_q95", "probability_selected"]
EXPERT_POSTERIOR_COLUMNS = ["expert_id", "leniency", "leniency_q05", "leniency_q95"]
DIAGNOSTIC_COLUMNS = ["stage", "parameter", "rhat", "ess_bulk"]


class ConvergenceWarning(UserWarning):
    """The Markov chains have not converged (R-hat above 1.01) or give too few effective draws."""


def rank_draws(totals: np.ndarray) -> np.ndarray:
    """Ranks (1 = highest total) per draw: ``totals`` (..., A) -> int array (draws, A)."""
    t = totals.reshape(-1, totals.shape[-1])
    order = np.argsort(-t, axis=1, kind="stable")
    ranks = np.empty_like(order)
    np.put_along_axis(ranks, order, np.arange(1, t.shape[1] + 1)[None, :], axis=1)
    return ranks


def application_table(post: Posterior) -> pd.DataFrame:
    """Per application: mean weighted total with its 90 % credible interval, ER and its interval."""
    A = len(post.data.applications)
    t = post.totals.reshape(-1, A)
    r = rank_draws(post.totals)
    return pd.DataFrame({
        "application_id": list(post.data.applications),
        "mean_total": t.mean(axis=0),
        "total_q05": np.quantile(t, 0.05, axis=0),
        "total_q95": np.quantile(t, 0.95, axis=0),
        "expected_rank": r.mean(axis=0),
        "er_q05": np.quantile(r, 0.05, axis=0, method="inverted_cdf").astype(int),
        "er_q95": np.quantile(r, 0.95, axis=0, method="inverted_cdf").astype(int),
    })


def expert_table(post: Posterior) -> pd.DataFrame:
    """Per expert: posterior mean leniency (points above the panel average) and 90 % interval."""
    E = len(post.data.experts)
    d = post.leniency.reshape(-1, E)
    counts = np.bincount(post.data.expert, minlength=E)
    return pd.DataFrame({"expert_id": list(post.data.experts), "leniency": d.mean(axis=0),
                         "leniency_q05": np.quantile(d, 0.05, axis=0), "leniency_q95": np.quantile(d, 0.95, axis=0),
                         "n_scores": counts})


def diagnostics_table(post: Posterior) -> pd.DataFrame:
    """R-hat and bulk ESS of every reported quantity and every variance."""
    rows = []
    parts = [("total", post.data.applications, post.totals), ("leniency", post.data.experts, post.leniency),
             ("sigma2", post.data.criteria, post.sigma2), ("tau2", post.data.criteria, post.tau2),
             ("beta2", ("all",), post.beta2[:, :, None])]
    for kind, names, draws in parts:
        rh, es = rhat(draws), ess_bulk(draws)
        rows += [{"parameter": f"{kind}[{n}]", "rhat": float(a), "ess_bulk": float(b)}
                 for n, a, b in zip(names, rh, es, strict=True)]
    return pd.DataFrame(rows, columns=["parameter", "rhat", "ess_bulk"])


def convergence_problems(diag: pd.DataFrame, *, where: str = "") -> list[str]:
    """Plain-words warnings for R-hat > 1.01 or bulk ESS < 400 (empty when all is well)."""
    out = []
    bad = diag[diag["rhat"] > RHAT_LIMIT]
    if len(bad):
        worst = bad.sort_values("rhat", ascending=False).iloc[0]
        out.append(f"{where}R-hat above {RHAT_LIMIT} for {len(bad)} quantit{'y' if len(bad) == 1 else 'ies'} "
                   f"(worst {worst['parameter']}: {worst['rhat']:.3f}): the chains disagree, the posterior is not "
                   "reliable; run longer chains")
    low = diag[diag["ess_bulk"] < ESS_MIN]
    if len(low):
        worst = low.sort_values("ess_bulk").iloc[0]
        out.append(f"{where}bulk ESS below {ESS_MIN} for {len(low)} quantit{'y' if len(low) == 1 else 'ies'} "
                   f"(lowest {worst['parameter']}: {worst['ess_bulk']:.0f}): intervals are imprecise; run longer chains")
    for msg in out:
        warnings.warn(msg, ConvergenceWarning, stacklevel=2)
    return out


@dataclass(frozen=True)
class StageSelectionProbability:
    probability: pd.Series  #: per application id
    draws: int
    infeasible: int  #: draws on which no selection satisfies the rules


def probability_selected(post: Posterior, stage, catalogue, applications: Mapping, *,
                         seed: int = 0, workers: int = 1) -> StageSelectionProbability:
    """Share of the thinned posterior draws on which each application is selected.

    The stage's program is solved for every kept draw of the per-criterion quality (thresholds
    and the weighted total are those of that draw) by the sensitivity analysis's exact fast path.
    A later stage is solved among the applications modelled (its candidates).
    """
    from selection.sensitivity.engine import Context, StageContext, select_samples

    if list(post.data.criteria) != catalogue.criterion_ids:
        raise ValueError("the posterior's criteria are not the catalogue's, in its order")
    ids: Sequence[str] = post.data.applications
    draws = post.quality_draws
    T = len(draws)
    w = catalogue.weights()
    wv = np.array([w[c] for c in catalogue.criterion_ids])
    sc = StageContext(stage, catalogue, tuple(ids), post.quality_mean, wv, seed)
    ctx = Context(applications, (sc,))
    res = select_samples(ctx, [np.tile(wv, (T, 1))], [draws], workers=workers)
    counts = dict.fromkeys(ids, 0)
    infeasible = 0
    for sel in res.selections[0]:
        if sel is None:
            infeasible += 1
            continue
        for a in sel:
            counts[a] += 1
    return StageSelectionProbability(pd.Series({a: counts[a] / T for a in ids}, name="probability_selected"),
                                     T, infeasible)
