"""A malformed-input corpus over every input file of a call folder (issue 11).

Each case copies the example call (with its criteria folder) to a temporary folder, damages ONE
thing the way a secretariat, a careless expert or a dishonest one would, and runs the real command
line in-process (:func:`selection.cli.main`): ``selection run`` and ``selection validate``. Each
must end with exit code 1, a message that names the place (file and row, cell, column or key), no
traceback, no run folder written, and every input file byte-identical to before (SHA-256).

The cases are data: ``(id, damage, where)``; ``damage(root)`` changes the copy (``root`` is the
call folder; the criteria folder is ``root.parent.parent / "criteria"``) and ``where`` is a list
of texts that must all appear in the error report.
"""

from __future__ import annotations

import csv
import hashlib
import io
import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path

import pytest

from selection.cli import main

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "kreative-partnerskaber"
CRITERIA = ROOT / "criteria"
CAT1 = "criteria/kreative-partnerskaber-stage1.toml"
CAT2 = "criteria/kreative-partnerskaber-stage2.toml"
WIDE1 = "scores/stage1/expert-03.csv"  # comma, wide
SEMI1 = "scores/stage1/expert-04.csv"  # semicolon, decimal comma, cp1252, CRLF
LONG1 = "scores/stage1/expert-01.csv"  # comma, long
WIDE2 = "scores/stage2/business-plans-E01.csv"
CRIT1 = ["vaerditilvaekst", "kreativ_innovation", "partnerskab", "tvaerfaglighed", "udsyn", "mod_og_risiko",
         "skalerbarhed", "spillover"]


# -- damage helpers (structural, so that they survive edits of the example's values) ----------

def _path(root: Path, rel: str) -> Path:
    return (root.parent.parent / rel) if rel.startswith("criteria/") else root / rel


def _read(root: Path, rel: str) -> tuple[str, str]:
    data = _path(root, rel).read_bytes()
    try:
        return data.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        return data.decode("cp1252"), "cp1252"


def _write(root: Path, rel: str, text: str, enc: str = "utf-8") -> None:
    p = _path(root, rel)
    p.parent.mkdir(parents=True, exist_ok=True)
    p.write_bytes(text.encode(enc))


def sub(rel: str, pattern: str, new: str) -> Callable[[Path], None]:
    """Replace the first match of a regular expression (multi-line) in a text file."""
    def damage(root: Path) -> None:
        text, enc = _read(root, rel)
        out, n = re.subn(pattern, new, text, count=1, flags=re.M)
        assert n == 1, (rel, pattern)
        _write(root, rel, out, enc)
    return damage


def toml_key(rel: str, key: str, value: str, table: str | None = None, index: int = 0) -> Callable[[Path], None]:
    """Set ``key = value`` at the top of a TOML file (``table=None``) or in the ``index``-th
    ``[[table]]`` (replacing the key's line, or adding it just below the table's header)."""
    def damage(root: Path) -> None:
        text, enc = _read(root, rel)
        lines = text.split("\n")
        heads = [i for i, ln in enumerate(lines) if ln.strip().startswith("[")]
        if table is None:
            lo, hi = 0, (heads[0] if heads else len(lines))
        else:
            mine = [i for i in heads if lines[i].strip() == f"[[{table}]]"]
            lo = mine[index] + 1
            hi = next((i for i in heads if i > mine[index]), len(lines))
        hit = next((i for i in range(lo, hi) if re.match(rf"^{re.escape(key)}\s*=", lines[i])), None)
        if hit is not None:
            lines[hit] = f"{key} = {value}"
        else:
            lines.insert(lo if table is not None else max(lo, _after_comments(lines, hi)), f"{key} = {value}")
        _write(root, rel, "\n".join(lines), enc)
    return damage


def _after_comments(lines: list[str], hi: int) -> int:
    return hi


def delete_key(rel: str, key: str) -> Callable[[Path], None]:
    return sub(rel, rf"^{re.escape(key)}\s*=.*$", "")


def _table(root: Path, rel: str) -> tuple[list[list[str]], str, str, str]:
    text, enc = _read(root, rel)
    nl = "\r\n" if "\r\n" in text else "\n"
    first = text.split("\n", 1)[0]
    sep = ";" if first.count(";") > first.count(",") else ","
    rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=sep))
    return rows, sep, nl, enc


def _save(root: Path, rel: str, rows: list[list[str]], sep: str, nl: str, enc: str) -> None:
    buf = io.StringIO()
    csv.writer(buf, delimiter=sep, lineterminator=nl).writerows(rows)
    _write(root, rel, buf.getvalue(), enc)


def cell(rel: str, row: int, column: str, value: str) -> Callable[[Path], None]:
    """Set one cell of a CSV table (``row`` as the file's line number, 2 = first data row)."""
    def damage(root: Path) -> None:
        rows, sep, nl, enc = _table(root, rel)
        rows[row - 1][rows[0].index(column)] = value
        _save(root, rel, rows, sep, nl, enc)
    return damage


