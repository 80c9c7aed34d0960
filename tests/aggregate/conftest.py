"""Helpers for the aggregate tests: small synthetic evaluations and catalogues."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from selection import evaluation as ev
from selection.model import CriteriaCatalogue

_GUIDE = {"low": "weak", "middle": "fair", "high": "excellent"}


def make_catalogue(criteria, weights=None, directions=None) -> CriteriaCatalogue:
    weights = weights or {c: 1.0 for c in criteria}
    directions = directions or {}
    return CriteriaCatalogue.model_validate({
        "schema_version": 1, "id": "t", "name": "Test", "stage": 1,
        "criteria": [{"id": c, "name_da": c, "name_en": c, "description": c, "guide": _GUIDE,
                      "group": "g", "weight": weights[c], "direction": directions.get(c, "benefit")}
                     for c in criteria],
    })


def long_table(values: np.ndarray, apps=None, experts=None, criteria=None) -> pd.DataFrame:
    """Long evaluation from a cube ``values[a, e, c]``; ``NaN`` cells are left out (not assigned)."""
    A, E, C = values.shape
    apps = apps or [f"A{i:03d}" for i in range(A)]
    experts = experts or [f"E{j:02d}" for j in range(E)]
    criteria = criteria or [f"c{k}" for k in range(C)]
    a, e, c = np.nonzero(~np.isnan(values))
    return pd.DataFrame({
        ev.EXPERT: [experts[j] for j in e], ev.APPLICATION: [apps[i] for i in a],
        ev.CRITERION: [criteria[k] for k in c], ev.SCORE: values[a, e, c],
        ev.ABSTAINED: False, ev.COMMENT: "",
    })


def random_design(rng, n_apps=12, n_experts=6, n_crit=3, per_app=3, scale=(0, 5), step=0.5):
    """Random scores on a grid; each application scored by ``per_app`` random experts."""
    values = np.full((n_apps, n_experts, n_crit), np.nan)
    for a in range(n_apps):
        chosen = rng.choice(n_experts, size=per_app, replace=False)
        k = round((scale[1] - scale[0]) / step)
        values[a, chosen, :] = scale[0] + step * rng.integers(0, k + 1, size=(per_app, n_crit))
    return values


class _Helpers:
    make_catalogue = staticmethod(make_catalogue)
    long_table = staticmethod(long_table)
    random_design = staticmethod(random_design)


@pytest.fixture(scope="session")
def h():
    """The helpers of this file (test modules cannot import a conftest under importlib mode)."""
    return _Helpers
