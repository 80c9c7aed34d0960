"""The selection integer program for one stage (CBC by default, HiGHS in-process optional).

maximise    sum_i v_i x_i
subject to  sum_i x_i <= K                                  (at most K selected)
            sum_i c_i x_i <= B                              (stage budget, c_i the stage's cost)
            sum_i t_i x_i <= T                              (funded phase: total budget per year)
            sum_{i in G} x_i >= / <= / = n                  (group floors, caps, exact counts)
            x_i = 1 / 0                                     (forced in / out)
            x_i = 0 for ineligible i                        (thresholds, regional share > cap,
                                                             not selected in the earlier stage)
            x_i in {0, 1}

The program is a multiple-constraint 0-1 knapsack with cardinality and generalised upper/lower
bound rows (Kellerer, H., Pferschy, U. & Pisinger, D. (2004). *Knapsack Problems*. Springer.
doi:10.1007/978-3-540-24777-7). It is solved exactly (zero optimality gap); the selection found is
then checked against every rule in exact arithmetic.

Ties between optimal selections are broken lexicographically by rank: among the optimal
selections, the one whose best-ranked differing application ranks higher (:func:`solve_with_ties`).
With HiGHS this is usually proved without branch and bound, by one LP relaxation's Lagrangian bound
and an exact listing of every selection it leaves possible
(:class:`~selection.select.milp.LexCore`); otherwise one exact solve of the value and the rank sum
is followed by sequential fixing of the candidates in rank order (:func:`lex_refine`). The result is
the same for every solver and version.

When no selection satisfies every rule, :func:`explain_infeasible` names the rules that conflict
(an irreducible infeasible subset, found with the deletion filter of Chinneck, J. W. &
Dravnieks, E. W. (1991). Locating minimal infeasible constraint sets in linear programs. *ORSA
Journal on Computing* 3(2), 157-168. doi:10.1287/ijoc.3.2.157) and by how much the closest
selection misses them (an elastic program minimising the total normalised slack; Chinneck, J. W.
(2008). *Feasibility and Infeasibility in Optimization*. Springer. doi:10.1007/978-0-387-74932-7).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from selection.errors import InfeasibleError, Problem, SolverError
from selection.model import Application, ShareRule, Stage
from selection.select.milp import (
    SOLVERS,
    LexCore,
    Milp,
    MilpSolution,
    check_solver,
    lp_point,
    lp_reduced_costs,
    solve_milp,
)
from selection.vocabulary import BUILTIN_GROUPS, Attribute, attribute_values

__all__ = ["Rule", "StageInput", "StageOutcome", "build_rules", "solve_stage", "solver_versions",
           "SOLVERS", "explain_infeasible", "stage_milp", "rule_text", "group_label", "rule_text_da",
           "group_label_da", "grant_amounts"]

#: Rules with more rows than this get the elastic explanation only (no deletion filter).
MAX_RULES_FOR_IIS = 80


@dataclass(frozen=True)
class Rule:
    """One linear row of the program, in words: ``sum coef_i x_i  sense  rhs``.

    ``kind`` is ``"count"``, ``"budget"``, ``"total_budget"``, ``"group"`` or ``"forced"``;
    ``reason`` is the call's own justification of the rule (e.g. "§7 priority for the focus
    areas"); ``label`` names the group in words (e.g. "industry Fashion / Mode").
    ``description_da`` and ``label_da`` are the Danish twins (empty: none given).
    """

    name: str
    description: str
    coefs: Mapping[str, float]
    sense: str  # "<=" or ">="
    rhs: float
    unit: str = "applications"  # or the call's currency code ("DKK", "EUR")
    kind: str = "group"
    reason: str = ""
    label: str = ""
    description_da: str = ""
    label_da: str = ""
    reason_da: str = ""  # the call's justification in Danish (empty: ``reason`` serves both)
    source: int | None = None  # index of the call's constraint this row comes from
    if_available: bool = False  # a floor lowered to the eligible members (``if_available = true``)

    def lhs(self, selected: Sequence[str] | frozenset[str]) -> float:
        """``sum coef_i`` over the selected applications (exact, :func:`math.fsum`).

        Pass a set when calling for many rules: a short rule is then summed over its own
        members instead of over the whole selection.
        """
        if isinstance(selected, (set, frozenset)) and len(self.coefs) < len(selected):
            return math.fsum(c for a, c in self.coefs.items() if a in selected)
        return math.fsum(self.coefs.get(a, 0.0) for a in selected)

    def slack(self, selected: Sequence[str] | frozenset[str]) -> float:
        v = self.lhs(selected)
        return self.rhs - v if self.sense == "<=" else v - self.rhs

    def amount(self, x: float) -> str:
        """``x`` in this rule's unit, in words."""
        if self.unit != "applications":
            return f"{x:,.0f} {self.unit}"
        k = round(x) if abs(x - round(x)) < 1e-9 else x
        return f"{k:g} application{'s' if k != 1 else ''}"


@dataclass(frozen=True)
class StageInput:
    """Everything one stage's program needs: candidates with values and ranks, and exclusions."""

    stage: Stage
    applications: Mapping[str, Application]
    values: Mapping[str, float]
    ranks: Mapping[str, int]
    #: id -> why it may not be selected: a :class:`~selection.decisions.Decision` (or, from older
    #: callers, a sentence; ``excluded_da`` then holds its Danish twin)
    excluded: Mapping[str, object] = field(default_factory=dict)
    excluded_da: Mapping[str, str] = field(default_factory=dict)  # the same reasons in Danish


@dataclass(frozen=True)
class StageOutcome:
    """The optimal selection of a stage, the rules it was chosen under and those that bind.

    ``note`` says how the selection was made when not by this stage's program alone (linked mode).
    """

    stage: int
    selected: tuple[str, ...]
    objective: float
    rules: tuple[Rule, ...]
    binding: tuple[str, ...]
    solver: str
    note: str = ""
    linked_value: float | None = None  # linked mode: the later stage's value this selection promises
    #: partial funding (the stage's ``partial_funding``): application id -> amount granted, for
    #: every selected application (``None``: the stage grants what was requested)
    granted: Mapping[str, int] | None = None
    #: partial funding: rule name -> its sum over the selection at the granted amounts (the rows
    #: themselves read the lowest amounts; this is what the selection actually uses of each)
    granted_use: Mapping[str, float] | None = None

    def used(self, rule: Rule) -> float:
        """What the selection uses of ``rule``: at the granted amounts with partial funding."""
        if self.granted_use is not None and rule.name in self.granted_use:
            return self.granted_use[rule.name]
        return rule.lhs(frozenset(self.selected))


def _lower(name: str) -> str:
    """``Focus area`` -> ``focus area``; ``IT`` stays ``IT``."""
    return name if name[:2].isupper() else name[:1].lower() + name[1:]


def group_label(group: str, value: str, declared: Attribute | None = None) -> str:
    """A group value in words, from the call's declared labels: ``industry Fashion / Mode``
    (the value's English / Danish label), ``rural/peripheral``, ``lead organisation X``."""
    if group in BUILTIN_GROUPS:
        return BUILTIN_GROUPS[group][1] if group == "any" else f"{BUILTIN_GROUPS[group][1]} {value}"
    if declared is None:
        return f"{group} {value}"
    if declared.type == "yes_no":
        return _lower(declared.label_en) if value == "true" else f"not {_lower(declared.label_en)}"
    en, da = declared.value_label(value, "en"), declared.value_label(value, "da")
    return f"{_lower(declared.label_en)} {en}" + (f" / {da}" if da != en else "")


