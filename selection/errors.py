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
    "EXIT_OK",
    "EXIT_INVALID",
    "EXIT_INFEASIBLE",
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
        super().__init__(self.report())

    def report(self) -> str:
        n = len(self.problems)
        if n == 1 and not self.problems[0].location and not self.problems[0].hint:
            return self.problems[0].message
        lines = [f"{n} problem{'s' if n != 1 else ''}:"]
        lines += [f"  - {p}" for p in self.problems]
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


class SolverError(SelectionError):
    """The MILP solver is missing or did not prove optimality."""
