"""Read the CSV dialects people actually send: comma or semicolon separated, decimal comma,
UTF-8 with or without BOM, or Windows-1252 (as a Danish Excel saves "CSV (semikolonsepareret)").
An Excel ``sep=;`` first line sets the separator. Files that are not CSV text although they are
named ``.csv`` are recognised and refused with what they are and how to save them: UTF-16 text
(Excel's "Unicode text"), an .xlsx workbook (zip) and an old .xls workbook (OLE). A header that
names a column twice is refused (naming both positions): the last copy would silently win.

>>> t = parse_csv_text("id;score\\nA;3,5\\n", name="x.csv")
>>> t.separator, t.header, t.rows[0].values
(';', ['id', 'score'], {'id': 'A', 'score': '3,5'})
>>> parse_number("3,5"), parse_number("4.0"), parse_number(" 2 ")
(3.5, 4.0, 2.0)
"""

from __future__ import annotations

import csv
import gc
import io
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from selection.errors import InputError, Problem

__all__ = ["CsvRow", "CsvTable", "decode_bytes", "file_kind_problem", "duplicate_column_problems",
           "column_letter", "gc_paused", "read_csv", "parse_csv_text", "parse_csv_records", "records_table", "plain_body", "plain_head", "split_plain_columns", "parse_number", "parse_money", "parse_bool", "parse_list"]


@contextmanager
def gc_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector while a reader builds its rows (a decorator too).

    The readers make millions of small lists, tuples and strings and no reference cycles; each
    burst of new objects otherwise triggers collections that scan the whole growing heap (at
    20,000 applications most of the reading time). Results do not change; collection resumes at
    the end (nested uses resume at the outermost).
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class CsvRow:
    """One data row: its 1-based line number in the file and its values by header name."""

    line: int
    values: dict[str, str]


class CsvTable:
    """A parsed CSV table: its name, encoding, separator, header (names stripped and lower-cased),
    data rows (values stripped) and the line of its header (2 after an Excel ``sep=`` line).

    A table read column-wise (``columns``: each header position's stripped values, the data rows
    on the lines after the header) makes its :attr:`rows` only when they are first asked for; the
    column-wise readers take :meth:`column` instead. Two tables are equal when their name,
    encoding, separator, header, rows and header line are.
    """

    __slots__ = ("name", "encoding", "separator", "header", "header_line", "_rows", "_columns")

    def __init__(self, name: str, encoding: str, separator: str, header: list[str],
                 rows: list[CsvRow] | None = None, header_line: int = 1, *,
                 columns: list[list[str]] | None = None) -> None:
        if (rows is None) == (columns is None):
            raise ValueError("give a table's rows or its columns")
        self.name = name
        self.encoding = encoding
        self.separator = separator
        self.header = header
        self.header_line = header_line
        self._rows = rows
        self._columns = columns

    @property
    def rows(self) -> list[CsvRow]:
        """The data rows (made from the columns once, when first asked for)."""
        if self._rows is None:
            assert self._columns is not None
            header = self.header
            first = self.header_line + 1
            # dict(zip(...)) keeps the last of repeated (empty) header names, as records_table does
            self._rows = [CsvRow(first + i, dict(zip(header, values, strict=True)))
                          for i, values in enumerate(zip(*self._columns, strict=True))]
        return self._rows

    def column(self, name: str) -> list[str] | None:
        """The values of the column ``name`` (stripped, one per row; the last column of that name),
        or ``None`` if the header has no such column."""
        if name not in self.header:
            return None
        if self._columns is not None:
            return self._columns[len(self.header) - 1 - self.header[::-1].index(name)]
        return [r.values[name] for r in self.rows]

    def renamed(self, name: str) -> CsvTable:
        """The same table under another name."""
        return CsvTable(name, self.encoding, self.separator, self.header, self._rows, self.header_line,
                        columns=self._columns if self._rows is None else None)

    def _key(self) -> tuple[Any, ...]:
        return self.name, self.encoding, self.separator, self.header, self.rows, self.header_line

    def __eq__(self, other: object) -> bool:
        return isinstance(other, CsvTable) and self._key() == other._key()

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"CsvTable(name={self.name!r}, encoding={self.encoding!r}, separator={self.separator!r}, "
                f"header={self.header!r}, rows={self.rows!r}, header_line={self.header_line!r})")


