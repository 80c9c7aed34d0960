"""The domain model: frozen pydantic models of a call, its catalogues, applications and experts.

Every model is immutable and rejects unknown fields. Change one by validating a new one::

    new = Model.model_validate({**old.model_dump(), **changes})

(``model_copy(update=...)`` would skip validation). This module must not import numpy, pandas,
pulp or matplotlib: tables of scores live in :mod:`selection.evaluation`.

Vocabularies (e.g. the creative industries and focus areas of *KREATIVE PARTNERSKABER*) are not
the engine's: each call declares its application attributes and their values
(:mod:`selection.vocabulary`), and the :class:`Call` checks every rule against them.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import AfterValidator, BaseModel, BeforeValidator, ConfigDict, Field, model_validator

from selection.ranking_methods import check_method
from selection.vocabulary import BUILTIN_GROUPS, Attribute, Currency, Share, attribute_values

__all__ = [
    "Frozen",
    "Scale",
    "ScoringGuide",
    "Criterion",
    "CriteriaCatalogue",
    "Application",
    "EligibilityRule",
    "ShareRule",
    "FixedCost",
    "Exclusive",
    "MoneyCap",
    "Expert",
    "Constraint",
    "ForcedDecision",
    "Lottery",
    "Stage",
    "AssignmentRules",
    "Call",
    "Attribute",
    "Currency",
    "Share",
    "CallDate",
    "Window",
    "Milestone",
    "Board",
    "date_bounds",
    "format_date",
    "call_date",
]

class Frozen(BaseModel):
    """Base of every model: immutable, no unknown fields."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


def _bilingual_reason(data: Any) -> Any:
    """``reason = { en = "...", da = "..." }`` -> ``reason`` (English) and ``reason_da``; a plain
    string stays valid and serves both languages."""
    if isinstance(data, dict) and isinstance(data.get("reason"), dict):
        both = dict(data["reason"])
        unknown = sorted(set(both) - {"en", "da"})
        if unknown or not str(both.get("en", "")).strip():
            raise ValueError("reason must be a text or { en = \"...\", da = \"...\" } with an English text"
                             + (f"; unknown language keys: {', '.join(unknown)}" if unknown else ""))
        data = {**data, "reason": both["en"], "reason_da": both.get("da", "")}
    return data


NonEmpty = Annotated[str, Field(min_length=1)]
Money = Annotated[int, Field(ge=0, description="whole units of the call's currency")]
#: The name of a registered ranking method (:mod:`selection.ranking_methods`, the one list of them).
RankingMethodName = Annotated[str, AfterValidator(check_method)]


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


AttrValue = frozenset[str] | bool | int | float | str

#: Keyword arguments of earlier versions (fixed KREATIVE PARTNERSKABER fields) -> attribute ids.
_LEGACY_KEYS = {"industries": "industry", "focus_areas": "focus_area", "municipality": "municipality",
                "rural": "rural"}


class Application(Frozen):
    """One application.

    ``attributes`` holds the values of the call's declared attributes (attribute id -> value:
    a text, a set of texts, a yes/no, a number or an amount); which attributes exist and what
    they mean is the call's business (:class:`selection.vocabulary.Attribute`). The money fields
    are the ones the engine's budget rules read.
    """

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    title: NonEmpty
    lead_organisation: NonEmpty
    attributes: dict[str, AttrValue] = Field(default_factory=dict)
    grant_requested: dict[int, Money] = Field(
        default_factory=dict, description="requested grant per stage number"
    )
    total_budget_per_year: Money = Field(
        default=0, description="funded phase: total budget of the project per year"
    )
    regional_cofinancing_per_year: Money = Field(
        default=0, description="funded phase: co-financing requested from the funder per year"
    )

    @model_validator(mode="before")
    @classmethod
    def _legacy(cls, data: Any) -> Any:
        """Thin compatibility: ``industries=``, ``focus_areas=``, ``municipality=``, ``rural=``
        and ``partners={...}`` keywords become attributes (``industry``, ``focus_area``, ...,
        ``partners_<kind>``)."""
        if not isinstance(data, dict):
            return data
        if not any(k in data for k in (*_LEGACY_KEYS, "partners")):
            return data
        data = dict(data)
        attrs = dict(data.get("attributes") or {})
        for key, attr in _LEGACY_KEYS.items():
            if key in data:
                v = data.pop(key)
                attrs[attr] = frozenset(v) if isinstance(v, (list, set, tuple, frozenset)) else v
        partners = data.pop("partners", None) or {}
        for k, n in dict(partners).items():
            attrs[f"partners_{k}"] = n
        data["attributes"] = attrs
        return data

    @model_validator(mode="after")
    def _cofinancing(self) -> Application:
        if self.regional_cofinancing_per_year > self.total_budget_per_year:
            raise ValueError(
                f"co-financing ({self.regional_cofinancing_per_year:,} per year) exceeds "
                f"the total budget ({self.total_budget_per_year:,} per year)"
            )
        return self

    @property
    def regional_share(self) -> float:
        """Regional co-financing as a share of the funded-phase budget (0 if no budget)."""
        if self.total_budget_per_year == 0:
            return 0.0
        return self.regional_cofinancing_per_year / self.total_budget_per_year

    @property
    def regional_share_exact(self) -> Fraction:
        """:attr:`regional_share` as an exact fraction (for comparing with a cap like 1/3)."""
        if self.total_budget_per_year == 0:
            return Fraction(0)
        return Fraction(self.regional_cofinancing_per_year, self.total_budget_per_year)

    def attribute(self, attribute_id: str, default: Any = None) -> Any:
        """The value of a declared attribute (``default`` when the application has none)."""
        return self.attributes.get(attribute_id, default)

    # Thin compatibility for code written against the first call's fixed fields.
    @property
    def industries(self) -> frozenset[str]:
        return attribute_values(None, self.attributes.get("industry"))

    @property
    def focus_areas(self) -> frozenset[str]:
        return attribute_values(None, self.attributes.get("focus_area"))

    @property
    def municipality(self) -> str:
        return str(self.attributes.get("municipality", ""))

    @property
    def rural(self) -> bool:
        return bool(self.attributes.get("rural", False))

    def group_values(self, group: str) -> frozenset[str]:
        """The values this application has in a constraint group: a declared attribute's id,
        ``lead_organisation`` or ``any``."""
        if group == "lead_organisation":
            return frozenset({self.lead_organisation})
        if group == "any":
            return frozenset({"*"})
        return attribute_values(None, self.attributes.get(group))