def group_label_da(group: str, value: str, declared: Attribute | None = None) -> str:
    """A group value in Danish words, in the definite form the call declares: ``branchen Mode``,
    ``fokusområdet Turisme``, ``hovedansøgeren X``."""
    if group == "any":
        return BUILTIN_GROUPS[group][0]
    if group == "lead_organisation":
        return f"hovedansøgeren {value}"
    if declared is None:
        return f"{group} {value}"
    if declared.type == "yes_no":
        return _lower(declared.label_da) if value == "true" else f"ikke {_lower(declared.label_da)}"
    return f"{declared.label_da_definite or _lower(declared.label_da)} {declared.value_label(value, 'da')}"


_KIND_DA = {"at_least": "mindst", "at_most": "højst", "exactly": "præcis"}


def rule_text_da(kind: str, count: int, group: str, value: str, declared: Attribute | None = None) -> str:
    """``mindst 1 udvalgt i fokusområde Turisme`` and the like (Danish twin of :func:`rule_text`)."""
    words = _KIND_DA.get(kind, kind.replace("_", " "))
    if group == "any":
        return f"{words} {count} udvalgt"
    if group == "lead_organisation":
        return f"{words} {count} udvalgt pr. hovedansøger ({value})"
    return f"{words} {count} udvalgt i {group_label_da(group, value, declared)}"


def rule_text(kind: str, count: int, group: str, value: str, declared: Attribute | None = None) -> str:
    """``at least 1 selected in focus area Tourism / Turisme``, ``at least 1 rural/peripheral
    selected`` (a yes/no attribute) and the like."""
    words = kind.replace("_", " ")
    if group == "any":
        return f"{words} {count} selected"
    if declared is not None and declared.type == "yes_no":
        return f"{words} {count} {group_label(group, value, declared)} selected"
    return f"{words} {count} selected in {group_label(group, value, declared)}"


def _group_values(group: str, candidates: Sequence[Application], declared: Attribute | None = None,
                  by_value: Mapping[str, object] | None = None) -> list[str]:
    """The values of ``group`` to make rows for: the declared ones, else those the candidates have
    (``by_value``: the candidates' members by value, :func:`_members_by_value`, when made already)."""
    if group == "any":
        return ["*"]
    if declared is not None and declared.value_ids():
        return declared.value_ids()
    if by_value is not None:
        return sorted(by_value)
    return sorted({v for a in candidates for v in a.group_values(group)})


def money_cap_rules(inp: StageInput) -> list[Rule]:
    """One budget row per ``money_caps`` entry: ``sum_i (sum of its amounts) x_i <= at_most``
    (e.g. a budget per year and one over the period)."""
    st, cur = inp.stage, inp.stage.currency
    out = []
    for k, mc in enumerate(st.money_caps):
        coefs = {a: float(sum(st.amount(inp.applications[a], b, lowest=True) for b in mc.of)) for a in inp.values}
        out.append(Rule(f"money_cap[{k}]", f"{mc.name_en} within {cur.format(mc.at_most)}",
                        {a: c for a, c in coefs.items() if c}, "<=", mc.at_most, cur.code, kind="budget",
                        reason=mc.reason, description_da=f"{mc.name_da} inden for {cur.format(mc.at_most, 'da')}"))
    return out


def count_rules(inp: StageInput) -> list[Rule]:
    """One count row per ``count_rules`` entry (and sense): ``sum x_i <= at_most`` (``>= at_least``)
    over the applications whose amounts in ``with_money_in`` sum above zero, e.g. at most 5
    partnerships with money in 2014."""
    st = inp.stage
    out = []
    for k, cr in enumerate(st.count_rules):
        members = {a: 1.0 for a in inp.values
                   if sum(st.amount(inp.applications[a], b) for b in cr.with_money_in) > 0}
        label, label_da = cr.name_en, cr.name_da
        for sense, n, words, words_da in (("<=", cr.at_most, "at most", "højst"),
                                           (">=", cr.at_least, "at least", "mindst")):
            if n is None or (sense == "<=" and len(members) <= n) or (sense == ">=" and n == 0):
                continue  # cannot bind
            out.append(Rule(f"count_rule[{k}]" + (":max" if sense == "<=" else ":min"),
                            f"{words} {n} selected among {label}", members, sense, n, kind="group",
                            reason=cr.reason, label=label, label_da=label_da,
                            description_da=f"{words_da} {n} udvalgt blandt {label_da}"))
    return out


def exclusive_rules(inp: StageInput) -> list[Rule]:
    """One row ``sum x_i <= 1`` per set of mutually exclusive applications (the stage's
    ``mutually_exclusive``), over those of them that are candidates."""
    out = []
    for k, ex in enumerate(inp.stage.mutually_exclusive):
        members = {a: 1.0 for a in ex.applications if a in inp.values}
        if len(members) < 2:
            continue
        names = ", ".join(members)
        out.append(Rule(f"exclusive[{k}]", f"at most 1 of {names}", members, "<=", 1, kind="group",
                        reason=ex.reason, label=f"the mutually exclusive {names}",
                        description_da=f"højst 1 af {names}", label_da=f"de gensidigt udelukkende {names}"))
    return out


_BASIS = {"cost": ("cost", "omkostning"), "grant": ("requested grants", "ansøgte tilskud"),
          "regional_cofinancing_per_year": ("regional co-financing per year", "regional medfinansiering pr. år"),
          "total_budget_per_year": ("total budgets per year", "samlede budgetter pr. år")}


def share_rules(inp: StageInput) -> list[Rule]:
    """Money shares (the stage's ``shares``) as exact integer rows.

    ``Σ_{i in G} a_i x_i <= s Σ_i b_i x_i`` with ``s = p/q`` (the cap plus its tolerance) is
    written ``Σ_i (q [i in G] a_i - p b_i) x_i <= 0``: integer coefficients, so a selection exactly
    at the cap (7.5 of 22.5 M against 1/3) is kept exactly. A floor (``min_share``) is the same
    row with ``>=`` and the value minus its tolerance.
    """
    st = inp.stage
    out = []
    cand = [inp.applications[a] for a in inp.values]
    for k, sh in enumerate(st.shares):
        if sh.group is None:
            values: list[str | None] = [None]
        elif sh.value is not None:
            values = [sh.value]
        else:  # one row per value of the group (e.g. "at most half of the money to any one topic")
            values = [v for v in _group_values(sh.group, cand, sh.declared) if v != "*"]
        for v in values:
            out.append(_share_rule(inp, sh, v, f"share[{k}]" + (f":{sh.group}={v}" if sh.value is None and v else "")))
    return out


