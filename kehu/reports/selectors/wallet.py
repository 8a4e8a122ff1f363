"""Share of wallet and growth (DOMAIN.md §7, article 002 绝招三): per customer and product
category, our revenue of the year against what the customer itself spends on the category (the
key-account archive, `CategorySpend`), our growth against theirs, and the opportunities — the
accounts where our share is small and their spend grows.

The rules, exactly (docs/rules.md "### Share of wallet and growth"):
- rows: the customers the reader may open (`flt.customers()`: visibility, team/rep by the
  customer's owner, lead source) that have at least one spend row of the year in the archive;
  for each, every category with a spend row of the year or with our revenue in the year or the
  year before (a customer without an archive for the year has nothing to compare against);
- our revenue = Σ line revenue (§5.0) of the customer's orders dated in the year, whatever the
  order's status or owner, by the product's category; last year's the same;
- categories match the archive's rule (`kehu.customers.archive.selectors.category_key`): the
  product's category and the spend row's category are the same when they are equal after
  trimming, making inner runs of spaces one and ignoring case; amounts are compared in the same
  currency only (the order's currency against the spend row's);
- share = our revenue ÷ their spend, exact; empty when there is no spend row of the year or its
  spend is 0;
- our growth = (ours − ours last year) ÷ ours last year, exact; empty when last year is 0;
- their growth = the archive's growth (`spend_growth`): computed from last year's spend row of
  the same category and currency when it exists with a spend above 0, else the growth the
  customer stated (`growth_pct`), in percent to 0.1; empty when neither;
- opportunity: share < threshold (default 20 %, compared exactly: ours × 100 < threshold ×
  spend) and their growth > 0. Opportunities come first, the largest room (spend − ours) first.

Two queries whatever the number of rows: the spend rows (with the customer's code, name and
value class) and one grouped sum of the order lines over integer cents.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import Q, Sum

from kehu.customers.archive.selectors import category_key, normalize_category, spend_growth

DEFAULT_THRESHOLD = Decimal(20)  # percent
MAX_CHART_POINTS = 300
ZERO = Decimal("0.00")
TENTH = Decimal("0.1")


@dataclass
class WalletRow:
    customer_id: int
    code: str
    name: str
    value_class: str
    category: str
    currency: str
    ours: Decimal = ZERO
    ours_previous: Decimal = ZERO
    spend: Decimal | None = None
    spend_previous: Decimal | None = None
    their_growth: Decimal | None = None  # percent, to 0.1 (the archive's)
    their_growth_source: str = ""  # "computed", "stated" or ""
    is_opportunity: bool = False

    @property
    def share(self) -> Decimal | None:
        """Our revenue ÷ their spend, exact (a fraction)."""
        if not self.spend:
            return None
        return self.ours / self.spend

    @property
    def our_growth(self) -> Decimal | None:
        """(ours − ours last year) ÷ ours last year, exact (a fraction)."""
        if not self.ours_previous:
            return None
        return (self.ours - self.ours_previous) / self.ours_previous

    @property
    def room(self) -> Decimal | None:
        """What the customer spends on the category elsewhere: their spend − ours (at least 0)."""
        if self.spend is None:
            return None
        return max(self.spend - self.ours, ZERO)

    @property
    def value_class_label(self) -> str:
        from kehu.customers.models import Customer

        return str(Customer.ValueClass(self.value_class).label) if self.value_class in Customer.ValueClass.values else ""


@dataclass
class WalletTotal:
    currency: str
    ours: Decimal  # our revenue in the categories that have a spend row
    spend: Decimal

    @property
    def share(self) -> Decimal | None:
        return self.ours / self.spend if self.spend else None


@dataclass
class Wallet:
    year: int
    threshold: Decimal
    rows: list[WalletRow] = field(default_factory=list)
    customers: int = 0
    totals: list[WalletTotal] = field(default_factory=list)

    @property
    def opportunities(self) -> list[WalletRow]:
        return [r for r in self.rows if r.is_opportunity]

    @property
    def opportunity_count(self) -> int:
        return sum(1 for r in self.rows if r.is_opportunity)


def is_opportunity(row: WalletRow, threshold: Decimal) -> bool:
    """Our share is below `threshold` percent (exactly) and their spend grows."""
    if not row.spend or row.their_growth is None:
        return False
    return row.their_growth > 0 and row.ours * 100 < threshold * row.spend


def _sort_key(row: WalletRow):
    if row.is_opportunity:
        return (0, -row.room, row.code, category_key(row.category), row.currency)
    if row.spend is not None:
        return (1, -row.spend, row.code, category_key(row.category), row.currency)
    return (2, -row.ours, row.code, category_key(row.category), row.currency)


def wallet_rows(*, flt, threshold: Decimal = DEFAULT_THRESHOLD) -> Wallet:
    """The report of the year of `flt.period` (a year) within the reader's scope (module doc)."""
    from kehu.customers.models import CategorySpend
    from kehu.sales.models import OrderLine

    year = flt.period.start.year
    first, last = date(year, 1, 1), date(year, 12, 31)
    previous_first = date(year - 1, 1, 1)
    customers = flt.customers()
    with_archive = CategorySpend.objects.filter(year=year, customer__in=customers).values("customer_id")

    spends = list(
        CategorySpend.objects.filter(year__in=[year, year - 1], customer_id__in=with_archive)
        .order_by()
        .values("customer_id", "customer__code", "customer__name", "customer__value_class", "category", "currency",
                "year", "annual_spend", "growth_pct")
    )
    lines = (
        OrderLine.objects.filter(order__customer_id__in=with_archive, order__order_date__gte=previous_first,
                                 order__order_date__lte=last)
        .order_by()
        .values("order__customer_id", "product__category", "order__currency")
        .annotate(ours=Sum("revenue", filter=Q(order__order_date__gte=first)),
                  ours_previous=Sum("revenue", filter=Q(order__order_date__lt=first)))
    )

    rows: dict[tuple, WalletRow] = {}
    people: dict[int, tuple[str, str, str]] = {}
    previous_spend: dict[tuple, Decimal] = {}
    for s in spends:
        key = (s["customer_id"], category_key(s["category"]), s["currency"])
        if s["year"] != year:
            previous_spend[key] = Decimal(s["annual_spend"])
            continue
        people[s["customer_id"]] = (s["customer__code"], s["customer__name"], s["customer__value_class"])
        row = WalletRow(s["customer_id"], s["customer__code"], s["customer__name"], s["customer__value_class"],
                        normalize_category(s["category"]), s["currency"], spend=Decimal(s["annual_spend"]))
        row.their_growth_source = "stated" if s["growth_pct"] is not None else ""
        row.their_growth = Decimal(s["growth_pct"]) if s["growth_pct"] is not None else None
        rows[key] = row
    for key, amount in previous_spend.items():
        row = rows.get(key)
        if row is None:
            continue
        row.spend_previous = amount
        computed = spend_growth(row.spend, amount)
        if computed is not None:
            row.their_growth, row.their_growth_source = computed, "computed"

    for line in lines:
        ours = Decimal(line["ours"] or 0)
        ours_previous = Decimal(line["ours_previous"] or 0)
        if not ours and not ours_previous:
            continue
        customer_id = line["order__customer_id"]
        key = (customer_id, category_key(line["product__category"] or ""), line["order__currency"])
        row = rows.get(key)
        if row is None:
            code, name, value_class = people[customer_id]
            row = rows[key] = WalletRow(customer_id, code, name, value_class, normalize_category(line["product__category"] or ""),
                                        line["order__currency"])
        row.ours += ours
        row.ours_previous += ours_previous

    totals: dict[str, WalletTotal] = {}
    for row in rows.values():
        row.is_opportunity = is_opportunity(row, threshold)
        if row.spend is not None:
            total = totals.setdefault(row.currency, WalletTotal(row.currency, ZERO, ZERO))
            total.ours += row.ours
            total.spend += row.spend
    return Wallet(year=year, threshold=threshold, rows=sorted(rows.values(), key=_sort_key), customers=len(people),
                  totals=sorted(totals.values(), key=lambda t: t.currency))