class Expert(Frozen):
    """A member of the expert group."""

    id: Annotated[str, Field(pattern=r"^[A-Za-z0-9_.-]+$")]
    name: NonEmpty
    affiliation: str = ""
    conflicts: frozenset[str] = Field(
        default=frozenset(), description="application ids the expert may not score"
    )
    # Declared for expert assignment (selection.assign, docs/assignment.md):
    expertise: frozenset[str] = Field(
        default=frozenset(), description="declared terms (industries, focus areas, keywords) "
        "matched against an application's attributes")
    municipality: str = ""
    kind: frozenset[str] = Field(
        default=frozenset(), description="roles such as business, creative (diversity rules)")
    max_load: int | None = Field(default=None, ge=0, description="most applications this expert "
                                 "scores per stage (overrides the call's max_load)")


GroupId = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]


def first_lower(label: str) -> str:
    """``Focus area`` -> ``focus area`` inside a sentence; an acronym (``IT``) stays as it is."""
    return label[:1].lower() + label[1:] if label[1:2].islower() else label


class Constraint(Frozen):
    """A declarative selection rule counted over a group of applications.

    ``group`` is a declared attribute of the call (e.g. ``focus_area``), ``lead_organisation`` or
    ``any``. ``{kind = "at_least", group = "focus_area", value = "tourism", count = 1}`` reads "at
    least one selected application covers tourism". Without ``value`` the rule applies to each
    value of the group separately (e.g. ``at_most 1`` per ``lead_organisation``). ``at_least``
    rules are reduced to what is available among eligible applications when ``if_available`` is
    true; ``exactly`` is a floor and a cap at once (its floor part honours ``if_available`` too).
    ``declared`` is filled in by the :class:`Call` from its declared attributes (labels, values).
    """

    kind: Literal["at_least", "at_most", "exactly"]
    group: GroupId
    value: str | None = None
    count: int = Field(ge=0)
    if_available: bool = False
    reason: str = ""
    reason_da: str = ""  # the Danish justification: reason = { en = "...", da = "..." }
    declared: Attribute | None = None

    @model_validator(mode="before")
    @classmethod
    def _two_languages(cls, data: Any) -> Any:
        return _bilingual_reason(data)

    def group_label(self, value: str | None, lang: str = "en") -> str:
        """The group (of one value) in words, from the call's declared labels."""
        if self.group in BUILTIN_GROUPS:
            name = BUILTIN_GROUPS[self.group][lang != "da"]
            return name if value is None or self.group == "any" else f"{name} {value}"
        if self.declared is None:
            return f"{self.group} {value}" if value is not None else self.group
        if value is None:
            return self.declared.label(lang)
        return self.declared.describe(value, lang)

    def describe(self, lang: str = "en") -> str:
        """Plain-words form in English or Danish, e.g. 'at least 1 selected in focus area Tourism',
        'højst 3 udvalgt pr. branche'."""
        if lang == "da":
            words = {"at_least": "mindst", "at_most": "højst", "exactly": "præcis"}[self.kind]
            if self.group == "any":
                return f"{words} {self.count} udvalgt"
            if self.value is None:
                return f"{words} {self.count} udvalgt pr. {first_lower(self.group_label(None, 'da'))}"
            return f"{words} {self.count} udvalgt i {self.group_label(self.value, 'da')}"
        words = self.kind.replace("_", " ")
        if self.group == "any":
            return f"{words} {self.count} selected"
        if self.value is None:
            return f"{words} {self.count} selected per {first_lower(self.group_label(None))}"
        return f"{words} {self.count} selected in {self.group_label(self.value)}"


class EligibilityRule(Frozen):
    """A requirement each application must meet to be selectable, checked on a declared attribute.

    ``{attribute = "partners_cultural", at_least = 1, reason = "§7: cultural competences"}``:
    an application with no cultural partner may not be selected, and its record says why.
    ``at_least`` / ``at_most`` apply to number and money attributes; ``equals`` to one value or
    yes/no (``"true"``); ``any_of`` to one or several values (at least one of them).
    """

    attribute: GroupId
    at_least: float | None = None
    at_most: float | None = None
    equals: str | None = None
    any_of: list[str] | None = None
    reason: NonEmpty
    declared: Attribute | None = None

    @model_validator(mode="after")
    def _one_test(self) -> EligibilityRule:
        given = [k for k in ("at_least", "at_most", "equals", "any_of") if getattr(self, k) is not None]
        if not given:
            raise ValueError(f"eligibility rule on {self.attribute!r} gives no test; "
                             "use at_least, at_most, equals or any_of")
        return self

    def label(self, lang: str = "en") -> str:
        return self.declared.label(lang) if self.declared is not None else self.attribute

    def fails(self, app: Application) -> bool:
        """Whether ``app`` misses this requirement (a missing value misses every test)."""
        v = app.attributes.get(self.attribute)
        if self.at_least is not None or self.at_most is not None:
            if v is None or isinstance(v, (frozenset, str)):
                return True
            x = float(v)
            return (self.at_least is not None and x < self.at_least) or \
                (self.at_most is not None and x > self.at_most)
        have = attribute_values(self.declared, v)
        if self.equals is not None:
            return have != frozenset({self.equals})
        return not (have & set(self.any_of or []))

    def why_not(self, app: Application, lang: str = "en") -> str:
        """Why ``app`` misses this requirement: ``Cultural partners 0, at least 1 required (§7)``."""
        v = app.attributes.get(self.attribute)
        if v is None:
            have = "ingen angivet" if lang == "da" else "none given"
        elif isinstance(v, (frozenset, set)):
            have = ", ".join(sorted(self.declared.value_label(x, lang) if self.declared else x for x in v))
        elif isinstance(v, bool):
            have = ("ja" if v else "nej") if lang == "da" else ("yes" if v else "no")
        else:
            have = f"{v:g}" if lang != "da" else f"{v:g}".replace(".", ",")
        need = self.describe(lang)[len(self.label(lang)) + 1:]
        return f"{self.label(lang)} {have}, {need} " + ("kræves" if lang == "da" else "required") + \
            f" ({self.reason})"

    def describe(self, lang: str = "en") -> str:
        """The requirement in words: ``Cultural partners at least 1``."""
        name = self.label(lang)
        fmt = lambda x: f"{x:g}" if lang != "da" else f"{x:g}".replace(".", ",")  # noqa: E731
        parts = []
        if self.at_least is not None:
            parts.append(f"{'mindst' if lang == 'da' else 'at least'} {fmt(self.at_least)}")
        if self.at_most is not None:
            parts.append(f"{'højst' if lang == 'da' else 'at most'} {fmt(self.at_most)}")
        if self.equals is not None:
            shown = self.declared.value_label(self.equals, lang) if self.declared else self.equals
            parts.append(f"= {shown}")
        if self.any_of is not None:
            choices = [self.declared.value_label(v, lang) if self.declared else v for v in self.any_of]
            parts.append(("en af " if lang == "da" else "one of ") + ", ".join(choices))
        return f"{name} {' '.join(parts)}"


