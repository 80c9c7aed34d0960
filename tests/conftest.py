"""Shared fixtures: the bundled example call, and a scratch copy of it that tests may change."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "kreative-partnerskaber"
CRITERIA = ROOT / "criteria"


@pytest.fixture(scope="session")
def example_dir() -> Path:
    return EXAMPLE


@pytest.fixture
def call_copy(tmp_path: Path) -> Path:
    """A copy of the example call (with the criteria folder beside it, as the call file expects)."""
    dst = tmp_path / "examples" / "kreative-partnerskaber"
    shutil.copytree(EXAMPLE, dst, ignore=shutil.ignore_patterns("runs"))
    shutil.copytree(CRITERIA, tmp_path / "criteria")
    return dst


@pytest.fixture(scope="session")
def example_folder():
    from selection.pipeline import load_call_folder

    return load_call_folder(EXAMPLE)


@pytest.fixture(scope="session")
def example_result(example_folder):
    from selection.pipeline import run_call

    return run_call(example_folder)
