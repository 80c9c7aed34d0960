"""Expert scores -> panel scores per application x criterion, and the panel-level entry point.

:func:`panel_scores` aggregates (mean, median or trimmed mean over the experts who scored,
abstentions excluded), optionally after calibrating expert leniency. :func:`analyse_panel` does
aggregation + calibration + agreement + divergence for one stage's evaluation and returns every
table the secretariat needs to defend the panel scores.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from selection import evaluation as ev
from selection.aggregate.agreement import (
    ICC_FORMS,
    NotComputable,
    _alpha_from,
    _coincidences,
    _icc_prepared,
    _IccDesign,
    _kendalls_w_matrix,
    _matrix,
    _pairable_counts,
    _scored_matrices,
)
from selection.aggregate.arrays import (
    AGGREGATIONS,
    PanelError,
    ScoreCube,
    _factorize,
    _sorted_codes,
    aggregate_cube,
    aggregate_kernel,
    score_cube,
)
from selection.aggregate.calibration import (
    CALIBRATIONS,
    Calibration,
    _additive_effects,
    _leniency,
    calibrate_cube,
    leniency_table,
)
from selection.aggregate.divergence import divergent_scores
from selection.errors import Problem

__all__ = ["AGGREGATIONS", "AGREEMENT_COLUMNS", "PanelAnalysis", "panel_scores", "score_counts",
           "analyse_panel", "agreement_table", "panel_long_table", "stage_panel_scores", "stage_diagnostics"]

AGREEMENT_COLUMNS = ["criterion_id", "measure", "value", "ci_low", "ci_high", "n_applications", "n_experts", "note"]
#: Written only when a measure could not be computed: what it found (counts), beside its note.
_FOUND_COLUMNS = ["found_applications", "found_experts"]


def _frame(values: np.ndarray, cube: ScoreCube) -> pd.DataFrame:
    return pd.DataFrame(values, index=pd.Index(cube.applications, name=ev.APPLICATION),
                        columns=pd.Index(cube.criteria, name=ev.CRITERION))


def panel_scores(evaluation: pd.DataFrame, criteria: list[str], *, method: str = "mean",
                 trim: float = 0.1, calibration: str = "none", ridge: float = 1.0,
                 bounds: tuple[float | np.ndarray, float | np.ndarray] | None = None,
                 cube: ScoreCube | None = None) -> pd.DataFrame:
    """Panel score per application (rows) and criterion (columns), abstentions excluded.

    Parameters
    ----------
    evaluation
        The long score table (:mod:`selection.evaluation`).
    criteria
        Criterion ids, the columns in this order.
    method
        ``"mean"`` (default), ``"median"`` or ``"trimmed_mean"`` (``trim`` cut from each end, as
        :func:`scipy.stats.trim_mean`).
    calibration
        ``"none"`` (default), ``"zscore"`` or ``"additive"``: aggregate the experts' scores after
        correcting their leniency (:mod:`selection.aggregate.calibration`; ``ridge`` is the additive
        model's penalty). Raises a :class:`~selection.aggregate.calibration.CalibrationWarning`
        and keeps the raw scores when the design does not allow it.
    bounds
        ``(min, max)`` to clip calibrated panel scores to the scale (raw scores are on it already);
        numbers, or arrays with one bound per criterion.
    cube
        ``score_cube(evaluation, criteria)`` when the caller has it already (the same result, without
        building it again); its criteria must be ``criteria``.

    An application x criterion that no expert scored is ``NaN``; ranking refuses such a table
    and names the cell, so a missing panel score is never silently used.

    >>> e = pd.DataFrame({"application_id": ["A", "A", "B"], "expert_id": ["x", "y", "x"],
    ...                   "criterion_id": ["c", "c", "c"], "score": [3.0, 4.0, 2.0]})
    >>> panel_scores(e, ["c"])["c"].to_dict()
    {'A': 3.5, 'B': 2.0}
    """
    if method not in AGGREGATIONS:
        raise ValueError(f"unknown aggregation {method!r}; use one of {', '.join(AGGREGATIONS)}")
    if calibration not in CALIBRATIONS:
        raise PanelError(Problem(f"unknown calibration {calibration!r}", hint=f"use one of {', '.join(CALIBRATIONS)}"))
    cube = _given_cube(cube, evaluation, list(criteria))
    if calibration == "none":
        out = aggregate_cube(cube, method, trim)  # on each application's few scores where exact
    else:
        out = aggregate_kernel(calibrate_cube(cube, calibration, ridge=ridge).values, method, trim, axis=1)
    if bounds is not None and calibration != "none":
        out = np.clip(out, bounds[0], bounds[1])
    return _frame(out, cube)


def _given_cube(cube: ScoreCube | None, evaluation: pd.DataFrame | None, criteria: list[str]) -> ScoreCube:
    """``cube`` when given (it must be ``score_cube(evaluation, criteria)``: its criteria are checked),
    else the evaluation's cube."""
    if cube is None:
        if evaluation is None:
            raise ValueError("no evaluation and no score cube: pass one of them")
        return score_cube(evaluation, criteria)
    if list(cube.criteria) != [str(c) for c in criteria]:
        raise ValueError(f"the given score cube has criteria {cube.criteria}, not {criteria}: "
                         "pass score_cube(evaluation, criteria) of this evaluation")
    return cube


def score_counts(evaluation: pd.DataFrame, *, min_experts: int | None = None) -> pd.DataFrame:
    """Per application: experts who scored it, scores given and abstentions.

    With ``min_experts`` a column ``too_few_experts`` flags applications scored by fewer experts.
    Counted with integer codes of the ids (one hash pass per column, one stable sort of the scored
    ``(application, expert)`` pairs); the pandas group-by (:func:`_score_counts_plain`, the same
    table) is kept for id columns with missing or non-text values and a non-boolean ``abstained``.

    >>> e = pd.DataFrame({"application_id": ["B", "A", "A", "A"], "expert_id": ["x", "x", "y", "y"],
    ...                   "score": [1.0, 2.0, float("nan"), 3.0], "abstained": [False, False, True, False]})
    >>> score_counts(e).to_dict("index")["A"]
    {'n_experts': 2, 'n_scores': 2, 'n_abstentions': 1}
    """
    out = _score_counts_coded(evaluation)
    if out is None:
        out = _score_counts_plain(evaluation)
    if min_experts is not None:
        out["too_few_experts"] = out["n_experts"] < int(min_experts)
    return out


def _score_counts_coded(evaluation: pd.DataFrame) -> pd.DataFrame | None:
    """:func:`score_counts`' table by integer codes, or ``None`` where it is left to pandas."""
    column = evaluation[ev.APPLICATION]
    abstained = evaluation[ev.ABSTAINED] if ev.ABSTAINED in evaluation.columns else None
    if (column.empty or pd.api.types.infer_dtype(column, skipna=False) != "string"
            or (abstained is not None and abstained.dtype != bool)):
        return None
    coded = _sorted_codes(column)  # text ids without a missing one: as they are, sorted
    if coded is None:
        return None
    apps, a = coded
    A = len(apps)
    experts = _factorize(evaluation[ev.EXPERT].to_numpy(dtype=object))[0]  # -1: missing, which nunique does not count
    scored = evaluation[ev.SCORE].notna().to_numpy()
    pairs = np.sort((a * (int(experts.max(initial=-1)) + 1) + experts)[scored & (experts >= 0)], kind="stable")
    distinct = pairs[np.r_[True, pairs[1:] != pairs[:-1]]] if pairs.size else pairs
    n_experts = np.bincount(distinct // (int(experts.max(initial=-1)) + 1), minlength=A)
    return pd.DataFrame({
        "n_experts": n_experts.astype(np.int64),
        "n_scores": np.bincount(a[scored], minlength=A).astype(np.int64),
        "n_abstentions": (np.bincount(a[abstained.to_numpy()], minlength=A).astype(np.int64)
                          if abstained is not None else 0),
    }, index=pd.Index(apps, name=ev.APPLICATION))


def _score_counts_plain(evaluation: pd.DataFrame) -> pd.DataFrame:
    """:func:`score_counts`' table by pandas group-by."""
    scored = evaluation[evaluation[ev.SCORE].notna()]
    apps = pd.Index(sorted(evaluation[ev.APPLICATION].unique()), name=ev.APPLICATION)
    g = evaluation.groupby(ev.APPLICATION, sort=True)
    return pd.DataFrame({
        "n_experts": scored.groupby(ev.APPLICATION)[ev.EXPERT].nunique().reindex(apps, fill_value=0).astype(int),
        "n_scores": g[ev.SCORE].count().reindex(apps, fill_value=0).astype(int),
        "n_abstentions": g[ev.ABSTAINED].sum().reindex(apps, fill_value=0).astype(int)
        if ev.ABSTAINED in evaluation.columns else 0,
    }, index=apps)


def _found(exc: PanelError) -> dict:
    """What a measure that could not be computed found (``found_applications``, ``found_experts``):
    data beside the English note, so the report says it in Danish without reading the note."""
    if not isinstance(exc, NotComputable):
        return {}
    return {"found_applications": exc.applications,
            **({} if exc.experts is None else {"found_experts": exc.experts})}


def _rows(criterion: str, x) -> list[dict]:
    """Agreement measures for one ratings matrix (applications x experts)."""
    rows: list[dict] = []
    try:
        x = _matrix(x)  # checked once; each measure then shares the prepared matrix (or scored cells)
    except PanelError as exc:
        note = exc.problems[0].message
        return [{"criterion_id": criterion, "measure": m, "note": note}
                for m in (*ICC_FORMS, "kendalls_w", "krippendorff_alpha_interval", "krippendorff_alpha_ordinal")]
    design = _IccDesign(x)
    for f in ICC_FORMS:
        try:
            s = _icc_prepared(design, f, 0.95)
            rows.append({"criterion_id": criterion, "measure": f, "value": s["icc"], "ci_low": s["ci_low"],
                         "ci_high": s["ci_high"], "n_applications": s["n_applications"],
                         "n_experts": s["n_experts"], "note": ""})
        except PanelError as exc:
            rows.append({"criterion_id": criterion, "measure": f, "note": exc.problems[0].message, **_found(exc)})
    try:
        s = _kendalls_w_matrix(x)
        rows.append({"criterion_id": criterion, "measure": "kendalls_w", "value": s["w"],
                     "n_applications": s["n_applications"], "n_experts": s["n_experts"],
                     "note": f"Friedman chi2 = {s['chi2']:.3g}, p = {s['p_value']:.3g}"})
    except PanelError as exc:
        rows.append({"criterion_id": criterion, "measure": "kendalls_w", "note": exc.problems[0].message,
                     **_found(exc)})
    n_units, n_exp = _pairable_counts(x)
    coincidences: tuple[np.ndarray, np.ndarray] | PanelError | None = None
    for level in ("interval", "ordinal"):
        try:
            if coincidences is None:
                try:
                    coincidences = _coincidences(x)
                except PanelError as exc:
                    coincidences = exc
            if isinstance(coincidences, PanelError):
                raise coincidences
            v = _alpha_from(*coincidences, level)
            rows.append({"criterion_id": criterion, "measure": f"krippendorff_alpha_{level}", "value": v,
                         "n_applications": n_units, "n_experts": n_exp,
                         "note": "" if np.isfinite(v) else "every score is the same"})
        except PanelError as exc:
            rows.append({"criterion_id": criterion, "measure": f"krippendorff_alpha_{level}",
                         "note": exc.problems[0].message})
    return rows


def _too_little(rows: list[dict]) -> list[dict]:
    """Say "too little data" in the ``note`` of each computed measure resting on fewer applications
    or experts than ``schema.AGREEMENT_MIN_APPLICATIONS`` / ``AGREEMENT_MIN_EXPERTS`` (the value is
    kept; readers compare the counts with the same minimums, :func:`selection.schema.agreement_too_little`)."""
    from selection.schema import (
        AGREEMENT_MIN_APPLICATIONS,
        AGREEMENT_MIN_EXPERTS,
        agreement_too_little,
    )

    for r in rows:
        if "value" in r and agreement_too_little(r.get("n_applications"), r.get("n_experts")):
            said = (f"too little data: {int(r['n_applications'])} applications, {int(r['n_experts'])} experts (at least "
                    f"{AGREEMENT_MIN_APPLICATIONS} applications scored by at least {AGREEMENT_MIN_EXPERTS} "
                    f"experts are needed)")
            r["note"] = said + (f"; {r['note']}" if r.get("note") else "")
    return rows


def agreement_table(cube: ScoreCube, weights: np.ndarray | None = None) -> pd.DataFrame:
    """Agreement per criterion and on the weighted total (``criterion_id = "total"``).

    Measures: the six Shrout & Fleiss ICC forms with 95 % intervals, Kendall's W (tie-corrected)
    and Krippendorff's alpha (interval, ordinal). The total of an expert is the weighted sum of
    their criterion scores (missing when they skipped a criterion). A measure the design does not
    allow (e.g. a two-way ICC when no application was scored by every expert) has no value and
    says why in ``note``. Every value states the applications and experts it rests on
    (``n_applications``, ``n_experts``); below ``schema.AGREEMENT_MIN_APPLICATIONS`` applications or
    ``schema.AGREEMENT_MIN_EXPERTS`` experts its ``note`` starts with "too little data".
    """
    rows = []
    C = len(cube.criteria)
    w = np.full(C, 1.0 / C) if weights is None else np.asarray(weights, dtype=np.float64) / np.sum(weights)
    scored = _scored_matrices(cube, w)  # the scored cells only: the same measures, no dense matrices
    if scored is not None:
        for crit, x in zip([*cube.criteria, "total"], scored, strict=True):
            rows += _rows(crit, x)
    else:
        for c, crit in enumerate(cube.criteria):
            rows += _rows(crit, cube.values[:, :, c])
        rows += _rows("total", np.einsum("aec,c->ae", cube.values, w))
    out = pd.DataFrame(_too_little(rows), columns=AGREEMENT_COLUMNS + _FOUND_COLUMNS)
    found = [c for c in _FOUND_COLUMNS if out[c].notna().any()]
    out[found] = out[found].astype("Int64")  # counts, written as whole numbers
    return out.drop(columns=[c for c in _FOUND_COLUMNS if c not in found])


@dataclass(frozen=True)
class PanelAnalysis:
    """Everything about one stage's panel: scores raw and calibrated, agreement, leniency, divergence."""

    cube: ScoreCube
    method: str
    calibration: str
    panel: pd.DataFrame
    raw: pd.DataFrame
    calibrated: dict[str, pd.DataFrame]
    counts: pd.DataFrame
    agreement: pd.DataFrame
    leniency: pd.DataFrame
    divergence: pd.DataFrame
    notes: list[str] = field(default_factory=list)
    #: the adjusted expert scores of each calibration (``"zscore"``, ``"additive"``), as computed
    calibrations: dict[str, Calibration] = field(default_factory=dict)


def analyse_panel(evaluation: pd.DataFrame, catalogue, *, method: str = "mean", trim: float = 0.1,
                  calibration: str = "none", ridge: float = 1.0, min_experts: int = 1,
                  divergence_range: float = 2.0) -> PanelAnalysis:
    """Aggregation + calibration + agreement + divergence for one stage's evaluation.

    Parameters
    ----------
    evaluation
        The long score table of the stage.
    catalogue
        The stage's :class:`~selection.model.CriteriaCatalogue` (criteria, weights, scales).
    method, trim
        Aggregation (see :func:`panel_scores`).
    calibration
        The calibration whose panel scores are *used* (``panel``); raw, z-score and additive panel
        scores are always all computed and reported side by side.
    ridge
        Penalty of the additive model.
    min_experts
        Applications scored by fewer experts are flagged in ``counts`` and ``notes``.
    divergence_range
        Score range that puts a cell on the divergence list.

    Calibration warnings are collected in ``notes`` (and issued as warnings).
    """
    from selection.aggregate.calibration import calibration_warnings_silenced, warn_calibration

    if calibration not in CALIBRATIONS:
        raise PanelError(Problem(f"unknown calibration {calibration!r}", hint=f"use one of {', '.join(CALIBRATIONS)}"))
    criteria = catalogue.criterion_ids
    cube = score_cube(evaluation, criteria)
    lo = np.array([catalogue.criterion(c).scale.min for c in criteria])
    hi = np.array([catalogue.criterion(c).scale.max for c in criteria])
    weights = np.array([catalogue.weights()[c] for c in criteria])
    notes: list[str] = []
    cals: dict[str, Calibration] = {}
    with calibration_warnings_silenced():  # this thread only (not the process-wide warning filters)
        for m in ("zscore", "additive"):
            cals[m] = calibrate_cube(cube, m, ridge=ridge)
    raw = _frame(aggregate_kernel(cube.values, method, trim, axis=1), cube)
    calibrated = {m: _frame(np.clip(aggregate_kernel(cal.values, method, trim, axis=1), lo, hi), cube)
                  for m, cal in cals.items()}
    if calibration != "none":
        for text in cals[calibration].notes:
            notes.append(text)
            warn_calibration(text, stacklevel=2)
    panel = raw if calibration == "none" else calibrated[calibration]
    counts = score_counts(evaluation, min_experts=min_experts)
    few = counts.index[counts["too_few_experts"]].tolist()
    if few:
        notes.append(f"{len(few)} application(s) scored by fewer than {min_experts} experts: {', '.join(few)}")
    leniency = leniency_table(cals["additive"])
    return PanelAnalysis(cube, method, calibration, panel, raw, calibrated, counts,
                         agreement_table(cube, weights), leniency,
                         divergent_scores(evaluation, criteria, min_range=divergence_range), notes, cals)


def panel_long_table(analysis: PanelAnalysis) -> pd.DataFrame:
    """One row per application x criterion: number of scores, raw, z-score and additive panel
    scores side by side, and ``panel_score``, the one used (per the stage's calibration)."""
    n = (~np.isnan(analysis.cube.values)).sum(axis=1)
    long = analysis.raw.stack(future_stack=True).rename("panel_score_raw").reset_index()
    long.insert(2, "n_scores", n.reshape(-1))
    for m, frame in analysis.calibrated.items():
        long[f"panel_score_{m}"] = frame.stack(future_stack=True).to_numpy()
    long["panel_score"] = analysis.panel.stack(future_stack=True).to_numpy()
    return long


def stage_panel_scores(evaluation: pd.DataFrame, catalogue, stage, *, cube: ScoreCube | None = None
                       ) -> pd.DataFrame:
    """The panel scores a stage ranks on: its aggregation, trim and calibration (calibrated panel
    scores clipped to each criterion's scale).

    ``cube``: ``score_cube(evaluation, catalogue.criterion_ids)`` when the caller has it already
    (the same result, built once for this and :func:`stage_diagnostics`)."""
    criteria = catalogue.criterion_ids
    lo = np.array([catalogue.criterion(c).scale.min for c in criteria])
    hi = np.array([catalogue.criterion(c).scale.max for c in criteria])
    return panel_scores(evaluation, criteria, method=stage.aggregation, trim=stage.trim,
                        calibration=stage.calibration, bounds=(lo, hi), cube=cube)


#: The panel diagnostics files of a run folder (:func:`stage_diagnostics`), in their order.
DIAGNOSTIC_FILES = ("agreement.csv", "expert-leniency.csv", "divergence.csv", "rank-intervals.csv")


def stage_diagnostics(evaluation: pd.DataFrame | None, catalogue, stage, *, seed: int, n_boot: int = 1000,
                      cube: ScoreCube | None = None, files: tuple[str, ...] = DIAGNOSTIC_FILES
                      ) -> dict[str, pd.DataFrame]:
    """The panel diagnostics files of a run folder for one stage, each with a leading ``stage``
    column: ``agreement.csv``, ``expert-leniency.csv``, ``divergence.csv``, ``rank-intervals.csv``.

    The bootstrap uses ``numpy.random.default_rng([seed, stage.number])`` with ``n_boot``
    replicates, the stage's aggregation and calibration, and ``top_k = stage.max_selected``.
    ``cube``: ``score_cube(evaluation, catalogue.criterion_ids)`` when the caller has it already (the
    same files; e.g. built once before a worker process forks). It is only read, never changed.
    ``files``: only these of the four (in the order of :data:`DIAGNOSTIC_FILES`), each the same as
    computed with the others (so that two processes can share the work). Only ``divergence.csv``
    reads the long ``evaluation``; the others read the cube, so with ``cube`` given and without
    ``divergence.csv`` the ``evaluation`` may be ``None`` (a job sent to a worker process then need
    not carry the long table: 21 MB and ~0.2 s CPU to pickle and read back at 480,000 rows).
    """
    from selection.aggregate.bootstrap import rank_intervals_cube
    from selection.aggregate.calibration import calibration_warnings_silenced

    if stage.calibration not in CALIBRATIONS:
        raise PanelError(Problem(f"unknown calibration {stage.calibration!r}",
                                 hint=f"use one of {', '.join(CALIBRATIONS)}"))
    criteria = catalogue.criterion_ids
    with calibration_warnings_silenced():  # the ranking's own calibration warns once
        # only what the four files read: analyse_panel's tables without its panel scores and counts,
        # the stage's own calibration, and of the additive one (leniency) only the expert effects
        unknown = set(files) - set(DIAGNOSTIC_FILES)
        if unknown:
            raise ValueError(f"no panel diagnostics file {', '.join(sorted(unknown))}; "
                             f"they are {', '.join(DIAGNOSTIC_FILES)}")
        out: dict[str, pd.DataFrame] = {}
        if "divergence.csv" in files:  # from the long table only
            if evaluation is None:
                raise ValueError("divergence.csv is read from the long evaluation table: pass it")
            out["divergence.csv"] = divergent_scores(evaluation, criteria, min_range=stage.divergence_range)
        if not set(files) - {"divergence.csv"}:
            return {k: v.assign(stage=stage.number)[["stage", *v.columns]] for k, v in out.items()}
        cube = _given_cube(cube, evaluation, criteria)
        cal = None
        if stage.calibration != "none" and ({"expert-leniency.csv", "rank-intervals.csv"} & set(files)):
            cal = calibrate_cube(cube, stage.calibration)
        if "agreement.csv" in files:
            out["agreement.csv"] = agreement_table(cube, np.array([catalogue.weights()[c] for c in criteria]))
        if "expert-leniency.csv" in files:
            out["expert-leniency.csv"] = _leniency(cube, cal.effects if cal is not None and cal.method == "additive"
                                                   else _additive_effects(cube))
        if "rank-intervals.csv" in files:
            # the bootstrap resamples this cube (calibrated as the stage says): what
            # rank_intervals(evaluation, ..., calibration=stage.calibration) would rebuild from the long table
            values = cube if cal is None else cal.values  # the cube's compact form: no dense array
            out["rank-intervals.csv"] = rank_intervals_cube(
                cube.applications, values, catalogue, n_boot, np.random.default_rng([seed, stage.number]),
                top_k=stage.max_selected, method=stage.aggregation, trim=stage.trim).reset_index()
    return {k: out[k].assign(stage=stage.number)[["stage", *out[k].columns]] for k in DIAGNOSTIC_FILES if k in out}

