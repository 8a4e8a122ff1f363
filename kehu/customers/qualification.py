"""The prospect qualification checklist (DOMAIN.md §3, 000): writes and the panel's reads.

Rules (docs/rules.md):
- The checklist items are an admin setting (`QualificationItem`); only active items count.
- Who may tick or untick an item for a customer: whoever may edit the customer (its owner,
  the owner's manager, an admin); finance never.
- The checklist applies to target, prospect and qualified customers; signed and VIP
  customers are past it (the panel is hidden, the service refuses).
- When every active item is ticked for a customer in stage `prospect`, it moves to
  `qualified` (customer_set_stage, timestamped and audited there). A `target` customer may
  be ticked but does not jump two stages; it moves when it becomes a prospect and an item is
  ticked again. Unticking never moves a customer back. A checklist with no active item
  qualifies nobody.
- Every tick, untick and note change is audited; the customer row is locked while the
  decision is made, so two users ticking the last two items at once qualify it exactly once.
"""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils.translation import gettext as _

from kehu.core.audit import audit_record
from kehu.core.models import AuditEvent
from kehu.customers.errors import QualificationError
from kehu.customers.models import Customer, QualificationCheck, QualificationItem
from kehu.customers.permissions import can_check_qualification, can_edit_qualification_items
from kehu.customers.services.records import customer_set_stage

CHECKLIST_STAGES = (Customer.Stage.TARGET, Customer.Stage.PROSPECT, Customer.Stage.QUALIFIED)
ITEM_FIELDS = ("name", "name_en", "help_text", "position", "is_active")


@dataclass(frozen=True)
class QualificationOutcome:
    customer: Customer
    qualified: bool  # this call moved the customer from prospect to qualified


def shows_checklist(customer) -> bool:
    return customer.stage in CHECKLIST_STAGES


def _lock(actor, customer) -> Customer:
    if not can_check_qualification(actor, customer):
        raise PermissionDenied
    locked = Customer.objects.select_for_update().get(pk=customer.pk)
    if not can_check_qualification(actor, locked):  # the owner may have changed meanwhile
        raise PermissionDenied
    if not shows_checklist(locked):
        raise QualificationError(_("The qualification checklist is for target, prospect and qualified customers."))
    return locked


def _is_complete(customer) -> bool:
    active = set(QualificationItem.objects.filter(is_active=True).values_list("pk", flat=True))
    if not active:
        return False
    checked = set(QualificationCheck.objects.filter(customer=customer, item_id__in=active).values_list("item_id", flat=True))
    return checked == active


def qualification_check(*, actor, customer: Customer, item: QualificationItem, note: str = "") -> QualificationOutcome:
    """Tick `item` for `customer` (or change its note); a prospect with every active item ticked becomes qualified."""
    note = (note or "").strip()[:255]
    with transaction.atomic():
        customer = _lock(actor, customer)
        item = QualificationItem.objects.filter(pk=item.pk, is_active=True).first()
        if item is None:
            raise QualificationError(_("This checklist item is no longer in use."))
        check = QualificationCheck.objects.filter(customer=customer, item=item).first()
        if check is None:
            check = QualificationCheck.objects.create(customer=customer, item=item, note=note, checked_by=actor)
            audit_record(actor=actor, verb=AuditEvent.Verb.CREATE, obj=check, customer=customer,
                         changes={"item": [None, item.name], **({"note": [None, note]} if note else {})})
        elif note and check.note != note:
            old = check.note
            check.note = note
            check.save(update_fields=["note"])
            audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=check, customer=customer, changes={"note": [old, note]})
        qualified = False
        if customer.stage == Customer.Stage.PROSPECT and _is_complete(customer):
            customer = customer_set_stage(actor=actor, customer=customer, stage=Customer.Stage.QUALIFIED, by_hand=False)
            qualified = True
    return QualificationOutcome(customer=customer, qualified=qualified)


