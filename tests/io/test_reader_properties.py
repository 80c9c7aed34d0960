"""Property-based tests (hypothesis) of every input reader this package owns: whatever the file
holds, only the project's own error classes escape, and what is accepted is valid.

- call, catalogue and scenario TOML: any value of any key replaced by any TOML literal (numbers
  incl. nan/inf, text, booleans, arrays, tables), and arbitrary bytes;
- applications, experts and assignments tables: structured garbage under their real headers;
- CSV score files: a score file written in any supported dialect (``,``/``;``, decimal point or
  comma, UTF-8 with or without BOM, Windows-1252, an Excel ``sep=`` line, LF or CRLF, long or
  wide) reads back exactly, or is refused with a located error — never misread.
"""

from __future__ import annotations

import math
import re
import shutil
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection.errors import (
    ApplicationError,
    CallError,
    CatalogueError,
    InputError,
    ScenarioError,
    SelectionError,
)
from selection.io.scores import read_score_files
from selection.io.tables import FORMULA_STARTS, read_applications, read_assignments, read_experts
from selection.io.toml import load_call, load_catalogue, read_toml
from selection.overrides import load_scenario

PROPS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "kreative-partnerskaber"

LITERALS = ["nan", "-nan", "inf", "+inf", "-inf", "1e400", "0", "-1", "1", "8", "8.0", "0.5", "2.5", "-0.0",
            "1_000_000", '"8"', '"0.5"', '"nan"', '""', '"x"', '"true"', "true", "false", "[]", "[1, 2]",
            '["a"]', "{}", "{ min = 0, max = inf, step = 0.5 }", "{ a = 1 }", "1979-05-27", "0x10"]
_KEY_LINE = re.compile(r"^(\s*[A-Za-z_][A-Za-z0-9_.]*\s*=\s*)(.+)$")


def _mutate(text: str, which: int, literal: str) -> str:
    """Replace the value of the ``which``-th single-line ``key = value`` line by ``literal``."""
    lines = text.split("\n")
    keyed = [i for i, ln in enumerate(lines) if _KEY_LINE.match(ln) and not ln.rstrip().endswith(("[", "{"))]
    i = keyed[which % len(keyed)]
    lines[i] = _KEY_LINE.sub(lambda m: m.group(1) + literal, lines[i])
    return "\n".join(lines)


def _finite(x) -> bool:
    """Every float anywhere in a dumped model is finite."""
    if isinstance(x, float):
        return math.isfinite(x)
    if isinstance(x, dict):
        return all(_finite(v) for v in x.values())
    if isinstance(x, (list, tuple, set, frozenset)):
        return all(_finite(v) for v in x)
    return True


def _copy_call(tmp_path: Path) -> Path:
    root = tmp_path / "examples" / "kp"
    if not root.exists():
        shutil.copytree(EXAMPLE, root, ignore=shutil.ignore_patterns("runs", "scores"))
        shutil.copytree(ROOT / "criteria", tmp_path / "criteria")
    return root


@PROPS
@given(which=st.integers(0, 400), literal=st.sampled_from(LITERALS))
def test_call_file_any_value_of_any_key(tmp_path, which, literal):
    root = _copy_call(tmp_path)
    original = (EXAMPLE / "call.toml").read_text(encoding="utf-8")
    (root / "call.toml").write_text(_mutate(original, which, literal), encoding="utf-8")
    try:
        call, cats = load_call(root / "call.toml")
    except (CallError, CatalogueError) as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return
    assert _finite(call.model_dump()) and all(_finite(c.model_dump()) for c in cats.values())


@PROPS
@given(which=st.integers(0, 400), literal=st.sampled_from(LITERALS))
def test_catalogue_any_value_of_any_key(tmp_path, which, literal):
    f = tmp_path / "c.toml"
    f.write_text(_mutate((ROOT / "criteria" / "kreative-partnerskaber-stage1.toml").read_text(encoding="utf-8"),
                         which, literal), encoding="utf-8")
    try:
        cat = load_catalogue(f)
    except CatalogueError as exc:
        assert exc.problems and all(str(f) in (p.file or "") for p in exc.problems)
        return
    assert _finite(cat.model_dump())
    assert all(isinstance(c.weight, float) and c.weight >= 0 for c in cat.criteria)


@PROPS
@given(name=st.sampled_from(sorted(p.name for p in (EXAMPLE / "scenarios").glob("*.toml"))),
       which=st.integers(0, 60), literal=st.sampled_from(LITERALS))
def test_scenario_any_value_of_any_key(tmp_path, name, which, literal):
    f = tmp_path / name
    f.write_text(_mutate((EXAMPLE / "scenarios" / name).read_text(encoding="utf-8"), which, literal), encoding="utf-8")
    try:
        scen = load_scenario(f)
    except ScenarioError as exc:
        assert exc.problems
        return
    assert _finite(scen.model_dump())


