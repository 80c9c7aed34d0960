"""Checking and normalising criterion weights."""

from __future__ import annotations

import math
import warnings
from collections.abc import Mapping

from selection.errors import Problem, WeightError

__all__ = ["as_mapping", "check_weights", "WeightNormalisationWarning"]


class WeightNormalisationWarning(UserWarning):
    """Weights did not sum to 1 and were normalised."""


def as_mapping(weights: Mapping[str, float] | object, what: str = "weights") -> dict[str, float]:
    """Any mapping of criterion id -> value as a plain dict, a pandas Series included (its index
    is the criteria; iterating a Series would give its values instead).

    >>> import pandas as pd
    >>> as_mapping(pd.Series([0.3, 0.7], index=["a", "b"]))
    {'a': 0.3, 'b': 0.7}
    """
    items = getattr(weights, "items", None)
    if items is None:
        raise WeightError(Problem(f"{what} must map criterion ids to values (a dict or a pandas Series), "
                                  f"not {type(weights).__name__}",
                                  hint=f"give {what} as {{criterion: value}} or pd.Series(values, index=criteria)"))
    return {str(k) if not isinstance(k, str) else k: v for k, v in items()}


def check_weights(weights: Mapping[str, float], criteria: list[str], *, warn: bool = True) -> dict[str, float]:
    """Validate weights against the criteria and return them normalised to sum 1, in criteria order.

    ``weights`` is any mapping: a dict or a pandas Series indexed by criterion id.

    Negative, non-finite or all-zero weights, a weight for an unknown criterion and a criterion
    without weight are errors (all reported at once). Weights not summing to 1 are normalised,
    with a :class:`WeightNormalisationWarning` when ``warn``.

    >>> check_weights({"a": 1, "b": 3}, ["a", "b"], warn=False)
    {'a': 0.25, 'b': 0.75}
    """
    weights = as_mapping(weights)
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
