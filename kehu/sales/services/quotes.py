"""Quotes and their discount approval (DOMAIN.md §4, §5.4).

A quote is written by whoever may edit the customer's sales data (never finance) and is
owned by the customer's owner (the author for a pool customer). Its lines carry product,
quantity, unit price (the product's list price unless given) and discount %; a line's
amount is the revenue rule of `kehu.sales.lines`, the total Σ lines, the largest line
discount `max_discount_pct`.

Life: draft ⇄ (edit) → submit → approved at once when the largest discount is within the
customer's policy (`customer_policy(...).max_discount_pct`, equal is within), otherwise
pending for a manager of the owner's team (an admin when the team has no other manager), who
approves or rejects (with a comment); neither the owner nor the one who submitted it
decides. A rejected quote is edited and submitted again. A handover moves the customer's
quotes that are not accepted to the new owner, whose managers then decide the pending ones.
Approved → sent → accepted. Draft and rejected quotes are the only editable ones.

The payment term is agreed on the quote too (`payment_term_days`, empty = the policy's): a
term longer than the customer's policy (`customer_policy(...).payment_term_days`) also puts
the quote to approval; either reason makes it pending and the message names each one. What
the policy allowed at submission is kept on the quote (`allowed_discount_pct`,
`allowed_payment_term_days`) with the policy that set it (`discount_policy`,
`payment_term_policy`: a tier policy's key such as "value:problem", shown in each reader's
language by `kehu.sales.policy.policy_label`; "" for the company default).
A contract from an approved quote may have a payment term up to the quote's
(`kehu.finance.services.contracts`).
"""

from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.models import User
from kehu.core import events
from kehu.core.audit import audit_record, diff, snapshot
from kehu.core.dates import DATE_MAX, DATE_MIN, in_range
from kehu.core.forms import check_not_stale
from kehu.core.models import AuditEvent
from kehu.core.money import quantize_cents
from kehu.core.sequences import next_code
from kehu.customers.models import Customer
from kehu.sales.errors import QuoteError
from kehu.sales.lines import CleanLine, clean_lines
from kehu.sales.models import Opportunity, Quote, QuoteLine
from kehu.sales.permissions import can_create_quote, can_decide_quote, can_edit_quote
from kehu.sales.policy import customer_policy, policy_label, policy_source

KIND_APPROVAL = "quote_approval"
KIND_DECIDED = "quote_decided"
EDITABLE_STATUSES = (Quote.Status.DRAFT, Quote.Status.REJECTED)
# A contract can be made from these (kehu.finance.services.contracts.CONTRACT_QUOTE_STATUSES, a layer above).
CONTRACT_STATUSES = (Quote.Status.APPROVED, Quote.Status.SENT, Quote.Status.ACCEPTED)
AUDITED = ["status", "total", "max_discount_pct", "allowed_discount_pct", "valid_until", "notes", "opportunity", "currency",
           "payment_term_days", "allowed_payment_term_days"]
KEEP = object()  # quote_update: leave the payment term as it is
MAX_TERM_DAYS = 3650


# --- who is asked ------------------------------------------------------------------------------

def approvers(owner, submitter=None) -> list[User]:
    """Who is asked: the active managers of the owner's team, else (none, or only the submitter)
    the active admins; never the owner nor the submitter."""
    left_out = {owner.pk} | ({submitter.pk} if submitter is not None else set())
    people = []
    if owner.team_id:
        people = list(User.objects.filter(managed_teams=owner.team_id, is_active=True, role__in=[User.Role.MANAGER, User.Role.ADMIN])
                      .exclude(pk__in=left_out).distinct())
    if not people:
        people = list(User.objects.filter(role=User.Role.ADMIN, is_active=True).exclude(pk__in=left_out))
    return people


# --- helpers -----------------------------------------------------------------------------------

def next_quote_code() -> str:
    return next_code(Quote, prefix="Q", sequence="quote", width=6)


def _check_opportunity(opportunity, customer, *, current_id=None) -> None:
    """A quote's opportunity is an open or won one of its customer; a lost one only when the
    quote already had it (lost since)."""
    if opportunity is None:
        return
    if opportunity.customer_id != customer.pk:
        raise QuoteError(_("This opportunity belongs to another customer."))
    stage = opportunity.stage
    if stage.is_closed and not stage.is_won and opportunity.pk != current_id:
        raise QuoteError(_("This opportunity was lost; a quote cannot be linked to it."))


def clean_payment_term(value) -> int | None:
    """A payment term in whole days from 0 to MAX_TERM_DAYS, or None (the customer's policy)."""
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not (isinstance(value, int) or (isinstance(value, str) and value.strip().isdigit())):
        raise QuoteError(_("The payment term is a whole number of days."))
    days = int(value)
    if not 0 <= days <= MAX_TERM_DAYS:
        raise QuoteError(_("The payment term is from 0 to %(max)d days.") % {"max": MAX_TERM_DAYS})
    return days


