"""``selection lottery --verify RUN_DIR [--call CALL_DIR]``: reproduce a run's partial lottery.

Checks that the call folder's input files are the ones the run used (SHA-256 as in the
manifest), derives each lottery's seed again (from the public value where the call names one),
re-runs the whole computation (the Bayesian model is seeded, so it reproduces bit for bit) and
compares the gray zone, the drawn order, the selection and ``lottery.csv`` with the run's.
Prints MATCH (exit 0) or MISMATCH with what differs (exit 1).
"""

from __future__ import annotations

import hashlib
import json
import tempfile
from pathlib import Path


def register(sub) -> None:
    p = sub.add_parser("lottery", help="verify a run's partial lottery (reproduce the draw)",
                       description="Reproduce the partial lottery of a run folder from the call folder and the "
                                   "seed recorded in its manifest; exit 0 when everything matches, 1 when not.")
    p.add_argument("--verify", type=Path, required=True, metavar="RUN_DIR", help="the run folder to verify")
    p.add_argument("--call", type=Path, metavar="CALL_DIR",
                   help="the call folder (default: the one recorded in the run's manifest)")
    p.set_defaults(func=run)


def run(args) -> int:
    from selection.errors import InputError, Problem

    run_dir: Path = args.verify
    mpath = run_dir / "manifest.json"
    if not mpath.is_file():
        raise InputError(Problem(f"no manifest.json in {run_dir}", hint="give a run folder made by 'selection run'"))
    manifest = json.loads(mpath.read_text(encoding="utf-8"))
    bayes = manifest.get("bayes") or {}
    lotteries = {n: rec["lottery"] for n, rec in bayes.items() if isinstance(rec, dict) and rec.get("lottery")}
    if manifest.get("kind") != "run" or not lotteries:
        raise InputError(Problem(f"the run {run_dir} holds no partial lottery", file=str(mpath),
                                 hint="enable [stages.lottery] with panel_model = \"bayes\" in the call file and run again"))
    call_dir = args.call or Path(manifest.get("call_dir", ""))
    if not (call_dir / "call.toml").is_file():
        raise InputError(Problem(f"the call folder {call_dir} (recorded in the manifest) has no call.toml",
                                 hint="give the call folder with --call CALL_DIR"))
    ok, lines = verify(run_dir, manifest, lotteries, call_dir)
    print("\n".join(lines))
    print("MATCH: the lottery is reproduced exactly" if ok else "MISMATCH: the lottery is not reproduced (see above)")
    return 0 if ok else 1


