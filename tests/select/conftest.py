"""Random small selection instances and an independent brute-force solver for them."""

from __future__ import annotations

import itertools
import math
import tomllib
from pathlib import Path

import pandas as pd
from hypothesis import strategies as st

from selection.model import Application, Call, Constraint, ForcedDecision, Stage
from selection.vocabulary import Attribute

#: The example call's declared vocabulary (industries, focus areas, municipality, rural, partners).
with (Path(__file__).parents[2] / "examples" / "kreative-partnerskaber" / "vocabulary.toml").open("rb") as _fh:
    ATTRIBUTES = [Attribute.model_validate(a) for a in tomllib.load(_fh)["attributes"]]
INDUSTRIES = next(a for a in ATTRIBUTES if a.id == "industry").value_ids()
FOCUS_AREAS = next(a for a in ATTRIBUTES if a.id == "focus_area").value_ids()


def declare(stage: Stage, attributes=ATTRIBUTES) -> Stage:
    """``stage`` as a call with the example's vocabulary gives it: rules labelled from it."""
    return Call.model_validate({"schema_version": 1, "id": "t", "name": "t", "attributes": attributes,
                                "stages": [stage]}).stages[0]

INDS = ["fashion", "design", "music"]
FOCI = ["tourism", "food"]
LEADS = ["L1", "L2", "L3", "L4"]
MUNIS = ["Aarhus", "Samsø"]


@st.composite
def instances(draw, max_n: int = 8, forced: bool = True):
    """(stage, ranking, applications) with every constraint kind, thresholds and forced decisions."""
    n = draw(st.integers(1, max_n))
    apps = {}
    scores = []
    for i in range(n):
        a = Application(
            id=f"A{i}", title=f"app {i}", lead_organisation=draw(st.sampled_from(LEADS)),
            industries=frozenset(draw(st.sets(st.sampled_from(INDS), min_size=1, max_size=2))),
            focus_areas=frozenset(draw(st.sets(st.sampled_from(FOCI), max_size=2))),
            municipality=draw(st.sampled_from(MUNIS)), rural=draw(st.booleans()),
            grant_requested={1: 50_000 * draw(st.integers(1, 6))},
            total_budget_per_year=100_000 * draw(st.integers(5, 10)),
            regional_cofinancing_per_year=100_000 * draw(st.integers(1, 4)))
        apps[a.id] = a
        scores.append(draw(st.integers(0, 20)) / 4)
    order = sorted(range(n), key=lambda i: (-scores[i], i))
    eligible = [draw(st.booleans()) or draw(st.booleans()) for _ in range(n)]
    ranking = pd.DataFrame({
        "rank": [order.index(i) + 1 for i in range(n)],
        "score": scores,
        "eligible": eligible,
        "failed_thresholds": ["" if e else "impact 1.50 < 2" for e in eligible],
    }, index=[f"A{i}" for i in range(n)]).sort_values("rank")
    cons = []
    for _ in range(draw(st.integers(0, 4))):
        group = draw(st.sampled_from(["industry", "focus_area", "rural", "lead_organisation",
                                      "municipality", "any"]))
        values = {"industry": INDS, "focus_area": FOCI, "rural": ["true", "false"],
                  "lead_organisation": LEADS, "municipality": MUNIS, "any": [None]}[group]
        value = draw(st.sampled_from([None, *values])) if group != "any" else None
        kind = draw(st.sampled_from(["at_least", "at_most", "exactly"]))
        cons.append(Constraint(kind=kind, group=group, value=value, count=draw(st.integers(0, 2)),
                               if_available=draw(st.booleans())))
    fd = []
    if forced and n and draw(st.booleans()):
        fd.append(ForcedDecision(application=f"A{draw(st.integers(0, n - 1))}", include=draw(st.booleans()),
                                 reason="panel decision"))
    stage = declare(Stage(number=1, name="s", catalogue="c.toml", max_selected=draw(st.integers(1, 4)),
                  budget=draw(st.sampled_from([None, 150_000, 300_000, 600_000])),
                  total_budget_cap_per_year=draw(st.sampled_from([None, 2_000_000])),
                  max_regional_share=draw(st.sampled_from([None, 0.5])),
                  constraints=cons, forced=fd))
    return stage, ranking, apps


