"""The sensitivity fast path is exact where ties and the funding line decide (issue 12).

Every selection the fast path makes (:func:`selection.sensitivity.select_samples`) is compared on
random small calls with two things nobody in the fast path wrote: a brute force over every
selection (the value optimum, then among equal values the lexicographic rule by rank; or, for
``objective = "funding_line"``, the lexicographic maximum in rank order), with the ranks of the
pipeline's own ranking (:func:`selection.rank.rank_applications`), and the reference path
(:func:`selection.sensitivity.select_samples_naive`: pandas ranking, stage input, the pipeline's
solve). Scores on a coarse grid make exact ties frequent, as in an expert bootstrap.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selection.model import Application, Constraint, CriteriaCatalogue, Stage
from selection.select import build_rules
from selection.sensitivity import select_samples, select_samples_naive
from selection.sensitivity.engine import (
    Context,
    StageContext,
    _ranking,
    _reference_input,
    rank_priority,
)

GUIDE = {"low": "weak", "middle": "fair", "high": "excellent"}


def _catalogue(c: int, *, tie_breaks: list[str] | None = None, threshold: float | None = None) -> CriteriaCatalogue:
    data = {"schema_version": 1, "id": "t", "name": "t", "stage": 1,
            "criteria": [{"id": f"c{j}", "name_da": f"k{j}", "name_en": f"c{j}", "description": "-", "guide": GUIDE,
                          "group": "g", "weight": 1 + j} for j in range(c)]}
    if tie_breaks is not None:
        data["tie_breaks"] = tie_breaks
    if threshold is not None:
        data["overall_threshold"] = threshold
    return CriteriaCatalogue.model_validate(data)


def _apps(n: int, rng: np.random.Generator) -> dict[str, Application]:
    out = {}
    for i in range(n):
        a = Application(id=f"A{i:02d}", title=f"t{i}", lead_organisation=f"L{i % max(2, n - 2)}",
                        industries=frozenset({["music", "design", "fashion"][i % 3]}),
                        focus_areas=frozenset({["food", "it"][int(rng.integers(2))]}),
                        municipality="Aarhus", rural=bool(rng.integers(2)),
                        grant_requested={1: int(rng.integers(1, 4)) * 100_000})
        out[a.id] = a
    return out


def _stage(rng: np.random.Generator, objective: str, n: int) -> Stage:
    rules = [Constraint(kind="at_most", group="industry", count=int(rng.integers(1, 3))),
             Constraint(kind="at_least", group="rural", value="true", count=1, if_available=True),
             Constraint(kind="at_least", group="focus_area", value="food", count=1)]
    keep = [r for r, on in zip(rules, rng.integers(0, 2, len(rules)), strict=True) if on]
    budget = int(rng.integers(3, 9)) * 100_000 if rng.integers(2) else None
    return Stage(number=1, name="s", catalogue="c.toml", max_selected=int(rng.integers(1, 5)), budget=budget,
                 constraints=keep, objective=objective)


def _context(rng: np.random.Generator, objective: str, n: int, c: int, **cat) -> Context:
    apps = _apps(n, rng)
    ids = tuple(sorted(apps))
    scores = rng.integers(0, 4, (n, c)).astype(float)  # a coarse grid: many exact ties
    sc = StageContext(_stage(rng, objective, n), _catalogue(c, **cat), ids, scores,
                      np.array([1 + j for j in range(c)], dtype=float) / sum(1 + j for j in range(c)),
                      int(rng.integers(0, 1000)))
    return Context(apps, (sc,))


def _brute(ctx: Context, w: np.ndarray, scores: np.ndarray) -> tuple[str, ...] | None:
    """Every selection of the stage tried: the pipeline's ranking gives values, ranks and exclusions."""
    sc = ctx.stages[0]
    rows = list(range(len(sc.ids)))
    inp = _reference_input(sc, ctx.applications, rows, w, scores, None)
    rules = build_rules(inp)
    ids = list(inp.values)
    free = [a for a in ids if a not in inp.excluded]
    feasible = []
    for k in range(sc.stage.max_selected + 1):
        for s in itertools.combinations(free, k):
            chosen = frozenset(s)
            if all(r.slack(chosen) >= -1e-9 for r in rules):
                feasible.append(chosen)
    if not feasible:
        return None
    by_rank = sorted(ids, key=lambda a: inp.ranks[a])

    def lex(s: frozenset[str]) -> tuple[bool, ...]:
        return tuple(a in s for a in by_rank)

    if sc.stage.objective == "funding_line":
        best = max(feasible, key=lex)
    else:
        # totals of values rounded to 12 decimals: equal values agree far below 1e-9
        def value(s: frozenset[str]) -> float:
            return math.fsum(inp.values[a] for a in s)

        top = max(value(s) for s in feasible)
        best = max((s for s in feasible if value(s) >= top - 1e-9), key=lex)
    return tuple(a for a in sc.ids if a in best)


