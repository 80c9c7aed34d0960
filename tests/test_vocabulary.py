"""A call's declared vocabulary: attributes, currency and exact shares."""

from __future__ import annotations

from fractions import Fraction

import pytest
from pydantic import ValidationError

from selection.errors import CallError
from selection.io.toml import load_call
from selection.vocabulary import Attribute, Currency, Share, parse_share


def test_share_written_as_the_call_writes_it():
    assert parse_share("1/3") == Fraction(1, 3)
    assert parse_share("33 %") == parse_share("33%") == parse_share(0.33) == Fraction(33, 100)
    assert parse_share("33,5 %") == Fraction(335, 1000)
    with pytest.raises(ValueError, match="not a share"):
        parse_share("a third")
    with pytest.raises(ValueError, match="outside 0-1"):
        parse_share("130 %")


def test_7_5_of_22_5_million_is_not_above_33_percent_with_its_tolerance():
    """§13 of KREATIVE PARTNERSKABER: 7.5 of 22.5 M and "maksimalt 33 pct." - a rounded third."""
    third = Fraction(7_500_000, 22_500_000)
    assert not Share.model_validate("33 %").allows(third)  # without a tolerance: 33.3 % > 33 %
    assert Share.model_validate({"value": "33 %", "tolerance": "0.5 %"}).allows(third)
    assert Share.model_validate("1/3").allows(third)  # exactly a third, no float rounding
    assert not Share.model_validate({"value": "33 %", "tolerance": "0.5 %"}).allows(Fraction(34, 100))
    assert Share.model_validate({"value": "30 %", "tolerance": "1 %"}).limit("min") == Fraction(29, 100)


def test_currency_formats_per_language():
    assert Currency().format(332_500) == "332,500 DKK"
    assert Currency().format(332_500, "da") == "332.500 kr."
    assert Currency.model_validate("EUR").format(40_000_000, "da") == "40.000.000 EUR"
    assert Currency.model_validate({"code": "NOK", "symbol_da": "kr. (NOK)"}).format(5, "da") == "5 kr. (NOK)"
    with pytest.raises(ValidationError):
        Currency.model_validate("euro")


def test_attribute_labels_and_values():
    a = Attribute(id="female_pi", label_da="Kvindelig projektleder", label_en="Female PI", type="yes_no")
    assert a.value_ids() == ["true", "false"] and a.value_label("true", "da") == "ja"
    assert a.describe("false") == "not Female PI"
    with pytest.raises(ValidationError, match="cannot list values"):
        Attribute(id="n", label_da="n", label_en="n", type="number", values=[{"id": "1", "label_da": "1", "label_en": "1"}])
    with pytest.raises(ValidationError, match="built in"):
        Attribute(id="any", label_da="a", label_en="a", type="one")


def _call(tmp_path, body: str, vocab: str | None = None):
    (tmp_path / "c.toml").write_text(
        'schema_version = 1\nid = "c"\nname = "C"\nvocabulary = "v.toml"\n' + body, encoding="utf-8")
    (tmp_path / "cat.toml").write_text(
        'schema_version = 1\nid = "cat"\nname = "Cat"\nstage = 1\n[[criteria]]\nid = "q"\nname_da = "K"\n'
        'name_en = "Q"\ndescription = "d"\ngroup = "g"\nweight = 1\nguide = { low = "l", middle = "m", high = "h" }\n',
        encoding="utf-8")
    if vocab is not None:
        (tmp_path / "v.toml").write_text(vocab, encoding="utf-8")
    return load_call(tmp_path / "c.toml")


VOCAB = ('schema_version = 1\n[[attributes]]\nid = "gender"\nlabel_da = "Køn"\nlabel_en = "Gender"\ntype = "one"\n'
         'values = [{ id = "f", label_da = "kvinde", label_en = "woman" }, { id = "m", label_da = "mand", label_en = "man" }]\n')
STAGE = '[[stages]]\nnumber = 1\nname = "s"\ncatalogue = "cat.toml"\nmax_selected = 2\n'


def test_a_gender_quota_is_a_declared_attribute_not_a_rural_flag(tmp_path):
    call, _ = _call(tmp_path, STAGE + 'constraints = [{ kind = "at_least", group = "gender", value = "f", count = 1 }]\n',
                    VOCAB)
    c = call.stage(1).constraints[0]
    assert c.describe() == "at least 1 selected in gender woman"
    assert "landdistrikt" not in c.describe() and "rural" not in c.describe()


def test_rules_must_name_declared_attributes_and_values(tmp_path):
    with pytest.raises(CallError) as exc:
        _call(tmp_path, STAGE + 'constraints = [{ kind = "at_least", group = "gender", value = "x", count = 1 },'
                                '{ kind = "at_most", group = "country", count = 1 }]\n'
                                'eligibility = [{ attribute = "gender", at_least = 1, reason = "r" }]\n', VOCAB)
    text = str(exc.value)
    assert "Gender (gender) has no value 'x'; use one of f, m" in text
    assert "group 'country' is not a declared attribute; use one of gender, lead_organisation, any" in text
    assert "at_least/at_most need a number or money attribute; Gender (gender) is 'one'" in text


def test_missing_vocabulary_file_is_named(tmp_path):
    with pytest.raises(CallError, match="names vocabulary file 'v.toml', which does not exist"):
        _call(tmp_path, STAGE)
