"""How the selection depends on the weights: stability intervals (tornado) and a weight sweep."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

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
from selection.plot.layout import as_drawn, first_of, one_stage

__all__ = ["weight_stability", "weight_sweep"]


def weight_stability(frame, *, names=None, stage: int | None = None, ax: Axes | None = None,
                     lang: str = "en") -> Axes:
    """Tornado chart: for each criterion, the interval of its weight within which the selection
    stays the same, with the current weight marked; narrowest (most sensitive) on top.

    Parameters
    ----------
    frame
        ``weight-stability.csv`` rows: ``criterion_id``, ``weight``, ``weight_low``, ``weight_high``
        (the engine's ``criterion, baseline_weight, stable_from, stable_to`` as written are read too).
    names
        Optional mapping criterion id -> display name in the figure's language (the call's
        ``name_en``/``name_da``); long names are wrapped.
    stage
        Which stage to draw when the table holds several (a ``stage`` column, as written); default
        the first.
    """
    check_lang(lang)
    frame = one_stage(as_drawn("weight-stability.csv", frame), stage, "weight_stability")
    require(frame, ["criterion_id", "weight", "weight_low", "weight_high"], "weight_stability")
    f = frame.assign(_width=frame["weight_high"] - frame["weight_low"]).sort_values(
        ["_width", "criterion_id"], kind="stable")
    n = len(f)
    y = np.arange(n)
    low, high = f["weight_low"].to_numpy(dtype=float), f["weight_high"].to_numpy(dtype=float)
    labels = [wrap((names or {}).get(c, c), 34) for c in f["criterion_id"]]
    with style():
        ax = new_axes(ax, height=rows_height(n, per_row=0.35, lines=line_count(labels)))
        ax.barh(y, high - low, left=low, color=COLOURS["eligible"], height=0.6)
        ax.plot(f["weight"].to_numpy(dtype=float), y, "|", color=COLOURS["line"], markersize=14, markeredgewidth=2)
        ax.set_yticks(y, labels)
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlim(0, max(1.0, float(np.nanmax(high)) if n else 1.0))
        ax.xaxis.set_major_formatter(lambda v, _: number(v, "score", lang))
        ax.set_xlabel(text("weight", lang))
        ax.set_title(text("stability", lang))
        ax.grid(axis="x", alpha=0.3)
        ax.legend(handles=[Patch(color=COLOURS["eligible"], label=text("stable", lang)),
                           Line2D([], [], marker="|", linestyle="", color=COLOURS["line"], markersize=10,
                                  markeredgewidth=2, label=text("current_weight", lang))],
                  loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax


def weight_sweep(frame, *, criterion: str | None = None, current: float | None = None, stage: int | None = None,
                 names=None, ax: Axes | None = None, lang: str = "en") -> Axes:
    """Which applications are selected as one criterion's weight moves (the others rescaled).

    Parameters
    ----------
    frame
        ``weight-sweep.csv`` rows: ``criterion_id``, ``weight``, ``application_id``, ``selected``
        (bool); only applications selected somewhere along the sweep are drawn, in order of first
        appearance. The engine's ``weight-sweep.csv`` as written (one row per swept weight, the
        selection as a space-separated list) is reshaped into these rows
        (:func:`selection.plot.layout.as_drawn`).
    criterion
        Which criterion's sweep to draw; default the first in the table (of the stage drawn).
    current
        The criterion's current weight, drawn as a vertical line; default the table's
        ``baseline_weight`` when it has one.
    stage
        Which stage to draw when the table holds several (a ``stage`` column, as written); default
        the first.
    names
        Optional mapping criterion id -> display name in the figure's language, used in the title
        and the axis instead of the id.
    """
    check_lang(lang)
    frame = one_stage(as_drawn("weight-sweep.csv", frame), stage, "weight_sweep")
    require(frame, ["criterion_id", "weight", "application_id", "selected"], "weight_sweep")
    criterion = first_of(frame, "criterion_id", criterion, "weight_sweep")  # type: ignore[assignment]
    if current is None and "baseline_weight" in frame.columns:
        base = frame.loc[frame["criterion_id"] == criterion, "baseline_weight"].dropna()
        current = float(base.iloc[0]) if len(base) else None
    f = frame[(frame["criterion_id"] == criterion) & frame["selected"].astype(bool)]
    apps = list(dict.fromkeys(f["application_id"]))
    weights = np.sort(frame.loc[frame["criterion_id"] == criterion, "weight"].unique().astype(float))
    row = {a: i for i, a in enumerate(apps)}
    with style():
        ax = new_axes(ax, height=rows_height(len(apps)))
        step = float(np.min(np.diff(weights))) if len(weights) > 1 else 0.05
        ax.scatter(f["weight"].to_numpy(dtype=float), [row[a] for a in f["application_id"]], marker="s",
                   s=max(4.0, min(60.0, 900 * step)), color=COLOURS["selected"], linewidths=0)
        ax.set_yticks(np.arange(len(apps)), apps)
        ax.set_ylim(len(apps) - 0.5, -0.5)
        name = str((names or {}).get(criterion, criterion))
        ax.xaxis.set_major_formatter(lambda v, _: number(v, "score", lang))
        ax.set_xlabel(wrap(f"{text('sweep_of', lang).capitalize()} {name}", 70))
        ax.set_title(wrap(f"{text('sweep', lang)}: {name}", 60))
        ax.grid(axis="x", alpha=0.3)
        if current is not None:
            ax.axvline(current, color=COLOURS["line"], linestyle="--", linewidth=1.2,
                       label=f"{text('current_weight', lang)} ({number(current, 'score', lang)})")
            ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
