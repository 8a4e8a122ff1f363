"""Create, change, delete and restore customers and contacts; find duplicates."""

from dataclasses import dataclass

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.text import capfirst
from stdnum.cn import uscc as uscc_std

from kehu.accounts import permissions as account_permissions
from kehu.core import events
from kehu.core.audit import audit_record, diff, snapshot
from kehu.core.errors import StaleEdit
from kehu.core.forms import check_not_stale, etag_for, seen_values
from kehu.core.models import AuditEvent
from kehu.core.sequences import next_code
from kehu.customers.errors import CustomerError, DuplicateCustomer
from kehu.customers.models import CompanyProfile, Contact, Customer, CustomerStageChange, PersonProfile, Tag
from kehu.customers.factors import buying_factors_problem
from kehu.customers.summaries import stage_months_refresh
from kehu.customers.normalize import normalize_name, normalize_phone, pinyin_full, pinyin_initials
from kehu.customers import permissions
from django.utils.translation import gettext_lazy as _

# Fields a user may set through a form, the API or the import. Owner, code, stage and
# audit fields are not among them: they change only through their own services.
CUSTOMER_EDITABLE = [
    "name", "kind", "lead_source", "referrer_customer", "referrer_contact", "referrer_agent",
    "province", "city", "industry", "phone", "address", "email", "website", "uscc",
    "influence", "reputation", "notes", "fund_status", "payment_attitude", "bank_name",
    "bank_account", "past_bankruptcy", "past_credibility", "card_notes",
    "buying_factor", "buying_factor_second",
]
CREDIT_FIELDS = ["credit_limit", "currency"]
# The data-card fields finance may change besides the credit fields (sales may change them too).
FINANCE_CARD_FIELDS = ["fund_status", "payment_attitude"]
# Stages a user may set by hand; signed and vip are derived from contracts, payments and rankings.
MANUAL_STAGES = ["target", "prospect", "qualified"]
AUDITED = CUSTOMER_EDITABLE + CREDIT_FIELDS + ["owner", "stage", "code", "is_deleted"]
CONTACT_EDITABLE = [
    "name", "title", "department", "decision_role", "principal_role", "phone", "email", "wechat",
    "notes", "gender", "birth_date", "native_place", "id_number", "home_address", "employer",
    "education", "career", "family", "lifestyle", "personality", "relationships",
]


@dataclass(frozen=True)
class DuplicateMatch:
    reason: str  # "uscc", "name" or "phone"
    customer: Customer


def clean_uscc(value: str) -> str:
    value = (value or "").strip().upper()
    if not value:
        return ""
    if not uscc_std.is_valid(value):
        raise CustomerError(_("%(value)s is not a valid unified social credit code (18 characters with a correct check character).") % {"value": value})
    return uscc_std.compact(value)


def different_legal_entities(uscc: str, other_uscc: str) -> bool:
    """Two customers that both have a USCC, and not the same one, are different legal entities
    (DOMAIN §2: the USCC is the first key): a shared name or phone is only a warning then."""
    return bool(uscc and other_uscc) and uscc_std.compact(uscc) != uscc_std.compact(other_uscc)


def customer_derive_fields(customer: Customer) -> None:
    """Fill the search and de-duplication helpers from the name and phone."""
    customer.name = (customer.name or "").strip()
    customer.name_normalized = normalize_name(customer.name)
    customer.name_initials = pinyin_initials(customer.name)
    customer.name_pinyin = pinyin_full(customer.name)[:800]
    customer.phone_normalized = normalize_phone(customer.phone)


def next_customer_code() -> str:
    return next_code(Customer, prefix="C", sequence="customer", width=5)


def customer_find_duplicates(*, uscc: str = "", name: str = "", phone: str = "", exclude_id: int | None = None) -> list[DuplicateMatch]:
    """Existing customers (any owner, recycle bin excluded) that may be the same: USCC, then name, then phone."""
    matches: list[DuplicateMatch] = []
    seen: set[int] = set()
    base = Customer.objects.alive().select_related("owner")
    if exclude_id:
        base = base.exclude(pk=exclude_id)
    checks = []
    if uscc:
        checks.append(("uscc", Q(uscc=uscc.strip().upper())))
    if name and normalize_name(name):
        checks.append(("name", Q(name_normalized=normalize_name(name))))
    if phone and len(normalize_phone(phone)) >= 7:
        checks.append(("phone", Q(phone_normalized=normalize_phone(phone)) | Q(contacts__phone_normalized=normalize_phone(phone), contacts__is_deleted=False)))
    for reason, q in checks:
        for customer in base.filter(q).distinct()[:10]:
            if customer.pk not in seen:
                seen.add(customer.pk)
                matches.append(DuplicateMatch(reason, customer))
    return matches


