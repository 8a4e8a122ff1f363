"""Amounts the finance services accept: one check for every one of them."""

from decimal import Decimal

from kehu.core.fields import money_bound_message
from kehu.core.money import MoneyError, quantize_cents, to_decimal, within_money_bound
from kehu.finance.errors import FinanceError

ZERO = Decimal("0.00")


def clean_amount(value, message) -> Decimal:
    """`value` as a positive amount of whole cents, else FinanceError(`message`); at most
    MONEY_MAX (kehu.core.money), else FinanceError saying so."""
    try:
        amount = to_decimal(value)
    except (MoneyError, TypeError):
        raise FinanceError(message) from None
    if amount <= 0 or quantize_cents(amount) != amount:
        raise FinanceError(message)
    if not within_money_bound(amount):
        raise FinanceError(money_bound_message())
    return quantize_cents(amount)
