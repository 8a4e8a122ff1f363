"""Writes of selling (DOMAIN.md §4): opportunities and their stages, and what the customers
app asks of sales through its hooks (pool return, handover, merge)."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.permissions import can_edit_customer
from kehu.core.audit import audit_record, diff, snapshot
from kehu.core.models import AuditEvent
from kehu.core.money import to_decimal
from kehu.core.sequences import next_code
from kehu.customers.models import Customer
from kehu.sales.models import Contract, Opportunity, OpportunityStage, OpportunityStageChange, Quote, SalesOrder

class SalesError(Exception):
    """A selling rule was broken; `message` is translated and shown to the user."""

    def __init__(self, message):
        super().__init__(str(message))
        self.message = message


AUDITED = ["stage", "probability", "forecast_category", "closed_on", "lost_reason", "owner"]


def can_edit_opportunity(user, opportunity: Opportunity) -> bool:
    """The customer's owner, their manager or an admin; finance never (as for the customer)."""
    return can_edit_customer(user, opportunity.customer)


def next_opportunity_code() -> str:
    return next_code(Opportunity, prefix="O", sequence="opportunity", width=6)


def first_stage() -> OpportunityStage:
    return OpportunityStage.objects.filter(is_closed=False).order_by("position", "id").first()


def closed_forecast(stage: OpportunityStage) -> str:
    return Opportunity.ForecastCategory.CLOSED if stage.is_won else Opportunity.ForecastCategory.OMITTED


def _check_probability(probability) -> None:
    if probability is not None and not 0 <= int(probability) <= 100:
        raise SalesError(_("The probability is a whole number from 0 to 100."))


def opportunity_create(
    *, actor, customer: Customer, title: str, amount, stage: OpportunityStage | None = None, probability: int | None = None,
    expected_close_on: date | None = None, forecast_category: str = "", buying_factor: str = "", competitors: str = "",
    product_lines: str = "", lost_reason: str = "", now=None,
) -> Opportunity:
    """A new opportunity of `customer`, owned by the customer's owner (or the actor for a pool customer)."""
    if not can_edit_customer(actor, customer):
        raise PermissionDenied
    title = (title or "").strip()
    if not title:
        raise SalesError(_("An opportunity needs a title."))
    amount = to_decimal(amount)
    if amount < 0:
        raise SalesError(_("The amount cannot be negative."))
    _check_probability(probability)
    now = now or timezone.now()
    with transaction.atomic():
        stage = stage or first_stage()
        if stage.is_closed and not stage.is_won and not (lost_reason or "").strip():
            raise SalesError(_("A lost opportunity needs a lost reason."))
        opp = Opportunity(
            code=next_opportunity_code(), customer=customer, owner=customer.owner or actor, title=title, stage=stage,
            probability=None if stage.is_closed else probability, amount=amount, expected_close_on=expected_close_on,
            forecast_category=closed_forecast(stage) if stage.is_closed else (forecast_category or stage.forecast_category),
            buying_factor=buying_factor, competitors=competitors, product_lines=product_lines,
            lost_reason=(lost_reason or "").strip() if stage.is_closed and not stage.is_won else "",
            closed_on=timezone.localdate(now) if stage.is_closed else None,
        )
        opp.save()
        OpportunityStageChange.objects.create(opportunity=opp, from_stage=None, to_stage=stage, at=now, user=actor)
        audit_record(actor=actor, verb=AuditEvent.Verb.CREATE, obj=opp, customer=customer,
                     changes={k: [None, v] for k, v in snapshot(opp, ["title", "amount", *AUDITED]).items() if v not in (None, "")})
    return opp