_SAVE_AS = ("open it in Excel and save it as 'CSV UTF-8 (comma delimited)' or "
            "'CSV (semikolonsepareret)'")


def file_kind_problem(data: bytes, name: str) -> Problem | None:
    """A problem if ``data`` (a file named ``.csv``) is not CSV text: UTF-16 text, an .xlsx or an
    .xls workbook, or binary data with NUL bytes; ``None`` if it may be CSV text.

    >>> file_kind_problem(b"PK\x03\x04...", "s.csv").message
    'this is an Excel workbook (.xlsx, a zip file) with a .csv name, not CSV text'
    """
    if data.startswith(b"PK\x03\x04") or data.startswith(b"PK\x05\x06"):
        return Problem("this is an Excel workbook (.xlsx, a zip file) with a .csv name, not CSV text",
                       file=name, hint="if it is an expert's personal score sheet, give it its .xlsx name "
                                       f"again; otherwise {_SAVE_AS}")
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        return Problem("this is an old Excel workbook (.xls) with a .csv name, not CSV text", file=name,
                       hint=_SAVE_AS)
    if data.startswith((b"\xff\xfe", b"\xfe\xff")) or (b"\x00" in data[:4096] and _utf16_like(data)):
        return Problem("this is UTF-16 text (Excel's 'Unicode text'), not UTF-8 or Windows-1252 CSV",
                       file=name, hint=_SAVE_AS)
    if b"\x00" in data:
        return Problem("this is a binary file (it holds NUL bytes), not CSV text", file=name,
                       hint=_SAVE_AS)
    return None


def _utf16_like(data: bytes) -> bool:
    head = data[:4096]
    return head[1::2].count(0) > len(head) // 4 or head[0::2].count(0) > len(head) // 4


def decode_bytes(data: bytes, name: str | None = None) -> tuple[str, str]:
    """Decode file bytes: UTF-8 (with or without BOM), else Windows-1252. Returns (text, encoding).

    With ``name``, a file that is not CSV text at all (see :func:`file_kind_problem`) raises an
    :class:`InputError` saying what it is.
    """
    if name is not None:
        problem = file_kind_problem(data, name)
        if problem is not None:
            raise InputError(problem)
    if data.startswith(b"\xef\xbb\xbf"):
        return data[3:].decode("utf-8", errors="strict"), "utf-8-sig"
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    try:
        return data.decode("cp1252"), "cp1252"
    except UnicodeDecodeError:
        return data.decode("latin-1"), "latin-1"


def _sniff_separator(first_line: str) -> str:
    counts = {}
    for sep in (";", ",", "\t"):
        n, quoted = 0, False
        for ch in first_line:
            if ch == '"':
                quoted = not quoted
            elif ch == sep and not quoted:
                n += 1
        counts[sep] = n
    best = max(counts, key=lambda s: (counts[s], s == ";"))
    return best if counts[best] > 0 else ","


_SEP_LINE = re.compile(r"^\s*\"?sep=(.)\"?[,;\t]*\s*$", re.IGNORECASE)


def column_letter(index: int) -> str:
    """Spreadsheet column letter of a 0-based index: ``column_letter(27) == 'AB'``."""
    name, n = "", index + 1
    while n:
        n, r = divmod(n - 1, 26)
        name = chr(65 + r) + name
    return name


def duplicate_column_problems(header: list[str], name: str, line: int = 1) -> list[Problem]:
    """One problem per column name that the header holds more than once (empty names aside).

    >>> print(duplicate_column_problems(["id", "a", "b", "a"], "x.csv")[0])
    x.csv, row 1: column 'a' appears twice: column 2 (B) and column 4 (D). Fix: rename or delete one of them; each column name may appear once
    """
    seen: dict[str, int] = {}
    problems = []
    for i, h in enumerate(header):
        if not h:
            continue
        if h in seen:
            j = seen[h]
            problems.append(Problem(
                f"column {h!r} appears twice: column {j + 1} ({column_letter(j)}) and column {i + 1} "
                f"({column_letter(i)})", file=name, row=line,
                hint="rename or delete one of them; each column name may appear once"))
        else:
            seen[h] = i
    return problems


