"""Writing tables safely: CSV-injection neutralised, UTF-8, deterministic formatting, atomic folders."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd

__all__ = ["neutralise", "xlsx_text", "safe_frame", "csv_text", "text_cell", "is_id_column", "write_csv", "write_json",
           "atomic_folder", "current_umask",
           "claim_name", "sweep_partial_folders", "partial_folder"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Characters XML 1.0 (and so .xlsx) cannot hold: C0 controls other than tab, newline, return.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


#: A formula-start character right after one of these would start a cell when a spreadsheet splits
#: a line at ``;`` (Danish Excel reading a ``,`` file: quotes then count only at a cell's start),
#: at a tab, or at a line break inside a quoted field.
_INNER_FORMULA = re.compile(r'([;\t\r\n])(?="*[=+\-@\t\r])')  # quotes between count for nothing


def neutralise(value: Any) -> Any:
    """Text made safe for a spreadsheet (the OWASP CSV-injection rule): text that would run as a
    formula gets a ``'`` in front, and so does every part of it that a spreadsheet splitting the
    line at ``;``, a tab or a line break would read as a cell of its own.

    >>> neutralise("=HYPERLINK(1)"), neutralise("Århus"), neutralise(-3)
    ("'=HYPERLINK(1)", 'Århus', -3)
    >>> neutralise("Lyd;=cmd|' /C calc'!A0;x")
    "Lyd;'=cmd|' /C calc'!A0;x"
    """
    if not isinstance(value, str):
        return value
    if value.startswith(_FORMULA_START):
        value = "'" + value
    return _INNER_FORMULA.sub(r"\1'", value)


def xlsx_text(value: str) -> str:
    """Text as it may be written into an .xlsx cell: without the control characters XML cannot
    store, and with ``'`` in front if it would run as a formula (a cell is never split, so only
    its start matters).

    >>> xlsx_text("=1+1"), xlsx_text("Søren\x07"), xlsx_text("-2 points"), xlsx_text("a;=b")
    ("'=1+1", 'Søren', "'-2 points", 'a;=b')
    """
    value = _XML_ILLEGAL.sub("", value)
    return "'" + value if value.startswith(_FORMULA_START) else value


def is_id_column(name: object) -> bool:
    """Whether a column holds ids (``application_id``, ``expert_id``, ``id``...): ids are data and
    are written exactly as they are (the input readers refuse ids a spreadsheet would read as a
    formula, so they never need neutralising)."""
    text = str(name)
    return text == "id" or text.endswith("_id")


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every free-text cell (and text header) neutralised; id columns
    (:func:`is_id_column`) are left exactly as they are."""
    out = frame.copy()
    for j in range(out.shape[1]):  # by position: works with repeated column names too
        col = out.iloc[:, j]
        if is_id_column(out.columns[j]):
            continue
        text = col.dtype == object or pd.api.types.is_string_dtype(col)
        if text and pd.api.types.infer_dtype(col, skipna=True) == "string":
            # text only: each distinct text neutralised once (a 255,500-row attribute table holds
            # a few hundred); missing cells kept as they are, as ``map`` keeps them
            codes, uniques = pd.factorize(col, use_na_sentinel=True)
            cells = col.to_numpy(dtype=object, copy=True)
            known = codes >= 0
            cells[known] = np.array([neutralise(u) for u in uniques], dtype=object)[codes[known]]
            out.isetitem(j, pd.Series(cells, index=col.index, name=col.name, dtype=object))
        elif text:
            out.isetitem(j, col.map(neutralise))
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


#: A field holding any of these is quoted, so that the file splits into the same fields whether a
#: spreadsheet reads it with ``,`` or with ``;`` (Danish Excel) as the separator, or as tab-separated.
_QUOTE_IF = re.compile(r'[,;"\n\r\t]')
_QUOTE_CHARS = ',;"\n\r\t'
#: One of the texts joined with ``\x00`` starts with a character of ``_FORMULA_START``.
_STARTS_FORMULA = re.compile("(?:^|\x00)[" + re.escape("".join(_FORMULA_START)) + "]")


