"""The main job: validate a call folder, then panel scores -> ranking -> stage selections.

Each step is a pure function of its inputs; :func:`load_call_folder` reads and validates
everything first (reporting every problem in every file at once), :func:`run_call` computes.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, cast

import pandas as pd

from selection import evaluation as ev
from selection.aggregate import score_counts, stage_panel_scores
from selection.aggregate.arrays import score_cube
from selection.background import Background, Job
from selection.board import BoardDecisions, compare, comparison_columns, read_board_decisions
from selection.errors import InputError, Problem, RankingError, SolverError
from selection.io.assessments import Assessment, read_assessments
from selection.io.csvfile import CsvTable, gc_paused, read_csv
from selection.io.scores import ScoreContext, outside_assignment, score_folder
from selection.io.store import (
    load_stage_scores,
    stage_input_files,
    symlink_problem,
    symlink_problems,
)
from selection.io.tables import (
    TableSource,
    application_warnings,
    assignments_for_stage,
    money_basis_problems,
    read_applications,
    read_assignments,
    read_experts,
)
from selection.io.toml import load_call
from selection.io.workbook import load_sheet_key
from selection.model import Application, Call, CriteriaCatalogue, Expert, Scenario
from selection.overrides import apply_scenario, load_scenario
from selection.rank import rank_applications
from selection.select import (
    DEFAULT_SOLVER,
    SELECTION_COLUMNS,
    StageOutcome,
    alternatives_table,
    k_best,
    select_stage,
    stage_input,
)
from selection.words import add_reasons

__all__ = ["CallFolder", "StageResult", "RunResult", "load_call_folder", "with_scenario", "run_call", "CALL_FILE"]

CALL_FILE = "call.toml"


@dataclass(frozen=True)
class CallFolder:
    """Everything read from a call folder, validated (and with a scenario applied, if any)."""

    root: Path
    call: Call
    catalogues: Mapping[int, CriteriaCatalogue]
    applications: Mapping[str, Application]
    experts: Mapping[str, Expert]
    assignments: Mapping[str, frozenset[str]] | None
    evaluations: Mapping[int, pd.DataFrame]
    scenario: Scenario | None
    input_files: tuple[Path, ...]
    #: Later stages left out of this run because their scores are not in yet, in words.
    pending: tuple[str, ...] = ()
    #: Things worth a look that do not stop the run (e.g. an unknown column that is not read).
    warnings: tuple[Problem, ...] = ()
    #: Per stage, the scores counted although the expert is not assigned to the application
    #: (``scores_outside_assignment = "count"``), from :func:`selection.io.scores.outside_assignment`.
    outside_assignment: Mapping[int, pd.DataFrame] = field(default_factory=dict)
    #: Per stage, the assignment that governs its scores (expert -> applications), as the score
    #: readers used it (:func:`selection.io.tables.assignments_for_stage`); absent: none governs.
    stage_assignments: Mapping[int, Mapping[str, frozenset[str]]] = field(default_factory=dict)
    #: The board's decision file (``[board] decisions`` in the call file), read and checked
    #: (:mod:`selection.board`); ``None``: the board has not decided yet (or the call has no board).
    board: BoardDecisions | None = None
    #: Per stage, the operator's written assessments (application id -> text), from the stage's
    #: ``assessments`` folder (:mod:`selection.io.assessments`).
    assessments: Mapping[int, Mapping[str, Assessment]] = field(default_factory=dict)
    #: The stages of ``pending`` as data, for readers that word them (the report, in either
    #: language): ``stage``, ``name``, ``from_stage``, ``scores`` (the folder waited for), ``note``.
    waiting: tuple[Mapping[str, Any], ...] = ()


@dataclass(frozen=True)
class StageResult:
    number: int
    panel: pd.DataFrame
    counts: pd.DataFrame
    ranking: pd.DataFrame
    outcome: StageOutcome
    selection: pd.DataFrame
    alternatives: pd.DataFrame | None = None  # k best distinct selections (``--alternatives K``)
    bayes: Any = None  # selection.bayes.stage.BayesStage when panel_model = "bayes"
    reserve: pd.DataFrame | None = None  # the ordered reserve list (the stage's ``reserve``)
    #: The recommendation beside the board's decision (``board-decisions-stage<N>.csv``), when the
    #: board has decided this stage; see :func:`selection.board.compare`.
    board: pd.DataFrame | None = None
    #: Whether this stage chose among an earlier stage's board decision (not its recommendation).
    candidates_from_board: bool = False
    #: Gaps in the board's record of this stage (a recommended application without a row, a
    #: deviation without a reason), each naming the decision file: warnings, not errors.
    board_warnings: tuple[Problem, ...] = ()


@dataclass(frozen=True)
class RunResult:
    folder: CallFolder
    stages: Mapping[int, StageResult]
    solver: str
    timings: Mapping[str, float] = field(default_factory=dict)
    #: Each stage's panel diagnostics (:func:`stage_panel_diagnostics` with
    #: :data:`DIAGNOSTIC_REPLICATES`), computing in a worker process since the stage was ranked,
    #: when :func:`run_call` was asked for them (``diagnostics=True``); ``selection.runs`` waits for them.
    diagnostics: Mapping[int, Any] = field(default_factory=dict)


#: Bootstrap replicates of a run's rank intervals (``rank-intervals.csv``).
DIAGNOSTIC_REPLICATES = 1000


def stage_panel_diagnostics(folder: CallFolder, number: int, applications, n_boot: int = DIAGNOSTIC_REPLICATES
                            ) -> dict[str, pd.DataFrame]:
    """A run folder's panel diagnostics of stage ``number`` (``agreement.csv``, ``expert-leniency.csv``,
    ``divergence.csv``, ``rank-intervals.csv``; :func:`selection.aggregate.stage_diagnostics`) over the
    ``applications`` the stage ranked, bootstrapped with the call's seed."""
    from selection.aggregate import stage_diagnostics

    return stage_diagnostics(*_diagnostics_input(folder, number, applications), seed=folder.call.seed, n_boot=n_boot)


