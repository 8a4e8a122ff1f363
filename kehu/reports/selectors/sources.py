"""The lead-sources report (docs/rules.md "### Lead sources"): by the customer's lead source and by
who referred the customer — customers acquired, won deals, revenue, conversion to signed, and where
the source's customers stand in the pyramid and the value classes. A fixed number of SQL aggregates
(grouped by source, or by referrer) merged in Python; referrers are named only when the reader may
open them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Count, Q, Sum

from kehu.core.money import quantize_cents
from kehu.reports.selectors.funnel import customer_scope, narrowed_by_owner, period_bounds, ratio

ZERO = Decimal(0)
TOP_REFERRERS = 20
TOP_TIERS = ("important", "major")
TOP_CLASSES = ("diamond", "strategic")


@dataclass
class SourceRow:
    key: object
    label: str = ""
    url: str = ""
    hidden: bool = False
    customers: int = 0  # all the source's customers in scope, today
    acquired: int = 0  # … created in the period
    signed: int = 0  # … whose stage today is signed or vip
    conversion: Decimal | None = None  # signed ÷ customers
    won: int = 0
    won_amount: Decimal = ZERO
    revenue: Decimal = ZERO
    tiers: dict = field(default_factory=dict)  # pyramid tier code ("" none) -> customers
    classes: dict = field(default_factory=dict)  # value class code ("" none) -> customers
    top_tier: int = 0  # important + major
    top_class: int = 0  # diamond + strategic
    top_tier_share: Decimal | None = None
    top_class_share: Decimal | None = None
    tier_counts: list = field(default_factory=list)  # in PyramidTier order, then none
    class_counts: list = field(default_factory=list)


@dataclass
class SourcesReport:
    sources: list[SourceRow]
    total: SourceRow
    referrers: list[SourceRow]
    referrer_count: int
    tiers: list  # (code, label)
    classes: list


CELL = ("stage", "pyramid_tier", "value_class")  # the customers' counts are grouped by these too


def _customer_aggregates(flt) -> dict:
    """Per group of (key…, stage, tier, class): the customers and those created in the period.
    Few aggregates over a grouping in the order of `customer_sources_idx`, read from that index
    alone; signed, tiers and classes are added up from the cells in Python."""
    start, end = period_bounds(flt.period)
    # COUNT(*) and COUNT(created_at) (never null), not COUNT(id): PostgreSQL's covering indexes
    # hold no id, and only then are they read alone (an index-only scan, not the table)
    return {"n": Count("*"), "acquired": Count("created_at", filter=Q(created_at__gte=start, created_at__lt=end))}


def _customer_cells(flt, customers, aggs):
    """The customers in scope per (lead source, stage, tier, class): dicts with "n" and
    "acquired" (created in the period). A period of whole months (month, quarter, half, year) is
    read from the lead-source cells (`kehu.reports.source_cells`: a few hundred rows, the same
    customer scope applied to them); a week from the customers — a reader whose scope is some
    owners (a manager, a rep, a team or rep chosen) grouped by owner first, so their customers are
    sought in `customer_sources_owner_idx`; the whole company scanned in `customer_sources_idx`."""
    from kehu.reports.models import CustomerSourceCell
    from kehu.reports.selectors.funnel import customer_q
    from kehu.sales.summaries import whole_months

    first, last = flt.period.start, flt.period.end
    if whole_months(first, last) == (first, last):
        acquired = Q(created_month__gte=first, created_month__lte=last)
        return [{"lead_source": source, "stage": stage, "pyramid_tier": tier, "value_class": cls, "n": int(n), "acquired": int(new or 0)}
                for source, stage, tier, cls, n, new in _fetch(
                    CustomerSourceCell.objects.filter(customer_q(flt), n__gt=0).order_by()
                    .values_list("lead_source", *CELL).annotate(total=Sum("n"), new=Sum("n", filter=acquired)))]
    by_owner = ("owner_id",) if narrowed_by_owner(flt) else ()
    return customers.values(*by_owner, "lead_source", *CELL).annotate(**aggs).order_by(*by_owner, "lead_source", *CELL)


def _codes():
    from kehu.customers.models import Customer

    return ([*Customer.PyramidTier.values, ""], [*Customer.ValueClass.values, ""],
            {Customer.Stage.SIGNED.value, Customer.Stage.VIP.value})


def _fill(row: SourceRow, r: dict, codes) -> None:
    """Add one cell (a group of customers of one stage, tier and class) to `row`."""
    tiers, classes, signed = codes
    if not row.tiers:
        row.tiers = dict.fromkeys(tiers, 0)
        row.classes = dict.fromkeys(classes, 0)
    n = r["n"]
    row.customers += n
    row.acquired += r["acquired"]
    if r["stage"] in signed:
        row.signed += n
    if r["pyramid_tier"] in row.tiers:
        row.tiers[r["pyramid_tier"]] += n
    if r["value_class"] in row.classes:
        row.classes[r["value_class"]] += n


def _finish(row: SourceRow) -> SourceRow:
    from kehu.customers.models import Customer

    row.conversion = ratio(row.signed, row.customers)
    row.top_tier = sum(row.tiers.get(c, 0) for c in TOP_TIERS)
    row.top_class = sum(row.classes.get(c, 0) for c in TOP_CLASSES)
    row.top_tier_share = ratio(row.top_tier, row.customers)
    row.top_class_share = ratio(row.top_class, row.customers)
    row.tier_counts = [row.tiers.get(c, 0) for c in [*Customer.PyramidTier.values, ""]]
    row.class_counts = [row.classes.get(c, 0) for c in [*Customer.ValueClass.values, ""]]
    row.won_amount = quantize_cents(row.won_amount)
    row.revenue = quantize_cents(row.revenue)
    return row


def _won(flt):
    from kehu.reports.selectors.funnel import opportunity_scope

    return opportunity_scope(flt).filter(stage__is_won=True, closed_on__gte=flt.period.start, closed_on__lte=flt.period.end)


REFERRED_Q = Q(referrer_customer__isnull=False) | Q(referrer_contact__isnull=False) | ~Q(referrer_agent="")


def _referred(qs):
    """`qs` (customers) narrowed to those somebody referred, written as the condition of the
    partial index `customer_referred_idx` so the few referred customers are read from it."""
    return qs.filter(REFERRED_Q)


REFERRER_COLUMNS = ("referrer_customer_id", "referrer_contact_id", "referrer_agent")


def referrer_of(customer_id, contact_id, agent) -> tuple | None:
    """The referrer of a customer as (kind, id, agent) from its three referrer columns (read as
    they are, grouped by in SQL): a referring customer first, else a referring contact, else the
    agent's name; None when nobody referred the customer."""
    if customer_id is not None:
        return ("customer", customer_id, "")
    if contact_id is not None:
        return ("contact", contact_id, "")
    if agent:
        return ("agent", None, agent)
    return None


