"""The selection integer program for one stage (pulp; CBC by default, HiGHS in-process optional).

maximise    sum_i v_i x_i
subject to  sum_i x_i <= K                                  (at most K selected)
            sum_i c_i x_i <= B                              (stage budget, c_i the stage's cost)
            sum_i t_i x_i <= T                              (funded phase: total budget per year)
            sum_{i in G} x_i >= / <= n                      (group floors and caps)
            x_i = 1 / 0                                     (forced in / out)
            x_i = 0 for ineligible i                        (thresholds, regional share > cap,
                                                             not selected in the earlier stage)
            x_i in {0, 1}

Ties between optimal selections are broken lexicographically: a second solve keeps the optimal
value and prefers higher-ranked applications, so the result never depends on solver internals.

When no selection satisfies every rule, an elastic copy of the program (one non-negative slack
per rule, minimised) tells which rules conflict and by how much.

Reference for the model class: Martello, S. & Toth, P. (1990). *Knapsack Problems: Algorithms and
Computer Implementations*. Wiley. (multiple-constraint 0-1 knapsack with cardinality and
generalised upper/lower bound rows); elastic programming after Chinneck, J. W. (2008).
*Feasibility and Infeasibility in Optimization*. Springer. doi:10.1007/978-0-387-74932-7
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pulp

from selection.errors import InfeasibleError, Problem, SolverError
from selection.model import FOCUS_AREAS, INDUSTRIES, Application, Constraint, Stage

__all__ = ["Rule", "StageInput", "StageOutcome", "build_rules", "solve_stage", "solver_versions", "SOLVERS"]

SOLVERS = ("cbc", "highs")


@dataclass(frozen=True)
class Rule:
    """One linear row of the program, in words: ``sum coef_i x_i  sense  rhs``."""

    name: str
    description: str
    coefs: Mapping[str, float]
    sense: str  # "<=" or ">="
    rhs: float
    unit: str = "applications"  # or "DKK"

    def lhs(self, selected: Sequence[str]) -> float:
        return math.fsum(self.coefs.get(a, 0.0) for a in selected)

    def slack(self, selected: Sequence[str]) -> float:
        v = self.lhs(selected)
        return self.rhs - v if self.sense == "<=" else v - self.rhs


@dataclass(frozen=True)
class StageInput:
    """Everything one stage's program needs: candidates with values and ranks, and exclusions."""

    stage: Stage
    applications: Mapping[str, Application]
    values: Mapping[str, float]
    ranks: Mapping[str, int]
    excluded: Mapping[str, str] = field(default_factory=dict)  # id -> reason it may not be selected


@dataclass(frozen=True)
class StageOutcome:
    stage: int
    selected: tuple[str, ...]
    objective: float
    rules: tuple[Rule, ...]
    binding: tuple[str, ...]
    solver: str


def _group_values(group: str, candidates: Sequence[Application]) -> list[str]:
    if group == "industry":
        return list(INDUSTRIES)
    if group == "focus_area":
        return list(FOCUS_AREAS)
    if group == "rural":
        return ["true", "false"]
    if group == "any":
        return ["*"]
    return sorted({v for a in candidates for v in a.group_values(group)})


