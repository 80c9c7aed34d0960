"""What the report says: sections of paragraphs, figures, tables and dossiers, built from run
folders only. The HTML and the workbook render the same content.

Nothing is computed here beyond choosing, joining and labelling columns of the run files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from selection.report.bundle import ReportInputs, RunBundle
from selection.report.words import say

__all__ = ["Para", "Figure", "Table", "Dossier", "Section", "build_sections"]


@dataclass(frozen=True)
class Para:
    text: str
    notice: bool = False  # a "this part is missing" notice


@dataclass(frozen=True)
class Figure:
    caption: str
    draw: Callable  # () -> matplotlib Axes


@dataclass(frozen=True)
class Table:
    caption: str
    frame: pd.DataFrame
    sheet: str | None = None  # workbook sheet name (None: HTML only)
    in_html: bool = True


@dataclass(frozen=True)
class Dossier:
    application_id: str
    title: str
    facts: list[tuple[str, str]]


@dataclass
class Section:
    id: str
    title: str
    blocks: list = field(default_factory=list)


def _fmt(x, digits: int = 2) -> str:
    if x is None or (isinstance(x, float) and x != x):
        return ""
    if isinstance(x, float):
        return f"{x:.{digits}f}"
    return str(x)


def _money(x) -> str:
    return "" if x is None else f"{int(x):,}".replace(",", " ")


def _criterion_name(params: dict, cid: str, lang: str) -> str:
    names = params.get("criterion_names", {}).get(cid)
    return (names[0] if lang == "da" else names[1]) if names else cid


def _call_section(run: RunBundle, lang: str) -> Section:
    sec = Section("call", say("s_call", lang))
    call = run.manifest.get("parameters", {}).get("call", {})
    if call:
        sec.blocks.append(Para(" / ".join(x for x in (call.get("name"), call.get("name_en")) if x)))
    stages = run.stages()
    first = run.stage_parameters(stages[0]) if stages else {}
    sec.blocks.append(Para(say("call_intro", lang, aggregation=say(first.get("aggregation", "mean"), lang)
                                  if first.get("aggregation", "mean") in ("mean", "median", "trimmed_mean")
                                  else first.get("aggregation"))))
    rows = []
    for n in stages:
        p = run.stage_parameters(n)
        rows.append({say("stage", lang): n, say("name", lang): p.get("name", ""), say("max_selected", lang): p.get("max_selected"),
                     say("from_stage", lang): p.get("from_stage"), say("budget", lang): p.get("budget"),
                     say("budget_basis", lang): say(p["budget_basis"], lang) if p.get("budget_basis") else "",
                     say("total_cap", lang): p.get("total_budget_cap_per_year"),
                     say("regional_share", lang): p.get("max_regional_share"),
                     say("overall_threshold", lang): p.get("overall_threshold")})
    sec.blocks.append(Table(say("stages", lang), pd.DataFrame(rows), say("stages", lang)))
    crit = []
    for n in stages:
        p = run.stage_parameters(n)
        for cid, w in p.get("weights", {}).items():
            names = p.get("criterion_names", {}).get(cid, ["", ""])
            crit.append({say("stage", lang): n, say("criterion", lang): cid, say("name_da", lang): names[0],
                         say("name_en", lang): names[1], say("weight", lang): w,
                         say("threshold", lang): p.get("thresholds", {}).get(cid)})
    if crit:
        sec.blocks.append(Table(say("criteria", lang), pd.DataFrame(crit), say("criterion", lang)))
    return sec


#: Agreement measures drawn (when present; all are in the table): the panel's average-score
#: reliability, rank concordance, and Krippendorff's alpha.
HEADLINE_MEASURES = ("ICC2k", "kendalls_w", "krippendorff_alpha_interval", "alpha_interval")
#: Rows of expert-leniency.csv that hold an expert's overall leniency (over all criteria).
OVERALL = ("all", "overall", "total")


def _per_stage(frame: pd.DataFrame):
    if "stage" not in frame.columns:
        return [(None, frame)]
    return [(int(n), frame[frame["stage"] == n]) for n in sorted(frame["stage"].dropna().unique())]


def _headline_rows(name: str, f: pd.DataFrame) -> pd.DataFrame:
    """The rows a figure shows: headline agreement measures; each expert's overall leniency."""
    if name == "agreement.csv":
        f = f[f["value"].notna()]
        if f["measure"].isin(HEADLINE_MEASURES).any():
            f = f[f["measure"].isin(HEADLINE_MEASURES)]
    elif "criterion_id" in f.columns and f["criterion_id"].isin(OVERALL).any():
        f = f[f["criterion_id"].isin(OVERALL)]
    elif "criterion_id" in f.columns:
        return f.iloc[0:0]  # per-criterion rows only: shown as a table
    return f