MoneyBasis = Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$", description="'cost' (the stage's "
                       "cost incl. fixed costs), 'grant', 'regional_cofinancing_per_year', "
                       "'total_budget_per_year' or a declared money attribute")]


class ShareRule(Frozen):
    """A share of the money: ``of`` summed over the selected members of a group, as a share of
    ``within`` summed over all selected.

    * group share: ``{kind = "min_share", share = "30 %", group = "focus_area", value = "food"}``
      — at least 30 % of the selected applications' cost goes to food;
    * pool share: ``{kind = "max_share", share = "1/3", of = "regional_cofinancing_per_year",
      within = "total_budget_per_year"}`` — Σ regional ≤ 1/3 of Σ total budgets over the
      selection (the per-application reading is the stage's ``max_regional_share``).

    The share is exact (a fraction or a percentage) with an optional stated tolerance.
    """

    kind: Literal["max_share", "min_share"]
    share: Share
    of: MoneyBasis = "cost"
    within: MoneyBasis = "cost"
    group: GroupId | None = None
    value: str | None = None
    reason: str = ""
    declared: Attribute | None = None


class FixedCost(Frozen):
    """A cost every selected application brings beside its own amount (e.g. 50 h of advice at
    750 per hour), counted in the stage's budget."""

    name_en: NonEmpty
    name_da: NonEmpty
    amount: Money
    note: str = ""


class Exclusive(Frozen):
    """Applications of which at most one may be selected (the same project submitted twice, a
    resubmission, ...)."""

    applications: list[NonEmpty] = Field(min_length=2)
    reason: NonEmpty


class MoneyCap(Frozen):
    """A further budget over the selection: the sum of one or more amounts of each selected
    application at most ``at_most``. With one money attribute per year (``regional_2014``, ...)
    a cap per year and one over the period express a call's per-year budgets::

        money_caps = [
          { name_en = "regional co-financing 2014", name_da = "regional medfinansiering 2014",
            of = ["regional_2014"], at_most = 7500000 },
          { name_en = "regional co-financing 2014-2017", name_da = "regional medfinansiering 2014-2017",
            of = ["regional_2014", "regional_2015", "regional_2016", "regional_2017"], at_most = 30000000 },
        ]
    """

    name_en: NonEmpty
    name_da: NonEmpty
    of: list[MoneyBasis] = Field(min_length=1)
    at_most: Money
    reason: str = ""


class CountRule(Frozen):
    """A count over the applications with money in given amounts: e.g. at most 5 partnerships
    with money in 2014 (``with_money_in = ["regional_2014"]``), or at most 6 with money in any
    year of the period (all four years listed). An application counts when the sum of those
    amounts, as it applied, is above zero::

        count_rules = [
          { name_en = "partnerships with money in 2014", name_da = "partnerskaber med midler i 2014",
            with_money_in = ["regional_2014"], at_most = 5, reason = "§13 the yearly frame" },
        ]
    """

    name_en: NonEmpty
    name_da: NonEmpty
    with_money_in: list[MoneyBasis] = Field(min_length=1)
    at_most: int | None = Field(default=None, ge=0)
    at_least: int | None = Field(default=None, ge=0)
    reason: str = ""

    @model_validator(mode="after")
    def _a_limit(self) -> CountRule:
        if self.at_most is None and self.at_least is None:
            raise ValueError(f"count rule {self.name_en!r}: give at_most, at_least or both")
        if self.at_most is not None and self.at_least is not None and self.at_least > self.at_most:
            raise ValueError(f"count rule {self.name_en!r}: at_least ({self.at_least}) is above at_most "
                             f"({self.at_most})")
        return self


class PartialFunding(Frozen):
    """A stage may fund a selected application at a reduced amount (``partial_funding = {
    min_share = "80 %" }``, or ``{ min_amount = "min_grant" }``: a declared money attribute with
    each application's lowest acceptable amount; both: the higher of the two). The reduced amount
    is the stage's own amount (the grant, or the regional co-financing per year with
    ``budget_basis = "regional_cofinancing_per_year"``), in whole units; fixed costs are never
    reduced. Which selection and which amounts: ``docs/selection.md`` (partial funding)."""

    min_share: Share | None = Field(default=None, description="the lowest share of the requested "
                                    "amount that may be granted: 0.8, '4/5' or '80 %'")
    min_amount: MoneyBasis | None = Field(default=None, description="a declared money attribute: each "
                                          "application's lowest acceptable amount")
    reason: str = ""
    declared: Attribute | None = None  # the min_amount attribute's declaration (filled in by the Call)

    @model_validator(mode="after")
    def _a_bound(self) -> PartialFunding:
        if self.min_share is None and self.min_amount is None:
            raise ValueError("partial_funding needs min_share (e.g. \"80 %\"), min_amount (a money "
                             "attribute) or both")
        return self

    def describe(self, lang: str = "en") -> str:
        """``at least 80% of the requested amount`` / ``mindst 80 % af det ansøgte beløb`` (each
        language's way of writing a percentage, as the report writes it)."""
        parts = []
        if self.min_share is not None:
            pct = f"{float(self.min_share.limit('min')) * 100:.4g}"
            pct = f"{pct.replace('.', ',')} %" if lang == "da" else f"{pct}%"
            parts.append(f"mindst {pct} af det ansøgte beløb" if lang == "da"
                         else f"at least {pct} of the requested amount")
        if self.min_amount is not None:
            name = self.min_amount if self.declared is None else \
                (self.declared.label_da if lang == "da" else self.declared.label_en)
            parts.append(f"mindst {first_lower(name)}" if lang == "da" else f"at least the {first_lower(name)}")
        return (" og " if lang == "da" else " and ").join(parts)


