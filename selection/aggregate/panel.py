"""Expert scores -> panel scores per application x criterion.

The foundation method is the plain mean over the experts who scored (abstentions excluded).
"""

from __future__ import annotations

import pandas as pd

from selection import evaluation as ev

__all__ = ["AGGREGATIONS", "panel_scores", "score_counts"]


AGGREGATIONS = ("mean", "median", "trimmed_mean")


def panel_scores(evaluation: pd.DataFrame, criteria: list[str], *, method: str = "mean",
                 trim: float = 0.1) -> pd.DataFrame:
    """Panel score per application (rows) and criterion (columns), abstentions excluded.

    ``method`` is ``"mean"`` (default), ``"median"`` or ``"trimmed_mean"`` (``trim`` cut from
    each end, :func:`scipy.stats.trim_mean`).

    An application x criterion that no expert scored is ``NaN``; ranking refuses such a table
    and names the cell, so a missing panel score is never silently used.

    >>> e = pd.DataFrame({"application_id": ["A", "A", "B"], "expert_id": ["x", "y", "x"],
    ...                   "criterion_id": ["c", "c", "c"], "score": [3.0, 4.0, 2.0]})
    >>> panel_scores(e, ["c"])["c"].to_dict()
    {'A': 3.5, 'B': 2.0}
    """
    if method not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {method!r}; use one of {', '.join(AGGREGATIONS)}")
    scored = evaluation[evaluation[ev.SCORE].notna()]
    if method == "trimmed_mean":
        from scipy.stats import trim_mean

        def aggfunc(s):
            return float(trim_mean(s.to_numpy(), trim))
    else:
        aggfunc = method
    table = scored.pivot_table(
        index=ev.APPLICATION, columns=ev.CRITERION, values=ev.SCORE, aggfunc=aggfunc, sort=True
    )
    apps = sorted(evaluation[ev.APPLICATION].unique())
    return table.reindex(index=pd.Index(apps, name=ev.APPLICATION), columns=pd.Index(criteria, name=ev.CRITERION))


def score_counts(evaluation: pd.DataFrame) -> pd.DataFrame:
    """Per application: experts who scored it, scores given and abstentions."""
    g = evaluation.groupby(ev.APPLICATION, sort=True)
    return pd.DataFrame({
        "n_experts": g[ev.EXPERT].nunique(),
        "n_scores": g[ev.SCORE].count(),
        "n_abstentions": g[ev.ABSTAINED].sum().astype(int),
    })
