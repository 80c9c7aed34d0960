"""rank_applications: methods, Horizon Europe thresholds, the tie-break chain, bad input, and
the KERNELS contract."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selection.errors import RankingError, WeightError
from selection.model import Application, CriteriaCatalogue
from selection.rank import (
    KERNELS,
    RANKING_COLUMNS,
    hierarchical_weights,
    rank_applications,
    weighted_sum,
)

GUIDE = {"low": "weak", "middle": "fair", "high": "excellent"}


def catalogue(**extra) -> CriteriaCatalogue:
    """Horizon Europe style: three criteria 0-5, threshold 3 each, overall 10 on the plain sum."""
    crit = [{"id": c, "name_da": c, "name_en": c, "description": c, "guide": GUIDE, "group": c,
             "weight": w, "threshold": 3} for c, w in (("excellence", 1), ("impact", 1.5), ("implementation", 1))]
    data = {"schema_version": 1, "id": "he", "name": "HE", "stage": 1, "criteria": crit,
            "overall_threshold": 10, "overall_threshold_basis": "sum",
            "tie_breaks": ["criterion:excellence", "criterion:impact", "lottery"], **extra}
    return CriteriaCatalogue.model_validate(data)


def app(i: str, rural=False, areas=()) -> Application:
    return Application(id=i, title=i, lead_organisation=i, industries=frozenset({"design"}),
                       focus_areas=frozenset(areas), municipality="Aarhus", rural=rural)


def panel(rows: dict[str, tuple[float, float, float]]) -> pd.DataFrame:
    return pd.DataFrame.from_dict(rows, orient="index", columns=["excellence", "impact", "implementation"])


def test_horizon_europe_thresholds_and_ex_aequo_order():
    """Horizon Europe General Annex F: each criterion >= 3 and the sum >= 10 to pass; equal
    scores are ordered by Excellence, then Impact. A passes; B fails implementation; C passes
    each criterion but sums to 9.5."""
    p = panel({"A": (4, 4, 3.5), "B": (5, 5, 2.5), "C": (3, 3.5, 3), "D": (4.5, 3.5, 3.5), "E": (4, 4, 3.5)})
    r = rank_applications(p, catalogue(), seed=1)
    assert list(r.columns[: len(RANKING_COLUMNS)]) == RANKING_COLUMNS
    assert r.loc["A", "eligible"] and not r.loc["B", "eligible"] and not r.loc["C", "eligible"]
    assert r.loc["B", "failed_thresholds"] == "implementation 2.50 < 3"
    assert r.loc["C", "failed_thresholds"] == "total 9.50 < 10"
    # A and E are identical: only the seeded lottery separates them, and that is recorded
    pair = r.loc[["A", "E"]].sort_values("rank")
    assert pair["tie_break"].iloc[1] == "lottery"
    assert abs(pair["rank"].iloc[0] - pair["rank"].iloc[1]) == 1


def test_criterion_steps_separate_equal_totals():
    cat = catalogue()
    w = cat.weights()
    # equal weighted totals, different profiles: X has the higher excellence
    x = (4.0, 3.0, 4.0)
    y_exc = 3.0
    y_imp = (sum(w[c] * v for c, v in zip(w, x, strict=True)) - w["excellence"] * y_exc - w["implementation"] * 4.0) / w["impact"]
    p = panel({"Y": (y_exc, y_imp, 4.0), "X": x})
    r = rank_applications(p, cat, seed=0)
    assert r.index.tolist() == ["X", "Y"]
    assert r["tie_break"].tolist() == ["", "criterion:excellence"]
    assert r["tied_rank"].tolist() == [1, 1]


def test_focus_area_coverage_is_sequential_then_rural_then_lottery():
    cat = catalogue(tie_breaks=["focus_area_coverage", "rural", "lottery"])
    p = panel({k: (4, 4, 4) for k in ("F1", "F2", "N", "R")} | {"TOP": (5, 5, 5)})
    apps = {"TOP": app("TOP", areas={"food"}), "F1": app("F1", areas={"food"}),
            "F2": app("F2", areas={"energy", "food"}), "N": app("N"), "R": app("R", rural=True)}
    r = rank_applications(p, cat, applications=apps, seed=3)
    # TOP covers food; among the tied four only F2 adds a new area (energy)
    assert r.index[:2].tolist() == ["TOP", "F2"]
    assert r["tie_break"].tolist()[:2] == ["", "score"]
    # R lost place 2 to F2 on coverage; nobody left adds a new area, so rural R comes next;
    # F1 and N lost place 3 to R on "rural", and only the lottery separates them
    assert r.index[2] == "R"
    assert r["tie_break"].tolist()[2:] == ["focus_area_coverage", "rural", "lottery"]
    assert set(r.index[3:]) == {"F1", "N"}


def test_lottery_is_seeded_reproducible_and_recorded():
    p = panel({f"A{i}": (4, 4, 4) for i in range(6)})
    a = rank_applications(p, catalogue(tie_breaks=[]), seed=7)
    b = rank_applications(p, catalogue(tie_breaks=[]), seed=7)
    c = rank_applications(p, catalogue(tie_breaks=[]), seed=8)
    assert a.index.tolist() == b.index.tolist()
    assert (a["tie_break"].iloc[1:] == "lottery").all()
    assert a["lottery_draw"].is_monotonic_decreasing and sorted(a["lottery_draw"]) == list(range(6))
    assert a.index.tolist() != c.index.tolist() or a["lottery_draw"].tolist() != c["lottery_draw"].tolist()


@pytest.mark.parametrize("method", ["weighted_sum", "topsis", "promethee_ii", "vikor"])
def test_every_method_ranks_with_a_higher_is_better_score(method):
    rng = np.random.default_rng(0)
    p = panel({f"A{i:02d}": tuple(rng.choice(np.arange(0, 5.5, 0.5), 3)) for i in range(15)})
    r = rank_applications(p, catalogue(), method=method, seed=0)
    assert r["rank"].tolist() == list(range(1, 16))
    assert r["score"].is_monotonic_decreasing
    assert r.attrs["method"] == method
    if method == "vikor":
        np.testing.assert_allclose(r["score"], 1 - r["method_score"])
        assert r.attrs["compromise"].solutions
    # eligibility never depends on the method
    base = rank_applications(p, catalogue(), seed=0)
    assert r["eligible"].to_dict() == base["eligible"].to_dict()


def test_method_parameters_are_passed_and_checked():
    p = panel({"A": (4, 3, 5), "B": (5, 4, 3), "C": (3, 5, 4)})
    r = rank_applications(p, catalogue(), method="vikor", method_params={"v": 1.0})
    assert r.attrs["method"] == "vikor"
    with pytest.raises(RankingError, match="takes no parameter"):
        rank_applications(p, catalogue(), method="topsis", method_params={"v": 0.5})
    with pytest.raises(RankingError, match="unknown ranking method"):
        rank_applications(p, catalogue(), method="electre")


def test_missing_score_names_application_and_criterion():
    p = panel({"A": (4, np.nan, 5), "B": (5, 4, np.nan)})
    with pytest.raises(RankingError) as exc:
        rank_applications(p, catalogue())
    text = str(exc.value)
    assert "no score for application 'A' on criterion 'impact'" in text
    assert "no score for application 'B' on criterion 'implementation'" in text


def test_empty_table_and_bad_weights_are_clear_errors():
    with pytest.raises(RankingError, match="empty"):
        rank_applications(panel({}), catalogue())
    p = panel({"A": (4, 3, 5), "B": (5, 4, 3)})
    with pytest.raises(WeightError) as exc:
        rank_applications(p, catalogue(), weights={"excellence": -1, "impact": 1, "novelty": 2})
    text = str(exc.value)
    assert "novelty" in text and "no weight for criteria implementation" in text and "-1" in text
    with pytest.raises(WeightError, match="all weights are zero"):
        weighted_sum(p, {"excellence": 0, "impact": 0, "implementation": 0})
    with pytest.raises(RankingError, match="unknown tie-break step"):
        rank_applications(p, catalogue(tie_breaks=["coin"]))
    with pytest.raises(RankingError, match="needs the applications"):
        rank_applications(p, catalogue(tie_breaks=["rural"]))


def test_hierarchical_weights():
    w = hierarchical_weights({"excellence": 0.5, "impact": 0.5},
                             {"excellence": {"a": 1, "b": 3}, "impact": {"c": 2}}, warn=False)
    assert w == {"a": 0.125, "b": 0.375, "c": 0.5}
    with pytest.raises(WeightError, match="principle 'impact'"):
        hierarchical_weights({"excellence": 1, "impact": 1}, {"excellence": {"a": 1}, "impact": {"c": 0}})


@pytest.mark.filterwarnings("ignore::selection.rank.WeightNormalisationWarning")
@settings(max_examples=50, deadline=None)
@given(data=st.data(), n=st.integers(2, 9))
def test_permuting_applications_permutes_the_ranking(data, n):
    grid = st.sampled_from([1.0, 2.0, 3.0, 3.5, 4.0, 5.0])
    rows = {f"A{i}": tuple(data.draw(st.tuples(grid, grid, grid))) for i in range(n)}
    p = panel(rows)
    perm = data.draw(st.permutations(list(rows)))
    method = data.draw(st.sampled_from(["weighted_sum", "topsis", "promethee_ii", "vikor"]))
    a = rank_applications(p, catalogue(tie_breaks=["criterion:impact"]), method=method)
    b = rank_applications(p.loc[perm], catalogue(tie_breaks=["criterion:impact"]), method=method)
    assert (a["tied_rank"] == b["tied_rank"].loc[a.index]).all()
    assert (a["eligible"] == b["eligible"].loc[a.index]).all()


@settings(max_examples=60, deadline=None)
@given(data=st.data(), n=st.integers(1, 8))
def test_dominated_application_never_outranks_its_dominator_weighted_sum(data, n):
    grid = st.sampled_from([0.0, 1.0, 2.5, 4.0, 5.0])
    x = np.array([data.draw(st.tuples(grid, grid, grid)) for _ in range(n)], dtype=float)
    bump = np.array(data.draw(st.tuples(*[st.sampled_from([0.0, 0.5])] * 3)))
    y = np.vstack([x, np.minimum(x[0] + bump, 5.5)])
    w = np.array(data.draw(st.tuples(*[st.floats(0.01, 1)] * 3)))
    s = KERNELS["weighted_sum"](y, w)
    assert s[-1] >= s[0] - 1e-12


@pytest.mark.parametrize("name", sorted(KERNELS))
def test_kernels_contract(name):
    """Shape (n_apps,) or (n_samples, n_apps); higher = better (an application best on every
    criterion scores highest); directions= equals pre-adjusting the scores; inputs untouched."""
    rng = np.random.default_rng(11)
    x = rng.uniform(0, 4, (10, 3))
    x[0] = 5.0  # best everywhere
    w = rng.dirichlet(np.ones(3), size=7)
    x0, w0 = x.copy(), w.copy()
    k = KERNELS[name]
    many, one = k(x, w), k(x, w[0])
    assert many.shape == (7, 10) and one.shape == (10,)
    np.testing.assert_allclose(many[0], one, atol=1e-12)
    assert (many.argmax(axis=1) == 0).all()
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)
    cost = x.copy()
    cost[:, 1] = 5.0 - cost[:, 1]  # criterion 1 given as a cost on a reflected 0-5 scale
    if name == "weighted_sum":  # reflection keeps the scale: max + min - x
        adj = cost.copy()
        adj[:, 1] = cost[:, 1].max() + cost[:, 1].min() - cost[:, 1]
    else:
        adj = cost.copy()
        adj[:, 1] = -cost[:, 1]
    np.testing.assert_allclose(k(cost, w, directions=[True, False, True]), k(adj, w), atol=1e-12)
