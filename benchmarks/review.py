"""The forecast roll-up and the Friday review at scale, as ratios to a bare view (issue 11).

    .venv/bin/python benchmarks/review.py [--db /tmp/review200.sqlite3] [--repeat 15]
                                          [--reps 200] [--opportunities 20000] [--weeks 104]

Seeds (when the file is empty) 200 reps in 10 teams with a manager each, 20,000 open
opportunities spread over the year around TODAY (a tenth of them pushed twice), two years of
weekly submissions (each rep, each week, for the four open periods, with a snapshot row and
every 13th carried), a manager's adjustment on every 10th latest submission, and 2,000 audited
changes in the last week (dates moved, amounts changed); then times, in one process through
the full middleware stack, a bare view and the roll-up and the review of this quarter as the
director (company) and as one manager (their team). Prints the median milliseconds, the ratio
to the bare view and the number of SQL queries. Not part of the test run.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BATCH = 2000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="/tmp/review200.sqlite3", help="SQLite file (seeded when empty)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reps", type=int, default=200)
    parser.add_argument("--opportunities", type=int, default=20_000)
    parser.add_argument("--weeks", type=int, default=104)
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
    from django.utils import timezone

    from kehu.accounts.models import User
    from kehu.planning.models import ForecastSubmission
    from kehu.sales.models import Opportunity

    call_command("migrate", verbosity=0)
    today = timezone.localdate()
    if not User.objects.filter(username="bench_director").exists():
        t = time.perf_counter()
        print(f"seeding {args.reps} reps, {args.opportunities} opportunities, {args.weeks} weeks of submissions…")
        seed(args, today)
        print(f"seeded in {time.perf_counter() - t:.1f} s")
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # the planner statistics, as `kehu daily` refreshes them
    director = User.objects.get(username="bench_director")
    manager = User.objects.get(username="bench_manager0")
    pages = [("bare view", "/bench/bare/"), ("roll-up", "/planning/rollup/"), ("Friday review", "/planning/review/")]
    results = []
    with override_settings(ROOT_URLCONF="benchmarks.bench_urls", DEBUG=True, ALLOWED_HOSTS=["*"]):
        for who, user in (("director", director), ("manager", manager)):
            client = Client()
            client.force_login(user)
            bare = None
            for label, url in pages:
                response = client.get(url)
                assert response.status_code == 200, (label, who, response.status_code)
                timings = []
                for _ in range(args.repeat * 5 if bare is None else args.repeat):
                    reset_queries()
                    start = time.perf_counter()
                    client.get(url)
                    timings.append(time.perf_counter() - start)
                ms = statistics.median(timings) * 1000
                bare = bare or ms
                results.append((label, who, ms, ms / bare, len(connection.queries)))
    print(f"Kehu review benchmark: {User.objects.filter(role='rep').count()} reps, "
          f"{Opportunity.objects.filter(stage__is_closed=False).count()} open opportunities, "
          f"{ForecastSubmission.objects.count()} submissions, {connection.vendor}, median of {args.repeat}")
    print(f"{'page':16} {'user':9} {'ms':>9} {'× bare':>8} {'queries':>8}")
    for label, who, ms, ratio, queries in results:
        print(f"{label:16} {who:9} {ms:9.1f} {ratio:8.1f} {queries:8d}")


def seed(args, today: date) -> None:
    from decimal import Decimal

    from django.db import transaction
    from django.utils import timezone

    from kehu.accounts.models import Team, User
    from kehu.core.models import AuditEvent
    from kehu.customers.models import Customer
    from kehu.customers.services import customer_derive_fields
    from kehu.planning.models import ForecastAdjustment, ForecastSnapshot, ForecastSubmission
    from kehu.planning.periods import forecast_periods
    from kehu.sales.models import Opportunity, OpportunityStage

    rng = random.Random(2026)
    now = timezone.now()
    with transaction.atomic():
        director = User.objects.create_user("bench_director", password="x", role="admin", name="director", is_staff=True, is_superuser=True)
        teams = [Team.objects.create(name=f"Team {t}") for t in range(10)]
        for t, team in enumerate(teams):
            manager = User.objects.create_user(f"bench_manager{t}", password="x", role="manager", name=f"manager{t}")
            team.managers.add(manager)
        reps = [User.objects.create_user(f"bench_rep{i}", password="x", role="rep", team=teams[i % 10], name=f"rep{i}")
                for i in range(args.reps)]
        customers = []
        for i in range(args.opportunities // 5):
            c = Customer(code=f"C{i:06d}", name=f"客户{i}有限公司", owner=reps[i % len(reps)], stage="prospect", province="广东",
                         lead_source="referral", owned_since=now, pool_clock_at=now)
            customer_derive_fields(c)
            customers.append(c)
        Customer.objects.bulk_create(customers, batch_size=BATCH)
        customers = list(Customer.objects.values_list("id", "owner_id"))
        stages = list(OpportunityStage.objects.filter(is_closed=False))
        opps = []
        for k in range(args.opportunities):
            cid, owner_id = customers[k % len(customers)]
            opps.append(Opportunity(code=f"O{k:07d}", customer_id=cid, owner_id=owner_id, title="deal", stage=rng.choice(stages),
                                    amount=Decimal(rng.randint(1000, 500_000)), expected_close_on=today + timedelta(days=rng.randint(-60, 300)),
                                    push_count=2 if k % 10 == 0 else 0))
        Opportunity.objects.bulk_create(opps, batch_size=BATCH)
        Opportunity.objects.update(created_at=now - timedelta(days=400))  # deals of long ago, changed this week
        ids = list(Opportunity.objects.values_list("id", "customer_id", "expected_close_on", "amount"))
        events = []
        for pk, cid, close, amount in rng.sample(ids, min(2000, len(ids))):
            if rng.random() < 0.5:
                events.append(AuditEvent(verb="update", object_type="opportunity", object_id=pk, customer_id=cid, actor=director,
                                         changes={"expected_close_on": [str(close - timedelta(days=rng.randint(20, 90))), str(close)]}))
            else:
                events.append(AuditEvent(verb="update", object_type="opportunity", object_id=pk, customer_id=cid, actor=director,
                                         changes={"amount": [str(amount + 1000), str(amount)]}))
        AuditEvent.objects.bulk_create(events, batch_size=BATCH)  # dated now: changes of this week

        cutoff = today - timedelta(days=(today.weekday() - 3) % 7)  # the last Thursday
        subs = []
        for week in range(args.weeks):
            day = cutoff - timedelta(weeks=week)
            snapshots = ForecastSnapshot.objects.bulk_create([ForecastSnapshot(user=rep, taken_at=now, lines=[]) for rep in reps])
            for rep, snapshot in zip(reps, snapshots):
                for period in forecast_periods(day):
                    commit = Decimal(rng.randint(10_000, 2_000_000))
                    subs.append(ForecastSubmission(user=rep, period=period.label, period_start=period.start, period_end=period.end,
                                                   submitted_on=day, commit=commit, best_case=commit * 2, snapshot=snapshot,
                                                   source="carried" if week % 13 == 5 else "page"))
            if len(subs) > BATCH * 5:
                ForecastSubmission.objects.bulk_create(subs, batch_size=BATCH)
                subs = []
        ForecastSubmission.objects.bulk_create(subs, batch_size=BATCH)
        latest = ForecastSubmission.objects.filter(submitted_on=cutoff).order_by("id")[::10]
        ForecastAdjustment.objects.bulk_create([ForecastAdjustment(submission=s, commit=s.commit / 2, note="bench", created_by=director)
                                                for s in latest])


if __name__ == "__main__":
    main()
