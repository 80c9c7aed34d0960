"""Why each application is in or out of a stage's selection, as decision records.

For every application one :class:`~selection.decisions.Decision` (reason code + facts; the words
are rendered by :mod:`selection.words` at the edges):

* ``selected`` (with the forced-in justification, if any);
* why it may not be selected at all: below a threshold, over the regional-share cap, not eligible,
  forced out, not selected in the earlier stage;
* ``outranked``, for an eligible application ranked below every selected one: every rule that
  adding it would break (all places taken, the budget exceeded by how much, a cap full); or
  ``no_gain`` when adding it breaks nothing because its value is not positive;
* ``ranking_deviation``, for an eligible application ranked above a selected one but left out:
  per lower-ranked selected application, what a one-for-one swap breaks (a floor that would fail,
  a cap or budget that would be exceeded, a forced-in decision) or, when the swap keeps every rule,
  by how much it lowers the value; then the cost of forcing it in: the program is re-solved with it
  forced in, ``cost_to_include`` is the value lost and ``would_leave`` who would make room (a what-if
  in the sense of sensitivity analysis of integer programs; Greenberg, H. J. (1998). An annotated
  bibliography for post-solution analysis in mixed integer programming. In *Advances in
  Computational and Stochastic Optimization*, Kluwer, 97-148. doi:10.1007/978-1-4757-2847-0_4).

Every claim is checked before it is recorded (:func:`check_claims`): each rule a swap or an
addition touches is recomputed from its definition over the changed selection, forced decisions
included, and a swap said to keep every rule must lower the value (the selection is optimal and
the tie rule prefers the higher-ranked application, so an equal-value swap cannot keep every rule).
A claim that fails its check raises :class:`~selection.errors.SolverError` instead of being written.

The claims use running totals per rule (one pass over the selection), so explaining a
20,000-application stage stays linear in the number of applications and rules; only the cost of
forcing a ranking deviation in needs a solve: one warm LP relaxation shared by every what-if and an
exact listing of what its bound leaves possible (:class:`~selection.select.milp.LexCore`), branch
and bound only when that listing would be too long.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from selection.decisions import Decision, text
from selection.errors import SolverError
from selection.select.milp import LexCore, Milp
from selection.select.program import (
    Rule,
    StageInput,
    StageOutcome,
    integer_grid,
    solve_with_ties,
    stage_milp,
    tie_weights,
)

__all__ = ["SELECTION_COLUMNS", "RECORD_COLUMNS", "check_claims", "explain_selection", "forced_in_value"]

#: ``eligible`` is false when the application may not be selected in this stage at all (below a
#: threshold, over the regional-share cap, forced out, or not chosen in the earlier stage).
#: ``reason`` and ``reason_da`` are rendered from ``reason_code`` and ``facts`` (the decision
#: record, JSON) by :func:`selection.words.add_reasons`; the computing modules fill only the record.
SELECTION_COLUMNS = ["application_id", "rank", "value", "selected", "reason", "cost_to_include", "would_leave",
                     "eligible", "reason_da", "reason_code", "facts"]

#: The columns :func:`explain_selection` fills (everything but the rendered words).
RECORD_COLUMNS = [c for c in SELECTION_COLUMNS if c not in ("reason", "reason_da")]

#: HiGHS options of the what-if solves: a what-if's program is the stage's own with one bound
#: changed, small enough that presolve costs more than it saves (half of each root solve at 20,000
#: applications). Exactness is untouched: the gap stays zero and the tie rule's answer is unique.
WHAT_IF_OPTIONS = {"presolve": "off"}

#: ``resolve(a)`` -> (objective with ``a`` forced in, selection) or ``None`` if impossible.
Resolver = Callable[[str], "tuple[float, tuple[str, ...]] | None"]


def forced_in_value(inp: StageInput, a: str, solver: str, *,
                    program: tuple[Milp, np.ndarray, np.ndarray] | None = None,
                    screen: Screen | None = None) -> tuple[float, tuple[str, ...]] | None:
    """Re-solve the stage with ``a`` forced in (same rules, same tie rule).

    ``program`` is the stage's program with its values and tie weights (:func:`stage_program`),
    built once for many what-ifs; by default it is built here. ``screen`` (:func:`stage_screen`,
    also built once) holds one warm LP relaxation of the program for all what-ifs: with ``a``
    fixed, its duals bound every selection containing ``a``, and the few selections the bound
    leaves possible are listed and checked exactly (:class:`~selection.select.milp.LexCore`), which
    proves the optimum and the tie rule together without branch and bound. When that listing
    would be too long, the stage is re-solved with ``a`` forced in. The answer is the same either way.
    """
    ids = list(inp.values)
    m0, values, tie = program if program is not None else stage_program(inp)
    j = ids.index(a)
    k = len(values)
    found: tuple[np.ndarray, float] | None
    proved = screen.core.solve({j: 1.0}) if screen is not None and solver == "highs" and \
        screen.core.worth_trying() else None
    if proved is not None:
        x = proved[1]
        found = None if x is None else (x, math.fsum(values[x[:k] > 0.5]))
    else:
        m = m0.copy()
        m.options = {**m.options, **WHAT_IF_OPTIONS}
        m.lower = list(m.lower)
        m.lower[j] = 1.0
        found = solve_with_ties(m, values, tie, solver, what=f"stage {inp.stage.number} what-if",
                                core=screen is None)
    if found is None:
        return None
    x, obj = found
    inside = np.flatnonzero(np.asarray(x[:len(ids)]) > 0.5).tolist()  # the applications' columns come first
    return obj, tuple(sorted((ids[i] for i in inside), key=lambda b: inp.ranks[b]))


@dataclass(frozen=True)
class Screen:
    """What a stage's what-ifs share: its values as integers on their grid (``goal``) and the
    :class:`~selection.select.milp.LexCore` of the stage's program under that goal (one warm LP
    relaxation for every what-if)."""

    goal: np.ndarray
    core: LexCore


def stage_screen(program: tuple[Milp, np.ndarray, np.ndarray]) -> Screen | None:
    """The :class:`Screen` of a stage's program, or ``None`` when the values lie on no integer grid
    or the program has variables besides the applications' (then every what-if is solved in full)."""
    m, values, tie = program
    grid = integer_grid(values)
    if grid is None or m.n != len(values) or len(values) == 0:
        return None
    goal = np.round(values * grid)
    if float(np.sum(np.abs(goal))) >= 2.0 ** 50:
        return None  # integer sums of the goal stay exact in floating point below this
    return Screen(goal, LexCore(m, goal, np.argsort(-np.asarray(tie, dtype=float), kind="stable")))


