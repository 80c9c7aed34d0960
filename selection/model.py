"""The domain model: frozen pydantic models of a call, its catalogues, applications and experts.

Every model is immutable and rejects unknown fields. Change one by validating a new one::

    new = Model.model_validate({**old.model_dump(), **changes})

(``model_copy(update=...)`` would skip validation). This module must not import numpy, pandas,
pulp or matplotlib: tables of scores live in :mod:`selection.evaluation`.

Vocabularies (creative industries, focus areas, municipalities) are the call's own words, kept in
Danish and English; see ``CALL-BRIEF`` §1.1 and §4.1 of *KREATIVE PARTNERSKABER*.
"""

from __future__ import annotations

import math
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

__all__ = [
    "INDUSTRIES",
    "FOCUS_AREAS",
    "MUNICIPALITIES",
    "PERIPHERAL_MUNICIPALITIES",
    "GROUPS",
    "Frozen",
    "Scale",
    "ScoringGuide",
    "Criterion",
    "CriteriaCatalogue",
    "PartnerMix",
    "Application",
    "Expert",
    "Constraint",
    "ForcedDecision",
    "Stage",
    "Call",
    "label",
]

#: The 11 creative industries of the call (§1.1): id -> (Danish, English).
INDUSTRIES: dict[str, tuple[str, str]] = {
    "music": ("Musik", "Music"),
    "architecture": ("Arkitektur", "Architecture"),
    "design": ("Design", "Design"),
    "radio_tv": ("Radio & TV", "Radio & TV"),
    "books_press": ("Bøger & Presse", "Books & Press"),
    "advertising": ("Reklame", "Advertising"),
    "film_video": ("Film & Video", "Film & Video"),
    "art_crafts": ("Kunst & Kunsthåndværk", "Art & Crafts"),
    "furniture_interior": ("Møbler & Interiør", "Furniture & Interior"),
    "content_games": ("Indholdsproduktion & Computerspil", "Content production & Computer games"),
    "fashion": ("Mode", "Fashion"),
}

#: Vækstforum's focus areas (§4.1): id -> (Danish, English).
FOCUS_AREAS: dict[str, tuple[str, str]] = {
    "tourism": ("Turisme", "Tourism"),
    "food": ("Fødevarer", "Food"),
    "energy": ("Energi", "Energy"),
    "welfare_innovation": ("Velfærdsinnovation", "Welfare innovation"),
    "it": ("IT", "IT"),
}

#: Region Midtjylland's 19 municipalities.
MUNICIPALITIES: tuple[str, ...] = (
    "Aarhus", "Favrskov", "Hedensted", "Herning", "Holstebro", "Horsens", "Ikast-Brande",
    "Lemvig", "Norddjurs", "Odder", "Randers", "Ringkøbing-Skjern", "Samsø", "Silkeborg",
    "Skanderborg", "Skive", "Struer", "Syddjurs", "Viborg",
)  # fmt: skip

#: Municipalities commonly counted among Denmark's peripheral ones (used by the example generator
#: as a default; each application carries its own ``rural`` flag, which is what the engine uses).
PERIPHERAL_MUNICIPALITIES: frozenset[str] = frozenset(
    {"Lemvig", "Samsø", "Norddjurs", "Ringkøbing-Skjern", "Struer", "Skive", "Syddjurs"}
)

#: Groups a selection constraint can count over, and what their values are.
GROUPS: dict[str, str] = {
    "industry": "a creative industry id (" + ", ".join(INDUSTRIES) + ")",
    "focus_area": "a focus area id (" + ", ".join(FOCUS_AREAS) + ")",
    "municipality": "a municipality name",
    "rural": "true (rural/peripheral) or false",
    "lead_organisation": "a lead organisation name",
    "any": "no value: counts every application",
}


def label(vocabulary: dict[str, tuple[str, str]], key: str, lang: str = "en") -> str:
    """Human label of a vocabulary id in Danish (``"da"``) or English (``"en"``).

    >>> label(FOCUS_AREAS, "food", "da")
    'Fødevarer'
    """
    da, en = vocabulary[key]
    return da if lang == "da" else en


