"""Run-folder tables as written -> the rows a figure draws (reshaping only, nothing computed).

Every figure of :mod:`selection.plot` accepts its run-folder table exactly as the engine wrote it
(``pd.read_csv(".../weight-sweep.csv")``): the engine's own layouts of three sensitivity/scenario
tables are reshaped here (:func:`as_drawn`), and a long table holding several stages (a ``stage``
column) is cut to one stage (:func:`one_stage`). The report reads its tables through the same
functions (``selection.report.bundle.engine_layout``), so there is one source of each layout.
No matplotlib here.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["as_drawn", "one_stage", "first_of"]


def as_drawn(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The engine's layouts of three sensitivity/scenario tables, reshaped (not recomputed) into the
    long layouts the figures draw; any other table, or one already long, is returned as it is.

    * ``weight-stability.csv``: ``criterion, baseline_weight, stable_from, stable_to`` ->
      ``criterion_id, weight, weight_low, weight_high``;
    * ``weight-sweep.csv``: one row per swept weight with the selection as a space-separated
      list -> one row per swept weight and selected application (``selected`` true), taking the
      selection of the stage whose criterion is swept;
    * ``scenario-matrix.csv``: one column per scenario and stage (``<scenario>_stage<N>``) -> one
      row per application and scenario with ``selected_stage<N>``.

    >>> wide = pd.DataFrame({"stage": [1], "criterion": ["value"], "weight": [0.5], "baseline_weight": [0.4],
    ...                      "selected_stage1": ["A1 A3"], "selected_stage2": ["A1"]})
    >>> as_drawn("weight-sweep.csv", wide)[["criterion_id", "weight", "application_id", "selected"]].values.tolist()
    [['value', 0.5, 'A1', True], ['value', 0.5, 'A3', True]]
    """
    cols = set(frame.columns)
    if name == "weight-stability.csv" and "criterion_id" not in cols and \
            {"criterion", "baseline_weight", "stable_from", "stable_to"} <= cols:
        return frame.rename(columns={"criterion": "criterion_id", "baseline_weight": "weight",
                                     "stable_from": "weight_low", "stable_to": "weight_high"})
    if name == "weight-sweep.csv" and "application_id" not in cols and {"criterion", "weight", "selected_stage1"} <= cols:
        rows = []
        for r in frame.itertuples(index=False):
            stage = int(getattr(r, "stage", 1))
            chosen = getattr(r, f"selected_stage{stage}", r.selected_stage1)
            for a in (str(chosen).split() if isinstance(chosen, str) else []):
                rows.append({"stage": stage, "criterion_id": r.criterion, "weight": r.weight,
                             "baseline_weight": getattr(r, "baseline_weight", float("nan")),
                             "application_id": a, "selected": True})
        return pd.DataFrame(rows, columns=["stage", "criterion_id", "weight", "baseline_weight",
                                           "application_id", "selected"])
    if name == "scenario-matrix.csv" and "scenario" not in cols and "application_id" in cols:
        pat = re.compile(r"^(?P<scenario>.+)_stage(?P<stage>\d+)$")
        skip = ("times_selected_stage", "robust_core_stage")
        found = [(c, m["scenario"], int(m["stage"])) for c in frame.columns
                 if (m := pat.match(c)) and not c.startswith(skip)]
        if not found:
            return frame
        scenarios = list(dict.fromkeys(s for _, s, _ in found))
        out = []
        for s in scenarios:
            part = pd.DataFrame({"application_id": frame["application_id"], "scenario": s})
            for c, s2, n in found:
                if s2 == s:
                    part[f"selected_stage{n}"] = frame[c]
            out.append(part)
        return pd.concat(out, ignore_index=True)
    return frame


def one_stage(frame: pd.DataFrame, stage: int | None, what: str) -> pd.DataFrame:
    """The rows of one stage of a long table with a ``stage`` column (the first stage when
    ``stage`` is ``None``); a table without that column is returned as it is.

    Raises
    ------
    ValueError
        ``stage`` is given but the table has no rows of it (naming the stages it has).
    """
    if "stage" not in frame.columns or not len(frame):
        return frame
    stages = sorted({int(s) for s in pd.to_numeric(frame["stage"], errors="coerce").dropna()})
    if stage is None:
        if len(stages) <= 1:
            return frame
        stage = stages[0]
    if int(stage) not in stages:
        raise ValueError(f"{what}: the table has no rows of stage {stage}; it has stage(s) "
                         f"{', '.join(map(str, stages)) or 'none'}")
    return frame[pd.to_numeric(frame["stage"], errors="coerce") == int(stage)]


def first_of(frame: pd.DataFrame, column: str, value: object | None, what: str) -> object:
    """``value`` if given (and present in ``frame[column]``), else the column's first value."""
    values = list(dict.fromkeys(frame[column])) if column in frame.columns else []
    if value is None:
        if not values:
            raise ValueError(f"{what}: the table has no rows")
        return values[0]
    if value not in values:
        raise ValueError(f"{what}: no rows with {column} {value!r}; it has {', '.join(map(str, values))}")
    return value
