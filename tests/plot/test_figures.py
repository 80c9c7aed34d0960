"""Every figure rendered on Agg from synthetic run-folder tables and compared with its golden PNG.

Golden files are rewritten only by ``scripts/update_golden.py``. The style (size, dpi, DejaVu Sans)
is pinned in :mod:`selection.plot._common`; the tolerance absorbs font-rasteriser differences.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import matplotlib
import pandas as pd
import pytest
from matplotlib.testing.compare import compare_images

matplotlib.use("Agg")

sys.path.insert(0, str(Path(__file__).parent))
import cases  # noqa: E402

GOLDEN = Path(__file__).parent / "golden"
TOL = 3.0  # RMS difference in 0-255 grey levels


@pytest.mark.parametrize("lang", cases.LANGS)
@pytest.mark.parametrize("name,draw", cases.cases(), ids=[c[0] for c in cases.cases()])
def test_figure_matches_golden(name, draw, lang, tmp_path):
    out = tmp_path / f"{name}-{lang}.png"
    cases.save_png(draw(lang), out)
    golden = GOLDEN / f"{name}-{lang}.png"
    assert golden.is_file(), f"missing {golden}; run scripts/update_golden.py"
    diff = compare_images(str(golden), str(out), tol=TOL)
    assert diff is None, diff


def test_golden_comparison_can_fail(tmp_path):
    """The comparison detects a real change: a different threshold line is a different picture."""
    from selection import plot

    out = tmp_path / "changed.png"
    cases.save_png(plot.ranking(cases.ranking_frame(), threshold=4.0, funding_line=8), out)
    assert compare_images(str(GOLDEN / "ranking-en.png"), str(out), tol=TOL) is not None


def test_labels_follow_the_language():
    from selection import plot

    en = plot.ranking(cases.ranking_frame(), threshold=2.5, funding_line=8, lang="en")
    da = plot.ranking(cases.ranking_frame(), threshold=2.5, funding_line=8, lang="da")
    assert en.get_xlabel() == "Weighted panel score" and da.get_xlabel() == "Vægtet panelscore"
    assert [t.get_text() for t in da.figure.legends[0].get_texts()][:2] == ["Udvalgt", "Støtteberettiget, ikke udvalgt"]
    with pytest.raises(ValueError, match="lang"):
        plot.ranking(cases.ranking_frame(), lang="de")


def test_draws_on_a_given_axes_and_never_mutates_the_frame():
    from matplotlib.figure import Figure

    from selection import plot

    fig = Figure()
    ax = fig.add_subplot()
    frame = cases.ranking_frame()
    before = frame.copy()
    assert plot.ranking(frame, ax=ax) is ax
    pd.testing.assert_frame_equal(frame, before)


def test_ranking_draws_what_it_is_given():
    """Plotting never computes: the dots sit at the scores, their colour and shape are the
    selected/eligible flags."""
    from selection import plot

    f = cases.ranking_frame()
    ax = plot.ranking(f, threshold=2.5)
    want = ["selected" if s else "eligible" if e else "ineligible"
            for s, e in zip(f["selected"], f["eligible"], strict=True)]
    drawn = {}
    for dots in ax.collections[1:]:  # the first collection is the guide lines
        colour = matplotlib.colors.to_hex(dots.get_facecolor()[0])
        for x, y in dots.get_offsets():
            drawn[int(round(y))] = (round(float(x), 9), colour)
    assert [drawn[i][0] for i in range(len(f))] == f["score"].tolist()
    assert [drawn[i][1] for i in range(len(f))] == [plot.COLOURS[k].lower() for k in want]


def test_missing_columns_are_named():
    from selection import plot

    with pytest.raises(ValueError, match="expected_rank"):
        plot.rank_intervals(pd.DataFrame({"application_id": ["A"]}))


def test_import_selection_does_not_import_matplotlib():
    code = "import sys, selection, selection.pipeline, selection.runs; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_plot_does_not_import_pyplot():
    """Figures are built on matplotlib.figure.Figure (Agg), never through pyplot's global state."""
    code = "import sys, selection.plot; print('matplotlib.pyplot' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


def test_svg_and_png_bytes_are_reproducible():
    """The report embeds SVG: the same figure gives the same bytes (no date, fixed ids); PNG at 200 dpi."""
    from selection import plot

    one = plot.to_svg(plot.ranking(cases.ranking_frame(), threshold=2.5, funding_line=8))
    two = plot.to_svg(plot.ranking(cases.ranking_frame(), threshold=2.5, funding_line=8))
    assert one == two and one.lstrip().startswith(b"<?xml") and b"<dc:date>" not in one
    png = plot.to_png(plot.ranking(cases.ranking_frame()))
    import io

    from PIL import Image

    assert Image.open(io.BytesIO(png)).info["dpi"][0] == pytest.approx(200, abs=0.5)
