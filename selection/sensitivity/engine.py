"""Re-running the full two-stage selection for many weight or score samples, fast and exactly.

:class:`Context` holds what does not change between samples: each stage's panel scores for every
application with scores in that stage, its catalogue, rules and ranking method. :func:`select_samples`
re-runs the whole sequential selection (stage 1, then stage 2 among the stage-1 selection) for
each sample through :class:`selection.select.fast.FastStage` (one HiGHS model per stage and set of
candidates; only the objective and bounds change, certificate cones skip most solves), and :func:`select_samples_naive` does the
same the slow, obvious way — rank with pandas, rebuild the pulp model, call CBC — as the baseline
the fast path must match selection for selection.

A sample is a weight vector per stage (rows summing to 1) and, optionally, a panel-score
replicate per stage (expert bootstrap). Work can be spread over processes; every sample's
result is exact, so it does not depend on the number of workers.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from selection.errors import InfeasibleError, Problem, SelectionError
from selection.model import Application, CriteriaCatalogue, Stage
from selection.rank import rank_applications, reflect_costs
from selection.rank.ranking import overall_basis, threshold_failed
from selection.rank.ties import attribute_key, canonical_step, check_chain
from selection.select.fast import FastStage, FastStats
from selection.select.funding import funding_line
from selection.select.program import StageInput, build_rules, precheck, solve_stage
from selection.select.stage import sample_free_exclusion, stage_input

__all__ = ["StageContext", "Context", "SampleResult", "build_context", "select_samples",
           "select_samples_naive", "SensitivityError"]

#: Weighted totals this close to an overall threshold are computed again sample by sample with the
#: ranking's own arithmetic (:func:`ranking_total`) before the threshold is applied.
_THRESHOLD_GUARD = 1e-7


class SensitivityError(SelectionError):
    """A sensitivity analysis cannot be run as asked."""


@dataclass(frozen=True)
class StageContext:
    stage: Stage
    catalogue: CriteriaCatalogue
    ids: tuple[str, ...]  #: applications with complete panel scores in this stage, sorted
    scores: np.ndarray  #: raw panel scores (len(ids), n_criteria), catalogue criterion order
    weights: np.ndarray  #: the catalogue's normalised weights
    seed: int  #: the stage's lottery seed, as the pipeline uses it

    @property
    def criteria(self) -> list[str]:
        return self.catalogue.criterion_ids


@dataclass(frozen=True)
class Context:
    applications: Mapping[str, Application]
    stages: tuple[StageContext, ...]
    solver: str = "highs"


@dataclass
class SampleResult:
    """Per sample and stage the selection (``None``: infeasible or not assessable)."""

    selections: list[list[tuple[str, ...] | None]]  # [stage][sample]
    stats: list[FastStats]


def build_context(folder, result) -> Context:
    """The fixed part of a sensitivity run, from a call folder and its baseline run."""
    from selection.aggregate import panel_scores

    if folder.call.selection_mode != "sequential":
        raise SensitivityError(Problem(
            f"sensitivity analysis supports the sequential selection mode, not {folder.call.selection_mode!r}",
            hint="set selection_mode = \"sequential\" in the call file (or a scenario) for this analysis"))
    stages = []
    for st in folder.call.stages:
        cat = folder.catalogues[st.number]
        panel = panel_scores(folder.evaluations[st.number], cat.criterion_ids, method=st.aggregation, trim=st.trim)
        baseline_panel = result.stages[st.number].panel
        if st.calibration != "none":  # calibrated panels come from the pipeline, for the baseline's set
            panel = baseline_panel
        panel = panel[cat.criterion_ids].dropna()
        w = cat.weights()
        stages.append(StageContext(st, cat, tuple(str(a) for a in panel.index),
                                   panel.to_numpy(dtype=np.float64), np.array([w[c] for c in cat.criterion_ids]),
                                   folder.call.seed + st.number))
    return Context(folder.applications, tuple(stages))


# -- one stage, one sample -------------------------------------------------------------------------

def _ranking(sc: StageContext, applications, rows: Sequence[int], w: np.ndarray, scores: np.ndarray) -> pd.DataFrame:
    """The pipeline's ranking of the applications ``rows`` at weights ``w`` (the reference)."""
    ids = [sc.ids[i] for i in rows]
    panel = pd.DataFrame(scores[list(rows)], index=pd.Index(ids, name="application_id"), columns=sc.criteria)
    return rank_applications(panel, sc.catalogue, weights=dict(zip(sc.criteria, w.tolist(), strict=True)),
                             applications=applications, seed=sc.seed, method=sc.stage.ranking_method,
                             method_params=sc.stage.ranking_params)


