"""Signed and qualified-signed customers (DOMAIN.md §3), derived from contracts and payments.

- **Signed**: the customer has a contract signed on or before the day **and** the first
  instalment of that contract (the lowest seq) was paid in full on or before the day.
  A contract without a payment plan cannot make its customer signed (no first payment).
- **Qualified signed**: signed, and every instalment of the customer's contracts due on or
  before the day was paid in full by its due date (`paid_in_full_on <= due_on`).

`customer_lifecycle_refresh` moves a customer who became signed to the stage `signed`
(timestamped and audited through `customer_set_stage(by_hand=False)`) when their stage is
before it (target, prospect, qualified) — straight to vip when the latest key-account run
made them a key account (§3: vip = signed and a key account); a vip stays vip, and no stage moves backwards
here (a customer whose plan changes keeps the stage they reached).

The one way back is a reversed payment (红冲, `services.payments.payment_reverse`): a payment
recorded in error never happened, so a customer the facts had made signed who is no longer signed
once it is taken off goes back to the stage they had before Kehu moved them to signed or vip
(`customer_lifecycle_unsign`; qualified when the history does not say).
"""

from collections import defaultdict
from dataclasses import dataclass
from datetime import date

from django.utils import timezone

from kehu.customers.models import Customer, CustomerStageChange
from kehu.finance.models import Instalment

BEFORE_SIGNED = {Customer.Stage.TARGET, Customer.Stage.PROSPECT, Customer.Stage.QUALIFIED}


@dataclass(frozen=True)
class SignedStatus:
    is_signed: bool
    is_qualified_signed: bool


def customer_signed_status(*, customer_ids, as_of: date | None = None) -> dict[int, SignedStatus]:
    """{customer id: SignedStatus} on the day `as_of` (default today), in one query."""
    as_of = as_of or timezone.localdate()
    ids = list(set(customer_ids))
    rows = (
        Instalment.objects.filter(contract__customer_id__in=ids, contract__signed_on__lte=as_of)
        .values_list("contract__customer_id", "contract_id", "seq", "due_on", "paid_in_full_on")
        .order_by("contract_id", "seq")
    )
    first_paid = defaultdict(bool)
    seen_contracts = set()
    all_on_time = defaultdict(lambda: True)
    for customer_id, contract_id, _seq, due_on, full_on in rows:
        if contract_id not in seen_contracts:  # the lowest seq of the contract
            seen_contracts.add(contract_id)
            if full_on is not None and full_on <= as_of:
                first_paid[customer_id] = True
        if due_on <= as_of and (full_on is None or full_on > due_on):
            all_on_time[customer_id] = False
    result = {}
    for cid in ids:
        signed = first_paid[cid]
        result[cid] = SignedStatus(is_signed=signed, is_qualified_signed=signed and all_on_time[cid])
    return result


def customer_lifecycle_refresh(*, customer_ids, as_of: date | None = None, actor=None) -> dict[int, SignedStatus]:
    """Move the customers who are signed now to the stage `signed` (see the module docstring)."""
    from kehu.customers.services.records import customer_set_stage

    status = customer_signed_status(customer_ids=customer_ids, as_of=as_of)
    signed_ids = [cid for cid, s in status.items() if s.is_signed]
    if signed_ids:
        for customer in Customer.objects.filter(pk__in=signed_ids, stage__in=BEFORE_SIGNED).order_by("pk"):
            stage = Customer.Stage.VIP if customer.is_key_account else Customer.Stage.SIGNED
            customer_set_stage(actor=actor, customer=customer, stage=stage, by_hand=False)
    return status


def customer_lifecycle_unsign(*, customer_ids, as_of: date | None = None, actor=None) -> list[int]:
    """Of `customer_ids` (customers the facts made signed before a payment was reversed), move
    those no longer signed and still at signed or vip back to the stage before their latest move
    up to signed / vip. Returns the ids moved."""
    from kehu.customers.services.records import customer_set_stage

    status = customer_signed_status(customer_ids=customer_ids, as_of=as_of)
    unsigned = [cid for cid, s in status.items() if not s.is_signed]
    moved = []
    for customer in Customer.objects.filter(pk__in=unsigned, stage__in=(Customer.Stage.SIGNED, Customer.Stage.VIP)).order_by("pk"):
        before = (CustomerStageChange.objects.filter(customer_id=customer.pk, to_stage__in=(Customer.Stage.SIGNED, Customer.Stage.VIP),
                                                     from_stage__in=BEFORE_SIGNED)
                  .order_by("-at", "-pk").values_list("from_stage", flat=True).first())
        customer_set_stage(actor=actor, customer=customer, stage=before or Customer.Stage.QUALIFIED, by_hand=False)
        moved.append(customer.pk)
    return moved