def tags_from_names(names) -> list[Tag]:
    """The tags named in `names` (strings or Tag objects), creating the missing ones.

    Called inside the caller's transaction, so a failed save leaves no new tag behind.
    """
    result, seen = [], set()
    for item in names or ():
        if isinstance(item, Tag):
            tag = item
        else:
            name = str(item).strip()[:50]
            if not name:
                continue
            tag, _created = Tag.objects.get_or_create(name=name)
        if tag.pk not in seen:
            seen.add(tag.pk)
            result.append(tag)
    return result


# --- stale edits ------------------------------------------------------------------------------
# The API's ETag of a record: the fields its representation shows, sensitive values only for
# those who may read them (an ETag must not let anyone test guesses of a masked value).
CUSTOMER_ETAG_FIELDS = CUSTOMER_EDITABLE + CREDIT_FIELDS + [
    "code", "owner", "stage", "is_key_account", "pyramid_tier", "value_class", "tags", "is_deleted",
]
CONTACT_ETAG_FIELDS = CONTACT_EDITABLE + ["customer", "is_deleted"]
SENSITIVE = ("bank_account", "id_number")


def _etag_fields(fields, user) -> list[str]:
    return list(fields) if account_permissions.can_view_sensitive(user) else [f for f in fields if f not in SENSITIVE]


def customer_etag(customer: Customer, *, user) -> str:
    return etag_for(seen_values(customer, _etag_fields(CUSTOMER_ETAG_FIELDS, user)))


def contact_etag(contact: Contact, *, user) -> str:
    return etag_for(seen_values(contact, _etag_fields(CONTACT_ETAG_FIELDS, user)))


def _readable(changes) -> list:
    """A StaleEdit's changes as a person reads them: labels capitalised, tags by name, not by id."""
    label = str(Customer._meta.get_field("tags").verbose_name)
    ids = {v for lbl, before, now in changes if str(lbl) == label for v in (before or []) + (now or []) if isinstance(v, int)}
    names = dict(Tag.objects.filter(pk__in=ids).values_list("pk", "name")) if ids else {}

    def show(values):
        return ", ".join(sorted(names.get(v, str(v)) for v in values or []))

    return [(capfirst(str(lbl)), show(before), show(now)) if str(lbl) == label else (capfirst(str(lbl)), before, now)
            for lbl, before, now in changes]


def check_fresh(row, *, seen, if_match=None, etag=None) -> None:
    """Refuse a stale edit of the locked `row` (StaleEdit): a field of the form's `seen` values
    changed since, or the API's If-Match (a collection of ETags) no longer holds (`etag(row)`)."""
    try:
        check_not_stale(row, seen)
    except StaleEdit as exc:
        raise StaleEdit(exc.message, changes=_readable(exc.changes)) from exc
    if if_match is not None and "*" not in if_match and etag(row) not in if_match:
        raise StaleEdit(_("Somebody else changed this record after you read it. Read it again, then send your change."), changes=[])


def _set_credit(customer: Customer, credit: dict) -> None:
    """Set the credit fields as the database will keep them (an exact amount to the cent)."""
    for k, v in credit.items():
        if k not in CREDIT_FIELDS:
            continue
        try:
            value = Customer._meta.get_field(k).to_python(v)
        except ValidationError as exc:
            raise CustomerError(_("Enter the credit limit as an amount such as 12345.60.")) from exc
        if k == "credit_limit" and value is not None and value < 0:
            raise CustomerError(_("The credit limit cannot be negative."))
        if k == "currency":
            value = (value or "").strip().upper() or "CNY"
        setattr(customer, k, value)


def _validate(customer: Customer) -> None:
    if not customer.name:
        raise CustomerError(_("A customer needs a name."))
    customer.uscc = clean_uscc(customer.uscc)
    if customer.uscc and customer.kind == Customer.Kind.PERSON:
        raise CustomerError(_("A person customer has no unified social credit code."))
    for field in ("influence", "reputation"):
        value = getattr(customer, field)
        if value is not None and not 1 <= int(value) <= 5:
            raise CustomerError(_("Influence and reputation are numbers from 1 to 5."))
    customer.buying_factor, customer.buying_factor_second = customer.buying_factor or "", customer.buying_factor_second or ""
    problem = buying_factors_problem(customer.buying_factor, customer.buying_factor_second)
    if problem:
        raise CustomerError(problem[1])


