"""``selection run CALL_DIR [--scenario NAME] [--out DIR] [--solver cbc|highs]``."""

from __future__ import annotations

import time
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("run", help="validate a call folder, rank and select, write a run folder",
                       description="Validate all inputs, compute panel scores, rank, select each stage "
                                   "and write runs/<UTC timestamp>-<scenario>/ with the results.")
    p.add_argument("call_dir", type=Path, help="the call folder (holding call.toml)")
    from selection.cli import scenario_name

    p.add_argument("--scenario", type=scenario_name,
                   help="name of a scenario in CALL_DIR/scenarios/ (without .toml)")
    p.add_argument("--out", type=Path, help="parent folder of the run folder (default CALL_DIR/runs)")
    p.add_argument("--solver", choices=["cbc", "highs"], help="MILP solver (default highs, in-process; cbc: the CBC bundled with pulp)")
    p.add_argument("--alternatives", type=int, default=0, metavar="K",
                   help="also find the K best distinct selections of each stage "
                        "(alternatives-stage<N>.csv)")
    p.add_argument("--quiet", action="store_true", help="print only the run folder")
    p.set_defaults(func=run)


def run(args) -> int:
    from selection.pipeline import load_call_folder, run_call
    from selection.runs import check_out_folder, new_run_dir, run_files, run_manifest, write_run

    check_out_folder(args.out if args.out else Path(args.call_dir) / "runs")  # before computing
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    folder = load_call_folder(args.call_dir, args.scenario)
    t1 = time.perf_counter()
    from selection.cli.validate_cmd import print_warnings

    print_warnings(folder)
    if getattr(args, "alternatives", 0) < 0:
        from selection.errors import InputError, Problem
        raise InputError(Problem(f"--alternatives must be 0 or more, not {args.alternatives}"))
    if args.alternatives and folder.call.selection_mode == "linked":
        from selection.errors import InputError, Problem
        raise InputError(Problem("--alternatives is not available in the linked selection mode",
                                 hint="run the alternatives with selection_mode = \"sequential\" (e.g. in a scenario)"))
    result = run_call(folder, solver=args.solver, alternatives=getattr(args, "alternatives", 0), diagnostics=True)
    result = replace(result, timings={"load_s": t1 - t0, **result.timings})
    parent = args.out if args.out else Path(args.call_dir) / "runs"
    target = new_run_dir(parent, args.scenario or "baseline", started)
    target = write_run(target, run_files(result), run_manifest(result, args.scenario, started), folder.input_files, folder.root)
    from selection.cli.validate_cmd import print_board_warnings

    print_board_warnings(result)
    if args.quiet:
        print(target)
    else:
        print(summary(result))
        print(f"\nRun folder: {target}")
    return 0


def summary(result) -> str:
    from selection.cli.format import money, shorten, table

    folder = result.folder
    call = folder.call
    lines = [f"{call.name}" + (f" ({call.name_en})" if call.name_en else ""),
             f"{len(folder.applications)} applications, {len(folder.experts)} experts"
             + (f", scenario {folder.scenario.name}: {folder.scenario.description}" if folder.scenario else "")]
    for st in call.stages:
        sr = result.stages[st.number]
        sel = sr.selection.set_index("application_id")
        r = sr.ranking
        shown = r.reset_index()[["rank", "application_id", "score"]].copy()
        shown.insert(2, "title", shown["application_id"].map(lambda a: shorten(folder.applications[a].title, 38)))
        at = sel.index.get_indexer(shown["application_id"])  # one look-up, not three per row (20,000 rows)
        if (at < 0).any():
            raise KeyError(f"stage {st.number}: ranked applications missing from the selection table")
        shown["eligible"] = [bool(v) for v in sel["eligible"].to_numpy()[at].tolist()]
        shown["selected"] = ["YES" if v else "" for v in sel["selected"].to_numpy()[at].tolist()]
        shown["reason"] = [shorten(str(v), 60) for v in sel["reason"].to_numpy(dtype=object)[at].tolist()]
        if st.from_stage:
            shown = shown[shown["application_id"].isin(sr.ranking.index)]  # the candidates it chose among
        lines += ["", f"== Stage {st.number}: {st.name} (choose at most {st.max_selected}"
                  + (f" of the {len(sr.ranking)} from stage {st.from_stage}" if st.from_stage else "")
                  + ") ==", table(shown)]
        chosen = [folder.applications[a] for a in sr.outcome.selected]
        lines.append(f"\nSelected {len(chosen)}: {', '.join(a.id for a in chosen)}  (total value {sr.outcome.objective:.3f})")
        if st.budget is not None:
            used = sum(st.cost(a) for a in chosen)
            if sr.outcome.granted is not None:  # partial funding: the amounts granted, not requested
                used = sum(int(sr.outcome.granted[a.id]) + st.fixed_cost for a in chosen)
            what = "grants" if st.budget_basis == "grant" else "regional co-financing per year"
            if st.fixed_costs:
                what += f" + fixed costs {money(st.fixed_cost, st.currency.code)} per selected"
            lines.append(f"Budget ({what}): {money(used, st.currency.code)} of {money(st.budget, st.currency.code)}")
        if st.total_budget_cap_per_year is not None:
            lines.append(f"Total partnership budgets per year: "
                         f"{money(sum(a.total_budget_per_year for a in chosen), st.currency.code)} "
                         f"of {money(st.total_budget_cap_per_year, st.currency.code)}")
        lines.append("Binding rules: " + ("; ".join(sr.outcome.binding) if sr.outcome.binding else "none"))
        if getattr(sr.outcome, "note", ""):
            lines.append(f"Selection mode: {sr.outcome.note}")
        from selection.words import fmt

        dev = sr.selection[sr.selection["reason_code"].eq("ranking_deviation")]
        if len(dev):
            lines.append(f"Ranking deviations: {len(dev)} (" + "; ".join(
                f"{a}: forcing it in costs {fmt(c, 'value')}" + (f", {w} would leave" if w else "")
                for a, c, w in zip(dev["application_id"], dev["cost_to_include"], dev["would_leave"], strict=True))
                + ")")
        lines += _board_lines(folder, sr)
        alts = getattr(sr, "alternatives", None)
        if alts is not None and len(alts) > 1:
            lines.append("Next best selections: " + "; ".join(
                f"#{r.alternative} {r.differs_by} (-{r.objective_lost:.4g})" for r in alts.iloc[1:].itertuples()))
    for note in folder.pending:
        lines += ["", f"== {note[0].upper()}{note[1:]} =="]
    return "\n".join(lines)


def _board_lines(folder, sr) -> list[str]:
    """What the board decided in a stage beside the recommendation (selection.board), and where a
    later stage's candidates came from."""
    board = folder.call.board
    lines = []
    if getattr(sr, "candidates_from_board", False) and board is not None:
        lines.append(f"Chosen among {board.name_en}'s decision of the earlier stage (board-decisions file), "
                     "not the recommendation")
    table = getattr(sr, "board", None)
    if table is None or board is None:
        return lines
    decided = table[table["decided"]]
    when = ", ".join(sorted(set(table["decided_on"].astype(str)) - {""}))
    lines.append(f"{board.name_en} decided ({when}): {len(decided)} selected: {', '.join(decided['application_id'])}")
    dev = table[table["deviation"]]
    for r in dev.itertuples():
        what = "not selected although recommended" if r.recommended else "selected although not recommended"
        lines.append(f"  deviation: {r.application_id} {what}" + (f" — {r.reason}" if r.reason else " — no reason recorded"))
    if not len(dev):
        lines.append("  no deviation from the recommendation")
    return lines