class Frozen(BaseModel):
    """Base of every model: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


NonEmpty = Annotated[str, Field(min_length=1)]
Money = Annotated[int, Field(ge=0, description="whole currency units (DKK)")]


class Scale(Frozen):
    """A score scale: ``min`` to ``max`` in steps of ``step`` (e.g. 0-5 in half points)."""

    min: float = 0.0
    max: float = 5.0
    step: float = Field(default=0.5, gt=0)

    @model_validator(mode="after")
    def _check(self) -> Scale:
        if not self.max > self.min:
            raise ValueError(f"scale max ({self.max}) must be greater than min ({self.min})")
        n = (self.max - self.min) / self.step
        if abs(n - round(n)) > 1e-9:
            raise ValueError(
                f"scale step {self.step} does not divide the range {self.min}-{self.max}"
            )
        return self

    def values(self) -> list[float]:
        """Every allowed score, in order."""
        n = round((self.max - self.min) / self.step)
        return [round(self.min + i * self.step, 10) for i in range(n + 1)]

    def contains(self, x: float) -> bool:
        """Whether ``x`` is on the scale's grid (within 1e-9)."""
        if not (self.min - 1e-9 <= x <= self.max + 1e-9):
            return False
        k = (x - self.min) / self.step
        return abs(k - round(k)) <= 1e-9

    def __str__(self) -> str:
        fmt = lambda v: f"{v:g}"  # noqa: E731
        return f"{fmt(self.min)}–{fmt(self.max)} in steps of {fmt(self.step)}"


class ScoringGuide(Frozen):
    """What the low, middle and top of the scale mean for one criterion (as panels are told)."""

    low: NonEmpty
    middle: NonEmpty
    high: NonEmpty


class Criterion(Frozen):
    """One assessment criterion."""

    id: Annotated[str, Field(pattern=r"^[a-z0-9_]+$")]
    name_da: NonEmpty
    name_en: NonEmpty
    description: NonEmpty
    guide: ScoringGuide
    group: NonEmpty = Field(description="principle the criterion belongs to")
    scale: Scale = Scale()
    weight: float = Field(ge=0, allow_inf_nan=False)
    threshold: float | None = Field(default=None, description="minimum panel score to be eligible")
    direction: Literal["benefit", "cost"] = "benefit"

    @model_validator(mode="after")
    def _threshold_on_scale(self) -> Criterion:
        t = self.threshold
        if t is not None and not (self.scale.min <= t <= self.scale.max):
            raise ValueError(
                f"threshold {t:g} is outside the scale {self.scale} of criterion {self.id!r}"
            )
        return self

    @property
    def label(self) -> str:
        """``"Dansk / English"`` label, as shown on score sheets."""
        return self.name_da if self.name_da == self.name_en else f"{self.name_da} / {self.name_en}"


class CriteriaCatalogue(Frozen):
    """The criteria a call stage is scored on, with weights and thresholds."""

    schema_version: Literal[1]
    id: Annotated[str, Field(pattern=r"^[a-z0-9_-]+$")]
    name: NonEmpty
    stage: int = Field(ge=1)
    criteria: list[Criterion] = Field(min_length=1)
    group_weights: dict[str, float] | None = Field(
        default=None,
        description="hierarchical weights per group (principle); each criterion's weight is then "
        "its share within its group",
    )
    overall_threshold: float | None = None
    overall_threshold_basis: Literal["weighted_total", "sum"] = Field(
        default="weighted_total",
        description="'weighted_total': the normalised weighted score (on the criteria's scale); "
        "'sum': the plain sum of the criterion scores (as Horizon Europe's 10 of 15)",
    )
    weight_normalisation: Literal["sum_to_one"] = "sum_to_one"
    tie_breaks: list[str] = Field(
        default_factory=list,
        description="ordered tie-break chain, e.g. ['criterion:impact', 'lottery']",
    )

    @model_validator(mode="after")
    def _check(self) -> CriteriaCatalogue:
        problems = []
        ids = [c.id for c in self.criteria]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            problems.append(f"duplicate criterion ids: {', '.join(dupes)}")
        if self.group_weights is not None:
            groups = {c.group for c in self.criteria}
            missing = sorted(groups - set(self.group_weights))
            extra = sorted(set(self.group_weights) - groups)
            if missing:
                problems.append(f"group_weights has no weight for group(s) {', '.join(missing)}")
            if extra:
                problems.append(f"group_weights names group(s) with no criteria: {', '.join(extra)}")
            for g, w in self.group_weights.items():
                if not (w >= 0 and math.isfinite(w)):
                    problems.append(f"group weight of {g!r} is {w}; use a number >= 0")
        if sum(self.effective_weights_raw().values()) <= 0 and not problems:
            problems.append("all weights are zero; give at least one criterion a positive weight")
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def effective_weights_raw(self) -> dict[str, float]:
        """Weights before normalisation (group weight x share within group when hierarchical)."""
        if self.group_weights is None:
            return {c.id: c.weight for c in self.criteria}
        out = {}
        for c in self.criteria:
            group_total = sum(d.weight for d in self.criteria if d.group == c.group)
            share = c.weight / group_total if group_total > 0 else 0.0
            out[c.id] = self.group_weights.get(c.group, 0.0) * share
        return out

    def weights(self) -> dict[str, float]:
        """Normalised weights (summing to 1), in catalogue order.

        >>> cat = CriteriaCatalogue.model_validate(_EXAMPLE)
        >>> cat.weights()
        {'a': 0.75, 'b': 0.25}
        """
        raw = self.effective_weights_raw()
        total = sum(raw.values())
        return {k: v / total for k, v in raw.items()}

    def criterion(self, criterion_id: str) -> Criterion:
        for c in self.criteria:
            if c.id == criterion_id:
                return c
        raise KeyError(criterion_id)

    @property
    def criterion_ids(self) -> list[str]:
        return [c.id for c in self.criteria]


