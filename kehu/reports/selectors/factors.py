"""Buying factors (002; DOMAIN.md §7): how the ranked factors — value, price, relationship,
innovation, first and second — spread across the customers' pyramid tiers, value classes and
industries, and across the deals won and lost in the period. Rules: docs/rules.md "### Buying
factors".

- Customers: those the reader may open (`flt.customers()`), narrowed to the team / rep chosen
  (by owner) and the lead source, AS THEY ARE NOW (the period does not apply to them: a factor
  and a tier are today's values, there is no history of either).
- Deals: opportunities won or lost with `closed_on` in the period, whose owner is in the scope
  (`flt.owned`, the same deals as the won figure of `kehu.sales.selectors.weighted_pipeline`),
  of customers not in the recycle bin.
- Per segment: the count of rows with each factor FIRST, and with each factor first OR second
  (a row counts once per factor it names), and the count without a first factor ("not known");
  each as a share of all the segment's rows (not-known included), rounded half-up to 4 places.

Two queries whatever the number of customers: one GROUP BY over the customers' (tier, class,
industry, first, second) — added up per dimension in Python, a few thousand groups at most — and
one over the deals.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Count, Q
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from kehu.customers.models import BuyingFactor, Customer

FACTORS = list(BuyingFactor.values)  # the order of every column and series (and of ties)
TOP_INDUSTRIES = 10
OTHER = "__other__"
NONE = ""


def ratio(part: int, whole: int) -> Decimal | None:
    """part ÷ whole, 4 places half-up; None for an empty whole."""
    if not whole:
        return None
    return (Decimal(part) / Decimal(whole)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@dataclass
class Cell:
    count: int
    share: Decimal | None


@dataclass
class Segment:
    key: str
    label: str
    rows: int = 0  # customers (or deals) in the segment
    first: list[Cell] = field(default_factory=list)   # per FACTORS
    either: list[Cell] = field(default_factory=list)  # per FACTORS: named first or second
    unknown: Cell | None = None                       # no first factor


@dataclass
class Dimension:
    key: str
    title: str
    segment_title: str
    segments: list[Segment]
    chart: dict | None = None

    @property
    def rows(self) -> int:
        return sum(s.rows for s in self.segments)

    @property
    def chart_id(self) -> str:
        return f"chart-factors-{self.key}"


@dataclass
class WinningFactor:
    factor: str
    label: str
    won: int
    won_deals: int
    share: Decimal | None


@dataclass
class FactorWinRate:
    factor: str
    label: str
    won: int
    lost: int
    win_rate: Decimal | None


@dataclass
class FactorsReport:
    dimensions: list[Dimension]
    deals: Dimension
    win_rates: list[FactorWinRate]
    winner: WinningFactor | None
    factor_labels: list[str]


def _aggregates() -> dict:
    aggregates = {"n": Count("pk"), "unknown": Count("pk", filter=Q(buying_factor=""))}
    for f in FACTORS:
        aggregates[f"first_{f}"] = Count("pk", filter=Q(buying_factor=f))
        aggregates[f"either_{f}"] = Count("pk", filter=Q(buying_factor=f) | Q(buying_factor_second=f))
    return aggregates


def _empty_row() -> dict:
    return {"n": 0, "unknown": 0, **{f"first_{f}": 0 for f in FACTORS}, **{f"either_{f}": 0 for f in FACTORS}}


def _add(into: dict, row: dict) -> None:
    for k in into:
        into[k] += row.get(k) or 0


def _segment(key: str, label: str, row: dict) -> Segment:
    n = row["n"]
    return Segment(
        key=key, label=str(label), rows=n,
        first=[Cell(row[f"first_{f}"], ratio(row[f"first_{f}"], n)) for f in FACTORS],
        either=[Cell(row[f"either_{f}"], ratio(row[f"either_{f}"], n)) for f in FACTORS],
        unknown=Cell(row["unknown"], ratio(row["unknown"], n)),
    )


def _grouped(qs, by: str) -> dict:
    return {r[by]: r for r in qs.order_by().values(by).annotate(**_aggregates())}


CUSTOMER_GROUP = ("pyramid_tier", "value_class", "industry", "buying_factor", "buying_factor_second")


def _customer_rows(customers) -> dict[str, dict]:
    """{dimension field: {value: counts row}} for the three customer dimensions, from ONE grouped
    query on (tier, class, industry, first, second) — at most a few thousand groups, answered
    from the covering index `customer_factors_idx` — added up here. `COUNT(*)`, not `COUNT(id)`:
    PostgreSQL's index holds no id, and counting the id made it read the 100,000 table rows
    (a parallel seq scan, 45 ms) instead of the index alone (15 ms)."""
    names = CUSTOMER_GROUP[:3]
    pairs = {name: {} for name in names}  # {dimension: {(value, first, second): customers}}
    for tier, klass, industry, first, second, n in customers.order_by().values_list(*CUSTOMER_GROUP).annotate(n=Count("*")):
        for name, value in zip(names, (tier, klass, industry)):
            key = (value or "", first or "", second or "")
            counts = pairs[name]
            counts[key] = counts.get(key, 0) + n
    by = {}
    for name in names:
        rows = by[name] = {}
        for (value, first, second), n in pairs[name].items():
            row = rows.get(value)
            if row is None:
                row = rows[value] = _empty_row()
            row["n"] += n
            if first in FACTORS:
                row[f"first_{first}"] += n
                row[f"either_{first}"] += n
            else:
                row["unknown"] += n
            if second in FACTORS and second != first:
                row[f"either_{second}"] += n
    return by


def _by_choices(rows: dict, choices, none_label) -> list[Segment]:
    """Segments in the choices' order, then the blank one; empty segments kept (a fixed table)."""
    segments = [_segment(code, label, rows.get(code) or _empty_row()) for code, label in choices]
    blank = rows.get("")
    if blank and blank["n"]:
        segments.append(_segment(NONE, none_label, blank))
    return segments


