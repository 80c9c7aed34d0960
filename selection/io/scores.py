"""Read expert score files (CSV, long or wide, and .xlsx workbooks) into the evaluation table,
validating every score.

Long CSV: ``expert_id, application_id, criterion_id, score, comment``.
Wide CSV: ``expert_id, application_id, <criterion id>..., comment`` (one row per expert x
application; optional ``comment_<criterion id>`` columns; a score's comment is its criterion's
comment and the general comment, joined by `` | ``).
Workbooks: the personal sheets made by :mod:`selection.io.workbook`, read by
:func:`selection.io.xlsx.read_score_workbook`.

A score may be written ``3.5`` or ``3,5``. An abstention is written ``abstain`` (or the Danish
``afstår``); an empty score cell is an error. All problems in all files are reported at once.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from selection import evaluation as ev
from selection.errors import InputError, Problem, ScoreSheetError
from selection.io.csvfile import (
    CsvRow,
    CsvTable,
    column_letter,
    decode_bytes,
    gc_paused,
    parse_csv_records,
    parse_number,
)
from selection.model import Application, CriteriaCatalogue, Expert

__all__ = ["ABSTAIN_WORDS", "ScoreContext", "read_score_csv", "read_score_file", "read_score_files",
           "score_folder", "cell_name", "sha256_file", "outside_assignment", "score_cell", "combine_scores", "SCORE_SUFFIXES"]

#: File types a score file may have.
SCORE_SUFFIXES = (".csv", ".xlsx")

ABSTAIN_WORDS = frozenset({"abstain", "afstår", "afstaar", "abstention"})


def cell_name(column_index: int, row: int) -> str:
    """Spreadsheet cell name of a 0-based column and 1-based row: ``cell_name(3, 7) == 'D7'``."""
    name, n = "", column_index + 1
    while n:
        n, r = divmod(n - 1, 26)
        name = chr(65 + r) + name
    return f"{name}{row}"


def sha256_file(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


@dataclass(frozen=True)
class ScoreContext:
    """What a score file is checked against.

    ``call_id`` and ``stage`` (when set) must match a workbook's hidden metadata; ``stage``
    defaults to the catalogue's stage.
    """

    catalogue: CriteriaCatalogue
    applications: dict[str, Application]
    experts: dict[str, Expert]
    assignments: dict[str, frozenset[str]] | None = None
    call_id: str | None = None
    stage: int | None = None
    #: Whether a score outside ``assignments`` is counted (the call's ``scores_outside_assignment
    #: = "count"``) instead of refused; and the assignments file's name, for messages.
    count_outside_assignment: bool = False
    assignments_file: str = "assignments.csv"
    #: The call's secret sheet key (``.selection-key``); a workbook's metadata must carry its MAC.
    sheet_key: bytes | None = None

    def criterion_label(self, cid: str) -> str:
        return self.catalogue.criterion(cid).label

    def parse_score(self, text: str, cid: str) -> tuple[float | None, bool, str | None]:
        """:func:`score_cell` of one cell's text (what :mod:`selection.io.xlsx` calls)."""
        return score_cell(text, cid, self)


def score_cell(text: str, cid: str, ctx: ScoreContext) -> tuple[float | None, bool, str | None]:
    """Parse one score cell -> (score, abstained, problem message).

    >>> from selection.model import CriteriaCatalogue, _EXAMPLE
    >>> ctx = ScoreContext(CriteriaCatalogue.model_validate(_EXAMPLE), {}, {})
    >>> score_cell("3,5", "a", ctx), score_cell("Afstår", "a", ctx)
    ((3.5, False, None), (None, True, None))
    >>> score_cell("7", "a", ctx)[2]
    '7 is outside the scale 0–5 of criterion "A"'
    """
    crit = ctx.catalogue.criterion(cid)
    s = text.strip()
    if s.lower() in ABSTAIN_WORDS:
        return None, True, None
    if s == "":
        return None, False, (
            f"missing score for criterion \"{crit.label}\" (write 'abstain' to abstain)"
        )
    x = parse_number(s)
    if x is None:
        return None, False, f"{s!r} is not a number (criterion \"{crit.label}\")"
    if not (crit.scale.min - 1e-9 <= x <= crit.scale.max + 1e-9):
        return None, False, (
            f"{s} is outside the scale {crit.scale.min:g}–{crit.scale.max:g} of criterion \"{crit.label}\""
        )
    if not crit.scale.contains(x):
        return None, False, (
            f"{s} is not on the step grid of criterion \"{crit.label}\" ({crit.scale})"
        )
    return x, False, None


