"""The fast call-folder readers equal the row-by-row ones they replace (issue 12: reading a call of
20,000 applications).

* :func:`selection.io.csvfile.parse_csv_text` is checked against the previous implementation,
  kept verbatim below as the reference, on generated text in every dialect (rows, line numbers,
  separator and every error message equal).
* The column-wise long score reader (``scores._read_long_clean``) is checked against the
  row-by-row reader (``scores._reference_only = True``) on generated files with clean and faulty
  rows: the same frame (values and dtypes) and the same problems, in the same order.
* ``outside_assignment`` against a plain loop; a whole generated call read both ways.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection.errors import InputError, Problem
from selection.io import csvfile, scores
from selection.io.csvfile import CsvRow, CsvTable, duplicate_column_problems, parse_csv_text

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


# --- the previous parse_csv_text, verbatim (the reference) -------------------------------------

_SEP_LINE = re.compile(r"^\s*\"?sep=(.)\"?[,;\t]*\s*$", re.IGNORECASE)


def _reference_parse(text: str, *, name: str) -> CsvTable:
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    lines = text.split("\n")
    if "\x00" in text:
        raise InputError(Problem("the text holds NUL characters, so it is not CSV text", file=name,
                                 hint=csvfile._SAVE_AS))
    declared = None
    m = _SEP_LINE.match(lines[0]) if lines else None
    if m:
        declared = m.group(1)
        lines[0] = ""
        text = "\n".join(lines)
    first = next((ln for ln in lines if ln.strip()), "")
    if not first:
        raise InputError(Problem("the file is empty", file=name, hint="export the table again"))
    sep = declared or csvfile._sniff_separator(first)
    if declared and declared not in first:
        raise InputError(Problem(f"the first line says sep={declared!r}, but the header holds no {declared!r}",
                                 file=name, row=1, hint="delete the sep= line, or save the file with that separator"))
    reader = csv.reader(io.StringIO(text), delimiter=sep, quotechar='"')
    header: list[str] | None = None
    header_line = 1
    rows: list[CsvRow] = []
    try:
        for record in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in record):
                continue
            if header is None:
                header = [h.strip().lower() for h in record]
                header_line = line
                duplicates = duplicate_column_problems(header, name, line)
                if duplicates:
                    raise InputError(duplicates)
                continue
            if len(record) > len(header):
                raise InputError(
                    Problem(
                        f"{len(record)} values but the header has {len(header)} columns",
                        file=name,
                        row=line,
                        hint=f"check the separator ({sep!r}) and quoting in that row"
                             + ('; a decimal comma in a comma-separated file needs quotes ("3,5")'
                                if sep == "," else ""),
                    )
                )
            values = {h: (record[i].strip() if i < len(record) else "") for i, h in enumerate(header)}
            rows.append(CsvRow(line, values))
    except csv.Error as exc:
        raise InputError(Problem(f"not readable as CSV: {exc}", file=name)) from None
    if header is None:
        raise InputError(Problem("the file holds no header and no data", file=name,
                                 hint="export the table again"))
    return CsvTable(name=name, encoding="", separator=sep, header=header, rows=rows, header_line=header_line)


def _outcome(fn, text):
    try:
        return fn(text, name="x.csv")
    except InputError as exc:
        return [str(p) for p in exc.problems]


_pieces = st.sampled_from(["id", "score", "A", " B ", "3,5", '"x;y"', '"a\nb"', '"q""q"', "", " ", ";", ",",
                           "\t", "\n", "\r\n", "\r", "sep=;", '"sep=,"', "SEP=\t", '"', "\x00", "æø", "=1"])


@SETTINGS
@given(parts=st.lists(st.one_of(_pieces, st.text(max_size=4)), max_size=40))
def test_parse_csv_text_equals_previous_implementation(parts):
    text = "".join(parts)
    assert _outcome(parse_csv_text, text) == _outcome(_reference_parse, text)


@SETTINGS
@given(rows=st.lists(st.lists(st.sampled_from(["", " ", "a", " b", "1,5", "x y", "KP-01"]), max_size=5),
                     max_size=8),
       sep=st.sampled_from([",", ";", "\t"]), sep_line=st.booleans(), nl=st.sampled_from(["\n", "\r\n"]))
def test_parse_csv_text_equals_previous_on_tables(rows, sep, sep_line, nl):
    out = io.StringIO()
    w = csv.writer(out, delimiter=sep, lineterminator=nl)
    w.writerow(["Id", "name", "", "note"])
    w.writerows(rows)
    text = (f"sep={sep}{nl}" if sep_line else "") + out.getvalue()
    assert _outcome(parse_csv_text, text) == _outcome(_reference_parse, text)


# --- the long score reader: column-wise equals row by row ----------------------------------------

def _read_both(path: Path, ctx):
    fast = scores.read_score_csv(path, ctx, display_name="s.csv")
    scores._reference_only = True
    try:
        ref = scores.read_score_csv(path, ctx, display_name="s.csv")
    finally:
        scores._reference_only = False
    return fast, ref


def _assert_same(fast, ref):
    pd.testing.assert_frame_equal(fast[0], ref[0], check_dtype=True, check_exact=True)
    assert [str(p) for p in fast[1]] == [str(p) for p in ref[1]]


_score_texts = st.sampled_from(["3", "3,5", "4.5", " 2 ", "5", "0", "abstain", "Afstår", "", "7", "2,25",
                                "tre", "1e0", "nan"])


@SETTINGS
@given(data=st.data(), n=st.integers(0, 25), sep=st.sampled_from([",", ";"]),
       comment=st.booleans(), faulty=st.booleans())
def test_long_reader_fast_equals_row_by_row(tmp_path, kp, data, n, sep, comment, faulty):
    ctx = kp[1]
    experts = sorted(ctx.experts)
    apps = sorted(ctx.applications)
    crits = list(ctx.catalogue.criterion_ids)
    ok_scores = st.sampled_from(["3", "3,5", "4.5", " 2 ", "5", "0", "abstain", "Afstår", "1"])
    head = ["expert_id", "application_id", "criterion_id", "score"] + (["comment"] if comment else [])
    rows = []
    for _ in range(n):
        e = data.draw(st.sampled_from(experts + (["E99"] if faulty else [])))
        a = data.draw(st.sampled_from(apps + (["KP-99"] if faulty else [])))
        c = data.draw(st.sampled_from(crits + (["nope"] if faulty else [])))
        s = data.draw(_score_texts if faulty else ok_scores)
        row = [f" {e}", a, c, s] + ([data.draw(st.sampled_from(["", "ok", " fine ", "a;b", "x\ny"]))]
                                    if comment else [])
        if faulty and data.draw(st.booleans()):
            row = row[:data.draw(st.integers(1, len(row)))]  # a short row
        rows.append(row)
        if data.draw(st.booleans()):
            rows.append([])  # a blank line
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\n").writerows([head, *rows])
    f = tmp_path / "s.csv"
    f.write_text(out.getvalue(), encoding="utf-8")
    _assert_same(*_read_both(f, ctx))
    if not faulty and n:  # a clean file takes the column-wise path
        _, header, _, records = csvfile.parse_csv_records(f.read_text(encoding="utf-8"), name="s.csv")
        assert scores._read_long_clean(header, records, ctx) is not None


def test_long_reader_all_abstentions_and_clean_file(tmp_path, kp):
    ctx = kp[1]
    e, a = sorted(ctx.experts)[0], sorted(ctx.applications)[0]
    for scores_ in (["abstain"] * 3, ["3", "4,5", "abstain"]):
        f = tmp_path / "s.csv"
        f.write_text("expert_id;application_id;criterion_id;score\n" + "".join(
            f"{e};{a};{c};{s}\n" for c, s in zip(ctx.catalogue.criterion_ids, scores_, strict=False)),
            encoding="utf-8")
        fast, ref = _read_both(f, ctx)
        _assert_same(fast, ref)
        assert not fast[1] and len(fast[0]) == 3


def test_outside_assignment_equals_plain_loop(example_stage1):
    frame = example_stage1
    pairs = sorted(set(zip(frame["expert_id"], frame["application_id"], strict=True)))
    assignments = {}
    for i, (e, a) in enumerate(pairs):
        if i % 3:
            assignments.setdefault(e, set()).add(a)
    assignments = {e: frozenset(s) for e, s in assignments.items()}
    got = scores.outside_assignment(frame, assignments)
    want = {(e, a) for e, a, s in zip(frame["expert_id"], frame["application_id"], frame["score"], strict=True)
            if s == s and a not in assignments.get(e, frozenset())}
    assert set(zip(got["expert_id"], got["application_id"], strict=True)) == want
    assert int(got["n_scores"].sum()) == sum(
        1 for e, a, s in zip(frame["expert_id"], frame["application_id"], frame["score"], strict=True)
        if s == s and (e, a) in want)


@pytest.mark.parametrize("n", [0, 300])
def test_whole_call_reads_the_same(tmp_path, example_dir, n):
    """A whole call folder (the example, and a generated call of 300 applications) read with the
    fast readers equals the row-by-row reading: every stage's evaluation, the applications."""
    from selection.pipeline import load_call_folder

    if n:
        sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
        try:
            import callgen
        finally:
            sys.path.pop(0)
        folder = callgen.write_call(tmp_path / "call", n)
    else:
        folder = example_dir
    fast = load_call_folder(folder)
    scores._reference_only = True
    try:
        ref = load_call_folder(folder)
    finally:
        scores._reference_only = False
    assert fast.evaluations.keys() == ref.evaluations.keys() and fast.evaluations
    for k in fast.evaluations:
        pd.testing.assert_frame_equal(fast.evaluations[k], ref.evaluations[k], check_exact=True)
    assert fast.applications == ref.applications and fast.input_files == ref.input_files


