"""What the report says: sections of paragraphs, figures, tables and dossiers, built from run
folders only. The HTML and the workbook render the same content.

Nothing is computed here beyond choosing, joining and labelling columns of the run files.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import pandas as pd

from selection.model import first_lower
from selection.report import compact, record
from selection.report.bundle import ReportInputs, RunBundle
from selection.report.words import WORDS, column, number, percent, plain, say
from selection.report.words import sheet as _sheet
from selection.schema import report_files
from selection.words import DECIMALS

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
    #: Fixed decimals per column in the HTML (a kind of quantity, ``words.DECIMALS``); other numbers
    #: are written plainly. The workbook keeps the full values.
    digits: dict[str, int] = field(default_factory=dict)


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


def _fmt(x, digits: int = 2, lang: str = "en") -> str:
    """A number with ``digits`` decimals in the number style of ``lang`` (text as it is)."""
    if x is None or (isinstance(x, float) and x != x):
        return ""
    if isinstance(x, int | float) and not isinstance(x, bool):
        return number(x, digits, lang)
    return str(x)


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
    scales = sorted({f"{plain(lo, lang)}–{plain(hi, lang)}" for n in stages
                     for lo, hi, *_ in run.stage_parameters(n).get("scales", {}).values()})
    sec.blocks.append(Para(say("call_intro", lang, scale=f" ({', '.join(scales)})" if scales else "",  # the catalogue's
                               aggregation=say(first.get("aggregation", "mean"), lang)
                                  if first.get("aggregation", "mean") in ("mean", "median", "trimmed_mean")
                                  else first.get("aggregation"))))
    rows = []
    code = call.get("currency", "DKK")  # the call's currency (kroner are "kr." in Danish)
    cur = "kr." if lang == "da" and code == "DKK" else code
    for n in stages:
        p = run.stage_parameters(n)
        rows.append({say("stage", lang): n, say("name", lang): p.get("name", ""), say("max_selected", lang): p.get("max_selected"),
                     say("from_stage", lang): p.get("from_stage"), say("budget", lang, currency=cur): p.get("budget"),
                     say("budget_basis", lang): say(p["budget_basis"], lang) if p.get("budget_basis") else "",
                     say("total_cap", lang, currency=cur): p.get("total_budget_cap_per_year"),
                     say("regional_share", lang): p.get("max_regional_share"),
                     say("overall_threshold", lang): p.get("overall_threshold")})
        if any(run.stage_parameters(m).get("partial_funding") for m in stages):  # only then: a column
            rows[-1][say("partial_funding", lang)] = _partial_funding_words(p.get("partial_funding"), lang)
    sec.blocks.append(Table(say("stages", lang), pd.DataFrame(rows), _sheet("stages", lang)))
    crit = []
    for n in stages:
        p = run.stage_parameters(n)
        for cid, w in p.get("weights", {}).items():
            names = p.get("criterion_names", {}).get(cid, ["", ""])
            crit.append({say("stage", lang): n, say("criterion", lang): cid, say("name_da", lang): names[0],
                         say("name_en", lang): names[1], say("weight", lang): w,
                         say("threshold", lang): p.get("thresholds", {}).get(cid)})
    if crit:
        sec.blocks.append(Table(say("criteria", lang), pd.DataFrame(crit), _sheet("criteria", lang),
                                digits={say("weight", lang): DECIMALS["weight"],
                                        say("threshold", lang): DECIMALS["score"]}))
    dates = record.timeline_frame(run, lang)  # the call's time table and stage dates (record)
    if dates is not None:
        sec.blocks.append(Table(record.say("timeline", lang), dates, record.say("timeline_sheet", lang)))
    return sec


def _partial_funding_words(pf: dict | None, lang: str) -> str:
    """A stage's partial-funding setting from the manifest (``runs``), in words; ``—`` when off."""
    if not pf:
        return "—"
    parts = []
    if pf.get("min_share") is not None:
        share = plain(float(pf["min_share"]) * 100, lang) + ("\u00a0%" if lang == "da" else "%")
        parts.append(say("pf_share", lang, share=share))
    if pf.get("min_amount"):
        labels = pf.get("min_amount_label") or [pf["min_amount"], pf["min_amount"]]
        label = labels[0] if lang == "da" else labels[1]
        parts.append(say("pf_amount", lang, label=first_lower(label)))
    return say("pf_and", lang).join(parts)


def _decision_section(run: RunBundle, lang: str) -> Section | None:
    """The secretariat's recommendation beside the board's decision, per stage (selection.board)."""
    if not record.has_board(run):
        return None
    sec = Section("decision", record.say("s_decision", lang), [Para(t) for t in record.board_summary(run, lang)])
    for n in run.stages():
        full = record.board_frame(run, n, lang, _titles(run))
        if full is None:
            continue
        shown = record.board_frame(run, n, lang, _titles(run), relevant_only=True)
        sec.blocks.append(Table(record.say("side_by_side", lang, n=n), shown, None))
        sec.blocks.append(Table(f"{say('stage', lang)} {n}: {record.say('s_decision', lang)}", full,
                                record.say("sheet", lang, n=n), in_html=False))
    return sec


#: Agreement measures drawn (when present; all are in the table): the panel's average-score
#: reliability, rank concordance, and Krippendorff's alpha.
HEADLINE_MEASURES = ("ICC2k", "kendalls_w", "krippendorff_alpha_interval", "alpha_interval")


def _per_stage(frame: pd.DataFrame):
    if "stage" not in frame.columns:
        return [(None, frame)]
    return [(int(n), frame[frame["stage"] == n]) for n in sorted(frame["stage"].dropna().unique())]


def _stage_word(n, lang: str) -> str:
    return f", {say('stage', lang).lower()} {n}" if n is not None else ""


