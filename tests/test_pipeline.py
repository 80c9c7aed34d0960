"""The example call end to end: every stage's selection respects every rule of the call."""

from __future__ import annotations

from selection.model import FOCUS_AREAS


def test_stage1_respects_every_rule(example_folder, example_result):
    call = example_folder.call
    apps = example_folder.applications
    st = call.stage(1)
    sel = [apps[a] for a in example_result.stages[1].outcome.selected]
    assert 1 <= len(sel) <= 8
    assert sum(st.cost(a) for a in sel) <= st.budget
    ranking = example_result.stages[1].ranking
    assert all(ranking.at[a.id, "eligible"] for a in sel)
    eligible = ranking.index[ranking["eligible"]]
    for f in FOCUS_AREAS:
        if any(f in apps[a].focus_areas for a in eligible):
            assert any(f in a.focus_areas for a in sel), f
    assert any(a.rural for a in sel)
    leads = [a.lead_organisation for a in sel]
    assert len(leads) == len(set(leads))
    for ind in {i for a in sel for i in a.industries}:
        assert sum(ind in a.industries for a in sel) <= 3


def test_stage2_is_subset_and_within_funded_phase_caps(example_folder, example_result):
    apps = example_folder.applications
    s1 = set(example_result.stages[1].outcome.selected)
    s2 = [apps[a] for a in example_result.stages[2].outcome.selected]
    assert set(a.id for a in s2) <= s1 and 1 <= len(s2) <= 5
    assert sum(a.regional_cofinancing_per_year for a in s2) <= 7_500_000
    assert sum(a.total_budget_per_year for a in s2) <= 22_500_000
    assert all(a.regional_cofinancing_per_year <= 0.33 * a.total_budget_per_year for a in s2)
    # stage 2 ranks exactly the stage-1 selection
    assert set(example_result.stages[2].ranking.index) == s1


def test_every_application_has_a_reason(example_result):
    for sr in example_result.stages.values():
        t = sr.selection
        assert t["reason"].str.len().gt(0).all()
        assert (t["selected"] == t["reason"].str.startswith("selected")).all()
        dev = t[t["reason"].str.startswith("ranking deviation")]
        assert dev["cost_to_include"].ge(0).all()


def test_objective_matches_values(example_result):
    for sr in example_result.stages.values():
        chosen = sr.selection[sr.selection["selected"]]
        assert abs(chosen["value"].sum() - sr.outcome.objective) < 1e-9
