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

Three queries whatever the number of rows: the customers in scope with a spend row of the year
(code, name and value class, each customer once), their spend rows of the year and of the year
before (no join), and one grouped sum of our revenue over integer cents, read from the monthly
category summary (`CategoryRevenueMonth`, kept equal to the lines by kehu.sales.summaries; two
calendar years are whole months, so no line is read: `_category_cents`, the same sums as
`category_revenue`). The last two take the customer ids of the first (one array parameter on
PostgreSQL, `= ANY(...)`; a list of parameters on SQLite; the scope as a subquery when there are
too many for a list) and all three are fetched as plain tuples, without Django's per-value
converters. The rows are ranked as plain cells; a WalletRow is made only for a row that is read
(`RankedRows`): a page reads its 50 rows and the chart's first 300, the export all of them.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from django.db.models import BigIntegerField, F, Lookup, Q, Sum
from django.db.models.functions import Cast

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


def _money(cents: int | None) -> Decimal | None:
    return None if cents is None else Decimal(cents).scaleb(-2)


@dataclass(slots=True)
class WalletRow:
    """One customer and category. Amounts are kept in integer cents (as stored) while the whole
    scope is ranked, and read as exact Decimals (`ours`, `spend`, `share`, ...) for the rows shown."""

    customer_id: int
    code: str
    name: str
    value_class: str
    category: str
    currency: str
    ours_cents: int = 0
    ours_previous_cents: int = 0
    spend_cents: int | None = None
    spend_previous_cents: int | None = None
    stated_growth: Decimal | None = None  # growth_pct of the year's row
    is_opportunity: bool = False

    # -- exact values ----------------------------------------------------------------------
    @property
    def ours(self) -> Decimal:
        return _money(self.ours_cents)

    @property
    def ours_previous(self) -> Decimal:
        return _money(self.ours_previous_cents)

    @property
    def spend(self) -> Decimal | None:
        return _money(self.spend_cents)

    @property
    def spend_previous(self) -> Decimal | None:
        return _money(self.spend_previous_cents)

    @property
    def share(self) -> Decimal | None:
        """Our revenue ÷ their spend, exact (a fraction); None without a spend above 0."""
        if not self.spend_cents:
            return None
        return Decimal(self.ours_cents) / Decimal(self.spend_cents)

    @property
    def our_growth(self) -> Decimal | None:
        """(ours − ours last year) ÷ ours last year, exact (a fraction); None when last year is 0."""
        if not self.ours_previous_cents:
            return None
        return Decimal(self.ours_cents - self.ours_previous_cents) / Decimal(self.ours_previous_cents)

    @property
    def their_growth(self) -> Decimal | None:
        """The archive's growth in percent (to 0.1): computed from last year's row when it has a
        spend above 0, else the stated one."""
        if self.spend_cents is not None:
            computed = spend_growth(self.spend, self.spend_previous)
            if computed is not None:
                return computed
        return self.stated_growth

    @property
    def their_growth_source(self) -> str:
        if self.spend_cents is not None and self.spend_previous_cents:
            return "computed"
        return "stated" if self.stated_growth is not None else ""

    @property
    def room(self) -> Decimal | None:
        """Their spend − ours, at least 0: what they buy elsewhere."""
        return None if self.spend_cents is None else _money(max(self.spend_cents - self.ours_cents, 0))

    def _grows(self) -> bool:
        """their_growth > 0, decided in integers: the growth computed from last year's row is
        above 0 once rounded half-up to 0.1 % when 2000 × (spend − previous) ≥ previous."""
        if self.spend_cents is not None and self.spend_previous_cents:
            return 2000 * (self.spend_cents - self.spend_previous_cents) >= self.spend_previous_cents
        return self.stated_growth is not None and self.stated_growth > 0

    def finish(self, threshold: Decimal) -> None:
        """The opportunity flag: a share below `threshold` % (ours × 100 < threshold × spend,
        exactly) and their spend growing."""
        self.is_opportunity = bool(self.spend_cents) and self._grows() and self.ours_cents * 100 < threshold * self.spend_cents

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


