"""MoneyField: an exact amount stored as integer minor units, handed to Python as Decimal."""

from decimal import Decimal

from django import forms
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _

from kehu.core.money import MoneyError, from_minor, quantize_cents, to_minor

MAX_DIGITS = 18


class MoneyField(models.BigIntegerField):
    """Integer cents in the database (exact sums on SQLite and PostgreSQL), Decimal in Python."""

    description = _("Amount of money (exact, to the cent)")

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return from_minor(value)

    def to_python(self, value):
        if value is None or isinstance(value, Decimal):
            return value
        try:
            return quantize_cents(value)
        except MoneyError as exc:
            raise ValidationError(_("Enter an amount such as 12345.60."), code="invalid") from exc

    def get_prep_value(self, value):
        if value is None:
            return None
        if hasattr(value, "resolve_expression"):
            return value
        try:
            return to_minor(value)
        except MoneyError as exc:
            raise ValidationError(_("Enter an amount such as 12345.60."), code="invalid") from exc

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        return value

    def formfield(self, **kwargs):
        defaults = {"form_class": forms.DecimalField, "max_digits": MAX_DIGITS, "decimal_places": 2}
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return "" if value is None else str(value)


class UnitPriceField(models.BigIntegerField):
    """A unit price or unit cost kept to 4 decimals, stored as integer ten-thousandths."""

    description = _("Unit price (exact, to 4 decimals)")
    SCALE = Decimal("0.0001")

    def from_db_value(self, value, expression, connection):
        if value is None:
            return None
        return (Decimal(int(value)) / 10000).quantize(self.SCALE)

    def to_python(self, value):
        if value is None:
            return value
        try:
            from kehu.core.money import to_decimal
            from decimal import ROUND_HALF_UP

            return to_decimal(value).quantize(self.SCALE, rounding=ROUND_HALF_UP)
        except MoneyError as exc:
            raise ValidationError(_("Enter an amount such as 12345.60."), code="invalid") from exc

    def get_prep_value(self, value):
        if value is None:
            return None
        if hasattr(value, "resolve_expression"):
            return value
        return int(self.to_python(value) * 10000)

    def get_db_prep_value(self, value, connection, prepared=False):
        if not prepared:
            value = self.get_prep_value(value)
        return value

    def formfield(self, **kwargs):
        defaults = {"form_class": forms.DecimalField, "max_digits": MAX_DIGITS, "decimal_places": 4}
        defaults.update(kwargs)
        return models.Field.formfield(self, **defaults)

    def value_to_string(self, obj):
        value = self.value_from_object(obj)
        return "" if value is None else str(value)
