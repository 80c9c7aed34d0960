"""``selection validate CALL_DIR``: check every input file and list every problem; then check that
the baseline and every scenario have a feasible selection."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("validate", help="check a call folder and list every problem",
                       description="Check the call file, catalogues, applications, experts, assignments, "
                                   "score files and scenarios, and rank every stage of the baseline and of "
                                   "every scenario; list every problem with file, row and column or key. "
                                   "Then solve the baseline and every scenario (nothing is written) and say "
                                   "which have no feasible selection (exit code 2).")
    p.add_argument("call_dir", type=Path, help="the call folder (holding call.toml)")
    p.add_argument("--no-solve", action="store_true", help="only check the files, do not solve")
    p.set_defaults(func=run)


def print_warnings(folder) -> None:
    """Print a call folder's warnings (e.g. a column that is not read) to stderr, and how many
    scores outside the assignment are counted; neither stops the command."""
    import sys

    from selection.errors import MAX_LINE, SHOWN_PER_KIND

    for w in folder.warnings[:SHOWN_PER_KIND]:
        print(f"Warning (not an error): {str(w)[:MAX_LINE]}", file=sys.stderr)
    if len(folder.warnings) > SHOWN_PER_KIND:
        print(f"Warning (not an error): … and {len(folder.warnings) - SHOWN_PER_KIND:,} more", file=sys.stderr)
    for n, table in sorted(folder.outside_assignment.items()):
        if len(table):
            print(f"Note: stage {n}: {int(table['n_scores'].sum())} score(s) by experts outside their "
                  f"assignment are counted (scores_outside_assignment = \"count\"); 'selection panel' "
                  "lists them in outside-assignment.csv", file=sys.stderr)


def print_board_warnings(result) -> None:
    """Print the gaps in the board's record of each stage (a recommended application without a
    row in the decision file, a deviation without a reason) to stderr; they do not stop the
    command (selection.board)."""
    import sys

    from selection.errors import MAX_LINE

    for n, sr in sorted(result.stages.items()):
        for w in getattr(sr, "board_warnings", ()):
            print(f"Warning (not an error): the board's record of stage {n}: {str(w)[:MAX_LINE]}", file=sys.stderr)


def _assignment_problems(folder) -> list:
    """The assignments in force against the rules 'selection assign' keeps (conflicts, the call's
    organisation/municipality rule, enough experts per application in a first stage)."""
    from selection.assign.check import assignment_problems
    from selection.errors import Problem
    from selection.io.tables import assignments_for_stage

    call = folder.call
    if folder.assignments is None or not call.assignments:
        return []
    path = folder.root / call.assignments
    out = []
    for st in call.stages:
        mine = assignments_for_stage(path, set(folder.experts), set(folder.applications), st.number,
                                     st.from_stage is not None)
        if not mine:
            continue
        need = None if st.from_stage is not None else st.min_experts
        out += [Problem(msg, file=call.assignments, hint=hint) for msg, hint in assignment_problems(
            mine, folder.applications, folder.experts, call.assignment, stage=st.number, min_experts=need)]
    return out


def run(args) -> int:
    from selection.errors import InfeasibleError, InputError, Problem
    from selection.pipeline import load_call_folder, ranking_problems, run_call, with_scenario

    # a call is checked before any score exists too: stages without score files wait
    folder = load_call_folder(args.call_dir, before_scores=True)
    problems = []
    scen_dir = Path(args.call_dir) / "scenarios"
    names = sorted(p.stem for p in scen_dir.glob("*.toml")) if scen_dir.is_dir() else []
    folders = {"baseline": folder}
    for name in names:
        try:
            folders[name] = with_scenario(folder, name, before_scores=True)
        except InputError as exc:
            problems += exc.problems
    for f in folders.values():  # what ranking would refuse, and forced decisions for unknown ids
        problems += ranking_problems(f)
    problems += _assignment_problems(folder)
    if problems:
        raise InputError(list(dict.fromkeys(problems)))
    n_scores = {n: int(e["score"].notna().sum()) for n, e in folder.evaluations.items()}
    print(f"OK: {folder.call.name}: {len(folder.applications)} applications, {len(folder.experts)} experts, "
          + (", ".join(f"{k} scores in stage {n}" for n, k in n_scores.items()) or "no scores yet")
          + (f", {len(names)} scenario(s): {', '.join(names)}" if names else ""))
    for note in folder.pending:
        print(f"Note: {note}")
    print_warnings(folder)
    if args.no_solve:
        return 0
    if not folder.evaluations:
        print("Nothing to solve yet: no stage has scores (make assignments with 'selection assign' "
              "and send sheets with 'selection sheets').")
        return 0
    infeasible = []
    for name, f in folders.items():
        try:
            result = run_call(f)
            if name == "baseline":
                print_board_warnings(result)
        except InfeasibleError as exc:
            infeasible += [Problem(f"{name}: {p.message}", file=p.file, key=p.key, hint=p.hint)
                           for p in exc.problems]
    if infeasible:
        raise InfeasibleError(infeasible)
    print(f"Feasible: the baseline{' and every scenario' if names else ''} "
          f"{'have' if names else 'has'} a selection that keeps every rule.")
    return 0