def _fetch(queryset) -> list[tuple]:
    """The rows of a values_list queryset as the database returns them: integers (money in cents;
    a SUM may be a Decimal on PostgreSQL, read with int()) and texts, no per-value converters."""
    from django.db import connections

    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _cents(value) -> Decimal:
    return Decimal(int(value or 0)).scaleb(-2)


def _revenue(flt) -> list[tuple]:
    """Σ line revenue (integer cents) of the orders dated in the period owned by someone in scope
    (customers not in the recycle bin nor merged away), by the customer's source and three
    referrer columns: tuples (lead source, referrer customer, referrer contact, agent, cents), one
    per group with at least one revenue row. Whole months from the lead-source revenue summary
    (`kehu.reports.source_cells`: ~1,500 rows a quarter at 100,000 customers, the same owner
    scope applied to them), the partial months at the edges from the lines, summed per customer
    before the one join to the customers (`kehu.sales.summaries.customer_revenue`): the sums equal
    the line-level sums exactly. The dead customers are left out by two NOT IN lists of their few
    ids rather than by conditions on the joined customer, so the lines of the edges drive."""
    from kehu.customers.models import Customer
    from kehu.reports.models import SourceRevenueMonth
    from kehu.sales.summaries import customer_revenue, whole_months

    first, last = flt.period.start, flt.period.end
    whole = whole_months(first, last)
    groups: dict[tuple, list[int]] = {}  # (source, referrer customer, contact, agent) -> [cents, rows]
    if whole is not None:
        cells = flt.owned(SourceRevenueMonth.objects.filter(live=True, month__gte=whole[0], month__lte=whole[1]), "owner",
                          lead_source_path="lead_source")
        for source, rc, rcon, agent, cents, n in _fetch(
                cells.order_by().values_list("lead_source", "referrer_customer_key", "referrer_contact_key", "referrer_agent")
                .annotate(c=Sum("cents"), n=Sum("rows"))):
            if n:
                groups[(source, rc or None, rcon or None, agent)] = [int(cents or 0), int(n)]
    if first <= last and whole != (first, last):
        dead_deleted = Customer.objects.filter(is_deleted__in=[True]).order_by().values("pk")
        dead_merged = Customer.objects.filter(merged_into__isnull=False).order_by().values("pk")

        def narrow(qs, prefix):
            qs = qs.exclude(**{f"{prefix}customer_id__in": dead_deleted}).exclude(**{f"{prefix}customer_id__in": dead_merged})
            return flt.owned(qs, f"{prefix}owner", lead_source_path=f"{prefix}customer__lead_source")

        for source, rc, rcon, agent, cents in customer_revenue(first=first, last=last, columns=("lead_source", *REFERRER_COLUMNS),
                                                               narrow=narrow, whole=whole is None):
            row = groups.setdefault((source, rc, rcon, agent), [0, 0])
            row[0] += cents
            row[1] += 1
    return [(*key, cents) for key, (cents, _n) in groups.items()]


