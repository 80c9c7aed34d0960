"""Reading a call folder of 20,000 applications in one pass (issue 12): each fast path equals the
reading it short-cuts, on generated input with clean and faulty rows.

* :func:`selection.io.csvfile.split_plain_columns` (column-wise split of the plainest CSV text)
  equals the transposed records of :func:`~selection.io.csvfile.parse_csv_records` whenever it
  answers, and answers for the files ``callgen`` writes.
* The score files of a stage read in one batch (``store._read_loose``: clean files into one frame)
  give the same evaluation and the same problems, in the same order, as the row-by-row reader.
* ``scores._sorted_evaluation`` (integer ranks of the ids) equals
  :func:`selection.evaluation.sort_evaluation` (pandas' string sort), ties and non-ASCII ids
  included.
* ``tables.read_assignments``' column-wise check equals the row-by-row one; the readers given a
  parsed table equal the readers given the path; ``load_call_folder`` parses each table once.
"""

from __future__ import annotations

import csv
import io
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection import evaluation as ev
from selection.errors import InputError
from selection.io import csvfile, scores, store, tables
from selection.io.csvfile import parse_csv_records, split_plain_columns

SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _callgen():
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    try:
        import callgen
    finally:
        sys.path.pop(0)
    return callgen


# --- split_plain_columns equals parse_csv_records ---------------------------------------------

_cells = st.sampled_from(["", " ", "a", " b ", "KP-01", "3,5", "x y", "æø", "\t", '"q"', "sep=;"])


@SETTINGS
@given(rows=st.lists(st.lists(_cells, min_size=0, max_size=5), max_size=8),
       header=st.lists(st.sampled_from(["id", "Id", "x", "", " y ", "score"]), min_size=1, max_size=4),
       sep=st.sampled_from([",", ";", "\t"]), nl=st.sampled_from(["\n", "\r\n", "\r"]),
       trailing=st.sampled_from(["", "\n", "\n\n", " \n"]), lead=st.sampled_from(["", "\n", "sep=;\n"]))
def test_split_plain_columns_equals_parse_csv_records(rows, header, sep, nl, trailing, lead):
    text = lead + nl.join(sep.join(r) for r in [header, *rows]) + trailing
    try:
        want = parse_csv_records(text, name="t.csv")
    except InputError:
        want = None
    got = split_plain_columns(text, name="t.csv")
    if got is None:
        return
    assert want is not None, "a text the parser refuses must not be split"
    w_sep, w_header, w_line, records = want
    g_sep, g_header, columns = got
    assert (g_sep, g_header, w_line) == (w_sep, w_header, 1)
    assert [line for line, _ in records] == list(range(2, len(records) + 2))
    assert all(len(r) == len(w_header) for _, r in records)
    assert [list(c) for c in zip(*[r for _, r in records], strict=True)] == columns if records else columns == []


def test_split_plain_columns_answers_for_plain_files_only():
    assert split_plain_columns("a,b\r\n1,2\r\n3,4\r\n", name="t.csv") == (",", ["a", "b"], [["1", "3"], ["2", "4"]])
    for text in ['a,b\n"1",2\n', "a,b\n1,2,3\n", "a,b\n1\n", "a,b\n\n1,2\n", "a,b\n , \n1,2\n",
                 "a,a\n1,2\n", "sep=,\na,b\n1,2\n", "a,b\n", "\na,b\n1,2\n", "a,b\n1,2\n \n"]:
        assert split_plain_columns(text, name="t.csv") is None, text
    long = "a,b\n" + "x" * (csv.field_size_limit() + 1) + ",1\n"
    assert split_plain_columns(long, name="t.csv") is None


# --- a stage's score files in one batch equal the row-by-row reading ---------------------------

def _write_scores(folder: Path, ctx, data, faulty: bool) -> None:
    experts = sorted(ctx.experts)
    apps = sorted(ctx.applications)
    crits = list(ctx.catalogue.criterion_ids)
    for k in range(data.draw(st.integers(1, 4))):
        e = data.draw(st.sampled_from(experts))
        rows = []
        for a in data.draw(st.lists(st.sampled_from(apps), min_size=1, max_size=3, unique=True)):
            for c in crits:
                s = data.draw(st.sampled_from(["3", "4,5", " 2 ", "abstain", "5"] + (["9", "", "x"] if faulty else [])))
                rows.append([e, a, c, s, data.draw(st.sampled_from(["", "ok", " fine "]))])
        if faulty and data.draw(st.booleans()):
            rows.append([data.draw(st.sampled_from(["E99", e])), apps[0], crits[0], "3", ""])
        quoted = data.draw(st.booleans())
        out = io.StringIO()
        csv.writer(out, lineterminator=data.draw(st.sampled_from(["\n", "\r\n"])),
                   quoting=csv.QUOTE_ALL if quoted else csv.QUOTE_MINIMAL).writerows(
            [["expert_id", "application_id", "criterion_id", "score", "comment"], *rows])
        (folder / f"s{k}-{e}.csv").write_text(out.getvalue(), encoding="utf-8")


