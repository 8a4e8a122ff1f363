"""The monthly revenue summary against the line-level sums it replaces (issue 12).

    .venv/bin/python benchmarks/revenue_months.py [--db /tmp/rank100k.sqlite3] [--repeat 5]

Works on the database of `benchmarks/ranking.py` (the `--keep` file; seeded with its functions
when missing: 100,000 customers, 1,000,000 order lines over the 24 months before 2026-06-30).
Fills the summary when it is empty (a database seeded before the summary existed) and checks
it against the lines. Then times, best of `--repeat`, each read the old way (one GROUP BY over
the order lines joined to orders and customers) and the new way (`kehu.sales.summaries.
revenue_by`: whole months from the summary, partial edges from the lines), checks both give
the same Decimals, and prints ms and the ratio:

- a rep's month revenue over the 7 months of the anomaly rule (`rep_month_revenue`), for all reps;
- revenue by lead source over a quarter (the sources report's revenue query);
- revenue by referrer over a quarter;
- the same by lead source over a period with partial months (the 15th to the 14th), and over an
  ISO week (no whole month: the lines only, through the orders of those days).

PostgreSQL: `--database postgres` with DATABASE_URL. Not part of the test run.
"""

import argparse
import os
import sys
import time
from datetime import date
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="/tmp/rank100k.sqlite3", help="SQLite file (seeded by benchmarks/ranking.py when missing)")
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    args = parser.parse_args()
    if args.database == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        os.environ["KEHU_SQLITE_PATH"] = args.db
    elif not os.environ.get("DATABASE_URL"):
        parser.error("--database postgres needs DATABASE_URL")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.db.models import Sum
    from django.db.models.functions import ExtractMonth, ExtractYear

    call_command("migrate", verbosity=0)
    from benchmarks.ranking import seed
    from kehu.accounts.models import User
    from kehu.core.db import refresh_statistics
    from kehu.customers.models import Customer
    from kehu.reports.selectors.anomalies import rep_month_revenue
    from kehu.reports.selectors.sources import _referrer_key
    from kehu.sales.models import OrderLine, RevenueMonth
    from kehu.sales.summaries import revenue_by, revenue_months_rebuild

    if not OrderLine.objects.exists():
        t = time.perf_counter()
        seed(args.customers, args.lines)
        refresh_statistics()
        print(f"seeded in {time.perf_counter() - t:.1f} s")
    if not RevenueMonth.objects.exists():
        t = time.perf_counter()
        revenue_months_rebuild()
        refresh_statistics()
        print(f"summary filled in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    corrected = revenue_months_rebuild()
    check_s = time.perf_counter() - t
    assert corrected == 0, corrected

    # Give the seeded world owners, sources and referrers so that the groups are not trivial
    # (the ranking seed leaves orders ownerless and every customer "referral"). Idempotent.
    reps = list(User.objects.filter(role=User.Role.REP).order_by("pk").values_list("pk", flat=True))
    if not OrderLineOwnerMarker.done(connection):
        from kehu.sales.models import SalesOrder
        from kehu.sales.summaries import revenue_months_refresh

        t = time.perf_counter()
        order_t = SalesOrder._meta.db_table
        cust_t = Customer._meta.db_table
        with connection.cursor() as cur:
            cur.execute(f"UPDATE {order_t} SET owner_id = (SELECT owner_id FROM {cust_t} c WHERE c.id = {order_t}.customer_id)")
            sources = [s for s in Customer.LeadSource.values] or ["referral"]
            cur.execute(f"UPDATE {cust_t} SET lead_source = CASE id % {len(sources)} " +
                        " ".join(f"WHEN {i} THEN '{s}'" for i, s in enumerate(sources)) + " END")
            cur.execute(f"UPDATE {cust_t} SET referrer_customer_id = id - (id % 97) WHERE id % 97 <> 0 AND id % 5 = 0 AND id - (id % 97) > 0")
            cur.execute(f"UPDATE {cust_t} SET referrer_agent = 'agent' || (id % 50) WHERE id % 7 = 0 AND referrer_customer_id IS NULL")
        from django.db import transaction

        with transaction.atomic():
            revenue_months_refresh(customer_ids=Customer.objects.values_list("pk", flat=True))
        refresh_statistics()
        print(f"orders given their customer's owner, sources and referrers spread, summary refreshed: {time.perf_counter() - t:.1f} s")

    def best(fn):
        times, result = [], None
        for _ in range(args.repeat):
            t = time.perf_counter()
            result = fn()
            times.append(time.perf_counter() - t)
        return min(times) * 1000, result

    live = {"order__customer__is_deleted": False, "order__customer__merged_into__isnull": True}

    # 1. a rep's month revenue, 7 months (Dec 2025 .. Jun 2026), all reps
    first, last = date(2025, 12, 1), date(2026, 6, 30)

    def old_rep_months():
        rows = (OrderLine.objects.filter(order__order_date__gte=first, order__order_date__lte=last, order__owner__role=User.Role.REP,
                                         order__owner_id__in=reps, **live)
                .order_by().annotate(y=ExtractYear("order__order_date"), m=ExtractMonth("order__order_date"))
                .values("order__owner_id", "y", "m").annotate(total=Sum("revenue")))
        out = {}
        for r in rows:
            out.setdefault(r["order__owner_id"], {})[(r["y"], r["m"])] = Decimal(r["total"] or 0)
        return out

    def new_rep_months():
        return rep_month_revenue(first=first, last=last, rep_ids=reps)

    # 2. revenue by lead source, a quarter
    q_first, q_last = date(2026, 4, 1), date(2026, 6, 30)

    def old_sources(a=q_first, b=q_last):
        rows = (OrderLine.objects.filter(order__order_date__gte=a, order__order_date__lte=b, **live).order_by()
                .values("order__customer__lead_source").annotate(revenue=Sum("revenue")))
        return {r["order__customer__lead_source"]: Decimal(r["revenue"] or 0) for r in rows}

    def new_sources(a=q_first, b=q_last):
        return {r["customer__lead_source"]: r["revenue"] for r in revenue_by(first=a, last=b, group=("customer__lead_source",))}

    # 3. revenue by referrer, a quarter
    def old_referrers():
        rows = (OrderLine.objects.filter(order__order_date__gte=q_first, order__order_date__lte=q_last, **live).order_by()
                .annotate(**_referrer_key("order__customer__")).exclude(ref_kind="")
                .values("ref_kind", "ref_id", "ref_agent").annotate(revenue=Sum("revenue")))
        return {(r["ref_kind"], r["ref_id"], r["ref_agent"]): Decimal(r["revenue"] or 0) for r in rows}

    def new_referrers():
        return {(r["ref_kind"], r["ref_id"], r["ref_agent"]): r["revenue"]
                for r in revenue_by(first=q_first, last=q_last, keys=lambda p: _referrer_key(f"{p}customer__")) if r["ref_kind"]}

    p_first, p_last = date(2026, 3, 15), date(2026, 6, 14)
    cases = [
        ("rep month revenue, 7 months, 20 reps", old_rep_months, new_rep_months),
        ("revenue by lead source, a quarter", old_sources, new_sources),
        ("revenue by referrer, a quarter", old_referrers, new_referrers),
        ("by lead source, 15 Mar – 14 Jun (partial edges)", lambda: old_sources(p_first, p_last), lambda: new_sources(p_first, p_last)),
        ("by lead source, ISO week 2026-W23 (lines only)", lambda: old_sources(date(2026, 6, 1), date(2026, 6, 7)),
         lambda: new_sources(date(2026, 6, 1), date(2026, 6, 7))),
    ]
    print(f"Kehu revenue summary benchmark: {Customer.objects.count()} customers, {OrderLine.objects.count()} order lines, "
          f"{RevenueMonth.objects.count()} summary rows, {connection.vendor}; summary check (kehu daily) {check_s:.1f} s")
    print(f"{'read':50} {'lines ms':>9} {'summary ms':>11} {'× faster':>9}")
    for label, old, new in cases:
        old_ms, a = best(old)
        new_ms, b = best(new)
        assert a == b, label
        print(f"{label:50} {old_ms:9.1f} {new_ms:11.1f} {old_ms / new_ms:9.1f}")


class OrderLineOwnerMarker:
    """Whether the benchmark's spread of owners/sources was applied (orders have owners)."""

    @staticmethod
    def done(connection) -> bool:
        from kehu.sales.models import SalesOrder

        return SalesOrder.objects.filter(owner__isnull=False).exists()


if __name__ == "__main__":
    main()