class RankedRows(Sequence):
    """The report's rows in their order, each a WalletRow made when first read: a page reads 50
    of them (and the chart up to MAX_CHART_POINTS), the export all. Built from the ranked cells
    (customer id, category as stored, currency, spend, spend last year, ours, ours last year,
    stated growth as stored, opportunity) and the customers' (code, name, value class)."""

    __slots__ = ("_cells", "_made", "_people", "_shown", "_growth_of")

    def __init__(self, cells: list, *, people: dict, shown: dict, growth_of):
        self._cells = cells
        self._made: list[WalletRow | None] = [None] * len(cells)
        self._people, self._shown, self._growth_of = people, shown, growth_of

    def __len__(self) -> int:
        return len(self._cells)

    def _row(self, i: int) -> WalletRow:
        row = self._made[i]
        if row is None:
            customer_id, category, currency, spend, spend_previous, ours, ours_previous, growth, opportunity = self._cells[i]
            code, name, value_class = self._people[customer_id]
            row = self._made[i] = WalletRow(customer_id, code, name, value_class, self._shown[category], currency, ours, ours_previous,
                                            spend, spend_previous, self._growth_of(growth), opportunity)
        return row

    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._row(i) for i in range(*index.indices(len(self._cells)))]
        if index < 0:
            index += len(self._cells)
        if not 0 <= index < len(self._cells):
            raise IndexError(index)
        return self._row(index)

    def __iter__(self):
        for i in range(len(self._cells)):
            yield self._row(i)


@dataclass
class Wallet:
    year: int
    threshold: Decimal
    rows: Sequence[WalletRow] = field(default_factory=list)
    customers: int = 0
    totals: list[WalletTotal] = field(default_factory=list)
    opportunity_total: int | None = None  # the opportunities are the first rows (when known)

    @property
    def opportunities(self) -> list[WalletRow]:
        if self.opportunity_total is not None:
            return list(self.rows[:self.opportunity_total])
        return [r for r in self.rows if r.is_opportunity]

    @property
    def opportunity_count(self) -> int:
        if self.opportunity_total is not None:
            return self.opportunity_total
        return sum(1 for r in self.rows if r.is_opportunity)


def is_opportunity(row: WalletRow, threshold: Decimal) -> bool:
    """Our share is below `threshold` percent (exactly) and their spend grows."""
    row.finish(threshold)
    return row.is_opportunity


def _sort_key(row: WalletRow):
    key = (row.code, row.category, row.currency)
    if row.is_opportunity:
        return (0, row.ours_cents - row.spend_cents, *key)  # the largest room first
    if row.spend_cents is not None:
        return (1, -row.spend_cents, *key)
    return (2, -row.ours_cents, *key)


def _tuples(queryset) -> list[tuple]:
    """The rows of a values_list queryset as the database returns them (no field converters):
    for columns that are integers and texts only (a SUM may come back as a Decimal on
    PostgreSQL: the caller makes it an int)."""
    from django.db import connections

    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _growth_converter(alias: str):
    """A function giving `CategorySpend.growth_pct` from its raw database value exactly as the
    ORM's converters would (SQLite keeps it as a number: a Decimal to 0.1), cached per value:
    the year's spend rows are fetched as plain tuples and few growths are distinct."""
    from django.db import connections

    from kehu.customers.models import CategorySpend

    connection = connections[alias]
    field = CategorySpend._meta.get_field("growth_pct")
    col = field.get_col(CategorySpend._meta.db_table)
    converters = [*connection.ops.get_db_converters(col), *field.get_db_converters(connection)]
    cache: dict = {None: None}

    def convert(raw):
        try:
            return cache[raw]
        except KeyError:
            value = raw
            for converter in converters:
                value = converter(value, col, connection)
            cache[raw] = value
            return value

    return convert


MAX_LISTED_CUSTOMERS = 20_000  # ids passed as a list of parameters up to this many (PostgreSQL: one array, any number)


