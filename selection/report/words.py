"""Every fixed phrase of the report, in English and Danish."""

from __future__ import annotations

__all__ = ["WORDS", "SHEETS", "COLUMNS_DA", "column", "say", "sheet", "mismatch_text", "number", "plain", "percent"]

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
    "partial_funding": ("Partial funding", "Delvis bevilling"),
    "pf_share": ("at least {share} of the requested amount", "mindst {share} af det ansøgte beløb"),
    "pf_amount": ("at least the {label}", "mindst {label}"),
    "pf_and": (" and ", " og "),
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
    "call_intro": ("The expert panel scored every application on the criteria below{scale}. The panel score of "
                   "a criterion is {aggregation} of the experts' scores; the weighted panel score ranks the "
                   "applications; an application below a threshold cannot be selected. The selection itself "
                   "is the best set of applications that respects every rule of the stage.",
                   "Ekspertpanelet har scoret hver ansøgning på kriterierne nedenfor{scale}. Et kriteriums "
                   "panelscore er {aggregation} af eksperternes scorer; den vægtede panelscore rangordner "
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
    "weighted_total": ("Weighted panel score", "Vægtet panelscore"),
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
                        "aflæses ikke her (værdien står i projektmappen)."),
    "headline_too_little": ("{measure} for the weighted panel score rests on {apps} applications and {experts} experts: "
                            "too little data to read it (at least {min_apps} applications scored by at least "
                            "{min_experts} experts are needed).",
                            "{measure} for den vægtede panelscore bygger på {apps} ansøgninger og {experts} eksperter: "
                            "for få data til at aflæse den (mindst {min_apps} ansøgninger bedømt af mindst "
                            "{min_experts} eksperter kræves)."),
    "headline": ("{measure} for the weighted panel score is {value}{ci}{basis}: {reading} ({bands}).",
                 "{measure} for den vægtede panelscore er {value}{ci}{basis}: {reading} ({bands})."),
    "alpha_reliable": ("reliable agreement", "pålidelig enighed"),
    "alpha_tentative": ("moderate agreement, good enough for tentative conclusions only",
                        "moderat enighed, nok til foreløbige konklusioner"),
    "alpha_unreliable": ("agreement too low to be relied on", "for lav enighed til at kunne lægges til grund"),
    "bands_alpha": ("Krippendorff 2004: 0.80 or more reliable, 0.667–0.80 tentative, below 0.667 unreliable",
                    "Krippendorff 2004: 0,80 eller mere pålidelig, 0,667–0,80 foreløbig, under 0,667 upålidelig"),
    "icc_poor": ("poor reliability", "ringe pålidelighed"),
    "icc_moderate": ("moderate reliability", "moderat pålidelighed"),
    "icc_good": ("good reliability", "god pålidelighed"),
    "icc_excellent": ("excellent reliability", "fremragende pålidelighed"),
    "bands_icc": ("Koo & Li 2016: below 0.5 poor, 0.5–0.75 moderate, 0.75–0.9 good, above 0.9 excellent",
                  "Koo & Li 2016: under 0,5 ringe, 0,5–0,75 moderat, 0,75–0,9 god, over 0,9 fremragende"),
    "w_very_weak": ("very weak agreement", "meget svag enighed"),
    "w_weak": ("weak agreement", "svag enighed"),
    "w_moderate": ("moderate agreement", "moderat enighed"),
    "w_strong": ("strong agreement", "stærk enighed"),
    "w_very_strong": ("very strong agreement", "meget stærk enighed"),
    "bands_w": ("Schmidt 1997: below 0.1 very weak, 0.1–0.3 weak, 0.3–0.6 moderate, 0.6–0.9 strong, "
                "0.9 or more very strong",
                "Schmidt 1997: under 0,1 meget svag, 0,1–0,3 svag, 0,3–0,6 moderat, 0,6–0,9 stærk, "
                "0,9 eller mere meget stærk"),
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
                        "({workbook}, sheet '{sheet}').",
                        "De {shown} største af {total} vises; de øvrige {left} står i projektmappen "
                        "({workbook}, arket '{sheet}')."),
    "in_workbook": ("Full tables in the workbook {workbook}: {sheets}.",
                    "De fulde tabeller står i projektmappen {workbook}: {sheets}."),
    "sheet": ("sheet", "ark"),
    "selected_caption": ("Selected in stage {n}", "Udvalgt i fase {n}"),
    "recommended_caption": ("Recommended in stage {n}", "Indstillet i fase {n}"),
    "not_selected_caption": ("Not selected in stage {n}, by kind of reason (each application's full reason is in "
                             "its decision dossier)",
                             "Ikke udvalgt i fase {n}, efter slags begrundelse (hver ansøgnings fulde begrundelse "
                             "står i dens beslutningsgrundlag)"),
    "selection_in_workbook": ("The whole stage, every application with its reason, is in the workbook (sheet "
                              "'{sheet}').",
                              "Hele fasen, hver ansøgning med begrundelse, står i projektmappen (arket '{sheet}')."),
    "count": ("Number", "Antal"),
    "applications": ("Applications", "Ansøgninger"),
    "prob_caption": ("Applications selected under at least one weighting drawn ({never})",
                     "Ansøgninger udvalgt under mindst én trukket vægtning ({never})"),
    "prob_caption_run": ("The run's selection first (selected in both stages, then stage 1 only), then the other "
                         "applications selected under at least one weighting drawn ({never})",
                         "Kørslens udvalgte først (udvalgt i begge faser, derefter kun i fase 1), derefter de andre "
                         "ansøgninger udvalgt under mindst én trukket vægtning ({never})"),
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
    "sweep_caption": ("Selection as the weight of {criterion} varies", "Udvælgelsen, når vægten af {criterion} varieres"),
    "no_weight_to_vary": ("The call has one criterion, so there is no weight to vary: the weight ranges within which "
                          "the selection stays the same, and the selection as one weight varies, are not computed.",
                          "Opslaget har ét kriterium, så der er ingen vægt at variere: vægtspænd, inden for hvilke "
                          "udvælgelsen er den samme, og udvælgelsen, når én vægt varieres, beregnes ikke."),
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
                          "Alle fasens {n} regler, med forbrug og grænse, står i projektmappen (arket '{sheet}')."),
    "sheets": ("sheets", "ark"),
    "ranking_intro": ("Applications in order of their weighted panel score, the score written beside each. A "
                      "filled circle is selected, a diamond could be selected but is not, a cross cannot be selected "
                      "(a threshold or a rule); the funding line lies beneath the lowest-ranked selected application.",
                      "Ansøgningerne i rækkefølge efter vægtet panelscore, med scoren skrevet ud for hver. En udfyldt "
                      "cirkel er udvalgt, en rombe kunne udvælges, men er det ikke, et kryds kan ikke udvælges (en "
                      "tærskel eller en regel); finansieringsgrænsen ligger under den lavest placerede udvalgte."),
    "no_intervals": ("No rank intervals found (rank-intervals.csv): the uncertainty of the ranks is not shown.",
                     "Ingen rangintervaller (rank-intervals.csv): usikkerheden på placeringerne vises ikke."),
    "intervals_intro": ("How sure is each rank? Resampling the experts who scored each application gives a range "
                        "of ranks: the thick bar holds half of the resamples, the thin bar nine in ten.",
                        "Hvor sikker er hver placering? Gentagen udtrækning af de eksperter, der scorede hver "
                        "ansøgning, giver et spænd af placeringer: den tykke streg rummer halvdelen, den tynde ni "
                        "ud af ti."),
    "selected_n": ("Selected: {n} of at most {k}.", "Udvalgt: {n} af højst {k}."),
    "recommended_n": ("Recommended: {n} of at most {k}.", "Indstillet: {n} af højst {k}."),
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
    # why a table cannot be drawn (selection.report.bundle: RunBundle.unusable_facts); English as the bundle says it
    "old_layout": ("was written in the layout of schema version {version} (one column per stage, <name>_stage<N>); "
                   "this program reads version {current} (a stage column and a row per stage); run `{command}` again",
                   "er skrevet i det ældre layout fra skemaversion {version} (én kolonne pr. fase, <navn>_stage<N>); "
                   "dette program læser version {current} (en kolonne for fasen og en række pr. fase); kør "
                   "`{command}` igen"),
    "lacks_columns": ("lacks the column(s) {columns}", "mangler kolonne(r): {columns}"),
    "dossier_intro": ("For each application: its scores, thresholds, rank, whether it was selected and why, the "
                      "binding rules that concern it, and how robust the decision is.",
                      "For hver ansøgning: scorer, tærskler, placering, om den blev udvalgt og hvorfor, de "
                      "bindende regler, der vedrører den, og hvor robust beslutningen er."),
    "rank": ("Rank", "Placering"),
    "score": ("Weighted panel score", "Vægtet panelscore"),
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
    "s_summary": ("The decision in brief", "Beslutningen kort"),
    "money_used": ("{used} used of {limit} ({rule}).", "{used} brugt af {limit} ({rule})."),
    "summary_rules": ("{binding} of the stage's {n} rules were binding.", "{binding} af fasens {n} regler var bindende."),
    "summary_deviations": ("Ranking deviations (ranked above a selected application but not selected): {dev}.",
                           "Afvigelser fra rangordningen (placeret over en udvalgt, men ikke udvalgt): {dev}."),
    "summary_more": ("The reasons for every decision, the rules and how robust the selection is follow below; "
                     "each application's decision dossier is at the end.",
                     "Begrundelsen for hver beslutning, reglerne og udvælgelsens robusthed følger nedenfor; hver "
                     "ansøgnings beslutningsgrundlag står til sidst."),
    "pending": ("Stage {n}{name} is pending: the experts' scores for it are not in yet, so this report cannot say "
                "which applications it selects.",
                "Fase {n}{name} afventer: eksperternes scorer for fasen er endnu ikke kommet ind, så rapporten kan "
                "ikke sige, hvilke ansøgninger den udvælger."),
    "pending_from": (" It chooses among the applications selected in stage {k}.",
                     " Den vælger blandt de ansøgninger, der er udvalgt i fase {k}."),
    "call_id": ("Call (id)", "Opslag (id)"),
    "operator": ("Operator", "Operatør"),
    "scenarios_run": ("Scenarios run", "Scenariekørsel"),
    "sensitivity_run": ("Sensitivity run", "Følsomhedskørsel"),
    "picked_scenarios": ("The scenarios run {folder} is the newest of this call beside the run made from the same "
                         "inputs.",
                         "Scenariekørslen {folder} er den nyeste for opslaget ved siden af kørslen, lavet af de samme "
                         "input."),
    "picked_sensitivity": ("The sensitivity run {folder} is the newest of this call beside the run made from the "
                           "same inputs and scenario.",
                           "Følsomhedskørslen {folder} er den nyeste for opslaget ved siden af kørslen, lavet af de "
                           "samme input og det samme scenarie."),
    "fig_intervals": ("Uncertainty of the ranks", "Placeringernes usikkerhed"),
    "fig_posterior": ("Expected ranks (Bayesian panel model)", "Forventede placeringer (bayesiansk panelmodel)"),
    "fig_lottery": ("with the partial lottery", "med den delvise lodtrækning"),
    "fig_budget_use": ("Money and places used against each limit", "Forbrug af penge og pladser mod hver grænse"),
    "fig_scenario_matrix": ("Who is selected in each scenario", "Hvem der udvælges i hvert scenarie"),
    "fig_probability": ("Probability of selection under the weights drawn",
                        "Sandsynlighed for udvælgelse under de trukne vægte"),
    "fig_acceptability": ("Probability of each rank under the weights drawn",
                          "Sandsynlighed for hver placering under de trukne vægte"),
    "fig_stability": ("Weight ranges within which the selection stays the same",
                      "Vægtspænd, inden for hvilke udvælgelsen er den samme"),
    "scenario_summary": ("Scenarios compared with the baseline", "Scenarierne sammenlignet med grundscenariet"),
    "scenario_changes": ("Who enters and who leaves in each scenario", "Hvem der kommer ind og går ud i hvert scenarie"),
    "enters": ("enters", "kommer ind"),
    "leaves": ("leaves", "går ud"),
    "core_index": ("core index", "kerneindeks"),
    "one_other": ("1 other never was", "1 anden blev det aldrig"),
    "others_never": ("{never} others never were", "{never} andre blev det aldrig"),
    "why_icc1": ("needs at least 2 applications and an application scored by 2 or more experts",
                 "kræver mindst 2 ansøgninger og en ansøgning bedømt af 2 eller flere eksperter"),
    "why_same_experts": ("needs at least 2 applications scored by the same 2 or more experts",
                         "kræver mindst 2 ansøgninger bedømt af de samme 2 eller flere eksperter"),
    "why_alpha": ("needs at least one application scored by 2 or more experts",
                  "kræver mindst én ansøgning bedømt af 2 eller flere eksperter"),
    # the counts the engine's note ends with (report.compact._found); English as the engine writes it
    "found_all": ("; found {n} application(s) scored by all {m} expert(s)",
                  "; fandt {n} ansøgning(er) bedømt af alle {m} eksperter"),
    "found_every": ("; {n} application(s) were scored by every expert", "; {n} ansøgning(er) blev bedømt af alle eksperter"),
    "found_apps": ("; found {n} application(s)", "; fandt {n} ansøgning(er)"),
    "title": ("Title", "Titel"),
    "name": ("Name", "Navn"),
    "mean": ("the mean", "gennemsnittet"),
    "median": ("the median", "medianen"),
    "trimmed_mean": ("the trimmed mean", "det trimmede gennemsnit"),
}


