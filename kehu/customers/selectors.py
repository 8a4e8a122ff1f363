"""Reads on customers: every one starts from the visibility scope."""

import json

from django.db import connection
from django.db.models import Count, Exists, ExpressionWrapper, F, IntegerField, OuterRef, Prefetch, Q, Window
from django.db.models.lookups import In

from kehu.accounts import permissions as account_permissions
from kehu.core.views import get_visible_or_404
from kehu.customers.models import CompanyProfile, Contact, Customer, PersonProfile, PoolEvent, Tag
from kehu.customers.normalize import normalize_phone
from kehu.customers import permissions

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


def customer_search_parts(text: str) -> tuple[Q, Q, str | None, str]:
    """The search rule, in parts: (what a customer's own fields must match, what one of its
    live contacts must match, the ASCII form compared with initials and pinyin or None, the
    phone digits compared or "")."""
    q = Q(name__icontains=text) | Q(code__iexact=text) | Q(code__istartswith=text)
    lowered = text.lower().replace(" ", "")
    if lowered.isascii() and lowered.isalnum():
        q |= Q(name_initials__startswith=lowered) | Q(name_pinyin__startswith=lowered)
        if len(lowered) >= 2:
            q |= Q(name_initials__contains=lowered)
    else:
        lowered = None
    digits = normalize_phone(text)
    if len(digits) >= 4 and len(digits) >= len(text.replace(" ", "").replace("-", "")) - 1:
        q |= Q(phone_normalized__contains=digits)
        contacts = Q(phone_normalized__contains=digits) | Q(name__icontains=text)
    else:
        digits = ""
        contacts = Q(name__icontains=text)
    return q, contacts, lowered, digits


def customer_search_like_q(text: str) -> Q:
    """The search rule as plain LIKE comparisons (reads every customer): the reference the
    index-backed `customer_search_q` is tested against."""
    text = (text or "").strip()
    if not text:
        return Q()
    q, contacts, _lowered, _digits = customer_search_parts(text)
    return q | Q(pk__in=Contact.objects.filter(contacts, is_deleted=False).values("customer_id"))


def customer_search_q(text: str, *, paged: bool = False) -> Q:
    """Name, code, phone, contact name, pinyin initials (hwjs) or full pinyin (huawei): exactly
    the customers `customer_search_like_q` matches, found through the search index
    (kehu.customers.search: FTS5 trigram on SQLite, pg_trgm on PostgreSQL). `paged`: the
    caller may read the table in its own order (the list: a page newest first); a text
    matching thousands of customers (the one query reading the ids finds BROAD) walks that order — on SQLite
    checking the indexed ids, on PostgreSQL with the LIKE rule — instead of going through the
    index and sorting every match."""
    return _customer_search(text, paged=paged)[0]


def _customer_search(text: str, *, paged: bool = False) -> tuple[Q, bool]:
    """(customer_search_q, whether it is a list of fewer than search.BROAD literal ids)."""
    from kehu.customers import search

    text = (text or "").strip()
    if not text:
        return Q(), False
    q, contacts, lowered, digits = customer_search_parts(text)
    if paged:
        # One query reads the matching ids when they are fewer than search.BROAD: the page and
        # its count then filter on them (the index is not read again by each).
        found = search.matching_id_list(text=text, lowered=lowered, digits=digits, customer_q=q, contact_q=contacts)
        if found is not None:
            return Q(pk__in=found), True
        if connection.vendor == "postgresql":
            # The LIKE rule itself: the page walks created_at and meets matches often.
            return customer_search_like_q(text), False
        ids = search.matching_ids(text=text, lowered=lowered, digits=digits, customer_q=q, contact_q=contacts)
        # pk + 0: the same ids, but SQLite no longer drives the query from them.
        return Q(In(ExpressionWrapper(F("pk") + 0, output_field=IntegerField()), ids)), False
    return Q(pk__in=search.matching_ids(text=text, lowered=lowered, digits=digits, customer_q=q, contact_q=contacts)), False


LIST_TOTAL = "list_total"  # customer_list(count_few=True): the rows' total, on each row