def stage_program(inp: StageInput, rules: Sequence[Rule] | None = None) -> tuple[Milp, np.ndarray, np.ndarray]:
    """The stage's 0-1 program, its values and its tie weights, for repeated what-ifs."""
    from selection.select.program import build_rules

    ids = list(inp.values)
    m = stage_milp(inp, build_rules(inp) if rules is None else rules, ids)
    return m, np.array([inp.values[b] for b in ids], dtype=float), tie_weights(inp, ids)


TOL = 1e-9


class _Usage:
    """Each rule's left-hand side for the current selection, and which rules each application is in.

    Every rule of the program counts, forced decisions included."""

    def __init__(self, rules: Sequence[Rule], selected: Sequence[str]):
        self.rules = list(rules)
        chosen = frozenset(selected)
        self.lhs = [r.lhs(chosen) for r in self.rules]
        self.member: dict[str, list[int]] = {}
        for k, r in enumerate(self.rules):
            for a in r.coefs:
                self.member.setdefault(a, []).append(k)

    def broken(self, add: str, remove: str | None = None) -> list[tuple[Rule, float, float]]:
        """Rules broken by adding ``add`` (and removing ``remove``): (rule, new lhs, lhs before)."""
        ks = set(self.member.get(add, []))
        if remove is not None:
            ks |= set(self.member.get(remove, []))
        out = []
        for k in sorted(ks):
            r = self.rules[k]
            new = self.lhs[k] + r.coefs.get(add, 0.0) - (r.coefs.get(remove, 0.0) if remove else 0.0)
            if _breaks(r, new):
                out.append((r, new, self.lhs[k]))
        return out


class _RulesOf(Mapping[str, list[Rule]]):
    """Application -> the rules it is in, made when asked (most records never ask)."""

    def __init__(self, usage: _Usage):
        self._u = usage

    def __getitem__(self, a: str) -> list[Rule]:
        return [self._u.rules[k] for k in self._u.member[a]]

    def __iter__(self) -> Iterator[str]:
        return iter(self._u.member)

    def __len__(self) -> int:
        return len(self._u.member)


def _breaks(r: Rule, lhs: float) -> bool:
    scale = max(1.0, abs(r.rhs))
    return (r.sense == "<=" and lhs > r.rhs + TOL * scale) or (r.sense == ">=" and lhs < r.rhs - TOL * scale)


