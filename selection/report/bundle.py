"""Reading run folders: the only input of a report (``docs/architecture.md``, "Run folders").

A :class:`RunBundle` holds a folder's manifest and its CSV tables as read, nothing computed.
Files the report cannot do without (``manifest.json``, ``ranking.csv``, ``selection-stage<N>.csv``
of a ``run`` folder) must be present and well-formed; every other table is optional and its
absence is reported in words by the report.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from selection import schema
from selection.errors import InputError, Problem
from selection.report.words import say

__all__ = ["RunBundle", "ReportInputs", "Mismatch", "engine_layout", "load_bundle", "find_sibling", "input_mismatch",
           "load_report_inputs", "REQUIRED_COLUMNS", "manifest_problems"]

#: Columns each known table must have for the report to draw it (others are shown as they are).
#: Names come from the run-folder schema (selection.schema), so a renamed column fails here at import.
REQUIRED_COLUMNS: dict[str, list[str]] = {
    schema.RANKING.name: schema.RANKING.col("stage", "application_id", "rank", "score", "eligible", "failed_thresholds"),
    schema.PANEL_SCORES.name: schema.PANEL_SCORES.col("stage", "application_id", "criterion_id", "panel_score"),
    schema.SELECTION.name: schema.SELECTION.col("application_id", "rank", "value", "selected", "reason"),
    schema.RANK_INTERVALS.name: schema.RANK_INTERVALS.col("application_id", "expected_rank", "rank_q05", "rank_q25",
                                                          "rank_q75", "rank_q95"),
    schema.LENIENCY.name: schema.LENIENCY.col("expert_id", "leniency"),
    schema.AGREEMENT.name: schema.AGREEMENT.col("criterion_id", "measure", "value"),
    schema.RANK_ACCEPTABILITY.name: schema.RANK_ACCEPTABILITY.col("application_id"),
    schema.SELECTION_PROBABILITY.name: schema.SELECTION_PROBABILITY.col("stage", "application_id", "probability_selected"),
    schema.CORE_INDEX.name: schema.CORE_INDEX.col("application_id", "core_index", "core_label"),
    schema.SCENARIO_MATRIX.name: schema.SCENARIO_MATRIX.col("stage", "application_id", "scenario", "selected"),
    # the long layouts engine_layout reshapes two engine tables into (the report's own names)
    schema.WEIGHT_STABILITY.name: ["criterion_id", "weight", "weight_low", "weight_high"],
    schema.WEIGHT_SWEEP.name: ["criterion_id", "weight", "application_id", "selected"],
}
_STAGE_FILE = re.compile(r"^selection-stage(\d+)\.csv$")


def _required(name: str) -> list[str] | None:
    table = schema.table_for(name)
    return None if table is None else REQUIRED_COLUMNS.get(table.name)


@dataclass(frozen=True)
class RunBundle:
    """One run folder as read: its manifest and tables by file name.

    ``unusable`` maps a table's file name to why the report cannot draw it (missing columns, an
    older version's layout), in English; such a table is still shown as it is. ``unusable_facts``
    holds the same reasons as data (a glossary key of :mod:`selection.report.words` and its facts),
    so the report says them in its own language (:meth:`why`).
    """

    path: Path
    manifest: dict
    tables: dict[str, pd.DataFrame]
    unusable: dict[str, str] = field(default_factory=dict)
    unusable_facts: dict[str, tuple[str, dict]] = field(default_factory=dict)

    def why(self, name: str, lang: str = "en") -> str:
        """Why the table ``name`` cannot be drawn, in ``lang`` (English: as :attr:`unusable` says it)."""
        if lang == "en" or name not in self.unusable_facts:
            return self.unusable[name]
        key, facts = self.unusable_facts[name]
        return say(key, lang, **facts)

    @property
    def kind(self) -> str:
        return str(self.manifest.get("kind", ""))

    @property
    def call_id(self) -> str:
        return str(self.manifest.get("call_id", ""))

    def table(self, name: str) -> pd.DataFrame | None:
        """The table ``name`` if present and drawable, else ``None``."""
        if name in self.unusable:
            return None
        return self.tables.get(name)

    def stages(self) -> list[int]:
        """Stage numbers with a ``selection-stage<N>.csv``, in order."""
        return sorted(int(m.group(1)) for n in self.tables if (m := _STAGE_FILE.match(n)))

    def stage_parameters(self, stage: int) -> dict:
        return dict(self.manifest.get("parameters", {}).get("stages", {}).get(str(stage), {}))

    def rules(self, stage: int) -> list[dict]:
        return list(self.manifest.get("rules", {}).get(str(stage), []))


def _read_manifest(path: Path, problems: list[Problem]) -> dict | None:
    """The manifest as :func:`selection.schema.read_manifest` reads it, with every value the report
    reads type-checked (a damaged one named by its key)."""
    data = schema.read_manifest(path, problems)
    if data is None:
        return None
    mf = path / schema.MANIFEST_FILE
    damaged = manifest_problems(data, str(mf))
    if damaged:
        problems += damaged
        return None
    return data


_NUM = (int, float)
_OPT_NUM = (int, float, type(None))
_OPT_STR = (str, type(None))
#: The type each manifest value the report reads must have ("*" matches any key or list item).
_MANIFEST_TYPES: dict[str, type | tuple[type, ...]] = {
    "kind": str, "call_id": str, "created_utc": str, "scenario": _OPT_STR, "seed": (int, type(None)),
    "inputs": dict, "outputs": dict, "versions": dict, "solvers": dict, "timings_s": dict,
    "parameters": dict, "parameters.stages": dict, "parameters.stages.*": dict,
    "parameters.stages.*.name": str, "parameters.stages.*.max_selected": int,
    "parameters.stages.*.from_stage": (int, type(None)), "parameters.stages.*.budget": _OPT_NUM,
    "parameters.stages.*.budget_basis": _OPT_STR, "parameters.stages.*.total_budget_cap_per_year": _OPT_NUM,
    "parameters.stages.*.max_regional_share": _OPT_NUM, "parameters.stages.*.fixed_cost_per_selected": _OPT_NUM,
    "parameters.stages.*.partial_funding": (dict, type(None)),
    "parameters.stages.*.partial_funding.min_share": _OPT_NUM,
    "parameters.stages.*.partial_funding.min_amount": _OPT_STR,
    "parameters.stages.*.partial_funding.min_amount_label": (list, type(None)),
    "parameters.stages.*.partial_funding.min_amount_label.*": str,
    "parameters.stages.*.thresholds": dict, "parameters.stages.*.thresholds.*": _OPT_NUM,
    "parameters.stages.*.weights": dict, "parameters.stages.*.weights.*": _NUM,
    "parameters.stages.*.criterion_names": dict, "parameters.stages.*.criterion_names.*": list,
    "parameters.stages.*.criterion_names.*.*": str,
    "parameters.stages.*.overall_threshold": _OPT_NUM, "parameters.stages.*.tie_breaks": list,
    "parameters.stages.*.ranking_method": _OPT_STR, "parameters.stages.*.objective": _OPT_STR,
    "parameters.call": dict, "parameters.call.name": _OPT_STR, "parameters.call.name_en": _OPT_STR,
    "parameters.call.operator": _OPT_STR, "parameters.call.currency": _OPT_STR,
    "selected": dict, "selected.*": list, "selected.*.*": str, "pending_stages": list,
    "objective": dict, "objective.*": _OPT_NUM,
    "rules": dict, "rules.*": list, "rules.*.*": dict, "rules.*.*.rule": str,
    "rules.*.*.description": str, "rules.*.*.description_da": _OPT_STR, "rules.*.*.sense": _OPT_STR,
    "rules.*.*.limit": _OPT_NUM, "rules.*.*.used": _OPT_NUM, "rules.*.*.binding": bool,
    "rules.*.*.members": list, "rules.*.*.members.*": str,
}


def _type_name(t: type | tuple[type, ...]) -> str:
    names = {"str": "text", "int": "a whole number", "float": "a number", "dict": "a table {...}",
             "list": "a list [...]", "bool": "true or false", "NoneType": "null"}
    ts = t if isinstance(t, tuple) else (t,)
    return " or ".join(dict.fromkeys(names.get(x.__name__, x.__name__) for x in ts))


def manifest_problems(data: dict, file: str) -> list[Problem]:
    """Every value of a manifest the report reads that has the wrong type, named by its key path
    (e.g. ``parameters.stages.1.max_selected``); ``created_utc`` must be a UTC time stamp."""
    from datetime import datetime

    out: list[Problem] = []

    def walk(value, path: list[str], pattern: list[str]) -> None:
        key = ".".join(pattern)
        want = _MANIFEST_TYPES.get(key)
        if want is not None:
            ok = isinstance(value, want) and not (isinstance(value, bool) and bool not in (
                want if isinstance(want, tuple) else (want,)))
            if not ok:
                out.append(Problem(f"the value of {'.'.join(path)} is damaged: expected "
                                   f"{_type_name(want)}, found {json.dumps(value, ensure_ascii=False)[:60]}",
                                   file=file, key=".".join(path),
                                   hint="the run folder was edited or damaged; run the command again"))
                return
        if isinstance(value, dict):
            for k, v in value.items():
                for pat in (str(k), "*"):
                    if ".".join([*pattern, pat]) in _MANIFEST_TYPES or any(
                            t.startswith(".".join([*pattern, pat]) + ".") for t in _MANIFEST_TYPES):
                        walk(v, [*path, str(k)], [*pattern, pat])
                        break
        elif isinstance(value, list):
            for i, v in enumerate(value):
                walk(v, [*path, str(i)], [*pattern, "*"])

    walk(data, [], [])
    stamp = data.get("created_utc")
    if isinstance(stamp, str):
        try:
            datetime.strptime(stamp, "%Y-%m-%dT%H:%M:%SZ")
        except ValueError:
            out.append(Problem(f"the value of created_utc is damaged: expected a UTC time like "
                               f"2026-01-31T12:00:00Z, found {stamp[:40]!r}", file=file, key="created_utc",
                               hint="the run folder was edited or damaged; run the command again"))
    return out


def engine_layout(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The engine's own layouts of two sensitivity tables, reshaped (not recomputed) into the long
    layouts the figures draw (``weight-stability.csv``, ``weight-sweep.csv``:
    :data:`selection.plot.layout.ENGINE_LAYOUTS`); any other table is returned as written (the
    scenario matrix and the selection probabilities are long, a row per stage, and the figures
    reshape them themselves). The one source of these layouts is
    :func:`selection.plot.layout.as_drawn`, which the figures apply themselves too.
    """
    from selection.plot.layout import ENGINE_LAYOUTS, as_drawn

    return as_drawn(name, frame) if name in ENGINE_LAYOUTS else frame


