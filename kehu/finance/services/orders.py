"""Sales orders, credit control and shipments (DOMAIN.md §4, §5.0).

- `order_create`: whoever may edit the customer's sales data (never finance); lines with
  product, quantity, unit price (the list price unless given), discount % and unit cost (the
  product's unless given), checked and computed by `kehu.sales.lines` as quote lines are (a
  product no longer sold is refused). A new order is a draft.
- `order_confirm`: a draft is checked by credit control (`kehu.finance.services.credit`) under a lock of
  the customer row, so two confirmations for one customer are decided one after the other; it
  passes → confirmed; it fails → blocked, with a CreditEvent(block) carrying the reasons and
  figures, and finance users plus the managers of the owner's team are notified.
- `order_release`: a blocked order is released by finance, an admin or a manager of the
  owner's team, with a reason (CreditEvent(release)); it becomes confirmed and the owner is
  notified. Reps cannot release.
- `order_ship`: only a confirmed order ships, all at once. An order **without a contract** issues
  its Receivable of Σ line revenue on the shipping day, due after the customer's policy term.
  An order **on a contract** is billed through that contract's payment plan: shipping it issues
  **no receivable** (the contract's instalments are what the customer owes for it), so the same
  money is never owed twice.

Every product of an order is priced in the order's currency (`clean_lines` refuses others).

Status changes lock the order row (select_for_update) and decide under the lock.
"""

from datetime import date, timedelta
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Sum
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.accounts.models import User
from kehu.core import events
from kehu.core.audit import audit_note, audit_record
from kehu.core.models import AuditEvent
from kehu.core.money import CURRENCIES, MONEY_MAX, format_money, within_money_bound
from kehu.core.sequences import next_code
from kehu.customers.models import Customer
from kehu.finance.errors import FinanceError
from kehu.finance.models import CreditEvent, Receivable
from kehu.finance.permissions import can_create_order, can_edit_order, can_release_order
from kehu.finance.services.credit import credit_check
from kehu.sales import lines as sales_lines
from kehu.sales.errors import LineError
from kehu.sales.lines import CleanLine
from kehu.sales.models import OrderLine, SalesOrder
from kehu.sales.policy import customer_policy
from kehu.sales.summaries import revenue_months_refresh

ZERO = Decimal("0.00")
KIND_BLOCKED = "order_blocked"
KIND_RELEASED = "order_released"



def next_order_code() -> str:
    """The next free S000001-style code (above any imported one; never a code in use)."""
    return next_code(SalesOrder, prefix="S", sequence="sales_order", width=6)


def order_url(order) -> str:
    return reverse("finance:order-detail", args=[order.pk])


def clean_lines(lines, *, currency: str) -> list[CleanLine]:
    """Check [{product, quantity, unit_price?, discount_pct?, unit_cost?}] of an order in
    `currency` with the one line check quotes use too (`kehu.sales.lines.clean_lines`: a product
    still sold and in the order's currency, bounded quantity, price, discount and cost)."""
    try:
        return sales_lines.clean_lines(lines, currency=currency, kind="order", with_cost=True)
    except LineError as exc:
        raise FinanceError(exc.message) from exc


def order_total(order) -> Decimal:
    """Σ line revenue of the order (one query)."""
    return OrderLine.objects.filter(order_id=order.pk).aggregate(s=Sum("revenue"))["s"] or ZERO