def _rule_facts(r: Rule, new: float, before: float, member: str | None = None) -> dict:
    f = {"rule": r.name, "kind": r.kind, "sense": r.sense, "allowed": r.rhs, "used": before, "new": new,
         "unit": r.unit, "label": text(r.label, r.label_da), "description": text(r.description, r.description_da)}
    if r.reason:
        f["because"] = text(r.reason, getattr(r, "reason_da", "") or r.reason)
    if r.kind == "forced":
        f["member"] = next(iter(r.coefs), member)
    return f


def _forced_reasons(inp: StageInput) -> dict[str, dict[str, str]]:
    return {f.application: text(f.reason, getattr(f, "reason_da", "") or f.reason)
            for f in inp.stage.forced if f.include}


def _exclusion(x: object) -> Decision:
    if isinstance(x, Decision):
        return x
    return Decision("excluded", {"text": text(str(x))})


#: ``swap(S)`` -> the goals of a stage-1 selection ``S`` in linked mode: (best stage-2 value within
#: ``S``, stage-1 value of ``S``).
SwapGoals = Callable[[frozenset[str]], "tuple[float, float]"]


def _swaps(u: _Usage, inp: StageInput, outcome: StageOutcome, a: str, swap_goals: SwapGoals | None,
           base2: float | None) -> tuple[list[dict], int]:
    lower = [b for b in outcome.selected if inp.ranks[b] > inp.ranks[a]]
    groups: dict[str, dict] = {}
    chosen = frozenset(outcome.selected)
    for b in sorted(lower, key=lambda b: -inp.ranks[b]):
        broken = [x for x in u.broken(a, b) if x[0].kind != "count"]
        if broken:
            facts: dict = {"broken": [_rule_facts(r, new, before, b) for r, new, before in broken]}
            key = "|".join(f"{r.name}:{new!r}:{before!r}:{r.kind == 'forced' or r.sense == '>='}" for r, new, before
                           in broken) + (f"|{b}" if any(r.kind == "forced" or r.sense == ">=" for r, _, _ in broken)
                                         else "")
        else:
            drop = round(inp.values[b] - inp.values[a], 12)
            facts = {"value_drop": drop}
            if swap_goals is not None and base2 is not None:
                best2, _ = swap_goals((chosen - {b}) | {a})
                facts["stage2_drop"] = round(base2 - best2, 12)
            key = repr(sorted(facts.items()))
        if key not in groups:
            groups[key] = {**facts, "instead_of": []}
        groups[key]["instead_of"].append(b)
    swaps = []
    for g in list(groups.values())[:4]:
        ids = g.pop("instead_of")
        swaps.append({"instead_of": ids[:3], "more": max(0, len(ids) - 3), "all": ids, **g})
    return swaps, max(0, len(groups) - 4)