def _criteria(run: RunBundle, n: int | None, lang: str) -> tuple[list[str], dict[str, str]]:
    """A stage's criterion ids in catalogue order and their names in ``lang`` (ids when unnamed).

    The manifest stores its keys sorted, so the catalogue order is the order in which the run's
    own tables list the criteria (panel scores, then agreement), then the manifest's weights.
    """
    stages = run.stages()
    stage = n if n is not None else (stages[0] if stages else None)
    p = run.stage_parameters(stage) if stage is not None else {}
    seen: list = []
    for name in ("panel-scores.csv", "agreement.csv"):
        f = run.table(name)
        if f is not None and "criterion_id" in f.columns:
            seen += list(f[f["stage"] == stage]["criterion_id"] if "stage" in f.columns else f["criterion_id"])
    order = compact.criterion_order(seen, list(p.get("weights", {})))
    return order, {c: _criterion_name(p, c, lang) for c in order}


def _titles(run: RunBundle) -> dict[str, str]:
    r = run.tables["ranking.csv"]
    if "title" not in r.columns:
        return {}
    return {str(a): t for a, t in zip(r["application_id"], r["title"], strict=True) if isinstance(t, str)}


def _workbook_note(sheets: list[str], lang: str) -> Para:
    return Para(say("in_workbook", lang, sheets=", ".join(f"'{s}'" for s in sheets), workbook=report_files(lang)[1]))


def _panel_section(run: RunBundle, lang: str) -> Section:
    from selection import plot

    sec = Section("panel", say("s_panel", lang), [Para(say("panel_intro", lang))])
    present = [n for n in ("agreement.csv", "expert-leniency.csv", "divergence.csv") if n in run.tables]
    if not present:
        sec.blocks.append(Para(say("no_panel", lang), notice=True))
    sheets: list[str] = []
    # agreement: one compact table per stage, one plain sentence, the figure
    agree = run.table("agreement.csv")
    if agree is not None:
        sec.blocks.append(Para(say("measures_legend", lang)))
        for n, part in _per_stage(agree):
            order, names = _criteria(run, n, lang)
            view, notes = compact.agreement_view(part, order, names, lang)
            sentence = compact.agreement_sentence(part, lang)
            if sentence:
                sec.blocks.append(Para(sentence))
            title = say("agreement_title", lang) + _stage_word(n, lang)
            sec.blocks.append(Table(title + say("ci_note", lang), view, None))
            sec.blocks.extend(Para(t) for t in notes)
            drawn = part[pd.to_numeric(part["value"], errors="coerce").notna()]
            if drawn["measure"].isin(HEADLINE_MEASURES).any():
                drawn = drawn[drawn["measure"].isin(HEADLINE_MEASURES)]
            if len(drawn):
                labels = {**names, **{t: say("weighted_total", lang) for t in compact.OVERALL}}
                drawn = drawn.assign(criterion_id=drawn["criterion_id"].astype(str).map(lambda c, m=labels: m.get(c, c)),
                                     measure=drawn["measure"].astype(str).map(lambda m: compact.measure_label(m, lang)))
                sec.blocks.append(Figure(title, lambda d=drawn: plot.agreement(d, lang=lang)))
    elif "agreement.csv" in run.unusable:
        sec.blocks.append(Para(say("not_drawable", lang, file="agreement.csv", why=run.why("agreement.csv", lang)),
                               notice=True))
        sec.blocks.append(Table("agreement.csv", run.tables["agreement.csv"], None))
    if "agreement.csv" in run.tables:
        book = run.tables["agreement.csv"]
        if lang != "en" and {"measure", "note"} <= set(book.columns):  # the engine's notes are English
            book = book.assign(note=[compact._reason(str(m), n, lang) if isinstance(n, str) and n.strip() else n
                                     for m, n in zip(book["measure"], book["note"], strict=True)])
        sec.blocks.append(Table("agreement.csv", book, _sheet("agreement", lang), in_html=False))
        sheets.append(_sheet("agreement", lang))
    # leniency: one row per expert (the overall row); the per-criterion detail in the workbook
    len_ = run.table("expert-leniency.csv")
    if len_ is not None:
        sec.blocks.append(Para(say("leniency_intro", lang, band=plain(compact.LENIENCY_BAND, lang))))
        for n, part in _per_stage(len_):
            overall = part
            if "criterion_id" in part.columns:
                is_all = part["criterion_id"].astype(str).isin(compact.OVERALL)
                overall = part[is_all] if is_all.any() else part.iloc[0:0]
            if len(overall):
                sec.blocks.append(Table(say("leniency_title", lang) + _stage_word(n, lang),
                                        compact.leniency_view(overall, lang), None))
                sec.blocks.append(Figure(say("leniency_title", lang) + _stage_word(n, lang),
                                         lambda d=overall: plot.expert_leniency(d, lang=lang)))
    elif "expert-leniency.csv" in run.unusable:
        sec.blocks.append(Para(say("not_drawable", lang, file="expert-leniency.csv",
                                   why=run.why("expert-leniency.csv", lang)), notice=True))
        sec.blocks.append(Table("expert-leniency.csv", run.tables["expert-leniency.csv"], None))
    if "expert-leniency.csv" in run.tables:
        sec.blocks.append(Table("expert-leniency.csv", run.tables["expert-leniency.csv"],
                                _sheet("expert-leniency", lang), in_html=False))
        sheets.append(_sheet("expert-leniency", lang))
    # divergence: the widest disagreements, grouped by application, capped
    div = run.tables.get("divergence.csv")
    if div is not None:
        titles = _titles(run)
        if {"application_id", "criterion_id"} <= set(div.columns):
            for n, part in _per_stage(div):
                _, names = _criteria(run, n, lang)
                view, left = compact.divergence_view(part, titles, names, lang)
                sec.blocks.append(Table(say("divergence", lang) + _stage_word(n, lang), view, None))
                if left:
                    sec.blocks.append(Para(say("divergence_more", lang, shown=plain(len(view), lang), total=plain(len(part), lang),
                                               left=plain(left, lang),
                                               sheet=_sheet("divergence", lang), workbook=report_files(lang)[1])))
        else:
            sec.blocks.append(Table(say("divergence", lang), div, None))
        if lang != "en" and "scores" in div.columns:  # "E1: 2.5" in the workbook's language too
            div = div.assign(scores=div["scores"].map(lambda x: compact._scores_text(x, lang) if isinstance(x, str) else x))
        sec.blocks.append(Table(say("divergence", lang), div, _sheet("divergence", lang), in_html=False))
        sheets.append(_sheet("divergence", lang))
    panel = run.table("panel-scores.csv")
    if panel is not None:
        for n in sorted(panel["stage"].unique()):
            wide = panel[panel["stage"] == n].pivot_table(index="application_id", columns="criterion_id",
                                                          values="panel_score", sort=False).reset_index()
            wide.columns.name = None
            caption = f"{say('panel_scores', lang)}, {say('stage', lang).lower()} {n}"
            sec.blocks.append(Table(caption, wide, _sheet("panel-scores", lang, int(n)), in_html=False))
            _, names = _criteria(run, int(n), lang)
            shown = wide.rename(columns={"application_id": say("application", lang), **names})
            sec.blocks.append(Table(caption, shown, None,
                                    digits={c: DECIMALS["score"] for c in shown.columns[1:]}))
    if sheets:
        sec.blocks.append(_workbook_note(sheets, lang))
    return sec


