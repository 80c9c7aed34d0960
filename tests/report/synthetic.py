"""A small synthetic call's run, scenarios and sensitivity folders, with exactly the documented
run-folder files and column names (docs/architecture.md, "Run folders"; docs/report.md).

Used by the report tests and ``scripts/update_golden.py``. Everything is fixed text: no solver,
no randomness, so the report built from it is the same on every machine.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from selection.schema import SCHEMA_VERSION

APPS = ["A1", "A2", "A3", "A4", "A5", "A6"]
TITLES = ["Design for seniors", "Film tourism", "Food <stories> & more", "=cmd|' /C calc'!A0",
          "Rural crafts", "Music export"]
CRITERIA = {"value": ["Værditilvækst", "Value added"], "innovation": ["Kreativ innovation", "Creative innovation"]}
CALL_ID = "synthetic-call"


#: The input files every folder records as read (file -> SHA-256), the same for all three folders
#: so the report uses its scenarios and sensitivity siblings (bundle.input_mismatch).
INPUTS = {"applications.csv": "a" * 64, "call.toml": "c" * 64, "scores/stage1/E1.csv": "e" * 64}


def _manifest(kind: str, created: str, **extra) -> dict:
    return {"kind": kind, "call_id": CALL_ID, "created_utc": created, "seed": 7, "inputs": dict(INPUTS),
            "schema_version": SCHEMA_VERSION, **extra}


def _write(folder: Path, manifest: dict, tables: dict[str, pd.DataFrame]) -> Path:
    folder.mkdir(parents=True)
    for name, frame in tables.items():
        frame.to_csv(folder / name, index=False, lineterminator="\n")
    (folder / "manifest.json").write_text(json.dumps(manifest, indent=2, sort_keys=True), encoding="utf-8")
    return folder


def run_tables(full: bool = True) -> dict[str, pd.DataFrame]:
    score1 = [4.5, 4.0, 3.5, 3.2, 2.9, 2.0]
    ranking = pd.DataFrame({
        "stage": [1] * 6 + [2] * 3, "application_id": APPS + ["A1", "A3", "A2"], "rank": [1, 2, 3, 4, 5, 6, 1, 2, 3],
        "title": TITLES + [TITLES[0], TITLES[2], TITLES[1]],
        "score": score1 + [4.1, 3.9, 3.0], "tied_rank": [1, 2, 3, 4, 5, 6, 1, 2, 3],
        "tie_break": ["", "score", "score", "score", "score", "score", "", "score", "score"],
        "eligible": [True] * 5 + [False] + [True] * 3,
        "failed_thresholds": [""] * 5 + ["value 1.50 < 2"] + [""] * 3,
        "n_experts": 3, "n_abstentions": 0})
    panel = pd.DataFrame([(st, a, c, s - (0.5 if c == "innovation" else 0), 3)
                          for st, a, s in zip(ranking["stage"], ranking["application_id"], ranking["score"], strict=True)
                          for c in CRITERIA],
                         columns=["stage", "application_id", "criterion_id", "panel_score", "n_scores"])
    sel1 = pd.DataFrame({"application_id": APPS, "rank": range(1, 7), "value": score1,
                         "selected": [True, False, True, True, True, False],
                         "reason": ["selected", "ranking deviation: swapping it for A5 would break: at least 1 "
                                    "rural/peripheral selected (short by 1)", "selected", "selected", "selected",
                                    "below threshold: value 1.50 < 2"],
                         "cost_to_include": [None, 0.3, None, None, None, None],
                         "would_leave": [None, "A5", None, None, None, None]})
    sel2 = pd.DataFrame({"application_id": ["A1", "A3", "A2"], "rank": [1, 2, 3], "value": [4.1, 3.9, 3.0],
                         "selected": [True, True, False],
                         "reason": ["selected", "selected", "not selected in stage 1"],
                         "cost_to_include": [None, None, None], "would_leave": [None, None, None]})
    tables = {"ranking.csv": ranking, "panel-scores.csv": panel, "selection-stage1.csv": sel1,
              "selection-stage2.csv": sel2}
    if full:
        tables["agreement.csv"] = pd.DataFrame({
            "criterion_id": ["value", "value", "innovation", "innovation", "overall", "overall"],
            "measure": ["ICC2k", "kendalls_w"] * 3, "value": [0.71, 0.62, 0.44, 0.5, 0.66, 0.58],
            "ci_low": [0.4, 0.3, 0.1, 0.2, 0.35, 0.3], "ci_high": [0.9, 0.8, 0.7, 0.75, 0.85, 0.8]})
        tables["expert-leniency.csv"] = pd.DataFrame({"expert_id": ["E1", "E2", "E3"],
                                                      "leniency": [0.4, -0.3, -0.1]})
        tables["divergence.csv"] = pd.DataFrame({"stage": [1], "application_id": ["A2"], "criterion_id": ["value"],
                                                 "range": [2.5], "scores": ["E1: 5; E2: 2.5"],
                                                 "comments": ["E2: <b>weak</b> business case"]})
        tables["rank-intervals.csv"] = pd.DataFrame({
            "stage": [1] * 6, "application_id": APPS, "expected_rank": [1.1, 2.3, 2.8, 4.1, 4.9, 5.8],
            "rank_q05": [1, 1, 2, 3, 4, 5], "rank_q25": [1, 2, 2, 4, 5, 6], "rank_q50": [1, 2, 3, 4, 5, 6],
            "rank_q75": [1, 3, 3, 5, 5, 6], "rank_q95": [2, 3, 4, 5, 6, 6],
            "probability_top_k": [1.0, 0.9, 0.85, 0.6, 0.5, 0.1]})
    return tables


def run_manifest() -> dict:
    stage = {"aggregation": "mean", "weights": {"value": 0.6, "innovation": 0.4}, "criterion_names": CRITERIA,
             "scales": {"value": [0, 5, 0.5], "innovation": [0, 5, 0.5]},
             "thresholds": {"value": 2.0, "innovation": None}, "overall_threshold": 2.5,
             "overall_threshold_basis": "weighted_total"}
    rules1 = [{"rule": "max_selected", "description": "at most 4 selected", "sense": "<=", "limit": 4, "used": 4,
               "unit": "applications", "binding": True, "members": APPS},
              {"rule": "budget", "description": "requested grants within 1,000,000 DKK", "sense": "<=",
               "limit": 1_000_000, "used": 1_000_000, "unit": "DKK", "binding": True, "members": APPS},
              {"rule": "constraint[0]:rural=true", "description": "at least 1 rural/peripheral selected",
               "sense": ">=", "limit": 1, "used": 1, "unit": "applications", "binding": True, "members": ["A5"]}]
    rules2 = [{"rule": "max_selected", "description": "at most 2 selected", "sense": "<=", "limit": 2, "used": 2,
               "unit": "applications", "binding": True, "members": ["A1", "A3", "A4", "A5"]},
              {"rule": "budget", "description": "regional co-financing per year within 3,000,000 DKK",
               "sense": "<=", "limit": 3_000_000, "used": 2_400_000, "unit": "DKK", "binding": False,
               "members": ["A1", "A3", "A4", "A5"]}]
    return _manifest("run", "2026-01-02T03:04:05Z", scenario="baseline", parameters={
        "solver": "cbc", "call": {"name": "Syntetisk opslag", "name_en": "Synthetic call", "operator": "Test"},
        "stages": {"1": {**stage, "name": "Modning / Maturation", "max_selected": 4, "budget": 1_000_000,
                         "budget_basis": "grant"},
                   "2": {**stage, "name": "Projekt / Project", "max_selected": 2, "from_stage": 1,
                         "budget": 3_000_000, "budget_basis": "regional_cofinancing_per_year",
                         "total_budget_cap_per_year": 9_000_000, "max_regional_share": 0.33}}},
        rules={"1": rules1, "2": rules2}, versions={"selection": "test"},
        selected={"1": ["A1", "A3", "A4", "A5"], "2": ["A1", "A3"]})


def scenario_tables() -> dict[str, pd.DataFrame]:
    sel = {"baseline": (["A1", "A3", "A4", "A5"], ["A1", "A3"]), "equal-weights": (["A1", "A2", "A3", "A5"], ["A1", "A2"]),
           "budget-cut": (["A1", "A3", "A5"], ["A1"])}
    matrix = pd.DataFrame([(n, a, s, int(a in chosen[n - 1])) for n in (1, 2) for a in APPS
                           for s, chosen in sel.items()],  # as written: a row per stage, application, scenario
                          columns=["stage", "application_id", "scenario", "selected"])
    summary = pd.DataFrame({"scenario": list(sel), "n_selected_stage1": [4, 4, 3], "n_selected_stage2": [2, 2, 1]})
    changes = pd.DataFrame({"scenario": ["equal-weights", "equal-weights"], "stage": [1, 1],
                            "application_id": ["A2", "A4"], "change": ["enters", "leaves"],
                            "reason": ["selected", "outranked"]})
    return {"scenario-matrix.csv": matrix, "scenario-summary.csv": summary, "scenario-changes.csv": changes}


def sensitivity_tables() -> dict[str, pd.DataFrame]:
    acc = pd.DataFrame({"application_id": APPS, **{f"rank_acceptability_{r}": [1.0 if i == r - 1 else 0.0
                                                                              for i in range(6)] for r in range(1, 7)}})
    acc.loc[1:2, ["rank_acceptability_2", "rank_acceptability_3"]] = [[0.7, 0.3], [0.3, 0.7]]
    prob = pd.DataFrame({"stage": [1] * 6 + [2] * 6, "application_id": APPS * 2,  # as written: a row per stage
                         "probability_selected": [1.0, 0.3, 0.95, 0.7, 1.0, 0.0] + [1.0, 0.1, 0.8, 0.1, 0.0, 0.0]})
    core = pd.DataFrame({"application_id": APPS, "core_index": [1.0, 0.25, 1.0, 0.5, 1.0, 0.0],
                         "core_label": ["core", "borderline", "core", "borderline", "core", "exterior"]})
    stab = pd.DataFrame({"criterion_id": ["value", "innovation"], "weight": [0.6, 0.4], "weight_low": [0.45, 0.2],
                         "weight_high": [0.8, 0.55]})
    sweep = pd.DataFrame([("value", w, a, a in (["A1", "A3", "A4", "A5"] if w >= 0.45 else ["A1", "A2", "A3", "A5"]))
                          for w in (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8) for a in APPS],
                         columns=["criterion_id", "weight", "application_id", "selected"])
    return {"rank-acceptability.csv": acc, "selection-probability.csv": prob, "core-index.csv": core,
            "weight-stability.csv": stab, "weight-sweep.csv": sweep}


def make_folders(parent: Path, *, full: bool = True, others: bool = True) -> Path:
    """Write the run folder (and, with ``others``, scenarios and sensitivity siblings); return the run."""
    run = _write(parent / "20260102T030405Z-baseline", run_manifest(), run_tables(full))
    if others:
        _write(parent / "20260102T040000Z-scenarios", _manifest("scenarios", "2026-01-02T04:00:00Z"),
               scenario_tables())
        _write(parent / "20260102T050000Z-sensitivity", _manifest(
            "sensitivity", "2026-01-02T05:00:00Z", scenario="baseline",
            parameters={"samples": 2000, "weights": "simplex", "spread": 0.2, "rpm_weights": "interval"}),
               sensitivity_tables())
    return run
