"""``selection assign CALL_DIR --stage N``: which experts score which applications, optimised
exactly (``docs/assignment.md``); writes a new assignments file, never overwriting one."""

from __future__ import annotations

import datetime as _dt
from pathlib import Path

IN_FORCE = "(in force)"


def register(sub) -> None:
    p = sub.add_parser(
        "assign", help="assign experts to applications (exact, explained)",
        description="Give every application of a stage exactly K experts: no declared conflict "
                    "(and, when the call says so, none from the applicant's organisation or "
                    "municipality), each expert's load between the minimum and maximum, kept and "
                    "forced pairs fixed, diversity rules kept; the best expertise fit (total, or "
                    "the worst-served application first with --mode fair), solved to a proven "
                    "optimum. Writes a new assignments file (never overwriting) and prints each "
                    "expert's load and each application's experts with their fit and why. Exit "
                    "code 2 when no assignment keeps every rule (the reasons in words).")
    p.add_argument("call_dir", type=Path, help="the call folder (holding call.toml)")
    p.add_argument("--stage", type=int, required=True, help="stage number")
    p.add_argument("--per-application", type=int, metavar="K",
                   help="experts per application (default: the stage's experts_per_application, "
                        "else its min_experts)")
    p.add_argument("--max-load", type=int, metavar="L", help="most applications per expert "
                   "(default: the call's [assignment] max_load, else the balanced load)")
    p.add_argument("--min-load", type=int, metavar="M", help="fewest applications per expert")
    p.add_argument("--mode", choices=["total", "fair"],
                   help="total: most total fit; fair: the worst-served application's fit first "
                        "(PeerReview4All), then the total (default: the call's [assignment] mode)")
    p.add_argument("--out", type=Path, metavar="FILE",
                   help="the new assignments file (default: a dated name beside the one in force)")
    p.add_argument("--keep", nargs="?", const=IN_FORCE, type=str, metavar="FILE",
                   help="keep this stage's pairs of FILE fixed (without FILE: the assignments file "
                        "in force), e.g. when sheets are out and an expert drops out")
    p.add_argument("--unavailable", action="append", metavar="ID,ID",
                   help="experts who drop out (their kept pairs are released)")
    p.add_argument("--force", type=Path, metavar="FILE",
                   help="CSV expert_id,application_id,assign(yes/no): pairs forced in or out")
    p.add_argument("--affinity", type=Path, metavar="FILE",
                   help="CSV expert_id,application_id,fit: use this fit instead of declared expertise")
    p.add_argument("--run", type=Path, metavar="RUN_DIR",
                   help="a later stage: the run folder whose earlier-stage selection it assigns")
    p.add_argument("--selected", type=Path, metavar="FILE",
                   help="a later stage: the earlier stage's selection file (instead of --run)")
    p.add_argument("--continuity", choices=["free", "keep", "forbid"],
                   help="a later stage: keep the earlier stage's experts as far as possible, or "
                        "forbid them for a fresh view (default: the stage's expert_continuity)")
    p.add_argument("--solver", choices=["highs", "cbc"], default="highs", help="MILP solver (default highs)")
    p.set_defaults(func=run)


def _ids(values: list[str] | None) -> list[str]:
    return [v.strip() for item in values or [] for v in item.split(",") if v.strip()]


def _dated(folder: Path, stage: int) -> Path:
    day = _dt.datetime.now(_dt.UTC).strftime("%Y-%m-%d")
    base = folder / f"assignments-stage{stage}-{day}.csv"
    k = 2
    while base.exists():
        base = folder / f"assignments-stage{stage}-{day}-{k}.csv"
        k += 1
    return base


