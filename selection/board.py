"""The board's decision file: the secretariat recommends, the board decides, and both are kept.

In *KREATIVE PARTNERSKABER* the expert group and the secretariat recommend (indstiller) and
Vækstforum decides (§7): the engine's selection of a stage is the **recommendation**; what the
board decided is a separate record in the call folder, named by ``[board] decisions = "..."`` in
the call file (:class:`selection.model.Board`). The file has one row per application the board
decided on::

    stage,application_id,decision,reason_en,reason_da,decided_by,decided_on
    1,KP-03,selected,,,Vækstforum,2013-01-30
    1,KP-17,not_selected,withdrew before the decision,trak sig før beslutningen,Vækstforum,2013-01-30

``decision`` is ``selected`` or ``not_selected`` (Danish ``udvalgt`` / ``ikke_udvalgt`` are read
too); ``decided_on`` a day, month or year (``2013-01-30``, ``2013-01``); ``reason_en`` /
``reason_da`` may be empty where the board follows the recommendation. For a stage the file
names, the board's selection is exactly the rows marked ``selected``; every application the
secretariat recommended should have a row (the board decides on each recommendation), and every
**deviation** — recommended but not selected, or selected although not recommended — a reason.
The file itself is checked when the call folder is read (an error stops the run); whether it
covers the run's recommendation can only be judged after the run, and a gap is a warning that
names the file, row and application (:func:`compare`): the secretariat can still recommend when
the record lags behind (e.g. after a corrected score sheet changed the recommendation). A later
stage (``from_stage``) chooses among the board's selection of the earlier stage when the board
has decided it, else among the recommendation.

This module reads and checks the file (every problem at once, each with file, row and column) and
builds the recommendation-versus-decision table a run folder carries
(``board-decisions-stage<N>.csv``, declared in :mod:`selection.schema`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path

from selection.errors import InputError, Problem
from selection.io.csvfile import read_csv
from selection.model import Board, call_date

__all__ = ["BoardDecision", "BoardDecisions", "DECISION_COLUMNS", "read_board_decisions", "compare",
           "comparison_columns", "board_manifest", "read_decided"]

#: Columns of the decision file, in order; ``reason_en`` and ``reason_da`` may be left out.
DECISION_COLUMNS = ("stage", "application_id", "decision", "reason_en", "reason_da", "decided_by", "decided_on")
_REQUIRED = ("stage", "application_id", "decision", "decided_by", "decided_on")
#: The words read as a decision (English codes; the Danish words a secretariat may type).
_DECISION_WORDS = {"selected": True, "not_selected": False, "udvalgt": True, "ikke_udvalgt": False,
                   "not selected": False, "ikke udvalgt": False}


@dataclass(frozen=True)
class BoardDecision:
    """The board's decision on one application in one stage (``line``: its row in the file)."""

    stage: int
    application_id: str
    selected: bool
    reason: str
    reason_da: str
    decided_by: str
    decided_on: str
    line: int


@dataclass(frozen=True)
class BoardDecisions:
    """A whole decision file: ``file`` (as shown in messages, relative to the call folder) and the
    decisions by stage and application."""

    file: str
    board: Board
    by_stage: Mapping[int, Mapping[str, BoardDecision]] = field(default_factory=dict)

    def decided(self, stage: int) -> bool:
        """Whether the board has decided ``stage`` (the file has rows for it)."""
        return bool(self.by_stage.get(stage))

    def selected(self, stage: int) -> list[str]:
        """The applications the board selected in ``stage``, in file order."""
        return [a for a, d in self.by_stage.get(stage, {}).items() if d.selected]


