"""Credit control of sales orders (DOMAIN.md §4).

`credit_check(customer, order_amount, today=...)` lists the reasons an order must be held:

(a) **credit limit**: the customer has a credit limit and Σ open_amount of its receivables plus
    this order exceeds it (equal to the limit passes). A customer without a credit limit has no
    limit check — only the overdue rule applies to it;
(b) **overdue**: a receivable of the customer with an open amount is more than
    `CompanySettings.credit_overdue_block_days` days past its due date (today − due_on > N;
    exactly N days passes).

Each reason carries its figures as strings (they go into CreditEvent.details as JSON).
Who may release a held order: `can_release_order` (finance, admins, managers of the owner's team).
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from django.utils.translation import gettext as _

from kehu.accounts import permissions
from kehu.core.models import CompanySettings
from kehu.finance.models import Receivable

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


def reason_text(code: str, figures: dict) -> str:
    """The sentence a reason reads as, in the active language (figures as stored)."""
    if code == LIMIT:
        return _("Open receivables %(open)s plus this order %(order)s come to %(total)s, above the credit limit %(limit)s.") % {
            "open": figures.get("open", ""), "order": figures.get("order", ""), "total": figures.get("total", ""), "limit": figures.get("limit", ""),
        }
    if code == OVERDUE:
        return _("%(count)s receivable(s) with %(amount)s open are more than %(days)s days overdue (the oldest %(oldest)s days).") % {
            "count": figures.get("count", ""), "amount": figures.get("amount", ""), "days": figures.get("days", ""), "oldest": figures.get("oldest", ""),
        }
    return code


def credit_check(customer, order_amount, *, today: date) -> list[CreditReason]:
    """The reasons to hold an order of `order_amount` for `customer` on `today` ([] = passes); a fixed number of queries."""
    order_amount = Decimal(order_amount)
    reasons = []
    days = CompanySettings.load().credit_overdue_block_days
    cutoff = today - timedelta(days=days)  # today − due_on > days  ⇔  due_on < cutoff
    rows = list(Receivable.objects.filter(customer_id=customer.pk, open_amount__gt=0).values_list("open_amount", "due_on"))
    open_total = sum((a for a, _d in rows), ZERO)
    if customer.credit_limit is not None:
        total = open_total + order_amount
        if total > customer.credit_limit:
            reasons.append(CreditReason(LIMIT, {
                "limit": str(customer.credit_limit), "open": str(open_total), "order": str(order_amount), "total": str(total),
            }))
    overdue = [(a, d) for a, d in rows if d < cutoff]
    if overdue:
        reasons.append(CreditReason(OVERDUE, {
            "days": str(days), "count": str(len(overdue)), "amount": str(sum((a for a, _d in overdue), ZERO)),
            "oldest": str(max((today - d).days for _a, d in overdue)),
        }))
    return reasons


def can_release_order(user, order) -> bool:
    """Finance, administrators and the managers of the owner's team; never reps."""
    return permissions.can_edit_credit(user, order.customer)