def _score_hint(cid: str, ctx: ScoreContext) -> str:
    return (f"use a value on the scale {ctx.catalogue.criterion(cid).scale}, or 'afstår' / "
            "'abstain' to abstain")


@gc_paused()
def read_score_csv(path: Path, ctx: ScoreContext, display_name: str | None = None
                   ) -> tuple[pd.DataFrame, list[Problem]]:
    """Read one long or wide score CSV. Returns (rows, problems); nothing is raised for bad data."""
    path = Path(path)
    name = display_name or str(path)
    raw = path.read_bytes()
    digest = hashlib.sha256(raw).hexdigest()
    try:
        text, _enc = decode_bytes(raw, name)
        sep, header, header_line, records = parse_csv_records(text, name=name)
    except InputError as exc:
        return ev.empty_evaluation(), exc.problems
    crit_ids = ctx.catalogue.criterion_ids
    columns = [ev.EXPERT, ev.APPLICATION, ev.CRITERION, ev.SCORE, ev.ABSTAINED, ev.COMMENT, ev.CELL]
    if {"criterion_id", "score"} <= set(header):
        fast = None if _reference_only else _read_long_clean(header, records, ctx)
        problems: list[Problem]
        if fast is not None:
            frame, problems = pd.DataFrame(dict(zip(columns, fast, strict=True))), []
        else:  # a row with a problem: the row-by-row reader words every problem, in file order
            rows, problems = _read_long(_csv_table(name, sep, header, header_line, records), ctx)
            frame = pd.DataFrame(rows, columns=columns)
    elif any(c in header for c in crit_ids):
        rows, problems = _read_wide(_csv_table(name, sep, header, header_line, records), ctx)
        frame = pd.DataFrame(rows, columns=columns)
    else:
        return ev.empty_evaluation(), [Problem(
            f"unrecognised header {', '.join(header)}", file=name, row=header_line,
            hint="use a long layout (expert_id, application_id, criterion_id, score, comment) or a "
                 f"wide one (expert_id, application_id, {', '.join(crit_ids)}, comment)")]
    frame[ev.SOURCE_FILE] = name
    frame[ev.SOURCE_SHA256] = digest
    frame[ev.SHEET] = ""
    if frame.empty and not problems:
        problems.append(Problem("the file holds no scores", file=name,
                                hint="add one row per score (or per application) below the header"))
    return frame.reindex(columns=ev.COLUMNS), problems


#: Tests set this to read every long file row by row (the reference the fast path must equal).
_reference_only = False


def _csv_table(name: str, sep: str, header: list[str], header_line: int,
               records: list[tuple[int, list[str]]]) -> CsvTable:
    """The :class:`CsvTable` of parsed records (values stripped, short rows padded), exactly as
    :func:`~selection.io.csvfile.parse_csv_text` builds it."""
    width = len(header)
    rows = [CsvRow(line, dict(zip(header, map(str.strip, r + [""] * (width - len(r))), strict=True)))
            for line, r in records]
    return CsvTable(name=name, encoding="", separator=sep, header=header, rows=rows, header_line=header_line)


def _read_long_clean(header: list[str], records: list[tuple[int, list[str]]], ctx: ScoreContext
                     ) -> tuple[list, ...] | None:
    """The columns (expert, application, criterion, score, abstained, comment, cell) of a long
    score file in which every row is clean, or ``None`` if any row may have a problem (a missing
    column, a short row, an unknown id or criterion, a score :func:`score_cell` refuses): then
    :func:`_read_long` reads it row by row and words each problem.

    Column-wise instead of row by row: ids are checked as sets and each distinct (score text,
    criterion) pair is parsed once by :func:`score_cell`, so the result equals :func:`_read_long`'s
    (tested in ``tests/io/test_scale_read.py``).
    """
    col = {h: i for i, h in enumerate(header)}
    if not records or any(c not in col for c in ("expert_id", "application_id", "criterion_id", "score")):
        return None
    width = len(header)
    raw = [r for _, r in records]
    if any(len(r) != width for r in raw):
        return None
    columns = list(zip(*raw, strict=True))
    strip = str.strip
    e = list(map(strip, columns[col["expert_id"]]))
    a = list(map(strip, columns[col["application_id"]]))
    c = list(map(strip, columns[col["criterion_id"]]))
    if (not ctx.experts.keys() >= set(e) or not ctx.applications.keys() >= set(a)
            or not set(ctx.catalogue.criterion_ids) >= set(c)):
        return None
    pairs = list(zip(map(strip, columns[col["score"]]), c, strict=True))
    parsed = {p: score_cell(p[0], p[1], ctx) for p in set(pairs)}
    if any(msg for _, _, msg in parsed.values()):
        return None
    cells = [parsed[p] for p in pairs]
    score = [x[0] for x in cells]
    abstained = [x[1] for x in cells]
    comment = list(map(strip, columns[col["comment"]])) if "comment" in col else [""] * len(raw)
    letter = column_letter(col["score"])
    where = [f"{letter}{line}" for line, _ in records]
    return e, a, c, score, abstained, comment, where


