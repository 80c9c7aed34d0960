"""Scenarios: what-if overrides of a call's weights, thresholds, budgets and rules."""

from __future__ import annotations

from pydantic import ValidationError

from selection.errors import Problem, ScenarioError
from selection.model import Call, CriteriaCatalogue, Scenario

__all__ = ["apply_scenario", "load_scenario", "scenario_names", "run_scenarios", "compare_scenarios", "BASELINE"]


def apply_scenario(call: Call, catalogues: dict[int, CriteriaCatalogue], scenario: Scenario,
                   file: str | None = None) -> tuple[Call, dict[int, CriteriaCatalogue]]:
    """Return a new call and catalogues with the scenario's overrides applied (inputs untouched)."""
    problems: list[Problem] = []
    stages = []
    new_cats = dict(catalogues)
    unknown = sorted(set(scenario.stages) - {s.number for s in call.stages})
    for n in unknown:
        problems.append(Problem(f"the call has no stage {n}", file=file, key=f"stages.{n}"))
    for st in call.stages:
        ov = scenario.stages.get(st.number)
        if ov is None:
            stages.append(st.model_dump())
            continue
        data = st.model_dump()
        for f in ("max_selected", "budget", "total_budget_cap_per_year", "max_regional_share",
                  "aggregation", "trim", "calibration", "ranking_method", "ranking_params", "objective"):
            if getattr(ov, f) is not None:
                data[f] = getattr(ov, f)
        if ov.constraints is not None:
            data["constraints"] = [c.model_dump() for c in ov.constraints]
        data["constraints"] = data["constraints"] + [c.model_dump() for c in ov.add_constraints]
        data["forced"] = data["forced"] + [f.model_dump() for f in ov.forced]
        stages.append(data)
        cat = catalogues[st.number]
        cdata = cat.model_dump()
        ids = cat.criterion_ids
        for key, mapping in (("weights", ov.weights), ("thresholds", ov.thresholds)):
            for cid in (mapping or {}):
                if cid not in ids:
                    problems.append(Problem(f"unknown criterion {cid!r}", file=file, key=f"stages.{st.number}.{key}.{cid}",
                                            hint=f"use one of {', '.join(ids)}"))
        for c in cdata["criteria"]:
            if ov.weights and c["id"] in ov.weights:
                c["weight"] = ov.weights[c["id"]]
            if ov.thresholds and c["id"] in ov.thresholds:
                c["threshold"] = ov.thresholds[c["id"]]
        if ov.weights:
            cdata["group_weights"] = None  # explicit weights replace the hierarchy
        if ov.group_weights is not None:
            cdata["group_weights"] = ov.group_weights
        if ov.overall_threshold_basis is not None:
            cdata["overall_threshold_basis"] = ov.overall_threshold_basis
        if ov.overall_threshold is not None:
            cdata["overall_threshold"] = ov.overall_threshold
        if ov.tie_breaks is not None:
            cdata["tie_breaks"] = ov.tie_breaks
        try:
            new_cats[st.number] = CriteriaCatalogue.model_validate(cdata)
        except ValidationError as exc:
            problems += [Problem(e["msg"].removeprefix("Value error, "), file=file, key=f"stages.{st.number}")
                         for e in exc.errors()]
    try:
        data = {**call.model_dump(), "stages": stages}
        if scenario.seed is not None:
            data["seed"] = scenario.seed
        if scenario.selection_mode is not None:
            data["selection_mode"] = scenario.selection_mode
        new_call = Call.model_validate(data)
    except ValidationError as exc:
        problems += [Problem(e["msg"].removeprefix("Value error, "), file=file,
                             key=".".join(map(str, e["loc"]))) for e in exc.errors()]
        new_call = call
    if problems:
        raise ScenarioError(problems)
    return new_call, new_cats


def load_scenario(path) -> Scenario:
    """Read and validate ``scenarios/<name>.toml``."""
    from selection.io.toml import read_toml, validate_model

    return validate_model(Scenario, read_toml(path, ScenarioError), str(path), ScenarioError)


# -- running every scenario and comparing them ----------------------------------------------------

BASELINE = "baseline"