def _share_rule(inp: StageInput, sh: ShareRule, value: str | None, name: str) -> Rule:
    st = inp.stage
    sense = "<=" if sh.kind == "max_share" else ">="
    lim = sh.share.limit("max" if sh.kind == "max_share" else "min")
    p, q = lim.numerator, lim.denominator
    coefs = {}
    for a in (inp.applications[b] for b in inp.values):
        member = sh.group is None or value in a.group_values(sh.group)
        c = (q * st.amount(a, sh.of, lowest=True) if member else 0) - p * st.amount(a, sh.within, lowest=True)
        if c:
            coefs[a.id] = float(c)
    of_en, of_da = _BASIS.get(sh.of, (sh.of, sh.of))
    if sh.group is not None and value is not None:
        of_en = f"{of_en} to {group_label(sh.group, value, sh.declared)}"
        of_da = f"{of_da} til {group_label_da(sh.group, value, sh.declared)}"
    within_en, within_da = _BASIS.get(sh.within, (sh.within, sh.within))
    words = "at most" if sense == "<=" else "at least"
    words_da = "højst" if sense == "<=" else "mindst"
    share = str(sh.share)
    return Rule(name, f"{of_en} {words} {share} of {within_en} (over the selection)",
                coefs, sense, 0, st.currency.code, kind="share", reason=sh.reason,
                label=of_en, label_da=of_da,
                description_da=f"{of_da} {words_da} {share.replace('.', ',')} af {within_da} "
                               "(samlet for de udvalgte)")


def _members_by_value(group: str, cand: Sequence[Application],
                      ids: Sequence[str] | None = None) -> dict[str, dict[str, float]]:
    """Group value -> its members (id -> 1.0, in the order of ``cand``): each application's
    :meth:`~selection.model.Application.group_values`, worked out once per distinct attribute value
    (20,000 applications share a few hundred) where equal keys give equal values: text, whole
    numbers, yes/no and floats keyed with their type (``True`` and ``1`` are equal keys but give
    ``"true"`` and ``"1"``), a set of texts by its items; any other value on its own."""
    by_value: dict[str, dict[str, float]] = {}
    if group == "any":
        for a in cand:
            for v in a.group_values(group):
                by_value.setdefault(v, {})[a.id] = 1.0
        return by_value
    lead = group == "lead_organisation"  # one text per application: its group is {lead_organisation}
    raws: list[Any] = [a.lead_organisation if lead else a.attributes.get(group) for a in cand]
    kinds = set(map(type, raws)) - {type(None)}
    distinct: list[frozenset[str]] = []  # the distinct group values' sets
    if lead and set(map(type, raws)) != {str}:
        raws, kinds = [a.group_values(group) for a in cand], {frozenset}  # the sets themselves
    if len(kinds) == 1 and kinds <= {str, bool, int, frozenset}:
        # one type of value (equal values give equal groups; None -> code -1, no group): factorised in C
        import pandas as pd  # here: the program's module is imported without pandas

        held = np.empty(len(raws), dtype=object)
        held[:] = raws
        codes, uniques = pd.factorize(held, use_na_sentinel=True)
        distinct = [frozenset({u}) if lead and type(u) is str else attribute_values(None, u) for u in uniques.tolist()]
        if all(type(v) is str for u in uniques.tolist() if type(u) is frozenset for v in u):  # {1} == {1.0}
            distinct.append(frozenset())  # code -1: no value
            which = np.where(codes < 0, len(distinct) - 1, codes).tolist()
        else:
            distinct = []
    if not distinct:
        seen: dict[tuple, int] = {}
        which = []  # per application: its set in ``distinct``
        for a, raw in zip(cand, raws, strict=True):
            kind = type(raw)
            key: tuple | None = None
            if kind is str or kind is bool or kind is int or kind is float or raw is None:
                key = (kind, raw)
            elif kind is frozenset and all(type(v) is str for v in raw):
                key = (kind, raw)
            k = seen.get(key) if key is not None else None
            if k is None:
                k = len(distinct)
                distinct.append(a.group_values(group))
                if key is not None:
                    seen[key] = k
            which.append(k)
    # (application, value) pairs in application order, grouped by value with one stable sort
    names: dict[str, int] = {}
    flat = [names.setdefault(v, len(names)) for vals in distinct for v in vals]
    sizes = np.array([len(vals) for vals in distinct], dtype=np.int64)
    starts = np.cumsum(sizes) - sizes
    own = np.asarray(which, dtype=np.int64)
    count = sizes[own] if len(own) else np.zeros(0, dtype=np.int64)
    owner = np.repeat(np.arange(len(own)), count)
    first = np.repeat(np.cumsum(count) - count, count)
    value = np.asarray(flat, dtype=np.int64)[np.repeat(starts[own], count) + (np.arange(len(owner)) - first)] \
        if len(owner) else np.zeros(0, dtype=np.int64)
    order = np.argsort(value, kind="stable")
    held_ids = np.empty(len(cand), dtype=object)
    held_ids[:] = [a.id for a in cand] if ids is None else ids  # ``ids``: the applications' ids, if known
    members = held_ids[owner[order]].tolist()
    bounds = np.searchsorted(value[order], np.arange(len(names) + 1)).tolist()
    for v, j in names.items():
        by_value[v] = dict.fromkeys(members[bounds[j]:bounds[j + 1]], 1.0)
    return by_value


