"""Figures the docs quote from the example are the ones a real run prints today (docs/selection.md
quoted linked-mode values 16.562 / 20.300 and a stage-2 budget of 6,280,000 DKK long after the
example had changed). Each check reruns the example through the CLI and reads the doc's sentence."""

from __future__ import annotations

import re

from selection.cli import main
from tests.conftest import ROOT

SELECTION_MD = (ROOT / "docs" / "selection.md").read_text(encoding="utf-8")


def _run(call, tmp_path, capsys, *extra: str) -> dict[int, dict[str, str]]:
    """The console's ``Selected ...`` and ``Budget ...`` lines of each stage of one run."""
    assert main(["run", str(call), "--out", str(tmp_path / "runs"), *extra]) == 0
    text = capsys.readouterr().out
    stages: dict[int, dict[str, str]] = {}
    for block in re.split(r"^== Stage ", text, flags=re.M)[1:]:
        n = int(block.split(":", 1)[0])
        sel = re.search(r"^Selected \d+: (.+?)  \(total value ([\d.]+)\)$", block, flags=re.M)
        budget = re.search(r"^Budget \([^)]*\): ([\d,]+) DKK of ([\d,]+) DKK$", block, flags=re.M)
        binding = re.search(r"^Binding rules: (.+)$", block, flags=re.M)
        assert sel and budget and binding, block[-1500:]
        stages[n] = {"ids": sel[1], "value": sel[2], "used": budget[1], "budget": budget[2], "binding": binding[1]}
    return stages


def test_linked_mode_paragraph_matches_a_real_run(call_copy, tmp_path, capsys):
    (call_copy / "scenarios" / "linked.toml").write_text(
        'schema_version = 1\nname = "linked"\nselection_mode = "linked"\n', encoding="utf-8")
    seq = _run(call_copy, tmp_path, capsys)
    linked = _run(call_copy, tmp_path, capsys, "--scenario", "linked")
    m = re.search(r"the linked mode raises\s+stage 2's value from ([\d.]+) to\s+([\d.]+) and lowers stage 1's from "
                  r"([\d.]+) to ([\d.]+): stage 1 takes (.+?)\s+instead of (.+?), and stage 2 selects (.+?)\s+instead "
                  r"of (.+?) \(", SELECTION_MD, flags=re.S)
    assert m, "the linked-mode paragraph of docs/selection.md is gone"
    assert m.groups()[:4] == (seq[2]["value"], linked[2]["value"], seq[1]["value"], linked[1]["value"])

    def ids(words: str) -> set[str]:
        return set(re.findall(r"KP-\d+", words))

    s1, l1 = set(seq[1]["ids"].split(", ")), set(linked[1]["ids"].split(", "))
    assert (ids(m[5]), ids(m[6])) == (l1 - s1, s1 - l1)
    assert (ids(m[7]), ids(m[8])) == (set(linked[2]["ids"].split(", ")), set(seq[2]["ids"].split(", ")))
    b = re.search(r"as in stage 2 of the example \(([\d,]+) of\s+([\d,]+) DKK", SELECTION_MD)
    assert b and (b[1], b[2]) == (seq[2]["used"], seq[2]["budget"])
    assert seq[2]["used"] != seq[2]["budget"]  # money left, and yet binding, as the doc says
    assert f"regional co-financing per year within {seq[2]['budget']} DKK" in seq[2]["binding"]


USER_GUIDE = (ROOT / "docs" / "user-guide.md").read_text(encoding="utf-8")


def _block_after(marker: str) -> list[str]:
    """The lines of the first fenced block after ``marker`` in the user guide ("..." lines left out)."""
    rest = USER_GUIDE[USER_GUIDE.index(marker) + len(marker):]
    start = rest.index("\n", rest.index("```")) + 1
    lines = [ln for ln in rest[start:rest.index("```", start)].splitlines() if ln.strip() and ln.strip() != "..."]
    assert lines, f"no block after {marker!r}"
    return lines


def test_user_guide_console_and_reason_match_a_real_run(call_copy, tmp_path, capsys):
    assert main(["run", str(call_copy), "--out", str(tmp_path / "runs")]) == 0
    text = capsys.readouterr().out
    stage1 = text.split("== Stage 2")[0].splitlines()
    for line in _block_after("shows the ranking of each stage and then, for stage 1:"):
        line = line.removesuffix("; ...")
        assert any(real.startswith(line) for real in stage1), line
    import pandas as pd

    (run,) = (tmp_path / "runs").iterdir()
    table = pd.read_csv(run / "selection-stage1.csv", dtype={"application_id": str})
    quoted = " ".join(_block_after("A ranking deviation always needs an explanation"))
    m = re.fullmatch(r"(KP-\d+), rank (\d+): (.+)", quoted)
    assert m, quoted
    row = table[table["application_id"] == m[1]].iloc[0]
    assert (int(row["rank"]), row["reason"]) == (int(m[2]), m[3])


def test_user_guide_scenarios_table_matches_a_real_run(call_copy, tmp_path, capsys):
    assert main(["scenarios", str(call_copy), "--out", str(tmp_path / "runs")]) == 0
    real = capsys.readouterr().out.splitlines()
    for line in _block_after("selection scenarios examples/kreative-partnerskaber --out /tmp/ug-runs\n```"):
        assert line in real, line
