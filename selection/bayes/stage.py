"""One stage with the Bayesian panel model: fit, summarise, decide (with the lottery if enabled),
and the run-folder tables and manifest record of every such stage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

import pandas as pd

from selection.bayes.gibbs import Posterior, SamplerSettings, fit, panel_data
from selection.bayes.lottery import LotteryDraw, draw_lottery, lottery_facts, lottery_table
from selection.bayes.summary import (
    EXPERT_POSTERIOR_COLUMNS,
    POSTERIOR_COLUMNS,
    application_table,
    convergence_problems,
    diagnostics_table,
    expert_table,
    probability_selected,
)
from selection.model import Application, CriteriaCatalogue, Expert, Stage

__all__ = ["BayesStage", "fit_stage", "decide_stage", "bayes_tables", "bayes_manifest", "stage_seed"]


@dataclass(frozen=True)
class BayesStage:
    """The Bayesian model of one stage and what was decided from it."""

    stage: int
    posterior: Posterior
    panel: pd.DataFrame  #: posterior-mean quality (applications x criteria), the ranking's input
    table: pd.DataFrame  #: posterior.csv rows
    experts: pd.DataFrame  #: expert-posterior.csv rows
    diagnostics: pd.DataFrame
    warnings: tuple[str, ...]
    seed: tuple[int, int]
    draws_for_selection: int = 0
    infeasible_draws: int = 0
    lottery: LotteryDraw | None = None
    lottery_table: pd.DataFrame | None = None


def stage_seed(call_seed: int, stage: int) -> tuple[int, int]:
    """The sampler's seed of a stage: ``numpy.random.default_rng([call seed, stage number])``."""
    return (int(call_seed), int(stage))


def fit_stage(stage: Stage, catalogue: CriteriaCatalogue, evaluation: pd.DataFrame,
              experts: Mapping[str, Expert], *, call_seed: int,
              settings: SamplerSettings | None = None) -> BayesStage:
    """Fit the panel model to a stage's scores (conflicted scores left out) and check convergence."""
    crit = catalogue.criterion_ids
    data = panel_data(evaluation, crit, [c.scale.max - c.scale.min for c in catalogue.criteria],
                      conflicts={e.id: e.conflicts for e in experts.values()})
    w = catalogue.weights()
    seed = stage_seed(call_seed, stage.number)
    post = fit(data, [w[c] for c in crit], benefit=[c.direction == "benefit" for c in catalogue.criteria],
               seed=seed, settings=settings)
    diag = diagnostics_table(post)
    problems = convergence_problems(diag, where=f"stage {stage.number}: ")
    table = application_table(post)
    table.insert(0, "stage", stage.number)
    table["probability_selected"] = float("nan")
    ex = expert_table(post)
    ex.insert(0, "stage", stage.number)
    diag.insert(0, "stage", stage.number)
    return BayesStage(stage.number, post, post.quality_frame(), table, ex, diag, tuple(problems), seed)


def decide_stage(fitted: BayesStage, stage: Stage, catalogue: CriteriaCatalogue, inp, outcome, selection: pd.DataFrame,
                 applications: Mapping[str, Application], *, call_seed: int, solver: str,
                 outcome_for) -> tuple[object, pd.DataFrame, BayesStage]:
    """Probability of selection on posterior draws and, with a lottery, the drawn decision.

    ``inp`` is the stage's program input (from the posterior-mean ranking), ``outcome`` and
    ``selection`` the engine's decision without lottery; ``outcome_for(inp, rules, selected,
    solver)`` packages a selection as an outcome (:func:`selection.select.program.outcome_for`).
    """
    prob = probability_selected(fitted.posterior, stage, catalogue, applications, seed=call_seed + stage.number)
    table = fitted.table.copy()
    table["probability_selected"] = table["application_id"].map(prob.probability).astype(float)
    table = table[POSTERIOR_COLUMNS]
    fitted = replace(fitted, table=table, draws_for_selection=prob.draws, infeasible_draws=prob.infeasible)
    if stage.lottery is None or not stage.lottery.enabled:
        return outcome, selection, fitted
    draw = draw_lottery(stage, applications, table, inp.excluded, inp.excluded_da, call_seed=call_seed,
                        solver=solver)
    new_outcome = outcome_for(inp, outcome.rules, draw.selected, solver,
                              note=f"partial lottery among the gray zone ({len(draw.gray_sorted)} applications)")
    chosen = set(draw.selected)
    sel = _lottery_decisions(selection, chosen, lottery_facts(draw, table))
    fitted = replace(fitted, lottery=draw, lottery_table=lottery_table(draw, table))
    return new_outcome, sel, fitted


