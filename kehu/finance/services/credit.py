"""Credit control of sales orders (DOMAIN.md §4).

`credit_check(customer, order_amount, today=...)` lists the reasons an order must be held:

(a) **credit limit**: the customer has a credit limit and its **exposure** exceeds it (equal to
    the limit passes). Exposure = Σ open_amount of its receivables + Σ open amounts (amount −
    received) of its contracts' instalments that are **due** (due_on ≤ today) + Σ totals of its
    **confirmed, not yet shipped orders without a contract** (they become receivables when they
    ship; an order on a contract is billed through the contract's instalments) + this order.
    A customer without a credit limit has no limit check — only the overdue rule applies to it;
(b) **overdue**: a receivable or an instalment of the customer with an open amount is more than
    `CompanySettings.credit_overdue_block_days` days past its due date (today − due_on > N;
    exactly N days passes).

`credit_use(customer, today=...)` is the exposure broken down — open receivables, due
instalments, confirmed orders not yet shipped — as the hold message, the order page and the
customer's finance panel show it: unshipped orders are credit in use, not money owed.

The check runs a fixed number of queries. `order_confirm` calls it under a lock of the customer
row, so two confirmations of one customer's orders are checked one after the other. Each reason
carries its figures as strings (they go into CreditEvent.details as JSON) and reads as a sentence
with the amounts formatted as money (`reason_text`).
Who may release a held order: `permissions.can_release_order` (finance, admins, managers of the owner's team).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal, InvalidOperation

from django.db.models import ExpressionWrapper, F, IntegerField, Sum, Value
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from kehu.core.fields import MoneyField
from kehu.core.models import CompanySettings
from kehu.core.money import format_money
from kehu.finance.models import Instalment, Receivable

ZERO = Decimal("0.00")
LIMIT = "credit_limit"
OVERDUE = "overdue"


@dataclass(frozen=True)
class CreditReason:
    code: str  # LIMIT or OVERDUE
    figures: dict = field(default_factory=dict)  # strings only

    @property
    def text(self) -> str:
        return reason_text(self.code, self.figures)


def _money(value, currency: str) -> str:
    """A stored figure as money (¥7,200.00); as stored when it is not a number."""
    if value in (None, ""):
        return ""
    try:
        return format_money(Decimal(str(value)), currency or "CNY")
    except (InvalidOperation, ArithmeticError, ValueError):
        return str(value)


def reason_text(code: str, figures: dict) -> str:
    """The sentence a reason reads as, in the active language, amounts formatted as money.

    Figures stored before the breakdown existed (`owed` / `open` / `unshipped`, or `open` only,
    no currency) still read, as credit in use — never as money "owed"."""
    currency = figures.get("currency") or "CNY"
    if code == LIMIT:
        params = {
            "order": _money(figures.get("order", ""), currency), "total": _money(figures.get("total", ""), currency),
            "limit": _money(figures.get("limit", ""), currency), "unshipped": _money(figures.get("unshipped", "0"), currency),
        }
        if "receivables" in figures:
            return _("Credit in use %(used)s (open receivables %(receivables)s, due instalments %(instalments)s, confirmed orders "
                     "not yet shipped %(unshipped)s) plus this order %(order)s come to %(total)s, above the credit limit %(limit)s.") % {
                **params, "used": _money(figures.get("used", ""), currency), "receivables": _money(figures["receivables"], currency),
                "instalments": _money(figures.get("instalments", ""), currency)}
        return _("Credit in use %(used)s (open receivables and due instalments %(open)s, confirmed orders not yet shipped "
                 "%(unshipped)s) plus this order %(order)s come to %(total)s, above the credit limit %(limit)s.") % {
            **params, "used": _money(figures.get("owed", figures.get("open", "")), currency), "open": _money(figures.get("open", ""), currency)}
    if code == OVERDUE:
        try:
            count = int(figures.get("count", 0))
        except (TypeError, ValueError):
            count = 0
        return ngettext(
            "%(count)s receivable or instalment with %(amount)s open is more than %(days)s days overdue (%(oldest)s days).",
            "%(count)s receivables or instalments with %(amount)s open are more than %(days)s days overdue (the oldest %(oldest)s days).",
            count,
        ) % {
            "count": figures.get("count", ""), "amount": _money(figures.get("amount", ""), currency),
            "days": figures.get("days", ""), "oldest": figures.get("oldest", ""),
        }
    return code


@dataclass(frozen=True)
class CreditUse:
    """What counts against a customer's credit limit on a day (the module docstring's exposure,
    without a new order)."""

    currency: str
    limit: Decimal | None
    receivables: Decimal  # Σ open amounts of its receivables
    instalments: Decimal  # Σ open amounts of its contracts' instalments due by the day
    unshipped: Decimal  # Σ totals of its confirmed orders without a contract, not yet shipped
    open_rows: tuple = ()  # (open amount, due_on) of each open receivable and due instalment, for the overdue rule

    @property
    def total(self) -> Decimal:
        return self.receivables + self.instalments + self.unshipped

    @property
    def available(self) -> Decimal | None:
        """What is left under the limit (negative: above it); None without a limit."""
        return None if self.limit is None else self.limit - self.total


def _confirmed_unshipped_total(customer) -> Decimal:
    from kehu.sales.models import OrderLine, SalesOrder

    return OrderLine.objects.filter(
        order__customer_id=customer.pk, order__status=SalesOrder.Status.CONFIRMED, order__contract__isnull=True,
    ).aggregate(s=Sum("revenue"))["s"] or ZERO


RECEIVABLE, INSTALMENT = 1, 2


def credit_use(customer, *, today: date) -> CreditUse:
    """The customer's credit in use on `today`, broken down (two queries)."""
    receivables = (Receivable.objects.filter(customer_id=customer.pk, open_amount__gt=0).order_by()
                   .annotate(owed=F("open_amount"), kind=Value(RECEIVABLE, output_field=IntegerField())).values_list("owed", "due_on", "kind"))
    instalments = (Instalment.objects.filter(contract__customer_id=customer.pk, due_on__lte=today, applied__lt=F("amount")).order_by()
                   .annotate(owed=ExpressionWrapper(F("amount") - F("applied"), output_field=MoneyField()),
                             kind=Value(INSTALMENT, output_field=IntegerField()))
                   .values_list("owed", "due_on", "kind"))
    rows = list(receivables.union(instalments, all=True))  # one query: open receivables and due, open instalments
    return CreditUse(
        currency=getattr(customer, "currency", "") or "CNY",
        limit=customer.credit_limit,
        receivables=sum((a for a, _d, k in rows if k == RECEIVABLE), ZERO),
        instalments=sum((a for a, _d, k in rows if k == INSTALMENT), ZERO),
        unshipped=_confirmed_unshipped_total(customer),
        open_rows=tuple((a, d) for a, d, _k in rows),
    )


def credit_check(customer, order_amount, *, today: date) -> list[CreditReason]:
    """The reasons to hold an order of `order_amount` for `customer` on `today` ([] = passes); a fixed number of queries."""
    order_amount = Decimal(order_amount)
    reasons = []
    days = CompanySettings.load().credit_overdue_block_days
    cutoff = today - timedelta(days=days)  # today − due_on > days  ⇔  due_on < cutoff
    use = credit_use(customer, today=today)
    if use.limit is not None:
        total = use.total + order_amount
        if total > use.limit:
            reasons.append(CreditReason(LIMIT, {
                "limit": str(use.limit), "used": str(use.total), "receivables": str(use.receivables), "instalments": str(use.instalments),
                "unshipped": str(use.unshipped), "order": str(order_amount), "total": str(total), "currency": use.currency,
            }))
    overdue = [(a, d) for a, d in use.open_rows if d < cutoff]
    if overdue:
        reasons.append(CreditReason(OVERDUE, {
            "days": str(days), "count": str(len(overdue)), "amount": str(sum((a for a, _d in overdue), ZERO)),
            "oldest": str(max((today - d).days for _a, d in overdue)), "currency": use.currency,
        }))
    return reasons