def _ensure_profile(customer: Customer) -> None:
    if customer.kind == Customer.Kind.COMPANY:
        CompanyProfile.objects.get_or_create(customer=customer)
    else:
        PersonProfile.objects.get_or_create(customer=customer)


def customer_create(
    *, actor, data: dict, tags=(), owner=None, allow_possible_duplicate: bool = False,
    credit: dict | None = None, stage: str | None = None,
) -> Customer:
    """Create a customer owned by `owner` (default: the actor when a rep or manager; else the pool).

    Raises DuplicateCustomer when an existing customer has the same USCC (always), or the
    same normalised name or phone (unless `allow_possible_duplicate`) — except when both have
    a USCC and they differ: those are different legal entities and the create goes on (the
    form's live check still shows them as a warning).
    """
    if not permissions.can_create_customer(actor):
        raise PermissionDenied
    fields = {k: v for k, v in data.items() if k in CUSTOMER_EDITABLE}
    customer = Customer(**fields)
    if owner is None and (actor.is_rep or actor.is_manager):
        owner = actor
    if owner is not None and actor.is_rep and owner.pk != actor.pk:
        raise PermissionDenied
    customer.owner = owner
    if credit and permissions.can_edit_credit(actor, customer):
        _set_credit(customer, credit)
    customer.stage = stage or Customer.Stage.TARGET
    _validate(customer)
    customer_derive_fields(customer)
    with transaction.atomic():
        matches = customer_find_duplicates(uscc=customer.uscc, name=customer.name, phone=customer.phone)
        possible = [m for m in matches if not different_legal_entities(customer.uscc, m.customer.uscc)]
        if any(m.reason == "uscc" for m in matches) or (possible and not allow_possible_duplicate):
            raise DuplicateCustomer(matches)
        now = timezone.now()
        customer.code = next_customer_code()
        customer.stage_changed_at = now
        if owner is not None:
            customer.owned_since = now
            customer.pool_clock_at = now
        else:
            customer.returned_to_pool_at = now  # created straight into the pool: it entered it now
        customer.save()
        _stage_changed(customer, "", actor)
        tags = tags_from_names(tags)
        if tags:
            customer.tags.set(tags)
        _ensure_profile(customer)
        changes = {k: [None, v] for k, v in snapshot(customer, AUDITED).items() if v not in ("", None, False)}
        if tags:
            changes["tags"] = [None, sorted(t.name for t in tags)]
        audit_record(actor=actor, verb=AuditEvent.Verb.CREATE, obj=customer, customer=customer, changes=changes)
        events.event_record(events.CUSTOMER_CREATED, object_type="customer", object_ids=customer.pk, actor=actor)
    return customer


def customer_update(*, actor, customer: Customer, data: dict, tags=None, credit: dict | None = None,
                    profile: dict | None = None, stage: str | None = None,
                    allow_possible_duplicate: bool = True, seen: dict | None = None,
                    profile_seen: dict | None = None, if_match=None) -> Customer:
    """Change a customer's fields, tags, credit, profile and (by hand) stage in one audited save.

    Sales data needs `can_edit_customer`. Someone who may only edit credit (finance) may
    change the credit fields and FINANCE_CARD_FIELDS, nothing else. `tags` are Tag objects
    or names (missing ones are created); `stage` must be one of MANUAL_STAGES.

    Stale edits (docs/rules.md): `seen` / `profile_seen` are the values the edit form showed
    (kehu.core.forms.SeenFormMixin); a field somebody changed since refuses the save with
    StaleEdit naming it. `if_match`: the ETags an API client accepts (customer_etag); another
    one refuses the save the same way. Without them the save goes through as before.
    """
    if not permissions.can_edit_customer(actor, customer):
        credit_only = (
            permissions.can_edit_credit(actor, customer) and tags is None and not profile and stage is None
            and all(k in FINANCE_CARD_FIELDS for k in data)
        )
        if not credit_only:
            raise PermissionDenied
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        check_fresh(customer, seen=seen, if_match=if_match, etag=lambda row: customer_etag(row, user=actor))
        before = snapshot(customer, AUDITED)
        before_tags = sorted(customer.tags.values_list("name", flat=True))
        for k, v in data.items():
            if k in CUSTOMER_EDITABLE:
                setattr(customer, k, v)
        if credit:
            if not permissions.can_edit_credit(actor, customer):
                raise PermissionDenied
            _set_credit(customer, credit)
        if stage is not None and stage != customer.stage:
            _check_manual_stage(customer.stage, stage)
            customer.stage = stage
            customer.stage_changed_at = timezone.now()
        _validate(customer)
        customer_derive_fields(customer)
        if customer.uscc and customer.uscc != before["uscc"]:
            same = [m for m in customer_find_duplicates(uscc=customer.uscc, exclude_id=customer.pk) if m.reason == "uscc"]
            if same:
                raise DuplicateCustomer(same)
        customer.save()
        if customer.stage != before["stage"]:
            _stage_changed(customer, before["stage"], actor)
        changes = diff(before, snapshot(customer, AUDITED))
        if tags is not None:
            tags = tags_from_names(tags)
            customer.tags.set(tags)
            after_tags = sorted(t.name for t in tags)
            if after_tags != before_tags:
                changes["tags"] = [before_tags, after_tags]
        if profile and customer.kind == before["kind"]:
            changes.update(_profile_update(customer, profile, seen=profile_seen))
        _ensure_profile(customer)
        if changes:
            audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=customer, customer=customer, changes=changes)
            events.event_record(events.CUSTOMER_UPDATED, object_type="customer", object_ids=customer.pk, actor=actor,
                                changes={"fields": sorted(changes)})
    return customer


