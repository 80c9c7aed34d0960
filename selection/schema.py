"""The run-folder schema: every file a command writes into a run folder, its columns, and the
manifest's keys, named once, with a reader that checks a folder against it.

Writers (:mod:`selection.runs`, the ``scenarios`` and ``sensitivity`` commands) take table names
from here and stamp :data:`SCHEMA_VERSION` into ``manifest.json``; readers (the report's
:mod:`selection.report.bundle`, notebooks, the secretariat's web page) name tables and columns
through here and call :func:`check_folder` to learn, file by file and column by column, what is
missing or damaged. ``tests/test_schema.py`` runs the real commands and checks that what they
write is exactly what this module declares.

Tables are long per stage: a table about several stages has one ``stage`` column and a row per
stage (schema version 2; version 1 wrote one column per stage, ``<name>_stage<N>``, in the
scenario and sensitivity tables, see :data:`LAYOUT_CHANGES`). File names may hold the placeholder
``{n}`` (a stage number: ``selection-stage{n}.csv``), column names ``{r}`` (a rank:
``rank_acceptability_{r}``). This module imports neither numpy nor pandas (a header is read with
:mod:`csv`).

>>> SELECTION.file(2)
'selection-stage2.csv'
>>> table_for("selection-stage2.csv").name, table_for("notes.txt")
('selection-stage{n}.csv', None)
>>> outdated(SELECTION_PROBABILITY, 1)
'selection-probability.csv was written in the layout of schema version 1 (one column per stage, <name>_stage<N>); this program reads version 2 (a stage column and a row per stage)'
"""

from __future__ import annotations

import csv
import hashlib
import json
import re
from dataclasses import dataclass
from pathlib import Path

from selection.errors import InputError, Problem

__all__ = ["SCHEMA_VERSION", "KINDS", "MANIFEST", "Table", "TABLES", "RANKING", "PANEL_SCORES",
           "BOARD_DECISIONS", "ASSESSMENTS",
           "SELECTION", "ALTERNATIVES", "RESERVE", "AGREEMENT", "LENIENCY", "DIVERGENCE",
           "RANK_INTERVALS", "OUTSIDE_ASSIGNMENT", "SCENARIO_MATRIX", "SCENARIO_CHANGES",
           "SCENARIO_SUMMARY", "RANK_ACCEPTABILITY", "CENTRAL_WEIGHTS", "SELECTION_PROBABILITY",
           "SCORE_UNCERTAINTY", "WEIGHT_STABILITY", "WEIGHT_SWEEP", "CORE_INDEX", "POSTERIOR",
           "EXPERT_POSTERIOR", "POSTERIOR_DIAGNOSTICS", "LOTTERY", "APPLICATION_ATTRIBUTES", "MANIFEST_FILE",
           "REPORT_FILES", "REPORT_LANGS", "report_files", "LAYOUT_CHANGES", "outdated", "folder_version", "table_for", "tables_of", "read_header", "read_manifest", "check_folder", "validate_folder",
           "LENIENCY_BAND", "LENIENCY_LABELS", "AGREEMENT_MIN_APPLICATIONS", "AGREEMENT_MIN_EXPERTS",
           "agreement_too_little"]

#: Version of the layout below; written into every manifest as ``schema_version``. Raise it when a
#: table or column is renamed or removed (adding an optional column or a new table keeps it), and
#: say in :data:`LAYOUT_CHANGES` what changed. A folder without it was written before versions were
#: recorded and is read as version 0 (the layout of version 1).
SCHEMA_VERSION = 2

#: What each version changed, in words a reader of an older folder is shown (version -> change).
LAYOUT_CHANGES: dict[int, str] = {
    2: "per-stage columns became rows: scenario-matrix.csv, selection-probability.csv, score-uncertainty.csv "
       "and weight-sweep.csv have a stage column and a row per stage instead of one column per stage "
       "(<name>_stage<N>)",
}

#: What made a folder (``manifest.json`` ``"kind"``) -> the command.
KINDS = {"run": "selection run", "panel": "selection panel", "scenarios": "selection scenarios",
         "sensitivity": "selection sensitivity"}

MANIFEST_FILE = "manifest.json"
#: The languages ``selection report --lang`` writes.
REPORT_LANGS = ("en", "da")