def scenario_names(call_dir) -> list[str]:
    """Names of the scenarios in ``CALL_DIR/scenarios/`` (file stems, sorted)."""
    from pathlib import Path

    folder = Path(call_dir) / "scenarios"
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def run_scenarios(call_dir, *, solver: str | None = None) -> dict[str, object]:
    """Run the baseline and every scenario; name -> RunResult, or the SelectionError it raised.

    Invalid input in the baseline or in any scenario file is raised at once (all problems in one
    report) before anything is computed; a scenario without a feasible selection is kept as its
    :class:`~selection.errors.InfeasibleError`, so the comparison can say so.
    """
    from selection.errors import InfeasibleError, InputError
    from selection.pipeline import load_call_folder, run_call, with_scenario

    names = scenario_names(call_dir)
    base = load_call_folder(call_dir)
    folders, problems = {BASELINE: base}, []
    for name in names:
        try:
            folders[name] = with_scenario(base, name)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))
    out: dict[str, object] = {}
    for name, folder in folders.items():
        try:
            out[name] = run_call(folder, solver=solver)
        except InfeasibleError as exc:
            out[name] = exc
    if not hasattr(out[BASELINE], "stages"):
        raise out[BASELINE]
    return out


def compare_scenarios(results: dict[str, object]) -> dict:
    """``scenario-matrix.csv``, ``scenario-changes.csv`` and ``scenario-summary.csv`` as frames.

    * matrix: one row per application; per scenario and stage ``<scenario>_stage<n>`` (1 selected,
      0 not, empty when the scenario has no feasible selection), ``times_selected_stage<n>`` and
      ``robust_core_stage<n>`` (selected in every feasible scenario);
    * changes: every application that enters or leaves a stage's selection against the baseline,
      with its rank and the reason given in both runs (from ``selection-stage<n>.csv``);
    * summary: per scenario and stage the number selected, total value, who enters and leaves.
    """
    import pandas as pd

    base = results[BASELINE]
    apps = base.folder.applications
    ids = sorted(apps)
    stages = [st.number for st in base.folder.call.stages]
    ok = {k: r for k, r in results.items() if hasattr(r, "stages")}
    matrix = pd.DataFrame({"application_id": ids, "title": [apps[a].title for a in ids]})
    for name, r in results.items():
        for n in stages:
            col = f"{name}_stage{n}"
            if name in ok:
                chosen = set(r.stages[n].outcome.selected)
                matrix[col] = [int(a in chosen) for a in ids]
            else:
                matrix[col] = pd.array([pd.NA] * len(ids), dtype="Int64")
    for n in stages:
        cols = [f"{name}_stage{n}" for name in ok]
        matrix[f"times_selected_stage{n}"] = matrix[cols].sum(axis=1).astype(int)
        matrix[f"robust_core_stage{n}"] = matrix[f"times_selected_stage{n}"] == len(cols)
    changes, summary = [], []

    def info(r, n, a):
        t = r.stages[n].selection.set_index("application_id")
        if a not in t.index:
            return pd.NA, "not a candidate in this stage"
        return int(t.at[a, "rank"]), str(t.at[a, "reason"])

    for name, r in results.items():
        desc = "" if name == BASELINE else (r.folder.scenario.description if name in ok else "")
        for n in stages:
            if name not in ok:
                summary.append((name, desc, n, "infeasible", 0, float("nan"), 0, 0, "", "", r.report()))
                continue
            before = set(base.stages[n].outcome.selected)
            after = set(r.stages[n].outcome.selected)
            enter, leave = sorted(after - before), sorted(before - after)
            for a in enter + leave:
                rb, why_b = info(base, n, a)
                rs, why_s = info(r, n, a)
                changes.append((name, n, a, apps[a].title, "enters" if a in after else "leaves",
                                rb, rs, why_b, why_s))
            summary.append((name, desc, n, "ok", len(after), r.stages[n].outcome.objective, len(enter), len(leave),
                            " ".join(enter), " ".join(leave), ""))
    changes_frame = pd.DataFrame(changes, columns=[
        "scenario", "stage", "application_id", "title", "change", "rank_baseline", "rank_scenario",
        "reason_baseline", "reason_scenario"])
    summary_frame = pd.DataFrame(summary, columns=[
        "scenario", "description", "stage", "status", "n_selected", "total_value", "n_entering", "n_leaving",
        "entering", "leaving", "infeasibility"])
    core = {n: " ".join(matrix.loc[matrix[f"robust_core_stage{n}"], "application_id"]) for n in stages}
    summary_frame["robust_core"] = summary_frame["stage"].map(core)
    return {"scenario-matrix.csv": matrix, "scenario-changes.csv": changes_frame,
            "scenario-summary.csv": summary_frame}
