"""One source of each rule: the cost-criterion flip, ranks from scores, the thresholds and the
sample-free exclusions are defined once and used by the normal run and the sensitivity fast path.

The source scan fails when a copy of a rule's formula reappears outside its one definition; the
property tests pin each definition against a plain reference written out here.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays

from selection.rank import competition_ranks, rank_applications, reflect_costs
from selection.rank.ranking import threshold_failed, threshold_failures

SELECTION = Path(__file__).resolve().parents[2] / "selection"

#: rule -> (a pattern of its formula, the one file allowed to hold it)
ONE_SOURCE = {
    "cost flip max + min - x": (r"\.max\([^)]*\)\s*\+\s*[\w\[\]:, ]*\.min\([^)]*\)\s*-", "rank/_common.py"),
    "threshold tolerance": (r"threshold\s*-\s*1e-9|<\s*t\s*-\s*1e-9", "rank/ranking.py"),
    "competition ranks by pairwise count": (r"1\s*\+\s*\([^)]*>\s*[^)]*\)\.sum\(", "rank/_common.py"),
    "regional share over the cap": (r"regional_share\s*>\s*cap", "select/stage.py"),
}


@pytest.mark.parametrize("rule", sorted(ONE_SOURCE))
def test_each_rule_is_written_once(rule):
    pattern, home = ONE_SOURCE[rule]
    found = sorted(str(p.relative_to(SELECTION)) for p in SELECTION.rglob("*.py")
                   if re.search(pattern, p.read_text(encoding="utf-8")))
    assert found in ([home], []), f"{rule}: written in {found}; use the one in selection/{home}"


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 6), st.integers(1, 4)),
              elements=st.floats(0, 5, allow_nan=False)), st.data())
def test_reflect_costs_is_the_column_flip(x, data):
    benefit = data.draw(st.lists(st.booleans(), min_size=x.shape[2], max_size=x.shape[2]))
    words = ["benefit" if b else "cost" for b in benefit]
    before = x.copy()
    for k in range(x.shape[0]):  # each replicate over its own applications
        cols = [x[k][:, j] if b else (x[k][:, j].max() + x[k][:, j].min()) - x[k][:, j]
                for j, b in enumerate(benefit)]
        np.testing.assert_array_equal(reflect_costs(x[k], words), np.stack(cols, axis=1))
        np.testing.assert_array_equal(reflect_costs(x, words)[k], reflect_costs(x[k], words))
    np.testing.assert_array_equal(x, before)  # the input is never modified


@settings(max_examples=40, deadline=None)
@given(arrays(np.float64, st.tuples(st.integers(1, 3), st.integers(1, 8)),
              elements=st.sampled_from([0.0, 0.5, 1.0, 1.0 + 1e-14, 2.0])))
def test_competition_ranks_count_the_strictly_better(scores):
    expected = 1 + (np.round(scores, 12)[:, None, :] > np.round(scores, 12)[:, :, None]).sum(axis=2)
    np.testing.assert_array_equal(competition_ranks(scores), expected)
    np.testing.assert_array_equal(competition_ranks(-scores, higher_is_better=False), expected)


@settings(max_examples=30, deadline=None)
@given(st.data())
def test_threshold_failed_is_the_rankings_eligibility(data):
    """The fast path's label-free rule and the ranking's eligible column are the same rule."""
    from selection.model import _EXAMPLE, CriteriaCatalogue

    a, b = _EXAMPLE["criteria"]
    t_a = data.draw(st.sampled_from([None, 1.0, 2.5]))
    overall = data.draw(st.sampled_from([None, 2.0, 3.0]))
    basis = data.draw(st.sampled_from(["weighted_total", "sum"]))
    cat = CriteriaCatalogue.model_validate({**_EXAMPLE, "criteria": [{**a, "threshold": t_a}, b],
                                            "overall_threshold": overall, "overall_threshold_basis": basis})
    n = data.draw(st.integers(1, 8))
    x = np.array(data.draw(st.lists(st.lists(st.sampled_from([0.0, 1.0, 2.5, 3.0, 4.5]), min_size=2, max_size=2),
                                    min_size=n, max_size=n)))
    panel = pd.DataFrame(x, columns=["a", "b"], index=[f"A{i}" for i in range(n)])
    ranking = rank_applications(panel, cat).reindex(panel.index)
    total = ranking["weighted_total"].to_numpy()
    np.testing.assert_array_equal(~threshold_failed(x, total, cat), ranking["eligible"].to_numpy())
    words = threshold_failures(panel, cat, ranking["weighted_total"])
    np.testing.assert_array_equal(words.to_numpy() == "", ranking["eligible"].to_numpy())


def test_sample_free_exclusions_are_the_runs(example_folder, example_result):
    """The sensitivity engine's exclusions that do not depend on a sample are the run's."""
    from selection.select.stage import exclusions, sample_free_exclusion

    for st_ in example_folder.call.stages:
        ranking = example_result.stages[st_.number].ranking
        run = exclusions(st_, ranking, example_folder.applications, None)
        for a in ranking.index:
            d = sample_free_exclusion(st_, a, example_folder.applications[a])
            earlier = ("below_threshold", "not_in_earlier_stage")  # the run checks these first
            if d is not None:
                assert run[a] in (d.code, *earlier)
            elif a in run:
                assert run[a] in earlier
