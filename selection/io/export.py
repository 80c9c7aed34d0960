"""Writing tables safely: CSV-injection neutralised, UTF-8, deterministic formatting, atomic folders."""

from __future__ import annotations

import io
import json
import os
import re
import shutil
import tempfile
from pathlib import Path
from typing import Any

import pandas as pd

__all__ = ["neutralise", "xlsx_text", "safe_frame", "write_csv", "write_json", "atomic_folder",
           "claim_name", "sweep_partial_folders"]

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


#: Hidden temporary folders: ``.<final name>.partial.<pid>.<host>.<random>``.
_PARTIAL = re.compile(r"^\.(?P<name>.+)\.partial\.(?P<pid>\d+)\.(?P<host>[A-Za-z0-9-]*)\.[A-Za-z0-9_]+$")


def _host() -> str:
    import socket

    return re.sub(r"[^A-Za-z0-9-]", "", socket.gethostname().split(".")[0])[:40]


def _umask() -> int:
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
        os.chmod(tmp, 0o777 & ~_umask())
        self._tmp = tmp
        return tmp

    def __exit__(self, exc_type, exc, tb) -> bool:
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
