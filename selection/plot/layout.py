"""Run-folder tables as written -> the rows a figure draws (reshaping only, nothing computed).

Every figure of :mod:`selection.plot` accepts its run-folder table exactly as the engine wrote it
(``pd.read_csv(".../weight-sweep.csv")``): run-folder tables are long, one ``stage`` column and a
row per stage (schema version 2, :mod:`selection.schema`); the engine's layouts of four
sensitivity/scenario tables are reshaped here into what their figures draw (:func:`as_drawn`;
figures that show stages side by side get one column per stage, :func:`by_stage`), and a long
table holding several stages is cut to one stage (:func:`one_stage`). The report and the
workbench read their tables through the same functions (``selection.report.bundle.engine_layout``,
:func:`probability_view`), so there is one source of each layout. No matplotlib here.
"""

from __future__ import annotations

import re

import pandas as pd

__all__ = ["as_drawn", "by_stage", "probability_view", "one_stage", "first_of", "ENGINE_LAYOUTS"]

def _old_layout(name: str, cols: set) -> bool:
    """Whether a table is in the layout of schema version 1 (told apart from the drawn views, which
    also have a column per stage but name them ``<value>_stage<N>`` beside ``scenario`` or
    ``application_id`` columns the old layout lacks)."""
    staged = [c for c in map(str, cols) if re.search(r"_stage\d+", c)]
    if name == "scenario-matrix.csv":
        return bool(staged) and "scenario" not in cols
    if name == "weight-sweep.csv":
        return bool(staged) and not {"selection_stage", "application_id"} & cols
    if name == "selection-probability.csv":
        # only version 1 named the baseline column selected_stage<N>_baseline; the drawn view has
        # infeasible_share_stage<N> too (probability_view), so that name tells nothing
        return any(re.fullmatch(r"selected_stage\d+_baseline", c) for c in staged)
    return False


#: The tables whose written layout the report reshapes when it reads them (the rest it shows as
#: written): the long layouts named in ``docs/report.md``.
ENGINE_LAYOUTS = ("weight-stability.csv", "weight-sweep.csv")


def by_stage(frame: pd.DataFrame, values: list[str], keys: tuple[str, ...] = ("application_id",),
             keep: tuple[str, ...] = ("title",)) -> pd.DataFrame:
    """A long table (a ``stage`` column, a row per stage) with one column per stage and value,
    ``<value>_stage<n>``, for a figure or a view that shows the stages side by side. Rows keep the
    order of the keys' first appearance; a key missing in a stage gets an empty cell; ``keep``
    columns (e.g. ``title``) are carried from a key's first row. A table without ``stage`` is
    returned as it is.

    >>> long = pd.DataFrame({"stage": [1, 1, 2], "application_id": ["A", "B", "A"], "p": [0.5, 0.25, 0.125]})
    >>> by_stage(long, ["p"]).to_dict("list")
    {'application_id': ['A', 'B'], 'p_stage1': [0.5, 0.25], 'p_stage2': [0.125, nan]}
    """
    if "stage" not in frame.columns:
        return frame
    stages = sorted({int(s) for s in pd.to_numeric(frame["stage"], errors="coerce").dropna()})
    first = frame.drop_duplicates(list(keys))
    out = first[[*keys, *[c for c in keep if c in frame.columns]]].reset_index(drop=True)
    for n in stages:
        part = frame[pd.to_numeric(frame["stage"], errors="coerce") == n].drop_duplicates(list(keys))
        part = part[[*keys, *values]].rename(columns={v: f"{v}_stage{n}" for v in values})
        out = out.merge(part, on=list(keys), how="left", sort=False)
    return out


