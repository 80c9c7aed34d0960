"""Compact, readable views of the long run-folder tables for the HTML report.

The full tables stay in the workbook; these views only choose rows and columns, relabel them
and format numbers (nothing is computed beyond picking, sorting and grouping what is there).
"""

from __future__ import annotations

import math

import pandas as pd

from selection import schema
from selection.report.words import number, plain, say

__all__ = ["MEASURE_LABELS", "OVERALL", "HEADLINE_PREFERENCE", "DIVERGENCE_CAP", "criterion_order",
           "measure_label", "agreement_view", "agreement_sentence", "leniency_view", "divergence_view"]

#: Readable names of the agreement measures (Shrout & Fleiss 1979 notation for the ICC forms).
MEASURE_LABELS: dict[str, str] = {
    "ICC1": "ICC(1,1)", "ICC2": "ICC(2,1)", "ICC3": "ICC(3,1)",
    "ICC1k": "ICC(1,k)", "ICC2k": "ICC(2,k)", "ICC3k": "ICC(3,k)",
    "kendalls_w": "Kendall's W",
    "krippendorff_alpha_interval": "Krippendorff's α (interval)",
    "krippendorff_alpha_ordinal": "Krippendorff's α (ordinal)",
    "alpha_interval": "Krippendorff's α (interval)", "alpha_ordinal": "Krippendorff's α (ordinal)",
}
#: The same names in Danish (the genitive without an apostrophe).
MEASURE_LABELS_DA: dict[str, str] = {k: v.replace("'s ", "s ") for k, v in MEASURE_LABELS.items()}
#: Why a measure could not be computed, by measure (the engine's note is English; the Danish report
#: says the same condition in Danish, from the measure, not from the note's words).
_WHY_KEY = {"ICC1": "why_icc1", "ICC1k": "why_icc1", "ICC2": "why_same_experts", "ICC2k": "why_same_experts",
            "ICC3": "why_same_experts", "ICC3k": "why_same_experts", "kendalls_w": "why_same_experts",
            "krippendorff_alpha_interval": "why_alpha", "krippendorff_alpha_ordinal": "why_alpha",
            "alpha_interval": "why_alpha", "alpha_ordinal": "why_alpha"}
#: Criterion ids that stand for the weighted total (agreement) or all criteria (leniency).
OVERALL = ("total", "overall", "all")
#: The measure the one-sentence reading is about, first present wins: Krippendorff's alpha works
#: for incomplete panels (each expert scores only some applications); then the reliability of
#: the panel's mean score; then rank concordance.
HEADLINE_PREFERENCE = ("krippendorff_alpha_interval", "alpha_interval", "ICC2k", "ICC1k", "ICC3k", "kendalls_w")
#: At most this many divergent scores are listed in the HTML (the widest first).
DIVERGENCE_CAP = 25
#: Leniency within this many score points of the panel reads as "in line with the panel" -- the
#: engine's one band (the ``label`` of expert-leniency.csv is computed with it).
LENIENCY_BAND = schema.LENIENCY_BAND


def _num(x) -> float | None:
    try:
        v = float(x)
    except (TypeError, ValueError):
        return None
    return None if math.isnan(v) else v


def _f2(x, lang: str = "en") -> str:
    v = _num(x)
    return "" if v is None else number(v, 2, lang)


def measure_label(m: str, lang: str = "en") -> str:
    return (MEASURE_LABELS_DA if lang == "da" else MEASURE_LABELS).get(m, m)


def criterion_order(ids_in_file_order, manifest_ids) -> list[str]:
    """Criterion ids in catalogue order: the order the engine wrote them in the run's tables
    (the manifest stores its keys sorted), then any the manifest lists that the tables lack."""
    seen = [str(c) for c in dict.fromkeys(ids_in_file_order) if str(c) not in OVERALL]
    return seen + [c for c in manifest_ids if c not in seen]


def _stage_rows(frame: pd.DataFrame, stage: int | None) -> pd.DataFrame:
    if stage is None or "stage" not in frame.columns:
        return frame
    return frame[frame["stage"] == stage]


# --- agreement -----------------------------------------------------------------------------------

