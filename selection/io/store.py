"""The imported-scores store of a call: one tidy table per stage, with provenance for every score.

Layout, inside the call's score folder ``CALL_DIR/<call.scores>/``::

    stage<N>/                    score files placed there by hand (read as they are)
    stage<N>-imported.csv        the store: every imported score, one row each
    stage<N>-imported/<sha12>/<original file name>
                                 byte-identical copies of every file ever imported

The store's columns are those of the evaluation table (:data:`selection.evaluation.COLUMNS`) plus
``original_name``: ``source_file`` is the archived copy (relative to the call folder), so every
score can be traced to a file whose SHA-256 (``source_sha256``) is checked when the store is read,
and to its sheet and cell.

Rules
-----
* :func:`plan_import` validates the given files all-or-nothing (together with what is already
  stored and the hand-placed files, so that no score can end up twice); :func:`apply_import`
  writes nothing unless everything is valid, and replaces the store atomically.
* The unit of replacement is the expert: importing a file with expert E's scores replaces exactly
  E's previously imported scores for that stage (and the plan says so, with the number of scores
  that changed); other experts' scores are kept.
* Re-importing the same file is idempotent: the store's bytes do not change.
* Source files are never modified; superseded originals stay in the archive.
* :func:`load_stage_scores` (used by ``selection run``) reads the hand-placed files and the store
  -- never the archive -- so no score is read twice; a score present in both is an error.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import numpy as np
import pandas as pd

from selection import evaluation as ev
from selection.errors import InputError, Problem, ScoreSheetError
from selection.io.csvfile import gc_paused, plain_head, split_plain_columns
from selection.io.export import neutralise, write_csv
from selection.io.scores import (
    SCORE_SUFFIXES,
    ScoreContext,
    _byte_codes,
    _byte_fields,
    _byte_values,
    _StageCodes,
    combine_scores,
    read_clean_score_csv,
    read_clean_stage,
    read_score_file,
    score_cell,
    score_columns_frame,
    score_folder,
)  # fmt: skip
from selection.model import Call

__all__ = ["ORIGINAL_NAME", "STORE_COLUMNS", "store_path", "archive_dir", "loose_score_files",
           "read_store", "load_stage_scores", "stage_input_files", "ExpertChange", "ImportPlan",
           "plan_import", "apply_import", "call_context", "symlink_problem", "symlink_problems"]  # fmt: skip

ORIGINAL_NAME = "original_name"
STORE_COLUMNS = [*ev.COLUMNS, ORIGINAL_NAME]


def store_path(root: Path, scores_dir: str, stage: int) -> Path:
    """``CALL_DIR/<scores>/stage<N>-imported.csv``."""
    return Path(root) / scores_dir / f"stage{stage}-imported.csv"


def archive_dir(root: Path, scores_dir: str, stage: int) -> Path:
    """``CALL_DIR/<scores>/stage<N>-imported/`` (the byte-identical originals)."""
    return Path(root) / scores_dir / f"stage{stage}-imported"


def _rel(root: Path, p: Path) -> str:
    try:
        return Path(os.path.relpath(Path(p).resolve(), Path(root).resolve())).as_posix()
    except ValueError:
        return str(p)


def loose_score_files(root: Path, scores_dir: str, stage: int) -> list[Path]:
    """Files placed by hand in ``<scores>/stage<N>/`` (hidden and Office lock files skipped)."""
    folder = score_folder(root, scores_dir, stage)
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir()
                  if (p.is_file() or p.is_symlink()) and not p.is_dir()
                  and not p.name.startswith((".", "~$")))


def symlink_problem(root: Path, path: Path) -> Problem | None:
    """A problem if ``path`` (a file the call folder ``root`` names) is a symbolic link that leads
    nowhere, or that leads from inside the call folder to outside it; else ``None``.

    Links are followed only within the call folder, so that what a run reads (and records the
    hash of) is what the call folder holds. A path the call file gives outside the folder (e.g. a
    shared catalogue) is not a link and is read as given.
    """
    root_abs = Path(os.path.abspath(root))
    lexical = Path(os.path.abspath(path))
    name = _rel_lexical(root_abs, lexical)
    if lexical.is_symlink() and not lexical.exists():
        return Problem(f"a symbolic link to {os.readlink(lexical)}, which does not exist", file=name,
                       hint="replace the link by the file itself, or remove it")
    if not lexical.exists() or not lexical.is_relative_to(root_abs):
        return None
    real = lexical.resolve()
    if not real.is_relative_to(root_abs.resolve()):
        return Problem(f"leads through a symbolic link to {real}, outside the call folder", file=name,
                       hint="copy the file into the call folder instead of linking to it")
    return None


def _no_link_problem(root: Path, paths: list[Path]) -> bool:
    """Whether :func:`symlink_problem` finds no problem in any of ``paths``, resolving each
    folder once: a path that is not a link itself leads where its folder does."""
    root_abs = Path(os.path.abspath(root))
    root_real = root_abs.resolve()
    folders: dict[Path, Path] = {}
    for path in paths:
        lexical = Path(os.path.abspath(path))
        if lexical.is_symlink():
            if symlink_problem(root, path) is not None:
                return False
            continue
        if not lexical.exists() or not lexical.is_relative_to(root_abs):
            continue
        folder = folders.get(lexical.parent)
        if folder is None:
            folder = folders[lexical.parent] = lexical.parent.resolve()
        if not (folder / lexical.name).is_relative_to(root_real):
            return False
    return True


def _rel_lexical(root: Path, p: Path) -> str:
    try:
        return p.relative_to(root).as_posix()
    except ValueError:
        return str(p)


def symlink_problems(root: Path, paths: list[Path]) -> list[Problem]:
    """:func:`symlink_problem` of each path."""
    return [p for p in (symlink_problem(root, path) for path in paths) if p is not None]


def stage_input_files(root: Path, scores_dir: str, stage: int) -> list[Path]:
    """The files a stage's scores are read from: the hand-placed files and the store (whose rows
    carry the SHA-256 of every archived original)."""
    files = loose_score_files(root, scores_dir, stage)
    sp = store_path(root, scores_dir, stage)
    return files + ([sp] if sp.is_file() or sp.is_symlink() else [])


@gc_paused()
def read_store(root: Path, scores_dir: str, stage: int, ctx: ScoreContext
               ) -> tuple[pd.DataFrame, list[tuple[str | None, Problem]]]:
    """Read a stage's store; returns (rows, [(expert id or None, problem)]).

    Every row is validated again against the current catalogue, applications and experts (the
    conflict-of-interest check follows in :func:`~selection.io.scores.combine_scores`), and every
    archived original must still exist with its recorded SHA-256.
    """
    sp = store_path(root, scores_dir, stage)
    name = _rel(root, sp)
    link = symlink_problem(root, sp)
    if link is not None:
        return _empty_store(), [(None, link)]
    if not sp.is_file():
        return _empty_store(), []
    try:
        text = sp.read_bytes().decode("utf-8")
    except UnicodeDecodeError:
        return _empty_store(), [(None, Problem("the store is not UTF-8 text", file=name,
                                               hint="restore it from a backup or import again"))]
    if ('"' not in text and "\r" not in text and not text.endswith("\n\n")  # csv.reader's records, split
            and text[:text.find("\n")].split(",") == STORE_COLUMNS):
        from_bytes = None if _store_as_text else _byte_store(text, root, ctx)
        if from_bytes is not None:
            return from_bytes, []
        plain = split_plain_columns(text, name=name)
        clean = _clean_store(plain[2], root, ctx) if plain is not None else None
        if clean is not None:
            return clean, []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, [])
    if header != STORE_COLUMNS:
        return _empty_store(), [(None, Problem(
            f"the store's header is {', '.join(header) or '(empty)'}; expected "
            f"{', '.join(STORE_COLUMNS)}", file=name, row=1,
            hint="do not edit the store by hand; restore it or import the files again"))]
    records: Iterator[list[str]]
    try:
        every = list(reader)
    except csv.Error:  # the row-by-row reading below meets it where it is
        records = csv.reader(io.StringIO(text, newline=""))
        next(records)
    else:
        if every and set(map(len, every)) == {len(STORE_COLUMNS)}:
            clean = _clean_store(list(map(list, zip(*every, strict=True))), root, ctx)
            if clean is not None:
                return clean, []
        records = iter(every)
    problems: list[tuple[str | None, Problem]] = []
    rows = []
    checked: dict[str, str | None] = {}
    parsed: dict[tuple[str, str], tuple[float | None, bool, str | None]] = {}
    crit_ids = set(ctx.catalogue.criterion_ids)
    for line, rec in enumerate(records, start=2):
        if len(rec) != len(STORE_COLUMNS):
            problems.append((None, Problem(f"{len(rec)} values, expected {len(STORE_COLUMNS)}",
                                           file=name, row=line)))
            continue
        v = dict(zip(STORE_COLUMNS, rec, strict=True))
        e, a, c = v[ev.EXPERT], v[ev.APPLICATION], v[ev.CRITERION]
        where: dict[str, Any] = {"file": name, "row": line}
        if e not in ctx.experts:
            problems.append((e, Problem(f"unknown expert {e!r}", **where)))
        if a not in ctx.applications:
            problems.append((e, Problem(f"unknown application {a!r}", **where)))
        if c not in crit_ids:
            problems.append((e, Problem(f"unknown criterion {c!r}", **where)))
            continue
        abstained = v[ev.ABSTAINED] == "True"
        score = None
        if v[ev.ABSTAINED] not in ("True", "False"):
            problems.append((e, Problem(f"abstained must be True or False, not "
                                        f"{v[ev.ABSTAINED]!r}", **where)))
        elif not abstained:
            key = (v[ev.SCORE], c)  # score_cell is pure: each distinct text x criterion once
            if key not in parsed:
                parsed[key] = score_cell(v[ev.SCORE], c, ctx)
            score, _, msg = parsed[key]
            if msg:
                problems.append((e, Problem(msg, **where)))
        src = v[ev.SOURCE_FILE]
        if src not in checked:
            p = Path(root) / src
            link = symlink_problem(root, p)  # an archived original must be in the call folder
            if link is not None:
                problems.append((e, link))
            checked[src] = (hashlib.sha256(p.read_bytes()).hexdigest()
                            if p.is_file() and link is None else None)
        if checked[src] is None:
            problems.append((e, Problem(f"the archived original {src} is missing", **where,
                                        hint="restore it, or import the expert's file again")))
        elif checked[src] != v[ev.SOURCE_SHA256]:
            problems.append((e, Problem(f"the archived original {src} was changed (SHA-256 "
                                        "differs from the one recorded at import)", **where,
                                        hint="restore it, or import the expert's file again")))
        rows.append((e, a, c, score, abstained, v[ev.COMMENT], src, v[ev.SOURCE_SHA256],
                     v[ev.SHEET], v[ev.CELL], v[ORIGINAL_NAME]))
    frame = pd.DataFrame(rows, columns=STORE_COLUMNS)
    frame[ev.ABSTAINED] = frame[ev.ABSTAINED].astype(bool)
    return frame, problems


#: Tests set this to read the store's columns as text (:func:`_clean_store`), the reference of
#: the byte-level reading (:func:`_byte_store`).
_store_as_text = False


def _byte_store(text: str, root: Path, ctx: ScoreContext) -> pd.DataFrame | None:
    """:func:`_clean_store`'s frame of a store's text (no quote, no carriage return, its header
    line first), read from the UTF-8 bytes of its data lines: each column's distinct values are
    found once (no text made per value), ids looked up exactly, each (score text, criterion)
    pair of a score parsed once; ``None`` when a row may have a problem or a value is longer than
    64 bytes (then the columns are read as text)."""
    head = plain_head(text, name="store")
    if head is None or "\x00" in text:
        return None
    fields = _byte_fields(head[2].encode("utf-8"), ",", len(STORE_COLUMNS))
    if fields is None:
        return None
    data, bounds = fields
    codes = _StageCodes(ctx)
    if not codes.usable():
        return None
    e, a, c = (_byte_codes(data, *bounds[j], index, strip=False)
               for j, index in enumerate((codes.expert, codes.application, codes.criterion)))
    found = [_byte_values(data, *bounds[j]) for j in range(3, len(STORE_COLUMNS))]
    if e is None or a is None or c is None or any(f is None for f in found):
        return None
    values = cast("list[tuple[np.ndarray, list[str]]]", found)
    (score_rows, score_texts), (abstained_rows, abstained_texts) = values[0], values[1]
    if not {"True", "False"} >= set(abstained_texts):
        return None
    abstained = np.array([t == "True" for t in abstained_texts], dtype=bool)[abstained_rows]
    pair = np.array([codes.texts[t] for t in score_texts], dtype=np.intp)[score_rows] * len(codes.criteria) + c
    if not codes.parse(pair[~abstained], ctx):
        return None
    (src_rows, src_texts), (sha_rows, sha_texts) = values[3], values[4]
    recorded: dict[str, set[str]] = {}
    for k in np.unique(src_rows.astype(np.int64) * len(sha_texts) + sha_rows).tolist():
        recorded.setdefault(src_texts[k // len(sha_texts)], set()).add(sha_texts[k % len(sha_texts)])
    for path, digests in recorded.items():  # every archived original there, as imported
        p = Path(root) / path
        if (symlink_problem(root, p) is not None or not p.is_file()
                or digests != {hashlib.sha256(p.read_bytes()).hexdigest()}):
            return None
    score = np.where(abstained, np.nan, codes.value[pair])
    n = len(score)

    def texts(j: int) -> list[str]:
        rows, distinct = values[j - 3]
        return np.array(distinct, dtype=object)[rows].tolist()

    columns: list[Any] = [
        np.array(codes.experts, dtype=object)[e].tolist(), np.array(codes.applications, dtype=object)[a].tolist(),
        np.array(codes.criteria, dtype=object)[c].tolist(), [None] * n if np.isnan(score).all() else score,
        abstained, *(texts(j) for j in range(5, len(STORE_COLUMNS)))]
    frame = pd.DataFrame(dict(zip(STORE_COLUMNS, columns, strict=True)))
    frame[ev.ABSTAINED] = frame[ev.ABSTAINED].astype(bool)
    return frame


def _clean_store(columns: list[list[str]], root: Path, ctx: ScoreContext) -> pd.DataFrame | None:
    """:func:`read_store`'s frame of the store's columns (one list each, of its rows' values),
    when no row has a problem, checked column-wise (each distinct id, score text x criterion and
    archived original once); ``None`` when a row may have one (then the rows are read one by one,
    each problem worded)."""
    if len(columns) != len(STORE_COLUMNS) or not columns[0]:
        return None
    e, a, c, score_text, abstained_text, comment, src, sha, sheet, cell, original = columns
    crit_ids = set(ctx.catalogue.criterion_ids)
    if (not ctx.experts.keys() >= set(e) or not ctx.applications.keys() >= set(a) or not crit_ids >= set(c)
            or not {"True", "False"} >= set(abstained_text)):
        return None
    n = len(e)
    abstained = np.fromiter(map("True".__eq__, abstained_text), dtype=bool, count=n)
    texts, criteria = list(set(score_text)), list(set(c))  # each distinct pair parsed once, found by codes
    pair = (_codes(score_text, texts) * len(criteria) + _codes(c, criteria))
    value = np.full(len(texts) * len(criteria), np.nan)
    for k in np.unique(pair[~abstained]).tolist():
        x, _, msg = score_cell(texts[k // len(criteria)], criteria[k % len(criteria)], ctx)
        if msg:
            return None
        value[k] = np.nan if x is None else x
    recorded: dict[str, set[str]] = {}
    for path, digest in {*zip(src, sha, strict=True)}:
        recorded.setdefault(path, set()).add(digest)
    for path, digests in recorded.items():  # every archived original there, as imported
        p = Path(root) / path
        if (symlink_problem(root, p) is not None or not p.is_file()
                or digests != {hashlib.sha256(p.read_bytes()).hexdigest()}):
            return None
    score = np.where(abstained, np.nan, value[pair])
    values: list[Any] = [e, a, c, [None] * n if np.isnan(score).all() else score,  # as rows of None make it
                         abstained, comment, src, sha, sheet, cell, original]
    frame = pd.DataFrame(dict(zip(STORE_COLUMNS, values, strict=True)))
    frame[ev.ABSTAINED] = frame[ev.ABSTAINED].astype(bool)
    return frame


def _codes(values: list[str], distinct: list[str]) -> np.ndarray:
    """Each of ``values``' index in ``distinct``."""
    index = {v: i for i, v in enumerate(distinct)}
    return np.fromiter(map(index.__getitem__, values), dtype=np.intp, count=len(values))


def _empty_store() -> pd.DataFrame:
    frame = ev.empty_evaluation()
    frame[ORIGINAL_NAME] = pd.Series(dtype="str")
    return frame


def _read_loose(root: Path, files: list[Path], ctx: ScoreContext
                ) -> tuple[list[pd.DataFrame], list[Problem]]:
    """:func:`read_score_file` of each file, in order (a link out of the folder is a problem);
    consecutive clean plain CSVs (:func:`~selection.io.scores.read_clean_score_csv`) become one
    frame instead of one each, with the same rows in the same order."""
    frames: list[pd.DataFrame] = []
    problems: list[Problem] = []
    clean: list[list[Any]] = []
    root_abs = Path(os.path.abspath(root))
    for f in files:
        link = symlink_problem(root, f)
        if link is not None:
            problems.append(link)
            continue
        name = _rel_lexical(root_abs, Path(os.path.abspath(f)))
        columns = read_clean_score_csv(f, ctx, display_name=name)
        if columns is not None:
            clean.append(columns)
            continue
        if clean:
            frames.append(score_columns_frame(clean))
            clean = []
        frame, probs = read_score_file(f, ctx, display_name=name)
        frames.append(frame)
        problems += probs
    if clean:
        frames.append(score_columns_frame(clean))
    return frames, problems


@gc_paused()
def load_stage_scores(root: Path, scores_dir: str, stage: int, ctx: ScoreContext) -> pd.DataFrame:
    """A stage's evaluation: the hand-placed files of ``<scores>/stage<N>/`` plus the store.

    Raises
    ------
    ScoreSheetError
        With every problem in every file and in the store, including any score present twice.
    """
    root = Path(root)
    loose = loose_score_files(root, scores_dir, stage)
    sp = store_path(root, scores_dir, stage)
    if loose and not (sp.is_file() or sp.is_symlink()):  # clean hand-placed files only: at once
        root_abs = Path(os.path.abspath(root))
        if _no_link_problem(root, loose):
            named = [(f, _rel_lexical(root_abs, Path(os.path.abspath(f)))) for f in loose]
            clean = read_clean_stage(named, ctx)
            if clean is not None:
                return clean
    frames, problems = _read_loose(root, loose, ctx)
    stored, store_problems = read_store(root, scores_dir, stage, ctx)
    problems += [p for _, p in store_problems]
    frames.append(stored.reindex(columns=ev.COLUMNS))
    if not loose and not store_path(root, scores_dir, stage).is_file():
        problems.append(Problem("no score files found",
                                file=_rel(root, score_folder(root, scores_dir, stage)),
                                hint="import the experts' files with 'selection import' or put "
                                     "them in this folder"))
    return combine_scores(frames, problems, ctx)


@dataclass(frozen=True)
class ExpertChange:
    """What an import does to one expert's stored scores."""

    expert_id: str
    status: str  # "new", "unchanged" or "replaced"
    n_scores: int
    n_previous: int = 0
    n_changed: int = 0
    previous_files: tuple[str, ...] = ()
    files: tuple[str, ...] = ()

    def describe(self) -> str:
        files = ", ".join(self.files)
        if self.status == "new":
            return f"{self.expert_id}: {self.n_scores} new scores from {files}"
        if self.status == "unchanged":
            return f"{self.expert_id}: unchanged ({self.n_scores} scores already imported from {files})"
        return (f"{self.expert_id}: replaced {self.n_previous} scores from "
                f"{', '.join(self.previous_files)} by {self.n_scores} scores from {files} "
                f"({self.n_changed} differ)")


@dataclass(frozen=True)
class ImportPlan:
    """A validated import, ready for :func:`apply_import` (which a dry run skips)."""

    root: Path
    stage: int
    store: Path
    table: pd.DataFrame  # the whole new store, in canonical order
    copies: tuple[tuple[Path, Path], ...]  # (source file, archive target)
    changes: tuple[ExpertChange, ...]
    notes: tuple[str, ...] = field(default=())

    @property
    def changed(self) -> bool:
        return any(c.status != "unchanged" for c in self.changes)


def _key_set(frame: pd.DataFrame) -> set[tuple]:
    return {(r.application_id, r.criterion_id,
             None if pd.isna(r.score) else float(r.score), bool(r.abstained),
             neutralise(str(r.comment))) for r in frame.itertuples(index=False)}


def plan_import(root: Path, scores_dir: str, stage: int, ctx: ScoreContext, files: list[Path]
                ) -> ImportPlan:
    """Validate ``files`` for import into a stage's store; all-or-nothing.

    Raises
    ------
    ScoreSheetError
        Listing every problem: in the files themselves (scale, grid, text, missing scores, unknown
        ids, conflicts of interest, wrong call/stage/catalogue, damaged or foreign files), a score
        given twice (across the files, or also present in a hand-placed file of
        ``<scores>/stage<N>/``), and problems of stored scores that the import would keep.
    """
    root = Path(root)
    problems: list[Problem] = []
    frames = []
    copies: list[tuple[Path, Path]] = []
    adir = archive_dir(root, scores_dir, stage)
    seen: dict[Path, str] = {}
    if not files:
        raise ScoreSheetError(Problem("no files to import", hint="name the returned score files"))
    for f in files:
        f = Path(f)
        name = str(f)
        if not f.is_file():
            problems.append(Problem("file not found", file=name, hint="check the path"))
            continue
        real = f.resolve()
        if real in seen:
            problems.append(Problem(f"the same file is named twice ({seen[real]})", file=name,
                                    hint="name each file once"))
            continue
        seen[real] = name
        if f.suffix.lower() not in SCORE_SUFFIXES:
            frame, probs = read_score_file(f, ctx, display_name=name)
            problems += probs
            continue
        data = f.read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        target = adir / digest[:12] / f.name
        frame, probs = read_score_file(f, ctx, display_name=name)
        problems += probs
        frame = frame.copy()
        frame[ORIGINAL_NAME] = f.name
        frames.append(frame)
        copies.append((f, target))
    new = pd.concat([x for x in frames if not x.empty], ignore_index=True) if any(
        not x.empty for x in frames) else _empty_store()
    new[ev.ABSTAINED] = new[ev.ABSTAINED].astype(bool)
    experts = set(new[ev.EXPERT])

    stored, store_problems = read_store(root, scores_dir, stage, ctx)
    problems += [p for e, p in store_problems if e is None or e not in experts]
    kept = stored[~stored[ev.EXPERT].isin(experts)]
    loose = loose_score_files(root, scores_dir, stage)
    loose_frames, loose_problems = _read_loose(root, loose, ctx)
    notes = []
    if loose_problems:
        notes.append(f"the hand-placed files in {_rel(root, score_folder(root, scores_dir, stage))}"
                     f" have {len(loose_problems)} problem(s); run 'selection validate'")
    try:
        combine_scores([new.reindex(columns=ev.COLUMNS), kept.reindex(columns=ev.COLUMNS),
                        *loose_frames], problems, ctx)
    except ScoreSheetError as exc:
        raise ScoreSheetError(exc.problems) from None

    # Provenance in the store points at the archived copy.
    archived = {str(src): _rel(root, dst) for src, dst in copies}
    new[ev.SOURCE_FILE] = new[ev.SOURCE_FILE].map(archived)
    changes = []
    for e in sorted(experts):
        mine = new[new[ev.EXPERT] == e]
        before = stored[stored[ev.EXPERT] == e]
        files_now = tuple(sorted(set(mine[ORIGINAL_NAME])))
        if before.empty:
            changes.append(ExpertChange(e, "new", len(mine), files=files_now))
            continue
        a, b = _key_set(mine), _key_set(before)
        same_files = set(mine[ev.SOURCE_SHA256]) == set(before[ev.SOURCE_SHA256])
        if a == b and same_files:
            changes.append(ExpertChange(e, "unchanged", len(mine), files=files_now))
            continue
        old_scores = {(x[0], x[1]): x[2:] for x in b}
        n_changed = sum(1 for x in a if old_scores.get((x[0], x[1])) != x[2:])
        n_changed += len({(x[0], x[1]) for x in b} - {(x[0], x[1]) for x in a})
        changes.append(ExpertChange(e, "replaced", len(mine), len(before), n_changed,
                                    tuple(sorted(set(before[ORIGINAL_NAME]))), files_now))
    table = pd.concat([x for x in (kept, new) if not x.empty], ignore_index=True) if (
        not kept.empty or not new.empty) else _empty_store()
    table = _canonical(table)
    used = set(new[ev.SOURCE_FILE])
    copies = [(s, d) for s, d in copies if _rel(root, d) in used]
    return ImportPlan(root, stage, store_path(root, scores_dir, stage), table, tuple(copies),
                      tuple(changes), tuple(notes))


def _canonical(table: pd.DataFrame) -> pd.DataFrame:
    """The store in canonical order (application, expert, criterion) with fixed dtypes."""
    dtypes = {**_empty_store().dtypes.to_dict()}
    out = table.reindex(columns=STORE_COLUMNS).astype(dtypes)
    return out.sort_values([ev.APPLICATION, ev.EXPERT, ev.CRITERION], kind="stable"
                           ).reset_index(drop=True)


def apply_import(plan: ImportPlan) -> list[Path]:
    """Carry out a validated import: copy the originals into the archive (byte-identical; an
    existing identical copy is kept) and replace the store atomically.

    Returns the files written. On any error, the copies made by this call are removed and the
    store is left as it was.
    """
    written: list[Path] = []
    try:
        for src, dst in plan.copies:
            data = Path(src).read_bytes()
            if dst.is_file() and dst.read_bytes() == data:
                continue
            dst.parent.mkdir(parents=True, exist_ok=True)
            tmp = dst.with_name(f".{dst.name}.tmp")
            tmp.write_bytes(data)
            os.replace(tmp, dst)
            written.append(dst)
        plan.store.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=f".{plan.store.name}.", dir=plan.store.parent)
        os.close(fd)
        try:
            write_csv(plan.table, tmp_name)
            os.replace(tmp_name, plan.store)
        except BaseException:
            Path(tmp_name).unlink(missing_ok=True)
            raise
        written.append(plan.store)
    except BaseException:
        for p in written:
            if p != plan.store:
                p.unlink(missing_ok=True)
                if p.parent.is_dir() and not any(p.parent.iterdir()):
                    p.parent.rmdir()
        raise
    return written