def build_rules(inp: StageInput) -> list[Rule]:
    """The program's rows for a stage, each with a plain-words description."""
    st = inp.stage
    cand = [inp.applications[a] for a in inp.values]
    ids = [a.id for a in cand]
    rules = [Rule("max_selected", f"at most {st.max_selected} selected", {a: 1.0 for a in ids}, "<=", st.max_selected)]
    if st.budget is not None:
        what = "requested grants" if st.budget_basis == "grant" else "regional co-financing per year"
        rules.append(Rule("budget", f"{what} within {st.budget:,} DKK",
                          {a.id: float(st.cost(a)) for a in cand}, "<=", st.budget, "DKK"))
    if st.total_budget_cap_per_year is not None:
        rules.append(Rule("total_budget", f"total partnership budgets within {st.total_budget_cap_per_year:,} DKK per year",
                          {a.id: float(a.total_budget_per_year) for a in cand}, "<=", st.total_budget_cap_per_year, "DKK"))
    eligible = [a for a in cand if a.id not in inp.excluded]
    for k, c in enumerate(st.constraints):
        values = [c.value] if c.value is not None else _group_values(c.group, cand)
        for v in values:
            members = {a.id: 1.0 for a in cand if v == "*" or v in a.group_values(c.group)}
            count = c.count
            if c.kind == "at_least" and c.if_available:
                count = min(count, sum(1 for a in eligible if a.id in members))
                if count == 0:
                    continue
            if c.kind == "at_most" and c.value is None and len(members) <= count:
                continue  # cannot bind
            desc = Constraint.model_validate({**c.model_dump(), "value": v if v != "*" else None, "count": count}).describe()
            rules.append(Rule(f"constraint[{k}]:{c.group}={v}", desc, members,
                              ">=" if c.kind == "at_least" else "<=", count))
    for f in st.forced:
        if f.application in inp.values:
            rules.append(Rule(f"forced:{f.application}",
                              f"{f.application} forced {'in' if f.include else 'out'} ({f.reason})",
                              {f.application: 1.0}, ">=" if f.include else "<=", 1 if f.include else 0))
    return rules


def _solver(name: str):
    if name == "cbc":
        with warnings.catch_warnings():
            # PuLP 3.3 marks its bundled CBC as deprecated for 4.0; we pin pulp<4 to keep it.
            warnings.simplefilter("ignore", DeprecationWarning)
            solver = pulp.PULP_CBC_CMD(msg=False, gapRel=0.0, gapAbs=0.0, threads=1)
    elif name == "highs":
        solver = pulp.HiGHS(msg=False, gapRel=0.0, gapAbs=0.0, threads=1)
    else:
        raise SolverError(Problem(f"unknown solver {name!r}", hint=f"use one of {', '.join(SOLVERS)}"))
    if not solver.available():
        raise SolverError(Problem(f"the solver {name!r} is not available on this machine",
                                  hint="reinstall the package (pulp bundles CBC; highspy provides HiGHS)"))
    return solver


def solver_versions() -> dict[str, str]:
    """Versions of the MILP modeller and solvers, for run manifests."""
    from importlib import metadata

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        cbc = pulp.PULP_CBC_CMD()
        out = {"pulp": pulp.__version__, "cbc": f"bundled with pulp ({'available' if cbc.available() else 'missing'})"}
    try:
        out["highs"] = f"highspy {metadata.version('highspy')}"
    except metadata.PackageNotFoundError:  # pragma: no cover
        out["highs"] = "highspy not installed"
    return out


def _add_rules(prob: pulp.LpProblem, x: Mapping[str, pulp.LpVariable], rules: Sequence[Rule],
               slacks: Mapping[str, pulp.LpVariable] | None = None) -> None:
    for r in rules:
        expr = pulp.lpSum(coef * x[a] for a, coef in r.coefs.items() if a in x)
        if slacks is not None:
            expr = expr - slacks[r.name] if r.sense == "<=" else expr + slacks[r.name]
        prob += (expr <= r.rhs) if r.sense == "<=" else (expr >= r.rhs), r.name.replace(":", "_").replace("=", "_").replace(" ", "_")


def _solve(prob: pulp.LpProblem, solver_name: str) -> str:
    status = prob.solve(_solver(solver_name))
    return pulp.LpStatus[status]


