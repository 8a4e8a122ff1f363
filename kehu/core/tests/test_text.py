"""The text and number rule (kehu.core.text, docs/rules.md "Text and numbers")."""

from decimal import Decimal

import pytest
from django import forms
from django.core.exceptions import ValidationError
from django.utils import translation

from kehu.core.fields import MoneyField, UnitPriceField
from kehu.core.money import MoneyError, to_decimal
from kehu.core.text import CleanCharField, TextError, ascii_number, clean_text, validate_clean_text, visible_text


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.mark.parametrize("given,expected", [
    ("华为技术", "华为技术"),
    ("华为\u200b技术", "华为技术"),
    ("\ufeff华\u200c为\u200d技\u2060术", "华为技术"),
    ("line one\nline two\r\n\tindented", "line one\nline two\r\n\tindented"),
    ("全角\u3000空格", "全角\u3000空格"),
    ("👨\u200d👩\u200d👧", "👨👩👧"),
])
def test_system_clean_text_keeps_text_and_drops_zero_width_characters(given, expected):
    assert clean_text(given) == expected


@pytest.mark.parametrize("char", [
    "\u202a", "\u202b", "\u202c", "\u202d", "\u202e", "\u2066", "\u2067", "\u2068", "\u2069", "\u200e", "\u200f", "\u061c",
])
def test_system_clean_text_refuses_direction_controls(char):
    with pytest.raises(TextError) as refused:
        clean_text(f"invoice{char}fdp.exe")
    assert f"U+{ord(char):04X}" in refused.value.message and "direction" in refused.value.message


@pytest.mark.parametrize("char", ["\x00", "\x01", "\x0b", "\x0c", "\x1b", "\x1f", "\x7f", "\x85", "\x9f", "\ud800"])
def test_system_clean_text_refuses_control_characters_but_tab_and_newlines(char):
    with pytest.raises(TextError) as refused:
        clean_text(f"a{char}b")
    assert "control character" in refused.value.message
    assert visible_text(f"a{char}\u200bb") == "ab"


def test_system_clean_text_refusal_is_a_value_error_translated_to_chinese():
    with translation.override("zh-hans"):
        with pytest.raises(ValueError) as refused:
            clean_text("a\x00b")
    assert "U+0000" in str(refused.value) and "控制字符" in str(refused.value)


@pytest.mark.parametrize("given,expected", [
    ("１２３", "123"), ("１２，３４５．６０", "12,345.60"), ("－５", "-5"), ("＋１", "+1"), ("123.45", "123.45"),
])
def test_system_ascii_number_reads_full_width_forms_as_ascii(given, expected):
    assert ascii_number(given) == expected


@pytest.mark.parametrize("given", ["١٢٣", "۱۲۳", "१२३", "𝟏𝟐𝟑", "①", "1²", "12\u200b3"])
def test_system_ascii_number_refuses_other_digits(given):
    with pytest.raises(TextError):
        ascii_number(given)


def test_system_to_decimal_reads_full_width_and_refuses_other_scripts():
    assert to_decimal("１２，３４５．６０") == Decimal("12345.60")
    assert to_decimal("￥１，０００") == Decimal("1000")
    for text in ("١٢٣", "𝟏𝟐𝟑"):  # Python's Decimal() itself reads both as 123
        with pytest.raises(MoneyError):
            to_decimal(text)


def test_system_money_form_field_reads_full_width_and_refuses_other_scripts():
    field = MoneyField().formfield()
    assert field.clean("１２３．５") == Decimal("123.50")
    with pytest.raises(ValidationError):
        field.clean("١٢٣")
    assert UnitPriceField().formfield().clean("０．１２３４") == Decimal("0.1234")


class _NameForm(forms.Form):
    name = CleanCharField(max_length=20)
    note = CleanCharField(required=False)


def test_system_clean_char_field_strips_zero_width_and_refuses_direction_controls():
    form = _NameForm({"name": " \u200b华为\u200b技术 ", "note": "\u2060"})
    assert form.is_valid() and form.cleaned_data == {"name": "华为技术", "note": ""}
    form = _NameForm({"name": "华为\u202e技术"})
    assert not form.is_valid() and "U+202E" in form.errors["name"][0]
    form = _NameForm({"name": "\u200b"})
    assert not form.is_valid() and form.errors["name"] == ["This field is required."]


def test_system_validate_clean_text_refuses_what_clean_text_refuses():
    validate_clean_text("华为\u200b技术")  # zero-width: cleaned by the field, not refused
    with pytest.raises(ValidationError):
        validate_clean_text("a\x00b")
