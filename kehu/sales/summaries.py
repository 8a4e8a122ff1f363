"""The monthly revenue summary (`RevenueMonth`, docs/rules.md "### The revenue summary").

One row per (customer, the order's owner — none for an ownerless order —, month of the order
date, currency): Σ line revenue, Σ line cost and the number of lines. It is exactly the sum of
the order lines grouped that way, kept so by every write of orders and lines, in the writer's
transaction:

- `revenue_months_refresh(customer_ids=…, order_ids=…, months=…)` recomputes the cells of the
  customers given (or of the orders' customers), optionally only some months, from the lines
  with one GROUP BY, and replaces them (delete + bulk insert). Called by `order_create`, the
  orders importer (once per import, for every customer whose orders or lines it wrote), the
  merge of two customers (the orders move) and the bulk seeders.
- `revenue_months_rebuild()` compares every customer's cells with the lines, in batches, and
  rewrites those that differ: the safety net of `kehu daily` and `kehu summaries rebuild`.

The same calls keep `CategoryRevenueMonth` (customer × product category × month × currency:
Σ line revenue and the number of lines; the share-of-wallet report reads it): every refresh and
rebuild above recomputes both summaries of the customers (and months) given, from the lines.
The category is the product's `category` text as stored, so changing a product's category moves
its lines from one cell to another: `category_months_refresh_products(product_ids=…)` recomputes
the cells of every customer who bought those products, in the writer's transaction (the admin's
product form and the products importer call it when a category changes).

Reads: `revenue_by(first=…, last=…, group=…)` sums whole months from the summary and the
partial months at the edges of the period (an ISO week, a period from the 15th) from the lines,
so a caller gives any date range and gets the exact line sums. Customers in the recycle bin or
merged away are left out at read time (joined), so deleting or restoring a customer needs no
refresh; a handover changes the customer's owner, never an order's, so it needs none either.
`customer_revenue(first=…, last=…, columns=…)` reads the same cells and edge lines summed per
customer first, then joined once to the customers and grouped by the customer's columns (integer
cents, one query; the lead-sources report).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import date, timedelta
from decimal import Decimal

from django.db import transaction
from django.db.models import Count, F, Q, Sum, Value
from django.db.models.functions import TruncMonth

from kehu.core.dates import add_months

BATCH = 500  # customers per refresh statement (well under SQLite's variable limit)
REBUILD_BATCH = 5000  # customers per rebuild comparison (an id range, no variables)
ZERO = Decimal("0.00")


def month_start(day: date) -> date:
    return day.replace(day=1)


def month_end(day: date) -> date:
    return add_months(day.replace(day=1), 1) - timedelta(days=1)


def _chunks(values: list, size: int) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _months_q(months: Iterable[date], path: str) -> Q:
    q = Q()
    for m in sorted({month_start(d) for d in months}):
        q |= Q(**{f"{path}__gte": m, f"{path}__lte": month_end(m)})
    return q


def _cells_from_lines(lines_qs) -> list:
    """RevenueMonth instances (unsaved) of the lines in `lines_qs`: one GROUP BY."""
    from kehu.sales.models import RevenueMonth

    rows = (lines_qs.order_by()
            .annotate(c=F("order__customer_id"), o=F("order__owner_id"), m=TruncMonth("order__order_date"), cur=F("order__currency"))
            .values("c", "o", "m", "cur").annotate(revenue=Sum("revenue"), cost=Sum("cost"), n=Count("pk")))
    return [RevenueMonth(customer_id=r["c"], owner_id=r["o"], month=_as_date(r["m"]), currency=r["cur"],
                         revenue=r["revenue"] or ZERO, cost=r["cost"] or ZERO, lines=r["n"]) for r in rows]


def _as_date(value) -> date:
    return value.date() if hasattr(value, "date") and callable(value.date) else value


def _cell_key(cell) -> tuple:
    return (cell.customer_id, cell.owner_id, cell.month, cell.currency)


def _category_cells_from_lines(lines_qs) -> list:
    """CategoryRevenueMonth instances (unsaved) of the lines in `lines_qs`: one GROUP BY."""
    from kehu.sales.models import CategoryRevenueMonth

    rows = (lines_qs.order_by()
            .annotate(c=F("order__customer_id"), k=F("product__category"), m=TruncMonth("order__order_date"), cur=F("order__currency"))
            .values("c", "k", "m", "cur").annotate(revenue=Sum("revenue"), n=Count("pk")))
    return [CategoryRevenueMonth(customer_id=r["c"], category=r["k"], month=_as_date(r["m"]), currency=r["cur"],
                                 revenue=r["revenue"] or ZERO, lines=r["n"]) for r in rows]


def _category_cell_key(cell) -> tuple:
    return (cell.customer_id, cell.category, cell.month, cell.currency)


def revenue_months_refresh(*, customer_ids: Iterable[int] | None = None, order_ids: Iterable[int] | None = None,
                           months: Iterable[date] | None = None) -> int:
    """Recompute the summary cells of the customers given and of the customers of the orders
    given (all their months, or only `months` — any day of each), from the lines, and replace
    them. Nothing given: everything (`revenue_months_rebuild`). The customers' rows are locked
    first, so two writers for one customer refresh one after the other. Returns the cells
    written. Call it inside the transaction that wrote the orders or lines."""
    from kehu.customers.models import Customer
    from kehu.sales.models import OrderLine, RevenueMonth, SalesOrder

    if customer_ids is None and order_ids is None:
        return revenue_months_rebuild()
    ids = {int(pk) for pk in customer_ids or ()}
    if order_ids is not None:
        for batch in _chunks(sorted({int(pk) for pk in order_ids}), BATCH):
            ids.update(SalesOrder.objects.filter(pk__in=batch).values_list("customer_id", flat=True))
    months = None if months is None else sorted({month_start(d) for d in months})
    if months is not None and not months:
        return 0
    written = 0
    with transaction.atomic():
        for batch in _chunks(sorted(ids), BATCH):
            list(Customer.objects.select_for_update().filter(pk__in=batch).order_by("pk").values_list("pk", flat=True))
            cells = RevenueMonth.objects.filter(customer_id__in=batch)
            lines = OrderLine.objects.filter(order__customer_id__in=batch)
            if months is not None:
                cells = cells.filter(month__in=months)
                lines = lines.filter(_months_q(months, "order__order_date"))
            fresh = _cells_from_lines(lines)
            cells.delete()
            RevenueMonth.objects.bulk_create(fresh, batch_size=1000)
            written += len(fresh)
            _category_cells_replace(batch, months, lines)
    return written


def _category_cells_replace(batch: list[int], months: list[date] | None, lines) -> int:
    """The CategoryRevenueMonth cells of the customers in `batch` (of `months` only, when given)
    recomputed from `lines` (those customers' lines of those months) and replaced."""
    from kehu.sales.models import CategoryRevenueMonth

    cells = CategoryRevenueMonth.objects.filter(customer_id__in=batch)
    if months is not None:
        cells = cells.filter(month__in=months)
    fresh = _category_cells_from_lines(lines)
    cells.delete()
    CategoryRevenueMonth.objects.bulk_create(fresh, batch_size=1000)
    return len(fresh)


def category_months_refresh(*, customer_ids: Iterable[int]) -> int:
    """Recompute the CategoryRevenueMonth cells (only those) of the customers given, locking the
    customers' rows first as `revenue_months_refresh` does. Returns the cells written."""
    from kehu.customers.models import Customer
    from kehu.sales.models import OrderLine

    written = 0
    with transaction.atomic():
        for batch in _chunks(sorted({int(pk) for pk in customer_ids}), BATCH):
            list(Customer.objects.select_for_update().filter(pk__in=batch).order_by("pk").values_list("pk", flat=True))
            written += _category_cells_replace(batch, None, OrderLine.objects.filter(order__customer_id__in=batch))
    return written


def category_months_refresh_products(*, product_ids: Iterable[int]) -> int:
    """A product's category changed (call it after writing the product, in the same transaction):
    the category cells of every customer who ever bought one of `product_ids` recomputed."""
    from kehu.sales.models import OrderLine

    ids = sorted({int(pk) for pk in product_ids})
    customers: set[int] = set()
    for batch in _chunks(ids, BATCH):
        customers.update(OrderLine.objects.filter(product_id__in=batch).order_by()
                         .values_list("order__customer_id", flat=True).distinct())
    return category_months_refresh(customer_ids=customers) if customers else 0


def revenue_months_rebuild(*, now=None) -> int:
    """Compare every customer's cells (of both summaries) with its lines, a range of customer ids
    at a time, and rewrite the cells of each customer whose cells differ (missing, extra or wrong). Returns
    the number of customers corrected: 0 when the summary was right, as it should be. The
    `kehu daily` step and `kehu summaries rebuild`."""
    from kehu.customers.models import Customer
    from kehu.sales.models import CategoryRevenueMonth, OrderLine, RevenueMonth

    bounds = Customer.objects.order_by("pk").values_list("pk", flat=True)
    first, last = bounds.first(), bounds.last()
    if first is None:
        return 0
    corrected = 0
    lo = first
    while lo <= last:
        hi = lo + REBUILD_BATCH
        expected = {_cell_key(c): (c.revenue, c.cost, c.lines)
                    for c in _cells_from_lines(OrderLine.objects.filter(order__customer_id__gte=lo, order__customer_id__lt=hi))}
        stored = {(r[0], r[1], r[2], r[3]): (r[4], r[5], r[6]) for r in RevenueMonth.objects.filter(customer_id__gte=lo, customer_id__lt=hi)
                  .values_list("customer_id", "owner_id", "month", "currency", "revenue", "cost", "lines")}
        wrong = {key[0] for key in expected.keys() | stored.keys() if expected.get(key) != stored.get(key)}
        lines = OrderLine.objects.filter(order__customer_id__gte=lo, order__customer_id__lt=hi)
        expected = {_category_cell_key(c): (c.revenue, c.lines) for c in _category_cells_from_lines(lines)}
        stored = {(r[0], r[1], r[2], r[3]): (r[4], r[5]) for r in CategoryRevenueMonth.objects.filter(customer_id__gte=lo, customer_id__lt=hi)
                  .values_list("customer_id", "category", "month", "currency", "revenue", "lines")}
        wrong |= {key[0] for key in expected.keys() | stored.keys() if expected.get(key) != stored.get(key)}
        if wrong:
            revenue_months_refresh(customer_ids=wrong)
            corrected += len(wrong)
        lo = hi
    return corrected


CHECKED = "revenue_months_checked"  # kehu.core Sequence row: the ordinal of the last day checked


def daily_revenue_months(*, now) -> int:
    """The `kehu daily` step: once a day (cron runs `kehu daily` every few minutes), the summary
    checked against the lines; returns the customers corrected."""
    from kehu.core.sequences import once_a_day

    return once_a_day(CHECKED, now=now, work=lambda: revenue_months_rebuild(now=now))


# --- reads ------------------------------------------------------------------------------------

def whole_months(first: date, last: date) -> tuple[date, date] | None:
    """The first day of the first whole month in first..last and the last day of the last one
    (None when the range holds no whole month)."""
    start = first if first.day == 1 else add_months(month_start(first), 1)
    end = last if last == month_end(last) else month_start(last) - timedelta(days=1)
    return (start, end) if start <= end else None


def revenue_sources(first: date, last: date) -> list[tuple[object, str]]:
    """Where the revenue of the orders dated first..last (both inclusive) is read: (queryset,
    prefix) pairs — the whole months from RevenueMonth (prefix "", customer_id/owner_id/… on the
    row), the partial months at the edges from the order lines (prefix "order__"). The orders of
    the edge days are found first (the order_date index), then their lines."""
    from kehu.sales.models import OrderLine, RevenueMonth, SalesOrder

    def lines(dates: Q):
        return OrderLine.objects.filter(order_id__in=SalesOrder.objects.filter(dates).order_by().values("pk"))

    whole = whole_months(first, last)
    if whole is None:
        return [(lines(Q(order_date__gte=first, order_date__lte=last)), "order__")] if first <= last else []
    sources = [(RevenueMonth.objects.filter(month__gte=whole[0], month__lte=whole[1]), "")]
    edges = Q()
    if first < whole[0]:
        edges |= Q(order_date__gte=first, order_date__lt=whole[0])
    if last > whole[1]:
        edges |= Q(order_date__gt=whole[1], order_date__lte=last)
    if edges:
        sources.append((lines(edges), "order__"))
    return sources


def _line_path(name: str) -> str:
    return "order__" + name


def revenue_by(*, first: date, last: date, group: tuple[str, ...] = (),
               keys: Callable[[str], dict] | None = None,
               narrow: Callable[[object, str], object] | None = None,
               live: bool = True) -> list[dict]:
    """Σ revenue, Σ cost (exact Decimals) and the count of order lines of the orders dated
    first..last (both inclusive), grouped: one dict per group with the `group` names, the
    `keys` names, "revenue", "cost" and "lines".

    Names are written from the order's point of view: "owner_id", "customer_id", "currency",
    "customer__lead_source", …, and "month" (the first day of the order's month). `keys(prefix)`
    returns more group keys as expressions over paths starting at `prefix` + "customer__…"
    (`prefix` is "" on summary rows, "order__" on lines); `narrow(qs, prefix)` filters either
    queryset the same way (an owner in scope: `Q(**{prefix + "owner__team": …})`).

    Whole months are read from the summary, the partial months at the edges from the lines: at
    most two queries, and the sums equal the line-level sums exactly. `live` (the default)
    leaves out customers in the recycle bin or merged away."""
    from kehu.customers.models import Customer

    totals: dict[tuple, dict] = {}
    names = list(group) + list((keys("") if keys else {}).keys())
    joins_customer = keys is not None or any(name.startswith("customer__") for name in group)

    def add(qs, prefix: str) -> None:
        alias = {}
        for i, name in enumerate(group):
            if name == "month":
                alias[f"k{i}"] = F("month") if not prefix else TruncMonth("order__order_date")
            else:
                alias[f"k{i}"] = F(prefix + name)
        if keys:
            for j, (name, expr) in enumerate(keys(prefix).items()):
                alias[f"k{len(group) + j}"] = expr
        if live and (prefix or joins_customer):
            qs = qs.filter(**{f"{prefix}customer__is_deleted": False, f"{prefix}customer__merged_into__isnull": True})
        elif live:
            # No customer column is read: leave out the few dead customers by two uncorrelated
            # NOT IN lists, each read from its index (`IN (true)` rather than a bare boolean, which
            # SQLite answers by scanning the whole index) — a join per summary row costs more.
            qs = (qs.exclude(customer_id__in=Customer.objects.filter(is_deleted__in=[True]).order_by().values("pk"))
                  .exclude(customer_id__in=Customer.objects.filter(merged_into__isnull=False).order_by().values("pk")))
        if narrow:
            qs = narrow(qs, prefix)
        count = Sum("lines") if not prefix else Count("pk")
        rows = qs.order_by().annotate(**alias).values(*alias).annotate(revenue=Sum("revenue"), cost=Sum("cost"), n=count)
        for r in rows:
            key = tuple(_as_date(r[f"k{i}"]) if names[i] == "month" else r[f"k{i}"] for i in range(len(names)))
            row = totals.setdefault(key, {"revenue": ZERO, "cost": ZERO, "lines": 0})
            row["revenue"] += Decimal(r["revenue"] or 0)
            row["cost"] += Decimal(r["cost"] or 0)
            row["lines"] += r["n"] or 0

    for qs, prefix in revenue_sources(first, last):
        add(qs, prefix)
    return [{**dict(zip(names, key)), **row} for key, row in totals.items()]


def customer_revenue(*, first: date, last: date, columns: tuple[str, ...],
                     narrow: Callable[[object, str], object] | None = None, whole: bool = True) -> list[tuple]:
    """Σ line revenue in integer cents of the orders dated first..last (both inclusive), grouped
    by `columns` of the order's customer (Customer field names, e.g. "lead_source",
    "referrer_customer_id"): tuples (*columns' values, cents), in no particular order.

    As `revenue_by` (whole months from the summary, the partial months at the edges from the
    lines, `narrow(qs, prefix)` on either), but each part is first summed per customer and only
    then joined to the customer — one look-up per customer with revenue rather than per summary
    row — and the rows are read as the database gives them (integers and texts, no converters):
    one query, and the sums equal the line-level sums exactly. Customers are taken as they are
    (no recycle-bin or merge filter: `narrow` decides). `whole=False`: the partial months at the
    edges only (the caller reads the whole months elsewhere)."""
    from django.db import connections

    from kehu.customers.models import Customer
    from kehu.sales.models import RevenueMonth

    def per_customer(qs, prefix: str):
        if narrow:
            qs = narrow(qs, prefix)
        qs = qs.order_by().annotate(cid=F(f"{prefix}customer_id")).values("cid").annotate(cents=Sum("revenue"))
        return qs.query.sql_with_params()

    parts = [per_customer(qs, prefix) for qs, prefix in revenue_sources(first, last) if whole or prefix]
    if not parts:
        return []
    db = RevenueMonth.objects.db
    qn = connections[db].ops.quote_name
    inner = " UNION ALL ".join(f"SELECT p{i}.cid, p{i}.cents FROM ({sql}) p{i}" for i, (sql, _params) in enumerate(parts))
    params = [p for _sql, part_params in parts for p in part_params]
    cols = ", ".join(f"c.{qn(Customer._meta.get_field(name).column)}" for name in columns)
    groups = ", ".join(str(i + 1) for i in range(len(columns)))
    sql = (f"SELECT {cols}, SUM(s.cents) FROM ({inner}) s INNER JOIN {qn(Customer._meta.db_table)} c "
           f"ON c.{qn(Customer._meta.pk.column)} = s.cid GROUP BY {groups}")
    with connections[db].cursor() as cursor:
        cursor.execute(sql, params)
        return [(*row[:-1], int(row[-1] or 0)) for row in cursor.fetchall()]


def _fetch(queryset) -> list[tuple]:
    """The rows of a values_list queryset as the database returns them (integers and texts; no
    per-value converters: a SUM may come back as a Decimal on PostgreSQL, callers make it int)."""
    from django.db import connections

    sql, params = queryset.query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def category_revenue(*, customers, periods: list[tuple[date, date]]) -> list[tuple]:
    """Σ line revenue in integer cents of the orders of `customers` (customer ids: a queryset,
    used as a subquery, or a list) dated in each of `periods` ((first, last), both inclusive),
    by the customer, the product's category (as stored) and the order's currency: tuples
    (customer_id, category, currency, cents of periods[0], cents of periods[1], …), sorted by
    the first three — the groups with at least one line in one of the periods (0 for a period
    without any).

    Whole months come from CategoryRevenueMonth, the partial months at a period's edges from the
    lines (as `revenue_by`): at most two queries, and the sums equal the line-level sums exactly.
    Customers are taken as given (no recycle-bin or merge filter: the caller's set decides)."""
    from django.db.models import BigIntegerField
    from django.db.models.functions import Cast, Coalesce

    from kehu.sales.models import CategoryRevenueMonth, OrderLine

    def total(condition):  # Σ cents under `condition`, 0 when none, an int on both databases
        return Cast(Coalesce(Sum(Cast("revenue", BigIntegerField()), filter=condition), 0), BigIntegerField())

    months, edges = {}, {}
    month_span, edge_span, bounds = Q(), Q(), []
    for i, (first, last) in enumerate(periods):
        whole = whole_months(first, last)
        edge = Q()
        if whole is None:
            if first <= last:
                edge = Q(order__order_date__gte=first, order__order_date__lte=last)
        else:
            span = Q(month__gte=whole[0], month__lte=whole[1])
            months[f"p{i}"] = total(span)
            month_span |= span
            bounds += whole
            if first < whole[0]:
                edge |= Q(order__order_date__gte=first, order__order_date__lt=whole[0])
            if last > whole[1]:
                edge |= Q(order__order_date__gt=whole[1], order__order_date__lte=last)
        if edge:
            edges[f"p{i}"] = total(edge)
            edge_span |= edge
    zero = Value(0, output_field=BigIntegerField())
    keys = ("customer_id", "category", "currency")
    # every period a column (0 where a period reads nothing here), in the periods' order
    # the range lets the (customer, month, …) index be read alone; the OR keeps only the periods' months
    month_rows = _fetch(CategoryRevenueMonth.objects.filter(month_span, customer_id__in=customers, month__gte=min(bounds, default=None),
                                                            month__lte=max(bounds, default=None))
                        .order_by().values_list(*keys)
                        .annotate(**{f"p{i}": months.get(f"p{i}", zero) for i in range(len(periods))})) if months else []
    if not edges:  # whole months only (a year, say): one query, already grouped; every group has a cell
        month_rows.sort()  # (SQLite's groups come in this order already: a linear pass)
        return month_rows
    line_rows = _fetch(OrderLine.objects.filter(edge_span, order__customer_id__in=customers).order_by()
                       .values_list("order__customer_id", "product__category", "order__currency")
                       .annotate(**{f"p{i}": edges.get(f"p{i}", zero) for i in range(len(periods))}))
    totals: dict[tuple, list[int]] = {}
    for customer_id, category, currency, *sums in month_rows + line_rows:
        row = totals.get((customer_id, category, currency))
        if row is None:
            totals[(customer_id, category, currency)] = list(sums)
        else:
            for i, value in enumerate(sums):
                row[i] += value
    return [(*key, *sums) for key, sums in sorted(totals.items())]