def report_files(lang: str = "en") -> tuple[str, str]:
    """The report's file names in ``lang``: ``report.html``/``report.xlsx`` in English,
    ``report.<lang>.html``/``report.<lang>.xlsx`` otherwise (so one language never overwrites another).

    >>> report_files("da")
    ('report.da.html', 'report.da.xlsx')
    """
    return ("report.html", "report.xlsx") if lang == "en" else (f"report.{lang}.html", f"report.{lang}.xlsx")


#: Files ``selection report`` adds to a run folder (not outputs of the run itself), in every
#: language it writes: ``report.html``, ``report.xlsx``, ``report.da.html``, ``report.da.xlsx``.
REPORT_FILES = tuple(f for lang in REPORT_LANGS for f in report_files(lang))

#: Keys every manifest has, and the keys each kind adds.
MANIFEST: dict[str, tuple[str, ...]] = {
    "all": ("kind", "call_id", "created_utc", "schema_version", "inputs", "outputs", "versions"),
    "run": ("scenario", "seed", "parameters", "selected", "pending_stages", "objective", "rules",
            "timings_s", "solvers", "command"),
    "panel": ("seed",),
    "scenarios": ("seed", "scenarios", "parameters", "solvers", "timings_s", "command"),
    "sensitivity": ("seed", "parameters"),
}

_PLACEHOLDER = {"{n}": r"\d+", "{r}": r"\d+", "{scenario}": r"[\w.-]+?"}


def _pattern(name: str) -> re.Pattern[str]:
    out = re.escape(name)
    for ph, rx in _PLACEHOLDER.items():
        out = out.replace(re.escape(ph), f"({rx})")
    return re.compile(f"^{out}$")


@dataclass(frozen=True)
class Table:
    """One file of a run folder.

    ``columns`` are always written, in this order; ``optional`` ones when they apply (a Danish
    twin, a Bayesian stage's extras). ``required`` lists the kinds of folder that cannot be read
    without the file. ``since`` is the schema version that gave the table its present layout: a
    folder of an older version holding it was written in another layout (:func:`outdated`).
    """

    name: str
    kinds: tuple[str, ...]
    columns: tuple[str, ...]
    optional: tuple[str, ...] = ()
    required: tuple[str, ...] = ()
    description: str = ""
    since: int = 0

    def file(self, n: int | None = None) -> str:
        """The file name (of stage ``n`` for a per-stage file)."""
        if "{n}" in self.name:
            if n is None:
                raise ValueError(f"{self.name} is per stage: give the stage number")
            return self.name.replace("{n}", str(n))
        return self.name

    @property
    def per_stage(self) -> bool:
        return "{n}" in self.name

    def matches(self, filename: str) -> bool:
        return bool(_pattern(self.name).match(filename))

    def col(self, *names: str) -> list[str]:
        """``names``, checked to be columns of this table (a reader's way of naming columns, so a
        renamed column fails at import rather than in front of a user)."""
        declared = [_pattern(c) for c in self.columns + self.optional]
        unknown = [c for c in names if not any(p.match(c) for p in declared)]
        if unknown:
            raise KeyError(f"{self.name} has no column(s) {', '.join(unknown)}")
        return list(names)

    def column_problems(self, header: list[str], file: str) -> list[Problem]:
        """What is wrong with a header against this table: missing and undeclared columns."""
        problems = []
        fixed = [c for c in self.columns if "{" not in c]
        missing = [c for c in fixed if c not in header]
        for c in self.columns:
            if "{" in c and not any(_pattern(c).match(h) for h in header):
                missing.append(c)
        if missing:
            problems.append(Problem(f"{Path(file).name} lacks the column(s) {', '.join(missing)}",
                                    file=file, column=missing[0],
                                    hint="the folder is damaged or from another version; run the command again"))
        declared = [_pattern(c) for c in self.columns + self.optional]
        extra = [h for h in header if not any(p.match(h) for p in declared)]
        if extra:
            problems.append(Problem(f"{Path(file).name} has column(s) the schema does not know: "
                                    f"{', '.join(extra)}", file=file, column=extra[0],
                                    hint="declare them in selection/schema.py (and raise SCHEMA_VERSION "
                                         "if a column was renamed)"))
        if len(set(header)) != len(header):
            dup = sorted({h for h in header if header.count(h) > 1})
            problems.append(Problem(f"{Path(file).name} repeats the column(s) {', '.join(dup)}", file=file,
                                    column=dup[0], hint="the folder is damaged; run the command again"))
        return problems


