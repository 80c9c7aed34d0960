"""``selection report RUN_DIR [--scenarios DIR] [--sensitivity DIR] [--lang en|da]``."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("report", help="write report.html and report.xlsx into a run folder",
                       description="Build the decision report (a self-contained HTML file and an Excel "
                                   "workbook) from a run folder and, when found, the newest scenarios and "
                                   "sensitivity folders of the same call beside it. Writes only "
                                   "RUN_DIR/report.html and RUN_DIR/report.xlsx.")
    p.add_argument("run_dir", type=Path, help="a run folder written by `selection run`")
    p.add_argument("--scenarios", type=Path, help="a `selection scenarios` folder (default: the newest beside RUN_DIR)")
    p.add_argument("--sensitivity", type=Path,
                   help="a `selection sensitivity` folder (default: the newest beside RUN_DIR)")
    p.add_argument("--lang", choices=["en", "da"], default="en", help="report language (default en)")
    p.set_defaults(func=run)


def run(args) -> int:
    from selection.report import load_report_inputs
    from selection.report.build import write_report

    inp = load_report_inputs(args.run_dir, scenarios=args.scenarios, sensitivity=args.sensitivity)
    for kind, b in (("scenarios", inp.scenarios), ("sensitivity", inp.sensitivity)):
        print(f"{kind}: {b.path}" if b is not None else f"{kind}: none found (that section says so)")
    for path in write_report(args.run_dir, scenarios=args.scenarios, sensitivity=args.sensitivity, lang=args.lang):
        print(f"wrote {path}")
    return 0