def _diagnostics_input(folder: CallFolder, number: int, applications) -> tuple[pd.DataFrame, CriteriaCatalogue, Any]:
    """The scores of the ranked ``applications`` (only read), the catalogue and the stage."""
    evaluation = folder.evaluations[number]
    keep = evaluation[ev.APPLICATION].isin(applications)
    if not keep.all():  # else the frame as it is (shared with a forked worker, not copied)
        evaluation = evaluation[keep]
    return evaluation, folder.catalogues[number], folder.call.stage(number)


#: A stage's panel diagnostics as jobs (the files each computes), the longest first: the worker
#: takes them from the front, the caller, once it has nothing else to do, from the back.
DIAGNOSTIC_JOBS = (("rank-intervals.csv",), ("agreement.csv",), ("expert-leniency.csv",), ("divergence.csv",))


class _Diagnostics:
    """A stage's panel diagnostics computing as :data:`DIAGNOSTIC_JOBS` in a :class:`Background`;
    :meth:`result` waits for them, computing here each one the worker has not begun."""

    def __init__(self, background: Background, jobs: list[Job]) -> None:
        self.background, self.jobs = background, jobs

    def result(self) -> dict[str, pd.DataFrame]:
        from selection.aggregate.panel import DIAGNOSTIC_FILES

        got: dict[str, pd.DataFrame] = {}
        for job in reversed(self.jobs):  # the last first: the worker begins them in order
            got.update(job.result())
        return {name: got[name] for name in DIAGNOSTIC_FILES}

    @property
    def sources(self) -> list[str]:
        """Where each job was computed (``worker`` or ``here``), once :meth:`result` has been asked."""
        return [job.source for job in self.jobs]

    def cancel(self) -> None:
        """Not needed any more: the jobs the worker has not begun are dropped."""
        for job in self.jobs:
            self.background.cancel(job)


