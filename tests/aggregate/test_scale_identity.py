"""Panel diagnostics at scale (issue 12): the fast kernels give the files of the plain ones, bit for bit.

The ``ref_*`` functions below are the engine's implementations before the speed-up (commit fe09cc6;
``ref_fit_additive`` and ``ref_competition_ranks`` as of 24b12d5), kept verbatim (renamed, and calling each other): the dense per-expert scans of the z-score
calibration and the leniency table, one matrix copy and analysis of variance per ICC form,
``np.add.at`` coincidence counts per Krippendorff level, the whole ``(n_boot, A, C)`` replicate cube
before the weighted totals, a pandas join per divergent cell, and the bootstrap rebuilding cube and
calibration from the long table. Every test compares the new result with theirs exactly: arrays
bit for bit (NaN where NaN), tables as the CSV bytes a run folder holds.
"""

# ruff: noqa: E501
from __future__ import annotations

import warnings
from collections.abc import Mapping

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from selection import evaluation as ev
from selection.aggregate import (
    PanelAnalysis,
    ScoreCube,
    agreement_table,
    calibrate_cube,
    divergent_scores,
    leniency_table,
    rank_intervals,
    score_counts,
    score_cube,
    stage_diagnostics,
)
from selection.aggregate import bootstrap as bootstrap_module
from selection.aggregate.agreement import (
    ICC_FORMS,
    _anova_two_way,
    _chi2_sf,
    _f_sf,
    _form,
    _icc_value_ci,
    _matrix,
    _rankdata,
)
from selection.aggregate.arrays import AGGREGATIONS, PanelError, aggregate_kernel, expert_rows
from selection.aggregate.bootstrap import (
    RANK_INTERVAL_COLUMNS,
    _weights,
    bootstrap_cube,
    weighted_totals,
)
from selection.aggregate.calibration import (
    CALIBRATIONS,
    LENIENCY_COLUMNS,
    Calibration,
    CalibrationWarning,
    _additive_ok,
    _warn,
    leniency_interval,
    leniency_label,
)
from selection.aggregate.divergence import DIVERGENCE_COLUMNS
from selection.aggregate.panel import AGREEMENT_COLUMNS, _frame, _too_little
from selection.errors import Problem
from selection.io.export import write_csv

_CHUNK_CELLS = 4_000_000  # the reference bootstrap's block size (the tests shrink both to force many blocks)


# ---------------------------------------------------------------------------------------------
# The reference implementations (verbatim before the speed-up, renamed)
# ---------------------------------------------------------------------------------------------

