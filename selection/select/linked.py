"""Linked mode: choose the earlier stage's selection for the sake of the later stage.

One program with a binary ``x1_i`` (selected in stage 1) and ``x2_i`` (selected in stage 2) per
application, every rule of each stage on its own variables, and ``x2_i <= x1_i``. It is solved
lexicographically (Isermann, H. (1982). Linear lexicographic optimization. *OR Spektrum* 4,
223-228. doi:10.1007/BF01782758): first the best stage-2 value, then — keeping it — the best
stage-1 value, then the tie pass (higher-ranked first). So stage 1 is chosen such that the best
stage-2 selection within it, under the stage-2 rules, is as good as possible; the sequential
mode's stage-1 optimum is only the second goal.

A stage-2 ``if_available`` floor ``at least c in G`` means, within the stage-1 selection, "at least
``min(c, s)``" where ``s = sum_{i in G, eligible in stage 2} x1_i``; it is modelled exactly with one
binary ``z`` (``z = 1`` iff ``s >= c``): ``s >= c z``, ``s <= c - 1 + |G| z``,
``sum_G x2 >= c z`` and ``sum_G x2 >= s - |G| z``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import replace

import numpy as np
import pandas as pd

from selection.errors import ConstraintError, InfeasibleError, Problem, SolverError
from selection.model import Application, Constraint, Stage
from selection.select.milp import Milp, check_solver, solve_milp
from selection.select.program import (
    Rule,
    StageInput,
    StageOutcome,
    _feasible,
    _optimal_row,
    _tied,
    build_rules,
    integer_grid,
    lex_refine,
    outcome_for,
    precheck,
    stage_milp,
)

__all__ = ["solve_linked", "select_linked", "linked_refusals", "LinkedOutcome"]


class LinkedOutcome(tuple):
    """``(stage1 outcome, stage-1 selection's best stage-2 value, stage-2 selection)``."""

    @property
    def stage1(self) -> StageOutcome:
        return self[0]

    @property
    def stage2_value(self) -> float:
        return self[1]

    @property
    def stage2_selected(self) -> tuple[str, ...]:
        return self[2]


def _add_rows(m: Milp, rules: list[Rule], pos: dict[str, int]) -> None:
    for r in rules:
        items = [(pos[a], c) for a, c in r.coefs.items() if a in pos]
        if r.sense == "<=":
            m.add_row([i for i, _ in items], [c for _, c in items], upper=r.rhs)
        else:
            m.add_row([i for i, _ in items], [c for _, c in items], lower=r.rhs)


def _lexicographic(m: Milp, goals: list[np.ndarray], solver: str, what: str) -> tuple[np.ndarray, Milp] | None:
    """Optimise ``goals`` in order, each keeping the optimum of the ones before; returns the point
    and the program with every optimum held by a row (exact on an integer grid, see
    :func:`~selection.select.program.integer_grid`; a pass that slips below by solver tolerance
    keeps the previous point)."""
    m = m.copy()
    x_prev = None
    for g, goal in enumerate(goals):
        trial = m.copy()
        grid = integer_grid(goal)
        trial.cost = list(np.round(goal * grid) if grid else goal)
        trial.maximize = True
        sol = solve_milp(trial, solver)  # cold: no start (see select/program.py)
        if sol.status == "infeasible" and g == 0:
            return None
        if sol.status != "optimal":
            if g == 0:
                raise SolverError(f"{what}: the solver {solver} ended with status {sol.status}")
            break
        x = np.round(sol.x)
        if x_prev is not None and not all(_tied(goals[h], x, math.fsum(goals[h][x_prev > 0.5])) for h in range(g)):
            break
        x_prev = x
        _optimal_row(m, goal, math.fsum(goal[x > 0.5]))
    return (x_prev, m) if x_prev is not None else None


def solve_linked(inp1: StageInput, inp2: StageInput, solver: str = "cbc") -> LinkedOutcome:
    """Solve two stages together (stage 2 chooses among stage 1's selection).

    Parameters
    ----------
    inp1
        Stage 1 over all its applications.
    inp2
        Stage 2 over every application that has a stage-2 value (ranked on the stage-2
        criteria); its exclusions must not include "not selected in stage 1".

    Returns
    -------
    LinkedOutcome
        Stage 1's outcome (its ``objective`` is the stage-1 value; ``note`` says it was linked),
        the best stage-2 value within it, and that stage-2 selection.
    """
    check_solver(solver)
    ids1 = list(inp1.values)
    ids2 = [a for a in inp2.values if a in inp1.values]
    rules1 = build_rules(inp1)
    rules2 = build_rules(StageInput(inp2.stage, inp2.applications, {a: inp2.values[a] for a in ids2},
                                    inp2.ranks, inp2.excluded))
    early = precheck(inp1, rules1)
    if early:
        raise InfeasibleError(early)
    n1, n2 = len(ids1), len(ids2)
    m = stage_milp(inp1, rules1, ids1)
    pos1 = {a: i for i, a in enumerate(ids1)}
    pos2 = {a: n1 + i for i, a in enumerate(ids2)}
    m.add_vars(n2, upper=np.array([0.0 if a in inp2.excluded else 1.0 for a in ids2]))
    plain: list[tuple[Rule, Constraint | None]] = []
    avail: list[tuple[Rule, Constraint]] = []
    for r in rules2:
        c = inp2.stage.constraints[r.source] if r.source is not None else None
        if c is not None and r.if_available:
            avail.append((r, c))
        else:
            plain.append((r, c))
    _add_rows(m, [r for r, _ in plain], pos2)
    for r, c in avail:
        members = [a for a in r.coefs if a in pos2]
        elig = [a for a in members if a not in inp2.excluded]
        big, cnt = max(len(members), 1), c.count
        z = m.add_vars(1)
        s_idx = [pos1[a] for a in elig]
        m.add_row(s_idx + [z], [1.0] * len(s_idx) + [-float(cnt)], lower=0.0)
        m.add_row(s_idx + [z], [1.0] * len(s_idx) + [-float(big)], upper=cnt - 1)
        x2_idx = [pos2[a] for a in members]
        m.add_row(x2_idx + [z], [1.0] * len(x2_idx) + [-float(cnt)], lower=0.0)
        m.add_row(x2_idx + s_idx + [z], [1.0] * len(x2_idx) + [-1.0] * len(s_idx) + [float(big)], lower=0.0)
    for a in ids2:
        m.add_row([pos2[a], pos1[a]], [1.0, -1.0], upper=0.0)
    total = m.n
    v1 = np.zeros(total)
    v1[:n1] = [inp1.values[a] for a in ids1]
    v2 = np.zeros(total)
    v2[n1:n1 + n2] = [inp2.values[a] for a in ids2]
    found = _lexicographic(m, [v2, v1], solver, "linked stages")
    if found is not None:
        # the tie rule: lexicographic by stage-1 rank, then by stage-2 rank, among the optima
        x, opt = found
        best = [math.fsum(g[x > 0.5]) for g in (v2, v1)]
        o1 = np.array(sorted(range(n1), key=lambda i: inp1.ranks[ids1[i]]), dtype=np.int64)
        o2 = np.array(sorted(range(n2), key=lambda i: inp2.ranks[ids2[i]]), dtype=np.int64) + n1
        x = lex_refine(opt, [(o1, v1[o1]), (o2, v2[o2])], x, solver, what="linked stages",
                       check=lambda y: _tied(v2, y, best[0]) and _tied(v1, y, best[1]) and _feasible(m, y))
    if found is None:
        raise InfeasibleError([Problem(
            f"linked mode: no stage-{inp1.stage.number} selection satisfies its rules and leaves a "
            f"stage-{inp2.stage.number} selection that satisfies the stage-{inp2.stage.number} rules",
            hint="solve the stages in sequence (selection_mode = \"sequential\") to see which stage's "
                 "rules conflict")])
    s1 = [a for a in ids1 if x[pos1[a]] > 0.5]
    s2 = tuple(sorted((a for a in ids2 if x[pos2[a]] > 0.5), key=lambda a: inp2.ranks[a]))
    value2 = math.fsum(inp2.values[a] for a in s2)
    note = (f"linked with stage {inp2.stage.number}: chosen so that the best stage-{inp2.stage.number} "
            f"selection within it is as good as possible ({value2:.4f})")
    out1 = replace(outcome_for(inp1, rules1, s1, solver, note), linked_value=value2)
    return LinkedOutcome((out1, value2, s2))


#: Settings of the later stage under which its values depend on which applications it compares
#: (stage 2 compares only stage 1's selection, the linked program all applications): call key ->
#: (allowed value, why).
SET_DEPENDENT = {
    "ranking_method": ("weighted_sum", "its scores depend on which applications are compared"),
    "calibration": ("none", "calibrated scores depend on which applications each expert scored in the stage"),
    "panel_model": ("aggregate", "the Bayesian panel model pools the applications it is given"),
}


def linked_refusals(stage2: Stage, cost_criteria: Sequence[str] = ()) -> list[Problem]:
    """Why the linked program could not promise the stage-2 value that stage 2 will deliver.

    Linked mode values stage 2 over every application; stage 2 itself then ranks only stage 1's
    selection. The promise holds exactly when each application's stage-2 value does not depend on
    which others are compared: a weighted sum of panel scores without calibration, benefit criteria
    only (a cost criterion is reflected over the compared set), and the objective ``score`` or
    ``score_per_dkk`` (``rank`` counts the compared set; ``funding_line`` is not a sum of values).
    Each other combination is refused, naming the call key.
    """
    n = stage2.number
    out = []
    for key, (ok, why) in SET_DEPENDENT.items():
        v = getattr(stage2, key, ok)
        if v != ok:
            out.append(Problem(f"linked mode cannot promise stage {n}'s value with {key} = \"{v}\": {why}, and "
                               f"stage {n} compares only stage {stage2.from_stage}'s selection",
                               key=f"stages[{n}].{key}",
                               hint=f"use {key} = \"{ok}\" in stage {n}, or selection_mode = \"sequential\""))
    if stage2.objective in ("rank", "funding_line"):
        why = ("the rank value n + 1 - rank counts the applications compared" if stage2.objective == "rank"
               else "the funding line is not a sum of values")
        out.append(Problem(f"linked mode cannot promise stage {n}'s value with objective = \"{stage2.objective}\": "
                           f"{why}", key=f"stages[{n}].objective",
                           hint=f"use objective = \"score\" or \"score_per_dkk\" in stage {n}, or "
                                "selection_mode = \"sequential\""))
    if cost_criteria and stage2.ranking_method == "weighted_sum":
        out.append(Problem(f"linked mode cannot promise stage {n}'s value with the cost criteria "
                           f"{', '.join(cost_criteria)}: the weighted sum reflects a cost criterion over the "
                           "applications compared", key=f"stages[{n}].catalogue",
                           hint="give the criteria direction = \"benefit\" (reverse the scale), or use "
                                "selection_mode = \"sequential\""))
    return out


def select_linked(stage1: Stage, ranking1: pd.DataFrame, stage2: Stage, ranking2: pd.DataFrame,
                  applications: Mapping[str, Application], *, candidates: Sequence[str] | None = None,
                  solver: str = "cbc", cost_criteria: Sequence[str] = ()) -> tuple[StageOutcome, pd.DataFrame]:
    """Stage 1 chosen in linked mode, explained: ``(outcome, table)`` like
    :func:`~selection.select.select_stage`.

    ``ranking2`` ranks every application with stage-2 scores (not only a stage-1 selection);
    ``cost_criteria`` names the stage-2 catalogue's cost criteria. Combinations under which stage 2
    would value its applications differently from the linked program are refused
    (:func:`linked_refusals`, :class:`~selection.errors.ConstraintError`). The outcome's
    ``linked_value`` is the stage-2 value promised. For a ranking deviation in stage 1,
    ``cost_to_include`` is the stage-2 value lost when it is forced into stage 1 (the linked
    program's first goal); a swap that keeps every stage-1 rule is explained by what it does to
    the best stage-2 value within the swapped stage 1 (re-solved), or, keeping that, to the
    stage-1 value.
    """
    from selection.model import ForcedDecision
    from selection.select.explain import explain_selection
    from selection.select.program import solve_stage
    from selection.select.stage import stage_input

    refused = linked_refusals(stage2, cost_criteria)
    if refused:
        raise ConstraintError(refused)
    inp1 = stage_input(stage1, ranking1, applications, candidates=candidates)
    inp2 = stage_input(stage2, ranking2, applications, candidates=None)
    res = solve_linked(inp1, inp2, solver)

    def resolve(a: str) -> tuple[float, tuple[str, ...]] | None:
        forced = Stage.model_validate({**stage1.model_dump(), "forced": [
            *[f.model_dump() for f in stage1.forced],
            ForcedDecision(application=a, include=True, reason="what-if").model_dump()]})
        try:
            alt = solve_linked(StageInput(forced, inp1.applications, inp1.values, inp1.ranks, inp1.excluded),
                               inp2, solver)
        except InfeasibleError:
            return None
        return alt.stage2_value, alt.stage1.selected

    def swap_goals(s1: frozenset[str]) -> tuple[float, float]:
        ids = [a for a in inp2.values if a in s1]
        sub = StageInput(stage2, applications, {a: inp2.values[a] for a in ids}, inp2.ranks,
                         {a: x for a, x in inp2.excluded.items() if a in s1})
        try:
            best2 = solve_stage(sub, solver).objective
        except InfeasibleError:
            best2 = -math.inf
        return best2, math.fsum(inp1.values[a] for a in s1)

    table = explain_selection(inp1, res.stage1, solver, resolve=resolve, base_objective=res.stage2_value,
                              cost_goal="stage2_value", swap_goals=swap_goals)
    return res.stage1, table
