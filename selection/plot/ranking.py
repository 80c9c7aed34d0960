"""The ranking: each application's weighted panel score as a dot, the decision as the dot's shape
and colour, the overall threshold, the funding line, and optionally a declared attribute."""

from __future__ import annotations

import numpy as np
import pandas as pd
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from selection.plot._common import (
    COLOURS,
    MARKERS,
    app_labels,
    check_lang,
    legend_below,
    line_count,
    new_axes,
    number,
    require,
    rows_height,
    rows_shown,
    style,
    text,
    wrap,
)
from selection.plot.layout import one_stage

__all__ = ["ranking", "attribute_tags"]

#: Shapes written before the values of a declared attribute of one value (or yes/no), one per value.
_GROUP_MARKERS = ("\u25a0", "\u25b2", "\u25c6", "\u25cf", "\u25bc", "\u2605", "\u25a1", "\u25b3")

def attribute_tags(attributes: pd.DataFrame, attribute: str | None, lang: str = "en"
                   ) -> tuple[str, dict[str, str], list[str], str]:
    """The words of one declared attribute from ``application-attributes.csv`` as written: its name,
    each application's value label (several values joined by ", "; a yes/no attribute shows its
    name where the answer is yes and nothing where it is no), and the value labels in the order
    declared (for markers).

    Parameters
    ----------
    attributes
        ``application-attributes.csv`` rows: ``application_id``, ``attribute``, ``type``, ``value``,
        ``value_en``, ``value_da``, ``attribute_en``, ``attribute_da``.
    attribute
        The attribute's id; default the first attribute of one value, several values or yes/no.
    """
    require(attributes, ["application_id", "attribute", "type", "value", "value_en", "value_da", "attribute_en",
                         "attribute_da"], "ranking (attributes)")
    kinds = {"one", "several", "yes_no"}
    usable = list(dict.fromkeys(attributes.loc[attributes["type"].astype(str).isin(kinds), "attribute"].astype(str)))
    if attribute is None:
        if not usable:
            raise ValueError("ranking: the attributes table has no attribute of one value, several values or yes/no")
        attribute = usable[0]
    rows = attributes[attributes["attribute"].astype(str) == attribute]
    if not len(rows):
        raise ValueError(f"ranking: no attribute {attribute!r} in the attributes table; it has "
                         f"{', '.join(usable) or 'none'}")
    name = str(rows[f"attribute_{lang}"].iloc[0])
    yes_no = str(rows["type"].iloc[0]) == "yes_no"
    tags: dict[str, list[str]] = {}
    for a, v, lab in zip(rows["application_id"].astype(str), rows["value"].astype(str), rows[f"value_{lang}"],
                         strict=True):
        word = (name if v == "true" else "") if yes_no else str(lab)
        if word:
            tags.setdefault(a, []).append(word)
    order = [name] if yes_no else list(dict.fromkeys(str(v) for v in rows[f"value_{lang}"]))
    return name, {a: ", ".join(ws) for a, ws in tags.items()}, order, str(rows["type"].iloc[0])


