"""The report's dossiers at scale: built from each stage's tables indexed once (not filtered once
per application), and equal — line for line — to the per-application form they replaced (kept
below as the reference), on the synthetic folders, with the board's decisions, the operator's
assessments, duplicate rows and applications missing from later stages."""

from __future__ import annotations

import pandas as pd
import pytest

from selection.report import content as C
from selection.report import load_report_inputs
from selection.report.bundle import ReportInputs, RunBundle
from selection.report.content import Dossier, _criterion_name, _fmt, _rule_words, _stage_frame
from selection.report.words import say
from tests.report import synthetic

# --- the reference: the per-application form before the dossiers were indexed (verbatim logic) ---

def _ref_record_facts(run: RunBundle, app: str, n: int, lang: str) -> list[tuple[str, str]]:
    from selection import schema
    from selection.report import record as R

    facts = []
    t = run.table(schema.BOARD_DECISIONS.file(n))
    if t is not None and app in set(t["application_id"].astype(str)):
        r = t[t["application_id"].astype(str) == app].iloc[0]
        date = R._when({"start": str(r["decided_on"])}, lang) if R._text(r["decided_on"]) else ""
        board = R._board_name(run, lang) or R._text(r["decided_by"])
        text = R.say("selected_by" if bool(r["decided"]) else "not_selected_by", lang, board=board, date=date)
        text += ", " + R.say("against" if bool(r["deviation"]) else "recommended_too", lang)
        reason = (R._text(r["reason_da"]) or R._text(r["reason"])) if lang == "da" else (
            R._text(r["reason"]) or R._text(r["reason_da"]))
        if reason:
            text += f": {reason}"
        facts.append((R.say("dossier_decision", lang, n=n, board=R._short(run) or board), text))
    a = run.table(schema.ASSESSMENTS.file(n))
    if a is not None:
        mine = a[a["application_id"].astype(str) == app]
        if len(mine):
            by = dict(zip(mine["language"].astype(str), mine["text"].astype(str), strict=True))
            text = by.get(lang) or by.get("da+en") or next(iter(by.values()))
            facts.append((R.say("dossier_assessment", lang, n=n), text))
    return facts


def _ref_robustness(app, sens, scen, lang: str) -> str:
    parts = []
    if sens is not None:
        core = sens.table("core-index.csv")
        if core is not None and app in set(core["application_id"]):
            row = core[core["application_id"] == app].iloc[0]
            lab = str(row["core_label"])
            parts.append((say(lab, lang) if lab in ("core", "borderline", "exterior") else lab)
                         + f", {say('core_index', lang)} {_fmt(float(row['core_index']), 2, lang)}")
        prob = sens.table("selection-probability.csv")
        if prob is not None and app in set(prob["application_id"]):
            rows = prob[prob["application_id"] == app].sort_values("stage", kind="stable")
            ps = [f"{say('stage', lang).lower()} {int(r['stage'])}: {_fmt(float(r['probability_selected']), 2, lang)}"
                  for _, r in rows.iterrows()]
            parts.append(f"{say('p_selected', lang)} " + ", ".join(ps))
    if scen is not None:
        m = scen.table("scenario-matrix.csv")
        if m is not None:
            first = m[m["stage"] == m["stage"].min()]
            rows = first[(first["application_id"] == app) & (pd.to_numeric(first["selected"], errors="coerce") == 1)]
            parts.append(f"{say('in_scenarios', lang)}: " + (", ".join(map(str, rows["scenario"])) or "—"))
    return "; ".join(parts) if parts else say("not_assessed", lang)


