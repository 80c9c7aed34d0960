"""Applying a scenario's overrides to a call and its catalogues (``scenarios/<name>.toml``).

Kept apart from :mod:`selection.scenario` (which runs every scenario through
:mod:`selection.pipeline` and compares them) so that the pipeline can apply a scenario without the
two modules importing each other.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

from pydantic import BaseModel, ValidationError

from selection.errors import Problem, ScenarioError
from selection.model import Call, CriteriaCatalogue, Scenario, Stage, StageOverride

__all__ = ["apply_scenario", "load_scenario", "REPLACED_STAGE_FIELDS"]

#: Stage settings a scenario replaces when it gives them: every field ``StageOverride`` shares
#: with ``Stage`` (a new stage setting becomes overridable by declaring it in both models; the
#: ranking method's names come from :mod:`selection.ranking_methods`), except the rule lists,
#: which a scenario replaces or extends explicitly.
REPLACED_STAGE_FIELDS: tuple[str, ...] = tuple(
    f for f in StageOverride.model_fields if f in Stage.model_fields and f not in ("constraints", "forced"))


def apply_scenario(call: Call, catalogues: Mapping[int, CriteriaCatalogue], scenario: Scenario,
                   file: str | None = None) -> tuple[Call, dict[int, CriteriaCatalogue]]:
    """Return a new call and catalogues with the scenario's overrides applied (inputs untouched)."""
    problems: list[Problem] = []
    stages = []
    new_cats = dict(catalogues)
    unknown = sorted(set(scenario.stages) - {s.number for s in call.stages})
    for n in unknown:
        problems.append(Problem(f"the call has no stage {n}", file=file, key=f"stages.{n}"))
    for st in call.stages:
        ov = scenario.stages.get(st.number)
        if ov is None:
            stages.append(st.model_dump())
            continue
        data = st.model_dump()
        for f in REPLACED_STAGE_FIELDS:
            v = getattr(ov, f)
            if v is not None:
                data[f] = v.model_dump() if isinstance(v, BaseModel) else v
        if ov.constraints is not None:
            data["constraints"] = [c.model_dump() for c in ov.constraints]
        data["constraints"] = data["constraints"] + [c.model_dump() for c in ov.add_constraints]
        data["forced"] = data["forced"] + [f.model_dump() for f in ov.forced]
        stages.append(data)
        cat = catalogues[st.number]
        cdata = cat.model_dump()
        ids = cat.criterion_ids
        for key, mapping in (("weights", ov.weights), ("thresholds", ov.thresholds)):
            for cid in (mapping or {}):
                if cid not in ids:
                    problems.append(Problem(f"unknown criterion {cid!r}", file=file, key=f"stages.{st.number}.{key}.{cid}",
                                            hint=f"use one of {', '.join(ids)}"))
        for c in cdata["criteria"]:
            if ov.weights and c["id"] in ov.weights:
                c["weight"] = ov.weights[c["id"]]
            if ov.thresholds and c["id"] in ov.thresholds:
                c["threshold"] = ov.thresholds[c["id"]]
        if ov.weights:
            cdata["group_weights"] = None  # explicit weights replace the hierarchy
        if ov.group_weights is not None:
            cdata["group_weights"] = ov.group_weights
        if ov.overall_threshold_basis is not None:
            cdata["overall_threshold_basis"] = ov.overall_threshold_basis
        if ov.overall_threshold is not None:
            cdata["overall_threshold"] = ov.overall_threshold
        if ov.tie_breaks is not None:
            cdata["tie_breaks"] = ov.tie_breaks
        try:
            new_cats[st.number] = CriteriaCatalogue.model_validate(cdata)
        except ValidationError as exc:
            problems += [Problem(e["msg"].removeprefix("Value error, "), file=file, key=f"stages.{st.number}")
                         for e in exc.errors()]
    try:
        data = {**call.model_dump(), "stages": stages}
        if scenario.seed is not None:
            data["seed"] = scenario.seed
        if scenario.selection_mode is not None:
            data["selection_mode"] = scenario.selection_mode
        new_call = Call.model_validate(data)
    except ValidationError as exc:
        problems += [Problem(e["msg"].removeprefix("Value error, "), file=file,
                             key=".".join(map(str, e["loc"]))) for e in exc.errors()]
        new_call = call
    if problems:
        raise ScenarioError(problems)
    return new_call, new_cats


def load_scenario(path: Path | str) -> Scenario:
    """Read and validate ``scenarios/<name>.toml``."""
    from selection.io.toml import read_toml, validate_model

    return validate_model(Scenario, read_toml(Path(path), ScenarioError), str(path), ScenarioError)
