"""The lead-sources report (docs/rules.md "### Lead sources"): by the customer's lead source and by
who referred the customer — customers acquired, won deals, revenue, conversion to signed, and where
the source's customers stand in the pyramid and the value classes. A fixed number of SQL aggregates
(grouped by source, or by referrer) merged in Python; referrers are named only when the reader may
open them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, CharField, Count, F, IntegerField, Q, Sum, Value, When

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
    return {"n": Count("pk"), "acquired": Count("pk", filter=Q(created_at__gte=start, created_at__lt=end))}


def _referrer_key(prefix: str = "") -> dict:
    """The referrer of a customer as (kind, id, agent): a referring customer first, else a
    referring contact, else the agent's name; kind "" when nobody referred the customer."""
    p = prefix
    return {
        "ref_kind": Case(When(**{f"{p}referrer_customer__isnull": False}, then=Value("customer")),
                         When(**{f"{p}referrer_contact__isnull": False}, then=Value("contact")),
                         When(~Q(**{f"{p}referrer_agent": ""}), then=Value("agent")), default=Value(""), output_field=CharField()),
        "ref_id": Case(When(**{f"{p}referrer_customer__isnull": False}, then=f"{p}referrer_customer_id"),
                       When(**{f"{p}referrer_contact__isnull": False}, then=f"{p}referrer_contact_id"),
                       default=Value(None), output_field=IntegerField()),
        "ref_agent": Case(When(Q(**{f"{p}referrer_customer__isnull": True, f"{p}referrer_contact__isnull": True}),
                               then=f"{p}referrer_agent"), default=Value(""), output_field=CharField()),
    }


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


def _revenue(flt) -> list[dict]:
    """Σ line revenue of the orders dated in the period owned by someone in scope (customers not
    in the recycle bin nor merged away), by the customer's source and referrer in one pass: whole
    months from the monthly revenue summary, the partial edges from the lines
    (`kehu.sales.summaries.revenue_by`, exact). The dead customers are left out by two NOT IN
    lists of their few ids rather than by conditions on the joined customer, so the summary rows
    of the period (its (month, owner) index) drive the join and each reads one customer by id."""
    from kehu.customers.models import Customer
    from kehu.sales.summaries import revenue_by

    dead_deleted = Customer.objects.filter(is_deleted__in=[True]).order_by().values("pk")
    dead_merged = Customer.objects.filter(merged_into__isnull=False).order_by().values("pk")

    def narrow(qs, prefix):
        qs = qs.exclude(**{f"{prefix}customer_id__in": dead_deleted}).exclude(**{f"{prefix}customer_id__in": dead_merged})
        return flt.owned(qs, f"{prefix}owner", lead_source_path=f"{prefix}customer__lead_source")

    def keys(prefix):
        return {"lead_source": F(f"{prefix}customer__lead_source"), **_referrer_key(f"{prefix}customer__")}

    return revenue_by(first=flt.period.start, last=flt.period.end, keys=keys, narrow=narrow, live=False)


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
    # A reader whose scope is some owners (a manager, a rep, a team or rep chosen): grouped by
    # owner first, so their customers are sought in `customer_sources_owner_idx`; the whole
    # company: scanned in `customer_sources_idx`, in its order.
    by_owner = ("owner_id",) if narrowed_by_owner(flt) else ()
    for r in customers.values(*by_owner, "lead_source", *CELL).annotate(**aggs).order_by(*by_owner, "lead_source", *CELL):
        _fill(source_row(r["lead_source"]), r, codes)
    # won deals by source and referrer in one grouping (the referrers' rows are those with a kind)
    won = list(_won(flt).order_by().annotate(**_referrer_key("customer__"))
               .values("customer__lead_source", "ref_kind", "ref_id", "ref_agent").annotate(n=Count("pk"), amount=Sum("amount")))
    for r in won:
        row = source_row(r["customer__lead_source"])
        row.won += r["n"]
        row.won_amount += Decimal(r["amount"] or 0)
    revenue = _revenue(flt)
    for r in revenue:
        source_row(r["lead_source"]).revenue += r["revenue"]

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
    """The top referrers by revenue in the period (then by customers): the referred customers' counts
    (1 query, the few referred customers from their partial index), the won deals and revenue
    already grouped by referrer, then 2 name look-ups."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from kehu.customers.models import Contact, Customer

    # Every referrer's ranking figures first (customers, won amount, revenue: light sums), the full
    # row (tiers, classes, signed…) only for the `top` ranked — ~5,000 referrers at 100,000
    # customers, a SourceRow each was ~20 ms.
    rows: dict[tuple, list] = {}  # key -> [customers, won, won amount, revenue, [cells]]

    def row_for(r):
        key = (r["ref_kind"], r["ref_id"], r["ref_agent"] or "")
        row = rows.get(key)
        if row is None:
            row = rows[key] = [0, 0, ZERO, ZERO, []]
        return row

    referred = _referred(customers).annotate(**_referrer_key())
    codes = _codes()
    for r in referred.values("ref_kind", "ref_id", "ref_agent", *CELL).annotate(**aggs):
        row = row_for(r)
        row[0] += r["n"]
        row[4].append(r)
    for r in won:
        if not r["ref_kind"]:
            continue
        row = row_for(r)
        row[1] += r["n"]
        row[2] += Decimal(r["amount"] or 0)
    for r in revenue:
        if r["ref_kind"]:
            row_for(r)[3] += r["revenue"]

    ranked = []
    for key, (_n, won_n, won_amount, revenue_sum, cells) in sorted(rows.items(), key=lambda kv: (-kv[1][3], -kv[1][0], -kv[1][2], str(kv[0])))[:top]:
        row = SourceRow(key=key, won=won_n, won_amount=won_amount, revenue=revenue_sum)
        for r in cells:
            _fill(row, r, codes)
        ranked.append(row)
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