def _ref_dossiers(inp: ReportInputs, lang: str) -> list[Dossier]:
    run = inp.run
    ranking = run.tables["ranking.csv"]
    panel = run.table("panel-scores.csv")
    intervals = run.table("rank-intervals.csv")
    stages = run.stages()
    first = ranking[ranking["stage"] == stages[0]].sort_values("rank", kind="stable") if stages else ranking
    rows = []
    described = C._attribute_facts(run, lang)
    for app in first["application_id"]:
        r0 = first[first["application_id"] == app].iloc[0]
        facts: list[tuple[str, str]] = list(described.get(str(app), []))
        for n in stages:
            f = _stage_frame(run, n)
            h = f"{say('stage', lang)} {n} — "
            if app not in set(f["application_id"]):
                facts.append((h + say("selected", lang), say("not_in_stage", lang)))
                continue
            r = f[f["application_id"] == app].iloc[0]
            p = run.stage_parameters(n)
            if panel is not None:
                ps = panel[(panel["stage"] == n) & (panel["application_id"] == app)]
                facts.append((h + say("scores", lang), "; ".join(
                    f"{_criterion_name(p, c, lang)} {_fmt(float(v), 2, lang)}"
                    for c, v in zip(ps["criterion_id"], ps["panel_score"], strict=True))))
            col = "failed_thresholds_da" if lang == "da" and "failed_thresholds_da" in r.index else "failed_thresholds"
            failed = r[col] if isinstance(r[col], str) else ""
            facts.append((h + say("thresholds", lang), f"{say('failed', lang)}: {failed}" if failed
                          else say("all_passed", lang)))
            rank_text = f"{int(r['rank'])} ({say('score', lang).lower()} {_fmt(float(r['score']), 3, lang)})"
            if intervals is not None:
                iv = intervals[(intervals["application_id"] == app)
                               & ((intervals["stage"] == n) if "stage" in intervals.columns else (n == stages[0]))]
                if len(iv):
                    q = iv.iloc[0]
                    rank_text += f"; {say('rank_interval', lang)} {int(q['rank_q05'])}–{int(q['rank_q95'])}"
            facts.append((h + say("rank", lang), rank_text))
            why = str(r.get("reason_da" if lang == "da" and "reason_da" in r.index else "reason", ""))
            cost = r.get("cost_to_include")
            if isinstance(cost, float) and cost == cost and "reason_code" not in r.index:
                why += f" [{say('cost_to_include', lang).lower()}: {_fmt(cost, 3, lang)}" + (
                    f"; {say('would_leave', lang).lower()}: {r['would_leave']}" if isinstance(r.get("would_leave"), str)
                    else "") + "]"
            facts.append((h + say("selected", lang), f"{say('yes' if bool(r['selected']) else 'no', lang)} — {why}"))
            binding = [_rule_words(x, lang) for x in run.rules(n) if x.get("binding") and app in x.get("members", [])]
            if run.rules(n):
                facts.append((h + say("binding_for_it", lang), "; ".join(binding) or "—"))
            facts += _ref_record_facts(run, str(app), n, lang)
        facts.append((say("robustness", lang), _ref_robustness(app, inp.sensitivity, inp.scenarios, lang)))
        title = str(r0["title"]) if "title" in first.columns and isinstance(r0["title"], str) else ""
        rows.append(Dossier(str(app), title, facts))
    return rows


def _dossiers(inp: ReportInputs, lang: str) -> list[Dossier]:
    sec = C._dossier_section(inp, lang)
    return next(b for b in sec.blocks if isinstance(b, list))


def _board_and_assessments(run_dir, *, shuffled: bool) -> None:
    apps = list(synthetic.APPS)
    board = pd.DataFrame({
        "application_id": apps + ["A2"],  # a second row of A2: the first one counts
        "rank": list(range(1, len(apps) + 2)),
        "recommended": [1, 0, 1, 0, 1, 0, 0], "decided": [1, 1, 0, 0, 1, 0, 0],
        "deviation": [0, 1, 1, 0, 0, 0, 1], "recorded": [1] * 7,
        "reason": ["", "Strong regional case", "Withdrawn", "", "", "", "second row"],
        "reason_da": ["", "Stærk regional sag", "", "", "", "", "anden række"],
        "decided_by": ["Vækstforum"] * 7, "decided_on": ["2026-03-01"] * 6 + [""]})
    assess = pd.DataFrame({"application_id": ["A3", "A1", "A3", "A5", "A1"],
                           "language": ["en", "da", "da", "da+en", "en"],
                           "text": ["Good plan", "God plan", "God plan (da)", "Both", "Good (en)"],
                           "file": [""] * 5})
    if shuffled:
        board = board.sample(frac=1, random_state=3)
        assess = assess.sample(frac=1, random_state=4)
    board.to_csv(run_dir / "board-decisions-stage1.csv", index=False)
    assess.to_csv(run_dir / "assessments-stage1.csv", index=False)
    assess.to_csv(run_dir / "assessments-stage2.csv", index=False)


