"""The fast paths of writing CSV (issue 12, waves 2 and 3): each distinct text neutralised once, the
re-quoting pass skipped when no field holds ``;``, a tab or a line break, and (wave 3) float, integer,
boolean and text columns written directly instead of through pandas' ``to_csv``. All must give exactly
the bytes of the plain forms (kept here as the reference: pandas with ``float_format="%.12g"``), for
any table, awkward floats included (NaN, infinities, -0.0, 1e-7, 1e16, integers stored as float,
the smallest and largest doubles, float32)."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection.io.export import _QUOTE_IF, _direct_csv_text, csv_text, neutralise, safe_frame


def reference_safe_frame(frame: pd.DataFrame) -> pd.DataFrame:
    """safe_frame as it was: ``map(neutralise)`` over every text column."""
    from selection.io.export import is_id_column

    out = frame.copy()
    for j in range(out.shape[1]):
        col = out.iloc[:, j]
        if is_id_column(out.columns[j]):
            continue
        if col.dtype == object or pd.api.types.is_string_dtype(col):
            out.isetitem(j, col.map(neutralise))
    out.columns = [neutralise(str(c)) for c in out.columns]
    return out


def reference_csv_text(frame: pd.DataFrame) -> str:
    """csv_text as it was: pandas' text re-read and every field re-quoted."""
    raw = reference_safe_frame(frame).to_csv(index=False, lineterminator="\r\n", float_format="%.12g")
    out = io.StringIO()
    for row in csv.reader(io.StringIO(raw, newline="")):
        if row == [""]:
            out.write('""\n')
            continue
        out.write(",".join('"' + f.replace('"', '""') + '"' if _QUOTE_IF.search(f) else f for f in row))
        out.write("\n")
    return out.getvalue()


TEXT = st.text(alphabet=st.sampled_from(list("ab Å=+-@,;\"'\t\r\n|0.5\x00")), max_size=6)  # NUL too
#: Floats whose "%.12g" text is easy to get wrong by hand: signed zero, exponents either side of the
#: switch to scientific notation, integers stored as float, 12 and 13 significant digits, extremes.
AWKWARD = [-0.0, 0.0, 1e-7, 1e-5, 1e-4, 0.0001234, 1e16, 1e15, 1e12, 999999999999.0, 1e11, 3.0, -2.0,
           0.1 + 0.2, 1 / 3, 123456789012.5, 1234567890123.0, 5e-324, 2.2250738585072014e-308,
           1.7976931348623157e308, math.inf, -math.inf, math.nan, 2.5, 0.5, -0.5]
FLOAT = st.one_of(st.sampled_from(AWKWARD), st.floats(allow_nan=True, allow_infinity=True),
                  st.floats(-5, 5).map(lambda x: round(x, 2)))
CELL = st.one_of(TEXT, TEXT, st.none(), st.just(math.nan), st.integers(-3, 3), st.floats(-2, 2),
                 st.booleans())


