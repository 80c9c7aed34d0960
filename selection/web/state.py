"""The workbench's view of one call folder: the same engine functions as the CLI, cached.

The call folder's files are the only state: the baseline is read with
:func:`selection.pipeline.load_call_folder` and re-read whenever an input file changes (size or
modification time), so the page and the command line always agree. A what-if is an in-memory
:class:`~selection.model.Scenario` applied exactly as ``selection run --scenario`` applies a
scenario file (:func:`selection.overrides.apply_scenario`), and solved by
:func:`selection.pipeline.run_call`.
"""

from __future__ import annotations

import os
import re
import tempfile
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from selection.errors import InfeasibleError, InputError, Problem, ScenarioError
from selection.model import Constraint, ForcedDecision, Scenario, StageOverride

__all__ = ["SCENARIO_NAME", "number_field", "Workbench", "WhatIf", "WhatIfResult", "parse_whatif", "scenario_toml"]

#: A scenario name: the stem of a file in ``scenarios/`` (letters, digits, ``-`` and ``_``).
SCENARIO_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$")


@dataclass(frozen=True)
class WhatIf:
    """A what-if: the overrides the page or ``POST /api/whatif`` asks for (every part optional)."""

    weights: Mapping[str, float] = field(default_factory=dict)
    stages: Mapping[int, Mapping[str, Any]] = field(default_factory=dict)
    forced_in: tuple[str, ...] = ()
    forced_out: tuple[str, ...] = ()
    reason: str = "what-if"
    #: stage -> constraint index -> {"on": bool, "count": int}
    rules: Mapping[int, Mapping[int, Mapping[str, Any]]] = field(default_factory=dict)

    @property
    def is_empty(self) -> bool:
        return not (self.weights or self.stages or self.forced_in or self.forced_out or self.rules)


@dataclass(frozen=True)
class StageChange:
    number: int
    name: str
    selected: tuple[str, ...]
    baseline: tuple[str, ...]
    total_value: float
    baseline_value: float
    money_used: int | None
    baseline_money: int | None
    budget: int | None

    @property
    def entered(self) -> list[str]:
        return [a for a in self.selected if a not in self.baseline]

    @property
    def left(self) -> list[str]:
        return [a for a in self.baseline if a not in self.selected]


@dataclass(frozen=True)
class WhatIfResult:
    scenario: Scenario
    stages: tuple[StageChange, ...] = ()
    result: Any = None  # selection.pipeline.RunResult
    problems: tuple[Problem, ...] = ()
    infeasible: bool = False

    def as_json(self) -> dict[str, Any]:
        """The ``POST /api/whatif`` answer."""
        entered = sorted({a for s in self.stages for a in s.entered})
        left = sorted({a for s in self.stages for a in s.left})
        return {
            "ok": not self.problems,
            "infeasible": self.infeasible,
            "problems": [str(p) for p in self.problems],
            "stages": [{"number": s.number, "selected": list(s.selected), "total_value": s.total_value,
                        "baseline_selected": list(s.baseline), "baseline_value": s.baseline_value,
                        "entered": s.entered, "left": s.left, "money_used": s.money_used,
                        "budget": s.budget} for s in self.stages],
            "entered": entered,
            "left": left,
        }


def number_field(value: Any, what: str, problems: list[Problem], *, integer: bool = False,
                 minimum: float | None = 0, key: str | None = None) -> float | int | None:
    """A number the page or the JSON endpoint was given (``3,5`` as well as ``3.5``): finite, at
    least ``minimum``, whole if ``integer``; else ``None`` with the problem added (at ``key``)."""
    def refuse(why: str) -> None:
        problems.append(Problem(f"{what} must be {why}, not {value!r}", key=key))

    if isinstance(value, bool) or value is None or value == "":
        refuse("a number")
        return None
    try:
        x = float(str(value).replace(",", ".")) if isinstance(value, str) else float(value)
    except (TypeError, ValueError):
        refuse("a number")
        return None
    if x != x or x in (float("inf"), float("-inf")):
        refuse("a finite number")
        return None
    if minimum is not None and x < minimum:
        refuse(f"at least {minimum:g}")
        return None
    if integer:
        if x != int(x):
            refuse("a whole number")
            return None
        return int(x)
    return x


