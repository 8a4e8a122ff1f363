"""Merge two records of the same customer: everything moves to the kept one."""

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from kehu.core.audit import audit_note, audit_record
from kehu.core.models import AuditEvent
from kehu.customers import hooks
from kehu.customers.errors import CustomerError
from kehu.customers.services.archive import archive_merge
from kehu.customers.models import Contact, Customer, CustomerMerge, PoolEvent
from kehu.customers.summaries import stage_months_refresh
from kehu.customers.services.records import CUSTOMER_EDITABLE, customer_derive_fields
from kehu.customers import permissions

# The buying factors are a ranked pair: taken together, when the kept record has none.
FACTORS = ("buying_factor", "buying_factor_second")
FILLABLE = [f for f in CUSTOMER_EDITABLE if f not in ("name", "kind", *FACTORS)] + ["credit_limit"]


def customer_merge(*, actor, kept: Customer, merged: Customer) -> CustomerMerge:
    """Fold `merged` into `kept`: contacts, history, pool events and (through hooks) opportunities
    and other records move; empty fields of `kept` take `merged`'s values; tags are joined;
    `merged` goes to the recycle bin marked as merged. The merge is recorded."""
    if kept.pk == merged.pk:
        raise CustomerError(_("A record cannot be merged with itself."))
    with transaction.atomic():
        locked = {c.pk: c for c in Customer.objects.select_for_update().filter(pk__in=[kept.pk, merged.pk])}
        kept, merged = locked[kept.pk], locked[merged.pk]
        if kept.is_deleted or merged.is_deleted:
            raise CustomerError(_("Records in the recycle bin cannot be merged."))
        if not permissions.can_merge_customers(actor, kept, merged):
            raise PermissionDenied
        filled = {}
        for field in FILLABLE:
            if getattr(kept, field) in ("", None) and getattr(merged, field) not in ("", None):
                setattr(kept, field, getattr(merged, field))
                filled[field] = [None, str(getattr(merged, field))]
        if not kept.buying_factor and merged.buying_factor:
            for field in FACTORS:
                if getattr(merged, field) != getattr(kept, field):
                    filled[field] = [getattr(kept, field) or None, getattr(merged, field)]
                setattr(kept, field, getattr(merged, field))
        if merged.uscc and kept.uscc == merged.uscc:
            merged.uscc = ""
        counts = {
            "contacts": Contact.objects.filter(customer=merged).update(customer=kept, updated_at=timezone.now()),
            "history": AuditEvent.objects.filter(customer=merged).update(customer=kept),
        }
        PoolEvent.objects.filter(customer=merged).update(customer=kept)
        counts.update(archive_merge(actor=actor, kept=kept, merged=merged))
        for mover in hooks.MERGE_MOVERS:
            counts.update(mover(actor=actor, kept=kept, merged=merged))
        kept.tags.add(*merged.tags.all())
        customer_derive_fields(kept)
        kept.save()
        merged.is_deleted = True
        merged.deleted_at = timezone.now()
        merged.deleted_by = actor
        merged.merged_into = kept
        merged.save()
        stage_months_refresh(customer_ids=[kept.pk, merged.pk])
        record = CustomerMerge.objects.create(actor=actor, kept=kept, merged=merged, moved_counts=counts)
        note = audit_note(gettext_noop("%(merged)s merged into %(kept)s"), merged=merged.code, kept=kept.code)
        audit_record(actor=actor, verb=AuditEvent.Verb.MERGE, obj=kept, customer=kept, changes=filled, note=note)
        audit_record(actor=actor, verb=AuditEvent.Verb.MERGE, obj=merged, customer=merged, note=note)
    return record
