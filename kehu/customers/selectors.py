"""Reads on customers: every one starts from the visibility scope."""

import functools
from decimal import Decimal, InvalidOperation

from django.apps import apps as django_apps
from django.core.exceptions import FieldDoesNotExist
from django.db.models import BooleanField, Prefetch, Q
from django.utils.text import capfirst
from django.utils.translation import gettext as _

from kehu.accounts import permissions
from kehu.accounts.models import User
from kehu.core.fields import MoneyField
from kehu.core.money import MoneyError, format_money
from kehu.core.views import get_visible_or_404
from kehu.customers.models import CompanyProfile, Contact, Customer, PersonProfile, Tag
from kehu.customers.normalize import normalize_phone

SORTS = {
    "created": "-created_at",
    "-created": "created_at",
    "name": "name_pinyin",
    "-name": "-name_pinyin",
    "code": "code",
    "-code": "-code",
    "updated": "-updated_at",
    "followup": "last_followup_at",
    "-followup": "-last_followup_at",
    "owner": "owner__username",
    "-owner": "-owner__username",
    "region": "province",
    "-region": "-province",
}
FILTERS = ("owner", "stage", "lead_source", "province", "industry", "tag", "kind")


def customer_get_visible_or_404(*, user, pk, include_deleted: bool = False) -> Customer:
    """The customer `pk` if `user` may see it; 404 otherwise (never 403: no hint it exists)."""
    return get_visible_or_404(
        Customer.objects.visible_to(user, include_deleted=include_deleted)
        .select_related("owner", "referrer_customer", "referrer_contact", "previous_owner", "merged_into"),
        pk=pk,
    )


def customer_search_q(text: str) -> Q:
    """Name, code, phone, contact name, pinyin initials (hwjs) or full pinyin (huawei)."""
    text = (text or "").strip()
    if not text:
        return Q()
    q = Q(name__icontains=text) | Q(code__iexact=text) | Q(code__istartswith=text)
    lowered = text.lower().replace(" ", "")
    if lowered.isascii() and lowered.isalnum():
        q |= Q(name_initials__startswith=lowered) | Q(name_pinyin__startswith=lowered)
        if len(lowered) >= 2:
            q |= Q(name_initials__contains=lowered)
    digits = normalize_phone(text)
    if len(digits) >= 4 and len(digits) >= len(text.replace(" ", "").replace("-", "")) - 1:
        q |= Q(phone_normalized__contains=digits)
        contacts = Q(phone_normalized__contains=digits) | Q(name__icontains=text)
    else:
        contacts = Q(name__icontains=text)
    # One uncorrelated subquery over contacts (evaluated once), not one per customer row.
    q |= Q(pk__in=Contact.objects.filter(contacts, is_deleted=False).values("customer_id"))
    return q


def customer_list(*, user, params=None, pool: bool = False):
    """The customers `user` sees, searched, filtered and sorted from request-like `params`."""
    params = params or {}
    qs = Customer.objects.visible_to(user)
    if pool:
        qs = qs.filter(owner__isnull=True)
    qs = qs.filter(customer_search_q(params.get("q", "")))
    owner = params.get("owner")
    if owner == "pool":
        qs = qs.filter(owner__isnull=True)
    elif owner == "me":
        qs = qs.filter(owner=user)
    elif owner and str(owner).isdigit():
        qs = qs.filter(owner_id=int(owner))
    for name in ("stage", "lead_source", "province", "industry", "kind"):
        value = params.get(name)
        if value:
            qs = qs.filter(**{name: value})
    tag = params.get("tag")
    if tag:
        qs = qs.filter(tags__name=tag)
    if params.get("key") == "1":
        qs = qs.filter(is_key_account=True)
    elif params.get("key") == "0":
        qs = qs.filter(is_key_account=False)
    # The current ranking (DOMAIN.md §5, set by the latest run of each model); "none": not ranked.
    for name, field, values in (("pyramid_tier", "pyramid_tier", Customer.PyramidTier.values),
                                ("value_class", "value_class", Customer.ValueClass.values)):
        value = params.get(name)
        if value == "none":
            qs = qs.filter(**{field: ""})
        elif value in values:
            qs = qs.filter(**{field: value})
    order = SORTS.get(params.get("sort", ""), "-created_at")
    return (
        qs.select_related("owner")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name")))
        .order_by(order, "-id")
    )


