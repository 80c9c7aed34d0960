"""The report: built only from run folders, self-contained, escaped, reproducible, atomic."""

from __future__ import annotations

import io
import json
import re
import shutil
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).parent))
import reporttext  # noqa: E402
import synthetic  # noqa: E402

from selection.errors import InputError  # noqa: E402
from selection.report import build_report, find_sibling, load_report_inputs, write_report  # noqa: E402

GOLDEN = Path(__file__).parent / "golden"
VOID = {"meta", "img", "br", "hr", "link", "input", "col", "area", "base", "source", "wbr"}


class _Balance(HTMLParser):
    """Fails on a closing tag that does not match the open one (well-formedness of our output)."""

    def __init__(self):
        super().__init__()
        self.stack: list[str] = []
        self.errors: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag not in VOID:
            self.stack.append(tag)

    def handle_endtag(self, tag):
        if not self.stack or self.stack[-1] != tag:
            self.errors.append(f"</{tag}> closes <{self.stack[-1] if self.stack else None}>")
        else:
            self.stack.pop()


def _well_formed(html: str) -> None:
    p = _Balance()
    p.feed(html)
    p.close()
    assert not p.errors, p.errors[:5]
    assert not p.stack, p.stack


def _no_external_resources(html: str) -> None:
    assert not re.search(r"""(?:src|href)\s*=\s*["']?\s*(?:https?:)?//""", html, re.I)
    assert "@import" not in html and "url(" not in html
    assert not re.search(r"<(?:script|link|iframe|object|embed)\b", html, re.I)
    srcs = re.findall(r"""src=["']([^"']*)""", html)
    assert srcs and all(s.startswith("data:image/svg+xml;base64,") for s in srcs)


@pytest.fixture
def folders(tmp_path):
    return synthetic.make_folders(tmp_path)


@pytest.mark.parametrize("lang", ["en", "da"])
def test_report_matches_golden_text_and_workbook(folders, lang):
    html, xlsx = build_report(load_report_inputs(folders), lang=lang)
    assert reporttext.visible_text(html) == (GOLDEN / f"report-text-{lang}.txt").read_text(encoding="utf-8")
    assert reporttext.workbook_json(xlsx) == (GOLDEN / f"workbook-{lang}.json").read_text(encoding="utf-8")


def test_html_is_well_formed_self_contained_and_escaped(folders):
    html, _ = build_report(load_report_inputs(folders))
    _well_formed(html)
    _no_external_resources(html)
    assert "Food &lt;stories&gt; &amp; more" in html and "<stories>" not in html
    assert "&lt;b&gt;weak&lt;/b&gt;" in html and "<b>" not in html
    assert "@media print" in html
    # every section present, with its data
    text = reporttext.visible_text(html)
    for words in ("The call", "The expert panel and its agreement", "The ranking", "Binding rules", "Scenarios",
                  "Sensitivity", "Decision dossiers", "[image: Agreement]", "[image: Who is selected in each scenario]",
                  "[image: Probability of selection under the weights drawn]",
                  "[image: Weight ranges within which the selection stays the same]"):
        assert words in text
    assert len(re.findall(r'class="dossier"', html)) == len(synthetic.APPS)


def test_dossier_says_why(folders):
    text = reporttext.visible_text(build_report(load_report_inputs(folders))[0]).split("Decision dossiers")[-1]
    a2 = text.split("A2 Film tourism", 1)[1].split("A3 ", 1)[0]
    assert "no — ranking deviation: swapping it for A5" in a2
    assert "cost of forcing it in: 0.300; would leave: A5" in a2
    assert "Rank interval (90 %) 1–3" in a2
    assert "borderline" in a2 and "probability selected stage 1: 0.30, stage 2: 0.10" in a2
    assert "selected in scenarios: equal-weights" in a2
    a5 = text.split("A5 Rural crafts", 1)[1].split("A6 ", 1)[0]
    assert "at least 1 rural/peripheral selected" in a5  # the binding rule that counts it


