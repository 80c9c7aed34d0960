"""The main path at scale (issue 12, wave 4): ``application-attributes.csv`` with each attribute's
values factorised in C when they are all of one type (text, yes/no, whole numbers, floats without
NaN, sets of text), the per-value loop otherwise; the same table as the previous implementation
(tests/test_runs_scale.py keeps it verbatim as ``reference_attribute_table``) on columns of one type
each -- where the fast path applies, with the values that look alike to a dict (0.0 and -0.0; a set
of 1 and of 1.0), NaN, blank text and missing values. And its CSV text written without the table
(``attribute_csv_text``, what ``selection run`` writes through ``run_files``): the bytes of
``csv_text(attribute_table(...))``, formula-like and quoted text included."""

from __future__ import annotations

import math
from types import SimpleNamespace

import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection.io.export import csv_text
from selection.runs import attribute_csv_text, attribute_table, run_files, run_tables, write_run

from .test_runs_scale import ATTRIBUTES, applications, reference_attribute_table

KINDS = {
    "text": st.sampled_from(["", "  ", "Aarhus", "Herning", "music", "=1+1", "a,b"]),
    "yes_no": st.booleans(),
    "whole": st.integers(-2, 3),
    "float": st.sampled_from([1.0, 0.0, -0.0, 2.5, 1e16, 3.0]),
    "float_nan": st.sampled_from([1.0, math.nan, -0.0]),
    "text_sets": st.frozensets(st.sampled_from(["music", "film", "games", "theatre"]), max_size=3),
    "any_sets": st.frozensets(st.sampled_from([1, 1.0, True, "1", 2]), max_size=2),
}


@st.composite
def one_type_columns(draw):
    n = draw(st.integers(0, 25))
    kinds = {t.id: draw(st.sampled_from(sorted(KINDS))) for t in ATTRIBUTES}
    apps = {}
    for i in range(n):
        values = {}
        for t in ATTRIBUTES:
            v = draw(st.none() | KINDS[kinds[t.id]])
            if v is not None or draw(st.booleans()):
                values[t.id] = v  # None held as a value, or no key at all
        apps[f"A{i:02d}"] = SimpleNamespace(attributes=values)
    return apps


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_type_columns())
def test_columns_of_one_type_equal_the_previous_implementation(apps):
    pd.testing.assert_frame_equal(attribute_table(ATTRIBUTES, apps), reference_attribute_table(ATTRIBUTES, apps))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(one_type_columns() | applications(), st.lists(st.sampled_from(ATTRIBUTES), max_size=6, unique_by=lambda t: t.id))
def test_attribute_text_equals_the_table_written(apps, attributes):
    for atts in (ATTRIBUTES, attributes):
        assert attribute_csv_text(atts, apps) == csv_text(attribute_table(atts, apps))


def test_ids_and_values_that_need_quoting_or_neutralising():
    apps = {"A;1": SimpleNamespace(attributes={"municipality": "=HYPERLINK(1)", "industry": frozenset({"a,b", "c"})}),
            'B"2': SimpleNamespace(attributes={"municipality": "Lyd;=cmd", "rural": True}),
            "C": SimpleNamespace(attributes={})}
    assert attribute_csv_text(ATTRIBUTES, apps) == csv_text(attribute_table(ATTRIBUTES, apps))
    assert attribute_csv_text(ATTRIBUTES, {}) == csv_text(attribute_table(ATTRIBUTES, {}))


def test_run_files_write_the_bytes_of_run_tables(example_result, tmp_path):
    """``selection run`` writes run_files: every file the bytes run_tables' frames give."""
    files, tables = run_files(example_result), run_tables(example_result)
    assert files.keys() == tables.keys()
    assert any(isinstance(v, str) for v in files.values())
    for name, frame in tables.items():
        got = files[name]
        assert (got if isinstance(got, str) else csv_text(got)) == csv_text(frame), name
    folder = write_run(tmp_path / "run", files, {}, [], example_result.folder.root)
    for name, frame in tables.items():
        assert (folder / name).read_text(encoding="utf-8") == csv_text(frame)


def test_attributes_held_in_any_mapping():
    """Attributes in a mapping that is not a dict are read the careful way: the same table."""
    from types import MappingProxyType

    apps = {"A": SimpleNamespace(attributes=MappingProxyType({"municipality": "Aarhus", "rural": True})),
            "B": SimpleNamespace(attributes={"municipality": "Herning"})}
    pd.testing.assert_frame_equal(attribute_table(ATTRIBUTES, apps), reference_attribute_table(ATTRIBUTES, apps))
    assert attribute_csv_text(ATTRIBUTES, apps) == csv_text(attribute_table(ATTRIBUTES, apps))


@settings(max_examples=40, deadline=None)
@given(st.lists(st.integers(-(2**63), 2**63 - 1), min_size=1, max_size=5), st.integers(0, 3000),
       st.sampled_from(["int64", "int32", "uint8"]))
def test_integer_cells_once_per_distinct_value(values, n, dtype):
    """csv_text's integer columns (a stage number, counts) written once per distinct value when a
    few repeat many times: the texts of ``str`` for every row, in every integer type."""
    import numpy as np

    from selection.io.export import _int_cells

    info = np.iinfo(dtype)
    column = np.resize(np.array([min(max(v, info.min), info.max) for v in values], dtype=dtype), n)
    assert _int_cells(column) == list(map(str, column.tolist()))
    frame = pd.DataFrame({"stage": column, "n": np.arange(n)})
    assert csv_text(frame) == "stage,n\n" + "".join(f"{a},{b}\n" for a, b in zip(column.tolist(), range(n), strict=True))


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=True, allow_infinity=True) |
    st.text(alphabet=st.sampled_from(list('aÅ"\\\n\t\x00é€😀'))),
    lambda inner: st.lists(inner, max_size=4) | st.lists(inner, max_size=3).map(tuple) |
    st.lists(st.text(max_size=3), max_size=4) |
    st.dictionaries(st.text(max_size=3), inner, max_size=4) |
    st.dictionaries(st.integers(-3, 3), inner, max_size=3),  # keys json sorts and writes itself
    max_leaves=20)


@settings(max_examples=300, deadline=None)
@given(JSON)
def test_json_text_equals_the_standard_library(data):
    """A manifest written by json_text has the bytes json.dumps(indent=2, sort_keys, ensure_ascii off) gives."""
    import json

    from selection.io.export import json_text

    assert json_text(data) == json.dumps(data, indent=2, ensure_ascii=False, sort_keys=True)


def test_json_text_of_a_run_manifest(example_result):
    import json
    from datetime import UTC, datetime

    from selection.io.export import json_text
    from selection.runs import run_manifest

    m = run_manifest(example_result, None, datetime(2026, 1, 2, tzinfo=UTC))
    assert json_text(m) == json.dumps(m, indent=2, ensure_ascii=False, sort_keys=True)