def csv_text(frame: pd.DataFrame) -> str:
    """The CSV text :func:`write_csv` writes (see there).

    >>> print(csv_text(pd.DataFrame({"application_id": ["KP;1"], "score": [3.5],
    ...                              "title": ["Lyd;=cmd|' /C calc'!A0;x"]})), end="")
    application_id,score,title
    "KP;1",3.5,"Lyd;'=cmd|' /C calc'!A0;x"
    """
    fast = _direct_csv_text(frame)
    if fast is not None:
        return fast
    return _pandas_csv_text(frame)


def _pandas_csv_text(frame: pd.DataFrame) -> str:
    """:func:`csv_text` through pandas' ``to_csv`` and a re-quoting pass: the general form, used for
    the column types :func:`_direct_csv_text` does not write itself (and its reference in tests)."""
    # "\r\n" here only so that pandas quotes every field holding either character
    raw = safe_frame(frame).to_csv(index=False, lineterminator="\r\n", float_format="%.12g")
    body = raw.replace("\r\n", "")
    if ";" not in raw and "\t" not in raw and "\r" not in body and "\n" not in body \
            and raw.count("\r\n") == len(frame) + 1:
        # no field holds ; a tab or a line break: pandas quoted exactly the fields the loop below
        # would (those holding , or "), so only the line ends change
        return raw.replace("\r\n", "\n")
    out = io.StringIO()
    for row in csv.reader(io.StringIO(raw, newline="")):  # pandas' cell texts, re-quoted
        if row == [""]:
            out.write('""\n')  # one empty field, not a blank line
            continue
        out.write(",".join('"' + f.replace('"', '""') + '"' if _QUOTE_IF.search(f) else f
                           for f in row))
        out.write("\n")
    return out.getvalue()


def _quoted(cell: str) -> str:
    """A field as :func:`csv_text` writes it: quoted (inner quotes doubled) if it holds any of
    ``,;"``, a tab or a line break."""
    return '"' + cell.replace('"', '""') + '"' if _QUOTE_IF.search(cell) else cell


def text_cell(value: str, *, neutral: bool = True) -> str:
    """A text field as :func:`csv_text` writes it in a text column: neutralised (:func:`neutralise`)
    unless ``neutral`` is false (an id column, :func:`is_id_column`), then quoted if it holds any of
    ``,;"``, a tab or a line break. For writers that put a large table's text together themselves
    from its distinct cells.

    >>> text_cell("a,b"), text_cell("=1+1"), text_cell("=1+1", neutral=False), text_cell("Århus")
    ('"a,b"', "'=1+1", '=1+1', 'Århus')
    """
    return _quoted(neutralise(value) if neutral else value)


def _float_cells(values: np.ndarray) -> list[str]:
    """Floats as pandas writes them with ``float_format="%.12g"``: ``"%.12g" % x`` (the same
    operator, so the same text: ``-0.0`` gives ``-0``, ``1e16`` ``1e+16``, ``3.0`` ``3``) and
    missing values as empty fields. Each distinct bit pattern is formatted once (so ``-0.0`` and
    ``0.0`` stay apart)."""
    bits = np.ascontiguousarray(values, dtype=np.float64).view(np.int64)
    codes, uniques = pd.factorize(bits)
    floats = uniques.view(np.float64)
    texts = ["%.12g" % x for x in floats.tolist()]  # noqa: UP031 (pandas' own operator for float_format)
    for k in np.flatnonzero(np.isnan(floats)).tolist():
        texts[k] = ""
    return np.array(texts, dtype=object)[codes].tolist()


def _int_cells(values: np.ndarray) -> list[str]:
    """Integers as ``str`` writes them; each distinct value once when few repeat many times
    (a stage number, counts of experts)."""
    if len(values) < 1000 or len(set(values[:1000].tolist())) > 125:  # short, or mostly distinct
        return list(map(str, values.tolist()))
    codes, uniques = pd.factorize(values)
    if len(uniques) * 8 > len(values):
        return list(map(str, values.tolist()))
    return np.array(list(map(str, uniques.tolist())), dtype=object)[codes].tolist()