def parse_whatif(data: Any) -> WhatIf:
    """Validate the JSON body of ``POST /api/whatif``; raise :class:`ScenarioError` listing every problem."""
    problems: list[Problem] = []
    if not isinstance(data, dict):
        raise ScenarioError(Problem("the what-if must be a JSON object",
                                    hint='e.g. {"weights": {"vaerditilvaekst": 0.3}}'))
    known = {"weights", "stages", "forced_in", "forced_out", "reason", "rules"}
    for k in sorted(set(data) - known):
        problems.append(Problem(f"unknown key {k!r}", key=k, hint=f"use {', '.join(sorted(known))}"))
    weights: dict[str, float] = {}
    raw_w = data.get("weights", {}) or {}
    if not isinstance(raw_w, dict):
        problems.append(Problem("weights must be an object {criterion_id: weight}", key="weights"))
    else:
        for cid, w in raw_w.items():
            x = number_field(w, f"weight of {cid!r}", problems)
            if x is not None:
                weights[str(cid)] = float(x)
    stages: dict[int, dict[str, Any]] = {}
    raw_s = data.get("stages", {}) or {}
    if not isinstance(raw_s, dict):
        problems.append(Problem("stages must be an object {stage number: {...}}", key="stages"))
    else:
        for n, ov in raw_s.items():
            try:
                num = int(n)
            except (TypeError, ValueError):
                problems.append(Problem(f"stage {n!r} is not a stage number", key=f"stages.{n}"))
                continue
            if not isinstance(ov, dict):
                problems.append(Problem("a stage's overrides must be an object", key=f"stages.{n}"))
                continue
            entry: dict[str, Any] = {}
            for k, v in ov.items():
                if k == "max_selected":
                    x = number_field(v, f"stage {num} max_selected", problems, integer=True, minimum=1)
                elif k in ("budget", "total_budget_cap_per_year"):
                    x = number_field(v, f"stage {num} {k}", problems, integer=True)
                else:
                    problems.append(Problem(f"unknown stage key {k!r}", key=f"stages.{n}.{k}",
                                            hint="use max_selected, budget or total_budget_cap_per_year"))
                    continue
                if x is not None:
                    entry[k] = x
            stages[num] = entry
    lists = {}
    for k in ("forced_in", "forced_out"):
        v = data.get(k, []) or []
        if not isinstance(v, list) or not all(isinstance(a, str) for a in v):
            problems.append(Problem(f"{k} must be a list of application ids", key=k))
            v = []
        lists[k] = tuple(dict.fromkeys(v))
    both = sorted(set(lists["forced_in"]) & set(lists["forced_out"]))
    if both:
        problems.append(Problem(f"forced both in and out: {', '.join(both)}", key="forced_in",
                                hint="force each application one way"))
    rules: dict[int, dict[int, dict[str, Any]]] = {}
    raw_r = data.get("rules", {}) or {}
    if not isinstance(raw_r, dict):
        problems.append(Problem("rules must be an object {stage: {index: {on, count}}}", key="rules"))
    else:
        for n, per in raw_r.items():
            try:
                num = int(n)
            except (TypeError, ValueError):
                problems.append(Problem(f"stage {n!r} is not a stage number", key=f"rules.{n}"))
                continue
            if not isinstance(per, dict):
                problems.append(Problem("rules of a stage must be an object", key=f"rules.{n}"))
                continue
            for i, spec in per.items():
                try:
                    idx = int(i)
                except (TypeError, ValueError):
                    problems.append(Problem(f"rule index {i!r} is not a number", key=f"rules.{n}.{i}"))
                    continue
                if not isinstance(spec, dict):
                    problems.append(Problem("a rule override must be an object", key=f"rules.{n}.{i}"))
                    continue
                entry = {}
                if "on" in spec:
                    entry["on"] = bool(spec["on"])
                if "count" in spec:
                    c = number_field(spec["count"], f"count of rule {idx} in stage {num}", problems, integer=True)
                    if c is not None:
                        entry["count"] = c
                rules.setdefault(num, {})[idx] = entry
    reason = str(data.get("reason") or "what-if")[:500]
    if problems:
        raise ScenarioError(problems)
    return WhatIf(weights, stages, lists["forced_in"], lists["forced_out"], reason, rules)