def build_rules(inp: StageInput) -> list[Rule]:
    """The program's rows for a stage, each with a plain-words description.

    Group rules without a ``value`` expand to one row per value of the group; caps that cannot
    bind (fewer members than the cap) are left out. ``exactly`` expands to a floor and a cap
    (names ending ``:min`` and ``:max``). ``if_available`` floors are lowered to the number of
    eligible members, and dropped when that is zero.
    """
    st = inp.stage
    cand = [inp.applications[a] for a in inp.values]
    ids = [a.id for a in cand]
    rules = [Rule("max_selected", f"at most {st.max_selected} selected", dict.fromkeys(ids, 1.0), "<=",
                  st.max_selected, kind="count", description_da=f"højst {st.max_selected} udvalgt")]
    cur = st.currency
    if st.budget is not None:
        what = "requested grants" if st.budget_basis == "grant" else "regional co-financing per year"
        what_da = "ansøgte tilskud" if st.budget_basis == "grant" else "regional medfinansiering pr. år"
        if st.fixed_costs:  # e.g. "+ Springboard 37,500 + effect-measurement design 45,000 per selected"
            what += " + " + " + ".join(f"{f.name_en} {f.amount:,}" for f in st.fixed_costs) + " per selected"
            what_da += " + " + " + ".join(f"{f.name_da} {cur.format(f.amount, 'da')}"
                                          for f in st.fixed_costs) + " pr. udvalgt"
        if st.partial_funding is not None:  # the program reads every reducible amount at its lowest
            what += f" (each at its lowest: {st.partial_funding.describe()})"
            what_da += f" (regnet med det laveste beløb: {st.partial_funding.describe('da')})"
        fixed = st.fixed_cost  # st.cost(a, lowest=True), with the stage's fixed costs summed once
        cost = {a.id: float((st.lowest_funded(a) if st.partial_funding is not None else st.funded(a)) + fixed)
                for a in cand}
        rules.append(Rule("budget", f"{what} within {cur.format(st.budget)}",
                          cost, "<=", st.budget, cur.code, kind="budget",
                          description_da=f"{what_da} inden for {cur.format(st.budget, 'da')}"))
    if st.total_budget_cap_per_year is not None:
        rules.append(Rule("total_budget",
                          f"total partnership budgets within {cur.format(st.total_budget_cap_per_year)} per year",
                          {a.id: float(a.total_budget_per_year) for a in cand}, "<=",
                          st.total_budget_cap_per_year, cur.code, kind="total_budget",
                          description_da=f"samlede partnerskabsbudgetter inden for "
                                         f"{cur.format(st.total_budget_cap_per_year, 'da')} pr. år"))
    eligible = {a for a in ids if a not in inp.excluded}
    index: dict[str, dict[str, dict[str, float]]] = {}  # group -> value -> members (one pass)
    for k, c in enumerate(st.constraints):
        if c.group not in index:
            index[c.group] = _members_by_value(c.group, cand, ids)
        values = [c.value] if c.value is not None else _group_values(c.group, cand, c.declared, index[c.group])
        parts = {"at_least": [(">=", "")], "at_most": [("<=", "")],
                 "exactly": [(">=", ":min"), ("<=", ":max")]}[c.kind]
        for v in values:
            found = index[c.group].get(v, {})
            members: dict[str, float] | None = None  # the row's copy, made for a row that is kept
            for sense, suffix in parts:
                count = c.count
                if sense == ">=" and c.if_available:
                    count = min(count, len(found.keys() & eligible))  # members are distinct
                    if count == 0:
                        continue
                if sense == ">=" and count == 0:
                    continue
                if sense == "<=" and len(found) <= count:
                    continue  # cannot bind (e.g. a cap per lead organisation: 20,000 values, one member each)
                if members is None:
                    members = dict(found)
                    label = group_label(c.group, v, c.declared)
                    base = f"constraint[{k}]:{c.group}={v}"
                words = c.kind if c.kind != "exactly" or count == c.count else "at_least"
                desc = rule_text(words, count, c.group, v, c.declared)
                rules.append(Rule(base + suffix, desc, members, sense, count, kind="group",
                                  reason=c.reason, label=label, reason_da=c.reason_da,
                                  description_da=rule_text_da(words, count, c.group, v, c.declared),
                                  label_da=group_label_da(c.group, v, c.declared),
                                  source=k, if_available=bool(c.if_available and sense == ">=")))
    rules += exclusive_rules(inp) + share_rules(inp) + money_cap_rules(inp) + count_rules(inp)
    for f in st.forced:
        if f.application in inp.values:
            rules.append(Rule(f"forced:{f.application}",
                              f"{f.application} forced {'in' if f.include else 'out'} ({f.reason})",
                              {f.application: 1.0}, ">=" if f.include else "<=", 1 if f.include else 0,
                              kind="forced", reason=f.reason, reason_da=f.reason_da,
                              description_da=f"{f.application} {'udvalgt' if f.include else 'udelukket'} ved "
                                             f"beslutning ({f.reason_da or f.reason})"))
    return rules


def solver_versions() -> dict[str, str]:
    """Versions of the MILP modeller and solvers, for run manifests."""
    import warnings
    from importlib import metadata

    import pulp

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", DeprecationWarning)
        cbc = pulp.PULP_CBC_CMD()
        out = {"pulp": pulp.__version__, "cbc": f"bundled with pulp ({'available' if cbc.available() else 'missing'})"}
    try:
        out["highs"] = f"highspy {metadata.version('highspy')}"
    except metadata.PackageNotFoundError:  # pragma: no cover
        out["highs"] = "highspy not installed"
    return out


def stage_milp(inp: StageInput, rules: Sequence[Rule], ids: Sequence[str] | None = None,
               offset: int = 0, m: Milp | None = None) -> Milp:
    """Add one binary per application of ``ids`` (default: ``inp.values``), the objective
    ``sum v_i x_i`` and ``rules`` to ``m`` (a new maximisation program by default).

    Variables are numbered ``offset + position in ids``; excluded applications get upper bound 0.
    """
    ids = list(inp.values) if ids is None else list(ids)
    m = m if m is not None else Milp(maximize=True)
    pos = {a: offset + i for i, a in enumerate(ids)}
    values = np.array([inp.values[a] for a in ids], dtype=float)
    upper = np.array([0.0 if a in inp.excluded else 1.0 for a in ids])
    first = m.add_vars(len(ids), cost=values, upper=upper)
    assert first == offset, "variables must be added in order"  # programming error, not user input
    for r in rules:
        idx: list = list(map(pos.get, r.coefs))  # one C pass; a member outside ``ids`` gives None
        val = list(r.coefs.values())
        if None in idx:
            items = [(pos[a], c) for a, c in r.coefs.items() if a in pos]
            idx = [i for i, _ in items]
            val = [c for _, c in items]
        if r.sense == "<=":
            m.add_row(idx, val, upper=r.rhs)
        else:
            m.add_row(idx, val, lower=r.rhs)
    return m


def _chosen(x: np.ndarray, ids: Sequence[str], offset: int = 0) -> list[str]:
    return [a for i, a in enumerate(ids) if x[offset + i] > 0.5]


def tie_weights(inp: StageInput, ids: Sequence[str]) -> np.ndarray:
    """``n + 1 - rank``: the tie rule's priority, higher for higher-ranked applications (the
    first pass maximises it as a rank sum; :func:`lex_refine` then makes it lexicographic)."""
    n = len(ids)
    return np.array([float(n + 1 - inp.ranks[a]) for a in ids])


# No start solution (incumbent) is ever offered to the solver here: HiGHS 1.16, given an earlier
# phase's optimum as a start, was seen to stop at it and report it optimal although a better point
# existed (caught by brute force in ``selection assign``). A wrong "optimal" would break the tie
# rule silently, so every solve starts cold (tests/select/test_scale.py checks that no solve of a
# stage, a what-if, linked mode or a diagnosis passes a start).

#: Two selections whose values differ by at most this (relative to ``max(1, |best|)``) are tied
#: when the values are not on an integer grid (on a grid, ties are exact integer equality).
TIE_TOLERANCE = 1e-9