def load_bundle(path: Path | str, *, kind: str | None = None) -> RunBundle:
    """Read a run folder (manifest and every top-level ``*.csv``).

    Raises
    ------
    InputError
        The folder or its manifest is missing or damaged, it is not of ``kind``, or a table
        cannot be parsed; every problem at once.
    """
    path = Path(path)
    problems: list[Problem] = []
    if not path.is_dir():
        raise InputError(Problem("no such folder", file=str(path), hint="give an existing run folder"))
    manifest = _read_manifest(path, problems)
    if manifest is not None and kind is not None and manifest.get("kind") != kind:
        problems.append(Problem(f"this is a {manifest.get('kind')!r} folder, not a {kind!r} folder",
                                file=str(path / "manifest.json"), key="kind",
                                hint=f"give a folder written by `selection {kind}`"))
    tables: dict[str, pd.DataFrame] = {}
    unusable: dict[str, str] = {}
    facts: dict[str, tuple[str, dict]] = {}
    for csv in sorted(path.glob("*.csv")):
        try:
            frame = pd.read_csv(csv, encoding="utf-8", keep_default_na=True)
        except (UnicodeDecodeError, pd.errors.ParserError, pd.errors.EmptyDataError, ValueError) as exc:
            problems.append(Problem(f"cannot read the table ({type(exc).__name__}: {exc})", file=str(csv),
                                    hint="the run folder is damaged; run the command again"))
            continue
        table = schema.table_for(csv.name)
        old = None if manifest is None or table is None else schema.outdated(table, schema.folder_version(manifest))
        if old is not None and table is not None and manifest is not None:  # an older version's layout: say so
            tables[csv.name] = frame
            command = schema.KINDS.get(str(manifest.get('kind')), 'the command')
            unusable[csv.name] = (old.removeprefix(f"{table.name} ") + f"; run `{command}` again")
            facts[csv.name] = ("old_layout", {"version": max(schema.folder_version(manifest), 1),
                                              "current": schema.SCHEMA_VERSION,
                                              "command": schema.KINDS.get(str(manifest.get("kind")), "kommandoen")})
            continue
        frame = engine_layout(csv.name, frame)
        tables[csv.name] = frame
        need = _required(csv.name)
        missing = [c for c in (need or []) if c not in frame.columns]
        if missing:
            unusable[csv.name] = f"lacks the column(s) {', '.join(missing)}"
            facts[csv.name] = ("lacks_columns", {"columns": ", ".join(missing)})
    if manifest is not None and manifest.get("kind") == "run":
        for name in ("ranking.csv",):
            if name not in tables:
                problems.append(Problem(f"no {name}", file=str(path), hint="run `selection run` again"))
            elif name in unusable:
                problems.append(Problem(f"{name} {unusable[name]}", file=str(path / name),
                                        hint="the folder is from another version; run `selection run` again"))
        stage_files = [n for n in tables if _STAGE_FILE.match(n)]
        if not stage_files:
            problems.append(Problem("no selection-stage<N>.csv", file=str(path), hint="run `selection run` again"))
        for n in stage_files:
            if n in unusable:
                problems.append(Problem(f"{n} {unusable[n]}", file=str(path / n),
                                        hint="the folder is from another version; run `selection run` again"))
    if problems or manifest is None:
        raise InputError(problems)
    return RunBundle(path, manifest, tables, unusable, facts)


