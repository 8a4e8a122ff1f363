"""Handover (交接): move all or chosen customers of one rep to another in one action."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.accounts.visibility import managed_user_ids
from kehu.core import events
from kehu.core.models import AuditEvent
from kehu.customers import hooks
from kehu.customers.errors import CustomerError
from kehu.customers.models import Customer, Handover
from kehu.customers.summaries import stage_months_refresh
from kehu.customers import permissions


def _check(*, actor, from_user, to_user) -> None:
    if from_user.pk == to_user.pk:
        raise CustomerError(_("Choose two different people."))
    if not to_user.is_active or to_user.role not in ("rep", "manager"):
        raise CustomerError(_("Customers can only be handed to an active rep or manager."))
    if not permissions.can_handover(actor, from_user, to_user):
        raise PermissionDenied


def customer_handover(*, actor, from_user, to_user, customer_ids=None, note: str = "") -> Handover:
    """Reassign `from_user`'s customers (all, or those in `customer_ids`) to `to_user`.

    Open opportunities and planned follow-ups move with them through hooks.HANDOVER_MOVERS;
    history stays attached to the customers. The pool clock restarts (the new owner gets the
    full period), and the handover itself is recorded with one audit event per customer.
    When chosen customers no longer belong to `from_user` (moved meanwhile), nothing is
    written: the confirmed number must be the number moved.
    """
    _check(actor=actor, from_user=from_user, to_user=to_user)
    with transaction.atomic():
        qs = Customer.objects.select_for_update().filter(owner=from_user, is_deleted=False)
        if customer_ids is not None:
            wanted = {int(pk) for pk in customer_ids}
            if not wanted:
                raise CustomerError(_("Choose at least one customer to hand over."))
            qs = qs.filter(pk__in=wanted)
        rows = list(qs.order_by("pk").values_list("pk", "name", "code"))
        ids = [pk for pk, _name, _code in rows]
        if customer_ids is not None and len(ids) != len(wanted):
            raise CustomerError(
                _("%(missing)d of the chosen customers no longer belong to %(user)s. Nothing was handed over; choose again.")
                % {"missing": len(wanted) - len(ids), "user": from_user}
            )
        if not ids:
            raise CustomerError(_("There is no customer to hand over."))
        now = timezone.now()
        Customer.objects.filter(pk__in=ids).update(
            owner=to_user, owned_since=now, pool_clock_at=now, return_warned_at=None, updated_at=now,
        )
        stage_months_refresh(customer_ids=ids)
        related = {}
        for mover in hooks.HANDOVER_MOVERS:
            related.update(mover(actor=actor, from_user=from_user, to_user=to_user, customer_ids=ids))
        handover = Handover.objects.create(
            actor=actor, from_user=from_user, to_user=to_user, customer_count=len(ids), related_counts=related, note=note[:500],
        )
        handover.customers.set(ids)
        AuditEvent.objects.bulk_create([
            AuditEvent(actor=actor, verb=AuditEvent.Verb.HANDOVER, object_type="customer", object_id=pk, customer_id=pk,
                       object_label=f"{name} ({code})"[:255], changes={"owner": [from_user.pk, to_user.pk]}, note=note[:500])
            for pk, name, code in rows
        ])
        events.event_record(events.CUSTOMER_OWNER_CHANGED, object_type="customer", object_ids=ids, actor=actor,
                            changes={"owner": [from_user.pk, to_user.pk], "reason": "handover"})
    return handover


# --- reads for the handover page ------------------------------------------------------------

def handover_related_counts(*, from_user, customer_ids) -> dict:
    """What else moves with these customers ({label: count}), asked of the later apps
    (open opportunities, planned follow-ups) through hooks.HANDOVER_COUNTERS."""
    counts = {}
    for counter in hooks.HANDOVER_COUNTERS:
        counts.update(counter(from_user=from_user, customer_ids=list(customer_ids)))
    return counts


def handover_scope(*, user):
    """Handovers `user` may see, newest first: an admin all; a manager those from or to a user
    they manage; anyone else none (the handover page and /api/handovers/ read this)."""
    qs = Handover.objects.select_related("actor", "from_user", "to_user").order_by("-at", "-id")
    if not (user.is_active and user.is_admin_role):
        if not (user.is_active and user.is_manager):
            return qs.none()
        ids = managed_user_ids(user)
        qs = qs.filter(Q(from_user_id__in=ids) | Q(to_user_id__in=ids))
    return qs


def handover_history(*, user, limit: int = 50):
    """The `limit` newest handovers `user` may see (`handover_scope`)."""
    return list(handover_scope(user=user)[:limit])
