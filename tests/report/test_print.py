"""The report printed (issue 13, "Print"): A4 pages, headings kept with what follows them, the
decision on one page first; a report made before stage 2 is scored says that stage 2 is pending
and why."""

from __future__ import annotations

import re
import shutil
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
import reporttext  # noqa: E402
import synthetic  # noqa: E402

from selection.cli import main  # noqa: E402
from selection.report import build_report, load_report_inputs  # noqa: E402


def test_print_css_a4_headings_kept_summary_on_its_own_page(tmp_path):
    html, _ = build_report(load_report_inputs(synthetic.make_folders(tmp_path)), lang="da")
    css = html.split("<style>", 1)[1].split("</style>", 1)[0]
    assert re.search(r"@page\{size:A4", css)
    assert "#summary{break-after:page" in css and "break-after:avoid" in css
    # every section heading is wrapped with the block after it, so no heading ends a page alone
    assert len(re.findall(r'<section id="[^"]+"><div class="keep"><h2>', html)) == html.count("<section id=\"")
    # the decision summary is the first thing after the title, before the inputs' table and contents
    text = reporttext.visible_text(html)
    assert text.index("Beslutningen kort") < text.index("Opslag (id)") < text.index("Indhold")
    summary = text.split("Beslutningen kort", 1)[1].split("Opslag (id)", 1)[0]
    assert "Fase 1: Modning / Maturation. Udvalgt: 4 af højst 4." in summary
    assert "1.000.000\u00a0kr. brugt af 1.000.000\u00a0kr." in summary  # money never wraps
    assert "Fase 2: Projekt / Project. Udvalgt: 2 af højst 2." in summary


def test_money_cells_do_not_wrap(tmp_path):
    html, _ = build_report(load_report_inputs(synthetic.make_folders(tmp_path)), lang="da")
    assert re.search(r"td\.num\{[^}]*white-space:nowrap", html)
    assert '<td class="num">1.000.000</td>' in html


def test_report_before_stage_2_is_scored_says_it_is_pending(call_copy, tmp_path):
    shutil.rmtree(call_copy / "scores" / "stage2")
    out = tmp_path / "runs"
    assert main(["run", str(call_copy), "--out", str(out)]) == 0
    (run,) = [p for p in out.iterdir() if p.is_dir()]
    inp = load_report_inputs(run)
    for lang, words in (("en", "Stage 2 (Projektfase / Project phase 2014-2017) is pending: the experts' scores for "
                                "it are not in yet"),
                        ("da", "Fase 2 (Projektfase / Project phase 2014-2017) afventer: eksperternes scorer for "
                               "fasen er endnu ikke kommet ind")):
        text = reporttext.visible_text(build_report(inp, lang=lang)[0])
        summary = text.split("Beslutningen kort" if lang == "da" else "The decision in brief", 1)[1][:3000]
        assert words in summary and ("fase 1" in summary if lang == "da" else "stage 1" in summary)
        assert text.count(words) == 2  # in the summary and in the selection section


def test_report_draws_a_sensitivity_folder_with_infeasible_shares(tmp_path):
    """selection-probability.csv as the engine writes it has ``infeasible_share``; its figure's view
    (a column per stage) was taken for schema version 1's layout and the report crashed on every
    real sensitivity folder."""
    import pandas as pd

    run = synthetic.make_folders(tmp_path)
    sens = next(tmp_path.glob("*-sensitivity"))
    prob = pd.read_csv(sens / "selection-probability.csv")
    prob["selected_baseline"] = prob["probability_selected"] > 0.5
    prob["infeasible_share"] = 0.0
    prob.to_csv(sens / "selection-probability.csv", index=False)
    for lang in ("en", "da"):
        text = reporttext.visible_text(build_report(load_report_inputs(run), lang=lang)[0])
        assert ("[image: Probability of selection under the weights drawn]" if lang == "en" else
                "[image: Sandsynlighed for udvælgelse under de trukne vægte]") in text
