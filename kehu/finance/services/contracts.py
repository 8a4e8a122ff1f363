"""Contracts and their payment plans (DOMAIN.md §4).

A contract is written by whoever may edit the customer's sales data (the owner rep, the
managers of the owner's team, admins; never finance), from a **won** opportunity or an
**approved / sent / accepted** quote of the same customer. The amount defaults to the quote's
total (else the opportunity's amount), the payment term to the quote's agreed term, else the
customer's policy (`customer_policy`). A payment term **beyond the policy** (DOMAIN.md §5.4) is
accepted only when the contract comes from an approved / sent / accepted quote whose agreed
term (`kehu.sales.services.quotes.effective_payment_term`) is at least as long, or when the actor may
approve the terms of the customer's owner (`can_approve_terms`: a manager of the owner's team
or an admin, never the owner); otherwise a FinanceError says to agree it on a quote. The currency is the source's (the quote's, else the opportunity's): a
different one is refused. The payment plan is written in the same transaction and must add up
exactly to the amount (nothing is written otherwise).

Changing the plan later is `contract_plan_set`, with its own rule (`can_edit_plan`: finance,
admins, managers of the owner's team); it re-applies the payments recorded on the contract.
"""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.audit import audit_record
from kehu.core.forms import check_not_stale
from kehu.core.money import format_money
from kehu.core.models import AuditEvent
from kehu.core.sequences import next_code
from kehu.finance.errors import FinanceError
from kehu.finance.models import Instalment, PaymentAllocation
from kehu.finance.permissions import can_approve_terms, can_create_contract, can_edit_plan
from kehu.finance.services.amounts import ZERO, clean_amount
from kehu.finance.services.payments import contracts_reapply
from kehu.sales.models import Contract, Quote
from kehu.sales.policy import customer_policy
from kehu.sales.policy import policy_label
from kehu.sales.policy import policy_source
from kehu.sales.services import effective_payment_term

CONTRACT_QUOTE_STATUSES = (Quote.Status.APPROVED, Quote.Status.SENT, Quote.Status.ACCEPTED)


def check_payment_term(*, actor, customer, quote, payment_term_days: int, policy=None) -> None:
    """Refuse a payment term beyond the customer's policy unless agreed on an approved quote
    or decided by someone who may approve the owner's terms (module docstring)."""
    policy = policy or customer_policy(customer)
    if payment_term_days <= policy.payment_term_days:
        return
    if quote is not None and quote.status in CONTRACT_QUOTE_STATUSES:
        agreed = effective_payment_term(quote)
        if agreed is not None and agreed >= payment_term_days:
            return
    if can_approve_terms(actor, customer):
        return
    source = policy_source(policy, "payment_term_days")
    params = {"days": payment_term_days, "allowed": policy.payment_term_days, "policy": policy_label(source)}
    if source:
        message = _("A payment term of %(days)d days is beyond the policy of %(allowed)d days (%(policy)s); "
                    "agree it on a quote and have it approved.")
    else:
        message = _("A payment term of %(days)d days is beyond the policy of %(allowed)d days; agree it on a quote and have it approved.")
    raise FinanceError(message % params)


def next_contract_code() -> str:
    """The next free K000001-style code (above any imported one; never a code in use)."""
    return next_code(Contract, prefix="K", sequence="contract", width=6)


def plan_rows(instalments, total: Decimal, currency: str = "CNY") -> list[tuple[int, date, Decimal]]:
    """Check a plan [(seq, due_on, amount)] against the contract amount; the sorted rows.
    The same rules as `contract_plan_set`: seq 1, 2, … without repeats, a due date, a positive
    amount of at most 2 decimals each, and Σ amounts == total exactly."""
    rows, seqs = [], set()
    for seq, due_on, amount in instalments:
        if not isinstance(seq, int) or seq < 1 or seq in seqs:
            raise FinanceError(_("Instalment numbers must be 1, 2, … without repeats."))
        if not isinstance(due_on, date):
            raise FinanceError(_("Instalment %(seq)s needs a due date.") % {"seq": seq})
        seqs.add(seq)
        rows.append((seq, due_on, clean_amount(amount, _("Instalment %(seq)s needs a positive amount of at most 2 decimals.") % {"seq": seq})))
    if not rows:
        raise FinanceError(_("A contract needs a payment plan of at least one instalment."))
    added = sum((a for _s, _d, a in rows), ZERO)
    if added != total:
        raise FinanceError(
            _("The instalments add up to %(total)s, but the contract amount is %(amount)s.") % {"total": format_money(added, currency), "amount": format_money(total, currency)}
        )
    return sorted(rows)