def customer_detail(*, user, pk):
    """A customer with what its page shows: tags, live contacts, profile (history: customer_history_rows)."""
    customer = customer_get_visible_or_404(user=user, pk=pk)
    customer.tag_list = list(customer.tags.all())
    customer.contact_list = list(customer.contacts.filter(is_deleted=False).order_by("name", "id"))
    customer.profile = customer_profile(customer=customer)
    return customer


def customer_profile(*, customer):
    """The company or person profile of `customer` (an unsaved empty one when none exists yet)."""
    model = CompanyProfile if customer.kind == Customer.Kind.COMPANY else PersonProfile
    return model.objects.filter(customer=customer).first() or model(customer=customer)


def customer_history(*, customer, limit: int = 200):
    return customer.audit_events.select_related("actor")[:limit]


SENSITIVE_FIELDS = {"bank_account", "id_number", "profile.id_number"}


def _field(model, name):
    """The concrete field `name` of `model` (None for reverse relations and unknown names)."""
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if field.concrete else None


def _ref_kind(field) -> str | None:
    """'customer', 'contact' or 'user' when the field points at one of those; None otherwise
    (other apps' records, e.g. a stage or an opportunity, are shown as recorded)."""
    if field is None or not field.is_relation or field.related_model is None:
        return None
    return {Customer: "customer", Contact: "contact", User: "user"}.get(field.related_model)


# Imports record the dataset's column names (DATASET.md); they name these model fields.
DATASET_COLUMNS = {"referrer": "referrer_customer", "birthday": "birth_date"}


@functools.cache
def _models_by_name() -> dict:
    return {m._meta.model_name: m for m in django_apps.get_models()}


def _history_field(object_type: str, name: str):
    """The model field an audit change key refers to (None for tags and unknown keys)."""
    name = DATASET_COLUMNS.get(name, name)
    if object_type == "contact":
        return _field(Contact, name)
    if object_type != "customer":
        # Records of other apps (activities, archive rows, later quotes and orders): their
        # model is found by name in the app registry, so customers imports none of them.
        model = _models_by_name().get(object_type)
        return _field(model, name) if model is not None else None
    if name.startswith("profile."):
        name = name.removeprefix("profile.")
        return _field(CompanyProfile, name) or _field(PersonProfile, name)
    return _field(Customer, name)


def customer_history_rows(*, customer, user, limit: int = 200) -> list[dict]:
    """The audit history of a customer as `user` may read it.

    Each row: the event, and `changes` as (field label, old, new) display strings, with
    choice labels, people and customers by name, money formatted and sensitive values masked.
    Users, customers and contacts named in the changes are fetched in one query each.
    """
    events = list(customer_history(customer=customer, limit=limit))
    refs = {"user": set(), "customer": set(), "contact": set()}
    for event in events:
        for key, values in (event.changes or {}).items():
            kind = _ref_kind(_history_field(event.object_type, key))
            if kind is not None and isinstance(values, list):
                refs[kind].update(v for v in values if isinstance(v, int))
    names = {
        "user": {u.pk: str(u) for u in User.objects.filter(pk__in=refs["user"])} if refs["user"] else {},
        "customer": {c.pk: str(c) for c in Customer.objects.filter(pk__in=refs["customer"]).only("code", "name")} if refs["customer"] else {},
        "contact": {c.pk: str(c) for c in Contact.objects.filter(pk__in=refs["contact"]).only("name")} if refs["contact"] else {},
    }

    def show(key, field, value):
        if value in (None, "", []):
            return ""
        if key in SENSITIVE_FIELDS:
            return mask(str(value), user=user)
        if isinstance(value, list):
            return ", ".join(str(v) for v in value)
        if field is None:
            return str(value)
        kind = _ref_kind(field)
        if kind is not None:
            if isinstance(value, str):
                return value  # an import names people by username and customers by code
            return names[kind].get(value, "#%s" % value)
        if field.is_relation:
            return str(value)
        if field.choices:
            return str(dict(field.choices).get(value, value))
        if isinstance(field, BooleanField):
            return str(_("yes") if value else _("no"))
        if isinstance(field, MoneyField):
            try:
                return format_money(Decimal(str(value)), customer.currency)
            except (InvalidOperation, MoneyError):
                return str(value)
        return str(value)

    rows = []
    for event in events:
        changes = []
        for key, values in (event.changes or {}).items():
            old, new = (list(values) + [None, None])[:2] if isinstance(values, list) else (None, values)
            field = _history_field(event.object_type, key)
            label = capfirst(str(field.verbose_name)) if field is not None else (str(_("Tags")) if key == "tags" else key)
            if key.startswith("profile."):
                label = _("Profile: %(field)s") % {"field": label}
            changes.append({"field": label, "old": show(key, field, old), "new": show(key, field, new)})
        rows.append({"event": event, "changes": changes})
    return rows