def _partial_funding_problems(i: int, st: Any, pf: PartialFunding, attrs: dict[str, Attribute]) -> list[str]:
    """What makes a stage's partial funding impossible to keep exactly.

    The program decides which selections are possible with every reducible amount at its lowest
    (``Stage.cost(app, lowest=True)``). That is exact when a reduction never hurts a rule: true
    of budgets, money caps and counts; a share rule is kept only when the reduced amount is its
    ``of`` of a cap (or its ``within`` of a floor), not on the side a reduction would push over.
    """
    out = []
    where = f"stages[{i}].partial_funding"
    if pf.min_amount is not None and (pf.min_amount not in attrs or attrs[pf.min_amount].type not in ("money", "number")):
        out.append(f"{where}: min_amount {pf.min_amount!r} is not a declared money attribute; declare it "
                   "(type = \"money\") with each application's lowest acceptable amount")
    cut = {"cost", st.funded_basis}
    for k, sh in enumerate(st.shares):
        of_cut, within_cut = sh.of in cut, sh.within in cut
        ok = (not within_cut or (of_cut and sh.group is None)) if sh.kind == "max_share" else not of_cut
        if not ok:
            out.append(f"stages[{i}].shares[{k}]: with partial funding this share cannot be kept exactly: "
                       f"reducing {st.funded_basis} could push it over its {'cap' if sh.kind == 'max_share' else 'floor'}. "
                       "Fix: state the share over amounts that partial funding does not reduce (e.g. "
                       "total_budget_per_year), or leave partial_funding out of this stage")
    return out


class ForcedDecision(Frozen):
    """An application forced into or out of a stage's selection, with the reason recorded
    (``reason = "..."`` or ``reason = { en = "...", da = "..." }``)."""

    application: NonEmpty
    include: bool
    reason: NonEmpty
    reason_da: str = ""

    @model_validator(mode="before")
    @classmethod
    def _two_languages(cls, data: Any) -> Any:
        return _bilingual_reason(data)


class Lottery(Frozen):
    """A partial lottery among a stage's gray zone (needs ``panel_model = "bayes"``; see
    ``docs/bayes.md``). The seed is fixed in advance: ``seed``, or ``public_seed``, a public
    value named in the call file (its SHA-256 is the seed); neither: the call's seed + the
    stage number."""

    enabled: bool = True
    seed: int | None = Field(default=None, ge=0, description="the lottery's seed, fixed in advance")
    public_seed: str | None = Field(default=None, min_length=1, description="a public value (e.g. a "
                                    "national lottery result) whose SHA-256 is the seed")
    repeats: int = Field(default=1000, ge=100, description="repetitions of the draw estimating each "
                         "application's chance (exact for small gray zones)")

    @model_validator(mode="after")
    def _one_seed(self) -> Lottery:
        if self.seed is not None and self.public_seed is not None:
            raise ValueError("give the lottery either seed or public_seed, not both")
        return self


def _parse_share_cap(data: Any) -> Any:
    """``max_regional_share`` given as ``'1/3'``, ``'33 %'`` or ``{value, tolerance}``: the cap
    plus its tolerance, as a number."""
    if isinstance(data, dict) and isinstance(data.get("max_regional_share"), (str, dict)):
        data = dict(data)
        data["max_regional_share"] = float(Share.model_validate(data["max_regional_share"]).limit("max"))
    return data


_MONTHS = {"en": ("January", "February", "March", "April", "May", "June", "July", "August", "September",
                  "October", "November", "December"),
           "da": ("januar", "februar", "marts", "april", "maj", "juni", "juli", "august", "september",
                  "oktober", "november", "december")}


def call_date(value: Any) -> Any:
    """A date of the call as written: a TOML date (``2012-08-28``), or text ``"2012-08-28"``,
    ``"2012-12"`` (a month, as the call's time table gives most dates) or ``"2013"`` (a year);
    kept as that ISO text. Anything else, or a day that does not exist, is refused."""
    import datetime as _dt

    if isinstance(value, _dt.datetime):
        raise ValueError("give a date without a time of day, e.g. 2013-01-18")
    if isinstance(value, _dt.date):
        return value.isoformat()
    if not isinstance(value, str):
        return value
    text = value.strip()
    m = re.fullmatch(r"(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?", text)
    if m is None:
        raise ValueError(f"{value!r} is not a date; write 2013-01-18 (a day), \"2012-12\" (a month) or "
                         "\"2013\" (a year)")
    year, month, day = int(m.group(1)), m.group(2), m.group(3)
    if month is not None and not 1 <= int(month) <= 12:
        raise ValueError(f"{value!r}: there is no month {month}; write the month as 01 to 12")
    if day is not None:
        try:
            _dt.date(year, int(month), int(day))
        except ValueError:
            raise ValueError(f"{value!r}: there is no such day") from None
    return text


#: A date of the call: ``"2012-08-28"``, ``"2012-12"`` (a month) or ``"2013"`` (a year), as ISO text.
CallDate = Annotated[str, BeforeValidator(call_date)]