def money_used(folder: Any, stage: Any, ids: tuple[str, ...], outcome: Any = None) -> int | None:
    """What the applications ``ids`` cost against ``stage``'s budget (``None``: no budget); with
    partial funding (``outcome.granted``) the amounts granted, not requested."""
    if stage.budget is None:
        return None
    granted = getattr(outcome, "granted", None)
    if granted is not None:
        return int(sum(granted[a] + stage.fixed_cost for a in ids))
    return int(sum(stage.cost(folder.applications[a]) for a in ids))


def _input_signature(files: tuple[Path, ...]) -> tuple:
    sig: list[tuple[str, int | None, int | None]] = []
    for f in files:
        try:
            st = f.stat()
            sig.append((str(f), st.st_size, st.st_mtime_ns))
        except OSError:
            sig.append((str(f), None, None))
    return tuple(sig)


class Workbench:
    """One call folder served by the page; thread-safe, cached, always re-read when files change."""

    def __init__(self, call_dir: Path | str, *, runs_dir: Path | str | None = None) -> None:
        self.root = Path(call_dir).resolve()
        self.runs_dir = Path(runs_dir).resolve() if runs_dir else self.root / "runs"
        self._lock = threading.RLock()
        self._folder: Any = None
        self._baseline: Any = None
        self._signature: tuple | None = None
        self._error: InputError | None = None
        self._infeasible: InfeasibleError | None = None
        self._validated: tuple[tuple | None, Any] = (None, None)

    # -- the baseline ------------------------------------------------------------------------
    def _scan_files(self) -> tuple[Path, ...]:
        """The files whose change means the call must be read again: the call folder's own files,
        its scenarios and everything under its score folder (a new returned sheet included)."""
        files = sorted(p for p in self.root.iterdir() if p.is_file()) if self.root.is_dir() else []
        for sub in ("scenarios", "scores"):
            d = self.root / sub
            if d.is_dir():
                files += sorted(p for p in d.rglob("*") if p.is_file())
        return tuple(files)

    def refresh(self) -> None:
        """Re-read the call folder if any of its files changed since the last read."""
        with self._lock:
            files = self._scan_files()
            if self._folder is not None:
                files = tuple(dict.fromkeys((*files, *self._folder.input_files)))
            sig = _input_signature(files)
            if sig == self._signature:
                return
            self._signature = sig
            self._folder = self._baseline = None
            self._error = None
            self._infeasible = None
            from selection.pipeline import load_call_folder, run_call

            try:
                self._folder = load_call_folder(self.root)
            except InputError as exc:
                self._error = exc
                return
            try:
                self._baseline = run_call(self._folder)
            except InfeasibleError as exc:
                self._infeasible = exc

    @property
    def folder(self) -> Any:
        self.refresh()
        return self._folder

    @property
    def baseline(self) -> Any:
        self.refresh()
        return self._baseline

    @property
    def input_error(self) -> InputError | None:
        self.refresh()
        return self._error

    @property
    def infeasible(self) -> InfeasibleError | None:
        self.refresh()
        return self._infeasible

    # -- validate, as ``selection validate`` does ----------------------------------------------
    def validate(self) -> tuple[list[Problem], list[str], list[Problem]]:
        """``(input problems, notes, infeasible baseline/scenarios)`` as ``selection validate`` finds them."""
        folder = self.folder
        if folder is None:
            return list(self.input_error.problems if self.input_error else []), [], []
        with self._lock:
            if self._validated[0] == self._signature:
                return self._validated[1]
            answer = self._validate(folder)
            self._validated = (self._signature, answer)
            return answer

    def _validate(self, folder: Any) -> tuple[list[Problem], list[str], list[Problem]]:
        from selection.pipeline import run_call, with_scenario

        problems: list[Problem] = []
        folders = {"baseline": folder}
        for name in self.scenario_names():
            try:
                folders[name] = with_scenario(folder, name)
            except InputError as exc:
                problems += exc.problems
        infeasible: list[Problem] = []
        if not problems:
            for name, f in folders.items():
                try:
                    if name == "baseline" and self._baseline is not None:
                        continue
                    run_call(f)
                except InfeasibleError as exc:
                    infeasible += [Problem(f"{name}: {p.message}", file=p.file, key=p.key, hint=p.hint)
                                   for p in exc.problems]
        return problems, list(folder.pending), infeasible

    def warm(self) -> None:
        """Read the call, solve the baseline and validate every scenario (done once at start-up,
        so that the first page is quick)."""
        self.refresh()
        self.validate()

    def scenario_names(self) -> list[str]:
        d = self.root / "scenarios"
        return sorted(p.stem for p in d.glob("*.toml")) if d.is_dir() else []

    # -- what-if -------------------------------------------------------------------------------
    def snapshot(self) -> tuple[Any, Any]:
        """``(folder, baseline)`` as one consistent pair, the call folder checked for changes once."""
        with self._lock:
            self.refresh()
            return self._folder, self._baseline

    def scenario_from(self, whatif: WhatIf, name: str = "what-if", description: str = "",
                      folder: Any = None, description_da: str = "") -> Scenario:
        """The :class:`Scenario` a what-if stands for on ``folder`` (default: the call folder as it
        is now), described in English and (``description_da``) Danish; unknown criteria, stages,
        rules or applications raise :class:`ScenarioError`."""
        folder = folder if folder is not None else self.folder
        if folder is None:
            raise self.input_error or InputError(Problem("the call folder cannot be read"))
        problems: list[Problem] = []
        call = folder.call
        known_stages = {s.number for s in call.stages}
        all_criteria = {c for cat in folder.catalogues.values() for c in cat.criterion_ids}
        for cid in whatif.weights:
            if cid not in all_criteria:
                problems.append(Problem(f"unknown criterion {cid!r}", key=f"weights.{cid}",
                                        hint=f"use one of {', '.join(sorted(all_criteria))}"))
        for n in [*whatif.stages, *whatif.rules]:
            if n not in known_stages:
                problems.append(Problem(f"the call has no stage {n}", key=f"stages.{n}",
                                        hint=f"use {', '.join(map(str, sorted(known_stages)))}"))
        for a in (*whatif.forced_in, *whatif.forced_out):
            if a not in folder.applications:
                problems.append(Problem(f"unknown application {a!r}", key="forced_in" if a in whatif.forced_in
                                        else "forced_out", hint="use an application id from applications.csv"))
        if problems:
            raise ScenarioError(problems)
        stages: dict[int, StageOverride] = {}
        first = call.stages[0].number
        for st in call.stages:
            cat = folder.catalogues[st.number]
            ov: dict[str, Any] = {}
            w = {c: whatif.weights[c] for c in cat.criterion_ids if c in whatif.weights}
            if w:
                current = cat.effective_weights_raw()
                ov["weights"] = {c: w.get(c, current[c]) for c in cat.criterion_ids}
            for k, v in whatif.stages.get(st.number, {}).items():
                ov[k] = v
            rules = whatif.rules.get(st.number, {})
            if rules:
                kept = []
                for i, c in enumerate(st.constraints):
                    spec = rules.get(i, {})
                    if spec.get("on", True) is False:
                        continue
                    kept.append(c if "count" not in spec else Constraint.model_validate(
                        {**c.model_dump(), "count": spec["count"]}))
                for i in rules:
                    if not 0 <= i < len(st.constraints):
                        problems.append(Problem(f"stage {st.number} has no rule {i}", key=f"rules.{st.number}.{i}"))
                ov["constraints"] = kept
            if st.number == first and (whatif.forced_in or whatif.forced_out):
                ov["forced"] = [ForcedDecision(application=a, include=True, reason=whatif.reason)
                                for a in whatif.forced_in] + [
                    ForcedDecision(application=a, include=False, reason=whatif.reason) for a in whatif.forced_out]
            if ov:
                try:
                    stages[st.number] = StageOverride.model_validate(ov)
                except Exception as exc:  # pydantic ValidationError: a user value out of range
                    problems.append(Problem(f"stage {st.number}: {exc}", key=f"stages.{st.number}"))
        if problems:
            raise ScenarioError(problems)
        return Scenario(schema_version=1, name=name, description=description, description_da=description_da,
                        stages=stages)

    def whatif(self, whatif: WhatIf) -> WhatIfResult:
        """Solve both stages exactly with the what-if applied; compare with the baseline."""
        from selection.overrides import apply_scenario
        from selection.pipeline import run_call

        folder, base = self.snapshot()
        scen = self.scenario_from(whatif, folder=folder)
        try:
            call, cats = apply_scenario(folder.call, folder.catalogues, scen, "what-if")
        except ScenarioError as exc:
            return WhatIfResult(scen, problems=tuple(exc.problems))
        f = replace(folder, call=call, catalogues=cats, scenario=scen)
        try:
            result = run_call(f)
        except InfeasibleError as exc:
            return WhatIfResult(scen, problems=tuple(exc.problems), infeasible=True)
        except InputError as exc:
            return WhatIfResult(scen, problems=tuple(exc.problems))
        changes = []
        for st in call.stages:
            sr = result.stages[st.number]
            b = base.stages.get(st.number) if base is not None else None
            sel = tuple(sr.outcome.selected)
            bsel = tuple(b.outcome.selected) if b is not None else ()
            changes.append(StageChange(
                st.number, st.name, sel, bsel, round(float(sr.outcome.objective), 6),
                round(float(b.outcome.objective), 6) if b is not None else float("nan"),
                money_used(folder, st, sel, sr.outcome),
                money_used(folder, folder.call.stage(st.number), bsel, b.outcome) if b is not None else None,
                st.budget))
        return WhatIfResult(scen, tuple(changes), result)

    def baseline_outcome(self) -> WhatIfResult | None:
        """The baseline as a what-if result with no change (shown before the first change)."""
        folder, base = self.snapshot()
        if base is None:
            return None
        changes = []
        for st in folder.call.stages:
            sel = tuple(base.stages[st.number].outcome.selected)
            value = round(float(base.stages[st.number].outcome.objective), 6)
            used = money_used(folder, st, sel, base.stages[st.number].outcome)
            changes.append(StageChange(st.number, st.name, sel, sel, value, value, used, used, st.budget))
        return WhatIfResult(Scenario(schema_version=1, name="baseline"), tuple(changes), base)

    def save_scenario(self, name: str, description: str, whatif: WhatIf, description_da: str = "") -> Path:
        """Write ``scenarios/<name>.toml`` (a new file only; never overwrites), validated by
        reading it back exactly as ``selection run --scenario`` will; the Danish description
        (``description_da``) is kept beside the English one."""
        from selection.overrides import apply_scenario, load_scenario

        if not SCENARIO_NAME.fullmatch(name or ""):
            raise ScenarioError(Problem(f"{name!r} is not a scenario name", key="name",
                                        hint="use letters, digits, '-' and '_' (at most 64), e.g. budget-cut"))
        current, _ = self.snapshot()
        scen = self.scenario_from(whatif, name, description, folder=current, description_da=description_da)
        text = scenario_toml(scen)
        folder = self.root / "scenarios"
        folder.mkdir(exist_ok=True)
        target = folder / f"{name}.toml"
        if target.exists():
            raise ScenarioError(Problem(f"a scenario named {name!r} exists already", file=f"scenarios/{name}.toml",
                                        hint="choose another name; scenarios are never overwritten"))
        fd, tmp = tempfile.mkstemp(prefix=f".{name}.", suffix=".tmp", dir=folder)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                fh.write(text)
            check = load_scenario(tmp)
            apply_scenario(current.call, current.catalogues, check, f"scenarios/{name}.toml")
            try:
                os.link(tmp, target)  # atomic, and fails if the name was taken meanwhile
            except FileExistsError:
                raise ScenarioError(Problem(f"a scenario named {name!r} exists already",
                                            file=f"scenarios/{name}.toml",
                                            hint="choose another name; scenarios are never overwritten")) from None
        finally:
            Path(tmp).unlink(missing_ok=True)
        return target

    # -- run folders ---------------------------------------------------------------------------
    def run_folders(self) -> list[Path]:
        if not self.runs_dir.is_dir():
            return []
        return sorted((p for p in self.runs_dir.iterdir() if p.is_dir() and not p.name.startswith(".")
                       and (p / "manifest.json").is_file()), reverse=True)

    def run_folder(self, name: str) -> Path | None:
        """A run folder by its name, only among those listed (no path from a request is trusted)."""
        for p in self.run_folders():
            if p.name == name:
                return p
        return None


