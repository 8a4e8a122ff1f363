"""Buying-factors report speed at scale, as a ratio to a bare view measured in the same run.

    .venv/bin/python benchmarks/factors.py [--customers 100000] [--opportunities 20000] [--repeat 15]

Creates a throw-away SQLite database (or uses DATABASE_URL, which must point at an empty
database), seeds customers with tiers, classes, industries and factors and closed/open
opportunities in bulk, then times the report page and its export as the director and a rep
through the full middleware stack. Prints the median milliseconds, the ratio to the bare view and
the number of SQL queries. Not part of the test run.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

INDUSTRIES = ["制造", "医疗", "建筑", "通信", "金融", "教育", "能源", "物流", "零售", "化工", "农业", "汽车", "食品", "纺织"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--opportunities", type=int, default=20_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="kehu-bench-")
    if not os.environ.get("DATABASE_URL"):
        os.environ["KEHU_SQLITE_PATH"] = str(Path(tmp) / "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import override_settings

    call_command("migrate", verbosity=0)
    director, rep = seed(args.customers, args.opportunities)
    from kehu.core.db import refresh_statistics

    refresh_statistics()
    quarter = f"{date.today().year}-Q{(date.today().month - 1) // 3 + 1}"
    with override_settings(ROOT_URLCONF="benchmarks.bench_urls", DEBUG=True, ALLOWED_HOSTS=["*"]):
        pages = [
            ("bare view", "/bench/bare/", director),
            ("factors (director)", f"/reports/factors/?period={quarter}", director),
            ("factors year (director)", f"/reports/factors/?period={date.today().year}", director),
            ("factors (rep)", f"/reports/factors/?period={quarter}", rep),
            ("factors export (director)", f"/reports/factors/export/?period={quarter}", director),
        ]
        results = []
        for label, url, user in pages:
            client = Client()
            client.force_login(user)
            client.get(url)
            times = []
            for _ in range(args.repeat):
                reset_queries()
                start = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - start) * 1000)
                assert response.status_code == 200, (url, response.status_code)
            results.append((label, statistics.median(times), len(connection.queries)))
    bare = results[0][1]
    print(f"{args.customers} customers, {args.opportunities} opportunities")
    for label, ms, queries in results:
        print(f"{label:32} {ms:8.1f} ms  ×{ms / bare:6.1f}  {queries} queries")


def seed(customers: int, opportunities: int):
    from django.utils import timezone

    from kehu.accounts.models import Team, User
    from kehu.customers.models import BuyingFactor, Customer
    from kehu.sales.models import Opportunity, OpportunityStage

    rng = random.Random(2026)
    team = Team.objects.create(name="华东")
    director = User.objects.create_user("director", password="x", role="manager", name="director")
    team.managers.add(director)
    reps = [User.objects.create_user(f"rep{i}", password="x", role="rep", team=team, name=f"rep{i}") for i in range(20)]
    factors = list(BuyingFactor.values)
    tiers = [c for c, _l in Customer.PyramidTier.choices] + [""]
    classes = [c for c, _l in Customer.ValueClass.choices] + [""]
    now = timezone.now()

    def pair():
        if rng.random() < 0.1:
            return "", ""
        first = rng.choice(factors)
        return first, rng.choice([""] + [f for f in factors if f != first])

    batch = []
    for i in range(1, customers + 1):
        first, second = pair()
        owner = None if i % 10 == 0 else reps[i % len(reps)]
        batch.append(Customer(
            code=f"C{i:06d}", name=f"客户{i}", owner=owner, industry=rng.choice(INDUSTRIES + [""]),
            pyramid_tier=rng.choice(tiers), value_class=rng.choice(classes), buying_factor=first, buying_factor_second=second,
            owned_since=now if owner else None, pool_clock_at=now if owner else None,
        ))
    Customer.objects.bulk_create(batch, batch_size=5000)
    ids = list(Customer.objects.filter(owner__isnull=False).values_list("id", "owner_id"))
    stages = list(OpportunityStage.objects.all())
    today = date.today()
    opps = []
    for i in range(opportunities):
        cid, owner_id = rng.choice(ids)
        stage = rng.choice(stages)
        first, second = pair()
        opps.append(Opportunity(
            code=f"O{i:07d}", customer_id=cid, owner_id=owner_id, title=f"商机{i}", stage=stage, amount="1000.00",
            closed_on=today - timedelta(days=rng.randint(0, 400)) if stage.is_closed else None,
            expected_close_on=today + timedelta(days=rng.randint(0, 120)), buying_factor=first, buying_factor_second=second,
        ))
    Opportunity.objects.bulk_create(opps, batch_size=5000)
    return director, reps[0]


if __name__ == "__main__":
    main()
