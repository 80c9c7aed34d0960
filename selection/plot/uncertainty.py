"""How sure a ranking and a selection are: rank intervals, rank acceptability, selection probability."""

from __future__ import annotations

import re

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from selection.plot._common import (
    COLOURS,
    app_labels,
    check_lang,
    new_axes,
    require,
    rows_height,
    style,
    text,
)
from selection.plot.layout import one_stage

__all__ = ["rank_intervals", "rank_acceptability", "selection_probability"]

_ACC = re.compile(r"^rank_acceptability_(\d+)$")


def _acc_rank(column: str) -> int:
    """The rank r of a ``rank_acceptability_<r>`` column (0 for any other column)."""
    m = _ACC.match(column)
    return int(m.group(1)) if m else 0


def rank_intervals(frame, *, funding_line: int | None = None, stage: int | None = None, ax: Axes | None = None,
                   lang: str = "en") -> Axes:
    """Expected rank of each application with its 50 % and 90 % rank intervals.

    Parameters
    ----------
    frame
        ``rank-intervals.csv`` rows: ``application_id``, ``expected_rank``, ``rank_q05``,
        ``rank_q25``, ``rank_q75``, ``rank_q95`` (optional ``title``); drawn in the frame's order
        of ``expected_rank``.
    funding_line
        Number of places; a vertical line is drawn between that rank and the next.
    stage
        Which stage to draw when the table holds several (a ``stage`` column, as written); default
        the first.
    """
    check_lang(lang)
    require(frame, ["application_id", "expected_rank", "rank_q05", "rank_q25", "rank_q75", "rank_q95"],
            "rank_intervals")
    frame = one_stage(frame, stage, "rank_intervals")
    f = frame.sort_values(["expected_rank", "application_id"], kind="stable")
    n = len(f)
    y = np.arange(n)
    with style():
        ax = new_axes(ax, height=rows_height(n))
        ax.hlines(y, f["rank_q05"], f["rank_q95"], color=COLOURS["eligible"], linewidth=2)
        ax.hlines(y, f["rank_q25"], f["rank_q75"], color=COLOURS["selected"], linewidth=5)
        ax.plot(f["expected_rank"], y, "o", color="white", markeredgecolor=COLOURS["text"], markersize=4)
        ax.set_yticks(y, app_labels(f))
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlim(0.5, max(float(f["rank_q95"].max()) if n else 1.0, funding_line or 0) + 0.5)
        ax.set_xlabel(text("rank", lang))
        ax.set_title(text("rank_intervals", lang))
        ax.grid(axis="x", alpha=0.3)
        handles = [Line2D([], [], color=COLOURS["selected"], linewidth=5, label=text("interval50", lang)),
                   Line2D([], [], color=COLOURS["eligible"], linewidth=2, label=text("interval90", lang)),
                   Line2D([], [], marker="o", linestyle="", color="white", markeredgecolor=COLOURS["text"],
                          label=text("expected_rank", lang))]
        if funding_line is not None:
            handles.append(ax.axvline(funding_line + 0.5, color=COLOURS["line"], linestyle="--", linewidth=1.2,
                                      label=f"{text('funding_line', lang)} ({funding_line})"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def rank_acceptability(frame, *, stage: int | None = None, ax: Axes | None = None, lang: str = "en",
                       annotate: bool | None = None) -> Axes:
    """Heatmap of rank acceptability indices (share of weight samples giving each application each rank).

    Parameters
    ----------
    frame
        ``rank-acceptability.csv``: ``application_id`` and columns ``rank_acceptability_<r>``;
        rows are drawn in the frame's order.
    stage
        Which stage to draw when the table holds several (a ``stage`` column, as written); default
        the first.
    annotate
        Write the shares in the cells (default: when there are at most 15 ranks).

    Reference: Lahdelma, R. & Salminen, P. (2001). SMAA-2. *Operations Research* 49(3), 444-454.
    doi:10.1287/opre.49.3.444.11220
    """
    check_lang(lang)
    require(frame, ["application_id"], "rank_acceptability")
    frame = one_stage(frame, stage, "rank_acceptability")
    cols = sorted((c for c in frame.columns if _ACC.match(str(c))), key=_acc_rank)
    if not cols:
        raise ValueError("rank_acceptability needs columns rank_acceptability_<r>")
    values = frame[cols].to_numpy(dtype=float)
    n, m = values.shape
    annotate = m <= 15 if annotate is None else annotate
    with style():
        ax = new_axes(ax, width=max(6.0, 2.5 + 0.28 * m), height=rows_height(n))
        im = ax.imshow(values, cmap="Blues", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
        ranks = [_acc_rank(c) for c in cols]
        step = 1 if m <= 20 else 5
        ticks = [k for k, r in enumerate(ranks) if r == 1 or r % step == 0]
        ax.set_xticks(ticks, [str(ranks[k]) for k in ticks])
        ax.set_yticks(np.arange(n), app_labels(frame))
        ax.set_xlabel(text("rank", lang))
        ax.set_title(text("acceptability", lang))
        ax.spines[:].set_visible(False)
        if annotate:
            for i in range(n):
                for j in range(m):
                    if values[i, j] >= 0.005:
                        ax.text(j, i, f"{values[i, j]:.2f}", ha="center", va="center", fontsize=6,
                                color="white" if values[i, j] > 0.6 else COLOURS["text"])
        ax.figure.colorbar(im, ax=ax, label=text("share_of_samples", lang), shrink=0.6)
    return ax


def selection_probability(frame, *, ax: Axes | None = None, lang: str = "en") -> Axes:
    """Each application's probability of being selected in stage 1 and stage 2, coloured by its
    core / borderline / exterior label.

    Parameters
    ----------
    frame
        ``selection-probability.csv`` rows: ``application_id``, ``probability_selected_stage1``,
        optional ``probability_selected_stage2``, optional ``core_label`` (from ``core-index.csv``)
        and ``title``; drawn in the frame's order.

    Stage 1 is the light bar, stage 2 the dark bar beneath it. Labels after Liesiö, Mild & Salo
    (2007), doi:10.1016/j.ejor.2006.06.049.
    """
    check_lang(lang)
    require(frame, ["application_id", "probability_selected_stage1"], "selection_probability")
    n = len(frame)
    y = np.arange(n)
    labels = frame["core_label"].astype(str).tolist() if "core_label" in frame.columns else [""] * n
    colours = [COLOURS.get(lab, COLOURS["text"]) for lab in labels]
    two = "probability_selected_stage2" in frame.columns
    h = 0.4 if two else 0.8
    with style():
        ax = new_axes(ax, height=rows_height(n, per_row=0.26))
        ax.barh(y - (h / 2 if two else 0), frame["probability_selected_stage1"].to_numpy(dtype=float),
                height=h, color=colours, alpha=0.45, edgecolor=colours)
        if two:
            ax.barh(y + h / 2, frame["probability_selected_stage2"].fillna(0).to_numpy(dtype=float),
                    height=h, color=colours)
        ax.set_yticks(y, app_labels(frame))
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlim(0, 1)
        ax.set_xlabel(text("probability", lang))
        ax.set_title(text("probability", lang))
        ax.grid(axis="x", alpha=0.3)
        handles = [Patch(facecolor=COLOURS["text"], alpha=0.45, label=text("stage1", lang))]
        if two:
            handles.append(Patch(facecolor=COLOURS["text"], label=text("stage2", lang)))
        for lab in ("core", "borderline", "exterior"):
            if lab in labels:
                handles.append(Patch(color=COLOURS[lab], label=text(lab, lang)))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