def _too_little(row) -> bool:
    return schema.agreement_too_little(row.get("n_applications"), row.get("n_experts"))


def _span(values) -> str:
    v = sorted({int(x) for x in pd.to_numeric(values, errors="coerce").dropna()})
    return "" if not v else str(v[0]) if v[0] == v[-1] else f"{v[0]}–{v[-1]}"


def _basis(part: pd.DataFrame, lang: str) -> str:
    """The applications and experts the computed measures of one row rest on (a range when they differ)."""
    computed = part[pd.to_numeric(part["value"], errors="coerce").notna()]
    if not len(computed) or "n_applications" not in computed.columns or "n_experts" not in computed.columns:
        return ""
    apps, experts = _span(computed["n_applications"]), _span(computed["n_experts"])
    return say("n_basis", lang, apps=apps, experts=experts) if apps and experts else ""


def _cell(row, lang: str = "en") -> str:
    v = _num(row["value"])
    if v is None:
        return "—"
    if _too_little(row):
        return say("too_little", lang)
    lo, hi = _num(row.get("ci_low")), _num(row.get("ci_high"))
    # the interval never breaks inside (word joiners around the dash): it wraps as a whole below the value
    return (f"{number(v, 2, lang)} ({number(lo, 2, lang)}\u2060–\u2060{number(hi, 2, lang)})"
            if lo is not None and hi is not None else number(v, 2, lang))


def _found(row, measure: str, lang: str) -> str:
    """What a measure that could not be computed found (``agreement.csv``'s ``found_applications``
    and ``found_experts``, written by the engine beside its English note), in ``lang``; empty when
    the row has none (an older folder, or a measure that counts nothing)."""
    n = _num(row.get("found_applications")) if row is not None else None
    if n is None:
        return ""
    m = _num(row.get("found_experts"))
    if m is not None:
        return say("found_all", lang, n=plain(int(n), lang), m=plain(int(m), lang))
    key = "found_every" if _WHY_KEY.get(measure) == "why_same_experts" else "found_apps"
    return say(key, lang, n=plain(int(n), lang))


def _reason(measure: str, note, lang: str = "en", row=None) -> str:
    """The engine's note without its leading measure name ("ICC2 needs ..." -> "needs ..."); in
    Danish the measure's condition in Danish, with what it found (``row``: its agreement row)."""
    if lang != "en" and measure in _WHY_KEY:
        return say(_WHY_KEY[measure], lang) + _found(row, measure, lang)
    text = str(note).strip() if isinstance(note, str) and note.strip() else ""
    for prefix in (measure, measure_label(measure), "Kendall's W", "Krippendorff's alpha"):
        if text.startswith(prefix + " "):
            return text[len(prefix) + 1:]
    return text


def agreement_view(frame: pd.DataFrame, order: list[str], names: dict[str, str], lang: str
                   ) -> tuple[pd.DataFrame, list[str]]:
    """One stage of ``agreement.csv`` as one row per criterion (catalogue order) plus the weighted
    total, one column per measure that was computed; and the sentences saying, once each, which
    measures could not be computed and why."""
    measures = list(dict.fromkeys(frame["measure"].astype(str)))
    values = pd.to_numeric(frame["value"], errors="coerce")
    computed = [m for m in measures if values[frame["measure"].astype(str) == m].notna().any()]
    crits = [str(c) for c in dict.fromkeys(frame["criterion_id"])]
    totals = [c for c in crits if c in OVERALL]
    rows_order = [c for c in order if c in crits] + [c for c in crits if c not in order and c not in OVERALL] + totals
    crit_col = say("criterion", lang)
    counted = {"n_applications", "n_experts"} <= set(frame.columns)  # older folders lack the counts
    little = False
    out = []
    for c in rows_order:
        part = frame[frame["criterion_id"].astype(str) == c]
        row = {crit_col: say("weighted_total", lang) if c in OVERALL else names.get(c, c)}
        for m in computed:
            hit = part[part["measure"].astype(str) == m]
            row[measure_label(m, lang)] = _cell(hit.iloc[0], lang) if len(hit) else "—"
            little = little or (len(hit) > 0 and _num(hit.iloc[0]["value"]) is not None and _too_little(hit.iloc[0]))
        if counted:
            row[say("based_on", lang)] = _basis(part, lang)
        out.append(row)
    view = pd.DataFrame(out, columns=[crit_col, *(measure_label(m, lang) for m in computed),
                                      *([say("based_on", lang)] if counted else [])])
    # not computable: group the measures by their (deduplicated) reason
    by_reason: dict[str, list[str]] = {}
    for m in measures:
        missing = frame[(frame["measure"].astype(str) == m) & values.isna()]
        if not len(missing):
            continue
        label = measure_label(m, lang) + ("" if m not in computed else f" ({say('for_some_criteria', lang)})")
        for note in dict.fromkeys(_reason(m, r.get("note", ""), lang, r) for _, r in missing.iterrows()):
            by_reason.setdefault(note, [])
            if label not in by_reason[note]:
                by_reason[note].append(label)
    notes = [say("not_computable", lang, measures=", ".join(ms)) + (f": {why}" if why else "") + "."
             for why, ms in by_reason.items()]
    if little:
        notes.append(say("too_little_note", lang, apps=schema.AGREEMENT_MIN_APPLICATIONS,
                         experts=schema.AGREEMENT_MIN_EXPERTS))
    return view, notes


