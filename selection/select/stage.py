"""Select one stage from a ranking: who may be chosen, the program, and why each is in or out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from selection.decisions import Decision, text
from selection.model import Application, Stage
from selection.select.explain import SELECTION_COLUMNS, Resolver, explain_selection
from selection.select.objective import stage_values
from selection.select.program import StageInput, StageOutcome, solve_stage

__all__ = ["select_stage", "stage_input", "exclusions", "exclusion_decisions", "sample_free_exclusion",
           "SELECTION_COLUMNS"]


def exclusions(stage: Stage, ranking: pd.DataFrame, applications: Mapping[str, Application],
               candidates: Sequence[str] | None) -> dict[str, str]:
    """Who may not be selected in ``stage``, and the reason code of why (first reason that applies)."""
    return {a: d.code for a, d in exclusion_decisions(stage, ranking, applications, candidates).items()}


def exclusion_decisions(stage: Stage, ranking: pd.DataFrame, applications: Mapping[str, Application],
                        candidates: Sequence[str] | None) -> dict[str, Decision]:
    """Who may not be selected in ``stage``, and why, as decision records (the first reason that
    applies, in this order: not selected in the earlier stage, below a threshold, regional share
    over the cap, not eligible under the call's requirements, forced out).

    The threshold texts are the ranking's ``failed_thresholds`` (and ``failed_thresholds_da``).
    """
    excluded: dict[str, Decision] = {}
    cand = set(candidates) if candidates is not None else None
    has_da = "failed_thresholds_da" in ranking.columns
    ids = ranking.index.tolist()  # read once: iterating a text index goes element by element
    eligible = dict(zip(ids, ranking["eligible"].tolist(), strict=True))  # columns read once, not per row
    fails = dict(zip(ids, ranking["failed_thresholds"].tolist(), strict=True))
    fails_da = dict(zip(ids, ranking["failed_thresholds_da"].tolist(), strict=True)) if has_da else fails
    for a in ids:
        if cand is not None and a not in cand:
            excluded[a] = Decision("not_in_earlier_stage", {"stage": stage.from_stage})
        elif not eligible[a]:
            failed = str(fails[a])
            failed_da = str(fails_da[a])
            excluded[a] = Decision("below_threshold", {"failed": text(failed, failed_da)})
        elif (d := sample_free_exclusion(stage, a, applications[a])) is not None:
            excluded[a] = d
    for f in stage.forced:  # also an application forced out that the ranking does not hold
        if not f.include and f.application not in excluded:
            excluded[f.application] = _forced_out(f)
    return excluded


def _forced_out(f) -> Decision:
    return Decision("forced_out", {"because": text(f.reason, getattr(f, "reason_da", "") or f.reason)})


def sample_free_exclusion(stage: Stage, application_id: str, application: Application) -> Decision | None:
    """Why ``application`` may not be selected in ``stage`` whatever the scores and weights --
    regional share over the cap, the call's requirements on its attributes, forced out (the
    first that applies) -- or ``None``. The one definition used by :func:`exclusion_decisions`
    and by the sensitivity fast path (:mod:`selection.sensitivity.engine`)."""
    cap = stage.max_regional_share
    if cap is not None and application.regional_share > cap + 1e-12:
        return Decision("regional_share_over_cap", {"share": application.regional_share, "cap": cap})
    if stage.eligibility and (failed_rules := [e for e in stage.eligibility if e.fails(application)]):
        # the call's requirements on the application's attributes (e.g. §7 cultural partners)
        return Decision("not_eligible", {"why": text(
            "; ".join(e.why_not(application) for e in failed_rules),
            "; ".join(e.why_not(application, "da") for e in failed_rules))})
    for f in stage.forced:
        if not f.include and f.application == application_id:
            return _forced_out(f)
    return None


def stage_input(stage: Stage, ranking: pd.DataFrame, applications: Mapping[str, Application], *,
                candidates: Sequence[str] | None = None) -> StageInput:
    """The program's input for a stage: values under the stage's objective, ranks, exclusions
    (as decision records)."""
    values = stage_values(stage, ranking, applications)
    ranks = dict(zip(ranking.index.tolist(), ranking["rank"].astype(int).tolist(), strict=True))  # no per-row .at
    return StageInput(stage, applications, values, ranks,
                      exclusion_decisions(stage, ranking, applications, candidates))


def _not_costed(application: str) -> tuple[float, tuple[str, ...]]:
    """No cost to include and no one who would leave (``explain=False``: not computed)."""
    return float("nan"), ()


def select_stage(stage: Stage, ranking: pd.DataFrame, applications: Mapping[str, Application], *,
                 candidates: Sequence[str] | None = None, solver: str = "cbc",
                 explain: bool = True) -> tuple[StageOutcome, pd.DataFrame]:
    """Choose a stage's selection from its ranking and explain every decision.

    Parameters
    ----------
    stage
        The stage: limits, budgets, group rules, forced decisions and objective.
    ranking
        The stage's ranking (index application id; columns ``rank``, ``score``, ``eligible``,
        ``failed_thresholds``).
    applications
        All applications by id.
    candidates
        Only these may be selected (a later stage's choice among the earlier selection).
    solver
        ``"cbc"`` (default) or ``"highs"``.
    explain
        Compute ``cost_to_include`` for ranking deviations (one re-solve each).

    Returns
    -------
    outcome, table
        The solver outcome and a table with :data:`SELECTION_COLUMNS` in rank order. For an
        eligible application ranked above a selected one but left out (a ranking deviation),
        ``cost_to_include`` is the objective lost when it is forced in, and ``would_leave`` who
        would make room for it.
    """
    inp = stage_input(stage, ranking, applications, candidates=candidates)
    if stage.objective == "funding_line":  # rank order, no solver unless floors need one
        from selection.select.funding import funding_line_forced, solve_funding_line

        outcome = solve_funding_line(inp, solver)
        resolve = (lambda a: funding_line_forced(inp, outcome, a, solver)) if explain else _not_costed
        return outcome, explain_selection(inp, outcome, solver, resolve=resolve, cost_goal="score")
    outcome = solve_stage(inp, solver)
    plain: Resolver | None = None if explain else _not_costed
    return outcome, explain_selection(inp, outcome, solver, resolve=plain)