def customer_list(*, user, params=None, pool: bool = False, count_few: bool = False):
    """The customers `user` sees, searched, filtered and sorted from request-like `params`.
    `count_few`: when a search matched fewer than search.BROAD customers, each row also carries
    their total (LIST_TOTAL, a window count: the page needs no count query)."""
    params = params or {}
    qs = Customer.objects.visible_to(user)
    if pool:
        qs = qs.filter(owner__isnull=True)
    search_q, few = _customer_search(params.get("q", ""), paged=True)
    qs = qs.filter(search_q)
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
    if count_few and few:
        qs = qs.annotate(**{LIST_TOTAL: Window(Count("*"))})
    return (
        qs.select_related("owner")
        .prefetch_related(Prefetch("tags", queryset=Tag.objects.only("id", "name")))
        .order_by(order, "-id")
    )


def attach_tag_names(rows) -> None:
    """Set `tag_names` (in name order, as `tags.all()` gives them) on each customer of `rows` in
    one query — a list page's tags without building a related manager per row, as
    prefetch_related does (a third of the list's Python time)."""
    rows = list(rows)
    for c in rows:
        c.tag_names = []
    if not rows:
        return
    by_pk = {c.pk: c for c in rows}
    pairs = (Customer.tags.through.objects.filter(customer_id__in=list(by_pk)).order_by("tag__name")
             .values_list("customer_id", "tag__name"))
    for customer_id, name in pairs:
        by_pk[customer_id].tag_names.append(name)


def customer_detail(*, user, pk):
    """A customer with what its page shows: tags, live contacts, profile (history:
    customer_history_rows). The profile comes with the customer (one query)."""
    customer = get_visible_or_404(
        Customer.objects.visible_to(user).select_related(
            "owner", "referrer_customer", "referrer_contact", "previous_owner", "merged_into", "company_profile", "person_profile",
        ).annotate(
            tags_json=_tags_json(),
            pool_json=_pool_events_json(),
            qualification_json=_qualification_json(),
            # whether `user` may open the referrer (the page links it only then)
            referrer_visible=Exists(Customer.objects.visible_to(user).filter(pk=OuterRef("referrer_customer_id"))),
        ),
        pk=pk,
    )
    customer.tag_list = [Tag(id=tag_id, name=name) for tag_id, name in json.loads(customer.tags_json or "[]")]
    customer.recent_pool_events = _pool_events(customer)
    customer.contact_list = list(customer.contacts.filter(is_deleted=False).order_by("name", "id"))
    customer.profile = _joined_profile(customer)
    return customer


def _tags_json():
    """The customer's tags as JSON text `[[id, name], …]` in the tags' order (name), read with the
    customer (one query fewer than `customer.tags.all()`)."""
    from django.db.models import TextField
    from django.db.models.expressions import RawSQL

    tag, link = Tag._meta.db_table, Customer.tags.through._meta.db_table
    rows = (f'SELECT t.id, t.name FROM "{tag}" t INNER JOIN "{link}" ct ON ct.tag_id = t.id '
            f'WHERE ct.customer_id = "{Customer._meta.db_table}".id')
    if connection.vendor == "postgresql":
        sql = f"(SELECT COALESCE(json_agg(json_build_array(r.id, r.name) ORDER BY r.name, r.id), '[]')::text FROM ({rows}) r)"
    else:
        sql = f"(SELECT json_group_array(json_array(r.id, r.name)) FROM ({rows} ORDER BY t.name, t.id) r)"
    return RawSQL(sql, [], output_field=TextField())


POOL_EVENTS_READ = 30  # the customer page's timeline shows 30 entries (kehu.activities.views.records.PANEL_LIMIT)


def _json_rows(rows: str, cells: str, order: str) -> str:
    """A correlated subquery giving the rows of `rows` (a SELECT, ordered as wanted) as JSON text
    `[[cells…], …]` in `order` (over `r`): json_agg on PostgreSQL, json_group_array on SQLite
    (which keeps the subquery's order)."""
    if connection.vendor == "postgresql":
        return f"(SELECT COALESCE(json_agg(json_build_array({cells}) ORDER BY {order}), '[]')::text FROM ({rows}) r)"
    return f"(SELECT json_group_array(json_array({cells})) FROM ({rows}) r)"


def _pool_events_json():
    """The customer's latest POOL_EVENTS_READ claims, releases and returns with their user, as
    JSON text `[[id, kind, at, reason, user id, user name, username], …]`, read with the
    customer for the page's timeline (kehu.activities.selectors._pool_entries)."""
    from django.db.models import TextField
    from django.db.models.expressions import RawSQL

    from kehu.accounts.models import User

    kinds = [PoolEvent.Kind.CLAIM, PoolEvent.Kind.RELEASE, PoolEvent.Kind.RETURN]
    rows = (f'SELECT p.id, p.kind, p.at, p.reason, p.user_id, u.name, u.username FROM "{PoolEvent._meta.db_table}" p '
            f'LEFT JOIN "{User._meta.db_table}" u ON u.id = p.user_id '
            f'WHERE p.customer_id = "{Customer._meta.db_table}".id AND p.kind IN (%s, %s, %s) ORDER BY p.at DESC, p.id DESC LIMIT %s')
    sql = _json_rows(rows, "r.id, r.kind, r.at, r.reason, r.user_id, r.name, r.username", "r.at DESC, r.id DESC")
    return RawSQL(sql, [*kinds, POOL_EVENTS_READ], output_field=TextField())


