"""Figures readable by everyone: colour-vision deficiency, contrast, patterns, wrapped labels, the
language's number style, and what the ranking figure shows around the funding line.

Colour-vision deficiency is simulated with the matrices of Machado, Oliveira & Fernandes (2009),
"A physiologically-based model for simulation of color vision deficiency", IEEE TVCG 15(6),
1291-1298, doi:10.1109/TVCG.2009.113 (severity 1.0: dichromacy), applied to linear RGB. Distances
are CIE 1976 L*a*b* differences (D65). Contrast is the WCAG 2.1 contrast ratio
(https://www.w3.org/TR/WCAG21/#dfn-contrast-ratio); AA asks for at least 4.5:1 for text.
"""

from __future__ import annotations

import itertools
import re
import sys
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
import pytest
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import to_rgb, to_rgba
from matplotlib.text import Text

matplotlib.use("Agg")

sys.path.insert(0, str(Path(__file__).parent))
import cases  # noqa: E402

from selection import plot  # noqa: E402

#: Machado et al. (2009), Table 1 (severity 1.0), rows map linear RGB to simulated linear RGB.
MACHADO = {
    "protanopia": np.array([[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216],
                            [-0.003882, -0.048116, 1.051998]]),
    "deuteranopia": np.array([[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413],
                              [-0.011820, 0.042940, 0.968881]]),
    "tritanopia": np.array([[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602],
                            [0.004733, 0.691367, 0.303900]]),
}


def _linear(rgb) -> np.ndarray:
    c = np.asarray(rgb, dtype=float)
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


def _lab(linear) -> np.ndarray:
    """CIE L*a*b* (D65) of linear sRGB."""
    xyz = np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]) @ linear
    t = xyz / np.array([0.95047, 1.0, 1.08883])
    f = np.where(t > (6 / 29) ** 3, np.cbrt(t), t / (3 * (6 / 29) ** 2) + 4 / 29)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def seen(colour, deficiency: str | None) -> np.ndarray:
    """L*a*b* of ``colour`` as seen with ``deficiency`` (None: normal vision)."""
    lin = _linear(to_rgb(colour))
    if deficiency:
        lin = np.clip(MACHADO[deficiency] @ lin, 0, 1)
    return _lab(lin)


def delta_e(a, b, deficiency: str | None) -> float:
    return float(np.linalg.norm(seen(a, deficiency) - seen(b, deficiency)))


def luminance(rgb) -> float:
    lin = _linear(rgb[:3])
    return float(0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2])


def contrast(a, b) -> float:
    la, lb = sorted((luminance(a), luminance(b)), reverse=True)
    return (la + 0.05) / (lb + 0.05)


# -- the simulation itself ---------------------------------------------------------------------------

def test_machado_matrices_keep_white_and_grey():
    """Each row sums to 1 (the paper normalises the matrices so that achromatic colours stay)."""
    for m in MACHADO.values():
        assert np.allclose(m.sum(axis=1), 1.0, atol=2e-6)
    assert delta_e("#777777", "#777777", "deuteranopia") == 0.0


def test_contrast_ratio_known_values():
    """WCAG: black on white is 21:1; #767676 on white is the classic 4.54:1 AA grey."""
    assert contrast((0, 0, 0), (1, 1, 1)) == pytest.approx(21.0)
    assert contrast(to_rgb("#767676"), (1, 1, 1)) == pytest.approx(4.54, abs=0.01)


# -- colours -----------------------------------------------------------------------------------------

#: Categories shown side by side in one figure.
GROUPS = {
    "robustness labels": ("core", "borderline", "exterior"),
    "decisions": ("selected", "eligible", "ineligible"),
    "stages": ("stage1", "stage2"),
}


@pytest.mark.parametrize("deficiency", [None, *MACHADO])
@pytest.mark.parametrize("group", sorted(GROUPS))
def test_category_colours_stay_apart_under_colour_vision_deficiency(group, deficiency):
    for a, b in itertools.combinations(GROUPS[group], 2):
        d = delta_e(plot.COLOURS[a], plot.COLOURS[b], deficiency)
        assert d >= 20, f"{a} and {b} differ by only {d:.1f} (CIELAB) under {deficiency or 'normal vision'}"


