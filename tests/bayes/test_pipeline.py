"""``selection run`` with panel_model = "bayes" and a lottery, ``selection lottery --verify`` and
``selection panel --model bayes`` on a copy of the example call."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

ROOT = Path(__file__).resolve().parents[2]
PUBLIC = "Lotto 2012-11-24: 3 7 12 19 25 31 34"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "selection", *args], capture_output=True, text=True)


@pytest.fixture(scope="module")
def call_dir(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("bayes")
    shutil.copytree(ROOT / "criteria", base / "criteria")
    target = base / "examples" / "kp"
    shutil.copytree(ROOT / "examples" / "kreative-partnerskaber", target,
                    ignore=shutil.ignore_patterns("runs"))
    text = (target / "call.toml").read_text(encoding="utf-8")
    first = text.index("[[stages]]")
    head, rest = text[:first], text[first:]
    rest = rest.replace("min_experts = 2\n", f'min_experts = 2\npanel_model = "bayes"\n'
                        f'lottery = {{ public_seed = "{PUBLIC}" }}\n', 1)
    (target / "call.toml").write_text(head + rest, encoding="utf-8")
    return target


@pytest.fixture(scope="module")
def run_dir(call_dir, tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("runs")
    res = _cli("run", str(call_dir), "--out", str(out), "--quiet", "--solver", "highs")
    assert res.returncode == 0, res.stderr
    return Path(res.stdout.strip().splitlines()[-1])


def test_run_files(run_dir):
    post = pd.read_csv(run_dir / "posterior.csv")
    assert list(post.columns) == ["stage", "application_id", "mean_total", "total_q05", "total_q95", "expected_rank",
                                  "er_q05", "er_q95", "probability_selected"]
    assert set(post["stage"]) == {1} and len(post) == 40
    assert post["probability_selected"].between(0, 1).all()
    exp = pd.read_csv(run_dir / "expert-posterior.csv")
    assert list(exp.columns[:5]) == ["stage", "expert_id", "leniency", "leniency_q05", "leniency_q95"]
    lot = pd.read_csv(run_dir / "lottery.csv")
    assert list(lot.columns) == ["stage", "application_id", "zone", "probability", "selected"]
    assert set(lot["zone"]) <= {"above", "gray", "below", "excluded"} and (lot["zone"] == "gray").sum() >= 2
    manifest = json.loads((run_dir / "manifest.json").read_text())
    rec = manifest["bayes"]["1"]
    assert rec["lottery"]["seed_source"].startswith("SHA-256 of the public value")
    assert rec["max_rhat"] < 1.01
    sel = pd.read_csv(run_dir / "selection-stage1.csv")
    assert sorted(sel.loc[sel["selected"], "application_id"]) == sorted(rec["lottery"]["selected"])
    assert set(lot.loc[lot["selected"], "application_id"]) == set(rec["lottery"]["selected"])
    # the dossier's reason of a gray-zone application says that its decision was drawn, with its chance
    gray = sel[sel["application_id"].isin(lot.loc[lot["zone"] == "gray", "application_id"])]
    assert gray["reason"].str.contains("decided by lot").all() and gray["reason"].str.contains("chance").all()
    assert gray["reason_da"].str.contains("lodtrækning").all()


def test_verify_matches_and_detects_tampering(run_dir, tmp_path):
    ok = _cli("lottery", "--verify", str(run_dir))
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert "MATCH" in ok.stdout and "DIFFERS" not in ok.stdout
    bad = tmp_path / "tampered"
    shutil.copytree(run_dir, bad)
    lot = pd.read_csv(bad / "lottery.csv")
    lot.loc[lot["zone"] == "gray", "selected"] = ~lot.loc[lot["zone"] == "gray", "selected"]
    lot.to_csv(bad / "lottery.csv", index=False)
    res = _cli("lottery", "--verify", str(bad))
    assert res.returncode == 1 and "MISMATCH" in res.stdout and "lottery.csv" in res.stdout


def test_verify_detects_changed_inputs(run_dir, call_dir, tmp_path):
    copy = tmp_path / "call"
    shutil.copytree(call_dir.parents[1], copy)
    scores = sorted((copy / "examples" / "kp" / "scores" / "stage1").glob("*.csv"))[0]
    scores.write_text(scores.read_text(encoding="utf-8").replace("3.5", "4", 1), encoding="utf-8")
    res = _cli("lottery", "--verify", str(run_dir), "--call", str(copy / "examples" / "kp"))
    assert res.returncode == 1 and "changed since the run" in res.stdout and scores.name in res.stdout


def test_verify_says_when_there_is_no_lottery(tmp_path):
    (tmp_path / "manifest.json").write_text(json.dumps({"kind": "run"}))
    res = _cli("lottery", "--verify", str(tmp_path))
    assert res.returncode == 1 and "no partial lottery" in res.stderr + res.stdout


def test_panel_model_bayes(call_dir, tmp_path):
    res = _cli("panel", str(call_dir), "--model", "bayes", "--boot", "20", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert "Bayesian panel model" in res.stdout and "Expert leniency" in res.stdout
    run = next(tmp_path.iterdir())
    post = pd.read_csv(run / "posterior.csv")
    assert set(post["stage"]) == {1, 2}
    assert post.loc[post["stage"] == 1, "probability_selected"].notna().all()