def date_bounds(text: str) -> tuple[str, str]:
    """The first and last day a call date covers, as ISO text (for ordering dates of different
    precision): ``"2012-12"`` -> ``("2012-12-01", "2012-12-31")``.

    >>> date_bounds("2013-02"), date_bounds("2013"), date_bounds("2012-08-28")
    (('2013-02-01', '2013-02-28'), ('2013-01-01', '2013-12-31'), ('2012-08-28', '2012-08-28'))
    """
    import calendar

    parts = text.split("-")
    if len(parts) == 3:
        return text, text
    if len(parts) == 2:
        y, m = int(parts[0]), int(parts[1])
        return f"{text}-01", f"{text}-{calendar.monthrange(y, m)[1]:02d}"
    return f"{text}-01-01", f"{text}-12-31"


def format_date(text: str, lang: str = "en") -> str:
    """A call date in words: ``28 August 2012`` / ``28. august 2012``, ``December 2012`` /
    ``december 2012``, ``2013``.

    >>> format_date("2012-08-28"), format_date("2012-08-28", "da"), format_date("2012-12", "da")
    ('28 August 2012', '28. august 2012', 'december 2012')
    """
    parts = text.split("-")
    months = _MONTHS["da" if lang == "da" else "en"]
    if len(parts) == 3:
        day = int(parts[2])
        return f"{day}. {months[int(parts[1]) - 1]} {parts[0]}" if lang == "da" else \
            f"{day} {months[int(parts[1]) - 1]} {parts[0]}"
    if len(parts) == 2:
        return f"{months[int(parts[1]) - 1]} {parts[0]}"
    return text


class Window(Frozen):
    """A period of the call: ``{ start = "2012-12", end = "2013-01" }`` (``end`` may be left out
    for a single date or month). Dates are days, months or years (:data:`CallDate`)."""

    start: CallDate
    end: CallDate | None = None

    @model_validator(mode="after")
    def _ordered(self) -> Window:
        if self.end is not None and date_bounds(self.end)[1] < date_bounds(self.start)[0]:
            raise ValueError(f"the period ends ({self.end}) before it starts ({self.start}); swap start and end")
        return self

    def describe(self, lang: str = "en") -> str:
        """``December 2012 – January 2013`` / ``december 2012 – januar 2013``."""
        if self.end is None or self.end == self.start:
            return format_date(self.start, lang)
        return f"{format_date(self.start, lang)} – {format_date(self.end, lang)}"


class Milestone(Frozen):
    """One line of the call's time table (e.g. §10 *Proces og tidsplan*): what happens, in Danish
    and English, and when (a date or a period)."""

    name_da: NonEmpty
    name_en: NonEmpty
    start: CallDate
    end: CallDate | None = None
    note: str = Field(default="", description="a remark: text, or { en = \"...\", da = \"...\" }")
    note_da: str = ""

    @model_validator(mode="before")
    @classmethod
    def _two_languages(cls, data: Any) -> Any:
        if isinstance(data, dict) and isinstance(data.get("note"), dict):
            both = {k: str(v) for k, v in data["note"].items()}
            unknown = sorted(set(both) - {"en", "da"})
            if unknown:
                raise ValueError(f"note has unknown language keys {', '.join(unknown)}; use en and da")
            data = {**data, "note": both.get("en", ""), "note_da": both.get("da", "")}
        return data

    @model_validator(mode="after")
    def _ordered(self) -> Milestone:
        Window(start=self.start, end=self.end)  # the same check, and the same message
        return self

    @property
    def window(self) -> Window:
        return Window(start=self.start, end=self.end)

    def label(self, lang: str = "en") -> str:
        return self.name_da if lang == "da" else self.name_en


