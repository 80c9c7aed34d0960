"""Reports for the decision-makers: one self-contained ``report.html`` and a ``report.xlsx``
workbook, written into a run folder and built only from run folders (``docs/report.md``):
``write_report(run_dir, lang="da")`` or ``selection report RUN_DIR --lang da``.
"""

from selection.report.build import REPORT_FILES, build_report, write_report
from selection.report.bundle import (
           ReportInputs,
           RunBundle,
           engine_layout,
           find_sibling,
           load_bundle,
           load_report_inputs,
)

__all__ = ["REPORT_FILES", "ReportInputs", "RunBundle", "build_report", "engine_layout", "find_sibling",
           "load_bundle",
           "load_report_inputs", "write_report"]
