"""One exception hierarchy for the whole engine.

Every error a *user* can cause (a bad file, an impossible constraint) is a :class:`SelectionError`.
The CLI turns these into a readable report and an exit code; anything else is a bug and keeps its
traceback.

Each error carries a list of :class:`Problem` records, so that an importer can collect every
problem it finds and raise once.

>>> err = CatalogueError([Problem("weight is negative (-1)", file="c.toml", key="criteria[2].weight",
...                                hint="use a weight >= 0")])
>>> print(err)
1 problem:
  - c.toml, criteria[2].weight: weight is negative (-1). Fix: use a weight >= 0
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass

__all__ = [
    "Problem",
    "SelectionError",
    "InputError",
    "CatalogueError",
    "CallError",
    "ApplicationError",
    "ScoreSheetError",
    "ScenarioError",
    "WeightError",
    "RankingError",
    "ConstraintError",
    "InfeasibleError",
    "SolverError",
    "SelectionNote",
    "EXIT_OK",
    "EXIT_INVALID",
    "EXIT_INFEASIBLE",
    "SHOWN_PER_KIND",
    "MAX_LINE",
]

EXIT_OK = 0
EXIT_INVALID = 1
EXIT_INFEASIBLE = 2


@dataclass(frozen=True)
class Problem:
    """One problem found in the input: what, where, and how to fix it.

    ``file``, ``sheet``, ``cell``, ``row`` and ``key`` say where; any of them may be ``None``.
    """

    message: str
    file: str | None = None
    sheet: str | None = None
    cell: str | None = None
    row: int | None = None
    column: str | None = None
    key: str | None = None
    hint: str | None = None

    @property
    def location(self) -> str:
        parts = []
        if self.file:
            parts.append(str(self.file))
        if self.sheet:
            parts.append(f"sheet {self.sheet}")
        if self.cell:
            parts.append(f"cell {self.cell}")
        if self.row is not None:
            parts.append(f"row {self.row}")
        if self.column:
            parts.append(f"column {self.column}")
        if self.key:
            parts.append(self.key)
        return ", ".join(parts)

    def __str__(self) -> str:
        text = f"{self.location}: {self.message}" if self.location else self.message
        if self.hint:
            text += f". Fix: {self.hint}"
        return text


#: How many problems of one kind a report lists before it counts the rest.
SHOWN_PER_KIND = 20
#: Longest line a report prints for one problem (a header of a million columns stays readable).
MAX_LINE = 1000

_VALUE = re.compile(r"'[^']*'|\"[^\"]*\"|[-+]?\d[\d.,:/ ]*")


def _kind(p: Problem) -> tuple:
    """What makes two problems the same kind: file, hint and message with its values removed."""
    return (p.file, p.hint, _shape(p.message))


@functools.lru_cache(maxsize=65536)
def _shape(message: str) -> str:
    return " ".join(_VALUE.sub(" ", message).split())


def _cut(text: str, limit: int = MAX_LINE) -> str:
    return text if len(text) <= limit else text[: limit - 1] + f"… ({len(text):,} characters)"


class SelectionError(Exception):
    """Base of every error a user's input or request can cause.

    Parameters
    ----------
    problems
        One message, one :class:`Problem`, or a list of them.
    """

    exit_code = EXIT_INVALID

    def __init__(self, problems: str | Problem | list[Problem]):
        if isinstance(problems, str):
            problems = [Problem(problems)]
        elif isinstance(problems, Problem):
            problems = [problems]
        self.problems: list[Problem] = list(problems)
        #: Things worth a look found beside the problems (e.g. a column that is not read): not
        #: counted as problems, listed after them in :meth:`report`.
        self.warnings: list[Problem] = []
        # the report is made when printed (str), not here: a file with a million problems is
        # wrapped more than once on its way to the CLI
        super().__init__(self.problems)

    def report(self, per_kind: int | None = None) -> str:
        """Every problem on its own line; of each kind (same file, same message apart from its
        values) only the first ``per_kind`` (default :data:`SHOWN_PER_KIND`) are listed, then
        how many more there are, and a line longer than :data:`MAX_LINE` characters is cut.

        >>> err = InputError([Problem(f"{x!r} is not a number", file="s.csv", row=i + 2)
        ...                   for i, x in enumerate(["a", "b", "c"])])
        >>> print(err.report(per_kind=2))
        3 problems:
          - s.csv, row 2: 'a' is not a number
          - s.csv, row 3: 'b' is not a number
          - … and 1 more of this kind (next: s.csv, row 4: 'c' is not a number)
        """
        text = self._problem_lines(per_kind)
        if self.warnings:
            head = "Warning (not an error)" if len(self.warnings) == 1 else "Warnings (not errors)"
            text += f"\n{head}:\n" + "\n".join(
                f"  - {_cut(str(w))}" for w in self.warnings[:SHOWN_PER_KIND])
            if len(self.warnings) > SHOWN_PER_KIND:
                text += f"\n  - … and {len(self.warnings) - SHOWN_PER_KIND:,} more warnings"
        return text

    def _problem_lines(self, per_kind: int | None) -> str:
        n = len(self.problems)
        if n == 1 and not self.problems[0].location and not self.problems[0].hint:
            return _cut(self.problems[0].message)
        per_kind = SHOWN_PER_KIND if per_kind is None else per_kind
        lines = [f"{n:,} problem{'s' if n != 1 else ''}:"]
        kinds = [_kind(p) for p in self.problems]
        total: dict[tuple, int] = {}
        for k in kinds:
            total[k] = total.get(k, 0) + 1
        shown: dict[tuple, int] = {}
        for p, k in zip(self.problems, kinds, strict=True):
            shown[k] = shown.get(k, 0) + 1
            if shown[k] <= per_kind:
                lines.append(f"  - {_cut(str(p))}")
            elif shown[k] == per_kind + 1:
                lines.append(f"  - … and {total[k] - per_kind:,} more of this kind (next: {_cut(str(p), 200)})")
        return "\n".join(lines)

    def __str__(self) -> str:
        return self.report()


class InputError(SelectionError):
    """A file or argument is missing, unreadable or malformed."""


class CatalogueError(InputError):
    """A criteria catalogue is invalid."""


class CallError(InputError):
    """A call file (stages, budgets, constraints) is invalid."""


class ApplicationError(InputError):
    """The applications or experts table is invalid."""


class ScoreSheetError(InputError):
    """A score sheet (xlsx or csv) cannot be imported as it is."""


class ScenarioError(InputError):
    """A scenario file is invalid."""


class WeightError(InputError):
    """Weights are negative, all zero, or name unknown criteria."""


class RankingError(InputError):
    """A ranking cannot be computed from the given table (missing score, empty table, ...)."""


class ConstraintError(InputError):
    """A selection constraint is malformed."""


class InfeasibleError(SelectionError):
    """No selection satisfies every constraint; the problems say which conflict and by how much."""

    exit_code = EXIT_INFEASIBLE


class SelectionNote(UserWarning):
    """Something the user should know that is not an error (e.g. a killed run's temporary folder
    was cleaned up); computing modules warn with it, the CLI prints it as a note."""


class SolverError(SelectionError):
    """The MILP solver is missing or did not prove optimality."""
