"""The run tables at scale (issue 12, wave 3): ``panel-scores.csv``'s ``n_scores`` counted with one
``bincount`` instead of a per-row look-up, and ``application-attributes.csv`` built once per distinct
(attribute, value) and put together column by column. Both must give exactly the tables of the
previous implementations (kept here verbatim as the reference), for any input."""

from __future__ import annotations

import math
from decimal import Decimal
from types import MappingProxyType, SimpleNamespace

import numpy as np
import pandas as pd
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection import evaluation as ev
from selection import schema
from selection.runs import _score_counts, attribute_table
from selection.vocabulary import Attribute, AttributeValue, attribute_values


# --- the previous implementations, verbatim (the references) -----------------------------------
def reference_attribute_table(attributes, applications) -> pd.DataFrame:
    decl = [(att, {v: i for i, v in enumerate(att.value_ids())},
             {v: (att.value_label(v, "en"), att.value_label(v, "da")) for v in att.value_ids()},
             att.label("en"), att.label("da")) for att in attributes]
    rows = []
    for a in sorted(applications):
        values = applications[a].attributes
        for att, pos, labels, name_en, name_da in decl:
            raw = values.get(att.id)
            if raw is None or (isinstance(raw, str) and not raw.strip()):
                continue
            have = attribute_values(att, raw)
            order = [v for _, v in sorted((pos.get(v, len(pos)), v) for v in have)]  # declared order, then any other
            for v in order:
                en, da = labels[v] if v in labels else (att.value_label(v, "en"), att.value_label(v, "da"))
                rows.append((a, att.id, att.type, v, en, da, name_en, name_da))
    return pd.DataFrame(rows, columns=list(schema.APPLICATION_ATTRIBUTES.columns))


def reference_score_counts(scored: pd.DataFrame, long: pd.DataFrame) -> list[int]:
    n_scores = scored[scored[ev.SCORE].notna()].groupby([ev.APPLICATION, ev.CRITERION]).size()
    return [int(n_scores.get((a, c), 0)) for a, c in zip(long[ev.APPLICATION], long[ev.CRITERION], strict=True)]


# --- attribute table ----------------------------------------------------------------------------
def _value(i: str) -> AttributeValue:
    return AttributeValue(id=i, label_da=f"{i} (da)", label_en=f"{i} (en)")


ATTRIBUTES = [
    Attribute(id="industry", label_da="Branche", label_en="Industry", type="several",
              values=[_value("music"), _value("film"), _value("games")]),
    Attribute(id="municipality", label_da="Kommune", label_en="Municipality", type="one",
              values=[_value("Aarhus"), _value("Herning")]),
    Attribute(id="rural", label_da="Landdistrikt", label_en="Rural areas", type="yes_no"),
    Attribute(id="partners", label_da="Partnere", label_en="Partners", type="number"),
    Attribute(id="budget", label_da="Budget", label_en="Budget", type="money"),
    Attribute(id="note", label_da="Note", label_en="Note", type="one"),
]

#: Values that look alike to a dict (True == 1 == 1.0, 0.0 == -0.0) but are written differently,
#: text that is blank, undeclared values, sets in any order, NaN, lists (unhashable).
RAW = st.one_of(
    st.none(), st.booleans(), st.integers(-2, 3), st.sampled_from([1.0, 0.0, -0.0, 2.5, 1e16, math.nan, 3.0]),
    st.sampled_from(["", "  ", "Aarhus", "Herning", "Odense", "music", "=1+1", "a,b"]),
    st.frozensets(st.sampled_from(["music", "film", "games", "theatre"]), max_size=3),
    st.lists(st.sampled_from(["music", "film", "games"]), max_size=3),
    st.frozensets(st.sampled_from([1, 1.0, True, "1", 2]), max_size=2),  # equal items written apart
    st.lists(st.sampled_from([1, 1.0, "1", Decimal("1.0")]), max_size=2).map(tuple),
    st.sampled_from([Decimal("1"), Decimal("1.0"), Decimal("-0")]),  # equal, written differently
)