_STAGED = ("stage",)
_REASON_FACTS = ("reason_code", "facts")

RANKING = Table("ranking.csv", ("run",), (
    "stage", "application_id", "rank", "title", "score", "tied_rank", "tie_break", "eligible",
    "failed_thresholds", "failed_thresholds_da", "n_experts", "n_abstentions"),
    required=("run",), description="rank, score, tie-break step and thresholds per stage")
PANEL_SCORES = Table("panel-scores.csv", ("run", "panel"), (
    "stage", "application_id", "criterion_id"),
    optional=("panel_score", "n_scores", "panel_score_raw", "panel_score_zscore", "panel_score_additive",
              "panel_score_bayes", "panel_sd"),
    description="panel score per application x criterion (panel: raw and calibrated side by side)")
SELECTION = Table("selection-stage{n}.csv", ("run",), (
    "application_id", "rank", "value", "selected", "reason", "cost_to_include", "would_leave", "eligible",
    "reason_da"), optional=_REASON_FACTS + ("requested", "granted"), required=("run",),
    description="each application's decision in a stage and the reason for it (with partial funding: "
                "the amount requested and the amount granted, 0 when not selected)")
ALTERNATIVES = Table("alternatives-stage{n}.csv", ("run",), (
    "alternative", "objective", "objective_lost", "n_selected", "selected", "added", "removed", "differs_by"),
    description="the k best distinct selections (--alternatives K)")
RESERVE = Table("reserve-stage{n}.csv", ("run",), (
    "position", "application_id", "rank", "value", "enters_if_withdraws", "reason", "reason_da"),
    description="the ordered reserve list")
AGREEMENT = Table("agreement.csv", ("run", "panel"), (
    "stage", "criterion_id", "measure", "value", "ci_low", "ci_high", "n_applications", "n_experts", "note"),
    optional=("found_applications", "found_experts"),
    description="agreement per criterion and on the weighted total (a measure not computable: what it "
    "found, found_applications/found_experts, beside its note)")
#: An agreement statistic of ``agreement.csv`` resting on fewer applications (``n_applications``)
#: or fewer experts per application (``n_experts``) than these is "too little data": the engine's
#: ``note`` says so and the console, the report and the workbench do not read it against the bands
#: (a Kendall's W of 0.80 from 3 applications says little). The minimums are this engine's floor, set
#: well below the guidance for reliability studies (at least 30 heterogeneous samples and 3 raters:
#: Koo & Li 2016, doi:10.1016/j.jcm.2016.02.012), so that only statistics that say nothing are withheld.
AGREEMENT_MIN_APPLICATIONS = 5
AGREEMENT_MIN_EXPERTS = 2


def agreement_too_little(n_applications: object, n_experts: object) -> bool:
    """Whether an agreement statistic rests on too little data (below the minimums above); ``False``
    when the counts are not known (a folder from before they were written).

    >>> agreement_too_little(3, 4), agreement_too_little(12, 1), agreement_too_little(12, 3)
    (True, True, False)
    >>> agreement_too_little(float("nan"), None)
    False
    """
    try:
        n_a, n_e = float(n_applications), float(n_experts)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return False
    if n_a != n_a or n_e != n_e:
        return False
    return n_a < AGREEMENT_MIN_APPLICATIONS or n_e < AGREEMENT_MIN_EXPERTS


LENIENCY = Table("expert-leniency.csv", ("run", "panel"), (
    "stage", "expert_id", "criterion_id", "n_scores", "mean_score", "mean_deviation", "leniency",
    "spread_ratio", "note", "leniency_low", "leniency_high", "label"),
    description="each expert's leniency (additive expert-effect model) with its 95 % interval and label")

#: The ``label`` of ``expert-leniency.csv``: an expert is "lenient" (or "severe") only when the
#: leniency lies beyond +LENIENCY_BAND (or -LENIENCY_BAND) score points AND its 95 % interval
#: excludes zero; otherwise "in_line"; "" when there is too little data for an interval. The one
#: band the console, the report and the workbench state (computed in selection.aggregate).
LENIENCY_BAND = 0.25
#: The labels of ``expert-leniency.csv``'s ``label`` column.
LENIENCY_LABELS = ("lenient", "severe", "in_line", "")
DIVERGENCE = Table("divergence.csv", ("run", "panel"), (
    "stage", "application_id", "criterion_id", "n_scores", "min_score", "max_score", "score_range",
    "score_sd", "scores", "comments"), description="divergent scores for the consensus meeting")