def _lottery_decisions(selection: pd.DataFrame, chosen: set[str], facts: Mapping[str, Mapping[str, Any]]
                       ) -> pd.DataFrame:
    """The stage table with the lottery's decisions: ``selected`` from the draw and, for the gray
    zone and the zone below it, the decision record (``reason_code``/``facts``: ``selected`` with
    the lottery facts, or ``lottery``), worded by :func:`selection.words.add_reasons` at the edge."""
    import json

    sel = selection.copy()
    sel["selected"] = sel["application_id"].isin(chosen)
    for i, a in zip(sel.index, sel["application_id"], strict=True):
        if a in facts:
            record = {"forced": None, "lottery": dict(facts[a])} if a in chosen else dict(facts[a])
            sel.at[i, "reason_code"] = "selected" if a in chosen else "lottery"
            sel.at[i, "facts"] = json.dumps(record, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
        elif a in chosen and "reason_code" in sel.columns and sel.at[i, "reason_code"] != "selected":
            sel.at[i, "reason_code"], sel.at[i, "facts"] = "selected", json.dumps({"forced": None})
    if "cost_to_include" in sel.columns:
        sel["cost_to_include"] = [c if a not in facts else float("nan")
                                  for a, c in zip(sel["application_id"], sel["cost_to_include"], strict=True)]
    return sel


def bayes_tables(stages: Mapping[int, object]) -> dict[str, pd.DataFrame]:
    """``posterior.csv``, ``expert-posterior.csv`` (with a stage column), ``posterior-diagnostics.csv``
    and ``lottery.csv`` of the stages that used the Bayesian model (empty dict: none did)."""
    fitted: list[BayesStage] = [f for sr in stages.values() if (f := getattr(sr, "bayes", None)) is not None]
    if not fitted:
        return {}
    out = {"posterior.csv": pd.concat([f.table for f in fitted], ignore_index=True),
           "expert-posterior.csv": pd.concat([f.experts[["stage", *EXPERT_POSTERIOR_COLUMNS, "n_scores"]]
                                              for f in fitted], ignore_index=True),
           "posterior-diagnostics.csv": pd.concat([f.diagnostics for f in fitted], ignore_index=True)}
    lots = [f.lottery_table for f in fitted if f.lottery_table is not None]
    if lots:
        out["lottery.csv"] = pd.concat(lots, ignore_index=True)
    return out


def bayes_manifest(stages: Mapping[int, object]) -> dict:
    """The manifest's ``bayes`` record: sampler, seeds, convergence and each lottery draw."""
    rec = {}
    for n, sr in stages.items():
        f = getattr(sr, "bayes", None)
        if f is None:
            continue
        s = f.posterior.settings
        d = f.diagnostics
        rec[str(n)] = {
            "model": "y = mu_c + quality_ac + leniency_e + noise (normal, hierarchical inverse-gamma variances)",
            "sampler": "Gibbs (selection.bayes.gibbs)", "chains": s.chains, "warmup": s.warmup, "draws": s.draws,
            "seed": list(f.seed), "rng": "numpy.random.default_rng([call seed, stage])",
            "max_rhat": float(d["rhat"].max()), "min_ess_bulk": float(d["ess_bulk"].min()),
            "warnings": list(f.warnings), "draws_for_selection": f.draws_for_selection,
            "infeasible_draws": f.infeasible_draws,
            "lottery": f.lottery.record() if f.lottery is not None else None,
        }
    return {"bayes": rec} if rec else {}


def panel_fits(folder, stages: list[Stage]) -> dict[int, BayesStage]:
    """``selection panel --model bayes``: the model of each stage over every application scored
    in it; the probability of selection only for stages that choose among all applications (a
    later stage's candidates are known only after a run)."""
    out = {}
    for st in stages:
        cat = folder.catalogues[st.number]
        fitted = fit_stage(st, cat, folder.evaluations[st.number], folder.experts, call_seed=folder.call.seed)
        table = fitted.table
        if st.from_stage is None:
            prob = probability_selected(fitted.posterior, st, cat, folder.applications,
                                        seed=folder.call.seed + st.number)
            table = table.assign(probability_selected=table["application_id"].map(prob.probability).astype(float))
            fitted = replace(fitted, draws_for_selection=prob.draws, infeasible_draws=prob.infeasible)
        out[st.number] = replace(fitted, table=table[POSTERIOR_COLUMNS])
    return out