def opportunity_move(*, actor, opportunity: Opportunity, stage: OpportunityStage, lost_reason: str = "", probability: int | None = None, now=None) -> Opportunity:
    """Move an opportunity to `stage`, recording the change (time, user) and an audit event.

    Lost needs a reason. A closed stage sets closed_on (today) and the forecast category
    closed (won) or omitted (lost), and drops the rep's probability override (the stage's
    100 % / 0 % is the truth); reopening clears them and takes the stage's default
    category. Between open stages the rep's override stays unless a new one is given.
    Returns the opportunity as saved (the instance passed in is not changed).
    """
    _check_probability(probability)
    now = now or timezone.now()
    with transaction.atomic():
        opp = Opportunity.objects.select_for_update(of=("self",)).select_related("customer", "stage").get(pk=opportunity.pk)
        if not can_edit_opportunity(actor, opp):
            raise PermissionDenied
        lost = stage.is_closed and not stage.is_won
        if lost and not (lost_reason or "").strip():
            raise SalesError(_("A lost opportunity needs a lost reason."))
        before = snapshot(opp, AUDITED)
        old_stage = opp.stage
        opp.stage = stage
        if stage.is_closed:
            opp.probability = None
            opp.forecast_category = closed_forecast(stage)
            if old_stage.pk != stage.pk or opp.closed_on is None:
                opp.closed_on = timezone.localdate(now)
            opp.lost_reason = lost_reason.strip() if lost else ""
        else:
            if probability is not None:
                opp.probability = probability
            if old_stage.is_closed:
                opp.closed_on = None
                opp.lost_reason = ""
                opp.forecast_category = stage.forecast_category
        opp.save()
        if old_stage.pk != stage.pk:
            OpportunityStageChange.objects.create(opportunity=opp, from_stage=old_stage, to_stage=stage, at=now, user=actor)
        changes = diff(before, snapshot(opp, AUDITED))
        if changes:
            audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=opp, customer=opp.customer, changes=changes)
    return opp


# --- hooks of the customers app (registered in kehu.sales.wiring) -------------------------

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
    from kehu.sales.quotes import ask_approvers, open_quotes

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
    return result


# --- editing an opportunity (its page) ----------------------------------------------------

EDITABLE = ("title", "amount", "currency", "probability", "expected_close_on", "forecast_category", "buying_factor",
            "competitors", "product_lines", "lost_reason")
EDIT_AUDITED = ["title", "amount", "currency", "expected_close_on", "buying_factor", "competitors", "product_lines", *AUDITED]


def opportunity_update(*, actor, opportunity: Opportunity, **fields) -> Opportunity:
    """Change the fields of an opportunity (EDITABLE; the stage moves through
    opportunity_move). Who may: can_edit_opportunity (finance never). A closed opportunity
    keeps its closed probability and forecast category; a lost one keeps a lost reason.
    Audited with old → new values. Returns the opportunity as saved."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise SalesError(_("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        opp = Opportunity.objects.select_for_update(of=("self",)).select_related("customer", "stage").get(pk=opportunity.pk)
        if not can_edit_opportunity(actor, opp):
            raise PermissionDenied
        before = snapshot(opp, EDIT_AUDITED)
        if "title" in fields:
            title = (fields["title"] or "").strip()
            if not title:
                raise SalesError(_("An opportunity needs a title."))
            opp.title = title
        if "amount" in fields:
            amount = to_decimal(fields["amount"])
            if amount < 0:
                raise SalesError(_("The amount cannot be negative."))
            opp.amount = amount
        if "currency" in fields and fields["currency"]:
            opp.currency = str(fields["currency"]).upper()[:3]
        if "probability" in fields:
            _check_probability(fields["probability"])
            if not opp.stage.is_closed:
                opp.probability = fields["probability"]
        if "forecast_category" in fields and not opp.stage.is_closed:
            category = fields["forecast_category"] or opp.stage.forecast_category
            if category not in Opportunity.ForecastCategory.values:
                raise SalesError(_("Unknown forecast category."))
            opp.forecast_category = category
        if "buying_factor" in fields:
            factor = fields["buying_factor"] or ""
            if factor and factor not in Opportunity.BuyingFactor.values:
                raise SalesError(_("Unknown buying factor."))
            opp.buying_factor = factor
        for name in ("expected_close_on", "competitors", "product_lines"):
            if name in fields:
                setattr(opp, name, fields[name] if name == "expected_close_on" else (fields[name] or "").strip())
        if "lost_reason" in fields and opp.stage.is_closed and not opp.stage.is_won:
            reason = (fields["lost_reason"] or "").strip()
            if not reason:
                raise SalesError(_("A lost opportunity needs a lost reason."))
            opp.lost_reason = reason
        changes = diff(before, snapshot(opp, EDIT_AUDITED))
        if changes:
            opp.save()
            audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=opp, customer=opp.customer, changes=changes)
    return opp
