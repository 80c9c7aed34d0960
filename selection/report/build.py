"""Build the report from run folders and write it atomically into the run folder."""

from __future__ import annotations

import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from selection.errors import InputError, Problem
from selection.report.bundle import ReportInputs, load_report_inputs
from selection.report.content import Para, Section, build_sections
from selection.report.html import render_html
from selection.report.words import mismatch_text, say
from selection.report.xlsx import render_xlsx
from selection.schema import REPORT_FILES, report_files

__all__ = ["REPORT_FILES", "report_files", "build_report", "write_report"]


def _meta(inp: ReportInputs, lang: str) -> list[tuple[str, str]]:
    m = inp.run.manifest
    p = m.get("parameters", {})
    call = p.get("call", {})
    rows = [(say("call_id", lang), str(m.get("call_id", ""))), (say("run", lang), inp.run.path.name),
            (say("created", lang), str(m.get("created_utc", ""))),
            (say("scenario_label", lang), str(m.get("scenario", ""))), (say("seed", lang), str(m.get("seed", ""))),
            (say("solver", lang), str(p.get("solver", "")))]
    if call.get("operator"):
        rows.insert(1, (say("operator", lang), call["operator"]))
    versions = m.get("versions", {})
    if versions:
        rows.append((say("versions", lang), ", ".join(f"{k} {v}" for k, v in sorted(versions.items()))))
    for kind, b in (("scenarios", inp.scenarios), ("sensitivity", inp.sensitivity)):
        left = [m for m in inp.left_out if m.kind == kind]
        rows.append((say(f"{kind}_run", lang), b.path.name if b is not None else
                     f"— ({mismatch_text(left[0], lang)})" if left else "—"))
    return rows


def _notes(inp: ReportInputs, lang: str) -> list[str]:
    """Which scenarios and sensitivity folders the report chose by itself (the newest matching
    sibling of the run), in ``lang``; a folder given explicitly needs no note."""
    return [say(f"picked_{kind}", lang, folder=b.path.name)
            for kind, b in (("scenarios", inp.scenarios), ("sensitivity", inp.sensitivity))
            if b is not None and kind in inp.picked]


def _say_left_out(sections: list[Section], inp: ReportInputs, lang: str) -> None:
    """In the scenarios/sensitivity section, say which folder was left out and why, instead of
    "none found" (a folder of the same call exists but was made from other inputs)."""
    for m in inp.left_out:
        absent = say(f"no_{m.kind}", lang)
        for sec in sections:
            if sec.id == m.kind:
                sec.blocks[:] = [Para(mismatch_text(m, lang), notice=True) if isinstance(b, Para) and b.text == absent
                                 else b for b in sec.blocks]


def _created(inp: ReportInputs) -> datetime:
    try:
        return datetime.strptime(str(inp.run.manifest.get("created_utc")), "%Y-%m-%dT%H:%M:%SZ")
    except ValueError:
        return datetime(2000, 1, 1, tzinfo=UTC).replace(tzinfo=None)


def build_report(inp: ReportInputs, *, lang: str = "en") -> tuple[str, bytes]:
    """The report's HTML text and workbook bytes (nothing written)."""
    if lang not in ("en", "da"):
        raise InputError(Problem(f"unknown report language {lang!r}", hint="use 'en' or 'da'"))
    sections = build_sections(inp, lang)
    _say_left_out(sections, inp, lang)
    meta = _meta(inp, lang)
    call = inp.run.manifest.get("parameters", {}).get("call", {})
    name = (call.get("name") if lang == "da" else call.get("name_en") or call.get("name")) or inp.run.call_id
    title = f"{say('report', lang)}: {name}"
    return (render_html(sections, meta, _notes(inp, lang), title=title, lang=lang),
            render_xlsx(sections, meta, created=_created(inp), lang=lang))


def write_report(run_dir: Path | str, *, scenarios: Path | str | None = None, sensitivity: Path | str | None = None,
                 lang: str = "en", inputs: ReportInputs | None = None) -> tuple[Path, ...]:
    """Write ``report.html`` and ``report.xlsx`` (in Danish ``report.da.html`` and
    ``report.da.xlsx``, see :func:`report_files`) into ``run_dir`` and return their paths.

    ``inputs`` are the folders already read by :func:`load_report_inputs` (read here if not given).
    Both are written to temporary files beside the targets and renamed only once both are
    complete, so a failure leaves the folder as it was; no other file is touched.
    """
    inp = inputs or load_report_inputs(run_dir, scenarios=scenarios, sensitivity=sensitivity)
    text, workbook = build_report(inp, lang=lang)
    run = inp.run.path
    names = report_files(lang)
    temps: list[Path] = []
    try:
        for name, data in zip(names, (text.encode("utf-8"), workbook), strict=True):
            fd, tmp_name = tempfile.mkstemp(prefix=f".{name}.", dir=run)
            temps.append(Path(tmp_name))
            with os.fdopen(fd, "wb") as fh:
                fh.write(data)
            os.chmod(tmp_name, 0o644)  # mkstemp makes it private; a report is an ordinary file
        for name, tmp in zip(names, temps, strict=True):
            os.replace(tmp, run / name)
    finally:
        for tmp in temps:
            tmp.unlink(missing_ok=True)
    return tuple(run / n for n in names)
