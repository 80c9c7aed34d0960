"""A stage's clean score files read at once as integer codes (``scores.read_clean_stage``, issue 12:
reading a call of 20,000 applications) equal the file-by-file reading it replaces
(``scores._file_by_file = True``: each file through ``read_clean_score_csv``, then
``combine_scores``, itself tested against the row-by-row reader in ``test_scale_pass.py``).

* generated stage folders (hypothesis) in the plain dialect and beside it: ids with spaces,
  several experts per file, comments, CRLF, BOM, Windows-1252, columns in any order, abstentions,
  a score twice, scores outside an expert's assignment (refused or counted), a conflicted
  expert's score, unknown ids, refused scores: the same frame (values, dtypes, index) or the same
  problems;
* the line check of ``csvfile.plain_body`` against counting each line's separators;
* a generated call (``benchmarks/callgen.py``) takes the coded path and reads as before.
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection.errors import InputError
from selection.io import csvfile, scores, store

SETTINGS = settings(max_examples=70, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])

_LONG = ["expert_id", "application_id", "criterion_id", "score"]


def _outcome(root: Path, ctx, file_by_file: bool, text_only: bool = False):
    scores._file_by_file, scores._text_only, store._store_as_text = file_by_file, text_only, file_by_file
    try:
        return store.load_stage_scores(root, "scores", 1, ctx), []
    except InputError as exc:
        return None, [str(p) for p in exc.problems]
    finally:
        scores._file_by_file = scores._text_only = store._store_as_text = False


def _assert_same(root: Path, ctx) -> tuple:
    """The stage read from its bytes, from its text and file by file: the same outcome."""
    fast = _outcome(root, ctx, False)
    ref = _outcome(root, ctx, True)
    text = _outcome(root, ctx, False, text_only=True)
    for got in (fast, text):
        assert got[1] == ref[1]
        if ref[0] is not None:
            pd.testing.assert_frame_equal(got[0], ref[0], check_exact=True)
            assert list(got[0].dtypes) == list(ref[0].dtypes) and got[0].index.equals(ref[0].index)
    return fast


def _write_stage(folder: Path, ctx, data, faulty: bool) -> None:
    experts = sorted(ctx.experts)
    apps = sorted(ctx.applications)
    crits = list(ctx.catalogue.criterion_ids)
    ok = ["3", "4,5", "4.5", " 2 ", "abstain", "Afstår", "5", "0"]
    used: set[str] = set()  # a clean stage has each expert's scores in one file
    # often one header and separator for every file and no comment: what the byte-level reading takes
    shared = data.draw(st.booleans())
    no_comments = data.draw(st.booleans())
    for k in range(data.draw(st.integers(1, 4))):
        if k == 0 or not shared:
            header = list(_LONG) + (["comment"] if data.draw(st.booleans()) else [])
            header += ["note"] if data.draw(st.booleans()) else []
            header = data.draw(st.permutations(header))
            sep = data.draw(st.sampled_from([",", ";", "\t"]))
        free = [e for e in experts if faulty or e not in used] or experts
        own = data.draw(st.lists(st.sampled_from(free), min_size=1, max_size=2, unique=True))
        used.update(own)
        rows = []
        for e in own:
            allowed = [a for a in apps if a not in ctx.experts[e].conflicts and (
                ctx.assignments is None or ctx.count_outside_assignment or a in ctx.assignments.get(e, ()))]
            pool = apps if faulty or not allowed else allowed
            for a in data.draw(st.lists(st.sampled_from(pool), min_size=1, max_size=3, unique=True)):
                for c in data.draw(st.lists(st.sampled_from(crits), min_size=1, max_size=len(crits), unique=True)):
                    values = {"expert_id": data.draw(st.sampled_from([e, e, f" {e}"])),
                              "application_id": data.draw(st.sampled_from([a, a, f"{a} "])),
                              "criterion_id": c,
                              "score": data.draw(st.sampled_from(ok + (["9", "", "x", "3,3"] if faulty else []))
                                                 .filter(lambda v, sep=sep: faulty or sep not in v)),
                              "comment": "" if no_comments else data.draw(st.sampled_from(["", "", "ok", " fine ", "æø"])),
                              "note": "n"}
                    if faulty and data.draw(st.integers(0, 9)) == 0:
                        values[data.draw(st.sampled_from(["expert_id", "application_id", "criterion_id"]))] = "ZZ9"
                    rows.append([values[h] for h in header])
        if faulty and data.draw(st.booleans()):
            rows.append(list(rows[0]))  # a score given twice
        nl = data.draw(st.sampled_from(["\n", "\r\n"]))
        lines = [sep.join(header), *(sep.join(r) for r in rows)]
        if faulty and data.draw(st.integers(0, 4)) == 0:
            lines.insert(data.draw(st.integers(1, len(lines))), data.draw(st.sampled_from(["", sep * (len(header) - 1),
                                                                                           sep * len(header)])))
        text = nl.join(lines) + data.draw(st.sampled_from(["", nl, nl + nl]))
        encoding = data.draw(st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]))
        (folder / f"s{k}.csv").write_bytes(text.encode(encoding))


@pytest.fixture(scope="module")
def contexts(kp):
    """The example's stage-1 context: as it is, with one declared conflict, with every score
    counted beyond the assignment, and with no assignment."""
    ctx = kp[1]
    e = sorted(ctx.experts)[0]
    conflicted = {**ctx.experts, e: ctx.experts[e].model_copy(update={"conflicts": [sorted(ctx.applications)[0]]})}
    return [ctx, replace(ctx, experts=conflicted), replace(ctx, count_outside_assignment=True),
            replace(ctx, assignments=None)]


@SETTINGS
@given(data=st.data(), faulty=st.booleans(), which=st.integers(0, 3))
def test_stage_read_as_codes_equals_file_by_file(tmp_path_factory, contexts, data, faulty, which):
    ctx = contexts[which]
    root = tmp_path_factory.mktemp("call")
    folder = root / "scores" / "stage1"
    folder.mkdir(parents=True)
    _write_stage(folder, ctx, data, faulty)
    read = _assert_same(root, ctx)
    if read[0] is not None and data.draw(st.booleans(), label="imported"):
        # the same scores imported into the store, read with the hand-placed files or alone
        inbox = root / "inbox"
        inbox.mkdir()
        for f in data.draw(st.lists(st.sampled_from(sorted(folder.iterdir())), min_size=1, unique=True)):
            f.rename(inbox / f.name)
        store.apply_import(store.plan_import(root, "scores", 1, ctx, sorted(inbox.iterdir())))
        _assert_same(root, ctx)


def test_clean_stage_takes_the_coded_path(tmp_path, contexts):
    """A clean stage (several experts, comments with spaces, CRLF, Windows-1252) is read at once;
    a score twice, one outside the assignment or by a conflicted expert falls back to the
    file-by-file reading, which words the problem."""
    ctx = contexts[3]
    experts = [e for e in sorted(ctx.experts) if not ctx.experts[e].conflicts][:2]
    apps = sorted(ctx.applications)[:3]
    crits = list(ctx.catalogue.criterion_ids)
    root = tmp_path / "call"
    folder = root / "scores" / "stage1"
    folder.mkdir(parents=True)
    rows = [f"{e};{a};{c};4,5; god æ " for e in experts for a in apps for c in crits]
    (folder / "a.csv").write_bytes(("expert_id;application_id;criterion_id;score;comment\r\n"
                                    + "\r\n".join(rows) + "\r\n").encode("cp1252"))
    (folder / "b.csv").write_text("expert_id,application_id,criterion_id,score\n"
                                  f"{experts[0]},{sorted(ctx.applications)[5]},{crits[0]},abstain\n", encoding="utf-8")
    named = [(f, f.name) for f in sorted(folder.iterdir())]
    frame = scores.read_clean_stage(named, ctx)
    assert frame is not None and len(frame) == len(rows) + 1
    assert set(frame["comment"]) == {"god æ", ""}
    _assert_same(root, ctx)
    twice = folder / "c.csv"
    twice.write_text(f"expert_id,application_id,criterion_id,score\n{experts[0]},{apps[0]},{crits[0]},3\n",
                     encoding="utf-8")
    assert scores.read_clean_stage([*named, (twice, "c.csv")], ctx) is None
    assert "2 times" in " ".join(_assert_same(root, ctx)[1])
    twice.unlink()
    for bad in (contexts[0], contexts[1]):  # the example's assignment; a conflicted expert
        expert = sorted(ctx.experts)[0]
        own = sorted(bad.assignments.get(expert, ())) if bad.assignments else []
        outside = next(a for a in sorted(ctx.applications) if a not in own)
        if bad is contexts[1]:
            outside = sorted(ctx.applications)[0]
        f = folder / "d.csv"
        f.write_text(f"expert_id,application_id,criterion_id,score\n{expert},{outside},{crits[0]},3\n",
                     encoding="utf-8")
        assert scores.read_clean_stage([(f, "d.csv")], bad) is None
        assert _assert_same(root, bad)[1]
        f.unlink()


@SETTINGS
@given(lines=st.lists(st.text(st.sampled_from(["a", ";", ",", "é", " ", "\t"]), max_size=6), min_size=1, max_size=8),
       sep=st.sampled_from([",", ";", "\t"]), width=st.integers(1, 4), limit=st.sampled_from([3, 5, 131072]))
def test_lines_of_width_equals_counting(lines, sep, width, limit):
    body = "\n".join(lines)
    want = all(line.count(sep) == width - 1 and len(line) <= limit for line in lines)
    assert csvfile._lines_of_width(body, sep, width, limit) == want


def test_callgen_stage_takes_the_coded_path(tmp_path, monkeypatch):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    try:
        import callgen
    finally:
        sys.path.pop(0)
    from selection.pipeline import load_call_folder

    folder = callgen.write_call(tmp_path / "call", 60)
    read_as_bytes = []
    real_bytes = scores._byte_blocks
    monkeypatch.setattr(scores, "_byte_blocks", lambda *a: read_as_bytes.append(real_bytes(*a)) or read_as_bytes[-1])
    taken = []
    real = scores.read_clean_stage
    monkeypatch.setattr(store, "read_clean_stage", lambda *a: taken.append(real(*a)) or taken[-1])
    fast = load_call_folder(folder)
    assert taken and all(t is not None for t in taken)
    assert read_as_bytes and all(b is not None for b in read_as_bytes)
    monkeypatch.setattr(scores, "_file_by_file", True)
    ref = load_call_folder(folder)
    assert fast.evaluations.keys() == ref.evaluations.keys()
    for k in fast.evaluations:
        pd.testing.assert_frame_equal(fast.evaluations[k], ref.evaluations[k], check_exact=True)


@SETTINGS
@given(rows=st.lists(st.tuples(st.sampled_from(["A", "B", "Æ", "KP-1"]), st.sampled_from(["E1", "E2", "E3"]),
                               st.sampled_from([1.0, 2.5, float("nan")])), max_size=30))
def test_too_few_experts_equals_counting_pairs(rows):
    from collections import Counter

    from selection import evaluation as ev
    from selection.pipeline import _too_few_experts

    frame = pd.DataFrame({ev.APPLICATION: pd.array([r[0] for r in rows], dtype="str"),
                          ev.EXPERT: pd.array([r[1] for r in rows], dtype="str"),
                          ev.SCORE: [r[2] for r in rows]})
    pairs = {(a, e) for a, e, s in rows if s == s}
    counts = Counter(a for a, _ in pairs)
    ids = ["A", "B", "KP-1", "Æ"]  # scored by at most 3 experts: all listed, with their counts
    assert _too_few_experts(frame, ids, 4) == [(a, counts[a]) for a in sorted(ids)]


def test_pair_codes_skip_unknown_ids(kp):
    ctx = kp[1]
    codes = scores._StageCodes(ctx)
    e0, e1 = codes.experts[:2]
    a0, a1 = codes.applications[:2]
    n = len(codes.applications)
    got = scores._pair_codes({e0: [a1, "nope", a0], "E-unknown": [a0], e1: [a1]}, codes)
    assert got.tolist() == [1, 0, n + 1]
    assert scores._pair_codes({}, codes).tolist() == []


def _fields(values: list[str]):
    """The padded UTF-8 bytes of ``values`` joined by commas, and each value's start and end."""
    data = ",".join(values).encode("utf-8")
    starts, at = [], 0
    for v in values:
        starts.append(at)
        at += len(v.encode("utf-8")) + 1
    ends = [a + len(v.encode("utf-8")) for a, v in zip(starts, values, strict=True)]
    return np.frombuffer(data + bytes(72), dtype=np.uint8), np.array(starts), np.array(ends)


