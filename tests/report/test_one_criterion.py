"""A call with one criterion has no weight to vary: the sensitivity run writes empty weight-stability
and weight-sweep tables, and the report says why instead of drawing empty figures (it drew one with
a singular axis and a matplotlib warning)."""

from __future__ import annotations

import sys
import warnings
from pathlib import Path

import pytest

from selection.cli import main

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def one_criterion_runs(tmp_path_factory) -> tuple[Path, Path]:
    sys.path.insert(0, str(ROOT / "benchmarks"))
    try:
        from callgen import write_one_criterion_call
    finally:
        sys.path.remove(str(ROOT / "benchmarks"))
    tmp = tmp_path_factory.mktemp("one-criterion")
    call = write_one_criterion_call(tmp / "call", 40)
    assert main(["run", str(call), "--out", str(tmp / "runs"), "--quiet"]) == 0
    assert main(["sensitivity", str(call), "--samples", "30", "--out", str(tmp / "runs")]) == 0
    run = next(p for p in (tmp / "runs").iterdir() if p.name.endswith("-baseline"))
    sens = next(p for p in (tmp / "runs").iterdir() if p.name.endswith("-sensitivity"))
    return run, sens


@pytest.mark.parametrize(("lang", "said", "not_said"), [
    ("en", "The call has one criterion, so there is no weight to vary", "Weight ranges within which"),
    ("da", "Opslaget har ét kriterium, så der er ingen vægt at variere", "Vægtspænd, inden for hvilke"),
])
def test_report_says_there_is_no_weight_to_vary(one_criterion_runs, lang, said, not_said):
    run, sens = one_criterion_runs
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no matplotlib warning from an empty figure
        assert main(["report", str(run), "--sensitivity", str(sens), "--lang", lang]) == 0
    html = (run / ("report.html" if lang == "en" else "report.da.html")).read_text(encoding="utf-8")
    assert said in html
    assert not_said not in html  # neither the empty figure nor the empty table