def agreement_sentence(frame: pd.DataFrame, lang: str) -> str | None:
    """One plain sentence reading the headline measure of the weighted total, with the
    conventional bands it is read against and their reference; ``None`` without a total."""
    tot = frame[frame["criterion_id"].astype(str).isin(OVERALL)]
    tot = tot[pd.to_numeric(tot["value"], errors="coerce").notna()]
    for m in HEADLINE_PREFERENCE:
        hit = tot[tot["measure"].astype(str) == m]
        if len(hit):
            row = hit.iloc[0]
            break
    else:
        return None
    v = float(row["value"])
    lo, hi = _num(row.get("ci_low")), _num(row.get("ci_high"))
    ci = say("ci95", lang, lo=number(lo, 2, lang), hi=number(hi, 2, lang)) if lo is not None and hi is not None else ""
    n_apps, n_exp = _num(row.get("n_applications")), _num(row.get("n_experts"))
    basis = say("basis", lang, apps=int(n_apps), experts=int(n_exp)) if n_apps and n_exp else ""
    if n_apps is not None and n_exp is not None and _too_little(row):
        return say("headline_too_little", lang, measure=measure_label(m, lang), apps=int(n_apps), experts=int(n_exp),
                   min_apps=schema.AGREEMENT_MIN_APPLICATIONS, min_experts=schema.AGREEMENT_MIN_EXPERTS)
    if m.startswith("ICC"):
        band = ("poor" if v < 0.5 else "moderate" if v < 0.75 else "good" if v < 0.9 else "excellent")
        key, scale = f"icc_{band}", "bands_icc"
    elif "alpha" in m:
        band = "unreliable" if v < 0.667 else "tentative" if v < 0.8 else "reliable"
        key, scale = f"alpha_{band}", "bands_alpha"
    else:
        band = ("very_weak" if v < 0.1 else "weak" if v < 0.3 else "moderate" if v < 0.6 else "strong"
                if v < 0.9 else "very_strong")
        key, scale = f"w_{band}", "bands_w"
    return say("headline", lang, measure=measure_label(m, lang), value=number(v, 2, lang), ci=ci, basis=basis,
               reading=say(key, lang), bands=say(scale, lang))


# --- leniency ------------------------------------------------------------------------------------

