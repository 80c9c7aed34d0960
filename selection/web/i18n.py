"""The page's own words in English and Danish (decisions and rules come from the engine's texts).

Numbers are written by the glossary (:func:`selection.words.fmt`), one style per language.
"""

from __future__ import annotations

import math
import re
from typing import Any

__all__ = ["LANGS", "TEXT", "COLUMNS", "COLUMN_KINDS", "VALUES", "t", "column", "value", "number", "money"]

LANGS = ("en", "da")

TEXT: dict[str, tuple[str, str]] = {
    # navigation
    "app": ("Selection workbench", "Udvælgelsens arbejdsbord"),
    "skip": ("Skip to content", "Gå til indhold"),
    "nav": ("Sections", "Afsnit"),
    "overview": ("Overview", "Overblik"),
    "import": ("Import", "Indlæs"),
    "panel": ("Panel", "Panel"),
    "selection": ("Ranking and selection", "Rangering og udvælgelse"),
    "whatif": ("What-if", "Hvad nu hvis"),
    "sensitivity": ("Sensitivity", "Følsomhed"),
    "runs": ("Report and history", "Rapport og historik"),
    "language": ("Language", "Sprog"),
    "other_lang": ("Dansk", "English"),
    # overview
    "call": ("The call", "Opslaget"),
    "stages": ("Stages, budgets and rules", "Faser, budgetter og regler"),
    "stage": ("Stage", "Fase"),
    "choose_at_most": ("choose at most", "vælg højst"),
    "from_stage": ("among those selected in stage", "blandt dem, der er udvalgt i fase"),
    "budget": ("Budget", "Budget"),
    "total_cap": ("total budgets per year", "samlede budgetter pr. år"),
    "rules": ("Rules", "Regler"),
    "no_rules": ("no further rules", "ingen yderligere regler"),
    "inputs": ("Inputs", "Inddata"),
    "inputs_ok": ("Every input is valid.", "Alle inddata er gyldige."),
    "inputs_bad": ("Problems in the inputs (as selection validate reports them)",
                   "Problemer i inddata (som selection validate melder dem)"),
    "infeasible": ("No selection keeps every rule", "Ingen udvælgelse overholder alle regler"),
    "feasible": ("The baseline and every scenario have a selection that keeps every rule.",
                 "Grundscenariet og alle scenarier har en udvælgelse, der overholder alle regler."),
    "pending": ("Waiting", "Afventer"),
    "progress": ("The expert group's progress", "Ekspertgruppens fremdrift"),
    "expert": ("Expert", "Bedømmer"),
    "assigned": ("assigned", "tildelt"),
    "returned": ("scored", "bedømt"),
    "missing": ("missing", "mangler"),
    "sheets_sent": ("sheets sent", "ark sendt"),
    "yes": ("yes", "ja"),
    "no": ("no", "nej"),
    "applications": ("applications", "ansøgninger"),
    "experts": ("experts", "bedømmere"),
    "scenarios": ("scenarios", "scenarier"),
    # import
    "import_intro": ("Drop returned workbooks (.xlsx) or CSV files. They are checked first; nothing is "
                     "stored until you confirm, and then all or nothing.",
                     "Vælg returnerede regneark (.xlsx) eller CSV-filer. De kontrolleres først; intet "
                     "gemmes, før du bekræfter, og så alt eller intet."),
    "files": ("Score files", "Bedømmelsesfiler"),
    "check": ("Check the files", "Kontrollér filerne"),
    "confirm_import": ("Import into the store", "Indlæs i lageret"),
    "import_valid": ("The files are valid", "Filerne er gyldige"),
    "import_invalid": ("The files cannot be imported", "Filerne kan ikke indlæses"),
    "imported": ("Imported", "Indlæst"),
    "nothing_changed": ("Nothing to change: the store already holds these scores.",
                        "Intet at ændre: lageret har allerede disse bedømmelser."),
    # panel
    "agreement": ("Agreement", "Enighed"),
    "leniency": ("Expert leniency", "Bedømmernes niveau"),
    "leniency_note": ("Additive expert-effect model, points on the scale; + scores higher than the panel. "
                      "Labelled only outside ±{band} points and when the 95 % interval excludes 0.",
                      "Additiv bedømmereffekt-model, point på skalaen; + bedømmer højere end panelet. "
                      "Kun markeret uden for ±{band} point, og når 95 %-intervallet udelukker 0."),
    "lenient": ("lenient", "mild"),
    "interval95": ("95 % interval", "95 %-interval"),
    "too_little": ("too little data", "for få data"),
    "based_on": ("Based on", "Grundlag"),
    "n_basis": ("{apps} applications, {experts} experts", "{apps} ansøgninger, {experts} eksperter"),
    "too_little_note": ("A value resting on fewer than {apps} applications or {experts} experts is not read "
                        "(too little data).",
                        "En værdi, der bygger på færre end {apps} ansøgninger eller {experts} eksperter, aflæses "
                        "ikke (for få data)."),
    "severe": ("severe", "streng"),
    "divergence": ("To discuss in the consensus meeting", "Til drøftelse på konsensusmødet"),
    "criterion": ("Criterion", "Kriterium"),
    "application": ("Application", "Ansøgning"),
    "scores": ("Scores", "Bedømmelser"),
    "range": ("Range", "Spænd"),
    "comments": ("Comments", "Kommentarer"),
    "print": ("Print", "Udskriv"),
    # selection
    "rank": ("Rank", "Plads"),
    "title": ("Title", "Titel"),
    "value": ("Value", "Værdi"),
    "selected": ("Selected", "Udvalgt"),
    "decision": ("Decision", "Afgørelse"),
    "cost_to_include": ("Cost to include", "Pris for at tage med"),
    "budget_used": ("Budget used", "Brugt af budgettet"),
    "would_leave": ("would leave", "ville gå ud"),
    "binding": ("Binding rules", "Bindende regler"),
    "none": ("none", "ingen"),
    "deviations": ("Ranking deviations", "Afvigelser fra rangordenen"),
    "dossier": ("Dossier", "Sagsmappe"),
    "eligible": ("Eligible", "Kvalificeret"),
    "total_value": ("total value", "samlet værdi"),
    "not_run": ("Not computed: the inputs have problems (see the overview).",
                "Ikke beregnet: inddata har problemer (se overblikket)."),
    # what-if
    "whatif_intro": ("Every change is solved exactly, both stages, and compared with the baseline.",
                     "Hver ændring løses eksakt i begge faser og sammenlignes med grundscenariet."),
    "weights": ("Criterion weights", "Kriteriernes vægte"),
    "principles": ("Principles", "Principper"),
    "limits": ("Limits and budgets", "Grænser og budgetter"),
    "max_selected": ("at most selected", "højst udvalgt"),
    "forced": ("Force in or out", "Tag med eller udelad"),
    "force_in": ("Force in", "Tag med"),
    "force_out": ("Force out", "Udelad"),
    "reason": ("Reason", "Begrundelse"),
    "entered": ("Enters", "Kommer ind"),
    "left": ("Leaves", "Går ud"),
    "unchanged": ("The selection is the same as the baseline.", "Udvælgelsen er den samme som grundscenariet."),
    "baseline": ("baseline", "grundscenarie"),
    "reset": ("Reset to the baseline", "Nulstil til grundscenariet"),
    "save_scenario": ("Save as a scenario", "Gem som scenarie"),
    "scenario_name": ("Scenario name (letters, digits, - and _)", "Scenariets navn (bogstaver, cifre, - og _)"),
    "description": ("Description", "Beskrivelse"),
    "description_da": ("Description in Danish", "Beskrivelse på dansk"),
    "saved": ("Saved", "Gemt"),
    "run_scenario": ("Run it into a run folder", "Kør det til en kørselsmappe"),
    "rule_on": ("on", "til"),
    "count": ("count", "antal"),
    # jobs, sensitivity, runs
    "samples": ("Weight samples", "Vægtprøver"),
    "start": ("Start", "Start"),
    "cancel": ("Cancel", "Annullér"),
    "job": ("Job", "Job"),
    "running": ("running", "kører"),
    "finished": ("finished", "færdig"),
    "failed": ("failed", "fejlede"),
    "cancelled": ("cancelled", "annulleret"),
    "busy": ("Another job is running for this call; wait for it or cancel it.",
             "Et andet job kører for dette opslag; vent på det eller annullér det."),
    "core_labels": ("Core, borderline and exterior", "Kerne, grænsetilfælde og yderkreds"),
    "latest_sensitivity": ("Latest sensitivity run", "Seneste følsomhedskørsel"),
    "no_sensitivity": ("No sensitivity run yet.", "Ingen følsomhedskørsel endnu."),
    "fig_selection-probability": ("Probability of selection per application, by stage, with its core / borderline / "
                                  "exterior label", "Sandsynlighed for udvælgelse pr. ansøgning og fase, med "
                                  "mærkningen kerne / grænsetilfælde / yderkreds"),
    "fig_rank-acceptability": ("Rank acceptability: share of weight samples giving each application each rank",
                               "Rangaccept: andel af vægtprøverne, der giver hver ansøgning hver plads"),
    "fig_weight-stability": ("Weight stability: how far each weight can move before the selection changes",
                             "Vægtstabilitet: hvor langt hver vægt kan flytte sig, før udvælgelsen ændres"),
    "history": ("Run folders", "Kørselsmapper"),
    "kind": ("Kind", "Art"),
    "created": ("Created", "Oprettet"),
    "build_report": ("Build the report", "Lav rapporten"),
    "report_lang": ("Report language", "Rapportens sprog"),
    "download": ("Download", "Hent"),
    "compare": ("Compare two runs", "Sammenlign to kørsler"),
    "compare_btn": ("Compare", "Sammenlign"),
    "first_run": ("First run", "Første kørsel"),
    "second_run": ("Second run", "Anden kørsel"),
    "only_in": ("only in", "kun i"),
    "in_both": ("in both", "i begge"),
    "no_runs": ("No run folders yet.", "Ingen kørselsmapper endnu."),
    "run_baseline": ("Run the baseline into a run folder", "Kør grundscenariet til en kørselsmappe"),
    "back": ("Back", "Tilbage"),
    "error": ("Something is wrong", "Noget er galt"),
}


