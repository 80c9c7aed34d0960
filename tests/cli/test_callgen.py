"""The benchmark calls (benchmarks/callgen.py) are clean inputs: the CLI reads them without a
single warning (the one-criterion call's applications.csv carried the example's attribute columns
with no vocabulary declaring them: "unknown column 'partners_international' is not read" and eleven more)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from selection.cli import main


@pytest.fixture(scope="module")
def callgen():
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    try:
        import callgen
    finally:
        sys.path.pop(0)
    return callgen


@pytest.mark.parametrize("kind", ["two-stage", "one-criterion"])
def test_generated_calls_validate_without_warnings(callgen, tmp_path, capsys, kind):
    from selection.pipeline import load_call_folder

    out = tmp_path / kind
    if kind == "two-stage":
        callgen.write_call(out, 120)
    else:
        callgen.write_one_criterion_call(out, 120)
    assert load_call_folder(out).warnings == ()
    assert main(["validate", str(out)]) == 0
    captured = capsys.readouterr()
    assert "Warning" not in captured.out + captured.err, captured.out + captured.err
