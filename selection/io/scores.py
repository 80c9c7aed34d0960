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

import csv
import hashlib
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from itertools import chain, islice
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from selection import evaluation as ev
from selection.errors import InputError, Problem, ScoreSheetError
from selection.io.csvfile import (
    CsvTable,
    column_letter,
    decode_bytes,
    gc_paused,
    parse_csv_records,
    parse_number,
    plain_body,
    plain_head,
    records_table,
    split_plain_columns,
)
from selection.model import Application, CriteriaCatalogue, Expert

__all__ = ["ABSTAIN_WORDS", "ScoreContext", "read_score_csv", "read_score_file", "read_score_files",
           "score_folder", "read_clean_score_csv", "read_clean_stage", "score_columns_frame", "cell_name", "sha256_file", "outside_assignment", "score_cell", "combine_scores", "SCORE_SUFFIXES"]

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
    columns = _LONG_COLUMNS
    try:
        text, _enc = decode_bytes(raw, name)
        plain = _read_plain_long(text, name, ctx)
        if plain is not None:  # a clean long file in the plainest dialect: no problem to word
            return _with_source(_long_frame(plain), name, digest), []
        sep, header, header_line, records = parse_csv_records(text, name=name)
    except InputError as exc:
        return ev.empty_evaluation(), exc.problems
    crit_ids = ctx.catalogue.criterion_ids
    if {"criterion_id", "score"} <= set(header):
        fast = None if _reference_only else _read_long_clean(header, records, ctx)
        problems: list[Problem]
        if fast is not None:
            frame, problems = _long_frame(fast), []
        else:  # a row with a problem: the row-by-row reader words every problem, in file order
            rows, problems = _read_long(records_table(name, sep, header, header_line, records), ctx)
            frame = pd.DataFrame(rows, columns=columns)
    elif any(c in header for c in crit_ids):
        rows, problems = _read_wide(records_table(name, sep, header, header_line, records), ctx)
        frame = pd.DataFrame(rows, columns=columns)
    else:
        return ev.empty_evaluation(), [Problem(
            f"unrecognised header {', '.join(header)}", file=name, row=header_line,
            hint="use a long layout (expert_id, application_id, criterion_id, score, comment) or a "
                 f"wide one (expert_id, application_id, {', '.join(crit_ids)}, comment)")]
    if frame.empty and not problems:
        problems.append(Problem("the file holds no scores", file=name,
                                hint="add one row per score (or per application) below the header"))
    return _with_source(frame, name, digest), problems


def _long_frame(columns: tuple[Any, ...]) -> pd.DataFrame:
    """The frame of :func:`_clean_columns`' columns, as the row-by-row reader makes it (a score
    column of abstentions only holds ``None``)."""
    e, a, c, score, abstained, comment, cell = columns
    data = [e, a, c, [None] * len(e) if abstained.all() else score, abstained, comment, cell]
    return pd.DataFrame(dict(zip(_LONG_COLUMNS, data, strict=True)))


_LONG_COLUMNS = [ev.EXPERT, ev.APPLICATION, ev.CRITERION, ev.SCORE, ev.ABSTAINED, ev.COMMENT, ev.CELL]


def _with_source(frame: pd.DataFrame, name: str, digest: str) -> pd.DataFrame:
    frame[ev.SOURCE_FILE] = name
    frame[ev.SOURCE_SHA256] = digest
    frame[ev.SHEET] = ""
    return frame.reindex(columns=ev.COLUMNS)


def _read_plain_long(text: str, name: str, ctx: ScoreContext) -> tuple[Any, ...] | None:
    """The columns of :func:`_read_long_clean` for a clean long score file in the plainest CSV
    dialect (:func:`~selection.io.csvfile.split_plain_columns`: split column-wise, no record
    list), or ``None``: then the file is parsed with every check."""
    if _reference_only:
        return None
    plain = split_plain_columns(text, name=name)
    if plain is None or not {"criterion_id", "score"} <= set(plain[1]):
        return None
    _sep, header, columns = plain
    return _clean_columns(header, columns, None, ctx)


