"""Writes of finance: payment plans and payments (DOMAIN.md §4, §5.0).

Payment application (§5.0): a payment that names an instalment (contract + seq) goes to it;
one that names only its contract fills that contract's open instalments in due-date order
(then seq), oldest first; what exceeds what is open, or a payment without a contract, stays
on account (`Payment.on_account`). A payment is in the currency of its receivable, else of its
contract, else (on account) of the customer (`Customer.currency`, else the company default).

Balances are never read, decided and written back: `payment_record` locks the contract row and
then the contract's instalment rows (select_for_update, in a fixed order) inside one
transaction — `contract_plan_set` takes the same locks in the same order — and changes
`applied` with an UPDATE expression guarded by `applied <= amount - x`, which the database
constraint `instalment_applied_within_amount` enforces again.

A payment that names a receivable (and no contract) goes to that receivable, at most its open
amount; the rest stays on account. The receivable row is locked and `open_amount` decremented
with an UPDATE guarded by `open_amount >= x` (the constraint `receivable_open_within_amount`
keeps it ≥ 0 again). A write-off (`writeoff_record`) decrements the same way.

`contracts_reapply` recomputes the application of whole contracts from scratch, in payment
date order, in memory and in bulk: the importers call it so that a re-import is idempotent.
"""

from collections import defaultdict
from datetime import date
from decimal import Decimal

from django.core.exceptions import PermissionDenied
from django.db import models, transaction
from django.db.models import F, Value
from django.db.models.expressions import ExpressionWrapper
from django.utils.translation import gettext as _

from kehu.core.audit import audit_record
from kehu.core.models import AuditEvent, CompanySettings
from kehu.core.money import MoneyError, quantize_cents, to_decimal, to_minor
from kehu.core.sequences import next_code
from kehu.finance.models import Instalment, Payment, PaymentAllocation, Receivable, WriteOff
from kehu.sales.models import Contract
from kehu.customers import permissions as customer_permissions

ZERO = Decimal("0.00")


class FinanceError(ValueError):
    """A payment or a payment plan that cannot be recorded; the message says why (translated)."""


def can_record_payment(user, customer) -> bool:
    """Finance, administrators and the managers of the customer's owner record payments;
    reps do not (money received is confirmed by finance, DOMAIN.md §4)."""
    return customer_permissions.can_edit_credit(user, customer)


def _money(value, *, message: str) -> Decimal:
    try:
        amount = to_decimal(value)
    except MoneyError:
        raise FinanceError(message) from None
    if amount <= 0 or quantize_cents(amount) != amount:
        raise FinanceError(message)
    return quantize_cents(amount)


def _open_order(instalment) -> tuple:
    return (instalment.due_on, instalment.seq)


def _target_label(target) -> str:
    if isinstance(target, Instalment):
        return f"{target.contract_id}#{target.seq}"
    return f"receivable:{target.pk}"


def _receivable_decrement(receivable_id: int, amount: Decimal, *, written_off: bool = False) -> bool:
    """open_amount −= amount with an UPDATE guarded by open_amount ≥ amount (True when done)."""
    cents = to_minor(amount)
    changes = {"open_amount": ExpressionWrapper(F("open_amount") - Value(cents), output_field=models.BigIntegerField())}
    if written_off:
        changes["written_off"] = ExpressionWrapper(F("written_off") + Value(cents), output_field=models.BigIntegerField())
    return Receivable.objects.filter(pk=receivable_id, open_amount__gte=amount).update(**changes) == 1  # amount: prepared to cents by the field


