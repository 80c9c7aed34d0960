"""PROMETHEE II: a complete ranking by net outranking flow.

References
----------
Brans, J.-P. & Vincke, Ph. (1985). A preference ranking organisation method (The PROMETHEE
method for multiple criteria decision-making). *Management Science* 31(6), 647-656.
doi:10.1287/mnsc.31.6.647

Brans, J.-P., Vincke, Ph. & Mareschal, B. (1986). How to select and how to rank projects: The
PROMETHEE method. *European Journal of Operational Research* 24(2), 228-238.
doi:10.1016/0377-2217(86)90044-5
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from selection.errors import Problem, RankingError
from selection.rank._common import oriented, weight_matrix
from selection.rank.weighted import prepare, ranks_from_scores

__all__ = [
    "PREFERENCE_FUNCTIONS",
    "PreferenceFunction",
    "preference",
    "promethee_flows",
    "promethee_ii",
    "promethee_ii_kernel",
]

#: The six generalised criteria of Brans & Vincke (1985), by name, with the thresholds each uses:
#: ``q`` indifference, ``p`` strict preference, ``s`` Gaussian inflection point.
PREFERENCE_FUNCTIONS: dict[str, tuple[str, ...]] = {
    "usual": (),              # type I: any positive difference is full preference
    "u_shape": ("q",),        # type II (quasi-criterion): full preference above q
    "v_shape": ("p",),        # type III: linear up to p
    "level": ("q", "p"),      # type IV: 1/2 between q and p, 1 above p
    "linear": ("q", "p"),     # type V: indifference up to q, linear from q to p
    "gaussian": ("s",),       # type VI: 1 - exp(-d^2 / (2 s^2))
}


@dataclass(frozen=True)
class PreferenceFunction:
    """One criterion's generalised criterion: a function name and its thresholds.

    >>> PreferenceFunction("linear", q=0.5, p=2).check()
    []
    >>> PreferenceFunction("linear", q=3, p=2).check()
    ['p (2) must be greater than q (3)']
    """

    function: str = "usual"
    q: float | None = None
    p: float | None = None
    s: float | None = None

    def check(self) -> list[str]:
        """Problems with the function and thresholds, in words ([] if none)."""
        if self.function not in PREFERENCE_FUNCTIONS:
            return [f"unknown preference function {self.function!r}; use one of {', '.join(PREFERENCE_FUNCTIONS)}"]
        out = []
        need = PREFERENCE_FUNCTIONS[self.function]
        for name in ("q", "p", "s"):
            v = getattr(self, name)
            if name in need and v is None:
                out.append(f"preference function {self.function!r} needs the threshold {name}")
            elif name not in need and v is not None:
                out.append(f"preference function {self.function!r} takes no threshold {name}")
            elif v is not None and not (math.isfinite(v) and v >= 0):
                out.append(f"threshold {name} is {v}; use a finite number >= 0")
        q, p, s = self.q, self.p, self.s  # each one the function needs is set (checked above)
        if not out:
            if self.function == "v_shape" and p is not None and p <= 0:
                out.append("p must be greater than 0")
            if self.function in ("level", "linear") and p is not None and q is not None and not p > q:
                out.append(f"p ({p:g}) must be greater than q ({q:g})")
            if self.function == "gaussian" and s is not None and s <= 0:
                out.append("s must be greater than 0")
        return out


def preference(d: np.ndarray, function: str = "usual", q: float | None = None,
               p: float | None = None, s: float | None = None) -> np.ndarray:
    """Preference degree ``P(d)`` in [0, 1] of a difference ``d = g(a) - g(b)`` (benefit sense).

    >>> preference(np.array([-1.0, 0.0, 0.5, 1.5, 3.0]), "linear", q=0.5, p=2.5)
    array([0. , 0. , 0. , 0.5, 1. ])
    """
    d = np.asarray(d, dtype=np.float64)

    def need(name: str, v: float | None) -> float:
        if v is None:
            raise ValueError(f"preference function {function!r} needs the threshold {name}")
        return v

    if function == "usual":
        return (d > 0).astype(np.float64)
    if function == "u_shape":
        return (d > need("q", q)).astype(np.float64)
    if function == "v_shape":
        return np.clip(d / need("p", p), 0.0, 1.0)
    if function == "level":
        return np.where(d > need("p", p), 1.0, np.where(d > need("q", q), 0.5, 0.0))
    if function == "linear":
        qq = need("q", q)
        return np.clip((d - qq) / (need("p", p) - qq), 0.0, 1.0)
    if function == "gaussian":
        ss = need("s", s)
        return np.where(d > 0, -np.expm1(-(d * d) / (2.0 * ss * ss)), 0.0)
    raise ValueError(f"unknown preference function {function!r}; use one of {', '.join(PREFERENCE_FUNCTIONS)}")


def _functions(functions, m: int) -> list[PreferenceFunction]:
    if functions is None:
        return [PreferenceFunction()] * m
    out = []
    for f in functions:
        if isinstance(f, PreferenceFunction):
            out.append(f)
        elif isinstance(f, str):
            out.append(PreferenceFunction(f))
        else:
            out.append(PreferenceFunction(**dict(f)))
    if len(out) != m:
        raise ValueError(f"{len(out)} preference functions for {m} criteria")
    return out


def criterion_flows(x: np.ndarray, *, directions=None,
                    functions: Sequence[PreferenceFunction | str | Mapping] | None = None
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Per-criterion leaving and entering flows, each (n_apps, n_criteria).

    ``phi+_k(a) = 1/(n-1) sum_b P_k(a, b)`` and ``phi-_k(a) = 1/(n-1) sum_b P_k(b, a)``. The
    multicriteria flows are their weighted sums, so scoring many weight vectors is one matrix
    product. With one application every flow is 0.
    """
    x = oriented(x, directions)
    n, m = x.shape
    fns = _functions(functions, m)
    plus = np.zeros((n, m))
    minus = np.zeros((n, m))
    if n < 2:
        return plus, minus
    for k, f in enumerate(fns):
        col = x[:, k]
        pk = preference(col[:, None] - col[None, :], f.function, f.q, f.p, f.s)  # pk[a, b] = P_k(a, b)
        plus[:, k] = pk.sum(axis=1) / (n - 1)
        minus[:, k] = pk.sum(axis=0) / (n - 1)
    return plus, minus