def _text_cells(column: pd.Series, *, neutral: bool) -> list[str] | None:
    """A text column's fields (each distinct text neutralised unless ``neutral`` is false, quoted
    if needed, missing values empty), or ``None`` if it holds anything but text and missing values.

    A column none of whose distinct texts needs quoting or neutralising (ids, labels) is written
    as it is; otherwise each distinct text is made safe once."""
    if not isinstance(column.dtype, pd.StringDtype) and \
            pd.api.types.infer_dtype(column, skipna=True) not in ("string", "empty"):
        return None
    values = column.to_numpy(dtype=object)
    cells: list[str] = values.tolist()
    distinct = set(cells)
    if not set(map(type, distinct)) <= {str}:  # missing values (or str subclasses)
        missing = pd.isna(values)
        if missing.any():
            values = values.copy()
            values[missing] = ""
            cells = values.tolist()
            distinct = set(cells)
    joined = "\x00".join(distinct)
    # a text starting like a formula starts the joined text or follows a \x00 (a \x00 inside a text
    # can only add a false alarm, which the careful way below then writes the same)
    if not any(c in joined for c in _QUOTE_CHARS) and not (neutral and _STARTS_FORMULA.search(joined)):
        return cells  # without the quoting characters _INNER_FORMULA cannot match either
    codes, uniques = pd.factorize(column, use_na_sentinel=True)
    texts = [_quoted(neutralise(u) if neutral else u) for u in uniques.tolist()]
    texts.append("")  # code -1: a missing value
    return np.array(texts, dtype=object)[codes].tolist()


def _direct_csv_text(frame: pd.DataFrame) -> str | None:
    """:func:`csv_text` written directly, column by column, for frames of float, integer, boolean
    and text columns (the run files); ``None`` for any other column type, written by pandas then.

    Gives exactly the text of :func:`_pandas_csv_text` (the same cell texts, the same quoting rule;
    tests/io/test_export_fast.py holds them equal on generated tables): floats ``"%.12g" % x``,
    integers and booleans as ``str``, text neutralised (not in id columns), missing values empty,
    and in a one-column table an empty field written ``""`` (a blank line would be no row)."""
    if frame.shape[1] == 0 or not isinstance(frame.columns, pd.Index) or isinstance(frame.columns, pd.MultiIndex):
        return None
    columns: list[list[str]] = []
    for j in range(frame.shape[1]):
        col = frame.iloc[:, j]
        dtype = col.dtype
        if isinstance(dtype, np.dtype) and dtype.kind == "f":
            cells = _float_cells(col.to_numpy())
        elif isinstance(dtype, np.dtype) and dtype.kind in "iu":
            cells = _int_cells(col.to_numpy())
        elif isinstance(dtype, np.dtype) and dtype.kind == "b":
            cells = ["True" if v else "False" for v in col.to_numpy().tolist()]
        elif (isinstance(dtype, np.dtype) and dtype.kind == "O") or isinstance(dtype, pd.StringDtype):
            text_cells = _text_cells(col, neutral=not is_id_column(frame.columns[j]))
            if text_cells is None:
                return None
            cells = text_cells
        else:
            return None
        columns.append(cells)
    header = [_quoted(neutralise(str(c))) for c in frame.columns]
    if len(columns) == 1:  # one field per line: an empty one is written "" (a blank line is no row)
        columns = [['""' if c == "" else c for c in columns[0]]]
        header = ['""' if c == "" else c for c in header]
    lines = [",".join(header)]
    lines += map(",".join, zip(*columns, strict=True))
    return "\n".join(lines) + "\n"