def _stage(root: Path, ctx):
    try:
        return store.load_stage_scores(root, "scores", 1, ctx), []
    except InputError as exc:
        return None, [str(p) for p in exc.problems]


@SETTINGS
@given(data=st.data(), faulty=st.booleans(), conflicts=st.booleans())
def test_stage_read_in_one_batch_equals_row_by_row(tmp_path_factory, kp, data, faulty, conflicts):
    ctx = kp[1]
    if conflicts:  # a declared conflict of interest that a file may break
        e = sorted(ctx.experts)[0]
        experts = {**ctx.experts, e: ctx.experts[e].model_copy(update={"conflicts": [sorted(ctx.applications)[0]]})}
        ctx = scores.ScoreContext(ctx.catalogue, ctx.applications, experts, ctx.assignments)
    root = tmp_path_factory.mktemp("call")
    folder = root / "scores" / "stage1"
    folder.mkdir(parents=True)
    _write_scores(folder, ctx, data, faulty)
    fast = _stage(root, ctx)
    scores._reference_only = True
    try:
        ref = _stage(root, ctx)
    finally:
        scores._reference_only = False
    assert fast[1] == ref[1]
    if ref[0] is not None:
        pd.testing.assert_frame_equal(fast[0], ref[0], check_exact=True)
        assert list(fast[0].dtypes) == list(ref[0].dtypes)


def test_callgen_score_files_take_the_plain_path(tmp_path, monkeypatch):
    """The files of a generated call (CRLF, no quotes) are split column-wise, never parsed record by
    record; the call reads the same as row by row."""
    from selection.pipeline import load_call_folder

    folder = _callgen().write_call(tmp_path / "call", 60)
    fast = load_call_folder(folder)
    calls = []
    monkeypatch.setattr(scores, "parse_csv_records", lambda *a, **k: calls.append(a) or parse_csv_records(*a, **k))
    assert load_call_folder(folder).evaluations.keys() == fast.evaluations.keys() and calls == []
    monkeypatch.setattr(scores, "_reference_only", True)
    ref = load_call_folder(folder)
    for k in fast.evaluations:
        pd.testing.assert_frame_equal(fast.evaluations[k], ref.evaluations[k], check_exact=True)


# --- the canonical order equals pandas' sort ----------------------------------------------------

_ids = st.sampled_from(["A", "a", "B", "Æ", "Ø", "å", "A1", "A10", "A2", "z", "É", "KP-01", "KP-1"])


@SETTINGS
@given(rows=st.lists(st.tuples(_ids, _ids, _ids, st.floats(0, 5) | st.none()), max_size=40))
def test_sorted_evaluation_equals_sort_evaluation(rows):
    frame = pd.DataFrame({ev.EXPERT: [r[0] for r in rows], ev.APPLICATION: [r[1] for r in rows],
                          ev.CRITERION: [r[2] for r in rows],
                          ev.SCORE: np.array([np.nan if r[3] is None else r[3] for r in rows], dtype=float),
                          ev.ABSTAINED: [r[3] is None for r in rows], ev.COMMENT: [str(i) for i in range(len(rows))],
                          ev.SOURCE_FILE: "f.csv", ev.SOURCE_SHA256: "0", ev.SHEET: "", ev.CELL: "D2"})
    key = scores._row_keys(frame)
    got = scores._sorted_evaluation(frame, np.argsort(key, kind="stable"))
    want = ev.sort_evaluation(frame)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert list(got.dtypes) == list(want.dtypes) and got.index.equals(want.index)
    distinct = len(set(zip(frame[ev.APPLICATION], frame[ev.EXPERT], frame[ev.CRITERION], strict=True)))
    assert len(set(key.tolist())) == distinct


def test_row_keys_refuse_what_is_not_text():
    frame = pd.DataFrame({ev.APPLICATION: ["A", None], ev.EXPERT: ["E", "E"], ev.CRITERION: ["c", "c"]},
                         dtype=object)
    assert scores._row_keys(frame) is None