def _reference_input(sc: StageContext, applications, rows, w, scores, candidates):
    ranking = _ranking(sc, applications, rows, w, scores)
    return stage_input(sc.stage, ranking, applications, candidates=candidates)


def solve_reference(inp: StageInput, solver: str = "highs") -> tuple[str, ...] | None:
    """The stage's selection as the pipeline makes it, under the stage's own objective: the
    funding line (best-ranked first within every rule, :func:`~selection.select.funding.funding_line`)
    or the value sum with the tie rule (:func:`~selection.select.program.solve_stage`); ``None``
    when no selection keeps every rule. Ids in rank order."""
    if inp.stage.objective == "funding_line":
        rules = build_rules(inp)
        if precheck(inp, rules):
            return None
        chosen = funding_line(inp, rules, solver)
        return None if chosen is None else tuple(sorted(chosen, key=lambda a: inp.ranks[a]))
    try:
        return solve_stage(inp, solver).selected
    except InfeasibleError:
        return None


def _static_chain(sc: StageContext) -> list[str] | None:
    """The ranking's tie-break chain when every step is a fixed key per application (criterion,
    attribute, lottery), else ``None`` (a coverage step depends on the order built so far)."""
    chain = check_chain(list(sc.catalogue.tie_breaks), sc.criteria, have_applications=True)
    norm = [canonical_step(s) for s in chain]
    return None if any(s.startswith("coverage:") for s in norm) else norm