#: Workbook sheet names (at most 31 characters, unique): the English ones are the run files' names,
#: the Danish ones words. ``{n}`` is a stage number.
SHEETS: dict[str, tuple[str, str]] = {
    "overview": ("Overview", "Oversigt"),
    "stages": ("Stages", "Faser"),
    "criteria": ("Criterion", "Kriterier"),
    "agreement": ("agreement", "Enighed"),
    "expert-leniency": ("expert-leniency", "Eksperternes mildhed"),
    "divergence": ("divergence", "Scorer til drøftelse"),
    "panel-scores": ("Panel scores {n}", "Panelscorer {n}"),
    "ranking": ("ranking", "Rangordning"),
    "rank-intervals": ("rank-intervals", "Rangintervaller"),
    "selection": ("The selection {n}", "Udvælgelse {n}"),
    "rules": ("rules {n}", "Regler {n}"),
    "scenario-summary": ("scenario-summary", "Scenarieoversigt"),
    "scenario-changes": ("scenario-changes", "Scenarieændringer"),
    "scenario-matrix": ("scenario-matrix", "Scenariematrix"),
    "core-index": ("core-index", "Kerneindeks"),
    "rank-acceptability": ("rank-acceptability", "Placeringssandsynlighed"),
    "selection-probability": ("selection-probability", "Udvælgelsessandsynlighed"),
    "weight-stability": ("weight-stability", "Vægtstabilitet"),
    "weight-sweep": ("weight-sweep", "Vægtvariation"),
    "robust-portfolios": ("robust-portfolios", "Robuste porteføljer"),
    "bootstrap": ("bootstrap", "Bootstrap"),
    "dossiers": ("Decision dossiers", "Beslutningsgrundlag"),
}


