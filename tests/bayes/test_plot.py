"""The caterpillar plot draws posterior.csv and lottery.csv as they are."""

from __future__ import annotations

import io

import pandas as pd

from selection.plot.posterior import expected_ranks

POST = pd.DataFrame({"application_id": ["A", "B", "C", "D"], "expected_rank": [1.2, 2.4, 2.6, 3.8],
                     "er_q05": [1, 1, 2, 3], "er_q95": [2, 4, 4, 4], "probability_selected": [1, .5, .5, 0]})
LOT = pd.DataFrame({"application_id": ["A", "B", "C", "D"], "zone": ["above", "gray", "gray", "excluded"],
                    "probability": [1.0, 0.5, 0.5, 0.0], "selected": [True, False, True, False]})


def test_caterpillar_with_lottery():
    before = (POST.copy(), LOT.copy())
    ax = expected_ranks(POST, lottery=LOT, funding_line=2.5)
    texts = [t.get_text() for t in ax.texts]
    assert texts == ["not drawn (chance 50.0%)", "drawn in (chance 50.0%)"]  # a share: one decimal (words.fmt)
    assert [t.get_text() for t in ax.get_yticklabels()] == ["A", "B", "C", "D"]
    assert any(list(line.get_xdata()) == [2.5, 2.5] for line in ax.get_lines())  # the funding line
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Gray zone (decided by lot)" in legend and "Funding line (ER 2.50)" in legend
    buf = io.BytesIO()
    ax.figure.savefig(buf, format="png")
    assert buf.getvalue()[:4] == b"\x89PNG"
    pd.testing.assert_frame_equal(POST, before[0])
    pd.testing.assert_frame_equal(LOT, before[1])


def test_caterpillar_in_danish_without_lottery():
    ax = expected_ranks(POST, lang="da")
    assert ax.get_xlabel() == "Forventet placering (1 = bedst)" and not ax.texts
    ax = expected_ranks(POST, lottery=LOT, funding_line=2.5, lang="da")
    assert ax.texts[0].get_text() == "ikke trukket (chance 50,0 %)"
