"""Bad-debt write-offs (DOMAIN.md §5.0): finance and administrators write off what a customer
will not pay; the receivable's open amount goes down under its row lock."""

from datetime import date

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.audit import audit_record
from kehu.core.models import AuditEvent
from kehu.finance.errors import FinanceError
from kehu.finance.models import Receivable, WriteOff
from kehu.finance.permissions import can_write_off
from kehu.finance.services.amounts import clean_amount
from kehu.finance.services.balances import receivable_decrement


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
    amount = clean_amount(amount, _("The amount must be a positive number of at most 2 decimals."))
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
        if not receivable_decrement(locked.pk, amount, written_off=True):
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