def sheet(key: str, lang: str = "en", n: int | None = None) -> str:
    """The workbook sheet name of ``key`` (a run file's name without ``.csv``, or a report table) in
    ``lang``; a file without a name of its own keeps its file name."""
    en, da = SHEETS.get(key, (key, key))
    return (da if lang == "da" else en).format(n=n)


#: Danish headers of the run files' columns in the Danish workbook (the English workbook keeps the
#: files' own column names). A column not listed keeps its name; ``<name>_stage<N>`` is named from
#: ``<name>`` and the stage.
COLUMNS_DA: dict[str, str] = {
    "application_id": "Ansøgning", "title": "Titel", "stage": "Fase", "rank": "Placering",
    "score": "Vægtet panelscore", "tied_rank": "Placering før uafgjort-regel", "tie_break": "Afgjort af",
    "eligible": "Kan udvælges", "failed_thresholds": "Tærskler ikke bestået (engelsk)",
    "failed_thresholds_da": "Tærskler ikke bestået", "n_experts": "Antal eksperter",
    "n_abstentions": "Antal undladelser", "criterion_id": "Kriterium", "criterion": "Kriterium",
    "panel_score": "Panelscore", "n_scores": "Antal scorer", "value": "Værdi", "selected": "Udvalgt",
    "reason": "Begrundelse (engelsk)", "reason_da": "Begrundelse", "reason_code": "Begrundelseskode",
    "facts": "Fakta (data)", "cost_to_include": "Pris for at tage den med", "would_leave": "Ville udgå",
    "measure": "Mål", "ci_low": "95 %-interval, fra", "ci_high": "95 %-interval, til",
    "n_applications": "Antal ansøgninger", "note": "Bemærkning", "expert_id": "Ekspert", "name": "Navn",
    "leniency": "Mildhed", "leniency_low": "Mildhed, nedre grænse", "leniency_high": "Mildhed, øvre grænse",
    "label": "Tolkning", "mean_score": "Gennemsnitsscore", "mean_deviation": "Gennemsnitlig afvigelse",
    "min_score": "Laveste score", "max_score": "Højeste score", "score_range": "Spænd", "scores": "Scorer",
    "comments": "Kommentarer", "rank_q05": "Placering, 5 %-fraktil", "rank_q25": "Placering, 25 %-fraktil",
    "rank_q50": "Placering, median", "rank_q75": "Placering, 75 %-fraktil", "rank_q95": "Placering, 95 %-fraktil",
    "score_mean": "Score, gennemsnit", "score_sd": "Score, standardafvigelse", "score_q05": "Score, 5 %-fraktil",
    "score_q95": "Score, 95 %-fraktil", "scenario": "Scenarie", "description": "Beskrivelse", "status": "Status",
    "n_selected": "Antal udvalgte", "n_entering": "Antal, der kommer ind", "n_leaving": "Antal, der går ud",
    "entering": "Hvem kommer ind", "leaving": "Hvem går ud", "infeasibility": "Hvorfor ingen udvælgelse",
    "change": "Ændring", "rank_baseline": "Placering (grundscenarie)", "rank_scenario": "Placering (scenarie)",
    "reason_baseline": "Begrundelse (grundscenarie, engelsk)", "reason_scenario": "Begrundelse (scenarie, engelsk)",
    "reason_baseline_da": "Begrundelse (grundscenarie)", "reason_scenario_da": "Begrundelse (scenarie)",
    "core_index": "Kerneindeks", "core_label": "Robust portefølje", "weight": "Vægt",
    "baseline_weight": "Opslagets vægt", "given_weight": "Opslagets vægt", "central_weight": "Central vægt",
    "stable_from": "Uændret fra", "stable_to": "Uændret til", "same_as_baseline": "Som grundscenariet",
    "expected_rank": "Forventet placering", "position": "Plads", "enters_if_withdraws":
    "Kommer ind, hvis denne trækker sig", "source": "Kilde", "total_value": "Samlet værdi",
    "top_k": "Antal pladser", "probability_top_k": "Sandsynlighed for en plads", "spread_ratio": "Spredningsforhold",
    "weight_information": "Vægtinformation", "acceptability_first": "Sandsynlighed for førstepladsen",
    "n_nondominated": "Antal ikke-dominerede", "robust_core": "Robust kerne", "times_selected": "Gange udvalgt",
    "probability_selected": "Sandsynlighed for udvælgelse", "infeasible_share": "Andel uden mulig udvælgelse",
    "selected_baseline": "Udvalgt i grundscenariet", "selection_stage": "Udvælgelse i fase",
    "description_da": "Beskrivelse", "used": "Forbrugt",
    "limit": "Grænse", "unit": "Enhed", "binding": "Bindende", "rule": "Regel", "sense": "Retning", "kind": "Slags",
    "slack": "Luft", "members": "Omfatter", "id": "Id", "": "", " ": " ",
}