def _siblings(run_dir: Path, kind: str, call_id: str) -> list[tuple[str, str, Path, dict]]:
    """Folders beside ``run_dir`` whose manifest has this ``kind`` and ``call_id``, newest first
    (by the manifest's ``created_utc``, then by folder name); unreadable manifests are ignored."""
    found = []
    for d in run_dir.parent.iterdir() if run_dir.parent.is_dir() else []:
        if not d.is_dir() or d.name.startswith(".") or d.resolve() == run_dir.resolve():
            continue
        try:
            m = json.loads((d / "manifest.json").read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError):
            continue
        if isinstance(m, dict) and m.get("kind") == kind and m.get("call_id") == call_id:
            found.append((str(m.get("created_utc", "")), d.name, d, m))
    return sorted(found, key=lambda f: (f[0], f[1]), reverse=True)


def find_sibling(run_dir: Path | str, kind: str, call_id: str) -> Path | None:
    """The newest folder beside ``run_dir`` whose manifest has this ``kind`` and ``call_id``.

    Newest by the manifest's ``created_utc``, then by folder name (which starts with the UTC
    timestamp); folders whose manifest cannot be read are ignored. Whether its inputs match the
    run's is checked by :func:`input_mismatch`.
    """
    found = _siblings(Path(run_dir), kind, call_id)
    return found[0][2] if found else None