def solve_stage(inp: StageInput, solver: str = "cbc") -> StageOutcome:
    """Solve one stage exactly (zero gap); raise :class:`InfeasibleError` with the conflict in words."""
    ids = list(inp.values)
    rules = build_rules(inp)
    names = {a: f"x{i}" for i, a in enumerate(ids)}
    prob = pulp.LpProblem(f"stage{inp.stage.number}", pulp.LpMaximize)
    x = {a: prob.add_variable(names[a], cat="Binary") for a in ids}
    for a in inp.excluded:
        if a in x:
            x[a].upBound = 0
    prob += pulp.lpSum(inp.values[a] * x[a] for a in ids)
    _add_rules(prob, x, rules)
    status = _solve(prob, solver)
    if status == "Infeasible":
        raise InfeasibleError(explain_infeasible(inp, rules, solver))
    if status != "Optimal":
        raise SolverError(f"stage {inp.stage.number}: the solver {solver} ended with status {status}")
    best = pulp.value(prob.objective) or 0.0
    # Second pass: among optimal selections prefer higher-ranked applications (deterministic).
    n = len(ids)
    tie = pulp.LpProblem(f"stage{inp.stage.number}_ties", pulp.LpMaximize)
    tie += pulp.lpSum((n + 1 - inp.ranks[a]) * x[a] for a in ids)
    tie += pulp.lpSum(inp.values[a] * x[a] for a in ids) >= best - 1e-7 * max(1.0, abs(best)), "optimal_value"
    _add_rules(tie, x, rules)
    status = _solve(tie, solver)
    if status != "Optimal":
        raise SolverError(f"stage {inp.stage.number}: the tie-break pass ended with status {status}")
    selected = sorted((a for a in ids if (x[a].value() or 0) > 0.5), key=lambda a: inp.ranks[a])
    objective = math.fsum(inp.values[a] for a in selected)
    binding = tuple(r.description for r in rules if _binds(r, selected, inp))
    return StageOutcome(inp.stage.number, tuple(selected), objective, tuple(rules), binding, solver)


def _binds(rule: Rule, selected: Sequence[str], inp: StageInput) -> bool:
    """A cap binds when adding some eligible application left out would break it; a floor binds
    when it is met exactly."""
    if rule.name.startswith("forced"):
        return False
    if rule.sense == ">=":
        return abs(rule.slack(selected)) <= 1e-9
    chosen = set(selected)
    slack = rule.slack(selected)
    return any(a not in chosen and a not in inp.excluded and c > slack + 1e-9 for a, c in rule.coefs.items())


def explain_infeasible(inp: StageInput, rules: Sequence[Rule], solver: str) -> list[Problem]:
    """Minimise the total (normalised) violation of the rules; report each violated rule."""
    ids = list(inp.values)
    prob = pulp.LpProblem("elastic", pulp.LpMinimize)
    x = {a: prob.add_variable(f"x{i}", cat="Binary") for i, a in enumerate(ids)}
    for a in inp.excluded:
        if a in x:
            x[a].upBound = 0
    s = {r.name: prob.add_variable(f"s{k}", lowBound=0) for k, r in enumerate(rules)}
    scale = {r.name: (max(r.coefs.values(), default=1.0) or 1.0) if r.unit == "DKK" else 1.0 for r in rules}
    prob += pulp.lpSum(s[r.name] / scale[r.name] for r in rules)
    _add_rules(prob, x, rules, s)
    status = _solve(prob, solver)
    if status != "Optimal":
        return [Problem(f"stage {inp.stage.number}: no selection satisfies the rules (status {status})")]
    out = []
    for r in rules:
        v = s[r.name].value() or 0.0
        if v > 1e-6:
            amount = f"{v:,.0f} DKK" if r.unit == "DKK" else f"{v:g}"
            eligible_members = [a for a in r.coefs if a not in inp.excluded]
            detail = ""
            if r.sense == ">=":
                detail = f"; only {len(eligible_members)} eligible application(s) qualify"
            out.append(Problem(f"stage {inp.stage.number}: the rule \"{r.description}\" cannot be met with "
                               f"the other rules: short by {amount}{detail}",
                               hint="relax this rule or the rules it conflicts with in the call or scenario file"))
    return out or [Problem(f"stage {inp.stage.number}: no selection satisfies the rules")]