def _by_industry(rows: dict) -> list[Segment]:
    """The TOP_INDUSTRIES industries with the most customers (ties: name ascending), then the
    rest together with the customers without an industry as "Other"."""
    named = sorted(((k, r) for k, r in rows.items() if k), key=lambda kr: (-kr[1]["n"], kr[0]))
    segments = [_segment(k, k, r) for k, r in named[:TOP_INDUSTRIES]]
    rest = _empty_row()
    for _k, r in named[TOP_INDUSTRIES:]:
        _add(rest, r)
    if "" in rows:
        _add(rest, rows[""])
    if rest["n"]:
        segments.append(_segment(OTHER, _("Other industries or none"), rest))
    return segments


def _chart(dimension: Dimension) -> dict:
    from kehu.reports import charts

    labels = factor_labels()
    series = [(labels[i], [s.first[i].count for s in dimension.segments]) for i in range(len(FACTORS))]
    series.append((pgettext("buying factors", "Not known"), [s.unknown.count for s in dimension.segments]))
    return charts.bar([s.label for s in dimension.segments], series, stack=True)


def factor_labels() -> list[str]:
    return [str(label) for _code, label in BuyingFactor.choices]


def deals_queryset(flt):
    from kehu.sales.models import Opportunity

    qs = Opportunity.objects.filter(stage__is_closed=True, closed_on__range=(flt.period.start, flt.period.end),
                                    customer__is_deleted=False)
    return flt.owned(qs, "owner")


def factors_report(flt) -> FactorsReport:
    """The report under the filter `flt` (kehu.reports.filters.ReportFilter). Two queries (and the
    reader's teams, once per request)."""
    rows = _customer_rows(flt.customers())
    dimensions = [
        Dimension("tiers", pgettext("buying factors", "Pyramid tiers"), _("Pyramid tier"),
                  _by_choices(rows["pyramid_tier"], Customer.PyramidTier.choices, _("Not ranked"))),
        Dimension("classes", _("Value classes"), _("Value class"),
                  _by_choices(rows["value_class"], Customer.ValueClass.choices, pgettext("buying factors", "Not classified"))),
        Dimension("industries", pgettext("buying factors", "Industries"), _("Industry"), _by_industry(rows["industry"])),
    ]
    deal_rows = _grouped(deals_queryset(flt), "stage__is_won")
    deals = Dimension("deals", _("Deals won and lost"), pgettext("buying factors", "Won or lost"), [
        _segment("won", _("Won"), deal_rows.get(True) or _empty_row()),
        _segment("lost", _("Lost"), deal_rows.get(False) or _empty_row()),
    ])
    for d in [*dimensions, deals]:
        d.chart = _chart(d)
    labels = factor_labels()
    won, lost = deals.segments
    win_rates = [FactorWinRate(f, labels[i], won.first[i].count, lost.first[i].count,
                               ratio(won.first[i].count, won.first[i].count + lost.first[i].count))
                 for i, f in enumerate(FACTORS)]
    winner = None
    best = max(range(len(FACTORS)), key=lambda i: (won.first[i].count, -i))  # ties: the first in FACTORS
    if won.first[best].count:
        winner = WinningFactor(FACTORS[best], labels[best], won.first[best].count, won.rows, won.first[best].share)
    return FactorsReport(dimensions=dimensions, deals=deals, win_rates=win_rates, winner=winner, factor_labels=labels)



def export_sheets(report: FactorsReport) -> list[tuple[str, list, list]]:
    """The page's tables as XLSX sheets: one per dimension and one for the deals."""
    labels = report.factor_labels
    sheets = []
    for d in [*report.dimensions, report.deals]:
        header = [d.segment_title, pgettext("buying factors", "Count")]
        for label in labels:
            header += [_("%(factor)s first") % {"factor": label}, _("%(factor)s first, share") % {"factor": label}]
        header += [pgettext("buying factors", "Not known"), pgettext("buying factors", "Not known, share")]
        for label in labels:
            header += [_("%(factor)s first or second") % {"factor": label},
                       _("%(factor)s first or second, share") % {"factor": label}]
        rows = []
        for s in d.segments:
            row = [s.label, s.rows]
            for c in s.first:
                row += [c.count, c.share]
            row += [s.unknown.count, s.unknown.share]
            for c in s.either:
                row += [c.count, c.share]
            rows.append(row)
        sheets.append((d.title, header, rows))
    sheets.append((_("Win rate by factor"), [_("Primary buying factor"), _("Won"), _("Lost"), pgettext("buying factors", "Win rate")],
                   [[w.label, w.won, w.lost, w.win_rate] for w in report.win_rates]))
    return sheets
