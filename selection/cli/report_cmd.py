"""``selection report RUN_DIR [--scenarios DIR] [--sensitivity DIR] [--lang en|da]``."""

from __future__ import annotations

from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("report", help="write report.html and report.xlsx into a run folder",
                       description="Build the decision report (a self-contained HTML file and an Excel "
                                   "workbook) from a run folder and, when found, the newest scenarios and "
                                   "sensitivity folders beside it made from the same inputs (same input-file "
                                   "hashes and scenario); a newer folder made from other inputs is left out "
                                   "with a notice. Writes only RUN_DIR/report.html and RUN_DIR/report.xlsx "
                                   "(--lang da: RUN_DIR/report.da.html and RUN_DIR/report.da.xlsx).")
    p.add_argument("run_dir", type=Path, help="a run folder written by `selection run`")
    p.add_argument("--scenarios", type=Path,
                   help="a `selection scenarios` folder (default: the newest matching one beside RUN_DIR); "
                        "refused if made from other inputs than the run")
    p.add_argument("--sensitivity", type=Path,
                   help="a `selection sensitivity` folder (default: the newest matching one beside RUN_DIR); "
                        "refused if made from other inputs or another scenario than the run")
    p.add_argument("--lang", choices=["en", "da"], default="en", help="report language (default en)")
    p.set_defaults(func=run)


def run(args) -> int:
    from selection.report import load_report_inputs
    from selection.report.build import write_report
    from selection.report.words import mismatch_text

    inp = load_report_inputs(args.run_dir, scenarios=args.scenarios, sensitivity=args.sensitivity)
    for kind, b in (("scenarios", inp.scenarios), ("sensitivity", inp.sensitivity)):
        left = [m for m in inp.left_out if m.kind == kind]
        if b is not None:
            print(f"{kind}: {b.path}")
        elif left:
            print(f"{kind}: left out. {mismatch_text(left[0], 'en')}")
        else:
            print(f"{kind}: none found (that section says so)")
    for path in write_report(args.run_dir, lang=args.lang, inputs=inp):
        print(f"wrote {path}")
    return 0