def ranking(frame, *, threshold: float | None = None, funding_line: int | None = None, stage: int | None = None,
            attributes: pd.DataFrame | None = None, attribute: str | None = None, around: int | None = None,
            ax: Axes | None = None, lang: str = "en") -> Axes:
    """Each application's weighted panel score as a dot, rank 1 at the top, the score written
    beside it; the axis spans the scores shown (not from zero), so the differences around the
    funding line are visible.

    The decision is shown by the dot's shape as well as its colour: a filled circle is selected, a
    diamond eligible but not selected, a cross not eligible (a threshold or a rule). The funding
    line is drawn beneath the lowest-ranked selected application: nothing below it is selected.

    Parameters
    ----------
    frame
        One stage's rows of ``ranking.csv``: ``application_id``, ``rank``, ``score``, ``eligible``;
        optional ``title`` and ``selected`` (bool, from ``selection-stage<N>.csv``).
    threshold
        The overall threshold on the weighted total, drawn as a vertical line.
    funding_line
        Number of places (the stage's ``max_selected``), named in the legend; without a
        ``selected`` column the line is drawn beneath that rank.
    stage
        Which stage to draw when the table holds several (a ``stage`` column, as written); default
        the first.
    attributes, attribute
        ``application-attributes.csv`` as written and the id of a declared attribute (default the
        first of one value, several values or yes/no): each application's value is written in a
        column on the right, after a shape (■ ▲ ◆ ...) per value when the attribute has one value
        of at most eight (or is yes/no, e.g. rural).
    around
        With more than 60 applications, only this many ranks above and below the funding line are
        drawn (default 25), and the title says which ranks are shown.
    ax, lang
        Axes to draw on (a new figure when ``None``); ``"en"`` or ``"da"`` labels.

    Returns
    -------
    matplotlib.axes.Axes
    """
    check_lang(lang)
    require(frame, ["application_id", "rank", "score", "eligible"], "ranking")
    frame = one_stage(frame, stage, "ranking")
    f = frame.sort_values("rank", kind="stable").reset_index(drop=True)
    n_all = len(f)
    has_selected = "selected" in f.columns
    sel_all = f["selected"].fillna(False).astype(bool).to_numpy() if has_selected else np.zeros(n_all, bool)
    # the row the funding line is drawn beneath (index into f), or None
    if sel_all.any():
        line_at: int | None = int(np.flatnonzero(sel_all).max())
    elif not has_selected and funding_line is not None and 0 < funding_line < n_all:
        line_at = int(funding_line) - 1
    else:
        line_at = None
    title = text("ranking", lang)
    lo, hi = rows_shown(n_all, line_at, around)
    if (lo, hi) != (0, n_all):
        ranks = f["rank"].to_numpy()
        title += "\n" + text("ranks_shown", lang).format(a=int(ranks[lo]), b=int(ranks[hi - 1]), n=n_all)
        f = f.iloc[lo:hi].reset_index(drop=True)
        line_at = None if line_at is None else line_at - lo
    n = len(f)
    selected = f["selected"].fillna(False).astype(bool).to_numpy() if has_selected else np.zeros(n, bool)
    eligible = f["eligible"].astype(bool).to_numpy()
    score = f["score"].to_numpy(dtype=float)
    labels = app_labels(f)
    tags: dict[str, str] = {}
    group_name, group_order, group_type = "", list[str](), ""
    if attributes is not None:
        group_name, tags, group_order, group_type = attribute_tags(attributes, attribute, lang)
    one_valued = group_type in ("one", "yes_no") and len(group_order) <= len(_GROUP_MARKERS)
    own_figure = ax is None
    with style():
        ax = new_axes(ax, width=8.5 if attributes is not None else 7.5,
                      height=rows_height(n, per_row=0.24, lines=line_count(labels), extra=1.8))
        y = np.arange(n)
        shown = score[np.isfinite(score)]
        span = [*shown.tolist(), *([threshold] if threshold is not None else [])]
        left, right = (min(span), max(span)) if span else (0.0, 1.0)
        pad = (right - left) * 0.06 or 0.1
        xmin, xmax = left - pad, right + pad * 3.2
        ax.hlines(y, xmin, score, color="#E3E3E3", linewidth=0.8, zorder=1)
        kinds = np.where(selected, "selected", np.where(eligible, "eligible", "ineligible"))
        for kind in ("selected", "eligible", "ineligible"):
            rows = kinds == kind
            if rows.any():
                ax.scatter(score[rows], y[rows], marker=MARKERS[kind], s=46 if kind != "eligible" else 34,
                           color=COLOURS[kind], edgecolors=COLOURS["text"] if kind == "eligible" else COLOURS[kind],
                           linewidths=0.6, zorder=3)
        for i in range(n):
            if np.isfinite(score[i]):
                ax.annotate(number(score[i], "score", lang), (score[i], y[i]), xytext=(7, 0),
                            textcoords="offset points", va="center", fontsize=7, color=COLOURS["text"])
        ax.set_yticks(y, labels)
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlim(xmin, xmax)
        ax.xaxis.set_major_formatter(lambda v, _: number(v, "score", lang))
        ax.set_xlabel(text("score", lang))
        ax.set_title(title)
        ax.grid(axis="x", alpha=0.3)
        handles: list[Artist] = [
            Line2D([], [], marker=MARKERS[k], linestyle="", color=COLOURS[k], markersize=7,
                   markeredgecolor=COLOURS["text"] if k == "eligible" else COLOURS[k], markeredgewidth=0.6,
                   label=text(k, lang))
            for k in ("selected", "eligible", "ineligible") if (kinds == k).any()]
        if threshold is not None:
            handles.append(ax.axvline(threshold, color=COLOURS["line"], linestyle="--", linewidth=1.2,
                                      label=f"{text('threshold', lang)} ({number(threshold, 'score', lang)})"))
        if line_at is not None and 0 <= line_at < n - 1:
            places = f" ({funding_line} {text('places', lang)})" if funding_line is not None else ""
            handles.append(ax.axhline(line_at + 0.5, color=COLOURS["text"], linestyle=":", linewidth=1.4,
                                      label=wrap(text("funding_line_after", lang) + places, 40)))
        if attributes is not None:  # the attribute's value of each row, as a second column of labels
            glyph = {v: _GROUP_MARKERS[j] for j, v in enumerate(group_order)} if one_valued else {}
            right = ax.secondary_yaxis("right")
            right.set_yticks(y, [wrap(f"{glyph[t]} {t}" if t in glyph else t, 24) if (t := tags.get(a, "")) else ""
                                 for a in f["application_id"].astype(str)])
            right.tick_params(length=0, labelsize=7)
            right.spines["right"].set_visible(False)
            right.set_ylabel(group_name, rotation=270, labelpad=12)
        legend_below(ax, handles, own_figure=own_figure, ncol=2)
    return ax
