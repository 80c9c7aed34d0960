"""The run-folder schema (selection.schema): what the commands write is what it declares, and its
reader names what is missing or damaged, file by file and column by column."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from selection import schema
from selection.errors import InputError


@pytest.fixture(scope="module")
def written(example_dir, tmp_path_factory) -> dict[str, Path]:
    """A run folder and a panel folder written by the real commands on the example call."""
    from selection.cli import main

    out = tmp_path_factory.mktemp("schema-runs")
    assert main(["run", str(example_dir), "--out", str(out / "run"), "--quiet"]) == 0
    assert main(["panel", str(example_dir), "--out", str(out / "panel")]) == 0
    return {kind: next((out / kind).iterdir()) for kind in ("run", "panel")}


@pytest.mark.parametrize("kind", ["run", "panel"])
def test_written_folders_match_the_schema(written, kind):
    folder = written[kind]
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
    assert list(SELECTION_COLUMNS) == list(schema.SELECTION.columns + schema.SELECTION.optional)
    assert {schema.table_for(f).name for f in SENSITIVITY_FILES} == {t.name for t in schema.tables_of("sensitivity")}


def test_the_report_names_its_columns_through_the_schema():
    from selection.report.bundle import REQUIRED_COLUMNS

    for name in REQUIRED_COLUMNS:
        assert schema.table_for(name.replace("{n}", "1")) is not None, name
    with pytest.raises(KeyError, match="ranking.csv has no column"):
        schema.RANKING.col("rank", "ranking")
