"""What finance plugs into the customers app's hooks. Called once from FinanceConfig.ready();
each registration is idempotent."""


def payment_entries(*, customer, user, limit):
    """TIMELINE_SOURCES: the customer's payments (one query), newest first."""
    from datetime import datetime, time

    from django.utils import timezone
    from django.utils.translation import gettext as _

    from kehu.activities.hooks import TimelineEntry
    from kehu.core.money import format_money as money
    from kehu.finance.selectors import customer_payments

    entries = []
    for p in customer_payments(user=user, customer=customer, limit=limit):  # shared with the finance panel
        text = money(p.amount, p.currency)
        if p.contract_id:
            text += " · " + p.contract.code
        if p.reversed_at:
            text += " · " + _("reversed: %(reason)s") % {"reason": p.reversal_reason}
        elif p.on_account:
            text += " · " + _("%(amount)s on account") % {"amount": money(p.on_account, p.currency)}
        entries.append(TimelineEntry(
            at=timezone.make_aware(datetime.combine(p.paid_on, time(12))), kind="payment", icon="💴", label=_("Payment %(code)s") % {"code": p.code}, text=text,
            by=str(p.recorded_by) if p.recorded_by_id else "",
        ))
    return entries


def register() -> None:
    from kehu.activities import hooks as activity_hooks
    from kehu.customers import hooks
    from kehu.finance import services

    hooks.MERGE_MOVERS.register(services.finance_merge)
    activity_hooks.TIMELINE_SOURCES.register(payment_entries)

    from kehu.finance import wiring_orders

    wiring_orders.register()
