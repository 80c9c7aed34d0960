"""The Danish report says in Danish why a table is shown as a table only (an older version's layout,
missing columns), and its notes on measures that could not be computed carry the counts the English
notes carry."""

from __future__ import annotations

import json
import re

import pandas as pd

from selection.report import load_report_inputs
from selection.report.build import build_report
from selection.report.compact import agreement_view
from tests.report import reporttext, synthetic
from tests.report.test_danish import audit_text, make_current


def _old_sensitivity(run):
    """Make the sensitivity sibling a folder of schema version 1 (its tables in the older layout)."""
    (sens,) = [p for p in run.parent.iterdir() if p.is_dir() and p != run
               and json.loads((p / "manifest.json").read_text(encoding="utf-8"))["kind"] == "sensitivity"]
    m = json.loads((sens / "manifest.json").read_text(encoding="utf-8"))
    m["schema_version"] = 1
    (sens / "manifest.json").write_text(json.dumps(m, indent=2, sort_keys=True), encoding="utf-8")
    return sens


def test_older_layout_notice_in_danish(tmp_path):
    run = synthetic.make_folders(tmp_path)
    make_current(run)
    _old_sensitivity(run)
    inp = load_report_inputs(run)
    assert inp.sensitivity is not None and inp.sensitivity.unusable  # the case is exercised
    en = reporttext.visible_text(build_report(inp, lang="en")[0])
    da = reporttext.visible_text(build_report(inp, lang="da")[0])
    old_en = [ln for ln in en.splitlines() if "layout of schema version 1" in ln]
    old_da = [ln for ln in da.splitlines() if "ældre layout fra skemaversion 1" in ln]
    assert old_en and len(old_da) == len(old_en)
    assert all("kør `selection sensitivity` igen" in ln and "vises kun som tabel" in ln for ln in old_da)
    assert not [ln for ln in da.splitlines() if "layout of schema" in ln or "run `selection" in ln]
    assert audit_text(da) == []  # nothing else English came with it


def test_missing_columns_said_in_danish(tmp_path):
    run = synthetic.make_folders(tmp_path, others=False)
    t = pd.read_csv(run / "agreement.csv")
    t.drop(columns=["value"]).to_csv(run / "agreement.csv", index=False)
    inp = load_report_inputs(run)
    assert "agreement.csv" in inp.run.unusable
    assert inp.run.why("agreement.csv", "en") == inp.run.unusable["agreement.csv"]
    da = reporttext.visible_text(build_report(inp, lang="da")[0])
    assert "agreement.csv mangler kolonne(r): value; vises kun som tabel." in da
    assert "lacks the column" not in da


def _ints(text: str) -> list[int]:
    return sorted(int(t.replace(".", "").replace(",", "")) for t in re.findall(r"\d[\d.,]*\d|\d", text))


def test_not_computable_notes_carry_the_counts_in_danish():
    frame = pd.DataFrame({
        "stage": 1, "criterion_id": ["value", "value", "value", "value"],
        "measure": ["ICC1", "ICC2", "kendalls_w", "krippendorff_alpha_interval"],
        "value": [float("nan"), float("nan"), float("nan"), 0.5],
        "ci_low": float("nan"), "ci_high": float("nan"), "n_applications": [None, None, None, 40],
        "n_experts": [None, None, None, 7],
        "note": ["ICC1 needs at least 2 applications and an application scored by 2 or more experts; found 1 "
                 "application(s)",
                 "ICC2 needs at least 2 applications scored by the same 2 or more experts; 3 application(s) were "
                 "scored by every expert",
                 "Kendall's W needs at least 2 applications scored by the same 2 or more experts; found 0 "
                 "application(s) scored by all 1250 expert(s)", ""],
        # what the engine found, as data beside its English note (the report never reads the note's numbers)
        "found_applications": pd.array([1, 3, 0, None], dtype="Int64"),
        "found_experts": pd.array([None, None, 1250, None], dtype="Int64")})
    _, en = agreement_view(frame, ["value"], {"value": "Value"}, "en")
    _, da = agreement_view(frame, ["value"], {"value": "Værdi"}, "da")
    en_notes = [n for n in en if n.startswith("Not computable")]
    da_notes = [n for n in da if n.startswith("Kunne ikke beregnes")]
    assert len(en_notes) == len(da_notes) == 3
    assert _ints(" ".join(en_notes)) == _ints(" ".join(da_notes))  # 1, 3, 0, 1250 and the conditions' 2s
    assert any("fandt 0 ansøgning(er) bedømt af alle 1.250 eksperter" in n for n in da_notes)
    assert any("3 ansøgning(er) blev bedømt af alle eksperter" in n for n in da_notes)


def test_the_danish_counts_come_from_the_data_not_from_the_english_note():
    """Issue 13: no module parses prose back into data. With the counts as columns and a note whose
    numbers differ, the Danish note says the columns' counts."""
    frame = pd.DataFrame({"stage": 1, "criterion_id": ["value"], "measure": ["kendalls_w"], "value": [float("nan")],
                          "ci_low": float("nan"), "ci_high": float("nan"), "n_applications": [None],
                          "n_experts": [None], "note": ["Kendall's W needs ...; found 9 application(s) scored by all "
                                                        "9 expert(s)"],
                          "found_applications": pd.array([2], dtype="Int64"),
                          "found_experts": pd.array([4], dtype="Int64")})
    _, da = agreement_view(frame, ["value"], {"value": "Værdi"}, "da")
    assert any("fandt 2 ansøgning(er) bedømt af alle 4 eksperter" in n for n in da) and "9" not in " ".join(da)


def test_the_engine_writes_what_a_measure_found_as_counts():
    import numpy as np

    from selection.aggregate.panel import agreement_table
    from tests.aggregate.test_scale_identity import labelled

    x = np.full((3, 4, 1), np.nan)
    x[0, :2, 0], x[1, 2:, 0], x[2, 1, 0] = 3.0, 4.0, 2.0  # nobody scores every application
    t = agreement_table(labelled(x))
    w = t[(t["measure"] == "kendalls_w") & (t["criterion_id"] == "c0")].iloc[0]
    assert (int(w["found_applications"]), int(w["found_experts"])) == (0, 4)
    icc2 = t[(t["measure"] == "ICC2") & (t["criterion_id"] == "c0")].iloc[0]
    assert int(icc2["found_applications"]) == 0 and pd.isna(icc2["found_experts"])


def test_counts_in_the_shown_in_part_notes_are_grouped_in_each_language():
    from selection.report.content import Table
    from selection.report.html import _table

    wide = pd.DataFrame(0.5, index=range(3000), columns=[f"r{j}" for j in range(1745)])
    t = Table("wide", wide, "rank-acceptability")
    assert "Viser de første 200 af 3.000 rækker og 40 af 1.745 kolonner." in _table(t, "da")
    assert "Showing the first 200 of 3,000 rows and 40 of 1,745 columns." in _table(t, "en")