def _panel_section(run: RunBundle, lang: str) -> Section:
    from selection import plot

    sec = Section("panel", say("s_panel", lang), [Para(say("panel_intro", lang))])
    present = [n for n in ("agreement.csv", "expert-leniency.csv", "divergence.csv") if n in run.tables]
    if not present:
        sec.blocks.append(Para(say("no_panel", lang), notice=True))
    for name, draw, sheet in (("agreement.csv", plot.agreement, "agreement"),
                              ("expert-leniency.csv", plot.expert_leniency, "expert-leniency")):
        f = run.table(name)
        if f is not None:
            for n, part in _per_stage(f):
                part = _headline_rows(name, part)
                if len(part):
                    caption = f"{name}, {say('stage', lang).lower()} {n}" if n is not None else name
                    sec.blocks.append(Figure(caption, lambda part=part, draw=draw: draw(part, lang=lang)))
        elif name in run.unusable:
            sec.blocks.append(Para(say("not_drawable", lang, file=name, why=run.unusable[name]), notice=True))
        if name in run.tables:
            sec.blocks.append(Table(name, run.tables[name], sheet))
    if "divergence.csv" in run.tables:
        sec.blocks.append(Table(say("divergence", lang), run.tables["divergence.csv"], "divergence"))
    panel = run.table("panel-scores.csv")
    if panel is not None:
        for n in sorted(panel["stage"].unique()):
            wide = panel[panel["stage"] == n].pivot_table(index="application_id", columns="criterion_id",
                                                          values="panel_score", sort=False).reset_index()
            wide.columns.name = None
            sec.blocks.append(Table(f"{say('panel_scores', lang)}, {say('stage', lang).lower()} {n}", wide,
                                    f"{say('panel_scores', lang)} {n}"))
    return sec


def _stage_frame(run: RunBundle, n: int) -> pd.DataFrame:
    """One stage's ranking rows joined with its selection table (who is selected and why)."""
    r = run.tables["ranking.csv"]
    r = r[r["stage"] == n]
    sel = run.tables[f"selection-stage{n}.csv"]
    keep = [c for c in ("selected", "reason", "cost_to_include", "would_leave") if c in sel.columns]
    return r.merge(sel[["application_id", *keep]], on="application_id", how="inner").sort_values("rank", kind="stable")


def _ranking_section(run: RunBundle, lang: str) -> Section:
    from selection import plot

    sec = Section("ranking", say("s_ranking", lang), [Para(say("ranking_intro", lang))])
    intervals = run.table("rank-intervals.csv")
    for n in run.stages():
        p = run.stage_parameters(n)
        f = _stage_frame(run, n)
        thr = p.get("overall_threshold") if p.get("overall_threshold_basis", "weighted_total") == "weighted_total" else None
        k = p.get("max_selected")
        label = f"{say('stage', lang)} {n}" + (f": {p['name']}" if p.get("name") else "")
        sec.blocks.append(Figure(label, lambda f=f, thr=thr, k=k: plot.ranking(f, threshold=thr, funding_line=k,
                                                                                lang=lang)))
        if intervals is not None:
            iv = intervals[intervals["stage"] == n] if "stage" in intervals.columns else (
                intervals if n == run.stages()[0] else intervals.iloc[0:0])
            if len(iv):
                sec.blocks.append(Para(say("intervals_intro", lang)))
                sec.blocks.append(Figure(f"{label} — rank-intervals.csv",
                                         lambda iv=iv, k=k: plot.rank_intervals(iv, funding_line=k, lang=lang)))
    if intervals is None:
        sec.blocks.append(Para(say("no_intervals", lang) if "rank-intervals.csv" not in run.unusable else
                               say("not_drawable", lang, file="rank-intervals.csv",
                                   why=run.unusable["rank-intervals.csv"]), notice=True))
    sec.blocks.append(Table("ranking.csv", run.tables["ranking.csv"], "ranking"))
    if "rank-intervals.csv" in run.tables:
        sec.blocks.append(Table("rank-intervals.csv", run.tables["rank-intervals.csv"], "rank-intervals"))
    return sec


def _caps(run: RunBundle, n: int) -> pd.DataFrame:
    rules = [r for r in run.rules(n) if r.get("sense") == "<=" and r.get("rule") in ("max_selected", "budget",
                                                                                        "total_budget")]
    return pd.DataFrame([{"stage": n, "description": r["description"], "used": r["used"], "limit": r["limit"],
                          "unit": r["unit"], "binding": r["binding"]} for r in rules],
                        columns=["stage", "description", "used", "limit", "unit", "binding"])


