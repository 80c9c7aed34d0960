"""The Danish report is Danish (issue 13, "done when"): no English label and no decimal point in a
number, in the HTML's visible text (alt texts included) and in the workbook's sheet names, headers
and text cells; the same numbers as the English report, each in its own language's style.

Two reports are read: one of the bundled example call as ``selection run`` writes it today (every
section a run has: call, panel, ranking, selection, dossiers), and the synthetic folders (with their
scenarios and sensitivity siblings) made current -- reasons and rule descriptions in both
languages -- so that the scenario and sensitivity sections are read too.
"""

from __future__ import annotations

import io
import json
import re
import sys
from collections import Counter
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from openpyxl import load_workbook

sys.path.insert(0, str(Path(__file__).parent))
import reporttext  # noqa: E402
import synthetic  # noqa: E402

from selection import words as glossary  # noqa: E402
from selection.cli import main  # noqa: E402
from selection.report import build_report, load_report_inputs  # noqa: E402
from selection.report.words import COLUMNS_DA, SHEETS, WORDS, column, sheet  # noqa: E402
from selection.report.xlsx import sheet_title  # noqa: E402

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kreative-partnerskaber"

#: A number as the reports write them: digits with point or comma groups (``2.660.000``, ``0,77``);
#: not a section of the call text (``§5.2``).
NUMBER = re.compile(r"(?<![\w.,§])\d+(?:[.,]\d+)*")
#: Danish thousands grouping (a point between groups of three, no leading zero group).
DA_THOUSANDS = re.compile(r"[1-9]\d{0,2}(?:\.\d{3})+")

#: English words and notes the report itself has written into Danish reports before (whole words,
#: case-sensitive where a Danish word is spelt alike).
ENGLISH_WORDS = ("using", "newest", "core index", "needs at least", "enters", "leaves", "forced in", "forced out",
                 "Kendall's", "Krippendorff's", "Weighted", "operator", "call_id", "scenarios", "sensitivity",
                 "not selected", "ranking deviation", "below threshold", "outranked", "lenient", "severe",
                 "borderline", "exterior", "in line with")
#: Danish calques that must not come back (issue 17, "Danish wording").
CALQUES = ("tvinge den ind", "tvunget ind", "tvunget ud")


def _fragments(template: str) -> list[str]:
    """The literal pieces of a phrase template of two words or more (placeholders removed)."""
    parts = re.split(r"\{[^}]*\}", template)
    return [p.strip(" .,;:()'\"—–-") for p in parts if len(p.strip().split()) >= 2 and len(p.strip()) >= 10]


def english_phrases() -> set[str]:
    """Every English phrase of the report's words and of the glossary whose Danish differs."""
    out: set[str] = set()
    for en, da in WORDS.values():
        if en != da:
            out.update(f for f in _fragments(en) if f not in da)
    for key, en in glossary._W["en"].items():
        out.update(f for f in _fragments(en) if f not in glossary._W["da"][key])
    for en, da in glossary.KINDS.values():
        if en != da and len(en.split()) >= 2:
            out.add(en)
    return {p for p in out if p}


def _numbers(line: str, lang: str) -> Counter:
    out: Counter = Counter()
    line = re.sub(r"ICC\([^)]*\)", "ICC", line)  # Shrout & Fleiss's ICC(2,1) is a name, not a number
    for tok in NUMBER.findall(line):
        if not re.search(r"[.,]", tok):  # a plain integer reads the same in both (and the call's own texts
            continue                     # may name other years in each language)
        text = tok.replace(",", "") if lang == "en" else tok.replace(".", "").replace(",", ".")
        out[round(float(text), 6)] += 1
    return out


def decimal_points(text: str) -> list[str]:
    """Numbers written with a decimal point (a point that is not Danish thousands grouping)."""
    return [t for t in NUMBER.findall(text) if "." in t and not DA_THOUSANDS.fullmatch(t)]


def _without_versions(lines: list[str]) -> list[str]:
    """The lines without the program versions (``pandas 3.1.1`` is a version, not a number): the
    value after the header's "Versions" label."""
    return [ln for i, ln in enumerate(lines) if not (i and lines[i - 1] in ("Versions", "Versioner"))]