def qualification_uncheck(*, actor, customer: Customer, item: QualificationItem) -> QualificationOutcome:
    """Untick `item` for `customer`. The stage never moves back."""
    with transaction.atomic():
        customer = _lock(actor, customer)
        check = QualificationCheck.objects.filter(customer=customer, item_id=item.pk).select_related("item").first()
        if check is not None:
            audit_record(actor=actor, verb=AuditEvent.Verb.REMOVE, obj=check, customer=customer,
                         changes={"item": [check.item.name, None]})
            check.delete()
    return QualificationOutcome(customer=customer, qualified=False)


def qualification_items_save(*, actor, rows: list[dict]) -> list[QualificationItem]:
    """Rename, reorder, (de)activate and add checklist items in one go.

    `rows`: dicts with `id` (None for a new item) and ITEM_FIELDS. Items are never deleted
    (deactivate them instead: the ticks already given keep their history). Every change is
    audited; an empty Chinese name or an unknown id refuses the whole save.
    """
    if not can_edit_qualification_items(actor):
        raise PermissionDenied
    with transaction.atomic():
        existing = {i.pk: i for i in QualificationItem.objects.select_for_update().order_by("pk")}
        saved = []
        for row in rows:
            values = {f: row.get(f) for f in ITEM_FIELDS if f in row}
            for text in ("name", "name_en", "help_text"):
                if text in values:
                    values[text] = (values[text] or "").strip()
            if "name" in values and not values["name"]:
                raise QualificationError(_("Every checklist item needs a Chinese name."))
            pk = row.get("id")
            if pk is None:
                if not values.get("name"):
                    raise QualificationError(_("Every checklist item needs a Chinese name."))
                item = QualificationItem.objects.create(**values)
                audit_record(actor=actor, verb=AuditEvent.Verb.CREATE, obj=item,
                             changes={k: [None, v] for k, v in values.items() if v not in (None, "")})
                saved.append(item)
                continue
            item = existing.get(pk)
            if item is None:
                raise QualificationError(_("A checklist item was removed meanwhile; reload the page."))
            changes = {k: [getattr(item, k), v] for k, v in values.items() if getattr(item, k) != v}
            if changes:
                for k, (_old, new) in changes.items():
                    setattr(item, k, new)
                item.save(update_fields=list(changes))
                audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=item, changes=changes)
            saved.append(item)
    return saved


# --- reads of the panel ------------------------------------------------------------------------

def checklist_rows(*, customer) -> list[dict]:
    """The active items in order, each with its tick (who, when, note) for `customer`: one query,
    none on the customer page (read with the customer: kehu.customers.selectors.customer_detail)."""
    from kehu.customers.selectors import page_memo, qualification_rows_from_json

    if page_memo(customer) is not None:
        rows = qualification_rows_from_json(customer)
        if rows is not None:
            return rows
    # One query: each active item with this customer's check (at most one per item) and its author.
    from django.db.models import F, FilteredRelation, Q

    from kehu.accounts.models import User

    user_fields = [f.attname for f in User._meta.concrete_fields]
    check_fields = [f.attname for f in QualificationCheck._meta.concrete_fields]
    rows = (
        QualificationItem.objects.filter(is_active=True)
        .annotate(mine=FilteredRelation("checks", condition=Q(checks__customer_id=customer.pk)))
        .annotate(**{f"c_{name}": F(f"mine__{name}") for name in check_fields})
        .annotate(**{f"u_{name}": F(f"mine__checked_by__{name}") for name in user_fields})
        .order_by("position", "id")
    )
    result = []
    for item in rows:
        check = None
        if getattr(item, "c_id") is not None:
            check = QualificationCheck(**{name: getattr(item, f"c_{name}") for name in check_fields})
            if getattr(item, "u_id") is not None:
                check.checked_by = User(**{name: getattr(item, f"u_{name}") for name in user_fields})
            elif check.checked_by_id is None:
                check.checked_by = None
        result.append({"item": item, "check": check})
    return result