@pytest.mark.parametrize("text", [
    "a,b\n" + "x" * 140_000 + ",1\n",  # a value over the csv module's field limit: its error, as before
    "a;b\n\n1;2\n ; \n3;4;5\n",  # blank lines keep line numbers; too many values on line 5
    "sep=,\na,b\n1,2\n",
    ";;;\n",
])
def test_parse_csv_text_unquoted_edges_equal_previous(text):
    assert _outcome(parse_csv_text, text) == _outcome(_reference_parse, text)


def test_read_csv_reads_the_file_each_time(tmp_path):
    """read_csv keeps nothing between calls: changed bytes (even of the same size, at once) are
    read again; a refused file stays refused; each call's name is its own."""
    from selection.io.csvfile import read_csv

    f = tmp_path / "t.csv"
    f.write_text("id;x\nA;1\n", encoding="utf-8")
    first = read_csv(f)
    again = read_csv(f, display_name="shown.csv")
    assert again.rows == first.rows and again.name == "shown.csv" and first.name == str(f)
    f.write_text("id;x\nB;2\n", encoding="utf-8")  # same size, same second
    assert read_csv(f).rows[0].values == {"id": "B", "x": "2"}
    f.write_text("id;id\nB;2\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(InputError, match="appears twice"):
            read_csv(f)


def test_applications_read_the_same_with_repeated_cells(tmp_path, example_dir):
    """read_applications parses each distinct attribute cell once: the applications and every
    problem equal a reading of a copy in which no cell repeats the one above it."""
    from selection.errors import ApplicationError
    from selection.io.tables import read_applications
    from selection.pipeline import load_call_folder

    attrs = load_call_folder(example_dir).call.attributes
    lines = (example_dir / "applications.csv").read_text(encoding="utf-8").splitlines()
    rows = list(csv.reader(lines))
    rural = rows[0].index("rural")
    for r in rows[1:3]:
        r[rural] = "maybe"
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows[:3])
    bad = out.getvalue().splitlines()
    f = tmp_path / "a.csv"
    f.write_text("\n".join(lines) + "\n", encoding="utf-8")
    apps = read_applications(f, attrs)
    one_by_one = [read_applications(_single(tmp_path, lines, i), attrs)[0] for i in range(1, len(lines))]
    assert apps == one_by_one
    f.write_text("\n".join(bad) + "\n", encoding="utf-8")
    with pytest.raises(ApplicationError) as got:
        read_applications(f, attrs)
    messages = [p.message for p in got.value.problems]
    assert len(messages) == 2 and messages[0] == messages[1] and "maybe" in messages[0]


def _single(tmp_path: Path, lines: list[str], i: int) -> Path:
    f = tmp_path / f"one-{i}.csv"
    f.write_text(lines[0] + "\n" + lines[i] + "\n", encoding="utf-8")
    return f


def test_run_folder_byte_identical_to_row_by_row_reading(tmp_path, example_dir, monkeypatch):
    """``selection run`` on the example writes the same bytes whether the scores are read
    column-wise or row by row (the manifest aside: it holds the time and the command)."""
    from selection.cli import main

    outs = []
    for reference in (False, True):
        monkeypatch.setattr(scores, "_reference_only", reference)
        out = tmp_path / f"out-{reference}"
        assert main(["run", str(example_dir), "--out", str(out)]) == 0
        (folder,) = [p for p in out.iterdir() if p.is_dir()]
        outs.append({p.relative_to(folder): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()})
    fast, ref = outs
    assert fast.keys() == ref.keys() and len(fast) > 5
    different = [str(p) for p in fast if fast[p] != ref[p] and p.name != "manifest.json"]
    assert different == []
