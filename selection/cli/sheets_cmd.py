"""``selection sheets CALL_DIR [--stage N] --out DIR``: one personal score workbook per expert."""

from __future__ import annotations

import os
import tempfile
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
    from selection.io.store import call_context
    from selection.io.workbook import sheet_file_name, workbook_bytes

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
    plan = []
    skipped = []
    for e in experts:
        if chosen is not None:
            ids = [a for a in chosen if a in ctx.applications]
        elif ctx.assignments is not None:
            mine = ctx.assignments.get(e.id, frozenset())
            ids = [a for a in ctx.applications if a in mine]
        else:
            ids = list(ctx.applications)
        if not ids:
            skipped.append(e.id)
            continue
        target = out / sheet_file_name(call.id, args.stage, e.id)
        if target.exists() and not args.force:
            problems.append(Problem("the workbook exists already", file=str(target),
                                    hint="choose another --out folder or add --force"))
        plan.append((e, ids, target))
    if problems:
        raise InputError(problems)
    out.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".sheets.", dir=out))
    try:  # write everything first, then move into place: nothing half-written
        staged = []
        for e, ids, target in plan:
            data = workbook_bytes(call, ctx.catalogue, e, [ctx.applications[a] for a in ids],
                                  stage=args.stage)
            (tmp / target.name).write_bytes(data)
            staged.append((tmp / target.name, target, e, ids))
        for src, target, _, _ in staged:
            os.replace(src, target)
    finally:
        for p in tmp.iterdir():
            p.unlink()
        tmp.rmdir()
    print(f"{call.name}: stage {args.stage}, {len(plan)} score sheet(s) in {out}")
    for _, target, e, ids in staged:
        n_conf = sum(1 for a in ids if a in e.conflicts)
        print(f"  {target.name}: {e.id} {e.name}, {len(ids)} application(s)"
              + (f", {n_conf} with a declared conflict of interest (locked)" if n_conf else ""))
    if skipped:
        print(f"No applications assigned, no sheet: {', '.join(skipped)}")
    return 0