def _qualification_json():
    """The active checklist items in order, each with this customer's check and its author, as
    JSON text `[[item id, name, name_en, help_text, position, check id, note, checked_at, checked_by
    id, name, username], …]`, read with the customer for the qualification panel
    (kehu.customers.qualification.checklist_rows)."""
    from django.db.models import TextField
    from django.db.models.expressions import RawSQL

    from kehu.accounts.models import User
    from kehu.customers.models import QualificationCheck, QualificationItem

    rows = (f'SELECT i.id, i.name, i.name_en, i.help_text, i.position, c.id AS check_id, c.note, c.checked_at, c.checked_by_id, '
            f'u.name AS user_name, u.username FROM "{QualificationItem._meta.db_table}" i '
            f'LEFT JOIN "{QualificationCheck._meta.db_table}" c ON c.item_id = i.id AND c.customer_id = "{Customer._meta.db_table}".id '
            f'LEFT JOIN "{User._meta.db_table}" u ON u.id = c.checked_by_id WHERE i.is_active ORDER BY i.position, i.id')
    cells = "r.id, r.name, r.name_en, r.help_text, r.position, r.check_id, r.note, r.checked_at, r.checked_by_id, r.user_name, r.username"
    return RawSQL(_json_rows(rows, cells, "r.position, r.id"), [], output_field=TextField())


def qualification_rows_from_json(customer) -> list[dict] | None:
    """checklist_rows from `_qualification_json` (None when the customer was not read with it)."""
    from kehu.accounts.models import User
    from kehu.customers.models import QualificationCheck, QualificationItem

    text = getattr(customer, "qualification_json", None)
    if text is None:
        return None
    rows = []
    for item_id, name, name_en, help_text, position, check_id, note, at, user_id, user_name, username in json.loads(text):
        item = QualificationItem(id=item_id, name=name, name_en=name_en, help_text=help_text, position=position, is_active=True)
        check = None
        if check_id is not None:
            check = QualificationCheck(id=check_id, customer_id=customer.pk, item_id=item_id, note=note, checked_at=_moment(at),
                                       checked_by_id=user_id)
            check.checked_by = User(id=user_id, name=user_name or "", username=username or "") if user_id is not None else None
        rows.append({"item": item, "check": check})
    rows.sort(key=lambda r: (r["item"].position, r["item"].pk))
    return rows


def _moment(text):
    """A stored moment from JSON: PostgreSQL writes its offset, SQLite keeps UTC without one."""
    from datetime import timezone as tz

    from django.utils import timezone
    from django.utils.dateparse import parse_datetime

    if text is None:
        return None
    moment = parse_datetime(text)
    return timezone.make_aware(moment, tz.utc) if timezone.is_naive(moment) else moment


def _pool_events(customer) -> list:
    """PoolEvent rows (with `user`) from `_pool_events_json`, newest first."""
    from kehu.accounts.models import User

    events = []
    for pk, kind, at, reason, user_id, name, username in json.loads(customer.pool_json or "[]"):
        event = PoolEvent(id=pk, customer_id=customer.pk, kind=kind, at=_moment(at), reason=reason, user_id=user_id)
        event.user = User(id=user_id, name=name or "", username=username or "") if user_id is not None else None
        events.append(event)
    events.sort(key=lambda e: (e.at, e.pk), reverse=True)
    return events


def _joined_profile(customer):
    """customer_profile from the profile select_related fetched with the customer."""
    model, name = (CompanyProfile, "company_profile") if customer.kind == Customer.Kind.COMPANY else (PersonProfile, "person_profile")
    try:
        return getattr(customer, name)
    except model.DoesNotExist:
        return model(customer=customer)


def customer_profile(*, customer):
    """The company or person profile of `customer` (an unsaved empty one when none exists yet)."""
    model = CompanyProfile if customer.kind == Customer.Kind.COMPANY else PersonProfile
    return model.objects.filter(customer=customer).first() or model(customer=customer)