class Board(Frozen):
    """Who recommends and who decides (``[board]`` in the call file), and the board's decision
    file (``docs/decisions.md``): the secretariat *recommends* (indstiller) the engine's selection;
    the board (e.g. Vækstforum) *decides*. The decision file is a CSV in the call folder with one
    row per application the board decided on: ``stage, application_id, decision (selected /
    not_selected), reason_en, reason_da, decided_by, decided_on``."""

    name_da: NonEmpty = Field(description="the deciding body, e.g. 'Vækstforum'")
    name_en: NonEmpty
    recommender_da: str = Field(default="Sekretariatet", description="who recommends")
    recommender_en: str = "The secretariat"
    decisions: str | None = Field(default=None, description="the decision file, relative to the call "
                                  "file; leave it out until the board has decided")

    def label(self, lang: str = "en") -> str:
        return self.name_da if lang == "da" else self.name_en

    def recommender(self, lang: str = "en") -> str:
        return self.recommender_da if lang == "da" else self.recommender_en


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
    max_regional_share: float | None = Field(
        default=None, ge=0, le=1, description="cap on each application's regional share; given as "
        "a number (0.33), a fraction ('1/3'), a percentage ('33 %') or {value = '33 %', tolerance = "
        "'0.5 %'}; kept as the cap plus its tolerance")
    fixed_costs: list[FixedCost] = Field(
        default_factory=list, description="costs each selected application brings beside its own "
        "amount (counted in the budget)")
    eligibility: list[EligibilityRule] = Field(default_factory=list)
    shares: list[ShareRule] = Field(default_factory=list)
    mutually_exclusive: list[Exclusive] = Field(default_factory=list)
    money_caps: list[MoneyCap] = Field(default_factory=list, description="further budgets, e.g. one "
                                       "per year and one over the period (see MoneyCap)")
    count_rules: list[CountRule] = Field(default_factory=list, description="counts over the applications "
                                         "with money in given amounts, e.g. per year (see CountRule)")
    partial_funding: PartialFunding | None = Field(default=None, description="fund a selected application "
                                                   "at a reduced amount within stated bounds (off by default)")
    reserve: int = Field(default=0, ge=0, description="length of the ordered reserve list")
    currency: Currency = Field(default_factory=Currency, description="filled in from the call")
    min_experts: int = Field(default=1, ge=1, description="fewest experts that must score each application")
    experts_per_application: int | None = Field(
        default=None, ge=1, description="experts 'selection assign' gives each application "
        "(default: min_experts)")
    expert_continuity: Literal["free", "keep", "forbid"] = Field(
        default="free", description="stage assignment: keep the earlier stage's experts as far as "
        "possible, forbid them (a fresh view), or neither")
    aggregation: Literal["mean", "median", "trimmed_mean"] = "mean"
    trim: float = Field(default=0.1, ge=0, lt=0.5, description="share cut from each end by trimmed_mean")
    calibration: Literal["none", "zscore", "additive"] = "none"
    divergence_range: float = Field(default=2.0, gt=0, description="score range that flags a divergence")
    ranking_method: RankingMethodName = "weighted_sum"
    ranking_params: dict[str, Any] = Field(
        default_factory=dict,
        description="the ranking method's parameters, e.g. {v = 0.5} for VIKOR, "
        "{normalization = 'minmax'} for TOPSIS, {preference_functions = {udsyn = {function = "
        "'linear', q = 0.5, p = 2}}} for PROMETHEE II")
    objective: Literal["score", "rank", "score_per_dkk", "funding_line"] = Field(
        default="score", description="what the selection maximises: weighted panel score, "
        "rank-based value, value per unit of the stage's cost, or 'funding_line': best-ranked "
        "first subject to every rule (lexicographic)")
    constraints: list[Constraint] = Field(default_factory=list)
    forced: list[ForcedDecision] = Field(default_factory=list)
    window: Window | None = Field(default=None, description="when the stage's selection takes place "
                                  "(e.g. { start = \"2012-12\", end = \"2013-01\" }); shown on the score "
                                  "sheets and in the report")
    scores_due: CallDate | None = Field(default=None, description="the deadline for the experts' "
                                        "scores (shown on the score sheets)")
    decision_on: CallDate | None = Field(default=None, description="when the board decides the stage")
    assessments: str | None = Field(default=None, description="a folder (relative to the call file) of "
                                    "the operator's written assessments, one file per application: "
                                    "<application_id>.md or .txt, or .da.md / .en.md per language")
    panel_model: Literal["aggregate", "bayes"] = Field(
        default="aggregate", description="'aggregate': panel scores by the aggregation and calibration "
        "above; 'bayes': the Bayesian panel model's posterior means (docs/bayes.md)")
    lottery: Lottery | None = Field(default=None, description="partial lottery among the gray zone")

    @model_validator(mode="after")
    def _dates_in_order(self) -> Stage:
        if self.scores_due is not None and self.decision_on is not None and \
                date_bounds(self.scores_due)[0] > date_bounds(self.decision_on)[1]:
            raise ValueError(f"stage {self.number}: the scores are due ({self.scores_due}) after the board "
                             f"decides ({self.decision_on}); correct scores_due or decision_on")
        return self

    @model_validator(mode="after")
    def _lottery_needs_bayes(self) -> Stage:
        if self.lottery is not None and self.lottery.enabled and self.panel_model != "bayes":
            raise ValueError(f"stage {self.number}: the lottery needs the Bayesian panel model; "
                             "set panel_model = \"bayes\" in this stage")
        return self

    @model_validator(mode="before")
    @classmethod
    def _share_cap(cls, data: Any) -> Any:
        return _parse_share_cap(data)

    @property
    def fixed_cost(self) -> int:
        """The fixed costs each selected application brings, together."""
        return sum(f.amount for f in self.fixed_costs)

    def cost(self, app: Application, lowest: bool = False) -> int:
        """What an application costs against :attr:`budget` in this stage: its own amount (grant
        or co-financing per year) plus the stage's fixed costs per selected application.
        ``lowest``: with its own amount at the lowest that :attr:`partial_funding` allows."""
        return (self.lowest_funded(app) if lowest else self.funded(app)) + self.fixed_cost

    @property
    def funded_basis(self) -> str:
        """The amount this stage pays and partial funding may reduce: ``grant`` or
        ``regional_cofinancing_per_year`` (the :attr:`budget_basis`)."""
        return self.budget_basis

    def funded(self, app: Application) -> int:
        """The application's own amount in this stage, as requested (no fixed costs)."""
        if self.budget_basis == "grant":
            return app.grant_requested.get(self.number, 0)
        return app.regional_cofinancing_per_year

    def lowest_funded(self, app: Application) -> int:
        """The lowest amount the stage may grant the application (:attr:`partial_funding`): the
        requested amount times ``min_share`` rounded up to a whole unit, and at least its
        ``min_amount`` (never above the requested amount; an application without a value in the
        ``min_amount`` attribute may not be reduced below ``min_share``, or at all without one).
        Without partial funding: the requested amount."""
        full = self.funded(app)
        pf = self.partial_funding
        if pf is None:
            return full
        low = 0
        if pf.min_share is not None:
            low = math.ceil(pf.min_share.limit("min") * full)
        if pf.min_amount is not None:
            v = app.attributes.get(pf.min_amount)
            if isinstance(v, (int, float)) and not isinstance(v, bool):
                low = max(low, math.ceil(v))
            elif pf.min_share is None:  # no lowest amount given for it: it may not be reduced
                low = full
        return min(full, low)

    def amount(self, app: Application, basis: str, lowest: bool = False) -> int:
        """An application's money under ``basis`` (see :class:`ShareRule`); ``lowest``: the
        stage's own amount at the lowest that :attr:`partial_funding` allows."""
        if basis == "cost":
            return self.cost(app, lowest)
        if lowest and basis == self.funded_basis:
            return self.lowest_funded(app)
        if basis == "grant":
            return app.grant_requested.get(self.number, 0)
        if basis in ("regional_cofinancing_per_year", "total_budget_per_year"):
            return int(getattr(app, basis))
        v = app.attributes.get(basis, 0)
        return int(v) if isinstance(v, (int, float)) and not isinstance(v, bool) else 0


