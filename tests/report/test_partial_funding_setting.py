"""The report's stage table says when a stage may fund at a reduced amount (partial funding): the
reasons carried the amounts, but the stage's setting itself was in no table. A call without partial
funding keeps the table as it was (no column)."""

from __future__ import annotations

from pathlib import Path

import pytest

from selection.cli import main

SCENARIO = '''schema_version = 1
name = "pf"
description = "Partnerships may be funded at 80 % or more of the amount asked"

[stages.1]
partial_funding = { min_share = "80 %" }
'''


@pytest.fixture(scope="module")
def runs(tmp_path_factory, example_dir) -> dict[str, Path]:
    import shutil

    root = tmp_path_factory.mktemp("pf")
    call = root / "examples" / "kp"
    shutil.copytree(example_dir, call, ignore=shutil.ignore_patterns("runs"))
    shutil.copytree(example_dir.parent.parent / "criteria", root / "criteria")
    (call / "scenarios" / "pf.toml").write_text(SCENARIO, encoding="utf-8")
    out = {}
    for name in ("pf", None):
        args = ["run", str(call), "--out", str(root / "runs"), "--quiet"] + (["--scenario", name] if name else [])
        assert main(args) == 0
        out[name or "baseline"] = next(p for p in (root / "runs").iterdir() if p.name.endswith(f"-{name or 'baseline'}"))
    return out


@pytest.mark.parametrize(("lang", "header", "words"), [
    ("en", "Partial funding", "at least 80% of the requested amount"),
    ("da", "Delvis bevilling", "mindst 80\u00a0% af det ansøgte beløb"),
])
def test_stage_table_says_the_partial_funding_setting(runs, lang, header, words):
    for name, run in runs.items():
        assert main(["report", str(run), "--lang", lang]) == 0
        html = (run / ("report.html" if lang == "en" else "report.da.html")).read_text(encoding="utf-8")
        if name == "pf":
            assert header in html and words in html
        else:
            assert header not in html
