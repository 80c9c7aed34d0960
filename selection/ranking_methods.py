"""The registry of ranking methods: a method is one module plus one entry here.

This module imports neither numpy nor pandas, so that :mod:`selection.model` can validate
``Stage.ranking_method`` (and a scenario's override of it) against the registered names, and
check ``ranking_params`` against the parameters a method declares, without loading any kernel.
The implementation module is imported on first use (:func:`implementation`).

An implementation module provides

``kernel(x, w, *, directions=None, **params) -> ndarray``
    label-free scores of many weight vectors at once, **higher = better** (the sensitivity
    analysis builds on it, :data:`selection.rank.KERNELS`);
``method_scores(table, weights, *, directions, **params) -> (higher, own, attrs)``
    for one validated table: a non-negative higher-is-better score the selection can maximise,
    the method's own score as its authors define it (written to ``ranking.csv`` as
    ``method_score``), and extra results for ``ranking.attrs``;
``kernel_params(params, criteria) -> dict`` (optional)
    the stage's ``ranking_params`` as the kernel's keywords (default: unchanged).

Adding a method therefore touches one new module and one :class:`RankingMethod` entry in
:data:`BUILTIN` (or a :func:`register` call for a method kept outside the package);
``tests/rank/test_registry.py`` registers a toy method and runs a whole call with it.

>>> method_names()
('weighted_sum', 'topsis', 'promethee_ii', 'vikor')
>>> check_params("vikor", {"v": 0.3, "w": 1})
["ranking method 'vikor' takes no parameter 'w' (it takes: v)"]
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from types import ModuleType
from typing import Any

__all__ = ["RankingMethod", "BUILTIN", "register", "unregister", "method_names", "get_method",
           "check_method", "check_params", "implementation", "kernel_call"]


@dataclass(frozen=True)
class RankingMethod:
    """One ranking method: its name (``Stage.ranking_method``), the module implementing it, the
    parameters it accepts in ``ranking_params``, a one-line summary and its reference."""

    name: str
    module: str
    params: tuple[str, ...] = ()
    summary: str = ""
    reference: str = ""


#: The methods shipped with the package, in the order they are offered.
BUILTIN: tuple[RankingMethod, ...] = (
    RankingMethod("weighted_sum", "selection.rank.weighted", (),
                  "weighted sum of the panel scores (normalised weights)",
                  "Fishburn (1967), doi:10.1287/opre.15.3.537"),
    RankingMethod("topsis", "selection.rank.topsis", ("normalization",),
                  "closeness to the ideal and distance from the anti-ideal application",
                  "Hwang & Yoon (1981), doi:10.1007/978-3-642-48318-9"),
    RankingMethod("promethee_ii", "selection.rank.promethee", ("preference_functions",),
                  "net outranking flow from pairwise preference functions",
                  "Brans & Vincke (1985), doi:10.1287/mnsc.31.6.647"),
    RankingMethod("vikor", "selection.rank.vikor", ("v",),
                  "compromise between group utility and individual regret (Q, lower is better)",
                  "Opricovic & Tzeng (2004), doi:10.1016/S0377-2217(03)00020-1"),
)

_REGISTRY: dict[str, RankingMethod] = {m.name: m for m in BUILTIN}


def register(method: RankingMethod) -> RankingMethod:
    """Add a method (e.g. one kept in a call's own package); a name is registered once."""
    if method.name in _REGISTRY:
        raise ValueError(f"a ranking method named {method.name!r} is already registered")
    if not method.name.isidentifier():
        raise ValueError(f"ranking method name {method.name!r} must be a Python identifier")
    _REGISTRY[method.name] = method
    return method


def unregister(name: str) -> None:
    """Remove a method added by :func:`register` (the built-in ones stay)."""
    if any(m.name == name for m in BUILTIN):
        raise ValueError(f"{name!r} is a built-in ranking method")
    _REGISTRY.pop(name, None)


def method_names() -> tuple[str, ...]:
    """The registered method names, built-in ones first."""
    return tuple(_REGISTRY)


def get_method(name: str) -> RankingMethod:
    """The registered method ``name``; :class:`ValueError` naming the choices otherwise."""
    try:
        return _REGISTRY[name]
    except KeyError:
        raise ValueError(f"unknown ranking method {name!r}; use one of "
                         f"{', '.join(repr(n) for n in _REGISTRY)}") from None


def check_method(name: str) -> str:
    """``name`` if it is registered (a pydantic validator of ``Stage.ranking_method``)."""
    return get_method(name).name


def check_params(name: str, params: Mapping[str, object]) -> list[str]:
    """Problems with ``params`` for method ``name``, in words ([] if none)."""
    allowed = get_method(name).params
    return [f"ranking method {name!r} takes no parameter {p!r} (it takes: {', '.join(allowed) or 'none'})"
            for p in params if p not in allowed]


def implementation(name: str) -> ModuleType:
    """The module implementing method ``name`` (imported on first use)."""
    return importlib.import_module(get_method(name).module)


def kernel_call(name: str, params: Mapping[str, Any], criteria: Sequence[str]
                ) -> tuple[Callable[..., Any], dict[str, Any]]:
    """Method ``name``'s kernel and a stage's ``ranking_params`` as the kernel's keywords (for
    the criteria in column order), e.g. for the sensitivity analysis."""
    impl = implementation(name)
    convert = getattr(impl, "kernel_params", None)
    return impl.kernel, (dict(params) if convert is None else convert(params, list(criteria)))