def _same(a, b) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and set(a) == set(b))


@pytest.mark.parametrize("objective", ["score", "funding_line"])
@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_ties_and_funding_line_equal_brute_force_and_reference(objective, seed):
    """Weight samples (the batch path) and score replicates (the bootstrap path), on calls of
    6-14 applications: each selection equals the brute force's and the reference path's, and no
    sample is handed to the reference path."""
    rng = np.random.default_rng(seed)
    n, c = int(rng.integers(6, 15)), int(rng.integers(1, 3))
    ctx = _context(rng, objective, n, c, tie_breaks=[["lottery"], ["criterion:c0"], ["rural", "lottery"]][seed % 3],
                   threshold=None if seed % 4 else 1.0)
    sc = ctx.stages[0]
    S = 6
    W = np.array([[1.0 / c] * c] * 2 + [rng.dirichlet(np.ones(c)).round(2) for _ in range(S - 2)])
    W = W / W.sum(axis=1, keepdims=True)
    reps = rng.integers(0, 4, (S, n, c)).astype(float)
    for scores in (None, [reps]):
        fast = select_samples(ctx, [W], scores)
        naive = select_samples_naive(ctx, [W], scores, solver="highs")
        for i in range(S):
            x = sc.scores if scores is None else reps[i]
            want = _brute(ctx, W[i], x)
            assert _same(fast.selections[0][i], want), (i, fast.selections[0][i], want)
            assert _same(naive[0][i], want), (i, naive[0][i], want)
        assert fast.stats[0].reference == 0