def _check_ids(e: str, a: str, ctx: ScoreContext, name: str, cell: str) -> list[Problem]:
    out = []
    if e not in ctx.experts:
        out.append(Problem(f"unknown expert {e!r}", file=name, cell=cell,
                           hint="use an expert_id from experts.csv"))
    if a not in ctx.applications:
        out.append(Problem(f"unknown application {a!r}", file=name, cell=cell,
                           hint="use an application_id from applications.csv"))
    return out


def _read_long(table: CsvTable, ctx: ScoreContext) -> tuple[list, list[Problem]]:
    problems, rows = [], []
    missing = [c for c in ("expert_id", "application_id", "criterion_id", "score") if c not in table.header]
    if missing:
        return [], [Problem(f"missing column(s) {', '.join(missing)}", file=table.name, row=table.header_line,
                            hint="the long layout needs expert_id, application_id, criterion_id, "
                                 "score (and optionally comment)")]
    col = {h: i for i, h in enumerate(table.header)}
    for r in table.rows:
        v = r.values
        e, a, c = v["expert_id"], v["application_id"], v["criterion_id"]
        cell = cell_name(col["score"], r.line)
        problems += _check_ids(e, a, ctx, table.name, cell_name(0, r.line))
        if c not in ctx.catalogue.criterion_ids:
            problems.append(Problem(f"unknown criterion {c!r}", file=table.name,
                                    cell=cell_name(col["criterion_id"], r.line),
                                    hint=f"use one of {', '.join(ctx.catalogue.criterion_ids)}"))
            continue
        score, abstained, msg = score_cell(v["score"], c, ctx)
        if msg:
            problems.append(Problem(msg, file=table.name, cell=cell, hint=_score_hint(c, ctx)))
        rows.append((e, a, c, score, abstained, v.get("comment", ""), cell))
    return rows, problems


def _read_wide(table: CsvTable, ctx: ScoreContext) -> tuple[list, list[Problem]]:
    problems, rows = [], []
    crit_ids = ctx.catalogue.criterion_ids
    missing = [c for c in ["expert_id", "application_id", *crit_ids] if c not in table.header]
    if missing:
        return [], [Problem(f"missing column(s) {', '.join(missing)}", file=table.name, row=table.header_line,
                            hint="every criterion of the catalogue needs a column")]
    known = {"expert_id", "application_id", "comment", *crit_ids, *(f"comment_{c}" for c in crit_ids)}
    extra = [h for h in table.header if h not in known and h]
    if extra:
        problems.append(Problem(f"unknown column(s) {', '.join(extra)}", file=table.name, row=table.header_line,
                                hint="remove them or rename them to criterion ids"))
    col = {h: i for i, h in enumerate(table.header)}
    for r in table.rows:
        v = r.values
        e, a = v["expert_id"], v["application_id"]
        problems += _check_ids(e, a, ctx, table.name, cell_name(0, r.line))
        for c in crit_ids:
            cell = cell_name(col[c], r.line)
            score, abstained, msg = score_cell(v[c], c, ctx)
            if msg:
                problems.append(Problem(msg, file=table.name, cell=cell, hint=_score_hint(c, ctx)))
            comment = " | ".join(x for x in (v.get(f"comment_{c}", ""), v.get("comment", "")) if x)
            rows.append((e, a, c, score, abstained, comment, cell))
    return rows, problems


