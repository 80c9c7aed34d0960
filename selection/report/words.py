"""Every fixed phrase of the report, in English and Danish."""

from __future__ import annotations

__all__ = ["WORDS", "say"]

WORDS: dict[str, tuple[str, str]] = {
    "report": ("Selection report", "Udvælgelsesrapport"),
    "contents": ("Contents", "Indhold"),
    "run": ("Run folder", "Kørselsmappe"),
    "created": ("Computed (UTC)", "Beregnet (UTC)"),
    "scenario_label": ("Scenario", "Scenarie"),
    "seed": ("Seed", "Startværdi (seed)"),
    "solver": ("Solver", "Løser"),
    "versions": ("Versions", "Versioner"),
    "s_call": ("The call", "Opslaget"),
    "s_panel": ("The expert panel and its agreement", "Ekspertpanelet og dets enighed"),
    "s_ranking": ("The ranking", "Rangordningen"),
    "s_selection": ("The selection", "Udvælgelsen"),
    "s_scenarios": ("Scenarios", "Scenarier"),
    "s_sensitivity": ("Sensitivity", "Følsomhed"),
    "s_dossiers": ("Decision dossiers", "Beslutningsgrundlag pr. ansøgning"),
    "stage": ("Stage", "Fase"),
    "stages": ("Stages", "Faser"),
    "max_selected": ("At most selected", "Højst udvalgt"),
    "from_stage": ("Chosen among stage", "Vælges blandt fase"),
    "budget": ("Budget (DKK)", "Budget (kr.)"),
    "budget_basis": ("Budget counts", "Budgettet tæller"),
    "grant": ("requested grants", "ansøgte tilskud"),
    "regional_cofinancing_per_year": ("regional co-financing per year", "regional medfinansiering pr. år"),
    "total_cap": ("Total partnership budgets per year at most (DKK)", "Partnerskabernes samlede budget pr. år højst (kr.)"),
    "regional_share": ("Regional share at most", "Regional andel højst"),
    "criteria": ("Criteria, weights and thresholds", "Kriterier, vægte og tærskler"),
    "criterion": ("Criterion", "Kriterium"),
    "name_da": ("Name (Danish)", "Navn (dansk)"),
    "name_en": ("Name (English)", "Navn (engelsk)"),
    "weight": ("Weight", "Vægt"),
    "threshold": ("Threshold", "Tærskel"),
    "overall_threshold": ("Overall threshold", "Samlet tærskel"),
    "aggregation": ("Panel score", "Panelscore"),
    "call_intro": ("The expert panel scored every application on the criteria below (0-5). The panel score of "
                   "a criterion is {aggregation} of the experts' scores; the weighted total ranks the "
                   "applications; an application below a threshold cannot be selected. The selection itself "
                   "is the best set of applications that respects every rule of the stage.",
                   "Ekspertpanelet har scoret hver ansøgning på kriterierne nedenfor (0-5). Et kriteriums "
                   "panelscore er {aggregation} af eksperternes scorer; den vægtede sum rangordner "
                   "ansøgningerne; en ansøgning under en tærskel kan ikke udvælges. Selve udvælgelsen er det "
                   "bedste sæt af ansøgninger, der overholder alle fasens regler."),
    "panel_intro": ("How far do the experts agree, and is any expert systematically lenient or severe? "
                    "Agreement near 1 means the experts rank the applications alike; near 0, not at all.",
                    "Hvor enige er eksperterne, og er nogen ekspert systematisk mild eller streng? Enighed nær 1 "
                    "betyder, at eksperterne rangordner ansøgningerne ens; nær 0 slet ikke."),
    "no_panel": ("No panel diagnostics found in this run folder (agreement.csv, expert-leniency.csv, "
                 "divergence.csv): they appear when the run computes them.",
                 "Ingen panel-diagnostik i kørselsmappen (agreement.csv, expert-leniency.csv, divergence.csv): "
                 "de kommer med, når kørslen beregner dem."),
    "divergence": ("Scores to discuss (the experts disagree)", "Scorer til drøftelse (eksperterne er uenige)"),
    "panel_scores": ("Panel scores", "Panelscorer"),
    "ranking_intro": ("Applications in order of their weighted panel score. Grey bars are below a threshold and "
                      "cannot be selected.",
                      "Ansøgningerne i rækkefølge efter vægtet panelscore. Grå søjler er under en tærskel og kan "
                      "ikke udvælges."),
    "no_intervals": ("No rank intervals found (rank-intervals.csv): the uncertainty of the ranks is not shown.",
                     "Ingen rangintervaller (rank-intervals.csv): usikkerheden på placeringerne vises ikke."),
    "intervals_intro": ("How sure is each rank? Resampling the experts who scored each application gives a range "
                        "of ranks: the thick bar holds half of the resamples, the thin bar nine in ten.",
                        "Hvor sikker er hver placering? Gentagen udtrækning af de eksperter, der scorede hver "
                        "ansøgning, giver et spænd af placeringer: den tykke streg rummer halvdelen, den tynde ni "
                        "ud af ti."),
    "selected_n": ("Selected: {n} of at most {k}.", "Udvalgt: {n} af højst {k}."),
    "binding_rules": ("Binding rules (they decided the selection)", "Bindende regler (de afgjorde udvælgelsen)"),
    "no_binding": ("No rule was binding.", "Ingen regel var bindende."),
    "no_rules": ("This run folder does not record the stage's rules (an older run); budget use is not shown.",
                 "Kørselsmappen gemmer ikke fasens regler (en ældre kørsel); budgetforbruget vises ikke."),
    "deviations": ("Ranking deviations (ranked above a selected application but not selected)",
                   "Afvigelser fra rangordningen (placeret over en udvalgt, men ikke udvalgt)"),
    "no_deviations": ("No ranking deviations: the selection follows the ranking.",
                      "Ingen afvigelser: udvælgelsen følger rangordningen."),
    "no_scenarios": ("No scenarios run found for this call (run `selection scenarios`).",
                     "Ingen scenariekørsel fundet for dette opslag (kør `selection scenarios`)."),
    "scenarios_intro": ("What if the weights, thresholds, budgets or rules were different? Each column is a "
                        "scenario; dark cells are selected in both stages.",
                        "Hvad nu hvis vægte, tærskler, budgetter eller regler var anderledes? Hver kolonne er et "
                        "scenarie; mørke felter er udvalgt i begge faser."),
    "no_sensitivity": ("No sensitivity run found for this call (run `selection sensitivity`).",
                       "Ingen følsomhedskørsel fundet for dette opslag (kør `selection sensitivity`)."),
    "sensitivity_intro": ("Does the recommendation hinge on one arbitrary weight? Weights were varied at random and "
                          "the whole selection was recomputed for every draw.",
                          "Afhænger indstillingen af én vilkårlig vægt? Vægtene er varieret tilfældigt, og hele "
                          "udvælgelsen er genberegnet for hver trækning."),
    "not_drawable": ("{file} {why}; shown as a table only.", "{file} {why}; vises kun som tabel."),
    "dossier_intro": ("For each application: its scores, thresholds, rank, whether it was selected and why, the "
                      "binding rules that concern it, and how robust the decision is.",
                      "For hver ansøgning: scorer, tærskler, placering, om den blev udvalgt og hvorfor, de "
                      "bindende regler, der vedrører den, og hvor robust beslutningen er."),
    "rank": ("Rank", "Placering"),
    "score": ("Weighted score", "Vægtet score"),
    "scores": ("Panel scores", "Panelscorer"),
    "thresholds": ("Thresholds", "Tærskler"),
    "all_passed": ("all passed", "alle bestået"),
    "failed": ("failed", "ikke bestået"),
    "rank_interval": ("Rank interval (90 %)", "Ranginterval (90 %)"),
    "selected": ("Selected", "Udvalgt"),
    "yes": ("yes", "ja"),
    "no": ("no", "nej"),
    "reason": ("Why", "Begrundelse"),
    "cost_to_include": ("Cost of forcing it in", "Pris for at tage den med"),
    "would_leave": ("Would leave", "Ville udgå"),
    "binding_for_it": ("Binding rules that count it", "Bindende regler, der omfatter den"),
    "robustness": ("Robustness", "Robusthed"),
    "p_selected": ("probability selected", "sandsynlighed for udvælgelse"),
    "in_scenarios": ("selected in scenarios", "udvalgt i scenarier"),
    "not_assessed": ("not assessed (no sensitivity run)", "ikke vurderet (ingen følsomhedskørsel)"),
    "not_in_stage": ("not a candidate in this stage", "ikke kandidat i denne fase"),
    "core": ("core (selected under every admissible weighting)", "kerne (udvalgt under alle tilladte vægtninger)"),
    "borderline": ("borderline (selected under some weightings)", "grænsetilfælde (udvalgt under nogle vægtninger)"),
    "exterior": ("exterior (selected under no admissible weighting)", "uden for (udvalgt under ingen tilladt vægtning)"),
    "notes": ("Notes", "Bemærkninger"),
    "data_language": ("Reasons and rule descriptions are quoted from the run files (in English).",
                      "Begrundelser og regelbeskrivelser er citeret fra kørselsfilerne (på engelsk)."),
    "application": ("Application", "Ansøgning"),
    "title": ("Title", "Titel"),
    "name": ("Name", "Navn"),
    "mean": ("the mean", "gennemsnittet"),
    "median": ("the median", "medianen"),
    "trimmed_mean": ("the trimmed mean", "det trimmede gennemsnit"),
}


def say(key: str, lang: str = "en", **fmt) -> str:
    """The phrase ``key`` in ``lang`` ("en" or "da"), formatted with ``fmt``."""
    en, da = WORDS[key]
    out = da if lang == "da" else en
    return out.format(**fmt) if fmt else out