def read_board_decisions(path: Path | str, board: Board, *, stages: Iterable[int], application_ids: set[str],
                         display_name: str | None = None) -> BoardDecisions:
    """Read and check the board's decision file.

    Every problem is reported at once, each with file, row and column: missing columns (with the
    closest name), a stage the call does not have, an unknown application, a decision word other
    than ``selected`` / ``not_selected``, the same application twice in a stage, an empty
    ``decided_by``, a ``decided_on`` that is not a date, and a stage decided on different days or
    by different bodies (one stage, one decision).

    Raises
    ------
    InputError
        With every problem found.
    """
    path = Path(path)
    name = display_name or str(path)
    table = read_csv(path, display_name=name)
    problems: list[Problem] = []
    missing = [c for c in _REQUIRED if c not in table.header]
    if missing:
        import difflib

        close = {c: difflib.get_close_matches(c, table.header, n=1, cutoff=0.6) for c in missing}
        renames = [f"{m[0]!r} to {c!r}" for c, m in close.items() if m]
        raise InputError(Problem(f"missing column(s) {', '.join(missing)}; found {', '.join(table.header)}",
                                 file=name, row=table.header_line,
                                 hint=(f"rename {', '.join(renames)}" if renames else
                                       f"the columns are {', '.join(DECISION_COLUMNS)} (docs/decisions.md)")))
    known_stages = sorted(set(stages))
    out: dict[int, dict[str, BoardDecision]] = {}
    for row in table.rows:
        v = {k: (row.values.get(k) or "").strip() for k in DECISION_COLUMNS}

        def bad(message: str, column: str, hint: str | None = None, line: int = row.line) -> None:
            problems.append(Problem(message, file=name, row=line, column=column, hint=hint))

        stage = int(v["stage"]) if v["stage"].isdigit() else None
        if stage is None or stage not in known_stages:
            bad(f"stage {v['stage']!r} is not a stage of the call", "stage",
                f"write one of {', '.join(map(str, known_stages))}")
        app = v["application_id"]
        if app not in application_ids:
            bad(f"unknown application {app!r}" if app else "no application_id", "application_id",
                "use an application_id from applications.csv")
        word = v["decision"].lower()
        if word not in _DECISION_WORDS:
            bad(f"decision {v['decision']!r} is not a decision", "decision",
                "write selected or not_selected (udvalgt / ikke_udvalgt)")
        if not v["decided_by"]:
            bad("decided_by is empty", "decided_by", f"name who decided, e.g. {board.name_da}")
        try:
            day = call_date(v["decided_on"]) if v["decided_on"] else None
        except ValueError as exc:
            bad(str(exc), "decided_on", "write the day (2013-01-30), the month (2013-01) or the year")
            day = None
        if day is None and not v["decided_on"]:
            bad("decided_on is empty", "decided_on", "write the date of the decision, e.g. 2013-01-30")
        if stage is None or stage not in known_stages or app not in application_ids or word not in _DECISION_WORDS \
                or day is None or not v["decided_by"]:
            continue
        earlier = out.setdefault(stage, {}).get(app)
        if earlier is not None:
            bad(f"{app} is decided twice in stage {stage} (first in row {earlier.line})", "application_id",
                "keep one row per application and stage")
            continue
        out[stage][app] = BoardDecision(stage, app, _DECISION_WORDS[word], v["reason_en"], v["reason_da"],
                                        v["decided_by"], day, row.line)
    for stage, decisions in out.items():
        for col, attr in (("decided_on", "decided_on"), ("decided_by", "decided_by")):
            values = sorted({getattr(d, attr) for d in decisions.values()})
            if len(values) > 1:
                first = next(iter(decisions.values()))
                other = next(d for d in decisions.values() if getattr(d, attr) != getattr(first, attr))
                bad_line = other.line
                problems.append(Problem(f"stage {stage} has more than one {col} ({', '.join(values)}); one stage "
                                        "is one decision", file=name, row=bad_line, column=col,
                                        hint=f"write the same {col} on every row of stage {stage}"))
    if problems:
        raise InputError(problems)
    return BoardDecisions(name, board, {s: dict(d) for s, d in sorted(out.items())})


def comparison_columns() -> list[str]:
    """Columns of ``board-decisions-stage<N>.csv`` (the same as :data:`selection.schema.BOARD_DECISIONS`)."""
    return ["application_id", "rank", "recommended", "decided", "deviation", "recorded", "reason", "reason_da",
            "decided_by", "decided_on"]