def sources_report(flt, *, top: int = TOP_REFERRERS) -> SourcesReport:
    from django.utils.translation import gettext as _

    from kehu.customers.models import Customer

    customers = customer_scope(flt).order_by()
    aggs = _customer_aggregates(flt)
    labels = dict(Customer.LeadSource.choices)

    # customers by source (1 query); won deals (1) and revenue (1), each by source and referrer at once
    rows: dict[str, SourceRow] = {}

    def source_row(code):
        code = code or ""
        if code not in rows:
            rows[code] = SourceRow(key=code, label=str(labels.get(code, "")) if code else _("No source"))
        return rows[code]

    codes = _codes()
    for r in _customer_cells(flt, customers, aggs):
        _fill(source_row(r["lead_source"]), r, codes)
    # won deals by source and referrer in one grouping (the referrers' rows are those with a kind)
    # (grouped by the raw referrer columns, mapped to the referrer in Python: no CASE per row)
    won = _fetch(_won(flt).order_by().values_list("customer__lead_source", *(f"customer__{c}" for c in REFERRER_COLUMNS))
                 .annotate(n=Count("pk"), amount=Sum("amount")))
    for source, *_ref, n, amount in won:
        row = source_row(source)
        row.won += n
        row.won_amount += _cents(amount)
    revenue = _revenue(flt)
    cents: dict[str, int] = {}
    for source, *_ref, value in revenue:
        cents[source] = cents.get(source, 0) + value
    for source, value in cents.items():
        source_row(source).revenue += _cents(value)

    order = {code: i for i, code in enumerate([*Customer.LeadSource.values, ""])}
    sources = [_finish(rows[k]) for k in sorted(rows, key=lambda k: order.get(k, 99))]
    total = SourceRow(key="total", label=_("Total"))
    for row in sources:
        total.customers += row.customers
        total.acquired += row.acquired
        total.signed += row.signed
        total.won += row.won
        total.won_amount += row.won_amount
        total.revenue += row.revenue
        for code, n in row.tiers.items():
            total.tiers[code] = total.tiers.get(code, 0) + n
        for code, n in row.classes.items():
            total.classes[code] = total.classes.get(code, 0) + n
    _finish(total)

    referrers, referrer_count = _referrers(flt, customers, aggs, top, won, revenue)
    return SourcesReport(
        sources=sources, total=total, referrers=referrers, referrer_count=referrer_count,
        tiers=[*Customer.PyramidTier.choices, ("", _("Not ranked"))],
        classes=[*Customer.ValueClass.choices, ("", _("Not ranked"))],
    )


