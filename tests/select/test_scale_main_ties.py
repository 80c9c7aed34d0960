"""The main path at scale (issue 12, wave 4): the tie-break chain without a coverage step in one
sort (selection.rank.ties._static_ties) against the previous place-by-place loop, kept verbatim
below as the oracle: the same order, the same recorded steps, the same draws, on generated ties
(few distinct scores and keys, so that groups tie deep into the chain), with attribute keys that
include no value (-inf), -0.0 beside 0.0, and chains with the lottery's alias steps."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from selection.model import Application
from selection.rank.ties import TieBreakResult, attribute_key, break_ties, canonical_step


# ---- verbatim: selection/rank/ties.py break_ties before wave 4 (the oracle) ----
def old_break_ties(score: np.ndarray, chain: Sequence[str], *, ids: Sequence[str],
               criterion_scores: Mapping[str, np.ndarray],
               applications: Mapping[str, Application] | None,
               rng: np.random.Generator) -> TieBreakResult:
    """Order applications by ``score`` (higher first), breaking exact ties by ``chain``.

    Parameters
    ----------
    score
        (n,) scores, higher is better; compared exactly (round them first to merge float noise).
    chain
        Checked chain ending in ``"lottery"`` (see :func:`check_chain`).
    ids
        Application ids, in the order of ``score``.
    criterion_scores
        Criterion id -> (n,) panel scores, for ``criterion:<id>`` steps.
    applications
        Application id -> :class:`~selection.model.Application` (``rural``, focus areas).
    rng
        Source of the lottery; the draws are returned.
    """
    n = len(score)
    draws = rng.permutation(n).astype(np.int64)
    norm = [canonical_step(s) for s in chain]  # the recorded step keeps the chain's own name
    rank_of: dict[str, list[float]] = {}  # attribute:<id> -> per row, higher wins
    for step in norm:
        if step.startswith("attribute:") and step not in rank_of:
            rank_of[step] = [attribute_key(applications[a].attributes.get(step.split(":", 1)[1]))
                             if applications is not None else 0.0 for a in ids]
    cover = next((s.split(":", 1)[1] for s in norm if s.startswith("coverage:")), None)
    areas = ([applications[a].group_values(cover) for a in ids] if applications is not None and cover
             else [frozenset()] * n)
    by_score = sorted(range(n), key=lambda i: -score[i])
    order: list[int] = []
    steps: list[str] = []
    covered: set[str] = set()
    pos = 0
    while pos < n:
        end = pos
        while end + 1 < n and score[by_score[end + 1]] == score[by_score[pos]]:
            end += 1
        group = by_score[pos:end + 1]
        lost_at: dict[int, str] = {}  # step at which each candidate lost the previous place
        first_of_group = True
        while group:
            candidates = list(group)
            eliminated_at: dict[int, str] = {}
            for step in chain:
                if len(candidates) == 1:
                    break
                if step.startswith("criterion:"):
                    key = criterion_scores[step.split(":", 1)[1]]
                    vals = [key[i] for i in candidates]
                elif canonical_step(step).startswith("coverage:"):
                    vals = [1 if areas[i] - covered else 0 for i in candidates]
                elif canonical_step(step).startswith("attribute:"):
                    vals = [rank_of[canonical_step(step)][i] for i in candidates]
                else:  # lottery
                    vals = [int(draws[i]) for i in candidates]
                best = max(vals)
                keep = [c for c, v in zip(candidates, vals, strict=True) if v == best]
                for c in candidates:
                    if c not in keep:
                        eliminated_at[c] = step
                candidates = keep
            chosen = candidates[0]
            if not order:
                steps.append("")
            elif first_of_group:
                steps.append("score")
            else:
                steps.append(lost_at[chosen])
            order.append(chosen)
            covered |= areas[chosen]
            group.remove(chosen)
            lost_at = eliminated_at
            first_of_group = False
        pos = end + 1
    return TieBreakResult(np.array(order, dtype=np.int64), steps, draws)


# ---- end of the verbatim oracle ----


class _App:
    def __init__(self, attributes):
        self.attributes = attributes

    def group_values(self, group):  # not used without a coverage step
        return frozenset()


GRID = [0.0, -0.0, 1.0, 2.5, 3.0]


@st.composite
def cases(draw):
    n = draw(st.integers(0, 40))
    score = np.array(draw(st.lists(st.sampled_from(GRID), min_size=n, max_size=n)), dtype=float)
    crit = {c: np.array(draw(st.lists(st.sampled_from(GRID), min_size=n, max_size=n)), dtype=float)
            for c in ("a", "b")}
    rural = draw(st.lists(st.sampled_from([True, False, None, 2, 0.5]), min_size=n, max_size=n))
    ids = [f"A{i:03d}" for i in range(n)]
    apps = {a: _App({"rural": r} if r is not None else {}) for a, r in zip(ids, rural, strict=True)}
    chain = draw(st.lists(st.sampled_from(["criterion:a", "criterion:b", "rural", "attribute:rural"]),
                          max_size=4)) + ["lottery"]
    return score, chain, ids, crit, apps, draw(st.integers(0, 2**31))


@settings(max_examples=300, deadline=None)
@given(cases())
def test_one_sort_equals_the_loop(case):
    score, chain, ids, crit, apps, seed = case
    got = break_ties(score, chain, ids=ids, criterion_scores=crit, applications=apps,
                     rng=np.random.default_rng(seed))
    want = old_break_ties(score, chain, ids=ids, criterion_scores=crit, applications=apps,
                          rng=np.random.default_rng(seed))
    assert got.order.tolist() == want.order.tolist()
    assert got.order.dtype == want.order.dtype
    assert got.step == want.step
    assert got.lottery.tolist() == want.lottery.tolist()


def _outcome(fn, *args, **kwargs):
    try:
        r = fn(*args, **kwargs)
    except Exception as exc:  # noqa: BLE001 (the loop's own failure is part of what must stay the same)
        return type(exc).__name__
    return r.order.tolist(), r.step, r.lottery.tolist()


def test_nan_keys_and_no_lottery_stay_on_the_loop():
    """A NaN key, or a chain the lottery does not end, is left to the loop: the same answer (or the
    same failure) as before."""
    apps = {f"A{i}": _App({}) for i in range(4)}
    ids = list(apps)
    for score, key in ((np.array([1.0, 1.0, 1.0, 2.0]), np.array([np.nan, 1.0, 1.0, 0.0])),
                       (np.array([1.0, 1.0, 3.0, 2.0]), np.array([np.nan, 1.0, 1.0, 0.0])),
                       (np.array([1.0, np.nan, 3.0, 2.0]), np.array([0.0, 1.0, 1.0, 0.0]))):
        for chain in (["criterion:a", "lottery"], ["lottery"], ["criterion:a"]):
            kw = dict(ids=ids, criterion_scores={"a": key}, applications=apps)
            assert _outcome(break_ties, score, chain, rng=np.random.default_rng(3), **kw) == \
                _outcome(old_break_ties, score, chain, rng=np.random.default_rng(3), **kw)
