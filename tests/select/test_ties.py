"""The tie rule: lexicographic by rank among equal-value optima, the same for CBC and HiGHS."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from selection.model import Application, Constraint, Stage
from selection.select import select_stage, solve_stage, stage_input


def _ranking(scores: dict[str, float]) -> pd.DataFrame:
    ids = list(scores)  # already in rank order
    return pd.DataFrame({"rank": range(1, len(ids) + 1), "score": [scores[a] for a in ids],
                         "eligible": True, "failed_thresholds": ""}, index=ids)


def test_rank_one_is_not_left_out_when_it_costs_nothing():
    """A (rank 1, value 2, cost 200) or B + C (ranks 2, 3, values 1 + 1, cost 100 each) within a
    budget of 200: both optimal at value 2. The old rank-sum tie pass (weights n + 1 - rank = 4, 3,
    2, 1) preferred {B, C} (5 > 4) and left rank 1 out; the lexicographic rule keeps rank 1."""
    apps = {a: Application(id=a, title=a, lead_organisation=a, grant_requested={1: c})
            for a, c in {"A": 200, "B": 100, "C": 100, "D": 300}.items()}
    stage = Stage(number=1, name="s", catalogue="c.toml", max_selected=2, budget=200)
    for solver in ("cbc", "highs"):
        out, _ = select_stage(stage, _ranking({"A": 2.0, "B": 1.0, "C": 1.0, "D": 0.5}), apps, solver=solver)
        assert out.selected == ("A",), solver


def test_same_selection_for_both_solvers_with_many_ties():
    """400 applications, scores on a coarse grid (many equal-value optima), one place per lead
    organisation and a budget: CBC and HiGHS return the same selection."""
    rng = np.random.default_rng(3)
    n = 400
    apps = {f"A{i:03d}": Application(id=f"A{i:03d}", title="t", lead_organisation=f"L{rng.integers(0, 250)}",
                                     grant_requested={1: int(rng.integers(1, 4)) * 100_000})
            for i in range(n)}
    scores = np.sort(rng.integers(4, 9, n) / 2)[::-1]
    ranking = _ranking(dict(zip(apps, scores.tolist(), strict=True)))
    stage = Stage(number=1, name="s", catalogue="c.toml", max_selected=20, budget=3_000_000,
                  constraints=[Constraint(kind="at_most", group="lead_organisation", count=1)])
    inp = stage_input(stage, ranking, apps)
    cbc, highs = solve_stage(inp, "cbc"), solve_stage(inp, "highs")
    assert cbc.selected == highs.selected
    assert cbc.objective == pytest.approx(highs.objective, abs=1e-12)