def test_the_old_grey_exterior_would_have_failed():
    """The check can fail: the former grey exterior (#999999) is 12 units from core under deuteranopia."""
    assert delta_e(plot.COLOURS["core"], "#999999", "deuteranopia") < 20


def test_no_category_is_grey():
    for key, colour in plot.COLOURS.items():
        if key in ("text", "track"):  # the ink of words and an empty cell, not categories
            continue
        _, a, b = seen(colour, None)
        assert np.hypot(a, b) >= 20, f"{key} ({colour}) is nearly grey"


# -- contrast of every word of every figure ------------------------------------------------------------

def _pixels(fig) -> np.ndarray:
    canvas = FigureCanvasAgg(fig)
    canvas.draw()
    return np.asarray(canvas.buffer_rgba())[..., :3].astype(float) / 255.0


def _texts(fig) -> list[Text]:
    return [t for t in fig.findobj(Text) if t.get_visible() and t.get_text().strip() and t.get_alpha() != 0]


def low_contrast_words(fig) -> list[str]:
    """Words whose background (the figure drawn without any word) gives them less than 4.5:1 on
    more than 10 % of their box (a thin grid or threshold line crossing a word is not its background)."""
    FigureCanvasAgg(fig).draw()
    fig.set_layout_engine("none")  # keep the layout while the words are hidden
    texts = _texts(fig)
    renderer = fig.canvas.get_renderer()
    boxes = [(t, t.get_window_extent(renderer)) for t in texts]
    for t in texts:
        t.set_visible(False)
    background = _pixels(fig)
    for t in texts:
        t.set_visible(True)
    height = background.shape[0]
    bad = []
    for t, box in boxes:
        ink = to_rgba(t.get_color())[:3]
        patch = t.get_bbox_patch()
        if patch is not None and patch.get_facecolor()[3] == 1:
            ratios = np.array([contrast(ink, patch.get_facecolor()[:3])])
        else:
            x0, x1 = int(max(box.x0, 0)), int(min(box.x1, background.shape[1]))
            y0, y1 = int(max(height - box.y1, 0)), int(min(height - box.y0, height))
            region = background[y0:y1, x0:x1].reshape(-1, 3)
            if not len(region):
                continue
            colours, counts = np.unique(np.round(region, 3), axis=0, return_counts=True)
            ratios = np.repeat([contrast(ink, c) for c in colours], counts)
        if np.mean(ratios < 4.5) > 0.10:
            bad.append(f"{t.get_text()!r} ({t.get_color()}, worst {ratios.min():.2f}:1)")
    return bad


@pytest.mark.parametrize("lang", cases.LANGS)
@pytest.mark.parametrize("name,draw", cases.cases(), ids=[c[0] for c in cases.cases()])
def test_every_word_meets_wcag_aa_contrast(name, draw, lang):
    ax = draw(lang)
    assert not low_contrast_words(ax.figure)


def test_contrast_check_can_fail():
    """White words on a light blue bar (the old budget figure's labels) are found."""
    from matplotlib.figure import Figure

    fig = Figure(figsize=(3, 1))
    ax = fig.add_subplot()
    ax.barh([0], [1], color=plot.COLOURS["eligible"], height=1)
    ax.set_xlim(0, 1)
    ax.text(0.05, 0, "6,160,000 of 7,500,000 DKK", color="white", va="center", fontsize=7)
    assert any("6,160,000" in w for w in low_contrast_words(fig))


# -- patterns and words beside colour ------------------------------------------------------------------

def test_ranking_decisions_differ_by_marker():
    ax = plot.ranking(cases.ranking_frame(), threshold=2.5, funding_line=8)
    legend = ax.figure.legends[0]
    markers = [h.get_marker() for h in legend.legend_handles if h.get_marker() not in (None, "None", "")]
    assert len(markers) == 3 and len(set(markers)) == 3


def test_selection_probability_writes_each_label_and_hatches_stage_1():
    f = cases.probability_frame()
    ax = plot.selection_probability(f, lang="da")
    right = [c for c in ax.child_axes][0]
    words = [t.get_text() for t in right.get_yticklabels()]
    assert words == [{"core": "Kerne", "borderline": "Grænsetilfælde", "exterior": "Uden for"}[x]
                     for x in f["core_label"]]
    hatched = [p for p in ax.patches if p.get_hatch()]
    assert len(hatched) == len(f)  # every stage-1 bar