# The engine's fit_additive, _anova_one_way and competition_ranks before the wave-3 speed-up (24b12d5), verbatim:
# the references below call these, not the engine's (which now share one design per criterion mask,
# fill NaN once, and sort without the stable argsort).
def ref_fit_additive(x: np.ndarray, ridge: float = 1.0) -> tuple[np.ndarray, np.ndarray]:
    """The engine's ``fit_additive`` before the wave-3 speed-up (docstring left out)."""
    if ridge < 0 or not np.isfinite(ridge):
        raise PanelError(Problem(f"ridge is {ridge}; use a number >= 0"))
    x = np.asarray(x, dtype=np.float64)
    mask = ~np.isnan(x)
    m = mask.astype(np.float64)
    n_a = m.sum(axis=1)
    n_e = m.sum(axis=0)
    xz = np.where(mask, x, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        xbar = np.where(n_a > 0, xz.sum(axis=1) / np.maximum(n_a, 1), 0.0)
    inv_na = np.where(n_a > 0, 1.0 / np.maximum(n_a, 1), 0.0)
    L = np.diag(n_e) - (m * inv_na[:, None]).T @ m
    r = (m * (xz - xbar[:, None])).sum(axis=0)
    if ridge > 0:
        beta = np.linalg.solve(L + ridge * np.eye(len(n_e)), r)
    else:
        beta = np.linalg.lstsq(L, r, rcond=None)[0]
        beta = np.where(n_e > 0, beta, 0.0)
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where(n_a > 0, (m * (xz - beta[None, :])).sum(axis=1) / np.maximum(n_a, 1), np.nan)
    return alpha, beta


def ref_anova_one_way(x: np.ndarray) -> dict:
    """The engine's ``_anova_one_way`` before the wave-3 speed-up (docstring left out)."""
    present = ~np.isnan(x)
    ki = present.sum(axis=1).astype(np.float64)
    N = ki.sum()
    n = len(ki)
    means = np.where(ki > 0, np.nansum(x, axis=1) / np.maximum(ki, 1), 0.0)
    grand = np.nansum(x) / N
    ss_b = (ki * (means - grand) ** 2).sum()
    ss_w = np.nansum((x - means[:, None]) ** 2)
    k0 = (N - (ki**2).sum() / N) / (n - 1)
    return {"n": n, "k": float(k0), "BMS": ss_b / (n - 1), "WMS": ss_w / (N - n), "df_b": n - 1, "df_w": N - n}


def ref_competition_ranks(scores: np.ndarray, higher_is_better: bool = True) -> np.ndarray:
    """The engine's ``competition_ranks`` before the wave-3 speed-up (docstring left out)."""
    s = np.round(np.asarray(scores, dtype=np.float64), 12)
    key = -s if higher_is_better else s
    order = np.argsort(key, axis=-1, kind="stable")
    ss = np.take_along_axis(key, order, axis=-1)
    n = s.shape[-1]
    pos = np.broadcast_to(np.arange(n), ss.shape)
    first = np.ones(ss.shape, dtype=bool)
    first[..., 1:] = ss[..., 1:] != ss[..., :-1]
    start = np.maximum.accumulate(np.where(first, pos, 0), axis=-1) + 1
    ranks = np.empty(s.shape, dtype=np.int64)
    np.put_along_axis(ranks, order, start, axis=-1)
    return ranks


def ref_calibrate_cube(cube: ScoreCube, method: str = "additive", *, ridge: float = 1.0, basis: str = "criterion",
                   weights: np.ndarray | None = None) -> Calibration:
    """The engine's ``calibrate_cube`` before the speed-up (docstring left out)."""
    if method not in CALIBRATIONS:
        raise PanelError(Problem(f"unknown calibration {method!r}", hint=f"use one of {', '.join(CALIBRATIONS)}"))
    if basis not in ("criterion", "total"):
        raise PanelError(Problem(f"unknown calibration basis {basis!r}", hint="use 'criterion' or 'total'"))
    x = cube.values
    A, E, C = x.shape
    notes: list[str] = []
    effects = np.zeros((E, C))
    if method == "none":
        return Calibration(method, cube, x.copy(), effects, notes)
    present = ~np.isnan(x)
    if method == "zscore":
        out = x.copy()
        for c in range(C):
            col = x[:, :, c]
            allv = col[~np.isnan(col)]
            if allv.size < 2:
                continue
            mu, sd = allv.mean(), allv.std(ddof=1)
            for e in range(E):
                v = col[:, e]
                ok = ~np.isnan(v)
                k = int(ok.sum())
                if k == 0:
                    continue
                if k < 2:
                    _warn(notes, f"z-score calibration: expert {cube.experts[e]} has one score on "
                                 f"{cube.criteria[c]}; kept unadjusted")
                    continue
                me, se = v[ok].mean(), v[ok].std(ddof=1)
                if se > 0 and sd > 0:
                    out[ok, e, c] = mu + sd * (v[ok] - me) / se
                else:
                    out[ok, e, c] = v[ok] - me + mu
                effects[e, c] = me - mu
        return Calibration(method, cube, out, effects, notes)
    if basis == "criterion":
        for c in range(C):
            mask = present[:, :, c]
            if _additive_ok(mask, cube, f"criterion {cube.criteria[c]}", notes):
                effects[:, c] = ref_fit_additive(x[:, :, c], ridge)[1]
    else:
        w = np.full(C, 1.0 / C) if weights is None else np.asarray(weights, dtype=np.float64) / np.sum(weights)
        total = np.einsum("aec,c->ae", x, w)  # NaN when the expert missed a criterion
        if _additive_ok(~np.isnan(total), cube, "the weighted total", notes):
            effects[:] = ref_fit_additive(total, ridge)[1][:, None]
    out = np.where(present, x - effects[None, :, :], np.nan)
    return Calibration(method, cube, out, effects, notes)


def ref_leniency_table(cal: Calibration) -> pd.DataFrame:
    """The engine's ``leniency_table`` before the speed-up (docstring left out)."""
    x = cal.cube.values
    A, E, C = x.shape
    rows = []
    present = ~np.isnan(x)
    n_ac = present.sum(axis=1)  # (A, C)
    s_ac = np.where(present, x, 0.0).sum(axis=1)
    # each criterion's spread over every score given, once (not once per expert)
    col_sd = []
    for c in range(C):
        col = x[:, :, c][present[:, :, c]]
        usable = bool(col.size >= 2 and col.std() > 0)
        col_sd.append((float(col.std(ddof=1)) if usable else np.nan, usable))
    for e, expert in enumerate(cal.cube.experts):
        devs_all, n_all = [], 0
        for c, crit in enumerate(cal.cube.criteria):
            ok = present[:, e, c]
            k = int(ok.sum())
            others = n_ac[ok, c] - 1
            with np.errstate(invalid="ignore", divide="ignore"):
                dev = x[ok, e, c] - (s_ac[ok, c] - x[ok, e, c]) / others
            dev = dev[others > 0]
            devs_all.extend(dev.tolist())
            n_all += k
            ratio = (x[ok, e, c].std(ddof=1) / col_sd[c][0]) if k >= 2 and col_sd[c][1] else np.nan
            lenient = float(cal.effects[e, c]) if k else np.nan
            low, high = leniency_interval(lenient, dev)
            rows.append({"expert_id": expert, "criterion_id": crit, "n_scores": k,
                         "mean_score": float(x[ok, e, c].mean()) if k else np.nan,
                         "mean_deviation": float(dev.mean()) if dev.size else np.nan,
                         "leniency": lenient,
                         "spread_ratio": float(ratio), "note": "" if dev.size else "no shared applications",
                         "leniency_low": low, "leniency_high": high, "label": leniency_label(lenient, low, high)})
        scored = present[:, e, :]
        lenient = float(cal.effects[e, scored.any(axis=0)].mean()) if n_all else np.nan
        low, high = leniency_interval(lenient, np.array(devs_all))
        rows.append({"expert_id": expert, "criterion_id": "all", "n_scores": n_all,
                     "mean_score": float(x[:, e, :][scored].mean()) if n_all else np.nan,
                     "mean_deviation": float(np.mean(devs_all)) if devs_all else np.nan,
                     "leniency": lenient, "spread_ratio": np.nan,
                     "note": "" if len(devs_all) >= 2 else "too little data for an interval",
                     "leniency_low": low, "leniency_high": high, "label": leniency_label(lenient, low, high)})
    return pd.DataFrame(rows, columns=LENIENCY_COLUMNS)


def ref_icc(ratings, form: str = "ICC2k", *, confidence: float = 0.95) -> pd.Series:
    """The engine's ``icc`` before the speed-up (docstring left out)."""
    form = _form(form)
    if not 0 < confidence < 1:
        raise PanelError(Problem(f"confidence is {confidence}; use a level between 0 and 1, e.g. 0.95"))
    x = _matrix(ratings)
    x = x[:, ~np.isnan(x).all(axis=0)] if x.size else x
    x = x[~np.isnan(x).all(axis=1)] if x.size else x
    if form in ("ICC1", "ICC1k"):
        counts = (~np.isnan(x)).sum(axis=1) if x.size else np.zeros(0)
        if len(counts) < 2 or (counts >= 2).sum() < 1 or counts.sum() <= len(counts):
            raise PanelError(Problem(f"{form} needs at least 2 applications and an application scored by 2 "
                                     f"or more experts; found {len(counts)} application(s)"))
        a = ref_anova_one_way(x)
        n_exp = x.shape[1]
    else:
        x = x[~np.isnan(x).any(axis=1)]
        if x.shape[0] < 2 or x.shape[1] < 2:
            raise PanelError(Problem(
                f"{form} needs at least 2 applications scored by the same 2 or more experts; "
                f"{x.shape[0]} application(s) were scored by every expert",
                hint="use ICC1, which allows each application its own experts"))
        a = _anova_two_way(x)
        n_exp = x.shape[1]
    v, lo, hi, f0, df1, df2 = _icc_value_ci(form, a, 1 - confidence)
    return pd.Series({"form": form, "icc": float(v), "ci_low": float(lo), "ci_high": float(hi), "f": float(f0),
                      "df1": float(df1), "df2": float(df2), "p_value": float(_f_sf(f0, df1, df2)),
                      "n_applications": int(a["n"]), "n_experts": int(n_exp)}, name=form)


def ref_kendalls_w(ratings) -> pd.Series:
    """The engine's ``kendalls_w`` before the speed-up (docstring left out)."""
    x = _matrix(ratings)
    x = x[:, ~np.isnan(x).all(axis=0)] if x.size else x
    x = x[~np.isnan(x).any(axis=1)] if x.size else x
    n, m = x.shape if x.ndim == 2 else (0, 0)
    if n < 2 or m < 2:
        raise PanelError(Problem(f"Kendall's W needs at least 2 applications scored by the same 2 or more "
                                 f"experts; found {n} application(s) scored by all {m} expert(s)"))
    ranks = np.apply_along_axis(_rankdata, 0, x)
    r = ranks.sum(axis=1)
    s = ((r - r.mean()) ** 2).sum()
    t = 0.0
    for j in range(m):
        _, counts = np.unique(x[:, j], return_counts=True)
        t += (counts**3 - counts).sum()
    denom = m**2 * (n**3 - n) - m * t
    w = 12 * s / denom if denom > 0 else np.nan
    chi2 = m * (n - 1) * w
    return pd.Series({"w": float(w), "chi2": float(chi2), "df": n - 1,
                      "p_value": float(_chi2_sf(chi2, n - 1)), "n_applications": n, "n_experts": m},
                     name="kendalls_w")


def ref_krippendorff_alpha(ratings, level: str = "interval") -> float:
    """The engine's ``krippendorff_alpha`` before the speed-up (docstring left out)."""
    if level not in ("interval", "ordinal", "nominal", "ratio"):
        raise PanelError(Problem(f"unknown level {level!r}", hint="use 'interval' or 'ordinal'"))
    x = _matrix(ratings)
    present = ~np.isnan(x)
    mu = present.sum(axis=1)
    x, mu = x[mu >= 2], mu[mu >= 2]
    if len(x) == 0:
        raise PanelError(Problem("Krippendorff's alpha needs at least one application scored by 2 or more experts"))
    values, inv = np.unique(x[~np.isnan(x)], return_inverse=True)
    rows = np.nonzero(~np.isnan(x))[0]
    h = np.zeros((len(x), len(values)))
    np.add.at(h, (rows, inv), 1.0)
    wgt = 1.0 / (mu - 1)
    o = (h * wgt[:, None]).T @ h - np.diag((h * wgt[:, None]).sum(axis=0))
    nc = o.sum(axis=1)
    n = nc.sum()
    if level == "nominal":
        d2 = (values[:, None] != values[None, :]).astype(float)
    elif level == "interval":
        d2 = (values[:, None] - values[None, :]) ** 2
    elif level == "ratio":
        with np.errstate(invalid="ignore", divide="ignore"):
            d2 = np.nan_to_num(((values[:, None] - values[None, :]) / (values[:, None] + values[None, :])) ** 2)
    else:
        cum = np.concatenate([[0.0], np.cumsum(nc)])
        lo = np.minimum.outer(np.arange(len(values)), np.arange(len(values)))
        hi = np.maximum.outer(np.arange(len(values)), np.arange(len(values)))
        d2 = (cum[hi + 1] - cum[lo] - (nc[:, None] + nc[None, :]) / 2) ** 2
    d_o = (o * d2).sum() / n
    d_e = (np.outer(nc, nc) * d2).sum() / (n * (n - 1))
    return float(1 - d_o / d_e) if d_e > 0 else float("nan")


def ref_rows(criterion: str, x: np.ndarray) -> list[dict]:
    """The engine's ``rows`` before the speed-up (docstring left out)."""
    rows = []
    frame = pd.DataFrame(x)
    for f in ICC_FORMS:
        try:
            s = ref_icc(frame, f)
            rows.append({"criterion_id": criterion, "measure": f, "value": s["icc"], "ci_low": s["ci_low"],
                         "ci_high": s["ci_high"], "n_applications": s["n_applications"],
                         "n_experts": s["n_experts"], "note": ""})
        except PanelError as exc:
            rows.append({"criterion_id": criterion, "measure": f, "note": exc.problems[0].message})
    try:
        s = ref_kendalls_w(frame)
        rows.append({"criterion_id": criterion, "measure": "kendalls_w", "value": s["w"],
                     "n_applications": s["n_applications"], "n_experts": s["n_experts"],
                     "note": f"Friedman chi2 = {s['chi2']:.3g}, p = {s['p_value']:.3g}"})
    except PanelError as exc:
        rows.append({"criterion_id": criterion, "measure": "kendalls_w", "note": exc.problems[0].message})
    n_units = int(((~np.isnan(x)).sum(axis=1) >= 2).sum())
    n_exp = int((~np.isnan(x)).any(axis=0).sum())
    for level in ("interval", "ordinal"):
        try:
            v = ref_krippendorff_alpha(frame, level)
            rows.append({"criterion_id": criterion, "measure": f"krippendorff_alpha_{level}", "value": v,
                         "n_applications": n_units, "n_experts": n_exp,
                         "note": "" if np.isfinite(v) else "every score is the same"})
        except PanelError as exc:
            rows.append({"criterion_id": criterion, "measure": f"krippendorff_alpha_{level}",
                         "note": exc.problems[0].message})
    return rows


def ref_agreement_table(cube: ScoreCube, weights: np.ndarray | None = None) -> pd.DataFrame:
    """The engine's ``agreement_table`` before the speed-up (docstring left out)."""
    rows = []
    for c, crit in enumerate(cube.criteria):
        rows += ref_rows(crit, cube.values[:, :, c])
    C = len(cube.criteria)
    w = np.full(C, 1.0 / C) if weights is None else np.asarray(weights, dtype=np.float64) / np.sum(weights)
    rows += ref_rows("total", np.einsum("aec,c->ae", cube.values, w))
    return pd.DataFrame(_too_little(rows), columns=AGREEMENT_COLUMNS)


def ref_analyse_panel(evaluation: pd.DataFrame, catalogue, *, method: str = "mean", trim: float = 0.1,
                  calibration: str = "none", ridge: float = 1.0, min_experts: int = 1,
                  divergence_range: float = 2.0) -> PanelAnalysis:
    """The engine's ``analyse_panel`` before the speed-up (docstring left out)."""

    if calibration not in CALIBRATIONS:
        raise PanelError(Problem(f"unknown calibration {calibration!r}", hint=f"use one of {', '.join(CALIBRATIONS)}"))
    criteria = catalogue.criterion_ids
    cube = score_cube(evaluation, criteria)
    lo = np.array([catalogue.criterion(c).scale.min for c in criteria])
    hi = np.array([catalogue.criterion(c).scale.max for c in criteria])
    weights = np.array([catalogue.weights()[c] for c in criteria])
    notes: list[str] = []
    cals: dict[str, Calibration] = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        for m in ("zscore", "additive"):
            cals[m] = ref_calibrate_cube(cube, m, ridge=ridge)
    raw = _frame(aggregate_kernel(cube.values, method, trim, axis=1), cube)
    calibrated = {m: _frame(np.clip(aggregate_kernel(cal.values, method, trim, axis=1), lo, hi), cube)
                  for m, cal in cals.items()}
    if calibration != "none":
        for text in cals[calibration].notes:
            notes.append(text)
            warnings.warn(text, CalibrationWarning, stacklevel=2)
    panel = raw if calibration == "none" else calibrated[calibration]
    counts = score_counts(evaluation, min_experts=min_experts)
    few = counts.index[counts["too_few_experts"]].tolist()
    if few:
        notes.append(f"{len(few)} application(s) scored by fewer than {min_experts} experts: {', '.join(few)}")
    leniency = ref_leniency_table(cals["additive"])
    return PanelAnalysis(cube, method, calibration, panel, raw, calibrated, counts,
                         ref_agreement_table(cube, weights), leniency,
                         ref_divergent_scores(evaluation, criteria, min_range=divergence_range), notes)


def ref_bootstrap_cube(values: np.ndarray, n_boot: int, rng: np.random.Generator, *, method: str = "mean",
                   trim: float = 0.1) -> np.ndarray:
    """The engine's ``bootstrap_cube`` before the speed-up (docstring left out)."""
    if method not in AGGREGATIONS:
        raise PanelError(Problem(f"unknown aggregation {method!r}", hint=f"use one of {', '.join(AGGREGATIONS)}"))
    if not isinstance(rng, np.random.Generator):
        raise TypeError("rng must be a numpy.random.Generator, e.g. numpy.random.default_rng(seed)")
    if int(n_boot) < 1:
        raise PanelError(Problem(f"n_boot is {n_boot}; use at least 1 replicate"))
    n_boot = int(n_boot)
    values = np.asarray(values, dtype=np.float64)
    A, _, C = values.shape
    scored = ~np.isnan(values).all(axis=2)
    n_a = scored.sum(axis=1)
    m = max(int(n_a.max()) if A else 0, 1)
    order = np.argsort(~scored, axis=1, kind="stable")[:, :m]  # the experts who scored come first
    padded = np.take_along_axis(values, order[:, :, None], axis=1)  # (A, m, C)
    if padded.shape[1] < m:  # fewer experts than slots (E < 1)
        padded = np.full((A, m, C), np.nan)
    observed = aggregate_kernel(padded, method, trim, axis=1)  # (A, C)
    present = ~np.isnan(padded)
    filled = np.where(present, padded, 0.0)
    slot_ok = np.arange(m)[None, :] < n_a[:, None]  # (A, m)
    n_draw = np.maximum(n_a, 1)
    out = np.empty((n_boot, A, C))
    chunk = max(1, _CHUNK_CELLS // max(A * m * (C if method != "mean" else 1), 1))
    for start in range(0, n_boot, chunk):
        b = min(chunk, n_boot - start)
        u = rng.random((b, A, m))
        idx = np.minimum((u * n_draw[None, :, None]).astype(np.int64), n_draw[None, :, None] - 1)
        if method == "mean":
            # how often each expert slot was drawn: a weighted mean is the mean of the resample
            flat = ((np.arange(b)[:, None, None] * A + np.arange(A)[None, :, None]) * m + idx)
            counts = np.bincount(flat[np.broadcast_to(slot_ok, flat.shape)], minlength=b * A * m)
            w = counts.reshape(b, A, m).astype(np.float64).transpose(1, 0, 2)  # (A, b, m)
            num = np.matmul(w, filled)  # (A, b, C)
            den = np.matmul(w, present.astype(np.float64))
            # den == 0 (every drawn expert abstained) implies num == 0: the cell keeps the observed
            # score. Written straight into the (b, A, C) output, without NaN intermediates.
            empty = den == 0.0
            np.divide(num, den, out=num, where=~empty)
            target = out[start:start + b]
            np.copyto(target, num.transpose(1, 0, 2))
            if empty.any():
                np.copyto(target, np.broadcast_to(observed[None], target.shape), where=empty.transpose(1, 0, 2))
            continue
        else:
            drawn = padded[np.arange(A)[None, :, None], idx]  # (b, A, m, C)
            drawn = np.where(slot_ok[None, :, :, None], drawn, np.nan)
            rep = aggregate_kernel(drawn, method, trim, axis=2)
        out[start:start + b] = np.where(np.isnan(rep), observed[None], rep)
    return out


def ref_rank_intervals(evaluation: pd.DataFrame, catalogue, n_boot: int, rng: np.random.Generator, *, top_k: int,
                   weights: Mapping[str, float] | None = None, method: str = "mean", trim: float = 0.1,
                   calibration: str = "none") -> pd.DataFrame:
    """The engine's ``rank_intervals`` before the speed-up (docstring left out)."""
    if int(top_k) < 1:
        raise PanelError(Problem(f"top_k is {top_k}; use at least 1"))
    if calibration != "none":
        evaluation = ref_calibrate_evaluation(evaluation, catalogue, method=calibration)
    criteria = catalogue.criterion_ids
    w = _weights(catalogue, weights)  # validate before the expensive part
    del w
    cube = score_cube(evaluation, list(criteria))
    apps, reps = cube.applications, ref_bootstrap_cube(cube.values, n_boot, rng, method=method, trim=trim)
    nan_apps = [apps[i] for i in np.nonzero(np.isnan(reps).any(axis=(0, 2)))[0]]
    if nan_apps:
        raise PanelError([Problem(f"application {a} has no score on some criterion",
                                  hint="every application needs at least one score per criterion")
                          for a in nan_apps])
    totals = weighted_totals(reps, catalogue, weights)
    ranks = ref_competition_ranks(totals)
    q = np.quantile(ranks, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0, method="inverted_cdf")
    sq = np.quantile(totals, [0.05, 0.95], axis=0)
    out = pd.DataFrame({
        "expected_rank": ranks.mean(axis=0),
        "rank_q05": q[0].astype(np.int64), "rank_q25": q[1].astype(np.int64), "rank_q50": q[2].astype(np.int64),
        "rank_q75": q[3].astype(np.int64), "rank_q95": q[4].astype(np.int64),
        "probability_top_k": (ranks <= int(top_k)).mean(axis=0),
        "score_mean": totals.mean(axis=0), "score_q05": sq[0], "score_q95": sq[1],
    }, index=pd.Index(apps, name=ev.APPLICATION))
    return out


def ref_stage_diagnostics(evaluation: pd.DataFrame, catalogue, stage, *, seed: int, n_boot: int = 1000
                      ) -> dict[str, pd.DataFrame]:
    """The engine's ``stage_diagnostics`` before the speed-up (docstring left out)."""

    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)  # the ranking's own calibration warns once
        a = ref_analyse_panel(evaluation, catalogue, method=stage.aggregation, trim=stage.trim,
                          calibration=stage.calibration, min_experts=stage.min_experts,
                          divergence_range=stage.divergence_range)
        ri = ref_rank_intervals(evaluation, catalogue, n_boot, np.random.default_rng([seed, stage.number]),
                                top_k=stage.max_selected, method=stage.aggregation, trim=stage.trim,
                                calibration=stage.calibration).reset_index()
    out = {"agreement.csv": a.agreement, "expert-leniency.csv": a.leniency, "divergence.csv": a.divergence,
           "rank-intervals.csv": ri}
    return {k: v.assign(stage=stage.number)[["stage", *v.columns]] for k, v in out.items()}


def ref_divergent_scores(evaluation: pd.DataFrame, criteria: list[str] | None = None, *, min_range: float = 2.0
                     ) -> pd.DataFrame:
    """The engine's ``divergent_scores`` before the speed-up (docstring left out)."""
    if not (np.isfinite(min_range) and min_range > 0):
        raise PanelError(Problem(f"the divergence range is {min_range}; use a positive number of points"))
    crit = list(criteria) if criteria is not None else sorted(evaluation[ev.CRITERION].astype(str).unique())
    rows = evaluation[evaluation[ev.SCORE].notna() & evaluation[ev.CRITERION].astype(str).isin(crit)]
    if ev.COMMENT in rows.columns:
        comments = rows[ev.COMMENT].fillna("").astype(str).str.strip()
    else:
        comments = pd.Series("", index=rows.index)
    rows = rows.assign(_comment=comments).sort_values([ev.APPLICATION, ev.CRITERION, ev.EXPERT], kind="stable")
    keys = [ev.APPLICATION, ev.CRITERION]
    g = rows.groupby(keys, sort=True)[ev.SCORE]
    spread = g.transform("max") - g.transform("min")
    rows = rows[(spread >= min_range - 1e-9).to_numpy()]
    experts = rows[ev.EXPERT].astype(str)
    rows = rows.assign(
        _score=experts + ": " + rows[ev.SCORE].map(lambda v: f"{v:g}"),
        _text=np.where(rows["_comment"] != "", experts + ": " + rows["_comment"], ""),
    )
    grouped = rows.groupby(keys, sort=True)
    stats_ = grouped[ev.SCORE].agg(["count", "min", "max", "std"])
    scores = grouped["_score"].agg(" | ".join)
    texts = rows[rows["_text"] != ""].groupby(keys, sort=True)["_text"].agg(" | ".join).reindex(
        stats_.index, fill_value="")
    out = pd.DataFrame({
        "application_id": [k[0] for k in stats_.index], "criterion_id": [k[1] for k in stats_.index],
        "n_scores": stats_["count"].to_numpy().astype(int), "min_score": stats_["min"].to_numpy(),
        "max_score": stats_["max"].to_numpy(), "score_range": (stats_["max"] - stats_["min"]).to_numpy(),
        "score_sd": stats_["std"].fillna(0.0).to_numpy(), "scores": scores.to_numpy(), "comments": texts.to_numpy(),
    })
    table = out.reindex(columns=DIVERGENCE_COLUMNS)
    if table.empty:
        return table
    order = {c: i for i, c in enumerate(crit)}
    table["_c"] = table["criterion_id"].map(order)
    table = table.sort_values(["score_range", "application_id", "_c"], ascending=[False, True, True], kind="stable")
    return table.drop(columns="_c").reset_index(drop=True)


def ref_calibrate_evaluation(evaluation: pd.DataFrame, catalogue=None, *, method: str = "additive",
                         ridge: float = 1.0, basis: str = "criterion") -> pd.DataFrame:
    """The engine's ``calibrate_evaluation`` before the speed-up (docstring left out)."""
    criteria = catalogue.criterion_ids if catalogue is not None else None
    cube = score_cube(evaluation, criteria)
    weights = np.array(list(catalogue.weights().values())) if catalogue is not None else None
    cal = ref_calibrate_cube(cube, method, ridge=ridge, basis=basis, weights=weights)
    out = evaluation.copy()
    keep = out[ev.CRITERION].astype(str).isin(cube.criteria).to_numpy()
    a = pd.Index(cube.applications).get_indexer(out[ev.APPLICATION].astype(str))
    e = pd.Index(cube.experts).get_indexer(out[ev.EXPERT].astype(str))
    c = pd.Index(cube.criteria).get_indexer(out[ev.CRITERION].astype(str))
    new = out[ev.SCORE].to_numpy(dtype=np.float64).copy()
    new[keep] = cal.values[a[keep], e[keep], c[keep]]
    out[ev.SCORE] = new
    return out


# ---------------------------------------------------------------------------------------------
# Inputs and comparisons
# ---------------------------------------------------------------------------------------------

def sparse_cube(seed: int, A: int = 30, E: int = 9, C: int = 3, per_app: int = 3, abstain: float = 0.1,
                step: float = 0.5, lone: bool = True) -> np.ndarray:
    """A callgen-like design: each application scored by ``per_app`` of ``E`` experts on a half-point
    grid, some abstentions (one criterion left out), and with ``lone`` an expert with a single score."""
    rng = np.random.default_rng(seed)
    x = np.full((A, E, C), np.nan)
    for a in range(A):
        who = rng.choice(E - 1 if lone else E, size=min(per_app, E - 1 if lone else E), replace=False)
        x[a, who, :] = step * rng.integers(0, round(5 / step) + 1, size=(len(who), C))
    x[rng.random(x.shape) < abstain] = np.nan
    if lone:
        x[0, E - 1, 0] = 2.5  # z-score: "has one score" (kept unadjusted, a note)
    return x


def same_array(a: np.ndarray, b: np.ndarray) -> None:
    a, b = np.asarray(a), np.asarray(b)
    assert a.shape == b.shape and a.dtype == b.dtype
    assert a.tobytes() == b.tobytes(), "not bit for bit the same"


def csv_bytes(frame: pd.DataFrame, tmp_path, name: str = "t.csv") -> bytes:
    write_csv(frame, tmp_path / name)
    return (tmp_path / name).read_bytes()


FOUND = ["found_applications", "found_experts"]


def without_found(a: pd.DataFrame) -> pd.DataFrame:
    """An agreement table without the counts a measure that could not be computed found (columns the
    engine added after the reference: data beside the note, which names the same counts; checked)."""
    if not any(c in a.columns for c in FOUND):
        return a
    for r in a.itertuples(index=False):
        n = getattr(r, "found_applications", pd.NA)
        if n is not pd.NA and n == n:
            assert f"found {int(n)} application(s)" in r.note or f"; {int(n)} application(s) were" in r.note, r.note
        m = getattr(r, "found_experts", pd.NA)
        if m is not pd.NA and m == m:
            assert f"scored by all {int(m)} expert(s)" in r.note, r.note
    return a.drop(columns=[c for c in FOUND if c in a.columns])


def same_frame(a: pd.DataFrame, b: pd.DataFrame, tmp_path) -> None:
    a = without_found(a)
    pd.testing.assert_frame_equal(a, b, check_exact=True)
    assert csv_bytes(a, tmp_path, "a.csv") == csv_bytes(b, tmp_path, "b.csv")


def labelled(x: np.ndarray) -> ScoreCube:
    A, E, C = x.shape
    return ScoreCube([f"A{i:03d}" for i in range(A)], [f"E{j:02d}" for j in range(E)], [f"c{k}" for k in range(C)], x)


class _Stage:
    """The stage fields the panel diagnostics read."""

    def __init__(self, calibration: str = "none", aggregation: str = "mean", number: int = 1) -> None:
        self.number, self.calibration, self.aggregation = number, calibration, aggregation
        self.trim, self.min_experts, self.divergence_range, self.max_selected = 0.2, 2, 2.0, 5


@pytest.fixture
def small_blocks(monkeypatch):
    """Both bootstraps draw in blocks of a few replicates (many blocks, as at 20,000 applications)."""
    monkeypatch.setattr(bootstrap_module, "_CHUNK_CELLS", 150)
    monkeypatch.setitem(globals(), "_CHUNK_CELLS", 150)


# ---------------------------------------------------------------------------------------------
# The tests
# ---------------------------------------------------------------------------------------------

@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), E=st.integers(2, 8), C=st.integers(1, 3))
def test_expert_rows_are_the_full_column_masks(seed, E, C):
    x = sparse_cube(seed, A=12, E=E + 1, C=C, per_app=min(3, E))
    rows = expert_rows(x)
    for e in range(x.shape[1]):
        assert rows[e].tolist() == np.nonzero(~np.isnan(x[:, e, :]).all(axis=1))[0].tolist()


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), per_app=st.integers(1, 4), C=st.integers(1, 3), abstain=st.sampled_from([0.0, 0.1, 0.4]))
def test_calibrations_and_leniency_are_the_plain_ones(seed, per_app, C, abstain, tmp_path_factory):
    cube = labelled(sparse_cube(seed, A=25, E=8, C=C, per_app=per_app, abstain=abstain))
    tmp = tmp_path_factory.mktemp("len")
    for method in CALIBRATIONS:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", CalibrationWarning)
            new, ref = calibrate_cube(cube, method), ref_calibrate_cube(cube, method)
        same_array(new.values, ref.values)
        same_array(new.effects, ref.effects)
        assert new.notes == ref.notes
        same_frame(leniency_table(new), ref_leniency_table(ref), tmp)


