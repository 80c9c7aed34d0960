"""No module reaches into another part of the package for a private name (``from selection.rank.ties
import _ALIASES`` in sensitivity/engine.py did): what one package shares with another is public
(in its ``__all__``). Imports within one package (``select.linked`` from ``select.program``) are its own business."""

from __future__ import annotations

import ast
from pathlib import Path

import selection

ROOT = Path(selection.__file__).parent


def _part(module: str) -> str:
    """The top-level part of the package a module belongs to (``selection.rank.ties`` -> ``rank``)."""
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else ""


def test_no_private_name_is_imported_across_packages():
    found = []
    for path in sorted(ROOT.rglob("*.py")):
        rel = path.relative_to(ROOT.parent).with_suffix("")
        module = ".".join(rel.parts[:-1] if rel.name == "__init__" else rel.parts)
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.ImportFrom) and node.module and node.module.startswith("selection.")):
                continue
            if _part(node.module) == _part(module):
                continue
            found += [f"{module}: from {node.module} import {a.name}" for a in node.names
                      if a.name.startswith("_") and not a.name.startswith("__")]
    assert found == [], "import the public name instead:\n" + "\n".join(found)


def test_the_tie_helpers_the_sensitivity_engine_uses_are_public():
    from selection.rank import ties

    assert {"STEP_ALIASES", "attribute_key", "canonical_step"} <= set(ties.__all__)
    assert [ties.canonical_step(s) for s in ("rural", "focus_area_coverage", "lottery")] == [
        "attribute:rural", "coverage:focus_area", "lottery"]
