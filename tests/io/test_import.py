"""Import into the store: round trip, idempotence, replacement per expert, provenance, no double
reading by ``selection run``."""

from __future__ import annotations

import hashlib
import shutil

import pandas as pd
import pytest

from selection.errors import InputError, ScoreSheetError
from selection.io.export import neutralise
from selection.io.store import apply_import, plan_import, store_path
from selection.io.workbook import SCORES_SHEET
from selection.pipeline import load_call_folder, run_call

KEY = ["expert_id", "application_id", "criterion_id"]


def _fill_from(frame, expert):
    mine = frame[frame.expert_id == expert]
    scores = {(r.application_id, r.criterion_id): ("afstår" if r.abstained else float(r.score))
              for r in mine.itertuples()}
    comments = {(r.application_id, r.criterion_id): r.comment for r in mine.itertuples()
                if r.comment}
    return scores, comments


@pytest.fixture
def filled_call(call_copy, kp, example_stage1, sheet_tools, tmp_path):
    """The example call with its stage-1 CSVs moved away, and one filled workbook per expert
    holding exactly the scores and comments of those CSVs (the experts' returned sheets)."""
    call, ctx = kp
    (tmp_path / "aside").mkdir()
    for f in (call_copy / "scores" / "stage1").glob("*.csv"):
        shutil.move(f, tmp_path / "aside" / f.name)
    out = tmp_path / "returned"
    out.mkdir()
    files = []
    for e in sorted(ctx.experts):
        path = sheet_tools.make(out / f"{e}.xlsx", call, ctx, e)
        scores, comments = _fill_from(example_stage1, e)
        files.append(sheet_tools.fill(path, scores, comments))
    return call_copy, files


def _digests(files):
    return {f: hashlib.sha256(f.read_bytes()).hexdigest() for f in files}


def test_round_trip_generate_fill_import_gives_the_same_scores(filled_call, kp, example_stage1):
    root, files = filled_call
    _, ctx = kp
    before = _digests(files)
    plan = plan_import(root, "scores", 1, ctx, files)
    assert {c.status for c in plan.changes} == {"new"}
    apply_import(plan)
    assert _digests(files) == before  # sources never modified
    stored = pd.read_csv(store_path(root, "scores", 1), keep_default_na=False, dtype=str)
    ref = example_stage1.set_index(KEY).sort_index()
    got = stored.set_index(KEY).sort_index()
    assert got.index.equals(ref.index)
    assert (got["abstained"] == ref["abstained"].map(str)).all()
    s = pd.to_numeric(got["score"].where(got["score"] != "", None)).astype(float)
    assert s.equals(ref["score"].rename("score"))
    assert (got["comment"] == ref["comment"].map(neutralise)).all()  # e.g. '=Bemærk' -> "'=Bemærk"
    # provenance: every row names the archived byte-identical copy, its hash, sheet and cell
    for r in stored.itertuples():
        archived = root / r.source_file
        assert hashlib.sha256(archived.read_bytes()).hexdigest() == r.source_sha256
        assert r.sheet == SCORES_SHEET and r.cell[0] in "CDEFGHIJ"
    # and selection run on the imported workbooks gives exactly the CSV run's results
    folder = load_call_folder(root)
    e1 = folder.evaluations[1].set_index(KEY).sort_index()
    assert e1["score"].equals(ref["score"])
    assert any(p.name == "stage1-imported.csv" for p in folder.input_files)


def test_run_on_imported_sheets_equals_run_on_csvs(filled_call, kp, example_result):
    root, files = filled_call
    _, ctx = kp
    apply_import(plan_import(root, "scores", 1, ctx, files))
    result = run_call(load_call_folder(root))
    for n in (1, 2):
        a, b = result.stages[n], example_result.stages[n]
        assert a.outcome.selected == b.outcome.selected
        pd.testing.assert_frame_equal(a.ranking, b.ranking)