@settings(max_examples=15, deadline=None)
@given(seed=st.integers(0, 100_000))
def test_many_ties_beyond_enumeration_decided_in_process(seed):
    """30-60 applications on one criterion rated 1-4 (ties at the funding line on every replicate,
    the ICLR-like case): the fast path decides them by the tie rule in-process — the restricted
    program or the whole one, never the reference path — and equals the reference path."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(30, 61))
    apps = _apps(n, rng)
    ids = tuple(sorted(apps))
    stage = Stage(number=1, name="s", catalogue="c.toml", max_selected=int(rng.integers(3, n // 3)),
                  budget=None if seed % 2 else int(rng.integers(5, 20)) * 100_000,
                  constraints=[Constraint(kind="at_least", group="rural", value="true", count=1, if_available=True)]
                  if seed % 3 == 0 else [])
    sc = StageContext(stage, _catalogue(1), ids, rng.integers(1, 5, (n, 1)).astype(float), np.ones(1), seed)
    ctx = Context(apps, (sc,))
    reps = np.round(rng.integers(1, 5, (4, n, 3)).mean(axis=2, keepdims=True) * 3) / 3  # means of 3 ratings
    W = np.ones((4, 1))
    fast = select_samples(ctx, [W], [reps])
    naive = select_samples_naive(ctx, [W], [reps], solver="highs")
    assert [set(s) if s else s for s in fast.selections[0]] == [set(s) if s else s for s in naive[0]]
    assert fast.stats[0].reference == 0


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 100_000), chain=st.sampled_from([[], ["lottery"], ["criterion:c1"], ["rural"],
                                                             ["criterion:c0", "rural", "lottery"]]))
def test_rank_priority_is_the_pipelines_ranking(seed, chain):
    """The numpy rank order of the fast path equals rank_applications' (ties by the chain, then
    the seeded lottery), including a subset of rows (a later stage's candidates)."""
    rng = np.random.default_rng(seed)
    n = int(rng.integers(2, 30))
    apps = _apps(n, rng)
    ids = tuple(sorted(apps))
    sc = StageContext(Stage(number=1, name="s", catalogue="c.toml", max_selected=2), _catalogue(2, tie_breaks=chain),
                      ids, rng.integers(0, 4, (n, 2)).astype(float), np.array([0.5, 0.5]), seed)
    rows = sorted(rng.choice(n, size=int(rng.integers(1, n + 1)), replace=False).tolist())
    w = np.array([0.5, 0.5]) if seed % 2 else rng.dirichlet(np.ones(2))
    prio = rank_priority(sc, apps, rows, sc.scores, w)
    rank = _ranking(sc, apps, rows, w, sc.scores)["rank"].to_dict()
    assert prio.tolist() == [float(len(rows) + 1 - rank[sc.ids[i]]) for i in rows]


def test_if_available_floors_come_from_the_rules_data():
    """The fast model finds its if_available floors from each rule's own fields (source,
    if_available), not from its name: the rows it lowers are exactly those rules."""
    from selection.select import StageInput
    from selection.select.fast import _Model

    rng = np.random.default_rng(1)
    apps = _apps(10, rng)
    stage = Stage(number=1, name="s", catalogue="c.toml", max_selected=3, constraints=[
        Constraint(kind="at_least", group="focus_area", count=1, if_available=True),
        Constraint(kind="at_least", group="rural", value="true", count=1),
        Constraint(kind="exactly", group="industry", value="music", count=1, if_available=True)])
    ids = list(apps)
    model = _Model(stage, apps, ids)
    rules = build_rules(StageInput(stage, apps, dict.fromkeys(ids, 0.0), {a: i + 1 for i, a in enumerate(ids)}, {}))
    assert model._floor_rows.tolist() == [r for r, rule in enumerate(rules) if rule.if_available]
    # blocking every music application drops that floor (and keeps the plain rural floor)
    music = np.array(["music" in apps[a].industries for a in ids])
    model.set_free(~music)
    lowered = [r for r, rule in enumerate(rules) if rule.if_available and rule.source == 2]
    assert np.all(model.lo[lowered] == -np.inf)


def test_fractional_lp_optima_fixed_and_enumerated_equal_brute_force():
    """Programs of 14-18 applications whose floors make LP optima fractional: the fast stage
    decides them by reduced-cost fixing against an earlier selection plus enumeration (or the 0-1
    program), and every selection equals the brute force's (value, then the tie rule by rank)."""
    from selection.select import StageInput
    from selection.select.fast import FastStage

    fixed = 0
    for seed in range(12):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(14, 19))
        apps = _apps(n, rng)
        ids = list(apps)
        stage = Stage(number=1, name="s", catalogue="c.toml", max_selected=int(rng.integers(2, 5)),
                      budget=int(rng.integers(3, 8)) * 100_000, constraints=[
                          Constraint(kind="at_least", group="rural", value="true", count=1, if_available=True),
                          Constraint(kind="at_least", group="focus_area", value="it", count=1, if_available=True),
                          Constraint(kind="at_most", group="industry", count=1)])
        X = rng.integers(0, 6, (n, 3)) / 2
        fast = FastStage(stage, apps, ids, scores=X)
        rules = build_rules(StageInput(stage, apps, dict.fromkeys(ids, 0.0), {a: i + 1 for i, a in enumerate(ids)}, {}))
        feasible = [frozenset(s) for k in range(stage.max_selected + 1) for s in itertools.combinations(ids, k)
                    if all(r.slack(frozenset(s)) >= -1e-9 for r in rules)]
        for _ in range(30):
            w = rng.dirichlet(np.ones(3))
            v = np.round(X @ w, 12)
            order = sorted(range(n), key=lambda i: (-v[i], i))
            prio = np.empty(n)
            prio[order] = n - np.arange(n)
            got = fast.solve(v, {}, weights=w, priority=lambda prio=prio: prio)
            value = {s: sum(v[ids.index(a)] for a in s) for s in feasible}
            if not feasible:
                assert got is None
                continue
            top = max(value.values())
            tied = [s for s in feasible if value[s] >= top - 1e-9 * max(1.0, abs(top))]
            want = max(tied, key=lambda s: tuple(ids[i] in s for i in order))
            assert set(got) == set(want), (seed, got, want)
        fixed += fast.stats.fixed
    assert fixed > 0
