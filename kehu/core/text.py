"""One rule for the characters Kehu accepts in text and in numbers (docs/rules.md, "Text and numbers").

Text (names, cells of an import, any field a form cleans with `CleanCharField`):
- zero-width characters (U+200B–U+200D, U+2060, U+FEFF) are removed: they are invisible, so
  "华为\u200b技术" would be a second 华为技术 that no search or duplicate check finds;
- direction controls (U+202A–U+202E, U+2066–U+2069, U+200E, U+200F, U+061C) are refused: they
  reorder what is shown ("right-to-left override") and can disguise a name or a file name;
- other control characters (NUL, escape, …) are refused; tab, line feed and carriage return
  are kept for multi-line notes. PostgreSQL cannot store NUL at all.

Numbers (amounts, quantities, whole numbers): the full-width forms a Chinese input method
types (１２３．５０, －５, １，０００) are read as their ASCII twins; any other character outside
ASCII (other scripts' digits such as ١٢٣, mathematical 𝟏𝟐𝟑) is refused, so an amount means
what it shows.
"""

import re

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"
DIRECTION_CONTROLS = "\u061c\u200e\u200f\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_ZERO_WIDTH = re.compile(f"[{ZERO_WIDTH}]")
_DIRECTION = re.compile(f"[{DIRECTION_CONTROLS}]")
# C0 and C1 controls but tab, LF and CR; DEL; lone surrogates (no database stores them).
_CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ud800-\udfff]")
# Full-width ASCII (U+FF01–U+FF5E) and the ideographic space, as their ASCII twins.
_FULL_WIDTH = {code: code - 0xFEE0 for code in range(0xFF01, 0xFF5F)} | {0x3000: 0x20}


class TextError(ValueError):
    """Text Kehu refuses; `message` is translated and says which character and why."""

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message


def _codepoint(char: str) -> str:
    return f"U+{ord(char):04X}"


def text_problem(value: str) -> str | None:
    """Why `value` is refused (translated), or None when clean_text accepts it."""
    if value.isprintable():  # the usual case, decided in C: no control or format character at all
        return None
    found = _DIRECTION.search(value)
    if found:
        return _("The text contains an invisible direction control character (%(char)s), which can disguise what is shown; remove it.") % {"char": _codepoint(found.group())}
    found = _CONTROL.search(value)
    if found:
        return _("The text contains a control character (%(char)s), which is not text; remove it.") % {"char": _codepoint(found.group())}
    return None


def clean_text(value: str) -> str:
    """`value` without zero-width characters; TextError for direction or control characters."""
    problem = text_problem(value)
    if problem:
        raise TextError(problem)
    if value.isprintable():
        return value
    return _ZERO_WIDTH.sub("", value)


def visible_text(value: str) -> str:
    """`value` with every character clean_text removes or refuses taken out (to go on checking
    the rest of a refused value without reporting its other problems twice)."""
    if value.isprintable():
        return value
    return _CONTROL.sub("", _DIRECTION.sub("", _ZERO_WIDTH.sub("", value)))


def ascii_number(value: str) -> str:
    """The text of a number with full-width forms made ASCII; TextError if anything else is not ASCII."""
    text = value.translate(_FULL_WIDTH)
    if not text.isascii():
        raise TextError(_("“%(value)s” has characters that are not digits; type the number with the digits 0–9.") % {"value": value})
    return text


def validate_clean_text(value) -> None:
    """A validator for fields that cannot clean (a model field, a serializer): refuse what clean_text refuses."""
    if isinstance(value, str):
        problem = text_problem(value)
        if problem:
            raise ValidationError(problem, code="invalid_characters")


class CleanCharField(forms.CharField):
    """A CharField that removes zero-width characters and refuses direction and control characters."""

    def to_python(self, value):
        value = super().to_python(value)
        if not isinstance(value, str) or value == self.empty_value:
            return value
        try:
            value = clean_text(value)
        except TextError as exc:
            raise ValidationError(exc.message, code="invalid_characters") from None
        if self.strip:
            value = value.strip()
        return value if value else self.empty_value
