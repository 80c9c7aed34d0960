"""Writing tables safely: CSV-injection neutralised, UTF-8, deterministic formatting, atomic folders."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["neutralise", "xlsx_text", "safe_frame", "write_csv", "write_json", "atomic_folder"]

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
#: Characters XML 1.0 (and so .xlsx) cannot hold: C0 controls other than tab, newline, return.
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def neutralise(value: Any) -> Any:
    """Prefix text that a spreadsheet would run as a formula with ``'`` (the OWASP CSV-injection rule).

    >>> neutralise("=HYPERLINK(1)"), neutralise("Århus"), neutralise(-3)
    ("'=HYPERLINK(1)", 'Århus', -3)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value


def xlsx_text(value: str) -> str:
    """Text as it may be written into an .xlsx cell: neutralised like CSV text (see
    :func:`neutralise`) and without the control characters XML cannot store.

    >>> xlsx_text("=1+1"), xlsx_text("Søren\x07"), xlsx_text("-2 points")
    ("'=1+1", 'Søren', "'-2 points")
    """
    return neutralise(_XML_ILLEGAL.sub("", value))


def safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """A copy with every text cell (and text header) neutralised."""
    out = frame.copy()
    for j in range(out.shape[1]):  # by position: works with repeated column names too
        col = out.iloc[:, j]
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            out.isetitem(j, col.map(neutralise))
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def write_csv(frame: pd.DataFrame, path: Path | str, *, index: bool = False) -> None:
    """Write a table as UTF-8 CSV with ``\\n`` line ends and round-trip float formatting."""
    if index:
        frame = frame.reset_index()
    safe_frame(frame).to_csv(path, index=False, lineterminator="\n", encoding="utf-8", float_format="%.12g")


def write_json(data: Any, path: Path | str) -> None:
    Path(path).write_text(json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True) + "\n", encoding="utf-8")


@contextmanager
def atomic_folder(target: Path) -> Iterator[Path]:
    """Yield a temporary folder beside ``target``; rename it to ``target`` only if the block succeeds.

    ``target`` must not exist: a run never overwrites an earlier one.
    """
    target = Path(target)
    if target.exists():
        raise FileExistsError(target)
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{target.name}.", dir=target.parent))
    try:
        yield tmp
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


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
