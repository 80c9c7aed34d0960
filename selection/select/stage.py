"""Select one stage from a ranking: who may be chosen, the program, and why each is in or out."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import pandas as pd

from selection.errors import InfeasibleError
from selection.model import Application, ForcedDecision, Stage
from selection.select.program import StageInput, StageOutcome, solve_stage

__all__ = ["select_stage", "SELECTION_COLUMNS"]

SELECTION_COLUMNS = ["application_id", "rank", "value", "selected", "reason", "cost_to_include", "would_leave"]


def _exclusions(stage: Stage, ranking: pd.DataFrame, applications: Mapping[str, Application],
                candidates: Sequence[str] | None) -> dict[str, str]:
    excluded: dict[str, str] = {}
    for a in ranking.index:
        if candidates is not None and a not in candidates:
            excluded[a] = f"not selected in stage {stage.from_stage}"
        elif not ranking.at[a, "eligible"]:
            excluded[a] = f"below threshold: {ranking.at[a, 'failed_thresholds']}"
        elif stage.max_regional_share is not None and applications[a].regional_share > stage.max_regional_share + 1e-12:
            excluded[a] = (f"regional share {applications[a].regional_share:.1%} is above the cap of "
                           f"{stage.max_regional_share:.0%}")
    for f in stage.forced:
        if not f.include:
            excluded.setdefault(f.application, f"forced out: {f.reason}")
    return excluded


def select_stage(stage: Stage, ranking: pd.DataFrame, applications: Mapping[str, Application], *,
                 candidates: Sequence[str] | None = None, solver: str = "cbc") -> tuple[StageOutcome, pd.DataFrame]:
    """Choose a stage's selection from its ranking and explain every decision.

    Returns the solver outcome and a table with :data:`SELECTION_COLUMNS` in rank order. For an
    eligible application ranked above a selected one but left out (a ranking deviation),
    ``cost_to_include`` is the objective lost when it is forced in, and ``would_leave`` who would
    make room for it.
    """
    values = {a: float(ranking.at[a, "score"]) for a in ranking.index}
    ranks = {a: int(ranking.at[a, "rank"]) for a in ranking.index}
    excluded = _exclusions(stage, ranking, applications, candidates)
    inp = StageInput(stage, applications, values, ranks, excluded)
    outcome = solve_stage(inp, solver)
    chosen = set(outcome.selected)
    worst = max((ranks[a] for a in chosen), default=0)
    forced_in = {f.application: f.reason for f in stage.forced if f.include}
    rows = []
    for a in ranking.index:
        cost, leave = float("nan"), ""
        if a in chosen:
            reason = f"selected (forced in: {forced_in[a]})" if a in forced_in else "selected"
        elif a in excluded:
            reason = excluded[a]
        elif ranks[a] < worst:
            reason, cost, leave = _deviation(stage, inp, a, outcome, solver)
        else:
            reason = _blocked_by(outcome, a)
        rows.append((a, ranks[a], values[a], a in chosen, reason, cost, leave))
    table = pd.DataFrame(rows, columns=SELECTION_COLUMNS)
    return outcome, table


def _violations(outcome: StageOutcome, selected: Sequence[str]) -> list[str]:
    """The rules a (hypothetical) selection would break, in words with the amount."""
    out = []
    for r in outcome.rules:
        if not r.name.startswith("forced") and r.slack(selected) < -1e-9:
            gap = -r.slack(selected)
            amount = f"{gap:,.0f} DKK" if r.unit == "DKK" else f"{gap:g}"
            out.append(f"{r.description} ({'exceeded' if r.sense == '<=' else 'short'} by {amount})")
    return out


def _blocked_by(outcome: StageOutcome, a: str) -> str:
    v = _violations(outcome, [*outcome.selected, a])
    if not v:
        return "not selected: a better-valued selection exists within the rules"
    if len(v) == 1 and v[0].startswith("at most") and "selected (exceeded" in v[0]:
        return "outranked: the places went to higher-ranked applications"
    return "outranked; adding it would break: " + "; ".join(v)


def _deviation(stage: Stage, inp: StageInput, a: str, outcome: StageOutcome, solver: str) -> tuple[str, float, str]:
    """Why an eligible application ranked above a selected one was left out, and what forcing it in costs."""
    forced = Stage.model_validate({**stage.model_dump(), "forced": [
        *[f.model_dump() for f in stage.forced], ForcedDecision(application=a, include=True, reason="what-if").model_dump()]})
    try:
        alt = solve_stage(StageInput(forced, inp.applications, inp.values, inp.ranks, inp.excluded), solver)
    except InfeasibleError:
        return ("ranking deviation: no selection that respects every rule can include it", float("inf"), "")
    lost = outcome.objective - alt.objective
    leaving = [b for b in outcome.selected if b not in alt.selected]
    # The simplest account: swapping it for a lower-ranked selected application breaks a rule.
    lower = sorted((b for b in outcome.selected if inp.ranks[b] > inp.ranks[a]), key=lambda b: -inp.ranks[b])
    for b in lower:
        v = _violations(outcome, [x for x in outcome.selected if x != b] + [a])
        if v:
            why = f"swapping it for {b} would break: " + "; ".join(v)
            break
    else:
        why = "including it lowers the total value more than it adds under the budget and group rules"
    return (f"ranking deviation: {why}", round(lost, 9), " ".join(leaving))