def probability_view(prob: pd.DataFrame, core: pd.DataFrame | None = None) -> pd.DataFrame:
    """``selection-probability.csv`` as its figure and the report's and workbench's views show it:
    one row per application with ``probability_selected_stage<n>`` and ``selected_baseline_stage<n>``
    per stage, the robust-portfolio ``core_label`` of ``core-index.csv`` (its first stage) when
    given, ordered by the last stage's probability, then the first's (most likely first), then id.
    """
    f = by_stage(prob, [c for c in ("probability_selected", "selected_baseline", "infeasible_share")
                        if c in prob.columns])
    if core is not None and "core_label" not in f.columns and len(core):
        first = one_stage(core, None, "core-index.csv")
        f = f.merge(first[["application_id", "core_label"]].drop_duplicates("application_id"),
                    on="application_id", how="left")
    sort = sorted((c for c in f.columns if c.startswith("probability_selected_stage")),
                  key=lambda c: int(c.rsplit("stage", 1)[1]), reverse=True)
    return f.sort_values(sort + ["application_id"], ascending=[False] * len(sort) + [True],
                         kind="stable").reset_index(drop=True)


def as_drawn(name: str, frame: pd.DataFrame) -> pd.DataFrame:
    """The engine's layouts of four sensitivity/scenario tables, reshaped (not recomputed) into the
    layouts their figures draw; any other table, or one already reshaped, is returned as it is.

    * ``weight-stability.csv``: ``criterion, baseline_weight, stable_from, stable_to`` ->
      ``criterion_id, weight, weight_low, weight_high``;
    * ``weight-sweep.csv``: one row per swept weight and selection stage with the selection as a
      space-separated list -> one row per swept weight and selected application (``selected``
      true), taking the selection of the stage whose criterion is swept;
    * ``scenario-matrix.csv``: a row per stage, application and scenario -> one row per application
      and scenario with ``selected_stage<N>`` per stage (:func:`by_stage`);
    * ``selection-probability.csv``: a row per stage and application -> :func:`probability_view`.

    A table in the layout of schema version 1 (a column per stage) is refused with a
    :class:`ValueError` saying so, as the report and :func:`selection.schema.check_folder` do
    (:func:`selection.schema.outdated`).

    >>> long = pd.DataFrame({"stage": [1, 1], "criterion": ["value"] * 2, "weight": [0.5] * 2,
    ...                      "baseline_weight": [0.4] * 2, "selection_stage": [1, 2], "selected": ["A1 A3", "A1"]})
    >>> as_drawn("weight-sweep.csv", long)[["criterion_id", "weight", "application_id", "selected"]].values.tolist()
    [['value', 0.5, 'A1', True], ['value', 0.5, 'A3', True]]
    """
    cols = set(frame.columns)
    if _old_layout(name, cols):
        raise ValueError(f"{name} is in the layout of schema version 1 (a column per stage, <name>_stage<N>); "
                             "this version reads a stage column and a row per stage: run the command again "
                             "(selection scenarios / selection sensitivity)")
    if name == "weight-stability.csv" and "criterion_id" not in cols and \
            {"criterion", "baseline_weight", "stable_from", "stable_to"} <= cols:
        return frame.rename(columns={"criterion": "criterion_id", "baseline_weight": "weight",
                                     "stable_from": "weight_low", "stable_to": "weight_high"})
    if name == "weight-sweep.csv" and "application_id" not in cols and \
            {"criterion", "weight", "selection_stage", "selected"} <= cols:
        rows = []
        for r in frame.itertuples(index=False):
            stage = int(getattr(r, "stage", 1))
            if int(r.selection_stage) != stage:  # the selection of the stage whose criterion is swept
                continue
            chosen = r.selected
            for a in (str(chosen).split() if isinstance(chosen, str) and chosen != "(none)" else []):
                rows.append({"stage": stage, "criterion_id": r.criterion, "weight": r.weight,
                             "baseline_weight": getattr(r, "baseline_weight", float("nan")),
                             "application_id": a, "selected": True})
        return pd.DataFrame(rows, columns=["stage", "criterion_id", "weight", "baseline_weight",
                                           "application_id", "selected"])
    if name == "scenario-matrix.csv" and {"stage", "application_id", "scenario", "selected"} <= cols:
        out = by_stage(frame, ["selected"], keys=("application_id", "scenario"), keep=())
        order = {s: i for i, s in enumerate(dict.fromkeys(frame["scenario"]))}  # scenario by scenario, as run
        return out.sort_values("scenario", key=lambda s: s.map(order), kind="stable").reset_index(drop=True)
    if name == "selection-probability.csv" and {"stage", "probability_selected"} <= cols:
        return probability_view(frame)
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