def leniency_view(frame: pd.DataFrame, lang: str) -> pd.DataFrame:
    """One row per expert (the overall row of each expert): name, number of scores, leniency
    (with its interval when given) and a reading in words."""
    if "criterion_id" in frame.columns and frame["criterion_id"].astype(str).isin(OVERALL).any():
        frame = frame[frame["criterion_id"].astype(str).isin(OVERALL)]
    rows = []
    for _, r in frame.iterrows():
        v = _num(r["leniency"])
        lo, hi = _num(r.get("leniency_low")), _num(r.get("leniency_high"))
        label = r.get("label")
        if isinstance(label, str) and label in ("lenient", "severe", "in_line"):
            reading = say(label, lang)  # the engine's label, as written in the run folder
        elif v is None or (isinstance(label, str) and label == ""):
            reading = ""
        else:  # a folder from before the label column: the same rule, band and interval
            beyond = "lenient" if v > LENIENCY_BAND else "severe" if v < -LENIENCY_BAND else "in_line"
            if lo is not None and hi is not None and lo <= 0 <= hi:
                beyond = "in_line"
            reading = say(beyond, lang)
        row: dict[str, object] = {say("expert", lang): str(r["expert_id"])}
        if "name" in frame.columns:
            row[say("name", lang)] = "" if pd.isna(r["name"]) else str(r["name"])
        if "n_scores" in frame.columns:
            n = _num(r["n_scores"])
            row[say("n_scores", lang)] = "" if n is None else int(n)
        text = "" if v is None else number(v, 2, lang, sign=True)
        if v is not None and lo is not None and hi is not None:
            text += f" ({number(lo, 2, lang, sign=True)} – {number(hi, 2, lang, sign=True)})"
        row[say("leniency", lang)] = text
        row[say("reading", lang)] = reading
        rows.append(row)
    return pd.DataFrame(rows)


# --- divergence ----------------------------------------------------------------------------------

def _range(frame: pd.DataFrame) -> pd.Series:
    for c in ("score_range", "range"):
        if c in frame.columns:
            return pd.to_numeric(frame[c], errors="coerce")
    if {"min_score", "max_score"} <= set(frame.columns):
        return pd.to_numeric(frame["max_score"], errors="coerce") - pd.to_numeric(frame["min_score"], errors="coerce")
    return pd.Series(float("nan"), index=frame.index)


def _scores_text(x, lang: str = "en") -> str:
    """``E01: 4.5; E02: 2`` as ``E01: 4.5, E02: 2`` (Danish ``E01: 4,5, E02: 2``)."""
    if not isinstance(x, str):
        return ""
    parts = [p.strip() for p in x.replace("|", ";").split(";") if p.strip()]

    def one(p: str) -> str:
        who, _, score = p.rpartition(":")
        v = _num(score)
        return f"{who}: {plain(v, lang)}" if who and v is not None else p
    return ", ".join(map(one, parts))


def divergence_view(frame: pd.DataFrame, titles: dict[str, str], names: dict[str, str], lang: str,
                    cap: int = DIVERGENCE_CAP) -> tuple[pd.DataFrame, int]:
    """The ``cap`` widest disagreements of one stage, grouped by application (the application
    with the widest range first; its id and title shown once), and how many were left out."""
    f = frame.assign(_range=_range(frame).to_numpy())
    f = f.sort_values("_range", ascending=False, kind="stable", na_position="last")
    shown, left = f.head(cap), max(0, len(f) - cap)
    apps = list(dict.fromkeys(shown["application_id"].astype(str)))  # widest first
    rank = {a: i for i, a in enumerate(apps)}
    shown = shown.assign(_app=shown["application_id"].astype(str).map(rank)).sort_values(
        ["_app", "_range"], ascending=[True, False], kind="stable")
    rows, last, last_comment = [], None, None
    has_titles = any(titles.get(a) for a in apps)
    for _, r in shown.iterrows():
        app = str(r["application_id"])
        first = app != last
        last = app
        row = {say("application", lang): app if first else ""}
        if has_titles:
            row[say("title", lang)] = titles.get(app, "") if first else ""
        cid = str(r.get("criterion_id", ""))
        row[say("criterion", lang)] = names.get(cid, cid)
        row[say("range", lang)] = _f2(r["_range"], lang)
        row[say("expert_scores", lang)] = _scores_text(r.get("scores"), lang)
        if "comments" in frame.columns:
            c = r.get("comments")
            c = c.replace(" | ", "; ") if isinstance(c, str) else ""
            row[say("comments", lang)] = "" if (c == last_comment and not first) else c  # said once per application
            last_comment = c
        rows.append(row)
    return pd.DataFrame(rows), left