def header(rel: str, column: str, new: str) -> Callable[[Path], None]:
    """Rename a column of a CSV table."""
    def damage(root: Path) -> None:
        rows, sep, nl, enc = _table(root, rel)
        rows[0][rows[0].index(column)] = new
        _save(root, rel, rows, sep, nl, enc)
    return damage


def add_column(rel: str, name: str, fill: str = "") -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        rows, sep, nl, enc = _table(root, rel)
        rows = [[*r, name if i == 0 else fill] for i, r in enumerate(rows)]
        _save(root, rel, rows, sep, nl, enc)
    return damage


def add_row(rel: str, values: dict[str, str] | Callable[[Path], dict[str, str]]) -> Callable[[Path], None]:
    """Append a row (cells by column name; others left empty)."""
    def damage(root: Path) -> None:
        rows, sep, nl, enc = _table(root, rel)
        v = values(root) if callable(values) else values
        rows.append([v.get(h, "") for h in rows[0]])
        _save(root, rel, rows, sep, nl, enc)
    return damage


def copy_row(rel: str, row: int, **changes: str) -> Callable[[Path], None]:
    """Append a copy of a row with some cells changed."""
    def damage(root: Path) -> None:
        rows, sep, nl, enc = _table(root, rel)
        new = list(rows[row - 1])
        for k, v in changes.items():
            new[rows[0].index(k)] = v
        rows.append(new)
        _save(root, rel, rows, sep, nl, enc)
    return damage


def add_raw(rel: str, text: str) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        old, enc = _read(root, rel)
        _write(root, rel, old + text, enc)
    return damage


def put(rel: str, data: bytes | str) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        p = _path(root, rel)
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_bytes(data if isinstance(data, bytes) else data.encode("utf-8"))
    return damage


def put_after(rel: str, data: bytes) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        p = _path(root, rel)
        p.write_bytes(p.read_bytes() + data)
    return damage


def utf16(rel: str) -> Callable[[Path], None]:
    """Save a table as Excel's "Unicode text" does: UTF-16 LE with a BOM, tab separated."""
    def damage(root: Path) -> None:
        rows, _sep, _nl, _enc = _table(root, rel)
        _path(root, rel).write_bytes("\r\n".join("\t".join(r) for r in rows).encode("utf-16"))
    return damage


def magic(rel: str, head: bytes) -> Callable[[Path], None]:
    """A workbook saved under the table's .csv name."""
    return put(rel, head + b"\x14\x00\x06\x00" + b"\x00" * 60 + b"[Content_Types].xml")


def remove(rel: str) -> Callable[[Path], None]:
    return lambda root: _path(root, rel).unlink()


def symlink(rel: str, target: str) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        os.symlink(target, _path(root, rel))
    return damage


def both(*damages: Callable[[Path], None]) -> Callable[[Path], None]:
    def damage(root: Path) -> None:
        for d in damages:
            d(root)
    return damage


def _unassigned(expert: str) -> Callable[[Path], str]:
    """An application not assigned to ``expert`` in the copy's assignments.csv."""
    def find(root: Path) -> str:
        rows, *_ = _table(root, "assignments.csv")
        mine = {r[1] for r in rows[1:] if r and r[0] == expert}
        apps, *_ = _table(root, "applications.csv")
        return next(r[0] for r in apps[1:] if r and r[0] not in mine)
    return find


def outside_long(root: Path) -> None:
    app = _unassigned("E01")(root)
    add_row(LONG1, {"expert_id": "E01", "application_id": app, "criterion_id": "udsyn", "score": "5"})(root)
    add_row(LONG1, {"expert_id": "E01", "application_id": app, "criterion_id": "spillover", "score": "5"})(root)


def outside_wide(root: Path) -> None:
    app = _unassigned("E03")(root)
    copy_row(WIDE1, 2, application_id=app)(root)


def outside_new_file(root: Path) -> None:
    app = _unassigned("E05")(root)
    put("scores/stage1/extra-E05.csv", f"expert_id,application_id,criterion_id,score\nE05,{app},udsyn,5\n")(root)


PK = b"PK\x03\x04"
OLE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
S1 = "stages[0] (stage 1)"
S2 = "stages[1] (stage 2)"
CALL = "call.toml"
RBC = "scenarios/regional-budget-cut.toml"

# -- the corpus -----------------------------------------------------------------------------------

