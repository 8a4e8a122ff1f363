"""Writes of opportunities (DOMAIN.md §4): create, move between stages (the stage history),
edit. Who may: `kehu.sales.permissions.can_edit_opportunity` (the customer's owner, their
manager or an admin; finance never)."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core import events
from kehu.core.audit import audit_record, diff, snapshot
from kehu.core.dates import DATE_MAX, DATE_MIN, in_range
from kehu.core.errors import StaleEdit
from kehu.core.forms import check_not_stale, etag_for, seen_values
from kehu.core.models import AuditEvent
from kehu.core.money import to_decimal
from kehu.core.sequences import next_code
from kehu.customers.factors import buying_factors_problem
from kehu.customers.models import Customer
from kehu.sales.errors import SalesError
from kehu.sales.models import Opportunity, OpportunityStage, OpportunityStageChange
from kehu.sales.permissions import can_create_opportunity, can_edit_opportunity

AUDITED = ["stage", "probability", "forecast_category", "closed_on", "lost_reason", "owner"]


def next_opportunity_code() -> str:
    return next_code(Opportunity, prefix="O", sequence="opportunity", width=6)


def first_stage() -> OpportunityStage:
    return OpportunityStage.objects.filter(is_closed=False).order_by("position", "id").first()


def closed_forecast(stage: OpportunityStage) -> str:
    return Opportunity.ForecastCategory.CLOSED if stage.is_won else Opportunity.ForecastCategory.OMITTED


def clean_close_date(value) -> date | None:
    """An expected close date (a date or ISO text) within DATE_MIN..DATE_MAX, or None."""
    if value in (None, ""):
        return None
    try:
        day = value if isinstance(value, date) else date.fromisoformat(str(value))
    except ValueError:
        raise SalesError(_("Enter a valid date.")) from None
    if not in_range(day):
        raise SalesError(_("Enter a date between %(min)s and %(max)s.") % {"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()})
    return day


def pushed_to_later_month(old: date | None, new: date | None) -> bool:
    """The expected close moved to a later month (a push: counted in `push_count`; twice or more
    is a slipping deal). From no date, to no date or within the month is no push."""
    return old is not None and new is not None and (new.year, new.month) > (old.year, old.month)


def _check_probability(probability) -> None:
    if probability is not None and not 0 <= int(probability) <= 100:
        raise SalesError(_("The probability is a whole number from 0 to 100."))


def _check_buying_factors(first: str, second: str) -> None:
    problem = buying_factors_problem(first, second)
    if problem:
        raise SalesError(problem[1])


def opportunity_create(
    *, actor, customer: Customer, title: str, amount, stage: OpportunityStage | None = None, probability: int | None = None,
    expected_close_on: date | None = None, forecast_category: str = "", buying_factor: str = "", buying_factor_second: str = "",
    competitors: str = "", product_lines: str = "", lost_reason: str = "", now=None,
) -> Opportunity:
    """A new opportunity of `customer`, owned by the customer's owner (or the actor for a pool customer)."""
    if not can_create_opportunity(actor, customer):
        raise PermissionDenied
    title = (title or "").strip()
    if not title:
        raise SalesError(_("An opportunity needs a title."))
    amount = to_decimal(amount)
    if amount < 0:
        raise SalesError(_("The amount cannot be negative."))
    _check_probability(probability)
    buying_factor, buying_factor_second = buying_factor or "", buying_factor_second or ""
    _check_buying_factors(buying_factor, buying_factor_second)
    expected_close_on = clean_close_date(expected_close_on)
    now = now or timezone.now()
    with transaction.atomic():
        stage = stage or first_stage()
        if stage.is_closed and not stage.is_won and not (lost_reason or "").strip():
            raise SalesError(_("A lost opportunity needs a lost reason."))
        opp = Opportunity(
            code=next_opportunity_code(), customer=customer, owner=customer.owner or actor, title=title, stage=stage,
            probability=None if stage.is_closed else probability, amount=amount, expected_close_on=expected_close_on,
            forecast_category=closed_forecast(stage) if stage.is_closed else (forecast_category or stage.forecast_category),
            buying_factor=buying_factor, buying_factor_second=buying_factor_second, competitors=competitors, product_lines=product_lines,
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
            events.event_record(events.OPPORTUNITY_STAGE_CHANGED, object_type="opportunity", object_ids=opp.pk, actor=actor,
                                changes={"stage": [old_stage.code, stage.code]})
        changes = diff(before, snapshot(opp, AUDITED))
        if changes:
            audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=opp, customer=opp.customer, changes=changes)
    return opp


# --- editing an opportunity (its page) ----------------------------------------------------

EDITABLE = ("title", "amount", "currency", "probability", "expected_close_on", "forecast_category", "buying_factor",
            "buying_factor_second", "competitors", "product_lines", "lost_reason")
EDIT_AUDITED = ["title", "amount", "currency", "expected_close_on", "buying_factor", "buying_factor_second", "competitors", "product_lines", *AUDITED]


# The API's ETag of an opportunity: what its edit changes, and its stage and owner.
ETAG_FIELDS = (*EDITABLE, "stage", "owner")


def opportunity_etag(opportunity: Opportunity) -> str:
    """The ETag of the opportunity as it is now (GET answers it; a PATCH's If-Match must match)."""
    return etag_for(seen_values(opportunity, ETAG_FIELDS))


def opportunity_update(*, actor, opportunity: Opportunity, seen: dict | None = None, etag=None, **fields) -> Opportunity:
    """Change the fields of an opportunity (EDITABLE; the stage moves through
    opportunity_move). Who may: can_edit_opportunity (finance never). A closed opportunity
    keeps its closed probability and forecast category; a lost one keeps a lost reason.
    Audited with old → new values. Returns the opportunity as saved.

    Stale edits: `seen` (the values the edit form was opened with, `form.seen`) or `etag`
    (the API's If-Match: one ETag or several) are compared, under the row lock, with the
    opportunity as it is now; a difference raises StaleEdit and nothing is written."""
    unknown = set(fields) - set(EDITABLE)
    if unknown:
        raise SalesError(_("These fields cannot be changed here: %(fields)s") % {"fields": ", ".join(sorted(unknown))})
    with transaction.atomic():
        opp = Opportunity.objects.select_for_update(of=("self",)).select_related("customer", "stage").get(pk=opportunity.pk)
        if not can_edit_opportunity(actor, opp):
            raise PermissionDenied
        check_not_stale(opp, seen)
        if etag is not None and opportunity_etag(opp) not in ({etag} if isinstance(etag, str) else set(etag)):
            raise StaleEdit(_("This opportunity changed after you read it; read it again, then send your change."), changes=[])
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
        for name in ("buying_factor", "buying_factor_second"):
            if name in fields:
                setattr(opp, name, fields[name] or "")
        if "buying_factor" in fields or "buying_factor_second" in fields:
            _check_buying_factors(opp.buying_factor, opp.buying_factor_second)
        if "expected_close_on" in fields:
            old_close = opp.expected_close_on
            opp.expected_close_on = clean_close_date(fields["expected_close_on"])
            if pushed_to_later_month(old_close, opp.expected_close_on):
                opp.push_count += 1
        for name in ("competitors", "product_lines"):
            if name in fields:
                setattr(opp, name, (fields[name] or "").strip())
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
