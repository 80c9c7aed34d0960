"""Weights as any mapping (a pandas Series included) and scikit-criteria's "max"/"min" directions."""

from __future__ import annotations

import pandas as pd
import pytest

from selection import rank
from selection.errors import WeightError

TABLE = pd.DataFrame({"a": [3.0, 4.0, 1.0, 2.0], "b": [5.0, 1.0, 1.0, 4.0], "c": [1.0, 2.0, 3.0, 2.5]},
                     index=["W", "X", "Y", "Z"])
W = {"a": 0.3, "b": 0.4, "c": 0.3}
METHODS = [rank.weighted_sum, rank.topsis, rank.promethee_ii, rank.vikor]


@pytest.mark.parametrize("method", METHODS, ids=lambda f: f.__name__)
def test_series_weights_equal_dict_weights(method):
    """`rank.topsis(table, pd.Series(w, index=criteria))` used to fail with "weight given for
    criteria not in the table: 0.3, 0.4, 0.3" (iterating a Series gives its values)."""
    as_dict = method(TABLE, W)
    as_series = method(TABLE, pd.Series(W))
    pd.testing.assert_frame_equal(as_dict, as_series)


@pytest.mark.parametrize("method", METHODS, ids=lambda f: f.__name__)
def test_max_min_are_benefit_cost(method):
    words = method(TABLE, W, directions={"a": "benefit", "b": "cost", "c": "benefit"})
    aliases = method(TABLE, W, directions={"a": "max", "b": "min", "c": "max"})
    series = method(TABLE, pd.Series(W), directions=pd.Series({"b": "min"}))
    pd.testing.assert_frame_equal(words, aliases)
    pd.testing.assert_frame_equal(words, series)


def test_kernels_accept_max_min():
    from selection.rank._common import benefit_mask

    assert benefit_mask(["max", "min", "benefit", "cost"], 4).tolist() == [True, False, True, False]
    with pytest.raises(ValueError, match="'benefit' or 'cost'"):
        benefit_mask(["up"], 1)


def test_bad_weights_and_directions_say_what():
    with pytest.raises(WeightError, match="must map criterion ids"):
        rank.check_weights([0.3, 0.4, 0.3], ["a", "b", "c"])
    with pytest.raises(Exception, match="'benefit' or 'cost' \\('max' or 'min'\\)"):
        rank.topsis(TABLE, W, directions={"a": "maximise"})
