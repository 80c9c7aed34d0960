"""Fixtures for the sensitivity tests: the example call and its baseline run (computed once)."""

from __future__ import annotations

from pathlib import Path

import pytest

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "kreative-partnerskaber"


@pytest.fixture(scope="session")
def example_run():
    from selection.pipeline import load_call_folder, run_call

    folder = load_call_folder(EXAMPLE)
    return folder, run_call(folder)


@pytest.fixture(scope="session")
def example_context(example_run):
    from selection.sensitivity import build_context

    return build_context(*example_run)