def _profile_update(customer: Customer, values: dict, *, seen: dict | None = None) -> dict:
    model = CompanyProfile if customer.kind == Customer.Kind.COMPANY else PersonProfile
    prof, _created = model.objects.get_or_create(customer=customer)
    prof = model.objects.select_for_update().get(pk=prof.pk)
    check_fresh(prof, seen=seen)
    names = [f for _label, fields in model.SECTIONS for f in fields]
    before = snapshot(prof, names)
    for k, v in values.items():
        if k in names:
            setattr(prof, k, v)
    prof.save()
    return {f"profile.{k}": v for k, v in diff(before, snapshot(prof, names)).items()}


def _stage_changed(customer: Customer, old: str, actor) -> None:
    """Record the move from `old` to the customer's (saved) stage at its stage_changed_at."""
    CustomerStageChange.objects.create(
        customer=customer, from_stage=old or "", to_stage=customer.stage, at=customer.stage_changed_at,
        user=actor if getattr(actor, "pk", None) else None,
    )
    stage_months_refresh(customer_ids=[customer.pk])


def _check_manual_stage(old: str, new: str) -> None:
    if new not in Customer.Stage.values:
        raise CustomerError(_("Unknown lifecycle stage."))
    if new not in MANUAL_STAGES or old not in MANUAL_STAGES:
        raise CustomerError(_("Signed and VIP are set from contracts, payments and rankings, not by hand."))


def customer_set_stage(*, actor, customer: Customer, stage: str, by_hand: bool = True) -> Customer:
    """Move the lifecycle stage (timestamped, audited).

    By hand (the default) a user who may edit the customer moves it between target, prospect
    and qualified. Signed and vip are derived: the services that decide them (contracts and
    payments, rankings) call this with `by_hand=False` after their own permission checks.
    """
    if stage not in Customer.Stage.values:
        raise CustomerError(_("Unknown lifecycle stage."))
    if by_hand and not permissions.can_edit_customer(actor, customer):
        raise PermissionDenied
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.stage != stage:
            if by_hand:
                _check_manual_stage(customer.stage, stage)
            old = customer.stage
            customer.stage = stage
            customer.stage_changed_at = timezone.now()
            customer.save(update_fields=["stage", "stage_changed_at", "updated_at"])
            _stage_changed(customer, old, actor)
            audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=customer, customer=customer, changes={"stage": [old, stage]})
            events.event_record(events.CUSTOMER_UPDATED, object_type="customer", object_ids=customer.pk, actor=actor,
                                changes={"fields": ["stage"], "stage": [old, stage]})
    return customer


