"""``selection sensitivity CALL_DIR [--samples N] [--seed S] [--out DIR] [--workers W] [--scheduler ADDRESS]``."""

from __future__ import annotations

import os
import time
from datetime import UTC, datetime
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("sensitivity", help="how the selection depends on weights and scores (SMAA, bootstrap, "
                                            "sweeps, robust portfolios)",
                       description="Re-run the full two-stage selection for sampled weights (SMAA) and expert "
                                   "bootstrap replicates, sweep each weight, and find the robust core; write "
                                   "runs/<UTC timestamp>-sensitivity/.")
    p.add_argument("call_dir", type=Path, help="the call folder (holding call.toml)")
    from selection.cli import scenario_name

    p.add_argument("--scenario", type=scenario_name, help="analyse a scenario of CALL_DIR/scenarios/ instead of the baseline")
    p.add_argument("--samples", type=int, default=2000, help="weight samples (default 2000)")
    p.add_argument("--seed", type=int, help="seed (default the call's seed)")
    p.add_argument("--weights", choices=["simplex", "interval", "ordinal"], default="simplex",
                   help="weight information: uniform on the simplex (default), ±SPREAD around the given "
                        "weights, or only their order")
    p.add_argument("--spread", type=float, default=0.2, help="relative spread for --weights interval and RPM (0.2)")
    p.add_argument("--bootstrap", type=int, default=500, help="expert-bootstrap replicates (default 500; 0 to skip)")
    p.add_argument("--sweep-steps", type=int, default=21, help="grid points per weight sweep (default 21; 0 to skip)")
    p.add_argument("--rpm-weights", choices=["simplex", "interval", "ordinal"], default="interval",
                   help="weight information for robust portfolio modelling (default interval)")
    p.add_argument("--no-rpm", action="store_true", help="skip robust portfolio modelling")
    p.add_argument("--workers", type=int, default=None,
                   help="worker processes (default: the cores available; results do not depend on it); "
                        "with --scheduler local the local cluster's workers, with a scheduler address how "
                        "many workers must have joined (default 1)")
    p.add_argument("--scheduler", metavar="ADDRESS",
                   help="run the sample shards on Dask distributed: a scheduler's address (tcp://host:8786) or "
                        "'local' for a cluster of --workers processes on this machine; needs the cluster extra "
                        "(pip install 'selection[cluster]'); results do not depend on it (docs/cluster.md)")
    p.add_argument("--no-progress", action="store_true", help="no progress bars on stderr")
    p.add_argument("--out", type=Path, help="parent folder of the run folder (default CALL_DIR/runs)")
    p.set_defaults(func=run)


