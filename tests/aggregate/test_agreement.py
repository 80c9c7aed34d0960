"""Agreement measures against published worked examples and independent implementations."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import friedmanchisquare

from selection.aggregate import PanelError, icc, icc_table, kendalls_w, krippendorff_alpha

#: Shrout & Fleiss (1979), Table 2: 6 targets x 4 judges.
SF = pd.DataFrame([[9, 2, 5, 8], [6, 1, 3, 2], [8, 4, 6, 8], [7, 1, 2, 6], [10, 5, 6, 9], [6, 2, 4, 7]],
                  index=[f"t{i}" for i in range(1, 7)], columns=list("ABCD"))

#: Krippendorff's reliability data (Hayes & Krippendorff 2007; Krippendorff 2019, sec. 12.3):
#: 4 observers x 12 units, with missing values.
NAN = np.nan
KRIPP = pd.DataFrame({"A": [1, 2, 3, 3, 2, 1, 4, 1, 2, NAN, NAN, NAN],
                      "B": [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, NAN, 3],
                      "C": [NAN, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, NAN],
                      "D": [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, NAN]})


@pytest.mark.parametrize(("form", "published"), [("ICC1", 0.17), ("ICC(2,1)", 0.29), ("ICC(3,1)", 0.71),
                                                 ("ICC1k", 0.44), ("ICC(2,k)", 0.62), ("ICC3k", 0.91)])
def test_icc_shrout_fleiss_1979_table_2(form, published):
    """Shrout & Fleiss (1979), Psychol. Bull. 86(2) 420-428, doi:10.1037/0033-2909.86.2.420, Table 4."""
    assert round(icc(SF, form)["icc"], 2) == published


@pytest.mark.parametrize(("form", "low", "high"), [("ICC1", -0.133, 0.72), ("ICC2", 0.019, 0.76),
                                                   ("ICC3", 0.342, 0.95), ("ICC1k", -0.884, 0.91),
                                                   ("ICC2k", 0.071, 0.93), ("ICC3k", 0.676, 0.99)])
def test_icc_confidence_intervals_shrout_fleiss_data_as_printed_by_psych(form, low, high):
    """95 % limits on the Shrout & Fleiss data as printed by R psych::ICC (Revelle), an independent
    implementation of the Shrout & Fleiss / McGraw & Wong (1996, doi:10.1037/1082-989X.1.1.30) limits.

    Confirmed against a second independent implementation, pingouin 0.7.0 ``intraclass_corr``
    (Vallat 2018, doi:10.21105/joss.01026), which prints on this data [-0.13, 0.72], [0.02, 0.76],
    [0.34, 0.95], [-0.88, 0.91], [0.07, 0.93], [0.68, 0.99] and F = 1.795 / 11.027."""
    s = icc(SF, form)
    assert round(s["ci_low"], 3) == pytest.approx(low, abs=0.0005 if len(str(low)) > 5 else 0.005)
    assert round(s["ci_high"], 2) == pytest.approx(high, abs=0.005)
    assert s["n_applications"] == 6 and s["n_experts"] == 4


def test_icc_table_and_f_statistics():
    t = icc_table(SF)
    assert list(t.index) == ["ICC1", "ICC2", "ICC3", "ICC1k", "ICC2k", "ICC3k"]
    # Shrout & Fleiss Table 3: BMS 11.24, WMS 6.26, JMS 32.49, EMS 1.02
    assert t.loc["ICC1", "f"] == pytest.approx(11.24 / 6.26, abs=0.01)
    assert t.loc["ICC3", "f"] == pytest.approx(11.24 / 1.02, rel=0.01)


def test_icc_one_way_uses_every_score_when_experts_differ():
    x = SF.astype(float).copy()
    x.iloc[0, 0] = np.nan
    assert icc(x, "ICC2")["n_applications"] == 5
    s = icc(x, "ICC1")
    assert s["n_applications"] == 6
    # balanced data: unbalanced formula reduces to Shrout & Fleiss
    assert icc(SF, "ICC1")["icc"] == pytest.approx(0.1657, abs=1e-4)


def test_icc_clear_errors():
    with pytest.raises(PanelError, match="unknown ICC form"):
        icc(SF, "ICC4")
    sparse = pd.DataFrame([[1, np.nan], [np.nan, 2], [3, np.nan]])
    with pytest.raises(PanelError, match="scored by every expert"):
        icc(sparse, "ICC2k")
    with pytest.raises(PanelError, match="not numbers"):
        icc(pd.DataFrame({"a": ["x", "y"]}), "ICC1")


@pytest.mark.parametrize(("level", "published"), [("interval", 0.849), ("ordinal", 0.815),
                                                  ("nominal", 0.743), ("ratio", 0.797)])
def test_krippendorff_alpha_reliability_data_example(level, published):
    """Krippendorff's own reliability data (4 observers, 12 units, missing values): alpha nominal
    .743, ordinal .815, interval .849, ratio .797 (Krippendorff, *Computing Krippendorff's
    alpha-reliability*, 2011; Hayes & Krippendorff 2007, doi:10.1080/19312450709336664)."""
    assert round(krippendorff_alpha(KRIPP, level), 3) == published


def test_krippendorff_alpha_interval_equals_brute_force_pairs():
    """Interval alpha = 1 - D_o/D_e from all pairable value pairs, computed by explicit loops."""
    rng = np.random.default_rng(3)
    x = rng.integers(0, 6, size=(9, 4)).astype(float)
    x[rng.random(x.shape) < 0.3] = np.nan
    units = [r[~np.isnan(r)] for r in x if (~np.isnan(r)).sum() >= 2]
    n = sum(len(u) for u in units)
    d_o = sum(((a - b) ** 2) / (len(u) - 1) for u in units for i, a in enumerate(u) for j, b in enumerate(u)
              if i != j) / n
    allv = np.concatenate(units)
    d_e = sum((a - b) ** 2 for i, a in enumerate(allv) for j, b in enumerate(allv) if i != j) / (n * (n - 1))
    assert krippendorff_alpha(pd.DataFrame(x)) == pytest.approx(1 - d_o / d_e, abs=1e-12)


def test_kendalls_w_perfect_and_textbook_formula():
    same = pd.DataFrame({"x": [1, 2, 3, 4, 5], "y": [10, 20, 30, 40, 50], "z": [0, 1, 2, 3, 4]})
    assert kendalls_w(same)["w"] == pytest.approx(1.0)
    # Kendall & Babington Smith (1939), doi:10.1214/aoms/1177732186: W = 12 S / (m^2 (n^3 - n)),
    # by hand: rank sums 4, 5, 9, 12 of 3 rankers, mean 7.5 -> S = 41 -> W = 12*41 / (9*60) = 0.9111
    r = pd.DataFrame({"x": [1, 2, 3, 4], "y": [1, 2, 3, 4], "z": [2, 1, 3, 4]})
    assert kendalls_w(r)["w"] == pytest.approx(12 * 41 / (9 * 60))


@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 2**32 - 1), n=st.integers(3, 10), m=st.integers(2, 6))
def test_kendalls_w_with_ties_equals_friedman_statistic(seed, n, m):
    """With ties, W (tie-corrected) = Friedman chi2 / (m (n - 1)); scipy's friedmanchisquare applies
    the same tie correction independently (Siegel & Castellan 1988, sec. 7.2 and 9.4)."""
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 4, size=(n, m)).astype(float)
    if all(len(np.unique(x[:, j])) == 1 for j in range(m)):
        x[0, 0] += 1
    chi2 = friedmanchisquare(*x).statistic  # rows = applications as groups, experts as blocks
    assert kendalls_w(pd.DataFrame(x))["w"] == pytest.approx(chi2 / (m * (n - 1)), rel=1e-10)


def test_kendalls_w_errors():
    with pytest.raises(PanelError, match="Kendall's W needs"):
        kendalls_w(pd.DataFrame([[1, np.nan], [np.nan, 2]]))