def run(args) -> int:
    from selection.assign import application_table, build_problem, expert_table, solve_assignment
    from selection.errors import InputError, Problem
    from selection.io.pairs import (
        read_affinity,
        read_assignment_rows,
        read_force_file,
        read_selected,
        write_assignments,
    )
    from selection.io.store import call_context
    from selection.io.tables import assignments_for_stage, read_assignments
    from selection.model import AssignmentRules

    root = Path(args.call_dir)
    call, ctx = call_context(root, args.stage)
    stage = call.stage(args.stage)
    problems: list[Problem] = []
    experts = list(ctx.experts.values())
    expert_ids = set(ctx.experts)
    all_ids = set(ctx.applications)
    in_force = root / call.assignments if call.assignments else None
    if in_force is not None and not in_force.is_file():
        in_force = None

    def collect(fn, *a):
        try:
            return fn(*a)
        except InputError as exc:
            problems.extend(exc.problems)
            return None

    # which applications this stage assigns
    app_ids = sorted(all_ids)
    if stage.from_stage is not None:
        sel_file = args.selected or (args.run / f"selection-stage{stage.from_stage}.csv" if args.run else None)
        board_file = args.run / f"board-decisions-stage{stage.from_stage}.csv" if args.run and not args.selected else None
        if board_file is not None and board_file.is_file():  # the board decided: its selection, not the recommendation
            from selection.board import read_decided

            app_ids = collect(read_decided, board_file, all_ids) or app_ids
            print(f"Stage {stage.number} assigns among the board's stage-{stage.from_stage} decision ({board_file.name})")
        elif sel_file is None:
            problems.append(Problem(f"stage {stage.number} assigns among the stage-{stage.from_stage} selection",
                                    key="--stage", hint="give the run folder with --run RUN_DIR or the "
                                    f"selection file with --selected FILE (selection-stage{stage.from_stage}.csv)"))
        elif not Path(sel_file).is_file():
            problems.append(Problem("no such file", file=str(sel_file),
                                    hint=f"a run folder of 'selection run' holds selection-stage{stage.from_stage}.csv"))
        else:
            app_ids = collect(read_selected, sel_file, all_ids) or app_ids
    elif args.run or args.selected:
        problems.append(Problem(f"stage {stage.number} assigns every application; --run/--selected are "
                                "for a stage that chooses among an earlier stage's selection", key="--run"))
    apps = [ctx.applications[a] for a in app_ids]
    k = args.per_application or stage.experts_per_application or stage.min_experts
    if k < 1:
        problems.append(Problem(f"--per-application {k} must be at least 1", key="--per-application"))
    rules = call.assignment
    changes = {key: val for key, val in (("max_load", args.max_load), ("min_load", args.min_load),
                                         ("mode", args.mode)) if val is not None}
    if changes:
        try:
            rules = AssignmentRules.model_validate({**rules.model_dump(), **changes})
        except ValueError as exc:
            problems.append(Problem(str(exc).splitlines()[-1].strip(), key="--min-load/--max-load"))
    gone = _ids(args.unavailable)
    problems += [Problem(f"unknown expert {e!r}", key="--unavailable", hint=f"use one of {', '.join(ctx.experts)}")
                 for e in gone if e not in expert_ids]
    keep = None
    if args.keep:
        kpath = in_force if args.keep == IN_FORCE else Path(args.keep)
        if kpath is None:
            problems.append(Problem("--keep without FILE keeps the assignments file in force, but the call "
                                    "names none (or it is missing)", key="--keep", hint="give --keep FILE"))
        elif not kpath.is_file():
            problems.append(Problem("no such file", file=str(kpath), key="--keep"))
        else:
            keep = collect(assignments_for_stage, kpath, expert_ids, all_ids, stage.number,
                           stage.from_stage is not None) or {}
    force_in, force_out = [], []
    if args.force:
        forced = collect(read_force_file, args.force, expert_ids, all_ids)
        if forced:
            force_in, force_out = forced
    fit, source = None, "declared expertise"
    if args.affinity:
        m = collect(read_affinity, args.affinity, [e.id for e in experts], app_ids)
        if m is not None:
            fit, source = m, f"affinity matrix {args.affinity.name}"
    earlier = None
    continuity = args.continuity or stage.expert_continuity
    if stage.from_stage is not None and continuity != "free":
        if in_force is None:
            problems.append(Problem(f"continuity '{continuity}' needs the stage-{stage.from_stage} assignments, "
                                    "but the call names no assignments file", key="--continuity"))
        else:
            earlier = collect(read_assignments, in_force, expert_ids, all_ids, stage.from_stage)
    if problems:
        raise InputError(problems)
    import numpy as np

    problem, released = build_problem(
        apps, experts, rules, per_application=k, stage=stage.number,
        fit=None if fit is None else np.asarray(fit, dtype=float), fit_source=source, keep=keep,
        force_in=force_in, force_out=force_out, unavailable=gone, earlier=earlier, continuity=continuity)
    if fit is None and not any(e.expertise for e in experts):
        print("Note: no expert declares expertise (experts.csv column 'expertise') and no --affinity "
              "file is given: every fit is 0, so the assignment only keeps the rules.")
    result = solve_assignment(problem, solver=args.solver)

    # the new file: this stage's pairs, plus the other stages' rows of the file in force
    # rows without a stage govern the stages that score every application (io.tables.assignments_for_stage)
    rows: list[tuple[str, str, int | None]] = []
    multi = len(call.stages) > 1
    if in_force is not None and multi:
        whole = [s.number for s in call.stages if s.number != stage.number and s.from_stage is None]
        for e, a, s in read_assignment_rows(in_force):
            rows += [(e, a, t) for t in ([s] if s is not None else whole) if t != stage.number]
    rows += [(e, a, stage.number if multi else None) for e, a in result.pairs()]
    staged = len({r[2] for r in rows}) > 1 or stage.from_stage is not None
    target = args.out or _dated(in_force.parent if in_force else root, stage.number)
    write_assignments(target, rows, stage_column=staged)
    try:  # what made it: inputs' SHA-256, versions, parameters (no clock: same inputs, same bytes)
        _write_manifest(target, root, call, stage.number, k, problem, result, released, args,
                        [root / "call.toml", root / call.applications, root / call.experts,
                         *([in_force] if in_force else []),
                         *(Path(f) for f in (args.keep if args.keep not in (None, IN_FORCE) else None,
                                             args.force, args.affinity, args.selected,
                                             args.run / f"selection-stage{stage.from_stage}.csv"
                                             if args.run and stage.from_stage else None) if f)])
    except BaseException:
        target.unlink(missing_ok=True)  # nothing partially written
        raise

    _print_summary(result, problem, application_table(result), expert_table(result), released, k)
    try:
        shown = target.resolve().relative_to(root.resolve())
    except ValueError:
        shown = target
    print(f"\nWrote {target} ({len(result.pairs())} pairs for stage {stage.number}"
          + (", with the other stages' rows of the file in force" if any(r[2] != stage.number for r in rows) else "")
          + f"); inputs' SHA-256, versions and parameters in {target.name}.manifest.json.")
    print(f"To put it in force, set  assignments = \"{shown}\"  in call.toml; validate and sheets then use it.")
    return 0