HISTORY_LIMIT = 200


def page_memo(customer) -> dict | None:
    """Reads the customer page's panels share while one page is drawn (the page view starts it
    with `page_memo_start`); None elsewhere, so that nothing read before a write is reused."""
    memo = getattr(customer, "_page_memo", None)
    return memo if isinstance(memo, dict) else None


def page_memo_start(customer, user=None) -> None:
    customer._page_memo = {"user": user}


def page_memo_rows(customer, key: str, *, user, queryset, limit: int, read: int) -> list:
    """The first `limit` rows of `queryset()` (a function building the ordered queryset, called
    only when it is read). On the customer page (its
    `page_memo`) the panels that show the same rows share one read of `max(limit, read)` of
    them under `key`: the first asks, the others take their first rows from it. Elsewhere a
    plain read of `limit` rows. `queryset` must be the same for every panel that shares `key`
    (the union of what they select), and `user` the reader it was scoped to."""
    memo = page_memo(customer)
    if memo is None:
        return list(queryset()[:limit])
    cached = memo.get(key)
    if cached is not None and cached[0] == user.pk and (cached[1] >= limit or len(cached[2]) < cached[1]):
        return cached[2][:limit]
    size = max(limit, read)
    rows = list(queryset()[:size])
    memo[key] = (user.pk, size, rows)
    return rows[:limit]


def customer_recent_events(*, customer, limit: int = HISTORY_LIMIT) -> tuple[list, bool]:
    """(the customer's latest `limit` audit events with their actor, newest first; whether that
    is all of them). On the customer page (its `page_memo`) read once: the history panel and the
    timeline's stage changes, handovers and merges share one query."""
    memo = page_memo(customer)
    cached = memo.get("recent_events") if memo is not None else None
    if cached is None or (cached[0] < limit and len(cached[1]) >= cached[0]):
        read = max(limit, HISTORY_LIMIT)
        cached = (read, list(customer.audit_events.select_related("actor").order_by("-at", "-id")[:read]))
        if memo is not None:
            memo["recent_events"] = cached
    read, rows = cached
    return rows[:limit], len(rows) < read


def customer_history(*, customer, limit: int = HISTORY_LIMIT):
    return customer_recent_events(customer=customer, limit=limit)[0]


def customer_history_rows(*, customer, user, limit: int = HISTORY_LIMIT) -> list[dict]:
    """The audit history of a customer as `user` may read it, in the active language
    (kehu.customers.history): per event a sentence naming who did what to which record, the
    system note in the reader's language, and `changes` as (field label, old, new) display
    strings — choice labels, records by name, dates, money formatted, plans summarised,
    sensitive values masked. Records named in the changes are fetched in one query per kind."""
    from kehu.customers.history import history_rows

    return history_rows(customer_history(customer=customer, limit=limit), user=user, customer=customer, mask=mask)


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
    if not value or account_permissions.can_view_sensitive(user):
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

    return {
        # (only what an option shows: a hundred users' dates are not converted)
        "owners": list(visible_users(user).filter(role__in=["rep", "manager"]).only("id", "name", "username").order_by("username")),
        "provinces": distinct_values("province"),
        "industries": distinct_values("industry"),
        "tags": list(Tag.objects.order_by("name").values_list("name", flat=True)[:200]),
    }


class OwnerChoice:
    """An owner in the list's owner drop-down (what `owner_options` shows of a User)."""

    __slots__ = ("pk", "username", "name")

    def __init__(self, pk, username, name):
        self.pk, self.username, self.name = pk, username, name

    def __str__(self) -> str:
        return self.name or self.username  # as User.__str__


