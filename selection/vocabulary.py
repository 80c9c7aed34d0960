"""A call's declared vocabulary: application attributes, their values and the call's currency.

Nothing about any particular call lives in the engine: the creative industries, focus areas and
municipalities of *KREATIVE PARTNERSKABER*, the countries of a Horizon Europe call or the panels
of a research council are declared by the call (inline in ``call.toml`` as ``[[attributes]]`` or
in a vocabulary file it names with ``vocabulary = "vocabulary.toml"``). Every declared attribute
is one column of ``applications.csv`` and can be used in selection rules, eligibility rules,
tie-breaks, figures and reports; messages name it by its label.

An attribute has a type:

``one``
    one value per application (a text; from ``values`` when they are declared);
``several``
    a set of values (``|``-separated in the table; from ``values`` when declared);
``yes_no``
    true or false;
``number``
    a number (e.g. a count of cultural partners);
``money``
    whole currency units (the call's currency).

This module must not import numpy, pandas, pulp or matplotlib (like :mod:`selection.model`).

>>> a = Attribute.model_validate({"id": "country", "label_da": "Land", "label_en": "Country",
...                              "type": "one", "values": [{"id": "DK", "label_da": "Danmark",
...                              "label_en": "Denmark"}]})
>>> a.value_label("DK", "da"), a.describe("DK")
('Danmark', 'country Denmark')
>>> Currency.model_validate("EUR").format(7_500_000)
'7,500,000 EUR'
>>> Currency().format(2_000_000, "da")
'2.000.000 kr.'
"""

from __future__ import annotations

from fractions import Fraction
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

__all__ = ["Attribute", "AttributeValue", "AttributeType", "Currency", "Share", "BUILTIN_GROUPS",
           "attribute_values", "parse_share"]

AttributeType = Literal["one", "several", "yes_no", "number", "money"]

#: Groups every call has without declaring them: the lead organisation and "all applications".
BUILTIN_GROUPS: dict[str, tuple[str, str]] = {
    "lead_organisation": ("hovedansøger", "lead organisation"),
    "any": ("alle ansøgninger", "all applications"),
}


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True)


class AttributeValue(_Frozen):
    """One value of a declared attribute, with its Danish and English label."""

    id: Annotated[str, Field(min_length=1)]
    label_da: Annotated[str, Field(min_length=1)]
    label_en: Annotated[str, Field(min_length=1)]


class Attribute(_Frozen):
    """One declared application attribute (a column of ``applications.csv``)."""

    id: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]*$")]
    label_da: Annotated[str, Field(min_length=1)]
    label_en: Annotated[str, Field(min_length=1)]
    label_da_definite: str = Field(default="", description="the Danish label in its definite form "
                                   "for phrases ('branchen' in 'loftet for branchen Arkitektur')")
    type: AttributeType
    column: str | None = Field(default=None, description="column name in applications.csv "
                               "(default: the id)")
    required: bool = Field(default=False, description="every application must give a value")
    values: list[AttributeValue] = Field(
        default_factory=list, description="the allowed values (for 'one' and 'several'); empty: "
        "any text")
    note: str = Field(default="", description="where the vocabulary comes from (e.g. '§1.1')")

    @model_validator(mode="after")
    def _check(self) -> Attribute:
        if self.values and self.type not in ("one", "several"):
            raise ValueError(f"attribute {self.id!r} of type {self.type!r} cannot list values; "
                             "only 'one' and 'several' take a vocabulary")
        ids = [v.id for v in self.values]
        dupes = sorted({i for i in ids if ids.count(i) > 1})
        if dupes:
            raise ValueError(f"attribute {self.id!r} lists the value(s) {', '.join(dupes)} twice")
        if self.id in BUILTIN_GROUPS:
            raise ValueError(f"{self.id!r} is built in; give the attribute another id")
        return self

    @property
    def column_name(self) -> str:
        """The column of ``applications.csv`` this attribute is read from."""
        return self.column or self.id

    def label(self, lang: str = "en") -> str:
        """The attribute's name in Danish (``"da"``) or English."""
        return self.label_da if lang == "da" else self.label_en

    def value_ids(self) -> list[str]:
        """The declared values (``["true", "false"]`` for yes/no), in declaration order."""
        if self.type == "yes_no":
            return ["true", "false"]
        return [v.id for v in self.values]

    def value_label(self, value: str, lang: str = "en") -> str:
        """A value in words: its declared label, ``ja``/``nej`` for yes/no, else the value."""
        for v in self.values:
            if v.id == value:
                return v.label_da if lang == "da" else v.label_en
        if self.type == "yes_no":
            return {"true": ("ja", "yes"), "false": ("nej", "no")}.get(value, (value, value))[lang != "da"]
        return value

    def describe(self, value: str, lang: str = "en") -> str:
        """The group of applications with ``value``: ``country Denmark``, ``rural areas: no``."""
        if self.type == "yes_no":
            if value == "true":
                return self.label(lang)
            return f"{'ikke' if lang == 'da' else 'not'} {self.label(lang)}"
        name = self.label(lang)
        return f"{name[:1].lower() + name[1:] if not name[:2].isupper() else name} " \
               f"{self.value_label(value, lang)}"