def write_csv(frame: pd.DataFrame, path: Path | str, *, index: bool = False) -> None:
    """Write a table as UTF-8 CSV with ``\\n`` line ends and floats to 12 significant digits
    (``%.12g``: ``0.1 + 0.2`` is written ``0.3``, ``1e16`` ``1e+16``, ``3.0`` ``3``, ``-0.0`` ``-0``,
    a missing value as an empty field), so the same numbers give the same bytes on any platform.

    Safe in a spreadsheet whichever separator it splits at: every field holding ``,``, ``;``,
    ``"``, a tab or a line break is quoted, and free text a spreadsheet would run as a formula
    is neutralised (:func:`neutralise`); ids are written exactly, so a join with the inputs on
    an id is exact.
    """
    if index:
        frame = frame.reset_index()
    Path(path).write_text(csv_text(frame), encoding="utf-8", newline="")


def write_json(data: Any, path: Path | str) -> None:
    Path(path).write_text(json_text(data) + "\n", encoding="utf-8")


def json_text(data: Any) -> str:
    """``json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)``, faster for the plain
    data of a manifest (dicts with text keys, lists, text, numbers, yes/no, null): the standard
    library writes indented JSON in Python, one call per value, and a run's manifest lists every
    rule's members (a million characters at 20,000 applications); here a list of texts is written
    with one C call. Anything else (other key or value types) is written by ``json.dumps`` itself.

    >>> print(json_text({"b": [1, "x"], "a": {}}))
    {
      "a": {},
      "b": [
        1,
        "x"
      ]
    }
    """
    try:
        return _json_value(data, "\n")
    except _NotPlain:
        return json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)


class _NotPlain(Exception):
    """A value :func:`json_text` leaves to ``json.dumps``."""


_encode_text = json.encoder.encode_basestring  # the C writer of ensure_ascii=False


def _json_value(x: Any, nl: str) -> str:
    t = type(x)
    if t is str:
        return _encode_text(x)
    if x is None:
        return "null"
    if t is bool:
        return "true" if x else "false"
    if t is int:
        return int.__repr__(x)
    if t is float:
        if x != x:
            return "NaN"
        if x in (math.inf, -math.inf):
            return "Infinity" if x > 0 else "-Infinity"
        return float.__repr__(x)
    inner = nl + "  "
    if t is list or t is tuple:
        if not x:
            return "[]"
        if set(map(type, x)) == {str}:
            return "[" + inner + ("," + inner).join(map(_encode_text, x)) + nl + "]"
        return "[" + inner + ("," + inner).join(_json_value(v, inner) for v in x) + nl + "]"
    if t is dict:
        if not x:
            return "{}"
        if not set(map(type, x)) <= {str}:
            raise _NotPlain  # json sorts other keys by their own order and writes them its own way
        return "{" + inner + ("," + inner).join(_encode_text(k) + ": " + _json_value(v, inner)
                                                for k, v in sorted(x.items())) + nl + "}"
    raise _NotPlain


#: Hidden temporary folders: ``.<final name>.partial.<pid>.<host>.<random>``.
_PARTIAL = re.compile(r"^\.(?P<name>.+)\.partial\.(?P<pid>\d+)\.(?P<host>[A-Za-z0-9-]*)\.[A-Za-z0-9_]+$")


def _host() -> str:
    import socket

    return re.sub(r"[^A-Za-z0-9-]", "", socket.gethostname().split(".")[0])[:40]


