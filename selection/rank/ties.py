"""The tie-break chain: a strict order among applications with equal scores.

Steps, in the order the catalogue (or a scenario) lists them:

- ``criterion:<id>`` — the higher panel score on that criterion wins (Horizon Europe's
  ex-aequo order: e.g. Excellence, then Impact);
- ``attribute:<id>`` — the higher value of a declared application attribute wins (yes before
  no for a yes/no attribute, the larger number or amount otherwise; no value counts as lowest);
- ``coverage:<id>`` — an application with a value of a declared attribute (e.g. a focus area)
  that no higher-ranked application has wins. This is sequential: each place is filled in turn,
  and "covered" means covered by every application already ranked above, including those placed
  by earlier ties;
- ``rural`` and ``focus_area_coverage`` — the first call's names for ``attribute:rural`` and
  ``coverage:focus_area``;
- ``lottery`` — a seeded lottery: each application draws a distinct number from
  ``numpy.random.default_rng(seed).permutation(n)`` in table order; the higher draw wins. The
  draws are returned so that a run can record them. A lottery always ends the chain.

For every place the step that separated the application from the one ranked just above it is
recorded (``"score"`` when their scores differ).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from selection.errors import Problem, RankingError
from selection.model import Application

__all__ = ["TIE_BREAK_STEPS", "STEP_ALIASES", "TieBreakResult", "attribute_key", "break_ties", "check_chain",
           "canonical_step"]

TIE_BREAK_STEPS = ("criterion:<id>", "attribute:<id>", "coverage:<id>", "lottery")
#: The first call's step names and the steps they stand for.
STEP_ALIASES = {"rural": "attribute:rural", "focus_area_coverage": "coverage:focus_area"}


def canonical_step(step: str) -> str:
    """A chain step under its general name (``rural`` -> ``attribute:rural``); others unchanged.

    >>> canonical_step("focus_area_coverage"), canonical_step("criterion:impact")
    ('coverage:focus_area', 'criterion:impact')
    """
    return STEP_ALIASES.get(step, step)


@dataclass(frozen=True)
class TieBreakResult:
    """``order``: positions into the input, best first; ``step``: per place, the step that
    separated it from the place above (``""`` for the first); ``lottery``: each input row's draw."""

    order: np.ndarray
    step: list[str]
    lottery: np.ndarray


def check_chain(chain: Sequence[str], criteria: Sequence[str], *, have_applications: bool) -> list[str]:
    """The chain with a final ``lottery`` (added if missing); :class:`RankingError` for bad steps."""
    problems = []
    for i, step in enumerate(chain):
        key = f"tie_breaks[{i}]"
        if step.startswith("criterion:"):
            cid = step.split(":", 1)[1]
            if cid not in criteria:
                problems.append(Problem(f"tie-break {step!r} names an unknown criterion", key=key,
                                        hint=f"use one of {', '.join(map(str, criteria))}"))
        elif step in STEP_ALIASES or step.startswith(("attribute:", "coverage:")):
            if not have_applications:
                problems.append(Problem(f"tie-break {step!r} needs the applications", key=key,
                                        hint="pass applications= to rank_applications"))
        elif step != "lottery":
            problems.append(Problem(f"unknown tie-break step {step!r}", key=key,
                                    hint=f"use {', '.join(TIE_BREAK_STEPS)}"))
    if problems:
        raise RankingError(problems)
    return [s for s in chain if s != "lottery"] + ["lottery"]


def attribute_key(value: object) -> float:
    """Order of an attribute value in an ``attribute:<id>`` step (the higher wins): yes 1 / no 0,
    a number itself, no value (or a text) lowest.

    >>> attribute_key(True), attribute_key(2_500_000), attribute_key(None)
    (1.0, 2500000.0, -inf)
    """
    if isinstance(value, bool):
        return float(value)
    if isinstance(value, (int, float)):
        return float(value)
    return -math.inf


def break_ties(score: np.ndarray, chain: Sequence[str], *, ids: Sequence[str],
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
    if cover is None:
        fast = _static_ties(score, chain, criterion_scores, rank_of, draws)
        if fast is not None:
            return fast
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



def _static_ties(score: np.ndarray, chain: Sequence[str], criterion_scores: Mapping[str, np.ndarray],
                 rank_of: Mapping[str, list[float]], draws: np.ndarray) -> TieBreakResult | None:
    """:func:`break_ties` without a ``coverage:`` step, in one sort (``None`` where it does not apply).

    Without coverage every step's key is fixed in advance, so each place of a tie group goes to the
    lexicographically largest remaining (score, step keys..., draw), which is the order of one
    ``lexsort``; and the step that separated a place from the place above is the first step whose
    keys of the two differ (the one above survived every step, so at that step the one below lost).
    Applies when a lottery ends the keys (draws are distinct, so the order is strict) and no key is
    NaN (``max`` and ``==`` would not order NaN the way a sort does); the loop of :func:`break_ties`
    is the reference (tests/select/test_scale_main_ties.py holds them equal).
    """
    n = len(score)
    score = np.asarray(score, dtype=np.float64)
    keys: list[np.ndarray] = []
    names: list[str] = []
    for step in chain:
        canon = canonical_step(step)
        if step.startswith("criterion:"):
            keys.append(np.asarray(criterion_scores[step.split(":", 1)[1]], dtype=np.float64))
        elif canon.startswith("attribute:"):
            keys.append(np.asarray(rank_of[canon], dtype=np.float64))
        else:  # the lottery (any other step is the lottery in break_ties too): the draws are distinct
            keys.append(draws.astype(np.float64))
            names.append(step)
            break
        names.append(step)
    else:
        return None  # no lottery: complete ties are possible, left to the loop
    if n == 0 or np.isnan(score).any() or any(np.isnan(k).any() for k in keys) or \
            any(len(k) != n for k in keys):
        return None
    order = np.lexsort([-k for k in reversed(keys)] + [-score])
    table = np.stack(keys, axis=1)[order]
    same = score[order[1:]] == score[order[:-1]]
    first = (table[1:] != table[:-1]).argmax(axis=1)
    words = np.array([*names, "score"], dtype=object)
    steps = ["", *words[np.where(same, first, len(names))].tolist()]
    return TieBreakResult(order.astype(np.int64), steps, draws)
