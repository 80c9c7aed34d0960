"""The main path at scale (issue 12, wave 4): a stage's rows built faster, the same rows.

``_members_by_value`` (each distinct attribute value's groups worked out once, members grouped by
one stable sort) against the previous per-application loop kept verbatim below; and the whole of
``build_rules`` and ``stage_milp`` against the previous ``selection/select/program.py`` itself
(read from git at 1de2462 and loaded as its own module), rule by rule and row by row, on random
calls with every constraint kind, budgets, fixed costs and forced decisions."""

from __future__ import annotations

import dataclasses
import math
import subprocess
import sys
import types
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from selection.model import Application
from selection.select import program
from selection.select.stage import stage_input

from .conftest import instances

ROOT = Path(__file__).parents[2]


def old_members_by_value(group, cand):
    # ---- verbatim: the loop of build_rules at 1de2462 (the oracle) ----
    by_value: dict[str, dict[str, float]] = {}
    for a in cand:
        for v in a.group_values(group):
            by_value.setdefault(v, {})[a.id] = 1.0
    return by_value


RAW = st.one_of(st.none(), st.booleans(), st.integers(-2, 2), st.sampled_from([1.0, -0.0, 0.0, 2.5, math.nan]),
                st.sampled_from(["a", "b", "1", "true", "Århus"]),
                st.frozensets(st.sampled_from(["a", "b", "c", "1"]), max_size=3),
                st.frozensets(st.sampled_from([1, 1.0, "1", True]), max_size=2),
                st.lists(st.sampled_from(["a", "b", 1]), max_size=3))


@settings(max_examples=200, deadline=None)
@given(st.lists(RAW, max_size=30), st.sampled_from(["g", "lead_organisation", "any"]))
def test_members_by_value_equals_the_loop(raws, group):
    leads = [f"L{i % 3}" for i in range(len(raws))]
    if raws and isinstance(raws[0], int) and not isinstance(raws[0], bool):
        leads[0] = raws[0] if raws[0] > 0 else None  # lead organisations that are not text: the careful way
    cand = [Application.model_construct(id=f"A{i:02d}", lead_organisation=lead, attributes={"g": r})
            for i, (r, lead) in enumerate(zip(raws, leads, strict=True))]
    got, want = program._members_by_value(group, cand), old_members_by_value(group, cand)
    assert got.keys() == want.keys()
    for v in want:
        assert list(got[v].items()) == list(want[v].items())  # members in application order


@pytest.fixture(scope="module")
def old_program():
    try:
        source = subprocess.run(["git", "show", "1de2462:selection/select/program.py"], cwd=ROOT,
                                capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        pytest.skip("the repository's history (git) is not available")
    module = types.ModuleType("old_program")
    sys.modules["old_program"] = module  # dataclasses look their module up
    try:
        exec(compile(source, "old_program.py", "exec"), module.__dict__)  # noqa: S102 (our own earlier source)
        yield module
    finally:
        sys.modules.pop("old_program", None)


def _fields(rule):
    d = dataclasses.asdict(rule)
    d["coefs"] = list(rule.coefs.items())
    return d


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(instances(max_n=14))
def test_rules_and_rows_equal_the_previous_program(old_program, inst):
    stage, ranking, apps = inst
    inp = stage_input(stage, ranking, apps)
    got, want = program.build_rules(inp), old_program.build_rules(inp)
    assert [_fields(r) for r in got] == [_fields(r) for r in want]
    m, w = program.stage_milp(inp, got), old_program.stage_milp(inp, want)
    assert (m.cost, m.lower, m.upper, m.row_lower, m.row_upper) == (w.cost, w.lower, w.upper, w.row_lower, w.row_upper)
    assert len(m.rows) == len(w.rows)
    for (i1, v1), (i2, v2) in zip(m.rows, w.rows, strict=True):
        assert i1.dtype == i2.dtype and v1.dtype == v2.dtype
        assert np.array_equal(i1, i2) and np.array_equal(v1, v2)
    sub = list(inp.values)[::2]  # a program over some of the applications: members outside are left out
    m, w = program.stage_milp(inp, got, sub), old_program.stage_milp(inp, want, sub)
    for (i1, v1), (i2, v2) in zip(m.rows, w.rows, strict=True):
        assert np.array_equal(i1, i2) and np.array_equal(v1, v2)