def read_clean_score_csv(path: Path, ctx: ScoreContext, display_name: str | None = None
                         ) -> list[Any] | None:
    """The columns (:data:`selection.evaluation.COLUMNS`, as lists) of a score CSV that
    :func:`read_score_file` reads without a problem through the plain column-wise path, or
    ``None`` for any other file (read it with :func:`read_score_file`, which words its problems).

    Several clean files are made into one frame at once (:func:`score_columns_frame`) instead of
    one frame each; the rows equal those of :func:`read_score_file`.
    """
    path = Path(path)
    name = display_name or str(path)
    if path.suffix.lower() != ".csv":
        return None
    raw = path.read_bytes()
    try:
        text, _enc = decode_bytes(raw, name)
    except InputError:
        return None
    plain = _read_plain_long(text, name, ctx)
    if plain is None:
        return None
    n = len(plain[0])
    digest = hashlib.sha256(raw).hexdigest()
    e, a, c, score, abstained, comment, cell = plain
    return [e, a, c, score, abstained, comment, [name] * n, [digest] * n, [""] * n, cell]


def score_columns_frame(blocks: list[list[Any]]) -> pd.DataFrame:
    """One frame (columns of :data:`selection.evaluation.COLUMNS`) of the rows of several
    :func:`read_clean_score_csv` results, in order."""
    arrays = (ev.SCORE, ev.ABSTAINED)
    return pd.DataFrame({c: np.concatenate([b[j] for b in blocks]) if c in arrays
                         else list(chain.from_iterable(b[j] for b in blocks)) for j, c in enumerate(ev.COLUMNS)})


#: Tests set this to read every long file row by row (the reference the fast path must equal).
_reference_only = False


# --- a stage's clean plain files read as integer codes ----------------------------------------

#: Tests set this to read a stage file by file (:func:`read_clean_score_csv` and
#: :func:`combine_scores` checking its rows by their texts), the reference :func:`read_clean_stage`
#: and the coded order of :func:`combine_scores` must equal.
_file_by_file = False


class _Numbering(dict[str, int]):
    """Numbers each new key in the order met (``numbering[key]`` adds it)."""

    def __missing__(self, key: str) -> int:
        self[key] = n = len(self)
        return n