def test_workbook_is_formatted_and_injection_safe(folders):
    _, data = build_report(load_report_inputs(folders))
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames[:3] == ["Overview", "Stages", "Criterion"]
    for name in ("ranking", "selection-probability", "scenario-matrix", "Decision dossiers"):
        assert name in wb.sheetnames
    for ws in wb.worksheets:
        assert ws.freeze_panes == "A2"
        assert ws.auto_filter.ref and ws.auto_filter.ref.startswith("A1:")
        assert all(c.font.bold for c in ws[1] if c.value is not None)
        for row in ws.iter_rows():
            for c in row:
                assert c.data_type != "f", f"formula in {ws.title}!{c.coordinate}"
                if isinstance(c.value, str):
                    assert not c.value.startswith(("=", "+", "-", "@")), f"{ws.title}!{c.coordinate}"
    ranking = wb["ranking"]
    header = [c.value for c in ranking[1]]
    titles = [r[header.index("title")] for r in ranking.iter_rows(min_row=2, values_only=True)]
    assert "'=cmd|' /C calc'!A0" in titles
    assert ranking.column_dimensions["D"].width >= len("Food <stories> & more")
    scores = [r[header.index("score")] for r in ranking.iter_rows(min_row=2, values_only=True)]
    assert scores[:3] == [4.5, 4.0, 3.5]  # numbers stay numbers


def test_same_inputs_give_identical_bytes(folders, tmp_path):
    first = build_report(load_report_inputs(folders))
    second = build_report(load_report_inputs(folders))
    assert first[0] == second[0] and first[1] == second[1]


def test_writes_only_its_two_files_into_the_run_folder(folders):
    before = {p.name: p.read_bytes() for p in folders.iterdir()}
    paths = write_report(folders, lang="da")
    assert [p.name for p in paths] == ["report.da.html", "report.da.xlsx"]
    after = {p.name: p.read_bytes() for p in folders.iterdir()}
    assert set(after) == set(before) | {"report.da.html", "report.da.xlsx"}
    assert all(after[n] == b for n, b in before.items())
    assert '<html lang="da">' in (folders / "report.da.html").read_text(encoding="utf-8")
    # the English report goes beside the Danish one; neither overwrites the other
    english = write_report(folders, lang="en")
    assert [p.name for p in english] == ["report.html", "report.xlsx"]
    assert '<html lang="da">' in (folders / "report.da.html").read_text(encoding="utf-8")
    assert '<html lang="en">' in (folders / "report.html").read_text(encoding="utf-8")
    siblings = sorted(p.name for p in folders.parent.iterdir())
    assert len(siblings) == 3  # nothing written beside it


def test_a_failure_leaves_the_folder_untouched(folders, monkeypatch):
    import selection.report.build as build

    before = sorted(p.name for p in folders.iterdir())

    def boom(*a, **k):
        raise RuntimeError("disk full")

    monkeypatch.setattr(build, "render_xlsx", boom)
    with pytest.raises(RuntimeError):
        write_report(folders)
    assert sorted(p.name for p in folders.iterdir()) == before


def test_absent_parts_are_said_plainly(tmp_path):
    run = synthetic.make_folders(tmp_path, full=False, others=False)
    html, data = build_report(load_report_inputs(run))
    text = reporttext.visible_text(html)
    assert "No scenarios run found for this call" in text
    assert "No sensitivity run found for this call" in text
    assert "No panel diagnostics found in this run folder" in text
    assert "No rank intervals found" in text
    assert "not assessed (no sensitivity run)" in text
    _well_formed(html)
    load_workbook(io.BytesIO(data))


def test_a_table_with_other_columns_is_shown_not_drawn(folders):
    (folders / "expert-leniency.csv").write_text("expert,offset\nE1,0.3\n", encoding="utf-8")
    text = reporttext.visible_text(build_report(load_report_inputs(folders))[0])
    assert "expert-leniency.csv lacks the column(s) expert_id, leniency; shown as a table only." in text
    assert "offset" in text


def test_siblings_newest_of_the_same_call(folders):
    parent = folders.parent
    assert find_sibling(folders, "scenarios", synthetic.CALL_ID).name == "20260102T040000Z-scenarios"
    newer = parent / "20260103T000000Z-scenarios"
    shutil.copytree(parent / "20260102T040000Z-scenarios", newer)
    m = json.loads((newer / "manifest.json").read_text())
    (newer / "manifest.json").write_text(json.dumps({**m, "created_utc": "2026-01-03T00:00:00Z"}))
    other = parent / "20260104T000000Z-scenarios"
    shutil.copytree(parent / "20260102T040000Z-scenarios", other)
    (other / "manifest.json").write_text(json.dumps({**m, "call_id": "another-call",
                                                     "created_utc": "2026-01-04T00:00:00Z"}))
    assert find_sibling(folders, "scenarios", synthetic.CALL_ID) == newer
    inp = load_report_inputs(folders)
    assert inp.scenarios.path == newer and "20260103T000000Z-scenarios" in inp.notes[0]
    with pytest.raises(InputError, match="another-call"):
        load_report_inputs(folders, scenarios=other)


