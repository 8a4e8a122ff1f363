"""The reports and the 工作台 at the scale of issue 12, as ratios to a bare view measured in the same run.

    .venv/bin/python -m benchmarks.reports [--db /tmp/kehu-reports.sqlite3] [--fresh] [--repeat 9]
        [--customers 100000] [--lines 1000000] [--activities 1000000] [--opportunities 20000]

Works on a SQLite file, seeded when it has no order line yet and reused as is on reruns
(`--fresh` deletes it first; the size options only matter when seeding). The seed is `kehu seed`
(kehu/dataset/seed.py: the whole company, in bulk; it was this module's and benchmarks/ranking.py's
before issue 13). `make bench` (benchmarks/bench.py) times these pages with all the others, on
SQLite and PostgreSQL, in one table.

Then refreshes the planner statistics as `kehu daily` does and times, in one process through
the full middleware stack (django.test.Client), a bare view and each report page as the
director, a manager (one team of 20 reps) and a rep; each export once. Prints the median
milliseconds, the ratio to that user's bare view and the number of SQL queries. A URL name that
does not resolve, or answers 404 (a page not built yet: a placeholder), prints "missing". Not
part of the test run.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PAGES = [
    # (label, URL name, query, export)
    ("workbench", "reports:workbench", "", False),
    ("search", "reports:search", "?q={name}", False),
    ("funnel", "reports:funnel", "", False),
    ("lead sources", "reports:sources", "", False),
    ("rep activity", "reports:activity", "", False),
    ("what it takes", "reports:what-it-takes", "", False),
    ("anomalies", "reports:anomalies", "", False),
    ("share of wallet", "reports:wallet", "", False),
    ("buying factors", "reports:factors", "", False),
    ("funnel export", "reports:funnel-export", "", True),
    ("lead sources export", "reports:sources-export", "", True),
    ("rep activity export", "reports:activity-export", "", True),
    ("anomalies export", "reports:anomalies-export", "", True),
    ("share of wallet export", "reports:wallet-export", "", True),
    ("buying factors export", "reports:factors-export", "", True),
]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="/tmp/kehu-reports.sqlite3", help="SQLite file (seeded when it has no order line)")
    parser.add_argument("--fresh", action="store_true", help="delete the file first")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--export-repeat", type=int, default=1)
    parser.add_argument("--customers", type=int, default=100_000, help="only when seeding")
    parser.add_argument("--lines", type=int, default=1_000_000, help="only when seeding")
    parser.add_argument("--activities", type=int, default=1_000_000, help="only when seeding")
    parser.add_argument("--opportunities", type=int, default=20_000, help="only when seeding")
    parser.add_argument("--rebuild-summaries", action="store_true", help="recompute the follow-up summary of a reused file first")
    args = parser.parse_args()

    if args.fresh:
        for suffix in ("", "-wal", "-shm", "-journal"):
            Path(args.db + suffix).unlink(missing_ok=True)
    os.environ.pop("DATABASE_URL", None)
    os.environ["KEHU_SQLITE_PATH"] = args.db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings
    from django.urls import NoReverseMatch, reverse

    from kehu.accounts.models import User
    from kehu.activities.models import Activity
    from kehu.customers.models import CategorySpend, Customer
    from kehu.sales.models import Opportunity, OrderLine

    import logging

    logging.getLogger("django.request").setLevel(logging.ERROR)  # the placeholders' 404s are reported below
    call_command("migrate", verbosity=0)
    if not OrderLine.objects.exists():
        print(f"seeding {args.customers} customers, {args.lines} order lines, {args.activities} activities, "
              f"{args.opportunities} opportunities…", flush=True)
        start = time.perf_counter()
        call_command("seed", customers=args.customers, order_lines=args.lines, activities=args.activities,
                     opportunities=args.opportunities, into_existing=True)
        print(f"seeded in {time.perf_counter() - start:.1f} s", flush=True)
    else:
        print("reusing the seeded database", flush=True)
        if args.rebuild_summaries:
            from kehu.activities.summaries import activity_months_rebuild

            print(f"follow-up summary rebuilt: {activity_months_rebuild()} cells fixed", flush=True)
    from kehu.core.db import refresh_statistics

    refresh_statistics()  # as `kehu import` and `kehu daily` do

    director = User.objects.get(username="bench_director")
    manager = User.objects.get(username="bench_mgr0")
    rep = User.objects.filter(username="bench_rep000").first()
    name = Customer.objects.filter(owner=rep).order_by("id").values_list("name", flat=True).first() or "客户"
    users = {"director": director, "manager": manager, "rep": rep}
    results = []
    with override_settings(ROOT_URLCONF="benchmarks.bench_urls", DEBUG=False, ALLOWED_HOSTS=["*"]):
        for who, user in users.items():
            client = Client()
            client.force_login(user)
            bare_ms, bare_queries = measure(client, "/bench/bare/", args.repeat * 3, connection, CaptureQueriesContext)
            results.append(("bare view", who, bare_ms, 1.0, bare_queries, ""))
            for label, url_name, query, export in PAGES:
                if export and who != "director":
                    continue  # each export once, as the director (the largest scope)
                try:
                    url = reverse(url_name) + query.format(name=name[:4])
                except NoReverseMatch:
                    results.append((label, who, None, None, None, f"missing ({url_name} does not resolve)"))
                    continue
                response = client.get(url)
                if response.status_code == 404:
                    results.append((label, who, None, None, None, f"missing ({url} answers 404)"))
                    continue
                if response.status_code != 200:
                    results.append((label, who, None, None, None, f"HTTP {response.status_code} {url}"))
                    continue
                ms, queries = measure(client, url, args.export_repeat if export else args.repeat, connection, CaptureQueriesContext)
                results.append((label, who, ms, ms / bare_ms, queries, url))

    print(
        f"Kehu reports benchmark: {Customer.objects.count()} customers, {OrderLine.objects.count()} order lines, "
        f"{Activity.objects.count()} activities, {Opportunity.objects.count()} opportunities, "
        f"{CategorySpend.objects.count()} spend rows, {User.objects.filter(role='rep').count()} reps, "
        f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else ''}, "
        f"median of {args.repeat} (bare view: {args.repeat * 3}, exports: {args.export_repeat}); "
        f"manager: {User.objects.filter(team__managers=manager).count()} reps; rep owns {Customer.objects.filter(owner=rep).count()}"
    )
    print(f"{'page':24} {'user':9} {'ms':>9} {'× bare':>8} {'queries':>8}  url")
    for label, who, ms, ratio, queries, note in results:
        if ms is None:
            print(f"{label:24} {who:9} {'-':>9} {'-':>8} {'-':>8}  {note}")
        else:
            print(f"{label:24} {who:9} {ms:9.1f} {ratio:8.1f} {queries:8d}  {note}")


def measure(client, url, repeat, connection, capture):
    """(median ms, queries of one request) of GET `url`, the body read completely."""
    timings = []
    queries = 0
    connection.queries_log.clear()  # a full log (9,000 queries) would count 0 below
    for _ in range(max(1, repeat)):
        with capture(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            b"".join(response) if response.streaming else response.content  # noqa: B018
            timings.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(ctx.captured_queries)
    return statistics.median(timings) * 1000, queries


if __name__ == "__main__":
    main()
