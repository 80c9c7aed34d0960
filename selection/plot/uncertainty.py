"""How sure a ranking and a selection are: rank intervals, rank acceptability, selection probability."""

from __future__ import annotations

import re

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from selection.plot._common import (
    COLOURS,
    HATCHES,
    app_labels,
    check_lang,
    ink_on,
    legend_below,
    line_count,
    new_axes,
    number,
    require,
    rows_height,
    rows_shown,
    style,
    text,
)
from selection.plot.layout import as_drawn, one_stage

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
    title = text("rank_intervals", lang)
    lo, hi = rows_shown(len(f), funding_line - 1 if funding_line else None)
    if (lo, hi) != (0, len(f)):
        title += "\n" + text("ranks_shown", lang).format(a=lo + 1, b=hi, n=len(f))
        f = f.iloc[lo:hi]
    n = len(f)
    y = np.arange(n)
    labels = app_labels(f)
    with style():
        ax = new_axes(ax, height=rows_height(n, lines=line_count(labels)))
        ax.hlines(y, f["rank_q05"], f["rank_q95"], color=COLOURS["eligible"], linewidth=2)
        ax.hlines(y, f["rank_q25"], f["rank_q75"], color=COLOURS["selected"], linewidth=5)
        ax.plot(f["expected_rank"], y, "o", color="white", markeredgecolor=COLOURS["text"], markersize=4)
        ax.set_yticks(y, labels)
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlim(0.5, max(float(f["rank_q95"].max()) if n else 1.0, funding_line or 0) + 0.5)
        ax.set_xlabel(text("rank", lang))
        ax.set_title(title)
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
    title = text("acceptability", lang)
    lo, hi = rows_shown(len(frame))
    if (lo, hi) != (0, len(frame)):
        title += "\n" + text("rows_shown", lang).format(b=hi, n=len(frame))
        frame = frame.iloc[lo:hi]
    _, last = rows_shown(len(cols))
    if last < len(cols):
        title += "; " + text("columns_shown", lang).format(b=last, n=len(cols))
        cols = cols[:last]
    values = frame[cols].to_numpy(dtype=float)
    n, m = values.shape
    annotate = m <= 15 if annotate is None else annotate
    labels = app_labels(frame)
    with style():
        ax = new_axes(ax, width=max(6.0, 2.5 + 0.28 * m), height=rows_height(n, lines=line_count(labels)))
        im = ax.imshow(values, cmap="Blues", vmin=0, vmax=1, aspect="auto", interpolation="nearest")
        ranks = [_acc_rank(c) for c in cols]
        step = 1 if m <= 20 else 5
        ticks = [k for k, r in enumerate(ranks) if r == 1 or r % step == 0]
        ax.set_xticks(ticks, [str(ranks[k]) for k in ticks])
        ax.set_yticks(np.arange(n), labels)
        ax.set_xlabel(text("rank", lang))
        ax.set_title(title)
        ax.spines[:].set_visible(False)
        if annotate:
            for i in range(n):
                for j in range(m):
                    if values[i, j] >= 0.005:
                        ax.text(j, i, number(values[i, j], "score", lang), ha="center", va="center", fontsize=6,
                                color=ink_on(im.cmap(im.norm(values[i, j]))))
        bar = ax.figure.colorbar(im, ax=ax, label=text("share_of_samples", lang), shrink=0.6)
        bar.ax.yaxis.set_major_formatter(lambda v, _: number(v, "score", lang))
    return ax


def selection_probability(frame, *, ax: Axes | None = None, lang: str = "en") -> Axes:
    """Each application's probability of being selected in stage 1 and stage 2, coloured by its
    core / borderline / exterior label, which is also written at the end of its row.

    Parameters
    ----------
    frame
        ``selection-probability.csv`` as written (a row per stage and application), or its view
        :func:`selection.plot.layout.probability_view` (``application_id``,
        ``probability_selected_stage1``, optional ``probability_selected_stage2``, optional
        ``core_label`` from ``core-index.csv``, ``title``); drawn in the view's order.

    Stage 1 is the upper, hatched bar, stage 2 the solid bar beneath it. Labels after Liesiö, Mild &
    Salo (2007), doi:10.1016/j.ejor.2006.06.049.
    """
    check_lang(lang)
    frame = as_drawn("selection-probability.csv", frame)  # as written (a row per stage) -> a column per stage
    require(frame, ["application_id", "probability_selected_stage1"], "selection_probability")
    title = text("probability", lang)
    lo, hi = rows_shown(len(frame))
    if (lo, hi) != (0, len(frame)):
        title += "\n" + text("rows_shown", lang).format(b=hi, n=len(frame))
        frame = frame.iloc[lo:hi]
    n = len(frame)
    y = np.arange(n)
    labels = [lab if lab in ("core", "borderline", "exterior") else ""
              for lab in (frame["core_label"].astype(str).tolist() if "core_label" in frame.columns else [""] * n)]
    colours = [COLOURS[lab] if lab else COLOURS["selected"] for lab in labels]
    two = "probability_selected_stage2" in frame.columns
    h = 0.4 if two else 0.8
    names = app_labels(frame)
    own_figure = ax is None
    with style():
        ax = new_axes(ax, height=rows_height(n, per_row=0.26, lines=line_count(names)))
        p1 = frame["probability_selected_stage1"].to_numpy(dtype=float)
        bars = ax.barh(y - (h / 2 if two else 0), p1, height=h, color=[(*to_rgb(c), 0.3) for c in colours],
                       edgecolor=colours, linewidth=0.8)
        if two:
            for bar in bars:
                bar.set_hatch(HATCHES["stage1"])
            ax.barh(y + h / 2, frame["probability_selected_stage2"].fillna(0).to_numpy(dtype=float),
                    height=h, color=colours, edgecolor=colours, linewidth=0.8)
        ax.set_yticks(y, names)
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlim(0, 1)
        ax.xaxis.set_major_formatter(lambda v, _: number(v, "score", lang))
        ax.set_xlabel(text("probability", lang))
        ax.set_title(title)
        ax.grid(axis="x", alpha=0.3)
        if any(labels):  # the label in words at the end of each row
            right = ax.secondary_yaxis("right")
            right.set_yticks(y, [text(lab, lang) if lab else "" for lab in labels])
            right.tick_params(length=0, labelsize=7)
            right.spines["right"].set_visible(False)
        handles = []
        if two:
            handles += [Patch(facecolor="white", edgecolor=COLOURS["text"], hatch=HATCHES["stage1"],
                              label=text("stage1", lang)),
                        Patch(facecolor=COLOURS["text"], edgecolor=COLOURS["text"], label=text("stage2", lang))]
        for lab in ("core", "borderline", "exterior"):
            if lab in labels:
                handles.append(Patch(color=COLOURS[lab], label=text(lab, lang)))
        legend_below(ax, handles, own_figure=own_figure, ncol=5)
    return ax