def _start_diagnostics(background: Background, folder: CallFolder, number: int, applications,
                       cube: Any = None) -> _Diagnostics:
    """Stage ``number``'s panel diagnostics over ``applications``, computing in ``background``;
    ``cube``: the score cube of exactly those applications' scores, if made already."""
    from selection.aggregate import stage_diagnostics

    # the stage's own scores are cut here: a later job sends the worker only them, not the whole folder
    evaluation, cat, stage = _diagnostics_input(folder, number, list(applications))
    return _Diagnostics(background, background.submit_many([
        (stage_diagnostics, (evaluation, cat, stage),
         {"seed": folder.call.seed, "n_boot": DIAGNOSTIC_REPLICATES, "files": files, "cube": cube})
        for files in DIAGNOSTIC_JOBS]))


def _collect(problems: list[Problem], fn, *args):
    try:
        return fn(*args)
    except InputError as exc:
        problems.extend(exc.problems)
        return None


def _rel(root: Path, p: Path) -> str:
    try:
        return str(p.resolve().relative_to(root.resolve()))
    except ValueError:
        return str(p)


def locate_stage_problem(folder: CallFolder, number: int, problem: Problem) -> Problem:
    """``problem`` (from ranking or the rules of stage ``number``, keyed relative to the stage,
    e.g. ``ranking_params`` or ``tie_breaks[0]``) with the file and full key it comes from: the
    scenario file when the scenario sets that field, else the call file or the stage's catalogue."""
    from dataclasses import replace as _replace

    if problem.file is not None:
        return problem
    key = problem.key or "ranking_params"
    field_name = key.split(".")[0].split("[")[0]
    scen = folder.scenario
    ov = scen.stages.get(number) if scen is not None else None
    if scen is not None and ov is not None and (getattr(ov, field_name, None) is not None
                                                or (field_name == "ranking_params" and ov.ranking_method is not None)):
        return _replace(problem, file=f"scenarios/{scen.name}.toml", key=f"stages.{number}.{key}")
    stage = folder.call.stage(number)
    if field_name == "tie_breaks":
        return _replace(problem, file=_rel(folder.root, folder.root / stage.catalogue), key=key)
    index = [s.number for s in folder.call.stages].index(number)
    return _replace(problem, file=CALL_FILE, key=f"stages[{index}].{key}")


def forced_problems(folder: CallFolder) -> list[Problem]:
    """A forced decision for an application that is not in applications.csv: invalid input,
    named by file and key (in the call file, or in the scenario that adds it)."""
    out = []
    for st in folder.call.stages:
        scen = folder.scenario
        ov = scen.stages.get(st.number) if scen is not None else None
        added = len(ov.forced) if ov is not None else 0
        index = [s.number for s in folder.call.stages].index(st.number)
        for i, f in enumerate(st.forced):
            if f.application in folder.applications:
                continue
            if scen is not None and i >= len(st.forced) - added:
                file, key = f"scenarios/{scen.name}.toml", \
                    f"stages.{st.number}.forced[{i - (len(st.forced) - added)}].application"
            else:
                file, key = CALL_FILE, f"stages[{index}].forced[{i}].application"
            out.append(Problem(f"forced decision for {f.application!r}, which is not in applications.csv",
                               file=file, key=key, hint="use an application_id from applications.csv, or "
                                                        "remove the forced decision"))
    return out


def ranking_problems(folder: CallFolder) -> list[Problem]:
    """Everything ranking would refuse, found without selecting: each stage's panel scores are
    ranked with its method, parameters and tie-break chain, and every problem is named by file
    and key (:func:`locate_stage_problem`); plus :func:`forced_problems`."""
    from selection.errors import SelectionError

    out = forced_problems(folder)
    for st in folder.call.stages:
        evaluation = folder.evaluations.get(st.number)
        if evaluation is None or evaluation.empty:
            continue
        cat = folder.catalogues[st.number]
        try:
            panel = stage_panel_scores(evaluation, cat, st)
            rank_applications(panel, cat, applications=folder.applications, seed=folder.call.seed + st.number,
                              method=st.ranking_method, method_params=st.ranking_params)
        except SelectionError as exc:
            out += [locate_stage_problem(folder, st.number, p) for p in exc.problems]
    return out


