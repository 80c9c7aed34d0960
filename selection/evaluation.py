"""The evaluation: one long table of scores, application x expert x criterion, with provenance.

Column names are module constants; ids are plain string columns so that the table can be sorted,
filtered and written as it is. A score is ``NaN`` exactly when the expert abstained.
"""

from __future__ import annotations

import pandas as pd

__all__ = [
    "EXPERT", "APPLICATION", "CRITERION", "SCORE", "ABSTAINED", "COMMENT", "SOURCE_FILE",
    "SOURCE_SHA256", "SHEET", "CELL", "COLUMNS", "empty_evaluation", "sort_evaluation",
]  # fmt: skip

EXPERT = "expert_id"
APPLICATION = "application_id"
CRITERION = "criterion_id"
SCORE = "score"
ABSTAINED = "abstained"
COMMENT = "comment"
SOURCE_FILE = "source_file"
SOURCE_SHA256 = "source_sha256"
SHEET = "sheet"
CELL = "cell"

COLUMNS = [EXPERT, APPLICATION, CRITERION, SCORE, ABSTAINED, COMMENT, SOURCE_FILE, SOURCE_SHA256,
           SHEET, CELL]  # fmt: skip
_DTYPES = {EXPERT: "str", APPLICATION: "str", CRITERION: "str", SCORE: "float64",
           ABSTAINED: "bool", COMMENT: "str", SOURCE_FILE: "str", SOURCE_SHA256: "str",
           SHEET: "str", CELL: "str"}  # fmt: skip


def empty_evaluation() -> pd.DataFrame:
    """An evaluation with no scores, with the right columns and dtypes."""
    return pd.DataFrame({c: pd.Series(dtype=_DTYPES[c]) for c in COLUMNS})


def sort_evaluation(frame: pd.DataFrame) -> pd.DataFrame:
    """Canonical order (application, expert, criterion) and dtypes, fresh RangeIndex."""
    out = frame.astype(_DTYPES)[COLUMNS]
    return out.sort_values([APPLICATION, EXPERT, CRITERION], kind="stable").reset_index(drop=True)
