"""The glossary: decision records rendered in English or Danish, with one number style per language.

:mod:`selection.select` records every decision as a :class:`~selection.decisions.Decision` (a reason
code and its facts); this module turns a record into a sentence. It is used only at the edges —
the CLI, the run files' ``reason``/``reason_da`` columns (:func:`add_reasons`) and the report —
and no computing module imports it.

Numbers: English writes ``1,234.5``, Danish ``1.234,5``; each kind of quantity has a fixed number
of decimals (:data:`DECIMALS`), so the same quantity looks the same everywhere.

>>> fmt(0.141666, "value", "en"), fmt(0.141666, "value", "da")
('0.1417', '0,1417')
>>> fmt(250000, "money", "da", unit="DKK"), fmt(0.4, "share", "en")
('250.000 kr.', '40.0%')
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from selection.decisions import CODES, Decision

if TYPE_CHECKING:
    import pandas as pd

__all__ = ["DECIMALS", "KINDS", "LANGS", "add_reasons", "decision_of", "fmt", "kind", "render", "render_rule"]

LANGS = ("en", "da")

#: Decimals per kind of quantity: a selection's value and a cost to include (sums of scores), a
#: panel score, a weight, a share (as a percentage), money (whole units), a count.
DECIMALS = {"value": 4, "score": 2, "weight": 3, "share": 1, "money": 0, "count": 0, "rank": 1}


def fmt(x: float, kind: str, lang: str = "en", *, unit: str = "") -> str:
    """``x`` as a ``kind`` of quantity (see :data:`DECIMALS`) in the number style of ``lang``."""
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    if isinstance(x, str):  # infinities stored as text in the facts
        x = float(x)
    if kind == "share":
        s = format(x * 100, f",.{DECIMALS['share']}f")
        return (_da(s) + " %") if lang == "da" else s + "%"
    if kind == "count" and abs(x - round(x)) > 1e-9:
        kind = "score"  # a fractional count (a weighted share rule): two decimals
    s = format(x, f",.{DECIMALS[kind]}f")
    if lang == "da":
        s = _da(s)
    if kind == "money":
        if lang == "da" and unit in ("DKK", ""):
            return f"{s} kr."
        return f"{s} {unit}".rstrip()
    return s


def _da(s: str) -> str:
    return s.translate(str.maketrans(",.", ".,"))


def _t(text: Any, lang: str) -> str:
    """A bilingual text from the facts (``{"en": ..., "da": ...}``), a plain string, or nothing."""
    if not text:
        return ""
    if isinstance(text, str):
        return text
    return str(text.get(lang) or text.get("en") or "")


_W = {
    "en": {
        "selected": "selected", "forced_in": "selected (forced in: {why})",
        "gray": "{sel}: decided by lot among the {n} applications of the gray zone (expected rank {er}, 90 % "
                "interval {lo}–{hi}, crosses the funding line at {line}); chance of selection {chance}",
        "below_gray": "below the gray zone: the 90 % interval of its expected rank ({lo}–{hi}) lies below the "
                      "funding line at {line}", "not_sel": "not selected",
        "partial": "{sel}, funded at {granted} of {requested} requested",
        "not_in_earlier_stage": "not selected in stage {stage}", "below_threshold": "below threshold: {failed}",
        "regional": "regional share {share} is above the cap of {cap}", "not_eligible": "not eligible: {why}",
        "forced_out": "forced out: {why}",
        "places": "outranked: all {n} places went to higher-ranked applications",
        "money_lead": "outranked within the budget: \"{desc}\" would be exceeded by {over}",
        "money": "the budget \"{desc}\" would be exceeded by {over}",
        "cap": "excluded by the cap on {label} (at most {rhs}; {used} already selected)",
        "floor": "without {b}, \"{desc}\" would fail",
        "forced": "{b} is forced in",
        "broken": "\"{desc}\" would be broken",
        "no_gain": "not selected: adding it keeps every rule but does not raise the total value (its value is {v})",
        "deviation": "ranking deviation: ", "instead": "instead of {ids}", "or": " or ", "more": " (and {n} more)",
        "keeps": "it keeps every rule but lowers the total value by {d}",
        "keeps2": "it keeps every stage-1 rule but lowers the best stage-2 value within it by {d}",
        "keeps2_none": "it keeps every stage-1 rule but leaves no stage-2 selection that keeps the stage-2 rules",
        "keeps1": "it keeps every stage-1 rule and the best stage-2 value, but lowers the stage-1 value by {d}",
        "kinds": "({n} more kinds of swap)", "kind1": "(1 more kind of swap)",
        "linked": " (linked mode: stage 1 is chosen first for the best stage-2 selection within it, then for "
                  "its own value)",
        "impossible": "; no selection that respects every rule can include it",
        "costs": "; forcing it in costs {c} in {goal}", "leave": " ({ids} would leave)",
        "value": "total value", "stage2_value": "stage-2 value", "score": "total score",
        "at_least": "at least", "at_most": "at most", "exactly": "exactly", "sel": "selected", "in": "in",
    },
    "da": {
        "selected": "udvalgt", "forced_in": "udvalgt ved beslutning ({why})",
        "gray": "{sel}: afgjort ved lodtrækning blandt gråzonens {n} ansøgninger (forventet placering {er}, "
                "90 %-interval {lo}–{hi}, krydser finansieringsgrænsen ved {line}); chance for udvælgelse {chance}",
        "below_gray": "under gråzonen: 90 %-intervallet for dens forventede placering ({lo}–{hi}) ligger under "
                      "finansieringsgrænsen ved {line}", "not_sel": "ikke udvalgt",
        "partial": "{sel}, bevilget {granted} af de ansøgte {requested}",
        "not_in_earlier_stage": "ikke udvalgt i fase {stage}", "below_threshold": "under tærsklen: {failed}",
        "regional": "regional andel {share} er over loftet på {cap}", "not_eligible": "ikke støtteberettiget: {why}",
        "forced_out": "udelukket ved beslutning: {why}",
        "places": "overgået: alle {n} pladser gik til højere rangerede ansøgninger",
        "money_lead": "overgået inden for budgettet: \"{desc}\" ville blive overskredet med {over}",
        "money": "budgettet \"{desc}\" ville blive overskredet med {over}",
        "cap": "udelukket af loftet for {label} (højst {rhs}; {used} allerede udvalgt)",
        "floor": "uden {b} ville \"{desc}\" ikke være opfyldt",
        "forced": "{b} er udvalgt ved beslutning",
        "broken": "\"{desc}\" ville blive brudt",
        "no_gain": "ikke udvalgt: at tilføje den overholder alle regler, men hæver ikke den samlede værdi "
                   "(dens værdi er {v})",
        "deviation": "rangafvigelse: ", "instead": "i stedet for {ids}", "or": " eller ", "more": " (og {n} flere)",
        "keeps": "byttet overholder alle regler, men sænker den samlede værdi med {d}",
        "keeps2": "byttet overholder alle regler i fase 1, men sænker den bedste værdi i fase 2 inden for den med {d}",
        "keeps2_none": "byttet overholder alle regler i fase 1, men efterlader ingen udvælgelse i fase 2, der "
                       "overholder reglerne i fase 2",
        "keeps1": "byttet overholder alle regler i fase 1 og bevarer den bedste værdi i fase 2, men sænker "
                  "værdien i fase 1 med {d}",
        "kinds": "({n} andre slags bytte)", "kind1": "(1 anden slags bytte)",
        "linked": " (koblet tilstand: fase 1 vælges først for den bedste udvælgelse i fase 2 inden for den, "
                  "derefter for sin egen værdi)",
        "impossible": "; ingen udvælgelse, der overholder alle regler, kan omfatte den",
        "costs": "; at tage den med koster {c} i {goal}", "leave": " ({ids} ville udgå)",
        "value": "samlet værdi", "stage2_value": "værdi i fase 2", "score": "samlet score",
        "at_least": "mindst", "at_most": "højst", "exactly": "præcis", "sel": "udvalgt", "in": "i",
    },
}


#: The kind of each decision in a few words (headings and groups in reports).
KINDS = {
    "selected": ("selected", "udvalgt"), "not_in_earlier_stage": ("not selected in the earlier stage",
                                                                   "ikke udvalgt i den tidligere fase"),
    "below_threshold": ("below threshold", "under tærsklen"),
    "regional_share_over_cap": ("regional share above the cap", "regional andel over loftet"),
    "not_eligible": ("not eligible", "ikke støtteberettiget"), "forced_out": ("forced out", "udelukket ved beslutning"),
    "excluded": ("may not be selected", "kan ikke udvælges"), "outranked": ("outranked", "overgået"),
    "no_gain": ("not selected: no gain in value", "ikke udvalgt: ingen gevinst i værdi"),
    "ranking_deviation": ("ranking deviation", "rangafvigelse"),
    "lottery": ("not drawn in the lottery", "ikke udtrukket ved lodtrækningen"),
}


def kind(code: str, lang: str = "en") -> str:
    """The kind of a decision (its reason code) in a few words: ``kind("outranked", "da")`` is
    ``"overgået"``."""
    en, da = KINDS[code]
    return da if lang == "da" else en


def _amount(x: float, rule: Mapping[str, Any], lang: str) -> str:
    unit = rule.get("unit", "applications")
    if unit == "applications":
        return fmt(x, "count", lang)
    return fmt(x, "money", lang, unit=unit)


def render_rule(rule: Mapping[str, Any], lang: str, *, remove: str | None = None, lead: bool = False) -> str:
    """What a change of the selection does to one rule (the rule facts of a record)."""
    w = _W[lang]
    desc = _t(rule.get("description"), lang)
    because = _t(rule.get("because"), lang)
    tail = f" ({because})" if because else ""
    kind, sense = rule.get("kind"), rule.get("sense")
    if kind == "count":
        return w["places"].format(n=fmt(rule["allowed"], "count", lang))
    if kind == "forced":
        return w["forced"].format(b=rule.get("member", remove)) + tail
    if sense == "<=" and rule.get("unit", "applications") != "applications":
        over = _amount(rule["new"] - rule["allowed"], rule, lang)
        return w["money_lead" if lead else "money"].format(desc=desc, over=over)
    if sense == "<=" and kind == "group":
        return w["cap"].format(label=_t(rule.get("label"), lang) or desc, rhs=fmt(rule["allowed"], "count", lang),
                               used=fmt(rule["used"], "count", lang))
    if sense == ">=" and remove is not None:
        return w["floor"].format(b=remove, desc=desc) + tail
    return w["broken"].format(desc=desc) + tail


def _ids(ids: Sequence[str], more: int, lang: str) -> str:
    w = _W[lang]
    return w["instead"].format(ids=w["or"].join(ids)) + (w["more"].format(n=more) if more > 0 else "")


def _lottery(f: Mapping[str, Any], lang: str) -> str:
    """A partial lottery's decision (:func:`selection.bayes.lottery.lottery_facts`) in words."""
    w = _W[lang]
    lo, hi, line = fmt(f["q05"], "count", lang), fmt(f["q95"], "count", lang), fmt(f["funding_line"], "rank", lang)
    if f["zone"] == "gray":
        return w["gray"].format(sel=w["selected" if f.get("drawn") else "not_sel"], n=fmt(f["n_gray"], "count", lang),
                                er=fmt(f["expected_rank"], "rank", lang), lo=lo, hi=hi, line=line,
                                chance=fmt(f["chance"], "share", lang))
    return w["below_gray"].format(lo=lo, hi=hi, line=line)