def _too_few_experts(evaluation: pd.DataFrame, ids, need: int) -> list[tuple[str, int]]:
    """``(application, experts who scored it)`` for each of ``ids`` scored by fewer than ``need``
    experts (abstentions do not count), in id order."""
    counts = score_counts(evaluation)["n_experts"].to_dict()
    return [(a, counts.get(a, 0)) for a in sorted(ids) if counts.get(a, 0) < need]


def _raw_ids(app_table: TableSource) -> set[str]:
    """The application ids listed in an applications table that did not validate (or none)."""
    if not isinstance(app_table, CsvTable):
        return set()  # not readable at all (see _parsed)
    return {r.values.get("application_id", "") for r in app_table.rows} - {""}


def _parsed(path: Path) -> TableSource:
    """The table of a CSV file that several readers read (parsed once, handed on), or the path
    itself if it cannot be read: then each reader reports why, as it did on its own."""
    try:
        return read_csv(path)
    except InputError:
        return path


def load_call_folder(call_dir: Path | str, scenario: str | None = None, *,
                     before_scores: bool = False) -> CallFolder:
    """Read and validate a whole call folder; raise one :class:`InputError` listing every problem.

    ``before_scores``: a stage with no score files yet is not a problem but waits (listed in
    ``pending``), so that a call can be checked while assignments and sheets are made
    (``selection validate``); if every stage waits, the returned call keeps its stages and
    ``evaluations`` is empty.
    """
    with gc_paused():  # millions of small objects and no reference cycles (see gc_paused)
        return _load_call_folder(call_dir, scenario, before_scores=before_scores)


