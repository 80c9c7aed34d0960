"""``selection import CALL_DIR FILES... [--stage N] [--dry-run]``: validate returned score files and
store them (see :mod:`selection.io.store`)."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "import", help="validate returned score files and add them to the call's score store",
        description="Validate the given score files (personal .xlsx workbooks, long or wide CSV) "
                    "all-or-nothing and list every problem with file, sheet and cell. If all are "
                    "valid, copy them byte-identically into SCORES/stage<N>-imported/ and rewrite "
                    "SCORES/stage<N>-imported.csv (one row per score, with source file, SHA-256, "
                    "sheet and cell). A file with an expert's scores replaces exactly that expert's "
                    "earlier imported scores; re-importing a file changes nothing.")
    p.add_argument("call_dir", type=Path, help="the call folder (holding call.toml)")
    p.add_argument("files", type=Path, nargs="+", metavar="FILE", help="score files to import")
    p.add_argument("--stage", type=int, default=1, help="stage number (default 1)")
    p.add_argument("--dry-run", action="store_true",
                   help="validate and report, but write nothing")
    p.set_defaults(func=run)


def run(args) -> int:
    from selection.io.store import apply_import, call_context, plan_import

    call, ctx = call_context(args.call_dir, args.stage)
    plan = plan_import(args.call_dir, call.scores, args.stage, ctx, list(args.files))
    n = sum(c.n_scores for c in plan.changes)
    print(f"{len(args.files)} file(s) valid: {n} score(s) from {len(plan.changes)} expert(s) "
          f"for stage {args.stage} of {call.id}")
    for c in plan.changes:
        print(f"  {c.describe()}")
    for note in plan.notes:
        print(f"Note: {note}")
    store = plan.store.relative_to(Path(args.call_dir)) if plan.store.is_relative_to(
        Path(args.call_dir)) else plan.store
    if args.dry_run:
        print("Dry run: nothing written.")
        return 0
    if not plan.changed:
        print(f"Nothing to change: {store} already holds these scores.")
        return 0
    apply_import(plan)
    print(f"Stored: {store} now holds {len(plan.table)} score(s) "
          f"(originals copied to {store.parent / store.stem}/)")
    return 0
