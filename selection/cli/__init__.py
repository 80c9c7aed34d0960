"""The ``selection`` command line: the only module that prints or sets exit codes.

Each subcommand lives in its own module of this package, listed in :data:`COMMANDS`, and defines
``register(subparsers)`` (adding its parser, with ``func`` set to a function ``args -> int``).
A user's mistake (:class:`~selection.errors.SelectionError`) is printed as a report without a
traceback; exit codes: 0 ok, 1 invalid input, 2 infeasible selection.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from selection.errors import EXIT_INVALID, SelectionError

__all__ = ["main", "COMMANDS"]

#: Subcommand modules, in the order ``selection --help`` lists them.
COMMANDS = ["run", "validate", "sheets", "import", "report", "panel", "scenarios", "sensitivity", "lottery"]


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


def main(argv: list[str] | None = None) -> int:
    parser = _build_parser()
    args = parser.parse_args(argv)
    try:
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


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