def _cross_checks(frame: pd.DataFrame, ctx: ScoreContext) -> list[Problem]:
    problems = []
    # Only filled cells (a score or an abstention) can clash; empty ones are reported already.
    filled = frame[frame[ev.SCORE].notna() | frame[ev.ABSTAINED].astype(bool)]
    dup = filled[filled.duplicated([ev.EXPERT, ev.APPLICATION, ev.CRITERION], keep=False)]
    groups = list(dup.groupby([ev.EXPERT, ev.APPLICATION, ev.CRITERION], sort=True))
    # Clashes between the same files for the same expert are summarised when there are many
    # (typically the same sheet imported beside an older copy of it).
    by_files: dict[tuple, list] = {}
    for (e, a, c), g in groups:
        by_files.setdefault((e, tuple(sorted(set(g[ev.SOURCE_FILE])))), []).append(((a, c), g))
    for (e, files), items in by_files.items():
        if len(items) > 3:
            (a, c), g = items[0]
            where = "; ".join(f"{f} {cell}" for f, cell in zip(g[ev.SOURCE_FILE], g[ev.CELL], strict=True))
            problems.append(Problem(
                f"expert {e} scored the same {len(items)} application x criterion cells in "
                f"{' and '.join(files)} (first: application {a}, criterion {c}: {where})",
                file=g[ev.SOURCE_FILE].iloc[0], sheet=g[ev.SHEET].iloc[0] or None, cell=g[ev.CELL].iloc[0],
                hint="keep one of the files (an expert's corrected sheet replaces the old one through "
                     "'selection import')"))
            continue
        for (a, c), g in items:
            where = "; ".join(f"{f} {cell}" for f, cell in zip(g[ev.SOURCE_FILE], g[ev.CELL], strict=True))
            problems.append(Problem(f"expert {e} scored application {a} on criterion {c} {len(g)} times ({where})",
                                    file=g[ev.SOURCE_FILE].iloc[0], sheet=g[ev.SHEET].iloc[0] or None,
                                    cell=g[ev.CELL].iloc[0],
                                    hint="keep exactly one score"))
    if ctx.assignments is not None and not ctx.count_outside_assignment:
        problems += _outside_assignment_problems(frame, ctx)
    pairs = [(e.id, a) for e in ctx.experts.values() for a in sorted(e.conflicts)]
    if not pairs or frame.empty:
        return problems
    keys = pd.MultiIndex.from_arrays([frame[ev.EXPERT].astype(str), frame[ev.APPLICATION].astype(str)])
    hit = keys.isin(pairs) & ~frame[ev.ABSTAINED].astype(bool).to_numpy()
    for row in frame[hit].itertuples(index=False):
        problems.append(Problem(
            f"expert {row.expert_id} declared a conflict of interest with {row.application_id} "
            "but scored it", file=row.source_file, sheet=row.sheet or None, cell=row.cell,
            hint="remove the score; conflicted scores are never used"))
    return problems


def outside_assignment(frame: pd.DataFrame, assignments: Mapping[str, frozenset[str]] | None
                       ) -> pd.DataFrame:
    """The scores (not abstentions) of ``frame`` by an expert for an application not assigned to
    them: one row per expert x application x file, with ``n_scores`` and the first cell.

    Empty when there are no assignments (every expert may score every application).
    """
    cols = [ev.EXPERT, ev.APPLICATION, ev.SOURCE_FILE, ev.SHEET, ev.CELL, "n_scores"]
    if assignments is None or frame.empty:
        return pd.DataFrame(columns=cols)
    scored = frame[frame[ev.SCORE].notna()]
    none: frozenset[str] = frozenset()
    get = assignments.get
    outside = [a not in get(e, none)  # plain lists: iterating pandas string arrays costs ~10x
               for e, a in zip(scored[ev.EXPERT].tolist(), scored[ev.APPLICATION].tolist(), strict=True)]
    out = scored[outside]
    if out.empty:
        return pd.DataFrame(columns=cols)
    keys = [ev.EXPERT, ev.APPLICATION, ev.SOURCE_FILE, ev.SHEET]
    table = out.groupby(keys, sort=True).agg(cell=(ev.CELL, "first"), n_scores=(ev.SCORE, "size")).reset_index()
    return table[cols].reset_index(drop=True)


def _row_of(cell: str) -> int | None:
    digits = "".join(ch for ch in str(cell) if ch.isdigit())
    return int(digits) if digits else None


