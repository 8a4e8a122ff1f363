"""Payments: recording and applying them (DOMAIN.md §4, §5.0).

Payment application (§5.0): a payment that names an instalment (contract + seq) goes to it;
one that names only its contract fills that contract's open instalments in due-date order
(then seq), oldest first; what exceeds what is open, or a payment without a contract, stays
on account (`Payment.on_account`). A payment is in the currency of its receivable, else of its
contract, else (on account) of the customer (`Customer.currency`, else the company default).

Balances are never read, decided and written back: `payment_record` locks the contract row and
then the contract's instalment rows (select_for_update, in a fixed order) inside one
transaction — `contracts.contract_plan_set` takes the same locks in the same order — and changes
`applied` with an UPDATE expression guarded by `applied <= amount - x`, which the database
constraint `instalment_applied_within_amount` enforces again.

A payment that names a receivable (and no contract) goes to that receivable, at most its open
amount; the rest stays on account. The receivable row is locked and `open_amount` decremented
with an UPDATE guarded by `open_amount >= x` (the constraint `receivable_open_within_amount`
keeps it ≥ 0 again). A write-off (`writeoffs.writeoff_record`) decrements the same way.

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
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.core.audit import audit_record
from kehu.core.models import AuditEvent, CompanySettings
from kehu.core.money import format_money, to_minor
from kehu.core.sequences import next_code
from kehu.finance.errors import FinanceError, OverpaymentError
from kehu.finance.models import Instalment, Payment, PaymentAllocation, Receivable
from kehu.finance.permissions import can_record_payment, can_reverse_payment
from kehu.finance.services.amounts import ZERO, clean_amount
from kehu.finance.services.balances import receivable_decrement, receivable_increment
from kehu.sales.models import Contract


def _open_order(instalment) -> tuple:
    return (instalment.due_on, instalment.seq)


def _target_label(target, contract=None) -> str:
    """How an allocation's target reads in the history: an instalment as "K000221 #2"."""
    if isinstance(target, Instalment):
        return f"{contract.code if contract is not None else target.contract.code} #{target.seq}"
    return f"receivable:{target.pk}"


def _instalment_targets(locked: list[Instalment], seq: int | None) -> list[Instalment]:
    """What a payment naming `seq` (or only its contract) fills: that instalment, else the open
    ones by due date, oldest first (§5.0)."""
    if seq is not None:
        return [i for i in locked if i.seq == seq]
    return sorted((i for i in locked if i.applied < i.amount), key=_open_order)


def _fill_instalments(targets: list[Instalment], amount: Decimal, paid_on: date) -> tuple[list[tuple[Instalment, Decimal]], Decimal]:
    """Apply `amount` to `targets` (locked rows, in order) with guarded UPDATEs; the rows' `applied`
    is kept in step. Returns ([(instalment, amount taken)], what is left)."""
    taken, remaining = [], amount
    for instalment in targets:
        if remaining <= 0:
            break
        take = min(remaining, instalment.amount - instalment.applied)
        if take <= 0:
            continue
        cents = to_minor(take)
        changes = {"applied": ExpressionWrapper(F("applied") + Value(cents), output_field=models.BigIntegerField())}
        full = instalment.applied + take == instalment.amount
        if full:
            changes["paid_in_full_on"] = paid_on
        updated = Instalment.objects.filter(
            pk=instalment.pk, applied__lte=ExpressionWrapper(F("amount") - Value(cents), output_field=models.BigIntegerField()),
        ).update(**changes)
        if updated != 1:  # cannot happen under the row lock; never apply more than is open
            raise FinanceError(_("The instalment changed while the payment was applied; try again."))
        instalment.applied += take
        if full:
            instalment.paid_in_full_on = paid_on
        taken.append((instalment, take))
        remaining -= take
    _contracts_touched({i.contract_id for i, _take in taken})
    return taken, remaining


def _contracts_touched(contract_ids) -> None:
    """Their instalments changed: the contracts (which show them) are changed for `updated_since`."""
    if contract_ids:
        Contract.objects.filter(pk__in=sorted(contract_ids)).update(updated_at=timezone.now())


def _refuse_overpayment(*, amount: Decimal, open_amount: Decimal, currency: str, target: str) -> None:
    raise OverpaymentError(
        _("%(amount)s is more than the %(open)s open on %(target)s; %(rest)s would stay on account.") % {
            "amount": format_money(amount, currency), "open": format_money(open_amount, currency), "target": target,
            "rest": format_money(amount - open_amount, currency)},
        open=open_amount, amount=amount, currency=currency, target=target,
    )