def order_create(*, actor, customer, contract=None, order_date: date, currency: str = "CNY", lines) -> SalesOrder:
    if not can_create_order(actor, customer):
        raise PermissionDenied
    if contract is not None and contract.customer_id != customer.pk:
        raise FinanceError(_("Contract %(code)s is not a contract of this customer.") % {"code": contract.code})
    if not isinstance(order_date, date):
        raise FinanceError(_("The order date is required."))
    if currency not in CURRENCIES and not (contract is not None and currency == contract.currency):
        raise FinanceError(_("Unknown currency."))
    if contract is not None and currency != contract.currency:
        raise FinanceError(_("The order is in %(currency)s, but contract %(code)s is in %(contract_currency)s.") % {
            "currency": currency, "code": contract.code, "contract_currency": contract.currency})
    cleaned = clean_lines(lines, currency=currency)
    total = sum((li.revenue for li in cleaned), ZERO)
    if not within_money_bound(total):
        raise FinanceError(_("The order comes to %(total)s; one order can be at most %(max)s.") % {
            "total": format_money(total, currency), "max": format_money(MONEY_MAX, currency)})
    with transaction.atomic():
        order = SalesOrder.objects.create(
            code=next_order_code(), customer=customer, owner=customer.owner or actor, contract=contract,
            order_date=order_date, currency=currency, status=SalesOrder.Status.DRAFT,
        )
        OrderLine.objects.bulk_create([
            OrderLine(order=order, product=li.product, quantity=li.quantity, unit_price=li.unit_price, discount_pct=li.discount_pct,
                      unit_cost=li.unit_cost, revenue=li.revenue, cost=li.cost)
            for li in cleaned
        ])
        revenue_months_refresh(customer_ids=[customer.pk], months=[order_date])  # the summary, in this transaction
        audit_record(
            actor=actor, verb=AuditEvent.Verb.CREATE, obj=order, customer=customer,
            changes={
                "order_date": [None, str(order_date)], "currency": [None, currency], "contract": [None, contract.code if contract else None],
                "total": [None, str(sum((li.revenue for li in cleaned), ZERO))],
                "order_lines": [None, [[li.product.code, str(li.quantity), str(li.unit_price), str(li.discount_pct), str(li.unit_cost), str(li.revenue)]
                                 for li in cleaned]],
            },
        )
    return order


def _lock(order) -> SalesOrder:
    return SalesOrder.objects.select_for_update(of=("self",)).select_related("customer", "owner", "contract").get(pk=order.pk)


def _blocked_recipients(order) -> list[User]:
    """Active finance users and the active managers of the owner's team."""
    people = {u.pk: u for u in User.objects.filter(role=User.Role.FINANCE, is_active=True)}
    if order.owner_id and order.owner.team_id:
        for u in User.objects.filter(managed_teams=order.owner.team_id, is_active=True).distinct():
            people.setdefault(u.pk, u)
    return list(people.values())


def order_confirm(*, actor, order, today: date | None = None) -> SalesOrder:
    """Confirm a draft order after credit control: confirmed, or blocked with the reasons."""
    from kehu.activities.models import Notification
    from kehu.activities.notifications import notify_bulk

    today = today or timezone.localdate()
    with transaction.atomic():
        # The customer row first, then the order: every confirmation of this customer's orders
        # waits here, so two of them cannot both pass the check on the same exposure.
        customer = Customer.objects.select_for_update().get(pk=SalesOrder.objects.values_list("customer_id", flat=True).get(pk=order.pk))
        order = _lock(order)
        if order.customer_id != customer.pk:  # moved by a merge meanwhile: try again on the new customer
            raise FinanceError(_("The order changed meanwhile; try again."))
        order.customer = customer
        if not can_edit_order(actor, order):
            raise PermissionDenied
        if order.status != SalesOrder.Status.DRAFT:
            raise FinanceError(_("Only a draft order can be confirmed."))
        total = order_total(order)
        reasons = credit_check(customer, total, today=today)
        if not reasons:
            order.status = SalesOrder.Status.CONFIRMED
            order.save(update_fields=["status", "updated_at"])
            audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=order, customer=order.customer,
                         changes={"status": [SalesOrder.Status.DRAFT, SalesOrder.Status.CONFIRMED]}, note=audit_note(gettext_noop("Credit control passed.")))
            return order
        order.status = SalesOrder.Status.BLOCKED
        order.save(update_fields=["status", "updated_at"])
        details = {"total": str(total), "checked_on": str(today), "reasons": [{"code": r.code, **r.figures} for r in reasons]}
        event = CreditEvent.objects.create(order=order, kind=CreditEvent.Kind.BLOCK, details=details,
                                           reason="\n".join(r.text for r in reasons), user=actor if getattr(actor, "pk", None) else None)
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=order, customer=order.customer,
                     changes={"status": [SalesOrder.Status.DRAFT, SalesOrder.Status.BLOCKED], "credit": [None, details]},
                     note=audit_note(gettext_noop("Blocked by credit control.")))
        events.event_record(events.ORDER_HELD, object_type="order", object_ids=order.pk, actor=actor,
                            changes={"total": str(total), "reasons": [r.code for r in reasons]})
        params = {"code": order.code, "owner": str(order.owner) if order.owner_id else "", "total": str(total), "currency": order.currency,
                  "reasons": [r.code for r in reasons]}
        notify_bulk([
            Notification(user=u, kind=KIND_BLOCKED, fact_key=f"order:{order.pk}:block:{event.pk}", customer=order.customer,
                         params=params, url=order_url(order))
            for u in _blocked_recipients(order) if u.pk != getattr(actor, "pk", None)
        ])
    return order