@pytest.mark.parametrize("lang", ["en", "da"])
@pytest.mark.parametrize("extra", ["plain", "board", "board-shuffled", "no-siblings"])
def test_indexed_dossiers_equal_the_per_application_form(tmp_path, lang, extra):
    run_dir = synthetic.make_folders(tmp_path, others=extra != "no-siblings")
    if extra.startswith("board"):
        _board_and_assessments(run_dir, shuffled=extra.endswith("shuffled"))
    inp = load_report_inputs(run_dir)
    if extra.startswith("board"):
        assert "board-decisions-stage1.csv" in inp.run.tables, inp.run.unusable
    got, want = _dossiers(inp, lang), _ref_dossiers(inp, lang)
    assert [(d.application_id, d.title, d.facts) for d in got] == [(d.application_id, d.title, d.facts) for d in want]
    if extra.startswith("board"):  # the case is exercised: board lines and assessments appear
        facts = [v for d in got for _, v in d.facts]
        assert any("Vækstforum" in v for v in facts) and any("God plan" in v or "Good" in v for v in facts)


def test_shuffled_long_tables_keep_each_applications_lines(tmp_path):
    """Rows of the sensitivity, scenario, panel and interval tables in any order: the same dossiers
    as the reference (each application's lines gathered by id, stages sorted)."""
    run_dir = synthetic.make_folders(tmp_path)
    for folder in [run_dir, *[p for p in run_dir.parent.iterdir() if p != run_dir and p.is_dir()]]:
        for name in ("panel-scores.csv", "rank-intervals.csv", "selection-probability.csv", "core-index.csv",
                     "scenario-matrix.csv"):
            path = folder / name
            if path.exists():
                t = pd.read_csv(path, keep_default_na=False, dtype=str)
                t.sample(frac=1, random_state=11).to_csv(path, index=False)
    inp = load_report_inputs(run_dir)
    assert inp.sensitivity is not None and inp.scenarios is not None
    for lang in ("en", "da"):
        got, want = _dossiers(inp, lang), _ref_dossiers(inp, lang)
        assert [(d.application_id, d.facts) for d in got] == [(d.application_id, d.facts) for d in want]
        assert any(k == say("robustness", lang) and say("p_selected", lang) in v for d in got for k, v in d.facts)


def test_column_width_and_cells_from_arrays_equal_the_per_value_form():
    """The workbook's column widths and streamed cells read float columns straight from their
    arrays, prepared once per column: the same as through ``_value`` per cell, block by block."""
    from selection.report import xlsx as X

    frame = pd.DataFrame({"f": [0.1, float("nan"), float("inf"), -float("inf"), 1234567.891, -0.0, 1e-12],
                          "i": [1, -2, 3, 40_000, 5, 6, 7],
                          "o": ["a", None, "=1+1", "x" * 70, "", " pad ", "b"],
                          "b": [True, False, True, True, False, True, False],
                          "n": pd.array([1, None, 3, 4, 5, 6, 7], dtype="Int64").astype("float64")})
    for name in frame.columns:
        col = frame[name]
        old = max(map(len, [name] + ["" if v is None else str(v) for v in col.map(X._value)]))
        assert X._widest(col, name) == old, name
        whole = X._column_xml(col, "C", 2)
        kind, seq = X._column_values(col)
        blocks = [c for s in range(0, len(col), 3) for c in X._cells_xml(kind, X._block_values(seq, s, s + 3), "C",
                                                                           2 + s)]
        assert blocks == whole, name
        per_value = [X._cell_xml(X._value(v), f"C{2 + r}") for r, v in enumerate(col.tolist())]
        assert whole == per_value, name  # the fast paths write what one cell per value would