def payment_record(
    *, actor, customer, amount, paid_on: date, contract=None, seq: int | None = None, code: str | None = None, receivable=None,
) -> Payment:
    """Record a payment of `customer` and apply it (§5.0); returns the Payment with its allocations.

    `receivable` (instead of a contract): the payment goes to that receivable of the customer,
    at most its open amount; the rest stays on account."""
    if not can_record_payment(actor, customer):
        raise PermissionDenied
    amount = _money(amount, message=_("The amount must be a positive number of at most 2 decimals."))
    if not isinstance(paid_on, date):
        raise FinanceError(_("The payment date is required."))
    if seq is not None and contract is None:
        raise FinanceError(_("A payment that names an instalment must name its contract too."))
    if contract is not None and contract.customer_id != customer.pk:
        raise FinanceError(_("Contract %(code)s is not a contract of this customer.") % {"code": contract.code})
    if receivable is not None and contract is not None:
        raise FinanceError(_("A payment names either a contract or a receivable, not both."))
    if receivable is not None and receivable.customer_id != customer.pk:
        raise FinanceError(_("This receivable is not a receivable of this customer."))
    code = code or next_code(Payment, prefix="PM", sequence="payment", width=7)
    with transaction.atomic():
        if Payment.objects.filter(code=code).exists():
            raise FinanceError(_("A payment with the code %(code)s exists already.") % {"code": code})
        allocations: list[tuple[Instalment, Decimal]] = []
        remaining = amount
        if contract is not None:
            # The contract row first (as `contract_plan_set` does), then every instalment of the
            # contract, always in the same order: a plan change and a payment never interleave
            # and never deadlock.
            Contract.objects.select_for_update().only("pk").get(pk=contract.pk)
            locked = list(Instalment.objects.select_for_update().filter(contract_id=contract.pk).order_by("seq"))
            if seq is not None:
                targets = [i for i in locked if i.seq == seq]
                if not targets:
                    raise FinanceError(_("Contract %(code)s has no instalment %(seq)s.") % {"code": contract.code, "seq": seq})
            else:
                targets = sorted((i for i in locked if i.applied < i.amount), key=_open_order)
            for instalment in targets:
                if remaining <= 0:
                    break
                take = min(remaining, instalment.amount - instalment.applied)
                if take <= 0:
                    continue
                full = instalment.applied + take == instalment.amount
                cents = to_minor(take)
                changes = {"applied": ExpressionWrapper(F("applied") + Value(cents), output_field=models.BigIntegerField())}
                if full:
                    changes["paid_in_full_on"] = paid_on
                updated = Instalment.objects.filter(
                    pk=instalment.pk, applied__lte=ExpressionWrapper(F("amount") - Value(cents), output_field=models.BigIntegerField()),
                ).update(**changes)
                if updated != 1:  # cannot happen under the row lock; never apply more than is open
                    raise FinanceError(_("The instalment changed while the payment was applied; try again."))
                allocations.append((instalment, take))
                remaining -= take
        receivable_take = ZERO
        if receivable is not None:
            locked_receivable = Receivable.objects.select_for_update().get(pk=receivable.pk)
            receivable_take = min(remaining, locked_receivable.open_amount)
            if receivable_take > 0:
                if not _receivable_decrement(locked_receivable.pk, receivable_take):
                    raise FinanceError(_("The receivable changed while the payment was applied; try again."))
                remaining -= receivable_take
        if receivable is not None:
            currency = receivable.currency
        elif contract is not None:
            currency = contract.currency
        else:  # on account: the customer's currency, else the company's
            currency = getattr(customer, "currency", "") or CompanySettings.load().default_currency
        payment = Payment.objects.create(
            code=code, customer=customer, contract=contract, seq=seq, receivable=receivable, paid_on=paid_on, amount=amount,
            currency=currency, on_account=remaining, recorded_by=actor if getattr(actor, "pk", None) else None,
        )
        rows = [PaymentAllocation(payment=payment, instalment=i, amount=a) for i, a in allocations]
        if receivable_take > 0:
            rows.append(PaymentAllocation(payment=payment, receivable_id=receivable.pk, amount=receivable_take))
            allocations.append((receivable, receivable_take))
        PaymentAllocation.objects.bulk_create(rows)
        audit_record(
            actor=actor, verb=AuditEvent.Verb.CREATE, obj=payment, customer=customer,
            changes={
                "amount": [None, str(amount)], "paid_on": [None, str(paid_on)],
                "applied": [None, {_target_label(t): str(a) for t, a in allocations}],
                "on_account": [None, str(remaining)],
            },
        )
        from kehu.finance.lifecycle import customer_lifecycle_refresh

        customer_lifecycle_refresh(customer_ids=[customer.pk])
    return payment


def can_write_off(user) -> bool:
    """Bad-debt write-offs: finance and administrators only (not managers, not reps)."""
    return bool(user and user.is_authenticated and user.is_active and (user.is_finance or user.is_admin_role))