def test_bad_folders_are_reported_with_where_and_how(tmp_path, folders):
    with pytest.raises(InputError, match="no manifest.json"):
        load_report_inputs(tmp_path)
    with pytest.raises(InputError, match="'sensitivity' folder, not a 'run' folder"):
        load_report_inputs(folders.parent / "20260102T050000Z-sensitivity")
    (folders / "ranking.csv").write_text("stage,application_id\n1,A1\n", encoding="utf-8")
    (folders / "manifest.json").write_text("{not json", encoding="utf-8")
    with pytest.raises(InputError) as exc:
        load_report_inputs(folders)
    assert "manifest.json is not valid JSON" in str(exc.value)


def test_cli_report_and_error_exit_code(folders, tmp_path, capsys):
    from selection.cli import main

    assert main(["report", str(folders), "--lang", "da"]) == 0
    out = capsys.readouterr().out
    assert "report.da.html" in out and "report.da.xlsx" in out
    assert main(["report", str(tmp_path / "nope")]) == 1
    err = capsys.readouterr().err
    assert "no such folder" in err and "Traceback" not in err


def test_report_on_the_example_call(example_dir, tmp_path, capsys):
    """End to end on the bundled call: `selection run` then `selection report`."""
    from selection.cli import main

    assert main(["run", str(example_dir), "--out", str(tmp_path), "--quiet"]) == 0
    run = Path(capsys.readouterr().out.strip())
    assert main(["report", str(run)]) == 0
    html = (run / "report.html").read_text(encoding="utf-8")
    _well_formed(html)
    _no_external_resources(html)
    ranking = (run / "ranking.csv").read_text(encoding="utf-8")
    n_apps = len({line.split(",")[1] for line in ranking.splitlines()[1:]})
    assert len(re.findall(r'class="dossier"', html)) == n_apps == 40
    text = reporttext.visible_text(html)
    assert "per selected within 2,660,000 DKK" in text  # §12: grants plus fixed costs per selected
    wb = load_workbook(run / "report.xlsx")
    assert "The selection 1" in wb.sheetnames and "The selection 2" in wb.sheetnames
    assert len(wb["Decision dossiers"]["A"]) == 41
    # KP-24 passes the stage-1 thresholds but has no cultural partner (§7 eligibility rule): the
    # stage-1 figure must not draw it as eligible
    from selection.report.bundle import load_bundle
    from selection.report.content import _stage_frame

    f = _stage_frame(load_bundle(run, kind="run"), 1).set_index("application_id")
    assert not f.at["KP-24", "eligible"] and f.at["KP-05", "eligible"]


# --- compact views: the HTML is for readers, the workbook keeps every row ------------------------

def _html_tables(html: str) -> dict[str, list[list[str]]]:
    """Every HTML table by caption: its rows (header first) as lists of cell texts."""
    class _T(HTMLParser):
        def __init__(self):
            super().__init__(convert_charrefs=True)
            self.tables: dict[str, list[list[str]]] = {}
            self.cap = self.row = self.cell = None

        def handle_starttag(self, tag, attrs):
            if tag == "caption":
                self.cap = ""
            elif tag == "tr":
                self.row = []
            elif tag in ("td", "th"):
                self.cell = ""

        def handle_endtag(self, tag):
            if tag == "caption":
                self.tables[self.cap] = []
                self.key, self.cap = self.cap, None
            elif tag in ("td", "th") and self.row is not None:
                self.row.append(self.cell.replace("\u2060", ""))
                self.cell = None
            elif tag == "tr" and self.row is not None and self.cap is None and hasattr(self, "key"):
                self.tables[self.key].append(self.row)
                self.row = None

        def handle_data(self, data):
            if self.cap is not None:
                self.cap += data
            elif self.cell is not None:
                self.cell += data

    p = _T()
    p.feed(html)
    return p.tables