def _load_call_folder(call_dir: Path | str, scenario: str | None, *, before_scores: bool) -> CallFolder:
    root = Path(call_dir)
    problems: list[Problem] = []
    if not (root / CALL_FILE).is_file():
        raise InputError(Problem(f"no {CALL_FILE} in {root}", hint="give the folder that holds the call file"))
    loaded = _collect(problems, load_call, root / CALL_FILE)
    call, catalogues = loaded if loaded else (None, {})
    files: list[Path] = [root / CALL_FILE]
    scen = None
    if call is not None:
        files += [(root / CALL_FILE).parent / s.catalogue for s in call.stages]
        if scenario:
            spath = root / "scenarios" / f"{scenario}.toml"
            if not re.fullmatch(r"[\w-]+", scenario):  # a name, never a path out of scenarios/
                problems.append(Problem(
                    f"{scenario!r} is not a scenario name", key="--scenario",
                    hint="give the name of a file in scenarios/ without .toml (letters, digits, - and _)"))
            elif not spath.is_file():
                available = sorted(p.stem for p in (root / "scenarios").glob("*.toml"))
                problems.append(Problem(f"no scenario {scenario!r}", file=_rel(root, spath),
                                        hint=f"available: {', '.join(available) or 'none'}"))
            else:
                files.append(spath)
                scen = _collect(problems, load_scenario, spath)
                if scen is not None:
                    applied = _collect(problems, apply_scenario, call, catalogues, scen, _rel(root, spath))
                    if applied:
                        call, catalogues = applied
    app_file = root / (call.applications if call else "applications.csv")
    exp_file = root / (call.experts if call else "experts.csv")
    files += [app_file, exp_file]
    app_table = _parsed(app_file)  # read by four readers below: parsed once
    apps_list = _collect(problems, read_applications, app_table, call.attributes if call else ()) or []
    apps = {a.id: a for a in apps_list}
    warnings: list[Problem] = []
    if call is not None:
        problems += money_basis_problems(app_table, call.stages, _rel(root, app_file))
        warnings += application_warnings(app_table, call.attributes, _rel(root, app_file))
    # call file, catalogues, vocabulary, scenario, tables: links are followed only inside the folder
    problems += symlink_problems(root, [*files, *([root / call.vocabulary] if call and call.vocabulary else []),
                                        *([root / call.assignments] if call and call.assignments else [])])
    # When applications.csv has problems, the score files are still checked against the ids it
    # lists, so that one report holds every problem.
    known_ids = set(apps) or _raw_ids(app_table)
    experts_list = _collect(problems, read_experts, exp_file, known_ids or None) or []
    experts = {e.id: e for e in experts_list}
    assignments = None
    assignment_table: TableSource = root / (call.assignments if call and call.assignments else "assignments.csv")
    if call is not None and call.assignments and (root / call.assignments).is_file():
        files.append(root / call.assignments)
        assignment_table = _parsed(root / call.assignments)  # read for every stage too: parsed once
        if known_ids and experts:
            assignments = _collect(problems, read_assignments, assignment_table, set(experts), known_ids)
    evaluations: dict[int, pd.DataFrame] = {}
    outside: dict[int, pd.DataFrame] = {}
    governing: dict[int, Mapping[str, frozenset[str]]] = {}
    pending: list[int] = []
    if call is not None and known_ids and experts:
        # ids only (no Application) when applications.csv has problems: the checks use the keys
        score_apps = apps or cast("dict[str, Application]", dict.fromkeys(sorted(known_ids)))
        for st in call.stages:
            folder = score_folder(root, call.scores, st.number)
            # hand-placed .csv/.xlsx files of scores/stage<N>/ plus the imported store (selection.io.store)
            score_files = stage_input_files(root, call.scores, st.number)
            files += score_files
            waits = st.from_stage is not None and (st.from_stage in pending or not score_files)
            waits = waits or (before_scores and not score_files)
            if waits and (call.selection_mode != "linked" or before_scores):
                pending.append(st.number)  # a later stage whose scores are not in yet: run without it
                continue
            if not score_files:
                problems.append(Problem(
                    f"no score files for stage {st.number}" + (
                        " (the linked selection mode needs every stage's scores)" if st.from_stage else ""),
                    file=_rel(root, folder),
                    hint="import the experts' files with 'selection import' or put them in this folder"))
                continue
            stage_assignments = None
            if assignments is not None:  # this stage's rows (see assignments_for_stage)
                stage_assignments = _collect(problems, assignments_for_stage, assignment_table,
                                             set(experts), known_ids, st.number, st.from_stage is not None)
            key = (_collect(problems, load_sheet_key, root)  # signs personal workbooks (.xlsx)
                   if any(f.suffix.lower() == ".xlsx" for f in score_files) else None)
            ctx = ScoreContext(catalogues[st.number], score_apps, experts, stage_assignments,
                               call_id=call.id, stage=st.number, sheet_key=key,
                               count_outside_assignment=call.scores_outside_assignment == "count",
                               assignments_file=call.assignments or "assignments.csv")
            frame = _collect(problems, load_stage_scores, root, call.scores, st.number, ctx)
            if frame is None:
                continue
            evaluations[st.number] = frame
            if stage_assignments is not None:
                governing[st.number] = stage_assignments
            if stage_assignments is not None and ctx.count_outside_assignment:
                outside[st.number] = outside_assignment(frame, stage_assignments)
            if st.from_stage is not None and call.selection_mode != "linked":
                continue  # only the earlier stage's selection needs scores: checked by run_call
            for a, n in _too_few_experts(frame, score_apps, st.min_experts):
                problems.append(Problem(
                    f"application {a} has scores from {n} expert(s) in stage {st.number}; "
                    f"at least {st.min_experts} required", file=_rel(root, folder),
                    hint="add the missing score sheets or lower min_experts in the call file"))
    board: BoardDecisions | None = None
    assessed: dict[int, Mapping[str, Assessment]] = {}
    if call is not None and known_ids:
        board, assessed = _read_record(root, call, known_ids, files, problems)
    if problems:
        error = InputError(problems)
        error.warnings = warnings  # e.g. the unknown column behind a missing money column
        raise error
    notes = []
    waiting = tuple({"stage": n, "name": call.stage(n).name, "from_stage": call.stage(n).from_stage,
                     "scores": _rel(root, score_folder(root, call.scores, n))} for n in pending) if call else ()
    if pending:
        notes = [f"stage {n} is not run yet: no score files in {_rel(root, score_folder(root, call.scores, n))}"
                 + (f" (it chooses from stage {call.stage(n).from_stage})" if call.stage(n).from_stage in pending else "")
                 for n in pending]
        if len(pending) < len(call.stages):
            call = Call.model_validate({**call.model_dump(), "stages": [s.model_dump() for s in call.stages
                                                                         if s.number not in pending]})
            catalogues = {n: c for n, c in catalogues.items() if n not in pending}
    return CallFolder(root, call, catalogues, apps, experts, assignments, evaluations, scen,
                      tuple(dict.fromkeys(files)), tuple(notes), tuple(warnings), outside, governing,
                      board=board, assessments=assessed,
                      waiting=tuple({**w, "note": note} for w, note in zip(waiting, notes, strict=True)))


