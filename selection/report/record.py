"""The call's record in the report: its time table and stage dates, the secretariat's
recommendation beside the board's decision, and the operator's written assessment of each
application — read from the run folder only (the manifest's ``dates`` and ``board``, and the tables
``board-decisions-stage<N>.csv`` and ``assessments-stage<N>.csv``).

:mod:`selection.report.content` places these in the report; this module chooses and labels, in
English and Danish. A run folder without them (an older one, or a call without dates or board)
gives nothing, so the report is as before.
"""

from __future__ import annotations

import pandas as pd

from selection import schema
from selection.model import Window
from selection.report.bundle import RunBundle

__all__ = ["WORDS", "say", "timeline_frame", "board_frame", "board_summary", "has_board",
           "dossier_facts", "stage_dossier_facts", "stage_dates"]

WORDS: dict[str, tuple[str, str]] = {
    "s_decision": ("Recommendation and decision", "Indstilling og beslutning"),
    "timeline": ("The call's time table", "Opslagets tidsplan"),
    "what": ("What", "Hvad"),
    "when": ("When", "Hvornår"),
    "note": ("Note", "Bemærkning"),
    "stage_window": ("Stage {n}: {name}", "Fase {n}: {name}"),
    "scores_due": ("scores due {date}", "frist for point {date}"),
    "decision_on": ("decided {date}", "besluttes {date}"),
    "who": ("{recommender} recommends; {board} decides. The engine's selection is the recommendation; the board's "
            "decision is kept apart from it, in the call folder's decision file ({file}).",
            "{recommender} indstiller; {board} beslutter. Programmets udvælgelse er indstillingen; bestyrelsens "
            "beslutning holdes adskilt fra den, i opslagsmappens beslutningsfil ({file})."),
    "who_pending": ("{recommender} recommends; {board} decides. The board has not decided yet: this report shows the "
                    "recommendation only.",
                    "{recommender} indstiller; {board} beslutter. Der er endnu ikke truffet beslutning: rapporten viser "
                    "kun indstillingen."),
    "scenario_note": ("This run is the scenario {scenario}: its recommendation is not the one the board decided on, "
                      "so the deviations below compare the board's decision with the scenario's selection.",
                      "Denne kørsel er scenariet {scenario}: dets indstilling er ikke den, der blev truffet beslutning "
                      "om, så afvigelserne nedenfor sammenligner beslutningen med scenariets udvælgelse."),
    "stage_decided": ("Stage {n}: {board} decided {date}: {k} selected ({apps}).",
                      "Fase {n}: {board} besluttede {date}: {k} udvalgt ({apps})."),
    "stage_not_decided": ("Stage {n}: the decision file records no decision of {board}; a later stage chooses among "
                          "the recommendation.",
                          "Fase {n}: beslutningsfilen indeholder ingen beslutning fra {board}; en senere fase vælger "
                          "blandt indstillingen."),
    "no_deviation": ("The decision follows the recommendation.", "Beslutningen følger indstillingen."),
    "deviations": ("Deviations from the recommendation: {k} (with the reason of {board}, in the table below).",
                   "Afvigelser fra indstillingen: {k} (med {board}s begrundelse, i tabellen nedenfor)."),
    "deviations_brief": ("Deviations from the recommendation: {k} (the reasons are in the section "
                         "“Recommendation and decision”).",
                         "Afvigelser fra indstillingen: {k} (begrundelserne står i afsnittet "
                         "“Indstilling og beslutning”)."),
    "side_by_side": ("Stage {n}: recommended and decided", "Fase {n}: indstillet og besluttet"),
    "from_board": ("Stage {n} chose among {board}'s decision of stage {m}, not among the recommendation.",
                   "Fase {n} valgte blandt {board}s beslutning i fase {m}, ikke blandt indstillingen."),
    "recommended": ("Recommended", "Indstillet"),
    "decided": ("Decided", "Besluttet"),
    "deviation": ("Deviation", "Afvigelse"),
    "reason": ("Reason of {board}", "{board}s begrundelse"),
    "rank": ("Rank", "Placering"),
    "application": ("Application", "Ansøgning"),
    "title": ("Title", "Titel"),
    "yes": ("yes", "ja"),
    "no": ("no", "nej"),
    "not_recorded": ("no row in the decision file", "ingen række i beslutningsfilen"),
    "no_reason": ("no reason recorded", "ingen begrundelse registreret"),
    "dossier_decision": ("Stage {n} — decision of {board}", "Fase {n} — {board}s beslutning"),
    "dossier_assessment": ("Stage {n} — the operator's assessment", "Fase {n} — operatørens faglige vurdering"),
    "selected_by": ("selected by {board} ({date})", "udvalgt af {board} ({date})"),
    "not_selected_by": ("not selected by {board} ({date})", "ikke udvalgt af {board} ({date})"),
    "recommended_too": ("as recommended", "som indstillet"),
    "against": ("against the recommendation", "imod indstillingen"),
    "sheet": ("Decision stage {n}", "Beslutning fase {n}"),
    "timeline_sheet": ("Time table", "Tidsplan"),
}