RANK_INTERVALS = Table("rank-intervals.csv", ("run", "panel"), (
    "stage", "application_id", "expected_rank", "rank_q05", "rank_q25", "rank_q50", "rank_q75", "rank_q95",
    "probability_top_k", "score_mean", "score_q05", "score_q95"),
    description="expert-bootstrap rank intervals")
OUTSIDE_ASSIGNMENT = Table("outside-assignment.csv", ("run", "panel"), (
    "stage", "expert_id", "application_id", "source_file", "sheet", "cell", "n_scores"),
    description="scores counted although the expert was not assigned the application")
SCENARIO_MATRIX = Table("scenario-matrix.csv", ("scenarios",), (
    "stage", "application_id", "title", "scenario", "selected", "times_selected", "robust_core"),
    required=("scenarios",), since=2,
    description="per stage, application and scenario: selected 1/0 (empty: the scenario has no feasible "
                "selection), how many feasible scenarios select it, and whether all do (robust core)")
SCENARIO_CHANGES = Table("scenario-changes.csv", ("scenarios",), (
    "scenario", "stage", "application_id", "title", "change", "rank_baseline", "rank_scenario",
    "reason_baseline", "reason_scenario"), optional=("reason_baseline_da", "reason_scenario_da"),
    description="who enters or leaves against the baseline (the reasons also in Danish)")
SCENARIO_SUMMARY = Table("scenario-summary.csv", ("scenarios",), (
    "scenario", "description", "stage", "status", "n_selected", "total_value", "n_entering", "n_leaving",
    "entering", "leaving", "infeasibility", "robust_core"), optional=("description_da",), required=("scenarios",),
    description="per scenario and stage: number selected, value, who enters and leaves")
RANK_ACCEPTABILITY = Table("rank-acceptability.csv", ("sensitivity",), (
    "stage", "application_id", "baseline_rank", "expected_rank", "probability_top_k", "top_k",
    "rank_acceptability_{r}"), description="SMAA rank acceptability indices")
CENTRAL_WEIGHTS = Table("central-weights.csv", ("sensitivity",), (
    "stage", "application_id", "acceptability_first", "criterion", "given_weight", "central_weight"),
    description="SMAA central weight vectors")
SELECTION_PROBABILITY = Table("selection-probability.csv", ("sensitivity",), (
    "stage", "application_id", "title", "selected_baseline", "probability_selected", "infeasible_share"),
    since=2, description="per stage and application: selected in the run, probability of being selected "
                         "under sampled weights, share of samples with no feasible selection")
SCORE_UNCERTAINTY = Table("score-uncertainty.csv", ("sensitivity",), (
    "stage", "application_id", "source", "expected_rank", "rank_q05", "rank_q25", "rank_q50", "rank_q75",
    "rank_q95", "probability_top_k", "probability_selected"), since=2,
    description="expert-bootstrap ranks in a stage and the probability of being selected in that stage")
WEIGHT_STABILITY = Table("weight-stability.csv", ("sensitivity",), (
    "stage", "criterion", "baseline_weight", "stable_from", "stable_to"),
    description="the interval of each weight over which the selection stays the same")
WEIGHT_SWEEP = Table("weight-sweep.csv", ("sensitivity",), (
    "stage", "criterion", "weight", "baseline_weight", "selection_stage", "selected", "same_as_baseline"),
    since=2, description="along each weight's sweep (stage: the stage whose criterion is swept), the "
                         "selection of each stage (selection_stage; space-separated ids) and whether it is "
                         "the run's")
CORE_INDEX = Table("core-index.csv", ("sensitivity",), (
    "stage", "application_id", "core_index", "core_label", "n_nondominated", "weight_information"),
    description="robust portfolio modelling: core / borderline / exterior")
POSTERIOR = Table("posterior.csv", ("run", "panel"), (
    "stage", "application_id", "mean_total", "total_q05", "total_q95", "expected_rank", "er_q05", "er_q95",
    "probability_selected"),
    description="Bayesian panel model: each application's posterior total and rank (panel_model = bayes)")
EXPERT_POSTERIOR = Table("expert-posterior.csv", ("run", "panel"), (
    "stage", "expert_id", "leniency", "leniency_q05", "leniency_q95", "n_scores"),
    description="Bayesian panel model: each expert's leniency")