def percent_text(value: Decimal) -> str:
    """2.00 → "2", 2.50 → "2.5" (no exponent)."""
    return format(Decimal(value).normalize(), "f")


def effective_payment_term(quote: Quote) -> int | None:
    """The payment term a quote agreed: its own, else the policy's at submission (None before)."""
    return quote.payment_term_days if quote.payment_term_days is not None else quote.allowed_payment_term_days


def is_over_discount(quote: Quote) -> bool:
    return bool(quote.submitted_at) and quote.max_discount_pct > quote.allowed_discount_pct


def is_over_term(quote: Quote) -> bool:
    return (bool(quote.submitted_at) and quote.payment_term_days is not None and quote.allowed_payment_term_days is not None
            and quote.payment_term_days > quote.allowed_payment_term_days)


def approval_reasons(quote: Quote) -> list[str]:
    """Why a submitted quote needs approval, one translated clause per reason."""
    reasons = []
    if is_over_discount(quote):
        allowed = percent_text(quote.allowed_discount_pct)
        if quote.discount_policy:
            reasons.append(_("Above the discount policy of %(policy)s, %(allowed)s %%") % {
                "policy": policy_label(quote.discount_policy), "allowed": allowed})
        else:
            reasons.append(_("Above the discount policy, %(allowed)s %%") % {"allowed": allowed})
    if is_over_term(quote):
        params = {"days": quote.payment_term_days, "allowed": quote.allowed_payment_term_days,
                  "policy": policy_label(quote.payment_term_policy)}
        if quote.payment_term_policy:
            reasons.append(_("payment term of %(days)d days beyond the policy of %(allowed)d days (%(policy)s)") % params)
        else:
            reasons.append(_("payment term of %(days)d days beyond the policy of %(allowed)d days") % params)
    return reasons


def submit_message(quote: Quote) -> str:
    """What the submitter is told: approved at once, or waiting for approval and why
    ("Above the discount policy of Problem (value class), 2 %: waiting for approval.")."""
    if quote.status == Quote.Status.PENDING:
        reasons = approval_reasons(quote)
        if reasons:
            text = _("; ").join(reasons)
            return _("%(reasons)s: waiting for approval.") % {"reasons": text[:1].upper() + text[1:]}
        return _("Waiting for approval.")
    return _("Within the customer's policy: approved at once.")


def _check_valid_until(valid_until, *, now) -> None:
    if valid_until is not None and valid_until < timezone.localdate(now):
        raise QuoteError(_("A quote cannot be valid until a day in the past."))
    if valid_until is not None and not in_range(valid_until):
        raise QuoteError(_("Enter a date between %(min)s and %(max)s.") % {"min": DATE_MIN.isoformat(), "max": DATE_MAX.isoformat()})


def _write_lines(quote: Quote, lines: list[CleanLine]) -> None:
    quote.lines.all().delete()
    QuoteLine.objects.bulk_create([
        QuoteLine(quote=quote, product=ln.product, quantity=ln.quantity, unit_price=ln.unit_price,
                  discount_pct=ln.discount_pct, revenue=ln.revenue)
        for ln in lines
    ])
    quote.total = quantize_cents(sum((ln.revenue for ln in lines), Decimal(0)))
    quote.max_discount_pct = max(ln.discount_pct for ln in lines)


def _lines_audit(lines: list[CleanLine]) -> list[str]:
    return [f"{ln.product.code} × {ln.quantity} @ {ln.unit_price} −{ln.discount_pct}% = {ln.revenue}" for ln in lines]


def _snap(quote: Quote) -> dict:
    """The audited values; the opportunity by its code (the history shows it as written)."""
    values = snapshot(quote, AUDITED)
    values["opportunity"] = quote.opportunity.code if quote.opportunity_id else None
    return values


def _lock(quote: Quote) -> Quote:
    return Quote.objects.select_for_update(of=("self",)).select_related("customer", "owner").get(pk=quote.pk)


def quote_url(quote) -> str:
    return reverse("sales:quote-detail", args=[quote.pk])


# --- writes --------------------------------------------------------------------------------------