def order_release(*, actor, order, reason: str) -> SalesOrder:
    """Release an order held by credit control (finance, admin, manager of the owner's team)."""
    from kehu.activities.notifications import notify

    reason = (reason or "").strip()
    with transaction.atomic():
        order = _lock(order)
        if not can_release_order(actor, order):
            raise PermissionDenied
        if order.status != SalesOrder.Status.BLOCKED:
            raise FinanceError(_("Only an order blocked by credit control can be released."))
        if not reason:
            raise FinanceError(_("Say why the order is released."))
        order.status = SalesOrder.Status.CONFIRMED
        order.save(update_fields=["status", "updated_at"])
        event = CreditEvent.objects.create(order=order, kind=CreditEvent.Kind.RELEASE, reason=reason, user=actor)
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=order, customer=order.customer,
                     changes={"status": [SalesOrder.Status.BLOCKED, SalesOrder.Status.CONFIRMED], "release_reason": [None, reason]},
                     note=reason)
        events.event_record(events.ORDER_RELEASED, object_type="order", object_ids=order.pk, actor=actor,
                            changes={"reason": reason})
        if order.owner_id and order.owner.is_active and order.owner_id != actor.pk:
            notify(user=order.owner, kind=KIND_RELEASED, fact_key=f"order:{order.pk}:release:{event.pk}", customer=order.customer,
                   url=order_url(order), params={"code": order.code, "by": str(actor), "reason": reason[:300]})
    return order


def receivable_due_on(order, shipped_on: date) -> date:
    """The due date of the receivable of an order without a contract: the customer's policy term."""
    return shipped_on + timedelta(days=customer_policy(order.customer).payment_term_days)


def order_ship(*, actor, order, shipped_on: date) -> SalesOrder:
    """Ship a confirmed order; without a contract it issues its receivable (see the module docstring)."""
    if not isinstance(shipped_on, date):
        raise FinanceError(_("The shipping date is required."))
    with transaction.atomic():
        order = _lock(order)
        if not can_edit_order(actor, order):
            raise PermissionDenied
        if order.status != SalesOrder.Status.CONFIRMED:
            raise FinanceError(_("Only a confirmed order can be shipped."))
        if shipped_on < order.order_date:
            raise FinanceError(_("The shipping date cannot be before the order date."))
        total = order_total(order)
        if total <= 0:
            raise FinanceError(_("An order without revenue cannot be shipped."))
        order.status = SalesOrder.Status.SHIPPED
        order.shipped_on = shipped_on
        order.save(update_fields=["status", "shipped_on", "updated_at"])
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=order, customer=order.customer,
                     changes={"status": [SalesOrder.Status.CONFIRMED, SalesOrder.Status.SHIPPED], "shipped_on": [None, str(shipped_on)]})
        if order.contract_id is None:  # an order on a contract is billed through the contract's plan
            receivable = Receivable.objects.create(
                customer=order.customer, order=order, amount=total, open_amount=total, currency=order.currency,
                issued_on=shipped_on, due_on=receivable_due_on(order, shipped_on),
            )
            audit_record(actor=actor, verb=AuditEvent.Verb.CREATE, obj=receivable, customer=order.customer,
                         changes={"amount": [None, str(total)], "issued_on": [None, str(shipped_on)], "due_on": [None, str(receivable.due_on)]})
        from kehu.finance.lifecycle import customer_lifecycle_refresh

        customer_lifecycle_refresh(customer_ids=[order.customer_id], actor=actor)
    return order