def writeoff_record(*, actor, receivable, amount, written_on: date, reason: str) -> WriteOff:
    """Write off `amount` of `receivable` as bad debt (finance, admin).

    At most the open amount; a reason is required. `open_amount` goes down with a guarded
    UPDATE under the row lock and `written_off` goes up by the same; the WriteOff row is what
    the profit rule of DOMAIN.md §5.0 reads ("profit … minus bad-debt write-offs dated in W":
    Σ WriteOff.amount with `written_on` in the window), so a write-off lowers the profit of
    the window of `written_on`, not of the receivable's date.
    """
    if not can_write_off(actor):
        raise PermissionDenied
    amount = _money(amount, message=_("The amount must be a positive number of at most 2 decimals."))
    if not isinstance(written_on, date):
        raise FinanceError(_("The write-off date is required."))
    reason = (reason or "").strip()
    if not reason:
        raise FinanceError(_("A write-off needs a reason."))
    with transaction.atomic():
        locked = Receivable.objects.select_for_update(of=("self",)).select_related("customer").get(pk=receivable.pk)
        if amount > locked.open_amount:
            raise FinanceError(
                _("At most the open amount %(open)s can be written off.") % {"open": locked.open_amount}
            )
        if not _receivable_decrement(locked.pk, amount, written_off=True):
            raise FinanceError(_("The receivable changed while the write-off was recorded; try again."))
        writeoff = WriteOff.objects.create(
            customer_id=locked.customer_id, receivable=locked, written_on=written_on, amount=amount, reason=reason,
            user=actor if getattr(actor, "pk", None) else None,
        )
        audit_record(
            actor=actor, verb=AuditEvent.Verb.CREATE, obj=writeoff, customer=locked.customer,
            changes={
                "receivable": [None, locked.pk], "amount": [None, str(amount)], "written_on": [None, str(written_on)],
                "open_amount": [str(locked.open_amount), str(locked.open_amount - amount)], "reason": [None, reason],
            },
        )
        from kehu.finance.lifecycle import customer_lifecycle_refresh

        customer_lifecycle_refresh(customer_ids=[locked.customer_id])
    receivable.refresh_from_db()
    return writeoff


def contract_plan_set(*, actor, contract, instalments) -> list[Instalment]:
    """Replace the payment plan of `contract` with `instalments` = [(seq, due_on, amount)].

    The amounts must add up exactly to the contract's amount. Payments already recorded on
    the contract are applied again to the new plan (§5.0, in payment date order).
    """
    if not can_record_payment(actor, contract.customer):
        raise PermissionDenied
    rows = []
    seqs = set()
    for seq, due_on, amount in instalments:
        if not isinstance(seq, int) or seq < 1 or seq in seqs:
            raise FinanceError(_("Instalment numbers must be 1, 2, … without repeats."))
        if not isinstance(due_on, date):
            raise FinanceError(_("Instalment %(seq)s needs a due date.") % {"seq": seq})
        seqs.add(seq)
        rows.append((seq, due_on, _money(amount, message=_("Instalment %(seq)s needs a positive amount of at most 2 decimals.") % {"seq": seq})))
    total = sum((a for _s, _d, a in rows), ZERO)
    if total != contract.amount:
        raise FinanceError(
            _("The instalments add up to %(total)s, but the contract amount is %(amount)s.") % {"total": total, "amount": contract.amount}
        )
    with transaction.atomic():
        # The contract row, then its instalments: the same order as `payment_record`, so a payment
        # being applied and a plan change wait for each other.
        Contract.objects.select_for_update().only("pk").get(pk=contract.pk)
        list(Instalment.objects.select_for_update().filter(contract_id=contract.pk).order_by("seq"))
        PaymentAllocation.objects.filter(instalment__contract_id=contract.pk).delete()
        Instalment.objects.filter(contract_id=contract.pk).delete()
        created = Instalment.objects.bulk_create(
            [Instalment(contract_id=contract.pk, seq=s, due_on=d, amount=a) for s, d, a in sorted(rows)]
        )
        contracts_reapply(contract_ids=[contract.pk])
        audit_record(
            actor=actor, verb=AuditEvent.Verb.UPDATE, obj=contract, customer=contract.customer,
            changes={"instalments": [None, [[s, str(d), str(a)] for s, d, a in sorted(rows)]]},
        )
        from kehu.finance.lifecycle import customer_lifecycle_refresh

        customer_lifecycle_refresh(customer_ids=[contract.customer_id])
    return created