def quote_create(
    *, actor, customer: Customer, lines, currency: str = "CNY", opportunity: Opportunity | None = None,
    valid_until: date | None = None, notes: str = "", payment_term_days: int | None = None, now=None,
) -> Quote:
    """A draft quote of `customer`, owned by the customer's owner (the actor for a pool customer).
    `payment_term_days` None: the customer's policy."""
    now = now or timezone.now()
    currency = (currency or "CNY").upper()[:3]
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if not can_create_quote(actor, customer):
            raise PermissionDenied
        _check_opportunity(opportunity, customer)
        _check_valid_until(valid_until, now=now)
        cleaned = clean_lines(lines, currency=currency, kind="quote")
        term = clean_payment_term(payment_term_days)
        quote = Quote.objects.create(
            code=next_quote_code(), customer=customer, opportunity=opportunity, owner=customer.owner or actor,
            currency=currency, valid_until=valid_until, notes=(notes or "").strip(), payment_term_days=term,
        )
        _write_lines(quote, cleaned)
        quote.save(update_fields=["total", "max_discount_pct", "updated_at"])
        changes = {k: [None, v] for k, v in _snap(quote).items() if v not in (None, "")}
        changes["line_items"] = [None, _lines_audit(cleaned)]
        audit_record(actor=actor, verb=AuditEvent.Verb.CREATE, obj=quote, customer=customer, changes=changes)
    return quote


def quote_update(
    *, actor, quote: Quote, lines=None, opportunity: Opportunity | None = None, valid_until: date | None = None,
    notes: str | None = None, payment_term_days=KEEP, seen: dict | None = None, now=None, **unused,
) -> Quote:
    """Change a draft or rejected quote (lines replace the old ones). A rejected quote becomes
    a draft again, to be submitted anew. Pending, approved, sent and accepted quotes are locked.
    `payment_term_days`: None = the customer's policy; not given = unchanged. `seen`: the
    values the edit form was opened with (`form.seen`, lines included); when somebody changed
    any of them meanwhile, StaleEdit is raised and nothing is written."""
    now = now or timezone.now()
    with transaction.atomic():
        quote = _lock(quote)
        if not can_edit_quote(actor, quote):
            raise PermissionDenied
        if quote.status not in EDITABLE_STATUSES:
            raise QuoteError(_("Only a draft or rejected quote can be changed."))
        check_not_stale(quote, seen, labels={"lines_text": _("Lines")})
        before = _snap(quote)
        _check_opportunity(opportunity, quote.customer, current_id=quote.opportunity_id)
        _check_valid_until(valid_until, now=now)
        quote.opportunity = opportunity
        quote.valid_until = valid_until
        if notes is not None:
            quote.notes = notes.strip()
        if payment_term_days is not KEEP:
            quote.payment_term_days = clean_payment_term(payment_term_days)
        changes = {}
        if lines is not None:
            old_lines = [f"{ln.product_id}:{ln.quantity}:{ln.unit_price}:{ln.discount_pct}" for ln in quote.lines.all()]
            cleaned = clean_lines(lines, currency=quote.currency, kind="quote")
            new_lines = [f"{ln.product.pk}:{ln.quantity}:{ln.unit_price}:{ln.discount_pct}" for ln in cleaned]
            if old_lines != new_lines:
                _write_lines(quote, cleaned)
                changes["line_items"] = [None, _lines_audit(cleaned)]
        quote.status = Quote.Status.DRAFT
        changes.update(diff(before, _snap(quote)))
        if changes:
            quote.save()
            audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=quote, customer=quote.customer, changes=changes)
    return quote


def quote_submit(*, actor, quote: Quote, now=None) -> Quote:
    """Submit a draft or rejected quote: within the customer's policy (largest line discount ≤
    the policy's maximum, payment term ≤ the policy's term) it is approved at once; above either
    it waits for approval and the approvers are notified. `submit_message(quote)` says which."""
    from kehu.activities.notifications import notify_bulk
    from kehu.activities.models import Notification

    now = now or timezone.now()
    with transaction.atomic():
        quote = _lock(quote)
        if not can_edit_quote(actor, quote):
            raise PermissionDenied
        if quote.status not in EDITABLE_STATUSES:
            raise QuoteError(_("Only a draft or rejected quote can be submitted."))
        if not quote.lines.exists():
            raise QuoteError(_("A quote needs at least one line."))
        before = _snap(quote)
        policy = customer_policy(quote.customer)
        quote.allowed_discount_pct = policy.max_discount_pct
        quote.discount_policy = str(policy_source(policy, "max_discount_pct"))[:120]
        quote.allowed_payment_term_days = policy.payment_term_days
        quote.payment_term_policy = str(policy_source(policy, "payment_term_days"))[:120]
        quote.submitted_at = now
        quote.submitted_by = actor
        quote.decided_by = None
        quote.decided_at = None
        if not (is_over_discount(quote) or is_over_term(quote)):
            quote.status = Quote.Status.APPROVED
            quote.decided_at = now
            quote.approval_comment = ""
        else:
            quote.status = Quote.Status.PENDING
        note = submit_message(quote)
        quote.save()
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=quote, customer=quote.customer,
                     changes=diff(before, _snap(quote)), note=note)
        if quote.status == Quote.Status.APPROVED:  # within the policy: approved on submission
            events.event_record(events.QUOTE_APPROVED, object_type="quote", object_ids=quote.pk, actor=actor,
                                changes={"by": "policy"})
        if quote.status == Quote.Status.PENDING:
            stamp = now.strftime("%Y%m%d%H%M%S%f")
            params = {"code": quote.code, "owner": str(quote.owner), "total": str(quote.total), "currency": quote.currency,
                      "discount": str(quote.max_discount_pct), "allowed": str(quote.allowed_discount_pct),
                      "policy": quote.discount_policy, "term": quote.payment_term_days,
                      "allowed_term": quote.allowed_payment_term_days}
            notify_bulk([
                Notification(user=u, kind=KIND_APPROVAL, fact_key=f"quote:{quote.pk}:submitted:{stamp}", customer=quote.customer,
                             params=params, url=quote_url(quote))
                for u in approvers(quote.owner, actor)
            ])
    return quote