def _tenth(value: Decimal) -> str:
    return str(value.quantize(TENTH, rounding=ROUND_HALF_UP))


def scatter_option(wallet: Wallet, *, names: tuple[str, str, str, str]) -> dict:
    """An ECharts scatter: x = our share (%), y = their growth (%), the opportunities a series of
    their own; the first MAX_CHART_POINTS rows with both numbers (in the table's order). Values
    are decimal strings (report-charts.js makes them numbers for drawing); names: (x axis,
    y axis, opportunities, others)."""
    x_name, y_name, opportunities, others = names
    points: dict[bool, list] = {True: [], False: []}
    shown = 0
    for row in wallet.rows:
        if shown >= MAX_CHART_POINTS:
            break
        if row.share is None or row.their_growth is None:
            continue
        shown += 1
        points[row.is_opportunity].append({"name": f"{row.name} · {row.category}",
                                           "value": [_tenth(row.share * 100), _tenth(row.their_growth)]})
    return {
        "tooltip": {"trigger": "item"},
        "legend": {"top": 0},
        "grid": {"left": 50, "right": 30, "bottom": 40, "top": 40, "containLabel": True},
        "xAxis": {"type": "value", "name": str(x_name), "nameLocation": "middle", "nameGap": 28, "min": 0},
        "yAxis": {"type": "value", "name": str(y_name)},
        "series": [
            {"type": "scatter", "name": str(opportunities), "symbolSize": 12, "data": points[True]},
            {"type": "scatter", "name": str(others), "symbolSize": 8, "data": points[False]},
        ],
    }