def test_scenario_matrix_writes_the_stages_in_the_cells():
    f = cases.scenario_frame()
    ax = plot.scenario_matrix(f)
    words = [t.get_text() for t in ax.texts]
    s1 = f["selected_stage1"].astype(bool)
    both = int((s1 & f["selected_stage2"].astype(bool)).sum())
    assert words.count("1+2") == both and words.count("1") == int(s1.sum()) - both


def test_budget_says_binding_or_not_in_words_and_pattern():
    f = cases.budget_frame()
    ax = plot.budget_use(f)
    notes = [t.get_text() for t in ax.texts]
    assert [n.endswith("(binding)") for n in notes] == f["binding"].tolist()
    bars = ax.patches[len(f):]
    assert [bool(b.get_hatch()) for b in bars] == [not b for b in f["binding"]]


# -- wrapped, not truncated ---------------------------------------------------------------------------

def test_long_titles_are_wrapped_never_cut():
    f = cases.ranking_frame()
    long = "Et langt projektnavn om kreative partnerskaber mellem design, turisme og fødevarer i landdistrikterne"
    f.loc[0, "title"] = long
    ax = plot.ranking(f)
    first = ax.get_yticklabels()[0].get_text()
    assert "\n" in first and first.replace("\n", " ") == f"A01  {long}"
    for draw in (lambda lang: plot.ranking(f, lang=lang), *[d for _, d in cases.cases()]):
        assert not any("…" in t.get_text() for t in _texts(draw("en").figure))


# -- the language's number style -----------------------------------------------------------------------

@pytest.mark.parametrize("name,draw", cases.cases(), ids=[c[0] for c in cases.cases()])
def test_danish_figures_have_no_decimal_point(name, draw):
    fig = draw("da").figure
    FigureCanvasAgg(fig).draw()  # tick labels are made when drawn
    words = [t.get_text() for t in _texts(fig)]
    if name == "budget-use":  # the rule descriptions are the engine's words, drawn as given
        words = [w for w in words if "DKK" not in w or "kr." in w]
    assert not [w for w in words if re.search(r"\d\.\d{1,2}(?!\d)", w)]


# -- the ranking around the funding line ---------------------------------------------------------------

def test_ranking_axis_spans_the_scores_not_zero():
    f = cases.ranking_frame()
    ax = plot.ranking(f, threshold=2.5, funding_line=8)
    left, right = ax.get_xlim()
    assert 1.0 < left < f["score"].min() and right > f["score"].max()
    assert right - left < 1.5 * (f["score"].max() - f["score"].min())
    written = [t.get_text() for t in ax.texts]
    assert written == [f"{v:.2f}" for v in f["score"]]  # each score written beside its dot


def test_funding_line_is_beneath_the_last_selected():
    f = cases.ranking_frame()
    ax = plot.ranking(f, funding_line=8)
    lines = [ln for ln in ax.get_lines() if ln.get_linestyle() == ":"]
    last = int(np.flatnonzero(f["selected"].to_numpy()).max())
    assert len(lines) == 1 and lines[0].get_ydata()[0] == pytest.approx(last + 0.5)


def test_large_ranking_shows_the_ranks_around_the_funding_line():
    n = 300
    f = pd.DataFrame({"application_id": [f"P{i:04d}" for i in range(1, n + 1)], "rank": range(1, n + 1),
                      "score": np.linspace(9, 1, n), "eligible": True, "selected": [i < 120 for i in range(n)]})
    ax = plot.ranking(f, funding_line=120, lang="da")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert len(labels) == 50 and labels[0] == "P0096" and labels[-1] == "P0145"
    assert "placering 96–145 af 300" in ax.get_title()


# -- the call's declared attributes --------------------------------------------------------------------