@SETTINGS
@given(values=st.lists(st.sampled_from(["a", "", "KP-01", "kreativ_innovation", "kreativ_innovatiom", "æøå",
                                        "x" * 8, "x" * 9, "y" + "x" * 8, "z" * 64, "Afstår"]), min_size=1, max_size=12),
       weak_mix=st.booleans())
def test_byte_values_code_equal_values_alike(values, weak_mix):
    """Codes in order of first appearance, one per distinct value; with a mix that keeps only the
    last word of a value (longer values collide), a collision is found and refused."""
    mix = scores._MIX
    scores._MIX = np.uint64(0) if weak_mix else mix
    try:
        found = scores._byte_values(*_fields(values))
    finally:
        scores._MIX = mix
    assert found is not None or weak_mix
    if found is not None:
        rows, texts = found
        assert texts == list(dict.fromkeys(values)) and [texts[r] for r in rows] == values


def test_byte_values_refuse_a_collision(monkeypatch):
    monkeypatch.setattr(scores, "_MIX", np.uint64(0))  # a value's key is its last word only
    assert scores._byte_values(*_fields(["x" * 9, "y" + "x" * 8])) is None
    rows, texts = scores._byte_values(*_fields(["x" * 9, "x" * 9]))
    assert texts == ["x" * 9] and rows.tolist() == [0, 0]


