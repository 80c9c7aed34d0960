"""From panel scores to a ranking: a multi-criteria method, thresholds, and a tie-break chain.

The method is ``Stage.ranking_method``: ``weighted_sum`` (default), ``topsis``, ``promethee_ii``,
``vikor`` or any other method in the registry :mod:`selection.ranking_methods`. Thresholds (per criterion and overall, Horizon Europe
style) are checked on the panel scores and the weighted total whatever the method, so changing
the method never changes who is eligible. The tie-break chain is read from the catalogue (or a
scenario), e.g. ``["criterion:vaerditilvaekst", "focus_area_coverage", "rural", "lottery"]``; a
final seeded lottery is always appended, so every rank is strict, and each draw is returned in
``lottery_draw``. Each row records in ``tie_break`` which step separated it from the
application ranked just above it (see :mod:`selection.rank.ties`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

import numpy as np
import pandas as pd

from selection import ranking_methods
from selection.errors import Problem, RankingError
from selection.model import Application, CriteriaCatalogue
from selection.rank.ties import TIE_BREAK_STEPS, break_ties, check_chain
from selection.rank.weighted import check_table, prepare, ranks_from_scores, weighted_sum

__all__ = ["rank_applications", "threshold_failures", "threshold_checks", "threshold_failed", "overall_basis",
           "THRESHOLD_TOL", "TIE_BREAK_STEPS", "RANKING_COLUMNS"]

RANKING_COLUMNS = ["rank", "score", "tied_rank", "tie_break", "eligible", "failed_thresholds", "sum_score"]


#: How far below a threshold a score may fall and still pass it (float noise is no failure).
THRESHOLD_TOL = 1e-9


def overall_basis(x: np.ndarray, total: np.ndarray, catalogue: CriteriaCatalogue) -> np.ndarray:
    """What the overall threshold is compared with, shaped like ``total``: the weighted total, or
    the plain sum of the criterion scores ``x`` (..., n_criteria) (Horizon Europe's "10 of 15")."""
    total = np.asarray(total, dtype=np.float64)
    if catalogue.overall_threshold_basis == "weighted_total":
        return total
    return np.broadcast_to(np.asarray(x, dtype=np.float64).sum(axis=-1), total.shape)


def threshold_checks(x: np.ndarray, total: np.ndarray, catalogue: CriteriaCatalogue
                     ) -> tuple[np.ndarray, np.ndarray | None]:
    """The one definition of the thresholds, label-free: which criterion thresholds each row of
    ``x`` (n_apps, n_criteria in catalogue order) fails, (n_apps, n_criteria), and whether the
    overall threshold fails, shaped like ``total`` (``None`` without an overall threshold).
    ``total`` may hold many weight vectors' totals, (n_samples, n_apps).

    >>> from selection.model import CriteriaCatalogue, _EXAMPLE
    >>> a, b = _EXAMPLE["criteria"]
    >>> cat = CriteriaCatalogue.model_validate({**_EXAMPLE, "criteria": [{**a, "threshold": 2}, b],
    ...                                         "overall_threshold": 2.5})
    >>> crit, overall = threshold_checks(np.array([[1.0, 4.0], [3.0, 0.0]]), np.array([1.75, 2.25]), cat)
    >>> crit.tolist(), overall.tolist()
    ([[True, False], [False, False]], [True, True])
    >>> threshold_failed(np.array([[1.0, 4.0], [3.0, 0.0]]), np.array([[1.75, 2.25], [3.0, 2.6]]), cat).tolist()
    [[True, True], [True, False]]
    """
    x = np.asarray(x, dtype=np.float64)
    thr = np.array([np.nan if c.threshold is None else c.threshold for c in catalogue.criteria])
    criteria = x < thr - THRESHOLD_TOL  # NaN (no threshold) compares False
    t = catalogue.overall_threshold
    overall = None if t is None else overall_basis(x, total, catalogue) < t - THRESHOLD_TOL
    return criteria, overall


def threshold_failed(x: np.ndarray, total: np.ndarray, catalogue: CriteriaCatalogue) -> np.ndarray:
    """Whether each application fails any threshold, shaped like ``total`` (see
    :func:`threshold_checks`); what the ranking's ``eligible`` and the sensitivity fast path use."""
    criteria, overall = threshold_checks(x, total, catalogue)
    failed = np.broadcast_to(criteria.any(axis=-1), np.shape(total)).copy()
    if overall is not None:
        failed |= overall
    return failed


def threshold_failures(panel: pd.DataFrame, catalogue: CriteriaCatalogue, weighted_total: pd.Series,
                       lang: str = "en") -> pd.Series:
    """Per application, the thresholds it fails, in words ('' when it passes every one).

    Per-criterion minimum scores and the overall minimum, on the weighted total or the plain sum
    of criterion scores (Horizon Europe's "10 of 15") as the catalogue says
    (:func:`threshold_checks`). ``lang="da"`` gives the Danish words (``Værditilvækst 1,67 < 2``,
    ``vægtet panelscore 9,50 < 10``): criteria are named by their name in that language, not their id.
    """
    from selection.danish import num

    da = lang == "da"
    fmt = num if da else format
    x = panel[catalogue.criterion_ids].to_numpy(dtype=np.float64)
    total = weighted_total.reindex(panel.index).to_numpy(dtype=np.float64)
    failed_crit, failed_overall = threshold_checks(x, total, catalogue)
    basis = overall_basis(x, total, catalogue)
    weighted = catalogue.overall_threshold_basis == "weighted_total"
    basis_word = (("vægtet panelscore" if weighted else "samlet sum") if da else
                  ("weighted panel score" if weighted else "total"))  # one word for it in every output
    t = catalogue.overall_threshold
    ids = panel.index.tolist()
    out = dict.fromkeys(ids, "")  # words only for those that fail something (when ids are unique)
    rows: Iterable[int] = range(len(ids))
    if len(out) == len(ids):
        any_failed = failed_crit.any(axis=1)
        if t is not None and failed_overall is not None:
            any_failed = any_failed | failed_overall
        rows = np.flatnonzero(any_failed).tolist()
    # each (criterion, score) in words once: scores lie on a grid, thousands of applications share them
    # (a zero keyed with its sign: -0.0 is written "-0.00")
    said: dict[tuple, str] = {}
    crits = [(j, c.name_da if da else c.name_en, c.threshold) for j, c in enumerate(catalogue.criteria)
             if c.threshold is not None]
    for i in rows:
        app = ids[i]
        failed = []
        for j, name, threshold in crits:
            if failed_crit[i, j]:
                v = float(x[i, j])
                key = (j, v if v else str(v))
                words = said.get(key)
                if words is None:
                    words = said[key] = f"{name} {fmt(v, '.2f')} < {fmt(threshold, 'g')}"
                failed.append(words)
        if t is not None and failed_overall is not None and failed_overall[i]:
            failed.append(f"{basis_word} {fmt(basis[i], '.2f')} < {fmt(t, 'g')}")
        out[app] = "; ".join(failed)
    return pd.Series(out, dtype="str", name="failed_thresholds")


def _method_scores(method: str, table: pd.DataFrame, weights: Mapping[str, float],
                   directions: Mapping[str, str], params: Mapping) -> tuple[np.ndarray, np.ndarray, dict]:
    """(higher-is-better score, the method's own score, attrs) from the method's module."""
    problems = ranking_methods.check_params(method, params)
    if problems:
        allowed = ranking_methods.get_method(method).params
        raise RankingError([Problem(p, key="ranking_params", hint=f"it takes: {', '.join(allowed) or 'none'}")
                            for p in problems])
    return ranking_methods.implementation(method).method_scores(table, weights, directions=directions, **params)


def rank_applications(
    panel: pd.DataFrame,
    catalogue: CriteriaCatalogue,
    *,
    weights: Mapping[str, float] | None = None,
    applications: Mapping[str, Application] | None = None,
    tie_breaks: list[str] | None = None,
    seed: int = 0,
    method: str = "weighted_sum",
    method_params: Mapping | None = None,
) -> pd.DataFrame:
    """Rank applications by a multi-criteria method, with thresholds and a strict tie-break chain.

    Parameters
    ----------
    panel
        Panel scores, applications as index and (at least) the catalogue's criteria as columns.
    catalogue
        Criteria (directions, thresholds), default weights and default tie-break chain.
    weights
        Criterion weights; default the catalogue's normalised (possibly hierarchical) weights.
    applications
        Application id -> application, needed by the ``rural`` and ``focus_area_coverage`` steps.
    tie_breaks
        Tie-break chain; default the catalogue's. A seeded lottery always ends it.
    seed
        Seed of the lottery (``numpy.random.default_rng(seed)``).
    method
        A registered method (:func:`selection.ranking_methods.method_names`): ``"weighted_sum"``,
        ``"topsis"``, ``"promethee_ii"``, ``"vikor"``, ...
    method_params
        The method's parameters (``RankingMethod.params`` in :mod:`selection.ranking_methods`), e.g. ``{"v": 0.5}`` for VIKOR.

    Returns
    -------
    DataFrame indexed by application id, sorted by rank, with :data:`RANKING_COLUMNS`, then
    ``weighted_total`` (the normalised weighted score the thresholds use), ``method_score`` (the
    method's own score: weighted total, TOPSIS closeness, PROMETHEE net flow, or VIKOR's Q where
    lower is better), ``lottery_draw``, and the panel scores (``panel_<criterion>``). ``score`` is
    higher-is-better and non-negative for every method (VIKOR: ``1 - Q``; PROMETHEE II:
    ``(phi + 1) / 2`` of the net flow ``phi``), so that a selection can maximise it.
    ``result.attrs`` holds ``method`` and, for VIKOR, the ``compromise`` conditions.
    """
    if method not in ranking_methods.method_names():
        raise RankingError(Problem(f"unknown ranking method {method!r}",
                                   hint=f"use one of {', '.join(ranking_methods.method_names())}"))
    criteria = catalogue.criterion_ids
    missing = [c for c in criteria if c not in panel.columns]
    if missing:
        raise RankingError(Problem(f"the panel scores have no column for criteria {', '.join(missing)}",
                                   hint="score every criterion of the catalogue"))
    table = panel[criteria]
    check_table(table)
    weights = dict(weights) if weights is not None else catalogue.weights()
    directions = {c.id: c.direction for c in catalogue.criteria}
    _, w, _ = prepare(table, weights, directions)  # every weight/table problem at once (warns once)
    weights = dict(zip(criteria, w.tolist(), strict=True))
    total = weighted_sum(table, weights, directions=directions)["score"].round(12)
    higher, own, attrs = _method_scores(method, table, weights, directions, dict(method_params or {}))
    score = np.round(higher, 12)  # keep float noise from splitting true ties
    failed = threshold_failures(table, catalogue, total)
    failed_da = threshold_failures(table, catalogue, total, lang="da")
    chain = check_chain(list(tie_breaks if tie_breaks is not None else catalogue.tie_breaks), criteria,
                        have_applications=applications is not None)
    ids = [str(a) for a in table.index.tolist()]
    if applications is not None:
        unknown = [a for a in ids if a not in applications]
        if unknown:
            raise RankingError(Problem(f"no application record for {', '.join(unknown)}",
                                       hint="every ranked application must be in the applications table"))
    tb = break_ties(score, chain, ids=ids,
                    criterion_scores={c: table[c].to_numpy(dtype=float) for c in criteria},
                    applications=applications, rng=np.random.default_rng(seed))
    order = tb.order
    out = pd.DataFrame({
        "rank": np.arange(1, len(order) + 1),
        "score": score[order],
        "tied_rank": ranks_from_scores(score)[order],
        "tie_break": tb.step,
        "eligible": (failed == "").to_numpy()[order],
        "failed_thresholds": failed.to_numpy()[order],
        "sum_score": table.sum(axis=1).to_numpy()[order],
        "weighted_total": total.to_numpy()[order],
        "method_score": own[order],
        "lottery_draw": tb.lottery[order],
        "failed_thresholds_da": failed_da.to_numpy()[order],
    }, index=table.index[order])
    out = out.join(table.add_prefix("panel_"))
    out.index.name = "application_id"
    out.attrs["method"] = method
    out.attrs.update(attrs)
    return out
