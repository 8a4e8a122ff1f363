"""Amounts the finance services accept: one check for every one of them."""

from decimal import Decimal

from kehu.core.money import MoneyError, quantize_cents, to_decimal
from kehu.finance.errors import FinanceError

ZERO = Decimal("0.00")


def clean_amount(value, message) -> Decimal:
    """`value` as a positive amount of whole cents, else FinanceError(`message`)."""
    try:
        amount = to_decimal(value)
    except (MoneyError, TypeError):
        raise FinanceError(message) from None
    if amount <= 0 or quantize_cents(amount) != amount:
        raise FinanceError(message)
    return quantize_cents(amount)