def _read_record(root: Path, call: Call, known_ids: set[str], files: list[Path], problems: list[Problem]
                 ) -> tuple[BoardDecisions | None, dict[int, Mapping[str, Assessment]]]:
    """The board's decision file and each stage's assessment folder, read and checked; their
    problems go to ``problems`` and their files to ``files`` (hashed into the manifest)."""
    board = None
    if call.board is not None and call.board.decisions:
        path = root / call.board.decisions
        link = symlink_problem(root, path)
        if link is not None:
            problems.append(link)
        elif not path.is_file():
            problems.append(Problem(f"the call names the board's decision file {call.board.decisions!r}, which "
                                    "does not exist", file=CALL_FILE, key="board.decisions",
                                    hint="create it (docs/decisions.md), or leave 'decisions' out until the "
                                         "board has decided"))
        else:
            files.append(path)
            board = _collect(problems, lambda: read_board_decisions(
                path, call.board, stages=[s.number for s in call.stages], application_ids=known_ids,
                display_name=_rel(root, path)))
    assessed: dict[int, Mapping[str, Assessment]] = {}
    for st in call.stages:
        if st.assessments is None:
            continue
        folder = root / st.assessments
        got = _collect(problems, lambda folder=folder: read_assessments(folder, root=root, application_ids=known_ids))
        if got is not None:
            assessed[st.number] = got
            files += [p for a in got.values() for p in a.files]
    return board, assessed


def with_scenario(base: CallFolder, scenario: str, *, before_scores: bool = False) -> CallFolder:
    """``base`` (a baseline folder) with a scenario applied, without reading its tables and score
    files again; the same result as ``load_call_folder(base.root, scenario)``.

    Falls back to :func:`load_call_folder` where a scenario could change what is read: a baseline
    with a stage still waiting for its scores, or a scenario that changes the selection mode.
    """
    spath = base.root / "scenarios" / f"{scenario}.toml"
    if base.scenario is not None or base.pending or not spath.is_file():
        return load_call_folder(base.root, scenario, before_scores=before_scores)
    link = symlink_problem(base.root, spath)
    if link is not None:
        raise InputError(link)
    scen = load_scenario(spath)
    if scen.selection_mode is not None and scen.selection_mode != base.call.selection_mode:
        return load_call_folder(base.root, scenario)
    call, catalogues = apply_scenario(base.call, base.catalogues, scen, _rel(base.root, spath))
    app_file = base.root / call.applications
    money = money_basis_problems(app_file, call.stages, _rel(base.root, app_file))
    if money:  # a scenario that gives a stage a budget needs that stage's amounts
        raise InputError([replace(p, message=f"scenario {scenario}: {p.message}") for p in money])
    return replace(base, call=call, catalogues=catalogues, scenario=scen,
                   input_files=tuple(dict.fromkeys((*base.input_files, spath))))


def run_call(folder: CallFolder, *, solver: str | None = None, alternatives: int = 0,
             diagnostics: bool = False) -> RunResult:
    """Compute every stage: panel scores, ranking with thresholds, and the selection program.

    A later stage with ``from_stage`` chooses only among the earlier stage's selection. With
    ``selection_mode = "linked"`` an earlier stage is chosen so that the best later-stage selection
    within it is as good as possible. ``alternatives`` > 0 adds the k best distinct selections
    of each stage. ``diagnostics=True`` starts each stage's panel diagnostics in a worker process
    as soon as the stage is ranked (``RunResult.diagnostics``; the same tables as computing them
    afterwards, which ``selection.runs.run_tables`` does when they were not asked for here).
    Raises :class:`~selection.errors.InfeasibleError` if a stage has no feasible selection.
    """
    background = Background() if diagnostics and Background.available() else None
    try:
        return _run_call(folder, solver, alternatives, background)
    finally:  # no more jobs: the worker ends after the queued ones
        if background is not None:
            background.close()


