"""From panel scores to a ranking: weighted total, thresholds, and a tie-break chain.

The tie-break chain is read from the catalogue (or a scenario), e.g.
``["criterion:vaerditilvaekst", "rural", "lottery"]``. A final seeded lottery is always appended, so
every rank is strict; the lottery's seed is recorded by the run. Each row records in
``tie_break`` which step separated it from the application ranked just above it.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

from selection.errors import Problem, RankingError
from selection.model import Application, CriteriaCatalogue
from selection.rank.weighted import check_table, ranks_from_scores, weighted_sum

__all__ = ["rank_applications", "threshold_failures", "TIE_BREAK_STEPS", "RANKING_COLUMNS"]

TIE_BREAK_STEPS = ("criterion:<id>", "rural", "lottery")
RANKING_COLUMNS = ["rank", "score", "tied_rank", "tie_break", "eligible", "failed_thresholds", "sum_score"]


def threshold_failures(panel: pd.DataFrame, catalogue: CriteriaCatalogue, weighted_total: pd.Series) -> pd.Series:
    """Per application, the thresholds it fails, in words ('' when it passes every one).

    Per-criterion minimum scores and the overall minimum, on the weighted total or the plain sum
    of criterion scores (Horizon Europe's "10 of 15") as the catalogue says.
    """
    out = {}
    plain_sum = panel.sum(axis=1)
    for app in panel.index:
        failed = []
        for c in catalogue.criteria:
            if c.threshold is not None and panel.at[app, c.id] < c.threshold - 1e-9:
                failed.append(f"{c.id} {panel.at[app, c.id]:.2f} < {c.threshold:g}")
        t = catalogue.overall_threshold
        if t is not None:
            value = weighted_total[app] if catalogue.overall_threshold_basis == "weighted_total" else plain_sum[app]
            if value < t - 1e-9:
                basis = "weighted total" if catalogue.overall_threshold_basis == "weighted_total" else "total"
                failed.append(f"{basis} {value:.2f} < {t:g}")
        out[app] = "; ".join(failed)
    return pd.Series(out, dtype="str", name="failed_thresholds")


def _tie_keys(chain: list[str], panel: pd.DataFrame, applications: Mapping[str, Application] | None,
              rng: np.random.Generator) -> list[tuple[str, np.ndarray]]:
    """Each step as (name, key array) where a higher key wins the tie."""
    keys = []
    problems = []
    steps = [s for s in chain if s != "lottery"] + ["lottery"]
    for step in steps:
        if step.startswith("criterion:"):
            cid = step.split(":", 1)[1]
            if cid not in panel.columns:
                problems.append(Problem(f"tie-break {step!r} names an unknown criterion",
                                        hint=f"use one of {', '.join(map(str, panel.columns))}"))
                continue
            keys.append((step, panel[cid].to_numpy(dtype=float)))
        elif step == "rural":
            if applications is None:
                problems.append(Problem("tie-break 'rural' needs the applications"))
                continue
            keys.append((step, np.array([float(applications[a].rural) for a in panel.index])))
        elif step == "lottery":
            keys.append((step, rng.permutation(len(panel)).astype(float)))
        else:
            problems.append(Problem(f"unknown tie-break step {step!r}", hint=f"use {', '.join(TIE_BREAK_STEPS)}"))
    if problems:
        raise RankingError(problems)
    return keys


def rank_applications(
    panel: pd.DataFrame,
    catalogue: CriteriaCatalogue,
    *,
    weights: Mapping[str, float] | None = None,
    applications: Mapping[str, Application] | None = None,
    tie_breaks: list[str] | None = None,
    seed: int = 0,
) -> pd.DataFrame:
    """Rank applications by weighted total with thresholds and a strict tie-break chain.

    Parameters
    ----------
    panel
        Panel scores, applications as index and the catalogue's criteria as columns.
    weights
        Criterion weights; default the catalogue's normalised weights.
    tie_breaks
        Tie-break chain; default the catalogue's. A seeded lottery always ends it.
    seed
        Seed of the lottery (``numpy.random.default_rng(seed)``).

    Returns
    -------
    DataFrame indexed by application id, sorted by rank, with :data:`RANKING_COLUMNS` followed by
    the panel scores.
    """
    check_table(panel)
    criteria = catalogue.criterion_ids
    weights = dict(weights) if weights is not None else catalogue.weights()
    directions = {c.id: c.direction for c in catalogue.criteria}
    ws = weighted_sum(panel[criteria], weights, directions=directions)
    score = ws["score"].round(12)  # keep float noise from splitting true ties
    failed = threshold_failures(panel[criteria], catalogue, score)
    rng = np.random.default_rng(seed)
    keys = _tie_keys(list(tie_breaks if tie_breaks is not None else catalogue.tie_breaks), panel, applications, rng)
    names = ["score"] + [k[0] for k in keys]
    arrays = [score.to_numpy()] + [k[1] for k in keys]
    order = np.lexsort([-a for a in reversed(arrays)])
    tie_break = [""] * len(order)
    for pos in range(1, len(order)):
        i, j = order[pos - 1], order[pos]
        for name, arr in zip(names, arrays, strict=True):
            if arr[i] != arr[j]:
                tie_break[pos] = name
                break
    idx = panel.index[order]
    out = pd.DataFrame({
        "rank": np.arange(1, len(order) + 1),
        "score": score.to_numpy()[order],
        "tied_rank": ranks_from_scores(score.to_numpy())[order],
        "tie_break": tie_break,
        "eligible": (failed == "").to_numpy()[order],
        "failed_thresholds": failed.to_numpy()[order],
        "sum_score": panel[criteria].sum(axis=1).to_numpy()[order],
    }, index=idx)
    out = out.join(panel[criteria].add_prefix("panel_"))
    out.index.name = "application_id"
    return out