def _stage_frame(run: RunBundle, n: int) -> pd.DataFrame:
    """One stage's ranking rows joined with its selection table (who is selected and why)."""
    r = run.tables["ranking.csv"]
    r = r[r["stage"] == n]
    sel = run.tables[f"selection-stage{n}.csv"]
    keep = [c for c in ("selected", "reason", "cost_to_include", "would_leave", "reason_da", "reason_code")
            if c in sel.columns]
    f = r.merge(sel[["application_id", *keep]], on="application_id", how="inner").sort_values("rank", kind="stable")
    if "eligible" in sel.columns:  # the stage's own rules (regional share, forced out) exclude too
        ok = dict(zip(sel["application_id"], sel["eligible"].astype(bool), strict=True))
        f["eligible"] = f["eligible"].astype(bool) & f["application_id"].map(ok).fillna(True).astype(bool)
    return f


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
        attrs = run.table("application-attributes.csv")  # the call's declared attributes, beside each row
        attrs = attrs if attrs is not None and attrs["type"].astype(str).isin(["one", "several", "yes_no"]).any() \
            else None
        sec.blocks.append(Figure(label, lambda f=f, thr=thr, k=k, at=attrs: plot.ranking(
            f, threshold=thr, funding_line=k, attributes=at, lang=lang)))
        if intervals is not None:
            iv = intervals[intervals["stage"] == n] if "stage" in intervals.columns else (
                intervals if n == run.stages()[0] else intervals.iloc[0:0])
            if len(iv):
                sec.blocks.append(Para(say("intervals_intro", lang)))
                sec.blocks.append(Figure(f"{label} — {say('fig_intervals', lang)}",
                                         lambda iv=iv, k=k: plot.rank_intervals(iv, funding_line=k, lang=lang)))
        posterior = run.table("posterior.csv")  # the Bayesian panel model's caterpillar (docs/bayes.md)
        if posterior is not None and "posterior.csv" not in run.unusable and (posterior["stage"] == n).any():
            pn = posterior[posterior["stage"] == n]
            if "title" in f.columns:
                pn = pn.merge(f[["application_id", "title"]], on="application_id", how="left")
            lot = run.table("lottery.csv")
            ln = lot[lot["stage"] == n] if lot is not None and "lottery.csv" not in run.unusable else None
            drawn = ((run.manifest.get("bayes") or {}).get(str(n)) or {}).get("lottery") or {}
            line = drawn.get("funding_line")
            sec.blocks.append(Figure(f"{label} — {say('fig_posterior', lang)}"
                                     + (f", {say('fig_lottery', lang)}" if ln is not None and len(ln) else ""),
                                     lambda pn=pn, ln=ln, fl=line: plot.expected_ranks(
                                         pn, lottery=ln if ln is not None and len(ln) else None, funding_line=fl,
                                         lang=lang)))
    if intervals is None:
        sec.blocks.append(Para(say("no_intervals", lang) if "rank-intervals.csv" not in run.unusable else
                               say("not_drawable", lang, file="rank-intervals.csv",
                                   why=run.why("rank-intervals.csv", lang)), notice=True))
    sec.blocks.append(Table("ranking.csv", run.tables["ranking.csv"], _sheet("ranking", lang), in_html=False))
    sheets = [_sheet("ranking", lang)]
    if "rank-intervals.csv" in run.tables:
        sec.blocks.append(Table("rank-intervals.csv", run.tables["rank-intervals.csv"], _sheet("rank-intervals", lang),
                                in_html=False))
        sheets.append(_sheet("rank-intervals", lang))
    sec.blocks.append(_workbook_note(sheets, lang))
    return sec


def _why(f: pd.DataFrame, lang: str) -> pd.Series:
    """The reasons of a stage frame in ``lang``: ``reason_da`` in Danish when the run has it
    (older run folders have ``reason`` only)."""
    return f["reason_da"] if lang == "da" and "reason_da" in f.columns else f["reason"]


def _rule_words(r: dict, lang: str) -> str:
    """A rule's description in ``lang`` (the manifest's ``description_da`` in Danish, when given)."""
    return (r.get("description_da") or r["description"]) if lang == "da" else r["description"]


