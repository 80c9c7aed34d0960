"""The ``selection`` command line: the only module that prints or sets exit codes.

Each subcommand lives in its own module of this package, listed in :data:`COMMANDS`, and defines
``register(subparsers)`` (adding its parser, with ``func`` set to a function ``args -> int``).
A user's mistake (:class:`~selection.errors.SelectionError`) is printed as a report without a
traceback; so is a file that cannot be read or written (permission, read-only or full disk).
Anything else is a bug: one line says so and where its traceback was saved. Exit codes: 0 ok,
1 invalid input (or a file that cannot be read or written), 2 infeasible selection, 3 a bug.
"""

from __future__ import annotations

import argparse
import errno
import importlib
import os
import re
import sys
import warnings

from selection.errors import EXIT_INVALID, SelectionError, SelectionNote

__all__ = ["main", "COMMANDS", "EXIT_BUG", "scenario_name"]

#: Exit code of an unexpected error (a bug in the engine, never the user's input).
EXIT_BUG = 3
_SCENARIO_NAME = re.compile(r"[\w-]+")


def scenario_name(text: str) -> str:
    """argparse type of ``--scenario``: the name of a file in ``scenarios/`` (letters, digits,
    ``-`` and ``_``), never a path."""
    if not _SCENARIO_NAME.fullmatch(text):
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a scenario name; give the name of a file in CALL_DIR/scenarios/ "
            "without .toml (letters, digits, - and _ only, e.g. --scenario equal-weights)")
    return text

#: Subcommand modules, in the order ``selection --help`` lists them.
COMMANDS = ["run", "validate", "assign", "sheets", "import", "report", "panel", "scenarios", "sensitivity", "lottery", "serve"]


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage mistake exits with 1 (invalid input); 2 means an infeasible selection."""

    def error(self, message: str):
        self.print_usage(sys.stderr)
        self.exit(EXIT_INVALID, f"{self.prog}: error: {message}\n")


class _Version(argparse.Action):
    """``--version``, reading the installed version only when asked (keeps ``--help`` fast)."""

    def __call__(self, parser, namespace, values, option_string=None):
        from selection import __version__

        print(f"selection {__version__}")
        parser.exit()


def _build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="selection",
        description="Score, rank and select applications for a funding call.",
    )
    parser.add_argument("--version", action=_Version, nargs=0, help="show the version and exit")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    for name in COMMANDS:
        importlib.import_module(f"selection.cli.{name}_cmd").register(sub)
    return parser


def _safe_streams() -> None:
    """A terminal that cannot show every character (``PYTHONIOENCODING=cp850``, a Windows
    console) gets ``?`` for the ones it lacks instead of a crash."""
    for stream in (sys.stdout, sys.stderr):
        if hasattr(stream, "reconfigure") and (stream.encoding or "").lower().replace("-", "") != "utf8":
            try:
                stream.reconfigure(errors="replace")
            except (ValueError, OSError):  # pragma: no cover - a stream that cannot be reconfigured
                pass


def _os_error(exc: OSError) -> str | None:
    """The user-facing text of a file-system error, or ``None`` if it is not one we explain."""
    where = exc.filename if exc.filename is not None else "a file"
    if exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1)):
        return (f"cannot write {where}: the disk is full (or your quota is used up); nothing was "
                "kept of this run. Fix: free some space or choose another folder with --out")
    if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
        return (f"cannot write or read {where}: permission denied or a read-only file system. "
                "Fix: choose a folder you may write to with --out, or check the file's permissions")
    if exc.errno in (errno.ENOTDIR, errno.EISDIR):
        return (f"{where}: a file where a folder is needed, or a folder where a file is needed. "
                "Fix: check the paths given (e.g. --out must be a folder)")
    if exc.errno == errno.ENOENT:
        return f"{where}: no such file or folder. Fix: check the path"
    return None


def _bug(exc: BaseException) -> int:
    """Save the traceback of an unexpected error to a file and say, in one line, that it is a bug."""
    import tempfile
    import traceback
    from datetime import UTC, datetime

    text = "".join(traceback.format_exception(exc))
    try:
        fd, path = tempfile.mkstemp(prefix=f"selection-bug-{datetime.now(UTC):%Y%m%dT%H%M%SZ}-",
                                    suffix=".txt")
        with open(fd, "w", encoding="utf-8") as f:
            f.write(f"selection {' '.join(sys.argv[1:])}\n\n{text}")
        where = f"the traceback is saved in {path}"
    except OSError:
        where = "the traceback could not be saved"
    first = (str(exc).strip().splitlines() or [""])[0][:200]
    print(f"Internal error (a bug in selection, not a problem with your input): "
          f"{type(exc).__name__}: {first}; {where}. Please send it to the maintainers.", file=sys.stderr)
    return EXIT_BUG


#: Environment variables that set how many threads a BLAS library (OpenBLAS, MKL, OpenMP builds)
#: starts when numpy is first imported.
_BLAS_THREADS = ("OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "OMP_NUM_THREADS")


def _one_blas_thread() -> None:
    """Let numpy's BLAS use one thread in a command's process, unless the user set it.

    The engine parallelises above BLAS: a run's panel diagnostics overlap its selection in a worker
    process, sensitivity shards run in worker processes (one per core by default). BLAS threads on
    top of those oversubscribe the cores, and OpenBLAS's threads spin while they wait: a
    20,000 x 200 matrix product took 0.70 s with its default threads on a busy 2-core machine and
    0.09 s with one. Set before numpy is first imported (it reads these once); worker processes
    inherit it; a variable the user set is kept.
    """
    if "numpy" in sys.modules:  # called from Python with numpy loaded: too late, and not ours to change
        return
    for var in _BLAS_THREADS:
        os.environ.setdefault(var, "1")


def main(argv: list[str] | None = None) -> int:
    _safe_streams()
    _one_blas_thread()
    parser = _build_parser()
    args = parser.parse_args(argv)
    caught: list[warnings.WarningMessage] = []
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always", SelectionNote)
            return int(args.func(args) or 0)
    except SelectionError as exc:
        from selection.errors import SolverError

        kind = ("No feasible selection" if exc.exit_code == 2 else
                "Solver problem" if isinstance(exc, SolverError) else "Invalid input")
        print(f"{kind}: {exc.report()}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return EXIT_INVALID
    except OSError as exc:
        text = _os_error(exc)
        if text is None:
            return _bug(exc)
        print(f"Cannot read or write a file: {text}", file=sys.stderr)
        return EXIT_INVALID
    except Exception as exc:  # noqa: BLE001 - the last line of defence: a bug, reported as such
        return _bug(exc)
    finally:
        _print_notes(caught)


def _print_notes(caught: list[warnings.WarningMessage]) -> None:
    """Print the engine's notes (interrupted runs cleaned up); pass other warnings on as usual."""
    for w in caught:
        if issubclass(w.category, SelectionNote):
            print(f"Note: {w.message}", file=sys.stderr)
        else:
            warnings.showwarning(w.message, w.category, w.filename, w.lineno)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