def solve_with_ties(m: Milp, values: np.ndarray, tie: np.ndarray, solver: str, *,
                    what: str, core: bool = True) -> tuple[np.ndarray, float] | None:
    """Maximise ``values.x`` over ``m`` exactly, then pick among the optimal points by the tie rule.

    The tie rule is lexicographic by rank: among the selections of optimal value, the one whose
    best-ranked differing application ranks higher (``tie`` gives the priority of the first
    ``len(values)`` variables, higher first). A first solve maximises the value and, among equal
    values, the rank sum; :func:`lex_refine` then proves (usually with one feasibility solve) that
    no optimal selection is lexicographically better, or finds it. The result is the same for
    every solver and version.

    With HiGHS and values on an integer grid, the answer is first sought without branch and bound
    (:class:`~selection.select.milp.LexCore`: one LP relaxation, then every point its dual bound
    leaves possible is listed and checked exactly, so the optimum and the tie rule are proved
    together); only when that listing would be too long (or ``core`` is false) do the solves below
    run. CBC always solves in full, as an independent cross-check.

    Returns the 0-1 point and its exact value (:func:`math.fsum`), or ``None`` when infeasible.
    """
    k = len(values)
    first = m.copy()
    grid = integer_grid(values)
    cost = np.round(values * grid) if grid else values
    if core and solver == "highs" and grid is not None and float(np.sum(np.abs(cost))) < 2.0 ** 50:
        proved = LexCore(m, np.r_[cost, np.zeros(m.n - k)],
                         np.argsort(-np.asarray(tie, dtype=float), kind="stable")).solve()
        if proved is not None:
            xc = proved[1]
            if xc is None:  # every point listed, none keeps every row
                return None
            return xc, math.fsum(values[xc[:k] > 0.5])
    big = float(np.sum(np.sort(np.abs(tie))[::-1][:max(1, int(min(k, _cardinality(m, k))))])) + 1.0
    single = grid is not None and np.all(tie == np.round(tie)) and \
        float(np.sum(np.abs(cost))) * big < 2.0 ** 40
    # Integer values on a grid: one exact solve of  big * V_i + tie_i  (lexicographic by
    # construction, since the tie part of any selection is < big) replaces the two passes.
    first.cost = list(cost * big + tie if single else cost) + [0.0] * (m.n - k)
    first.maximize = True
    sol = _integral_lp(first) if single else None  # an integral LP optimum is the 0-1 optimum
    sol = sol or solve_milp(first, solver)
    if sol.status == "infeasible":
        return None
    if sol.status != "optimal":
        raise SolverError(f"{what}: the solver {solver} ended with status {sol.status}")
    x1 = np.round(sol.x)
    best = math.fsum(values[x1[:k] > 0.5])
    if not single:
        second = m.copy()
        second.cost = list(tie) + [0.0] * (m.n - k)
        second.maximize = True
        _optimal_row(second, values, best)
        sol2 = solve_milp(second, solver)  # cold: no start (see the note above TIE_TOLERANCE)
        if sol2.status == "optimal":
            x2 = np.round(sol2.x)
            if _tied(values, x2[:k], best) and _feasible(m, x2):
                x1 = x2
    order = np.argsort(-np.asarray(tie, dtype=float), kind="stable")
    exact = grid is not None and float(np.sum(np.abs(cost))) * (2.0 * k + 1.0) < 2.0 ** 40
    if exact:
        opt = m
    else:
        opt = m.copy()
        _optimal_row(opt, values, best)
    x = lex_refine(opt, [(order, values[order])], x1, solver, check=lambda y: _tied(values, y[:k], best) and
                   _feasible(m, y), what=what, integer_goal=cost if exact else None)
    return x, math.fsum(values[x[:k] > 0.5])


def _relaxation(m: Milp) -> Milp:
    relax = m.copy()
    relax.integer = [False] * relax.n
    return relax


def _integral_lp(m: Milp) -> MilpSolution | None:
    """The LP relaxation of ``m`` when its optimum happens to be a 0-1 point (then no 0-1 point
    can do better: the LP bound is reached), else ``None``. Selection programs with a cardinality
    row, a budget and group caps often have integral LP optima; the what-ifs of the explanations
    then need no branch and bound. The point is checked exactly against every row."""
    relax = m.copy()
    relax.integer = [False] * relax.n
    sol = solve_milp(relax, "highs")
    if sol.status != "optimal":
        return None
    return _integral_point(m, sol.objective, sol.x)


def _integral_point(m: Milp, objective: float, point: np.ndarray) -> MilpSolution | None:
    """``point``, an optimum of ``m``'s LP relaxation of value ``objective``, as the 0-1 optimum of
    ``m`` when it is integral on ``m``'s integer variables and keeps every row exactly, else ``None``."""
    x = np.round(point)
    ints = np.asarray(m.integer, dtype=bool)
    if np.any(np.abs(point[ints] - x[ints]) > 1e-9) or not _feasible(m, x, tol=1e-9):
        return None
    if float(np.dot(m.cost, x)) < objective - 1e-9 * max(1.0, abs(objective)):
        return None
    return MilpSolution("optimal", x, float(np.dot(m.cost, x)))


def _optimal_row(m: Milp, values: np.ndarray, best: float) -> None:
    """Add ``values.x >= best`` to ``m`` (exact in integers when the values lie on a grid)."""
    grid = integer_grid(values)
    nz = np.flatnonzero(values != 0.0)
    if grid is not None:
        iv = np.round(values * grid)
        target = float(np.round(best * grid))
        m.add_row(nz, iv[nz], lower=target - 0.5)  # integer activity: >= target exactly
    else:
        m.add_row(nz, values[nz], lower=best - TIE_TOLERANCE * max(1.0, abs(best)))


def _tied(values: np.ndarray, x: np.ndarray, best: float) -> bool:
    """Whether the selection ``x`` has the optimal value ``best`` (exact on a grid, else within
    :data:`TIE_TOLERANCE`)."""
    v = math.fsum(values[x > 0.5])
    grid = integer_grid(values)
    if grid is not None:
        return round(v * grid) >= round(best * grid)
    return v >= best - TIE_TOLERANCE * max(1.0, abs(best))


