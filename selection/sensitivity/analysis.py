"""The ``sensitivity`` run: SMAA, selection probabilities, expert bootstrap, weight sweeps and RPM.

:func:`run_sensitivity` computes every table of a sensitivity run folder (names and columns in
``docs/architecture.md``) from a call folder and its baseline run. Randomness comes from one seed,
split into independent streams (:class:`numpy.random.SeedSequence`) for the weight samples, the
bootstrap and the bootstrap's weight samples, so each part is reproducible on its own.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from selection.rank import competition_ranks, reflect_costs
from selection.sensitivity.engine import Context, SampleResult, build_context, select_samples
from selection.sensitivity.rpm import core_index
from selection.sensitivity.sampling import sample_weights
from selection.sensitivity.smaa import rank_acceptability, selection_probability
from selection.sensitivity.sweep import stability_interval, swept_weights

__all__ = ["SensitivityOptions", "run_sensitivity", "SENSITIVITY_FILES"]

SENSITIVITY_FILES = ("rank-acceptability.csv", "central-weights.csv", "selection-probability.csv",
                     "score-uncertainty.csv", "weight-stability.csv", "weight-sweep.csv", "core-index.csv")


@dataclass(frozen=True)
class SensitivityOptions:
    samples: int = 2000  #: weight samples (SMAA and selection probabilities)
    seed: int | None = None  #: None: the call's seed (as ``selection sensitivity`` uses it)
    weights: str = "simplex"  #: simplex | interval | ordinal
    spread: float = 0.2  #: for ``interval``: ±20 %
    bootstrap: int = 500  #: expert-bootstrap replicates (0: skip)
    sweep_steps: int = 21  #: grid points per criterion (0: skip)
    rpm: bool = True
    rpm_weights: str = "interval"
    rpm_max: int = 2000
    workers: int = 1  #: worker processes (the results do not depend on it)
    #: Dask scheduler address (``tcp://host:8786``) or ``"local"`` for the sample shards
    #: (:mod:`selection.sensitivity.distributed`); with it ``workers`` is the local cluster's worker
    #: processes, or how many workers a remote scheduler must have. The results do not depend on it.
    scheduler: str | None = None


@dataclass
class SensitivityResult:
    tables: dict[str, pd.DataFrame]
    stats: dict[str, dict] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)


def _reported_ranks(n: int, max_selected: int) -> int:
    """How many rank acceptabilities ``rank-acceptability.csv`` keeps: every rank up to 100
    applications, beyond that the first ``max(100, 2 x max_selected)`` (memory then grows with
    applications x ranks kept, not with the square of the applications).

    >>> _reported_ranks(40, 8), _reported_ranks(20_000, 500)
    (40, 1000)
    """
    return n if n <= 100 else min(n, max(100, 2 * max_selected))


def _join(sel) -> str:
    return " ".join(sel) if sel is not None else "(none)"


def run_sensitivity(folder, result, options: SensitivityOptions,
                    progress: Callable[[str, int, int], None] | None = None, *,
                    client: Any = None) -> SensitivityResult:
    """Every sensitivity table for a call folder and its baseline :class:`~selection.pipeline.RunResult`.

    ``progress(part, done, total)`` is called as work finishes (``total`` ``None`` when unknown in
    advance); :class:`~selection.sensitivity.progress.ProgressBars` draws it with tqdm (the CLI
    uses it; in Jupyter pass ``progress=ProgressBars()``).

    The sample shards (SMAA re-selection, both bootstraps) run on Dask when ``client`` (a
    ``dask.distributed.Client``) is given or ``options.scheduler`` names a scheduler
    (:mod:`selection.sensitivity.distributed`); the tables are byte-identical either way.
    """
    if client is None and options.scheduler is None:
        return _run_sensitivity(folder, result, options, progress, None)
    from selection.sensitivity.distributed import DaskShards, connect

    if client is not None or options.scheduler is None:
        return _run_sensitivity(folder, result, options, progress, DaskShards(client))
    with connect(options.scheduler, options.workers) as shards:
        return _run_sensitivity(folder, result, options, progress, shards)


def _samples(ctx: Context, W, reps, options: SensitivityOptions, progress, shards) -> SampleResult:
    """The shard seam: re-select every sample in this process (``workers`` processes) or on Dask."""
    if shards is not None:
        return shards.select_samples(ctx, W, reps, progress=progress)
    return select_samples(ctx, W, reps, workers=options.workers, progress=progress)


def _run_sensitivity(folder, result, options: SensitivityOptions, progress, shards) -> SensitivityResult:
    ctx = build_context(folder, result)
    ss = np.random.SeedSequence(folder.call.seed if options.seed is None else options.seed)
    rng_w, rng_b, rng_bw = (np.random.default_rng(s) for s in ss.spawn(3))
    apps = folder.applications
    out = SensitivityResult({})
    baseline = {sc.stage.number: tuple(sorted(result.stages[sc.stage.number].outcome.selected)) for sc in ctx.stages}

    def bar(part: str, total: int):
        state = {"done": 0}
        if progress is not None:  # the phase starts now (its bar's elapsed time and ETA count from here)
            progress(part, 0, total)

        def step(k: int) -> None:
            state["done"] += k
            if progress is not None:
                progress(part, state["done"], total)
        return step

    # (1) SMAA: weights per stage, ranking acceptability, re-selection of both stages.
    W = [sample_weights(options.samples, sc.weights, rng_w, mode=options.weights, spread=options.spread)
         for sc in ctx.stages]
    acc_rows, central_rows = [], []
    acc_step = bar("rank acceptability", len(ctx.stages))
    for k, sc in enumerate(ctx.stages):
        ranking = result.stages[sc.stage.number].ranking
        ranked = [a for a in ranking.index if a in set(sc.ids)]
        rows = [sc.ids.index(a) for a in ranked]
        x = reflect_costs(sc.scores[rows], [c.direction for c in sc.catalogue.criteria])
        kernel, params = None, dict(sc.stage.ranking_params)
        if sc.stage.ranking_method != "weighted_sum":
            from selection.ranking_methods import kernel_call

            kernel, params = kernel_call(sc.stage.ranking_method, params, sc.catalogue.criterion_ids)
        n = len(ranked)
        keep = _reported_ranks(n, sc.stage.max_selected)
        acc = rank_acceptability(x, W[k], kernel=kernel, ranks=keep, **params)  # rows in baseline-rank order
        frame = pd.DataFrame({"stage": sc.stage.number, "application_id": ranked,
                              "baseline_rank": np.arange(1, n + 1), "expected_rank": acc.expected_rank,
                              "probability_top_k": acc.top_k(min(sc.stage.max_selected, keep)),
                              "top_k": sc.stage.max_selected})
        frame = pd.concat([frame, pd.DataFrame(acc.acceptability, columns=[f"rank_acceptability_{r + 1}"
                                                                           for r in range(keep)])], axis=1)
        if keep < n:
            out.notes.append(f"stage {sc.stage.number}: rank acceptabilities kept for ranks 1-{keep} of {n} "
                             "(expected ranks use every rank)")
        acc_rows.append(frame)
        for i, a in enumerate(ranked):
            for j, c in enumerate(sc.criteria):
                central_rows.append((sc.stage.number, a, acc.first[i], c, sc.weights[j], acc.central_weights[i, j]))
        acc_step(1)
    out.tables["rank-acceptability.csv"] = pd.concat(acc_rows, ignore_index=True)
    out.tables["central-weights.csv"] = pd.DataFrame(central_rows, columns=[
        "stage", "application_id", "acceptability_first", "criterion", "given_weight", "central_weight"])

    res = _samples(ctx, W, None, options, bar("weights", options.samples), shards)
    out.stats["weights"] = {str(sc.stage.number): s.as_dict() for sc, s in zip(ctx.stages, res.stats, strict=True)}
    ids = sorted(apps)
    prob = [pd.DataFrame({  # long: a row per stage and application (schema version 2)
        "stage": sc.stage.number, "application_id": ids, "title": [apps[a].title for a in ids],
        "selected_baseline": [a in baseline[sc.stage.number] for a in ids],
        "probability_selected": selection_probability(res.selections[k], ids),
        "infeasible_share": sum(s is None for s in res.selections[k]) / max(options.samples, 1)})
        for k, sc in enumerate(ctx.stages)]
    out.tables["selection-probability.csv"] = pd.concat(prob, ignore_index=True)

    # (2) Score uncertainty: expert bootstrap, with the given weights and with sampled weights.
    out.tables["score-uncertainty.csv"] = _bootstrap(folder, ctx, options, rng_b, rng_bw, bar, out, shards)

    # (3) One-at-a-time weight sweeps.
    sweep, stab = _sweeps(ctx, options, baseline, bar, out)
    out.tables["weight-sweep.csv"] = sweep
    out.tables["weight-stability.csv"] = stab

    # (4) Robust portfolio modelling of the first stage.
    out.tables["core-index.csv"] = _rpm(ctx, result, options, out, progress)
    return out


def _bootstrap(folder, ctx: Context, options, rng_b, rng_bw, bar, out, shards=None) -> pd.DataFrame:
    cols = ["stage", "application_id", "source", "expected_rank", "rank_q05", "rank_q25", "rank_q50", "rank_q75",
            "rank_q95", "probability_top_k", "probability_selected"]
    if options.bootstrap <= 0:
        return pd.DataFrame(columns=cols)
    from selection.aggregate import bootstrap_panels

    B = options.bootstrap
    reps = []
    for sc in ctx.stages:
        st = sc.stage
        if st.calibration != "none":
            out.notes.append(f"stage {st.number}: the bootstrap resamples uncalibrated expert scores")
        apps_b, cube = bootstrap_panels(folder.evaluations[st.number], sc.criteria, B, rng_b,
                                        method=st.aggregation, trim=st.trim)
        pos = {a: i for i, a in enumerate(apps_b)}
        reps.append(cube[:, [pos[a] for a in sc.ids], :])
    fixed = [np.repeat(sc.weights[None, :], B, axis=0) for sc in ctx.stages]
    sampled = [sample_weights(B, sc.weights, rng_bw, mode=options.weights, spread=options.spread) for sc in ctx.stages]
    rows = []
    for source, W in (("experts", fixed), ("experts+weights", sampled)):
        res = _samples(ctx, W, reps, options, bar(f"bootstrap ({source})", B), shards)
        out.stats[f"bootstrap {source}"] = {str(sc.stage.number): s.as_dict() for sc, s in zip(ctx.stages, res.stats, strict=True)}
        probs = {sc.stage.number: selection_probability(res.selections[k], ctx.stages[0].ids)
                 for k, sc in enumerate(ctx.stages)}
        for k, sc in enumerate(ctx.stages):
            x = reflect_costs(reps[k], [c.direction for c in sc.catalogue.criteria])
            totals = np.einsum("bac,bc->ba", x, W[k])
            ranks = competition_ranks(totals)
            q = np.quantile(ranks, [0.05, 0.25, 0.5, 0.75, 0.95], axis=0, method="inverted_cdf")
            for i, a in enumerate(sc.ids):  # the probability of being selected in the row's stage
                p = probs[sc.stage.number][ctx.stages[0].ids.index(a)] if a in ctx.stages[0].ids else np.nan
                rows.append((sc.stage.number, a, source, ranks[:, i].mean(), *[int(v) for v in q[:, i]],
                             float((ranks[:, i] <= sc.stage.max_selected).mean()), p))
    return pd.DataFrame(rows, columns=cols)


def _sweeps(ctx: Context, options, baseline, bar, out):
    sweep_cols = ["stage", "criterion", "weight", "baseline_weight", "selection_stage", "selected", "same_as_baseline"]
    stab_cols = ["stage", "criterion", "baseline_weight", "stable_from", "stable_to"]
    if options.sweep_steps <= 1:
        return pd.DataFrame(columns=sweep_cols), pd.DataFrame(columns=stab_cols)
    grid = np.linspace(0.0, 1.0, options.sweep_steps)
    for sc in ctx.stages:
        if len(sc.criteria) < 2:
            out.notes.append(f"stage {sc.stage.number}: one criterion ({sc.criteria[0] if sc.criteria else '-'}), "
                             "so there is no weight to sweep; weight sweep skipped")
    total = sum(len(sc.criteria) for sc in ctx.stages if len(sc.criteria) > 1) * len(grid)
    step = bar("weight sweeps", total)
    base = tuple(baseline[sc.stage.number] for sc in ctx.stages)
    sweep_rows, stab_rows = [], []
    for k, sc in enumerate(ctx.stages):
        if len(sc.criteria) < 2:
            continue
        for j, c in enumerate(sc.criteria):
            def sels(ts: np.ndarray, k=k, j=j):
                W = [np.repeat(s.weights[None, :], len(ts), axis=0) for s in ctx.stages]
                W[k] = swept_weights(ctx.stages[k].weights, j, ts)
                r = select_samples(ctx, W)
                return [tuple(r.selections[m][i] for m in range(len(ctx.stages))) for i in range(len(ts))]

            along = sels(grid)
            step(len(grid))
            same = np.array([s == base for s in along])
            w0j = float(sc.weights[j])
            def unchanged(t: float, sels: Callable[[np.ndarray], list] = sels) -> bool:
                return sels(np.array([t]))[0] == base

            lo, hi = stability_interval(unchanged, w0j, grid, same)
            stab_rows.append((sc.stage.number, c, w0j, lo, hi))
            for t, s in zip(grid, along, strict=True):  # a row per selection stage (long, schema version 2)
                for m, other in enumerate(ctx.stages):
                    sweep_rows.append((sc.stage.number, c, float(t), w0j, other.stage.number, _join(s[m]),
                                       s[m] == base[m]))
    return pd.DataFrame(sweep_rows, columns=sweep_cols), pd.DataFrame(stab_rows, columns=stab_cols)


def _rpm(ctx: Context, result, options, out, progress=None) -> pd.DataFrame:
    cols = ["stage", "application_id", "core_index", "core_label", "n_nondominated", "weight_information"]
    if not options.rpm:
        return pd.DataFrame(columns=cols)
    from selection.select.stage import exclusions

    sc = ctx.stages[0]
    st = sc.stage
    if len(sc.ids) > 80:
        out.notes.append(f"RPM skipped: {len(sc.ids)} applications (meant for up to about 60)")
        return pd.DataFrame(columns=cols)
    ranking = result.stages[st.number].ranking
    excluded = exclusions(st, ranking, ctx.applications, None)
    x = reflect_costs(sc.scores, [c.direction for c in sc.catalogue.criteria])
    found = (None if progress is None else
             lambda k: progress("robust portfolios (found)", k, None))
    r = core_index(st, ctx.applications, sc.ids, excluded, x, sc.weights, mode=options.rpm_weights,
                   spread=options.spread, max_count=options.rpm_max, progress=found)
    if progress is not None:
        progress("robust portfolios (found)", len(r.selections), len(r.selections))
    if r.truncated:
        out.notes.append(f"RPM stopped after {options.rpm_max} non-dominated selections: core indices are partial")
    out.stats["rpm"] = {"nondominated": len(r.selections), "truncated": r.truncated}
    t = r.table
    t.insert(0, "stage", st.number)
    t["weight_information"] = options.rpm_weights if options.rpm_weights != "interval" else f"interval ±{options.spread:.0%}"
    return t
