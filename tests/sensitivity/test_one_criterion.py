"""A call scored on one criterion (like the public ICLR ratings): nothing to sweep, said and skipped."""

from __future__ import annotations

import csv
import json

import numpy as np

from selection.cli import main

from .conftest import EXAMPLE

CATALOGUE = """schema_version = 1
id = "one-criterion"
name = "One criterion"
stage = 1
tie_breaks = ["lottery"]

[[criteria]]
id = "rating"
name_da = "Bedømmelse"
name_en = "Rating"
group = "overall"
description = "Samlet bedømmelse. / Overall rating."
weight = 1
scale = { min = 1, max = 10, step = 1 }
guide.low = "1: afvis / reject"
guide.middle = "5: grænsetilfælde / borderline"
guide.high = "10: fremragende / excellent"
"""


def _one_criterion_call(root):
    root.mkdir()
    (root / "rating.toml").write_text(CATALOGUE, encoding="utf-8")
    (root / "call.toml").write_text("""schema_version = 1
id = "one-criterion-call"
name = "Call rated on one criterion"
applications = "applications.csv"
experts = "experts.csv"
assignments = "assignments.csv"
scores = "scores"
seed = 7

[[stages]]
number = 1
name = "Review"
catalogue = "rating.toml"
max_selected = 12
min_experts = 3
""", encoding="utf-8")
    (root / "applications.csv").write_bytes((EXAMPLE / "applications.csv").read_bytes())
    with open(EXAMPLE / "applications.csv", encoding="utf-8") as fh:
        ids = [r["application_id"] for r in csv.DictReader(fh)]
    rng = np.random.default_rng(3)
    experts = [f"R{e}" for e in range(1, 7)]
    (root / "experts.csv").write_text("expert_id,name,affiliation,conflicts\n" +
                                      "".join(f"{e},Reviewer {e},-,\n" for e in experts), encoding="utf-8")
    pairs = [(experts[e], a) for a in ids for e in sorted(rng.choice(6, 3, replace=False))]
    (root / "assignments.csv").write_text("expert_id,application_id\n" + "".join(f"{e},{a}\n" for e, a in pairs),
                                          encoding="utf-8")
    (root / "scores" / "stage1").mkdir(parents=True)
    for e in experts:
        rows = "".join(f"{e},{a},rating,{int(rng.integers(1, 11))},\n" for x, a in pairs if x == e)
        (root / "scores" / "stage1" / f"{e}.csv").write_text(
            "expert_id,application_id,criterion_id,score,comment\n" + rows, encoding="utf-8")
    return root


def test_one_criterion_sensitivity_skips_the_weight_sweep(tmp_path, capsys):
    call = _one_criterion_call(tmp_path / "call")
    out = tmp_path / "runs"
    code = main(["sensitivity", str(call), "--samples", "50", "--bootstrap", "20", "--out", str(out)])
    text = capsys.readouterr()
    assert code == 0, text.err
    assert "no weight to sweep; weight sweep skipped" in text.out
    (run,) = out.iterdir()
    man = json.loads((run / "manifest.json").read_text())
    assert any("no weight to sweep" in n for n in man["notes"])
    with open(run / "weight-sweep.csv", encoding="utf-8") as fh:
        assert len(list(csv.reader(fh))) <= 1  # header only
    with open(run / "selection-probability.csv", encoding="utf-8") as fh:
        probs = [float(r["probability_selected"]) for r in csv.DictReader(fh) if r["stage"] == "1"]
    # one criterion: every weight sample is the same, so each application is always in or always out
    assert set(probs) <= {0.0, 1.0} and sum(probs) == 12