_GUIDE = {"low": "weak", "middle": "fair", "high": "excellent"}
_EXAMPLE = {
    "schema_version": 1, "id": "ex", "name": "Example", "stage": 1,
    "criteria": [
        {"id": "a", "name_da": "A", "name_en": "A", "description": "a", "guide": _GUIDE,
         "group": "g", "weight": 3},
        {"id": "b", "name_da": "B", "name_en": "B", "description": "b", "guide": _GUIDE,
         "group": "g", "weight": 1},
    ],
}  # fmt: skip


class PartnerMix(Frozen):
    """How many partners of each kind a partnership has (§7: interdisciplinary, public/private,
    cross-regional). Each partner counts once per dimension."""

    creative: int = Field(default=0, ge=0)
    commercial: int = Field(default=0, ge=0)
    cultural: int = Field(default=0, ge=0)
    public: int = Field(default=0, ge=0)
    private: int = Field(default=0, ge=0)
    regional: int = Field(default=0, ge=0)
    national: int = Field(default=0, ge=0)
    international: int = Field(default=0, ge=0)


class Application(Frozen):
    """One application (a proposed partnership)."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    title: NonEmpty
    lead_organisation: NonEmpty
    industries: frozenset[str] = Field(min_length=1)
    focus_areas: frozenset[str] = frozenset()
    municipality: NonEmpty
    rural: bool = False
    grant_requested: dict[int, Money] = Field(
        default_factory=dict, description="requested grant per stage number, DKK"
    )
    total_budget_per_year: Money = Field(
        default=0, description="funded phase: total partnership budget per year, DKK"
    )
    regional_cofinancing_per_year: Money = Field(
        default=0, description="funded phase: regional co-financing requested per year, DKK"
    )
    partners: PartnerMix = PartnerMix()

    @field_validator("industries")
    @classmethod
    def _known_industries(cls, v: frozenset[str]) -> frozenset[str]:
        unknown = sorted(v - set(INDUSTRIES))
        if unknown:
            raise ValueError(
                f"unknown creative industr{'y' if len(unknown) == 1 else 'ies'} "
                f"{', '.join(unknown)}; use {', '.join(INDUSTRIES)}"
            )
        return v

    @field_validator("focus_areas")
    @classmethod
    def _known_focus_areas(cls, v: frozenset[str]) -> frozenset[str]:
        unknown = sorted(v - set(FOCUS_AREAS))
        if unknown:
            raise ValueError(
                f"unknown focus area(s) {', '.join(unknown)}; use {', '.join(FOCUS_AREAS)}"
            )
        return v

    @model_validator(mode="after")
    def _cofinancing(self) -> Application:
        if self.regional_cofinancing_per_year > self.total_budget_per_year:
            raise ValueError(
                f"regional co-financing ({self.regional_cofinancing_per_year:,} DKK/year) exceeds "
                f"the total budget ({self.total_budget_per_year:,} DKK/year)"
            )
        return self

    @property
    def regional_share(self) -> float:
        """Regional co-financing as a share of the funded-phase budget (0 if no budget)."""
        if self.total_budget_per_year == 0:
            return 0.0
        return self.regional_cofinancing_per_year / self.total_budget_per_year

    def group_values(self, group: str) -> frozenset[str]:
        """The values this application has in a constraint group (see :data:`GROUPS`)."""
        if group == "industry":
            return self.industries
        if group == "focus_area":
            return self.focus_areas
        if group == "municipality":
            return frozenset({self.municipality})
        if group == "rural":
            return frozenset({"true" if self.rural else "false"})
        if group == "lead_organisation":
            return frozenset({self.lead_organisation})
        if group == "any":
            return frozenset({"*"})
        raise KeyError(group)


class Expert(Frozen):
    """A member of the expert group."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    name: NonEmpty
    affiliation: str = ""
    conflicts: frozenset[str] = Field(
        default=frozenset(), description="application ids the expert may not score"
    )