#: Table headers for run-file columns the pages show as tables (a column id is never a header).
COLUMNS: dict[str, tuple[str, str]] = {
    "stage": ("Stage", "Fase"),
    "application_id": ("Application", "Ansøgning"),
    "core_index": ("Core index", "Kerneindeks"),
    "core_label": ("Robust portfolio", "Robust portefølje"),
    "n_nondominated": ("Non-dominated portfolios", "Ikke-dominerede porteføljer"),
    "weight_information": ("Weight information", "Vægtinformation"),
    "probability_selected": ("Probability of selection", "Sandsynlighed for udvælgelse"),
}

#: How a numeric column is written (the glossary's kinds, :data:`selection.words.DECIMALS`); others: "value".
COLUMN_KINDS: dict[str, str] = {"stage": "count", "n_nondominated": "count", "probability_selected": "share",
                                "core_index": "score"}  # two decimals, as the report

#: Coded values shown in those tables (robust portfolio modelling's labels).
VALUES: dict[str, tuple[str, str]] = {
    "core": ("core", "kerne"),
    "borderline": ("borderline", "grænsetilfælde"),
    "exterior": ("exterior", "yderkreds"),
    # weight_information: the weight space robust portfolio modelling used (sensitivity --rpm-weights)
    "simplex": ("all weights summing to 1", "alle vægte, der summer til 1"),
    "ordinal": ("the order of the call's weights", "opslagets rækkefølge af vægtene"),
}