def test_store_read_from_bytes_equals_text(tmp_path):
    """A generated call's stage-1 scores imported (no quote in the store): the store read from its
    bytes equals its columns read as text (``store._clean_store``); a changed archived original is
    refused either way."""
    root = _callgen().write_call(tmp_path / "call", 40)
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    for f in store.loose_score_files(root, "scores", 1):
        f.rename(inbox / f.name)
    _call, ctx = store.call_context(root, 1)
    store.apply_import(store.plan_import(root, "scores", 1, ctx, sorted(inbox.iterdir())))
    text = store.store_path(root, "scores", 1).read_text(encoding="utf-8")
    from_bytes = store._byte_store(text, root, ctx)
    assert from_bytes is not None
    store._store_as_text = True
    try:
        as_text, problems = store.read_store(root, "scores", 1, ctx)
    finally:
        store._store_as_text = False
    assert not problems and len(as_text) == 40 * 3 * len(ctx.catalogue.criterion_ids)
    pd.testing.assert_frame_equal(from_bytes, as_text, check_exact=True)
    assert list(from_bytes.dtypes) == list(as_text.dtypes)
    original = next((root / "scores" / "stage1-imported").rglob("*.csv"))
    original.write_bytes(original.read_bytes() + b"\n")
    assert store._byte_store(text, root, ctx) is None