def _attributes() -> pd.DataFrame:
    rows = []
    for i, a in enumerate(cases.APPS):
        rows.append((a, "rural", "yes_no", "true" if i % 3 == 0 else "false", "yes", "ja", "Rural/peripheral",
                     "Landdistrikt/yderområde"))
        for v, en, da in ([("food", "Food", "Fødevarer"), ("energy", "Energy", "Energi")] if i % 4 == 0
                          else [("tourism", "Tourism", "Turisme")]):
            rows.append((a, "focus_area", "several", v, en, da, "Focus area", "Fokusområde"))
        rows.append((a, "municipality", "one", "Aarhus" if i % 2 else "Skive", "Aarhus" if i % 2 else "Skive",
                     "Aarhus" if i % 2 else "Skive", "Municipality", "Kommune"))
    return pd.DataFrame(rows, columns=["application_id", "attribute", "type", "value", "value_en", "value_da",
                                       "attribute_en", "attribute_da"])


def _right_column(ax) -> tuple[list[str], str]:
    right = ax.child_axes[0]
    return [t.get_text() for t in right.get_yticklabels()], right.get_ylabel()


def test_ranking_shows_a_declared_attribute_per_application():
    f = cases.ranking_frame()
    ax = plot.ranking(f, attributes=_attributes(), attribute="focus_area", lang="da")
    words, title = _right_column(ax)
    assert title == "Fokusområde"
    assert words == ["Fødevarer, Energi" if i % 4 == 0 else "Turisme" for i in range(len(f))]
    ax = plot.ranking(f, attributes=_attributes(), attribute="rural")
    words, title = _right_column(ax)
    assert [bool(w) for w in words] == [i % 3 == 0 for i in range(len(f))]
    assert all(w.endswith("Rural/peripheral") and w[0] in "■▲◆●" for w in words if w)  # a shape and the name
    ax = plot.ranking(f, attributes=_attributes(), attribute="municipality")
    words, _ = _right_column(ax)
    shapes = {w.split()[0] for w in words}
    assert len(shapes) == 2  # one shape per municipality
    with pytest.raises(ValueError, match="no attribute 'country'"):
        plot.ranking(f, attributes=_attributes(), attribute="country")


def test_weight_sweep_names_the_criterion():
    ax = plot.weight_sweep(cases.sweep_frame(), names={"innovation": "Kreativ innovation"}, lang="da")
    assert "Kreativ innovation" in ax.get_title() and "innovation:" not in ax.get_title()


def test_large_tables_draw_a_window_and_say_which():
    """3,000 applications do not become 3,000 unreadable rows: 50 rows, the title says which."""
    n = 300
    ids = [f"P{i:04d}" for i in range(1, n + 1)]
    er = np.arange(1, n + 1, dtype=float)
    iv = pd.DataFrame({"application_id": ids, "expected_rank": er, "rank_q05": er - 2, "rank_q25": er - 1,
                       "rank_q75": er + 1, "rank_q95": er + 2})
    ax = plot.rank_intervals(iv, funding_line=120)
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels[0] == "P0096" and labels[-1] == "P0145" and "ranks 96–145 of 300" in ax.get_title()
    post = iv.rename(columns={"rank_q05": "er_q05", "rank_q95": "er_q95"})
    ax = plot.expected_ranks(post, funding_line=120.5, lang="da")
    assert len(ax.get_yticklabels()) == 50 and "placering 96–145 af 300" in ax.get_title(loc="left")
    prob = pd.DataFrame({"application_id": ids, "probability_selected_stage1": np.linspace(1, 0, n)})
    ax = plot.selection_probability(prob)
    assert [t.get_text() for t in ax.get_yticklabels()] == ids[:50] and "first 50 of 300" in ax.get_title()
    acc = pd.DataFrame(np.eye(n)[:, :n], columns=[f"rank_acceptability_{r}" for r in range(1, n + 1)])
    acc.insert(0, "application_id", ids)
    ax = plot.rank_acceptability(acc)
    assert ax.images[0].get_array().shape == (50, 50) and "ranks 1–50 of 300" in ax.get_title()


def test_agreement_names_the_criteria():
    ax = plot.agreement(cases.agreement_frame(), names={"value_added": "Værditilvækst"}, lang="da")
    assert [t.get_text() for t in ax.get_yticklabels()][0] == "Værditilvækst"


def test_leniency_intervals_are_drawn_whole():
    f = cases.leniency_frame()
    ax = plot.expert_leniency(f)
    left, right = ax.get_xlim()
    assert left <= f["leniency_low"].min() and right >= f["leniency_high"].max()