CASES: list[tuple[str, Callable[[Path], None], list[str]]] = [
    # call.toml: strict types, finite numbers, schema
    ("call-max-selected-text", toml_key(CALL, "max_selected", '"8"', "stages"),
     [f"call.toml, {S1}.max_selected: must be a whole number, not the text '8'", "write 8 without quotes"]),
    ("call-max-selected-float", toml_key(CALL, "max_selected", "8.0", "stages"),
     [f"call.toml, {S1}.max_selected: must be a whole number", "write 8 (no decimals)"]),
    ("call-budget-nan", toml_key(CALL, "budget", "nan", "stages"), ["call.toml, stages[0].budget: nan is not a finite number"]),
    ("call-budget-inf", toml_key(CALL, "budget", "inf", "stages"), ["call.toml, stages[0].budget: inf is not a finite number"]),
    ("call-share-minus-inf", toml_key(CALL, "max_regional_share", "-inf", "stages", 1),
     ["call.toml, stages[1].max_regional_share: -inf is not a finite number"]),
    ("call-share-too-big", toml_key(CALL, "max_regional_share", "1.5", "stages", 1), [f"call.toml, {S2}.max_regional_share"]),
    ("call-seed-negative", toml_key(CALL, "seed", "-1"), ["call.toml, seed:"]),
    ("call-seed-text", toml_key(CALL, "seed", '"2012"'), ["call.toml, seed: must be a whole number, not the text '2012'"]),
    ("call-seed-float", toml_key(CALL, "seed", "2012.5"), ["call.toml, seed: must be a whole number"]),
    ("call-schema-version", toml_key(CALL, "schema_version", "2"), ["call.toml, schema_version:"]),
    ("call-unknown-key", toml_key(CALL, "budgett", "5"), ["call.toml, budgett: unknown key"]),
    ("call-bad-id", toml_key(CALL, "id", '"Kreative Partnerskaber"'), ["call.toml, id:"]),
    ("call-name-missing", delete_key(CALL, "name"), ["call.toml, name: required key is missing"]),
    ("call-toml-syntax", toml_key(CALL, "max_selected", "= 8", "stages"), ["call.toml: not valid TOML"]),
    ("call-not-utf8", put_after(CALL, b"# \xe6\xf8\xe5 saved as Windows-1252\n"), ["call.toml: not UTF-8 text", "save as UTF-8"]),
    ("call-catalogue-missing", toml_key(CALL, "catalogue", '"missing.toml"', "stages"),
     ["call.toml, stages[0].catalogue: stage 1 names catalogue 'missing.toml', which does not exist"]),
    ("call-stage-numbers", toml_key(CALL, "number", "1", "stages", 1), ["call.toml", "stage numbers must be unique"]),
    ("call-from-stage-later", toml_key(CALL, "from_stage", "3", "stages", 1), ["call.toml", "not an earlier stage"]),
    ("call-min-experts-zero", toml_key(CALL, "min_experts", "0", "stages"), [f"call.toml, {S1}.min_experts"]),
    ("call-min-experts-text", toml_key(CALL, "min_experts", '"2"', "stages"), [f"call.toml, {S1}.min_experts: must be a whole number"]),
    ("call-aggregation-unknown", toml_key(CALL, "aggregation", '"average"', "stages"), [f"call.toml, {S1}.aggregation"]),
    ("call-max-selected-bool", toml_key(CALL, "max_selected", "true", "stages", 1),
     [f"call.toml, {S2}.max_selected: must be a whole number, not true/false True"]),
    ("call-reason-number", toml_key(CALL, "name", "2012", "stages"), [f"call.toml, {S1}.name: must be text, not the whole number 2012"]),
    ("call-calibration-unknown", toml_key(CALL, "calibration", '"z"', "stages"), [f"call.toml, {S1}.calibration"]),
    ("call-selection-mode", toml_key(CALL, "selection_mode", '"both"'), ["call.toml, selection_mode"]),
    ("call-outside-assignment-option", toml_key(CALL, "scores_outside_assignment", '"maybe"'),
     ["call.toml, scores_outside_assignment"]),
    ("call-outside-assignment-bool", toml_key(CALL, "scores_outside_assignment", "true"), ["call.toml, scores_outside_assignment"]),
    ("call-trim-too-big", toml_key(CALL, "trim", "0.7", "stages"), [f"call.toml, {S1}.trim"]),
    ("call-divergence-inf", toml_key(CALL, "divergence_range", "inf", "stages"),
     ["call.toml, stages[0].divergence_range: inf is not a finite number"]),
    ("call-divergence-text", toml_key(CALL, "divergence_range", '"2"', "stages"),
     [f"call.toml, {S1}.divergence_range: must be a number, not the text '2'", "write 2 without quotes"]),
    ("call-file-missing", remove(CALL), ["no call.toml in"]),
    ("call-empty", put(CALL, ""), ["call.toml, schema_version: required key is missing"]),
    ("call-applications-missing", toml_key(CALL, "applications", '"ansøgninger.csv"'), ["ansøgninger.csv: file not found"]),
    ("call-stage2-budget-text", toml_key(CALL, "budget", '"7500000"', "stages", 1),
     [f"call.toml, {S2}.budget: must be a whole number, not the text '7500000'"]),
    # criteria catalogues
    ("cat-weight-nan", toml_key(CAT1, "weight", "nan", "criteria"), [f"{CAT1}, criteria[0].weight: nan is not a finite number"]),
    ("cat-weight-negative", toml_key(CAT1, "weight", "-1", "criteria"), [f"{CAT1}, criteria[0] (id 'vaerditilvaekst').weight"]),
    ("cat-weight-text", toml_key(CAT1, "weight", '"20"', "criteria"),
     [f"{CAT1}, criteria[0] (id 'vaerditilvaekst').weight: must be a number, not the text '20'", "write 20 without quotes"]),
    ("cat-threshold-inf", toml_key(CAT1, "threshold", "inf", "criteria"), [f"{CAT1}, criteria[0].threshold: inf is not a finite number"]),
    ("cat-threshold-off-scale", toml_key(CAT1, "threshold", "9", "criteria"),
     [f"{CAT1}, criteria[0] (id 'vaerditilvaekst')", "outside the scale"]),
    ("cat-threshold-text", toml_key(CAT1, "threshold", '"2"', "criteria"),
     [f"{CAT1}, criteria[0] (id 'vaerditilvaekst').threshold: must be a number"]),
    ("cat-scale-max-inf", toml_key(CAT1, "scale", "{ min = 0, max = inf, step = 0.5 }", "criteria"),
     [f"{CAT1}, criteria[0].scale.max: inf is not a finite number"]),
    ("cat-scale-max-text", toml_key(CAT1, "scale", '{ min = 0, max = "5", step = 0.5 }', "criteria"),
     [f"{CAT1}, criteria[0] (id 'vaerditilvaekst').scale.max: must be a number, not the text '5'"]),
    ("cat-scale-step-zero", toml_key(CAT1, "scale", "{ min = 0, max = 5, step = 0 }", "criteria"),
     [f"{CAT1}, criteria[0] (id 'vaerditilvaekst').scale.step"]),
    ("cat-scale-step-uneven", toml_key(CAT1, "scale", "{ min = 0, max = 5, step = 2 }", "criteria"),
     [f"{CAT1}, criteria[0] (id 'vaerditilvaekst').scale", "does not divide"]),
    ("cat-overall-threshold-nan", toml_key(CAT1, "overall_threshold", "nan"), [f"{CAT1}, overall_threshold: nan is not a finite number"]),
    ("cat-overall-threshold-text", toml_key(CAT1, "overall_threshold", '"2.5"'),
     [f"{CAT1}, overall_threshold: must be a number, not the text '2.5'"]),
    ("cat-stage-text", toml_key(CAT1, "stage", '"1"'), [f"{CAT1}, stage: must be a whole number"]),
    ("cat-stage-mismatch", toml_key(CAT1, "stage", "2"), ["call.toml, stages[0].catalogue", "serves stage 2"]),
    ("cat-duplicate-criterion", toml_key(CAT1, "id", '"vaerditilvaekst"', "criteria", 1), [CAT1, "duplicate criterion ids: vaerditilvaekst"]),
    ("cat-unknown-key", toml_key(CAT1, "wieght", "3", "criteria"), [f"{CAT1}, criteria[0] (id 'vaerditilvaekst').wieght: unknown key"]),
    ("cat-tie-breaks-text", toml_key(CAT1, "tie_breaks", '"lottery"'), [f"{CAT1}, tie_breaks"]),
    ("cat-syntax", toml_key(CAT1, "weight", "= 20", "criteria"), [f"{CAT1}: not valid TOML"]),
    ("cat-id-bad", toml_key(CAT1, "id", '"Stage 1"'), [f"{CAT1}, id:"]),
    ("cat-stage2-weight-inf", toml_key(CAT2, "weight", "inf", "criteria"), [f"{CAT2}, criteria[0].weight: inf is not a finite number"]),
    ("cat-missing-schema-version", delete_key(CAT1, "schema_version"), [f"{CAT1}, schema_version: required key is missing"]),
    # scenarios (validate reads every scenario; run --scenario reads one)
    ("scen-budget-nan", sub(RBC, r"^budget = .*$", "budget = nan"), ["regional-budget-cut.toml, stages.2.budget: nan is not a finite number"]),
    ("scen-budget-text", sub(RBC, r"^budget = (\d+)", r'budget = "\1"'),
     ["regional-budget-cut.toml, stages.2.budget: must be a whole number, not the text"]),
    ("scen-unknown-key", sub(RBC, r"^budget = (.*)$", r"budget = \1\nbudjet = 1"), ["regional-budget-cut.toml, stages.2.budjet: unknown key"]),
    ("scen-max-selected-float", sub(RBC, r"^budget = (.*)$", r"budget = \1\nmax_selected = 3.0"),
     ["regional-budget-cut.toml, stages.2.max_selected: must be a whole number"]),
    ("scen-stage-key-text", sub(RBC, r"^\[stages\.2\]", "[stages.two]"), ["regional-budget-cut.toml, stages.two: table name 'two' is not a whole number", "[stages.1]"]),
    ("scen-solver", toml_key(RBC, "solver", '"gurobi"'), ["regional-budget-cut.toml, solver"]),
    ("scen-seed-negative", toml_key(RBC, "seed", "-3"), ["regional-budget-cut.toml, seed"]),
    ("scen-syntax", sub(RBC, r"^budget = .*$", "budget = 6 000 000"), ["regional-budget-cut.toml: not valid TOML"]),
    ("scen-trim", sub(RBC, r"^budget = (.*)$", r"budget = \1\ntrim = 0.9"), ["regional-budget-cut.toml, stages.2.trim"]),
    ("scen-weight-inf", sub("scenarios/equal-weights.toml", r"^vaerditilvaekst = .*$", "vaerditilvaekst = inf"),
     ["equal-weights.toml, stages.1.weights.vaerditilvaekst: inf is not a finite number"]),
    ("scen-weight-text", sub("scenarios/equal-weights.toml", r"^vaerditilvaekst = .*$", 'vaerditilvaekst = "1"'),
     ["equal-weights.toml, stages.1.weights.vaerditilvaekst: must be a number, not the text '1'"]),
    ("scen-name-missing", delete_key(RBC, "name"), ["regional-budget-cut.toml, name: required key is missing"]),
    # applications.csv
    ("apps-duplicate-column", header("applications.csv", "focus_areas", "title"),
     ["applications.csv, row 1: column 'title' appears twice: column 2 (B) and column 5 (E)"]),
    ("apps-no-id-column", header("applications.csv", "application_id", "id"), ["applications.csv, row 1: missing column(s) application_id"]),
    ("apps-grant-column-misspelt", header("applications.csv", "grant_stage1", "grant_stage_1"),
     ["applications.csv, row 1, column grant_stage1: stage 1 budgets grants, but the table has no column 'grant_stage1'",
      "rename column 'grant_stage_1' to 'grant_stage1'"]),
    ("apps-grant-blank", cell("applications.csv", 2, "grant_stage1", ""),
     ["applications.csv, row 2, column grant_stage1: no amount given; stage 1 budgets grants"]),
    ("apps-cofinancing-blank", cell("applications.csv", 4, "regional_cofinancing_per_year", " "),
     ["applications.csv, row 4, column regional_cofinancing_per_year: no amount given"]),
    ("apps-cofinancing-column-missing", header("applications.csv", "regional_cofinancing_per_year", "regional_co_financing"),
     ["applications.csv, row 1, column regional_cofinancing_per_year", "rename column 'regional_co_financing'"]),
    ("apps-id-formula-equals", cell("applications.csv", 2, "application_id", "=KP-01"),
     ["applications.csv, row 2, column application_id: id '=KP-01' starts with '='"]),
    ("apps-id-formula-minus", cell("applications.csv", 2, "application_id", "-KP01"),
     ["applications.csv, row 2, column application_id: id '-KP01' starts with '-'"]),
    ("apps-id-formula-plus", cell("applications.csv", 3, "application_id", "+KP02"), ["applications.csv, row 3, column application_id", "'+'"]),
    ("apps-id-formula-at", cell("applications.csv", 3, "application_id", "@KP02"), ["applications.csv, row 3, column application_id", "'@'"]),
    ("apps-duplicate-id", cell("applications.csv", 3, "application_id", "KP-01"), ["applications.csv, row 3, column application_id", "also on row 2"]),
    ("apps-bad-money", cell("applications.csv", 2, "grant_stage1", "25O000"),
     ["applications.csv, row 2, column grant_stage1: '25O000' is not a whole amount"]),
    ("apps-rural-maybe", cell("applications.csv", 2, "rural", "måske"), ["applications.csv, row 2, column rural"]),
    ("apps-industry-unknown", cell("applications.csv", 2, "industries", "musik"), ["applications.csv, row 2, column industries", "musik"]),
    ("apps-cofinancing-exceeds", cell("applications.csv", 2, "regional_cofinancing_per_year", "99000000"), ["applications.csv, row 2"]),
    ("apps-title-empty", cell("applications.csv", 2, "title", ""), ["applications.csv, row 2, column title"]),
    ("apps-too-many-values", add_raw("applications.csv", "\nKP-99,a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q,r,s,t,u,v,w,x,y,z\n"),
     ["applications.csv, row ", "values but the header has"]),
    ("apps-utf16", utf16("applications.csv"), ["applications.csv: this is UTF-16 text (Excel's 'Unicode text')"]),
    ("apps-xlsx-named-csv", magic("applications.csv", PK), ["applications.csv: this is an Excel workbook (.xlsx, a zip file)"]),
    ("apps-xls-named-csv", magic("applications.csv", OLE), ["applications.csv: this is an old Excel workbook (.xls)"]),
    ("apps-nul-bytes", put("applications.csv", b"application_id,title\x00\x01\nKP-01,x\n"), ["applications.csv: this is a binary file"]),
    ("apps-empty", put("applications.csv", ""), ["applications.csv: the file is empty"]),
    ("apps-header-only", lambda root: _write(root, "applications.csv", _read(root, "applications.csv")[0].split("\n")[0] + "\n"),
     ["applications.csv: no applications"]),
    ("apps-separators-only", put("applications.csv", ";;;\n;;\n"), ["applications.csv: the file holds no header"]),
    ("apps-missing", remove("applications.csv"), ["applications.csv: file not found"]),
    ("apps-symlink-outside", both(remove("applications.csv"), symlink("applications.csv", str(EXAMPLE / "applications.csv"))),
     ["applications.csv: leads through a symbolic link to", "outside the call folder"]),
    ("apps-dangling-symlink", both(remove("applications.csv"), symlink("applications.csv", "gone.csv")),
     ["applications.csv: a symbolic link to gone.csv, which does not exist"]),
    # experts.csv
    ("experts-duplicate-column", header("experts.csv", "conflicts", "name"),
     ["experts.csv, row 1: column 'name' appears twice: column 2 (B) and column 4 (D)"]),
    ("experts-no-name-column", header("experts.csv", "name", "names"), ["experts.csv, row 1: missing column(s) name", "rename 'names' to 'name'"]),
    ("experts-id-formula", cell("experts.csv", 2, "expert_id", "=E01"), ["experts.csv, row 2, column expert_id: id '=E01' starts with '='"]),
    ("experts-id-minus", cell("experts.csv", 8, "expert_id", "-E07"), ["experts.csv, row 8, column expert_id", "'-'"]),
    ("experts-duplicate-id", cell("experts.csv", 3, "expert_id", "E01"), ["experts.csv, row 3, column expert_id", "also on row 2"]),
    ("experts-conflict-unknown", cell("experts.csv", 3, "conflicts", "KP-99"),
     ["experts.csv, row 3, column conflicts: conflict names unknown application 'KP-99'"]),
    ("experts-name-empty", cell("experts.csv", 2, "name", ""), ["experts.csv, row 2"]),
    ("experts-utf16", utf16("experts.csv"), ["experts.csv: this is UTF-16 text"]),
    ("experts-xlsx", magic("experts.csv", PK), ["experts.csv: this is an Excel workbook"]),
    ("experts-empty", put("experts.csv", "\n\n"), ["experts.csv: the file is empty"]),
    # assignments.csv
    ("assign-duplicate-column", add_column("assignments.csv", "expert_id"),
     ["assignments.csv, row 1: column 'expert_id' appears twice: column 1 (A) and column 3 (C)"]),
    ("assign-unknown-expert", cell("assignments.csv", 2, "expert_id", "E99"), ["assignments.csv, row 2, column expert_id: unknown expert 'E99'"]),
    ("assign-unknown-application", cell("assignments.csv", 2, "application_id", "KP-99"),
     ["assignments.csv, row 2, column application_id: unknown application 'KP-99'"]),
    ("assign-id-formula", cell("assignments.csv", 2, "application_id", "-KP-01"),
     ["assignments.csv, row 2, column application_id: id '-KP-01' starts with '-'"]),
    ("assign-no-application-column", header("assignments.csv", "application_id", "ansøgning"), ["assignments.csv, row 1: missing column(s) application_id"]),
    ("assign-stage-not-number", both(add_column("assignments.csv", "stage", "1"), cell("assignments.csv", 2, "stage", "one")),
     ["assignments.csv, row 2, column stage: stage 'one' is not a stage number"]),
    ("assign-utf16", utf16("assignments.csv"), ["assignments.csv: this is UTF-16 text"]),
    ("assign-ole", magic("assignments.csv", OLE), ["assignments.csv: this is an old Excel workbook (.xls)"]),
    # score files: assignments and ids
    ("score-outside-assignment-long", outside_long,
     [f"{LONG1}, row ", "expert E01 is not assigned to application KP-", "in assignments.csv but scored it (2 scores)",
      "scores_outside_assignment"]),
    ("score-outside-assignment-wide", outside_wide,
     [f"{WIDE1}, row ", "expert E03 is not assigned to application KP-", "but scored it ("]),
    ("score-outside-assignment-new-file", outside_new_file,
     ["scores/stage1/extra-E05.csv, row 2: expert E05 is not assigned to application"]),
    ("score-unknown-expert", copy_row(LONG1, 2, expert_id="E99"), [f"{LONG1}, cell A", "unknown expert 'E99'"]),
    ("score-unknown-application", copy_row(LONG1, 2, application_id="KP-99"), [f"{LONG1}, cell A", "unknown application 'KP-99'"]),
    ("score-unknown-criterion", copy_row(LONG1, 2, criterion_id="udsy"), [f"{LONG1}, cell C", "unknown criterion 'udsy'"]),
    ("score-conflict", add_row("scores/stage1/expert-02.csv", {"expert_id": "E02", "application_id": "KP-03",
                                                               **{c: "3" for c in CRIT1}}),
     ["scores/stage1/expert-02.csv", "expert E02 declared a conflict of interest with KP-03 but scored it"]),
    ("score-twice", copy_row(LONG1, 2, score="2"), ["expert E01 scored application", "2 times"]),
    ("score-twice-across-files", lambda root: _write(root, "scores/stage1/copy.csv", _read(root, LONG1)[0]),
     ["expert E01 scored the same", "scores/stage1/copy.csv and scores/stage1/expert-01.csv"]),
    # score files: cells
    ("score-out-of-scale", cell(WIDE1, 2, "vaerditilvaekst", "7"), [f"{WIDE1}, cell C2: 7 is outside the scale 0–5"]),
    ("score-off-grid", cell(WIDE1, 2, "vaerditilvaekst", "3.25"), [f"{WIDE1}, cell C2: 3.25 is not on the step grid"]),
    ("score-text", cell(WIDE1, 2, "vaerditilvaekst", "fire"), [f"{WIDE1}, cell C2: 'fire' is not a number"]),
    ("score-empty", cell(WIDE1, 2, "vaerditilvaekst", ""), [f"{WIDE1}, cell C2: missing score"]),
    ("score-nan", cell(WIDE1, 2, "vaerditilvaekst", "nan"), [f"{WIDE1}, cell C2: 'nan' is not a number"]),
    ("score-inf", cell(WIDE1, 2, "vaerditilvaekst", "inf"), [f"{WIDE1}, cell C2: 'inf' is not a number"]),
    ("score-formula", cell(WIDE1, 2, "vaerditilvaekst", "=4"), [f"{WIDE1}, cell C2: '=4' is not a number"]),
    ("score-decimal-comma-off-grid", cell(SEMI1, 2, "vaerditilvaekst", "3,3"), [f"{SEMI1}, cell C2: 3,3 is not on the step grid"]),
    ("score-long-out-of-scale", cell(LONG1, 2, "score", "45"), [f"{LONG1}, cell D2: 45 is outside the scale"]),
    ("score-stage2-out-of-scale", cell(WIDE2, 2, "formaal", "-2"), [f"{WIDE2}, cell C2: -2 is outside the scale"]),
    # score files: layout
    ("score-duplicate-column-wide", header(WIDE1, "spillover", "udsyn"),
     [f"{WIDE1}, row 1: column 'udsyn' appears twice: column 7 (G) and column 10 (J)"]),
    ("score-duplicate-column-long", add_column(LONG1, "score", "1"),
     [f"{LONG1}, row 1: column 'score' appears twice: column 4 (D) and column 6 (F)"]),
    ("score-duplicate-column-semicolon", header(SEMI1, "udsyn", "spillover"), [f"{SEMI1}, row 1: column 'spillover' appears twice"]),
    ("score-missing-criterion-column", header(WIDE1, "spillover", "spill_over"), [f"{WIDE1}, row 1: missing column(s) spillover"]),
    ("score-unrecognised-header", both(header(WIDE1, "expert_id", "ekspert"), *(header(WIDE1, c, c.upper() + "x") for c in CRIT1)),
     [f"{WIDE1}, row 1: unrecognised header"]),
    ("score-too-many-values", add_raw(WIDE1, "\nE03,KP-02" + ",4" * 20 + "\n"), [f"{WIDE1}, row ", "22 values but the header has"]),
    ("score-header-only", put("scores/stage1/empty-E05.csv", "expert_id,application_id,criterion_id,score\n"),
     ["scores/stage1/empty-E05.csv: the file holds no scores"]),
    ("score-utf16", utf16(WIDE1), [f"{WIDE1}: this is UTF-16 text (Excel's 'Unicode text')", "save it as 'CSV UTF-8"]),
    ("score-xlsx-named-csv", magic(WIDE1, PK), [f"{WIDE1}: this is an Excel workbook (.xlsx, a zip file) with a .csv name"]),
    ("score-xls-named-csv", magic(WIDE1, OLE), [f"{WIDE1}: this is an old Excel workbook (.xls)"]),
    ("score-nul-bytes", put("scores/stage1/expert-08.csv", b"\x00\x01\x02garbage\x00"), ["scores/stage1/expert-08.csv: this is a binary file"]),
    ("score-empty-file", put("scores/stage1/expert-08.csv", b""), ["scores/stage1/expert-08.csv: the file is empty"]),
    ("score-unsupported-type", put("scores/stage1/expert-08.ods", b"x"), ["scores/stage1/expert-08.ods: unsupported file type '.ods'"]),
    ("score-dangling-symlink", symlink("scores/stage1/expert-08.csv", "expert-08-old.csv"),
     ["scores/stage1/expert-08.csv: a symbolic link to expert-08-old.csv, which does not exist"]),
    ("score-symlink-outside", symlink("scores/stage1/expert-08.csv", str(EXAMPLE / "scores" / "stage2" / "business-plans-E01.csv")),
     ["scores/stage1/expert-08.csv: leads through a symbolic link to", "outside the call folder"]),
    ("score-folder-symlink-outside", both(lambda root: shutil.rmtree(root / "scores" / "stage2"),
                                          symlink("scores/stage2", str(EXAMPLE / "scores" / "stage2"))),
     ["scores/stage2/business-plans-E01.csv: leads through a symbolic link to", "outside the call folder"]),
    ("score-sep-line-wrong-separator", lambda root: _write(root, WIDE1, "sep=;\n" + _read(root, WIDE1)[0]),
     [f"{WIDE1}, row 1: the first line says sep=';', but the header holds no ';'"]),
    ("link-catalogue-outside", both(toml_key(CALL, "catalogue", '"stage1.toml"', "stages"),
                                    symlink("stage1.toml", str(CRITERIA / "kreative-partnerskaber-stage1.toml"))),
     ["stage1.toml: leads through a symbolic link to", "outside the call folder"]),
    ("link-scenario-outside", symlink("scenarios/evil.toml", str(EXAMPLE / "scenarios" / "two-rural.toml")),
     ["scenarios/evil.toml: leads through a symbolic link to", "outside the call folder"]),
    ("link-vocabulary-dangling", both(remove("vocabulary.toml"), symlink("vocabulary.toml", "gone.toml")),
     ["call.toml, vocabulary: the call names vocabulary file 'vocabulary.toml', which does not exist"]),
    ("link-experts-outside", both(remove("experts.csv"), symlink("experts.csv", str(EXAMPLE / "experts.csv"))),
     ["experts.csv: leads through a symbolic link to", "outside the call folder"]),
    ("link-store-dangling", symlink("scores/stage1-imported.csv", "stage1-imported.csv.bak"),
     ["scores/stage1-imported.csv: a symbolic link to stage1-imported.csv.bak, which does not exist"]),
    ("score-too-few-experts", toml_key(CALL, "min_experts", "9", "stages"), ["scores/stage1: application KP-", "at least 9 required"]),
]