def payment_record(
    *, actor, customer, amount, paid_on: date, contract=None, seq: int | None = None, code: str | None = None, receivable=None,
    allow_overpayment: bool = False,
) -> Payment:
    """Record a payment of `customer` and apply it (§5.0); returns the Payment with its allocations.

    `receivable` (instead of a contract): the payment goes to that receivable of the customer,
    at most its open amount; the rest stays on account.

    A payment that names an instalment, a contract or a receivable and is more than is open on
    it is refused with `OverpaymentError` (naming the open amount) unless `allow_overpayment`:
    a typo (999,999 for 56,833.33) must not silently leave most of it on account. A payment
    naming nothing is money on account by intent and is never asked about."""
    if not can_record_payment(actor, customer):
        raise PermissionDenied
    amount = clean_amount(amount, _("The amount must be a positive number of at most 2 decimals."))
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
            targets = _instalment_targets(locked, seq)
            if seq is not None and not targets:
                raise FinanceError(_("Contract %(code)s has no instalment %(seq)s.") % {"code": contract.code, "seq": seq})
            open_amount = sum((i.amount - i.applied for i in targets), ZERO)
            if amount > open_amount and not allow_overpayment:
                _refuse_overpayment(amount=amount, open_amount=open_amount, currency=contract.currency,
                                    target=_("%(contract)s #%(seq)s") % {"contract": contract.code, "seq": seq} if seq is not None else contract.code)
            allocations, remaining = _fill_instalments(targets, amount, paid_on)
        receivable_take = ZERO
        if receivable is not None:
            locked_receivable = Receivable.objects.select_for_update(of=("self",)).select_related("order").get(pk=receivable.pk)
            if amount > locked_receivable.open_amount and not allow_overpayment:
                _refuse_overpayment(amount=amount, open_amount=locked_receivable.open_amount, currency=locked_receivable.currency,
                                    target=locked_receivable.order.code if locked_receivable.order_id else f"#{locked_receivable.pk}")
            receivable_take = min(remaining, locked_receivable.open_amount)
            if receivable_take > 0:
                if not receivable_decrement(locked_receivable.pk, receivable_take):
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
                "applied": [None, {_target_label(t, contract): str(a) for t, a in allocations}],
                "on_account": [None, str(remaining)],
            },
        )
        from kehu.finance.lifecycle import customer_lifecycle_refresh

        customer_lifecycle_refresh(customer_ids=[customer.pk])
    return payment


def payment_reverse(*, actor, payment, reason: str) -> Payment:
    """Reverse a payment recorded in error (红冲): finance and admins, with a reason.

    The payment stays, marked reversed (who, when, why) and audited; it applies to nothing any
    more and counts in no sum. What it paid comes off the instalments and the receivable it was
    applied to, and then the money the customer's other payments keep on account for that
    contract (or receivable) is applied again, as payment allocation works (§5.0: a payment
    naming an instalment fills only that one, one naming its contract the open instalments
    oldest first), oldest payment first. Signed / qualified signed are derived again — a customer
    whom the facts had made signed and who is no longer signed goes back to the stage they had
    before (`lifecycle.customer_lifecycle_unsign`) — and commission, which is computed from the
    allocations, follows by itself.

    Locks in the order of `payment_record`: the contract row, its instalments, the receivable,
    then the payment row, which is decided on under its lock (two reversals at once: one
    happens, the other is refused)."""
    if not can_reverse_payment(actor, payment):
        raise PermissionDenied
    reason = (reason or "").strip()
    if not reason:
        raise FinanceError(_("Say why the payment is reversed."))
    from kehu.finance.lifecycle import customer_lifecycle_refresh, customer_lifecycle_unsign, customer_signed_status

    with transaction.atomic():
        locked_instalments: list[Instalment] = []
        if payment.contract_id:
            Contract.objects.select_for_update().only("pk").get(pk=payment.contract_id)
            locked_instalments = list(Instalment.objects.select_for_update().filter(contract_id=payment.contract_id).order_by("seq"))
        locked_receivable = Receivable.objects.select_for_update().get(pk=payment.receivable_id) if payment.receivable_id else None
        locked = Payment.objects.select_for_update(of=("self",)).select_related("customer", "contract").get(pk=payment.pk)
        if locked.reversed_at is not None:
            raise FinanceError(_("Payment %(code)s was reversed already.") % {"code": locked.code})
        was_signed = customer_signed_status(customer_ids=[locked.customer_id])[locked.customer_id].is_signed
        allocations = list(PaymentAllocation.objects.filter(payment_id=locked.pk).order_by("pk"))
        taken_off = {}
        by_id = {i.pk: i for i in locked_instalments}
        for a in allocations:
            if a.instalment_id:
                instalment = by_id[a.instalment_id]
                updated = Instalment.objects.filter(pk=instalment.pk, applied__gte=a.amount).update(
                    applied=ExpressionWrapper(F("applied") - Value(to_minor(a.amount)), output_field=models.BigIntegerField()),
                    paid_in_full_on=None,
                )
                if updated != 1:  # cannot happen under the row lock: an allocation is part of what was applied
                    raise FinanceError(_("The instalment changed while the payment was reversed; try again."))
                instalment.applied -= a.amount
                instalment.paid_in_full_on = None
                taken_off[_target_label(instalment, locked.contract)] = str(a.amount)
            else:
                if not receivable_increment(a.receivable_id, a.amount):
                    raise FinanceError(_("The receivable changed while the payment was reversed; try again."))
                locked_receivable.open_amount += a.amount
                taken_off[_target_label(locked_receivable)] = str(a.amount)
        PaymentAllocation.objects.filter(payment_id=locked.pk).delete()
        _contracts_touched({by_id[a.instalment_id].contract_id for a in allocations if a.instalment_id})
        before_on_account = locked.on_account
        locked.reversed_at, locked.reversed_by, locked.reversal_reason, locked.on_account = timezone.now(), actor, reason, ZERO
        locked.save(update_fields=["reversed_at", "reversed_by", "reversal_reason", "on_account", "updated_at"])
        reapplied = _reapply_on_account(payment=locked, instalments=locked_instalments, receivable=locked_receivable)
        audit_record(
            actor=actor, verb=AuditEvent.Verb.UPDATE, obj=locked, customer=locked.customer, note=reason,
            changes={
                "reversed": [False, True], "applied": [taken_off, {}], "on_account": [str(before_on_account), "0.00"],
                "reapplied": [None, reapplied] if reapplied else [None, {}],
            },
        )
        customer_lifecycle_refresh(customer_ids=[locked.customer_id], actor=actor)
        if was_signed:
            customer_lifecycle_unsign(customer_ids=[locked.customer_id], actor=actor)
    return locked