def _write_manifest(target: Path, root: Path, call, stage: int, k: int, problem, result, released, args,
                    inputs: list[Path]) -> None:
    import json

    from selection.runs import file_hashes, package_versions
    from selection.select import solver_versions

    rules = {"per_application": k, "min_load": sorted({int(v) for v in problem.min_load}),
             "max_load": sorted({int(v) for v in problem.max_load}), "mode": problem.mode,
             "exclude_same_organisation": call.assignment.exclude_same_organisation,
             "exclude_same_municipality": call.assignment.exclude_same_municipality,
             "require_kinds": list(problem.require_kinds), "max_per_affiliation": problem.max_per_affiliation,
             "continuity": args.continuity or call.stage(stage).expert_continuity,
             "unavailable": _ids(args.unavailable), "fit": problem.fit_source, "solver": result.solver}
    data = {"kind": "assign", "call_id": call.id, "stage": stage, "assignments": target.name,
            "inputs": file_hashes(dict.fromkeys(inputs), root), "versions": package_versions(),
            "solvers": solver_versions(), "parameters": rules,
            "objectives": {name: round(value, 9) for name, value in result.objectives},
            "released": list(released)}
    path = target.with_name(target.name + ".manifest.json")
    with path.open("x", encoding="utf-8") as fh:  # never replaces a file
        fh.write(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n")


def _print_summary(result, problem, apps, experts, released, k) -> None:
    obj = dict(result.objectives)
    mode = "fair (worst-served application first, then total)" if problem.mode == "fair" else "total fit"
    print(f"Assignment, stage {problem.stage}: {len(problem.applications)} applications x {k} experts, "
          f"{len(problem.experts)} experts; fit from {problem.fit_source}; objective {mode}.")
    print(f"Solved exactly ({result.solver}, zero optimality gap) in {result.seconds:.2f} s: total fit "
          f"{result.total_fit:.2f}, worst-served application {result.worst_fit:.2f}"
          + (f", {round(obj['pairs kept from the earlier stage'])} earlier-stage pairs kept"
             if "pairs kept from the earlier stage" in obj else "") + ".")
    for note in problem.notes:
        print(f"Note: {note}")
    for r in released:
        print(f"Released: {r}")
    print("\nExperts (load within [min, max], mean fit):")
    w = max(len(e["expert_id"]) for e in experts) if experts else 4
    for e in experts:
        print(f"  {e['expert_id']:<{w}}  {e['load']:>4}  [{e['min_load']}, {e['max_load']}]  "
              f"{e['mean_fit']:.2f}")
    shown = apps
    if len(apps) > 50:
        shown = sorted(apps, key=lambda r: (r["fit"], r["application_id"]))[:20]
        print(f"\nThe 20 worst-served of {len(apps)} applications (experts with fit; fit / best possible; why):")
    else:
        print("\nApplications (experts with fit; fit / best possible; why):")
    w = max(len(a["application_id"]) for a in apps) if apps else 4
    for a in shown:
        who = ", ".join(f"{e} {f:.2f}" for e, f in zip(a["experts"], a["fits"], strict=True))
        print(f"  {a['application_id']:<{w}}  {who}  ({a['fit']:.2f} / {a['best_fit']:.2f})  {a['why']}")