def _run_call(folder: CallFolder, solver: str | None, alternatives: int, background: Background | None) -> RunResult:
    solver = solver or (folder.scenario.solver if folder.scenario and folder.scenario.solver else DEFAULT_SOLVER)
    unknown = forced_problems(folder)
    if unknown:  # invalid input, not an infeasible selection
        raise InputError(unknown)
    timings: dict[str, float] = {}
    stages: dict[int, StageResult] = {}
    futures: dict[int, _Diagnostics] = {}
    for st in folder.call.stages:
        t0 = time.perf_counter()
        cat = folder.catalogues[st.number]
        evaluation = folder.evaluations[st.number]
        candidates = list(stages[st.from_stage].outcome.selected) if st.from_stage else None
        from_board = st.from_stage is not None and folder.board is not None and folder.board.decided(st.from_stage)
        if from_board:  # the board decided the earlier stage: choose among its decision, not the recommendation
            assert folder.board is not None and st.from_stage is not None
            candidates = folder.board.selected(st.from_stage)
        if candidates is not None:  # a later stage ranks only the earlier stage's selection
            evaluation = evaluation[evaluation[ev.APPLICATION].isin(candidates)]
            _check_candidates_scored(folder, st, evaluation, candidates)
        early, cube = None, None
        if background is not None and candidates is None:
            # the diagnostics need only the applications the stage ranks, which are those its scores
            # name (checked once the panel is made; started again over the panel's if not): start now,
            # with the score cube made once for both processes (the worker shares it: forked)
            early = set(evaluation[ev.APPLICATION].unique())
            cube = score_cube(evaluation, cat.criterion_ids)
            futures[st.number] = _start_diagnostics(background, folder, st.number, early, cube)
        fitted = None
        if st.panel_model == "bayes":  # posterior-mean quality from the Bayesian panel model
            from selection.bayes.stage import fit_stage

            fitted = fit_stage(st, cat, evaluation, folder.experts, call_seed=folder.call.seed)
            panel = fitted.panel
        else:
            panel = stage_panel_scores(evaluation, cat, st, cube=cube)  # aggregation + the stage's calibration
        counts = score_counts(evaluation)
        try:
            ranking = rank_applications(panel, cat, applications=folder.applications, seed=folder.call.seed + st.number,
                                        method=st.ranking_method, method_params=st.ranking_params)
        except RankingError as exc:  # name the file and key the setting comes from
            raise RankingError([locate_stage_problem(folder, st.number, p) for p in exc.problems]) from None
        if background is not None and (early is None or set(panel.index) != early):
            if st.number in futures:  # over more applications than the panel's: not needed
                futures[st.number].cancel()
            futures[st.number] = _start_diagnostics(background, folder, st.number, panel.index)
        t1 = time.perf_counter()
        later = next((s for s in folder.call.stages if s.from_stage == st.number), None)
        if folder.call.selection_mode == "linked" and later is not None:
            outcome, table = _select_linked(folder, st, later, ranking, candidates, solver)
        else:
            outcome, table = select_stage(st, ranking, folder.applications, candidates=candidates, solver=solver)
        if fitted is not None:  # probability of selection on posterior draws; the lottery if enabled
            from selection.bayes.stage import decide_stage
            from selection.select.program import outcome_for

            inp = stage_input(st, ranking, folder.applications, candidates=candidates)
            outcome, table, fitted = decide_stage(fitted, st, cat, inp, outcome, table, folder.applications,
                                                  call_seed=folder.call.seed, solver=solver, outcome_for=outcome_for)
        alts = None
        if alternatives > 0:
            inp = stage_input(st, ranking, folder.applications, candidates=candidates)
            alts = alternatives_table(k_best(inp, alternatives, solver))
        reserve = None
        if st.reserve > 0:  # who moves up if a selected one withdraws
            from selection.select.reserve import reserve_list

            reserve = reserve_list(stage_input(st, ranking, folder.applications, candidates=candidates),
                                   outcome, st.reserve)
        if st.from_stage is not None and stages[st.from_stage].outcome.linked_value is not None and not from_board:
            _check_linked_promise(stages[st.from_stage].outcome, outcome, st.number)
        board, board_warnings = _board_table(folder, st.number, ranking, outcome.selected)
        table = add_reasons(table, SELECTION_COLUMNS + [c for c in ("requested", "granted") if c in table.columns])  # the words, rendered from the decision records; partial funding's amounts
        t2 = time.perf_counter()
        timings[f"stage{st.number}_rank_s"] = t1 - t0
        timings[f"stage{st.number}_select_s"] = t2 - t1
        stages[st.number] = StageResult(st.number, panel, counts, ranking, outcome, table, alts, bayes=fitted,
                                        reserve=reserve, board=board, candidates_from_board=from_board,
                                        board_warnings=board_warnings)
    return RunResult(folder, stages, solver, timings, futures)


