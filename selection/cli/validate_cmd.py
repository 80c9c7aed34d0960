"""``selection validate CALL_DIR``: check every input file and list every problem."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("validate", help="check a call folder and list every problem",
                       description="Check the call file, catalogues, applications, experts, assignments, "
                                   "score files and scenarios; list every problem with file, row and column.")
    p.add_argument("call_dir", type=Path, help="the call folder (holding call.toml)")
    p.set_defaults(func=run)


def run(args) -> int:
    from selection.errors import InputError
    from selection.pipeline import load_call_folder

    folder = load_call_folder(args.call_dir)
    problems = []
    scen_dir = Path(args.call_dir) / "scenarios"
    names = sorted(p.stem for p in scen_dir.glob("*.toml")) if scen_dir.is_dir() else []
    for name in names:
        try:
            load_call_folder(args.call_dir, name)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    n_scores = {n: int(e["score"].notna().sum()) for n, e in folder.evaluations.items()}
    print(f"OK: {folder.call.name}: {len(folder.applications)} applications, {len(folder.experts)} experts, "
          + ", ".join(f"{k} scores in stage {n}" for n, k in n_scores.items())
          + (f", {len(names)} scenario(s): {', '.join(names)}" if names else ""))
    for note in folder.pending:
        print(f"Note: {note}")
    return 0