def _toml_str(s: str) -> str:
    out = s.replace("\\", "\\\\").replace('"', '\\"')
    out = "".join(c if (c >= " " and c != "\x7f") or c == "\t" else f"\\u{ord(c):04x}" for c in out)  # TOML: no DEL
    return f'"{out}"'


def _toml_value(v: Any) -> str:
    if isinstance(v, bool):
        return "true" if v else "false"
    if isinstance(v, int):
        return str(v)
    if isinstance(v, float):
        return repr(v)
    if isinstance(v, str):
        return _toml_str(v)
    if isinstance(v, dict):
        return "{ " + ", ".join(f"{_toml_key(k)} = {_toml_value(x)}" for k, x in v.items() if x is not None) + " }"
    if isinstance(v, (list, tuple)):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    raise TypeError(f"cannot write {type(v).__name__} to TOML")


def _toml_key(k: Any) -> str:
    k = str(k)
    return k if re.fullmatch(r"[A-Za-z0-9_-]+", k) else _toml_str(k)


def scenario_toml(scen: Scenario) -> str:
    """A scenario file's text (only the fields the scenario sets)."""
    lines = ["# Written by the selection workbench (selection serve).", "schema_version = 1",
             f"name = {_toml_str(scen.name)}"]
    if scen.description_da and scen.description:  # the file's bilingual form (model.Scenario)
        lines.append(f"description = {{ en = {_toml_str(scen.description)}, da = {_toml_str(scen.description_da)} }}")
    else:  # { en, da } needs an English text: a Danish-only description keeps its own key
        lines.append(f"description = {_toml_str(scen.description)}")
        if scen.description_da:
            lines.append(f"description_da = {_toml_str(scen.description_da)}")
    for n, ov in sorted(scen.stages.items()):
        data = ov.model_dump(exclude_defaults=True)
        lines += ["", f"[stages.{n}]"]
        tables = {}
        for k, v in data.items():
            if isinstance(v, dict):
                tables[k] = v
            elif isinstance(v, list):
                lines.append(f"{k} = [")
                lines += [f"  {_toml_value(x)}," for x in v]
                lines.append("]")
            else:
                lines.append(f"{k} = {_toml_value(v)}")
        for k, v in tables.items():
            lines += ["", f"[stages.{n}.{k}]"]
            lines += [f"{_toml_key(c)} = {_toml_value(x)}" for c, x in v.items()]
    return "\n".join(lines) + "\n"