def customers_set_derived_stage(*, actor, customer_ids, from_stage: str, stage: str, note: str = "") -> int:
    """Move every customer of `customer_ids` still at `from_stage` to `stage` in bulk: one UPDATE,
    the stage history and the audit events written with bulk inserts. For derived stages only
    (vip from a key-account run); the caller has checked its own rights. Returns how many moved."""
    ids = list(customer_ids)
    if not ids:
        return 0
    moved = 0
    now = timezone.now()
    user = actor if getattr(actor, "pk", None) else None
    with transaction.atomic():
        for start in range(0, len(ids), 500):
            chunk = list(
                Customer.objects.select_for_update(of=("self",))
                .filter(pk__in=ids[start:start + 500], stage=from_stage)
                .values_list("pk", "name")
            )
            if not chunk:
                continue
            Customer.objects.filter(pk__in=[pk for pk, _n in chunk]).update(stage=stage, stage_changed_at=now, updated_at=now)
            CustomerStageChange.objects.bulk_create(
                [CustomerStageChange(customer_id=pk, from_stage=from_stage, to_stage=stage, at=now, user=user) for pk, _n in chunk]
            )
            stage_months_refresh(customer_ids=[pk for pk, _n in chunk])
            AuditEvent.objects.bulk_create(
                [
                    AuditEvent(
                        actor=user, verb=AuditEvent.Verb.UPDATE, object_type="customer", object_id=pk, object_label=name[:255],
                        customer_id=pk, changes={"stage": [from_stage, stage]}, note=note[:500],
                    )
                    for pk, name in chunk
                ]
            )
            events.event_record(events.CUSTOMER_UPDATED, object_type="customer", object_ids=[pk for pk, _n in chunk], actor=actor,
                                changes={"fields": ["stage"], "stage": [from_stage, stage]})
            moved += len(chunk)
    return moved


def customer_delete(*, actor, customer: Customer) -> None:
    if not permissions.can_delete_customer(actor, customer):
        raise PermissionDenied
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        customer.is_deleted = True
        customer.deleted_at = timezone.now()
        customer.deleted_by = actor
        customer.save(update_fields=["is_deleted", "deleted_at", "deleted_by", "updated_at"])
        stage_months_refresh(customer_ids=[customer.pk])
        audit_record(actor=actor, verb=AuditEvent.Verb.DELETE, obj=customer, customer=customer)


def customer_restore(*, actor, customer: Customer) -> None:
    if not permissions.can_restore_customer(actor, customer):
        raise PermissionDenied
    with transaction.atomic():
        customer = Customer.objects.select_for_update().get(pk=customer.pk)
        if customer.merged_into_id:
            raise CustomerError(_("A merged record cannot be restored; open the record it was merged into."))
        if customer.uscc and customer_find_duplicates(uscc=customer.uscc, exclude_id=customer.pk):
            raise CustomerError(_("Another customer now has the same unified social credit code."))
        customer.is_deleted = False
        customer.deleted_at = None
        customer.deleted_by = None
        customer.save(update_fields=["is_deleted", "deleted_at", "deleted_by", "updated_at"])
        stage_months_refresh(customer_ids=[customer.pk])
        audit_record(actor=actor, verb=AuditEvent.Verb.RESTORE, obj=customer, customer=customer)


def _contact_validate(contact: Contact) -> None:
    contact.name = (contact.name or "").strip()
    if not contact.name:
        raise CustomerError(_("A contact needs a name."))
    contact.phone_normalized = normalize_phone(contact.phone)


def contact_create(*, actor, customer: Customer, data: dict) -> Contact:
    if not permissions.can_edit_customer(actor, customer):
        raise PermissionDenied
    contact = Contact(customer=customer, **{k: v for k, v in data.items() if k in CONTACT_EDITABLE})
    _contact_validate(contact)
    with transaction.atomic():
        contact.save()
        audit_record(actor=actor, verb=AuditEvent.Verb.CREATE, obj=contact, customer=customer,
                     changes={k: [None, v] for k, v in snapshot(contact, CONTACT_EDITABLE).items() if v not in ("", None)})
    return contact


def contact_update(*, actor, contact: Contact, data: dict, seen: dict | None = None, if_match=None) -> Contact:
    """Change a contact; `seen` / `if_match` refuse a stale edit as in customer_update."""
    if not permissions.can_edit_customer(actor, contact.customer):
        raise PermissionDenied
    with transaction.atomic():
        contact = Contact.objects.select_for_update().get(pk=contact.pk)
        check_fresh(contact, seen=seen, if_match=if_match, etag=lambda row: contact_etag(row, user=actor))
        before = snapshot(contact, CONTACT_EDITABLE)
        for k, v in data.items():
            if k in CONTACT_EDITABLE:
                setattr(contact, k, v)
        _contact_validate(contact)
        contact.save()
        changes = diff(before, snapshot(contact, CONTACT_EDITABLE))
        if changes:
            audit_record(actor=actor, verb=AuditEvent.Verb.UPDATE, obj=contact, customer=contact.customer, changes=changes)
    return contact


def contact_delete(*, actor, contact: Contact) -> None:
    if not permissions.can_edit_customer(actor, contact.customer):
        raise PermissionDenied
    with transaction.atomic():
        Contact.objects.filter(pk=contact.pk).update(is_deleted=True, updated_at=timezone.now())
        audit_record(actor=actor, verb=AuditEvent.Verb.DELETE, obj=contact, customer=contact.customer)
