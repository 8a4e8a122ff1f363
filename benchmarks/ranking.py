"""Ranking runs at scale, as ratios to the bare SQL aggregate measured in the same run.

    .venv/bin/python benchmarks/ranking.py [--customers 100000] [--lines 1000000]
                                           [--database sqlite|postgres] [--keep PATH]

SQLite (default) uses a throw-away file, or PATH with --keep: an existing file is reused as
is, so reruns skip the seeding. PostgreSQL uses DATABASE_URL (an empty database, or one this
script seeded before). Seeds customers (a few % prospects with open opportunities), products,
orders and order lines over 24 months (revenue and cost exactly as DOMAIN.md §5.0; `kehu seed`), contracts
with instalments and payments, write-offs, quality losses, influence/reputation — all in bulk,
then the monthly revenue summary (kehu.sales.summaries) is rebuilt from the lines.

Then times, in one process: the bare aggregate (SELECT customer, SUM(revenue), SUM(cost) over
the order lines of the 12-month window, GROUP BY customer, fetched completely; best of 3),
`facts.load_facts` alone, each model's computation alone, and `services.evaluation_run` for
each model (load + compute + store + apply to customers). Prints seconds and the ratio to
the aggregate. Not part of the test run.
"""

import argparse
import os
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = date(2026, 6, 30)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--database", choices=["sqlite", "postgres"], default="sqlite")
    parser.add_argument("--keep", help="SQLite file to reuse (created and seeded when missing)")
    parser.add_argument("--repeat", type=int, default=1, help="timings of each run (best of)")
    parser.add_argument("--profile", help="model to profile with cProfile instead of timing")
    args = parser.parse_args()

    if args.database == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        path = args.keep or str(Path(tempfile.mkdtemp(prefix="kehu-bench-")) / "ranking.sqlite3")
        os.environ["KEHU_SQLITE_PATH"] = path
    elif not os.environ.get("DATABASE_URL"):
        parser.error("--database postgres needs DATABASE_URL")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    call_command("migrate", verbosity=0)
    from kehu.sales.models import OrderLine

    if not OrderLine.objects.exists():
        t = time.perf_counter()
        seed(args.customers, args.lines)
        from kehu.core.db import refresh_statistics

        refresh_statistics()
        print(f"seeded in {time.perf_counter() - t:.1f} s")
    else:
        print("reusing the seeded database")

    from kehu.accounts.models import User
    from kehu.customers.models import Customer
    from kehu.ranking import scoring, services
    from kehu.ranking.facts import load_facts
    from kehu.ranking.params import resolve_params

    if args.profile:
        import cProfile
        import pstats

        actor = User.objects.filter(is_superuser=True).first()
        cProfile.runctx(
            "services.evaluation_run(actor=actor, model=m, as_of=AS_OF)",
            globals(), {"services": services, "actor": actor, "m": args.profile, "AS_OF": AS_OF}, "/tmp/ranking.prof",
        )
        pstats.Stats("/tmp/ranking.prof").sort_stats("cumulative").print_stats(35)
        return

    def best(fn, n):
        times = []
        for _ in range(n):
            t = time.perf_counter()
            fn()
            times.append(time.perf_counter() - t)
        return min(times)

    start, end = scoring.window(AS_OF, 12)
    line_t, order_t = OrderLine._meta.db_table, OrderLine._meta.get_field("order").related_model._meta.db_table
    sql = (
        f"SELECT o.customer_id, SUM(l.revenue), SUM(l.cost) FROM {line_t} l JOIN {order_t} o ON o.id = l.order_id "
        "WHERE o.order_date > %s AND o.order_date <= %s GROUP BY o.customer_id"
    )

    def aggregate():
        with connection.cursor() as cursor:
            cursor.execute(sql, [start, end])
            return cursor.fetchall()

    rows = []
    base = best(aggregate, 3)
    rows.append(("bare SQL aggregate (best of 3)", base))
    holder = {}
    rows.append(("facts.load_facts", best(lambda: holder.__setitem__("facts", load_facts(AS_OF, 12)), args.repeat)))
    facts = holder["facts"]
    for model, fn in scoring.MODELS.items():
        params = resolve_params(model, None)
        rows.append((f"compute {model}", best(lambda: fn(facts, params), args.repeat)))
    actor = User.objects.filter(is_superuser=True).first()
    for model in scoring.MODELS:
        rows.append((f"evaluation_run {model}", best(lambda: services.evaluation_run(actor=actor, model=model, as_of=AS_OF), args.repeat)))

    n_customers = Customer.objects.count()
    n_lines = OrderLine.objects.count()
    print(
        f"Kehu ranking benchmark: {n_customers} customers, {n_lines} order lines, {len(facts.population)} ranked, "
        f"{connection.vendor}, as of {AS_OF}"
    )
    print(f"{'step':40} {'seconds':>9} {'× aggregate':>12}")
    for label, seconds in rows:
        print(f"{label:40} {seconds:9.3f} {seconds / base:12.1f}")


def seed(n_customers: int, n_lines: int) -> None:
    """`kehu seed` (kehu.dataset.seed, issue 13: this module's bulk seed moved there and grew into
    the whole company): customers, products, orders and lines over the 24 months before today
    (revenue and cost exactly as §5.0), contracts, instalments, payments, write-offs, quality
    losses, opportunities; the monthly revenue summary rebuilt."""
    from kehu.dataset.seed import Progress, Sizes
    from kehu.dataset.seed import seed as company_seed

    company_seed(Sizes(customers=n_customers, order_lines=n_lines, activities=0, opportunities=max(1, n_customers * 3 // 100)),
                 progress=Progress())


if __name__ == "__main__":
    main()