class _StageCodes:
    """The code spaces of one stage's reading: experts, applications and criteria by their rank
    in code-point order (the order of :func:`selection.evaluation.sort_evaluation`), and each
    distinct score text met, with its parse per criterion (``score_cell`` of each distinct pair
    once)."""

    def __init__(self, ctx: ScoreContext) -> None:
        self.experts = sorted(ctx.experts)
        self.applications = sorted(ctx.applications)
        self.criteria = sorted(ctx.catalogue.criterion_ids)
        self.expert = {v: i for i, v in enumerate(self.experts)}
        self.application = {v: i for i, v in enumerate(self.applications)}
        self.criterion = {v: i for i, v in enumerate(self.criteria)}
        self.texts = _Numbering()
        self.value = np.full(0, np.nan)
        self.abstain = np.zeros(0, dtype=bool)
        self.done = np.zeros(0, dtype=bool)

    def usable(self) -> bool:
        """Ids that are strings with nothing to strip: a raw value is then found exactly when
        the reader that strips every value would find it unchanged."""
        return all(type(v) is str and v == v.strip() for v in chain(self.experts, self.applications, self.criteria))

    def parse(self, pair: np.ndarray, ctx: ScoreContext) -> bool:
        """Parse each (score text, criterion) pair of ``pair`` (``text * len(criteria) +
        criterion``) not parsed yet; ``False`` if :func:`score_cell` refuses one."""
        width = len(self.criteria)
        size = len(self.texts) * width
        if size > len(self.done):
            grow = size - len(self.done)
            self.value = np.concatenate([self.value, np.full(grow, np.nan)])
            self.abstain = np.concatenate([self.abstain, np.zeros(grow, dtype=bool)])
            self.done = np.concatenate([self.done, np.zeros(grow, dtype=bool)])
        new = np.flatnonzero((np.bincount(pair, minlength=size) > 0) & ~self.done)
        if not len(new):
            return True
        texts = list(self.texts)
        for k in new.tolist():
            x, abstained, msg = score_cell(texts[k // width], self.criteria[k % width], ctx)
            if msg:
                return False
            self.value[k] = np.nan if x is None else x
            self.abstain[k] = abstained
            self.done[k] = True
        return True


@dataclass(frozen=True)
class _Block:
    """One clean plain long score file's rows, as codes of a :class:`_StageCodes`."""

    name: str
    digest: str
    letter: str  # the score column's letter (cells are <letter><line>, lines 2, 3, ...)
    expert: np.ndarray
    application: np.ndarray
    criterion: np.ndarray
    score: np.ndarray
    abstained: np.ndarray
    comment: list[str] | None  # None: every comment is empty


def _column_codes(flat: list[str], j: int, width: int, n: int, index: Mapping[str, int]) -> np.ndarray | None:
    """The codes of column ``j`` of ``flat`` (row-major values, ``width`` per row) in ``index``,
    its values stripped if one of them is not found as it is; ``None`` if one is not found."""
    try:
        return np.fromiter(map(index.__getitem__, islice(flat, j, None, width)), dtype=np.intp, count=n)
    except KeyError:
        pass
    try:
        return np.fromiter((index[v.strip()] for v in islice(flat, j, None, width)), dtype=np.intp, count=n)
    except KeyError:
        return None


def _clean_block(raw: bytes, name: str, ctx: ScoreContext, codes: _StageCodes) -> _Block | None:
    """The rows of a score file (its bytes) that :func:`read_clean_score_csv` reads (a clean long
    file in the plainest dialect), as codes; ``None`` for any other file."""
    try:
        text, _enc = decode_bytes(raw, name)
    except InputError:
        return None
    plain = plain_body(text, name=name)
    if plain is None:
        return None
    sep, header, body = plain
    col = {h: i for i, h in enumerate(header)}
    if any(c not in col for c in ("expert_id", "application_id", "criterion_id", "score")):
        return None
    width = len(header)
    flat = body.replace("\n", sep).split(sep) if width > 1 else body.split("\n")
    n = len(flat) // width
    experts = set(islice(flat, col["expert_id"], None, width))  # mostly one expert per file
    if len(experts) == 1 and (only := next(iter(experts))) in codes.expert:
        expert: np.ndarray | None = np.full(n, codes.expert[only], dtype=np.intp)
    else:
        expert = _column_codes(flat, col["expert_id"], width, n, codes.expert)
    application = _column_codes(flat, col["application_id"], width, n, codes.application)
    criterion = _column_codes(flat, col["criterion_id"], width, n, codes.criterion)
    if expert is None or application is None or criterion is None:
        return None
    text_codes = np.fromiter(map(codes.texts.__getitem__, islice(flat, col["score"], None, width)),
                             dtype=np.intp, count=n)
    pair = text_codes * len(codes.criteria) + criterion
    if not codes.parse(pair, ctx):
        return None
    comment = None
    if "comment" in col:
        distinct = set(islice(flat, col["comment"], None, width))
        if distinct != {""}:
            values = islice(flat, col["comment"], None, width)
            comment = (list(values) if all(v == v.strip() for v in distinct) else list(map(str.strip, values)))
    return _Block(name, hashlib.sha256(raw).hexdigest(), column_letter(col["score"]), expert, application,
                  criterion, codes.value[pair], codes.abstain[pair], comment)


#: Tests set this to read a clean stage's files as text (:func:`_clean_block`), the reference of
#: the byte-level reading (:func:`_byte_blocks`).
_text_only = False

#: An odd 64-bit multiplier that mixes the 8-byte words of a longer value into one key.
_MIX = np.uint64(0x9E3779B97F4A7C15)


def _byte_values(data: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, list[str]] | None:
    """Each field ``data[start:end]`` (UTF-8 bytes with no NUL, ``data`` padded with 72 zero bytes)
    as a code of its distinct values (in order of first appearance) and those values as text;
    ``None`` for a field longer than 64 bytes, a big-endian machine or a mix of two values into
    one key (then read the text).

    A field's bytes, zero-padded to whole 8-byte words (read at any byte offset), are its key when
    one word holds them; a longer field's words are mixed into one key, and every word of every
    field is then compared with the first field of its key, so that equal codes are equal values.
    """
    length = end - start
    n_words = max(1, -(-int(length.max()) // 8))
    if n_words > 8 or sys.byteorder != "little":
        return None
    # the 8 bytes from every offset as one word (the first byte the lowest), and the words'
    # masks by the number of the field's bytes they hold
    at_offset = np.ndarray((len(data) - 7,), dtype=np.uint64, buffer=data, strides=(1,))
    shortest = int(length.min())
    words = [at_offset[start + 8 * i] if shortest >= 8 * (i + 1)  # a word every field fills
             else at_offset[start + 8 * i] & _MASKS[np.clip(length - 8 * i, 0, 8)] for i in range(n_words)]
    key = words[0]
    for w in words[1:]:
        key = key * _MIX ^ w
    rows, _keys = pd.factorize(key)
    # codes are numbered in order of first appearance: the running maximum rises at each first
    first = np.flatnonzero(np.diff(np.maximum.accumulate(rows), prepend=-1) > 0)
    if n_words > 1 and not all((w == w[first][rows]).all() for w in words):
        return None
    texts = [data[a:b].tobytes().decode("utf-8") for a, b in zip(start[first].tolist(), end[first].tolist(), strict=True)]
    return rows, texts


#: The mask of a word's first k bytes (k = 0..8), the first byte the lowest.
_MASKS = np.array([(1 << (8 * k)) - 1 for k in range(9)], dtype=np.uint64)


def _byte_codes(data: np.ndarray, start: np.ndarray, end: np.ndarray, index: Mapping[str, int],
               strip: bool = True) -> np.ndarray | None:
    """The codes in ``index`` of the fields ``data[start:end]`` (with ``strip``, a field stripped
    if it is not found as it is), or ``None`` if one is not found."""
    found = _byte_values(data, start, end)
    if found is None:
        return None
    rows, texts = found
    known = []
    for t in texts:
        k = index.get(t)
        if k is None and strip:
            k = index.get(t.strip())
        if k is None:
            return None
        known.append(k)
    return np.array(known, dtype=np.intp)[rows]


def _byte_fields(body: bytes, sep: str, width: int) -> tuple[np.ndarray, list[tuple[np.ndarray, np.ndarray]]] | None:
    """The bytes of CSV data lines (no quotes, ``\\n`` line ends, at least two columns) padded
    with 72 zero bytes, and each column's fields as (start, end) offsets; ``None`` unless every
    line holds ``width - 1`` separators and is not longer than the csv module's field limit."""
    data = np.frombuffer(body + bytes(72), dtype=np.uint8)
    size = len(body)
    newlines = np.flatnonzero(data[:size] == 10)
    n = len(newlines) + 1
    line_start = np.concatenate(([0], newlines + 1))
    line_end = np.append(newlines, size)
    if width < 2 or int((line_end - line_start).max()) > csv.field_size_limit():
        return None  # bytes, not characters: the text reading tells
    positions = np.flatnonzero(data[:size] == ord(sep))
    if len(positions) != n * (width - 1):
        return None
    seps = positions.reshape(n, width - 1)
    if not ((seps[:, 0] >= line_start).all() and (seps[:, -1] < line_end).all()):
        return None
    starts = [line_start, *(seps[:, j] + 1 for j in range(width - 1))]
    ends = [*(seps[:, j] for j in range(width - 1)), line_end]
    return data, list(zip(starts, ends, strict=True))


def _byte_blocks(raws: Sequence[tuple[str, bytes]], ctx: ScoreContext, codes: _StageCodes) -> list[_Block] | None:
    """The :class:`_Block` of each file (``(display name, bytes)``) that :func:`_clean_block`
    makes, read from the UTF-8 bytes of all files' data lines at once (one header for all, no
    comment written): separators and line ends are found with numpy, each id column's distinct
    values looked up once (:func:`_byte_codes`) and no text made per value; ``None`` for any
    other stage (then each file is read as text)."""
    heads: list[tuple[str, list[str], str]] = []
    for name, raw in raws:
        try:
            text, _enc = decode_bytes(raw, name)
        except InputError:
            return None
        head = plain_head(text, name=name)
        if head is None or (heads and head[:2] != heads[0][:2]):
            return None
        heads.append(head)
    sep, header = heads[0][0], heads[0][1]
    col = {h: i for i, h in enumerate(header)}
    if any(c not in col for c in ("expert_id", "application_id", "criterion_id", "score")):
        return None
    width = len(header)
    bodies = [h[2].encode("utf-8") for h in heads]
    fields = _byte_fields(b"\n".join(bodies), sep, width)
    if fields is None:
        return None
    data, bounds = fields

    if "comment" in col and (np.subtract(*bounds[col["comment"]]) != 0).any():
        return None  # a comment written: read as text
    expert = _byte_codes(data, *bounds[col["expert_id"]], codes.expert)
    application = _byte_codes(data, *bounds[col["application_id"]], codes.application)
    criterion = _byte_codes(data, *bounds[col["criterion_id"]], codes.criterion)
    found = _byte_values(data, *bounds[col["score"]])
    if expert is None or application is None or criterion is None or found is None:
        return None
    rows, texts = found
    pair = np.array([codes.texts[t] for t in texts], dtype=np.intp)[rows] * len(codes.criteria) + criterion
    if not codes.parse(pair, ctx):
        return None
    value, abstain = codes.value[pair], codes.abstain[pair]
    letter = column_letter(col["score"])
    out, at = [], 0
    for (name, raw), body in zip(raws, bodies, strict=True):
        k = body.count(b"\n") + 1
        part = slice(at, at + k)
        out.append(_Block(name, hashlib.sha256(raw).hexdigest(), letter, expert[part], application[part],
                          criterion[part], value[part], abstain[part], None))
        at += k
    return out


def _in_pairs(pairs: np.ndarray, members: np.ndarray, size: int) -> np.ndarray:
    """Whether each of ``pairs`` (integers below ``size``) is one of ``members``."""
    if size <= 1 << 27:
        table = np.zeros(size, dtype=bool)
        table[members] = True
        return table[pairs]
    return np.isin(pairs, members)


def _pair_codes(pairs: Mapping[str, Iterable[str]], codes: _StageCodes) -> np.ndarray:
    """``expert * len(applications) + application`` of each pair of an expert and one of its
    applications whose ids are known (a pair with an unknown id matches no row)."""
    names: list[str] = []
    sizes, experts = [], []
    for e, apps in pairs.items():
        if e in codes.expert:
            size = len(names)
            names.extend(apps)
            sizes.append(len(names) - size)
            experts.append(codes.expert[e])
    offset = np.repeat(np.array(experts, dtype=np.int64) * len(codes.applications), sizes)
    try:
        found = np.fromiter(map(codes.application.__getitem__, names), dtype=np.int64, count=len(names))
    except KeyError:  # an unknown application matches no row
        known = np.fromiter((a in codes.application for a in names), dtype=bool, count=len(names))
        found = np.array([codes.application[a] for a in names if a in codes.application], dtype=np.int64)
        offset = offset[known]
    return found + offset


def read_clean_stage(files: Sequence[tuple[Path, str]], ctx: ScoreContext) -> pd.DataFrame | None:
    """The evaluation :func:`combine_scores` makes of a stage's score files (``(path, display
    name)``, in order) when each is a clean long CSV in the plainest dialect
    (:func:`read_clean_score_csv`) and no check between rows can fail (no score twice, none
    outside an expert's assignment unless counted, none by a conflicted expert); ``None``
    otherwise (then read the files one by one, which words every problem).

    Each file is split at once and its ids become integer codes (the ids' ranks in code-point
    order), so that the canonical order, the duplicate, assignment and conflict checks are
    integer operations and each column of the result is taken from its distinct values; the
    frame equals :func:`combine_scores`' (tested in ``tests/io/test_scale_stage.py``).
    """
    if _reference_only or _file_by_file or not files:
        return None
    codes = _StageCodes(ctx)
    if not codes.usable():
        return None
    if any(path.suffix.lower() != ".csv" for path, _ in files):
        return None
    raws = [(name, path.read_bytes()) for path, name in files]
    blocks = None if _text_only else _byte_blocks(raws, ctx, codes)
    if blocks is None:
        blocks = []
        for name, raw in raws:
            block = _clean_block(raw, name, ctx, codes)
            if block is None:
                return None
            blocks.append(block)
    expert = np.concatenate([b.expert for b in blocks]).astype(np.int64)
    application = np.concatenate([b.application for b in blocks]).astype(np.int64)
    criterion = np.concatenate([b.criterion for b in blocks])
    score = np.concatenate([b.score for b in blocks])
    abstained = np.concatenate([b.abstained for b in blocks])
    order = _checked_order(expert, application, criterion, score, abstained, codes, ctx)
    if order is None:
        return None
    sizes = [len(b.expert) for b in blocks]
    file_of = np.repeat(np.arange(len(blocks)), sizes)[order]
    empty = np.full(len(order), "", dtype=object)
    if all(b.comment is None for b in blocks):
        comment = empty.copy()  # each column its own array: the frame is made without copies
    else:
        comment = np.concatenate([empty[:len(b.expert)] if b.comment is None else np.array(b.comment, dtype=object)
                                  for b in blocks])[order]
    cell = np.concatenate([_cell_array(b.letter, len(b.expert)) for b in blocks])[order]
    columns = {
        ev.EXPERT: np.array(codes.experts, dtype=object)[expert[order]],
        ev.APPLICATION: np.array(codes.applications, dtype=object)[application[order]],
        ev.CRITERION: np.array(codes.criteria, dtype=object)[criterion[order]],
        ev.SCORE: score[order],
        ev.ABSTAINED: abstained[order],
        ev.COMMENT: comment,
        ev.SOURCE_FILE: np.array([b.name for b in blocks], dtype=object)[file_of],
        ev.SOURCE_SHA256: np.array([b.digest for b in blocks], dtype=object)[file_of],
        ev.SHEET: empty,
        ev.CELL: cell,
    }
    dtypes = ev.empty_evaluation().dtypes
    return pd.DataFrame({c: v if v.dtype != object else pd.array(v, dtype=dtypes[c])
                         for c, v in columns.items()}, copy=False)


def _checked_order(expert: np.ndarray, application: np.ndarray, criterion: np.ndarray, score: np.ndarray,
                   abstained: np.ndarray, codes: _StageCodes, ctx: ScoreContext) -> np.ndarray | None:
    """The canonical order (:func:`selection.evaluation.sort_evaluation`) of rows given as codes
    (int64 experts and applications) when no check between rows can fail: no two rows for one
    expert, application and criterion, no score outside an expert's assignment (unless the call
    counts them), no score by an expert with a declared conflict of interest; ``None`` otherwise
    (:func:`_cross_checks` words the problems)."""
    n_e, n_a, n_c = len(codes.experts), len(codes.applications), len(codes.criteria)
    if n_a * n_e * n_c >= 2 ** 62:
        return None
    key = (application * n_e + expert) * n_c + criterion
    order = np.argsort(key, kind="stable")
    ordered = key[order]
    if (ordered[1:] == ordered[:-1]).any():  # a score given twice
        return None
    pair = expert * n_a + application
    if ctx.assignments is not None and not ctx.count_outside_assignment:
        assigned = _pair_codes(ctx.assignments, codes)
        scored = ~np.isnan(score)
        if not _in_pairs(pair[scored], assigned, n_e * n_a).all():
            return None
    conflicted = _pair_codes({x.id: x.conflicts for x in ctx.experts.values()}, codes)
    if len(conflicted) and _in_pairs(pair[~abstained], conflicted, n_e * n_a).any():
        return None
    return order


def _frame_order(frame: pd.DataFrame, ctx: ScoreContext) -> np.ndarray | None:
    """:func:`_checked_order` of an evaluation frame's rows whose ids are all known strings (each
    looked up in the stage's sorted ids), or ``None``."""
    codes = _StageCodes(ctx)
    if frame.empty or not codes.usable():
        return None
    n = len(frame)
    try:
        expert, application, criterion = (
            np.fromiter(map(index.__getitem__, frame[c].tolist()), dtype=np.int64, count=n)
            for c, index in ((ev.EXPERT, codes.expert), (ev.APPLICATION, codes.application),
                             (ev.CRITERION, codes.criterion)))
    except (KeyError, TypeError):  # an unknown id, or one that is not text
        return None
    score = frame[ev.SCORE].astype(float).to_numpy()
    abstained = frame[ev.ABSTAINED].to_numpy(dtype=bool)
    return _checked_order(expert, application, criterion, score, abstained, codes, ctx)


#: Cell names of a column's data rows from row 2 on, by column letter (see :func:`_cell_array`).
_CELL_ARRAYS: dict[str, np.ndarray] = {}


def _cell_array(letter: str, n: int) -> np.ndarray:
    """``_cell_names(letter, n)`` as an object array (made once per letter and length)."""
    names = _CELL_ARRAYS.get(letter)
    if names is None or len(names) < n:
        names = _CELL_ARRAYS[letter] = np.array(_cell_names(letter, max(n, 2 * len(names) if names is not None else n)),
                                                dtype=object)
    return names[:n]


def _read_long_clean(header: list[str], records: list[tuple[int, list[str]]], ctx: ScoreContext
                     ) -> tuple[Any, ...] | None:
    """The columns (expert, application, criterion, score, abstained, comment, cell) of a long
    score file in which every row is clean, or ``None`` if any row may have a problem (a missing
    column, a short row, an unknown id or criterion, a score :func:`score_cell` refuses): then
    :func:`_read_long` reads it row by row and words each problem.

    Column-wise instead of row by row: ids are checked as sets and each distinct (score text,
    criterion) pair is parsed once by :func:`score_cell`, so the result equals :func:`_read_long`'s
    (tested in ``tests/io/test_scale_read.py``).
    """
    if not records:
        return None
    width = len(header)
    raw = [r for _, r in records]
    if any(len(r) != width for r in raw):
        return None
    return _clean_columns(header, list(zip(*raw, strict=True)), [line for line, _ in records], ctx)


def _stripped(values: Sequence[str]) -> tuple[list[str], set[str]]:
    """``values`` with each value stripped, and the distinct stripped values (a column repeats a
    few distinct values: when none of them needs it, the values are kept as they are)."""
    distinct = set(values)
    if all(v == v.strip() for v in distinct):
        return (values if isinstance(values, list) else list(values)), distinct
    out = list(map(str.strip, values))
    return out, set(out)


def _codes(values: list[str], distinct: set[str]) -> tuple[np.ndarray, list[str]]:
    """Each value's index in ``list(distinct)``, and that list."""
    order = list(distinct)
    index = {v: i for i, v in enumerate(order)}
    return np.fromiter(map(index.__getitem__, values), dtype=np.intp, count=len(values)), order


def _clean_columns(header: list[str], columns: Sequence[Sequence[str]], lines: Sequence[int] | None,
                   ctx: ScoreContext) -> tuple[Any, ...] | None:
    """:func:`_read_long_clean` of a file's raw columns (all of the header's width) and the line
    of each row (``None``: lines 2, 3, ...); the scores (NaN for an abstention) and abstentions
    as arrays. Each distinct (score text, criterion) pair is parsed once, and looked up by codes."""
    col = {h: i for i, h in enumerate(header)}
    if any(c not in col for c in ("expert_id", "application_id", "criterion_id", "score")):
        return None
    n = len(columns[0])
    if not n:
        return None
    e, e_set = _stripped(columns[col["expert_id"]])
    a, a_set = _stripped(columns[col["application_id"]])
    c, c_set = _stripped(columns[col["criterion_id"]])
    if (not ctx.experts.keys() >= e_set or not ctx.applications.keys() >= a_set
            or not set(ctx.catalogue.criterion_ids) >= c_set):
        return None
    s_codes, s_order = _codes(*_stripped(columns[col["score"]]))
    c_codes, c_order = _codes(c, c_set)
    pair = s_codes * len(c_order) + c_codes
    used = np.unique(pair)
    value = np.full(len(s_order) * len(c_order), np.nan)
    abstain = np.zeros(len(value), dtype=bool)
    for k in used.tolist():
        x, abstained, msg = score_cell(s_order[k // len(c_order)], c_order[k % len(c_order)], ctx)
        if msg:
            return None
        value[k] = np.nan if x is None else x
        abstain[k] = abstained
    comment = _stripped(columns[col["comment"]])[0] if "comment" in col else [""] * n
    letter = column_letter(col["score"])
    where = (_cell_names(letter, n) if lines is None else [f"{letter}{line}" for line in lines])
    return e, a, c, value[pair], abstain[pair], comment, where


#: Cell names of a column's data rows from row 2 on (``D2``, ``D3``, ...), by column letter: the
#: many score files of a call share them (see :func:`_cell_names`).
_CELL_NAMES: dict[str, list[str]] = {}


def _cell_names(letter: str, n: int) -> list[str]:
    """``[f"{letter}{line}" for line in range(2, n + 2)]``, made once per letter and length."""
    names = _CELL_NAMES.get(letter, [])
    if len(names) < n:
        names = _CELL_NAMES[letter] = [f"{letter}{line}" for line in range(2, max(n, 2 * len(names)) + 2)]
    return names[:n]


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


def _cross_checks(frame: pd.DataFrame, ctx: ScoreContext, distinct: bool = False) -> list[Problem]:
    """The problems between rows (``distinct``: no two rows of ``frame`` have the same expert,
    application and criterion, so none can clash)."""
    problems = []
    # Only filled cells (a score or an abstention) can clash; empty ones are reported already.
    filled = frame[frame[ev.SCORE].notna() | frame[ev.ABSTAINED].astype(bool)]
    groups = []
    if not distinct:
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
    conflicted = set(pairs)
    keys = zip(frame[ev.EXPERT].astype(str).tolist(), frame[ev.APPLICATION].astype(str).tolist(), strict=True)
    hit = (np.fromiter(map(conflicted.__contains__, keys), dtype=bool, count=len(frame))
           & ~frame[ev.ABSTAINED].astype(bool).to_numpy())
    for row in frame[hit].itertuples(index=False):
        problems.append(Problem(
            f"expert {row.expert_id} declared a conflict of interest with {row.application_id} "
            "but scored it", file=row.source_file, sheet=row.sheet or None, cell=row.cell,
            hint="remove the score; conflicted scores are never used"))
    return problems


def _row_keys(frame: pd.DataFrame) -> np.ndarray | None:
    """One integer per row that orders the rows as :func:`selection.evaluation.sort_evaluation`
    does (application, expert, criterion: ranks of the distinct ids, in mixed radix; equal keys
    for equal ids), or ``None`` when an id is not a string. Python orders strings as pandas sorts
    them (by code point)."""
    key = np.zeros(len(frame), dtype=np.int64)
    size = 1
    for c in (ev.APPLICATION, ev.EXPERT, ev.CRITERION):
        values = frame[c].tolist()
        distinct = set(values)
        if not all(type(v) is str for v in distinct):
            return None
        rank = {v: i for i, v in enumerate(sorted(distinct))}
        size *= max(len(rank), 1)
        if size >= 2 ** 62:
            return None
        key = key * len(rank) + np.fromiter(map(rank.__getitem__, values), dtype=np.int64, count=len(values))
    return key


def _sorted_evaluation(frame: pd.DataFrame, order: np.ndarray | None) -> pd.DataFrame:
    """:func:`selection.evaluation.sort_evaluation` of ``frame``, given its order (the stable
    argsort of :func:`_row_keys`; pandas' multi-column string sort costs ~10x more at 20,000
    applications); equal frames (tested in ``tests/io/test_scale_read.py``)."""
    if order is None:
        return ev.sort_evaluation(frame)
    out = frame.astype(ev.empty_evaluation().dtypes.to_dict())[ev.COLUMNS]
    return out.take(order).reset_index(drop=True)


def outside_assignment(frame: pd.DataFrame, assignments: Mapping[str, frozenset[str]] | None
                       ) -> pd.DataFrame:
    """The scores (not abstentions) of ``frame`` by an expert for an application not assigned to
    them: one row per expert x application x file, with ``n_scores`` and the first cell.

    Empty when there are no assignments (every expert may score every application).
    """
    cols = [ev.EXPERT, ev.APPLICATION, ev.SOURCE_FILE, ev.SHEET, ev.CELL, "n_scores"]
    if assignments is None or frame.empty:
        return pd.DataFrame(columns=cols)
    scored = frame[ev.SCORE].notna().to_numpy()
    # the scored rows' experts and applications as codes of their distinct values, the assigned
    # pairs in the same codes; rows are copied only if one is outside
    e_codes, experts = pd.factorize(frame[ev.EXPERT].to_numpy()[scored])
    a_codes, applications = pd.factorize(frame[ev.APPLICATION].to_numpy()[scored])
    e_index = {v: i for i, v in enumerate(experts.tolist())}
    a_index = {v: i for i, v in enumerate(applications.tolist())}
    n_e, n_a = max(len(experts), 1), max(len(applications), 1)
    assigned = np.array([e_index[e] * n_a + a_index[a] for e, apps in assignments.items() if e in e_index
                         for a in apps if a in a_index], dtype=np.int64)
    outside = ~_in_pairs(e_codes.astype(np.int64) * n_a + a_codes, assigned, n_e * n_a)
    if not outside.any():
        return pd.DataFrame(columns=cols)
    out = frame[scored][outside]
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
    if not problems and not (_reference_only or _file_by_file):  # no check can fail: order by codes
        checked = _frame_order(frame, ctx)
        if checked is not None:
            return _sorted_evaluation(frame, checked)
    key = _row_keys(frame)
    order = None if key is None else np.argsort(key, kind="stable")
    distinct = key is not None and order is not None and not (np.diff(key[order]) == 0).any()
    problems = [*problems, *_cross_checks(frame, ctx, distinct)]
    if problems:
        raise ScoreSheetError(problems)
    return _sorted_evaluation(frame, order)


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
