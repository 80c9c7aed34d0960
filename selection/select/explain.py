"""Why each application is in or out of a stage's selection, in plain words.

For every application one reason:

* ``selected`` (``selected (forced in: ...)``);
* why it may not be selected at all: below a threshold on a criterion, over the regional-share
  cap, forced out (with the recorded reason), not selected in the earlier stage;
* for an eligible application ranked below every selected one: which rule stops it — all places
  taken by higher-ranked applications ("outranked"), the budget ("outranked within the budget"), or
  a cap ("excluded by the cap on industry Fashion / Mode (3 already selected)");
* for a *ranking deviation* — an eligible application ranked above a selected one but left out —
  the rule(s) that make the swap with each lower-ranked selected application impossible, and the
  cost of forcing it in: the program is re-solved with it forced in, ``cost_to_include`` is the
  total value lost and ``would_leave`` who would make room (a what-if in the sense of sensitivity
  analysis of integer programs; Greenberg, H. J. (1998). An annotated bibliography for
  post-solution analysis in mixed integer programming. In *Advances in Computational and
  Stochastic Optimization*, Kluwer, 97-148. doi:10.1007/978-1-4757-2847-0_4).

The checks use running totals per rule (one pass over the selection), so explaining a
20,000-application stage stays linear in the number of applications and rules.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence

import numpy as np
import pandas as pd

from selection.danish import num
from selection.select.program import (
    Rule,
    StageInput,
    StageOutcome,
    solve_with_ties,
    stage_milp,
    tie_weights,
)
from selection.vocabulary import Currency

__all__ = ["SELECTION_COLUMNS", "explain_selection", "forced_in_value"]

#: ``eligible`` is false when the application may not be selected in this stage at all (below a
#: threshold, over the regional-share cap, forced out, or not chosen in the earlier stage).
#: ``reason_da`` is ``reason`` in Danish, built from the same facts.
SELECTION_COLUMNS = ["application_id", "rank", "value", "selected", "reason", "cost_to_include", "would_leave",
                     "eligible", "reason_da"]

#: ``resolve(a)`` -> (objective with ``a`` forced in, selection) or ``None`` if impossible.
Resolver = Callable[[str], "tuple[float, tuple[str, ...]] | None"]


def forced_in_value(inp: StageInput, a: str, solver: str) -> tuple[float, tuple[str, ...]] | None:
    """Re-solve the stage with ``a`` forced in (same rules, same tie pass)."""
    from selection.select.program import build_rules

    ids = list(inp.values)
    m = stage_milp(inp, build_rules(inp), ids)
    m.lower[ids.index(a)] = 1.0
    values = np.array([inp.values[b] for b in ids], dtype=float)
    found = solve_with_ties(m, values, tie_weights(inp, ids), solver, what=f"stage {inp.stage.number} what-if")
    if found is None:
        return None
    x, obj = found
    return obj, tuple(sorted((b for i, b in enumerate(ids) if x[i] > 0.5), key=lambda b: inp.ranks[b]))


class _Usage:
    """Each rule's left-hand side for the current selection, and which rules each application is in."""

    def __init__(self, rules: Sequence[Rule], selected: Sequence[str]):
        self.rules = [r for r in rules if r.kind != "forced"]
        self.lhs = [r.lhs(selected) for r in self.rules]
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
            if (r.sense == "<=" and new > r.rhs + 1e-9) or (r.sense == ">=" and new < r.rhs - 1e-9):
                out.append((r, new, self.lhs[k]))
        return out


#: A reason in English and in Danish, built from the same facts.
Words = tuple[str, str]


def _join(parts: Sequence[Words], sep: str = "; ") -> Words:
    return sep.join(p[0] for p in parts), sep.join(p[1] for p in parts)


def _phrase(r: Rule, new: float, before: float, add: str, remove: str | None, lead: bool = False) -> Words:
    desc_da = r.description_da or r.description
    if r.kind == "count":
        return f"all {r.rhs:g} places are taken", f"alle {num(r.rhs)} pladser er optaget"
    if r.unit != "applications":
        if r.kind == "share":  # an exact integer row: say which share it is, not its scaled amount
            what, what_da = f"\"{r.description}\" would be broken", f"\"{desc_da}\" ville blive brudt"
        else:
            what = f"\"{r.description}\" would be exceeded by {new - r.rhs:,.0f} {r.unit}"
            what_da = f"\"{desc_da}\" ville blive overskredet med {Currency(code=r.unit).format(new - r.rhs, 'da')}"
        return (("outranked within the budget: " if lead else "the budget ") + what,
                ("overgået inden for budgettet: " if lead else "budgettet ") + what_da)
    if r.sense == "<=":
        return (f"excluded by the cap on {r.label or 'its group'} "
                f"(at most {r.rhs:g}; {before:g} already selected)",
                f"udelukket af loftet for {r.label_da or r.label or 'sin gruppe'} "
                f"(højst {num(r.rhs)}; {num(before)} allerede udvalgt)")
    because = f" ({r.reason})" if r.reason else ""
    return (f"without {remove}, \"{r.description}\" would fail" + because,
            f"uden {remove} ville \"{desc_da}\" ikke være opfyldt" + because)