def eligible_ids(stage: Stage, ranking: pd.DataFrame, apps, candidates=None) -> set[str]:
    out = set()
    for a in ranking.index:
        if candidates is not None and a not in candidates:
            continue
        if not ranking.at[a, "eligible"]:
            continue
        if stage.max_regional_share is not None and apps[a].regional_share > stage.max_regional_share:
            continue
        if any(f.application == a and not f.include for f in stage.forced):
            continue
        if any(e.fails(apps[a]) for e in stage.eligibility):
            continue
        out.add(a)
    return out


def feasible(stage: Stage, apps, elig: set[str], sel) -> bool:
    """Every rule of the stage, checked directly from its definition (not from the program)."""
    sel = list(sel)
    if not set(sel) <= elig or len(sel) > stage.max_selected:
        return False
    if stage.budget is not None and sum(stage.cost(apps[a]) for a in sel) > stage.budget:
        return False
    if stage.total_budget_cap_per_year is not None and \
            sum(apps[a].total_budget_per_year for a in sel) > stage.total_budget_cap_per_year:
        return False
    for f in stage.forced:
        if f.include and f.application not in sel:
            return False
    for ex in stage.mutually_exclusive:
        if sum(a in sel for a in ex.applications) > 1:
            return False
    for sh in stage.shares:  # exact: sum of the group's money against the share of all money
        of = sum(stage.amount(apps[a], sh.of) for a in sel
                 if sh.group is None or (sh.value is None and apps[a].group_values(sh.group))
                 or (sh.value is not None and sh.value in apps[a].group_values(sh.group)))
        within = sum(stage.amount(apps[a], sh.within) for a in sel)
        if sh.kind == "max_share" and of > sh.share.limit("max") * within:
            return False
        if sh.kind == "min_share" and of < sh.share.limit("min") * within:
            return False
    for c in stage.constraints:
        if c.group == "any":
            values = ["*"]
        elif c.value is not None:
            values = [c.value]
        elif c.declared is not None and c.declared.value_ids():
            values = c.declared.value_ids()  # every declared value (e.g. each of the 19 municipalities)
        else:
            values = sorted({v for a in apps.values() for v in a.group_values(c.group)})
        for v in values:
            def member(a, v=v, c=c):
                return v == "*" or v in apps[a].group_values(c.group)
            k = sum(1 for a in sel if member(a))
            floor = c.count
            if c.if_available:
                floor = min(floor, sum(1 for a in elig if member(a)))
            if c.kind in ("at_least", "exactly") and k < floor:
                return False
            if c.kind in ("at_most", "exactly") and k > c.count:
                return False
    return True


def brute_force(stage: Stage, ranking: pd.DataFrame, apps, values=None, candidates=None):
    """All feasible selections with their exact values, best first."""
    values = values or {a: float(ranking.at[a, "score"]) for a in ranking.index}
    elig = sorted(eligible_ids(stage, ranking, apps, candidates))
    out = []
    for k in range(0, min(stage.max_selected, len(elig)) + 1):
        for sel in itertools.combinations(elig, k):
            if feasible(stage, apps, set(elig), sel):
                out.append((math.fsum(values[a] for a in sel), frozenset(sel)))
    out.sort(key=lambda t: -t[0])
    return out


def lex_best(feas, ranking: pd.DataFrame) -> frozenset[str]:
    """The tie rule, from its definition: among the optimal selections of ``feas`` (brute force,
    best first; values on the test grid, so equal values are equal floats up to fsum rounding), the
    one whose best-ranked differing application ranks higher, i.e. the largest 0-1 vector in rank
    order."""
    top = feas[0][0]
    optimal = [s for v, s in feas if v >= top - 1e-9 * max(1.0, abs(top))]
    order = list(ranking.sort_values("rank").index)
    return max(optimal, key=lambda s: tuple(a in s for a in order))