def say(key: str, lang: str = "en", **fmt) -> str:
    """The phrase ``key`` in ``lang`` ("en" or "da"), formatted with ``fmt``."""
    en, da = WORDS[key]
    out = da if lang == "da" else en
    return out.format(**fmt) if fmt else out


def _when(d: dict | None, lang: str) -> str:
    if not d or not d.get("start"):
        return ""
    return Window(start=d["start"], end=d.get("end")).describe(lang)


def stage_dates(run: RunBundle, n: int, lang: str) -> str:
    """A stage's dates in words: ``December 2012 – January 2013; scores due 18 January 2013``."""
    d = (run.manifest.get("dates") or {}).get("stages", {}).get(str(n)) or {}
    parts = [_when(d.get("window"), lang)]
    if d.get("scores_due"):
        parts.append(say("scores_due", lang, date=_when({"start": d["scores_due"]}, lang)))
    if d.get("decision_on"):
        parts.append(say("decision_on", lang, date=_when({"start": d["decision_on"]}, lang)))
    return "; ".join(p for p in parts if p)


def timeline_frame(run: RunBundle, lang: str) -> pd.DataFrame | None:
    """The call's time table and each stage's dates, in date order (``None`` without dates)."""
    dates = run.manifest.get("dates")
    if not isinstance(dates, dict):
        return None
    rows = []
    for m in dates.get("timeline") or []:
        rows.append((m.get("start", ""), {say("what", lang): m.get("name_da" if lang == "da" else "name_en", ""),
                                          say("when", lang): _when(m, lang),
                                          say("note", lang): (m.get("note_da") if lang == "da" else "") or m.get("note", "")}))
    for n in run.stages():
        text = stage_dates(run, n, lang)
        if text:
            name = run.stage_parameters(n).get("name", "")
            start = ((dates.get("stages") or {}).get(str(n)) or {}).get("window") or {}
            rows.append((start.get("start", "9999"), {say("what", lang): say("stage_window", lang, n=n, name=name),
                                                      say("when", lang): text, say("note", lang): ""}))
    if not rows:
        return None
    rows.sort(key=lambda r: r[0])  # ISO text: days, months and years sort by their start
    return pd.DataFrame([r for _, r in rows])


def _board(run: RunBundle) -> dict:
    b = run.manifest.get("board")
    return b if isinstance(b, dict) else {}


def has_board(run: RunBundle) -> bool:
    """Whether the run's call names a board (who decides)."""
    return bool(_board(run))


def _board_name(run: RunBundle, lang: str) -> str:
    b = _board(run)
    return str(b.get("name_da" if lang == "da" else "name_en") or "")


def _short(run: RunBundle) -> str:
    """The deciding body's proper name (the Danish one, e.g. Vækstforum), for headings."""
    return str(_board(run).get("name_da") or "")


def board_summary(run: RunBundle, lang: str) -> list[str]:
    """Paragraphs: who recommends and who decides, and per stage what the board decided."""
    b = _board(run)
    if not b:
        return []
    rec = str(b.get("recommender_da" if lang == "da" else "recommender_en") or "")
    board = _board_name(run, lang)
    out = [say("who", lang, recommender=rec, board=board, file=b.get("file")) if b.get("file")
           else say("who_pending", lang, recommender=rec, board=board)]
    scenario = run.manifest.get("scenario")
    if b.get("decided_stages") and isinstance(scenario, str) and scenario != "baseline":
        out.append(say("scenario_note", lang, scenario=scenario))
    for n in run.stages():
        p = run.stage_parameters(n)
        if b.get("candidates_from", {}).get(str(n)) == "board":
            out.append(say("from_board", lang, n=n, board=board, m=p.get("from_stage")))
        t = run.table(schema.BOARD_DECISIONS.file(n))
        if t is None:
            if b.get("file"):
                out.append(say("stage_not_decided", lang, n=n, board=_short(run)))
            continue
        decided = t[t["decided"].astype(bool)]
        when = ", ".join(_when({"start": d}, lang) for d in sorted(set(t["decided_on"].dropna().astype(str))))
        out.append(say("stage_decided", lang, n=n, board=board, date=when, k=len(decided),
                       apps=", ".join(decided["application_id"].astype(str))))
        dev = t[t["deviation"].astype(bool)]
        out.append(say("deviations", lang, k=len(dev), board=_short(run)) if len(dev) else say("no_deviation", lang))
    return out