def audit_text(text: str) -> list[str]:
    """What is not Danish in a Danish report's visible text (empty: nothing)."""
    problems = []
    lines = _without_versions(text.splitlines())
    body = re.sub(r"`[^`]*`", "", "\n".join(lines))  # a command to type (`selection scenarios`) is no label
    problems += [f"decimal point: {t!r} in {ln!r}" for ln in lines for t in decimal_points(ln)]
    problems += [f"English phrase {p!r}" for p in sorted(english_phrases()) if p in body]
    problems += [f"English word {w!r}" for w in ENGLISH_WORDS if re.search(rf"(?<![\w-]){re.escape(w)}(?![\w-])", body)]
    problems += [f"calque {c!r}" for c in CALQUES if c in body]
    problems += [f"percent sign without a space: {m!r}" for m in re.findall(r"\d%", body)]
    problems += [f"a file name as a caption: {ln!r}" for ln in lines if ln.startswith("[image:") and ".csv" in ln]
    # a run file's column id shown as a table header (the synthetic call's criterion id "value" is an id)
    ids = {c for c, da in COLUMNS_DA.items() if c != da} - set(synthetic.CRITERIA)
    problems += [f"a column id as a header: {ln!r}" for ln in lines if ln in ids or re.fullmatch(r"[a-z_]+_stage\d+", ln)]
    return problems


def audit_workbook(data: bytes) -> list[str]:
    """What is not Danish in a Danish workbook: sheet names, headers, text cells."""
    wb = load_workbook(io.BytesIO(data))
    problems = []
    names = [ws.title for ws in wb.worksheets]
    if len({n.lower() for n in names}) != len(names):
        problems.append(f"sheet names not unique: {names}")
    english = {en.format(n=n) for en, da in SHEETS.values() if en != da for n in (1, 2)}
    problems += [f"English sheet name {n!r}" for n in names if n in english]
    problems += [f"sheet name longer than 31: {n!r}" for n in names if len(n) > 31]
    translated = {c for c, da in COLUMNS_DA.items() if c != da}
    phrases = english_phrases()
    for ws in wb.worksheets:
        rows = ws.iter_rows(values_only=True)
        header = next(rows, ())
        problems += [f"{ws.title}: English header {h!r}" for h in header if h in translated]
        for row in rows:
            if row and row[0] in ("Versions", "Versioner"):
                continue
            for v in row:
                if isinstance(v, str):
                    problems += [f"{ws.title}: decimal point {t!r} in {v[:80]!r}" for t in decimal_points(v)]
                    problems += [f"{ws.title}: English phrase {p!r}" for p in phrases if p in v]
                    problems += [f"{ws.title}: calque {c!r}" for c in CALQUES if c in v]
    return problems


def _same_numbers(en: str, da: str) -> list[str]:
    """The two reports hold the same numbers, each read in its own language's style (``3.458`` in
    English is ``3,458`` in Danish; a Danish ``3.458`` would read as three thousand and count apart)."""
    # the engine's English note on a measure it could not compute carries counts that the Danish
    # rendering (the measure's condition, in words) leaves out: those two lines are not compared
    skip = ("Not computable:", "Kunne ikke beregnes:")
    e = sum((_numbers(ln, "en") for ln in _without_versions(en.splitlines()) if not ln.startswith(skip)), Counter())
    d = sum((_numbers(ln, "da") for ln in _without_versions(da.splitlines()) if not ln.startswith(skip)), Counter())
    return [f"only in English: {dict(e - d)}"] * bool(e - d) + [f"only in Danish: {dict(d - e)}"] * bool(d - e)