def _board_table(folder: CallFolder, number: int, ranking: pd.DataFrame, recommended
                 ) -> tuple[pd.DataFrame | None, tuple[Problem, ...]]:
    """The recommendation beside the board's decision in stage ``number`` (``None`` when the board
    has not decided it), and the gaps in the record (:func:`selection.board.compare`). Under a
    scenario the recommendation is one the board never saw: the table is written, the gaps are not
    reported."""
    if folder.board is None or not folder.board.decided(number):
        return None, ()
    r = ranking.reset_index()
    ranked = [(str(a), int(k)) for a, k in zip(r["application_id"], r["rank"], strict=True)]
    rows, problems = compare(folder.board, number, ranked, recommended)
    return pd.DataFrame(rows, columns=comparison_columns()), (() if folder.scenario is not None else tuple(problems))


def _check_candidates_scored(folder: CallFolder, st, evaluation: pd.DataFrame, candidates) -> None:
    """Every application a later stage chooses among needs scores from ``min_experts`` experts."""
    where = _rel(folder.root, score_folder(folder.root, folder.call.scores, st.number))
    problems = [Problem(f"application {a}, selected in stage {st.from_stage}, has scores from "
                        f"{n} expert(s) in stage {st.number}; at least {st.min_experts} required",
                        file=where, hint=f"add its stage-{st.number} assessments or lower min_experts in the call file")
                for a, n in _too_few_experts(evaluation, candidates, st.min_experts)]
    if problems:
        raise InputError(problems)


def _check_linked_promise(earlier: StageOutcome, later: StageOutcome, number: int) -> None:
    """Linked mode promised the later stage a value; the later stage must deliver exactly that."""
    promised, got = earlier.linked_value, later.objective
    if promised is not None and abs(promised - got) > 1e-9 * max(1.0, abs(promised)):
        raise SolverError(f"linked mode promised stage {number} a value of {promised!r}, but stage {number} "
                          f"delivers {got!r}; please report this (a setting that makes stage {number}'s values "
                          "depend on the applications compared is not refused yet)")


def _select_linked(folder: CallFolder, st, later, ranking: pd.DataFrame, candidates, solver: str):
    """Stage ``st`` in linked mode: rank every application on the later stage's criteria too."""
    from selection.select.linked import select_linked

    cat = folder.catalogues[later.number]
    panel = stage_panel_scores(folder.evaluations[later.number], cat, later)
    ranking_later = rank_applications(panel, cat, applications=folder.applications,
                                      seed=folder.call.seed + later.number, method=later.ranking_method,
                                      method_params=later.ranking_params)
    return select_linked(st, ranking, later, ranking_later, folder.applications, candidates=candidates,
                         solver=solver, cost_criteria=[c.id for c in cat.criteria if c.direction == "cost"])