def check_claims(inp: StageInput, outcome: StageOutcome, a: str, decision: Decision, *,
                 linked: bool = False, index: Mapping[str, Sequence[Rule]] | None = None,
                 lhs_cache: dict[int, float] | None = None,
                 context: tuple[Mapping[str, Rule], frozenset[str]] | None = None) -> None:
    """Verify every claim of ``decision`` about application ``a`` against the full program.

    Each rule a claim names is recomputed from its definition (exact sums over the changed
    selection), forced decisions included; a swap said to keep every rule is checked against every
    rule touching the two applications, and must lower the value (in linked mode: the best stage-2
    value, or, keeping it, the stage-1 value). Raises :class:`SolverError` on the first false claim.

    ``context`` is ``outcome``'s rules by name and its selection as a set (:func:`claims_context`),
    made once when many records of one outcome are checked; by default it is made here.
    """
    rules, chosen = context if context is not None else claims_context(outcome)

    def fail(what: str) -> None:
        raise SolverError(f"stage {inp.stage.number}: the reason for {a} would claim something false: {what}")

    base: dict[int, float] = {} if lhs_cache is None else lhs_cache

    def lhs(r: Rule, add: str, remove: str | None = None) -> float:
        """``r``'s left-hand side after adding ``add`` (and removing ``remove``): its sum over the
        selection, recomputed here from the rule's definition (exact, once per rule), plus the change."""
        if id(r) not in base:
            base[id(r)] = r.lhs(chosen)
        return base[id(r)] + r.coefs.get(add, 0.0) - (r.coefs.get(remove, 0.0) if remove is not None else 0.0)

    def touching(x: str, y: str | None = None) -> list[Rule]:
        if index is not None:  # application -> the rules it is in (built once per stage)
            found = {id(r): r for r in [*index.get(x, ()), *(index.get(y, ()) if y is not None else ())]}
            return list(found.values())
        return [r for r in outcome.rules if x in r.coefs or (y is not None and y in r.coefs)]

    f = decision.facts
    if decision.code == "outranked":
        if a in inp.excluded:
            fail("it is ranked out although it may not be selected at all")
        named = {r["rule"] for r in f["broken"]}
        for r in touching(a):
            if _breaks(r, lhs(r, a)) != (r.name in named):
                fail(f"adding it {'breaks' if r.name not in named else 'keeps'} \"{r.description}\"")
        for rf in f["broken"]:
            if abs(lhs(rules[rf["rule"]], a) - rf["new"]) > TOL * max(1.0, abs(rf["new"])):
                fail(f"\"{rf['rule']}\" would reach {rf['new']}")
    elif decision.code == "no_gain":
        if any(_breaks(r, lhs(r, a)) for r in touching(a)) or inp.values[a] > 0:
            fail("adding it keeps every rule without raising the value")
    elif decision.code == "ranking_deviation":
        for s in f["swaps"]:
            for b in s["all"]:
                if inp.ranks[b] <= inp.ranks[a] or b not in chosen:
                    fail(f"{b} is a lower-ranked selected application")
                named = {r["rule"] for r in s.get("broken", [])}
                for r in touching(a, b):
                    if r.kind == "count":
                        continue
                    if _breaks(r, lhs(r, a, b)) != (r.name in named):
                        fail(f"swapping it for {b} {'breaks' if r.name not in named else 'keeps'} "
                             f"\"{r.description}\"")
                if not named:
                    drop = inp.values[b] - inp.values[a]
                    if not linked and drop <= TOL * max(1.0, abs(inp.values[b])):
                        fail(f"swapping it for {b} keeps every rule and does not lower the value")
                    if linked and not (s.get("stage2_drop", 0.0) > TOL or drop > TOL * max(1.0, abs(inp.values[b]))):
                        fail(f"swapping it for {b} keeps every rule and neither linked goal drops")
        if f.get("cost_goal") in ("value", "stage2_value") and f.get("cost") is not None and f["cost"] < -TOL:
            fail("forcing it in would raise the value")


def _text_key(d: Decision) -> tuple | None:
    """A key equal for two records exactly when their facts' JSON is equal, for facts whose values
    are text, whole numbers, yes/no, nothing, or texts in two languages (``None`` for any other);
    each value keyed with its type (``True`` and ``1`` are equal keys but give ``true`` and ``1``)."""
    out: list[tuple] = [(d.code,)]
    for k, v in d.facts.items():
        t = type(v)
        if type(k) is not str:
            return None
        if t is str or t is int or t is bool or v is None:
            out.append((k, t, v))
        elif t is dict and all(type(x) is str and type(y) is str for x, y in v.items()):
            out.append((k, t, tuple(v.items())))
        else:
            return None
    return tuple(out)


def claims_context(outcome: StageOutcome) -> tuple[dict[str, Rule], frozenset[str]]:
    """What :func:`check_claims` reads of ``outcome`` for every record: its rules by name and its
    selection as a set."""
    return {r.name: r for r in outcome.rules}, frozenset(outcome.selected)