@dataclass(frozen=True)
class Mismatch:
    """Why a scenarios or sensitivity folder was not made from the same inputs as the run.

    ``changed`` are input files (paths relative to the call folder, as in the manifests'
    ``inputs``) whose SHA-256 differs, ``only_run`` / ``only_other`` files only one of the two
    read; ``scenario`` is ``(the folder's, the run's)`` when the scenarios differ; ``unverifiable``
    says a manifest records no input hashes (a folder from an older version), so nothing can be
    compared. Rendered in words by :func:`selection.report.words.mismatch_text`.
    """

    kind: str
    folder: str
    changed: tuple[str, ...] = ()
    only_run: tuple[str, ...] = ()
    only_other: tuple[str, ...] = ()
    scenario: tuple[str, str] | None = None
    unverifiable: bool = False


_SCENARIO_FILE = "scenarios/"


def input_mismatch(run: dict, other: dict, kind: str, other_path: Path | str) -> Mismatch | None:
    """``None`` when the folder ``other_path`` (manifest ``other``, of ``kind`` "scenarios" or
    "sensitivity") was made from exactly the inputs and scenario of the run (manifest ``run``),
    else what differs.

    A sensitivity folder matches when its ``scenario`` and its ``inputs`` (file -> SHA-256) equal
    the run's. A scenarios folder holds one run folder per scenario: it matches when it has the
    run's scenario and that sub-run's ``inputs`` equal the run's; without such a sub-run (a folder
    written by hand or an older version) its top-level ``inputs`` are compared, leaving out the
    other scenarios' files (``scenarios/*.toml``).
    """
    other_path = Path(other_path)
    scenario = str(run.get("scenario") or "baseline")
    ours = run.get("inputs")
    theirs = other.get("inputs")
    if kind == "sensitivity":
        other_scenario = str(other.get("scenario") or "baseline")
    else:
        sub = other_path / scenario / "manifest.json"
        listed = other.get("scenarios")
        other_scenario = scenario
        sub_inputs = None
        if sub.is_file():
            try:
                sub_inputs = json.loads(sub.read_text(encoding="utf-8")).get("inputs")
            except (OSError, UnicodeDecodeError, json.JSONDecodeError, AttributeError):
                sub_inputs = None
        if isinstance(sub_inputs, dict):
            theirs = sub_inputs
        elif isinstance(listed, dict) and listed.get(scenario) != "ok":
            other_scenario = ", ".join(k for k, v in listed.items() if v == "ok") or "—"
        elif isinstance(theirs, dict) and isinstance(ours, dict):
            own = {k for k in ours if k.startswith(_SCENARIO_FILE)}
            theirs = {k: v for k, v in theirs.items() if not k.startswith(_SCENARIO_FILE) or k in own}
    scen = None if other_scenario == scenario else (other_scenario, scenario)
    if not isinstance(ours, dict) or not isinstance(theirs, dict) or not ours or not theirs:
        return Mismatch(kind, other_path.name, scenario=scen, unverifiable=True)
    changed = tuple(sorted(k for k in ours.keys() & theirs.keys() if ours[k] != theirs[k]))
    only_run = tuple(sorted(ours.keys() - theirs.keys()))
    only_other = tuple(sorted(theirs.keys() - ours.keys()))
    if scen is None and not (changed or only_run or only_other):
        return None
    return Mismatch(kind, other_path.name, changed, only_run, only_other, scen)


