"""``selection panel CALL_DIR [--out DIR] [--boot N]``: agreement, expert leniency, divergences.

Prints, per stage, how far the experts agree (ICC, Kendall's W, Krippendorff's alpha), each
expert's leniency (positive = scores higher than the rest of the panel), the cells to discuss in
the consensus meeting (scores and comments side by side) and how certain the ranks are; writes a
``panel`` run folder with ``agreement.csv``, ``expert-leniency.csv``, ``divergence.csv``,
``panel-scores.csv`` (raw and calibrated side by side) and ``rank-intervals.csv`` (and
``outside-assignment.csv`` when the call counts scores outside the experts' assignments).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("panel", help="panel agreement, expert leniency and divergent scores; writes a run folder",
                       description="Aggregate and calibrate the experts' scores, measure their agreement, "
                                   "estimate each expert's leniency, list divergent scores for the consensus "
                                   "meeting and bootstrap rank intervals; writes runs/<UTC timestamp>-panel/.")
    p.add_argument("call_dir", type=Path, help="the call folder (holding call.toml)")
    p.add_argument("--out", type=Path, help="parent folder of the run folder (default CALL_DIR/runs)")
    p.add_argument("--boot", type=int, default=1000, help="bootstrap replicates for rank intervals (default 1000)")
    p.add_argument("--model", choices=["aggregate", "bayes"],
                   help="also fit the Bayesian panel model (bayes) to every stage; default: the stages' "
                        "panel_model in the call file (docs/bayes.md)")
    p.add_argument("--quiet", action="store_true", help="print only the run folder")
    p.set_defaults(func=run)


def run(args) -> int:
    import warnings

    import numpy as np
    import pandas as pd

    from selection.aggregate import (
        CalibrationWarning,
        analyse_panel,
        panel_long_table,
        rank_intervals,
    )
    from selection.errors import InputError, Problem
    from selection.pipeline import load_call_folder
    from selection.runs import new_run_dir, write_run

    if args.boot < 1:
        raise InputError(Problem(f"--boot is {args.boot}; use at least 1 replicate"))
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    folder = load_call_folder(args.call_dir)
    from selection.cli.validate_cmd import print_warnings

    print_warnings(folder)
    call = folder.call
    tables: dict[str, list] = {}
    analyses = {}
    timings = {"load_s": time.perf_counter() - t0}
    for st in call.stages:
        t1 = time.perf_counter()
        cat = folder.catalogues[st.number]
        evaluation = folder.evaluations[st.number]
        with warnings.catch_warnings(record=True):
            warnings.simplefilter("always", CalibrationWarning)
            a = analyse_panel(evaluation, cat, method=st.aggregation, trim=st.trim, calibration=st.calibration,
                              min_experts=st.min_experts, divergence_range=st.divergence_range)
            ri = rank_intervals(evaluation, cat, args.boot, np.random.default_rng([call.seed, st.number]),
                                top_k=st.max_selected, method=st.aggregation, trim=st.trim,
                                calibration=st.calibration)
        analyses[st.number] = (a, ri)
        for name, frame in {"agreement.csv": a.agreement, "expert-leniency.csv": a.leniency,
                            "divergence.csv": a.divergence, "panel-scores.csv": panel_long_table(a),
                            "rank-intervals.csv": ri.reset_index()}.items():
            tables.setdefault(name, []).append(frame.assign(stage=st.number)[["stage", *frame.columns]])
        timings[f"stage{st.number}_panel_s"] = time.perf_counter() - t1
    if call.scores_outside_assignment == "count" and folder.assignments is not None:
        # scores counted although the expert was not assigned the application (one row per
        # expert x application x file), so that the panel can see whose judgement they are
        tables["outside-assignment.csv"] = [
            frame.assign(stage=n)[["stage", *frame.columns]]
            for n, frame in sorted(folder.outside_assignment.items())] or [pd.DataFrame(
                columns=["stage", "expert_id", "application_id", "source_file", "sheet", "cell", "n_scores"])]
    bayes_stages = [st for st in call.stages if (getattr(args, "model", None) or st.panel_model) == "bayes"]
    fits = {}
    if bayes_stages:  # posterior.csv, expert-posterior.csv, posterior-diagnostics.csv
        from selection.bayes.stage import bayes_manifest, bayes_tables, panel_fits

        fits = panel_fits(folder, bayes_stages)
        holders = {n: type("Fitted", (), {"bayes": f})() for n, f in fits.items()}
        tables.update({name: [frame] for name, frame in bayes_tables(holders).items()})
    out = {name: pd.concat(frames, ignore_index=True) for name, frames in tables.items()}
    manifest = {
        "kind": "panel", "call_id": call.id, "created_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "seed": call.seed,
        "parameters": {"n_boot": args.boot, "bootstrap_rng": "numpy.random.default_rng([seed, stage])",
                       "stages": {str(st.number): {
                           "aggregation": st.aggregation, "trim": st.trim, "calibration": st.calibration,
                           "min_experts": st.min_experts, "divergence_range": st.divergence_range,
                           "top_k": st.max_selected, "weights": folder.catalogues[st.number].weights()}
                           for st in call.stages}},
        "notes": {str(n): a.notes for n, (a, _) in analyses.items()},
        "timings_s": {k: round(v, 6) for k, v in timings.items()},
        **(bayes_manifest(holders) if fits else {}),
    }
    parent = args.out if args.out else Path(args.call_dir) / "runs"
    target = new_run_dir(parent, "panel", started)
    target = write_run(target, out, manifest, folder.input_files, folder.root)
    if args.quiet:
        print(target)
    else:
        print(summary(folder, analyses))
        if fits:
            from selection.cli.lottery_cmd import posterior_summary

            print(posterior_summary(fits, folder))
        print(f"\nRun folder: {target}")
    return 0


_SHOWN = {"ICC1": "ICC(1)", "ICC1k": "ICC(1,k)", "ICC2": "ICC(2,1)", "ICC2k": "ICC(2,k)", "ICC3k": "ICC(3,k)",
          "kendalls_w": "Kendall W", "krippendorff_alpha_interval": "alpha int.",
          "krippendorff_alpha_ordinal": "alpha ord."}
#: expert-leniency.csv's label, as the console says it
_READING = {"lenient": "lenient / mild", "severe": "severe / streng", "in_line": "in line / på linje", "": ""}


def _range(v: list[int]) -> str:
    return "" if not v else str(v[0]) if v[0] == v[-1] else f"{v[0]}-{v[-1]}"


def _agreement_cells(agreement, shown):
    """The agreement values ``shown`` (criterion x measure) as text, "too little data" where a value
    rests on fewer applications or experts than the minimums (``selection.schema.agreement_too_little``),
    plus a column with the applications and experts the row rests on; and whether any was too little."""
    import pandas as pd

    from selection.schema import agreement_too_little

    out = pd.DataFrame(index=shown.index)
    little = False
    for m in shown.columns:
        col = []
        for c in shown.index:
            hit = agreement[(agreement["criterion_id"] == c) & (agreement["measure"] == m)]
            v = shown.at[c, m]
            if v != v:
                col.append("")
            elif len(hit) and agreement_too_little(hit.iloc[0].get("n_applications"), hit.iloc[0].get("n_experts")):
                col.append("too little data")
                little = True
            else:
                col.append(f"{v:.3f}")
        out[m] = col
    basis = []
    for c in shown.index:
        hit = agreement[(agreement["criterion_id"] == c) & agreement["value"].notna()]
        apps = sorted({int(x) for x in pd.to_numeric(hit.get("n_applications"), errors="coerce").dropna()})
        exps = sorted({int(x) for x in pd.to_numeric(hit.get("n_experts"), errors="coerce").dropna()})
        basis.append(f"{_range(apps)} x {_range(exps)}" if apps and exps else "")
    out["applications x experts"] = basis
    return out, little


def summary(folder, analyses) -> str:
    import pandas as pd

    from selection.cli.format import shorten, table
    from selection.danish import num
    from selection.schema import AGREEMENT_MIN_APPLICATIONS, AGREEMENT_MIN_EXPERTS, LENIENCY_BAND

    lines = [f"{folder.call.name_en or folder.call.name}"]
    for st in folder.call.stages:
        a, ri = analyses[st.number]
        cat = folder.catalogues[st.number]
        lines += ["", f"== Stage {st.number}: {st.name} — {len(a.cube.applications)} applications, "
                      f"{int(a.cube.scored.any(axis=0).sum())} experts, aggregation {st.aggregation}, "
                      f"calibration {st.calibration} =="]
        ag = a.agreement.pivot(index="criterion_id", columns="measure", values="value")
        ag = ag.reindex(index=[*cat.criterion_ids, "total"], columns=list(_SHOWN)).dropna(axis=1, how="all")
        ag, little = _agreement_cells(a.agreement, ag)
        ag.columns = [_SHOWN.get(c, c) for c in ag.columns]
        ag.insert(0, "criterion / kriterium", [cat.criterion(c).label if c != "total" else "Vægtet panelscore / weighted panel score"
                                              for c in ag.index])
        lines += ["", "Agreement / Enighed (1 = full agreement; ICC with 95 % intervals in agreement.csv)",
                  table(ag.reset_index(drop=True))]
        if little:
            lines.append(f"too little data / for få data: fewer than {AGREEMENT_MIN_APPLICATIONS} applications or "
                         f"{AGREEMENT_MIN_EXPERTS} experts (the value is in agreement.csv)")
        missing = sorted(set(_SHOWN) - set(a.agreement.dropna(subset=["value"])["measure"]))
        if missing:
            note = a.agreement.loc[a.agreement["measure"] == missing[0], "note"].iloc[0]
            lines.append(f"Not computable here: {', '.join(_SHOWN[m] for m in missing)} ({note})")
        len_all = a.leniency[a.leniency["criterion_id"] == "all"].copy()
        len_all["name"] = len_all["expert_id"].map(lambda e: shorten(folder.experts[e].name, 28)
                                                   if e in folder.experts else e)
        # the label computed with the leniency (selection.aggregate.leniency_label), not a second band here
        len_all["reading"] = len_all["label"].map(_READING).fillna("")
        len_all["95% interval"] = [f"{lo:+.2f} to {hi:+.2f}" if lo == lo and hi == hi else "too little data"
                                   for lo, hi in zip(len_all["leniency_low"], len_all["leniency_high"], strict=True)]
        lines += ["", "Expert leniency / Bedømmernes niveau (additive model, points on the scale; "
                      "+ = higher than the panel)",
                  table(len_all[["expert_id", "name", "n_scores", "mean_score", "mean_deviation", "leniency",
                                 "95% interval", "reading"]].reset_index(drop=True)),
                  f"Lenient / severe: beyond ±{LENIENCY_BAND:g} points with a 95 % interval that excludes 0 "
                  f"(mild / streng: mere end ±{num(LENIENCY_BAND, 'g')} point, og 95 %-intervallet udelukker 0)"]
        d = a.divergence
        lines += ["", f"To discuss in the consensus meeting / Til drøftelse: {len(d)} score(s) with a range "
                      f">= {st.divergence_range:g} points"]
        for r in d.itertuples():
            lines.append(f"  {r.application_id}  {cat.criterion(r.criterion_id).label}: range {r.score_range:g}  "
                         f"[{r.scores}]")
            if r.comments:
                lines.append(f"      comments: {shorten(r.comments, 150)}")
        top = ri.sort_values("expected_rank").head(max(st.max_selected + 4, 10)).reset_index()
        top["90% rank interval"] = [f"{a_}-{b_}" for a_, b_ in zip(top["rank_q05"], top["rank_q95"], strict=True)]
        top[f"P(top {st.max_selected})"] = top["probability_top_k"]
        lines += ["", "Rank uncertainty / Usikkerhed på placering (bootstrap over experts)",
                  table(pd.DataFrame(top[["application_id", "expected_rank", "90% rank interval",
                                          f"P(top {st.max_selected})", "score_mean"]]))]
        lines += [f"Note: {n}" for n in a.notes]
    return "\n".join(lines)