class AssignmentRules(Frozen):
    """How ``selection assign`` gives experts to applications (``[assignment]`` in the call file).

    See ``docs/assignment.md``. Loads are per stage; ``max_load`` unset means the balanced load
    ``ceil(applications x experts_per_application / experts)``.
    """

    min_load: int = Field(default=0, ge=0)
    max_load: int | None = Field(default=None, ge=1)
    exclude_same_organisation: bool = Field(
        default=False, description="no expert whose affiliation is the applicant's lead organisation")
    exclude_same_municipality: bool = Field(
        default=False, description="no expert from the applicant's municipality")
    require_kinds: list[NonEmpty] = Field(
        default_factory=list, description="each application gets at least one expert of each kind")
    max_per_affiliation: int | None = Field(
        default=None, ge=1, description="most experts of one affiliation on one application")
    expertise_attributes: list[NonEmpty] = Field(
        default_factory=list, description="application attributes matched against the experts' "
        "declared expertise (default: every text or set-of-texts attribute but municipality)")
    mode: Literal["total", "fair"] = Field(
        default="total", description="'total': most total fit; 'fair': the worst-served "
        "application's fit first (PeerReview4All), then the total")

    @model_validator(mode="after")
    def _loads(self) -> AssignmentRules:
        if self.max_load is not None and self.min_load > self.max_load:
            raise ValueError(f"min_load ({self.min_load}) exceeds max_load ({self.max_load})")
        return self


class Call(Frozen):
    """A funding call with its stages."""

    schema_version: Literal[1]
    id: Annotated[str, Field(pattern=r"^[a-z0-9_-]+$")]
    name: NonEmpty
    name_en: str = ""
    operator: str = ""
    currency: Currency = Field(default_factory=Currency, description="'EUR' or {code = 'DKK', "
                               "symbol_da = 'kr.'}; every amount is written in it")
    vocabulary: str | None = Field(default=None, description="a TOML file (relative to the call "
                                   "file) declaring [[attributes]]; read by the loader")
    attributes: list[Attribute] = Field(default_factory=list, description="the application "
                                        "attributes this call declares (columns of applications.csv)")
    applications: str = "applications.csv"
    experts: str = "experts.csv"
    assignments: str | None = "assignments.csv"
    scores_outside_assignment: Literal["refuse", "count"] = Field(
        default="refuse", description="a score by an expert for an application not assigned to "
        "them: 'refuse' (an error naming file, row and application) or 'count' (counted and listed "
        "in the panel output, outside-assignment.csv)")
    scores: str = "scores"
    seed: int = Field(default=0, ge=0, description="seed for lotteries and sampling")
    selection_mode: Literal["sequential", "linked"] = Field(
        default="sequential", description="'linked': choose stage 1 so that the best later-stage "
        "selection within it is as good as possible")
    stages: list[Stage] = Field(min_length=1)
    assignment: AssignmentRules = AssignmentRules()
    timeline: list[Milestone] = Field(default_factory=list, description="the call's time table "
                                      "(what happens when), shown in the report")
    board: Board | None = Field(default=None, description="who recommends, who decides, and the "
                                "board's decision file")

    @model_validator(mode="before")
    @classmethod
    def _declare(cls, data: Any) -> Any:
        """Give every stage the call's currency and every rule its attribute's declaration."""
        if not isinstance(data, dict):
            return data
        data = dict(data)
        declared = {}
        for a in data.get("attributes") or []:
            d = a.model_dump() if isinstance(a, BaseModel) else a
            if isinstance(d, dict) and "id" in d:
                declared[d["id"]] = d
        currency = data.get("currency", "DKK")
        currency = currency.model_dump() if isinstance(currency, BaseModel) else currency
        stages = []
        for st in data.get("stages") or []:
            st = st.model_dump() if isinstance(st, BaseModel) else st
            if not isinstance(st, dict):
                stages.append(st)
                continue
            st = {**st, "currency": currency}
            for key, field in (("constraints", "group"), ("eligibility", "attribute"), ("shares", "group")):
                rules = []
                for r in st.get(key) or []:
                    r = r.model_dump() if isinstance(r, BaseModel) else r
                    if isinstance(r, dict):
                        r = {**r, "declared": declared.get(r.get(field))}
                    rules.append(r)
                if key in st:
                    st[key] = rules
            pf = st.get("partial_funding")
            pf = pf.model_dump() if isinstance(pf, BaseModel) else pf
            if isinstance(pf, dict) and pf.get("min_amount"):  # its label, for the rule's words
                st["partial_funding"] = {**pf, "declared": declared.get(pf["min_amount"])}
            stages.append(st)
        if "stages" in data:
            data["stages"] = stages
        return data

    @model_validator(mode="after")
    def _rules_use_declared(self) -> Call:
        """Every rule names a declared attribute (or a built-in group) and a declared value."""
        attrs = {a.id: a for a in self.attributes}
        ids = [a.id for a in self.attributes]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        problems = [f"attribute(s) {', '.join(dupes)} declared twice"] if dupes else []
        known = ", ".join([*attrs, *BUILTIN_GROUPS]) or "none declared"
        money = {"cost", "grant", "regional_cofinancing_per_year", "total_budget_per_year"} | \
            {a.id for a in self.attributes if a.type in ("money", "number")}

        def check_value(where: str, attr: Attribute, value: str) -> None:
            allowed = attr.value_ids()
            if allowed and value not in allowed:
                problems.append(f"{where}: {attr.label_en} ({attr.id}) has no value {value!r}; use one "
                                f"of {', '.join(allowed)}")

        for i, st in enumerate(self.stages):
            for k, c in enumerate(st.constraints):
                where = f"stages[{i}].constraints[{k}]"
                if c.group in BUILTIN_GROUPS:
                    continue
                if c.group not in attrs:
                    problems.append(f"{where}: group {c.group!r} is not a declared attribute; use one "
                                    f"of {known}")
                elif attrs[c.group].type in ("number", "money"):
                    problems.append(f"{where}: {attrs[c.group].label_en} ({c.group}) is a "
                                    f"{attrs[c.group].type}; count rules need a one, several or yes_no "
                                    "attribute (use an eligibility or share rule)")
                elif c.value is not None:
                    check_value(where, attrs[c.group], c.value)
            for k, e in enumerate(st.eligibility):
                where = f"stages[{i}].eligibility[{k}]"
                if e.attribute not in attrs:
                    problems.append(f"{where}: {e.attribute!r} is not a declared attribute; use one of "
                                    f"{', '.join(attrs) or 'none declared'}")
                    continue
                a = attrs[e.attribute]
                if (e.at_least is not None or e.at_most is not None) and a.type not in ("number", "money"):
                    problems.append(f"{where}: at_least/at_most need a number or money attribute; "
                                    f"{a.label_en} ({a.id}) is {a.type!r}")
                for v in ([e.equals] if e.equals is not None else []) + list(e.any_of or []):
                    check_value(where, a, v)
            for k, mc in enumerate(st.money_caps):
                for basis in mc.of:
                    if basis not in money:
                        problems.append(f"stages[{i}].money_caps[{k}]: {basis!r} is not an amount; use "
                                        "cost, grant, regional_cofinancing_per_year, total_budget_per_year "
                                        "or a declared money attribute")
            for k, sh in enumerate(st.shares):
                where = f"stages[{i}].shares[{k}]"
                for basis in (sh.of, sh.within):
                    if basis not in money:
                        problems.append(f"{where}: {basis!r} is not an amount; use cost, grant, "
                                        "regional_cofinancing_per_year, total_budget_per_year or a "
                                        "declared money attribute")
                if sh.group is not None and sh.group not in BUILTIN_GROUPS:
                    if sh.group not in attrs:
                        problems.append(f"{where}: group {sh.group!r} is not a declared attribute; use "
                                        f"one of {known}")
                    elif sh.value is not None:
                        check_value(where, attrs[sh.group], sh.value)
            for k, cr in enumerate(st.count_rules):
                for basis in cr.with_money_in:
                    if basis not in money:
                        problems.append(f"stages[{i}].count_rules[{k}]: {basis!r} is not an amount; use "
                                        "cost, grant, regional_cofinancing_per_year, total_budget_per_year "
                                        "or a declared money attribute")
            pf = st.partial_funding
            if pf is not None:
                problems += _partial_funding_problems(i, st, pf, attrs)
        if problems:
            raise ValueError("; ".join(problems))
        return self

    def attribute(self, attribute_id: str) -> Attribute:
        """The declared attribute ``attribute_id`` (:class:`KeyError` if undeclared)."""
        for a in self.attributes:
            if a.id == attribute_id:
                return a
        raise KeyError(attribute_id)

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
            earlier = self.stage(s.from_stage) if s.from_stage is not None else None
            if earlier is not None and earlier.window is not None and s.window is not None and \
                    date_bounds(s.window.start)[1] < date_bounds(earlier.window.start)[0]:
                raise ValueError(f"stage {s.number} starts ({s.window.start}) before stage {earlier.number}, "
                                 f"which it chooses from ({earlier.window.start}); correct the windows")
            if self.selection_mode == "linked" and s.lottery is not None and s.lottery.enabled:
                raise ValueError(f"stage {s.number}: the partial lottery is not available in the linked "
                                 "selection mode; use selection_mode = \"sequential\" or disable the lottery")
        return self

    def stage(self, number: int) -> Stage:
        for s in self.stages:
            if s.number == number:
                return s
        raise KeyError(number)