# --- tables: a parsed table handed on, the column-wise assignment check -------------------------

@SETTINGS
@given(rows=st.lists(st.tuples(st.sampled_from(["E1", "E2", "E9", "=E1", " E2"]),
                               st.sampled_from(["A", "B", "X", "-A", "B;=1"]),
                               st.sampled_from(["1", "2", " 2", "x", ""])), max_size=10),
       with_stage=st.booleans(), stage=st.sampled_from([None, 1, 2]))
def test_read_assignments_column_wise_equals_row_by_row(tmp_path_factory, monkeypatch, rows, with_stage, stage):
    f = tmp_path_factory.mktemp("a") / "assignments.csv"
    out = io.StringIO()
    head = ["expert_id", "application_id"] + (["stage"] if with_stage else [])
    csv.writer(out, delimiter=";", lineterminator="\n").writerows([head, *[r[:len(head)] for r in rows]])
    f.write_text(out.getvalue(), encoding="utf-8")

    def outcome():
        try:
            return tables.read_assignments(f, {"E1", "E2"}, {"A", "B", "-A", "B;=1"}, stage)
        except InputError as exc:
            return [str(p) for p in exc.problems]

    fast = outcome()
    with monkeypatch.context() as m:
        m.setattr(tables, "_clean_assignments", lambda *a: None)
        assert fast == outcome()


def test_readers_given_the_table_equal_readers_given_the_path(example_dir, example_folder):
    call = example_folder.call
    apps_file, assign_file = example_dir / call.applications, example_dir / "assignments.csv"
    apps_table = csvfile.read_csv(apps_file)
    assert tables.read_applications(apps_table, call.attributes) == tables.read_applications(apps_file, call.attributes)
    for fn in (tables.money_basis_problems, ):
        assert fn(apps_table, call.stages, "a.csv") == fn(apps_file, call.stages, "a.csv")
    assert (tables.application_warnings(apps_table, call.attributes, "a.csv")
            == tables.application_warnings(apps_file, call.attributes, "a.csv"))
    if assign_file.is_file():
        table = csvfile.read_csv(assign_file)
        ids = (set(example_folder.experts), set(example_folder.applications))
        for st_ in call.stages:
            assert (tables.assignments_for_stage(table, *ids, st_.number, st_.from_stage is not None)
                    == tables.assignments_for_stage(assign_file, *ids, st_.number, st_.from_stage is not None))


def test_load_call_folder_parses_each_table_once(tmp_path, monkeypatch):
    """applications.csv, experts.csv and assignments.csv are parsed once each (they were parsed up
    to 5 times, and a module-level cache hid it); nothing is kept after the reading."""
    from selection.pipeline import load_call_folder

    folder = _callgen().write_call(tmp_path / "call", 40)
    parsed: list[str] = []
    real = csvfile.decode_bytes  # read_csv decodes each file once, then splits or parses it
    monkeypatch.setattr(csvfile, "decode_bytes", lambda data, name=None: parsed.append(Path(name).name) or real(data, name))
    loaded = load_call_folder(folder)
    assert loaded.assignments and len(loaded.call.stages) == 2
    assert sorted(parsed) == ["applications.csv", "assignments.csv", "experts.csv"]
    assert not [n for n in vars(csvfile) if n.isupper() and isinstance(getattr(csvfile, n), dict)]


def test_too_few_experts_equals_pandas_nunique(example_stage1):
    from selection.pipeline import _too_few_experts

    frame = example_stage1.copy()
    frame.loc[frame.index[:40], ev.SCORE] = np.nan  # abstentions do not count
    ids = sorted(set(frame[ev.APPLICATION])) + ["KP-none"]
    counts = frame[frame[ev.SCORE].notna()].groupby(ev.APPLICATION)[ev.EXPERT].nunique()
    for need in (1, 2, 3, 4):
        want = [(a, int(counts.get(a, 0))) for a in sorted(ids) if int(counts.get(a, 0)) < need]
        assert _too_few_experts(frame, ids, need) == want


@pytest.mark.parametrize("n", [0, 200])
def test_outside_assignment_equals_plain_loop(example_stage1, n):
    frame = example_stage1
    pairs = sorted(set(zip(frame[ev.EXPERT], frame[ev.APPLICATION], strict=True)))
    assignments = {}
    for i, (e, a) in enumerate(pairs[n:]):
        if i % 4:
            assignments.setdefault(e, set()).add(a)
    assignments = {e: frozenset(s) for e, s in assignments.items()}
    got = scores.outside_assignment(frame, assignments)
    want = [(e, a) for e, a, s in zip(frame[ev.EXPERT], frame[ev.APPLICATION], frame[ev.SCORE], strict=True)
            if s == s and a not in assignments.get(e, frozenset())]
    assert int(got["n_scores"].sum()) == len(want)
    assert set(zip(got[ev.EXPERT], got[ev.APPLICATION], strict=True)) == set(want)