def _listable(alias: str, count: int) -> bool:
    """Whether `count` customer ids go to the database as parameters (else as the scope's
    subquery): always on PostgreSQL (one array parameter); elsewhere up to MAX_LISTED_CUSTOMERS
    and the SQLite library's own limit of parameters per statement (999 before SQLite 3.32)."""
    from django.db import connections

    connection = connections[alias]
    if connection.vendor == "postgresql":
        return True
    limit = MAX_LISTED_CUSTOMERS
    if connection.vendor == "sqlite":
        import sqlite3

        connection.ensure_connection()
        limit = min(limit, connection.connection.getlimit(sqlite3.SQLITE_LIMIT_VARIABLE_NUMBER) - 10)  # a few for the other conditions
    return count <= limit


class InIds(Lookup):
    """`lhs` is one of the ids `rhs` (a non-empty list of integers): `= ANY(%s)` with one array
    parameter on PostgreSQL (planned and run as one index scan, where a list of thousands of
    parameters or a subquery is a loop of index scans), `IN (%s, …)` elsewhere."""

    lookup_name = "wallet_in_ids"
    prepare_rhs = False

    def as_sql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        return f"{lhs} IN ({', '.join(['%s'] * len(self.rhs))})", [*lhs_params, *self.rhs]

    def as_postgresql(self, compiler, connection):
        lhs, lhs_params = self.process_lhs(compiler, connection)
        # the array as its text form ('{1,64,…}', cast by the server): psycopg adapts a Python list
        # of thousands of ints value by value (1.6 ms more per 2,000 ids)
        return f"{lhs} = ANY(%s::bigint[])", [*lhs_params, "{" + ",".join(str(int(pk)) for pk in self.rhs) + "}"]


def _category_cents(customers, year: int) -> list[tuple]:
    """Our revenue of `year` and of the year before by customer, product category (as stored) and
    currency, in integer cents: tuples (customer_id, category, currency, cents of the year, cents
    of the year before), sorted — what `kehu.sales.summaries.category_revenue` gives for the two
    calendar years, read the same way from the monthly category summary (two calendar years are
    whole months: no order line is read), with the customers as `customers` (a condition on
    `customer_id`)."""
    from django.db.models.functions import Coalesce

    from kehu.sales.models import CategoryRevenueMonth

    first = date(year, 1, 1)

    def total(condition):  # Σ cents under `condition`, 0 when none, an int on both databases
        return Cast(Coalesce(Sum(Cast("revenue", BigIntegerField()), filter=condition), 0), BigIntegerField())

    rows = _tuples(
        CategoryRevenueMonth.objects.filter(customers, month__gte=date(year - 1, 1, 1), month__lte=date(year, 12, 31)).order_by()
        .values_list("customer_id", "category", "currency")
        .annotate(p0=total(Q(month__gte=first)), p1=total(Q(month__lt=first)))
    )
    rows.sort()
    return rows