def _reapply_on_account(*, payment, instalments: list[Instalment], receivable) -> dict:
    """After `payment` was taken off: apply again what the other (not reversed) payments of the
    same contract or receivable keep on account, oldest payment first. Returns {payment code:
    {target: amount}} of what moved."""
    moved = {}
    if payment.contract_id:
        others = list(Payment.objects.not_reversed().filter(contract_id=payment.contract_id, on_account__gt=0)
                      .exclude(pk=payment.pk).order_by("paid_on", "code"))
        for other in others:
            targets = _instalment_targets(instalments, other.seq)
            taken, remaining = _fill_instalments(targets, other.on_account, other.paid_on)
            if not taken:
                continue
            _move_from_account(other, remaining, [PaymentAllocation(payment=other, instalment=i, amount=a) for i, a in taken])
            moved[other.code] = {_target_label(i, payment.contract): str(a) for i, a in taken}
    if receivable is not None:
        others = list(Payment.objects.not_reversed().filter(receivable_id=receivable.pk, on_account__gt=0)
                      .exclude(pk=payment.pk).order_by("paid_on", "code"))
        for other in others:
            take = min(other.on_account, receivable.open_amount)
            if take <= 0:
                break
            if not receivable_decrement(receivable.pk, take):
                raise FinanceError(_("The receivable changed while the payment was applied; try again."))
            receivable.open_amount -= take
            _move_from_account(other, other.on_account - take, [PaymentAllocation(payment=other, receivable_id=receivable.pk, amount=take)])
            moved[other.code] = {_target_label(receivable): str(take)}
    return moved


def _move_from_account(payment, remaining: Decimal, allocations: list[PaymentAllocation]) -> None:
    """`payment` now keeps `remaining` on account; the rest went to `allocations` (added to the
    payment's allocations of the same target where it has one)."""
    for new in allocations:
        existing = PaymentAllocation.objects.filter(payment_id=payment.pk, instalment_id=new.instalment_id, receivable_id=new.receivable_id).first()
        if existing is not None:
            PaymentAllocation.objects.filter(pk=existing.pk).update(
                amount=ExpressionWrapper(F("amount") + Value(to_minor(new.amount)), output_field=models.BigIntegerField()))
        else:
            new.save()
    Payment.objects.filter(pk=payment.pk).update(on_account=remaining, updated_at=timezone.now())
    payment.on_account = remaining


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
        for obj in Payment.objects.not_reversed().filter(contract_id__in=contract_ids):
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
        # Their plans and allocations were made again: changed for `updated_since` (one UPDATE each).
        now = timezone.now()
        Payment.objects.filter(contract_id__in=contract_ids).update(updated_at=now)
        Contract.objects.filter(pk__in=contract_ids).update(updated_at=now)