def test_zscore_on_a_callgen_sized_slice_is_the_plain_one():
    """200 experts, 3 a application, abstentions: the design the gathering is for."""
    cube = labelled(sparse_cube(7, A=600, E=60, C=4, per_app=3, abstain=0.05))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        new, ref = calibrate_cube(cube, "zscore"), ref_calibrate_cube(cube, "zscore")
    same_array(new.values, ref.values)
    same_array(new.effects, ref.effects)
    assert new.notes == ref.notes and new.notes  # the lone score is named


@pytest.mark.parametrize("case", ["sparse", "complete", "constant", "one_expert", "one_application", "infinite"])
def test_agreement_table_is_the_plain_one(case, tmp_path):
    """The six ICC forms sharing one matrix and analysis, Krippendorff's levels one coincidence table:
    the same values, and the same notes where a measure cannot be computed."""
    if case == "sparse":
        x = sparse_cube(3, A=40, E=10, C=3)
    elif case == "complete":  # every expert scores every application: the two-way forms and W exist
        x = sparse_cube(4, A=15, E=4, C=2, per_app=4, abstain=0.0, lone=False)
    elif case == "constant":
        x = np.where(np.isnan(sparse_cube(5, A=10, E=5, C=2)), np.nan, 3.0)
    elif case == "one_expert":
        x = sparse_cube(6, A=10, E=3, C=2, per_app=1, lone=False)
    elif case == "one_application":
        x = sparse_cube(8, A=1, E=4, C=2, per_app=3, lone=False)
    else:
        x = sparse_cube(9, A=10, E=5, C=2)
        x[1, ~np.isnan(x[1, :, 0]), 0] = np.inf
    cube = labelled(x)
    w = np.arange(1.0, x.shape[2] + 1)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        same_frame(agreement_table(cube, w), ref_agreement_table(cube, w), tmp_path)
        same_frame(agreement_table(cube), ref_agreement_table(cube), tmp_path)