def verify(run_dir: Path, manifest: dict, lotteries: dict, call_dir: Path) -> tuple[bool, list[str]]:
    """Re-run and compare; ``(all matched, lines of the report)``."""
    from selection.bayes.lottery import lottery_seed
    from selection.io.export import write_csv
    from selection.pipeline import load_call_folder, run_call
    from selection.runs import file_hashes

    lines, ok = [], True
    outputs = manifest.get("outputs", {})
    edited = sorted(name for name in outputs if name.endswith(".csv") and (
        not (run_dir / name).is_file()
        or hashlib.sha256((run_dir / name).read_bytes()).hexdigest() != outputs[name]))
    if edited:  # the run folder itself was changed after it was written: nothing to reproduce
        return False, ["run folder: changed after it was written (SHA-256 differs from the manifest): "
                       + ", ".join(edited)]
    scenario = manifest.get("scenario")
    folder = load_call_folder(call_dir, None if scenario in (None, "baseline") else scenario)
    now = file_hashes(folder.input_files, folder.root)
    was = manifest.get("inputs", {})
    changed = sorted(k for k in set(now) | set(was) if now.get(k) != was.get(k))
    if changed:  # other inputs give another posterior: the draw cannot be reproduced from them
        return False, ["inputs: changed since the run: " + ", ".join(changed)]
    lines.append(f"inputs: all {len(now)} files have the SHA-256 recorded in the manifest")
    for n, rec in sorted(lotteries.items()):
        st = folder.call.stage(int(n))
        seed, source = lottery_seed(st, folder.call.seed)
        same = str(seed) == rec["seed"]
        ok &= same
        lines.append(f"stage {n}: seed {'matches' if same else 'DIFFERS'} ({source})")
    result = run_call(folder, solver=manifest.get("parameters", {}).get("solver"))
    for n, rec in sorted(lotteries.items()):
        fitted = result.stages[int(n)].bayes
        draw = fitted.lottery if fitted is not None else None
        if draw is None:
            ok = False
            lines.append(f"stage {n}: the call no longer holds a lottery for this stage")
            continue
        new = draw.record()
        for key, what in (("gray_zone", "gray zone"), ("drawn_order", "drawn order"), ("selected", "selection")):
            same = new[key] == rec[key]
            ok &= same
            lines.append(f"stage {n}: {what} {'matches' if same else 'DIFFERS'}"
                         + ("" if same else f": run {rec[key]}, now {new[key]}"))
    recorded = manifest.get("outputs", {}).get("lottery.csv")
    from selection.bayes.stage import bayes_tables

    table = bayes_tables(result.stages).get("lottery.csv")
    if recorded and table is not None:
        with tempfile.TemporaryDirectory() as tmp:
            write_csv(table, Path(tmp) / "lottery.csv")
            digest = hashlib.sha256((Path(tmp) / "lottery.csv").read_bytes()).hexdigest()
        on_disk = hashlib.sha256((run_dir / "lottery.csv").read_bytes()).hexdigest() \
            if (run_dir / "lottery.csv").is_file() else None
        same = digest == recorded == on_disk
        ok &= same
        lines.append("lottery.csv: " + ("byte-identical to the run's" if same else
                                        "DIFFERS from the run's (zones or chances changed)"))
    return ok, lines


def posterior_summary(fits, folder) -> str:
    """Per stage: convergence, the expected ranks near the top and each expert's leniency."""
    from selection.cli.format import shorten, table

    lines = []
    for n, f in sorted(fits.items()):
        st = folder.call.stage(n)
        d = f.diagnostics
        lines += ["", f"== Stage {n}: Bayesian panel model — {len(f.table)} applications, {len(f.experts)} experts, "
                      f"{f.posterior.settings.chains} chains x {f.posterior.settings.draws} draws ==",
                  f"Convergence: max R-hat {d['rhat'].max():.3f} (limit 1.01), min bulk ESS {d['ess_bulk'].min():.0f}"]
        lines += [f"WARNING: {w}" for w in f.warnings]
        top = f.table.sort_values("expected_rank").head(max(st.max_selected + 6, 10)).copy()
        top["title"] = top["application_id"].map(lambda a: shorten(folder.applications[a].title, 30)
                                                 if a in folder.applications else "")
        top["total (90 % CrI)"] = [f"{m:.2f} ({lo:.2f}-{hi:.2f})" for m, lo, hi in
                                   zip(top["mean_total"], top["total_q05"], top["total_q95"], strict=True)]
        top["ER (90 % CrI)"] = [f"{e:.1f} ({lo}-{hi})" for e, lo, hi in
                                zip(top["expected_rank"], top["er_q05"], top["er_q95"], strict=True)]
        top["P(selected)"] = top["probability_selected"].map(lambda p: "" if p != p else f"{p:.2f}")
        lines += ["", "Expected ranks / Forventet placering",
                  table(top[["application_id", "title", "total (90 % CrI)", "ER (90 % CrI)", "P(selected)"]]
                        .reset_index(drop=True))]
        ex = f.experts.copy()
        ex["leniency (90 % CrI)"] = [f"{m:+.2f} ({lo:+.2f} to {hi:+.2f})" for m, lo, hi in
                                     zip(ex["leniency"], ex["leniency_q05"], ex["leniency_q95"], strict=True)]
        lines += ["", "Expert leniency / Bedømmernes niveau (points above the panel average)",
                  table(ex[["expert_id", "n_scores", "leniency (90 % CrI)"]].reset_index(drop=True))]
    return "\n".join(lines)