def _outside_assignment_problems(frame: pd.DataFrame, ctx: ScoreContext) -> list[Problem]:
    """One problem per expert x application x file scored outside the expert's assignment."""
    out = []
    for r in outside_assignment(frame, ctx.assignments).itertuples(index=False):
        sheet = getattr(r, ev.SHEET) or None
        cell = getattr(r, ev.CELL)
        e, a = getattr(r, ev.EXPERT), getattr(r, ev.APPLICATION)
        if e not in ctx.experts or a not in ctx.applications or a in ctx.experts[e].conflicts:
            continue  # an unknown id, or a conflict of interest, is reported as such
        out.append(Problem(
            f"expert {e} is not assigned to application {a} in {ctx.assignments_file} but scored it "
            f"({r.n_scores} score{'s' if r.n_scores != 1 else ''})",
            file=getattr(r, ev.SOURCE_FILE), sheet=sheet, row=None if sheet else _row_of(cell),
            cell=cell if sheet else None,
            hint=f"remove these scores, or add the pair {e},{a} to {ctx.assignments_file}; if the "
                 "call lets experts score beyond their assignment, write scores_outside_assignment "
                 "= \"count\" in call.toml"))
    return out


def score_folder(call_dir: Path, scores_dir: str, stage: int) -> Path:
    """Where a stage's score files live: ``<call>/<scores>/stage<N>/``."""
    return Path(call_dir) / scores_dir / f"stage{stage}"


def read_score_file(path: Path, ctx: ScoreContext, display_name: str | None = None
                    ) -> tuple[pd.DataFrame, list[Problem]]:
    """Read one score file of any supported type (.csv or .xlsx); returns (rows, problems)."""
    path = Path(path)
    name = display_name or str(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        return _blank_file(*read_score_csv(path, ctx, display_name=name), name)
    if suffix == ".xlsx":
        from selection.io.xlsx import read_score_workbook

        return _blank_file(*read_score_workbook(path, ctx, display_name=name), name)
    hint = ("open it in Excel and save it as Excel Workbook (.xlsx)" if suffix in (".xls", ".xlsm",
            ".xlsb", ".ods") else "send the personal .xlsx workbook or a .csv file")
    return ev.empty_evaluation(), [Problem(f"unsupported file type {path.suffix or '(none)'!r}",
                                           file=name, hint=hint)]


def _blank_file(frame: pd.DataFrame, problems: list[Problem], name: str
                ) -> tuple[pd.DataFrame, list[Problem]]:
    """A file in which not one score is filled in gets one problem, not one per empty cell."""
    missing = [p for p in problems if p.message.startswith("missing score")]
    if (len(missing) < 2 or len(missing) != len(problems) or frame[ev.SCORE].notna().any()
            or frame[ev.ABSTAINED].astype(bool).any()):
        return frame, problems
    sheet = missing[0].sheet
    return frame, [Problem(f"no score is filled in ({len(missing)} empty score cells, first {missing[0].cell})",
                           file=name, sheet=sheet,
                           hint="this looks like a sheet that has not been completed yet; import the "
                                "expert's returned copy")]


@gc_paused()
def combine_scores(frames: list[pd.DataFrame], problems: list[Problem], ctx: ScoreContext
                   ) -> pd.DataFrame:
    """Concatenate score rows, add the cross-file checks (duplicates, conflicts of interest) and
    raise one :class:`ScoreSheetError` with every problem, or return the sorted evaluation."""
    frames = [f for f in frames if not f.empty]
    frame = pd.concat(frames, ignore_index=True) if frames else ev.empty_evaluation()
    frame[ev.ABSTAINED] = frame[ev.ABSTAINED].astype(bool)
    problems = [*problems, *_cross_checks(frame, ctx)]
    if problems:
        raise ScoreSheetError(problems)
    return ev.sort_evaluation(frame)


def read_score_files(files: list[Path], ctx: ScoreContext, base: Path | None = None) -> pd.DataFrame:
    """Read several score files (.csv or .xlsx) into one evaluation table, or raise one
    :class:`ScoreSheetError` listing every problem in every file."""
    frames, problems = [], []
    for f in sorted(Path(p) for p in files):
        name = str(f.relative_to(base)) if base else str(f)
        frame, probs = read_score_file(f, ctx, display_name=name)
        frames.append(frame)
        problems += probs
    if not files:
        problems.append(Problem("no score files found", hint="put the experts' files in the scores folder"))
    return combine_scores(frames, problems, ctx)