def _quoted_in_english(run: RunBundle) -> bool:
    """Whether a Danish report must quote English reasons or rule descriptions (an older run)."""
    for n in run.stages():
        if "reason_da" not in run.tables[f"selection-stage{n}.csv"].columns:
            return True
        if any(not r.get("description_da") for r in run.rules(n)):
            return True
    return False


def _caps(run: RunBundle, n: int, lang: str = "en") -> pd.DataFrame:
    rules = [r for r in run.rules(n) if r.get("sense") == "<=" and r.get("rule") in ("max_selected", "budget",
                                                                                        "total_budget")]
    return pd.DataFrame([{"stage": n, "description": _rule_words(r, lang), "used": r["used"], "limit": r["limit"],
                          "unit": r["unit"], "binding": r["binding"]} for r in rules],
                        columns=["stage", "description", "used", "limit", "unit", "binding"])


def _readable_selection(f: pd.DataFrame, lang: str) -> pd.DataFrame:
    """Rows of a stage's selection table (all selected, or all not) with words for headers and
    rounded scores."""
    out = pd.DataFrame({say(k, lang): f[k] for k in ("rank", "application_id", "title") if k in f.columns})
    if "score" in f.columns:
        out[say("score", lang)] = f["score"].map(lambda v: _fmt(float(v), 3, lang))
    if (f["reason"].astype(str) != "selected").any():  # "selected" for every row says nothing
        out[say("reason", lang)] = _why(f, lang)
    if "cost_to_include" in f.columns and f["cost_to_include"].notna().any():
        out[say("cost_to_include", lang)] = f["cost_to_include"].map(lambda v: _fmt(v, 3, lang))
    if "would_leave" in f.columns and f["would_leave"].notna().any():
        out[say("would_leave", lang)] = f["would_leave"].map(lambda v: v if isinstance(v, str) else "")
    return out


def _not_selected(f: pd.DataFrame, lang: str) -> pd.DataFrame:
    """The applications not selected, grouped by the kind of reason (the reason's words before
    its first colon in run folders from before decision records), in rank order within each group;
    the full reasons are in the dossiers."""
    if "reason_code" in f.columns:  # the decision record's code, in words (no parsing of sentences)
        from selection.words import kind as kind_words

        kind = f["reason_code"].astype(str).map(lambda c: kind_words(c, lang))
    else:
        kind = _why(f, lang).astype(str).map(lambda r: r.split(":", 1)[0].strip())
    rows = [{say("reason", lang): k, say("count", lang): int((kind == k).sum()),
             say("applications", lang): ", ".join(map(str, f[kind == k]["application_id"]))}
            for k in dict.fromkeys(kind)]
    return pd.DataFrame(rows, columns=[say("reason", lang), say("count", lang), say("applications", lang)])


def _selection_section(run: RunBundle, lang: str) -> Section:
    from selection import plot

    english = lang != "da" or _quoted_in_english(run)
    sec = Section("selection", say("s_selection", lang), [Para(say("data_language", lang))] if english else [])
    for n in run.stages():
        p = run.stage_parameters(n)
        f = _stage_frame(run, n)
        chosen = f[f["selected"].astype(bool)]
        sec.blocks.append(Para(f"{say('stage', lang)} {n}" + (f": {p['name']}" if p.get("name") else "") + ". "
                               + say("selected_n", lang, n=len(chosen), k=p.get("max_selected", "?"))))
        cols = [c for c in ("rank", "application_id", "title", "score", "selected", "reason", "cost_to_include",
                            "would_leave", "reason_da") if c in f.columns]
        sec.blocks.append(Table(f"selection-stage{n}.csv", f[cols], _sheet("selection", lang, n), in_html=False))
        sel = f["selected"].astype(bool)
        sec.blocks.append(Table(say("selected_caption", lang, n=n), _readable_selection(f[sel][cols], lang), None))
        sec.blocks.append(Table(say("not_selected_caption", lang, n=n), _not_selected(f[~sel], lang), None))
        sec.blocks.append(Para(say("selection_in_workbook", lang, sheet=_sheet("selection", lang, n))))
        caps = _caps(run, n, lang)
        if run.rules(n):
            sec.blocks.append(Figure(f"{say('fig_budget_use', lang)}{_stage_word(n, lang)}",
                                     lambda caps=caps: plot.budget_use(caps, lang=lang)))
            binding = [_rule_words(r, lang) for r in run.rules(n) if r.get("binding")]
            sec.blocks.append(Para(say("binding_rules", lang) + ": " + ("; ".join(binding) if binding
                                                                          else say("no_binding", lang))))
            rules = pd.DataFrame(run.rules(n)).drop(columns=["members"], errors="ignore")
            sec.blocks.append(Table(say("binding_rules", lang), rules, _sheet("rules", lang, n), in_html=False))
            sec.blocks.append(Para(say("rules_in_workbook", lang, n=len(rules), sheet=_sheet("rules", lang, n))))
        else:
            sec.blocks.append(Para(say("no_rules", lang), notice=True))
        dev = f[f["reason_code"].astype(str).eq("ranking_deviation")] if "reason_code" in f.columns else \
            f[f["reason"].astype(str).str.startswith("ranking deviation")]
        if len(dev):
            sec.blocks.append(Table(say("deviations", lang), _readable_selection(dev[cols], lang), None))
        else:
            sec.blocks.append(Para(say("no_deviations", lang)))
    sec.blocks.extend(_pending(run, lang))
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
        sec.blocks.append(Figure(say("fig_scenario_matrix", lang), lambda: plot.scenario_matrix(m, lang=lang)))
    for name in b.unusable:
        sec.blocks.append(Para(say("not_drawable", lang, file=name, why=b.why(name, lang)), notice=True))
    summary, changes = b.tables.get("scenario-summary.csv"), b.tables.get("scenario-changes.csv")
    if summary is not None:
        if lang == "da" and "description_da" in summary.columns:  # the scenario file's Danish description
            da = summary["description_da"].fillna("").astype(str)
            summary = summary.assign(description=da.where(da.str.strip() != "", summary["description"]))
        keep = [c for c in SUMMARY_COLUMNS if c in summary.columns]
        view = summary[keep] if {"scenario", "n_selected"} <= set(keep) else summary
        if "infeasibility" in view.columns and not view["infeasibility"].notna().any():
            view = view.drop(columns=["infeasibility"])
        sec.blocks.append(Table(say("scenario_summary", lang), view.rename(columns=lambda c: _col(c, lang)), None))
    if changes is not None:
        keep = [c for c in CHANGE_COLUMNS if c in changes.columns]
        view = changes[keep] if {"scenario", "application_id", "change"} <= set(keep) else changes
        if "change" in view.columns:  # enters / leaves, in words
            view = view.assign(change=view["change"].map(lambda c: say(c, lang) if c in ("enters", "leaves") else c))
        sec.blocks.append(Table(say("scenario_changes", lang), view.rename(columns=lambda c: _col(c, lang)), None))
    sheets = []
    for name in ("scenario-summary.csv", "scenario-changes.csv", "scenario-matrix.csv"):
        if name in b.tables:
            sec.blocks.append(Table(name, b.tables[name], _sheet(name.removesuffix(".csv"), lang), in_html=False))
            sheets.append(_sheet(name.removesuffix(".csv"), lang))
    if sheets:
        sec.blocks.append(_workbook_note(sheets, lang))
    return sec


