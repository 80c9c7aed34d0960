"""The weighted sum (simple additive weighting), the default ranking method."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from selection.errors import Problem, RankingError, WeightError
from selection.rank._common import competition_ranks, direction_word, reflect_costs
from selection.rank.weights import as_mapping, check_weights

__all__ = ["weighted_sum", "weighted_sum_kernel", "check_table", "prepare", "ranks_from_scores"]


def check_table(table: pd.DataFrame) -> np.ndarray:
    """The table as a float64 array, or a :class:`RankingError` naming every missing cell."""
    if table.shape[0] == 0 or table.shape[1] == 0:
        raise RankingError("the table is empty: it needs at least one application and one criterion")
    try:
        x = table.to_numpy(dtype=np.float64)
    except (TypeError, ValueError):
        raise RankingError("the table holds values that are not numbers") from None
    bad = ~np.isfinite(x)
    if bad.any():
        rows, cols = np.nonzero(bad)
        raise RankingError([
            Problem(f"no score for application {table.index[r]!r} on criterion {table.columns[c]!r}",
                    hint="every application needs a panel score on every criterion")
            for r, c in zip(rows, cols, strict=True)
        ])
    return x


def prepare(table: pd.DataFrame, weights: Mapping[str, float],
            directions: Mapping[str, str] | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate a public method's inputs once: the table as float64, the normalised weights in
    column order, and the benefit mask (``True`` = higher is better).

    Raises :class:`~selection.errors.WeightError` or :class:`~selection.errors.RankingError`
    listing every problem.
    """
    criteria = [str(c) for c in table.columns]
    problems: list[Problem] = []
    x: np.ndarray | None = None
    w: dict[str, float] | None = None
    try:
        x = check_table(table)
    except RankingError as exc:
        problems += exc.problems
    try:
        w = check_weights(weights, criteria)
    except WeightError as exc:
        problems += exc.problems
    words: dict[str, object] = {c: direction_word(d) for c, d in
                                as_mapping({} if directions is None else directions, "directions").items()}
    unknown = [c for c in words if c not in criteria]
    if unknown:
        problems.append(Problem(f"direction given for criteria not in the table: {', '.join(map(str, unknown))}",
                                hint=f"use the criteria {', '.join(criteria)}"))
    bad = {c: d for c, d in words.items() if d not in ("benefit", "cost")}
    for c, d in bad.items():
        problems.append(Problem(f"direction of {c!r} is {d!r}", hint="use 'benefit' or 'cost' ('max' or 'min')"))
    if problems or x is None or w is None:
        raise (WeightError if w is None and x is not None else RankingError)(problems)
    mask = np.array([words.get(c, "benefit") == "benefit" for c in criteria])
    return x, np.array([w[c] for c in criteria]), mask


def weighted_sum_kernel(x: np.ndarray, w: np.ndarray, *, directions=None) -> np.ndarray:
    """Label-free kernel: scores ``x`` (n_apps, n_crit) times weights ``w`` (n_crit,) or
    (n_samples, n_crit) -> (n_apps,) or (n_samples, n_apps); higher is better.

    ``directions`` (boolean, ``True`` = benefit, or ``"benefit"``/``"cost"`` words) reflects each
    cost column as ``max + min - x``, keeping it on its scale. Weights are used as given (pass
    them normalised to get the weighted total on the criteria's scale).
    """
    return np.asarray(w, dtype=np.float64) @ reflect_costs(x, directions).T


def ranks_from_scores(scores: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """Competition ranks (1 = best; equal scores share the best rank: 1, 2, 2, 4) of one score
    vector: :func:`selection.rank._common.competition_ranks`, the one definition."""
    return competition_ranks(np.asarray(scores, dtype=np.float64), higher_is_better)


def weighted_sum(table: pd.DataFrame, weights: Mapping[str, float], *, directions: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Weighted sum of scores, ``score = sum_j w_j x_ij`` with weights normalised to 1.

    Cost criteria (``directions[c] == "cost"``) enter as ``max_j + min_j - x`` over the column, so
    that lower is better without changing the scale. Ties share a rank (competition ranking);
    :func:`selection.rank.rank_applications` breaks them.

    Reference: Fishburn, P. C. (1967). Additive utilities with incomplete product sets.
    *Operations Research* 15(3), 537-542. doi:10.1287/opre.15.3.537

    >>> t = pd.DataFrame({"a": [3.0, 4.0], "b": [5.0, 1.0]}, index=["X", "Y"])
    >>> weighted_sum(t, {"a": 0.5, "b": 0.5})
       score  rank
    X    4.0     1
    Y    2.5     2
    """
    x, w, mask = prepare(table, weights, directions)
    s = weighted_sum_kernel(x, w, directions=mask)
    return pd.DataFrame({"score": s, "rank": ranks_from_scores(s)}, index=table.index)


# -- the ranking-method protocol (one entry in selection.ranking_methods) -------------------------

kernel = weighted_sum_kernel


def method_scores(table: pd.DataFrame, weights: Mapping[str, float], *,
                  directions: Mapping[str, str] | None = None, **params: Any
                  ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """(weighted total, weighted total, no attrs) for :func:`selection.rank.rank_applications`."""
    own = weighted_sum(table, weights, directions=directions)["score"].to_numpy()
    return own, own, {}
