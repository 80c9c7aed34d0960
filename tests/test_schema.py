"""The run-folder schema (selection.schema): what the commands write is what it declares, and its
reader names what is missing or damaged, file by file and column by column."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selection import schema
from selection.errors import InputError

KINDS = ["run", "panel", "bayes-panel", "scenarios", "sensitivity"]


@pytest.fixture(scope="module")
def written(example_dir, tmp_path_factory) -> dict[str, Path]:
    """A folder of every kind written by the real commands on the example call (a small
    sensitivity run; a Bayesian panel folder)."""
    from selection.cli import main

    out = tmp_path_factory.mktemp("schema-runs")
    assert main(["run", str(example_dir), "--out", str(out / "run"), "--quiet"]) == 0
    assert main(["panel", str(example_dir), "--out", str(out / "panel"), "--boot", "50", "--quiet"]) == 0
    assert main(["panel", str(example_dir), "--out", str(out / "bayes-panel"), "--boot", "50", "--model", "bayes",
                 "--quiet"]) == 0
    assert main(["scenarios", str(example_dir), "--out", str(out / "scenarios")]) == 0
    assert main(["sensitivity", str(example_dir), "--out", str(out / "sensitivity"), "--samples", "20",
                 "--bootstrap", "4", "--sweep-steps", "3", "--workers", "1", "--no-progress", "--no-rpm"]) == 0
    return {kind: next((out / kind).iterdir()) for kind in KINDS}


@pytest.mark.parametrize("name", KINDS)
def test_written_folders_match_the_schema(written, name):
    folder = written[name]
    kind = name.removeprefix("bayes-")
    assert schema.check_folder(folder, kind) == []
    manifest = schema.validate_folder(folder, kind)
    assert manifest["schema_version"] == schema.SCHEMA_VERSION
    for name in (p.name for p in folder.glob("*.csv")):
        assert schema.table_for(name) is not None, f"{name} is written but not declared in selection/schema.py"
        assert kind in schema.table_for(name).kinds


def _damage(written, tmp_path) -> Path:
    folder = tmp_path / "run"
    shutil.copytree(written["run"], folder)
    return folder


def test_a_missing_column_is_named_with_its_file(written, tmp_path):
    folder = _damage(written, tmp_path)
    ranking = folder / schema.RANKING.file()
    lines = ranking.read_text(encoding="utf-8").splitlines()
    header = lines[0].split(",")
    k = header.index("eligible")
    ranking.write_text("\n".join(",".join(v for j, v in enumerate(line.split(",")) if j != k)
                                 for line in lines[:1]) + "\n", encoding="utf-8")
    problems = schema.check_folder(folder, "run")
    lacks = [p for p in problems if "lacks the column(s) eligible" in p.message]
    assert lacks and lacks[0].file == str(ranking) and lacks[0].column == "eligible"
    changed = [p for p in problems if "was changed after the run wrote it" in p.message]
    assert [p.file for p in changed] == [str(ranking)]


def test_missing_and_unknown_files_and_columns(written, tmp_path):
    folder = _damage(written, tmp_path)
    for p in folder.glob("selection-stage*.csv"):
        p.unlink()
    (folder / schema.AGREEMENT.file()).write_text("stage,criterion_id,measure,value,ci_low,ci_high,"
                                                  "n_applications,n_experts,note,mood\n", encoding="utf-8")
    messages = [p.message for p in schema.check_folder(folder, "run", hashes=False)]
    assert any(m.startswith("no selection-stage<N>.csv") for m in messages)
    assert any("selection-stage1.csv is missing (the manifest lists it)" in m for m in messages)
    assert any("agreement.csv has column(s) the schema does not know: mood" in m for m in messages)


@pytest.mark.parametrize("manifest, expected", [
    (None, "no manifest.json"),
    ("{not json", "manifest.json is not valid JSON"),
    ('{"kind": "report"}', "no known \"kind\""),
])
def test_a_damaged_manifest_is_named(written, tmp_path, manifest, expected):
    folder = _damage(written, tmp_path)
    if manifest is None:
        (folder / "manifest.json").unlink()
    else:
        (folder / "manifest.json").write_text(manifest, encoding="utf-8")
    problems = schema.check_folder(folder)
    assert len(problems) == 1 and expected in problems[0].message
    with pytest.raises(InputError, match="manifest.json"):
        schema.validate_folder(folder)


def test_newer_schema_and_wrong_kind_are_refused(written, tmp_path):
    folder = _damage(written, tmp_path)
    mf = folder / "manifest.json"
    data = json.loads(mf.read_text(encoding="utf-8"))
    mf.write_text(json.dumps({**data, "schema_version": schema.SCHEMA_VERSION + 1}), encoding="utf-8")
    messages = [p.message for p in schema.check_folder(folder, "sensitivity")]
    assert any("newer than this program reads" in m for m in messages)
    assert any("this is a 'run' folder, not a 'sensitivity' folder" in m for m in messages)


def test_a_folder_from_before_schema_versions_reads_as_version_0(written, tmp_path):
    folder = _damage(written, tmp_path)
    mf = folder / "manifest.json"
    data = json.loads(mf.read_text(encoding="utf-8"))
    del data["schema_version"]
    mf.write_text(json.dumps(data), encoding="utf-8")
    assert schema.check_folder(folder, "run") == []


def test_engine_column_constants_are_the_schema_columns():
    """Computing modules keep their column lists; each must be the schema's (one name, one place)."""
    from selection.aggregate import AGREEMENT_COLUMNS, DIVERGENCE_COLUMNS, RANK_INTERVAL_COLUMNS
    from selection.aggregate.calibration import LENIENCY_COLUMNS
    from selection.select import ALTERNATIVE_COLUMNS, SELECTION_COLUMNS
    from selection.select.reserve import RESERVE_COLUMNS
    from selection.sensitivity import SENSITIVITY_FILES

    assert ["stage", *AGREEMENT_COLUMNS] == list(schema.AGREEMENT.columns)
    assert ["stage", *DIVERGENCE_COLUMNS] == list(schema.DIVERGENCE.columns)
    assert ["stage", "application_id", *RANK_INTERVAL_COLUMNS] == list(schema.RANK_INTERVALS.columns)
    assert ["stage", *LENIENCY_COLUMNS] == [c for c in schema.LENIENCY.columns]
    assert list(ALTERNATIVE_COLUMNS) == list(schema.ALTERNATIVES.columns)
    assert list(RESERVE_COLUMNS) == list(schema.RESERVE.columns)
    assert list(SELECTION_COLUMNS) == list(schema.SELECTION.columns) + ["reason_code", "facts"]
    assert set(schema.SELECTION.optional) == {"reason_code", "facts", "requested", "granted"}  # + partial funding
    assert {schema.table_for(f).name for f in SENSITIVITY_FILES} == {t.name for t in schema.tables_of("sensitivity")}


