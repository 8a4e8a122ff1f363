"""The anomalies report at scale (issue 12), as ratios to a bare view measured in the same run.

    .venv/bin/python -m benchmarks.anomalies [--db /tmp/kehu-anomalies.sqlite3] [--fresh] [--repeat 15]
                                             [--reps 200] [--customers 100000] [--lines 1000000] [--activities 1000000]

Works on a SQLite file (created and seeded when it has no order yet; reruns reuse it — `--fresh`
deletes it first). The seed, all in bulk, relative to today: reps in teams of 10, each team with
its own manager, and a director (role admin); the customers shared evenly among the reps; orders
of 3 lines each over the last three years (1,000,000 lines); logged follow-ups of every kind over
the last three years (1,000,000). Then refreshes the planner statistics as `kehu daily` does and
times the page and the export of the month just ended as the director, a manager and a rep, and
the daily step. Prints the median milliseconds, the ratio to the bare view and the number of SQL
queries. Not part of the test run.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, datetime, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BATCH = 5000
DAYS = 3 * 365


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="/tmp/kehu-anomalies.sqlite3")
    parser.add_argument("--fresh", action="store_true")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--lines", type=int, default=1_000_000)
    parser.add_argument("--activities", type=int, default=1_000_000)
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
    from django.urls import reverse
    from django.utils import timezone

    from kehu.accounts.models import User
    from kehu.sales.models import SalesOrder

    call_command("migrate", verbosity=0)
    if not SalesOrder.objects.exists():
        print("seeding…", flush=True)
        start = time.perf_counter()
        seed(args)
        print(f"seeded in {time.perf_counter() - start:.1f} s", flush=True)
    from kehu.core.db import refresh_statistics

    refresh_statistics()
    users = {
        "director": User.objects.get(username="bench_director"),
        "manager": User.objects.get(username="bench_mgr00"),
        "rep": User.objects.filter(username__startswith="bench_rep").order_by("username").first(),
    }
    results = []
    with override_settings(ROOT_URLCONF="benchmarks.bench_urls", DEBUG=False, ALLOWED_HOSTS=["*"]):
        for who, user in users.items():
            client = Client()
            client.force_login(user)
            bare_ms, bare_q = measure(client, "/bench/bare/", args.repeat * 3, connection, CaptureQueriesContext)
            results.append(("bare view", who, bare_ms, 1.0, bare_q))
            for label, url in (("anomalies", reverse("reports:anomalies")), ("anomalies export", reverse("reports:anomalies-export"))):
                ms, q = measure(client, url, args.repeat, connection, CaptureQueriesContext)
                results.append((label, who, ms, ms / bare_ms, q))
    from kehu.reports.wiring import notify_anomalies

    timings = []
    for _ in range(3):
        start = time.perf_counter()
        notify_anomalies(now=timezone.now())
        timings.append(time.perf_counter() - start)
    print(f"Kehu anomalies benchmark, {connection.vendor}, median of {args.repeat}")
    print(f"{'page':20} {'user':9} {'ms':>9} {'× bare':>8} {'queries':>8}")
    for label, who, ms, ratio, q in results:
        print(f"{label:20} {who:9} {ms:9.1f} {ratio:8.1f} {q:8d}")
    print(f"kehu daily anomaly step: {statistics.median(timings) * 1000:.1f} ms")


def measure(client, url, repeat, connection, capture):
    timings, queries = [], 0
    for _ in range(repeat):
        with capture(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(ctx.captured_queries)
    return statistics.median(timings) * 1000, queries


def seed(args) -> None:
    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from kehu.accounts.models import Team, User
    from kehu.activities.models import Activity
    from kehu.customers.models import Customer
    from kehu.sales.models import OrderLine, Product, SalesOrder

    rng = random.Random(12)
    now = timezone.now()
    today = timezone.localdate()
    n_teams = max(1, args.reps // 10)
    kinds = Activity.Kind.values
    with transaction.atomic():
        password = make_password("x")
        teams = Team.objects.bulk_create([Team(name=f"bench团队{t:02d}") for t in range(n_teams)])
        User.objects.bulk_create(
            [User(username="bench_director", name="总监", role=User.Role.ADMIN, password=password)]
            + [User(username=f"bench_mgr{t:02d}", name=f"经理{t:02d}", role=User.Role.MANAGER, password=password) for t in range(n_teams)]
            + [User(username=f"bench_rep{r:03d}", name=f"销售{r:03d}", role=User.Role.REP, team=teams[r % n_teams], password=password)
               for r in range(args.reps)]
        )
        managers = {u.username: u for u in User.objects.filter(username__startswith="bench_mgr")}
        Team.managers.through.objects.bulk_create(
            [Team.managers.through(team_id=team.pk, user_id=managers[f"bench_mgr{t:02d}"].pk) for t, team in enumerate(teams)]
        )
        reps = list(User.objects.filter(username__startswith="bench_rep").order_by("username"))
        Customer.objects.bulk_create([
            Customer(code=f"B{i:07d}", name=f"基准客户{i:07d}", owner=reps[i % len(reps)], stage="signed", owned_since=now, pool_clock_at=now)
            for i in range(args.customers)
        ], batch_size=BATCH)
        customers = list(Customer.objects.filter(code__startswith="B").values_list("id", "owner_id"))
        product = Product.objects.create(code="BP1", name="基准产品", list_price=Decimal("100"), unit_cost=Decimal("60"))
        n_orders = args.lines // 3
        for start in range(0, n_orders, BATCH):
            orders = []
            for i in range(start, min(n_orders, start + BATCH)):
                cid, owner = customers[rng.randrange(len(customers))]
                orders.append(SalesOrder(code=f"BS{i:07d}", customer_id=cid, owner_id=owner,
                                         order_date=today - timedelta(days=rng.randrange(DAYS)), status="shipped"))
            SalesOrder.objects.bulk_create(orders)
            lines = []
            for order in orders:
                for _k in range(3):
                    q = Decimal(rng.randint(1, 50))
                    lines.append(OrderLine(order_id=order.pk, product=product, quantity=q, unit_price=Decimal("100"), discount_pct=Decimal(0),
                                           unit_cost=Decimal("60"), revenue=q * 100, cost=q * 60))
            OrderLine.objects.bulk_create(lines)
        for start in range(0, args.activities, BATCH):
            rows = []
            for _i in range(start, min(args.activities, start + BATCH)):
                cid, owner = customers[rng.randrange(len(customers))]
                at = timezone.make_aware(datetime.combine(today - timedelta(days=rng.randrange(DAYS)), datetime.min.time())) + timedelta(hours=9)
                rows.append(Activity(customer_id=cid, owner_id=owner, kind=rng.choice(kinds), status="done", at=min(at, now)))
            Activity.objects.bulk_create(rows)
        from kehu.activities.summaries import activity_months_rebuild

        activity_months_rebuild()  # the follow-up summary: bulk_create bypasses the activity services


if __name__ == "__main__":
    main()