@pytest.mark.parametrize("method", AGGREGATIONS)
def test_bootstrap_blocks_are_the_plain_cube(method, small_blocks):
    x = sparse_cube(11, A=23, E=7, C=3, abstain=0.3)
    new = bootstrap_cube(x, 37, np.random.default_rng(3), method=method, trim=0.2)
    ref = ref_bootstrap_cube(x, 37, np.random.default_rng(3), method=method, trim=0.2)
    assert bootstrap_module._CHUNK_CELLS == 150  # many blocks were drawn
    same_array(new, ref)


@pytest.mark.parametrize("calibration", CALIBRATIONS)
@pytest.mark.parametrize("method", ["mean", "median"])
def test_rank_intervals_from_blocks_are_the_plain_ones(calibration, method, small_blocks, h, tmp_path):
    """Weighted totals taken block by block (a cost criterion reflected per replicate, uneven
    weights) against the totals of the whole replicate cube."""
    x = sparse_cube(12, A=30, E=8, C=3, abstain=0.1)
    e = h.long_table(x)
    cat = h.make_catalogue(["c0", "c1", "c2"], weights={"c0": 0.5, "c1": 0.3, "c2": 0.2}, directions={"c2": "cost"})
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        new = rank_intervals(e, cat, 41, np.random.default_rng(9), top_k=6, method=method, calibration=calibration)
        ref = ref_rank_intervals(e, cat, 41, np.random.default_rng(9), top_k=6, method=method, calibration=calibration)
    assert list(new.columns) == RANK_INTERVAL_COLUMNS
    same_frame(new, ref, tmp_path)