def _callgen():
    sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))
    try:
        import callgen
    finally:
        sys.path.pop(0)
    return callgen


def test_no_link_problem_equals_symlink_problem(tmp_path):
    """Links inside the call folder, out of it, dangling, through a linked folder; plain files."""
    root = tmp_path / "call"
    inside = root / "scores" / "stage1"
    inside.mkdir(parents=True)
    outside = tmp_path / "elsewhere"
    outside.mkdir()
    (outside / "o.csv").write_text("x", encoding="utf-8")
    (inside / "a.csv").write_text("x", encoding="utf-8")
    (root / "b.csv").write_text("x", encoding="utf-8")
    (inside / "in.csv").symlink_to(root / "b.csv")
    (inside / "out.csv").symlink_to(outside / "o.csv")
    (inside / "gone.csv").symlink_to(tmp_path / "nothing.csv")
    (root / "linked").symlink_to(outside, target_is_directory=True)
    cases = [[inside / "a.csv"], [inside / "a.csv", inside / "in.csv"], [inside / "out.csv"],
             [inside / "gone.csv"], [root / "linked" / "o.csv"], [inside / "a.csv", root / "linked" / "o.csv"],
             [outside / "o.csv"], [inside / "missing.csv"]]
    for paths in cases:
        want = all(store.symlink_problem(root, p) is None for p in paths)
        assert store._no_link_problem(root, paths) == want, paths