def lex_refine(opt: Milp, levels: Sequence[tuple[np.ndarray, np.ndarray]], x: np.ndarray, solver: str, *,
               check: Callable[[np.ndarray], bool], what: str,
               integer_goal: np.ndarray | None = None) -> np.ndarray:
    """The lexicographically largest optimal point, starting from the optimal point ``x``.

    ``opt`` is the program with its optimal value(s) held by rows (every feasible point of ``opt``
    is optimal). ``levels`` lists variable indices in priority order with their values in the
    goal that made them optimal (a stage: one level, its applications best-ranked first; linked
    mode: stage 1's, then stage 2's). The result is the optimal point whose first differing
    variable, in this order, is 1 (sequential fixing in priority order, Isermann 1982,
    doi:10.1007/BF01782758, with a shortcut that keeps it to one solve when nothing ties).

    Only a *candidate* can be the first difference: a variable now 0 that may be 1, placed before
    the last variable of its level that is 1, or with value <= 0. (A later one with positive value
    would be added on top of the same earlier choices and raise that level's optimal value.) One
    solve tests all candidates at once, with the earlier variables fixed as in ``x`` and the first
    candidate weighted above all others together: no candidate at 1 proves ``x`` lexicographically
    largest; the first candidate at 1 gives a better point; otherwise the first candidate is
    impossible and the next is tested. ``check`` verifies each point exactly (a point that fails
    it, by solver tolerance, is not used).

    ``integer_goal`` (integers; the values on their grid) lets that solve keep the value in the
    objective, ``big * goal + candidate weights`` with ``big`` above the candidates' total, instead
    of holding it by a row: then ``opt`` is the program *without* the optimality row. The two are
    the same test (the value is maximal first, exactly), but a row that pins the objective makes
    the solver's search far longer (45 s instead of 1 s at 2,000 applications).
    """
    x = np.round(np.asarray(x, dtype=float))
    lo, hi = np.asarray(opt.lower, dtype=float), np.asarray(opt.upper, dtype=float)
    done = [0] * len(levels)  # per level: how many leading positions are settled
    ruled_out = np.zeros(opt.n, dtype=bool)
    if integer_goal is not None:
        # reduced-cost screening: x_j = 1 cannot reach the optimum B when LP* + d_j < B (integers)
        lp = opt.copy()
        lp.integer = [False] * lp.n
        lp.cost = [float(c) for c in integer_goal] + [0.0] * (lp.n - len(integer_goal))
        lp.maximize = True
        found = lp_reduced_costs(lp)
        if found is not None:
            best = float(np.dot(integer_goal, x[:len(integer_goal)]))
            value, d = found
            ruled_out = (x < 0.5) & (value + np.minimum(d, 0.0) < best - 0.5)
    for _ in range(sum(len(o) for o, _ in levels) + 1):
        cand: list[int] = []
        lvl = -1
        for li, (order, vals) in enumerate(levels):
            on = np.flatnonzero(x[order] > 0.5)
            last = int(on[-1]) if len(on) else -1
            cand = [p for p in range(done[li], len(order))
                    if x[order[p]] < 0.5 and hi[order[p]] > 0.5 and lo[order[p]] < 0.5
                    and not ruled_out[order[p]] and (p < last or vals[p] <= 0.0)]
            if cand:
                lvl = li
                break
            done[li] = len(order)
        if lvl < 0:
            return x
        order = levels[lvl][0]
        trial = opt.copy()
        trial.lower, trial.upper = list(trial.lower), list(trial.upper)
        fixed = [int(j) for li in range(lvl) for j in levels[li][0]] + [int(j) for j in order[:cand[0]]]
        for j in fixed:
            trial.lower[j] = trial.upper[j] = float(x[j])
        idx = [int(order[p]) for p in cand]
        if integer_goal is not None:
            # the first candidate alone, value only: an LP bound below the optimum rules it out,
            # an integral LP optimum at the optimum is a better point; only otherwise branch
            j = idx[0]
            trial.lower[j] = 1.0
            trial.cost = [float(c) for c in integer_goal] + [0.0] * (trial.n - len(integer_goal))
            trial.maximize = True
            target = float(np.dot(integer_goal, x[:len(integer_goal)]))
            relaxed = lp_point(_relaxation(trial))  # one LP: the bound, and the point if integral
            if relaxed is not None and relaxed[0] < target - 0.5:
                done[lvl] = cand[0] + 1
                continue
            sol = (_integral_point(trial, *relaxed) if relaxed is not None else _integral_lp(trial)) \
                or solve_milp(trial, solver)
            if sol.status == "optimal":
                y = np.round(sol.x)
                if float(np.dot(integer_goal, y[:len(integer_goal)])) >= target - 0.5 and check(y):
                    x = y
            elif sol.status != "infeasible":
                raise SolverError(f"{what}: the solver {solver} ended with status {sol.status} (tie rule)")
            done[lvl] = cand[0] + 1
            continue
        weight = np.zeros(trial.n)
        weight[idx] = 1.0
        weight[idx[0]] = float(len(idx))
        if integer_goal is not None:  # value first (exactly, in integers), then the candidates
            big = 2.0 * len(idx) + 1.0
            weight[:len(integer_goal)] += big * integer_goal
        else:
            trial.add_row(idx, [1.0] * len(idx), lower=1.0)
        trial.cost = weight.tolist()
        trial.maximize = True
        sol = solve_milp(trial, solver)  # cold: no start (see the note above TIE_TOLERANCE)
        if sol.status == "infeasible":
            return x
        if sol.status != "optimal":
            raise SolverError(f"{what}: the solver {solver} ended with status {sol.status} (tie rule)")
        y = np.round(sol.x)
        if not check(y):
            return x  # a point only the solver's tolerance lets through: no exact tie
        if integer_goal is not None and not np.any(y[idx] > 0.5):
            return x  # the best point with the value kept has no candidate: none can be 1
        if y[idx[0]] > 0.5:
            x = y
        done[lvl] = cand[0] + 1
    return x  # pragma: no cover - each round settles at least one position


def _cardinality(m: Milp, k: int) -> float:
    """An upper bound on how many of the first ``k`` binaries can be 1 (the tightest count row)."""
    best = float(k)
    for (idx, val), hi in zip(m.rows, m.row_upper, strict=True):
        if len(idx) == k and hi < best and np.all(val == 1.0):
            best = hi
    return best


def integer_grid(values: np.ndarray, max_denominator: int = 10_080) -> int | None:
    """The smallest ``D <= max_denominator`` making every value an integer multiple of ``1/D``
    (to 1e-9), or ``None``. Panel scores are means of grid scores times weights, so such a ``D``
    usually exists; maximising the integers ``round(D v_i)`` is then the same program exactly
    (distinct totals differ by at least ``1/D``, far above float noise), and the solver can round
    its bounds, which proves optimality much sooner."""
    v = np.asarray(values, dtype=float)
    if v.size == 0 or not np.all(np.isfinite(v)) or np.max(np.abs(v)) * max_denominator > 1e9:
        return None
    for d in (1, 2, 4, 8, 12, 16, 24, 48, 96, 120, 240, 360, 480, 720, 1440, 2520, 5040, 10_080):
        if d > max_denominator:
            break
        if np.max(np.abs(v * d - np.round(v * d))) <= 1e-9 * d * max(1.0, float(np.max(np.abs(v)))):
            return d
    return None


def _feasible(m: Milp, x: np.ndarray, tol: float = 1e-6) -> bool:
    if np.any(x < np.asarray(m.lower) - tol) or np.any(x > np.asarray(m.upper) + tol):
        return False
    for (idx, val), lo, hi in zip(m.rows, m.row_lower, m.row_upper, strict=True):
        v = float(np.dot(val, x[idx])) if len(idx) else 0.0
        if v < lo - tol * max(1.0, abs(lo)) or v > hi + tol * max(1.0, abs(hi)):
            return False
    return True


def precheck(inp: StageInput, rules: Sequence[Rule]) -> list[Problem]:
    """Conflicts visible without solving: forced-in applications that may not be selected, and
    floors with fewer eligible members than they require."""
    n = inp.stage.number
    out = []
    for f in inp.stage.forced:
        if f.include and f.application in inp.excluded:
            out.append(Problem(
                f"stage {n}: {f.application} is forced in ({f.reason}), but it may not be selected: "
                f"{_excluded_words(inp.excluded[f.application])}",
                hint="remove the forced decision or the rule that excludes it"))
        elif f.include and f.application not in inp.values:
            out.append(Problem(f"stage {n}: {f.application} is forced in ({f.reason}), but it is not "
                               "among this stage's applications", hint="check the application id"))
    for r in rules:
        if r.sense == ">=" and r.kind == "group":
            supply = [a for a in r.coefs if a not in inp.excluded]
            if len(supply) < r.rhs:
                out.append(Problem(f"stage {n}: {floor_shortfall(r, inp)}", hint=_hint(r)))
    return out


#: The kind of an exclusion (a decision record's code) in the words of an error message.
_EXCLUSION_KIND = {"below_threshold": "below a threshold", "forced_out": "forced out",
                   "not_in_earlier_stage": "not selected in the earlier stage",
                   "regional_share_over_cap": "over the regional-share cap", "not_eligible": "not eligible"}


