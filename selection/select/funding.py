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
from dataclasses import replace

import numpy as np

from selection.errors import InfeasibleError, SolverError
from selection.select.milp import Milp, solve_milp
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

__all__ = ["funding_line", "solve_funding_line", "funding_line_forced", "grant_amounts"]


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


def grant_amounts(inp: StageInput, selected: Sequence[str], solver: str = "highs") -> dict[str, int]:
    """The amounts granted to a selection under the stage's ``partial_funding``.

    The program chose ``selected`` with every reducible amount at its lowest
    (:meth:`~selection.model.Stage.lowest_funded`): it is possible with reductions. The amounts are
    then, in whole units of the call's currency:

    1. the **least total money cut** (sum of requested minus granted) that keeps every rule, and
    2. among the ways to cut that much, the **lowest-ranked** selected application is cut first
       (as far as its lowest amount allows), then the next lowest-ranked, and so on: the
       lexicographic maximum of the cuts taken from the bottom of the ranking (the funding-line
       convention that the last one funded takes what is left).

    A rule whose sum does not depend on the reducible amount is kept by the selection alone.
    With one rule to keep (the budget) the cuts are closed-form; otherwise a small integer program
    per step (the cuts ``r_i`` integers in ``[0, requested_i - lowest_i]``, each affected row
    ``sum_i d_i r_i >= need``, Isermann 1982, doi:10.1007/BF01782758, for the lexicographic order).
    """
    st = inp.stage
    sel = sorted(selected, key=lambda a: inp.ranks[a])
    full = {a: st.funded(inp.applications[a]) for a in sel}
    room = {a: full[a] - st.lowest_funded(inp.applications[a]) for a in sel}
    if st.partial_funding is None or not any(room.values()):
        return full
    low_rules = build_rules(inp)
    full_rules = {r.name: r for r in build_rules(replace(inp, stage=st.model_copy(update={"partial_funding": None})))}
    chosen = frozenset(sel)
    rows: list[tuple[dict[str, int], int]] = []  # sum_i d_i r_i >= need
    for r in low_rules:
        fr = full_rules.get(r.name)
        if fr is None:
            continue
        d = {a: round(fr.coefs.get(a, 0.0) - r.coefs.get(a, 0.0)) // room[a] for a in sel if room[a]}
        d = {a: v for a, v in d.items() if v}
        if not d:
            continue
        excess = fr.lhs(chosen) - fr.rhs  # > 0: the full amounts break the cap by this much
        if r.sense == "<=":
            need = math.ceil(excess - 1e-9)
        else:
            need, d = math.ceil(-excess - 1e-9), {a: -v for a, v in d.items()}
        if need > 0:
            rows.append((d, need))
    cut = dict.fromkeys(sel, 0)
    if not rows:
        return full
    if len(rows) == 1 and len(set(rows[0][0].values())) == 1 and next(iter(rows[0][0].values())) > 0:
        (d, need), = rows
        step = next(iter(d.values()))
        left = math.ceil(need / step)
        for a in reversed(sel):  # lowest-ranked first
            if a in d:
                cut[a] = min(room[a], left)
                left -= cut[a]
        if left > 0:  # pragma: no cover - the program found the selection possible at the lowest amounts
            raise SolverError(f"stage {st.number}: the selection cannot be funded even at the lowest amounts")
    else:
        ids = [a for a in sel if room[a]]
        pos = {a: i for i, a in enumerate(ids)}
        m = Milp(maximize=False)
        m.add_vars(len(ids), cost=1.0, lower=0.0, upper=np.array([float(room[a]) for a in ids]))
        for d, need in rows:
            items = [(pos[a], float(v)) for a, v in d.items() if a in pos]
            m.add_row([i for i, _ in items], [v for _, v in items], lower=float(need))
        sol = solve_milp(m, solver)
        if sol.status != "optimal":  # pragma: no cover - as above
            raise SolverError(f"stage {st.number}: the amounts of the partial funding: the solver ended "
                              f"with status {sol.status}")
        total = float(np.round(sol.objective))
        m.add_row(list(range(len(ids))), [1.0] * len(ids), lower=total, upper=total)
        x = np.round(sol.x)
        for a in reversed(ids):  # the lowest-ranked cut as far as the least total allows, then the next
            j = pos[a]
            step_m = m.copy()
            step_m.maximize = True
            step_m.cost = [0.0] * m.n
            step_m.cost[j] = 1.0
            s2 = solve_milp(step_m, solver)
            if s2.status == "optimal":
                x = np.round(s2.x)
            m.lower = list(m.lower)
            m.upper = list(m.upper)
            m.lower[j] = m.upper[j] = float(x[j])
        cut.update({a: int(x[pos[a]]) for a in ids})
    return {a: full[a] - cut[a] for a in sel}