def compare(decisions: BoardDecisions, stage: int, ranked: list[tuple[str, int]], recommended: Iterable[str]
            ) -> tuple[list[dict], list[Problem]]:
    """The recommendation beside the board's decision for every application of ``stage``.

    ``ranked`` lists the stage's applications with their ranks, in rank order; ``recommended`` is
    the engine's selection. Returns one record per application (:func:`comparison_columns`;
    ``recorded``: the file has a row for it) and the gaps in the record, as warnings: a recommended
    application without a row, and a deviation without a reason (neither ``reason_en`` nor
    ``reason_da``). An application the board selected that is not among ``ranked`` (not a candidate
    of the stage) is a gap too.

    >>> from selection.model import Board
    >>> b = BoardDecisions("d.csv", Board(name_da="V", name_en="V"), {1: {
    ...     "A": BoardDecision(1, "A", True, "", "", "V", "2013-01", 2),
    ...     "C": BoardDecision(1, "C", True, "regional balance", "", "V", "2013-01", 3)}})
    >>> rows, problems = compare(b, 1, [("A", 1), ("B", 2), ("C", 3)], ["A", "B"])
    >>> [(r["application_id"], r["recommended"], r["decided"], r["deviation"]) for r in rows]
    [('A', True, True, False), ('B', True, False, True), ('C', False, True, True)]
    >>> [p.message for p in problems]
    ['B is recommended in stage 1, but the decision file has no row for it']
    """
    rec = set(recommended)
    mine = decisions.by_stage.get(stage, {})
    any_row = next(iter(mine.values()), None)
    rows, problems = [], []
    for app, rank in ranked:
        d = mine.get(app)
        decided = bool(d is not None and d.selected)
        deviation = decided != (app in rec)
        if d is None and app in rec:
            problems.append(Problem(f"{app} is recommended in stage {stage}, but the decision file has no row for it",
                                    file=decisions.file, column="application_id",
                                    hint=f"add a row for {app}: selected, or not_selected with the board's reason"))
        elif deviation and d is not None and not (d.reason or d.reason_da):
            what = "not selected although recommended" if app in rec else "selected although not recommended"
            problems.append(Problem(f"{app} is {what} in stage {stage}, but the row gives no reason",
                                    file=decisions.file, row=d.line, column="reason_en",
                                    hint="write the board's reason in reason_en and reason_da"))
        who = d if d is not None else any_row  # a stage is one decision: its body and day
        rows.append({"application_id": app, "rank": rank, "recommended": app in rec, "decided": decided,
                     "deviation": deviation, "recorded": d is not None, "reason": d.reason if d else "",
                     "reason_da": d.reason_da if d else "", "decided_by": who.decided_by if who else "",
                     "decided_on": who.decided_on if who else ""})
    ranked_ids = {a for a, _ in ranked}
    for app, d in mine.items():
        if d.selected and app not in ranked_ids:
            problems.append(Problem(f"{app} is selected by the board in stage {stage}, but it is not among the "
                                    f"applications stage {stage} chooses from", file=decisions.file, row=d.line,
                                    column="application_id",
                                    hint="check the stage number of the row, or the earlier stage's decision"))
    return rows, problems


def board_manifest(decisions: BoardDecisions | None, stages: Iterable[int],
                   from_stage: Mapping[int, int | None]) -> dict:
    """The manifest's record of the board: its decision file, the stages it decided, and for each
    later stage whether it chose among the board's decision or the recommendation."""
    if decisions is None:
        return {}
    decided = [n for n in stages if decisions.decided(n)]
    return {"board": {"name_da": decisions.board.name_da, "name_en": decisions.board.name_en,
                      "recommender_da": decisions.board.recommender_da,
                      "recommender_en": decisions.board.recommender_en,
                      "file": decisions.file, "decided_stages": decided,
                      "candidates_from": {str(n): ("board" if f is not None and decisions.decided(f) else
                                                   "recommendation")
                                          for n, f in from_stage.items() if f is not None}}}


def read_decided(path: Path | str, application_ids: set[str]) -> list[str]:
    """The applications the board selected, from a run folder's ``board-decisions-stage<N>.csv``
    (its ``decided`` column), in rank order: what a later stage assigns experts to when the board
    has decided the earlier stage (``selection assign --stage 2 --run RUN_DIR``).

    Raises
    ------
    InputError
        The file lacks ``application_id`` or ``decided``, names an unknown application, or holds a
        ``decided`` that is not true or false; or the board selected nobody.
    """
    from selection.io.csvfile import parse_bool

    table = read_csv(path)
    missing = [c for c in ("application_id", "decided") if c not in table.header]
    if missing:
        raise InputError(Problem(f"missing column(s) {', '.join(missing)}", file=table.name, row=table.header_line,
                                 hint="give the board-decisions-stage<N>.csv of a run folder"))
    problems, out = [], []
    for row in table.rows:
        a, flag = row.values["application_id"], parse_bool(row.values.get("decided", ""))
        if a not in application_ids:
            problems.append(Problem(f"unknown application {a!r}", file=table.name, row=row.line, column="application_id"))
        elif flag is None:
            problems.append(Problem(f"decided {row.values.get('decided', '')!r} is not true or false", file=table.name,
                                    row=row.line, column="decided"))
        elif flag:
            out.append(a)
    if problems:
        raise InputError(problems)
    if not out:
        raise InputError(Problem("the board selected no application", file=table.name,
                                 hint="check the decision file of the call and run again"))
    return out
