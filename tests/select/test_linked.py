"""Linked mode against brute force, and the run folder / CLI around the stage program."""

from __future__ import annotations

import itertools
import math

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection.errors import InfeasibleError
from selection.model import Stage
from selection.select import select_stage, solve_linked, stage_input

from .conftest import brute_force, eligible_ids, feasible, instances


def _stage2(draw_max, cap):
    return Stage(number=2, name="s2", catalogue="c.toml", max_selected=draw_max, from_stage=1,
                 budget=cap, budget_basis="regional_cofinancing_per_year")


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(instances(max_n=7, forced=False), st.integers(1, 3), st.sampled_from([None, 300_000, 500_000]),
       st.randoms(use_true_random=False))
def test_linked_is_best_for_stage2_and_beats_sequential(inst, k2, cap, rnd):
    """Brute force over every feasible stage-1 set S1 of max over stage-2 sets within S1: the
    linked program reaches it, and it is >= the sequential mode's stage-2 value."""
    st1, ranking1, apps = inst
    st2 = _stage2(k2, cap)
    ids = list(ranking1.index)
    scores2 = {a: rnd.randint(0, 20) / 4 for a in ids}
    order = sorted(ids, key=lambda a: (-scores2[a], a))
    ranking2 = pd.DataFrame({"rank": [order.index(a) + 1 for a in ids], "score": [scores2[a] for a in ids],
                             "eligible": True, "failed_thresholds": ""}, index=ids).sort_values("rank")
    feas1 = brute_force(st1, ranking1, apps)
    if not feas1:
        return
    best = -math.inf
    for _, s1 in feas1:
        inner = brute_force(st2, ranking2, apps, candidates=s1)
        if inner:
            best = max(best, inner[0][0])
    for solver in ("cbc", "highs"):
        inp1 = stage_input(st1, ranking1, apps)
        inp2 = stage_input(st2, ranking2, apps)
        if best == -math.inf:
            with pytest.raises(InfeasibleError):
                solve_linked(inp1, inp2, solver)
            continue
        res = solve_linked(inp1, inp2, solver)
        assert res.stage2_value == pytest.approx(best, abs=1e-9)
        assert feasible(st1, apps, eligible_ids(st1, ranking1, apps), res.stage1.selected)
        assert set(res.stage2_selected) <= set(res.stage1.selected)
        # the reported stage 2 (sequential within the linked stage 1) reaches the same value
        out2, _ = select_stage(st2, ranking2.loc[list(res.stage1.selected)], apps,
                               candidates=res.stage1.selected, solver=solver)
        assert out2.objective == pytest.approx(best, abs=1e-9)
        # sequential: the stage-1 optimum, then the best stage 2 within it
        seq1, _ = select_stage(st1, ranking1, apps, solver=solver)
        inner = brute_force(st2, ranking2, apps, candidates=set(seq1.selected))
        if inner:
            assert best >= inner[0][0] - 1e-9


def test_linked_example_call(call_copy, capsys):
    from selection.cli import main

    (call_copy / "scenarios" / "linked.toml").write_text(
        'schema_version = 1\nname = "linked"\nselection_mode = "linked"\n', encoding="utf-8")
    from selection.pipeline import load_call_folder, run_call

    seq = run_call(load_call_folder(call_copy))
    lnk = run_call(load_call_folder(call_copy, "linked"))
    assert lnk.stages[2].outcome.objective >= seq.stages[2].outcome.objective - 1e-9
    assert set(lnk.stages[2].outcome.selected) <= set(lnk.stages[1].outcome.selected)
    assert lnk.stages[1].outcome.note.startswith("linked with stage 2")
    assert main([ "run", str(call_copy), "--scenario", "linked", "--out", str(call_copy / "out"), "--quiet"]) == 0


def test_alternatives_file_and_infeasible_exit_code(call_copy, capsys):
    from selection.cli import main

    out = call_copy / "out"
    assert main(["run", str(call_copy), "--alternatives", "3", "--out", str(out), "--quiet",
                 "--solver", "highs"]) == 0
    run = next(out.iterdir())
    alts = pd.read_csv(run / "alternatives-stage1.csv")
    assert list(alts["alternative"]) == [1, 2, 3]
    assert alts["objective"].is_monotonic_decreasing and alts.at[0, "objective_lost"] == 0
    sel = pd.read_csv(run / "selection-stage1.csv")
    assert abs(alts.at[0, "objective"] - sel.loc[sel["selected"], "value"].sum()) < 1e-6
    (call_copy / "scenarios" / "three-rural-cheap.toml").write_text(
        'schema_version = 1\nname = "three-rural-cheap"\n[stages.1]\nbudget = 250000\n'
        'add_constraints = [{ kind = "at_least", group = "rural", value = "true", count = 2 }]\n',
        encoding="utf-8")
    code = main(["run", str(call_copy), "--scenario", "three-rural-cheap", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 2
    assert "No feasible selection" in err and "per selected within 250,000 DKK" in err
    assert "at least 2 rural/peripheral selected" in err
    assert len(list(out.iterdir())) == 1  # nothing written for the failed run


def test_same_selection_from_both_solvers_on_the_example(example_folder):
    from selection.pipeline import run_call

    a, b = run_call(example_folder, solver="cbc"), run_call(example_folder, solver="highs")
    for n in a.stages:
        assert a.stages[n].outcome.selected == b.stages[n].outcome.selected
        pd.testing.assert_frame_equal(a.stages[n].selection, b.stages[n].selection)


def test_brute_force_on_the_example_stage1(example_folder, example_result):
    """The example's stage 1 (40 applications, 8 places) has an exact optimum: check it against
    enumeration of the 8-subsets of the eligible applications that pass the per-application rules."""
    sr = example_result.stages[1]
    st1 = example_folder.call.stage(1)
    apps = example_folder.applications
    elig = sorted(eligible_ids(st1, sr.ranking, apps))
    score = {a: float(sr.ranking.at[a, "score"]) for a in elig}
    top = sorted(elig, key=lambda a: -score[a])[:14]  # any better set must come from the top 14
    best = max((math.fsum(score[a] for a in s) for k in range(1, 9) for s in itertools.combinations(top, k)
                if feasible(st1, apps, set(elig), s)), default=-math.inf)
    assert sr.outcome.objective == pytest.approx(best, abs=1e-9)
