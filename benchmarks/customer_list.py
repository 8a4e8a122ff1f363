"""Customer list speed at scale, as ratios to a bare view measured in the same run.

    .venv/bin/python benchmarks/customer_list.py [--customers 100000] [--repeat 15]

Creates a throw-away SQLite database (or uses DATABASE_URL, which must point at an empty
database), seeds N customers with contacts and tags in bulk, then times, in one process
through the full middleware stack, a bare view (returns "ok") and each measured page as
the director and as a rep. Prints the median milliseconds, the ratio to the bare view and
the number of SQL queries of each page. Not part of the test run.
"""

import argparse
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--customers", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()

    tmp = tempfile.mkdtemp(prefix="kehu-bench-")
    if not os.environ.get("DATABASE_URL"):
        os.environ["KEHU_SQLITE_PATH"] = str(Path(tmp) / "bench.sqlite3")
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import override_settings

    call_command("migrate", verbosity=0)
    director, rep = seed(args.customers)
    from kehu.core.db import refresh_statistics

    refresh_statistics()  # as `kehu import` and `kehu daily` do

    results = []
    with override_settings(ROOT_URLCONF="benchmarks.bench_urls", DEBUG=True, ALLOWED_HOSTS=["*"]):
        pages = [
            ("bare view", "/bench/bare/", director),
            ("customer list (director)", "/customers/", director),
            ("customer list page 20 (director)", "/customers/?page=20", director),
            ("customer list (rep)", "/customers/", rep),
            ("search pinyin 'hwjs' (director)", "/customers/?q=hwjs", director),
            ("search phone (director)", "/customers/?q=1380013", director),
            ("filter province+stage (director)", "/customers/?province=广东&stage=signed", director),
            ("public pool (rep)", "/customers/pool/", rep),
            ("customer page (director)", f"/customers/{first_customer_id()}/", director),
        ]
        for label, url, user in pages:
            client = Client()
            client.force_login(user)
            response = client.get(url)
            assert response.status_code == 200, (label, response.status_code)
            timings = []
            for _ in range(args.repeat):
                reset_queries()
                start = time.perf_counter()
                client.get(url)
                timings.append(time.perf_counter() - start)
            queries = len(connection.queries)
            results.append((label, statistics.median(timings) * 1000, queries))
    bare = results[0][1]
    print(f"Kehu customer list benchmark: {args.customers} customers, {connection.vendor}, median of {args.repeat}")
    print(f"{'page':40} {'ms':>8} {'× bare':>8} {'queries':>8}")
    for label, ms, queries in results:
        print(f"{label:40} {ms:8.1f} {ms / bare:8.1f} {queries:8d}")


def first_customer_id() -> int:
    from kehu.customers.models import Customer

    return Customer.objects.order_by("id").values_list("id", flat=True).first()


SYLLABLES = "华 为 技 术 远 设 建 材 信 疗 精 电 科 盛 达 恒 通 瑞 丰 鑫 源 新 宏 泰 安 康 博 创 汇 联".split()
SUFFIXES = ["有限公司", "科技有限公司", "贸易有限公司", "建材有限公司", "医疗器械有限公司"]
PROVINCES = ["广东", "江苏", "上海", "浙江", "北京", "四川"]


def seed(n: int):
    from django.utils import timezone

    from kehu.accounts.models import Team, User
    from kehu.customers.models import Contact, Customer, Tag
    from kehu.customers.services import customer_derive_fields

    rng = random.Random(2026)
    team = Team.objects.create(name="华东")
    director = User.objects.create_user("director", password="x", role="manager", name="director")
    team.managers.add(director)
    reps = [User.objects.create_user(f"rep{i}", password="x", role="rep", team=team, name=f"rep{i}") for i in range(20)]
    tags = [Tag.objects.create(name=t) for t in ("重点", "老客户", "展会", "转介绍")]
    now = timezone.now()
    batch = []
    for i in range(1, n + 1):
        name = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 4))) + rng.choice(SUFFIXES)
        owner = None if i % 10 == 0 else reps[i % len(reps)]
        c = Customer(
            code=f"C{i:06d}", name=name, owner=owner, stage=rng.choice(["target", "prospect", "signed"]),
            province=rng.choice(PROVINCES), industry=rng.choice(["制造", "医疗", "建筑"]),
            phone=f"1{rng.randint(3, 9)}{rng.randint(100000000, 999999999)}", lead_source="referral",
            owned_since=now if owner else None, pool_clock_at=now if owner else None,
        )
        customer_derive_fields(c)
        batch.append(c)
        if len(batch) == 5000:
            Customer.objects.bulk_create(batch)
            batch = []
    Customer.objects.bulk_create(batch)
    ids = list(Customer.objects.values_list("id", flat=True))
    Contact.objects.bulk_create(
        [Contact(customer_id=cid, name=f"联系人{cid}", phone=f"1380013{cid % 10000:04d}", phone_normalized=f"1380013{cid % 10000:04d}") for cid in ids[::3]],
        batch_size=5000,
    )
    Through = Customer.tags.through
    Through.objects.bulk_create([Through(customer_id=cid, tag_id=tags[cid % 4].id) for cid in ids[::2]], batch_size=5000)
    return director, reps[0]


if __name__ == "__main__":
    main()