def test_reimport_is_idempotent_and_correction_replaces_exactly_one_expert(
        filled_call, kp, sheet_tools, tmp_path):
    root, files = filled_call
    _, ctx = kp
    apply_import(plan_import(root, "scores", 1, ctx, files))
    store = store_path(root, "scores", 1)
    first = store.read_bytes()
    again = plan_import(root, "scores", 1, ctx, files)
    assert not again.changed and {c.status for c in again.changes} == {"unchanged"}
    apply_import(again)
    assert store.read_bytes() == first
    # E03 corrects one score (C7) and sends the file again under another name
    e03 = next(f for f in files if f.stem == "E03")
    fixed = tmp_path / "E03-rettet.xlsx"
    sheet_tools.fill(e03, {}, out=fixed, edit=lambda wb: setattr(wb[SCORES_SHEET]["C7"], "value", 0))
    plan = plan_import(root, "scores", 1, ctx, [fixed])
    (change,) = plan.changes
    assert change.status == "replaced" and change.n_changed == 1
    assert change.describe() == ("E03: replaced 152 scores from E03.xlsx by 152 scores from "
                                 "E03-rettet.xlsx (1 differ)")
    apply_import(plan)
    old = pd.read_csv(pd.io.common.BytesIO(first), dtype=str, keep_default_na=False)
    new = pd.read_csv(store, dtype=str, keep_default_na=False)
    others_old = old[old.expert_id != "E03"].reset_index(drop=True)
    others_new = new[new.expert_id != "E03"].reset_index(drop=True)
    pd.testing.assert_frame_equal(others_old, others_new)
    assert set(new[new.expert_id == "E03"].original_name) == {"E03-rettet.xlsx"}
    # the superseded original stays archived (nothing is lost)
    assert len(list((root / "scores" / "stage1-imported").rglob("E03*.xlsx"))) == 2


def test_dry_plan_failing_writes_nothing_and_reports_all(filled_call, kp, sheet_tools, tmp_path):
    root, files = filled_call
    _, ctx = kp
    bad = sheet_tools.fill(files[0], {}, out=tmp_path / "bad.xlsx",
                           edit=lambda wb: setattr(wb[SCORES_SHEET]["C7"], "value", 9))
    with pytest.raises(ScoreSheetError) as exc:
        plan_import(root, "scores", 1, ctx, [*files[1:], bad])
    assert "cell C7: 9 is outside the scale 0–5" in str(exc.value)
    assert not store_path(root, "scores", 1).exists()
    assert not (root / "scores" / "stage1-imported").exists()


def test_score_in_store_and_in_hand_placed_file_is_an_error(filled_call, kp, tmp_path):
    root, files = filled_call
    _, ctx = kp
    apply_import(plan_import(root, "scores", 1, ctx, files[1:]))  # all but E01
    shutil.copy(tmp_path / "aside" / "expert-02.csv", root / "scores" / "stage1")
    with pytest.raises(InputError) as exc:
        load_call_folder(root)
    assert "expert E02 scored the same 152 application x criterion cells in" in str(exc.value)
    with pytest.raises(ScoreSheetError, match="expert E02 scored the same 152 application x criterion cells"):
        plan_import(root, "scores", 1, ctx, files[:1])


def test_run_reads_hand_placed_files_and_store_once_each(filled_call, kp, tmp_path,
                                                         example_stage1):
    root, files = filled_call
    _, ctx = kp
    apply_import(plan_import(root, "scores", 1, ctx, files[1:]))  # E02..E07 imported
    shutil.copy(tmp_path / "aside" / "expert-01.csv", root / "scores" / "stage1")  # E01 by hand
    folder = load_call_folder(root)
    got = folder.evaluations[1].set_index(KEY).sort_index()
    ref = example_stage1.set_index(KEY).sort_index()
    assert got.index.equals(ref.index) and got["score"].equals(ref["score"])


def test_tampered_archive_is_detected(filled_call, kp):
    root, files = filled_call
    _, ctx = kp
    apply_import(plan_import(root, "scores", 1, ctx, files))
    archived = next((root / "scores" / "stage1-imported").rglob("E05.xlsx"))
    archived.write_bytes(archived.read_bytes() + b"x")
    with pytest.raises(InputError, match="E05.xlsx was changed"):
        load_call_folder(root)
