"""Import boundaries (docs/architecture.md), checked in a fresh interpreter per module."""

from __future__ import annotations

import ast
import importlib
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
    "selection": ["matplotlib", "pulp", "highspy", "dask", "distributed"],
    "selection.errors": ["selection.model", "selection.io", "pandas", "numpy", "pydantic"],
    "selection.model": ["numpy", "pandas", "pulp", "matplotlib"],
    # the ranking-method registry: names and parameters only, kernels load on first use
    "selection.ranking_methods": ["selection.rank", "numpy", "pandas", "pulp", "matplotlib"],
    "selection.vocabulary": ["selection.model", "numpy", "pandas", "pulp", "matplotlib"],
    "selection.io": ["pulp", "matplotlib"],
    "selection.aggregate": ["selection.io", "pulp", "matplotlib"],
    "selection.rank": ["selection.io", "pulp", "matplotlib"],
    "selection.select": ["selection.io", "selection.words", "matplotlib"],
    # decision records: data only, importable by every layer
    "selection.decisions": ["selection.model", "numpy", "pandas", "pulp", "matplotlib"],
    # the glossary renders records at the edges; it needs no computing module
    "selection.words": ["selection.select", "selection.rank", "selection.aggregate", "selection.pipeline",
                        "pulp", "highspy", "matplotlib"],
    # expert assignment uses the MILP modeller like select; reads and writes no files
    "selection.assign": ["selection.io", "matplotlib"],
    # the board's decision file: read, checked and compared with the recommendation; no computing
    "selection.board": ["selection.select", "selection.rank", "selection.aggregate", "selection.pipeline",
                        "numpy", "pandas", "pulp", "matplotlib"],
    # jobs in a forked worker process: generic, it knows no part of the engine
    "selection.background": ["selection.model", "selection.io", "selection.aggregate", "selection.pipeline",
                             "numpy", "pandas", "pulp", "matplotlib"],
    "selection.pipeline": ["matplotlib"],
    "selection.scenario": ["matplotlib", "pulp"],
    # applying a scenario's overrides: models only (the pipeline imports it, so it must not import the pipeline)
    "selection.overrides": ["selection.pipeline", "selection.scenario", "numpy", "pandas", "pulp", "matplotlib"],
    "selection.cli": ["matplotlib", "pulp", "pandas", "dask", "distributed"],
    # Dask (the optional cluster extra) loads only when a scheduler is used
    "selection.sensitivity": ["matplotlib", "pulp", "dask", "distributed"],
    "selection.sensitivity.distributed": ["matplotlib", "pulp", "dask", "distributed"],
    "selection.bayes": ["selection.io", "matplotlib"],
    "selection.runs": ["matplotlib"],
    # the run-folder schema and its reader: writers and readers (the report) share it
    "selection.schema": ["numpy", "pandas", "pulp", "matplotlib", "selection.model", "selection.rank"],
    # plotting draws result frames: it never imports the computing packages
    "selection.plot": ["selection.aggregate", "selection.rank", "selection.select", "selection.sensitivity",
                       "selection.pipeline", "pulp", "highspy"],
    # the workbench: engine functions and the CLI in a worker process; it draws nothing itself
    "selection.web": ["matplotlib"],
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


# -- import graph, py.typed, __all__ ----------------------------------------------------------------

SELECTION = ROOT / "selection"


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _import_graph() -> dict[str, set[str]]:
    """module -> the selection modules it imports anywhere in its source (also inside functions:
    a lazy import still makes a cycle)."""
    paths = {_module_name(p): p for p in SELECTION.rglob("*.py")}

    def resolve(name: str) -> str:
        while name and name not in paths:
            name = name.rpartition(".")[0]
        return name

    graph: dict[str, set[str]] = {m: set() for m in paths}
    for mod, path in paths.items():
        package = mod if path.name == "__init__.py" else mod.rpartition(".")[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [a.name for a in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    up = package.split(".")[: len(package.split(".")) - node.level + 1]
                    base = ".".join(up + ([base] if base else []))
                targets = [f"{base}.{a.name}" for a in node.names]
            else:
                continue
            for t in targets:
                if t.split(".")[0] == "selection":
                    target = resolve(t)
                    # importing a parent package from inside it is not a cycle worth naming
                    if target != mod and not mod.startswith(target + "."):
                        graph[mod].add(target)
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan 1972,
    doi:10.1137/0201010)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    out: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(graph[v]):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(graph):
        if v not in index:
            visit(v)
    return out


def test_cycle_finder_finds_a_cycle():
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]
    assert _cycles({"a": {"b"}, "b": set()}) == []


