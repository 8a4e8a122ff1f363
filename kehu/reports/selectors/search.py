"""The top bar's global search (issue 12): customers, contacts, opportunities, quotes, contracts
and orders matching a text, each kind ONLY among the rows the user may open (`visible_to`), at most
`limit` per kind. One query per kind (LIMIT + 1 rows tells whether there are more) — quotes,
contracts and orders, found by a code prefix, share one; nothing runs for a text shorter than
MIN_LENGTH. docs/rules.md, "Global search", says what matches."""

from dataclasses import dataclass, field

from django.core.exceptions import EmptyResultSet
from django.db import connection
from django.db.models import Case, IntegerField, Q, Value, When
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.translation import gettext_lazy as _

MIN_LENGTH = 2
MAX_LENGTH = 100
PAGE_LIMIT = 10
DROPDOWN_LIMIT = 3


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
    each kind the user may open whose code starts with `text`, in code order — ONE query: the
    three scoped, ordered and cut selects as subqueries of a UNION ALL."""
    from kehu.sales.models import Contract, Quote, SalesOrder

    kinds = (("quotes", Quote), ("contracts", Contract), ("orders", SalesOrder))
    parts, params = [], []
    for number, (_key, model) in enumerate(kinds):
        qs = (model.objects.visible_to(user).filter(_by_code(model, text)).order_by("code")
              .values_list("pk", "code", "customer__name")[: limit + 1])
        try:
            sql, part_params = qs.query.sql_with_params()
        except EmptyResultSet:  # a scope that sees nothing (visibility.NOTHING)
            continue
        parts.append(f"SELECT {number} AS kind, part.* FROM ({sql}) part")
        params += part_params
    found = {key: [] for key, _model in kinds}
    if not parts:
        return found
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM ({' UNION ALL '.join(parts)}) codes ORDER BY 1, 3", params)
        for number, pk, code, customer_name in cursor.fetchall():
            found[kinds[number][0]].append((pk, code, customer_name))
    return found


def _more(name: str, text: str | None) -> str:
    url = reverse(name)
    return f"{url}?{urlencode({'q': text})}" if text else url


def global_search(*, user, text: str, limit: int = PAGE_LIMIT) -> list[Group]:
    """The groups that have at least one result, in a fixed order. Four queries at most (five on
    PostgreSQL: the customers' ids first)."""
    from kehu.customers.models import Contact, Customer
    from kehu.customers.normalize import normalize_phone
    from kehu.customers.search import contact_candidates_exact, contact_candidates_q, opportunity_match_q
    from kehu.customers.selectors import customer_search_q
    from kehu.sales.models import Opportunity

    text = clean_query(text)
    if len(text) < MIN_LENGTH:
        return []
    groups = []

    def starts(field: str):
        """A name that begins with what was typed first (精科科技 before 科精科技), then the newest."""
        return Case(When(**{f"{field}__istartswith": text}, then=Value(0)), default=Value(1), output_field=IntegerField())

    def run(key, title, qs, row, more_url):
        found = list(qs[: limit + 1])
        if found:
            groups.append(Group(key=key, title=title, rows=[row(o) for o in found[:limit]], more=len(found) > limit, more_url=more_url))

    run("customers", _("Customers"),
        # Every match is sorted here (name-first, then newest): on PostgreSQL a text matching
        # thousands is read by the LIKE rule's one pass (customer_search_q's `paged`), on SQLite
        # through the index either way.
        Customer.objects.visible_to(user).filter(customer_search_q(text, paged=connection.vendor == "postgresql"))
        .only("name", "code").order_by(starts("name"), "-pk"),
        lambda c: {"label": c.name, "detail": c.code, "url": reverse("customers:detail", args=[c.pk])},
        _more("customers:list", text))

    digits = normalize_phone(text)
    contact_q = Q(name__icontains=text)
    if len(digits) >= 4:
        contact_q |= Q(phone_normalized__contains=digits)
    else:
        digits = ""
    run("contacts", _("Contacts"),
        Contact.objects.visible_to(user).filter(contact_candidates_q(text=text, digits=digits))
        .filter(Q() if contact_candidates_exact(text) else contact_q).select_related("customer")
        .only("name", "customer", "customer__name").order_by(starts("name"), "-pk"),
        lambda c: {"label": c.name, "detail": c.customer.name, "url": reverse("customers:detail", args=[c.customer_id])},
        _more("customers:list", text))

    run("opportunities", _("Opportunities"),
        Opportunity.objects.visible_to(user)
        # The match first (one pass over the titles), then the scope on the few it finds.
        .filter(pk__in=Opportunity.objects.order_by().filter(opportunity_match_q(text, _code_prefixes(text))).values("pk"))
        .select_related("customer").only("title", "code", "customer", "customer__name")
        .order_by(starts("title"), "-pk"),
        lambda o: {"label": o.title, "detail": f"{o.code} · {o.customer.name}", "url": reverse("sales:opportunity-detail", args=[o.pk])},
        _more("sales:opportunity-list", text))

    found = _by_codes(user=user, text=text, limit=limit)
    for key, title, name, more_url in (
        ("quotes", _("Quotes"), "sales:quote-detail", _more("sales:quote-list", None)),
        ("contracts", _("Contracts"), "finance:contract-detail", ""),
        ("orders", _("Orders"), "finance:order-detail", _more("finance:order-list", None)),
    ):
        rows = found[key]
        if rows:
            groups.append(Group(key=key, title=title, more=len(rows) > limit, more_url=more_url, rows=[
                {"label": code, "detail": customer_name, "url": reverse(name, args=[pk])} for pk, code, customer_name in rows[:limit]
            ]))
    return groups
