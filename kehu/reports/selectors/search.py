"""The top bar's global search (issue 12): customers, contacts, opportunities, quotes, contracts
and orders matching a text, each kind ONLY among the rows the user may open (`visible_to`), at most
`limit` per kind. One query per kind (LIMIT + 1 rows tells whether there are more) — quotes,
contracts and orders, found by a code prefix, share one; nothing runs for a text shorter than
MIN_LENGTH. docs/rules.md, "Global search", says what matches."""

from dataclasses import dataclass, field

from django.db import connection
from django.db.models import Case, CharField, F, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

from kehu.core.union import queryset_part, read_union

MIN_LENGTH = 2
MAX_LENGTH = 100
PAGE_LIMIT = 10
DROPDOWN_LIMIT = 3
SENTINEL_PK = 987654321  # reversed once per URL name; each row's pk takes its place
# The parts' column types, made once (a Field instance per expression cost as much as its SQL).
INT, TEXT = IntegerField(), CharField()


@dataclass
class Group:
    key: str
    title: str
    rows: list = field(default_factory=list)  # [{"label", "detail", "url"}]
    more: bool = False
    more_url: str = ""


def clean_query(raw) -> str:
    return " ".join(str(raw or "").split())[:MAX_LENGTH]


def _code_prefixes(text: str) -> list[str]:
    """A code matches when it starts with `text` as typed or in capitals (codes are written in
    capitals)."""
    return list(dict.fromkeys([text, text.upper()]))


def _code_q(text: str) -> Q:
    """Codes starting with `text` (`_code_prefixes`), as a range on the code's unique index: no
    scan of the table, whatever its size."""
    q = Q()
    for prefix in _code_prefixes(text):
        q |= Q(code__gte=prefix, code__lt=prefix + "\U0010ffff")
    return q


def _by_code(model, text: str) -> Q:
    """Rows of `model` whose code starts with `text`, as `pk IN (code range)`: the code index
    drives the query (else a rep's scope would read all their customers' rows first)."""
    return Q(pk__in=model.objects.order_by().filter(_code_q(text)).values("pk"))


def _by_codes(*, user, text: str, limit: int) -> dict[str, list]:
    """{"quotes" / "contracts" / "orders": [(pk, code, customer name)]}: the first `limit` + 1 of
    each kind the user may open whose code starts with `text`, in code order — ONE query (the
    three scoped, ordered and cut selects as parts of a UNION ALL: kehu.core.union)."""
    found = read_union(_code_parts(user=user, text=text, limit=limit))
    return {key: [(pk, a, b) for _o1, _o2, _o3, pk, a, b, _c in found.get(key, [])] for key, _name in CODE_KINDS}


# Every kind is ONE part of a single UNION ALL (the whole search in one round trip, issue 13):
# rows (o1, o2, o3, pk, a, b, c) — o1..o3 the part's own order, then what its rows show.
CODE_KINDS = (("quotes", "Quote"), ("contracts", "Contract"), ("orders", "SalesOrder"))


def _code_parts(*, user, text: str, limit: int) -> list:
    from kehu.sales import models as sales_models

    parts = []
    for number, (key, name) in enumerate(CODE_KINDS, start=3):
        model = getattr(sales_models, name)
        parts.append(queryset_part(key, number, model.objects.visible_to(user).filter(_by_code(model, text)).order_by("code")
                                   .annotate(o1=Value(0, output_field=INT), o2=Value(0, output_field=INT),
                                             o3=F("code"), pad=Value(None, output_field=TEXT))
                                   .values_list("o1", "o2", "o3", "pk", "code", "customer__name", "pad")[: limit + 1]))
    return parts


def _more(name: str, text: str | None) -> str:
    url = reverse(name)
    return f"{url}?{urlencode({'q': text})}" if text else url