def test_the_report_names_its_columns_through_the_schema():
    from selection.report.bundle import REQUIRED_COLUMNS

    for name in REQUIRED_COLUMNS:
        assert schema.table_for(name.replace("{n}", "1")) is not None, name
    with pytest.raises(KeyError, match="ranking.csv has no column"):
        schema.RANKING.col("rank", "ranking")


def test_bayes_panel_folders_hold_the_declared_posterior_tables(written):
    names = {p.name for p in written["bayes-panel"].glob("*.csv")}
    for t in (schema.POSTERIOR, schema.EXPERT_POSTERIOR, schema.POSTERIOR_DIAGNOSTICS):
        assert t.name in names and "panel" in t.kinds


def test_tables_are_long_per_stage():
    """Schema version 2: no table has a column per stage; a table about several stages has a
    ``stage`` column (issue 13, item 3)."""
    for t in schema.TABLES:
        for c in t.columns + t.optional:
            assert "{n}" not in c and not re.search(r"stage\d+", c), (t.name, c)
    for name in ("scenario-matrix.csv", "selection-probability.csv", "score-uncertainty.csv", "weight-sweep.csv"):
        assert schema.table_for(name).columns[0] == "stage" and schema.table_for(name).since == 2


def test_written_stage_rows_agree_with_the_run(written):
    """The long tables hold one row per stage and application (every stage that ran), and their
    baseline flags are the run's selection (manifest ``selected``)."""
    run = json.loads((written["run"] / "manifest.json").read_text(encoding="utf-8"))
    prob = pd.read_csv(written["sensitivity"] / "selection-probability.csv", dtype={"application_id": str})
    assert sorted(set(prob["stage"])) == sorted(int(n) for n in run["selected"])
    assert not prob.duplicated(["stage", "application_id"]).any()
    for n, ids in run["selected"].items():
        part = prob[prob["stage"] == int(n)]
        assert set(part.loc[part["selected_baseline"], "application_id"]) == set(ids)
    matrix = pd.read_csv(written["scenarios"] / "scenario-matrix.csv", dtype={"application_id": str})
    base = matrix[matrix["scenario"] == "baseline"]
    for n, ids in run["selected"].items():
        part = base[base["stage"] == int(n)]
        assert set(part.loc[part["selected"] == 1, "application_id"]) == set(ids)
    times = matrix.groupby(["stage", "application_id"])["selected"].sum()
    first = matrix.drop_duplicates(["stage", "application_id"]).set_index(["stage", "application_id"])
    assert (first["times_selected"] == times.reindex(first.index)).all()
    sweep = pd.read_csv(written["sensitivity"] / "weight-sweep.csv")
    assert set(sweep["selection_stage"]) == {int(n) for n in run["selected"]}
    for _, r in sweep.iterrows():  # same_as_baseline compares that stage's selection with the run's
        same = sorted(str(r["selected"]).split()) == sorted(run["selected"][str(r["selection_stage"])])
        assert bool(r["same_as_baseline"]) == same


