"""Decisions as data: why each application is in or out of a stage, as a reason code and its facts.

The computing modules (:mod:`selection.select`) produce a :class:`Decision` for every application of
every stage; :mod:`selection.words` renders it in English or Danish at the edges (console, run
files' ``reason``/``reason_da`` columns, report). Nothing parses the words back: a reader that needs
the kind of a decision reads its ``code``, and one that needs a number reads the ``facts``.

A run file stores the record in two columns, ``reason_code`` and ``facts`` (JSON).

This module imports nothing from the package, so every layer may use the record type.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

__all__ = ["CODES", "Decision", "Text", "text"]

#: Every reason code, with the facts its record carries (see :mod:`selection.words` for the words).
CODES: dict[str, str] = {
    "selected": "forced: the forced-in decision's justification (Text) or null; with partial funding "
                "granted, requested (whole units) and currency; drawn in a partial lottery: lottery (the "
                "lottery facts, as for the code 'lottery')",
    "lottery": "zone ('gray': decided by lot; 'below': below the gray zone), n_gray, expected_rank, q05, q95 "
               "(its 90 % interval of ranks), funding_line (in expected rank), chance (gray only), drawn "
               "(selection.bayes's partial lottery)",
    "not_in_earlier_stage": "stage: the earlier stage's number",
    "below_threshold": "failed: the thresholds missed (Text, from the ranking)",
    "regional_share_over_cap": "share, cap: the application's regional share and the stage's cap",
    "not_eligible": "why: the call's eligibility requirements it misses (Text)",
    "forced_out": "because: the forced-out decision's justification (Text)",
    "excluded": "text: why it may not be selected, as given by the caller (Text)",
    "outranked": "broken: the rules adding it would break (rule facts); places: the count cap, if full",
    "no_gain": "value: its value (<= 0): adding it keeps every rule but does not raise the total",
    "ranking_deviation": "swaps: per group of lower-ranked selected applications, what a one-for-one "
                         "swap breaks (rule facts) or what it lowers; cost, cost_goal, would_leave, "
                         "impossible, linked",
}

#: A text in both languages: ``{"en": ..., "da": ...}`` (a plain string serves both).
Text = Mapping[str, str]


def text(en: str, da: str | None = None) -> dict[str, str]:
    """A :data:`Text` from an English and (optionally) a Danish wording."""
    return {"en": en, "da": da if da else en}


def _plain(x: Any) -> Any:
    """``x`` as JSON can hold it: a non-finite float as ``null``/``"inf"``/``"-inf"``, a mapping as a
    dict with text keys, a set sorted into a list. The exact built-in types of a decision's facts
    are dispatched first (20,500 records at 20,000 applications); anything else by :func:`_plain_any`."""
    t = type(x)
    if t is str or t is int or t is bool or x is None:
        return x
    if t is float:
        return x if x - x == 0 else _plain_any(x)  # x - x is 0 for a finite x, NaN for NaN and inf
    if t is dict:
        return {(k if type(k) is str else str(k)): _plain(v) for k, v in x.items()}
    if t is list or t is tuple:
        return [_plain(v) for v in x]
    return _plain_any(x)


def _plain_any(x: Any) -> Any:
    if isinstance(x, float) and not math.isfinite(x):
        return None if math.isnan(x) else ("inf" if x > 0 else "-inf")
    if isinstance(x, Mapping):
        return {str(k): _plain(v) for k, v in x.items()}
    if isinstance(x, (list, tuple, set, frozenset)):
        return [_plain(v) for v in (sorted(x) if isinstance(x, (set, frozenset)) else x)]
    return x


@dataclass(frozen=True)
class Decision:
    """One decision about one application in one stage: a reason ``code`` and its ``facts``."""

    code: str
    facts: Mapping[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"unknown reason code {self.code!r}; use one of {', '.join(CODES)}")

    def to_json(self) -> str:
        """The facts as JSON (sorted keys, so equal records give equal bytes)."""
        return json.dumps(_plain(self.facts), ensure_ascii=False, sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, code: str, facts: str) -> Decision:
        """The record back from a run file's ``reason_code`` and ``facts`` columns."""
        return cls(code, json.loads(facts) if facts else {})
