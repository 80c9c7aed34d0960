"""The fast paths of writing CSV (issue 12, wave 2): each distinct text neutralised once, and the
re-quoting pass skipped when no field holds ``;``, a tab or a line break. Both must give exactly
the bytes of the plain forms (kept here as the reference), for any table."""

from __future__ import annotations

import csv
import io
import math

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection.io.export import _QUOTE_IF, csv_text, neutralise, safe_frame


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


TEXT = st.text(alphabet=st.sampled_from(list("ab Å=+-@,;\"'\t\r\n|0.5")), max_size=6)
CELL = st.one_of(TEXT, TEXT, st.none(), st.just(math.nan), st.integers(-3, 3), st.floats(-2, 2),
                 st.booleans())


@st.composite
def frames(draw):
    n = draw(st.integers(0, 6))
    cols = draw(st.lists(st.sampled_from(["title", "reason", "application_id", "score", "note", ""]),
                         min_size=1, max_size=4))
    data = {}
    for i in range(len(cols)):
        kind = draw(st.sampled_from(["text", "str", "string", "mixed", "number"]))
        if kind in ("text", "str", "string"):
            cells = draw(st.lists(st.one_of(TEXT, st.none()), min_size=n, max_size=n))
        elif kind == "mixed":
            cells = draw(st.lists(CELL, min_size=n, max_size=n))
        else:
            cells = draw(st.lists(st.one_of(st.floats(-5, 5), st.just(math.nan)), min_size=n, max_size=n))
        dtype = {"number": float, "str": None, "string": "string"}.get(kind, object)  # None: pandas' own "str"
        data[i] = pd.Series(cells, dtype=dtype)
    frame = pd.DataFrame(data)
    frame.columns = cols
    return frame


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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
