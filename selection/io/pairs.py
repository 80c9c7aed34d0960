"""Files of (expert, application) pairs for ``selection assign``: forced pairs, an affinity
matrix, an earlier stage's selection, and writing a new assignments file.

``force.csv``
    expert_id, application_id, assign (yes/no, true/false, 1/0), optional reason
``affinity.csv``
    expert_id, application_id, fit (a number; a higher number is a better fit; pairs not listed
    have fit 0). ``affinity`` or ``score`` are accepted as the name of the number column.
selection file
    application_id, selected (true/false) as ``selection-stage<N>.csv`` of a run folder, or a
    list with only an application_id column (every row selected)

An assignments file is written as ``expert_id,application_id`` (plus ``stage`` when it holds
more than one stage's rows), sorted, UTF-8, to a new file only: an existing file is never replaced.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Iterable, Sequence
from pathlib import Path

from selection.errors import ApplicationError, InputError, Problem
from selection.io.csvfile import CsvTable, parse_bool, parse_number, read_csv

__all__ = ["read_force_file", "read_affinity", "read_selected", "write_assignments", "read_assignment_rows"]


def _table(path: Path | str) -> CsvTable:
    try:
        return read_csv(Path(path))
    except InputError as exc:
        raise ApplicationError(exc.problems) from None


def _need(table: CsvTable, cols: Sequence[str]) -> None:
    missing = [c for c in cols if c not in table.header]
    if missing:
        raise ApplicationError(Problem(f"missing column(s) {', '.join(missing)}; found {', '.join(table.header)}",
                                       file=table.name, row=1, hint=f"use the columns {', '.join(cols)}"))


def _check_ids(table: CsvTable, row, experts: set[str], apps: set[str], problems: list[Problem]) -> bool:
    ok = True
    e, a = row.values.get("expert_id", ""), row.values.get("application_id", "")
    if e not in experts:
        problems.append(Problem(f"unknown expert {e!r}", file=table.name, row=row.line, column="expert_id",
                                hint="use an expert_id of experts.csv"))
        ok = False
    if a not in apps:
        problems.append(Problem(f"unknown application {a!r}", file=table.name, row=row.line,
                                column="application_id", hint="use an application_id of applications.csv"))
        ok = False
    return ok


def read_force_file(path: Path | str, experts: set[str], apps: set[str]) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """The secretariat's forced pairs: ``(forced in, forced out)`` lists of (expert, application)."""
    table = _table(path)
    _need(table, ["expert_id", "application_id", "assign"])
    problems: list[Problem] = []
    fin: list[tuple[str, str]] = []
    fout: list[tuple[str, str]] = []
    for row in table.rows:
        ok = _check_ids(table, row, experts, apps, problems)
        flag = parse_bool(row.values.get("assign", ""))
        if flag is None:
            problems.append(Problem(f"assign {row.values.get('assign', '')!r} is not yes or no", file=table.name,
                                    row=row.line, column="assign", hint="write yes (force in) or no (force out)"))
            continue
        if ok:
            (fin if flag else fout).append((row.values["expert_id"], row.values["application_id"]))
    both = set(fin) & set(fout)
    for e, a in sorted(both):
        problems.append(Problem(f"{e} - {a} is forced both in and out", file=table.name, hint="keep one row"))
    if problems:
        raise ApplicationError(problems)
    return fin, fout


