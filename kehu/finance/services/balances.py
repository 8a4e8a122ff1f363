"""Balance changes by UPDATE with an expression, guarded so that a balance never leaves its
bounds (the database constraints say the same): never read, decide and write back."""

from decimal import Decimal

from django.db import models
from django.db.models import F, Value
from django.db.models.expressions import ExpressionWrapper
from django.utils import timezone

from kehu.core.money import to_minor
from kehu.finance.models import Receivable


def _plus(field: str, cents: int):
    return ExpressionWrapper(F(field) + Value(cents), output_field=models.BigIntegerField())


def _minus(field: str, cents: int):
    return ExpressionWrapper(F(field) - Value(cents), output_field=models.BigIntegerField())


def receivable_decrement(receivable_id: int, amount: Decimal, *, written_off: bool = False) -> bool:
    """open_amount −= amount with an UPDATE guarded by open_amount ≥ amount (True when done)."""
    cents = to_minor(amount)
    changes = {"open_amount": _minus("open_amount", cents), "updated_at": timezone.now()}
    if written_off:
        changes["written_off"] = _plus("written_off", cents)
    return Receivable.objects.filter(pk=receivable_id, open_amount__gte=amount).update(**changes) == 1  # amount: prepared to cents by the field


def receivable_increment(receivable_id: int, amount: Decimal) -> bool:
    """open_amount += amount (money taken off again: a reversed payment), guarded by
    open_amount + amount ≤ amount − written off."""
    cents = to_minor(amount)
    guard = ExpressionWrapper(F("amount") - F("written_off") - Value(cents), output_field=models.BigIntegerField())
    return Receivable.objects.filter(pk=receivable_id, open_amount__lte=guard).update(open_amount=_plus("open_amount", cents), updated_at=timezone.now()) == 1