def contract_create(
    *, actor, customer, opportunity=None, quote=None, signed_on: date, amount=None, currency: str | None = None,
    payment_term_days: int | None = None, instalments,
) -> Contract:
    """Create a contract of `customer` with its payment plan (see the module docstring)."""
    if not can_create_contract(actor, customer):
        raise PermissionDenied
    if opportunity is None and quote is None:
        raise FinanceError(_("A contract comes from a won opportunity or an approved quote."))
    if quote is not None:
        if quote.customer_id != customer.pk:
            raise FinanceError(_("Quote %(code)s is not a quote of this customer.") % {"code": quote.code})
        if quote.status not in CONTRACT_QUOTE_STATUSES:
            raise FinanceError(_("Quote %(code)s is not approved; only an approved, sent or accepted quote becomes a contract.") % {"code": quote.code})
        if opportunity is None and quote.opportunity_id:
            opportunity = quote.opportunity
    if opportunity is not None:
        if opportunity.customer_id != customer.pk:
            raise FinanceError(_("Opportunity %(code)s is not an opportunity of this customer.") % {"code": opportunity.code})
        if quote is None and not opportunity.stage.is_won:
            raise FinanceError(_("Opportunity %(code)s is not won; only a won opportunity becomes a contract.") % {"code": opportunity.code})
    if amount in (None, ""):
        amount = quote.total if quote is not None else opportunity.amount
    amount = clean_amount(amount, _("The contract amount must be a positive number of at most 2 decimals."))
    source = quote if quote is not None else opportunity
    currency = currency or source.currency
    if currency != source.currency:
        message = (_("Quote %(code)s is in %(currency)s; the contract must be in %(currency)s too.") if quote is not None
                   else _("Opportunity %(code)s is in %(currency)s; the contract must be in %(currency)s too."))
        raise FinanceError(message % {"code": source.code, "currency": source.currency})
    if not isinstance(signed_on, date):
        raise FinanceError(_("The signing date is required."))
    policy = customer_policy(customer)
    if payment_term_days is None and quote is not None:
        payment_term_days = quote.payment_term_days
    if payment_term_days is None:
        payment_term_days = policy.payment_term_days
    if payment_term_days < 0:
        raise FinanceError(_("The payment term cannot be negative."))
    check_payment_term(actor=actor, customer=customer, quote=quote, payment_term_days=payment_term_days, policy=policy)
    rows = plan_rows(instalments, amount, currency)
    with transaction.atomic():
        contract = Contract.objects.create(
            code=next_contract_code(), customer=customer, opportunity=opportunity, quote=quote,
            owner=customer.owner or actor, signed_on=signed_on, amount=amount, currency=currency,
            payment_term_days=payment_term_days,
        )
        Instalment.objects.bulk_create([Instalment(contract=contract, seq=s, due_on=d, amount=a) for s, d, a in rows])
        audit_record(
            actor=actor, verb=AuditEvent.Verb.CREATE, obj=contract, customer=customer,
            changes={
                "amount": [None, str(amount)], "currency": [None, currency], "signed_on": [None, str(signed_on)],
                "payment_term_days": [None, payment_term_days],
                "opportunity": [None, opportunity.code if opportunity else None], "quote": [None, quote.code if quote else None],
                "payment_plan": [None, [[s, str(d), str(a)] for s, d, a in rows]],
            },
        )
        from kehu.finance.lifecycle import customer_lifecycle_refresh

        customer_lifecycle_refresh(customer_ids=[customer.pk], actor=actor)
    return contract


PLAN_FIELD = "payment_plan"


def plan_text(instalments, currency: str) -> str:
    """A plan as a person reads it and as the stale-edit guard compares it:
    "#1 2026-04-01 ¥400.00 · #2 2026-05-01 ¥600.00" (what was received is not part of it)."""
    return " · ".join(f"#{i.seq} {i.due_on.isoformat()} {format_money(i.amount, currency)}" for i in sorted(instalments, key=lambda i: i.seq))


def plan_seen_values(contract) -> dict:
    """What a plan form was opened with (`kehu.core.forms.seen_sign` signs it into the form)."""
    return {PLAN_FIELD: plan_text(Instalment.objects.filter(contract_id=contract.pk), contract.currency)}


@dataclass
class _PlanNow:
    payment_plan: str


def contract_plan_set(*, actor, contract, instalments, seen: dict | None = None) -> list[Instalment]:
    """Replace the payment plan of `contract` with `instalments` = [(seq, due_on, amount)].

    The rules of `plan_rows` (the amounts add up exactly to the contract's amount). Payments
    already recorded on the contract are applied again to the new plan (§5.0, in payment date
    order). `seen` (from a form, `plan_seen_values` when it was opened): when the plan was
    changed meanwhile, StaleEdit names the plan as it is now and nothing is written."""
    if not can_edit_plan(actor, contract):
        raise PermissionDenied
    rows = plan_rows(instalments, contract.amount, contract.currency)
    with transaction.atomic():
        # The contract row, then its instalments: the same order as `payment_record`, so a payment
        # being applied and a plan change wait for each other.
        Contract.objects.select_for_update().only("pk").get(pk=contract.pk)
        current = list(Instalment.objects.select_for_update().filter(contract_id=contract.pk).order_by("seq"))
        check_not_stale(_PlanNow(payment_plan=plan_text(current, contract.currency)), seen, labels={PLAN_FIELD: _("Payment plan")})
        PaymentAllocation.objects.filter(instalment__contract_id=contract.pk).delete()
        Instalment.objects.filter(contract_id=contract.pk).delete()
        created = Instalment.objects.bulk_create([Instalment(contract_id=contract.pk, seq=s, due_on=d, amount=a) for s, d, a in rows])
        contracts_reapply(contract_ids=[contract.pk])
        audit_record(
            actor=actor, verb=AuditEvent.Verb.UPDATE, obj=contract, customer=contract.customer,
            changes={"instalments": [None, [[s, str(d), str(a)] for s, d, a in rows]]},
        )
        from kehu.finance.lifecycle import customer_lifecycle_refresh

        customer_lifecycle_refresh(customer_ids=[contract.customer_id])
    return created


def split_evenly(amount: Decimal, count: int) -> list[Decimal]:
    """`amount` in `count` parts of whole cents that add up exactly (the last takes the rest)."""
    if count < 1:
        return []
    part = (amount / count).quantize(Decimal("0.01"), rounding="ROUND_DOWN")
    return [part] * (count - 1) + [amount - part * (count - 1)]
