"""The funding-line objective: best-ranked first, subject to every rule (lexicographic).

Research councils fund in rank order until the money runs out. Written as an optimisation, the
funding line is the *lexicographic* maximum of the selection over the rank order: the best-ranked
application is selected if any rule-abiding selection contains it; then the next best, if some
rule-abiding selection contains both decisions so far; and so on down the ranking (Ehrgott, M.
(2005). *Multicriteria Optimization*, 2nd ed., §5.1 lexicographic optimality. Springer.
doi:10.1007/3-540-27659-9). An application that does not fit (the money left is too little) is
skipped and the line goes on with the next one, so the money is filled in rank order.

When every rule is a cap with non-negative coefficients (budgets, counts, at-most rules,
mutually exclusive sets, money-share caps of a group's own money) the feasible selections are
closed under removal, and the greedy pass "take it if it still fits" *is* the lexicographic
optimum: O(n · rules), no solver. Floors (at least one per focus area, forced-in applications,
share floors) need an oracle: a 0-1 program decides whether the decisions so far plus the next
application can still be completed to a rule-abiding selection. A current completion is kept,
so the oracle is asked only about applications outside it that pass the caps.

Compared with the value-sum objective (maximise Σ score under the budget), the funding line never
passes over a better-ranked application to fit in two cheaper ones: it suits calls whose text
says "in order of the ranking" (most research councils, Horizon Europe's ranked lists); the
value-sum suits calls that buy the best portfolio for the money.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import numpy as np

from selection.errors import InfeasibleError, SolverError
from selection.select.milp import solve_milp
from selection.select.program import (
    Rule,
    StageInput,
    StageOutcome,
    build_rules,
    explain_infeasible,
    outcome_for,
    precheck,
    stage_milp,
)

__all__ = ["funding_line", "solve_funding_line", "funding_line_forced"]


def _is_cap(r: Rule) -> bool:
    return r.sense == "<=" and all(c >= 0 for c in r.coefs.values())


def funding_line(inp: StageInput, rules: Sequence[Rule], solver: str,
                 force: str | None = None) -> list[str] | None:
    """The lexicographic (rank-order) selection, or ``None`` if no selection keeps every rule.

    ``force`` puts one application first (as if forced in), to measure what including it costs.
    """
    ids = list(inp.values)
    order = sorted((a for a in ids if a not in inp.excluded), key=lambda a: inp.ranks[a])
    if force is not None:
        if force in inp.excluded:
            return None
        order = [force] + [a for a in order if a != force]
    caps = [r for r in rules if _is_cap(r)]
    hard = [r for r in rules if not _is_cap(r)]
    used = [0.0] * len(caps)
    member: dict[str, list[tuple[int, float]]] = {}
    for k, r in enumerate(caps):
        for a, c in r.coefs.items():
            if c:
                member.setdefault(a, []).append((k, c))

    def fits(a: str) -> bool:
        return all(used[k] + c <= caps[k].rhs + 1e-9 * max(1.0, abs(caps[k].rhs)) for k, c in member.get(a, ()))

    def take(a: str) -> None:
        for k, c in member.get(a, ()):
            used[k] += c

    chosen: list[str] = []
    if not hard:
        for a in order:
            if fits(a):
                take(a)
                chosen.append(a)
        if force is not None and force not in chosen:
            return None
        return chosen
    # Floors: keep a rule-abiding completion of the decisions so far; ask the oracle only when
    # the next application is outside it and passes the caps.
    pos = {a: i for i, a in enumerate(ids)}
    m = stage_milp(inp, rules, ids)
    tie = np.zeros(len(ids))
    for a in order:  # prefer better-ranked applications in every completion
        tie[pos[a]] = float(len(ids) + 1 - inp.ranks[a])
    m.cost = list(tie) + [0.0] * (m.n - len(ids))
    m.maximize = True

    def complete(fix_in: str | None) -> set[str] | None:
        trial = m.copy()
        if fix_in is not None:
            trial.lower[pos[fix_in]] = 1.0
        sol = solve_milp(trial, solver)
        if sol.status == "infeasible":
            return None
        if sol.status != "optimal":
            raise SolverError(f"stage {inp.stage.number}: the solver {solver} ended with status {sol.status}")
        return {a for a in ids if sol.x[pos[a]] > 0.5}

    completion = complete(None)
    if completion is None:
        return None
    for a in order:
        if a in completion:
            ok = True
        elif not fits(a):
            ok = False
        else:
            found = complete(a)
            ok = found is not None
            if found is not None:
                completion = found
        if ok:
            take(a)
            chosen.append(a)
            m.lower[pos[a]] = 1.0
        else:
            m.upper[pos[a]] = 0.0
            if a == force:
                return None
    return chosen


def solve_funding_line(inp: StageInput, solver: str = "cbc") -> StageOutcome:
    """A stage selected by the funding line; :class:`InfeasibleError` names the conflicting rules."""
    rules = build_rules(inp)
    early = precheck(inp, rules)
    if early:
        raise InfeasibleError(early)
    chosen = funding_line(inp, rules, solver)
    if chosen is None:
        raise InfeasibleError(explain_infeasible(inp, rules, solver))
    return outcome_for(inp, rules, chosen, solver,
                       note="funding line: best-ranked first, subject to every rule")


def funding_line_forced(inp: StageInput, outcome: StageOutcome, a: str,
                        solver: str) -> tuple[float, tuple[str, ...]] | None:
    """The funding line with ``a`` put first: its total value and selection, or ``None`` when no
    rule-abiding selection includes ``a`` (what including a skipped application costs)."""
    chosen = funding_line(inp, outcome.rules, solver, force=a)
    if chosen is None:
        return None
    return math.fsum(inp.values[b] for b in chosen), tuple(sorted(chosen, key=lambda b: inp.ranks[b]))