def _outside_assignment_before(frame, assignments):
    """``scores.outside_assignment`` before the pairs were coded (verbatim, the reference)."""
    from selection import evaluation as ev

    cols = [ev.EXPERT, ev.APPLICATION, ev.SOURCE_FILE, ev.SHEET, ev.CELL, "n_scores"]
    if assignments is None or frame.empty:
        return pd.DataFrame(columns=cols)
    scored = frame[ev.SCORE].notna().to_numpy()
    assigned = {(e, a) for e, apps in assignments.items() for a in apps}
    pairs = zip(frame[ev.EXPERT].to_numpy()[scored].tolist(), frame[ev.APPLICATION].to_numpy()[scored].tolist(),
                strict=True)
    outside = ~np.fromiter(map(assigned.__contains__, pairs), dtype=bool, count=int(scored.sum()))
    if not outside.any():
        return pd.DataFrame(columns=cols)
    out = frame[scored][outside]
    keys = [ev.EXPERT, ev.APPLICATION, ev.SOURCE_FILE, ev.SHEET]
    table = out.groupby(keys, sort=True).agg(cell=(ev.CELL, "first"), n_scores=(ev.SCORE, "size")).reset_index()
    return table[cols].reset_index(drop=True)


@SETTINGS
@given(rows=st.lists(st.tuples(st.sampled_from(["E1", "E2", "Æ"]), st.sampled_from(["A", "B", "C", "KP-1"]),
                               st.sampled_from([1.0, float("nan")]), st.sampled_from(["f.csv", "g.csv"])), max_size=25),
       assigned=st.dictionaries(st.sampled_from(["E1", "E2", "E9"]),
                                st.frozensets(st.sampled_from(["A", "B", "Z"])), max_size=3) | st.none())
def test_outside_assignment_equals_before(rows, assigned):
    from selection import evaluation as ev

    frame = pd.DataFrame({ev.EXPERT: pd.array([r[0] for r in rows], dtype="str"),
                          ev.APPLICATION: pd.array([r[1] for r in rows], dtype="str"),
                          ev.SCORE: [r[2] for r in rows], ev.SOURCE_FILE: pd.array([r[3] for r in rows], dtype="str"),
                          ev.SHEET: pd.array([""] * len(rows), dtype="str"),
                          ev.CELL: pd.array([f"D{i + 2}" for i in range(len(rows))], dtype="str")})
    got = scores.outside_assignment(frame, assigned)
    want = _outside_assignment_before(frame, assigned)
    pd.testing.assert_frame_equal(got, want, check_exact=True)