def _long_panel_folder(folders):
    """The synthetic run with agreement, leniency and divergence shaped as `selection run` writes them."""
    import pandas as pd

    crit = ["value", "innovation", "total"]
    rows = []
    for st in (1, 2):
        for c in crit:
            rows += [(st, c, "ICC1", 0.7, 0.5, 0.8, 6, 3, ""), (st, c, "ICC1k", 0.88, 0.8, 0.93, 6, 3, ""),
                     (st, c, "ICC2k", None, None, None, None, None,
                      "ICC2k needs at least 2 applications scored by the same 2 or more experts"),
                     (st, c, "kendalls_w", None, None, None, None, None,
                      "Kendall's W needs at least 2 applications scored by the same 2 or more experts"),
                     (st, c, "krippendorff_alpha_interval", 0.75 if c == "total" else 0.6, None, None, 6, 3, "")]
    pd.DataFrame(rows, columns=["stage", "criterion_id", "measure", "value", "ci_low", "ci_high", "n_applications",
                                "n_experts", "note"]).to_csv(folders / "agreement.csv", index=False)
    len_rows = [(1, e, c, 10, 3.0, 0.1, lv if c == "all" else lv / 2, 1.0, "")
                for e, lv in (("E1", 0.4), ("E2", -0.3), ("E3", 0.05)) for c in ("value", "innovation", "all")]
    pd.DataFrame(len_rows, columns=["stage", "expert_id", "criterion_id", "n_scores", "mean_score", "mean_deviation",
                                    "leniency", "spread_ratio", "note"]).to_csv(folders / "expert-leniency.csv",
                                                                              index=False)
    apps = synthetic.APPS * 5
    div = pd.DataFrame({"stage": 1, "application_id": apps, "criterion_id": (["value", "innovation"] * 15),
                        "n_scores": 3, "min_score": 1.0, "max_score": [1.0 + (i % 7) * 0.5 for i in range(30)],
                        "score_range": [(i % 7) * 0.5 for i in range(30)],
                        "scores": "E1: 4.5 | E2: 2", "comments": ""})
    div.to_csv(folders / "divergence.csv", index=False)
    return folders


def test_agreement_is_one_row_per_criterion_with_reasons_said_once(folders):
    html, xlsx = build_report(load_report_inputs(_long_panel_folder(folders)))
    tables = _html_tables(html)
    for n in (1, 2):
        t = next(v for k, v in tables.items() if k.startswith(f"Agreement, stage {n}"))
        assert t[0] == ["Criterion", "ICC(1,1)", "ICC(1,k)", "Krippendorff's α (interval)",  # computed only
                        "Based on"]  # the applications and experts each row rests on
        assert t[1][4] == "6 applications, 3 experts"
        assert [r[0] for r in t[1:]] == ["Value added", "Creative innovation", "Weighted panel score"]  # catalogue order
        assert t[1][1] == "0.70 (0.50–0.80)" and t[3][3] == "0.75"
    text = reporttext.visible_text(html)
    # each reason once per stage (not once per criterion), the measures sharing it named together
    assert text.count("Not computable: ICC(2,k), Kendall's W: needs at least 2 applications scored by the same 2 "
                      "or more experts.") == 2
    assert text.count("needs at least") == 2
    assert text.count("Krippendorff's α (interval) for the weighted panel score is 0.75, over 6 applications and 3 "
                      "experts: moderate agreement, good enough for tentative conclusions only (Krippendorff 2004") == 2
    # the full long table stays in the workbook
    wb = load_workbook(io.BytesIO(xlsx))
    assert wb["agreement"].max_row == 1 + 2 * 3 * 5


def test_leniency_is_one_row_per_expert(folders):
    html, xlsx = build_report(load_report_inputs(_long_panel_folder(folders)))
    t = _html_tables(html)["Expert leniency, stage 1"]
    assert t[0] == ["Expert", "Number of scores", "Leniency (score points)", "Reading"]
    assert [r[0] for r in t[1:]] == ["E1", "E2", "E3"]
    assert [r[3] for r in t[1:]] == ["lenient (scores above the panel)", "severe (scores below the panel)",
                                     "in line with the panel"]
    assert load_workbook(io.BytesIO(xlsx))["expert-leniency"].max_row == 1 + 9  # per-criterion detail kept


def test_divergence_is_capped_grouped_and_points_to_the_workbook(folders):
    html, xlsx = build_report(load_report_inputs(_long_panel_folder(folders), ), lang="en")
    t = _html_tables(html)["Scores to discuss (the experts disagree), stage 1"]
    assert t[0] == ["Application", "Title", "Criterion", "Range", "Experts' scores", "Comments"]
    assert len(t) - 1 == 25
    assert t[1][3] == "3.00" and t[1][4] == "E1: 4.5, E2: 2"
    apps = [r[0] for r in t[1:] if r[0]]
    assert len(apps) == len(set(apps))  # each application named once, its rows together
    assert "The 25 widest of 30 are shown; the other 5 are in the workbook (report.xlsx, sheet 'divergence')." in \
        reporttext.visible_text(html)
    assert load_workbook(io.BytesIO(xlsx))["divergence"].max_row == 31