def column(name: str, lang: str) -> str:
    """The header of a run file's column ``name`` in ``lang``; a column without its own words
    gets the report's Danish header, else its id in plain words (``n_selected`` -> "N selected").

    >>> column("core_label", "da"), column("n_nondominated", "en"), column("new_thing", "en")
    ('Robust portefølje', 'Non-dominated portfolios', 'New thing')
    """
    if name in COLUMNS:
        en, da = COLUMNS[name]
        return da if lang == "da" else en
    if lang == "da":
        from selection.report.words import COLUMNS_DA

        if name in COLUMNS_DA:
            return COLUMNS_DA[name]
    words = name.replace("_", " ").strip()
    return words[:1].upper() + words[1:]


def value(v: Any, lang: str) -> Any:
    """A coded value (``core``, ``borderline``, ``exterior``; a weight space such as ``interval ±20%``)
    in ``lang``; anything else unchanged.

    >>> value("borderline", "da"), value("interval ±20%", "da"), value("KP-05", "da")
    ('grænsetilfælde', 'inden for ±20 % af opslagets vægte', 'KP-05')
    """
    if isinstance(v, str) and v in VALUES:
        en, da = VALUES[v]
        return da if lang == "da" else en
    if isinstance(v, str) and (m := re.fullmatch(r"interval ±(\d+)%", v)):  # within ±20% of the call's weights
        return f"inden for ±{m[1]} % af opslagets vægte" if lang == "da" else f"within ±{m[1]}% of the call's weights"
    return v


def t(key: str, lang: str) -> str:
    en, da = TEXT[key]
    return da if lang == "da" else en


def number(x: Any, lang: str, kind: str = "score") -> str:
    """``x`` as a ``kind`` of quantity in the number style of ``lang`` (the glossary's
    :func:`selection.words.fmt`: one style everywhere); ``"raw"`` is a raw criterion weight (one
    decimal). Blank for a missing value."""
    from selection.words import fmt

    if x is None or isinstance(x, str) and not x.strip():
        return ""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return ""
    if kind == "raw":
        s = f"{v:,.1f}"
        return s.translate(str.maketrans(",.", ".,")) if lang == "da" else s
    return fmt(v, kind, lang)


def money(x: Any, lang: str, currency: Any = None) -> str:
    """Whole currency units as the call writes them (``2,000,000 DKK`` / ``2.000.000 kr.``; its
    :class:`~selection.vocabulary.Currency`), never wrapped (no-break spaces)."""
    if x is None:
        return ""
    try:
        v = float(x)
    except (TypeError, ValueError):
        return str(x)
    if math.isnan(v):
        return ""
    if currency is None:
        from selection.vocabulary import Currency

        currency = Currency()
    return str(currency.format(v, lang)).replace(" ", "\u00a0")
