"""Scenario comparison: which applications each scenario selects, in stage 1 and stage 2."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes
from matplotlib.colors import ListedColormap
from matplotlib.patches import Patch

from selection.plot._common import (
    COLOURS,
    check_lang,
    ink_on,
    new_axes,
    require,
    rows_height,
    style,
    text,
)
from selection.plot.layout import as_drawn

__all__ = ["scenario_matrix"]


def scenario_matrix(frame, *, ax: Axes | None = None, lang: str = "en") -> Axes:
    """Matrix application x scenario: not selected (empty) / selected in stage 1 ("1") / selected in
    both stages ("1+2"); the stages are written in the cells as well as coloured.

    Parameters
    ----------
    frame
        Long ``scenario-matrix.csv`` rows: ``application_id``, ``scenario``, ``selected_stage1``,
        optional ``selected_stage2`` (bools). Scenarios keep their order of first appearance;
        only applications selected in some scenario are drawn, in order of first appearance.
        ``scenario-matrix.csv`` as written (a column ``<scenario>_stage<N>`` per scenario and stage)
        is reshaped into these rows (:func:`selection.plot.layout.as_drawn`).
    """
    check_lang(lang)
    frame = as_drawn("scenario-matrix.csv", frame)
    require(frame, ["application_id", "scenario", "selected_stage1"], "scenario_matrix")
    s1 = frame["selected_stage1"].astype(bool)
    s2 = frame["selected_stage2"].fillna(False).astype(bool) if "selected_stage2" in frame.columns else s1 & False
    level = s1.astype(int) + (s1 & s2).astype(int)
    scenarios = list(dict.fromkeys(frame["scenario"]))
    apps = list(dict.fromkeys(frame.loc[level > 0, "application_id"]))
    grid = np.zeros((len(apps), len(scenarios)))
    ri, ci = {a: i for i, a in enumerate(apps)}, {s: j for j, s in enumerate(scenarios)}
    for a, s, v in zip(frame["application_id"], frame["scenario"], level, strict=True):
        if a in ri:
            grid[ri[a], ci[s]] = v
    cells = [COLOURS["track"], COLOURS["stage1"], COLOURS["stage2"]]
    words = ["", text("stage1_short", lang), text("stage12_short", lang)]
    cmap = ListedColormap(cells)
    with style():
        ax = new_axes(ax, width=max(5.5, 2.5 + 0.9 * len(scenarios)), height=rows_height(len(apps)))
        ax.imshow(grid, cmap=cmap, vmin=0, vmax=2, aspect="auto", interpolation="nearest")
        for i in range(len(apps)):  # the stages in words too, not by colour alone
            for j in range(len(scenarios)):
                v = int(grid[i, j])
                if v:
                    ax.text(j, i, words[v], ha="center", va="center", fontsize=7, color=ink_on(cells[v]))
        ax.set_xticks(np.arange(len(scenarios)), scenarios, rotation=30, ha="right")
        ax.set_yticks(np.arange(len(apps)), apps)
        ax.set_xticks(np.arange(len(scenarios) + 1) - 0.5, minor=True)
        ax.set_yticks(np.arange(len(apps) + 1) - 0.5, minor=True)
        ax.grid(which="minor", color="#BFBFBF", linewidth=0.8)
        ax.tick_params(which="minor", length=0)
        ax.spines[:].set_visible(False)
        ax.set_title(text("scenarios", lang))
        ax.legend(handles=[Patch(color=COLOURS["stage1"], label=f"{words[1]}: {text('stage1_only', lang)}"),
                           Patch(color=COLOURS["stage2"], label=f"{words[2]}: {text('stage2_too', lang)}")],
                  loc="upper left", bbox_to_anchor=(1.01, 1.0))
    return ax