def current_umask() -> int:
    """The process's umask (read by setting and restoring it), for files and folders made through a
    private temporary name to get the permissions a plain ``open``/``mkdir`` would give them."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


class atomic_folder:  # noqa: N801 (used like a function: ``with atomic_folder(target) as tmp``)
    """Write a folder atomically: ``with atomic_folder(target) as tmp:`` yields a hidden temporary
    folder beside ``target``; when the block succeeds it is renamed to ``target``, or, if that
    name is taken meanwhile (another run finishing in the same second), to ``target-2``,
    ``target-3``... The name is claimed by the rename itself, which fails rather than replace a
    folder with content, so concurrent writers into one parent folder each land in their own
    folder. :attr:`final` is the folder written. If the block fails, the temporary folder is
    removed; if the process is killed, :func:`sweep_partial_folders` removes it later.

    The folder gets the permissions the umask allows (as ``mkdir`` would), not 0700.
    """

    def __init__(self, target: Path | str) -> None:
        self.target = Path(target)
        self.final: Path | None = None
        self._tmp: Path | None = None

    def __enter__(self) -> Path:
        parent = self.target.parent
        parent.mkdir(parents=True, exist_ok=True)
        tmp = Path(tempfile.mkdtemp(prefix=f".{self.target.name}.partial.{os.getpid()}.{_host()}.",
                                    dir=parent))
        os.chmod(tmp, 0o777 & ~current_umask())
        self._tmp = tmp
        return tmp

    def __exit__(self, exc_type, exc, tb) -> Literal[False]:
        assert self._tmp is not None
        if exc_type is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            return False
        try:
            self.final = claim_name(self._tmp, self.target)
        except BaseException:
            shutil.rmtree(self._tmp, ignore_errors=True)
            raise
        return False


def claim_name(tmp: Path, target: Path) -> Path:
    """Rename folder ``tmp`` to ``target`` or the first free of ``target-2``, ``target-3``...;
    return the name it got. A name is taken only if the rename succeeds (rename fails on a folder
    with content), so concurrent callers never overwrite each other."""
    import errno

    k = 1
    while True:
        name = target if k == 1 else target.with_name(f"{target.name}-{k}")
        k += 1
        if name.exists():
            continue
        try:
            os.rename(tmp, name)
            return name
        except OSError as exc:
            if exc.errno in (errno.EEXIST, errno.ENOTEMPTY) and k < 10_000:
                continue  # taken between the check and the rename
            raise


def partial_folder(parent: Path | str, name: str) -> Path:
    """A new hidden temporary folder in ``parent`` named as :class:`atomic_folder` names its own
    (``.<name>.partial.<pid>.<host>.<random>``), so that :func:`sweep_partial_folders` removes it
    once this process is gone (a staging folder whose files are moved elsewhere, e.g. score sheets)."""
    tmp = Path(tempfile.mkdtemp(prefix=f".{name}.partial.{os.getpid()}.{_host()}.", dir=parent))
    os.chmod(tmp, 0o777 & ~current_umask())
    return tmp


def sweep_partial_folders(parent: Path | str) -> list[tuple[Path, bool]]:
    """Hidden temporary folders left in ``parent`` by killed runs: each one whose process (on this
    machine) is gone is removed; one from another machine is only reported. Returns
    ``[(folder, removed)]``; folders of runs still going are left alone and not listed."""
    parent = Path(parent)
    out: list[tuple[Path, bool]] = []
    try:
        entries = list(parent.iterdir())
    except OSError:
        return out
    host = _host()
    for p in entries:
        m = _PARTIAL.match(p.name)
        if not m or not p.is_dir():
            continue
        if m["host"] != host:
            out.append((p, False))
            continue
        try:
            os.kill(int(m["pid"]), 0)
            continue  # still running
        except ProcessLookupError:
            pass
        except (PermissionError, OverflowError):
            continue  # a running process of another user
        shutil.rmtree(p, ignore_errors=True)
        out.append((p, not p.exists()))
    return out


def reproducible_xlsx(data: bytes, stamp: str = "2000-01-01T00:00:00Z") -> bytes:
    """Re-pack an .xlsx written by openpyxl so that equal content gives equal bytes: fixed zip entry
    times, and ``stamp`` as the document's modified date (openpyxl stamps the save time there)."""
    import re
    import zipfile

    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            fixed = zipfile.ZipInfo(info.filename, date_time=(1980, 1, 1, 0, 0, 0))
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = 0o600 << 16
            body = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                body = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*", rb"\g<1>" + stamp.encode("ascii"), body)
            dst.writestr(fixed, body)
    return out.getvalue()
