"""Aggregation and the panel-level entry point."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import trim_mean

from selection import evaluation as ev
from selection.aggregate import (
    AGREEMENT_COLUMNS,
    DIVERGENCE_COLUMNS,
    analyse_panel,
    divergent_scores,
    panel_long_table,
    panel_scores,
    score_counts,
)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), method=st.sampled_from(["mean", "median", "trimmed_mean"]),
       trim=st.sampled_from([0.0, 0.1, 0.2, 0.25, 0.4]))
def test_panel_scores_equal_pandas_groupby(h, seed, method, trim):
    rng = np.random.default_rng(seed)
    values = h.random_design(rng, n_apps=7, n_experts=6, n_crit=3, per_app=int(rng.integers(1, 7)))
    e = h.long_table(values)
    got = panel_scores(e, ["c2", "c0", "c1"], method=method, trim=trim)
    agg = {"mean": "mean", "median": "median", "trimmed_mean": lambda s: trim_mean(s.to_numpy(), trim)}[method]
    want = e.groupby([ev.APPLICATION, ev.CRITERION])[ev.SCORE].agg(agg).unstack()[["c2", "c0", "c1"]]
    np.testing.assert_allclose(got.to_numpy(), want.to_numpy(), atol=1e-12)
    assert list(got.columns) == ["c2", "c0", "c1"] and list(got.index) == sorted(got.index)


def test_abstentions_and_unscored_cells():
    e = pd.DataFrame({ev.APPLICATION: ["A", "A", "B"], ev.EXPERT: ["x", "y", "x"], ev.CRITERION: "c",
                      ev.SCORE: [3.0, np.nan, np.nan], ev.ABSTAINED: [False, True, True]})
    p = panel_scores(e, ["c", "d"])
    assert p.loc["A", "c"] == 3.0 and np.isnan(p.loc["B", "c"]) and p["d"].isna().all()
    counts = score_counts(e, min_experts=1)
    assert counts.to_dict("index") == {
        "A": {"n_experts": 1, "n_scores": 1, "n_abstentions": 1, "too_few_experts": False},
        "B": {"n_experts": 0, "n_scores": 0, "n_abstentions": 1, "too_few_experts": True}}


def test_divergence_list(h):
    values = np.array([[[1.0], [3.0], [np.nan]], [[2.0], [2.5], [3.5]], [[0.0], [5.0], [4.0]]])
    e = h.long_table(values)
    e[ev.COMMENT] = ""
    e.loc[(e[ev.APPLICATION] == "A002") & (e[ev.EXPERT] == "E00"), ev.COMMENT] = "weak business case"
    d = divergent_scores(e, min_range=2)
    assert list(d.columns) == DIVERGENCE_COLUMNS
    assert d["application_id"].tolist() == ["A002", "A000"]  # widest first
    assert d.loc[0, "scores"] == "E00: 0 | E01: 5 | E02: 4"
    assert d.loc[0, "comments"] == "E00: weak business case"
    assert divergent_scores(e, min_range=6).empty


def test_analyse_panel_on_the_example(example_folder):
    cat = example_folder.catalogues[2]
    a = analyse_panel(example_folder.evaluations[2], cat, calibration="additive", min_experts=2)
    assert list(a.agreement.columns) == AGREEMENT_COLUMNS
    assert set(a.agreement["criterion_id"]) == {*cat.criterion_ids, "total"}
    long = panel_long_table(a)
    assert {"panel_score_raw", "panel_score_zscore", "panel_score_additive", "panel_score"} <= set(long.columns)
    np.testing.assert_allclose(long["panel_score"], long["panel_score_additive"])
    assert long["panel_score_additive"].between(0, 5).all()
    # the leniency table has one row per expert x criterion plus an overall row per expert
    n_exp = int(a.cube.scored.any(axis=0).sum())
    assert len(a.leniency) == n_exp * (len(cat.criterion_ids) + 1)


def test_bad_method_is_a_clear_error(h):
    e = h.long_table(h.random_design(np.random.default_rng(0), n_apps=2, n_experts=2, n_crit=1, per_app=2))
    with pytest.raises(ValueError, match="unknown aggregation"):
        panel_scores(e, ["c0"], method="mode")
    from selection.aggregate import PanelError

    with pytest.raises(PanelError, match="unknown calibration"):
        panel_scores(e, ["c0"], calibration="bayes")
