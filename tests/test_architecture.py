"""Import boundaries (docs/architecture.md), checked in a fresh interpreter per module."""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: module -> packages it must not import (directly or indirectly)
FORBIDDEN = {
    "selection": ["matplotlib", "pulp", "highspy"],
    "selection.errors": ["selection.model", "selection.io", "pandas", "numpy", "pydantic"],
    "selection.model": ["numpy", "pandas", "pulp", "matplotlib"],
    "selection.vocabulary": ["selection.model", "numpy", "pandas", "pulp", "matplotlib"],
    "selection.io": ["pulp", "matplotlib"],
    "selection.aggregate": ["selection.io", "pulp", "matplotlib"],
    "selection.rank": ["selection.io", "pulp", "matplotlib"],
    "selection.select": ["selection.io", "matplotlib"],
    "selection.pipeline": ["matplotlib"],
    "selection.scenario": ["matplotlib", "pulp"],
    "selection.cli": ["matplotlib", "pulp", "pandas"],
    "selection.sensitivity": ["matplotlib", "pulp"],
    "selection.bayes": ["selection.io", "matplotlib"],
    "selection.runs": ["matplotlib"],
    # plotting draws result frames: it never imports the computing packages
    "selection.plot": ["selection.aggregate", "selection.rank", "selection.select", "selection.sensitivity",
                       "selection.pipeline", "pulp", "highspy"],
    # the report reads run folders only
    "selection.report": ["selection.aggregate", "selection.rank", "selection.select", "selection.sensitivity",
                         "selection.pipeline", "pulp", "highspy"],
}


@pytest.mark.parametrize("module", sorted(FORBIDDEN))
def test_import_boundaries(module):
    code = f"import sys, json, {module}; print(json.dumps(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    loaded = set(json.loads(out))
    bad = [f for f in FORBIDDEN[module] if f in loaded or any(m.startswith(f + ".") for m in loaded)]
    assert not bad, f"{module} imports {bad}"


def test_every_subpackage_is_packaged():
    listed = set(tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["packages"])
    found = {".".join(p.parent.relative_to(ROOT).parts) for p in (ROOT / "selection").rglob("__init__.py")}
    assert found <= listed, f"add {sorted(found - listed)} to [tool.setuptools] packages in pyproject.toml"


def test_readme_commands_exist():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    targets = set(re.findall(r"^([a-z-]+):", makefile, re.M))
    for cmd in re.findall(r"^\s*(make [a-z-]+)\s*$", readme, re.M):
        assert cmd.split()[1] in targets
    assert "make demo" in readme and "make test" in readme
    ci = (ROOT / ".ci" / "run").read_text()
    assert "make test" in ci
