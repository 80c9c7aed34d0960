"""The expert panel: each expert's leniency, and how far the experts agree."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from selection.plot._common import (
    COLOURS,
    check_lang,
    line_count,
    new_axes,
    number,
    require,
    rows_height,
    style,
    text,
    wrap,
)
from selection.plot.layout import first_of, one_stage

__all__ = ["expert_leniency", "agreement"]


def expert_leniency(frame, *, stage: int | None = None, criterion: str | None = None, ax: Axes | None = None,
                    lang: str = "en") -> Axes:
    """Dot plot of each expert's estimated leniency (score points above the panel; negative =
    severe), with an interval when ``leniency_low``/``leniency_high`` are given.

    Parameters
    ----------
    frame
        ``expert-leniency.csv`` rows: ``expert_id``, ``leniency`` (optional ``leniency_low``,
        ``leniency_high``, ``name``); drawn in the frame's order. ``expert-leniency.csv`` as written
        (rows per stage and criterion) is cut to one stage and to the overall rows
        (``criterion_id = "all"``) unless ``criterion`` names another.
    stage
        Which stage to draw when the table holds several (a ``stage`` column, as written); default
        the first.
    criterion
        Which ``criterion_id`` rows to draw when the table has that column; default ``"all"`` (the
        expert's overall leniency) when present, else the first.
    """
    check_lang(lang)
    require(frame, ["expert_id", "leniency"], "expert_leniency")
    frame = one_stage(frame, stage, "expert_leniency")
    if "criterion_id" in frame.columns and len(frame):
        if criterion is None and "all" in set(frame["criterion_id"].astype(str)):
            criterion = "all"
        pick = first_of(frame.assign(criterion_id=frame["criterion_id"].astype(str)), "criterion_id", criterion,
                        "expert_leniency")
        frame = frame[frame["criterion_id"].astype(str) == pick]
    n = len(frame)
    y = np.arange(n)
    v = frame["leniency"].to_numpy(dtype=float)
    with style():
        ax = new_axes(ax, width=6.5, height=rows_height(n, per_row=0.3))
        if {"leniency_low", "leniency_high"} <= set(frame.columns):
            ax.hlines(y, frame["leniency_low"], frame["leniency_high"], color=COLOURS["eligible"], linewidth=3)
        ax.axvline(0, color=COLOURS["text"], linewidth=0.8)
        ax.plot(v, y, "o", color=COLOURS["selected"])
        labels = [f"{e}  {nm}" if "name" in frame.columns else str(e)
                  for e, nm in zip(frame["expert_id"], frame.get("name", frame["expert_id"]), strict=True)]
        ax.set_yticks(y, labels)
        ax.set_ylim(n - 0.5, -0.5)
        reach = np.abs(np.concatenate([v, *(frame[c].to_numpy(dtype=float) for c in ("leniency_low", "leniency_high")
                                             if c in frame.columns)]))
        lim = max(0.5, float(np.nanmax(reach)) * 1.1 if n else 0.5)  # the whole interval, not only the dot
        ax.set_xlim(-lim, lim)
        ax.xaxis.set_major_formatter(lambda v, _: number(v, "score", lang))
        ax.set_xlabel(text("leniency_axis", lang))
        ax.set_title(text("leniency", lang))
        ax.grid(axis="x", alpha=0.3)
    return ax


def agreement(frame, *, stage: int | None = None, names=None, ax: Axes | None = None, lang: str = "en") -> Axes:
    """Agreement measures per criterion (and overall) with confidence intervals when given.

    Parameters
    ----------
    frame
        ``agreement.csv`` rows: ``criterion_id``, ``measure`` (e.g. ``ICC2k``, ``kendalls_w``,
        ``alpha_interval``), ``value``; optional ``ci_low``, ``ci_high``. Criteria and measures
        keep their order of first appearance.
    stage
        Which stage to draw when the table holds several (a ``stage`` column, as written); default
        the first.
    names
        Optional mapping criterion id -> display name in the figure's language (the call's
        ``name_en``/``name_da``), drawn instead of the ids; long names are wrapped.
    """
    check_lang(lang)
    require(frame, ["criterion_id", "measure", "value"], "agreement")
    frame = one_stage(frame, stage, "agreement")
    crits = list(dict.fromkeys(frame["criterion_id"].astype(str)))
    measures = list(dict.fromkeys(frame["measure"].astype(str)))
    markers = "osD^v<>PX*"
    palette = [COLOURS["selected"], COLOURS["core"], COLOURS["borderline"], COLOURS["line"], "#CC79A7"]
    row = {c: i for i, c in enumerate(crits)}
    k = len(measures)
    with style():
        ax = new_axes(ax, width=6.5, height=rows_height(len(crits), per_row=0.32,
                                                        lines=line_count(wrap((names or {}).get(c, c), 30)
                                                                         for c in crits)))
        for j, m in enumerate(measures):
            f = frame[frame["measure"].astype(str) == m]
            y = np.array([row[c] for c in f["criterion_id"].astype(str)]) + (j - (k - 1) / 2) * 0.18
            colour = palette[j % len(palette)]
            if {"ci_low", "ci_high"} <= set(f.columns):
                ax.hlines(y, f["ci_low"], f["ci_high"], color=colour, alpha=0.5, linewidth=1.5)
            ax.plot(f["value"].to_numpy(dtype=float), y, markers[j % len(markers)], color=colour, label=m,
                    markersize=5)
        ax.set_yticks(np.arange(len(crits)), [wrap((names or {}).get(c, c), 30) for c in crits])
        ax.set_ylim(len(crits) - 0.5, -0.5)
        ax.axvline(0, color=COLOURS["text"], linewidth=0.8)
        ax.set_xlim(min(-0.1, float(np.nanmin(frame["value"].to_numpy(dtype=float))) - 0.05) if len(frame) else -0.1,
                    1.0)
        ax.xaxis.set_major_formatter(lambda v, _: number(v, "score", lang))
        ax.set_xlabel(text("agreement_axis", lang))
        ax.set_title(text("agreement", lang))
        ax.grid(axis="x", alpha=0.3)
        ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