def test_no_import_cycles():
    cycles = _cycles(_import_graph())
    assert not cycles, ("modules that import each other (directly or round a loop; lazy imports "
                        f"count): {cycles}; move the shared part into a lower module")


def test_package_is_typed():
    """PEP 561: the marker exists and is installed with the package."""
    assert (SELECTION / "py.typed").is_file()
    data = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["setuptools"]["package-data"]
    assert "py.typed" in data["selection"]


def test_mypy_runs_in_ci():
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    recipe = makefile.split("\ntest:", 1)[1].split("\n\n", 1)[0]
    assert "-m mypy selection" in recipe
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())
    assert any(d.startswith("mypy") for d in project["project"]["optional-dependencies"]["test"])
    assert project["tool"]["mypy"]["files"] == ["selection"]


def _declared_all(tree: ast.Module) -> list[str] | None:
    for node in tree.body:
        targets = (node.targets if isinstance(node, ast.Assign)
                   else [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id == "__all__" for t in targets):
            return list(ast.literal_eval(node.value))
    return None


def _package_public_names(tree: ast.Module, package: str) -> set[str]:
    """Names a package's ``__init__`` defines or re-exports from its own modules (not helpers it
    imports from elsewhere for its own use), without a leading underscore."""
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
        elif isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith(package + ".")):
            names.update(a.asname or a.name for a in node.names)
    return {n for n in names if not n.startswith("_") or n == "__version__"}


PACKAGES = sorted(_module_name(p) for p in SELECTION.rglob("__init__.py"))


def _texts() -> dict[Path, str]:
    """Where a public name may be used: the package, the tests, the notebooks and the docs."""
    files = [p for base in ("selection", "tests", "notebooks", "docs", "examples", "benchmarks")
             for p in (ROOT / base).rglob("*") if p.suffix in (".py", ".md", ".ipynb")]
    files.append(ROOT / "README.md")
    return {p: p.read_text(encoding="utf-8", errors="replace") for p in files if p.is_file()}


@pytest.mark.parametrize("package", PACKAGES)
def test_public_names_match_all_and_are_used(package):
    init = SELECTION.joinpath(*package.split(".")[1:], "__init__.py")
    tree = ast.parse(init.read_text(encoding="utf-8"))
    declared = _declared_all(tree)
    public = _package_public_names(tree, package) - {"annotations"}
    if declared is None:
        assert not public, f"{package} exports {sorted(public)} but has no __all__"
        return
    assert len(declared) == len(set(declared)), f"{package}.__all__ repeats a name"
    mod = importlib.import_module(package)
    missing = [n for n in declared if not hasattr(mod, n)]
    assert not missing, f"{package}.__all__ names what the package does not have: {missing}"
    # names bound lazily (a module __getattr__) are checked above; the rest must match exactly
    assert public <= set(declared), f"{package}: public but not in __all__: {sorted(public - set(declared))}"
    texts = _texts()
    unused = []
    for name in declared:
        obj = getattr(mod, name)
        skip = {init}
        home = getattr(obj, "__module__", None)
        if isinstance(home, str) and home.startswith("selection."):
            skip |= {ROOT / (home.replace(".", "/") + ".py"), ROOT / home.replace(".", "/") / "__init__.py"}
        word = re.compile(rf"\b{re.escape(name)}\b")
        if not any(word.search(t) for p, t in texts.items() if p not in skip):
            unused.append(name)
    assert not unused, (f"{package}.__all__ names that nothing in selection/, tests/, notebooks/ or docs/ "
                        f"uses: {unused}; use or document them, or drop them from __all__")