POSTERIOR_DIAGNOSTICS = Table("posterior-diagnostics.csv", ("run", "panel"), ("stage", "parameter", "rhat", "ess_bulk"),
                              description="Bayesian panel model: convergence (R-hat, bulk ESS)")
LOTTERY = Table("lottery.csv", ("run",), ("stage", "application_id", "zone", "probability", "selected"),
                description="the partial lottery among the gray zone")
APPLICATION_ATTRIBUTES = Table("application-attributes.csv", ("run",), (
    "application_id", "attribute", "type", "value", "value_en", "value_da", "attribute_en", "attribute_da"),
    description="the call's declared application attributes (vocabulary.toml): a row per application, "
                "attribute and value (several values: a row each; no value: no row), with the labels in "
                "English and Danish")
BOARD_DECISIONS = Table("board-decisions-stage{n}.csv", ("run",), (
    "application_id", "rank", "recommended", "decided", "deviation", "recorded", "reason", "reason_da",
    "decided_by", "decided_on"), description="the secretariat's recommendation beside the board's decision (selection.board)")
ASSESSMENTS = Table("assessments-stage{n}.csv", ("run",), ("application_id", "language", "text", "file"),
                    description="the operator's written assessment of each application (selection.io.assessments)")

#: Every table, by file-name pattern.
TABLES: tuple[Table, ...] = (
    RANKING, PANEL_SCORES, SELECTION, ALTERNATIVES, RESERVE, AGREEMENT, LENIENCY, DIVERGENCE,
    RANK_INTERVALS, OUTSIDE_ASSIGNMENT, SCENARIO_MATRIX, SCENARIO_CHANGES, SCENARIO_SUMMARY,
    RANK_ACCEPTABILITY, CENTRAL_WEIGHTS, SELECTION_PROBABILITY, SCORE_UNCERTAINTY, WEIGHT_STABILITY,
    WEIGHT_SWEEP, CORE_INDEX, POSTERIOR, EXPERT_POSTERIOR, POSTERIOR_DIAGNOSTICS, LOTTERY, BOARD_DECISIONS, ASSESSMENTS,
    APPLICATION_ATTRIBUTES)


def folder_version(manifest: dict) -> int:
    """The ``schema_version`` a manifest records (0 when it records none: written before versions
    were); ``-1`` when the value is not a whole number (a damaged manifest)."""
    v = manifest.get("schema_version", 0)
    return v if isinstance(v, int) and not isinstance(v, bool) else -1


def outdated(table: Table, version: int) -> str | None:
    """Why ``table`` of a folder of schema ``version`` is in another layout than this program's,
    or ``None`` when its layout is current (or the version is unknown: -1)."""
    if version < 0 or version >= table.since:
        return None
    return (f"{table.name} was written in the layout of schema version {max(version, 1)} (one column per "
            f"stage, <name>_stage<N>); this program reads version {SCHEMA_VERSION} (a stage column and a row "
            "per stage)")


def table_for(filename: str) -> Table | None:
    """The table a file name belongs to (``None`` for a file the schema does not know)."""
    return next((t for t in TABLES if t.matches(filename)), None)


def tables_of(kind: str) -> tuple[Table, ...]:
    """The tables a kind of folder may hold."""
    return tuple(t for t in TABLES if kind in t.kinds)


def read_header(path: Path) -> list[str]:
    """The first row of a CSV file written by the engine (UTF-8, comma-separated)."""
    with open(path, encoding="utf-8", newline="") as fh:
        return next(csv.reader(fh), [])