def _selection_section(run: RunBundle, lang: str) -> Section:
    from selection import plot

    sec = Section("selection", say("s_selection", lang), [Para(say("data_language", lang))])
    for n in run.stages():
        p = run.stage_parameters(n)
        f = _stage_frame(run, n)
        chosen = f[f["selected"].astype(bool)]
        sec.blocks.append(Para(f"{say('stage', lang)} {n}" + (f": {p['name']}" if p.get("name") else "") + ". "
                               + say("selected_n", lang, n=len(chosen), k=p.get("max_selected", "?"))))
        cols = [c for c in ("rank", "application_id", "title", "score", "selected", "reason", "cost_to_include",
                            "would_leave") if c in f.columns]
        sec.blocks.append(Table(f"selection-stage{n}.csv", f[cols], f"{say('s_selection', lang)} {n}"))
        caps = _caps(run, n)
        if run.rules(n):
            sec.blocks.append(Figure(f"{say('stage', lang)} {n}", lambda caps=caps: plot.budget_use(caps, lang=lang)))
            binding = [r["description"] for r in run.rules(n) if r.get("binding")]
            sec.blocks.append(Para(say("binding_rules", lang) + ": " + ("; ".join(binding) if binding
                                                                          else say("no_binding", lang))))
            rules = pd.DataFrame(run.rules(n)).drop(columns=["members"], errors="ignore")
            sec.blocks.append(Table(say("binding_rules", lang), rules, f"rules {n}"))
        else:
            sec.blocks.append(Para(say("no_rules", lang), notice=True))
        dev = f[f["reason"].astype(str).str.startswith("ranking deviation")]
        if len(dev):
            sec.blocks.append(Table(say("deviations", lang), dev[cols], None))
        else:
            sec.blocks.append(Para(say("no_deviations", lang)))
    return sec


def _scenario_section(b: RunBundle | None, lang: str) -> Section:
    from selection import plot

    sec = Section("scenarios", say("s_scenarios", lang))
    if b is None:
        sec.blocks.append(Para(say("no_scenarios", lang), notice=True))
        return sec
    sec.blocks.append(Para(say("scenarios_intro", lang) + f" ({say('run', lang)}: {b.path.name})"))
    m = b.table("scenario-matrix.csv")
    if m is not None:
        sec.blocks.append(Figure("scenario-matrix.csv", lambda: plot.scenario_matrix(m, lang=lang)))
    for name, why in b.unusable.items():
        sec.blocks.append(Para(say("not_drawable", lang, file=name, why=why), notice=True))
    for name in ("scenario-summary.csv", "scenario-changes.csv", "scenario-matrix.csv"):
        if name in b.tables:
            sec.blocks.append(Table(name, b.tables[name], name.removesuffix(".csv")))
    return sec


def _sensitivity_section(b: RunBundle | None, run: RunBundle, lang: str) -> Section:
    from selection import plot

    sec = Section("sensitivity", say("s_sensitivity", lang))
    if b is None:
        sec.blocks.append(Para(say("no_sensitivity", lang), notice=True))
        return sec
    sec.blocks.append(Para(say("sensitivity_intro", lang) + f" ({say('run', lang)}: {b.path.name})"))
    prob, core = b.table("selection-probability.csv"), b.table("core-index.csv")
    if prob is not None:
        f = prob
        if core is not None and "core_label" not in f.columns:
            f = f.merge(core[["application_id", "core_label"]], on="application_id", how="left")
        sort = [c for c in ("probability_selected_stage2", "probability_selected_stage1") if c in f.columns]
        f = f.sort_values(sort + ["application_id"], ascending=[False] * len(sort) + [True], kind="stable")
        sec.blocks.append(Figure("selection-probability.csv", lambda: plot.selection_probability(f, lang=lang)))
    acc = b.table("rank-acceptability.csv")
    if acc is not None:
        sec.blocks.append(Figure("rank-acceptability.csv", lambda: plot.rank_acceptability(acc, lang=lang)))
    stab = b.table("weight-stability.csv")
    stages = run.stages()
    names = {}
    if stages:
        p = run.stage_parameters(stages[0])
        names = {c: _criterion_name(p, c, lang) for c in p.get("weights", {})}
    if stab is not None:
        s1 = stab[stab["stage"] == stab["stage"].min()] if "stage" in stab.columns else stab
        sec.blocks.append(Figure("weight-stability.csv", lambda: plot.weight_stability(s1, names=names, lang=lang)))
    sweep = b.table("weight-sweep.csv")
    if sweep is not None:
        for c in dict.fromkeys(sweep["criterion_id"]):
            cur = (run.stage_parameters(stages[0]).get("weights", {}).get(c) if stages else None)
            sec.blocks.append(Figure(f"weight-sweep.csv: {c}",
                                     lambda c=c, cur=cur: plot.weight_sweep(sweep, criterion=c, current=cur,
                                                                            lang=lang)))
    for name, why in b.unusable.items():
        sec.blocks.append(Para(say("not_drawable", lang, file=name, why=why), notice=True))
    for name in sorted(b.tables):
        sec.blocks.append(Table(name, b.tables[name], name.removesuffix(".csv")))
    return sec


