"""Handover (交接): move all or chosen customers of one rep to another in one action."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts import permissions
from kehu.core.models import AuditEvent
from kehu.customers import hooks
from kehu.customers.errors import CustomerError
from kehu.customers.models import Customer, Handover


def customer_handover(*, actor, from_user, to_user, customer_ids=None, note: str = "") -> Handover:
    """Reassign `from_user`'s customers (all, or those in `customer_ids`) to `to_user`.

    Open opportunities and planned follow-ups move with them through hooks.HANDOVER_MOVERS;
    history stays attached to the customers. The handover itself is recorded.
    """
    if from_user.pk == to_user.pk:
        raise CustomerError(_("Choose two different people."))
    if not to_user.is_active or to_user.role not in ("rep", "manager"):
        raise CustomerError(_("Customers can only be handed to an active rep or manager."))
    if not permissions.can_handover(actor, from_user, to_user):
        raise PermissionDenied
    with transaction.atomic():
        qs = Customer.objects.select_for_update().filter(owner=from_user, is_deleted=False)
        if customer_ids is not None:
            qs = qs.filter(pk__in=list(customer_ids))
        ids = list(qs.values_list("pk", flat=True))
        if not ids:
            raise CustomerError(_("There is no customer to hand over."))
        now = timezone.now()
        Customer.objects.filter(pk__in=ids).update(
            owner=to_user, owned_since=now, pool_clock_at=now, return_warned_at=None, updated_at=now,
        )
        related = {}
        for mover in hooks.HANDOVER_MOVERS:
            related.update(mover(actor=actor, from_user=from_user, to_user=to_user, customer_ids=ids))
        handover = Handover.objects.create(
            actor=actor, from_user=from_user, to_user=to_user, customer_count=len(ids), related_counts=related, note=note[:500],
        )
        handover.customers.set(ids)
        AuditEvent.objects.bulk_create([
            AuditEvent(actor=actor, verb=AuditEvent.Verb.HANDOVER, object_type="customer", object_id=pk, customer_id=pk,
                       changes={"owner": [from_user.pk, to_user.pk]}, note=note[:500])
            for pk in ids
        ])
    return handover