def _excluded_words(x: object) -> str:
    """Why an application may not be selected, for an error message (English, like every error)."""
    code = getattr(x, "code", None)
    if code is None:
        return str(x)
    f = x.facts  # type: ignore[attr-defined]
    if code == "below_threshold":
        return f"below threshold: {f['failed']['en']}"
    if code == "forced_out":
        return f"forced out: {f['because']['en']}"
    if code == "not_eligible":
        return f"not eligible: {f['why']['en']}"
    if code == "regional_share_over_cap":
        return f"regional share {f['share']:.1%} is above the cap of {f['cap']:.1%}"
    if code == "not_in_earlier_stage":
        return f"not selected in stage {f['stage']}"
    return _EXCLUSION_KIND.get(code, code)


def floor_shortfall(r: Rule, inp: StageInput) -> str:
    """'at least 1 rural/peripheral ... is required, but no rural/peripheral application passes
    the thresholds (2 are below a threshold)'."""
    members = list(r.coefs)
    supply = [a for a in members if a not in inp.excluded]
    why: dict[str, int] = {}
    for a in members:
        if a in inp.excluded:
            x = inp.excluded[a]
            key = _EXCLUSION_KIND.get(getattr(x, "code", ""), str(x))
            why[key] = why.get(key, 0) + 1
    detail = ", ".join(f"{k} {v}" if k.startswith("not") else f"{v} {k}" for k, v in why.items())
    who = r.label or "this group"
    need = f"\"{r.description}\" is required{_because(r)}"
    if not members:
        return f"{need}, but no application in {who} applied"
    if not supply:
        base = f"{need}, but no application in {who} passes the thresholds" if set(why) == {"below a threshold"} \
            else f"{need}, but no application in {who} may be selected"
        return f"{base} ({len(members)} in the group: {detail})"
    return (f"{need}, but only {len(supply)} application(s) in {who} may be selected: short by "
            f"{r.amount(r.rhs - len(supply))} "
            f"({len(members)} in the group" + (f"; {detail}" if detail else "") + ")")


def _because(r: Rule) -> str:
    return f" ({r.reason})" if r.reason else ""


def _hint(r: Rule) -> str:
    if r.kind == "forced":
        return "remove or change this forced decision"
    if r.kind in ("budget", "total_budget", "count"):
        return "raise this limit in the call or scenario file, or relax the rules it conflicts with"
    return "relax this rule (lower its count or set if_available = true) or the rules it conflicts with"


def solve_stage(inp: StageInput, solver: str = "cbc") -> StageOutcome:
    """Solve one stage exactly (zero gap); raise :class:`InfeasibleError` with the conflict in words.

    Parameters
    ----------
    inp
        The stage, its candidates' values and ranks, and the applications excluded (with why).
    solver
        ``"cbc"`` (bundled with pulp) or ``"highs"`` (in-process).

    Returns
    -------
    StageOutcome
        The selection in rank order, its exact total value, the rules and the binding rules.
    """
    check_solver(solver)
    ids = list(inp.values)
    rules = build_rules(inp)
    if precheck(inp, rules):
        raise InfeasibleError(explain_infeasible(inp, rules, solver))
    m = stage_milp(inp, rules, ids)
    values = np.array([inp.values[a] for a in ids], dtype=float)
    found = solve_with_ties(m, values, tie_weights(inp, ids), solver, what=f"stage {inp.stage.number}")
    if found is None:
        raise InfeasibleError(explain_infeasible(inp, rules, solver))
    x, _ = found
    selected = sorted(_chosen(x, ids), key=lambda a: inp.ranks[a])
    return outcome_for(inp, rules, selected, solver)


def outcome_for(inp: StageInput, rules: Sequence[Rule], selected: Sequence[str], solver: str,
                note: str = "") -> StageOutcome:
    """Check ``selected`` against every rule in exact arithmetic and package it as an outcome."""
    selected = sorted(selected, key=lambda a: inp.ranks[a])
    chosen = frozenset(selected)
    broken = [r.description for r in rules if r.slack(chosen) < -1e-9]
    bad = [a for a in selected if a in inp.excluded]
    if broken or bad:  # pragma: no cover - would be a solver or modelling bug
        raise SolverError(f"stage {inp.stage.number}: the solver's selection breaks "
                          f"{'; '.join(broken + [f'{a} is excluded' for a in bad])}")
    objective = math.fsum(inp.values[a] for a in selected)
    binding = tuple(r.description for r in rules if _binds(r, chosen, inp))
    granted = use = None
    if inp.stage.partial_funding is not None:  # the amounts: least money cut, lowest-ranked first
        full_rows = requested_rules(inp)
        granted = grant_amounts(inp, selected, rules=rules, full_rows=full_rows)  # in-process HiGHS, zero gap
        use = use_at_grants(inp, rules, granted, full_rows=full_rows)
    return StageOutcome(inp.stage.number, tuple(selected), objective, tuple(rules), binding, solver, note,
                        granted=granted, granted_use=use)


def requested_rules(inp: StageInput) -> dict[str, Rule]:
    """The stage's rows with every amount as requested (partial funding off), by rule name."""
    return {r.name: r for r in build_rules(replace(inp, stage=inp.stage.model_copy(update={"partial_funding": None})))}


def use_at_grants(inp: StageInput, rules: Sequence[Rule], granted: Mapping[str, int], *,
                  full_rows: Mapping[str, Rule] | None = None) -> dict[str, float]:
    """Each rule's sum over the selection ``granted`` (id -> amount) at the granted amounts: the
    rows are linear in the reducible amount, so a coefficient moves from its value at the lowest
    amount towards its value at the requested one in proportion."""
    st = inp.stage
    full_rules = requested_rules(inp) if full_rows is None else full_rows
    out = {}
    for r in rules:
        fr = full_rules.get(r.name)
        total = 0.0
        for a, g in granted.items():
            lo, hi = r.coefs.get(a, 0.0), (fr.coefs.get(a, 0.0) if fr is not None else r.coefs.get(a, 0.0))
            app = inp.applications[a]
            low, full = st.lowest_funded(app), st.funded(app)
            total += lo if full == low else lo + (hi - lo) * (g - low) / (full - low)
        out[r.name] = total
    return out


def grant_amounts(inp: StageInput, selected: Sequence[str], solver: str = "highs", *,
                  rules: Sequence[Rule] | None = None, full_rows: Mapping[str, Rule] | None = None) -> dict[str, int]:
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
    low_rules = build_rules(inp) if rules is None else rules  # the program's rows (amounts at their lowest)
    full_rules = requested_rules(inp) if full_rows is None else full_rows
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


def _binds(rule: Rule, chosen: frozenset[str], inp: StageInput) -> bool:
    """A cap binds when adding some eligible application left out would break it; a floor binds
    when it is met exactly."""
    if rule.kind == "forced":
        return False
    if rule.sense == ">=":
        return abs(rule.slack(chosen)) <= 1e-9
    slack = rule.slack(chosen)
    return any(a not in chosen and a not in inp.excluded and c > slack + 1e-9 for a, c in rule.coefs.items())


def _feasible_with(inp: StageInput, rules: Sequence[Rule], solver: str) -> bool:
    m = stage_milp(inp, rules)
    m.cost = [0.0] * m.n
    sol = solve_milp(m, solver)
    if sol.status not in ("optimal", "infeasible"):
        raise SolverError(f"stage {inp.stage.number}: the solver {solver} ended with status {sol.status}")
    return sol.status == "optimal"


