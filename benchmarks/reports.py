"""The reports and the 工作台 at the scale of issue 12, as ratios to a bare view measured in the same run.

    .venv/bin/python -m benchmarks.reports [--db /tmp/kehu-reports.sqlite3] [--fresh] [--repeat 9]
        [--customers 100000] [--lines 1000000] [--activities 1000000] [--opportunities 20000]

Works on a SQLite file, seeded when it has no order line yet and reused as is on reruns
(`--fresh` deletes it first; the size options only matter when seeding). The seed, all in bulk:
- `benchmarks/ranking.py`'s `seed` (customers, 200 products, orders and lines over the 24 months
  before 2026-06-30 with revenue and cost exactly as §5.0, contracts, instalments, payments,
  write-offs, quality losses);
- then, here: 100 reps in 5 teams of 20, a manager per team, a director (role admin) and finance;
  the customers spread over the reps (every 10th in the public pool), each order owned by its
  customer's owner; product categories (5); lifecycle stages (target 30 %, prospect 25 %,
  qualified 15 %, signed 25 %, vip 5 %) with their `CustomerStageChange` history over 24 months;
  lead sources (all 15), a referring customer on every 20th, industries, pyramid tiers
  (1/19/30/50 %) and value classes; activities: logged ones of every kind (visits with a level)
  over 24 months and planned ones due from 60 days ago to 30 days ahead (the past ones are
  overdue), 4 % of them; opportunities (beyond ranking's open ones for prospects) open, won and
  lost over 24 months, each with its `OpportunityStageChange` history and a buying factor on
  half of them; a quote for every third opportunity (statuses mixed); the key-account spend
  (`CategorySpend`) of 2 % of the customers, 3 categories, this year and last; won targets of
  the company, each team and each rep for this year.

Then refreshes the planner statistics as `kehu daily` does and times, in one process through
the full middleware stack (django.test.Client), a bare view and each report page as the
director, a manager (one team of 20 reps) and a rep; each export once. Prints the median
milliseconds, the ratio to that user's bare view and the number of SQL queries. A URL name that
does not resolve, or answers 404 (a page not built yet: a placeholder), prints "missing". Not
part of the test run.
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
CHUNK = 50_000
TEAMS = ["东区", "南区", "北区", "西区", "中区"]
REPS_PER_TEAM = 20
CATEGORIES = ["设备", "耗材", "服务", "软件", "配件"]
INDUSTRIES = ["制造", "通信", "建筑", "医疗", "零售", "能源", "教育", "金融", "物流", "化工"]
STAGE_ORDER = ["target", "prospect", "qualified", "signed", "vip"]
# cumulative shares of the lifecycle stages (by a scrambled customer number out of 100)
STAGE_SHARES = [(30, "target"), (55, "prospect"), (70, "qualified"), (95, "signed"), (100, "vip")]

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
        from benchmarks import ranking

        print(f"seeding {args.customers} customers, {args.lines} order lines, {args.activities} activities, "
              f"{args.opportunities} opportunities…", flush=True)
        start = time.perf_counter()
        ranking.seed(args.customers, args.lines)
        print(f"  ranking's seed in {time.perf_counter() - start:.1f} s", flush=True)
        seed_reports(activities=args.activities, opportunities=args.opportunities)
        print(f"seeded in {time.perf_counter() - start:.1f} s", flush=True)
    else:
        print("reusing the seeded database", flush=True)
        if args.rebuild_summaries:
            from kehu.activities.summaries import activity_months_rebuild

            print(f"follow-up summary rebuilt: {activity_months_rebuild()} cells fixed", flush=True)
            from kehu.customers.summaries import stage_months_rebuild

            print(f"stage-entry summary rebuilt: {stage_months_rebuild()} customers fixed", flush=True)
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


def seed_reports(*, activities: int, opportunities: int, seed: int = 12) -> None:
    """What the reports read beyond ranking's seed (see the module). Expects ranking's seed."""
    from django.contrib.auth.hashers import make_password
    from django.db import connection, transaction
    from django.utils import timezone

    from benchmarks.planning import _no_auto_now
    from kehu.accounts.models import Team, User
    from kehu.activities.models import Activity
    from kehu.customers.models import CategorySpend, Customer, CustomerStageChange
    from kehu.planning.models import Target
    from kehu.sales.models import Opportunity, OpportunityStage, OpportunityStageChange, Product, Quote, SalesOrder

    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate()
    start_day = today - timedelta(days=730)
    tz = timezone.get_current_timezone()

    def aware(day: date, hour: int = 10, minute: int = 0):
        return min(datetime(day.year, day.month, day.day, hour, minute, tzinfo=tz), now)

    t = time.perf_counter()

    def step(label):
        nonlocal t
        print(f"  {label}: {time.perf_counter() - t:.1f} s", flush=True)
        t = time.perf_counter()

    with transaction.atomic():
        # people: 5 teams of 20 reps with a manager each, a director, finance
        password = make_password("x")
        old_reps = list(User.objects.filter(role=User.Role.REP))
        teams = [Team.objects.get_or_create(name=name)[0] for name in TEAMS]
        User.objects.bulk_create(
            [User(username="bench_director", name="总监", role=User.Role.ADMIN, password=password),
             User(username="bench_finance", name="财务", role=User.Role.FINANCE, password=password)]
            + [User(username=f"bench_mgr{t_}", name=f"经理{t_}", role=User.Role.MANAGER, password=password) for t_ in range(len(TEAMS))]
            + [User(username=f"bench_rep{r:03d}", name=f"销售{r:03d}", role=User.Role.REP, team=teams[r % len(TEAMS)], password=password)
               for r in range(len(TEAMS) * REPS_PER_TEAM)]
        )
        for t_, team in enumerate(teams):
            team.managers.add(User.objects.get(username=f"bench_mgr{t_}"))
        reps = list(User.objects.filter(username__startswith="bench_rep").order_by("username"))

        # customers: owners (every 10th in the pool), stages, sources, referrers, industries, tiers, classes
        ids = list(Customer.objects.order_by("id").values_list("id", flat=True))
        first = ids[0]
        owner_of = {cid: None if (cid - first) % 10 == 9 else reps[(cid - first) % len(reps)].pk for cid in ids}
        owner_case = " ".join(f"WHEN {k} THEN {rep.pk}" for k, rep in enumerate(reps))
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {Customer._meta.db_table} SET owner_id = CASE WHEN (id - {first}) % 10 = 9 THEN NULL "
                           f"ELSE CASE ((id - {first}) % {len(reps)}) {owner_case} END END")
        User.objects.filter(pk__in=[r.pk for r in old_reps]).update(is_active=False)  # ranking's reps own nothing now

        table = Customer._meta.db_table
        sources = list(Customer.LeadSource.values)
        stage_case = " ".join(f"WHEN ({_sql_scramble('id', 100)}) < {limit} THEN '{stage}'" for limit, stage in STAGE_SHARES)
        source_case = " ".join(f"WHEN {i} THEN '{s}'" for i, s in enumerate(sources))
        industry_case = " ".join(f"WHEN {i} THEN '{s}'" for i, s in enumerate(INDUSTRIES))
        classes = [("diamond", 1), ("strategic", 5), ("potential", 20), ("general", 60), ("problem", 70)]
        class_case = " ".join(f"WHEN ({_sql_scramble('id', 100, 31)}) < {limit} THEN '{c}'" for c, limit in classes)
        tier_case = ("CASE WHEN (id * 31 % 100) < 1 THEN 'important' WHEN (id * 31 % 100) < 20 THEN 'major' "
                     "WHEN (id * 31 % 100) < 50 THEN 'ordinary' ELSE 'small' END")
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {table} SET stage = CASE {stage_case} ELSE 'signed' END, "
                f"lead_source = CASE ({_sql_scramble('id', len(sources), 3)}) {source_case} END, "
                f"industry = CASE (id % {len(INDUSTRIES)}) {industry_case} END, "
                f"value_class = CASE {class_case} ELSE '' END, pyramid_tier = {tier_case}, "
                f"is_key_account = CASE WHEN (id * 31 % 100) < 5 THEN 1 ELSE 0 END"
                if connection.vendor == "sqlite" else
                f"UPDATE {table} SET stage = CASE {stage_case} ELSE 'signed' END, "
                f"lead_source = CASE ({_sql_scramble('id', len(sources), 3)}) {source_case} END, "
                f"industry = CASE (id % {len(INDUSTRIES)}) {industry_case} END, "
                f"value_class = CASE {class_case} ELSE '' END, pyramid_tier = {tier_case}, "
                f"is_key_account = (id * 31 % 100) < 5"
            )
            cursor.execute(f"UPDATE {table} SET referrer_customer_id = id - 1 WHERE id % 20 = 0")
            order_table = SalesOrder._meta.db_table
            cursor.execute(f"UPDATE {order_table} SET owner_id = (SELECT c.owner_id FROM {table} c WHERE c.id = {order_table}.customer_id)")
        for k, name in enumerate(CATEGORIES):
            Product.objects.filter(pk__in=[p for p in Product.objects.values_list("id", flat=True) if p % len(CATEGORIES) == k]).update(category=name)
        from kehu.sales.summaries import revenue_months_rebuild

        revenue_months_rebuild()  # orders' owners and products' categories written past the services: the summaries follow
        step("people, customers, orders' owners, categories")

        # lifecycle history: a chain from target up to the stage each customer is in now
        stage_of = dict(Customer.objects.values_list("id", "stage"))
        changes = []
        for cid in ids:
            current = STAGE_ORDER.index(stage_of[cid])
            day = start_day + timedelta(days=rng.randint(0, 500))
            by = owner_of[cid]
            changes.append(CustomerStageChange(customer_id=cid, from_stage="", to_stage="target", at=aware(day), user_id=by))
            for s in range(1, current + 1):
                day = min(day + timedelta(days=rng.randint(5, 90)), today)
                changes.append(CustomerStageChange(customer_id=cid, from_stage=STAGE_ORDER[s - 1], to_stage=STAGE_ORDER[s], at=aware(day, 11), user_id=by))
        CustomerStageChange.objects.bulk_create(changes, batch_size=BATCH)
        with connection.cursor() as cursor:
            cursor.execute(f"UPDATE {table} SET stage_changed_at = (SELECT MAX(h.at) FROM {CustomerStageChange._meta.db_table} h "
                           f"WHERE h.customer_id = {table}.id)")
        del changes
        step(f"customer stage history ({CustomerStageChange.objects.count()})")

        # activities: logged of every kind over 24 months, 4 % planned (due 60 days ago … 30 days ahead)
        owned = [cid for cid in ids if owner_of[cid] is not None]
        kinds = ["phone"] * 4 + ["visit"] * 2 + ["meeting", "email", "wechat", "wechat", "other"]
        levels = ["leadership", "technical", "business", "business"]
        a_fields = [Activity._meta.get_field("created_at"), Activity._meta.get_field("updated_at")]
        made = 0
        with _no_auto_now(*a_fields):
            while made < activities:
                batch = []
                for _ in range(min(CHUNK, activities - made)):
                    cid = owned[rng.randrange(len(owned))]
                    kind = kinds[rng.randrange(len(kinds))]
                    if rng.random() < 0.04:
                        due = today + timedelta(days=rng.randint(-60, 30))
                        batch.append(Activity(customer_id=cid, owner_id=owner_of[cid], kind=kind, status="planned", due_on=due,
                                              summary="计划跟进", created_at=now, updated_at=now))
                    else:
                        at = aware(start_day + timedelta(days=rng.randint(0, 730)), rng.randint(8, 18), rng.randint(0, 59))
                        batch.append(Activity(customer_id=cid, owner_id=owner_of[cid], kind=kind, status="done", at=at,
                                              visit_level=levels[rng.randrange(4)] if kind == "visit" else "",
                                              summary="跟进", created_at=at, updated_at=at))
                Activity.objects.bulk_create(batch, batch_size=BATCH)
                made += len(batch)
        step(f"activities ({made})")
        from kehu.activities.summaries import activity_months_rebuild

        step(f"follow-up summary ({activity_months_rebuild()} cells)")  # bulk_create bypasses the services

        # opportunities with their stage history, quotes
        stages = {s.code: s for s in OpportunityStage.objects.all()}
        open_codes = [s.code for s in sorted(stages.values(), key=lambda s: s.position) if not s.is_closed]
        existing = Opportunity.objects.count()
        factors = ["value", "price", "relationship", "innovation", "", ""]
        opps = []
        for n in range(max(0, opportunities - existing)):
            cid = owned[rng.randrange(len(owned))]
            created_day = start_day + timedelta(days=rng.randint(0, 700))
            roll = rng.random()
            fields = {}
            if roll < 0.45:
                code = open_codes[rng.randrange(len(open_codes))]
                fields["expected_close_on"] = today + timedelta(days=rng.randint(-20, 180))
            else:
                code = "won" if roll < 0.75 else "lost"
                closed = min(created_day + timedelta(days=rng.randint(10, 200)), today)
                fields.update(expected_close_on=closed, closed_on=closed, forecast_category="closed" if code == "won" else "omitted",
                              lost_reason="" if code == "won" else "价格")
            created = aware(created_day, 9)
            opps.append(Opportunity(code=f"RO{n:07d}", customer_id=cid, owner_id=owner_of[cid], title=f"商机{n}", stage=stages[code],
                                    amount=Decimal(rng.randint(100, 20_000) * 100), buying_factor=factors[rng.randrange(len(factors))],
                                    created_at=created, updated_at=created, **fields))
        with _no_auto_now(Opportunity._meta.get_field("created_at"), Opportunity._meta.get_field("updated_at")):
            Opportunity.objects.bulk_create(opps, batch_size=BATCH)
        history = []
        quotes = []
        ladder = [stages[c] for c in open_codes]
        statuses = list(Quote.Status.values)
        q = 0
        for o in Opportunity.objects.values("id", "stage_id", "created_at", "closed_on", "owner_id", "customer_id", "amount"):
            stage = next(s for s in stages.values() if s.pk == o["stage_id"])
            at = o["created_at"]
            history.append(OpportunityStageChange(opportunity_id=o["id"], from_stage=None, to_stage=ladder[0], at=at, user_id=o["owner_id"]))
            previous = ladder[0]
            steps = ladder[1:ladder.index(stage)] if stage in ladder else ladder[1:rng.randint(1, len(ladder))]
            for s in steps + ([stage] if stage is not ladder[0] else []):
                at = min(at + timedelta(days=rng.randint(3, 40)), now)
                history.append(OpportunityStageChange(opportunity_id=o["id"], from_stage=previous, to_stage=s, at=at, user_id=o["owner_id"]))
                previous = s
            if o["id"] % 3 == 0:
                q += 1
                quotes.append(Quote(code=f"RQ{q:07d}", customer_id=o["customer_id"], opportunity_id=o["id"], owner_id=o["owner_id"],
                                    status=statuses[o["id"] % len(statuses)], total=o["amount"], created_at=at, updated_at=at))
        OpportunityStageChange.objects.bulk_create(history, batch_size=BATCH)
        with _no_auto_now(Quote._meta.get_field("created_at"), Quote._meta.get_field("updated_at")):
            Quote.objects.bulk_create(quotes, batch_size=BATCH)
        step(f"opportunities ({Opportunity.objects.count()}), stage changes ({len(history)}), quotes ({len(quotes)})")

        # key-account spend: 2 % of the customers, 3 categories, this year and last
        spends = []
        archive = [cid + (cid * 7919) % 37 for cid in ids[::50]]  # 2 %, shifted so that no rep gets them all
        for k, cid in enumerate(c for c in archive if c in owner_of):
            for j in range(3):
                category = CATEGORIES[(k + j) % len(CATEGORIES)]
                last = Decimal(rng.randint(10, 5000) * 1000)
                growth = Decimal(rng.randint(-20, 40))
                spends.append(CategorySpend(customer_id=cid, category=category, year=today.year - 1, annual_spend=last, updated_at=now))
                spends.append(CategorySpend(customer_id=cid, category=category, year=today.year, updated_at=now,
                                            annual_spend=(last * (100 + growth) / 100).quantize(Decimal("0.01")),
                                            growth_pct=growth if k % 4 == 0 else None))
        CategorySpend.objects.bulk_create(spends, batch_size=BATCH)

        # won targets for this year: the company, each team, each rep
        weights = [str(rng.randint(5, 15)) for _ in range(12)]
        targets = [Target(scope="company", year=today.year, amount=Decimal(len(reps) * 6_000_000), weights=weights)]
        targets += [Target(scope="team", team=team, year=today.year, amount=Decimal(REPS_PER_TEAM * 6_000_000), weights=weights) for team in teams]
        targets += [Target(scope="user", user=rep, year=today.year, amount=Decimal(rng.randint(3, 9) * 1_000_000), weights=[""] * 12) for rep in reps]
        Target.objects.bulk_create(targets, batch_size=BATCH)
        step(f"spend rows ({len(spends)}), targets ({len(targets)})")
        from kehu.customers.summaries import stage_months_rebuild

        step(f"stage-entry summary ({stage_months_rebuild()} customers)")  # bulk_create bypasses the services


def _sql_scramble(column: str, n: int, salt: int = 13) -> str:
    """A fixed pseudo-random number 0..n-1 of an integer column (the same on SQLite and PostgreSQL)."""
    return f"(({column} * 7919 + {salt}) % {n})"


if __name__ == "__main__":
    main()