def test_rank_intervals_name_an_unscored_application_as_before(h):
    x = sparse_cube(13, A=8, E=5, C=2, abstain=0.0, lone=False)
    x[2, :, 1] = np.nan
    cat = h.make_catalogue(["c0", "c1"])
    with pytest.raises(PanelError) as new:
        rank_intervals(h.long_table(x), cat, 5, np.random.default_rng(0), top_k=2)
    with pytest.raises(PanelError) as ref:
        ref_rank_intervals(h.long_table(x), cat, 5, np.random.default_rng(0), top_k=2)
    assert [p.message for p in new.value.problems] == [p.message for p in ref.value.problems] == [
        "application A002 has no score on some criterion"]


@pytest.mark.parametrize(("calibration", "aggregation"), [("none", "mean"), ("none", "median"),
                                                          ("none", "trimmed_mean"), ("zscore", "mean"),
                                                          ("additive", "mean")])
def test_stage_diagnostics_files_are_byte_identical(calibration, aggregation, small_blocks, h, tmp_path):
    """The four files of a run folder (agreement, leniency, divergence, rank intervals) as CSV bytes."""
    x = sparse_cube(21, A=40, E=9, C=3, abstain=0.05)
    e = h.long_table(x)
    e[ev.COMMENT] = np.where(np.arange(len(e)) % 7 == 0, " needs work ", "")
    cat = h.make_catalogue(["c0", "c1", "c2"], weights={"c0": 2.0, "c1": 1.0, "c2": 1.0})
    stage = _Stage(calibration, aggregation)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        new = stage_diagnostics(e, cat, stage, seed=5, n_boot=60)
        ref = ref_stage_diagnostics(e, cat, stage, seed=5, n_boot=60)
    assert list(new) == list(ref) == ["agreement.csv", "expert-leniency.csv", "divergence.csv", "rank-intervals.csv"]
    for name in new:
        got = without_found(new[name]) if name == "agreement.csv" else new[name]
        assert csv_bytes(got, tmp_path, "new-" + name) == csv_bytes(ref[name], tmp_path, "ref-" + name), name
    assert len(new["divergence.csv"]) > 0


