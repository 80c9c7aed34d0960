"""Select one stage from a ranking: who may be chosen, the program, and why each is in or out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from selection.danish import pct
from selection.model import Application, Stage
from selection.select.explain import SELECTION_COLUMNS, explain_selection
from selection.select.objective import stage_values
from selection.select.program import StageInput, StageOutcome, solve_stage

__all__ = ["select_stage", "stage_input", "exclusions", "exclusion_reasons", "SELECTION_COLUMNS"]


def exclusions(stage: Stage, ranking: pd.DataFrame, applications: Mapping[str, Application],
               candidates: Sequence[str] | None) -> dict[str, str]:
    """Who may not be selected in ``stage``, and why (first reason that applies)."""
    return {a: en for a, (en, _) in exclusion_reasons(stage, ranking, applications, candidates).items()}


def exclusion_reasons(stage: Stage, ranking: pd.DataFrame, applications: Mapping[str, Application],
                      candidates: Sequence[str] | None) -> dict[str, tuple[str, str]]:
    """Who may not be selected in ``stage``, and why in English and Danish (first reason that applies).

    The Danish threshold text is the ranking's ``failed_thresholds_da`` when it has that column.
    """
    excluded: dict[str, tuple[str, str]] = {}
    cand = set(candidates) if candidates is not None else None
    has_da = "failed_thresholds_da" in ranking.columns
    cap = stage.max_regional_share
    for a in ranking.index:
        if cand is not None and a not in cand:
            excluded[a] = (f"not selected in stage {stage.from_stage}", f"ikke udvalgt i fase {stage.from_stage}")
        elif not ranking.at[a, "eligible"]:
            failed = ranking.at[a, "failed_thresholds"]
            failed_da = ranking.at[a, "failed_thresholds_da"] if has_da else failed
            excluded[a] = (f"below threshold: {failed}", f"under tærsklen: {failed_da}")
        elif cap is not None and applications[a].regional_share > cap + 1e-12:
            share = applications[a].regional_share
            excluded[a] = (f"regional share {share:.1%} is above the cap of {cap:.0%}",
                           f"regional andel {pct(share, 1)} er over loftet på {pct(cap)}")
        elif stage.eligibility and (failed := [e for e in stage.eligibility if e.fails(applications[a])]):
            # the call's requirements on the application's attributes (e.g. §7 cultural partners)
            excluded[a] = ("not eligible: " + "; ".join(f"{e.describe()} required ({e.reason})" for e in failed),
                           "ikke støtteberettiget: " + "; ".join(f"{e.describe('da')} kræves ({e.reason})"
                                                                  for e in failed))
    for f in stage.forced:
        if not f.include:
            excluded.setdefault(f.application, (f"forced out: {f.reason}", f"tvunget ud: {f.reason}"))
    return excluded


def stage_input(stage: Stage, ranking: pd.DataFrame, applications: Mapping[str, Application], *,
                candidates: Sequence[str] | None = None) -> StageInput:
    """The program's input for a stage: values under the stage's objective, ranks, exclusions."""
    values = stage_values(stage, ranking, applications)
    ranks = {a: int(ranking.at[a, "rank"]) for a in ranking.index}
    why = exclusion_reasons(stage, ranking, applications, candidates)
    return StageInput(stage, applications, values, ranks, {a: en for a, (en, _) in why.items()},
                      {a: da for a, (_, da) in why.items()})


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
        resolve = (lambda a: funding_line_forced(inp, outcome, a, solver)) if explain else \
            (lambda a: (float("nan"), ()))
        return outcome, explain_selection(inp, outcome, solver, resolve=resolve,
                                          cost_unit="total score", cost_unit_da="samlet score")
    outcome = solve_stage(inp, solver)
    resolve = None if explain else (lambda a: (float("nan"), ()))
    return outcome, explain_selection(inp, outcome, solver, resolve=resolve)