def stage_decision(run: RunBundle, n: int, lang: str) -> list[str]:
    """For the one-page summary: what the board decided in stage ``n`` and how many deviations from
    the recommendation that makes (empty when the board has not decided the stage)."""
    t = run.table(schema.BOARD_DECISIONS.file(n))
    if t is None or not _board(run):
        return []
    board = _board_name(run, lang)
    decided = t[t["decided"].astype(bool)]
    when = ", ".join(_when({"start": d}, lang) for d in sorted(set(t["decided_on"].dropna().astype(str))))
    dev = t[t["deviation"].astype(bool)]
    return [say("stage_decided", lang, n=n, board=board, date=when, k=len(decided),
                apps=", ".join(decided["application_id"].astype(str))),
            say("deviations_brief", lang, k=len(dev)) if len(dev) else say("no_deviation", lang)]


def _text(x) -> str:
    return x if isinstance(x, str) else ""


def board_frame(run: RunBundle, n: int, lang: str, titles: dict[str, str], *, relevant_only: bool = False
                ) -> pd.DataFrame | None:
    """Stage ``n``'s recommendation beside the board's decision, in rank order (``None`` when the
    board has not decided the stage); ``relevant_only``: the applications recommended, decided
    or named in the decision file (the rest were neither)."""
    t = run.table(schema.BOARD_DECISIONS.file(n))
    if t is None:
        return None
    if relevant_only:
        t = t[t["recommended"].astype(bool) | t["decided"].astype(bool) | t["recorded"].astype(bool)]
    yes, no = say("yes", lang), say("no", lang)
    rows = []
    for r in t.itertuples():
        reason = _text(r.reason_da) or _text(r.reason) if lang == "da" else _text(r.reason) or _text(r.reason_da)
        if bool(r.deviation) and not reason:
            reason = say("no_reason", lang) if bool(r.recorded) else say("not_recorded", lang)
        rows.append({say("rank", lang): int(r.rank), say("application", lang): r.application_id,
                     say("title", lang): titles.get(str(r.application_id), ""),
                     say("recommended", lang): yes if bool(r.recommended) else no,
                     say("decided", lang): yes if bool(r.decided) else no,
                     say("deviation", lang): yes if bool(r.deviation) else "",
                     say("reason", lang, board=_short(run)): reason})
    return pd.DataFrame(rows)


def dossier_facts(run: RunBundle, app: str, n: int, lang: str) -> list[tuple[str, str]]:
    """An application's dossier lines for stage ``n``: the board's decision (beside the
    recommendation) and the operator's written assessment, where the run folder has them."""
    return stage_dossier_facts(run, n, lang).get(app, [])


def stage_dossier_facts(run: RunBundle, n: int, lang: str) -> dict[str, list[tuple[str, str]]]:
    """:func:`dossier_facts` of every application of stage ``n`` at once (each table read once,
    not once per application: the report's dossiers at 3,000 applications), keyed by application id;
    an application without a line is absent."""
    out: dict[str, list[tuple[str, str]]] = {}
    t = run.table(schema.BOARD_DECISIONS.file(n))
    if t is not None:
        ids = t["application_id"].astype(str)
        for i in (~ids.duplicated()).to_numpy().nonzero()[0]:  # an application's first row, as before
            r = t.iloc[int(i)]
            date = _when({"start": str(r["decided_on"])}, lang) if _text(r["decided_on"]) else ""
            board = _board_name(run, lang) or _text(r["decided_by"])
            text = say("selected_by" if bool(r["decided"]) else "not_selected_by", lang, board=board, date=date)
            text += ", " + say("against" if bool(r["deviation"]) else "recommended_too", lang)
            reason = (_text(r["reason_da"]) or _text(r["reason"])) if lang == "da" else (_text(r["reason"]) or _text(r["reason_da"]))
            if reason:
                text += f": {reason}"
            out.setdefault(str(ids.iloc[int(i)]), []).append(
                (say("dossier_decision", lang, n=n, board=_short(run) or board), text))
    a = run.table(schema.ASSESSMENTS.file(n))
    if a is not None:
        texts: dict[str, list[tuple[str, str]]] = {}
        for app_id, language, txt in zip(a["application_id"].astype(str), a["language"].astype(str),
                                         a["text"].astype(str), strict=True):
            texts.setdefault(app_id, []).append((language, txt))
        for app_id, pairs in texts.items():
            by = dict(pairs)
            text = by.get(lang) or by.get("da+en") or next(iter(by.values()))
            out.setdefault(app_id, []).append((say("dossier_assessment", lang, n=n), text))
    return out