def attribute_values(attribute: Attribute | None, value: Any) -> frozenset[str]:
    """The group values an application's attribute value falls in (``"true"``/``"false"`` for
    yes/no, the set for several values, the text for one value)."""
    if value is None:
        return frozenset()
    if isinstance(value, bool):
        return frozenset({"true" if value else "false"})
    if isinstance(value, (set, frozenset, list, tuple)):
        return frozenset(str(v) for v in value)
    if isinstance(value, float) and value.is_integer():
        return frozenset({str(int(value))})
    return frozenset({str(value)})


class Currency(_Frozen):
    """The call's currency and how amounts are written in each language.

    Given in ``call.toml`` as a code (``currency = "EUR"``) or a table
    (``currency = {code = "DKK", symbol_da = "kr."}``).
    """

    code: Annotated[str, Field(pattern=r"^[A-Z]{3}$")] = "DKK"
    symbol_en: str = ""
    symbol_da: str = ""

    @model_validator(mode="before")
    @classmethod
    def _from_code(cls, data: Any) -> Any:
        if isinstance(data, str):
            return {"code": data}
        return data

    def symbol(self, lang: str = "en") -> str:
        """``DKK`` / ``kr.`` (Danish kroner in Danish), else the code."""
        if lang == "da":
            return self.symbol_da or ("kr." if self.code == "DKK" else self.code)
        return self.symbol_en or self.code

    def format(self, amount: float, lang: str = "en") -> str:
        """A whole amount with thousands separators: ``2,000,000 DKK`` / ``2.000.000 kr.``."""
        text = f"{amount:,.0f}"
        if lang == "da":
            text = text.replace(",", ".")
        return f"{text} {self.symbol(lang)}"


def parse_share(value: Any) -> Fraction:
    """A share given as a fraction ``"1/3"``, a percentage ``"33 %"`` or a number ``0.33``.

    >>> parse_share("1/3"), parse_share("33 %"), parse_share(0.5)
    (Fraction(1, 3), Fraction(33, 100), Fraction(1, 2))
    """
    if isinstance(value, Fraction):
        out = value
    elif isinstance(value, bool):
        raise ValueError(f"a share must be a fraction, a percentage or a number, not {value!r}")
    elif isinstance(value, (int, float)):
        out = Fraction(str(value))
    elif isinstance(value, str):
        text = value.strip().replace(",", ".")
        try:
            if text.endswith("%"):
                out = Fraction(text[:-1].strip()) / 100
            else:
                out = Fraction(text)
        except (ValueError, ZeroDivisionError):
            raise ValueError(f"{value!r} is not a share; write a fraction ('1/3'), a percentage "
                             "('33 %') or a number (0.33)") from None
    else:
        raise ValueError(f"a share must be a fraction, a percentage or a number, not {value!r}")
    if not 0 <= out <= 1:
        raise ValueError(f"share {value!r} is outside 0-1")
    return out


class Share(_Frozen):
    """A share cap or floor as written in the call, with a stated tolerance.

    ``value`` is exact (``"1/3"`` stays one third); ``tolerance`` (a share, e.g. ``"0.5 %"``) is
    added to a cap and subtracted from a floor, so that a cap written as "33 %" in a call whose
    budget reads 7.5 of 22.5 M can be kept with the 33.3 % that budget gives.

    >>> s = Share.model_validate({"value": "33 %", "tolerance": "0.5 %"})
    >>> s.allows(Fraction(75, 225)), float(s.limit("max"))
    (True, 0.335)
    """

    value: Fraction
    tolerance: Fraction = Fraction(0)

    @model_validator(mode="before")
    @classmethod
    def _parse(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            data = {"value": data}
        out = dict(data)
        out["value"] = parse_share(out.get("value"))
        out["tolerance"] = parse_share(out.get("tolerance", 0))
        return out

    def limit(self, sense: Literal["max", "min"] = "max") -> Fraction:
        """The cap (value + tolerance) or floor (value − tolerance), exactly."""
        return self.value + self.tolerance if sense == "max" else max(Fraction(0), self.value - self.tolerance)

    def allows(self, share: Fraction | float, sense: Literal["max", "min"] = "max") -> bool:
        """Whether ``share`` keeps the cap (or the floor), exactly."""
        s = share if isinstance(share, Fraction) else Fraction(share)
        return s <= self.limit("max") if sense == "max" else s >= self.limit("min")

    def __str__(self) -> str:
        pct = f"{float(self.value) * 100:.4g} %"
        shown = f"{self.value.numerator}/{self.value.denominator}" \
            if self.value.denominator not in (1, 2, 4, 5, 10, 20, 25, 50, 100) else pct
        return shown + (f" (± {float(self.tolerance) * 100:.4g} pp)" if self.tolerance else "")
