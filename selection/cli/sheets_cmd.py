"""``selection sheets CALL_DIR [--stage N] --out DIR``: one personal score workbook per expert."""

from __future__ import annotations

import os
import sys
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser(
        "sheets", help="write one personal .xlsx score sheet per expert",
        description="Write one Excel workbook per expert for a stage: instructions (criteria, "
                    "scoring guides, scale, abstention), a Scores sheet with the expert's assigned "
                    "applications (assignments.csv, else all), drop-down validation on every score "
                    "cell, locked labels, conflict-of-interest cells marked and locked, and hidden "
                    "metadata checked by 'selection import'.")
    p.add_argument("call_dir", type=Path, help="the call folder (holding call.toml)")
    p.add_argument("--stage", type=int, default=1, help="stage number (default 1)")
    p.add_argument("--out", type=Path, required=True, help="folder to write the workbooks into")
    p.add_argument("--expert", action="append", metavar="ID",
                   help="only this expert (repeatable; default every expert)")
    p.add_argument("--applications", metavar="ID,ID,...",
                   help="list exactly these applications on every sheet (e.g. the stage-1 "
                        "selection for stage 2), instead of the assignments")
    p.add_argument("--force", action="store_true", help="overwrite existing workbooks in --out")
    p.set_defaults(func=run)


def run(args) -> int:
    from selection.errors import InputError, Problem
    from selection.io.scores import score_folder
    from selection.io.store import call_context
    from selection.io.workbook import KEY_FILE, ensure_sheet_key, sheet_file_name, workbook_bytes

    call, ctx = call_context(args.call_dir, args.stage)
    problems = []
    experts = list(ctx.experts.values())
    if args.expert:
        unknown = [e for e in args.expert if e not in ctx.experts]
        problems += [Problem(f"unknown expert {e!r}", key="--expert",
                             hint=f"use one of {', '.join(ctx.experts)}") for e in unknown]
        experts = [ctx.experts[e] for e in dict.fromkeys(args.expert) if e in ctx.experts]
    chosen = None
    if args.applications:
        chosen = [a.strip() for a in args.applications.split(",") if a.strip()]
        problems += [Problem(f"unknown application {a!r}", key="--applications",
                             hint="use ids from applications.csv") for a in chosen
                     if a not in ctx.applications]
    out = Path(args.out)
    scores_root = (Path(args.call_dir) / call.scores).resolve()
    if out.resolve() == scores_root or out.resolve().is_relative_to(scores_root):
        problems.append(Problem(
            "--out is inside the call's score folder, where blank sheets would be read as returned "
            "scores", key="--out", file=str(out),
            hint=f"write the sheets elsewhere (e.g. --out {Path(args.call_dir) / 'sheets-out'}); "
                 f"returned sheets go in with 'selection import', not by hand into "
                 f"{score_folder(Path(args.call_dir), call.scores, args.stage)}"))
    if out.exists() and not out.is_dir():
        problems.append(Problem("--out names a file, not a folder", key="--out", file=str(out),
                                hint="give a folder (it is made if missing)"))
    plan = []
    skipped = []
    for e in experts:
        if chosen is not None:
            ids, source = [a for a in chosen if a in ctx.applications], "chosen"
        elif ctx.assignments is not None:
            mine = ctx.assignments.get(e.id, frozenset())
            ids, source = [a for a in ctx.applications if a in mine], "assignments"
        else:
            ids, source = list(ctx.applications), "all"
        if not ids:
            skipped.append(e.id)
            continue
        target = out / sheet_file_name(call.id, args.stage, e.id)
        if target.exists() and not args.force:
            problems.append(Problem("the workbook exists already", file=str(target),
                                    hint="choose another --out folder or add --force"))
        plan.append((e, ids, target, source))
    if problems:
        raise InputError(problems)
    new_key = not (Path(args.call_dir) / KEY_FILE).exists()
    key = ensure_sheet_key(args.call_dir)
    out.mkdir(parents=True, exist_ok=True)
    from selection.io.export import partial_folder, sweep_partial_folders

    for folder, removed in sweep_partial_folders(out):  # staging folders of killed runs, as for run folders
        print(f"note: removed {folder}, the temporary folder of an interrupted run" if removed else
              f"note: {folder} is the temporary folder of a run on another computer that did not finish; "
              "delete it if that run is not going on", file=sys.stderr)
    tmp = partial_folder(out, "sheets")  # swept by the next run if this process is killed
    try:  # write everything first, then move into place: nothing half-written
        staged = []
        for e, ids, target, source in plan:
            data = workbook_bytes(call, ctx.catalogue, e, [ctx.applications[a] for a in ids],
                                  stage=args.stage, key=key, source=source)
            (tmp / target.name).write_bytes(data)
            staged.append((tmp / target.name, target, e, ids))
        for src, target, _, _ in staged:
            os.replace(src, target)
    finally:
        for p in tmp.iterdir():
            p.unlink()
        tmp.rmdir()
    import hashlib
    from datetime import UTC, datetime

    from selection.io.sheetlog import SHEET_LOG, SheetSent, append_sheet_log

    made = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    append_sheet_log(args.call_dir, [
        SheetSent(args.stage, e.id, target.name, hashlib.sha256(target.read_bytes()).hexdigest(), len(ids), made,
                  source) for (e, ids, target, source) in plan])
    print(f"{call.name}: stage {args.stage}, {len(plan)} score sheet(s) in {out} (recorded in "
          f"{Path(args.call_dir) / SHEET_LOG})")
    for _, target, e, ids in staged:
        n_conf = sum(1 for a in ids if a in e.conflicts)
        print(f"  {target.name}: {e.id} {e.name}, {len(ids)} application(s)"
              + (f", {n_conf} with a declared conflict of interest (locked)" if n_conf else ""))
    if skipped:
        print(f"No applications assigned, no sheet: {', '.join(skipped)}")
    st = call.stage(args.stage)
    if st.window is not None or st.scores_due is not None:  # the dates the sheets show (docs/decisions.md)
        from selection.model import format_date

        print("The sheets show: " + "; ".join(
            ([f"period {st.window.describe()}"] if st.window is not None else [])
            + ([f"scores due {format_date(st.scores_due)}"] if st.scores_due is not None else [])))
    else:
        print("No deadline on the sheets: give the stage scores_due = YYYY-MM-DD in the call file to show one")
    if new_key:
        print(f"Made the call's secret sheet key {Path(args.call_dir) / KEY_FILE} (mode 0600): the "
              f"returned sheets can be imported only with it. Keep it, back it up with the call "
              f"folder, and never send it or put it under version control.")
    return 0
