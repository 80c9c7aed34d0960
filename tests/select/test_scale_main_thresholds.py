"""The main path at scale (issue 12, wave 4): threshold words written only for the applications that
fail a threshold, each (criterion, score) in words once (selection.rank.ranking.threshold_failures),
against the previous loop over every application, kept verbatim below as the oracle: equal series in
both languages, with scores on a grid, -0.0 beside 0.0, NaN, thresholds missing, an overall threshold
on either basis, and repeated ids."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from selection.model import CriteriaCatalogue
from selection.rank.ranking import overall_basis, threshold_checks, threshold_failures


# ---- verbatim: selection/rank/ranking.py threshold_failures at 1de2462 (the oracle) ----
def old_threshold_failures(panel: pd.DataFrame, catalogue: CriteriaCatalogue, weighted_total: pd.Series,
                       lang: str = "en") -> pd.Series:
    """Per application, the thresholds it fails, in words ('' when it passes every one).

    Per-criterion minimum scores and the overall minimum, on the weighted total or the plain sum
    of criterion scores (Horizon Europe's "10 of 15") as the catalogue says
    (:func:`threshold_checks`). ``lang="da"`` gives the Danish words (``Værditilvækst 1,67 < 2``,
    ``vægtet panelscore 9,50 < 10``): criteria are named by their name in that language, not their id.
    """
    from selection.danish import num

    da = lang == "da"
    fmt = num if da else format
    x = panel[catalogue.criterion_ids].to_numpy(dtype=np.float64)
    total = weighted_total.reindex(panel.index).to_numpy(dtype=np.float64)
    failed_crit, failed_overall = threshold_checks(x, total, catalogue)
    basis = overall_basis(x, total, catalogue)
    weighted = catalogue.overall_threshold_basis == "weighted_total"
    basis_word = (("vægtet panelscore" if weighted else "samlet sum") if da else
                  ("weighted panel score" if weighted else "total"))  # one word for it in every output
    out = {}
    for i, app in enumerate(panel.index):
        failed = [f"{c.name_da if da else c.name_en} {fmt(x[i, j], '.2f')} < {fmt(c.threshold, 'g')}"
                  for j, c in enumerate(catalogue.criteria) if failed_crit[i, j] and c.threshold is not None]
        t = catalogue.overall_threshold
        if t is not None and failed_overall is not None and failed_overall[i]:
            failed.append(f"{basis_word} {fmt(basis[i], '.2f')} < {fmt(t, 'g')}")
        out[app] = "; ".join(failed)
    return pd.Series(out, dtype="str", name="failed_thresholds")
# ---- end of the verbatim oracle ----


def catalogue(thresholds, overall, basis) -> CriteriaCatalogue:
    crit = [{"id": f"c{j}", "name_da": f"kriterie {j}", "name_en": f"criterion {j}", "description": "d",
             "guide": {"low": "weak", "middle": "fair", "high": "excellent"}, "group": "g", "weight": 1,
             "threshold": t} for j, t in enumerate(thresholds)]
    return CriteriaCatalogue.model_validate({"schema_version": 1, "id": "k", "name": "K", "stage": 1, "criteria": crit,
                                             "overall_threshold": overall, "overall_threshold_basis": basis,
                                             "tie_breaks": ["lottery"]})


@st.composite
def cases(draw):
    k = draw(st.integers(1, 3))
    n = draw(st.integers(0, 20))
    grid = st.sampled_from([0.0, -0.0, 1.0, 1.5, 2.25, 3.0, 4.999, math.nan])
    x = np.array(draw(st.lists(st.lists(grid, min_size=k, max_size=k), min_size=n, max_size=n)), dtype=float)
    x = x.reshape(n, k)
    ids = draw(st.lists(st.sampled_from(["A", "B", "C", "D", "E", "F", "G"]), min_size=n, max_size=n)) \
        if draw(st.booleans()) else [f"A{i:02d}" for i in range(n)]
    cat = catalogue(draw(st.lists(st.sampled_from([None, 0, 1, 2.5, 3]), min_size=k, max_size=k)),
                    draw(st.sampled_from([None, 0, 2, 5.5])), draw(st.sampled_from(["weighted_total", "sum"])))
    panel = pd.DataFrame(x, columns=cat.criterion_ids, index=pd.Index(ids, name="application_id"))
    total = pd.Series(np.array(draw(st.lists(grid, min_size=n, max_size=n)), dtype=float), index=panel.index)
    return panel, cat, total


@settings(max_examples=200, deadline=None)
@given(cases())
def test_threshold_words_equal_the_loop(case):
    panel, cat, total = case
    if not panel.index.is_unique:
        total = total.groupby(level=0).first()  # reindex needs a unique index on the totals
    for lang in ("en", "da"):
        got = threshold_failures(panel, cat, total, lang=lang)
        want = old_threshold_failures(panel, cat, total, lang=lang)
        pd.testing.assert_series_equal(got, want)
