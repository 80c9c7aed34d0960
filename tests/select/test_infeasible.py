"""The infeasibility diagnosis: its suggested fix is every change needed, each with its amount,
and it is verified — here by brute force over every selection, independently of the solver."""

from __future__ import annotations

import itertools

import pandas as pd
from hypothesis import HealthCheck, given, settings

from selection.errors import InfeasibleError
from selection.model import Application, Constraint, Stage
from selection.select import select_stage, stage_input
from selection.select.program import _relaxed, build_rules, minimal_fix

from .conftest import brute_force, instances


def _possible(inp, rules) -> bool:
    """Some selection of eligible candidates keeps every rule (exact sums, brute force)."""
    elig = [a for a in inp.values if a not in inp.excluded]
    for k in range(len(elig) + 1):
        for sel in itertools.combinations(elig, k):
            chosen = frozenset(sel)
            if all(r.slack(chosen) >= -1e-9 for r in rules):
                return True
    return False


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_n=6))
def test_fix_is_verified_and_has_fewest_changes(inst):
    stage, ranking, apps = inst
    if brute_force(stage, ranking, apps):
        return  # feasible: nothing to fix
    inp = stage_input(stage, ranking, apps)
    rules = build_rules(inp)
    for solver in ("highs", "cbc"):
        fix = minimal_fix(inp, rules, solver)
        assert fix is not None, solver  # relaxing rules always helps: the empty selection keeps every cap
        changed = {r.name: v for r, v in fix}
        applied = [q for q in (_relaxed(r, changed[r.name]) if r.name in changed else r for r in rules)
                   if q is not None]
        assert _possible(inp, applied), (solver, changed)  # the fix works, by brute force
        for _, v in fix:  # each amount is a whole positive number of units
            assert v >= 1 and v == int(v)
        # no smaller set of rules could be changed, however much: dropping fewer rules fails
        # (every smaller set when the fix is short; otherwise each change is needed)
        smaller = (itertools.chain.from_iterable(itertools.combinations(rules, k) for k in range(len(fix)))
                   if len(fix) <= 3 else [[r for r, _ in fix if r.name != q.name] for q, _ in fix])
        for drop in smaller:
            names = {r.name for r in drop}
            assert not _possible(inp, [r for r in rules if r.name not in names]), (solver, names)
        # and the error says so, with every change
        try:
            select_stage(stage, ranking, apps, solver=solver)
        except InfeasibleError as exc:
            text = "\n".join(p.message for p in exc.problems)
            assert "checked by solving again" in text
            for r, _ in fix:
                assert r.description in text


def test_docs_example_two_changes():
    """The budget-only fix of the old diagnosis was not enough; now both changes are named."""
    apps = {f"A{i}": Application(id=f"A{i}", title="t", lead_organisation=f"L{i}", rural=i < 2,
                                 grant_requested={1: 250_000}) for i in range(12)}
    ranking = pd.DataFrame({"rank": range(1, 13), "score": [4.0 - 0.1 * i for i in range(12)],
                            "eligible": True, "failed_thresholds": ""}, index=list(apps))
    stage = Stage(number=1, name="s", catalogue="c.toml", max_selected=8, budget=2_000_000, constraints=[
        Constraint(kind="at_least", group="rural", value="true", count=2),
        Constraint(kind="at_least", group="rural", value="false", count=7)])
    try:
        select_stage(stage, ranking, apps, solver="highs")
    except InfeasibleError as exc:
        text = str(exc)
    else:  # pragma: no cover
        raise AssertionError("expected no feasible selection")
    assert "the smallest change that makes a selection possible" in text
    fix = minimal_fix(stage_input(stage, ranking, apps), build_rules(stage_input(stage, ranking, apps)), "highs")
    assert fix is not None and len(fix) == 1  # lowering one floor by one suffices
    (rule, amount), = fix
    assert rule.sense == ">=" and amount == 1