@dataclass(frozen=True)
class ReportInputs:
    """The run a report is about, and the scenarios and sensitivity runs it shows (if any).

    ``left_out`` lists sibling folders of the same call that were not used because they were
    made from other inputs or another scenario (the report and the console say so).
    """

    run: RunBundle
    scenarios: RunBundle | None
    sensitivity: RunBundle | None
    notes: tuple[str, ...] = ()
    left_out: tuple[Mismatch, ...] = ()
    picked: tuple[str, ...] = ()  # kinds ("scenarios", "sensitivity") chosen as the newest matching sibling


def load_report_inputs(run_dir: Path | str, *, scenarios: Path | str | None = None,
                       sensitivity: Path | str | None = None) -> ReportInputs:
    """Read the run folder and the scenarios/sensitivity folders that go with it.

    Without ``scenarios`` / ``sensitivity``, the newest sibling of that kind and ``call_id`` whose
    inputs and scenario match the run's (:func:`input_mismatch`) is used; newer siblings that do
    not match are left out and listed in ``left_out``. A folder given explicitly must match.

    Raises
    ------
    InputError
        A folder is missing or damaged, of another call, or given explicitly but made from other
        inputs or another scenario than the run (naming the files that differ); every problem at once.
    """
    run = load_bundle(run_dir, kind="run")
    notes = []
    left_out: list[Mismatch] = []
    others: dict[str, RunBundle | None] = {}
    problems: list[Problem] = []
    for kind, given in (("scenarios", scenarios), ("sensitivity", sensitivity)):
        path: Path | None = None
        if given is not None:
            path = Path(given)
        else:
            for _, _, d, m in _siblings(run.path, kind, run.call_id):
                miss = input_mismatch(run.manifest, m, kind, d)
                if miss is None:
                    path = d
                    break
                if not any(lo.kind == kind for lo in left_out):
                    left_out.append(miss)  # the newest one that does not match is named
        if path is None:
            others[kind] = None
            continue
        try:
            b = load_bundle(path, kind=kind)
        except InputError as exc:
            problems.extend(exc.problems)
            continue
        if b.call_id != run.call_id:
            problems.append(Problem(f"the {kind} folder is for call {b.call_id!r}, the run for {run.call_id!r}",
                                    file=str(path), hint=f"give the {kind} folder of the same call"))
            continue
        if given is not None:
            miss = input_mismatch(run.manifest, b.manifest, kind, b.path)
            if miss is not None:
                from selection.report.words import mismatch_text

                scen = run.manifest.get("scenario") or "baseline"
                again = ("selection sensitivity CALL_DIR" + ("" if scen == "baseline" else f" --scenario {scen}")
                         if kind == "sensitivity" else "selection scenarios CALL_DIR")
                problems.append(Problem(mismatch_text(miss, "en"), file=str(path / "manifest.json"), key="inputs",
                                        hint=f"run `{again}` on the call folder as it was for this run, or leave "
                                             f"out --{kind} to let the report pick a matching folder"))
                continue
        others[kind] = b
        if given is None:
            notes.append(f"{kind}: using {path.name} (the newest {kind} folder of this call beside the run)")
    if problems:
        raise InputError(problems)
    return ReportInputs(run, others.get("scenarios"), others.get("sensitivity"), tuple(notes), tuple(left_out),
                        tuple(k for k, g in (("scenarios", scenarios), ("sensitivity", sensitivity))
                              if g is None and others.get(k) is not None))