# --- the imported-scores store read column-wise equals the row-by-row reading -------------------

@SETTINGS
@given(data=st.data(), n=st.integers(0, 12), faulty=st.booleans(), crlf=st.booleans())
def test_store_column_wise_equals_row_by_row(tmp_path_factory, monkeypatch, kp, data, n, faulty, crlf):
    import hashlib

    ctx = kp[1]
    root = tmp_path_factory.mktemp("call")
    archived = {}
    for k in range(2):
        f = root / "scores" / "stage1-imported" / f"x{k}" / f"e{k}.csv"
        f.parent.mkdir(parents=True)
        f.write_bytes(f"original {k}\n".encode())
        archived[f.relative_to(root).as_posix()] = hashlib.sha256(f.read_bytes()).hexdigest()
    if faulty and data.draw(st.booleans()):
        (root / next(iter(archived))).write_bytes(b"changed\n")
    experts = sorted(ctx.experts) + (["E99", ""] if faulty else [])
    apps = sorted(ctx.applications) + (["KP-99"] if faulty else [])
    crits = list(ctx.catalogue.criterion_ids)[:2] + (["nope"] if faulty else [])  # few: pairs repeat
    rows = []
    for _ in range(n):
        src = data.draw(st.sampled_from(sorted(archived) + (["scores/stage1-imported/gone.csv"] if faulty else [])))
        row = [data.draw(st.sampled_from(experts)), data.draw(st.sampled_from(apps)), data.draw(st.sampled_from(crits)),
               data.draw(st.sampled_from(["3", "4.5", "", "2,5"] + (["9", "x"] if faulty else []))),
               data.draw(st.sampled_from(["True", "False", "False"] + (["maybe"] if faulty else []))),
               data.draw(st.sampled_from(["", "ok", "a, b", 'say "hi"'] if data.draw(st.booleans()) else [""])),
               src, archived.get(src, "0" * 64), "", "D7", "e.csv"]
        if faulty and data.draw(st.booleans()):
            row = row[:data.draw(st.integers(1, len(row)))]
        rows.append(row)
    out = io.StringIO()
    csv.writer(out, lineterminator="\r\n" if crlf else "\n").writerows([store.STORE_COLUMNS, *rows])
    text = out.getvalue() + (data.draw(st.sampled_from(["", "\n"])) if faulty else "")
    (root / "scores" / "stage1-imported.csv").write_text(text, encoding="utf-8", newline="")

    def outcome():
        frame, problems = store.read_store(root, "scores", 1, ctx)
        return frame, [(e, str(p)) for e, p in problems]

    fast = outcome()
    with monkeypatch.context() as m:
        m.setattr(store, "_clean_store", lambda *a: None)
        ref = outcome()
    assert fast[1] == ref[1]
    pd.testing.assert_frame_equal(fast[0], ref[0], check_exact=True)
    assert list(fast[0].dtypes) == list(ref[0].dtypes)


def test_store_abstention_beside_the_same_score_text(tmp_path, kp):
    """An abstention keeps no score even where a non-abstained row has the same text and criterion."""
    import hashlib

    ctx = kp[1]
    f = tmp_path / "scores" / "stage1-imported" / "x" / "e.csv"
    f.parent.mkdir(parents=True)
    f.write_bytes(b"original\n")
    src, digest = f.relative_to(tmp_path).as_posix(), hashlib.sha256(b"original\n").hexdigest()
    e, a, c = sorted(ctx.experts)[0], sorted(ctx.applications)[0], ctx.catalogue.criterion_ids[0]
    rows = [[e, a, c, "3", ab, "", src, digest, "", "D7", "e.csv"] for ab in ("True", "False")]
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows([store.STORE_COLUMNS, *rows])
    (tmp_path / "scores" / "stage1-imported.csv").write_text(out.getvalue(), encoding="utf-8")
    frame, problems = store.read_store(tmp_path, "scores", 1, ctx)
    assert problems == [] and frame[ev.SCORE].isna().tolist() == [True, False]
    assert frame[ev.SCORE].iloc[1] == 3.0 and frame[ev.ABSTAINED].tolist() == [True, False]