def _old_layout(written, tmp_path) -> Path:
    """The sensitivity folder as version 1 wrote it: selection-probability.csv with a column per stage."""
    folder = tmp_path / "old"
    shutil.copytree(written["sensitivity"], folder)
    mf = folder / "manifest.json"
    data = json.loads(mf.read_text(encoding="utf-8"))
    mf.write_text(json.dumps({**data, "schema_version": 1}), encoding="utf-8")
    (folder / "selection-probability.csv").write_text(
        "application_id,title,selected_stage1_baseline,probability_selected_stage1,infeasible_share_stage1\n"
        "KP-01,Lyd,False,0.5,0\n", encoding="utf-8")
    return folder


def test_a_folder_of_the_old_layout_is_named_as_such(written, tmp_path):
    folder = _old_layout(written, tmp_path)
    problems = schema.check_folder(folder, "sensitivity", hashes=False)
    old = [p for p in problems if "layout of schema version 1" in p.message]
    assert len(old) == 3  # every table of this folder whose layout changed, each named once
    prob = next(p for p in old if p.file == str(folder / "selection-probability.csv"))
    assert "one column per stage" in prob.message and "this program reads version 2" in prob.message
    assert "run `selection sensitivity` again" in prob.hint
    assert not any("the schema does not know" in p.message for p in problems)  # not mistaken for damage


def test_the_report_says_an_old_folder_has_the_old_layout(written, tmp_path):
    from selection.report.bundle import load_bundle

    b = load_bundle(_old_layout(written, tmp_path), kind="sensitivity")
    assert b.table("selection-probability.csv") is None
    why = b.unusable["selection-probability.csv"]
    assert why.startswith("was written in the layout of schema version 1") and "selection sensitivity" in why
    assert b.table("rank-acceptability.csv") is not None  # a table whose layout did not change is read