def _cores() -> int:
    """Cores this process may run on (the CPU affinity where the system reports it)."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - not on Linux
        return max(1, os.cpu_count() or 1)


def weight_space(kind: str, spread: float) -> str:
    """The set of weights a sensitivity method draws from or ranges over, in words."""
    return {"simplex": "uniformly from all weights summing to 1 (the simplex)",
            "interval": f"within ±{spread:.0%} of the call's weights",
            "ordinal": "keeping the order of the call's weights"}.get(kind, kind)


def decision_order(prob, stages: list[int], others: int = 15):
    """``selection-probability.csv`` for the console: every application the run selected, in the
    order of the decision actually taken (selected in stage 1 and the last stage first, then stage 1
    only; each by stage-1 probability), then up to ``others`` more that some sample selects, by
    probability; a ``run`` column says what the run decided."""
    import pandas as pd

    long = prob  # a row per stage and application (schema version 2) -> a column per stage, for the console
    f = long.drop_duplicates("application_id")[["application_id", "title"]].reset_index(drop=True)
    stages = [n for n in stages if (long["stage"] == n).any()] or stages[:1]  # a stage awaiting scores: none
    for n in stages:
        part = long[long["stage"] == n].set_index("application_id")
        f[f"probability_selected_stage{n}"] = f["application_id"].map(part["probability_selected"])
        f[f"selected_stage{n}_baseline"] = f["application_id"].map(part["selected_baseline"])
    last = stages[-1]
    base = {n: f[f"selected_stage{n}_baseline"].astype(str).str.lower().isin(("true", "1")) for n in stages}
    f["run"] = ["+".join(str(n) for n in stages if base[n].iloc[i]) or "-" for i in range(len(f))]
    pcols = [c for n in dict.fromkeys([1, last]) if (c := f"probability_selected_stage{n}") in f.columns]
    f["_in1"], f["_inlast"] = base[stages[0]], base[last]
    f = f.sort_values(["_in1", "_inlast", *pcols, "application_id"],
                      ascending=[False, False, *[False] * len(pcols), True], kind="stable")
    chosen = f[f["_in1"]]
    rest = f[~f["_in1"] & (f[pcols].fillna(0).max(axis=1) > 0)].head(others)  # already by probability
    return pd.concat([chosen, rest])[["application_id", "title", "run", *pcols]].reset_index(drop=True)


def run(args) -> int:
    from selection.cli.format import table
    from selection.errors import InputError, Problem
    from selection.pipeline import load_call_folder, run_call
    from selection.runs import new_run_dir, write_run
    from selection.sensitivity import SensitivityOptions, run_sensitivity

    problems = []
    if args.samples < 1:
        problems.append(Problem(f"--samples is {args.samples}; use at least 1"))
    if not (0 < args.spread < 1):
        problems.append(Problem(f"--spread is {args.spread}; use a share between 0 and 1 (0.2 = ±20 %)"))
    if args.workers is None:  # a remote scheduler brings its own workers: wait for one at least
        args.workers = _cores() if args.scheduler in (None, "local") else 1
    if args.scheduler is not None:
        import importlib.util

        if not args.scheduler.strip():
            problems.append(Problem("--scheduler is empty; give an address such as tcp://host:8786, or 'local'"))
        if importlib.util.find_spec("distributed") is None:
            problems.append(Problem("--scheduler needs Dask distributed, which is not installed",
                                    hint="pip install 'selection[cluster]' (or run without --scheduler)"))
    if args.workers < 1:
        problems.append(Problem(f"--workers is {args.workers}; use at least 1"))
    if problems:
        raise InputError(problems)
    from selection.runs import check_out_folder

    check_out_folder(args.out if args.out else Path(args.call_dir) / "runs")  # before computing
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    folder = load_call_folder(args.call_dir, args.scenario)
    result = run_call(folder)
    seed = folder.call.seed if args.seed is None else args.seed
    opts = SensitivityOptions(samples=args.samples, seed=seed, weights=args.weights, spread=args.spread,
                              bootstrap=args.bootstrap, sweep_steps=args.sweep_steps, rpm=not args.no_rpm,
                              rpm_weights=args.rpm_weights, workers=args.workers, scheduler=args.scheduler)
    from selection.sensitivity import ProgressBars

    bars = ProgressBars(disable=args.no_progress)
    try:
        res = run_sensitivity(folder, result, opts, progress=bars)
    finally:
        bars.close()
    elapsed = time.perf_counter() - t0
    manifest = {
        "kind": "sensitivity", "call_id": folder.call.id, "scenario": args.scenario or "baseline",
        "created_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"), "seed": seed,
        "parameters": {k: getattr(opts, k) for k in opts.__dataclass_fields__ if k not in ("workers", "scheduler")},
        "execution": {"workers": opts.workers, "scheduler": opts.scheduler},  # where it ran (not what it found)
        "decided_by": res.stats, "notes": res.notes, "timings_s": {"total_s": round(elapsed, 3)},
    }
    parent = args.out if args.out else Path(args.call_dir) / "runs"
    target = new_run_dir(parent, "sensitivity", started)
    target = write_run(target, res.tables, manifest, folder.input_files, folder.root)
    prob = res.tables["selection-probability.csv"]
    shown = decision_order(prob, [st.number for st in folder.call.stages])
    shown["title"] = shown["title"].str.slice(0, 36)
    core = res.tables["core-index.csv"]
    print(f"Sensitivity of {folder.call.id}: {args.samples} weight samples ({args.weights}), "
          f"{args.bootstrap} bootstrap replicates, seed {seed}")
    if args.scheduler is not None:
        where = (f"a local Dask cluster of {args.workers} worker processes" if args.scheduler == "local"
                 else f"the Dask cluster at {args.scheduler}")
        print(f"The sample shards ran on {where} (the tables do not depend on it).")
    smaa_space, rpm_space = weight_space(args.weights, args.spread), weight_space(args.rpm_weights, args.spread)
    print(f"\nThe run's selection first (selected in stage 1 and the last stage, then stage 1 only), then the "
          f"others most often selected. "
          f"P(selected) per stage = share of the {args.samples} weight samples drawn {smaa_space} (SMAA) "
          f"under which the application is selected:")
    print(table(shown))
    if len(core):
        words = {"core": "in every non-dominated selection (core index 1)",
                 "borderline": "in some non-dominated selections (0 < core index < 1)"}
        print(f"\nRobust portfolio modelling, stage 1, for every weighting {rpm_space} (Liesiö, Mild & Salo 2007):")
        for label in ("core", "borderline"):
            members = core.loc[core["core_label"] == label, "application_id"].tolist()
            print(f"  {label.capitalize()}, {words[label]} ({len(members)}): {' '.join(members) or '-'}")
        print(f"  The two can differ: P(selected) counts how often the application is chosen among weights drawn "
              f"{smaa_space}, while the core label asks whether it is in every, some or no non-dominated "
              f"selection for weights {rpm_space} - another set of weights and another question.")
    stab = res.tables["weight-stability.csv"]
    if len(stab):
        print("\nStability intervals of the weights (selection unchanged within):")
        print(table(stab))
    for note in res.notes:
        print(f"note: {note}")
    print(f"\nRun folder: {target}")
    return 0