def test_long_tables_are_in_the_workbook_not_the_html(folders):
    html, xlsx = build_report(load_report_inputs(folders))
    captions = set(_html_tables(html))
    for name in ("ranking.csv", "rank-intervals.csv", "agreement.csv", "weight-sweep.csv", "rank-acceptability.csv",
                 "scenario-matrix.csv"):
        assert name not in captions
    wb = load_workbook(io.BytesIO(xlsx))
    for sheet in ("ranking", "rank-intervals", "agreement", "weight-sweep", "rank-acceptability", "scenario-matrix",
                  "rules 1"):
        assert sheet in wb.sheetnames
    sel = _html_tables(html)["Selected in stage 1"]
    assert [r[1] for r in sel[1:]] == ["A1", "A3", "A4", "A5"]
    assert _html_tables(html)["Not selected in stage 1, by kind of reason (each application's full reason is in its "
                              "decision dossier)"][1:] == [["ranking deviation", "1", "A2"],
                                                          ["below threshold", "1", "A6"]]


def test_engine_layouts_are_reshaped_for_the_figures():
    """The sensitivity and scenario tables as the engine writes them reach the figures' long layouts
    without recomputing anything."""
    import pandas as pd

    from selection.report.bundle import engine_layout

    stab = pd.DataFrame({"stage": [1], "criterion": ["udsyn"], "baseline_weight": [0.15],
                         "stable_from": [0.0], "stable_to": [0.23]})
    s = engine_layout("weight-stability.csv", stab)
    assert list(s.columns) == ["stage", "criterion_id", "weight", "weight_low", "weight_high"]
    sweep = pd.DataFrame({"stage": [1, 1, 2, 2], "criterion": ["udsyn", "udsyn", "effekt", "effekt"],
                          "weight": [0.0, 0.0, 0.5, 0.5], "baseline_weight": [0.15, 0.15, 0.2, 0.2],
                          "selection_stage": [1, 2, 1, 2], "selected": ["A B", "A", "A B C", "B C"],
                          "same_as_baseline": [False, False, True, True]})  # as written: a row per selection stage
    w = engine_layout("weight-sweep.csv", sweep)
    assert w[["criterion_id", "application_id"]].values.tolist() == [["udsyn", "A"], ["udsyn", "B"],
                                                                     ["effekt", "B"], ["effekt", "C"]]
    assert w["selected"].all()
    m = pd.DataFrame({"stage": [1, 1, 1, 1, 2, 2, 2, 2], "application_id": ["A", "A", "B", "B"] * 2,
                      "scenario": ["baseline", "x-y"] * 4, "selected": [1, 0, 0, 1, 1, 0, 0, 0]})
    assert engine_layout("scenario-matrix.csv", m) is m  # long as written: the report shows it as it is
    from selection.plot.layout import as_drawn

    drawn = as_drawn("scenario-matrix.csv", m)  # the figure's layout: scenario by scenario, a column per stage
    assert drawn.values.tolist() == [["A", "baseline", 1, 1], ["B", "baseline", 0, 0],
                                     ["A", "x-y", 0, 0], ["B", "x-y", 1, 0]]
    other = pd.DataFrame({"a": [1]})
    assert engine_layout("ranking.csv", other) is other


def test_danish_report_quotes_the_danish_reasons(example_dir, tmp_path, capsys):
    """A run with ``reason_da``: the Danish report shows the Danish reasons and rule descriptions
    and drops the "(på engelsk)" notice; the synthetic folders (no ``reason_da``) keep it."""
    from selection.cli import main

    assert main(["run", str(example_dir), "--out", str(tmp_path), "--quiet"]) == 0
    run = Path(capsys.readouterr().out.strip())
    assert main(["report", str(run), "--lang", "da"]) == 0
    text = reporttext.visible_text((run / "report.da.html").read_text(encoding="utf-8"))
    assert "(på engelsk)" not in text
    assert "under tærsklen: Værditilvækst 1,00 < 2" in text
    assert "ikke støtteberettiget: Kulturelle partnere 0, mindst 1 kræves" in text
    assert "pr. udvalgt inden for 2.660.000 kr." in text
    assert "below threshold" not in text and "outranked" not in text
    assert "vægtet panelscore 2,39 < 2,5" in text and "weighted panel score 2.39" not in text  # dossier thresholds


def test_danish_report_falls_back_to_english_reasons(folders):
    html, _ = build_report(load_report_inputs(folders), lang="da")
    assert "(på engelsk)" in reporttext.visible_text(html)
