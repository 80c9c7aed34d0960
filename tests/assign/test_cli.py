"""``selection assign`` on a copy of the example call, as the secretariat runs it; and
``selection validate`` before any score exists."""

from __future__ import annotations

import csv
import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from selection.assign import (
    application_terms,
    build_problem,
    expertise_fit,
    normalise_term,
    solve_assignment,
)
from selection.cli import main
from selection.io.store import call_context
from selection.io.tables import read_experts
from selection.model import AssignmentRules


def rows(path: Path) -> list[dict[str, str]]:
    with path.open(encoding="utf-8") as fh:
        return list(csv.DictReader(fh))


def test_assign_writes_a_new_file_and_never_overwrites(call_copy, capsys):
    out = call_copy / "new.csv"
    before = (call_copy / "assignments.csv").read_bytes()
    assert main(["assign", str(call_copy), "--stage", "1", "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "Solved exactly" in text and "KP-14" in text and "E04 (fit 1.00): declared conflict of interest" in text
    new = [r for r in rows(out) if r.get("stage", "1") == "1"]
    assert len(new) == 40 * 3  # experts_per_application = 3 in the example call
    experts = {e.id: e for e in read_experts(call_copy / "experts.csv")}
    for r in new:
        assert r["application_id"] not in experts[r["expert_id"]].conflicts
    by_app: dict[str, list[str]] = {}
    for r in new:
        by_app.setdefault(r["application_id"], []).append(r["expert_id"])
    for ids in by_app.values():  # the call asks for a business and a creative expert each
        kinds = set().union(*(experts[e].kind for e in ids))
        assert {"business", "creative"} <= kinds
    assert (call_copy / "assignments.csv").read_bytes() == before
    manifest = json.loads((call_copy / "new.csv.manifest.json").read_text(encoding="utf-8"))
    assert manifest["kind"] == "assign" and manifest["stage"] == 1
    assert set(manifest["inputs"]) >= {"call.toml", "applications.csv", "experts.csv", "assignments.csv"}
    # same inputs, same bytes; and an existing file is never replaced
    again = call_copy / "again.csv"
    assert main(["assign", str(call_copy), "--stage", "1", "--out", str(again)]) == 0
    assert again.read_bytes() == out.read_bytes()
    assert main(["assign", str(call_copy), "--stage", "1", "--out", str(out)]) == 1
    assert "never overwritten" in capsys.readouterr().err


def test_dated_name_beside_the_file_in_force(call_copy, capsys):
    assert main(["assign", str(call_copy), "--stage", "1", "--per-application", "2"]) == 0
    made = sorted(call_copy.glob("assignments-stage1-*.csv"))
    made = [p for p in made if "proposed" not in p.name]
    assert len(made) == 1
    assert main(["assign", str(call_copy), "--stage", "1", "--per-application", "2"]) == 0
    assert len([p for p in call_copy.glob("assignments-stage1-*.csv") if "proposed" not in p.name]) == 2


def test_infeasible_says_why_with_numbers(call_copy, capsys):
    experts = call_copy / "experts.csv"
    text = experts.read_text(encoding="utf-8").splitlines()
    # every expert but E01 declares a conflict with KP-12
    out = [text[0]] + [ln if ln.startswith("E01") else ln.replace(",,", ",KP-12,", 1) if ",," in ln
                       else ln.replace(",KP-", ",KP-12 | KP-", 1) for ln in text[1:]]
    experts.write_text("\n".join(out) + "\n", encoding="utf-8")
    code = main(["assign", str(call_copy), "--stage", "1", "--per-application", "2", "--out",
                 str(call_copy / "x.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert "KP-12 has 1 expert without a conflict but needs 2" in err
    assert not (call_copy / "x.csv").exists()


def test_incremental_keep_with_an_expert_dropping_out(call_copy, capsys):
    first = call_copy / "first.csv"
    assert main(["assign", str(call_copy), "--stage", "1", "--out", str(first)]) == 0
    second = call_copy / "second.csv"
    assert main(["assign", str(call_copy), "--stage", "1", "--keep", str(first), "--unavailable", "E03",
                 "--max-load", "20", "--out", str(second)]) == 0
    assert "Released: E03 - " in capsys.readouterr().out
    a = {(r["expert_id"], r["application_id"]) for r in rows(first) if r.get("stage", "1") == "1"}
    b = {(r["expert_id"], r["application_id"]) for r in rows(second) if r.get("stage", "1") == "1"}
    assert {p for p in a if p[0] != "E03"} <= b  # everything else stays
    assert not any(e == "E03" for e, _ in b)
    assert len(b - a) == len([p for p in a if p[0] == "E03"])


def test_forced_pairs_and_stage2_among_the_selection(call_copy, tmp_path, capsys):
    force = tmp_path / "force.csv"
    force.write_text("expert_id,application_id,assign\nE05,KP-02,yes\nE01,KP-01,no\n", encoding="utf-8")
    out = call_copy / "forced.csv"
    assert main(["assign", str(call_copy), "--stage", "1", "--force", str(force), "--out", str(out)]) == 0
    pairs = {(r["expert_id"], r["application_id"]) for r in rows(out) if r.get("stage", "1") == "1"}
    assert ("E05", "KP-02") in pairs and ("E01", "KP-01") not in pairs
    sel = tmp_path / "selection-stage1.csv"
    sel.write_text("application_id,selected\n" + "".join(f"KP-{i:02d},{'true' if i <= 8 else 'false'}\n"
                                                          for i in range(1, 41)), encoding="utf-8")
    # stage 2 without the stage-1 selection is refused with the fix
    assert main(["assign", str(call_copy), "--stage", "2", "--out", str(tmp_path / "s2.csv")]) == 1
    assert "--run RUN_DIR" in capsys.readouterr().err
    s2 = tmp_path / "s2.csv"
    assert main(["assign", str(call_copy), "--stage", "2", "--selected", str(sel), "--out", str(s2)]) == 0
    stage2 = [r for r in rows(s2) if r["stage"] == "2"]
    assert {r["application_id"] for r in stage2} == {f"KP-{i:02d}" for i in range(1, 9)}
    # continuity "keep" (the example's stage 2): as many in-force stage-1 pairs as possible
    in_force = {(r["expert_id"], r["application_id"]) for r in rows(call_copy / "assignments.csv")}
    kept = sum((r["expert_id"], r["application_id"]) in in_force for r in stage2)
    assert f"{kept} earlier-stage pairs kept" in capsys.readouterr().out
    assert kept >= 8 * 3 - 2  # each had 3 or 4 stage-1 experts; loads and kinds cost a few
    fresh = tmp_path / "fresh.csv"
    assert main(["assign", str(call_copy), "--stage", "2", "--selected", str(sel), "--continuity", "forbid",
                 "--max-load", "8", "--per-application", "2", "--out", str(fresh)]) in (0, 2)


def test_validate_before_any_score(call_copy, capsys):
    shutil.rmtree(call_copy / "scores")
    assert main(["validate", str(call_copy)]) == 0
    out = capsys.readouterr().out
    assert "no scores yet" in out
    assert "stage 1 is not run yet" in out and "stage 2 is not run yet" in out
    assert "Nothing to solve yet" in out


def test_validate_before_scores_still_checks_the_assignments(call_copy, capsys):
    shutil.rmtree(call_copy / "scores")
    with (call_copy / "assignments.csv").open("a", encoding="utf-8") as fh:
        fh.write("E99,KP-01\n")
    assert main(["validate", str(call_copy)]) == 1
    assert "unknown expert 'E99'" in capsys.readouterr().err


def test_problem_from_models_bars_organisation_and_municipality(example_dir):
    _, ctx = call_context(example_dir, 1)  # applications read with the call's declared attributes
    apps, experts = list(ctx.applications.values()), list(ctx.experts.values())
    rules = AssignmentRules(exclude_same_municipality=True, exclude_same_organisation=True)
    p, released = build_problem(apps, experts, rules, per_application=2)
    e01 = p.experts.index("E01")  # Aarhus
    for j, a in enumerate(apps):
        if a.attribute("municipality") == "Aarhus":
            assert p.bar[e01, j] == 3
    assert normalise_term(" Welfare-Innovation ") == "welfare_innovation"
    terms = application_terms(apps[0])
    assert "Aarhus" not in terms and terms  # a place is not expertise
    fit = expertise_fit([experts[0].expertise], [terms])
    assert 0.0 <= fit[0, 0] <= 1.0
    r = solve_assignment(p)
    assert not np.any(r.x & (p.bar > 0))


@pytest.mark.parametrize("mode", ["fair"])
def test_fair_mode_on_the_example(call_copy, capsys, mode):
    out = call_copy / "fair.csv"
    assert main(["assign", str(call_copy), "--stage", "1", "--mode", mode, "--out", str(out)]) == 0
    assert "worst-served application first" in capsys.readouterr().out


def test_the_file_in_force_is_read_per_stage(call_copy):
    """Pointing the call file at the new file puts it in force: sheets, import and validate read
    the rows of their own stage."""
    out = call_copy / "assignments-new.csv"
    assert main(["assign", str(call_copy), "--stage", "1", "--out", str(out)]) == 0
    old = {(r["expert_id"], r["application_id"]) for r in rows(call_copy / "assignments.csv")}
    toml = call_copy / "call.toml"
    toml.write_text(toml.read_text(encoding="utf-8").replace(
        'assignments = "assignments.csv"', 'assignments = "assignments-new.csv"'), encoding="utf-8")
    _, ctx = call_context(call_copy, 1)
    got = {(e, a) for e, apps in ctx.assignments.items() for a in apps}
    assert got == {(r["expert_id"], r["application_id"]) for r in rows(out)} != old
    _, ctx = call_context(call_copy, 2)  # a file without stages does not govern the stage-2 selection
    assert ctx.assignments is None


def test_validate_checks_the_assignment_against_the_rules(call_copy, capsys):
    shutil.rmtree(call_copy / "scores")
    path = call_copy / "assignments.csv"
    lines = [ln for ln in path.read_text(encoding="utf-8").splitlines() if not ln.endswith(",KP-01")]
    path.write_text("\n".join(lines + ["E02,KP-03"]) + "\n", encoding="utf-8")
    assert main(["validate", str(call_copy)]) == 1
    err = capsys.readouterr().err
    assert "stage 1: E02 is assigned KP-03 but declared a conflict of interest with it" in err
    assert "stage 1: KP-01 has 0 assigned experts; the stage needs at least 2" in err
