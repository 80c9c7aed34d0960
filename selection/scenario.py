"""Scenarios: what-if overrides of a call's weights, thresholds, budgets and rules."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from selection.errors import InfeasibleError, ScenarioError
from selection.overrides import apply_scenario, load_scenario

if TYPE_CHECKING:  # pipeline imports nothing from here: no cycle at run time
    import pandas as pd

    from selection.pipeline import RunResult

#: What :func:`run_scenarios` returns per scenario: its run, or why it has no feasible selection.
ScenarioResults = dict[str, "RunResult | InfeasibleError"]

__all__ = ["apply_scenario", "load_scenario", "scenario_names", "run_scenarios", "compare_scenarios", "BASELINE",
           "ScenarioResults"]


# -- running every scenario and comparing them ----------------------------------------------------

BASELINE = "baseline"


def scenario_names(call_dir: Path | str) -> list[str]:
    """Names of the scenarios in ``CALL_DIR/scenarios/`` (file stems, sorted)."""
    folder = Path(call_dir) / "scenarios"
    return sorted(p.stem for p in folder.glob("*.toml")) if folder.is_dir() else []


def run_scenarios(call_dir: Path | str, *, solver: str | None = None) -> ScenarioResults:
    """Run the baseline and every scenario; name -> RunResult, or the SelectionError it raised.

    Invalid input in the baseline or in any scenario file is raised at once (all problems in one
    report) before anything is computed; a scenario without a feasible selection is kept as its
    :class:`~selection.errors.InfeasibleError`, so the comparison can say so.
    """
    from selection.errors import InputError, Problem
    from selection.pipeline import load_call_folder, run_call, with_scenario

    names = scenario_names(call_dir)
    base = load_call_folder(call_dir)
    folders = {BASELINE: base}
    problems: list[Problem] = []
    for name in names:
        try:
            folders[name] = with_scenario(base, name)
        except InputError as exc:
            problems.extend(exc.problems)
    if problems:
        raise ScenarioError(list(dict.fromkeys(problems)))
    out: ScenarioResults = {}
    for name, folder in folders.items():
        try:
            out[name] = run_call(folder, solver=solver)
        except InfeasibleError as exc:
            out[name] = exc
    baseline = out[BASELINE]
    if isinstance(baseline, InfeasibleError):
        raise baseline
    return out


def compare_scenarios(results: ScenarioResults) -> dict[str, pd.DataFrame]:
    """``scenario-matrix.csv``, ``scenario-changes.csv`` and ``scenario-summary.csv`` as frames.

    * matrix (long): one row per stage, application and scenario (scenarios in the order run):
      ``selected`` (1 selected, 0 not, empty when the scenario has no feasible selection),
      ``times_selected`` (by how many feasible scenarios) and ``robust_core`` (by every feasible
      scenario), the last two repeated on each scenario's row;
    * changes: every application that enters or leaves a stage's selection against the baseline,
      with its rank and the reason given in both runs (from ``selection-stage<n>.csv``);
    * summary: per scenario and stage the number selected, total value, who enters and leaves.
    """
    import pandas as pd

    base = results[BASELINE]
    if isinstance(base, InfeasibleError):
        raise base
    apps = base.folder.applications
    ids = sorted(apps)
    stages = [st.number for st in base.folder.call.stages]
    ok = {k: r for k, r in results.items() if not isinstance(r, InfeasibleError)}
    rows: list[tuple[object, ...]] = []
    for n in stages:
        chosen = {name: (None if isinstance(r, InfeasibleError) else set(r.stages[n].outcome.selected))
                  for name, r in results.items()}
        for a in ids:
            times = sum(a in c for c in chosen.values() if c is not None)
            rows += [(n, a, apps[a].title, name, pd.NA if c is None else int(a in c), times, times == len(ok))
                     for name, c in chosen.items()]
    matrix = pd.DataFrame(rows, columns=["stage", "application_id", "title", "scenario", "selected",
                                         "times_selected", "robust_core"])
    matrix["selected"] = matrix["selected"].astype("Int64")
    changes: list[tuple[object, ...]] = []
    summary: list[tuple[object, ...]] = []

    def info(r: RunResult, n: int, a: str) -> tuple[object, str, str]:
        t = r.stages[n].selection.set_index("application_id")
        if a not in t.index:
            return pd.NA, "not a candidate in this stage", "ikke kandidat i denne fase"
        da = str(t.at[a, "reason_da"]) if "reason_da" in t.columns else ""
        return int(t.at[a, "rank"]), str(t.at[a, "reason"]), da

    for name, r in results.items():
        if isinstance(r, InfeasibleError):
            for n in stages:
                summary.append((name, "", n, "infeasible", 0, float("nan"), 0, 0, "", "", r.report(), ""))
            continue
        desc = "" if name == BASELINE or r.folder.scenario is None else r.folder.scenario.description
        desc_da = "" if name == BASELINE or r.folder.scenario is None else r.folder.scenario.description_da
        for n in stages:
            before = set(base.stages[n].outcome.selected)
            after = set(r.stages[n].outcome.selected)
            enter, leave = sorted(after - before), sorted(before - after)
            for a in enter + leave:
                rb, why_b, why_b_da = info(base, n, a)
                rs, why_s, why_s_da = info(r, n, a)
                changes.append((name, n, a, apps[a].title, "enters" if a in after else "leaves",
                                rb, rs, why_b, why_s, why_b_da, why_s_da))
            summary.append((name, desc, n, "ok", len(after), r.stages[n].outcome.objective, len(enter), len(leave),
                            " ".join(enter), " ".join(leave), "", desc_da))
    changes_frame = pd.DataFrame(changes, columns=[
        "scenario", "stage", "application_id", "title", "change", "rank_baseline", "rank_scenario",
        "reason_baseline", "reason_scenario", "reason_baseline_da", "reason_scenario_da"])
    summary_frame = pd.DataFrame(summary, columns=[
        "scenario", "description", "stage", "status", "n_selected", "total_value", "n_entering", "n_leaving",
        "entering", "leaving", "infeasibility", "description_da"])
    core = {n: " ".join(dict.fromkeys(matrix.loc[(matrix["stage"] == n) & matrix["robust_core"], "application_id"]))
            for n in stages}
    summary_frame["robust_core"] = summary_frame["stage"].map(core)
    return {"scenario-matrix.csv": matrix, "scenario-changes.csv": changes_frame,
            "scenario-summary.csv": summary_frame}