#: Columns of the scenario tables shown in the HTML (the others, e.g. long reasons, are in the workbook).
SUMMARY_COLUMNS = ("scenario", "description", "stage", "status", "n_selected", "n_entering", "n_leaving",
                   "entering", "leaving", "infeasibility")
CHANGE_COLUMNS = ("scenario", "stage", "application_id", "title", "change", "rank_baseline", "rank_scenario")


def _col(c: str, lang: str) -> str:
    """A run-file column's heading in words when the report has one, else (in Danish) the
    workbook's Danish header of the column, else the column name."""
    return say(f"col_{c}", lang) if f"col_{c}" in WORDS else column(str(c), lang)


def _sensitivity_section(b: RunBundle | None, run: RunBundle, lang: str) -> Section:
    from selection import plot

    sec = Section("sensitivity", say("s_sensitivity", lang))
    if b is None:
        sec.blocks.append(Para(say("no_sensitivity", lang), notice=True))
        return sec
    sec.blocks.append(Para(say("sensitivity_intro", lang) + f" ({say('run', lang)}: {b.path.name})"))
    prob, core = b.table("selection-probability.csv"), b.table("core-index.csv")
    if prob is not None:  # one row per application, a column per stage, with its core label (as drawn)
        from selection.plot.layout import probability_view

        f = probability_view(prob, core)
        sec.blocks.append(Figure(say("fig_probability", lang), lambda: plot.selection_probability(f, lang=lang)))
    acc = b.table("rank-acceptability.csv")
    if acc is not None:
        sec.blocks.append(Figure(say("fig_acceptability", lang), lambda: plot.rank_acceptability(acc, lang=lang)))
    stab = b.table("weight-stability.csv")
    stages = run.stages()
    names = {}
    if stages:
        p = run.stage_parameters(stages[0])
        names = {c: _criterion_name(p, c, lang) for c in p.get("weights", {})}
    one_weight = stab is not None and stab.empty and _one_criterion(run, stages)
    if one_weight:  # nothing was varied (the sensitivity run skipped it): say so, draw no empty figure
        sec.blocks.append(Para(say("no_weight_to_vary", lang)))
    elif stab is not None and not stab.empty:
        s1 = stab[stab["stage"] == stab["stage"].min()] if "stage" in stab.columns else stab
        sec.blocks.append(Figure(say("fig_stability", lang), lambda: plot.weight_stability(s1, names=names, lang=lang)))
    sweep = b.table("weight-sweep.csv")
    if sweep is not None:  # one figure per stage and swept criterion (each stage sweeps its own criteria)
        for n, part in _per_stage(sweep):
            p = run.stage_parameters(n if n is not None else stages[0]) if stages else {}
            for c in dict.fromkeys(part["criterion_id"].astype(str)):
                cur = p.get("weights", {}).get(c)
                sec.blocks.append(Figure(say("sweep_caption", lang, criterion=_criterion_name(p, c, lang))
                                         + _stage_word(n, lang),
                                         lambda c=c, cur=cur, n=n, p=p: plot.weight_sweep(
                                             sweep, criterion=c, current=cur, stage=n,
                                             names={c: _criterion_name(p, c, lang)}, lang=lang)))
    for name in b.unusable:
        sec.blocks.append(Para(say("not_drawable", lang, file=name, why=b.why(name, lang)), notice=True))
    if prob is not None:
        sec.blocks.append(_probability_view(f, run, lang, b.manifest.get("parameters", {})))
        if "core_label" in f.columns and b.manifest.get("parameters"):
            smaa, rpm = _weight_spaces(b.manifest.get("parameters", {}), lang)
            sec.blocks.append(Para(say("spaces_differ", lang, smaa=smaa, rpm=rpm)))
    stab_raw = b.tables.get("weight-stability.csv")
    if stab_raw is not None and not stab_raw.empty:
        sec.blocks.append(_stability_view(stab_raw, run, lang))
    for name in sorted(b.tables):
        sec.blocks.append(Table(name, b.tables[name], _sheet(name.removesuffix(".csv"), lang), in_html=False))
    if b.tables:
        sec.blocks.append(_workbook_note([_sheet(n.removesuffix(".csv"), lang) for n in sorted(b.tables)], lang))
    return sec