def _hashes(base: Path) -> dict[str, str]:
    out = {}
    for p in sorted(base.rglob("*")):
        if p.is_symlink():
            out[str(p.relative_to(base))] = "->" + os.readlink(p)
        elif p.is_file():
            out[str(p.relative_to(base))] = hashlib.sha256(p.read_bytes()).hexdigest()
    return out


@pytest.fixture(scope="module")
def pristine(tmp_path_factory) -> Path:
    base = tmp_path_factory.mktemp("pristine")
    shutil.copytree(EXAMPLE, base / "examples" / "kp", ignore=shutil.ignore_patterns("runs"))
    shutil.copytree(CRITERIA, base / "criteria")
    return base


def test_corpus_is_large_and_names_are_unique():
    assert len(CASES) >= 100
    assert len({c[0] for c in CASES}) == len(CASES)


@pytest.mark.parametrize("name,damage,where", CASES, ids=[c[0] for c in CASES])
def test_malformed_input_is_refused_where_it_is(tmp_path, pristine, capsys, name, damage, where):
    base = tmp_path / "c"
    shutil.copytree(pristine, base, symlinks=True)
    root = base / "examples" / "kp"
    damage(root)
    before = _hashes(base)
    out = tmp_path / "out"
    scenario = []
    if name.startswith("scen-"):  # 'run' reads only the scenario it is asked for
        scenario = ["--scenario", "equal-weights" if "equal-weights" in where[0] else "regional-budget-cut"]
    elif name == "link-scenario-outside":
        scenario = ["--scenario", "evil"]
    for argv in (["run", str(root), "--out", str(out), "--quiet", *scenario], ["validate", str(root), "--no-solve"]):
        code = main(argv)
        captured = capsys.readouterr()
        err = captured.err
        assert code == 1, (argv[0], captured.out, err)
        assert "Traceback" not in err + captured.out
        assert err.startswith("Invalid input:"), err
        for text in where:
            assert text in err, (argv[0], text, err)
    assert not out.exists(), "a run folder was written"
    assert not (root / "runs").exists()
    assert _hashes(base) == before, "an input file was changed"