def test_example_call_diagnostics_are_byte_identical(tmp_path):
    """The example call's stages with the engine's 1,000 replicates, each calibration."""
    from pathlib import Path

    from selection.pipeline import load_call_folder

    folder = load_call_folder(Path(__file__).resolve().parents[2] / "examples" / "kreative-partnerskaber")
    for n, evaluation in folder.evaluations.items():
        for calibration in CALIBRATIONS:
            stage = folder.call.stage(n).model_copy(update={"calibration": calibration})
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                new = stage_diagnostics(evaluation, folder.catalogues[n], stage, seed=folder.call.seed)
                ref = ref_stage_diagnostics(evaluation, folder.catalogues[n], stage, seed=folder.call.seed)
            for name in new:
                got = without_found(new[name]) if name == "agreement.csv" else new[name]
                assert csv_bytes(got, tmp_path, "n.csv") == csv_bytes(ref[name], tmp_path, "r.csv"), (n, calibration, name)


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(0, 60), with_comments=st.booleans(),
       min_range=st.sampled_from([0.5, 2.0, 4.0, 6.0]), ordered=st.booleans())
def test_divergent_scores_are_the_plain_ones(seed, n, with_comments, min_range, ordered):
    rng = np.random.default_rng(seed)
    e = pd.DataFrame({ev.APPLICATION: rng.choice(["A1", "B", "C2", "D"], n), ev.EXPERT: rng.choice(["x", "y", "z", "w"], n),
                      ev.CRITERION: rng.choice(["c", "a", "b"], n), ev.SCORE: rng.choice([0, 1, 2.5, 4, 5, np.nan], n),
                      ev.COMMENT: rng.choice(["", "  ok ", None, "bad", " "], n)})
    e = e.drop_duplicates([ev.APPLICATION, ev.EXPERT, ev.CRITERION])
    if not with_comments:
        e = e.drop(columns=ev.COMMENT)
    crit = ["c", "b", "a"] if ordered else None
    new, ref = divergent_scores(e, crit, min_range=min_range), ref_divergent_scores(e, crit, min_range=min_range)
    pd.testing.assert_frame_equal(new, ref, check_exact=True)
    assert new.to_csv(lineterminator="\n") == ref.to_csv(lineterminator="\n")