def _one_criterion(run: RunBundle, stages: list[int]) -> bool:
    """Whether every stage of the run has a single weighted criterion (nothing to vary)."""
    return bool(stages) and all(len(run.stage_parameters(n).get("weights", {})) <= 1 for n in stages)


def _weight_spaces(params: dict, lang: str) -> tuple[str, str]:
    """The weight sets of the SMAA probability and of robust portfolio modelling, in words, from the
    sensitivity manifest's ``parameters`` (``weights``, ``rpm_weights``, ``spread``)."""
    spread = params.get("spread", 0.2)
    share = percent(spread, lang) if isinstance(spread, int | float) else "?"

    def words(kind: object) -> str:
        key = f"space_{kind}"
        return say(key, lang, spread=share) if key in WORDS else str(kind)
    return words(params.get("weights", "simplex")), words(params.get("rpm_weights", "interval"))


def _probability_view(f: pd.DataFrame, run: RunBundle, lang: str, params: dict | None = None) -> Table:
    """The run's selection first (selected in both stages, then stage 1 only; every selected
    application, also one no weighting selects), then the others selected under at least one
    weighting, most likely first; the rest are counted. Column headers name the weight sets."""
    pcols = sorted((c for c in f.columns if str(c).startswith("probability_selected_stage")),  # the view: a column per stage
                   key=lambda c: int(str(c).rsplit("stage", 1)[1]))
    p = f[pcols].apply(pd.to_numeric, errors="coerce").fillna(0)
    chance = p.max(axis=1) > 0
    chosen = run.manifest.get("selected", {})
    stages = sorted(int(n) for n in chosen) if isinstance(chosen, dict) else []
    first = set(chosen.get(str(stages[0]), [])) if stages else set()
    last = set(chosen.get(str(stages[-1]), [])) if len(stages) > 1 else set()
    ids = f["application_id"].astype(str)
    in1, inlast = ids.isin(first), ids.isin(last)
    order = f.assign(_in1=in1, _inlast=inlast, _p1=p[pcols[0]] if pcols else 0).sort_values(
        ["_in1", "_inlast", "_p1", "application_id"], ascending=[False, False, False, True], kind="stable")
    shown = order[order["_in1"] | chance.reindex(order.index)]
    smaa, rpm = _weight_spaces(params or {}, lang)
    titles = _titles(run)
    rows = []
    for _, r in shown.iterrows():
        app = str(r["application_id"])
        row = {say("application", lang): app}
        if titles:
            row[say("title", lang)] = titles.get(app, "")
        if stages:
            row[say("in_run", lang)] = (f"{say('stage', lang).lower()} " + " + ".join(
                str(n) for n in stages if app in set(chosen.get(str(n), [])))) if r["_in1"] else "—"
        for c in pcols:
            k = str(c).rsplit("stage", 1)[1]  # the stage number (also 10 and beyond)
            head = say("p_selected_space", lang, n=k, space=smaa) if params else \
                f"{say('p_selected', lang).capitalize()}, {say('stage', lang).lower()} {k}"
            row[head] = _fmt(float(r[c]) if r[c] == r[c] else None, 2, lang)
        if "core_label" in f.columns:
            lab = r["core_label"]
            head = say("rpm_label_space", lang, space=rpm) if params else say("robustness", lang)
            row[head] = say(lab, lang).split(" (")[0] if lab in ("core", "borderline", "exterior") \
                else ("" if not isinstance(lab, str) else lab)
        rows.append(row)
    never = int((~chance & ~in1).sum())
    others = say("one_other", lang) if never == 1 else say("others_never", lang, never=never)
    return Table(say("prob_caption_run" if stages else "prob_caption", lang, never=others), pd.DataFrame(rows), None)


def _stability_view(stab: pd.DataFrame, run: RunBundle, lang: str) -> Table | Para:
    """Per criterion: its weight and the range of weights over which the selection stays the same."""
    alias = {"criterion": "criterion_id", "baseline_weight": "weight", "stable_from": "weight_low",
             "stable_to": "weight_high"}
    s = stab.rename(columns={k: v for k, v in alias.items() if k in stab.columns and v not in stab.columns})
    if not {"criterion_id", "weight", "weight_low", "weight_high"} <= set(s.columns):
        return Table("weight-stability.csv", stab, None)
    rows = []
    for n, part in _per_stage(s):
        order, names = _criteria(run, n, lang)
        rank = {c: i for i, c in enumerate(order)}
        part = part.assign(_o=part["criterion_id"].astype(str).map(lambda c, m=rank: m.get(c, len(m))))
        for _, r in part.sort_values("_o", kind="stable").iterrows():
            cid = str(r["criterion_id"])
            row = {say("stage", lang): n} if n is not None else {}
            row.update({say("criterion", lang): names.get(cid, cid), say("weight", lang): _fmt(float(r["weight"]), 2, lang),
                        say("stable_range", lang): f"{_fmt(float(r['weight_low']), 2, lang)}–"
                                                   f"{_fmt(float(r['weight_high']), 2, lang)}"})
            rows.append(row)
    return Table(say("stability_caption", lang), pd.DataFrame(rows), None)


def _first_rows(values) -> dict:
    """Each value's first position in ``values`` (a table's first row of an application)."""
    out: dict = {}
    for i, v in enumerate(values):
        out.setdefault(v, i)
    return out


