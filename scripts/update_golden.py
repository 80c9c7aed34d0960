"""Rewrite the golden reference files of the figure and report tests. Run it ONLY on purpose,
after checking by eye that the new pictures and report are right:

    .venv/bin/python scripts/update_golden.py            # everything
    .venv/bin/python scripts/update_golden.py --only report     # the report's text and workbook
    .venv/bin/python scripts/update_golden.py --only plots ranking budget-use   # named figures

Writes ``tests/plot/golden/<figure>-<lang>.png`` and ``tests/report/golden/report-text-<lang>.txt``
and ``tests/report/golden/workbook-<lang>.json``. The tests never write these files. Rewrite only
what your change deliberately changes (``--only``, figure names) and say so in the commit.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "plot"), str(ROOT / "tests" / "report")]

import cases  # noqa: E402
import reporttext  # noqa: E402
import synthetic  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Rewrite golden files (on purpose only).")
    parser.add_argument("--only", choices=("plots", "report"), help="rewrite only the figures or only the report")
    parser.add_argument("figures", nargs="*", help="with --only plots: the figures to rewrite (default all)")
    args = parser.parse_args(argv)
    known = [name for name, _ in cases.cases()]
    unknown = sorted(set(args.figures) - set(known))
    if unknown:
        parser.error(f"no figure case named {', '.join(unknown)}; the cases are {', '.join(known)}")
    plot_dir, report_dir = ROOT / "tests" / "plot" / "golden", ROOT / "tests" / "report" / "golden"
    plot_dir.mkdir(parents=True, exist_ok=True)
    report_dir.mkdir(parents=True, exist_ok=True)
    for name, draw in cases.cases() if args.only in (None, "plots") else ():
        if args.figures and name not in args.figures:
            continue
        for lang in cases.LANGS:
            path = plot_dir / f"{name}-{lang}.png"
            cases.save_png(draw(lang), path)
            print(f"wrote {path.relative_to(ROOT)}")
    if args.only == "plots":
        return 0
    from selection.report import build_report, load_report_inputs

    with tempfile.TemporaryDirectory() as tmp:
        run = synthetic.make_folders(Path(tmp))
        for lang in ("en", "da"):
            html, xlsx = build_report(load_report_inputs(run), lang=lang)
            for path, text in ((report_dir / f"report-text-{lang}.txt", reporttext.visible_text(html)),
                               (report_dir / f"workbook-{lang}.json", reporttext.workbook_json(xlsx))):
                path.write_text(text, encoding="utf-8")
                print(f"wrote {path.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
