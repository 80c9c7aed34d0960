"""The column-wise applications reader (``tables._clean_applications``, issue 12: reading a call of
20,000 applications) equals the row-by-row reader with one validated model per row
(``tables._reference_only = True``), on generated tables with clean and faulty rows: the same
applications (equal, with the same ``__dict__`` in field order, value types, fields set, no
extra or private values) or the same problems, in the same order.
"""

from __future__ import annotations

import csv
import io

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection.errors import InputError
from selection.io import tables
from selection.io.csvfile import read_csv
from selection.io.toml import load_call
from selection.model import Application
from selection.vocabulary import Attribute

SETTINGS = settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@pytest.fixture(scope="module")
def attributes(example_dir):
    """The example call's declared attributes, plus an amount and a free text."""
    call, _ = load_call(example_dir / "call.toml")
    extra = [Attribute(id="own_funding", label_da="Egenfinansiering", label_en="Own funding", type="money"),
             Attribute(id="note", label_da="Note", label_en="Note", type="one", column="note_text")]
    return [*call.attributes, *extra]


_CELLS = {
    "application_id": (["KP-01", "KP-02", "A.1", "b_2", "KP-03"], ["KP-01", "-KP", "=1", "A B", "Æ1", ""]),
    "title": (["Lyd på landet", "T", "Æble"], ["", "  "]),
    "lead_organisation": (["Org", "Org ApS"], [""]),
    "industries": (["music", "music | design", "", "design|music"], ["nope", "music | x"]),
    "focus_areas": (["tourism", "it | tourism", ""], ["zzz"]),
    "municipality": (["Aarhus", "Herning", " Aarhus "], ["", "Paris"]),
    "rural": (["true", "false", "ja", "", "X"], ["maybe"]),
    "grant_stage1": (["250000", "250.000", "250 000", "0"], ["", "-5", "2,5", "x"]),
    "grant_stage2": (["100000", ""], ["1e5"]),
    "total_budget_per_year": (["3900000", "3.900.000", ""], ["lots", "-1"]),
    "regional_cofinancing_per_year": (["1190000", "0", ""], ["9999999999", "1,5"]),
    "partners_creative": (["1", "2", "2,5", "0", "", "1e3"], ["two", "1e400x"]),
    "own_funding": (["1000", "1.000", ""], ["1,5", "x"]),
    "note_text": (["any text", "", " spaced "], []),
}


def _outcome(table, attributes, reference: bool):
    tables._reference_only = reference
    try:
        return tables.read_applications(table, attributes), []
    except InputError as exc:
        return None, [str(p) for p in exc.problems]
    finally:
        tables._reference_only = False


@SETTINGS
@given(data=st.data(), faulty=st.booleans(), n=st.integers(0, 8), sep=st.sampled_from([",", ";"]))
def test_applications_column_wise_equal_row_by_row(tmp_path_factory, attributes, data, faulty, n, sep):
    header = ["application_id", "title", "lead_organisation"] + [
        c for c in list(_CELLS)[3:] if data.draw(st.integers(0, 5)) > 0]
    rows = []
    for i in range(n):
        row = []
        for c in header:
            good, bad = _CELLS[c]
            pool = good + (bad if faulty else [])
            value = data.draw(st.sampled_from(pool))
            if c == "application_id" and not faulty:
                value = f"KP-{i:02d}"
            if c == "regional_cofinancing_per_year" and not faulty and not (
                    "total_budget_per_year" in header and row[header.index("total_budget_per_year")].strip("0.")):
                value = "0"  # a clean row's co-financing is not above its total budget
            row.append(value)
        rows.append(row)
    out = io.StringIO()
    csv.writer(out, delimiter=sep, lineterminator="\n").writerows([header, *rows])
    f = tmp_path_factory.mktemp("apps") / "applications.csv"
    f.write_text(out.getvalue(), encoding="utf-8")
    table = read_csv(f)
    fast = _outcome(table, attributes, False)
    ref = _outcome(table, attributes, True)
    assert fast[1] == ref[1]
    if ref[0] is not None:
        assert len(fast[0]) == len(ref[0])
        for a, b in zip(fast[0], ref[0], strict=True):
            assert type(a) is Application and a == b
            assert list(a.__dict__.items()) == list(b.__dict__.items())
            assert [type(v) for v in a.attributes.values()] == [type(v) for v in b.attributes.values()]
            assert a.model_fields_set == b.model_fields_set
            assert (a.__pydantic_extra__, a.__pydantic_private__) == (b.__pydantic_extra__, b.__pydantic_private__)
            assert a.model_dump_json() == b.model_dump_json()


def test_clean_table_takes_the_column_wise_path(example_dir, attributes):
    table = read_csv(example_dir / "applications.csv")
    clean = tables._clean_applications(table, attributes)
    assert clean is not None and clean == _outcome(table, attributes, True)[0]


@SETTINGS
@given(text=st.text(st.sampled_from(["A", " ", "=", "+", "-", "@", "\t", "\r", "\n", ";", '"', "1"]), max_size=6))
def test_formula_like_equals_formula_id_problems(text):
    assert tables._formula_like(text) == bool(tables.formula_id_problems({"id": text}, ["id"], "f.csv", 1))


# --- read_csv: a plain table split column-wise, its rows made when asked for ---------------------

_cells = st.sampled_from(["", " ", "a", " b ", "KP-01", "3,5", "x y", "æø", "\t", '"q"', "sep=;"])


@SETTINGS
@given(rows=st.lists(st.lists(_cells, min_size=0, max_size=4), max_size=6),
       header=st.lists(st.sampled_from(["id", "Id", "x", "", " y ", "score"]), min_size=1, max_size=4),
       sep=st.sampled_from([",", ";", "\t"]), nl=st.sampled_from(["\n", "\r\n"]),
       trailing=st.sampled_from(["", "\n", "\n\n"]), encoding=st.sampled_from(["utf-8", "cp1252"]))
def test_read_csv_equals_parse_csv_text(tmp_path_factory, rows, header, sep, nl, trailing, encoding):
    from selection.io.csvfile import CsvTable, decode_bytes, parse_csv_text

    text = nl.join(sep.join(r) for r in [header, *rows]) + trailing
    f = tmp_path_factory.mktemp("t") / "t.csv"
    f.write_bytes(text.encode(encoding))
    try:
        decoded, enc = decode_bytes(f.read_bytes(), "t.csv")
        parsed = parse_csv_text(decoded, name=str(f))
        want = CsvTable(str(f), enc, parsed.separator, parsed.header, parsed.rows, parsed.header_line)
    except InputError as exc:
        with pytest.raises(InputError) as got:
            read_csv(f)
        assert [str(p) for p in got.value.problems] == [str(p) for p in exc.problems]
        return
    got = read_csv(f)
    for name in {*want.header, "nope"}:  # before the rows are made, and after
        assert got.column(name) == (None if name not in want.header else [r.values[name] for r in want.rows])
    assert got == want and got.rows == want.rows and repr(got) == repr(want)
    assert got.renamed("other.csv") == CsvTable("other.csv", enc, want.separator, want.header, want.rows,
                                                want.header_line)
