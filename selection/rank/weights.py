"""Checking and normalising criterion weights."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

from selection.errors import Problem, WeightError

__all__ = ["check_weights", "WeightNormalisationWarning"]


class WeightNormalisationWarning(UserWarning):
    """Weights did not sum to 1 and were normalised."""


def check_weights(weights: Mapping[str, float], criteria: list[str], *, warn: bool = True) -> dict[str, float]:
    """Validate weights against the criteria and return them normalised to sum 1, in criteria order.

    Negative, non-finite or all-zero weights, a weight for an unknown criterion and a criterion
    without weight are errors (all reported at once). Weights not summing to 1 are normalised,
    with a :class:`WeightNormalisationWarning` when ``warn``.

    >>> check_weights({"a": 1, "b": 3}, ["a", "b"], warn=False)
    {'a': 0.25, 'b': 0.75}
    """
    problems = []
    unknown = [k for k in weights if k not in criteria]
    if unknown:
        problems.append(Problem(f"weight given for criteria not in the table: {', '.join(map(str, unknown))}",
                                hint=f"use the criteria {', '.join(criteria)}"))
    missing = [c for c in criteria if c not in weights]
    if missing:
        problems.append(Problem(f"no weight for criteria {', '.join(missing)}", hint="give every criterion a weight (0 to ignore it)"))
    for k, w in weights.items():
        try:
            wf = float(w)
        except (TypeError, ValueError):
            problems.append(Problem(f"weight of {k!r} is {w!r}, not a number"))
            continue
        if not math.isfinite(wf) or wf < 0:
            problems.append(Problem(f"weight of {k!r} is {w}; weights must be finite and >= 0"))
    if problems:
        raise WeightError(problems)
    total = math.fsum(float(weights[c]) for c in criteria)
    if total <= 0:
        raise WeightError("all weights are zero; give at least one criterion a positive weight")
    if warn and abs(total - 1.0) > 1e-9:
        warnings.warn(f"weights sum to {total:g}, not 1; they were normalised", WeightNormalisationWarning, stacklevel=2)
    return {c: float(weights[c]) / total for c in criteria}


def hierarchical_weights(group_weights: Mapping[str, float],
                         criterion_weights: Mapping[str, Mapping[str, float]], *,
                         warn: bool = True) -> dict[str, float]:
    """Global criterion weights from a two-level hierarchy (principle -> sub-criteria).

    Each criterion's global weight is its principle's (normalised) weight times its (normalised)
    share within the principle. A principle whose sub-criteria all weigh 0 is an error.

    >>> hierarchical_weights({"p": 3, "q": 1}, {"p": {"a": 1, "b": 1}, "q": {"c": 5}}, warn=False)
    {'a': 0.375, 'b': 0.375, 'c': 0.25}
    """
    groups = list(criterion_weights)
    problems = []
    try:
        top = check_weights(group_weights, groups, warn=warn)
    except WeightError as exc:
        problems += exc.problems
        top = None
    out: dict[str, float] = {}
    for g in groups:
        local = dict(criterion_weights[g])
        try:
            within = check_weights(local, list(local), warn=False)
        except WeightError as exc:
            problems += [Problem(f"principle {g!r}: {p.message}", hint=p.hint) for p in exc.problems]
            continue
        for c, w in within.items():
            if c in out:
                problems.append(Problem(f"criterion {c!r} appears in more than one principle"))
            out[c] = (top[g] if top else 0.0) * w
    if problems:
        raise WeightError(problems)
    return out
