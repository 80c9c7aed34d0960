"""The example call end to end: every stage's selection respects every rule of the call."""

from __future__ import annotations


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
    for f in call.attribute("focus_area").value_ids():  # declared by the call's vocabulary
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


def test_scenario_ranking_method_and_params_reach_the_ranking(example_dir):
    """The promethee scenario ranks stage 1 by PROMETHEE II with its preference functions; the
    score the selection maximises is (phi + 1) / 2, so a full selection is still made."""
    from selection.pipeline import load_call_folder, run_call

    folder = load_call_folder(example_dir, "promethee")
    st = folder.call.stage(1)
    assert st.ranking_method == "promethee_ii"
    assert st.ranking_params["preference_functions"]["udsyn"] == {"function": "v_shape", "p": 2}
    result = run_call(folder)
    r = result.stages[1].ranking
    assert r["method_score"].between(-1, 1).all() and r["method_score"].lt(0).any()
    assert ((r["score"] - (r["method_score"] + 1) / 2).abs() < 1e-12).all()
    assert len(result.stages[1].outcome.selected) == 8


def test_unknown_ranking_parameter_is_a_clear_error(example_folder):
    import pytest

    from selection.errors import RankingError
    from selection.model import Call
    from selection.pipeline import CallFolder, run_call

    data = example_folder.call.model_dump()
    data["stages"][0]["ranking_method"] = "vikor"
    data["stages"][0]["ranking_params"] = {"w": 0.5}
    call = Call.model_validate(data)
    folder = CallFolder(**{**example_folder.__dict__, "call": call})
    with pytest.raises(RankingError, match="ranking method 'vikor' takes no parameter"):
        run_call(folder)


def test_stage1_runs_before_stage2_scores_exist(call_copy, tmp_path, capsys):
    """December: the business plans (stage 2) are not assessed yet; stage 1 must still run."""
    import shutil

    from selection.cli import main
    from selection.pipeline import load_call_folder, run_call

    shutil.rmtree(call_copy / "scores" / "stage2")
    folder = load_call_folder(call_copy)
    assert [s.number for s in folder.call.stages] == [1]
    assert folder.pending == ("stage 2 is not run yet: no score files in scores/stage2",)
    result = run_call(folder)
    assert len(result.stages[1].outcome.selected) == 8
    assert main(["validate", str(call_copy)]) == 0
    assert "Note: stage 2 is not run yet" in capsys.readouterr().out
    assert main(["run", str(call_copy), "--out", str(tmp_path / "runs")]) == 0
    out = capsys.readouterr().out
    assert "== Stage 2 is not run yet: no score files in scores/stage2 ==" in out
    (run,) = (tmp_path / "runs").iterdir()
    assert not (run / "selection-stage2.csv").exists() and (run / "selection-stage1.csv").exists()


def test_stage2_needs_scores_only_for_the_stage1_selection(call_copy):
    """Stage-2 assessments of the applications stage 1 did not select are not required; a
    missing one for a selected application is a clear error naming it."""
    import pytest

    from selection.errors import InputError
    from selection.pipeline import load_call_folder, run_call

    chosen = set(run_call(load_call_folder(call_copy)).stages[1].outcome.selected)
    for f in (call_copy / "scores" / "stage2").glob("*.csv"):
        raw = f.read_bytes()
        enc = "cp1252" if b";" in raw.splitlines()[0] else "utf-8"
        lines = raw.decode(enc).splitlines(keepends=True)
        keep = [lines[0]] + [ln for ln in lines[1:] if any(f"{a}," in ln or f"{a};" in ln for a in chosen)]
        f.write_bytes("".join(keep).encode(enc))
    result = run_call(load_call_folder(call_copy))
    assert set(result.stages[2].ranking.index) == chosen
    victim = sorted(chosen)[0]
    for f in (call_copy / "scores" / "stage2").glob("*.csv"):
        raw = f.read_bytes()
        enc = "cp1252" if b";" in raw.splitlines()[0] else "utf-8"
        lines = raw.decode(enc).splitlines(keepends=True)
        f.write_bytes("".join(ln for ln in lines if f"{victim}," not in ln and f"{victim};" not in ln).encode(enc))
    with pytest.raises(InputError, match=f"application {victim}, selected in stage 1, has scores from 0 expert"):
        run_call(load_call_folder(call_copy))


def test_sensitivity_with_a_waiting_stage(call_copy, tmp_path, capsys):
    """Only stage 1 has scores: sensitivity analyses stage 1 alone (rows of stage 1 only)."""
    import shutil

    import pandas as pd

    from selection.cli import main

    shutil.rmtree(call_copy / "scores" / "stage2")
    code = main(["sensitivity", str(call_copy), "--out", str(tmp_path / "out"), "--samples", "40",
                 "--bootstrap", "10", "--sweep-steps", "3", "--no-rpm"])
    assert code == 0, capsys.readouterr().err
    (run,) = (tmp_path / "out").iterdir()
    prob = pd.read_csv(run / "selection-probability.csv")
    assert set(prob["stage"]) == {1} and not prob["probability_selected"].isna().any()


def test_with_scenario_equals_loading_the_scenario(example_dir, example_folder):
    """Applying a scenario to the loaded baseline gives the same folder as loading it afresh."""
    from selection.pipeline import load_call_folder, run_call, with_scenario

    for name in sorted(p.stem for p in (example_dir / "scenarios").glob("*.toml")):
        fast, slow = with_scenario(example_folder, name), load_call_folder(example_dir, name)
        assert fast.call == slow.call and fast.catalogues == slow.catalogues and fast.scenario == slow.scenario
        assert set(fast.input_files) == set(slow.input_files)
        a, b = run_call(fast), run_call(slow)
        for n in a.stages:
            assert a.stages[n].selection.equals(b.stages[n].selection)