# ---------------------------------------------------------------------------------------------
# Wave 3 kernels: each against its verbatim predecessor above
# ---------------------------------------------------------------------------------------------

@settings(max_examples=60, deadline=None)
@given(seed=st.integers(0, 10_000), shape=st.sampled_from([(0,), (1,), (7,), (3, 0), (4, 1), (3, 9), (2, 3, 11)]),
       higher=st.booleans(), nan=st.booleans())
def test_competition_ranks_are_the_stable_sorts(seed, shape, higher, nan):
    """Ties (also -0.0 beside 0.0, and values equal after rounding to 12 decimals), infinities and
    NaN (each NaN its own rank, in the stable order) give the ranks of the stable argsort."""
    from selection.rank import competition_ranks

    rng = np.random.default_rng(seed)
    pool = [0.0, -0.0, 1.0, 2.5, 1.0 + 1e-13, np.inf, -np.inf] + ([np.nan] if nan else [])
    x = rng.choice(pool, size=shape)
    same_array(competition_ranks(x, higher), ref_competition_ranks(x, higher))


def test_competition_ranks_of_bootstrap_sized_totals():
    from selection.rank import competition_ranks

    x = np.round(np.random.default_rng(4).random((40, 5_000)) * 4, 2)  # many ties per row
    same_array(competition_ranks(x), ref_competition_ranks(x))


@pytest.mark.parametrize(("values", "slots", "exact"), [
    ([0.0, 0.5, 5.0, -0.0, 2.25], 3, True), ([1.0, 3.0], 8, True), ([0.1, 0.5], 3, False), ([np.inf], 3, False),
    ([np.nan], 3, False), ([2.0 ** 52], 3, False), ([2.0 ** 51], 3, True), ([2.0 ** 40 + 0.5], 3, True), ([1 / 3], 2, False)])
def test_exact_sums_only_on_a_grid_with_room(values, slots, exact):
    assert bootstrap_module._exact_sums(np.array(values), slots) is exact


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), per_app=st.integers(1, 4), C=st.integers(1, 3),
       abstain=st.sampled_from([0.0, 0.1, 0.5]), step=st.sampled_from([1.0, 0.5, 0.25, 0.1]),
       unscored=st.booleans(), negative=st.booleans())
def test_bootstrap_table_is_the_matrix_products(seed, per_app, C, abstain, step, unscored, negative):
    """The mean bootstrap's lookup among each application's possible resamples (scores on a grid)
    against the matrix products, bit for bit (the sign of a zero too): abstentions, applications
    nobody scored, negative scores and -0.0, many blocks; off the grid it falls back to the products."""
    x = sparse_cube(seed, A=17, E=6, C=C, per_app=per_app, abstain=abstain, step=step)
    if negative:
        x = np.where(np.isnan(x), np.nan, 2.0 - x)  # 2.0 - 2.0 = 0.0; and one -0.0
        x[~np.isnan(x)] = np.where(x[~np.isnan(x)] == 0.0, -0.0, x[~np.isnan(x)])
    if unscored:
        x[3] = np.nan
    used: list[bool] = []
    table = bootstrap_module._resample_table
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bootstrap_module, "_resample_table", lambda *a: (used.append(True), table(*a))[1])
        mp.setattr(bootstrap_module, "_CHUNK_CELLS", 120)
        mp.setitem(globals(), "_CHUNK_CELLS", 120)  # the same blocks (off the grid, products depend on them)
        new = bootstrap_cube(x, 29, np.random.default_rng(seed))
        ref = ref_bootstrap_cube(x, 29, np.random.default_rng(seed))
    same_array(new, ref)
    assert used == ([True] if step != 0.1 else [])


def test_bootstrap_table_too_large_falls_back(monkeypatch):
    x = sparse_cube(2, A=30, E=8, C=2, per_app=4)
    monkeypatch.setattr(bootstrap_module, "_TABLE_CELLS", 10)
    assert bootstrap_module._resample_table(np.nan_to_num(x[:, :4]), ~np.isnan(x[:, :4]), x[:, 0],
                                            np.full(30, 4)) is None
    same_array(bootstrap_cube(x, 9, np.random.default_rng(1)), ref_bootstrap_cube(x, 9, np.random.default_rng(1)))


