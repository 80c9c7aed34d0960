"""Plain-text formatting helpers for terminal output (no computing)."""

from __future__ import annotations

import pandas as pd

__all__ = ["table", "money", "shorten"]


def money(x: float | int, currency: str = "DKK") -> str:
    """``2,000,000 DKK``: an amount in the call's currency (its code), in the English number style
    the console uses everywhere (as :func:`selection.words.fmt` writes money)."""
    return f"{x:,.0f} {currency}"


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def table(frame: pd.DataFrame, *, max_rows: int | None = None) -> str:
    """Fixed-width text table with right-aligned numbers."""
    if max_rows is not None and len(frame) > max_rows:
        frame = frame.head(max_rows)
    cols = [str(c) for c in frame.columns]
    cells = [[("" if pd.isna(v) else (f"{v:.3f}" if isinstance(v, float) else str(v))) for v in row]
             for row in frame.itertuples(index=False)]
    widths = [max([len(c)] + [len(r[i]) for r in cells]) for i, c in enumerate(cols)]
    numeric = [pd.api.types.is_numeric_dtype(frame[c]) and not pd.api.types.is_bool_dtype(frame[c]) for c in frame.columns]
    def fmt(vals):
        return "  ".join(v.rjust(w) if n else v.ljust(w) for v, w, n in zip(vals, widths, numeric, strict=True)).rstrip()
    lines = [fmt(cols), "  ".join("-" * w for w in widths)] + [fmt(r) for r in cells]
    return "\n".join(lines)