@PROPS
@given(data=st.binary(max_size=300))
def test_toml_readers_arbitrary_bytes(tmp_path, data):
    f = tmp_path / "x.toml"
    f.write_bytes(data)
    for reader in (lambda: read_toml(f, CallError), lambda: load_catalogue(f), lambda: load_call(f),
                   lambda: load_scenario(f)):
        try:
            reader()
        except InputError as exc:
            assert exc.problems


# -- tables -----------------------------------------------------------------------------------------

_CELLS = st.one_of(st.sampled_from(["KP-01", "KP-02", "E01", "=1+2", "-KP", "+x", "@x", "\tKP", "", " ", "250000",
                                    "250.000", "2,5", "music", "music | design", "tourism", "Aarhus", "true",
                                    "ja", "måske", "1", "-1", "nan", "x" * 40, '"a,b"', "Søren Ærø", "KP-01 | KP-02"]),
                   st.text(max_size=6))


def _table_text(header: list[str], rows: list[list[str]], sep: str) -> str:
    def q(c: str) -> str:
        return f'"{c}"' if (sep in c or "\n" in c) and '"' not in c else c
    return "\n".join(sep.join(q(c) for c in r) for r in [header, *rows]) + "\n"


def _header(name: str) -> list[str]:
    return (EXAMPLE / name).read_text(encoding="utf-8").splitlines()[0].split(",")


@PROPS
@given(rows=st.lists(st.lists(_CELLS, min_size=1, max_size=20), max_size=5), sep=st.sampled_from([",", ";"]),
       drop=st.integers(0, 30), dup=st.booleans(), enc=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
def test_tables_structured_garbage(tmp_path, example_folder, rows, sep, drop, dup, enc):
    ids = set(example_folder.applications)
    for name in ("applications.csv", "experts.csv", "assignments.csv"):
        header = _header(name)
        if drop < len(header):
            header = header[:drop] + header[drop + 1:]
        if dup and header:
            header = [*header, header[0]]
        f = tmp_path / name
        f.write_bytes(_table_text(header, rows, sep).encode(enc, errors="replace"))
        try:
            if name == "applications.csv":
                out = read_applications(f, example_folder.call.attributes)
                got = [a.id for a in out]
            elif name == "experts.csv":
                out = read_experts(f, ids)
                got = [e.id for e in out]
            else:
                out = read_assignments(f, set(example_folder.experts), ids)
                got = [*out, *(a for s in out.values() for a in s)]
        except (ApplicationError, InputError) as exc:
            assert exc.problems and all(p.file for p in exc.problems)
            continue
        assert not any(i.startswith(FORMULA_STARTS) for i in got), got


# -- score files in every dialect -----------------------------------------------------------------

_SCORE = st.one_of(st.integers(0, 10).map(lambda k: k / 2), st.just(None))


@PROPS
@given(scores=st.lists(_SCORE, min_size=8, max_size=8), layout=st.sampled_from(["long", "wide"]),
       sep=st.sampled_from([",", ";"]), decimal_comma=st.booleans(), quote_numbers=st.booleans(),
       enc=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]), sep_line=st.booleans(), crlf=st.booleans(),
       comment=st.text("abcæøåÆØÅ -;,", max_size=8), app=st.sampled_from(["KP-01", "KP-03"]))
def test_score_file_in_any_dialect_reads_back_exactly_or_is_refused(tmp_path, kp, scores, layout, sep, decimal_comma,
                                                                     quote_numbers, enc, sep_line, crlf, comment, app):
    ctx = kp[1]
    crits = ctx.catalogue.criterion_ids

    def num(x):
        if x is None:
            return "afstår"
        t = f"{x:g}"
        t = t.replace(".", ",") if decimal_comma else t
        return f'"{t}"' if quote_numbers else t

    def text(c: str) -> str:
        return f'"{c}"' if (sep in c or "," in c or ";" in c) else c

    if layout == "wide":
        lines = [sep.join(["expert_id", "application_id", *crits, "comment"]),
                 sep.join(["E01", app, *map(num, scores), text(comment)])]
    else:
        lines = [sep.join(["expert_id", "application_id", "criterion_id", "score", "comment"])]
        lines += [sep.join(["E01", app, c, num(x), text(comment)]) for c, x in zip(crits, scores, strict=True)]
    if sep_line:
        lines.insert(0, f"sep={sep}")
    nl = "\r\n" if crlf else "\n"
    f = tmp_path / "s.csv"
    f.write_bytes((nl.join(lines) + nl).encode(enc))
    try:
        frame = read_score_files([f], ctx)
    except SelectionError as exc:
        assert exc.problems and all(p.file for p in exc.problems)
        # refused only where the dialect is ambiguous: an unquoted decimal comma in a comma file
        assert decimal_comma and sep == "," and not quote_numbers and any(
            x is not None and x != int(x) for x in scores), [str(p) for p in exc.problems]
        return
    got = frame.set_index("criterion_id").loc[crits]
    assert [None if a else s for s, a in zip(got["score"], got["abstained"], strict=True)] == scores
    assert set(got["comment"]) == {comment.strip()}
    assert set(got["application_id"]) == {app} and set(got["expert_id"]) == {"E01"}