def test_additive_calibration_shares_a_design_only_between_equal_masks(tmp_path):
    """Criteria 0 and 2 scored on the same cells, criterion 1 with abstentions: the shared and the
    separate designs give the plain fit's effects, scores and notes."""
    x = sparse_cube(31, A=60, E=12, C=3, abstain=0.0, lone=False)
    x[np.random.default_rng(0).random(x.shape[:2]) < 0.1, 1] = np.nan
    cube = labelled(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        new, ref = calibrate_cube(cube, "additive", ridge=0.0), ref_calibrate_cube(cube, "additive", ridge=0.0)
    same_array(new.values, ref.values)
    same_array(new.effects, ref.effects)
    assert new.notes == ref.notes
    same_frame(leniency_table(new), ref_leniency_table(ref), tmp_path)


@settings(max_examples=25, deadline=None)
@given(seed=st.integers(0, 10_000), per_app=st.integers(1, 4), abstain=st.sampled_from([0.0, 0.2]),
       step=st.sampled_from([1.0, 0.5, 0.1]), n_boot=st.sampled_from([1, 7, 40]))
def test_rank_intervals_from_the_totals_table_are_the_plain_ones(seed, per_app, abstain, step, n_boot, h, tmp_path_factory):
    """Scores on a grid and no cost criterion: each replicate's totals looked up among its
    applications' possible resamples' totals, against the whole replicate cube's (off the grid: the
    blocks); uneven weights, applications scored by different numbers of experts, many blocks."""
    x = sparse_cube(seed, A=25, E=7, C=3, per_app=per_app, abstain=abstain, step=step)
    cat = h.make_catalogue(["c0", "c1", "c2"], weights={"c0": 0.55, "c1": 0.3, "c2": 0.15})
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(bootstrap_module, "_CHUNK_CELLS", 100)
        mp.setitem(globals(), "_CHUNK_CELLS", 100)
        try:
            new = rank_intervals(h.long_table(x), cat, n_boot, np.random.default_rng(seed), top_k=4)
        except PanelError as exc:  # an application with no score on a criterion: named as before
            with pytest.raises(PanelError) as ref:
                ref_rank_intervals(h.long_table(x), cat, n_boot, np.random.default_rng(seed), top_k=4)
            assert [p.message for p in exc.problems] == [p.message for p in ref.value.problems]
            return
        ref = ref_rank_intervals(h.long_table(x), cat, n_boot, np.random.default_rng(seed), top_k=4)
    same_frame(new, ref, tmp_path_factory.mktemp("ri"))


@pytest.mark.parametrize("layout", ["strided", "C", "F", "total", "empty", "one_column", "complete"])
def test_measures_of_an_array_are_those_through_pandas(layout):
    """An array is copied row by row without a frame (pandas copies column by column): every measure
    selects rows (C-ordered by numpy) before it sums, so the values are the same, bit for bit."""
    from selection.aggregate.agreement import _matrix, icc, kendalls_w, krippendorff_alpha

    cube = sparse_cube(3, A=30, E=6, C=3)
    cube = cube + np.where(np.isnan(cube), np.nan, 1 / 3)  # off the grid: the order of the sums shows
    full = sparse_cube(4, A=15, E=4, C=1, per_app=4, abstain=0.0, lone=False)[:, :, 0] + 1 / 7
    x = {"strided": cube[:, :, 1], "C": np.ascontiguousarray(cube[:, :, 1]), "F": np.asfortranarray(cube[:, :, 1]),
         "total": np.einsum("aec,c->ae", cube, np.array([0.5, 0.3, 0.2])), "empty": cube[:0, :, 0],
         "one_column": cube[:, :1, 0], "complete": np.asfortranarray(full)}[layout]
    same_array(np.ascontiguousarray(_matrix(x)), np.ascontiguousarray(_matrix(pd.DataFrame(x))))
    assert _matrix(x) is not x
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", RuntimeWarning)
        for measure in [lambda r, f=f: icc(r, f) for f in ICC_FORMS] + [kendalls_w] + [
                lambda r, lv=lv: krippendorff_alpha(r, lv) for lv in ("interval", "ordinal")]:
            outcomes = []
            for ratings in (x, pd.DataFrame(x)):
                try:
                    outcomes.append(measure(ratings))
                except PanelError as exc:
                    outcomes.append(exc.problems[0].message)
            if isinstance(outcomes[0], pd.Series):
                pd.testing.assert_series_equal(outcomes[0], outcomes[1], check_exact=True)
            else:
                assert outcomes[0] == outcomes[1] or (outcomes[0] != outcomes[0] and outcomes[1] != outcomes[1])


def test_bootstrap_of_an_application_scored_by_many_experts_uses_the_products():
    """20 experts on one application: C(39, 20) possible resamples are never listed (the table is refused at once)."""
    x = sparse_cube(5, A=6, E=22, C=2, per_app=3, abstain=0.0)
    x[2, :20, :] = 3.0
    assert bootstrap_module._resample_table(np.nan_to_num(x[:, :20]), ~np.isnan(x[:, :20]), x[:, 0],
                                            (~np.isnan(x[:, :20, 0])).sum(axis=1)) is None
    same_array(bootstrap_cube(x, 5, np.random.default_rng(2)), ref_bootstrap_cube(x, 5, np.random.default_rng(2)))


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), per_app=st.integers(2, 5), abstain=st.sampled_from([0.0, 0.2]),
       step=st.sampled_from([0.5, 0.1]), layout=st.sampled_from(["C", "F"]))
def test_one_way_anova_is_the_plain_one(seed, per_app, abstain, step, layout):
    """Scores off the grid too (sums in a fixed order), either memory layout, rows without scores."""
    from selection.aggregate.agreement import _anova_one_way

    x = sparse_cube(seed, A=40, E=9, C=1, per_app=per_app, abstain=abstain, step=step)[:, :, 0]
    x = x + np.where(np.isnan(x), np.nan, 1 / 3) if step == 0.1 else x
    x = np.asfortranarray(x) if layout == "F" else np.ascontiguousarray(x)
    assert _anova_one_way(x) == ref_anova_one_way(x)


@settings(max_examples=30, deadline=None)
@given(seed=st.integers(0, 10_000), C=st.integers(1, 3), step=st.sampled_from([0.5, 0.1]),
       negative_zero=st.booleans())
def test_leniency_sums_on_and_off_the_grid_are_the_plain_ones(seed, C, step, negative_zero, tmp_path_factory):
    """Each application's score sums over its few experts (scores on a grid) or over the whole expert
    axis (off it; and with one criterion numpy sums that axis pairwise): the plain table either way."""
    x = sparse_cube(seed, A=30, E=40, C=C, per_app=3, abstain=0.1, step=step)
    if step == 0.1:
        x = x + np.where(np.isnan(x), np.nan, 1 / 3)
    if negative_zero:
        x[~np.isnan(x) & (x == 0.0)] = -0.0
    cube = labelled(x)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", CalibrationWarning)
        new, ref = calibrate_cube(cube, "additive"), ref_calibrate_cube(cube, "additive")
    same_frame(leniency_table(new), ref_leniency_table(ref), tmp_path_factory.mktemp("len"))


@pytest.mark.parametrize("shape", [(0, 3, 2), (4, 0, 2), (4, 3, 0), (1, 1, 1)])
def test_bootstrap_of_empty_axes_is_the_plain_one(shape):
    x = np.full(shape, np.nan)
    x[...] = 2.0 if x.size else np.nan
    same_array(bootstrap_cube(x, 5, np.random.default_rng(1)), ref_bootstrap_cube(x, 5, np.random.default_rng(1)))


def test_rank_intervals_of_no_application_are_the_plain_ones(h, tmp_path):
    cat = h.make_catalogue(["c0", "c1"])
    e = h.long_table(sparse_cube(1, A=4, E=3, C=2)).iloc[:0]
    outcomes = []
    for fn in (rank_intervals, ref_rank_intervals):
        try:
            outcomes.append(fn(e, cat, 5, np.random.default_rng(0), top_k=2))
        except Exception as exc:  # noqa: BLE001 - the same failure either way
            outcomes.append((type(exc), str(exc)))
    if isinstance(outcomes[0], pd.DataFrame):
        same_frame(outcomes[0], outcomes[1], tmp_path)
    else:
        assert outcomes[0] == outcomes[1]