@gc_paused()
def parse_csv_text(text: str, *, name: str) -> CsvTable:
    """Parse CSV text with a sniffed separator (or the one an Excel ``sep=`` first line names);
    header names are stripped and lower-cased; a repeated header name is an error."""
    return records_table(name, *parse_csv_records(text, name=name))


def records_table(name: str, sep: str, header: list[str], header_line: int,
                  records: list[tuple[int, list[str]]]) -> CsvTable:
    """The :class:`CsvTable` of :func:`parse_csv_records`' output: values stripped, short rows
    padded with empty values (a reader that parsed the records itself builds the same table)."""
    width = len(header)
    rows: list[CsvRow] = []
    append = rows.append
    strip = str.strip
    for line, record in records:
        if len(record) < width:
            record = record + [""] * (width - len(record))
        # dict(zip(...)) keeps the last of repeated (empty) header names, as a dict display does
        append(CsvRow(line, dict(zip(header, map(strip, record), strict=True))))
    return CsvTable(name=name, encoding="", separator=sep, header=header, rows=rows, header_line=header_line)


@gc_paused()
def parse_csv_records(text: str, *, name: str) -> tuple[str, list[str], int, list[tuple[int, list[str]]]]:
    """The checks and the parse of :func:`parse_csv_text` without a dict per row:
    ``(separator, header, header_line, [(line, raw values), ...])``.

    Values are as the csv module returns them (not stripped; a row may hold fewer values than the
    header, never more). Blank rows are skipped; every problem :func:`parse_csv_text` raises is
    raised here (it is built on this function), so a fast reader keeps every check.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if "\x00" in text:
        raise InputError(Problem("the text holds NUL characters, so it is not CSV text", file=name,
                                 hint=_SAVE_AS))
    head, newline, rest = text.partition("\n")
    declared = None
    m = _SEP_LINE.match(head)
    if m:  # Excel's "sep=;" line: honour it and keep line numbers (the line becomes blank)
        declared = m.group(1)
        head = ""
        text = newline + rest
    first = head if head.strip() else next((ln for ln in rest.split("\n") if ln.strip()), "")
    if not first:
        raise InputError(Problem("the file is empty", file=name, hint="export the table again"))
    sep = declared or _sniff_separator(first)
    if declared and declared not in first:
        raise InputError(Problem(f"the first line says sep={declared!r}, but the header holds no {declared!r}",
                                 file=name, row=1, hint="delete the sep= line, or save the file with that separator"))
    if '"' not in text:  # no quoting, so one record per line: split without the csv module
        lines = text.split("\n")
        if max(map(len, lines)) <= csv.field_size_limit():  # longer: the csv module's error
            return _split_records(lines, sep, name)
    reader = csv.reader(io.StringIO(text), delimiter=sep, quotechar='"')
    header: list[str] | None = None
    header_line = 1
    records: list[tuple[int, list[str]]] = []
    append = records.append
    width = 0
    try:
        for record in reader:
            # blank: no value holds anything but whitespace (the joined values tell at once)
            if not (record and record[0].strip()) and not "".join(record).strip():
                continue
            line = reader.line_num
            if header is None:
                header = [h.strip().lower() for h in record]
                header_line = line
                width = len(header)
                duplicates = duplicate_column_problems(header, name, line)
                if duplicates:
                    raise InputError(duplicates)
                continue
            if len(record) > width:
                raise _too_many_values(len(record), width, sep, name, line)
            append((line, record))
    except csv.Error as exc:
        raise InputError(Problem(f"not readable as CSV: {exc}", file=name)) from None
    if header is None:  # only separators and blanks, e.g. ";;;"
        raise InputError(Problem("the file holds no header and no data", file=name,
                                 hint="export the table again"))
    return sep, header, header_line, records


def _too_many_values(n: int, width: int, sep: str, name: str, line: int) -> InputError:
    # More values than columns is an error even when the extra ones are empty: in a
    # comma-separated file an unquoted decimal comma ("3,5") splits one value in two.
    return InputError(Problem(
        f"{n} values but the header has {width} columns", file=name, row=line,
        hint=f"check the separator ({sep!r}) and quoting in that row"
             + ('; a decimal comma in a comma-separated file needs quotes ("3,5")' if sep == "," else "")))


def _split_records(lines: list[str], sep: str, name: str
                   ) -> tuple[str, list[str], int, list[tuple[int, list[str]]]]:
    """:func:`parse_csv_records` of text without a quote character: each line is one record,
    split at ``sep`` exactly as the csv module splits it (an empty line is blank either way)."""
    split = [ln.split(sep) for ln in lines]
    # blank: no value holds anything but whitespace (the joined values tell at once)
    filled = [i for i, r in enumerate(split) if r[0].strip() or "".join(r).strip()]
    if not filled:  # only separators and blanks, e.g. ";;;"
        raise InputError(Problem("the file holds no header and no data", file=name,
                                 hint="export the table again"))
    first = filled[0]
    header = [h.strip().lower() for h in split[first]]
    duplicates = duplicate_column_problems(header, name, first + 1)
    if duplicates:
        raise InputError(duplicates)
    width = len(header)
    records = [(i + 1, split[i]) for i in filled[1:]]
    if records and max(len(r) for _, r in records) > width:
        line, r = next((line, r) for line, r in records if len(r) > width)
        raise _too_many_values(len(r), width, sep, name, line)
    return sep, header, first + 1, records


def plain_body(text: str, *, name: str) -> tuple[str, list[str], str] | None:
    """The separator, header and body (the data lines joined by ``\\n``, trailing empty lines
    cut) of CSV text in the plainest dialect (see :func:`split_plain_columns`, which splits the
    body into columns); ``None`` for any other text. Blank rows are not looked for here (a row
    of blank values has the header's width): the caller does.

    >>> plain_body("id;x\\r\\nA;1\\r\\nB; 2\\r\\n\\r\\n", name="t.csv")
    (';', ['id', 'x'], 'A;1\\nB; 2')
    >>> plain_body("id;x\\nA;1;2\\n", name="t.csv") is None
    True
    """
    head = plain_head(text, name=name)
    if head is None or not _lines_of_width(head[2], head[0], len(head[1]), csv.field_size_limit()):
        return None
    return head


def plain_head(text: str, *, name: str) -> tuple[str, list[str], str] | None:
    """:func:`plain_body` without the check of the data lines (each holds as many values as the
    header and is not longer than the csv module's field limit): the caller checks them."""
    if '"' in text or "\x00" in text:
        return None
    if "\r" in text:  # line ends as parse_csv_records reads them
        text = text.replace("\r\n", "\n").replace("\r", "\n")
    first, _, body = text.partition("\n")
    if not first.strip() or _SEP_LINE.match(first):
        return None
    sep = _sniff_separator(first)
    header = [h.strip().lower() for h in first.split(sep)]
    if duplicate_column_problems(header, name):
        return None
    body = body.rstrip("\n")
    if not body or len(first) > csv.field_size_limit():
        return None
    return sep, header, body


def _lines_of_width(body: str, sep: str, width: int, limit: int) -> bool:
    """Whether every line of ``body`` holds exactly ``width - 1`` separators and at most
    ``limit`` characters (the csv module's field limit), checked on the text's UTF-8 bytes.

    The separators' positions are sorted; when their count is ``width - 1`` per line and each
    line's block of them (the first and the last) lies inside that line, every line holds its
    block and no other separator.
    """
    import numpy as np  # here: readers of plain tables (e.g. selection.board) do without numpy

    data = np.frombuffer(body.encode("utf-8"), dtype=np.uint8)  # a separator is one ASCII byte
    newlines = np.flatnonzero(data == 10)
    n = len(newlines) + 1
    starts = np.concatenate(([-1], newlines))
    ends = np.append(newlines, len(data))
    seps = np.flatnonzero(data == ord(sep))
    if len(seps) != n * (width - 1):
        return False
    if width > 1:
        per_line = seps.reshape(n, width - 1)
        if not ((per_line[:, 0] > starts).all() and (per_line[:, -1] < ends).all()):
            return False
    if len(data) > limit and int((ends - starts).max()) - 1 > limit:  # bytes: count the characters
        return max(map(len, body.split("\n"))) <= limit
    return True


def split_plain_columns(text: str, *, name: str) -> tuple[str, list[str], list[list[str]]] | None:
    """The separator, header and columns (raw values, as :func:`parse_csv_records` gives them)
    of CSV text in the plainest dialect, split column-wise at once; ``None`` for any other text.

    Plain: no quote character or NUL (any line ends); the header (no repeated name, no ``sep=``
    line before it) on line 1; then one record per line with exactly as many values as the
    header, none of them blank, up to the end (empty trailing lines aside); no line longer than
    the csv module's field limit. The data rows are then lines 2, 3, ... and the columns equal
    the transposed records of :func:`parse_csv_records` (tested in
    ``tests/io/test_scale_read.py``). Any other text (``None``) goes through
    :func:`parse_csv_records`, which raises every problem there is.

    >>> split_plain_columns("id;x\\nA;1\\nB; 2\\n", name="t.csv")
    (';', ['id', 'x'], [['A', 'B'], ['1', ' 2']])
    >>> split_plain_columns('id;x\\n"A";1\\n', name="t.csv") is None
    True
    """
    plain = plain_body(text, name=name)
    if plain is None:
        return None
    sep, header, body = plain
    width = len(header)
    flat = body.replace("\n", sep).split(sep) if width > 1 else body.split("\n")
    columns = [flat[j::width] for j in range(width)]
    first_column = columns[0]
    if not all(v.strip() for v in set(first_column)):  # a blank row is skipped by the parser
        blank = [i for i, v in enumerate(first_column) if not v.strip()]
        if any(not "".join(c[i] for c in columns).strip() for i in blank):
            return None
    return sep, header, columns


def read_csv(path: Path | str, *, display_name: str | None = None) -> CsvTable:
    """Read a CSV file in any of the supported dialects.

    Every call reads and parses the file: a caller that needs one table in several readers reads
    it once and hands the table on (e.g. :func:`selection.pipeline.load_call_folder` with the
    readers of :mod:`selection.io.tables`).
    """
    path = Path(path)
    name = display_name or str(path)
    if not path.is_file():
        raise InputError(Problem("file not found", file=name))
    text, encoding = decode_bytes(path.read_bytes(), name)
    with gc_paused():
        plain = split_plain_columns(text, name=name)
        if plain is not None:  # the plainest dialect: split column-wise, rows made when asked for
            sep, header, columns = plain
            return CsvTable(name, encoding, sep, header, header_line=1, columns=[_stripped(c) for c in columns])
        parsed = parse_csv_text(text, name=name)
    return CsvTable(name, encoding, parsed.separator, parsed.header, parsed.rows, parsed.header_line)


def _stripped(values: list[str]) -> list[str]:
    """Each value stripped (the list itself when no distinct value needs it)."""
    if all(v == v.strip() for v in set(values)):
        return values
    return list(map(str.strip, values))


_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def parse_number(text: str) -> float | None:
    """A decimal number with a point or a comma as decimal mark; ``None`` if it is not one."""
    s = text.strip().replace("\u00a0", "").replace(" ", "")
    if not _NUMBER.match(s):
        return None
    return float(s.replace(",", "."))


def parse_money(text: str) -> int | None:
    """Whole currency units: ``250000``, ``250.000``, ``250 000`` or ``250,000``; ``None`` if not."""
    s = text.strip().replace("\u00a0", "").replace(" ", "")
    if re.fullmatch(r"\d+", s):
        return int(s)
    if re.fullmatch(r"\d{1,3}([.,]\d{3})+", s):
        return int(re.sub(r"[.,]", "", s))
    return None


_TRUE = {"true", "yes", "ja", "1", "x", "sand"}
_FALSE = {"false", "no", "nej", "0", "", "falsk"}


def parse_bool(text: str) -> bool | None:
    """``true/yes/ja/1/x`` or ``false/no/nej/0/empty``; ``None`` if neither."""
    s = text.strip().lower()
    if s in _TRUE:
        return True
    if s in _FALSE:
        return False
    return None


def parse_list(text: str) -> list[str]:
    """A ``|``-separated list cell: ``"food | it"`` -> ``['food', 'it']``."""
    return [p.strip() for p in text.split("|") if p.strip()]