class Constraint(Frozen):
    """A declarative selection rule counted over a group of applications.

    ``{kind = "at_least", group = "focus_area", value = "tourism", count = 1}`` reads "at least one
    selected application covers tourism". Without ``value`` the rule applies to each value of the
    group separately (e.g. ``at_most 1`` per ``lead_organisation``). ``at_least`` rules are
    reduced to what is available among eligible applications when ``if_available`` is true;
    ``exactly`` is a floor and a cap at once (its floor part honours ``if_available`` too).
    """

    kind: Literal["at_least", "at_most", "exactly"]
    group: Literal["industry", "focus_area", "municipality", "rural", "lead_organisation", "any"]
    value: str | None = None
    count: int = Field(ge=0)
    if_available: bool = False
    reason: str = ""

    @model_validator(mode="after")
    def _value(self) -> Constraint:
        v = self.value
        if v is None:
            return self
        if self.group == "industry" and v not in INDUSTRIES:
            raise ValueError(f"unknown industry {v!r}; use one of {', '.join(INDUSTRIES)}")
        if self.group == "focus_area" and v not in FOCUS_AREAS:
            raise ValueError(f"unknown focus area {v!r}; use one of {', '.join(FOCUS_AREAS)}")
        if self.group == "rural" and v not in ("true", "false"):
            raise ValueError(f"rural takes the value 'true' or 'false', not {v!r}")
        return self

    def describe(self) -> str:
        """Plain-words form, e.g. 'at least 1 selected in focus area tourism'."""
        what = {
            "industry": "industry",
            "focus_area": "focus area",
            "municipality": "municipality",
            "rural": "rural/peripheral",
            "lead_organisation": "lead organisation",
            "any": "",
        }[self.group]
        words = self.kind.replace("_", " ")
        if self.group == "any":
            return f"{words} {self.count} selected"
        if self.group == "rural":
            target = "rural/peripheral" if self.value != "false" else "non-rural"
            return f"{words} {self.count} {target} selected"
        where = f"{what} {self.value}" if self.value is not None else f"each {what}"
        return f"{words} {self.count} selected per {where}" if self.value is None else (
            f"{words} {self.count} selected in {where}"
        )


class ForcedDecision(Frozen):
    """An application forced into or out of a stage's selection, with the reason recorded."""

    application: NonEmpty
    include: bool
    reason: NonEmpty


class Stage(Frozen):
    """One selection stage of a call."""

    number: int = Field(ge=1)
    name: NonEmpty
    catalogue: NonEmpty = Field(description="path of the criteria catalogue, relative to the call file")
    max_selected: int = Field(ge=1)
    from_stage: int | None = Field(
        default=None, description="choose only among the applications selected in this stage"
    )
    budget: Money | None = Field(default=None, description="cap on the sum of the costs below")
    budget_basis: Literal["grant", "regional_cofinancing_per_year"] = "grant"
    total_budget_cap_per_year: Money | None = None
    max_regional_share: float | None = Field(default=None, ge=0, le=1)
    min_experts: int = Field(default=1, ge=1, description="fewest experts that must score each application")
    aggregation: Literal["mean", "median", "trimmed_mean"] = "mean"
    trim: float = Field(default=0.1, ge=0, lt=0.5, description="share cut from each end by trimmed_mean")
    calibration: Literal["none", "zscore", "additive"] = "none"
    divergence_range: float = Field(default=2.0, gt=0, description="score range that flags a divergence")
    ranking_method: Literal["weighted_sum", "topsis", "promethee_ii", "vikor"] = "weighted_sum"
    ranking_params: dict[str, Any] = Field(
        default_factory=dict,
        description="the ranking method's parameters, e.g. {v = 0.5} for VIKOR, "
        "{normalization = 'minmax'} for TOPSIS, {preference_functions = {udsyn = {function = "
        "'linear', q = 0.5, p = 2}}} for PROMETHEE II")
    objective: Literal["score", "rank", "score_per_dkk"] = Field(
        default="score", description="what the selection maximises: weighted panel score, "
        "rank-based value, or value per DKK of the stage's cost")
    constraints: list[Constraint] = Field(default_factory=list)
    forced: list[ForcedDecision] = Field(default_factory=list)

    def cost(self, app: Application) -> int:
        """What an application costs against :attr:`budget` in this stage."""
        if self.budget_basis == "grant":
            return app.grant_requested.get(self.number, 0)
        return app.regional_cofinancing_per_year