class StageOverride(Frozen):
    """What a scenario changes in one stage. Unset fields keep the call's value."""

    @model_validator(mode="before")
    @classmethod
    def _share_cap(cls, data: Any) -> Any:
        return _parse_share_cap(data)

    weights: dict[str, Annotated[float, Field(ge=0)]] | None = Field(default=None, description="criterion id -> weight")
    thresholds: dict[str, float | None] | None = Field(default=None, description="criterion id -> minimum (or none)")
    overall_threshold: float | None = None
    tie_breaks: list[str] | None = None
    max_selected: int | None = Field(default=None, ge=1)
    aggregation: Literal["mean", "median", "trimmed_mean"] | None = None
    trim: float | None = Field(default=None, ge=0, lt=0.5, description="share cut from each end by trimmed_mean")
    calibration: Literal["none", "zscore", "additive"] | None = None
    ranking_method: RankingMethodName | None = None
    ranking_params: dict[str, Any] | None = None
    objective: Literal["score", "rank", "score_per_dkk", "funding_line"] | None = None
    group_weights: dict[str, float] | None = Field(default=None, description="principle -> weight (hierarchical)")
    overall_threshold_basis: Literal["weighted_total", "sum"] | None = None
    budget: Money | None = None
    total_budget_cap_per_year: Money | None = None
    max_regional_share: float | None = Field(default=None, ge=0, le=1, description="as the stage's: "
                                             "0.33, '1/3', '33 %' or {value = '33 %', tolerance = '0.5 %'}")
    constraints: list[Constraint] | None = Field(default=None, description="replace the stage's constraints")
    add_constraints: list[Constraint] = Field(default_factory=list)
    forced: list[ForcedDecision] = Field(default_factory=list, description="added to the stage's forced decisions")
    panel_model: Literal["aggregate", "bayes"] | None = None
    lottery: Lottery | None = Field(default=None, description="replace the stage's lottery settings")
    partial_funding: PartialFunding | None = Field(default=None, description="replace the stage's partial "
                                                   "funding: { min_share = \"90 %\" } (docs/selection.md)")


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
    #: The description in Danish (``description = { en = "...", da = "..." }`` in the file).
    description_da: str = ""
    stages: dict[int, StageOverride] = Field(default_factory=dict)
    solver: Literal["cbc", "highs"] | None = None
    seed: int | None = Field(default=None, ge=0)
    selection_mode: Literal["sequential", "linked"] | None = None

    @model_validator(mode="before")
    @classmethod
    def _bilingual(cls, data: Any) -> Any:
        """``description = { en = "...", da = "..." }`` -> ``description`` and ``description_da``."""
        if isinstance(data, dict) and isinstance(data.get("description"), dict):
            both = dict(data["description"])
            unknown = sorted(set(both) - {"en", "da"})
            if unknown or not str(both.get("en", "")).strip():
                raise ValueError("description must be a text or { en = \"...\", da = \"...\" } with an English "
                                 "text" + (f"; unknown language keys: {', '.join(unknown)}" if unknown else ""))
            data = {**data, "description": both["en"], "description_da": both.get("da", "")}
        return data


__all__ += ["StageOverride", "Scenario", "first_lower"]