def conflict_set(inp: StageInput, rules: Sequence[Rule], solver: str) -> list[Rule]:
    """An irreducible infeasible subset of ``rules`` (with the exclusions held fixed), by the
    deletion filter: drop each rule in turn and keep it dropped while the rest stay infeasible.
    Every rule of the result is needed for the conflict."""
    keep = list(rules)
    for r in list(rules):
        trial = [q for q in keep if q is not r]
        if not _feasible_with(inp, trial, solver):
            keep = trial
    return keep


def elastic(inp: StageInput, rules: Sequence[Rule], solver: str) -> dict[str, float] | None:
    """The smallest total normalised violation of ``rules`` (one slack per rule); rule name ->
    amount violated, or ``None`` when even the elastic program fails."""
    ids = list(inp.values)
    m = stage_milp(inp, [], ids)
    m.cost = [0.0] * m.n
    m.maximize = False
    pos = {a: i for i, a in enumerate(ids)}
    first = m.add_vars(len(rules), cost=0.0, lower=0.0, upper=math.inf, integer=False)
    for k, r in enumerate(rules):
        scale = (max(map(abs, r.coefs.values()), default=1.0) or 1.0) if r.unit != "applications" else 1.0
        m.cost[first + k] = 1.0 / scale + (1e-3 if r.kind == "forced" else 0.0)
        items = [(pos[a], c) for a, c in r.coefs.items() if a in pos]
        idx = [i for i, _ in items] + [first + k]
        val = [c for _, c in items]
        if r.sense == "<=":
            m.add_row(idx, val + [-1.0], upper=r.rhs)
        else:
            m.add_row(idx, val + [1.0], lower=r.rhs)
    sol = solve_milp(m, solver)
    if sol.status != "optimal":
        return None
    sel = _chosen(np.round(sol.x), ids)
    return {r.name: max(0.0, -r.slack(sel)) for r in rules}


def _relaxed(r: Rule, amount: float) -> Rule | None:
    """``r`` loosened by ``amount`` in its own unit (``None``: a forced decision dropped)."""
    if r.kind == "forced":
        return None
    return replace(r, rhs=r.rhs + amount if r.sense == "<=" else r.rhs - amount)


def minimal_fix(inp: StageInput, rules: Sequence[Rule], solver: str) -> list[tuple[Rule, float]] | None:
    """A smallest set of rule changes that makes a selection possible, each with its amount.

    Two solves of an elastic 0-1 program (Chinneck 2008, doi:10.1007/978-0-387-74932-7), each rule
    with a slack ``s_r >= 0`` switched on by a binary ``y_r`` (``s_r <= M_r y_r``), the exclusions
    held fixed: first the fewest rules changed (``min sum y_r``), then, with that many, the least
    total change (each amount divided by the rule's largest coefficient, so money and counts weigh
    alike). Amounts are rounded up to whole units (applications, currency units). The fix is then
    *verified*: the stage is solved again with every change applied, and ``None`` is returned when
    that finds no selection either (or when no change of the rules can help, e.g. every candidate
    excluded).
    """
    ids = list(inp.values)
    pos = {a: i for i, a in enumerate(ids)}
    base = stage_milp(inp, [], ids)
    base.cost = [0.0] * base.n
    k = len(rules)
    s0 = base.add_vars(k, lower=0.0, upper=math.inf, integer=False)
    y0 = base.add_vars(k)
    scale = []
    for j, r in enumerate(rules):
        items = [(pos[a], c) for a, c in r.coefs.items() if a in pos]
        idx = [i for i, _ in items] + [s0 + j]
        val = [c for _, c in items]
        big = math.fsum(abs(c) for _, c in items) + abs(r.rhs) + 1.0
        if r.sense == "<=":
            base.add_row(idx, val + [-1.0], upper=r.rhs)
        else:
            base.add_row(idx, val + [1.0], lower=r.rhs)
        base.add_row([s0 + j, y0 + j], [1.0, -big], upper=0.0)
        scale.append((max((abs(c) for _, c in items), default=1.0) or 1.0) if r.unit != "applications" else 1.0)
    first = base.copy()
    first.maximize = False
    first.cost = [0.0] * first.n
    for j in range(k):
        first.cost[y0 + j] = 1.0
    sol = solve_milp(first, solver)
    if sol.status != "optimal":
        return None
    fewest = float(round(sum(sol.x[y0:y0 + k])))
    second = base.copy()
    second.maximize = False
    second.cost = [0.0] * second.n
    for j in range(k):
        second.cost[s0 + j] = 1.0 / scale[j]
    second.add_row(list(range(y0, y0 + k)), [1.0] * k, upper=fewest)
    sol2 = solve_milp(second, solver)  # cold: no start (see the note above TIE_TOLERANCE)
    x = sol2.x if sol2.status == "optimal" else sol.x
    chosen = frozenset(_chosen(np.round(x), ids))
    changes = []
    for r in rules:  # the amounts the closest selection needs, exactly, in whole units
        miss = -r.slack(chosen)
        if miss > 1e-9 * max(1.0, abs(r.rhs)):
            changes.append((r, float(math.ceil(miss - 1e-9))))
    if not changes:
        return None
    kept = [q for q in ((_relaxed(r, dict((c.name, v) for c, v in changes).get(r.name, 0.0))
                         if r.name in {c.name for c, _ in changes} else r) for r in rules) if q is not None]
    if not _feasible_with(inp, kept, solver):
        return None
    return changes


def _change_words(r: Rule, amount: float) -> str:
    if r.kind == "forced":
        return f"drop the forced decision \"{r.description}\""
    verb = "raise" if r.sense == "<=" else "lower"
    to = r.rhs + amount if r.sense == "<=" else r.rhs - amount
    return f"{verb} \"{r.description}\" to {r.amount(to)} (by {r.amount(amount)})"


def explain_infeasible(inp: StageInput, rules: Sequence[Rule], solver: str) -> list[Problem]:
    """Which rules conflict, in plain words, and the smallest change of the rules that makes a
    selection possible (every change needed, each with its amount), verified by solving again
    with it applied (:func:`minimal_fix`)."""
    n = inp.stage.number
    out = precheck(inp, rules)
    if not out:
        core = conflict_set(inp, rules, solver) if len(rules) <= MAX_RULES_FOR_IIS else []
        if core:
            listed = "; ".join(f"\"{r.description}\"{_because(r)}" for r in core)
            out.append(Problem(f"stage {n}: no selection satisfies these rules together: {listed}",
                               hint="relax one of them in the call or scenario file"))
    fix = minimal_fix(inp, rules, solver)
    if fix:
        what = "; ".join(_change_words(r, v) for r, v in fix)
        many = len(fix) > 1
        together = ("both" if len(fix) == 2 else f"all {len(fix)}") + " changes together; " if many else ""
        out.append(Problem(f"stage {n}: the smallest change that makes a selection possible "
                           f"({together}checked by solving again with {'them' if many else 'it'} applied): {what}",
                           hint="make " + ("these changes" if many else "this change") +
                                " in the call or scenario file, or relax other rules instead"))
    return out or [Problem(f"stage {n}: no selection satisfies the rules")]