def _robustness_texts(sens: RunBundle | None, scen: RunBundle | None, lang: str) -> Callable[[str], str]:
    """The dossier's robustness line of an application: its core label and index, its probability
    of selection per stage, and the scenarios selecting it in the first stage — each table indexed
    once by application (not filtered once per application)."""
    core_at: dict = {}
    probs: dict = {}
    scen_in: dict | None = None
    core = prob = None
    if sens is not None:
        core = sens.table("core-index.csv")
        if core is not None:
            core_at = _first_rows(core["application_id"])
        prob = sens.table("selection-probability.csv")  # long: a row per stage
        if prob is not None:
            for a, st, v in zip(prob["application_id"], prob["stage"], prob["probability_selected"], strict=True):
                probs.setdefault(a, []).append((st, v))
    if scen is not None:
        m = scen.table("scenario-matrix.csv")  # long: a row per stage, application and scenario
        if m is not None:
            first = m[m["stage"] == m["stage"].min()]
            on = first[pd.to_numeric(first["selected"], errors="coerce") == 1]
            scen_in = {}
            for a, name in zip(on["application_id"], on["scenario"], strict=True):
                scen_in.setdefault(a, []).append(name)

    def text(app: str) -> str:
        parts = []
        if core is not None and app in core_at:
            row = core.iloc[core_at[app]]
            lab = str(row["core_label"])
            parts.append((say(lab, lang) if lab in ("core", "borderline", "exterior") else lab)
                         + f", {say('core_index', lang)} {_fmt(float(row['core_index']), 2, lang)}")
        if prob is not None and app in probs:
            rows = sorted(probs[app], key=lambda sv: sv[0])  # by stage, stable
            ps = [f"{say('stage', lang).lower()} {int(st)}: {_fmt(float(v), 2, lang)}" for st, v in rows]
            parts.append(f"{say('p_selected', lang)} " + ", ".join(ps))
        if scen_in is not None:
            parts.append(f"{say('in_scenarios', lang)}: " + (", ".join(map(str, scen_in.get(app, []))) or "—"))
        return "; ".join(parts) if parts else say("not_assessed", lang)

    return text


def _dossier_section(inp: ReportInputs, lang: str) -> Section:
    """A dossier per application: everything the run says about it, stage by stage. Each stage's
    joined table, scores, rank intervals, binding rules and board lines are built once and indexed
    by application (the report at 3,000 applications spent most of its time re-building them)."""
    run = inp.run
    sec = Section("dossiers", say("s_dossiers", lang), [Para(say("dossier_intro", lang))])
    ranking = run.tables["ranking.csv"]
    panel = run.table("panel-scores.csv")
    intervals = run.table("rank-intervals.csv")
    stages = run.stages()
    first = ranking[ranking["stage"] == stages[0]].sort_values("rank", kind="stable") if stages else ranking
    rows = []
    described = _attribute_facts(run, lang)  # the call's declared attributes (application-attributes.csv)
    frames = {n: _stage_frame(run, n) for n in stages}
    at = {n: _first_rows(f["application_id"]) for n, f in frames.items()}
    params = {n: run.stage_parameters(n) for n in stages}
    scores: dict = {}
    if panel is not None:
        for st, a, c, v in zip(panel["stage"], panel["application_id"], panel["criterion_id"], panel["panel_score"],
                               strict=True):
            scores.setdefault((st, a), []).append((c, v))
    spans: dict = {}
    if intervals is not None:
        st_col = intervals["stage"] if "stage" in intervals.columns else [stages[0] if stages else None] * len(intervals)
        for st, a, lo, hi in zip(st_col, intervals["application_id"], intervals["rank_q05"], intervals["rank_q95"],
                                 strict=True):
            spans.setdefault((st, a), (lo, hi))
    binding_rules = {n: [(set(x.get("members", [])), _rule_words(x, lang)) for x in run.rules(n) if x.get("binding")]
                     for n in stages}
    board = {n: record.stage_dossier_facts(run, n, lang) for n in stages}
    robustness = _robustness_texts(inp.sensitivity, inp.scenarios, lang)
    first_at = _first_rows(first["application_id"])
    for app in first["application_id"]:
        r0 = first.iloc[first_at[app]]
        facts: list[tuple[str, str]] = list(described.get(str(app), []))
        for n in stages:
            f = frames[n]
            h = f"{say('stage', lang)} {n} — "
            if app not in at[n]:
                facts.append((h + say("selected", lang), say("not_in_stage", lang)))
                continue
            r = f.iloc[at[n][app]]
            p = params[n]
            if panel is not None:
                facts.append((h + say("scores", lang), "; ".join(
                    f"{_criterion_name(p, c, lang)} {_fmt(float(v), 2, lang)}" for c, v in scores.get((n, app), []))))
            col = "failed_thresholds_da" if lang == "da" and "failed_thresholds_da" in r.index else "failed_thresholds"
            failed = r[col] if isinstance(r[col], str) else ""
            facts.append((h + say("thresholds", lang), f"{say('failed', lang)}: {failed}" if failed
                          else say("all_passed", lang)))
            rank_text = f"{int(r['rank'])} ({say('score', lang).lower()} {_fmt(float(r['score']), 3, lang)})"
            if (n, app) in spans:
                lo, hi = spans[(n, app)]
                rank_text += f"; {say('rank_interval', lang)} {int(lo)}–{int(hi)}"
            facts.append((h + say("rank", lang), rank_text))
            why = str(r.get("reason_da" if lang == "da" and "reason_da" in r.index else "reason", ""))
            cost = r.get("cost_to_include")
            if isinstance(cost, float) and cost == cost and "reason_code" not in r.index:  # a record says it itself
                why += f" [{say('cost_to_include', lang).lower()}: {_fmt(cost, 3, lang)}" + (
                    f"; {say('would_leave', lang).lower()}: {r['would_leave']}" if isinstance(r.get("would_leave"), str)
                    else "") + "]"
            facts.append((h + say("selected", lang), f"{say('yes' if bool(r['selected']) else 'no', lang)} — {why}"))
            if run.rules(n):
                facts.append((h + say("binding_for_it", lang),
                              "; ".join(w for members, w in binding_rules[n] if app in members) or "—"))
            facts += board[n].get(str(app), [])  # the board's decision, the operator's assessment
        facts.append((say("robustness", lang), robustness(app)))
        title = str(r0["title"]) if "title" in first.columns and isinstance(r0["title"], str) else ""
        rows.append(Dossier(str(app), title, facts))
    sec.blocks.append(rows)
    flat = pd.DataFrame([{say("application", lang): d.application_id, say("title", lang): d.title,
                          **{k: v for k, v in d.facts}} for d in rows])
    sec.blocks.append(Table(say("s_dossiers", lang), flat, _sheet("dossiers", lang), in_html=False))
    return sec