class Call(Frozen):
    """A funding call with its stages."""

    schema_version: Literal[1]
    id: Annotated[str, Field(pattern=r"^[a-z0-9_-]+$")]
    name: NonEmpty
    name_en: str = ""
    operator: str = ""
    currency: Literal["DKK", "EUR"] = "DKK"
    applications: str = "applications.csv"
    experts: str = "experts.csv"
    assignments: str | None = "assignments.csv"
    scores: str = "scores"
    seed: int = Field(default=0, ge=0, description="seed for lotteries and sampling")
    selection_mode: Literal["sequential", "linked"] = Field(
        default="sequential", description="'linked': choose stage 1 so that the best later-stage "
        "selection within it is as good as possible")
    stages: list[Stage] = Field(min_length=1)

    @model_validator(mode="after")
    def _stages(self) -> Call:
        nums = [s.number for s in self.stages]
        if nums != sorted(set(nums)):
            raise ValueError(f"stage numbers must be unique and increasing, found {nums}")
        for s in self.stages:
            if s.from_stage is not None and s.from_stage not in nums[: nums.index(s.number)]:
                raise ValueError(
                    f"stage {s.number} chooses from stage {s.from_stage}, which is not an earlier stage"
                )
        return self

    def stage(self, number: int) -> Stage:
        for s in self.stages:
            if s.number == number:
                return s
        raise KeyError(number)


class StageOverride(Frozen):
    """What a scenario changes in one stage. Unset fields keep the call's value."""

    weights: dict[str, float] | None = Field(default=None, description="criterion id -> weight")
    thresholds: dict[str, float | None] | None = Field(default=None, description="criterion id -> minimum (or none)")
    overall_threshold: float | None = None
    tie_breaks: list[str] | None = None
    max_selected: int | None = Field(default=None, ge=1)
    aggregation: Literal["mean", "median", "trimmed_mean"] | None = None
    trim: float | None = Field(default=None, ge=0, lt=0.5, description="share cut from each end by trimmed_mean")
    calibration: Literal["none", "zscore", "additive"] | None = None
    ranking_method: Literal["weighted_sum", "topsis", "promethee_ii", "vikor"] | None = None
    ranking_params: dict[str, Any] | None = None
    objective: Literal["score", "rank", "score_per_dkk"] | None = None
    group_weights: dict[str, float] | None = Field(default=None, description="principle -> weight (hierarchical)")
    overall_threshold_basis: Literal["weighted_total", "sum"] | None = None
    budget: Money | None = None
    total_budget_cap_per_year: Money | None = None
    max_regional_share: float | None = Field(default=None, ge=0, le=1)
    constraints: list[Constraint] | None = Field(default=None, description="replace the stage's constraints")
    add_constraints: list[Constraint] = Field(default_factory=list)
    forced: list[ForcedDecision] = Field(default_factory=list, description="added to the stage's forced decisions")


class Scenario(Frozen):
    """A what-if run: overrides of the call's weights, thresholds, budgets and rules.

    Stored as ``scenarios/<name>.toml`` in the call folder; the stage keys are stage numbers::

        schema_version = 1
        name = "budget-cut"
        description = "Stage 1 budget cut to 1.5 M DKK"
        [stages.1]
        budget = 1500000
    """

    schema_version: Literal[1]
    name: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    description: str = ""
    stages: dict[int, StageOverride] = Field(default_factory=dict)
    solver: Literal["cbc", "highs"] | None = None
    seed: int | None = Field(default=None, ge=0)
    selection_mode: Literal["sequential", "linked"] | None = None


__all__ += ["StageOverride", "Scenario"]