def explain_selection(inp: StageInput, outcome: StageOutcome, solver: str, *,
                      resolve: Resolver | None = None, base_objective: float | None = None,
                      cost_goal: str = "value", swap_goals: SwapGoals | None = None,
                      cost_unit: str | None = None, **_legacy: object) -> pd.DataFrame:
    """One row per ranked application with :data:`RECORD_COLUMNS`, in rank order.

    ``resolve(a)`` gives the objective and the selection when ``a`` is forced in (default: the
    stage's own program re-solved); ``cost_to_include`` is ``outcome.objective`` minus that
    objective (``inf`` when no rule-abiding selection can include it). ``base_objective`` replaces
    ``outcome.objective`` when ``resolve`` measures another goal (linked mode: stage-2 value, with
    ``cost_goal="stage2_value"`` and ``swap_goals`` giving the linked goals of a swapped stage 1).
    Every record's claims are checked by :func:`check_claims` before it is returned. The words
    (``reason``, ``reason_da``) are added by :func:`selection.words.add_reasons`.
    """
    if cost_unit is not None:  # the older keyword: the goal's name in words
        cost_goal = {"total value": "value", "stage-2 value": "stage2_value", "total score": "score"}.get(
            cost_unit, cost_goal)
    base = outcome.objective if base_objective is None else base_objective
    if resolve is None:
        program: list[tuple[Milp, np.ndarray, np.ndarray]] = []  # built on the first deviation only
        screens: list[Screen | None] = []

        def resolve(a: str) -> tuple[float, tuple[str, ...]] | None:
            if not program:
                program.append(stage_program(inp, outcome.rules))
                screens.append(stage_screen(program[0]))
            return forced_in_value(inp, a, solver, program=program[0], screen=screens[0])
    forced_in = _forced_reasons(inp)
    chosen = set(outcome.selected)
    worst = max((inp.ranks[a] for a in chosen), default=0)
    u = _Usage(outcome.rules, outcome.selected)
    linked = swap_goals is not None
    index = _RulesOf(u)
    lhs_cache: dict[int, float] = {}
    context = claims_context(outcome)
    # Records made once per distinct shape (20,000 records, a few thousand shapes at 20,000
    # applications): the JSON of facts that are plain text, and an outranked application's whole
    # record, which (facts and check alike) depends only on the rules it is in and its coefficient
    # in each of them (each rule's left-hand side over the selection is the same for every record).
    texts: dict[tuple, str] = {}
    added: dict[tuple, str] = {}
    rows = []
    for a in sorted(inp.values, key=lambda b: inp.ranks[b]):
        cost, leave = math.nan, ""
        if a in chosen:
            d = Decision("selected", {"forced": forced_in.get(a)})
            if outcome.granted is not None:  # partial funding: the amount granted beside the one requested
                d = Decision("selected", {"forced": forced_in.get(a), "granted": int(outcome.granted[a]),
                                          "requested": inp.stage.funded(inp.applications[a]),
                                          "currency": inp.stage.currency.code})
        elif a in inp.excluded:
            d = _exclusion(inp.excluded[a])
            if d.code == "excluded" and a in inp.excluded_da:
                d = Decision("excluded", {"text": text(str(inp.excluded[a]), inp.excluded_da[a])})
        elif inp.ranks[a] < worst:
            swaps, more = _swaps(u, inp, outcome, a, swap_goals, base if linked else None)
            facts: dict = {"swaps": swaps, "more_kinds": more, "linked": linked, "cost_goal": cost_goal}
            alt = resolve(a)
            if alt is not None and math.isnan(alt[0]):
                pass  # costs not requested
            elif alt is None:
                cost = math.inf
                facts["impossible"] = True
            else:
                cost = round(base - alt[0], 9)
                kept = set(alt[1])
                leaving = [b for b in outcome.selected if b not in kept]
                leave = " ".join(leaving)
                facts.update(cost=cost, would_leave=leaving)
            d = Decision("ranking_deviation", facts)
        else:
            # the same rules with the same coefficients give the same record and the same check
            # (a zero coefficient keyed with its sign: -0.0 and 0.0 are equal keys)
            coefs = [(k, u.rules[k].coefs[a]) for k in u.member.get(a, ())]
            shape = tuple((k, c if c else str(c)) for k, c in coefs)
            made = added.get(shape)
            if made is not None:
                rows.append((a, inp.ranks[a], float(inp.values[a]), False, cost, leave, True, "outranked", made))
                continue
            broken = u.broken(a)
            if broken:
                d = Decision("outranked", {"broken": [_rule_facts(r, new, before) for r, new, before in broken]})
            else:
                d = Decision("no_gain", {"value": float(inp.values[a])})
            check_claims(inp, outcome, a, d, linked=linked, index=index, lhs_cache=lhs_cache, context=context)
            made = d.to_json()
            if d.code == "outranked":
                added[shape] = made
            rows.append((a, inp.ranks[a], float(inp.values[a]), False, cost, leave, True, d.code, made))
            continue
        check_claims(inp, outcome, a, d, linked=linked, index=index, lhs_cache=lhs_cache, context=context)
        if d.code == "ranking_deviation":
            for s in d.facts["swaps"]:
                s.pop("all", None)
        key = _text_key(d)
        if key is None:
            made = d.to_json()
        elif (made := texts.get(key)) is None:
            made = texts[key] = d.to_json()
        rows.append((a, inp.ranks[a], float(inp.values[a]), a in chosen, cost, leave,
                     a not in inp.excluded, d.code, made))
    table = pd.DataFrame(rows, columns=RECORD_COLUMNS)
    if outcome.granted is not None:  # partial funding: requested and granted amounts side by side
        table["requested"] = [inp.stage.funded(inp.applications[a]) for a in table["application_id"]]
        table["granted"] = [int(outcome.granted.get(a, 0)) for a in table["application_id"]]
    return table