def _attribute_facts(run: RunBundle, lang: str) -> dict[str, list[tuple[str, str]]]:
    """Each application's declared attributes as dossier lines (label, values), in the call's order
    and labels (``application-attributes.csv``; money in the call's currency); empty for a folder
    without the table (a call declaring no attributes, or an older run)."""
    attrs = run.table("application-attributes.csv")
    if attrs is None or not len(attrs):
        return {}
    code = str(run.manifest.get("parameters", {}).get("call", {}).get("currency") or "DKK")
    unit = "kr." if lang == "da" and code == "DKK" else code
    label, value = ("attribute_da", "value_da") if lang == "da" else ("attribute_en", "value_en")
    out: dict[str, dict[str, list[str]]] = {}
    for r in attrs.itertuples(index=False):
        v = str(getattr(r, value))
        if getattr(r, "type", "") == "money":
            try:
                v = _amount(float(r.value), unit, lang)
            except (TypeError, ValueError):
                pass
        out.setdefault(str(r.application_id), {}).setdefault(str(getattr(r, label)), []).append(v)
    return {a: [(k, ", ".join(vs)) for k, vs in d.items()] for a, d in out.items()}


def _amount(x: float, unit: str, lang: str) -> str:
    """Money (or a count of applications) as the glossary writes it, never broken across lines."""
    from selection.words import fmt

    if unit == "applications":
        return fmt(x, "count", lang)
    return fmt(x, "money", lang, unit=unit).replace(" ", "\u00a0")


def _pending(run: RunBundle, lang: str) -> list[Para]:
    """A notice per stage the run could not select yet (its scores are not in), and why; from the
    manifest's ``pending_stages`` records (older folders wrote an English sentence: shown as it is)."""
    out = []
    for w in run.manifest.get("pending_stages", []) or []:
        if not isinstance(w, dict):
            out.append(Para(str(w), notice=True))
            continue
        name = f" ({w['name']})" if w.get("name") else ""
        frm = w.get("from_stage")
        out.append(Para(say("pending", lang, n=w.get("stage"), name=name)
                        + (say("pending_from", lang, k=frm) if frm else ""), notice=True))
    return out


def _summary_section(run: RunBundle, lang: str) -> Section:
    """The decision on one page: per stage who is selected (in rank order), the money used against
    each budget, how many rules bound and how many ranking deviations there are; stages still
    waiting for their scores, and why."""
    sec = Section("summary", say("s_summary", lang))
    for n in run.stages():
        p = run.stage_parameters(n)
        f = _stage_frame(run, n)
        chosen = f[f["selected"].astype(bool)]
        decision = record.stage_decision(run, n, lang)  # the board decided: the selection is its recommendation
        sec.blocks.append(Para(f"{say('stage', lang)} {n}" + (f": {p['name']}" if p.get("name") else "") + ". "
                               + say("recommended_n" if decision else "selected_n", lang, n=len(chosen),
                                     k=p.get("max_selected", "?"))))
        view = pd.DataFrame({say(k, lang): chosen[k] for k in ("rank", "application_id", "title") if k in chosen.columns})
        if "score" in chosen.columns:
            view[say("score", lang)] = chosen["score"].map(lambda v: _fmt(float(v), 3, lang))
        sec.blocks.append(Table(say("recommended_caption" if decision else "selected_caption", lang, n=n), view, None))
        sec.blocks.extend(Para(t) for t in decision)
        money = [r for r in run.rules(n) if r.get("sense") == "<=" and r.get("unit", "applications") != "applications"
                 and r.get("rule") in ("budget", "total_budget")]
        for r in money:
            sec.blocks.append(Para(say("money_used", lang, rule=_rule_words(r, lang),
                                       used=_amount(r["used"], r["unit"], lang),
                                       limit=_amount(r["limit"], r["unit"], lang))))
        if run.rules(n):
            binding = sum(bool(r.get("binding")) for r in run.rules(n))
            dev = int(f["reason_code"].astype(str).eq("ranking_deviation").sum()) if "reason_code" in f.columns else None
            sec.blocks.append(Para(say("summary_rules", lang, binding=binding, n=len(run.rules(n)))
                                   + ("" if dev is None else " " + say("summary_deviations", lang, dev=dev))))
    sec.blocks.extend(_pending(run, lang))
    sec.blocks.append(Para(say("summary_more", lang)))
    return sec


def build_sections(inp: ReportInputs, lang: str = "en") -> list[Section]:
    """Every section of the report, in order: first the decision on one page."""
    run = inp.run
    return [_summary_section(run, lang), _call_section(run, lang), _panel_section(run, lang), _ranking_section(run, lang),
            _selection_section(run, lang), *[s for s in [_decision_section(run, lang)] if s is not None],
            _scenario_section(inp.scenarios, lang),
            _sensitivity_section(inp.sensitivity, run, lang), _dossier_section(inp, lang)]