def list_page_extras(*, user, rows, badges=None) -> dict:
    """Everything the customer list's full page reads besides its rows, in ONE query
    (kehu.core.union; issue 13): `filter_choices` (the same values, in the same
    order), each row's `tag_names` (as `attach_tag_names`) and, with `badges`, the header's
    counts (activities.context_processors.HeaderBadges)."""
    from django.db.models import CharField, Value

    from kehu.accounts.visibility import visible_users
    from kehu.core.union import queryset_part, read_union

    def columns(qs, o3, pk, a, b="pad"):
        integer, text = IntegerField(), CharField()
        return (qs.annotate(o1=Value(0, output_field=integer), o2=Value(0, output_field=integer), o3=F(o3),
                            pad=Value(None, output_field=text), pad2=Value(None, output_field=text))
                .values_list("o1", "o2", "o3", pk, a, b, "pad2"))

    rows = list(rows)
    tag, link = connection.ops.quote_name(Tag._meta.db_table), connection.ops.quote_name(Customer.tags.through._meta.db_table)
    parts = [
        queryset_part("owners", 0, columns(visible_users(user).filter(role__in=["rep", "manager"]).order_by("username"),
                                           "username", "pk", "username", "name")),
        # (plain SQL: building these in the ORM cost more than running them)
        ("tags", 3, f"SELECT 0 AS o1, 0 AS o2, name AS o3, id AS pk, name AS a, NULL AS b, NULL AS c FROM {tag} "
                    f"ORDER BY name LIMIT {DISTINCT_LIMIT}", []),
    ]
    for number, key, field in ((1, "provinces", "province"), (2, "industries", "industry")):
        sql, params, column = distinct_values_sql(field)
        parts.append((key, number, f'SELECT 0 AS o1, 0 AS o2, v."{column}" AS o3, 0 AS pk, v."{column}" AS a, NULL AS b, '
                                   f'NULL AS c FROM ({sql}) v', params))
    if rows:
        ids = [int(c.pk) for c in rows]
        parts.append(("row_tags", 4, f"SELECT 0 AS o1, 0 AS o2, t.name AS o3, ct.customer_id AS pk, t.name AS a, NULL AS b, NULL AS c "
                                     f"FROM {link} ct INNER JOIN {tag} t ON ct.tag_id = t.id "
                                     f"WHERE ct.customer_id IN ({', '.join(['%s'] * len(ids))})", ids))
    if badges is not None:
        parts += badges.union_parts(start=10)
    found = read_union(parts)
    if badges is not None:
        badges.provide(found)
    by_pk = {}
    for c in rows:
        c.tag_names = []
        by_pk[c.pk] = c
    for _o1, _o2, _o3, customer_id, name, _b, _c in found.get("row_tags", ()):
        by_pk[customer_id].tag_names.append(name)
    return {
        "owners": [OwnerChoice(pk, a, b) for _o1, _o2, _o3, pk, a, b, _c in found.get("owners", ())],
        "provinces": [a for _o1, _o2, _o3, _pk, a, _b, _c in found.get("provinces", ())],
        "industries": [a for _o1, _o2, _o3, _pk, a, _b, _c in found.get("industries", ())],
        "tags": [a for _o1, _o2, _o3, _pk, a, _b, _c in found.get("tags", ())],
    }


DISTINCT_LIMIT = 200


def distinct_values_sql(field: str, limit: int = DISTINCT_LIMIT) -> tuple[str, list, str]:
    """(SQL, params, its column) of `distinct_values`."""
    if field not in ("province", "industry"):
        raise ValueError(field)
    table = connection.ops.quote_name(Customer._meta.db_table)
    column = connection.ops.quote_name(field)
    if connection.vendor != "postgresql":
        # what the ORM wrote for alive.exclude(field="").order_by(field).values_list(field).distinct()
        return (f"SELECT DISTINCT {table}.{column} AS {column} FROM {table} WHERE (NOT {table}.\"is_deleted\" "
                f"AND NOT ({table}.{column} = %s)) ORDER BY 1 ASC LIMIT {int(limit)}", [""], field)
    # value > '' is value <> '' for a NOT NULL text column; each step is one probe of the index.
    sql = (
        f"WITH RECURSIVE v(value) AS ("
        f" SELECT (SELECT MIN({column}) FROM {table} WHERE {column} > '' AND NOT is_deleted)"
        f" UNION ALL"
        f" SELECT (SELECT MIN(c.{column}) FROM {table} c WHERE c.{column} > v.value AND NOT c.is_deleted)"
        f" FROM v WHERE v.value IS NOT NULL"
        f") SELECT value FROM v WHERE value IS NOT NULL LIMIT %s"
    )
    return sql, [limit], "value"


def distinct_values(field: str, limit: int = DISTINCT_LIMIT) -> list[str]:
    """The distinct non-empty values of an indexed customer column (`province`, `industry`)
    among live customers, in order, at most `limit`. SQLite reads them from the column's index
    with DISTINCT; PostgreSQL has no skip scan and would read all 100,000 rows, so there a
    recursive "loose index scan" asks the index for the next value after each one (a few dozen
    index probes). The same values either way (tests/test_list_choices.py)."""
    sql, params, _column = distinct_values_sql(field, limit)
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [row[0] for row in cursor.fetchall()]
