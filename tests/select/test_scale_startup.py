"""Start-up at scale (issue 12): `selection run` does not import scipy.stats (about half of its
start-up on a small call); the F, chi-squared and rank functions used instead are scipy.stats'
own, value for value."""

from __future__ import annotations

import math
import subprocess
import sys
from pathlib import Path

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy import stats

from selection.aggregate.agreement import _chi2_sf, _f_ppf, _f_sf, _rankdata

ROOT = Path(__file__).resolve().parents[2]
DF = st.one_of(st.floats(0.01, 1e4), st.sampled_from([0.0, -1.0, math.nan, math.inf, 1.0, 2.0, 39.0]))


def _same(a: float, b: float) -> bool:
    return (math.isnan(a) and math.isnan(b)) or a == b


@settings(max_examples=200, deadline=None)
@given(st.floats(1e-6, 1 - 1e-6), DF, DF)
def test_f_ppf_is_scipy_stats(q, d1, d2):
    assert _same(_f_ppf(q, d1, d2), float(stats.f.ppf(q, d1, d2)))


@settings(max_examples=200, deadline=None)
@given(st.one_of(st.floats(-5, 1e4), st.sampled_from([0.0, math.inf, math.nan])), DF, DF)
def test_f_and_chi2_sf_are_scipy_stats(x, d1, d2):
    assert _same(_f_sf(x, d1, d2), float(stats.f.sf(x, d1, d2)))
    assert _same(_chi2_sf(x, d1), float(stats.chi2.sf(x, d1)))


@settings(max_examples=100, deadline=None)
@given(st.lists(st.sampled_from([0.0, 0.5, 1.0, 1.5, 2.0, 3.0, -1.0]), min_size=1, max_size=30))
def test_rankdata_is_scipy_stats(values):
    a = np.array(values)
    assert np.array_equal(_rankdata(a), stats.rankdata(a))


def test_run_does_not_import_scipy_stats(tmp_path):
    """The example call, read, ranked, selected and written to a run folder, in a fresh process."""
    code = ("import sys\n"
            "from selection.cli import main\n"
            f"rc = main(['run', {str(ROOT / 'examples' / 'kreative-partnerskaber')!r}, '--out', {str(tmp_path)!r},"
            " '--quiet'])\n"
            "assert rc == 0, rc\n"
            "print('scipy.stats' in sys.modules)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip().splitlines()[-1] == "False"


def test_main_thread_imports_no_scipy_before_diagnostics():
    """Reading, ranking and selecting need no scipy: scipy.special (~0.2 s) is imported when a panel
    measure is first computed, in `selection run`'s background diagnostics thread."""
    code = "import sys, selection.pipeline, selection.runs\nprint(sorted(m for m in sys.modules if m.startswith('scipy')))\n"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "[]"