def render(decision: Decision, lang: str = "en") -> str:
    """One decision in words (``lang`` ``"en"`` or ``"da"``).

    >>> from selection.decisions import Decision
    >>> render(Decision("regional_share_over_cap", {"share": 0.4, "cap": 0.33}), "da")
    'regional andel 40,0 % er over loftet på 33,0 %'
    """
    if lang not in LANGS:
        raise ValueError(f"unknown language {lang!r}; use one of {', '.join(LANGS)}")
    w, f, code = _W[lang], decision.facts, decision.code
    if code == "selected":
        if f.get("lottery"):  # drawn in a partial lottery (selection.bayes): its facts
            lot = f["lottery"]
            return _lottery(lot, lang) if "zone" in lot else _t(lot, lang)  # older runs: words
        sel = w["forced_in"].format(why=_t(f["forced"], lang)) if f.get("forced") else w["selected"]
        if f.get("granted") is not None and f["granted"] < f.get("requested", 0):  # partial funding
            unit = str(f.get("currency", ""))
            return w["partial"].format(sel=sel, granted=fmt(f["granted"], "money", lang, unit=unit),
                                       requested=fmt(f["requested"], "money", lang, unit=unit))
        return sel
    if code == "not_in_earlier_stage":
        return w["not_in_earlier_stage"].format(stage=f["stage"])
    if code == "below_threshold":
        return w["below_threshold"].format(failed=_t(f["failed"], lang))
    if code == "regional_share_over_cap":
        return w["regional"].format(share=fmt(f["share"], "share", lang), cap=fmt(f["cap"], "share", lang))
    if code == "not_eligible":
        return w["not_eligible"].format(why=_t(f["why"], lang))
    if code == "forced_out":
        return w["forced_out"].format(why=_t(f["because"], lang))
    if code == "excluded":
        return _t(f["text"], lang)
    if code == "lottery":
        return _lottery(f, lang)
    if code == "no_gain":
        return w["no_gain"].format(v=fmt(f["value"], "value", lang))
    if code == "outranked":
        broken = list(f["broken"])
        count = [r for r in broken if r.get("kind") == "count"]
        money = [r for r in broken if r.get("sense") == "<=" and r.get("unit", "applications") != "applications"]
        rest = [r for r in broken if r not in count and r not in money]
        parts = [render_rule(r, lang) for r in count]
        parts += [render_rule(r, lang, lead=not count and k == 0) for k, r in enumerate(money)]
        parts += [render_rule(r, lang) for r in rest]
        return "; ".join(parts)
    if code == "ranking_deviation":
        parts = []
        for s in f["swaps"]:
            head = _ids(s["instead_of"], s.get("more", 0), lang)
            if s.get("broken"):
                body = "; ".join(render_rule(r, lang, remove=s["instead_of"][0]) for r in s["broken"])
            elif s.get("stage2_drop") is not None and float(s["stage2_drop"]) == float("inf"):
                body = w["keeps2_none"]
            elif s.get("stage2_drop") is not None and float(s["stage2_drop"]) > 0:
                body = w["keeps2"].format(d=fmt(s["stage2_drop"], "value", lang))
            elif s.get("stage2_drop") is not None:
                body = w["keeps1"].format(d=fmt(s["value_drop"], "value", lang))
            else:
                body = w["keeps"].format(d=fmt(s["value_drop"], "value", lang))
            parts.append(f"{head}: {body}")
        if f.get("more_kinds"):
            parts.append(w["kind1"] if f["more_kinds"] == 1 else w["kinds"].format(n=f["more_kinds"]))
        out = w["deviation"] + "; ".join(parts) + (w["linked"] if f.get("linked") else "")
        if f.get("impossible"):
            out += w["impossible"]
        elif f.get("cost") is not None:
            leave = list(f.get("would_leave", []))
            out += w["costs"].format(c=fmt(f["cost"], "value", lang), goal=w[f.get("cost_goal", "value")])
            out += w["leave"].format(ids=", ".join(leave)) if leave else ""
        return out
    raise ValueError(f"no words for reason code {code!r}; known: {', '.join(CODES)}")  # pragma: no cover


