"""Exact amounts stored as integers: SQL sums them exactly on SQLite and PostgreSQL alike.

MoneyField keeps cents (2 decimals), UnitPriceField ten-thousandths (4 decimals); both
hand Python a Decimal and refuse floats.
"""

from decimal import ROUND_HALF_UP, Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.money import MONEY_MAX, MoneyError, to_decimal, within_money_bound
from kehu.core.text import TextError, ascii_number

MAX_DIGITS = 18


class DecimalFormField(forms.DecimalField):
    """The form field of every amount, price, percentage and quantity: the number rule of
    kehu.core.text (full-width digits read as ASCII, other non-ASCII characters refused)."""

    def to_python(self, value):
        if isinstance(value, str):
            try:
                value = ascii_number(value)
            except TextError:
                raise ValidationError(self.error_messages["invalid"], code="invalid") from None
        return super().to_python(value)


def money_bound_message() -> str:
    return _("Enter an amount of at most %(max)s.") % {"max": f"{MONEY_MAX:,}"}


def validate_money_bound(value) -> None:
    """Refuse an amount above MONEY_MAX (or below −MONEY_MAX): every sum of amounts must fit
    (kehu.core.money). Forms, the API and model validation use this one check."""
    if value is None:
        return
    try:
        amount = to_decimal(value)
    except MoneyError:
        return  # not a number: the field's own validation says so
    if not within_money_bound(amount):
        raise ValidationError(money_bound_message(), code="money_max")


class MoneyFormField(DecimalFormField):
    """An amount of money a user types: at most 2 decimals and at most MONEY_MAX."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_digits", None)  # the bound below says what is too large, clearly
        kwargs.setdefault("decimal_places", 2)
        super().__init__(**kwargs)
        self.validators.append(validate_money_bound)


class _ScaledDecimalField(models.BigIntegerField):
    """A Decimal with `places` decimals, stored as the integer Decimal × 10**places."""

    places = 2

    @property
    def _quantum(self) -> Decimal:
        return Decimal(1).scaleb(-self.places)

    def _quantize(self, value) -> Decimal:
        try:
            return to_decimal(value).quantize(self._quantum, rounding=ROUND_HALF_UP)
        except MoneyError as exc:
            raise ValidationError(_("Enter an amount such as 12345.60."), code="invalid") from exc

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return Decimal(int(value)).scaleb(-self.places).quantize(self._quantum)

    def to_python(self, value):
        if value is None:
            return None
        return self._quantize(value)

    def get_prep_value(self, value):
        if value is None or hasattr(value, "resolve_expression"):
            return value
        return int(self._quantize(value).scaleb(self.places))

    def get_db_prep_value(self, value, connection, prepared=False):
        return value if prepared else self.get_prep_value(value)

    def formfield(self, **kwargs):
        defaults = {"form_class": DecimalFormField, "max_digits": MAX_DIGITS, "decimal_places": self.places}
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return "" if value is None else str(value)


class MoneyField(_ScaledDecimalField):
    """An amount of money: integer cents in the database, Decimal in Python; at most MONEY_MAX
    in any form or serializer made from it."""

    description = _("Amount of money (exact, to the cent)")
    places = 2
    default_validators = [validate_money_bound]

    def formfield(self, **kwargs):
        defaults = {"form_class": MoneyFormField, "max_digits": None, "decimal_places": self.places}
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)


class UnitPriceField(_ScaledDecimalField):
    """A unit price or unit cost kept to 4 decimals, stored as integer ten-thousandths."""

    description = _("Unit price (exact, to 4 decimals)")
    places = 4


class PercentField(_ScaledDecimalField):
    """A percentage such as a discount (0–100), exact to 2 decimals, stored as an integer."""

    description = _("Percentage (exact, to 2 decimals)")
    places = 2


class QuantityField(_ScaledDecimalField):
    """A quantity of a product, exact to 4 decimals, stored as an integer."""

    description = _("Quantity (exact, to 4 decimals)")
    places = 4
