"""Every agreement statistic states the applications and experts it rests on and says "too little
data" below the stated minimums (issue 13): in agreement.csv, on the console and in the report."""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import pandas as pd

from selection.aggregate.arrays import ScoreCube
from selection.aggregate.panel import agreement_table
from selection.schema import AGREEMENT_MIN_APPLICATIONS, AGREEMENT_MIN_EXPERTS, agreement_too_little

REPORT_TESTS = Path(__file__).resolve().parents[1] / "report"


def _cube(n_apps: int, n_experts: int, seed: int = 3) -> ScoreCube:
    rng = np.random.default_rng(seed)
    quality = rng.normal(3, 1, size=(n_apps, 1, 1))
    values = np.clip(np.round(quality + rng.normal(0, 0.4, size=(n_apps, n_experts, 2)) * 2) / 2, 0, 5)
    return ScoreCube([f"A{i}" for i in range(n_apps)], [f"E{j}" for j in range(n_experts)], ["value", "team"], values)


def test_few_applications_are_too_little_data_with_their_counts():
    table = agreement_table(_cube(3, 4))
    computed = table[table["value"].notna()]
    assert len(computed) > 0
    assert (computed["n_applications"] == 3).all() and (computed["n_experts"] == 4).all()
    assert computed["note"].str.startswith("too little data: 3 applications, 4 experts").all()
    assert f"at least {AGREEMENT_MIN_APPLICATIONS} applications" in computed["note"].iloc[0]
    # Kendall's W keeps its Friedman statistic after the warning
    w = computed[computed["measure"] == "kendalls_w"]["note"].iloc[0]
    assert "Friedman chi2" in w


def test_enough_applications_are_read_and_state_their_counts():
    table = agreement_table(_cube(12, 3))
    computed = table[table["value"].notna()]
    assert not computed["note"].fillna("").str.contains("too little data").any()
    assert (computed["n_applications"] > 0).all() and (computed["n_experts"] > 0).all()
    assert AGREEMENT_MIN_EXPERTS == 2 and agreement_too_little(12, 1) and not agreement_too_little(12, 2)


def test_console_says_too_little_data_and_the_counts():
    from selection.cli.panel_cmd import _agreement_cells

    agreement = pd.concat([agreement_table(_cube(3, 4)).assign(criterion_id=lambda f: f["criterion_id"] + "_few"),
                           agreement_table(_cube(12, 3))], ignore_index=True)
    shown = agreement.pivot(index="criterion_id", columns="measure", values="value")[["ICC2k", "kendalls_w"]]
    cells, little = _agreement_cells(agreement, shown)
    assert little
    assert cells.loc["value_few", "ICC2k"] == "too little data"
    assert cells.loc["value", "ICC2k"] == f"{shown.loc['value', 'ICC2k']:.3f}"
    assert cells.loc["value_few", "applications x experts"] == "3 x 4"
    assert cells.loc["value", "applications x experts"] == "12 x 3"


def test_report_says_too_little_data_and_the_counts(tmp_path):
    sys.path.insert(0, str(REPORT_TESTS))
    import reporttext
    import synthetic

    from selection.report import build_report, load_report_inputs

    run = synthetic.make_folders(tmp_path)
    ag = pd.read_csv(run / "agreement.csv")
    ag["n_applications"] = [6, 6, 3, 3, 6, 6]  # innovation rests on 3 applications
    ag["n_experts"] = [3, 3, 3, 3, 3, 3]
    ag.to_csv(run / "agreement.csv", index=False)
    for lang, little, basis, few in (("en", "too little data", "6 applications, 3 experts",
                                      "3 applications, 3 experts"),
                                     ("da", "for få data", "6 ansøgninger, 3 eksperter", "3 ansøgninger, 3 eksperter")):
        text = reporttext.visible_text(build_report(load_report_inputs(run), lang=lang)[0])
        assert little in text and basis in text and few in text
    text = reporttext.visible_text(build_report(load_report_inputs(run))[0])
    assert "Too little data: a statistic resting on fewer than 5 applications or 2 experts" in text
    # the weighted total too: its headline sentence says so instead of reading it against the bands
    ag["n_applications"] = 3
    ag.to_csv(run / "agreement.csv", index=False)
    text = reporttext.visible_text(build_report(load_report_inputs(run))[0])
    assert "for the weighted panel score rests on 3 applications and 3 experts: too little data to read it" in text


def test_workbench_row_says_too_little_data_and_the_counts():
    from selection.web.app import _agreement_row

    agreement = pd.concat([agreement_table(_cube(3, 4)).assign(criterion_id=lambda f: f["criterion_id"] + "_few"),
                           agreement_table(_cube(12, 3))], ignore_index=True)
    few = _agreement_row(agreement, "value_few", "Value", ["ICC1", "kendalls_w"])
    assert few["little"] == [True, True] and (few["apps"], few["experts"]) == ("3", "4")
    ok = _agreement_row(agreement, "value", "Value", ["ICC1", "kendalls_w"])
    assert ok["little"] == [False, False] and (ok["apps"], ok["experts"]) == ("12", "3")