def _robustness(app: str, sens: RunBundle | None, scen: RunBundle | None, lang: str) -> str:
    parts = []
    if sens is not None:
        core = sens.table("core-index.csv")
        if core is not None and app in set(core["application_id"]):
            row = core[core["application_id"] == app].iloc[0]
            lab = str(row["core_label"])
            parts.append((say(lab, lang) if lab in ("core", "borderline", "exterior") else lab)
                         + f", core index {_fmt(float(row['core_index']))}")
        prob = sens.table("selection-probability.csv")
        if prob is not None and app in set(prob["application_id"]):
            row = prob[prob["application_id"] == app].iloc[0]
            ps = [f"{say('stage', lang).lower()} {k}: {_fmt(float(row[c]))}" for k, c in
                  ((1, "probability_selected_stage1"), (2, "probability_selected_stage2")) if c in prob.columns]
            parts.append(f"{say('p_selected', lang)} " + ", ".join(ps))
    if scen is not None:
        m = scen.table("scenario-matrix.csv")
        if m is not None:
            rows = m[(m["application_id"] == app) & m["selected_stage1"].astype(bool)]
            parts.append(f"{say('in_scenarios', lang)}: " + (", ".join(map(str, rows["scenario"])) or "—"))
    return "; ".join(parts) if parts else say("not_assessed", lang)


def _dossier_section(inp: ReportInputs, lang: str) -> Section:
    run = inp.run
    sec = Section("dossiers", say("s_dossiers", lang), [Para(say("dossier_intro", lang))])
    ranking = run.tables["ranking.csv"]
    panel = run.table("panel-scores.csv")
    intervals = run.table("rank-intervals.csv")
    stages = run.stages()
    first = ranking[ranking["stage"] == stages[0]].sort_values("rank", kind="stable") if stages else ranking
    rows = []
    for app in first["application_id"]:
        r0 = first[first["application_id"] == app].iloc[0]
        facts: list[tuple[str, str]] = []
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
                    f"{_criterion_name(p, c, lang)} {_fmt(float(v))}" for c, v in zip(ps["criterion_id"],
                                                                                        ps["panel_score"], strict=True))))
            failed = r["failed_thresholds"] if isinstance(r["failed_thresholds"], str) else ""
            facts.append((h + say("thresholds", lang), f"{say('failed', lang)}: {failed}" if failed
                          else say("all_passed", lang)))
            rank_text = f"{int(r['rank'])} ({say('score', lang).lower()} {_fmt(float(r['score']), 3)})"
            if intervals is not None:
                iv = intervals[(intervals["application_id"] == app)
                               & ((intervals["stage"] == n) if "stage" in intervals.columns else (n == stages[0]))]
                if len(iv):
                    q = iv.iloc[0]
                    rank_text += f"; {say('rank_interval', lang)} {int(q['rank_q05'])}–{int(q['rank_q95'])}"
            facts.append((h + say("rank", lang), rank_text))
            why = str(r.get("reason", ""))
            cost = r.get("cost_to_include")
            if isinstance(cost, float) and cost == cost:
                why += f" [{say('cost_to_include', lang).lower()}: {_fmt(cost, 3)}" + (
                    f"; {say('would_leave', lang).lower()}: {r['would_leave']}" if isinstance(r.get("would_leave"), str)
                    else "") + "]"
            facts.append((h + say("selected", lang), f"{say('yes' if bool(r['selected']) else 'no', lang)} — {why}"))
            binding = [x["description"] for x in run.rules(n) if x.get("binding") and app in x.get("members", [])]
            if run.rules(n):
                facts.append((h + say("binding_for_it", lang), "; ".join(binding) or "—"))
        facts.append((say("robustness", lang), _robustness(app, inp.sensitivity, inp.scenarios, lang)))
        title = str(r0["title"]) if "title" in first.columns and isinstance(r0["title"], str) else ""
        rows.append(Dossier(str(app), title, facts))
    sec.blocks.append(rows)
    flat = pd.DataFrame([{say("application", lang): d.application_id, say("title", lang): d.title,
                          **{k: v for k, v in d.facts}} for d in rows])
    sec.blocks.append(Table(say("s_dossiers", lang), flat, say("s_dossiers", lang), in_html=False))
    return sec


def build_sections(inp: ReportInputs, lang: str = "en") -> list[Section]:
    """Every section of the report, in order."""
    run = inp.run
    return [_call_section(run, lang), _panel_section(run, lang), _ranking_section(run, lang),
            _selection_section(run, lang), _scenario_section(inp.scenarios, lang),
            _sensitivity_section(inp.sensitivity, run, lang), _dossier_section(inp, lang)]