def call_context(call_dir: Path | str, stage: int) -> tuple[Call, ScoreContext]:
    """Read a call folder's call file, catalogues, applications, experts and assignments (not its
    scores) and return the call and the :class:`ScoreContext` of ``stage``.

    Raises
    ------
    InputError
        With every problem in those files, or if the call has no such stage.
    """
    from selection.io.tables import assignments_for_stage, read_applications, read_experts
    from selection.io.toml import load_call

    root = Path(call_dir)
    if not (root / "call.toml").is_file():
        raise InputError(Problem(f"no call.toml in {root}",
                                 hint="give the folder that holds the call file"))
    call, catalogues = load_call(root / "call.toml")
    if stage not in catalogues:
        raise InputError(Problem(f"the call has no stage {stage}", file=_rel(root, root / "call.toml"),
                                 hint=f"use one of {', '.join(str(s.number) for s in call.stages)}"))
    problems: list[Problem] = []
    apps, experts, assignments = [], [], None
    try:
        apps = read_applications(root / call.applications, call.attributes)
    except InputError as exc:
        problems += exc.problems
    try:
        experts = read_experts(root / call.experts, {a.id for a in apps} if apps else None)
    except InputError as exc:
        problems += exc.problems
    if call.assignments and (root / call.assignments).is_file() and apps and experts:
        try:
            assignments = assignments_for_stage(root / call.assignments, {e.id for e in experts},
                                                {a.id for a in apps}, stage,
                                                from_earlier_stage=call.stage(stage).from_stage is not None)
        except InputError as exc:
            problems += exc.problems
    if problems:
        raise InputError(problems)
    from selection.io.workbook import load_sheet_key

    ctx = ScoreContext(catalogues[stage], {a.id: a for a in apps}, {e.id: e for e in experts},
                       assignments, call_id=call.id, stage=stage, sheet_key=load_sheet_key(root),
                       count_outside_assignment=call.scores_outside_assignment == "count",
                       assignments_file=call.assignments or "assignments.csv")
    return call, ctx
