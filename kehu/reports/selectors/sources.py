"""The lead-sources report (docs/rules.md "### Lead sources"): by the customer's lead source and by
who referred the customer — customers acquired, won deals, revenue, conversion to signed, and where
the source's customers stand in the pyramid and the value classes. A fixed number of SQL aggregates
(grouped by source, or by referrer) merged in Python; referrers are named only when the reader may
open them."""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Case, CharField, Count, IntegerField, Q, Sum, Value, When

from kehu.core.money import quantize_cents
from kehu.reports.selectors.funnel import customer_scope, period_bounds, ratio

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


def _customer_aggregates(flt) -> dict:
    from kehu.customers.models import Customer

    start, end = period_bounds(flt.period)
    aggs = {
        "n": Count("pk"),
        "acquired": Count("pk", filter=Q(created_at__gte=start, created_at__lt=end)),
        "signed": Count("pk", filter=Q(stage__in=[Customer.Stage.SIGNED, Customer.Stage.VIP])),
    }
    for code in [*Customer.PyramidTier.values, ""]:
        aggs[f"t_{code}"] = Count("pk", filter=Q(pyramid_tier=code))
    for code in [*Customer.ValueClass.values, ""]:
        aggs[f"v_{code}"] = Count("pk", filter=Q(value_class=code))
    return aggs


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


def _fill(row: SourceRow, r: dict) -> None:
    from kehu.customers.models import Customer

    row.customers += r["n"]
    row.acquired += r["acquired"]
    row.signed += r["signed"]
    for code in [*Customer.PyramidTier.values, ""]:
        row.tiers[code] = row.tiers.get(code, 0) + r[f"t_{code}"]
    for code in [*Customer.ValueClass.values, ""]:
        row.classes[code] = row.classes.get(code, 0) + r[f"v_{code}"]


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


def _revenue(flt, *, group=(), keys=None) -> list[dict]:
    """Σ line revenue of the orders dated in the period owned by someone in scope (customers not
    in the recycle bin nor merged away), grouped: whole months from the monthly revenue summary,
    the partial edges from the lines (`kehu.sales.summaries.revenue_by`, exact)."""
    from kehu.sales.summaries import revenue_by

    def narrow(qs, prefix):
        return flt.owned(qs, f"{prefix}owner", lead_source_path=f"{prefix}customer__lead_source")

    return revenue_by(first=flt.period.start, last=flt.period.end, group=group, keys=keys, narrow=narrow)


def sources_report(flt, *, top: int = TOP_REFERRERS) -> SourcesReport:
    from django.utils.translation import gettext as _

    from kehu.customers.models import Customer

    customers = customer_scope(flt).order_by()
    aggs = _customer_aggregates(flt)
    labels = dict(Customer.LeadSource.choices)

    # by source: customers (1 query), won deals (1), revenue (1)
    rows: dict[str, SourceRow] = {}

    def source_row(code):
        code = code or ""
        if code not in rows:
            rows[code] = SourceRow(key=code, label=str(labels.get(code, "")) if code else _("No source"))
        return rows[code]

    for r in customers.values("lead_source").annotate(**aggs):
        _fill(source_row(r["lead_source"]), r)
    for r in _won(flt).order_by().values("customer__lead_source").annotate(n=Count("pk"), amount=Sum("amount")):
        row = source_row(r["customer__lead_source"])
        row.won += r["n"]
        row.won_amount += Decimal(r["amount"] or 0)
    for r in _revenue(flt, group=("customer__lead_source",)):
        source_row(r["customer__lead_source"]).revenue += r["revenue"]

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

    referrers, referrer_count = _referrers(flt, customers, aggs, top)
    return SourcesReport(
        sources=sources, total=total, referrers=referrers, referrer_count=referrer_count,
        tiers=[*Customer.PyramidTier.choices, ("", _("Not ranked"))],
        classes=[*Customer.ValueClass.choices, ("", _("Not ranked"))],
    )


def _referrers(flt, customers, aggs, top):
    """The top referrers by revenue in the period (then by customers): 3 aggregates + 2 name look-ups."""
    from django.urls import reverse
    from django.utils.translation import gettext as _

    from kehu.customers.models import Contact, Customer

    rows: dict[tuple, SourceRow] = {}

    def row_for(r):
        key = (r["ref_kind"], r["ref_id"], r["ref_agent"] or "")
        if key not in rows:
            rows[key] = SourceRow(key=key)
        return rows[key]

    referred = customers.annotate(**_referrer_key()).exclude(ref_kind="")
    for r in referred.values("ref_kind", "ref_id", "ref_agent").annotate(**aggs):
        _fill(row_for(r), r)
    won = _won(flt).order_by().annotate(**_referrer_key("customer__")).exclude(ref_kind="")
    for r in won.values("ref_kind", "ref_id", "ref_agent").annotate(n=Count("pk"), amount=Sum("amount")):
        row = row_for(r)
        row.won += r["n"]
        row.won_amount += Decimal(r["amount"] or 0)
    for r in _revenue(flt, keys=lambda prefix: _referrer_key(f"{prefix}customer__")):
        if r["ref_kind"]:
            row_for(r).revenue += r["revenue"]

    ranked = sorted(rows.values(), key=lambda r: (-r.revenue, -r.customers, -r.won_amount, str(r.key)))[:top]
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