def global_search(*, user, text: str, limit: int = PAGE_LIMIT, badges=None) -> list[Group]:
    """The groups that have at least one result, in a fixed order. ONE query (two on PostgreSQL:
    the customers' ids first): every kind a part of one UNION ALL (kehu.core.union). `badges`
    (kehu.activities.context_processors.HeaderBadges): the header's counts the page will show,
    read by the same query."""
    from kehu.customers.models import Contact, Customer
    from kehu.customers.normalize import normalize_phone
    from kehu.customers.search import contact_candidates_exact, contact_candidates_q, opportunity_match_q
    from kehu.customers.selectors import customer_search_q
    from kehu.sales.models import Opportunity

    text = clean_query(text)
    if len(text) < MIN_LENGTH:
        if badges is not None:
            badges.read()
        return []

    def starts(field: str):
        """A name that begins with what was typed first (精科科技 before 科精科技), then the newest."""
        return Case(When(**{f"{field}__istartswith": text}, then=Value(0)), default=Value(1), output_field=INT)

    def ordered(qs, field, *columns):
        return (qs.annotate(o1=starts(field), o2=F("pk") * -1, o3=Value(None, output_field=TEXT),
                            pad=Value(None, output_field=TEXT))
                .order_by("o1", "o2").values_list("o1", "o2", "o3", *columns)[: limit + 1])

    digits = normalize_phone(text)
    contact_q = Q(name__icontains=text)
    if len(digits) >= 4:
        contact_q |= Q(phone_normalized__contains=digits)
    else:
        digits = ""
    parts = [
        # Every match is sorted here (name-first, then newest): on PostgreSQL a text matching
        # thousands is read by the LIKE rule's one pass (customer_search_q's `paged`), on SQLite
        # through the index either way.
        queryset_part("customers", 0, ordered(Customer.objects.visible_to(user).filter(customer_search_q(text, paged=connection.vendor == "postgresql")),
                                 "name", "pk", "name", "code", "pad")),
        queryset_part("contacts", 1, ordered(Contact.objects.visible_to(user).filter(contact_candidates_q(text=text, digits=digits))
                                .filter(Q() if contact_candidates_exact(text) else contact_q),
                                "name", "customer_id", "name", "customer__name", "pad")),
        # The match first (one pass over the titles), then the scope on the few it finds.
        queryset_part("opportunities", 2, ordered(Opportunity.objects.visible_to(user)
                                     .filter(pk__in=Opportunity.objects.order_by().filter(opportunity_match_q(text, _code_prefixes(text))).values("pk")),
                                     "title", "pk", "title", "code", "customer__name")),
    ] + _code_parts(user=user, text=text, limit=limit)
    found = read_union(parts + (badges.union_parts(start=10) if badges is not None else []))
    if badges is not None:
        badges.provide(found)

    groups = []
    urls = {}

    def url(name, pk) -> str:
        """reverse(name, args=[pk]), reversed once per name (the pk takes a sentinel's place)."""
        if name not in urls:
            urls[name] = reverse(name, args=[SENTINEL_PK]).split(str(SENTINEL_PK))
        head, tail = urls[name]
        return f"{head}{int(pk)}{tail}"

    def add(key, title, row, more_url):
        rows = found.get(key)
        if rows:
            groups.append(Group(key=key, title=title, rows=[row(*r[3:]) for r in rows[:limit]], more=len(rows) > limit, more_url=more_url))

    detail = "customers:detail"
    add("customers", _("Customers"), lambda pk, name, code, _c: {"label": name, "detail": code, "url": url(detail, pk)},
        _more("customers:list", text))
    add("contacts", _("Contacts"), lambda customer_id, name, customer_name, _c: {
        "label": name, "detail": customer_name, "url": url(detail, customer_id)}, _more("customers:list", text))
    add("opportunities", _("Opportunities"), lambda pk, title, code, customer_name: {
        "label": title, "detail": f"{code} · {customer_name}", "url": url("sales:opportunity-detail", pk)},
        _more("sales:opportunity-list", text))
    for key, title, name, more_url in (
        ("quotes", _("Quotes"), "sales:quote-detail", _more("sales:quote-list", None)),
        ("contracts", _("Contracts"), "finance:contract-detail", ""),
        ("orders", _("Orders"), "finance:order-detail", _more("finance:order-list", None)),
    ):
        add(key, title, lambda pk, code, customer_name, _c, name=name: {"label": code, "detail": customer_name, "url": url(name, pk)},
            more_url)
    return groups