def _referrers(flt, customers, aggs, top, won, revenue):
    """The top referrers by revenue in the period (then by customers, won amount, key): the
    referred customers counted by their referrer columns (1 query, the few referred customers from
    their partial index, read as tuples), the won deals and revenue already grouped by referrer
    columns; then the ranked referrers' customers by cell (1 query) and 2 name look-ups."""
    from heapq import nsmallest
    from operator import itemgetter

    from django.urls import reverse
    from django.utils.translation import gettext as _

    from kehu.customers.models import Contact, Customer

    # Every referrer's ranking figures first (customers, won amount and revenue in cents: light
    # sums), the full row (tiers, classes, signed…) only for the `top` ranked — ~5,000 referrers
    # at 100,000 customers.
    rows: dict[tuple, list] = {}  # key -> [customers, won, won cents, revenue cents, (unused)]

    def row_for(key):
        row = rows.get(key)
        if row is None:
            row = rows[key] = [0, 0, 0, 0, None]
        return row

    referred = _referred(customers).order_by()
    for rc, rcon, agent, n in _fetch(referred.values_list(*REFERRER_COLUMNS).annotate(n=aggs["n"])):
        key = referrer_of(rc, rcon, agent)
        if key is None:  # (not for the referred; kept like the SQL's kind "")
            key = ("", None, "")
        row_for(key)[0] += n
    for _source, rc, rcon, agent, n, amount in won:
        key = referrer_of(rc, rcon, agent)
        if key is not None:
            row = row_for(key)
            row[1] += n
            row[2] += int(amount or 0)
    for _source, rc, rcon, agent, value in revenue:
        key = referrer_of(rc, rcon, agent)
        if key is not None:
            row_for(key)[3] += value

    # Ranked by (−revenue, −customers, −won amount, the key as text): the `top` first by the three
    # sums (no text made for ~5,000 keys), then every referrer tied with the last of them, in full.
    ranking = [(-v[3], -v[0], -v[2], key) for key, v in rows.items()]
    cut = nsmallest(top, ranking, key=itemgetter(0, 1, 2)) if top > 0 else []
    if cut:
        last = cut[-1][:3]
        cut = [r for r in ranking if r[0] <= last[0] and r[:3] <= last]
    ranked_items = [(r[3], rows[r[3]]) for r in sorted(cut, key=lambda r: (r[0], r[1], r[2], str(r[3])))[:top]]

    # the full rows of the ranked only: their referred customers by cell (1 query)
    codes = _codes()
    ranked = {key: SourceRow(key=key, won=won_n, won_amount=_cents(won_cents), revenue=_cents(revenue_cents))
              for key, (_n, won_n, won_cents, revenue_cents, _cells) in ranked_items}
    of = Q()
    for kind, path in (("customer", "referrer_customer_id__in"), ("contact", "referrer_contact_id__in")):
        ids = [key[1] for key in ranked if key[0] == kind]
        if ids:
            of |= Q(**{path: ids}) if kind == "customer" else Q(referrer_customer__isnull=True, **{path: ids})
    agents = [key[2] for key in ranked if key[0] == "agent"]
    if agents:
        of |= Q(referrer_customer__isnull=True, referrer_contact__isnull=True, referrer_agent__in=agents)
    if of:
        for rc, rcon, agent, stage, tier, cls, n, acquired in _fetch(referred.filter(of).values_list(*REFERRER_COLUMNS, *CELL).annotate(**aggs)):
            row = ranked.get(referrer_of(rc, rcon, agent))
            if row is not None:
                _fill(row, {"stage": stage, "pyramid_tier": tier, "value_class": cls, "n": n, "acquired": acquired}, codes)
    ranked = list(ranked.values())
    customer_ids = [r.key[1] for r in ranked if r.key[0] == "customer"]
    contact_ids = [r.key[1] for r in ranked if r.key[0] == "contact"]
    visible = Customer.objects.visible_to(flt.reader)
    names = dict(visible.filter(pk__in=customer_ids).values_list("pk", "name")) if customer_ids else {}
    contacts = ({pk: (name, cid) for pk, name, cid in Contact.objects.filter(pk__in=contact_ids, customer__in=visible.values("pk"))
                 .values_list("pk", "name", "customer_id")} if contact_ids else {})
    for row in ranked:
        kind, pk, agent = row.key
        if kind == "customer" and pk in names:
            row.label, row.url = names[pk], reverse("customers:detail", args=[pk])
        elif kind == "contact" and pk in contacts:
            name, cid = contacts[pk]
            row.label, row.url = name, reverse("customers:detail", args=[cid])
        elif kind == "agent":
            row.label = _("Agent: %(name)s") % {"name": agent}
        else:
            row.hidden = True
            row.label = _("A customer you may not open") if kind == "customer" else _("A contact you may not open")
        _finish(row)
    return ranked, len(rows)