def column(name: str, lang: str = "en") -> str:
    """The header of a run file's column ``name`` in ``lang`` (English: the name itself).

    >>> column("probability_selected_stage2", "da"), column("rank_acceptability_3", "da")
    ('Sandsynlighed for udvælgelse, fase 2', 'Sandsynlighed for placering 3')
    """
    import re

    if lang == "en" or name in COLUMNS_DA:
        return name if lang == "en" else COLUMNS_DA[name]
    if m := re.fullmatch(r"(.+)_stage(\d+)(_baseline)?", name):
        base = column(m[1] + (m[3] or ""), lang) if m[1] + (m[3] or "") in COLUMNS_DA else m[1]
        return f"{base}, fase {m[2]}"
    if m := re.fullmatch(r"rank_acceptability_(\d+)", name):
        return f"Sandsynlighed for placering {m[1]}"
    return name


_DA = str.maketrans(",.", ".,")


def number(x: float, digits: int, lang: str = "en", *, sign: bool = False) -> str:
    """``x`` with ``digits`` decimals in the number style of ``lang``: English ``1,234.50``, Danish
    ``1.234,50`` (``sign``: always a sign, ``+0,46``).

    >>> number(1234.5, 2, "da"), number(0.4567, 2, "en", sign=True)
    ('1.234,50', '+0.46')
    >>> plain(2660000, "da"), plain(10, "en"), plain(0.25, "da"), plain(2.0, "en")
    ('2.660.000', '10', '0,25', '2')
    """
    s = format(float(x), f"{'+' if sign else ''},.{digits}f")
    return s.translate(_DA) if lang == "da" else s


def plain(x: float, lang: str = "en", most: int = 4) -> str:
    """A number of no fixed kind with at most ``most`` decimals and no trailing zeros, grouped in
    thousands, in the style of ``lang`` (``2,5``; ``2.660.000``; ``0,6667``)."""
    s = format(float(x), f",.{most}f")
    if "." in s:  # trailing zeros of the decimals only (10 stays 10)
        s = s.rstrip("0").rstrip(".")
    s = "0" if s == "-0" else s
    return s.translate(_DA) if lang == "da" else s


def percent(share: float, lang: str = "en", digits: int = 0) -> str:
    """A share as a percentage: ``20%`` in English, ``20 %`` in Danish (a no-break space before the sign)."""
    return number(share * 100, digits, lang) + ("\u00a0%" if lang == "da" else "%")


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