def quote_decide(*, actor, quote: Quote, approve: bool, comment: str = "", now=None) -> Quote:
    """Approve or reject a pending quote (a manager of the owner's team or an admin, never the
    owner nor the submitter); rejecting needs a comment. The owner is notified."""
    from kehu.activities.notifications import notify

    now = now or timezone.now()
    comment = (comment or "").strip()
    with transaction.atomic():
        quote = _lock(quote)
        if not can_decide_quote(actor, quote):
            raise PermissionDenied
        if quote.status != Quote.Status.PENDING:
            raise QuoteError(_("This quote is not waiting for approval."))
        if not approve and not comment:
            raise QuoteError(_("Say why the quote is rejected."))
        before = _snap(quote)
        quote.status = Quote.Status.APPROVED if approve else Quote.Status.REJECTED
        quote.decided_by = actor
        quote.decided_at = now
        quote.approval_comment = comment
        quote.save()
        changes = diff(before, _snap(quote))
        if comment:
            changes["approval_comment"] = [None, comment]
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=quote, customer=quote.customer, changes=changes, note=comment)
        if approve:
            events.event_record(events.QUOTE_APPROVED, object_type="quote", object_ids=quote.pk, actor=actor,
                                changes={"by": "approver"})
        if quote.owner.is_active:
            notify(user=quote.owner, kind=KIND_DECIDED, fact_key=f"quote:{quote.pk}:decided:{now.strftime('%Y%m%d%H%M%S%f')}",
                   customer=quote.customer, url=quote_url(quote),
                   params={"code": quote.code, "approved": bool(approve), "by": str(actor), "comment": comment[:300]})
    return quote


def _move(*, actor, quote: Quote, source: str, target: str, message) -> Quote:
    with transaction.atomic():
        quote = _lock(quote)
        if not can_edit_quote(actor, quote):
            raise PermissionDenied
        if quote.status != source:
            raise QuoteError(message)
        quote.status = target
        quote.save(update_fields=["status", "updated_at"])
        audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=quote, customer=quote.customer, changes={"status": [source, target]})
    return quote


def quote_mark_sent(*, actor, quote: Quote) -> Quote:
    """An approved quote was sent to the customer."""
    return _move(actor=actor, quote=quote, source=Quote.Status.APPROVED, target=Quote.Status.SENT,
                 message=_("Only an approved quote can be marked sent."))


def quote_mark_accepted(*, actor, quote: Quote) -> Quote:
    """The customer accepted a sent quote (a contract can then be made from it)."""
    return _move(actor=actor, quote=quote, source=Quote.Status.SENT, target=Quote.Status.ACCEPTED,
                 message=_("Only a sent quote can be marked accepted."))


def ask_approvers(quotes, *, owner, now, reason: str) -> None:
    """Notify the approvers of `owner` of the pending `quotes` (after their owner changed)."""
    from kehu.activities.models import Notification
    from kehu.activities.notifications import notify_bulk

    stamp = now.strftime("%Y%m%d%H%M%S%f")
    rows, asked = [], {}
    for quote in quotes:
        if quote.submitted_by_id not in asked:  # one query per submitter, not per quote
            asked[quote.submitted_by_id] = approvers(owner, quote.submitted_by)
        params = {"code": quote.code, "owner": str(owner), "total": str(quote.total), "currency": quote.currency,
                  "discount": str(quote.max_discount_pct), "allowed": str(quote.allowed_discount_pct),
                  "policy": quote.discount_policy, "term": quote.payment_term_days,
                  "allowed_term": quote.allowed_payment_term_days}
        rows += [Notification(user=u, kind=KIND_APPROVAL, fact_key=f"quote:{quote.pk}:{reason}:{stamp}", customer=quote.customer,
                              params=params, url=quote_url(quote))
                 for u in asked[quote.submitted_by_id]]
    notify_bulk(rows)
