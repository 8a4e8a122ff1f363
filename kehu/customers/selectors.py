"""Reads on customers: every one starts from the visibility scope."""

from django.db.models import Exists, OuterRef, Prefetch, Q
from django.http import Http404

from kehu.accounts import permissions
from kehu.customers.models import Contact, Customer, Tag
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
}
FILTERS = ("owner", "stage", "lead_source", "province", "industry", "tag", "kind")


def customer_get_visible_or_404(*, user, pk, include_deleted: bool = False) -> Customer:
    """The customer `pk` if `user` may see it; 404 otherwise (never 403: no hint it exists)."""
    try:
        return (
            Customer.objects.visible_to(user, include_deleted=include_deleted)
            .select_related("owner", "referrer_customer", "referrer_contact", "previous_owner", "merged_into")
            .get(pk=pk)
        )
    except (Customer.DoesNotExist, ValueError, TypeError):
        raise Http404


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
        q |= Exists(Contact.objects.filter(customer=OuterRef("pk"), is_deleted=False, phone_normalized__contains=digits))
    q |= Exists(Contact.objects.filter(customer=OuterRef("pk"), is_deleted=False, name__icontains=text))
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
    order = SORTS.get(params.get("sort", ""), "-created_at")
    return (
        qs.select_related("owner")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name")))
        .order_by(order, "-id")
    )


def customer_detail(*, user, pk):
    """A customer with what its page shows: contacts, profile, history."""
    customer = customer_get_visible_or_404(user=user, pk=pk)
    return customer


def customer_history(*, customer, limit: int = 200):
    return customer.audit_events.select_related("actor")[:limit]


def contact_get_visible_or_404(*, user, pk) -> Contact:
    try:
        return Contact.objects.visible_to(user).select_related("customer", "customer__owner").get(pk=pk)
    except (Contact.DoesNotExist, ValueError, TypeError):
        raise Http404


def mask(value: str, *, user) -> str:
    """A sensitive value (ID number, bank account) as `user` may see it: 1101**********1234."""
    if not value or permissions.can_view_sensitive(user):
        return value
    if len(value) <= 4:
        return "*" * len(value)
    keep = 4 if len(value) >= 12 else 2
    return value[:keep] + "*" * (len(value) - 2 * keep) + value[-keep:]


def filter_choices(*, user):
    """Values for the list filters, from the rows the user sees (small distinct queries)."""
    from kehu.accounts.visibility import visible_users

    visible = Customer.objects.visible_to(user)
    return {
        "owners": list(visible_users(user).filter(role__in=["rep", "manager"]).order_by("username")),
        "provinces": list(visible.exclude(province="").order_by("province").values_list("province", flat=True).distinct()[:200]),
        "industries": list(visible.exclude(industry="").order_by("industry").values_list("industry", flat=True).distinct()[:200]),
        "tags": list(Tag.objects.order_by("name").values_list("name", flat=True)[:200]),
    }