@st.composite
def applications(draw):
    n = draw(st.integers(0, 12))
    ids = draw(st.lists(st.text(alphabet="ABCxyz019", min_size=1, max_size=3), min_size=n, max_size=n,
                        unique=True))
    return {a: SimpleNamespace(attributes=draw(st.dictionaries(st.sampled_from([t.id for t in ATTRIBUTES]), RAW)))
            for a in ids}


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(applications(), st.lists(st.sampled_from(ATTRIBUTES), min_size=0, max_size=6, unique_by=lambda t: t.id))
def test_attribute_table_equals_the_previous_implementation(apps, attributes):
    pd.testing.assert_frame_equal(attribute_table(attributes, apps), reference_attribute_table(attributes, apps))


def test_attribute_table_keeps_equal_looking_values_apart():
    """True, 1 and 1.0 are one dict key but three values: "true", "1", "1"; 0.0 and -0.0 both "0"."""
    apps = {"A": SimpleNamespace(attributes={"rural": True, "partners": 1}),
            "B": SimpleNamespace(attributes={"rural": 1, "partners": 1.0}),
            "C": SimpleNamespace(attributes={"rural": False, "partners": -0.0, "industry": ["games", "music"]})}
    table = attribute_table(ATTRIBUTES, apps)
    assert list(table["value"]) == ["true", "1", "1", "1", "music", "games", "false", "0"]
    pd.testing.assert_frame_equal(table, reference_attribute_table(ATTRIBUTES, apps))
    apps = {"A": SimpleNamespace(attributes={"industry": frozenset({1}), "note": Decimal("1")}),
            "B": SimpleNamespace(attributes={"industry": frozenset({1.0}), "note": Decimal("1.0")})}
    table = attribute_table(ATTRIBUTES, apps)
    assert list(table["value"]) == ["1", "1", "1.0", "1.0"]
    pd.testing.assert_frame_equal(table, reference_attribute_table(ATTRIBUTES, apps))


def test_attribute_table_at_scale_same_frame():
    """5,000 applications of repeated values (the national call's shape)."""
    rng = np.random.default_rng(3)
    sets = [frozenset(s) for s in (["music"], ["film", "music"], ["games"], [], ["theatre", "film"])]
    apps = {f"A{i:05d}": SimpleNamespace(attributes={
        "industry": sets[rng.integers(5)], "municipality": ["Aarhus", "Herning", "Odense"][rng.integers(3)],
        "rural": bool(rng.integers(2)), "partners": int(rng.integers(0, 4)), "budget": float(rng.integers(0, 3)) * 1e5})
        for i in range(5_000)}
    pd.testing.assert_frame_equal(attribute_table(ATTRIBUTES, apps), reference_attribute_table(ATTRIBUTES, apps))


# --- n_scores -----------------------------------------------------------------------------------
@st.composite
def evaluations(draw):
    apps = [f"A{i}" for i in range(draw(st.integers(1, 6)))]
    crits = [f"c{i}" for i in range(draw(st.integers(1, 4)))]
    rows = draw(st.lists(st.tuples(st.sampled_from(apps + ["X", None]), st.sampled_from(crits + ["z", None]),
                                   st.one_of(st.just(math.nan), st.floats(0, 5))), max_size=40))
    scored = pd.DataFrame(rows, columns=[ev.APPLICATION, ev.CRITERION, ev.SCORE]).astype(
        {ev.APPLICATION: "str", ev.CRITERION: "str", ev.SCORE: "float64"})
    panel = pd.DataFrame(np.ones((len(apps), len(crits))), index=pd.Index(apps, name=ev.APPLICATION),
                         columns=pd.Index(crits, name=ev.CRITERION))
    long = panel.stack().rename("panel_score").reset_index()
    if draw(st.booleans()) and len(long):  # a missing id among the pairs: no score is counted for it
        long[ev.APPLICATION] = long[ev.APPLICATION].where(np.arange(len(long)) != 0, None)
    return scored, long


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(evaluations())
def test_score_counts_equal_the_per_row_lookup(case):
    """Abstentions (no score) not counted, pairs without scores 0, scores of applications or criteria
    outside the panel ignored."""
    scored, long = case
    got = _score_counts(scored, long)
    assert got.dtype == np.int64
    assert got.tolist() == reference_score_counts(scored, long)


# --- decision records: to_json and the words ------------------------------------------------------
def reference_plain(x):
    """decisions._plain as it was (isinstance checks all the way down)."""
    from collections.abc import Mapping

    if isinstance(x, float) and not math.isfinite(x):
        return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, Mapping):
        return {str(k): reference_plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set, frozenset)):
        return [reference_plain(v) for v in (sorted(x) if isinstance(x, (set, frozenset)) else x)]
    return x


