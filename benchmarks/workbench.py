"""The 工作台 and the global search at scale (issue 12), as ratios to a bare view measured in the
same run.

    .venv/bin/python -m benchmarks.workbench [--db /tmp/kehu-workbench.sqlite3] [--repeat 15]
                                             [--customers 100000] [--lines 1000000]

Works on a SQLite file seeded like benchmarks/ranking_pages.py (its `prepare`: customers, order
lines over 24 months, contracts, instalments, payments, the ranking runs, a director of role
manager managing every team and a rep owning ~1,000 customers), plus an admin (the director of the
workbench), a finance user and planned follow-ups (some overdue) of the rep. Then times, in one
process through the full middleware stack, a bare view and /workbench/ and /search/ for each user.
Prints the median milliseconds, the ratio to the same user's bare view and the number of SQL
queries. Not part of the test run.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="/tmp/kehu-workbench.sqlite3", help="SQLite file (seeded when missing)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--export-repeat", type=int, default=1)
    parser.add_argument("--customers", type=int, default=100_000, help="only when seeding")
    parser.add_argument("--lines", type=int, default=1_000_000, help="only when seeding")
    args = parser.parse_args()

    os.environ.pop("DATABASE_URL", None)
    os.environ["KEHU_SQLITE_PATH"] = args.db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import override_settings

    from benchmarks.ranking_pages import prepare

    call_command("migrate", verbosity=0)
    t = time.perf_counter()
    director, rep, _runs, _customer_id = prepare(args)
    admin, finance = _more_users(rep)
    print(f"prepared in {time.perf_counter() - t:.1f} s")

    from kehu.customers.models import Customer
    from kehu.sales.models import OrderLine

    pages = [("bare view", "/bench/bare/"), ("workbench", "/workbench/"), ("search 有限", "/search/?q=%E6%9C%89%E9%99%90"),
             ("search C0001", "/search/?q=C0001"), ("search dropdown", "/search/?q=%E6%9C%89%E9%99%90&hx=1")]
    results = []
    with override_settings(ROOT_URLCONF="benchmarks.bench_urls", DEBUG=True, ALLOWED_HOSTS=["*"]):
        for who, user in (("admin", admin), ("director (mgr)", director), ("rep", rep), ("finance", finance)):
            client = Client()
            client.force_login(user)
            bare = None
            for label, url in pages:
                headers = {"HTTP_HX_REQUEST": "true"} if url.endswith("&hx=1") else {}
                response = client.get(url, **headers)
                assert response.status_code == 200, (label, who, response.status_code)
                timings = []
                for _ in range(args.repeat * 5 if bare is None else args.repeat):
                    reset_queries()
                    start = time.perf_counter()
                    client.get(url, **headers)
                    timings.append(time.perf_counter() - start)
                ms = statistics.median(timings) * 1000
                bare = bare or ms
                results.append((label, who, ms, ms / bare, len(connection.queries)))
    print(f"Kehu workbench benchmark: {Customer.objects.count()} customers, {OrderLine.objects.count()} order lines, "
          f"{connection.vendor}, median of {args.repeat}")
    print(f"{'page':22} {'user':15} {'ms':>9} {'× bare':>8} {'queries':>8}")
    for label, who, ms, ratio, queries in results:
        print(f"{label:22} {who:15} {ms:9.1f} {ratio:8.1f} {queries:8d}")


def _more_users(rep):
    """An admin (the workbench's director), a finance user, and 200 planned follow-ups of the rep
    (half overdue)."""
    from datetime import timedelta

    from django.utils import timezone

    from kehu.accounts.models import User
    from kehu.activities.models import Activity
    from kehu.customers.models import Customer

    admin = User.objects.filter(username="bench_admin").first() or User.objects.create_user(
        "bench_admin", password="x", role="admin", name="bench_admin")
    finance = User.objects.filter(username="bench_finance").first() or User.objects.create_user(
        "bench_finance", password="x", role="finance", name="bench_finance")
    if not Activity.objects.filter(owner=rep, status="planned").exists():
        today = timezone.localdate()
        ids = list(Customer.objects.filter(owner=rep).values_list("id", flat=True)[:200])
        Activity.objects.bulk_create(Activity(customer_id=cid, owner=rep, status="planned", kind="phone",
                                              due_on=today + timedelta(days=(i % 20) - 10)) for i, cid in enumerate(ids))
    return admin, finance


if __name__ == "__main__":
    main()
