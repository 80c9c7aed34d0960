"""Property-based fuzzing of the CSV score readers: every input ends in valid data or a clear
:class:`ScoreSheetError`, never another exception; valid data in any dialect reads back exactly."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection.errors import ScoreSheetError
from selection.io.scores import read_score_files

FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture])


def _read(path, ctx):
    try:
        frame = read_score_files([path], ctx)
    except ScoreSheetError as exc:
        assert exc.problems and all(p.message for p in exc.problems)
        return None
    ok = frame["score"].isna() == frame["abstained"]
    assert ok.all()
    assert frame["score"].dropna().between(0, 5).all()
    return frame


@FUZZ
@given(data=st.binary(max_size=400))
def test_arbitrary_bytes(tmp_path, kp, data):
    f = tmp_path / "x.csv"
    f.write_bytes(data)
    _read(f, kp[1])


_cells = st.one_of(st.sampled_from(["3", "3,5", "4.5", "7", "-1", "", "abstain", "afstår", "tre",
                                    "E01", "KP-01", "udsyn", '"a;b"', "1e3", "nan", "=1+1", "æøå"]),
                   st.text(max_size=6))


@FUZZ
@given(header=st.sampled_from(["long", "wide", "junk"]), sep=st.sampled_from([",", ";", "\t"]),
       rows=st.lists(st.lists(_cells, max_size=12), max_size=6),
       enc=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]), crlf=st.booleans())
def test_structured_garbage(tmp_path, kp, header, sep, rows, enc, crlf):
    ctx = kp[1]
    head = {"long": ["expert_id", "application_id", "criterion_id", "score", "comment"],
            "wide": ["expert_id", "application_id", *ctx.catalogue.criterion_ids, "comment"],
            "junk": ["a", "b"]}[header]
    nl = "\r\n" if crlf else "\n"
    text = nl.join(sep.join(r) for r in [head, *rows]) + nl
    f = tmp_path / "x.csv"
    f.write_bytes(text.encode(enc, errors="replace"))
    _read(f, ctx)


@FUZZ
@given(scores=st.lists(st.one_of(st.integers(0, 10).map(lambda k: k / 2), st.just(None)),
                       min_size=8, max_size=8),
       sep=st.sampled_from([",", ";"]), enc=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
       decimal_comma=st.booleans(), comment=st.text("abcæøåÆØÅ -", max_size=10))
def test_valid_scores_read_back_in_every_dialect(tmp_path, kp, scores, sep, enc, decimal_comma,
                                                 comment):
    ctx = kp[1]
    if decimal_comma and sep == ",":
        sep = ";"
    crits = ctx.catalogue.criterion_ids

    def fmt(x):
        if x is None:
            return "afstår"
        t = f"{x:g}"
        return t.replace(".", ",") if decimal_comma else t

    q = '"' if sep in comment else ""
    text = (sep.join(["expert_id", "application_id", *crits, "comment"]) + "\n"
            + sep.join(["E01", "KP-01", *map(fmt, scores), f"{q}{comment}{q}"]) + "\n")
    f = tmp_path / "x.csv"
    f.write_bytes(text.encode(enc))
    frame = _read(f, ctx)
    assert frame is not None
    got = frame.set_index("criterion_id").loc[crits]
    assert [None if a else s for s, a in zip(got["score"], got["abstained"], strict=True)] == scores
    assert set(got["comment"]) == {comment.strip()}
