"""Rewrite the golden reference files of the figure and report tests. Run it ONLY on purpose,
after checking by eye that the new pictures and report are right:

    .venv/bin/python scripts/update_golden.py

Writes ``tests/plot/golden/<figure>-<lang>.png`` and ``tests/report/golden/report-text-<lang>.txt``
and ``tests/report/golden/workbook-<lang>.json``. The tests never write these files.
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path[:0] = [str(ROOT / "tests" / "plot"), str(ROOT / "tests" / "report")]

import cases  # noqa: E402
import reporttext  # noqa: E402
import synthetic  # noqa: E402


def main() -> int:
    plot_dir, report_dir = ROOT / "tests" / "plot" / "golden", ROOT / "tests" / "report" / "golden"
    plot_dir.mkdir(parents=True, exist_ok=True)
    report_dir.mkdir(parents=True, exist_ok=True)
    for name, draw in cases.cases():
        for lang in cases.LANGS:
            path = plot_dir / f"{name}-{lang}.png"
            cases.save_png(draw(lang), path)
            print(f"wrote {path.relative_to(ROOT)}")
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
