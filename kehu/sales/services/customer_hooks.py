"""What the customers app asks of sales through its hooks (kehu.customers.hooks; registered
in kehu.sales.wiring): a customer with an open opportunity never returns to the pool; a
handover moves the open opportunities and the quotes not accepted yet (their approvers are
told); a merge moves every selling record to the kept customer."""

from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.customers.models import Customer
from kehu.sales.models import Contract, Opportunity, Quote, SalesOrder
from kehu.sales.services.quotes import ask_approvers
from kehu.sales.summaries import revenue_months_refresh


# --- opportunities ----------------------------------------------------------------------------

def open_opportunities():
    return Opportunity.objects.filter(stage__is_closed=False)


def customers_without_open_opportunity(qs):
    """hooks.POOL_RETURN_FILTERS: a customer with an open opportunity never returns to the pool."""
    return qs.exclude(pk__in=open_opportunities().values("customer_id"))


def open_opportunities_count(*, from_user, customer_ids) -> dict:
    """hooks.HANDOVER_COUNTERS."""
    count = open_opportunities().filter(customer_id__in=list(customer_ids)).count()
    return {_("Open opportunities"): count} if count else {}


def open_opportunities_hand_over(*, actor, from_user, to_user, customer_ids) -> dict:
    """hooks.HANDOVER_MOVERS: open opportunities of the handed-over customers go to the new
    owner; closed ones keep the rep who won or lost them (history as it happened)."""
    moved = open_opportunities().filter(customer_id__in=list(customer_ids)).update(owner=to_user, updated_at=timezone.now())
    return {_("Open opportunities"): moved} if moved else {}


def sales_merge(*, actor, kept: Customer, merged: Customer) -> dict:
    """hooks.MERGE_MOVERS: opportunities, quotes, contracts and orders move to the kept record.
    The quotes not accepted yet go to the kept record's owner (when it has one), as in a
    handover: the approvers follow the owner, and they are told of the pending ones."""
    now = timezone.now()
    result = {}
    if kept.owner_id is not None:
        quotes = open_quotes().filter(customer=merged).exclude(owner_id=kept.owner_id)
        pending = list(quotes.filter(status=Quote.Status.PENDING).select_related("customer", "submitted_by"))
        quotes.update(owner_id=kept.owner_id, updated_at=now)
        for quote in pending:
            quote.customer = kept  # moved below
        if pending:
            ask_approvers(pending, owner=kept.owner, now=now, reason="merge")
    for label, model in ((_("opportunities"), Opportunity), (_("quotes"), Quote), (_("contracts"), Contract), (_("sales orders"), SalesOrder)):
        moved = model.objects.filter(customer=merged).update(customer=kept, updated_at=now)
        if moved:
            result[label] = moved
            if model is SalesOrder:  # their lines now count for the kept customer: the summary follows
                revenue_months_refresh(customer_ids=[kept.pk, merged.pk])
    return result


# --- quotes -------------------------------------------------------------------------------------

def open_quotes():
    """Quotes not final yet: every status but accepted (draft, pending, rejected, approved, sent)."""
    return Quote.objects.exclude(status=Quote.Status.ACCEPTED)


def open_quotes_count(*, from_user, customer_ids) -> dict:
    """hooks.HANDOVER_COUNTERS: how many quotes a handover would move."""
    count = open_quotes().filter(customer_id__in=list(customer_ids)).count()
    return {_("Quotes not accepted yet"): count} if count else {}


def open_quotes_hand_over(*, actor, from_user, to_user, customer_ids) -> dict:
    """hooks.HANDOVER_MOVERS: the quotes of the handed-over customers that are not accepted go
    to the new owner (accepted ones keep the rep who won them). The approvers follow the
    owner, so the new owner's managers decide the pending ones; they are notified."""
    now = timezone.now()
    qs = open_quotes().filter(customer_id__in=list(customer_ids))
    pending = list(qs.filter(status=Quote.Status.PENDING).select_related("customer", "submitted_by"))
    moved = qs.update(owner=to_user, updated_at=now)
    if pending:
        ask_approvers(pending, owner=to_user, now=now, reason="handover")
    return {_("Quotes not accepted yet"): moved} if moved else {}
