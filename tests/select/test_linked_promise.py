"""Linked mode promises stage 2 a value; stage 2 must deliver exactly that, for every ranking
method, calibration and objective — or linked mode refuses the combination, naming the call key."""

from __future__ import annotations

import dataclasses

import pytest

from selection.errors import ConstraintError
from selection.model import Call
from selection.pipeline import run_call

VARIANTS = [
    ({}, None),
    ({"objective": "score_per_dkk"}, None),
    ({"aggregation": "median"}, None),
    ({"ranking_method": "topsis"}, "stages[2].ranking_method"),
    ({"ranking_method": "promethee_ii"}, "stages[2].ranking_method"),
    ({"ranking_method": "vikor"}, "stages[2].ranking_method"),
    ({"calibration": "zscore"}, "stages[2].calibration"),
    ({"calibration": "additive"}, "stages[2].calibration"),
    ({"objective": "rank"}, "stages[2].objective"),
    ({"objective": "funding_line"}, "stages[2].objective"),
]


def _linked(folder, change: dict):
    data = folder.call.model_dump()
    data["selection_mode"] = "linked"
    data["stages"] = [{**s, **change} if s["number"] == 2 else s for s in data["stages"]]
    return dataclasses.replace(folder, call=Call.model_validate(data))


@pytest.mark.parametrize(("change", "refused_key"), VARIANTS, ids=lambda v: str(v))
def test_promised_equals_delivered_or_refused(example_folder, change, refused_key):
    folder = _linked(example_folder, change)
    if refused_key is not None:
        with pytest.raises(ConstraintError) as exc:
            run_call(folder, solver="highs")
        assert refused_key in [p.key for p in exc.value.problems]
        assert "selection_mode = \"sequential\"" in str(exc.value)
        return
    result = run_call(folder, solver="highs")
    promised = result.stages[1].outcome.linked_value
    delivered = result.stages[2].outcome.objective
    assert promised is not None
    assert delivered == pytest.approx(promised, abs=1e-9)
    assert set(result.stages[2].outcome.selected) <= set(result.stages[1].outcome.selected)
