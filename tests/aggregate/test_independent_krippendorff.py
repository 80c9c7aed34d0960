"""Krippendorff's alpha against an implementation nobody here wrote: the `krippendorff` package
(Castro, S. (2017). Fast Krippendorff: fast computation of Krippendorff's alpha agreement measure,
https://github.com/pln-fing-udelar/fast-krippendorff), on random panels with missing scores.

`krippendorff` is a test dependency; the package never imports it. Missing is a failure, not a skip.
"""

from __future__ import annotations

import krippendorff
import numpy as np
import pandas as pd
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from selection.aggregate import krippendorff_alpha

cells = st.one_of(st.none(), st.sampled_from([x / 2 for x in range(11)]))
panels = st.integers(3, 10).flatmap(lambda n: st.integers(2, 5).flatmap(
    lambda m: st.lists(st.lists(cells, min_size=m, max_size=m), min_size=n, max_size=n)))


@settings(max_examples=80, deadline=None)
@given(panels, st.sampled_from(["interval", "ordinal", "nominal", "ratio"]))
def test_alpha_equals_the_krippendorff_package(rows, level):
    x = np.array([[np.nan if v is None else v for v in r] for r in rows], dtype=float)
    pairable = (np.sum(~np.isnan(x), axis=1) >= 2)
    values = x[pairable][~np.isnan(x[pairable])]
    assume(pairable.sum() >= 2 and np.unique(values).size >= 2)
    ours = krippendorff_alpha(pd.DataFrame(x), level)
    domain = np.unique(x[~np.isnan(x)])
    theirs = krippendorff.alpha(reliability_data=x.T, level_of_measurement=level,
                                value_domain=domain if level in ("ordinal", "nominal") else None)
    assert ours == pytest.approx(theirs, abs=1e-9)