def ranking_total(sc: StageContext, x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """The weighted totals of the rows ``x`` at weights ``w`` computed as the pipeline's ranking
    computes its ``score`` (weights divided by their exact sum, :func:`math.fsum`; cost criteria
    reflected over these rows; one vector-matrix product; rounded to 12 decimals), so that ties and
    thresholds are decided on the same numbers."""
    w = np.asarray(w, dtype=np.float64)
    wn = w / math.fsum(w.tolist())
    return np.round(wn @ _adjusted(sc, x).T, 12)


def rank_priority(sc: StageContext, applications, rows: Sequence[int], scores: np.ndarray,
                  w: np.ndarray) -> np.ndarray:
    """The tie rule's priority ``n + 1 - rank`` of each of the applications ``rows`` (raw panel
    scores ``scores``, every row of the stage) in the ranking the pipeline would make at weights
    ``w`` (:func:`~selection.rank.rank_applications`): by total (:func:`ranking_total`), exact ties
    by the catalogue's chain and its seeded lottery (``numpy.random.default_rng(seed).permutation(n)``
    in table order, higher draw first). Static chains are computed in numpy; a chain with a
    coverage step through the pandas ranking itself."""
    n = len(rows)
    chain = _static_chain(sc)
    ids = [sc.ids[i] for i in rows]
    if chain is None or sc.stage.ranking_method != "weighted_sum":
        rank = _ranking(sc, applications, rows, w, scores)["rank"].astype(int).to_dict()
        return np.array([float(n + 1 - rank[a]) for a in ids])
    x = scores[list(rows)]
    total = ranking_total(sc, x, w)
    draws = np.random.default_rng(sc.seed).permutation(n).astype(np.int64)
    keys: list[np.ndarray] = [-draws.astype(float)]  # np.lexsort: the last key is the primary one
    crit = {c: j for j, c in enumerate(sc.criteria)}
    for step in reversed([s for s in chain if s != "lottery"]):
        if step.startswith("criterion:"):
            keys.append(-np.asarray(x[:, crit[step.split(":", 1)[1]]], dtype=float))
        else:  # attribute:<id>
            name = step.split(":", 1)[1]
            keys.append(-np.array([attribute_key(applications[a].attributes.get(name)) for a in ids]))
    keys.append(-np.asarray(total, dtype=float))
    order = np.lexsort(keys)
    prio = np.empty(n)
    prio[order] = n - np.arange(n, dtype=float)
    return prio


def _adjusted(sc: StageContext, x: np.ndarray) -> np.ndarray:
    """Scores with cost criteria turned around over the rows given (as the weighted sum does)."""
    return reflect_costs(x, [c.direction for c in sc.catalogue.criteria])


def _fast_values(sc: StageContext, x: np.ndarray, w: np.ndarray):
    """Values, weighted totals and exclusions for the rows of ``x`` — or ``None`` when only the
    reference can decide them exactly (other objectives or methods, a total on a threshold)."""
    st, cat = sc.stage, sc.catalogue
    if st.ranking_method != "weighted_sum" or st.objective not in ("score", "funding_line"):
        return None
    total = ranking_total(sc, x, w)  # the ranking's own numbers, so a total on a threshold is decided alike
    return total, threshold_failed(x, total, cat)  # the ranking's own threshold rule


class _StageRunner:
    def __init__(self, ctx: Context, k: int, fixed_scores: bool):
        self.ctx, self.sc = ctx, ctx.stages[k]
        sc = self.sc
        linear = fixed_scores and not any(c.direction == "cost" for c in sc.catalogue.criteria)
        self.fast = FastStage(sc.stage, ctx.applications, sc.ids, scores=sc.scores if linear else None)
        self.pos = {a: i for i, a in enumerate(sc.ids)}
        #: exclusions that do not depend on the sample: regional share above the cap, forced out
        self.static_out = np.array([sample_free_exclusion(sc.stage, a, ctx.applications[a]) is not None
                                    for a in sc.ids], dtype=bool)

    def run(self, w: np.ndarray, scores: np.ndarray | None, candidates: Sequence[str] | None):
        sc, apps = self.sc, self.ctx.applications
        x_all = sc.scores if scores is None else scores
        if candidates is None:
            rows = list(range(len(sc.ids)))
        else:
            if any(a not in self.pos for a in candidates):
                return None  # an application has no panel score in this stage: not assessable
            rows = sorted(self.pos[a] for a in candidates)
        x = x_all[rows]
        if not np.isfinite(x).all():
            return None
        cand_ids = [sc.ids[i] for i in rows]
        fv = _fast_values(sc, x, w)

        def reference():
            return _reference_input(sc, apps, rows, w, x_all, cand_ids if candidates is not None else None)

        if fv is None:
            self.fast.stats.reference += 1
            sel = solve_reference(reference(), "highs")
            return None if sel is None else tuple(a for a in cand_ids if a in set(sel))
        total, failed = fv
        blocked = failed | self.static_out[rows]

        def priority():
            return rank_priority(sc, apps, rows, x_all, w)

        if sc.stage.objective == "funding_line":
            return self.funding_line(rows, total, blocked, priority())
        values = np.zeros(len(sc.ids))
        values[rows] = total
        linear = scores is None and self.fast.scores is not None
        return self.fast.solve(values, blocked, candidates=rows,
                               weights=w if linear else None, reference=reference, priority=priority)

    def funding_line(self, rows: Sequence[int], total: np.ndarray, blocked: np.ndarray,
                     priority: np.ndarray) -> tuple[str, ...] | None:
        """A funding-line stage for one sample: the rank order from the totals and the tie-break
        chain (:func:`rank_priority`), the exclusions as computed, then the pipeline's own
        :func:`~selection.select.funding.funding_line` (no pandas ranking)."""
        sc = self.sc
        ids = [sc.ids[i] for i in rows]
        n = len(ids)
        inp = StageInput(sc.stage, self.ctx.applications, dict(zip(ids, total.tolist(), strict=True)),
                         {a: int(n + 1 - p) for a, p in zip(ids, priority.tolist(), strict=True)},
                         {a: "excluded" for a, b in zip(ids, blocked.tolist(), strict=True) if b})
        self.fast.stats.funding_line += 1
        sel = solve_reference(inp, "highs")
        return None if sel is None else tuple(a for a in ids if a in set(sel))


def _batch_values(sc: StageContext, x: np.ndarray, W: np.ndarray):
    """:func:`_fast_values` for many weight vectors at once: totals and exclusions (S, rows), and
    which samples only the reference can decide (a total on a threshold) — or ``None`` when the
    stage's method or objective needs the reference for every sample."""
    st, cat = sc.stage, sc.catalogue
    if st.ranking_method != "weighted_sum" or st.objective not in ("score", "funding_line"):
        return None
    total = np.round(W @ _adjusted(sc, x).T, 12)
    guard = np.zeros(len(W), dtype=bool)
    t = cat.overall_threshold
    if t is not None:
        guard = np.any(np.abs(overall_basis(x, total, cat) - t) < _THRESHOLD_GUARD, axis=1)
    return total, threshold_failed(x, total, cat), guard  # the ranking's own threshold rule


def _run_batch(ctx: Context, weights: Sequence[np.ndarray], idx: Sequence[int],
               progress: Callable[[int], None] | None = None, *, step: int = 4096) -> SampleResult:
    """Fixed panel scores: each stage for all samples at once, grouped by candidate set
    (:meth:`FastStage.solve_many`), in parts of ``step`` samples (for progress; the models and
    their certificates carry over); the same selections as :func:`_run_chunk` sample by sample."""
    idx = list(idx)
    if len(idx) > 1:  # equal samples (one criterion, repeated sweep points) are decided once
        joint = np.hstack([np.asarray(w)[idx] for w in weights])
        uniq, first, back = np.unique(joint, axis=0, return_index=True, return_inverse=True)
        if len(uniq) < len(idx):
            keep = np.sort(first)
            res = _run_batch(ctx, weights, [idx[i] for i in keep], None)
            where = {int(i): j for j, i in enumerate(keep)}
            pick = [where[int(first[b])] for b in np.ravel(back)]
            if progress is not None:
                progress(len(idx))
            return SampleResult([[sel[j] for j in pick] for sel in res.selections], res.stats)
    runners = [_StageRunner(ctx, k, True) for k in range(len(ctx.stages))]
    out: list[list] = [[] for _ in ctx.stages]
    for a in range(0, len(idx), step):
        part = _batch_part(ctx, weights, idx[a:a + step], runners)
        for k in range(len(ctx.stages)):
            out[k].extend(part[k])
        if progress is not None:
            progress(len(idx[a:a + step]))
    return SampleResult(out, [r.fast.stats for r in runners])


def _batch_part(ctx: Context, weights: Sequence[np.ndarray], idx: list[int], runners: list[_StageRunner]) -> list[list]:
    S = len(idx)
    out: list[list] = [[None] * S for _ in ctx.stages]
    by_number: dict[int, list] = {}
    for k, (r, sc) in enumerate(zip(runners, ctx.stages, strict=True)):
        W = np.asarray(weights[k])[idx]
        fs = sc.stage.from_stage
        if fs is None:
            groups = {None: list(range(S))}
        else:
            groups = {}
            for i, prev in enumerate(by_number.get(fs, [None] * S)):
                if prev is not None:
                    groups.setdefault(prev, []).append(i)
        for cand, members in groups.items():
            mem = np.array(members, dtype=np.int64)
            if cand is None:
                rows = list(range(len(sc.ids)))
            elif any(a not in r.pos for a in cand):
                continue  # an application has no panel score in this stage: not assessable
            else:
                rows = sorted(r.pos[a] for a in cand)
            x = sc.scores[rows]
            if not np.isfinite(x).all():
                continue
            bv = _batch_values(sc, x, W[mem])
            if bv is None:
                for i in members:
                    out[k][i] = r.run(W[i], None, cand)
                continue
            total, failed, guard = bv
            for g in np.nonzero(guard)[0]:  # a total on a threshold: the ranking's own numbers decide
                out[k][members[g]] = r.run(W[members[g]], None, cand)
            keep = np.nonzero(~guard)[0]
            if not len(keep):
                continue
            blocked = failed[keep] | r.static_out[rows][None, :]
            if sc.stage.objective == "funding_line":
                for j, q in enumerate(keep.tolist()):
                    out[k][members[q]] = r.funding_line(
                        rows, total[q], blocked[j], rank_priority(sc, ctx.applications, rows, sc.scores, W[mem[q]]))
                continue
            cand_ids = [sc.ids[i] for i in rows]

            def reference(j, keep=keep, mem=mem, rows=rows, cand=cand, cand_ids=cand_ids, sc=sc, W=W):
                return _reference_input(sc, ctx.applications, rows, W[mem[keep[j]]], sc.scores,
                                        cand_ids if cand is not None else None)

            def priority(j, keep=keep, mem=mem, rows=rows, sc=sc, W=W):
                return rank_priority(sc, ctx.applications, rows, sc.scores, W[mem[keep[j]]])

            linear = r.fast.scores is not None
            sels = r.fast.solve_many(rows, total[keep], blocked, W[mem[keep]] if linear else None, reference,
                                     priority)
            for q, sel in zip(keep.tolist(), sels, strict=True):
                out[k][members[q]] = sel
        by_number[sc.stage.number] = out[k]
    return out


def _run_chunk(ctx: Context, weights: Sequence[np.ndarray], scores: Sequence[np.ndarray | None] | None,
               idx: Sequence[int], progress: Callable[[int], None] | None = None) -> SampleResult:
    fixed = scores is None or all(s is None for s in scores)
    if fixed:
        return _run_batch(ctx, weights, idx, progress)
    runners = [_StageRunner(ctx, k, fixed) for k in range(len(ctx.stages))]
    out: list[list] = [[] for _ in ctx.stages]
    for done, i in enumerate(idx, 1):
        chosen: dict[int, tuple[str, ...] | None] = {}
        for k, (r, sc) in enumerate(zip(runners, ctx.stages, strict=True)):
            fs = sc.stage.from_stage
            cand = None
            if fs is not None:
                prev = chosen.get(fs)
                if prev is None:
                    out[k].append(None)
                    chosen[sc.stage.number] = None
                    continue
                cand = prev
            sel = r.run(weights[k][i], None if scores is None or (sk := scores[k]) is None else sk[i], cand)
            chosen[sc.stage.number] = sel
            out[k].append(sel)
        if progress is not None and (done % 64 == 0 or done == len(idx)):
            progress(64 if done % 64 == 0 else done % 64)
    return SampleResult(out, [r.fast.stats for r in runners])


def _worker(args):
    ctx, weights, scores, idx = args
    return _run_chunk(ctx, weights, scores, idx)


def select_samples(ctx: Context, weights: Sequence[np.ndarray], scores: Sequence[np.ndarray] | None = None, *,
                   workers: int = 1, progress: Callable[[int], None] | None = None) -> SampleResult:
    """Re-run the sequential selection for every sample.

    Parameters
    ----------
    ctx
        From :func:`build_context`.
    weights
        Per stage an array (n_samples, n_criteria) of normalised weights.
    scores
        Optional per stage an array (n_samples, n_apps, n_criteria) of panel-score replicates
        (rows in ``ctx.stages[k].ids`` order); default the observed panel scores.
    workers
        Processes to use; the result is the same for any number.
    progress
        Called with the number of samples just finished (for a progress bar).

    Returns
    -------
    SampleResult
        Per stage and sample the selected ids (in the stage's id order), ``None`` when no
        selection satisfies the rules (or a candidate has no panel score in that stage).
    """
    n = len(weights[0])
    if any(len(w) != n for w in weights) or len(weights) != len(ctx.stages):
        raise SensitivityError(Problem("one weight array per stage, each with the same number of samples, is needed"))
    workers = max(1, min(int(workers), os.cpu_count() or 1, max(1, n // 256)))
    if workers == 1:
        return _run_chunk(ctx, weights, scores, range(n), progress)
    import multiprocessing as mp
    from concurrent.futures import ProcessPoolExecutor

    bounds = np.linspace(0, n, 4 * workers + 1).astype(int)
    chunks = [range(bounds[j], bounds[j + 1]) for j in range(len(bounds) - 1) if bounds[j + 1] > bounds[j]]
    results = []
    with ProcessPoolExecutor(max_workers=workers, mp_context=mp.get_context("fork")) as pool:
        jobs = [(ctx, [w[c.start:c.stop] for w in weights],
                 None if scores is None else [s[c.start:c.stop] for s in scores],
                 range(len(c))) for c in chunks]
        for res in pool.map(_worker, jobs):
            results.append(res)
            if progress is not None:
                progress(len(res.selections[0]))
    merged = SampleResult([[] for _ in ctx.stages], [FastStats() for _ in ctx.stages])
    for res in results:
        for k in range(len(ctx.stages)):
            merged.selections[k].extend(res.selections[k])
            merged.stats[k].add(res.stats[k])
    return merged


def select_samples_naive(ctx: Context, weights: Sequence[np.ndarray], scores: Sequence[np.ndarray] | None = None,
                         *, solver: str = "cbc") -> list[list[tuple[str, ...] | None]]:
    """The naive loop: per sample and stage, rank with pandas, build the stage's input and solve it
    under the stage's objective with ``solver`` (:func:`solve_reference`)."""
    n = len(weights[0])
    out: list[list] = [[] for _ in ctx.stages]
    for i in range(n):
        chosen: dict[int, tuple[str, ...] | None] = {}
        for k, sc in enumerate(ctx.stages):
            x_all = sc.scores if scores is None else scores[k][i]
            pos = {a: j for j, a in enumerate(sc.ids)}
            cand = None
            if sc.stage.from_stage is not None:
                cand = chosen.get(sc.stage.from_stage)
                if cand is None or any(a not in pos for a in cand):
                    chosen[sc.stage.number] = None
                    out[k].append(None)
                    continue
            rows = sorted(pos[a] for a in cand) if cand is not None else list(range(len(sc.ids)))
            if not np.isfinite(x_all[rows]).all():
                chosen[sc.stage.number] = None
                out[k].append(None)
                continue
            inp = _reference_input(sc, ctx.applications, rows, weights[k][i], x_all,
                                   list(cand) if cand is not None else None)
            sel = solve_reference(inp, solver)
            sel = None if sel is None else tuple(a for a in (sc.ids[j] for j in rows) if a in set(sel))
            chosen[sc.stage.number] = sel
            out[k].append(sel)
    return out