def reference_add_reasons(table, columns=None):
    """words.add_reasons as it was: every row's record parsed and rendered."""
    from selection.decisions import Decision
    from selection.words import render

    out = table.copy()
    records = [Decision.from_json(c, f) for c, f in zip(out["reason_code"], out["facts"], strict=True)]
    out["reason"] = [render(d, "en") for d in records]
    out["reason_da"] = [render(d, "da") for d in records]
    if columns is None:
        cols = [c for c in table.columns if c not in ("reason", "reason_da")]
        for name, after in (("reason", "selected"), ("reason_da", "eligible")):
            cols.insert(cols.index(after) + 1 if after in cols else len(cols), name)
        columns = cols
    return out[list(columns)]


_SCALAR = st.one_of(st.none(), st.booleans(), st.integers(-10**20, 10**20), st.text(max_size=4),
                    st.floats(allow_nan=True, allow_infinity=True), st.sampled_from([-0.0, 1e16, 1e-7, 3.0]),
                    st.floats(allow_nan=True).map(np.float64))
_KEY = st.one_of(st.text(max_size=3), st.integers(-3, 12), st.booleans(), st.none(), st.sampled_from([1.5, -0.0]))
FACTS = st.recursive(_SCALAR, lambda inner: st.one_of(
    st.lists(inner, max_size=3), st.tuples(inner, inner), st.frozensets(st.text(max_size=2), max_size=3),
    st.sets(st.integers(0, 20), max_size=3), st.dictionaries(_KEY, inner, max_size=3),
    st.dictionaries(_KEY, inner, max_size=3).map(MappingProxyType)),  # a mapping that is not a dict
    max_leaves=12)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(max_size=4), FACTS, max_size=4))
def test_plain_equals_the_previous_form(facts):
    """Non-finite floats, sets, tuples, numpy floats, keys that are not text (True, None, 2 and 10
    sort as text): the same JSON as the previous recursion gives."""
    import json

    from selection.decisions import Decision, _plain

    def dumps(x):
        return json.dumps(x, ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    try:
        expected = dumps(reference_plain(facts))
    except (TypeError, ValueError) as exc:  # e.g. a set of mixed types: the same error both ways
        try:
            dumps(_plain(facts))
        except type(exc):
            return
        raise AssertionError("the previous form failed, the new one did not") from exc
    assert dumps(_plain(facts)) == expected
    assert Decision("no_gain", facts).to_json() == expected


def test_add_reasons_equals_rendering_every_row(example_result):
    """Each distinct record is rendered once: the table equals rendering every row, on the example
    call's stages and on a table of their records repeated and shuffled."""
    from selection.words import add_reasons

    rng = np.random.default_rng(5)
    for sr in example_result.stages.values():
        bare = sr.selection.drop(columns=["reason", "reason_da"])
        pd.testing.assert_frame_equal(add_reasons(bare), reference_add_reasons(bare))
        big = bare.iloc[rng.integers(0, len(bare), 3 * len(bare))].reset_index(drop=True)
        cols = list(sr.selection.columns)
        pd.testing.assert_frame_equal(add_reasons(big, cols), reference_add_reasons(big, cols))
        assert add_reasons(big, cols)["reason_da"].tolist() == reference_add_reasons(big, cols)["reason_da"].tolist()


def test_run_summary_looks_rows_up_by_id(example_result):
    """The console summary finds each ranked application's row of the selection table by its id
    (one vectorised look-up): the same text whatever the order of the selection table's rows."""
    from dataclasses import replace

    from selection.cli.run_cmd import summary

    text = summary(example_result)
    rng = np.random.default_rng(11)
    stages = {n: replace(sr, selection=sr.selection.iloc[rng.permutation(len(sr.selection))].reset_index(drop=True))
              for n, sr in example_result.stages.items()}
    shuffled = type(example_result)(example_result.folder, stages, example_result.solver, example_result.timings)
    def tables(t):  # the deviations' line lists them in the selection table's order
        return [ln for ln in t.splitlines() if not ln.startswith("Ranking deviations:")]

    assert tables(summary(shuffled)) == tables(text)
    first = example_result.stages[1].selection.iloc[0]
    line = next(ln for ln in text.splitlines() if f" {first['application_id']} " in ln)
    assert ("YES" in line) == bool(first["selected"])
