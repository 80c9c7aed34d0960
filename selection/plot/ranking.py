"""The ranking: score bars, the overall threshold and the funding line."""

from __future__ import annotations

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
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

__all__ = ["ranking"]


def ranking(frame, *, threshold: float | None = None, funding_line: int | None = None, stage: int | None = None,
            ax: Axes | None = None, lang: str = "en") -> Axes:
    """Horizontal bars of the weighted panel score, rank 1 at the top.

    Parameters
    ----------
    frame
        One stage's rows of ``ranking.csv``: ``application_id``, ``rank``, ``score``, ``eligible``;
        optional ``title`` and ``selected`` (bool, from ``selection-stage<N>.csv``).
    threshold
        The overall threshold on the weighted total, drawn as a vertical line.
    funding_line
        Number of places (the stage's ``max_selected``): a line is drawn under that rank.
    stage
        Which stage to draw when the table holds several (a ``stage`` column, as written); default
        the first.
    ax, lang
        Axes to draw on (a new figure when ``None``); ``"en"`` or ``"da"`` labels.

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_lang(lang)
    require(frame, ["application_id", "rank", "score", "eligible"], "ranking")
    frame = one_stage(frame, stage, "ranking")
    f = frame.sort_values("rank", kind="stable")
    n = len(f)
    selected = f["selected"].astype(bool).to_numpy() if "selected" in f.columns else np.zeros(n, bool)
    eligible = f["eligible"].astype(bool).to_numpy()
    colours = [COLOURS["selected"] if s else COLOURS["eligible"] if e else COLOURS["ineligible"]
               for s, e in zip(selected, eligible, strict=True)]
    with style():
        ax = new_axes(ax, height=rows_height(n))
        y = np.arange(n)
        ax.barh(y, f["score"].to_numpy(dtype=float), color=colours, edgecolor="white", height=0.8)
        ax.set_yticks(y, app_labels(f))
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlabel(text("score", lang))
        ax.set_title(text("ranking", lang))
        handles: list[Artist] = [Patch(color=COLOURS["selected"], label=text("selected", lang)),
                   Patch(color=COLOURS["eligible"], label=text("eligible", lang)),
                   Patch(color=COLOURS["ineligible"], label=text("ineligible", lang))]
        if threshold is not None:
            handles.append(ax.axvline(threshold, color=COLOURS["line"], linestyle="--", linewidth=1.2,
                                      label=f"{text('threshold', lang)} ({threshold:g})"))
        if funding_line is not None and 0 < funding_line < n:
            handles.append(ax.axhline(funding_line - 0.5, color=COLOURS["text"], linestyle=":",
                                      linewidth=1.2, label=f"{text('funding_line', lang)} ({funding_line})"))
        ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
        ax.grid(axis="x", alpha=0.3)
    return ax