def test_application_attributes_are_the_call_folders(written, example_dir):
    """``application-attributes.csv`` against the example's applications.csv read with the csv
    module (not the engine's reader): every declared attribute value, one row per value."""
    import csv
    import tomllib

    attrs = pd.read_csv(written["run"] / "application-attributes.csv", dtype=str, keep_default_na=False)
    vocab = tomllib.loads((example_dir / "vocabulary.toml").read_text(encoding="utf-8"))["attributes"]
    with open(example_dir / "applications.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    want = set()
    for row in rows:
        for a in vocab:
            raw = row.get(a.get("column", a["id"]), "").strip()
            if not raw:
                continue
            if a["type"] == "several":
                values = [v.strip() for v in re.split(r"[|;,]", raw) if v.strip()]
            elif a["type"] == "yes_no":
                values = ["true" if raw.lower() in ("true", "ja", "yes", "1") else "false"]
            else:
                values = [raw]
            want |= {(row["application_id"], a["id"], v) for v in values}
    assert set(zip(attrs["application_id"], attrs["attribute"], attrs["value"], strict=True)) == want
    industry = attrs[(attrs["attribute"] == "industry") & (attrs["value"] == "music")].iloc[0]
    assert (industry["value_en"], industry["value_da"], industry["attribute_da"]) == ("Music", "Musik", "Branche")


def test_the_workbench_joins_each_core_label_to_its_stages_probability(tmp_path):
    """The workbench's robust-portfolio table reads the long selection-probability.csv (a row per
    stage): each core row gets the probability of its own stage."""
    from selection.web.app import _core_labels

    pd.DataFrame({"stage": [1, 1], "application_id": ["A", "B"], "core_index": [1.0, 0.0],
                  "core_label": ["core", "exterior"], "n_nondominated": [3, 3],
                  "weight_information": ["interval ±20%"] * 2}).to_csv(tmp_path / "core-index.csv", index=False)
    pd.DataFrame({"stage": [1, 1, 2, 2], "application_id": ["A", "B", "A", "B"], "title": ["a", "b"] * 2,
                  "selected_baseline": [True, False, True, False], "probability_selected": [0.9, 0.1, 0.6, 0.0],
                  "infeasible_share": [0.0] * 4}).to_csv(tmp_path / "selection-probability.csv", index=False)
    rows = _core_labels(tmp_path)
    assert [(r["application_id"], r["core_label"], r["probability_selected"]) for r in rows] == [
        ("A", "core", 0.9), ("B", "exterior", 0.1)]


def test_the_dossiers_show_the_declared_attributes_in_both_languages(written):
    """The report's dossier lines for the attributes come from application-attributes.csv, with the
    call's labels in the report's language (several values joined in the declared order)."""
    from selection.report.bundle import load_bundle
    from selection.report.content import _attribute_facts

    b = load_bundle(written["run"], kind="run")
    da, en = dict(_attribute_facts(b, "da")["KP-02"]), dict(_attribute_facts(b, "en")["KP-02"])
    assert da["Branche"] == "Design, Møbler & Interiør" and en["Industry"] == "Design, Furniture & Interior"
    assert da["Landdistrikt/yderområde"] == "nej" and en["Rural/peripheral"] == "no"
    assert list(en)[:3] == ["Industry", "Focus area", "Municipality"]  # the call's order


@pytest.mark.parametrize("name, old", [
    ("scenario-matrix.csv", {"application_id": ["A"], "title": ["a"], "baseline_stage1": [1], "baseline_stage2": [0],
                             "times_selected_stage1": [1], "robust_core_stage1": [True]}),
    ("weight-sweep.csv", {"stage": [1], "criterion": ["c"], "weight": [0.5], "baseline_weight": [0.4],
                          "selected_stage1": ["A"], "selected_stage2": ["A"], "same_as_baseline": [True]}),
    ("selection-probability.csv", {"application_id": ["A"], "title": ["a"], "selected_stage1_baseline": [True],
                                   "probability_selected_stage1": [0.5], "infeasible_share_stage1": [0.0]}),
])
def test_the_plot_api_says_a_table_has_the_old_layout(name, old):
    from selection.plot.layout import as_drawn

    with pytest.raises(ValueError, match=f"{name} is in the layout of schema version 1"):
        as_drawn(name, pd.DataFrame(old))


def test_drawn_views_are_not_mistaken_for_the_old_layout():
    from selection.plot.layout import as_drawn

    view = pd.DataFrame({"application_id": ["A"], "probability_selected_stage1": [0.5],
                         "selected_baseline_stage1": [True], "infeasible_share_stage1": [0.0], "core_label": ["core"]})
    assert as_drawn("selection-probability.csv", view) is view
    drawn = pd.DataFrame({"application_id": ["A"], "scenario": ["baseline"], "selected_stage1": [1]})
    assert as_drawn("scenario-matrix.csv", drawn) is drawn


@given(st.dictionaries(st.integers(1, 3), st.dictionaries(st.sampled_from(["A", "B", "C", "D"]),
                                                          st.floats(0, 1, allow_nan=False), min_size=1),
                       min_size=1))
@settings(max_examples=40, deadline=None)
def test_by_stage_reshapes_without_losing_or_inventing_a_value(data):
    """Property: a long table (a row per stage and application) put side by side by stage holds
    every value at its (application, stage) cell and nothing where a stage has no row."""
    from selection.plot.layout import by_stage

    long = pd.DataFrame([(n, a, p) for n, apps in sorted(data.items()) for a, p in apps.items()],
                        columns=["stage", "application_id", "p"])
    wide = by_stage(long, ["p"]).set_index("application_id")
    assert sorted(wide.index) == sorted({a for apps in data.values() for a in apps})
    assert list(wide.columns) == [f"p_stage{n}" for n in sorted(data)]
    for n, apps in data.items():
        for a in wide.index:
            v = wide.at[a, f"p_stage{n}"]
            assert (v == apps[a]) if a in apps else pd.isna(v)


def test_the_written_probabilities_draw_through_their_view(written):
    """The sensitivity folder's selection-probability.csv as written, and its view with the core
    labels (what the report and the workbench draw), both reach the figure."""
    from selection import plot
    from selection.plot.layout import probability_view

    prob = pd.read_csv(written["sensitivity"] / "selection-probability.csv")
    core = pd.read_csv(written["sensitivity"] / "core-index.csv")
    n = prob["application_id"].nunique()
    assert len(plot.selection_probability(prob).get_yticklabels()) == n
    assert len(plot.selection_probability(probability_view(prob, core)).get_yticklabels()) == n