def duplicate_rows(*, user, matches) -> list[dict]:
    """Possible duplicates as `user` may see them: every match shows code, name and owner;
    only those the user may see get `visible=True` (a link) and, when they may edit it, `mergeable`."""
    ids = [m.customer.pk for m in matches]
    visible = set(Customer.objects.visible_to(user).filter(pk__in=ids).values_list("pk", flat=True)) if ids else set()
    return [
        {
            "customer": m.customer, "reason": m.reason, "visible": m.customer.pk in visible,
            "mergeable": m.customer.pk in visible and permissions.can_edit_customer(user, m.customer),
        }
        for m in matches
    ]


def merge_candidates(*, user, customer, q: str = "", limit: int = 20):
    """Customers `user` sees that could be merged with `customer`: searched by `q`, else those
    with the same normalised name or phone."""
    qs = Customer.objects.visible_to(user).exclude(pk=customer.pk).select_related("owner")
    if q.strip():
        qs = qs.filter(customer_search_q(q))
    else:
        same = Q(name_normalized=customer.name_normalized) if customer.name_normalized else Q(pk__in=[])
        if customer.phone_normalized:
            same |= Q(phone_normalized=customer.phone_normalized)
        qs = qs.filter(same)
    return list(qs.order_by("code")[:limit])


def customer_recycle_bin(*, user):
    """Deleted customers `user` may see in the bin, newest deletion first (admins: all)."""
    return (
        Customer.objects.visible_to(user, include_deleted=True)
        .filter(is_deleted=True)
        .select_related("owner", "deleted_by", "merged_into")
        .order_by("-deleted_at", "-id")
    )


def contact_get_visible_or_404(*, user, pk) -> Contact:
    return get_visible_or_404(Contact.objects.visible_to(user).select_related("customer", "customer__owner"), pk=pk)


def mask(value: str, *, user) -> str:
    """A sensitive value (ID number, bank account) as `user` may see it: 1101**********1234."""
    if not value or permissions.can_view_sensitive(user):
        return value
    if len(value) <= 4:
        return "*" * len(value)
    keep = 4 if len(value) >= 12 else 2
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def filter_choices(*, user):
    """Values for the list filters. Owners are the people `user` may see; provinces,
    industries and tags are company-wide reference values (they reveal no customer), read
    straight from their indexes, so a list page never scans the customer table for its
    drop-downs."""
    from kehu.accounts.visibility import visible_users

    alive = Customer.objects.filter(is_deleted=False)
    return {
        "owners": list(visible_users(user).filter(role__in=["rep", "manager"]).order_by("username")),
        "provinces": list(alive.exclude(province="").order_by("province").values_list("province", flat=True).distinct()[:200]),
        "industries": list(alive.exclude(industry="").order_by("industry").values_list("industry", flat=True).distinct()[:200]),
        "tags": list(Tag.objects.order_by("name").values_list("name", flat=True)[:200]),
    }
