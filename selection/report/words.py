"""Every fixed phrase of the report, in English and Danish."""

from __future__ import annotations

__all__ = ["WORDS", "say", "mismatch_text"]

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
    "budget": ("Budget ({currency})", "Budget ({currency})"),
    "budget_basis": ("Budget counts", "Budgettet tæller"),
    "grant": ("requested grants", "ansøgte tilskud"),
    "regional_cofinancing_per_year": ("regional co-financing per year", "regional medfinansiering pr. år"),
    "total_cap": ("Total partnership budgets per year at most ({currency})", "Partnerskabernes samlede budget pr. år højst ({currency})"),
    "regional_share": ("Regional share at most", "Regional andel højst"),
    "criteria": ("Criteria, weights and thresholds", "Kriterier, vægte og tærskler"),
    "criterion": ("Criterion", "Kriterium"),
    "name_da": ("Name (Danish)", "Navn (dansk)"),
    "name_en": ("Name (English)", "Navn (engelsk)"),
    "weight": ("Weight", "Vægt"),
    "threshold": ("Threshold", "Tærskel"),
    "overall_threshold": ("Overall threshold", "Samlet tærskel"),
    "aggregation": ("Panel score", "Panelscore"),
    "call_intro": ("The expert panel scored every application on the criteria below ({scale}). The panel score of "
                   "a criterion is {aggregation} of the experts' scores; the weighted total ranks the "
                   "applications; an application below a threshold cannot be selected. The selection itself "
                   "is the best set of applications that respects every rule of the stage.",
                   "Ekspertpanelet har scoret hver ansøgning på kriterierne nedenfor ({scale}). Et kriteriums "
                   "panelscore er {aggregation} af eksperternes scorer; den vægtede total rangordner "
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
    "weighted_total": ("Weighted total", "Vægtet sum"),
    "for_some_criteria": ("for some criteria", "for nogle kriterier"),
    "not_computable": ("Not computable: {measures}", "Kunne ikke beregnes: {measures}"),
    "agreement_title": ("Agreement", "Enighed"),
    "ci_note": (" (value, with the 95 % interval in brackets where computed)",
                " (værdi, med 95 %-interval i parentes, hvor det er beregnet)"),
    "measures_legend": ("ICC(·,1) is the reliability of one expert's score, ICC(·,k) that of the panel's mean "
                        "score; Kendall's W measures agreement on the order of the applications; Krippendorff's α "
                        "measures agreement beyond chance and allows each expert to score only some applications.",
                        "ICC(·,1) er pålideligheden af én eksperts score, ICC(·,k) af panelets gennemsnitsscore; "
                        "Kendalls W måler enighed om ansøgningernes rækkefølge; Krippendorffs α måler enighed ud "
                        "over det tilfældige og tillader, at hver ekspert kun scorer nogle ansøgninger."),
    "ci95": (" (95 % interval {lo}–{hi})", " (95 %-interval {lo}–{hi})"),
    "basis": (", over {apps} applications and {experts} experts", ", over {apps} ansøgninger og {experts} eksperter"),
    "based_on": ("Based on", "Grundlag"),
    "n_basis": ("{apps} applications, {experts} experts", "{apps} ansøgninger, {experts} eksperter"),
    "too_little": ("too little data", "for få data"),
    "too_little_note": ("Too little data: a statistic resting on fewer than {apps} applications or {experts} "
                        "experts is not read here (its value is in the workbook).",
                        "For få data: et mål, der bygger på færre end {apps} ansøgninger eller {experts} eksperter, "
                        "aflæses ikke her (værdien står i regnearket)."),
    "headline_too_little": ("{measure} for the weighted total rests on {apps} applications and {experts} experts: "
                            "too little data to read it (at least {min_apps} applications scored by at least "
                            "{min_experts} experts are needed).",
                            "{measure} for den vægtede total bygger på {apps} ansøgninger og {experts} eksperter: "
                            "for få data til at aflæse den (mindst {min_apps} ansøgninger bedømt af mindst "
                            "{min_experts} eksperter kræves)."),
    "headline": ("{measure} for the weighted total is {value}{ci}{basis}: {reading} ({bands}).",
                 "{measure} for den vægtede total er {value}{ci}{basis}: {reading} ({bands})."),
    "alpha_reliable": ("reliable agreement", "pålidelig enighed"),
    "alpha_tentative": ("moderate agreement, good enough for tentative conclusions only",
                        "moderat enighed, nok til foreløbige konklusioner"),
    "alpha_unreliable": ("agreement too low to be relied on", "for lav enighed til at kunne lægges til grund"),
    "bands_alpha": ("Krippendorff 2004: 0.80 or more reliable, 0.667–0.80 tentative, below 0.667 unreliable",
                    "Krippendorff 2004: 0.80 eller mere pålidelig, 0.667–0.80 foreløbig, under 0.667 upålidelig"),
    "icc_poor": ("poor reliability", "ringe pålidelighed"),
    "icc_moderate": ("moderate reliability", "moderat pålidelighed"),
    "icc_good": ("good reliability", "god pålidelighed"),
    "icc_excellent": ("excellent reliability", "fremragende pålidelighed"),
    "bands_icc": ("Koo & Li 2016: below 0.5 poor, 0.5–0.75 moderate, 0.75–0.9 good, above 0.9 excellent",
                  "Koo & Li 2016: under 0.5 ringe, 0.5–0.75 moderat, 0.75–0.9 god, over 0.9 fremragende"),
    "w_very_weak": ("very weak agreement", "meget svag enighed"),
    "w_weak": ("weak agreement", "svag enighed"),
    "w_moderate": ("moderate agreement", "moderat enighed"),
    "w_strong": ("strong agreement", "stærk enighed"),
    "w_very_strong": ("very strong agreement", "meget stærk enighed"),
    "bands_w": ("Schmidt 1997: below 0.1 very weak, 0.1–0.3 weak, 0.3–0.6 moderate, 0.6–0.9 strong, "
                "0.9 or more very strong",
                "Schmidt 1997: under 0.1 meget svag, 0.1–0.3 svag, 0.3–0.6 moderat, 0.6–0.9 stærk, "
                "0.9 eller mere meget stærk"),
    "expert": ("Expert", "Ekspert"),
    "n_scores": ("Number of scores", "Antal scorer"),
    "leniency": ("Leniency (score points)", "Mildhed (scorepoint)"),
    "reading": ("Reading", "Tolkning"),
    "lenient": ("lenient (scores above the panel)", "mild (scorer over panelet)"),
    "severe": ("severe (scores below the panel)", "streng (scorer under panelet)"),
    "in_line": ("in line with the panel", "på linje med panelet"),
    "leniency_title": ("Expert leniency", "Eksperternes mildhed"),
    "leniency_intro": ("Leniency is how many score points an expert gives above (+) or below (−) the other experts "
                       "on the same applications, over all criteria; within ±{band}, or when its 95 % interval "
                       "includes 0, it reads as in line with the panel.",
                       "Mildhed er, hvor mange scorepoint en ekspert giver over (+) eller under (−) de andre "
                       "eksperter på de samme ansøgninger, over alle kriterier; inden for ±{band}, eller når dens "
                       "95 %-interval indeholder 0, læses den som på linje med panelet."),
    "range": ("Range", "Spænd"),
    "expert_scores": ("Experts' scores", "Eksperternes scorer"),
    "comments": ("Comments", "Kommentarer"),
    "divergence_more": ("The {shown} widest of {total} are shown; the other {left} are in the workbook "
                        "(report.xlsx, sheet '{sheet}').",
                        "De {shown} største af {total} vises; de øvrige {left} står i regnearket "
                        "(report.xlsx, arket '{sheet}')."),
    "in_workbook": ("Full tables in the workbook report.xlsx: {sheets}.",
                    "De fulde tabeller står i regnearket report.xlsx: {sheets}."),
    "sheet": ("sheet", "ark"),
    "selected_caption": ("Selected in stage {n}", "Udvalgt i fase {n}"),
    "not_selected_caption": ("Not selected in stage {n}, by kind of reason (each application's full reason is in "
                             "its decision dossier)",
                             "Ikke udvalgt i fase {n}, efter slags begrundelse (hver ansøgnings fulde begrundelse "
                             "står i dens beslutningsgrundlag)"),
    "selection_in_workbook": ("The whole stage, every application with its reason, is in the workbook (sheet "
                              "'{sheet}').",
                              "Hele fasen, hver ansøgning med begrundelse, står i regnearket (arket '{sheet}')."),
    "count": ("Number", "Antal"),
    "applications": ("Applications", "Ansøgninger"),
    "prob_caption": ("Applications selected under at least one weighting drawn ({never} others never were)",
                     "Ansøgninger udvalgt under mindst én trukket vægtning ({never} andre blev det aldrig)"),
    "prob_caption_run": ("The run's selection first (selected in both stages, then stage 1 only), then the other "
                         "applications selected under at least one weighting drawn ({never} others never were)",
                         "Kørslens udvalgte først (udvalgt i begge faser, derefter kun i fase 1), derefter de andre "
                         "ansøgninger udvalgt under mindst én trukket vægtning ({never} andre blev det aldrig)"),
    "in_run": ("Selected in the run", "Udvalgt i kørslen"),
    "p_selected_space": ("P(selected), stage {n}: weights {space}", "P(udvalgt), fase {n}: vægte {space}"),
    "rpm_label_space": ("Robust portfolio label, stage 1: every weighting {space}",
                        "Robust portefølje, fase 1: alle vægtninger {space}"),
    "space_simplex": ("drawn from all weights summing to 1", "trukket blandt alle vægte, der summer til 1"),
    "space_interval": ("within ±{spread} of the call's weights", "inden for ±{spread} af opslagets vægte"),
    "space_ordinal": ("keeping the order of the call's weights", "med opslagets rækkefølge af vægtene"),
    "spaces_differ": ("The probability and the robust-portfolio label can differ: the probability counts how often "
                      "an application is selected among weights {smaa}, the label asks whether every, some or no "
                      "non-dominated selection contains it for weights {rpm} — another set of weights and another "
                      "question.",
                      "Sandsynligheden og den robuste porteføljes betegnelse kan afvige: sandsynligheden tæller, hvor "
                      "ofte en ansøgning udvælges blandt vægte {smaa}; betegnelsen spørger, om alle, nogle eller "
                      "ingen ikke-dominerede udvælgelser indeholder den for vægte {rpm} — en anden mængde vægte og "
                      "et andet spørgsmål."),
    "stability_caption": ("Weight range within which the selection stays the same (other weights unchanged "
                          "relative to each other)",
                          "Vægtspænd, inden for hvilket udvælgelsen er den samme (de øvrige vægte uændrede i "
                          "forhold til hinanden)"),
    "stable_range": ("Selection unchanged from–to", "Udvælgelse uændret fra–til"),
    "col_scenario": ("Scenario", "Scenarie"),
    "col_description": ("Description", "Beskrivelse"),
    "col_stage": ("Stage", "Fase"),
    "col_status": ("Status", "Status"),
    "col_n_selected": ("Selected", "Udvalgt"),
    "col_n_entering": ("Entering", "Kommer ind"),
    "col_n_leaving": ("Leaving", "Går ud"),
    "col_entering": ("Who enters", "Hvem kommer ind"),
    "col_leaving": ("Who leaves", "Hvem går ud"),
    "col_infeasibility": ("Why no selection", "Hvorfor ingen udvælgelse"),
    "col_application_id": ("Application", "Ansøgning"),
    "col_title": ("Title", "Titel"),
    "col_change": ("Change", "Ændring"),
    "col_rank_baseline": ("Rank (baseline)", "Placering (grundscenarie)"),
    "col_rank_scenario": ("Rank (scenario)", "Placering (scenarie)"),
    "application_id": ("Application", "Ansøgning"),
    "rules_in_workbook": ("All {n} rules of the stage, with the amount used and the limit, are in the workbook "
                          "(sheet '{sheet}').",
                          "Alle fasens {n} regler, med forbrug og grænse, står i regnearket (arket '{sheet}')."),
    "sheets": ("sheets", "ark"),
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


def _files(names: tuple[str, ...], lang: str, most: int = 4) -> str:
    shown = ", ".join(names[:most])
    if len(names) > most:
        shown += f" {'og' if lang == 'da' else 'and'} {len(names) - most} {'flere' if lang == 'da' else 'more'}"
    return shown


def mismatch_text(m, lang: str = "en") -> str:
    """Why a scenarios/sensitivity folder (a :class:`selection.report.bundle.Mismatch`) is left
    out of the report, in ``lang``: which scenario and which input files differ from the run's."""
    da = lang == "da"
    what = ({"scenarios": "scenariekørslen", "sensitivity": "følsomhedskørslen"} if da else
            {"scenarios": "the scenarios run", "sensitivity": "the sensitivity run"})[m.kind]
    why: list[str] = []
    if m.scenario is not None:
        theirs, ours = m.scenario
        why.append(f"den er lavet for scenariet {theirs}, rapportens kørsel for {ours}" if da else
                   f"it was made for scenario {theirs}, the report's run for {ours}")
    if m.unverifiable:
        why.append("en af manifest-filerne gemmer ikke inputfilernes hashværdier, så det kan ikke kontrolleres, at "
                   "de er lavet af de samme filer" if da else
                   "a manifest records no input hashes, so it cannot be checked that both were made from the "
                   "same files")
    if m.changed:
        why.append(f"andet indhold i {_files(m.changed, lang)}" if da else
                   f"different content of {_files(m.changed, lang)}")
    if m.only_run:
        why.append(f"kun kørslen læste {_files(m.only_run, lang)}" if da else
                   f"only the run read {_files(m.only_run, lang)}")
    if m.only_other:
        why.append(f"kun den læste {_files(m.only_other, lang)}" if da else
                   f"only it read {_files(m.only_other, lang)}")
    if da:
        return (f"{what.capitalize()} {m.folder} er udeladt, fordi den ikke er lavet af de samme input som "
                f"rapportens kørsel: " + "; ".join(why) + ".")
    return (f"{what.capitalize()} {m.folder} is left out because it was not made from the same inputs as the "
            f"report's run: " + "; ".join(why) + ".")
