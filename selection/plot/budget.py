"""Budget use: how much of each budget and limit a selection uses."""

from __future__ import annotations

import numpy as np
from matplotlib.axes import Axes

from selection.plot._common import (
    COLOURS,
    HATCHES,
    check_lang,
    line_count,
    money,
    new_axes,
    number,
    require,
    rows_height,
    style,
    text,
    wrap,
)

__all__ = ["budget_use"]


def _amount(x: float, unit: str, lang: str) -> str:
    """An amount in the glossary's money style (``2,000,000 DKK`` / ``2.000.000 kr.``), a count as a count."""
    return number(x, "count", lang) if unit == "applications" else money(x, unit, lang)


def budget_use(frame, *, ax: Axes | None = None, lang: str = "en") -> Axes:
    """Bars of the share of each cap a selection uses, labelled with the amounts ("2,000,000 of
    2,000,000 DKK (binding)"); binding caps are drawn dark and solid, the others light and hatched,
    and the word "binding" says it too. The amounts are written in dark ink on a white label.

    Parameters
    ----------
    frame
        Rows with ``description``, ``used``, ``limit``, ``unit``, optional ``binding`` and
        ``stage`` (the ``rules`` of a run manifest, caps only); drawn in the frame's order.
    """
    check_lang(lang)
    require(frame, ["description", "used", "limit", "unit"], "budget_use")
    n = len(frame)
    y = np.arange(n)
    used = frame["used"].to_numpy(dtype=float)
    limit = frame["limit"].to_numpy(dtype=float)
    share = np.divide(used, limit, out=np.zeros(n), where=limit > 0)
    binding = frame["binding"].astype(bool).to_numpy() if "binding" in frame.columns else np.zeros(n, bool)
    labels = [f"{text('stage1' if s == 1 else 'stage2', lang) if s in (1, 2) else s}: {d}" if "stage" in frame.columns
              else str(d) for s, d in zip(frame.get("stage", frame["description"]), frame["description"], strict=True)]
    labels = [wrap(lab, 46) for lab in labels]
    with style():
        ax = new_axes(ax, width=8.0, height=rows_height(n, per_row=0.42, lines=line_count(labels)))
        ax.barh(y, np.ones(n), color="#F2F2F2", height=0.6)
        bars = ax.barh(y, share, color=[COLOURS["selected"] if b else COLOURS["eligible"] for b in binding], height=0.6,
                       edgecolor=COLOURS["selected"], linewidth=0.6)
        for bar, b in zip(bars, binding, strict=True):
            bar.set_hatch(HATCHES["binding" if b else "not_binding"])
        for i in range(n):
            unit = frame["unit"].iloc[i]
            note = f"{_amount(used[i], unit, lang)} {text('of', lang)} {_amount(limit[i], unit, lang)}"
            note += f" ({text('binding' if binding[i] else 'not_binding', lang)})"
            ax.text(0.01, y[i], note, va="center", ha="left", fontsize=7, color=COLOURS["text"],
                    bbox={"facecolor": "white", "edgecolor": "none", "pad": 1.5})
        ax.axvline(1.0, color=COLOURS["line"], linewidth=1.2)
        ax.set_yticks(y, labels)
        ax.set_ylim(n - 0.5, -0.5)
        ax.set_xlim(0, max(1.05, float(share.max()) * 1.05 if n else 1.05))
        ax.xaxis.set_major_formatter(lambda v, _: number(v, "share", lang).replace(",0", "").replace(".0", ""))
        ax.set_xlabel(text("share_used", lang))
        ax.set_title(text("budget", lang))
    return ax