def wallet_rows(*, flt, threshold: Decimal = DEFAULT_THRESHOLD) -> Wallet:
    """The report of the year of `flt.period` (a year) within the reader's scope (module doc)."""
    from kehu.customers.models import CategorySpend

    year = flt.period.start.year
    spend_scope = flt.narrow_customers(CategorySpend.objects.visible_to(flt.reader), "customer")
    cents = {"spend": Cast("annual_spend", BigIntegerField())}  # integer cents as stored, no Decimal per row
    # 1. The customers in scope (as flt.customers() chooses them: the same visibility and narrowing
    # as `spend_scope`'s) with a spend row of the year, each read ONCE: code, name, value class.
    # (Read with each of their ~3 spend rows, they were most of the rows' bytes and lookups.)
    people: dict[int, tuple[str, str, str]] = {
        customer_id: (code, name, value_class) for customer_id, code, name, value_class in _tuples(
            flt.customers().filter(pk__in=CategorySpend.objects.filter(year=year).order_by().values("customer_id")).order_by()
            .values_list("pk", "code", "name", "value_class"))
    }
    growth_of = _growth_converter(spend_scope.db)  # the stated growth as the ORM reads it, once per distinct value
    # The two other reads take their ids (one array parameter on PostgreSQL) rather than the scope
    # again as a subquery; a scope too large for a list of parameters keeps the subquery.
    ids = sorted(people)
    if not _listable(spend_scope.db, len(ids)):
        customers = Q(customer_id__in=spend_scope.filter(year=year).order_by().values("customer_id"))
    else:
        customers = InIds(F("customer_id"), ids)
    # 2. Their spend rows of the year and of the year before, in one read (no join), and 3. our
    # revenue: integer cents and texts only, fetched as plain tuples (no per-value converter over
    # ~20,000 rows); the SQL is the ORM's.
    spends = _tuples(
        CategorySpend.objects.filter(customers, year__in=[year, year - 1]).order_by()
        .values_list("year", "customer_id", "category", "currency", "growth_pct", "id").annotate(**cents)
    ) if ids else []
    lines = _category_cents(customers, year) if ids else []

    # category text → its key and → as shown, computed once per distinct text (a few)
    texts = {r[2] for r in spends} | {r[1] for r in lines}
    keys = {text: category_key(text or "") for text in texts}
    shown = {text: normalize_category(text or "") for text in texts}

    # One cell per (customer, category key, currency): [customer id, category as stored, currency,
    # spend, spend last year, ours, ours last year, stated growth (raw), opportunity]; WalletRows
    # are made only for the rows read (RankedRows). The year's spend rows first (in the order read).
    # Two spend rows of one year whose categories match ("耗材" and "耗材 "): the one written last
    # (the higher id) counts — whatever order the database reads them in.
    cells: dict[tuple, list] = {}
    held: dict[tuple, int] = {}  # key → id of the spend row of the year the cell holds
    for row_year, customer_id, category, currency, growth_pct, pk, spend in spends:
        if row_year != year:
            continue
        key = (customer_id, keys[category], currency)
        cell = cells.get(key)
        if cell is None:
            cells[key] = [customer_id, category, currency, int(spend), None, 0, 0, growth_pct, False]
            held[key] = pk
        elif pk > held[key]:
            cell[1], cell[3], cell[4], cell[5], cell[6], cell[7] = category, int(spend), None, 0, 0, growth_pct
            held[key] = pk
    get = cells.get
    held_previous: dict[tuple, int] = {}  # the same for last year's spend
    for row_year, customer_id, category, currency, _growth, pk, spend in spends:
        if row_year == year:
            continue
        key = (customer_id, keys[category], currency)
        cell = get(key)
        if cell is not None and pk > held_previous.get(key, 0):
            cell[4] = int(spend)
            held_previous[key] = pk
    for customer_id, category, currency, ours, ours_previous in lines:
        if not ours and not ours_previous:
            continue
        key = (customer_id, keys[category], currency)
        cell = get(key)
        if cell is None:
            cell = cells[key] = [customer_id, category, currency, None, None, 0, 0, None, False]
        cell[5] += ours
        cell[6] += ours_previous

    # The opportunity flag (WalletRow.finish), the totals and the sort key (_sort_key) of every
    # cell in one pass: this loop runs over the whole scope.
    totals: dict[str, list[int]] = {}
    ranked = []
    opportunities = 0
    hundred = 100
    for cell in cells.values():
        customer_id, category, currency, spend, spend_previous, ours, _ours_previous, growth, _flag = cell
        code = people[customer_id][0]
        if spend is None:
            ranked.append((2, -ours, code, shown[category], currency, cell))
            continue
        total = totals.get(currency)
        if total is None:
            total = totals[currency] = [0, 0]
        total[0] += ours
        total[1] += spend
        if spend and ours * hundred < threshold * spend and (
                2000 * (spend - spend_previous) >= spend_previous if spend_previous else _stated_grows(growth_of(growth))):
            cell[8] = True
            opportunities += 1
            ranked.append((0, ours - spend, code, shown[category], currency, cell))
        else:
            ranked.append((1, -spend, code, shown[category], currency, cell))
    ranked.sort()  # never reaches the cell: (code, category, currency) is unique
    rows = RankedRows([r[5] for r in ranked], people=people, shown=shown, growth_of=growth_of)
    return Wallet(year=year, threshold=threshold, rows=rows, customers=len(people), opportunity_total=opportunities,
                  totals=[WalletTotal(c, _money(o), _money(sp)) for c, (o, sp) in sorted(totals.items())])


def _stated_grows(growth: Decimal | None) -> bool:
    return growth is not None and growth > 0


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