@st.composite
def frames(draw):
    n = draw(st.integers(0, 6))
    cols = draw(st.lists(st.sampled_from(["title", "reason", "application_id", "score", "note", ""]),
                         min_size=1, max_size=4))
    data = {}
    for i in range(len(cols)):
        kind = draw(st.sampled_from(["text", "str", "string", "mixed", "number", "float", "float32", "int",
                                     "bool", "Int64"]))
        if kind in ("text", "str", "string"):
            cells = draw(st.lists(st.one_of(TEXT, st.none()), min_size=n, max_size=n))
        elif kind == "mixed":
            cells = draw(st.lists(CELL, min_size=n, max_size=n))
        elif kind in ("float", "float32"):
            cells = draw(st.lists(FLOAT, min_size=n, max_size=n))
        elif kind in ("int", "Int64"):
            cells = draw(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=n, max_size=n))
            if kind == "Int64" and cells:
                cells[draw(st.integers(0, n - 1))] = None  # a missing value: pandas' masked integers
        elif kind == "bool":
            cells = draw(st.lists(st.booleans(), min_size=n, max_size=n))
        else:
            cells = draw(st.lists(st.one_of(st.floats(-5, 5), st.just(math.nan)), min_size=n, max_size=n))
        dtype = {"number": float, "str": None, "string": "string", "float": "float64", "float32": "float32",
                 "int": "int64", "bool": "bool", "Int64": "Int64"}.get(kind, object)  # None: pandas' own "str"
        with np.errstate(over="ignore"):  # float32: a large double becomes inf, as pandas casts it
            data[i] = pd.Series(cells, dtype=dtype)
    frame = pd.DataFrame(data)
    frame.columns = cols
    return frame


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(frames())
def test_fast_csv_text_equals_the_reference(frame):
    assert csv_text(frame) == reference_csv_text(frame)
    fast, slow = safe_frame(frame), reference_safe_frame(frame)
    assert list(fast.columns) == list(slow.columns)
    for j in range(fast.shape[1]):
        a, b = fast.iloc[:, j].tolist(), slow.iloc[:, j].tolist()
        assert len(a) == len(b)
        for x, y in zip(a, b, strict=True):
            assert x is y or x == y or (pd.isna(x) and pd.isna(y))  # None or NaN: both an empty field


def test_large_text_table_same_bytes():
    """A 20,000-row table of a few hundred repeated labels (the attribute table's shape), with
    formula-like texts, separators and line breaks among them."""
    rng = np.random.default_rng(0)
    labels = [f"label {i}" for i in range(300)] + ["=SUM(A1)", "-2 points", "a;b", "x,y", 'say "hi"', "two\nlines"]
    frame = pd.DataFrame({"application_id": [f"A{i:05d}" for i in range(20_000)],
                          "value": rng.choice(labels, 20_000), "label_da": rng.choice(labels[:300], 20_000),
                          "n": rng.integers(0, 9, 20_000)})
    assert csv_text(frame) == reference_csv_text(frame)
    plain = frame.assign(value=rng.choice(labels[:300], 20_000))  # the fast path: nothing to re-quote
    assert csv_text(plain) == reference_csv_text(plain)


def test_awkward_floats_each_written_as_pandas_writes_them():
    """Every awkward float alone, in a column of its own and beside text (one-column tables write an
    empty field as ``""``), written directly (not through the pandas fallback) and equal to pandas."""
    for x in AWKWARD:
        for frame in (pd.DataFrame({"score": [x]}), pd.DataFrame({"score": [x, 1.0], "title": ["a,b", ""]})):
            assert _direct_csv_text(frame) is not None
            assert csv_text(frame) == reference_csv_text(frame), x
    frame = pd.DataFrame({"score": AWKWARD, "n": range(len(AWKWARD)), "ok": [True, False] * 13,
                          "application_id": ["=id"] * 26, "note": ["-2 points", 'say "hi"', "a;b", None] * 6 + ["", "x"]})
    assert _direct_csv_text(frame) is not None
    assert csv_text(frame) == reference_csv_text(frame)
    assert csv_text(frame).splitlines()[1].startswith("-0,0,True,=id,'-2 points")


def test_run_file_column_types_are_written_directly():
    """The run files' column types (numpy floats, integers and booleans, pandas' ``str``) take the
    direct writer; a column type it does not write (masked integers) falls back to pandas."""
    frame = pd.DataFrame({"application_id": pd.Series(["A1", "A2"], dtype="str"), "rank": [1, 2],
                          "score": [3.5, math.nan], "eligible": [True, False], "reason": ["x", None]})
    assert _direct_csv_text(frame) == reference_csv_text(frame)
    assert _direct_csv_text(frame.assign(n=pd.array([1, None], dtype="Int64"))) is None
    assert csv_text(frame.assign(n=pd.array([1, None], dtype="Int64"))) == \
        reference_csv_text(frame.assign(n=pd.array([1, None], dtype="Int64")))
