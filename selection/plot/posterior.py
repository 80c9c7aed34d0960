"""The Bayesian panel model's caterpillar plot: expected ranks with 90 % credible intervals, the
funding line, the gray zone and the lottery's draw (``posterior.csv`` and ``lottery.csv``)."""

from __future__ import annotations

from typing import Any

import numpy as np
from matplotlib.artist import Artist
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from selection.plot._common import (
    COLOURS,
    app_labels,
    check_lang,
    line_count,
    new_axes,
    number,
    require,
    rows_height,
    rows_shown,
    style,
    text,
)

__all__ = ["expected_ranks", "WORDS"]

#: Words of this figure, English and Danish.
WORDS: dict[str, tuple[str, str]] = {
    "title": ("Expected rank with 90 % credible interval (Bayesian panel model)",
              "Forventet placering med 90 %-troværdighedsinterval (bayesiansk panelmodel)"),
    "axis": ("Expected rank (1 = best)", "Forventet placering (1 = bedst)"),
    "line": ("Funding line", "Finansieringsgrænse"),
    "above": ("Above the gray zone", "Over gråzonen"),
    "gray": ("Gray zone (decided by lot)", "Gråzone (afgjort ved lodtrækning)"),
    "below": ("Below the gray zone", "Under gråzonen"),
    "excluded": ("Ruled out by the stage's rules", "Udelukket af fasens regler"),
    "selected": ("Selected", "Udvalgt"),
    "not_selected": ("Not selected", "Ikke udvalgt"),
    "chance": ("chance", "chance"),
    "drawn_in": ("drawn in", "trukket ind"),
    "drawn_out": ("not drawn", "ikke trukket"),
}

_ZONE_COLOURS = {"above": COLOURS["selected"], "gray": COLOURS["borderline"], "below": COLOURS["exterior"],
                 "excluded": COLOURS["ineligible"], None: COLOURS["eligible"]}
#: Each zone's line style beside its colour (solid, solid and shaded, dashed, dotted).
_ZONE_STYLES: dict[str | None, Any] = {"above": "-", "gray": "-", "below": (0, (4, 2)), "excluded": (0, (1, 1.5)), None: "-"}


def _w(key: str, lang: str) -> str:
    en, da = WORDS[key]
    return da if lang == "da" else en


def expected_ranks(frame, *, lottery=None, funding_line: float | None = None, ax: Axes | None = None,
                   lang: str = "en") -> Axes:
    """Expected rank (ER) of each application with its 90 % credible interval, best at the top.

    Parameters
    ----------
    frame
        ``posterior.csv`` rows of one stage: ``application_id``, ``expected_rank``, ``er_q05``,
        ``er_q95`` (optional ``probability_selected``, ``title``).
    lottery
        ``lottery.csv`` rows of the same stage (``application_id``, ``zone``, ``probability``,
        ``selected``): colours by zone, the gray zone shaded, selected applications filled, and
        each gray-zone application's chance and draw written beside it.
    funding_line
        The funding line on the ER axis (the manifest's ``bayes.<stage>.lottery.funding_line``).
    """
    check_lang(lang)
    require(frame, ["application_id", "expected_rank", "er_q05", "er_q95"], "expected_ranks")
    f = frame.sort_values(["expected_rank", "application_id"], kind="stable").reset_index(drop=True)
    title = _w("title", lang)
    above = int((f["expected_rank"] <= funding_line).sum()) if funding_line is not None and np.isfinite(funding_line) \
        else None
    lo, hi = rows_shown(len(f), above - 1 if above else None)
    if (lo, hi) != (0, len(f)):
        title += "\n" + text("ranks_shown", lang).format(a=lo + 1, b=hi, n=len(f))
        f = f.iloc[lo:hi].reset_index(drop=True)
    n = len(f)
    y = np.arange(n)
    zone = dict.fromkeys(f["application_id"])
    chosen: dict[str, bool] = {}
    chance: dict[str, float] = {}
    if lottery is not None:
        require(lottery, ["application_id", "zone", "probability", "selected"], "expected_ranks (lottery)")
        lot = lottery.set_index("application_id")
        zone = {a: (lot.at[a, "zone"] if a in lot.index else None) for a in f["application_id"]}
        chosen = {a: bool(lot.at[a, "selected"]) for a in f["application_id"] if a in lot.index}
        chance = {a: float(lot.at[a, "probability"]) for a in f["application_id"] if a in lot.index}
    colours = [_ZONE_COLOURS.get(zone[a], COLOURS["eligible"]) for a in f["application_id"]]
    with style():
        names = app_labels(f)
        ax = new_axes(ax, width=8.5, height=rows_height(n, lines=line_count(names)))
        gray_rows = [i for i, a in enumerate(f["application_id"]) if zone[a] == "gray"]
        if gray_rows:
            ax.axhspan(min(gray_rows) - 0.5, max(gray_rows) + 0.5, color=COLOURS["borderline"], alpha=0.12,
                       linewidth=0)
        ax.hlines(y, f["er_q05"], f["er_q95"], color=colours, linewidth=2.2,
                  linestyles=[_ZONE_STYLES.get(zone[a], "-") for a in f["application_id"]])  # type: ignore[arg-type]
        for i, a in enumerate(f["application_id"]):
            filled = chosen.get(a, False)
            ax.plot(f.at[i, "expected_rank"], i, "o", markersize=5.5, markeredgecolor=COLOURS["text"],
                    markerfacecolor=COLOURS["text"] if filled else "white", zorder=3)
            if zone[a] == "gray":
                word = _w("drawn_in" if filled else "drawn_out", lang)
                share = number(chance.get(a, 0.0), "share", lang)
                ax.annotate(f"{word} ({_w('chance', lang)} {share})",
                            (float(f.at[i, "er_q95"]), i), xytext=(4, 0), textcoords="offset points",
                            va="center", fontsize=7, color=COLOURS["text"])
        if funding_line is not None and np.isfinite(funding_line):
            ax.axvline(funding_line, color=COLOURS["line"], linewidth=1.2, linestyle="--")
        ax.set_yticks(y, names)
        ax.set_ylim(n - 0.5, -0.5)
        right = float(f["er_q95"].max()) if n else 1.0
        ax.set_xlim(0.5, right + max(3.0, 0.18 * right) if gray_rows else right + 0.5)
        ax.set_xlabel(_w("axis", lang))
        ax.set_title(title, loc="left")
        handles: list[Artist] = []
        if lottery is not None:
            present = [z for z in ("above", "gray", "below", "excluded") if z in set(zone.values())]
            handles += [Line2D([], [], color=_ZONE_COLOURS[z], linestyle=_ZONE_STYLES[z], linewidth=2.2,
                               label=_w(z, lang)) for z in present]
        handles += [Line2D([], [], marker="o", linestyle="", markerfacecolor=COLOURS["text"],
                           markeredgecolor=COLOURS["text"], label=_w("selected", lang))] if chosen else []
        if funding_line is not None:
            handles.append(Line2D([], [], color=COLOURS["line"], linestyle="--",
                                  label=f"{_w('line', lang)} (ER {number(funding_line, 'score', lang)})"))
        if handles:
            ax.legend(handles=handles, loc="lower left", frameon=False)
    return ax