def _outside_reason(u: _Usage, a: str) -> Words:
    broken = u.broken(a)
    if not broken:
        return ("not selected: a better-valued selection exists within the rules",
                "ikke udvalgt: der findes en udvælgelse med højere værdi inden for reglerne")
    count = [b for b in broken if b[0].kind == "count"]
    parts = [(f"outranked: all {count[0][0].rhs:g} places went to higher-ranked applications",
              f"overgået: alle {num(count[0][0].rhs)} pladser gik til højere rangerede ansøgninger")] \
        if count else []
    money = [b for b in broken if b[0].unit != "applications"]
    parts += [_phrase(*b, a, None, lead=not count and k == 0) for k, b in enumerate(money)]
    parts += [_phrase(*b, a, None) for b in broken if b[0].kind == "group"]
    return _join(parts)


def _deviation_reason(u: _Usage, inp: StageInput, outcome: StageOutcome, a: str) -> Words:
    lower = [b for b in outcome.selected if inp.ranks[b] > inp.ranks[a]]
    groups: dict[Words, list[str]] = {}
    for b in sorted(lower, key=lambda b: -inp.ranks[b]):
        broken = [x for x in u.broken(a, b) if x[0].kind != "count"]
        if broken:
            key = _join([_phrase(r, new, before, a, b) for r, new, before in broken])
        else:
            delta = inp.values[b] - inp.values[a]
            key = (f"it keeps every rule but lowers the total value by {delta:.4g}",
                   f"byttet overholder alle regler, men sænker den samlede værdi med {num(delta, '.4g')}") \
                if delta > 0 else ("it keeps every rule but is not better in value",
                                   "byttet overholder alle regler, men er ikke bedre i værdi")
        groups.setdefault(key, []).append(b)
    parts = []
    for (en, da), bs in list(groups.items())[:4]:
        more = len(bs) - 3
        parts.append((f"instead of {' or '.join(bs[:3])}" + (f" (and {more} more)" if more > 0 else "") + f": {en}",
                      f"i stedet for {' eller '.join(bs[:3])}" + (f" (og {more} flere)" if more > 0 else "")
                      + f": {da}"))
    if len(groups) > 4:
        parts.append((f"({len(groups) - 4} more kinds of swap)", f"({len(groups) - 4} andre slags bytte)"))
    en, da = _join(parts)
    return "ranking deviation: " + en, "rangafvigelse: " + da


def explain_selection(inp: StageInput, outcome: StageOutcome, solver: str, *,
                      resolve: Resolver | None = None, forced_in: dict[str, str] | None = None,
                      deviation_note: str = "", base_objective: float | None = None,
                      cost_unit: str = "total value", deviation_note_da: str = "",
                      cost_unit_da: str = "samlet værdi") -> pd.DataFrame:
    """One row per ranked application with :data:`SELECTION_COLUMNS`, in rank order.

    ``resolve(a)`` gives the objective and the selection when ``a`` is forced in (default: the
    stage's own program re-solved); ``cost_to_include`` is ``outcome.objective`` minus that
    objective (``inf`` when no rule-abiding selection can include it). ``base_objective`` replaces
    ``outcome.objective`` when ``resolve`` measures another goal (linked mode: stage-2 value).
    ``reason_da`` is the Danish twin of ``reason`` (``deviation_note_da`` and ``cost_unit_da``
    are the Danish twins of ``deviation_note`` and ``cost_unit``).
    """
    base = outcome.objective if base_objective is None else base_objective
    resolve = resolve or (lambda a: forced_in_value(inp, a, solver))
    forced_in = forced_in or {f.application: f.reason for f in inp.stage.forced if f.include}
    chosen = set(outcome.selected)
    worst = max((inp.ranks[a] for a in chosen), default=0)
    u = _Usage(outcome.rules, outcome.selected)
    rows = []
    for a in sorted(inp.values, key=lambda b: inp.ranks[b]):
        cost, leave = math.nan, ""
        if a in chosen:
            reason, reason_da = (f"selected (forced in: {forced_in[a]})", f"udvalgt (tvunget ind: {forced_in[a]})") \
                if a in forced_in else ("selected", "udvalgt")
        elif a in inp.excluded:
            reason, reason_da = inp.excluded[a], inp.excluded_da.get(a, inp.excluded[a])
        elif inp.ranks[a] < worst:
            reason, reason_da = _deviation_reason(u, inp, outcome, a)
            reason += deviation_note
            reason_da += deviation_note_da or deviation_note
            alt = resolve(a)
            if alt is not None and math.isnan(alt[0]):
                pass  # costs not requested
            elif alt is None:
                cost = math.inf
                reason += "; no selection that respects every rule can include it"
                reason_da += "; ingen udvælgelse, der overholder alle regler, kan omfatte den"
            else:
                cost = round(base - alt[0], 9)
                leaving = [b for b in outcome.selected if b not in alt[1]]
                leave = " ".join(leaving)
                reason += f"; forcing it in costs {cost:.4g} in {cost_unit}" + \
                    (f" ({', '.join(leaving)} would leave)" if leaving else "")
                reason_da += f"; at tvinge den ind koster {num(cost, '.4g')} i {cost_unit_da}" + \
                    (f" ({', '.join(leaving)} ville udgå)" if leaving else "")
        else:
            reason, reason_da = _outside_reason(u, a)
        rows.append((a, inp.ranks[a], float(inp.values[a]), a in chosen, reason, cost, leave,
                     a not in inp.excluded, reason_da))
    return pd.DataFrame(rows, columns=SELECTION_COLUMNS)
