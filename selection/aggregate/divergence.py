"""Divergent scores: application x criterion cells where the experts' scores spread widely.

A panel mean hides a 1 and a 5. Cells whose score range (max - min over the experts who scored)
reaches a threshold (the stage's ``divergence_range``, e.g. 2 points on a 0-5 scale) are listed
"to discuss in the consensus meeting", with every expert's score and comment side by side.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from selection import evaluation as ev
from selection.aggregate.arrays import PanelError
from selection.errors import Problem

__all__ = ["DIVERGENCE_COLUMNS", "divergent_scores"]

DIVERGENCE_COLUMNS = ["application_id", "criterion_id", "n_scores", "min_score", "max_score", "score_range",
                      "score_sd", "scores", "comments"]


def divergent_scores(evaluation: pd.DataFrame, criteria: list[str] | None = None, *, min_range: float = 2.0
                     ) -> pd.DataFrame:
    """Cells whose expert scores range over at least ``min_range`` points, widest first.

    Parameters
    ----------
    evaluation
        The long score table; abstentions are skipped.
    criteria
        Criteria to check (default every criterion in the table), in the order used for ties.
    min_range
        Flag a cell when ``max - min >= min_range`` (within 1e-9).

    Returns
    -------
    DataFrame with :data:`DIVERGENCE_COLUMNS`; ``scores`` reads ``"E01: 4.5 | E03: 1"`` and
    ``comments`` ``"E01: <comment> | E03: <comment>"`` (experts in id order, empty comments left
    out). Sorted by range (widest first), then application and criterion.

    >>> e = pd.DataFrame({"application_id": ["A", "A", "B", "B"], "expert_id": ["x", "y", "x", "y"],
    ...                   "criterion_id": "c", "score": [1.0, 4.0, 3.0, 3.5], "comment": ["weak", "", "", ""]})
    >>> divergent_scores(e)[["application_id", "score_range", "scores", "comments"]].to_dict("records")
    [{'application_id': 'A', 'score_range': 3.0, 'scores': 'x: 1 | y: 4', 'comments': 'x: weak'}]
    """
    if not (np.isfinite(min_range) and min_range > 0):
        raise PanelError(Problem(f"the divergence range is {min_range}; use a positive number of points"))
    crit = list(criteria) if criteria is not None else sorted(evaluation[ev.CRITERION].astype(str).unique())
    rows = evaluation[evaluation[ev.SCORE].notna() & evaluation[ev.CRITERION].astype(str).isin(crit)]
    # only the divergent cells' rows are written out: found first, then only they are sorted (a stable
    # sort of some rows keeps them in the order the sort of all rows gives them)
    rows = rows[_spread(rows) >= min_range - 1e-9]
    rows = rows.sort_values([ev.APPLICATION, ev.CRITERION, ev.EXPERT], kind="stable")
    if ev.COMMENT in rows.columns:
        comments = rows[ev.COMMENT].fillna("").astype(str).str.strip().tolist()
    else:
        comments = [""] * len(rows)
    experts = rows[ev.EXPERT].astype(str).tolist()
    # the rows are sorted by cell: a cell starts where its application or criterion changes, and the
    # cells are numbered in the order groupby(sort=True) gives them (no second grouping by strings)
    app, crit_of = rows[ev.APPLICATION].to_numpy(), rows[ev.CRITERION].to_numpy()
    starts = np.r_[True, (app[1:] != app[:-1]) | (crit_of[1:] != crit_of[:-1])] if len(rows) else np.zeros(0, bool)
    cell = np.cumsum(starts) - 1
    stats_ = rows[ev.SCORE].groupby(cell, sort=True).agg(["count", "min", "max", "std"])
    # each cell's scores and comments joined in row (expert) order, in one pass over the rows
    # (a Python join per group through pandas costs ~70 us a cell: 2 s at 28,000 divergent cells)
    scores = _joined(cell, [f"{e}: {t}" for e, t in zip(experts, _score_texts(rows[ev.SCORE]), strict=True)],
                     len(stats_))
    texts = _joined(cell, [f"{e}: {c}" if c else "" for e, c in zip(experts, comments, strict=True)], len(stats_))
    first = np.flatnonzero(starts)
    out = pd.DataFrame({
        "application_id": app[first].tolist(), "criterion_id": crit_of[first].tolist(),
        "n_scores": stats_["count"].to_numpy().astype(int), "min_score": stats_["min"].to_numpy(),
        "max_score": stats_["max"].to_numpy(), "score_range": (stats_["max"] - stats_["min"]).to_numpy(),
        "score_sd": stats_["std"].fillna(0.0).to_numpy(), "scores": scores, "comments": texts,
    })
    table = out.reindex(columns=DIVERGENCE_COLUMNS)
    if table.empty:
        return table
    order = {c: i for i, c in enumerate(crit)}
    table["_c"] = table["criterion_id"].map(order)
    table = table.sort_values(["score_range", "application_id", "_c"], ascending=[False, True, True], kind="stable")
    return table.drop(columns="_c").reset_index(drop=True)


def _score_texts(score: pd.Series) -> list[str]:
    """Each score as ``f"{v:g}"``; float scores formatted once per distinct value (bit pattern: -0.0
    stays "-0")."""
    if score.dtype != np.float64:
        return score.map(lambda v: f"{v:g}").tolist()
    bits, inv = np.unique(score.to_numpy().view(np.int64), return_inverse=True)
    texts = [f"{v:g}" for v in bits.view(np.float64).tolist()]
    return [texts[i] for i in inv.ravel().tolist()]


def _spread(rows: pd.DataFrame) -> np.ndarray:
    """Per row, the range (max - min) of the scores of its application and criterion (``NaN`` for a
    row without either): pandas' grouped ``max - min`` on integer cell codes, not on the strings."""
    app = pd.factorize(rows[ev.APPLICATION].to_numpy())[0]  # (the array: no check for strings first)
    crit, names = pd.factorize(rows[ev.CRITERION].to_numpy())
    cell = np.where((app >= 0) & (crit >= 0), app.astype(np.int64) * max(len(names), 1) + crit, -1)
    g = pd.Series(rows[ev.SCORE].to_numpy(dtype=np.float64)).groupby(cell)
    spread = (g.transform("max") - g.transform("min")).to_numpy()
    return np.where(cell >= 0, spread, np.nan)


def _joined(group: np.ndarray, texts: list[str], n: int) -> np.ndarray:
    """``" | "``-joined non-empty ``texts`` per group number (``0..n-1``), in the order given."""
    parts: list[list[str]] = [[] for _ in range(n)]
    for i, t in zip(group.tolist(), texts, strict=True):
        if t:
            parts[i].append(t)
    return np.array([" | ".join(p) for p in parts], dtype=object)