@pytest.fixture(scope="module")
def example_run(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    assert main(["run", str(EXAMPLE), "--out", str(out)]) == 0
    (run,) = [p for p in out.iterdir() if p.is_dir()]
    return run


def make_current(run: Path) -> None:
    """The synthetic run as today's engine writes it: every reason as a decision record rendered in
    both languages (``reason_code``, ``facts``, ``reason``, ``reason_da``) and rules described in
    Danish too."""
    records = {
        1: [("selected", {"forced": None}),
            ("ranking_deviation", {"swaps": [{"instead_of": ["A5"], "broken": [
                {"kind": "group", "sense": ">=", "description": {"en": "at least 1 rural/peripheral selected",
                                                                  "da": "mindst 1 udvalgt i landdistrikt"}}]}],
                                   "cost": 0.3, "would_leave": ["A5"]}),
            ("selected", {"forced": None}), ("selected", {"forced": None}), ("selected", {"forced": None}),
            ("below_threshold", {"failed": {"en": "Value added 1.50 < 2", "da": "Værditilvækst 1,50 < 2"}})],
        2: [("selected", {"forced": None}), ("selected", {"forced": None}), ("not_in_earlier_stage", {"stage": 1})],
    }
    ranking = pd.read_csv(run / "ranking.csv")
    ranking["failed_thresholds_da"] = ranking["failed_thresholds"].map(
        lambda x: "Værditilvækst 1,50 < 2" if isinstance(x, str) and x else x)
    ranking.to_csv(run / "ranking.csv", index=False, lineterminator="\n")
    for n, recs in records.items():
        f = run / f"selection-stage{n}.csv"
        t = pd.read_csv(f)
        t["reason_code"] = [c for c, _ in recs]
        t["facts"] = [json.dumps(x, ensure_ascii=False) for _, x in recs]
        t = glossary.add_reasons(t.drop(columns=["reason"]))
        t.to_csv(f, index=False, lineterminator="\n")
    m = json.loads((run / "manifest.json").read_text(encoding="utf-8"))
    da = {"at most 4 selected": "højst 4 udvalgt", "at most 2 selected": "højst 2 udvalgt",
          "requested grants within 1,000,000 DKK": "ansøgte tilskud inden for 1.000.000 kr.",
          "at least 1 rural/peripheral selected": "mindst 1 udvalgt i landdistrikt",
          "regional co-financing per year within 3,000,000 DKK": "regional medfinansiering pr. år inden for "
                                                                 "3.000.000 kr."}
    for rules in m["rules"].values():
        for r in rules:
            r["description_da"] = da[r["description"]]
    (run / "manifest.json").write_text(json.dumps(m, indent=2, sort_keys=True), encoding="utf-8")


@pytest.fixture(scope="module")
def synthetic_reports(tmp_path_factory) -> tuple[tuple[str, bytes], tuple[str, bytes]]:
    run = synthetic.make_folders(tmp_path_factory.mktemp("synthetic"))
    make_current(run)
    inp = load_report_inputs(run)
    return build_report(inp, lang="en"), build_report(inp, lang="da")


@pytest.fixture(scope="module")
def example_reports(example_run) -> tuple[tuple[str, bytes], tuple[str, bytes]]:
    inp = load_report_inputs(example_run)
    return build_report(inp, lang="en"), build_report(inp, lang="da")


@pytest.mark.parametrize("which", ["example_reports", "synthetic_reports"])
def test_danish_report_has_no_english_label_and_no_decimal_point(which, request):
    (_, _), (html, xlsx) = request.getfixturevalue(which)
    text = reporttext.visible_text(html)
    assert audit_text(text) == []
    assert audit_workbook(xlsx) == []


@pytest.mark.parametrize("which", ["example_reports", "synthetic_reports"])
def test_both_languages_show_the_same_numbers(which, request):
    (en_html, _), (da_html, _) = request.getfixturevalue(which)
    assert _same_numbers(reporttext.visible_text(en_html), reporttext.visible_text(da_html)) == []


def test_every_sheet_the_report_names_exists(synthetic_reports):
    for html, xlsx in synthetic_reports:
        names = {ws.title for ws in load_workbook(io.BytesIO(xlsx)).worksheets}
        named = set(re.findall(r"(?:sheet|arket) (?:'|\u201c)([^'\u201d]+)(?:'|\u201d)", reporttext.visible_text(html)))
        named |= {n.strip(" '") for m in re.findall(r"report(?:\.da)?\.xlsx: ([^\n]+)\.", reporttext.visible_text(html))
                  for n in m.split(", ")}
        assert named and named <= names, named - names


# --- the audit itself finds what it is meant to find (the defects it was written against) ---------

def test_the_audit_finds_the_old_defects():
    old = ("Bemærkninger: scenarios: using 20260102T040000Z-scenarios (the newest scenarios folder)\n"
           "0.66 (95 %-interval 0.35–0.85)\nRobust portefølje: inden for ±20% af opslagets vægte\n"
           "at tvinge den ind koster 0,7417\n[image: selection-probability.csv]\nkerne, core index 1.00\n")
    found = "\n".join(audit_text(old))
    for what in ("'using'", "'newest'", "'0.66'", "'0.35'", "'0.85'", "'1.00'", "'0%'", "tvinge den ind",
                 "selection-probability.csv", "'core index'"):
        assert what in found, what
    assert audit_text("2.660.000 kr.; 0,77; højst 8 udvalgt; 40,0 %") == []


def test_the_audit_finds_english_sheets_and_headers():
    from openpyxl import Workbook

    wb = Workbook()
    wb.active.title = "ranking"
    wb.active.append(["application_id", "Placering"])
    wb.active.append(["A1", "value 1.50 < 2"])
    buf = io.BytesIO()
    wb.save(buf)
    found = "\n".join(audit_workbook(buf.getvalue()))
    assert "English sheet name 'ranking'" in found and "'application_id'" in found and "'1.50'" in found


def test_sheet_titles_are_cut_between_words_and_unique():
    taken: set[str] = set()
    long = "Beslutningsgrundlag pr. ansøgning og fase i alt"
    a, b = sheet_title(long, taken), sheet_title(long, taken)
    assert a == "Beslutningsgrundlag pr." and len(b) <= 31 and b.endswith("(2)") and a.lower() != b.lower()
    assert all(w in long.split() for w in b.removesuffix(" (2)").split())
    for key, (en, da) in SHEETS.items():
        for name in (en.format(n=2), da.format(n=2)):
            assert len(name) <= 31 and sheet(key, "da", 2) == da.format(n=2)


def test_column_headers_in_danish():
    assert column("probability_selected_stage2", "da") == "Sandsynlighed for udvælgelse, fase 2"
    assert column("selected_stage1_baseline", "da") == "Udvalgt i grundscenariet, fase 1"
    assert column("equal-weights_stage1", "da") == "equal-weights, fase 1"  # a scenario's own name
    assert column("application_id", "en") == "application_id"


def test_glossary_has_no_calque():
    for da in glossary._W["da"].values():
        assert not any(c in da for c in CALQUES), da
    assert "at tage den med koster" in glossary._W["da"]["costs"]


@settings(max_examples=300, deadline=None)
@given(x=st.one_of(st.integers(-10**9, 10**9), st.floats(-1e9, 1e9, allow_nan=False)), lang=st.sampled_from(["en", "da"]))
def test_plain_numbers_read_back_to_their_value(x, lang):
    """Every number the report tables show reads back to its value in its own language (a plain
    ``10`` once lost its zero, ``2.660.000`` became ``2.660.``)."""
    from selection.report.words import number, plain

    for text, digits in ((plain(x, lang), 4), (number(x, 2, lang), 2)):
        back = text.replace(",", "") if lang == "en" else text.replace(".", "").replace(",", ".")
        assert float(back) == pytest.approx(round(float(x), digits), abs=10 ** -digits), text
        whole, group = (text.split(",")[0], r"\.") if lang == "da" else (text.split(".")[0], ",")
        assert re.fullmatch(rf"[-+]?\d{{1,3}}(?:{group}\d{{3}})*", whole), text  # grouped in threes


def test_report_files_name_both_languages(tmp_path):
    """The run-folder schema names the Danish report's files too (a reader that lists a run
    folder's report files finds report.da.*), and the report writes exactly those."""
    from selection.report import write_report
    from selection.schema import REPORT_FILES, report_files

    assert REPORT_FILES == (*report_files("en"), *report_files("da"))
    assert {"report.da.html", "report.da.xlsx"} <= set(REPORT_FILES)
    run = synthetic.make_folders(tmp_path, full=False, others=False)
    make_current(run)
    written = write_report(run, lang="da")
    assert tuple(p.name for p in written) == report_files("da") and all(p.is_file() for p in written)


def test_scenarios_described_and_reasoned_in_danish(tmp_path):
    """A scenario file's description may be bilingual; the Danish report shows the Danish one, and the
    Danish workbook the Danish reasons of who enters and leaves (the English twins stay in the CSV)."""
    from selection.model import Scenario

    s = Scenario.model_validate({"schema_version": 1, "name": "cut",
                                 "description": {"en": "Budget cut to 1.5 M DKK", "da": "Budget skåret til 1,5 mio. kr."}})
    assert (s.description, s.description_da) == ("Budget cut to 1.5 M DKK", "Budget skåret til 1,5 mio. kr.")
    with pytest.raises(ValueError, match="description"):
        Scenario.model_validate({"schema_version": 1, "name": "x", "description": {"fr": "non"}})
    run = synthetic.make_folders(tmp_path)
    make_current(run)
    scen = next(tmp_path.glob("*-scenarios"))
    summary = pd.read_csv(scen / "scenario-summary.csv")
    summary["description"] = ["", "Equal weights, 7.5 M DKK", "Budget cut"]
    summary["description_da"] = ["", "Lige vægte, 7,5 mio. kr.", "Budget skåret"]
    summary.to_csv(scen / "scenario-summary.csv", index=False)
    changes = pd.read_csv(scen / "scenario-changes.csv")
    changes["reason_baseline"] = ["outranked: all 4 places went to higher-ranked applications", "selected"]
    changes["reason_baseline_da"] = ["overgået: alle 4 pladser gik til højere rangerede ansøgninger", "udvalgt"]
    changes.to_csv(scen / "scenario-changes.csv", index=False)
    html, xlsx = build_report(load_report_inputs(run), lang="da")
    text = reporttext.visible_text(html)
    assert "Lige vægte, 7,5 mio. kr." in text and "Equal weights" not in text
    assert audit_text(text) == [] and audit_workbook(xlsx) == []
    sheet_ = load_workbook(io.BytesIO(xlsx))["Scenarieændringer"]
    header = [c.value for c in next(sheet_.iter_rows(max_row=1))]
    assert "Begrundelse (grundscenarie)" in header and "Begrundelse (grundscenarie, engelsk)" not in header
