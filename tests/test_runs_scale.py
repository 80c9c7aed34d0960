"""The run tables at scale (issue 12, wave 3): ``panel-scores.csv``'s ``n_scores`` counted with one
``bincount`` instead of a per-row look-up, and ``application-attributes.csv`` built once per distinct
(attribute, value) and put together column by column. Both must give exactly the tables of the
previous implementations (kept here verbatim as the reference), for any input."""

from __future__ import annotations

import math
from types import SimpleNamespace

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
)


@st.composite
def applications(draw):
    n = draw(st.integers(0, 12))
    ids = draw(st.lists(st.text(alphabet="ABCxyz019", min_size=1, max_size=3), min_size=n, max_size=n,
                        unique=True))
    return {a: SimpleNamespace(attributes=draw(st.dictionaries(st.sampled_from([t.id for t in ATTRIBUTES]), RAW)))
            for a in ids}


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
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


def test_attribute_table_at_scale_same_frame():
    """20,000 applications of repeated values (the national call's shape)."""
    rng = np.random.default_rng(3)
    sets = [frozenset(s) for s in (["music"], ["film", "music"], ["games"], [], ["theatre", "film"])]
    apps = {f"A{i:05d}": SimpleNamespace(attributes={
        "industry": sets[rng.integers(5)], "municipality": ["Aarhus", "Herning", "Odense"][rng.integers(3)],
        "rural": bool(rng.integers(2)), "partners": int(rng.integers(0, 4)), "budget": float(rng.integers(0, 3)) * 1e5})
        for i in range(20_000)}
    pd.testing.assert_frame_equal(attribute_table(ATTRIBUTES, apps), reference_attribute_table(ATTRIBUTES, apps))


# --- n_scores -----------------------------------------------------------------------------------
@st.composite
def evaluations(draw):
    apps = [f"A{i}" for i in range(draw(st.integers(1, 6)))]
    crits = [f"c{i}" for i in range(draw(st.integers(1, 4)))]
    rows = draw(st.lists(st.tuples(st.sampled_from(apps + ["X"]), st.sampled_from(crits + ["z"]),
                                   st.one_of(st.just(math.nan), st.floats(0, 5))), max_size=40))
    scored = pd.DataFrame(rows, columns=[ev.APPLICATION, ev.CRITERION, ev.SCORE]).astype(
        {ev.APPLICATION: "str", ev.CRITERION: "str", ev.SCORE: "float64"})
    panel = pd.DataFrame(np.ones((len(apps), len(crits))), index=pd.Index(apps, name=ev.APPLICATION),
                         columns=pd.Index(crits, name=ev.CRITERION))
    long = panel.stack().rename("panel_score").reset_index()
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