def add_reasons(table: pd.DataFrame, columns: Sequence[str] | None = None) -> pd.DataFrame:
    """A stage table with ``reason`` and ``reason_da`` rendered from its ``reason_code`` and
    ``facts`` columns (a new frame; the record columns are kept), its columns in the order
    ``columns`` (default: ``reason`` after ``selected``, ``reason_da`` after ``eligible``)."""
    out = table.copy()
    # each distinct record rendered once (the words depend on the code and the facts only): at
    # 20,000 applications 20,000 rows hold about 2,400 distinct records
    said: dict[tuple[str, str], tuple[str, str]] = {}
    reasons, reasons_da = [], []
    for record in zip(out["reason_code"].tolist(), out["facts"].tolist(), strict=True):
        words = said.get(record)
        if words is None:
            d = Decision.from_json(*record)
            words = said[record] = (render(d, "en"), render(d, "da"))
        reasons.append(words[0])
        reasons_da.append(words[1])
    out["reason"] = reasons
    out["reason_da"] = reasons_da
    if columns is None:
        cols = [c for c in table.columns if c not in ("reason", "reason_da")]
        for name, after in (("reason", "selected"), ("reason_da", "eligible")):
            cols.insert(cols.index(after) + 1 if after in cols else len(cols), name)
        columns = cols
    return out[list(columns)]


def decision_of(row: Mapping[str, Any]) -> Decision:
    """The record of one run-file row (``reason_code``, ``facts``)."""
    facts = row.get("facts", "")
    return Decision.from_json(str(row["reason_code"]), facts if isinstance(facts, str) else json.dumps(facts))

