"""``selection scenarios CALL_DIR [--out DIR] [--solver cbc|highs]``: run and compare every scenario."""

from __future__ import annotations

import hashlib
import sys
import time
from datetime import UTC, datetime
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("scenarios", help="run the baseline and every scenario, and compare the selections",
                       description="Run the baseline and every CALL_DIR/scenarios/*.toml; write "
                                   "runs/<UTC timestamp>-scenarios/ with scenario-matrix.csv, "
                                   "scenario-changes.csv, scenario-summary.csv and one run folder per scenario.")
    p.add_argument("call_dir", type=Path, help="the call folder (holding call.toml)")
    p.add_argument("--out", type=Path, help="parent folder of the run folder (default CALL_DIR/runs)")
    p.add_argument("--solver", choices=["cbc", "highs"], help="MILP solver (default highs, in-process; cbc: the CBC bundled with pulp)")
    p.set_defaults(func=run)


def run(args) -> int:
    from selection.cli.format import table
    from selection.errors import InfeasibleError
    from selection.io.export import atomic_folder, write_csv, write_json
    from selection.runs import (
        check_out_folder,
        file_hashes,
        new_run_dir,
        package_versions,
        run_manifest,
        run_tables,
        write_run,
    )
    from selection.scenario import BASELINE, compare_scenarios, run_scenarios
    from selection.schema import SCHEMA_VERSION
    from selection.select import solver_versions

    check_out_folder(args.out if args.out else Path(args.call_dir) / "runs")  # before computing
    started = datetime.now(UTC)
    t0 = time.perf_counter()
    results = run_scenarios(args.call_dir, solver=args.solver)
    tables = compare_scenarios(results)
    base = results[BASELINE]
    if isinstance(base, InfeasibleError):  # run_scenarios raises it; this tells the type checker
        raise base
    parent = args.out if args.out else Path(args.call_dir) / "runs"
    target = new_run_dir(parent, "scenarios", started)
    inputs: list[Path] = []
    claim = atomic_folder(target)
    with claim as tmp:
        for name, r in results.items():
            if isinstance(r, InfeasibleError):
                continue
            inputs += list(r.folder.input_files)
            write_run(tmp / name, run_tables(r), run_manifest(r, None if name == BASELINE else name, started),
                      r.folder.input_files, r.folder.root)
        for name, frame in tables.items():
            write_csv(frame, tmp / name)
        outputs = {}
        for p in sorted(tmp.rglob("*")):
            if p.is_file():
                outputs[p.relative_to(tmp).as_posix()] = hashlib.sha256(p.read_bytes()).hexdigest()
        write_json({
            "kind": "scenarios", "schema_version": SCHEMA_VERSION, "call_id": base.folder.call.id,
            "seed": base.folder.call.seed,
            "created_utc": started.strftime("%Y-%m-%dT%H:%M:%SZ"),
            "scenarios": {name: ("infeasible" if isinstance(r, InfeasibleError) else "ok") for name, r in results.items()},
            "parameters": {"solver": base.solver},
            "inputs": file_hashes(dict.fromkeys(inputs), base.folder.root), "outputs": outputs,
            "versions": package_versions(), "solvers": solver_versions(),
            "timings_s": {"total_s": round(time.perf_counter() - t0, 3)},
            "command": " ".join(["selection", *sys.argv[1:]]),
        }, tmp / "manifest.json")
    target = claim.final or target
    summary = tables["scenario-summary.csv"]
    shown = summary[["scenario", "stage", "status", "n_selected", "total_value", "entering", "leaving"]]
    print(f"{base.folder.call.name_en or base.folder.call.name}: {len(results) - 1} scenario(s) against the baseline")
    print(table(shown))
    for row in summary[summary["status"] == "infeasible"].drop_duplicates("scenario").itertuples():
        print(f"\n{row.scenario}: no feasible selection. {row.infeasibility}")
    for n in [st.number for st in base.folder.call.stages]:
        core = summary.loc[summary["stage"] == n, "robust_core"].iloc[0]
        print(f"\nRobust core, stage {n} (selected in every scenario): {core or '-'}")
    print(f"\nRun folder: {target}")
    return 0
