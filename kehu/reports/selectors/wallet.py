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


class _ValueClasses:
    """Customer.ValueClass labels (lazy: read in the active language), looked up per row."""

    labels: dict | None = None

    def get(self, value, default=""):
        if not value:
            return default
        if self.labels is None:
            from kehu.customers.models import Customer

            self.labels = dict(Customer.ValueClass.choices)
        label = self.labels.get(value)
        return str(label) if label is not None else default


VALUE_CLASSES = _ValueClasses()
MAX_CHART_POINTS = 300
ZERO = Decimal("0.00")
TENTH = Decimal("0.1")


@dataclass(slots=True)
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
    share: Decimal | None = None  # our revenue ÷ their spend, exact (a fraction)
    our_growth: Decimal | None = None  # (ours − ours last year) ÷ ours last year, exact (a fraction)
    room: Decimal | None = None  # their spend − ours, at least 0: what they buy elsewhere

    def finish(self, threshold: Decimal) -> None:
        """The share, growth, room and opportunity flag from the amounts (once, when all are in)."""
        if self.spend:
            self.share = self.ours / self.spend
        if self.ours_previous:
            self.our_growth = (self.ours - self.ours_previous) / self.ours_previous
        if self.spend is not None:
            self.room = max(self.spend - self.ours, ZERO)
        self.is_opportunity = is_opportunity(self, threshold)

    @property
    def value_class_label(self) -> str:
        return VALUE_CLASSES.get(self.value_class, "")


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

    spends = (
        CategorySpend.objects.filter(year__in=[year, year - 1], customer_id__in=with_archive)
        .order_by("-year")  # this year's rows first: last year's find their row
        .values_list("customer_id", "customer__code", "customer__name", "customer__value_class", "category", "currency",
                     "year", "annual_spend", "growth_pct")
    )
    lines = (
        OrderLine.objects.filter(order__customer_id__in=with_archive, order__order_date__gte=previous_first,
                                 order__order_date__lte=last)
        .order_by()
        .values_list("order__customer_id", "product__category", "order__currency")
        .annotate(ours=Sum("revenue", filter=Q(order__order_date__gte=first)),
                  ours_previous=Sum("revenue", filter=Q(order__order_date__lt=first)))
    )

    rows: dict[tuple, WalletRow] = {}
    people: dict[int, tuple[str, str, str]] = {}
    for customer_id, code, name, value_class, category, currency, spend_year, amount, growth_pct in spends:
        key = (customer_id, category_key(category), currency)
        if spend_year != year:
            row = rows.get(key)
            if row is not None:
                row.spend_previous = amount
                computed = spend_growth(row.spend, amount)
                if computed is not None:
                    row.their_growth, row.their_growth_source = computed, "computed"
            continue
        people[customer_id] = (code, name, value_class)
        rows[key] = WalletRow(customer_id, code, name, value_class, normalize_category(category), currency, spend=amount,
                              their_growth=growth_pct, their_growth_source="stated" if growth_pct is not None else "")

    for customer_id, category, currency, ours, ours_previous in lines:
        if not ours and not ours_previous:
            continue
        key = (customer_id, category_key(category or ""), currency)
        row = rows.get(key)
        if row is None:
            code, name, value_class = people[customer_id]
            row = rows[key] = WalletRow(customer_id, code, name, value_class, normalize_category(category or ""), currency)
        row.ours += ours or ZERO
        row.ours_previous += ours_previous or ZERO

    totals: dict[str, WalletTotal] = {}
    for row in rows.values():
        row.finish(threshold)
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