def read_manifest(folder: Path, problems: list[Problem]) -> dict | None:
    """A run folder's manifest, or ``None`` with the reason added to ``problems`` (missing, not
    JSON, or no known ``kind``). The report reads manifests through this too."""
    mf = folder / MANIFEST_FILE
    if not mf.is_file():
        problems.append(Problem(f"no {MANIFEST_FILE}: this is not a run folder", file=str(folder),
                                hint="give a folder written by `selection run`, `panel`, `scenarios` or `sensitivity`"))
        return None
    try:
        data = json.loads(mf.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        problems.append(Problem(f"{MANIFEST_FILE} is not valid JSON ({exc})", file=str(mf),
                                hint="the run folder is damaged; run the command again"))
        return None
    if not isinstance(data, dict) or data.get("kind") not in KINDS:
        found = data.get("kind") if isinstance(data, dict) else None
        problems.append(Problem(f"{MANIFEST_FILE} has no known \"kind\" (found {found!r})", file=str(mf), key="kind",
                                hint=f"one of {', '.join(KINDS)}; the folder is damaged or from another program"))
        return None
    return data


def check_folder(folder: Path | str, kind: str | None = None, *, hashes: bool = True) -> list[Problem]:
    """Everything missing or damaged in a run folder, file by file and column by column.

    Checks the manifest (present, valid JSON, a known ``kind`` -- ``kind`` when given --, its keys
    and a ``schema_version`` this version reads), that no table is in an older layout (a folder of
    an older version is named as such, table by table), that every required file of its kind is there,
    that every output the manifest lists is present and unchanged (SHA-256, when ``hashes``), and
    the header of every table the schema knows. A ``scenarios`` folder's sub-folders are checked
    as ``run`` folders. Returns ``[]`` for a sound folder.
    """
    folder = Path(folder)
    problems: list[Problem] = []
    if not folder.is_dir():
        return [Problem("no such folder", file=str(folder), hint="give an existing run folder")]
    manifest = read_manifest(folder, problems)
    if manifest is None:
        return problems
    mf = str(folder / MANIFEST_FILE)
    found = manifest["kind"]
    if kind is not None and found != kind:
        problems.append(Problem(f"this is a {found!r} folder, not a {kind!r} folder", file=mf, key="kind",
                                hint=f"give a folder written by `{KINDS.get(kind, kind)}`"))
    version = manifest.get("schema_version", 0)
    if not isinstance(version, int) or version > SCHEMA_VERSION:
        problems.append(Problem(f"schema_version {version!r} is newer than this program reads ({SCHEMA_VERSION})",
                                file=mf, key="schema_version", hint="update selection to read this folder"))
    keys = MANIFEST["all"] + MANIFEST.get(found, ())
    missing_keys = [k for k in keys if k not in manifest and not (k == "schema_version" and version == 0)]
    if missing_keys:
        problems.append(Problem(f"{MANIFEST_FILE} lacks the key(s) {', '.join(missing_keys)}", file=mf,
                                key=missing_keys[0], hint="the folder is damaged or from another version"))
    raw_outputs = manifest.get("outputs")
    outputs: dict = raw_outputs if isinstance(raw_outputs, dict) else {}
    for rel, digest in sorted(outputs.items()):
        p = folder / rel
        if not p.is_file():
            problems.append(Problem(f"{rel} is missing (the manifest lists it)", file=str(p),
                                    hint="the folder is incomplete; run the command again"))
        elif hashes and hashlib.sha256(p.read_bytes()).hexdigest() != digest:
            problems.append(Problem(f"{rel} was changed after the run wrote it (SHA-256 differs from the "
                                    "manifest)", file=str(p), hint="run the command again, or restore the file"))
    present = sorted(p.name for p in folder.glob("*.csv"))
    for need in tables_of(found):
        if found in need.required and not any(need.matches(n) for n in present):
            problems.append(Problem(f"no {need.name.replace('{n}', '<N>')} ({need.description})", file=str(folder),
                                    hint=f"run `{KINDS[found]}` again"))
    older = folder_version(manifest)
    for name in present:
        t = table_for(name)
        if t is None:
            continue
        why = outdated(t, older)
        if why is not None:  # another layout: say so rather than list its columns as unknown
            problems.append(Problem(why, file=str(folder / name),
                                    hint=f"run `{KINDS[found]}` again to write it in this layout, or read the "
                                         "folder with the version of selection that wrote it"))
            continue
        try:
            header = read_header(folder / name)
        except (OSError, UnicodeDecodeError, csv.Error) as exc:
            problems.append(Problem(f"cannot read {name} ({exc})", file=str(folder / name),
                                    hint="the folder is damaged; run the command again"))
            continue
        problems += t.column_problems(header, str(folder / name))
    if found == "scenarios":
        for sub in sorted(p for p in folder.iterdir() if p.is_dir() and not p.name.startswith(".")):
            problems += check_folder(sub, "run", hashes=False)  # the scenarios manifest hashes them
    return problems


def validate_folder(folder: Path | str, kind: str | None = None) -> dict:
    """The folder's manifest if :func:`check_folder` finds nothing; else :class:`InputError`
    listing every problem."""
    problems = check_folder(folder, kind)
    if problems:
        raise InputError(problems)
    return json.loads((Path(folder) / MANIFEST_FILE).read_text(encoding="utf-8"))
