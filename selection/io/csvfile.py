"""Read the CSV dialects people actually send: comma or semicolon separated, decimal comma,
UTF-8 with or without BOM, or Windows-1252 (as a Danish Excel saves "CSV (semikolonsepareret)").

>>> t = parse_csv_text("id;score\\nA;3,5\\n", name="x.csv")
>>> t.separator, t.header, t.rows[0].values
(';', ['id', 'score'], {'id': 'A', 'score': '3,5'})
>>> parse_number("3,5"), parse_number("4.0"), parse_number(" 2 ")
(3.5, 4.0, 2.0)
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from pathlib import Path

from selection.errors import InputError, Problem

__all__ = ["CsvRow", "CsvTable", "decode_bytes", "read_csv", "parse_csv_text", "parse_number", "parse_money", "parse_bool", "parse_list"]


@dataclass(frozen=True)
class CsvRow:
    """One data row: its 1-based line number in the file and its values by header name."""

    line: int
    values: dict[str, str]


@dataclass(frozen=True)
class CsvTable:
    name: str
    encoding: str
    separator: str
    header: list[str]
    rows: list[CsvRow]


def decode_bytes(data: bytes) -> tuple[str, str]:
    """Decode file bytes: UTF-8 (with or without BOM), else Windows-1252. Returns (text, encoding)."""
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


def parse_csv_text(text: str, *, name: str) -> CsvTable:
    """Parse CSV text with a sniffed separator; header names are stripped and lower-cased."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    first = next((ln for ln in lines if ln.strip()), "")
    if not first:
        raise InputError(Problem("the file is empty", file=name, hint="export the table again"))
    sep = _sniff_separator(first)
    reader = csv.reader(io.StringIO(text), delimiter=sep, quotechar='"')
    header: list[str] | None = None
    rows: list[CsvRow] = []
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [h.strip().lower() for h in record]
                continue
            if len(record) > len(header) and any(c.strip() for c in record[len(header):]):
                raise InputError(
                    Problem(
                        f"{len(record)} values but the header has {len(header)} columns",
                        file=name,
                        row=line,
                        hint=f"check the separator ({sep!r}) and quoting in that row",
                    )
                )
            values = {h: (record[i].strip() if i < len(record) else "") for i, h in enumerate(header)}
            rows.append(CsvRow(line, values))
    except csv.Error as exc:
        raise InputError(Problem(f"not readable as CSV: {exc}", file=name)) from None
    if header is None:  # only separators and blanks, e.g. ";;;"
        raise InputError(Problem("the file holds no header and no data", file=name,
                                 hint="export the table again"))
    return CsvTable(name=name, encoding="", separator=sep, header=header, rows=rows)


def read_csv(path: Path | str, *, display_name: str | None = None) -> CsvTable:
    """Read a CSV file in any of the supported dialects."""
    path = Path(path)
    name = display_name or str(path)
    if not path.is_file():
        raise InputError(Problem("file not found", file=name))
    text, encoding = decode_bytes(path.read_bytes())
    table = parse_csv_text(text, name=name)
    return CsvTable(name, encoding, table.separator, table.header, table.rows)


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
