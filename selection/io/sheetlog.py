"""The call's record of the score sheets it sent: ``CALL_DIR/sheets-sent.csv``.

``selection sheets`` adds one row per workbook it writes (stage, expert, file name, SHA-256, the
number of applications on it, when, and where the list came from), so that the secretariat and
its workbench (``selection serve``) can see which experts have a sheet, which have returned it
and what is still missing. The engine never reads this file as input to a selection; a damaged
or hand-edited record is reported, never trusted for anything but that overview.
"""

from __future__ import annotations

import csv
import io
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from selection.io.export import current_umask

__all__ = ["SHEET_LOG", "SHEET_LOG_COLUMNS", "SheetSent", "append_sheet_log", "read_sheet_log"]

SHEET_LOG = "sheets-sent.csv"
SHEET_LOG_COLUMNS = ["stage", "expert_id", "file", "sha256", "applications", "made_utc", "source"]


@dataclass(frozen=True)
class SheetSent:
    """One score workbook written for an expert."""

    stage: int
    expert_id: str
    file: str
    sha256: str
    applications: int
    made_utc: str
    source: str


def read_sheet_log(root: Path | str) -> list[SheetSent]:
    """The rows of the call's sheet record (none if there is no record; unreadable rows are skipped)."""
    path = Path(root) / SHEET_LOG
    if not path.is_file():
        return []
    rows = []
    with path.open(encoding="utf-8", newline="") as fh:
        for r in csv.DictReader(fh):
            try:
                rows.append(SheetSent(int(r["stage"]), r["expert_id"], r["file"], r["sha256"],
                                      int(r["applications"]), r["made_utc"], r.get("source", "")))
            except (KeyError, TypeError, ValueError):
                continue
    return rows


def append_sheet_log(root: Path | str, entries: list[SheetSent]) -> Path:
    """Add ``entries`` to the call's record, replacing the file atomically (never half-written)."""
    root = Path(root)
    rows = [*read_sheet_log(root), *entries]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(SHEET_LOG_COLUMNS)
    for e in rows:
        w.writerow([e.stage, e.expert_id, e.file, e.sha256, e.applications, e.made_utc, e.source])
    fd, tmp = tempfile.mkstemp(prefix=f".{SHEET_LOG}.", dir=root)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write(buf.getvalue())
        os.chmod(tmp, 0o666 & ~current_umask())
        os.replace(tmp, root / SHEET_LOG)
    finally:
        Path(tmp).unlink(missing_ok=True)
    return root / SHEET_LOG