def read_affinity(path: Path | str, experts: Sequence[str], apps: Sequence[str]) -> list[list[float]]:
    """An affinity matrix (experts x applications, pairs not listed are 0) from a long CSV."""
    table = _table(path)
    col = next((c for c in ("fit", "affinity", "score") if c in table.header), "fit")
    _need(table, ["expert_id", "application_id", col])
    ei, aj = {e: i for i, e in enumerate(experts)}, {a: j for j, a in enumerate(apps)}
    out = [[0.0] * len(apps) for _ in experts]
    problems: list[Problem] = []
    seen: dict[tuple[str, str], int] = {}
    for row in table.rows:
        e, a = row.values.get("expert_id", ""), row.values.get("application_id", "")
        if e not in ei:
            problems.append(Problem(f"unknown expert {e!r}", file=table.name, row=row.line, column="expert_id"))
            continue
        if a not in aj:
            continue  # an application not in this stage (e.g. not selected in stage 1): ignored
        v = parse_number(row.values.get(col, ""))
        if v is None or not math.isfinite(v):
            problems.append(Problem(f"{col} {row.values.get(col, '')!r} is not a number", file=table.name,
                                    row=row.line, column=col, hint="write a number, e.g. 0.75"))
            continue
        if (e, a) in seen:
            problems.append(Problem(f"{e} - {a} also on row {seen[(e, a)]}", file=table.name, row=row.line,
                                    hint="list each pair once"))
        seen.setdefault((e, a), row.line)
        out[ei[e]][aj[a]] = float(v)
    if problems:
        raise ApplicationError(problems)
    return out


def read_selected(path: Path | str, apps: set[str]) -> list[str]:
    """The application ids an earlier stage selected (a run folder's ``selection-stage<N>.csv``)."""
    table = _table(path)
    _need(table, ["application_id"])
    problems: list[Problem] = []
    out = []
    for row in table.rows:
        a = row.values["application_id"]
        if a not in apps:
            problems.append(Problem(f"unknown application {a!r}", file=table.name, row=row.line,
                                    column="application_id"))
            continue
        if "selected" in table.header:
            flag = parse_bool(row.values.get("selected", ""))
            if flag is None:
                problems.append(Problem(f"selected {row.values.get('selected', '')!r} is not true or false",
                                        file=table.name, row=row.line, column="selected"))
                continue
            if not flag:
                continue
        out.append(a)
    if problems:
        raise ApplicationError(problems)
    if not out:
        raise ApplicationError(Problem("no selected application", file=table.name,
                                       hint="give the earlier stage's selection file of a run folder"))
    return sorted(set(out))


def read_assignment_rows(path: Path | str) -> list[tuple[str, str, int | None]]:
    """Every row of an assignments file as ``(expert_id, application_id, stage or None)`` (checked
    by :func:`selection.io.tables.read_assignments` first)."""
    table = _table(path)
    _need(table, ["expert_id", "application_id"])
    has_stage = "stage" in table.header
    return [(r.values["expert_id"], r.values["application_id"],
             int(r.values["stage"]) if has_stage else None) for r in table.rows]


def write_assignments(path: Path | str, rows: Iterable[tuple[str, str, int | None]], *,
                      stage_column: bool | None = None) -> Path:
    """Write a new assignments file atomically; refuse to replace an existing file.

    ``rows``: ``(expert_id, application_id, stage)``; the ``stage`` column is written when
    ``stage_column`` says so (default: when the rows hold more than one stage).
    """
    target = Path(path)
    if target.exists():
        raise InputError(Problem(f"{target} exists already; an assignments file is never overwritten",
                                 hint="give another --out name or move the old file"))
    rows = sorted(set(rows), key=lambda r: (r[2] or 0, r[0], r[1]))
    stages = {s for _, _, s in rows}
    staged = len(stages) > 1 if stage_column is None else stage_column
    lines = ["expert_id,application_id,stage" if staged else "expert_id,application_id"]
    lines += [f"{e},{a},{s}" if staged else f"{e},{a}" for e, a, s in rows]
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".assign-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as fh:
            fh.write("\n".join(lines) + "\n")
        os.link(tmp, target)  # fails if the target appeared meanwhile: never replaces a file
    except FileExistsError:
        raise InputError(Problem(f"{target} exists already; an assignments file is never overwritten",
                                 hint="give another --out name")) from None
    finally:
        os.unlink(tmp)
    return target