def promethee_ii_kernel(x: np.ndarray, w: np.ndarray, *, directions=None,
                        functions: Sequence[PreferenceFunction | str | Mapping] | None = None) -> np.ndarray:
    """Label-free PROMETHEE II: the net flow ``phi = phi+ - phi-`` in [-1, 1], higher = better.

    Parameters
    ----------
    x
        float64 (n_apps, n_criteria) scores.
    w
        Non-negative weights, (n_criteria,) or (n_samples, n_criteria); each row is normalised
        to sum 1 (an all-zero row gives NaN).
    directions
        Optional boolean array (``True`` = benefit) or ``"benefit"``/``"cost"`` words.
    functions
        Per criterion a :class:`PreferenceFunction`, a function name, or a mapping
        ``{"function": ..., "q": ..., "p": ..., "s": ...}``; default ``"usual"`` for all.

    Returns
    -------
    (n_apps,) or (n_samples, n_apps) net flows.
    """
    plus, minus = criterion_flows(x, directions=directions, functions=functions)
    wm, single = weight_matrix(w)
    with np.errstate(invalid="ignore", divide="ignore"):
        wm = wm / wm.sum(axis=1, keepdims=True)
    net = wm @ (plus - minus).T
    return net[0] if single else net


def promethee_flows(x: np.ndarray, w: np.ndarray, *, directions=None, functions=None
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Leaving, entering and net flows ``(phi+, phi-, phi)`` for one weight vector (n_crit,)."""
    plus, minus = criterion_flows(x, directions=directions, functions=functions)
    w = np.asarray(w, dtype=np.float64)
    w = w / w.sum()
    fp, fm = plus @ w, minus @ w
    return fp, fm, fp - fm


def promethee_ii(table: pd.DataFrame, weights: Mapping[str, float], *,
                 directions: Mapping[str, str] | None = None,
                 preference_functions: Mapping[str, PreferenceFunction | str | Mapping] | None = None
                 ) -> pd.DataFrame:
    """Rank applications by PROMETHEE II net outranking flow.

    For every pair of applications and every criterion the difference of scores is turned into a
    preference degree by the criterion's generalised criterion (usual, U-shape, V-shape, level,
    linear or Gaussian, with indifference ``q``, preference ``p`` and Gaussian ``s`` thresholds).
    The weighted preference indices give each application a leaving flow (how it outranks the
    others), an entering flow (how it is outranked) and the net flow ``phi = phi+ - phi-``
    (Brans, Vincke & Mareschal 1986). A constant criterion gives no preference either way. Equal
    net flows share a rank; :func:`selection.rank.rank_applications` breaks such ties.

    References: Brans & Vincke (1985), doi:10.1287/mnsc.31.6.647; Brans, Vincke & Mareschal
    (1986), doi:10.1016/0377-2217(86)90044-5.

    Parameters
    ----------
    table
        Applications as index, criteria as columns, every cell a number.
    weights
        Criterion id -> weight (>= 0; normalised to sum 1).
    directions
        Criterion id -> ``"benefit"`` (default) or ``"cost"``.
    preference_functions
        Criterion id -> preference function (default ``"usual"``).

    Returns
    -------
    DataFrame with ``score`` (net flow), ``rank`` (1 = best), ``phi_plus`` and ``phi_minus``.

    >>> t = pd.DataFrame({"a": [3.0, 4.0, 1.0], "b": [5.0, 1.0, 1.0]}, index=["X", "Y", "Z"])
    >>> promethee_ii(t, {"a": 0.5, "b": 0.5})[["score", "rank"]]
       score  rank
    X   0.50     1
    Y   0.25     2
    Z  -0.75     3
    """
    x, w, mask = prepare(table, weights, directions)
    criteria = [str(c) for c in table.columns]
    key = "ranking_params.preference_functions"
    if preference_functions is not None and not isinstance(preference_functions, Mapping):
        raise RankingError(Problem(
            f"preference_functions must be a table criterion -> function, not {preference_functions!r}",
            key=key, hint='e.g. preference_functions = { vaerditilvaekst = { function = "linear", q = 0.5, '
                          "p = 2 } } (criteria not named use the usual function)"))
    given = dict(preference_functions or {})
    problems = []
    unknown = [c for c in given if c not in criteria]
    if unknown:
        problems.append(Problem(f"preference function given for criteria not in the table: {', '.join(unknown)}",
                                key=key, hint=f"use the criteria {', '.join(criteria)}"))
    fns = []
    for c in criteria:
        try:
            f = _functions([given.get(c, "usual")], 1)[0]
            msgs = f.check()
        except (TypeError, ValueError, KeyError, AttributeError) as exc:
            problems.append(Problem(f"preference function of {c!r} is malformed: {exc}", key=f"{key}.{c}",
                                    hint="give {function = ..., q = ..., p = ..., s = ...} with numbers for "
                                         "q, p and s"))
            continue
        problems += [Problem(f"criterion {c!r}: {msg}", key=f"{key}.{c}") for msg in msgs]
        fns.append(f)
    if problems:
        raise RankingError(problems)
    fp, fm, net = promethee_flows(x, w, directions=mask, functions=fns)
    return pd.DataFrame({"score": net, "rank": ranks_from_scores(np.round(net, 12)),
                         "phi_plus": fp, "phi_minus": fm}, index=table.index)


# -- the ranking-method protocol (one entry in selection.ranking_methods) -------------------------

kernel = promethee_ii_kernel


def method_scores(table: pd.DataFrame, weights: Mapping[str, float], *,
                  directions: Mapping[str, str] | None = None, **params: Any
                  ) -> tuple[np.ndarray, np.ndarray, dict[str, Any]]:
    """((phi + 1) / 2, net flow phi, no attrs) for :func:`selection.rank.rank_applications`.

    The net flow lies in [-1, 1]; a selection maximising a sum must not read a negative flow as
    "worth less than nothing", so the selection's score is rescaled to ``(phi + 1) / 2`` in [0, 1].
    """
    own = promethee_ii(table, weights, directions=directions, **params)["score"].to_numpy()
    return (own + 1.0) / 2.0, own, {}


def kernel_params(params: Mapping[str, Any], criteria: list[str]) -> dict[str, Any]:
    """A stage's ``ranking_params`` as the kernel's keywords: ``preference_functions``
    (criterion id -> function) becomes ``functions``, one per criterion in column order."""
    out = dict(params)
    if "preference_functions" in out:
        given = out.pop("preference_functions") or {}
        out["functions"] = [given.get(c, "usual") for c in criteria]
    return out
