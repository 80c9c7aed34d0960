"""Numbers and money in Danish style, for the Danish twins of the run files' reasons.

Danish writes the decimal comma and the thousands point: ``2,50`` and ``2.000.000 kr.``.

>>> num(2.5, ".2f")
'2,50'
>>> kr(2000000)
'2.000.000 kr.'
>>> pct(0.4, 1)
'40,0 %'
"""

from __future__ import annotations

__all__ = ["num", "kr", "pct"]


def num(x: float, spec: str = "g") -> str:
    """``x`` formatted with ``spec`` (e.g. ``".2f"``, ``",.0f"``), then in Danish separators."""
    return format(x, spec).translate(str.maketrans(",.", ".,"))


def kr(x: float) -> str:
    """An amount of Danish kroner: ``2.000.000 kr.``."""
    return f"{num(x, ',.0f')} kr."


def pct(share: float, digits: int = 0) -> str:
    """A share as a Danish percentage: ``40,0 %`` (space before the sign, as Danish writes it)."""
    return f"{num(share * 100, f'.{digits}f')} %"