def apply_in_memory(instalments: list[dict], payments: list[dict]) -> tuple[dict, list[tuple[int, int, Decimal]], dict]:
    """§5.0 for one contract: payments (dicts with id, seq, paid_on, amount, code) in date
    order over instalments (dicts with id, seq, due_on, amount).

    Returns ({instalment id: (applied, paid_in_full_on)}, [(payment id, instalment id,
    amount)], {payment id: on_account}).
    """
    state = {i["id"]: [ZERO, None] for i in instalments}
    by_seq = {i["seq"]: i for i in instalments}
    ordered = sorted(instalments, key=lambda i: (i["due_on"], i["seq"]))
    allocations, on_account = [], {}
    for p in sorted(payments, key=lambda p: (p["paid_on"], p["code"])):
        remaining = p["amount"]
        if p["seq"] is not None:
            targets = [by_seq[p["seq"]]] if p["seq"] in by_seq else []
        else:
            targets = ordered
        for i in targets:
            if remaining <= 0:
                break
            s = state[i["id"]]
            take = min(remaining, i["amount"] - s[0])
            if take <= 0:
                continue
            s[0] += take
            if s[0] == i["amount"]:
                s[1] = p["paid_on"]
            allocations.append((p["id"], i["id"], take))
            remaining -= take
        on_account[p["id"]] = remaining
    return {k: (v[0], v[1]) for k, v in state.items()}, allocations, on_account


def contracts_reapply(*, contract_ids) -> None:
    """Apply every payment of the contracts again, from scratch, in date order (bulk writes)."""
    contract_ids = sorted(set(contract_ids))
    if not contract_ids:
        return
    with transaction.atomic():
        inst_by_contract = defaultdict(list)
        instalment_objs = {}
        for obj in Instalment.objects.select_for_update().filter(contract_id__in=contract_ids).order_by("contract_id", "seq"):
            inst_by_contract[obj.contract_id].append({"id": obj.pk, "seq": obj.seq, "due_on": obj.due_on, "amount": obj.amount})
            instalment_objs[obj.pk] = obj
        pay_by_contract = defaultdict(list)
        payment_objs = {}
        for obj in Payment.objects.filter(contract_id__in=contract_ids):
            pay_by_contract[obj.contract_id].append({"id": obj.pk, "seq": obj.seq, "paid_on": obj.paid_on, "amount": obj.amount, "code": obj.code})
            payment_objs[obj.pk] = obj
        PaymentAllocation.objects.filter(payment_id__in=list(payment_objs)).delete()
        PaymentAllocation.objects.filter(instalment_id__in=list(instalment_objs)).delete()
        new_allocations, changed_inst, changed_pay = [], [], []
        for cid in contract_ids:
            state, allocations, on_account = apply_in_memory(inst_by_contract.get(cid, []), pay_by_contract.get(cid, []))
            for iid, (applied, full_on) in state.items():
                obj = instalment_objs[iid]
                if obj.applied != applied or obj.paid_in_full_on != full_on:
                    obj.applied, obj.paid_in_full_on = applied, full_on
                    changed_inst.append(obj)
            for pid, rest in on_account.items():
                obj = payment_objs[pid]
                if obj.on_account != rest:
                    obj.on_account = rest
                    changed_pay.append(obj)
            new_allocations += [PaymentAllocation(payment_id=p, instalment_id=i, amount=a) for p, i, a in allocations]
        if changed_inst:
            Instalment.objects.bulk_update(changed_inst, ["applied", "paid_in_full_on"], batch_size=500)
        if changed_pay:
            Payment.objects.bulk_update(changed_pay, ["on_account"], batch_size=500)
        PaymentAllocation.objects.bulk_create(new_allocations, batch_size=500)


def finance_merge(*, actor, kept, merged) -> dict:
    """customers.hooks.MERGE_MOVERS: the merged record's payments, receivables, write-offs and
    quality losses move to the kept one (instalments follow their contracts, which sales
    moves). The lifecycle of the kept customer is refreshed by the next payment or import."""
    from kehu.finance.models import QualityLoss, Receivable, WriteOff

    moved = {}
    for label, model in ((_("payments"), Payment), (_("receivables"), Receivable), (_("write-offs"), WriteOff), (_("quality losses"), QualityLoss)):
        count = model.objects.filter(customer=merged).update(customer=kept)
        if count:
            moved[label] = count
    return moved
