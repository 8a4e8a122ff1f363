"""Planning pages at scale (issue 11), as ratios to a bare view measured in the same run.

    .venv/bin/python -m benchmarks.planning [--db /tmp/kehu-planning.sqlite3] [--fresh] [--repeat 15]
                                            [--reps 200] [--opportunities 20000] [--weeks 104]

Works on a SQLite file (created and seeded with `seed_planning` when it has no submission yet;
reruns reuse it as is — `--fresh` deletes it first). The seed, all in bulk, relative to today:
200 reps in 20 teams, each team with its own manager, and a director (role admin); 25
customers per rep; 20,000 open opportunities closing over the next 6 months (forecast
categories commit / best case / pipeline mixed, a few omitted or without a close date), won
and lost ones over the last two years (half and a quarter as many); two years of weekly
submissions (each rep, each week, the 4 periods of `forecast_periods(cut-off)`: ~83,000 at
full size; 3 % of the weeks skipped and carried forward; 90 % of the reps submitted this week)
and a manager's adjustment on 10 % of this week's; snapshots only for the last 8 weeks (one per
rep and week, the rep's open opportunities as they are now — older submissions have none);
the last 7 days' movements in the audit trail (closes moved, amounts changed, new ones) for
the waterfall; targets (won) of the company, each team and each rep for this and next year.

Then refreshes the planner statistics as `kehu daily` does and times, in one process through
the full middleware stack, a bare view (returns "ok") and each planning page as the director,
a manager (one team of 10 reps) and a rep (and, for reference, the rep's sales pipeline
board). Prints the median milliseconds, the ratio to the same user's bare view and the number
of SQL queries of each page. A URL name that does not resolve (a page not merged yet) prints
"missing". Not part of the test run.
"""

import argparse
import os
import random
import statistics
import sys
import time
from datetime import date, timedelta
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BATCH = 2000
SNAPSHOT_WEEKS = 8
CUSTOMERS_PER_REP = 25


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="/tmp/kehu-planning.sqlite3", help="SQLite file (seeded when it has no submission)")
    parser.add_argument("--fresh", action="store_true", help="delete the file first")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--reps", type=int, default=200, help="only when seeding")
    parser.add_argument("--opportunities", type=int, default=20_000, help="only when seeding")
    parser.add_argument("--weeks", type=int, default=104, help="only when seeding")
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
    from django.utils import timezone

    from kehu.accounts.models import User
    from kehu.planning.models import ForecastSnapshot, ForecastSubmission
    from kehu.planning.periods import period_of
    from kehu.sales.models import Opportunity

    call_command("migrate", verbosity=0)
    if not ForecastSubmission.objects.exists():
        print(f"seeding {args.reps} reps, {args.opportunities} open opportunities, {args.weeks} weeks…", flush=True)
        start = time.perf_counter()
        seed_planning(reps=args.reps, opportunities=args.opportunities, weeks=args.weeks)
        print(f"seeded in {time.perf_counter() - start:.1f} s", flush=True)
    from kehu.core.db import refresh_statistics

    refresh_statistics()  # as `kehu import` and `kehu daily` do

    today = timezone.localdate()
    quarter, month = period_of("quarter", today).label, period_of("month", today).label
    director = User.objects.get(username="bench_director")
    manager = User.objects.get(username="bench_mgr00")
    rep = User.objects.filter(team__name="bench团队00", role=User.Role.REP).order_by("username").first()
    pages = [
        ("roll-up this quarter", "planning:rollup", f"?period={quarter}", ("director", "manager")),
        ("review this quarter", "planning:review", f"?period={quarter}", ("director", "manager")),
        ("review this month", "planning:review", f"?period={month}", ("director", "manager")),
        ("forecast grid", "planning:forecast", "", ("rep",)),
        ("accuracy", "planning:accuracy", "", ("director",)),
        ("targets", "planning:targets", "", ("director",)),
        ("(sales pipeline board)", "sales:pipeline", "", ("rep",)),  # a reference that exists today
    ]
    users = {"director": director, "manager": manager, "rep": rep}
    results = []
    with override_settings(ROOT_URLCONF="benchmarks.bench_urls", DEBUG=False, ALLOWED_HOSTS=["*"]):
        for who, user in users.items():
            client = Client()
            client.force_login(user)
            bare_ms, bare_queries = measure(client, "/bench/bare/", args.repeat * 3, connection, CaptureQueriesContext)
            results.append(("bare view", who, bare_ms, 1.0, bare_queries, ""))
            for label, name, query, whom in pages:
                if who not in whom:
                    continue
                try:
                    url = reverse(name) + query
                except NoReverseMatch:
                    results.append((label, who, None, None, None, f"missing ({name})"))
                    continue
                response = client.get(url)
                if response.status_code != 200:
                    results.append((label, who, None, None, None, f"HTTP {response.status_code} {url}"))
                    continue
                ms, queries = measure(client, url, args.repeat, connection, CaptureQueriesContext)
                results.append((label, who, ms, ms / bare_ms, queries, url))

    print(
        f"Kehu planning pages benchmark: {User.objects.filter(role='rep').count()} reps, "
        f"{Opportunity.objects.filter(stage__is_closed=False).count()} open / {Opportunity.objects.count()} opportunities, "
        f"{ForecastSubmission.objects.count()} submissions, {ForecastSnapshot.objects.count()} snapshots, "
        f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else ''}, "
        f"median of {args.repeat} (bare view: {args.repeat * 3}); manager: {manager.managed_teams.count()} team(s), "
        f"{User.objects.filter(team__managers=manager).count()} reps"
    )
    print(f"{'page':24} {'user':9} {'ms':>9} {'× bare':>8} {'queries':>8}  url")
    for label, who, ms, ratio, queries, note in results:
        if ms is None:
            print(f"{label:24} {who:9} {'-':>9} {'-':>8} {'-':>8}  {note}")
        else:
            print(f"{label:24} {who:9} {ms:9.1f} {ratio:8.1f} {queries:8d}  {note}")


def measure(client, url, repeat, connection, capture):
    """(median ms, queries of one request) of GET `url`."""
    timings = []
    queries = 0
    for _ in range(repeat):
        with capture(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url)
            timings.append(time.perf_counter() - start)
        assert response.status_code == 200, (url, response.status_code)
        queries = len(ctx.captured_queries)
    return statistics.median(timings) * 1000, queries


def seed_planning(reps: int = 200, opportunities: int = 20_000, weeks: int = 104, *, seed: int = 11) -> None:
    """Bulk seeding of the planning benchmark, relative to today (see the module). Expects an
    empty database (migrated)."""
    from datetime import datetime, time as clock

    from django.contrib.auth.hashers import make_password
    from django.db import transaction
    from django.utils import timezone

    from kehu.dataset.seed import _no_auto_now
    from kehu.accounts.models import Team, User
    from kehu.core.models import AuditEvent
    from kehu.customers.models import Customer
    from kehu.customers.services import customer_derive_fields
    from kehu.planning.models import ForecastAdjustment, ForecastSnapshot, ForecastSubmission, PlanningSettings, Target
    from kehu.planning.periods import forecast_periods
    from kehu.sales.models import Opportunity, OpportunityStage

    rng = random.Random(seed)
    now = timezone.now()
    today = timezone.localdate()
    n_teams = max(1, reps // 10)

    def aware(day: date, hour: int = 17, minute: int = 0):
        return min(timezone.make_aware(datetime.combine(day, clock(hour, minute))), now)

    def money(low: int, high: int) -> Decimal:
        return Decimal(rng.randint(low, high)) * 100

    with transaction.atomic():
        password = make_password("x")
        teams = Team.objects.bulk_create([Team(name=f"bench团队{t:02d}") for t in range(n_teams)])
        User.objects.bulk_create(
            [User(username="bench_director", name="总监", role=User.Role.ADMIN, password=password)]
            + [User(username=f"bench_mgr{t:02d}", name=f"经理{t:02d}", role=User.Role.MANAGER, password=password) for t in range(n_teams)]
            + [User(username=f"bench_rep{r:03d}", name=f"销售{r:03d}", role=User.Role.REP, team=teams[r % n_teams], password=password)
               for r in range(reps)]
        )
        managers = {u.username: u for u in User.objects.filter(role=User.Role.MANAGER, username__startswith="bench_mgr")}
        Team.managers.through.objects.bulk_create(
            [Team.managers.through(team_id=team.pk, user_id=managers[f"bench_mgr{t:02d}"].pk) for t, team in enumerate(teams)]
        )
        rep_users = list(User.objects.filter(role=User.Role.REP, username__startswith="bench_rep").order_by("username"))
        manager_of = {team.pk: managers[f"bench_mgr{t:02d}"] for t, team in enumerate(teams)}

        # customers: 25 per rep
        batch = []
        for r, rep in enumerate(rep_users):
            for k in range(CUSTOMERS_PER_REP):
                c = Customer(code=f"B{r:03d}{k:03d}", name=f"基准客户{r:03d}-{k:03d}有限公司", owner=rep, stage="signed",
                             province="广东", lead_source="referral", owned_since=now, pool_clock_at=now)
                customer_derive_fields(c)
                batch.append(c)
        Customer.objects.bulk_create(batch, batch_size=BATCH)
        customers_of = {}
        for cid, owner_id in Customer.objects.filter(owner__in=rep_users).values_list("id", "owner_id"):
            customers_of.setdefault(owner_id, []).append(cid)

        # opportunities: open over the next 6 months, won and lost over two years
        stages = {s.code: s for s in OpportunityStage.objects.all()}
        open_stages = [s for s in stages.values() if not s.is_closed]
        categories = ["commit"] * 3 + ["best_case"] * 3 + ["pipeline"] * 3 + ["omitted"]
        opps = []
        n = 0

        def opp(rep, **fields):
            nonlocal n
            n += 1
            created = fields.pop("created")
            return Opportunity(code=f"BO{n:07d}", customer_id=rng.choice(customers_of[rep.pk]), owner=rep, title=f"商机{n}",
                               created_at=created, updated_at=created, **fields)

        for i in range(opportunities):
            rep = rep_users[i % len(rep_users)]
            stage = rng.choice(open_stages)
            close = today + timedelta(days=rng.randint(0, 182)) if rng.random() > 0.02 else None
            created = now - timedelta(days=rng.randint(8, 400)) if rng.random() > 0.03 else now - timedelta(hours=rng.randint(1, 160))
            opps.append(opp(rep, stage=stage, amount=money(100, 10_000), expected_close_on=close, created=created,
                            forecast_category=rng.choice(categories), probability=rng.choice([None, None, 20, 60, 90])))
        for i in range(opportunities // 2 + opportunities // 4):
            rep = rep_users[i % len(rep_users)]
            won = i < opportunities // 2
            closed = today - timedelta(days=rng.randint(0, 730))
            opps.append(opp(rep, stage=stages["won" if won else "lost"], amount=money(100, 10_000), expected_close_on=closed,
                            closed_on=closed, forecast_category="closed" if won else "omitted", lost_reason="" if won else "价格",
                            created=aware(closed - timedelta(days=rng.randint(20, 200)), 10)))
        with _no_auto_now(Opportunity._meta.get_field("created_at"), Opportunity._meta.get_field("updated_at")):
            Opportunity.objects.bulk_create(opps, batch_size=BATCH)

        # the last 7 days' movements (the waterfall reads them from the audit trail)
        open_rows = list(Opportunity.objects.filter(owner__in=rep_users, stage__is_closed=False)
                         .values_list("id", "owner_id", "customer_id", "stage_id", "amount", "probability", "expected_close_on",
                                      "forecast_category", "created_at"))
        events = []
        for oid, owner_id, customer_id, stage_id, amount, _p, close, _cat, created in open_rows:
            at = now - timedelta(hours=rng.randint(1, 160))
            if created > now - timedelta(days=7):
                events.append(AuditEvent(at=created, actor_id=owner_id, verb="create", object_type="opportunity", object_id=oid,
                                         object_label=f"商机{oid}", customer_id=customer_id,
                                         changes={"title": [None, f"商机{oid}"], "amount": [None, str(amount)], "stage": [None, stage_id]}))
                continue
            roll = rng.random()
            if roll < 0.03 and close:
                old = close + timedelta(days=rng.choice([-45, -30, 30, 60, 100]))
                events.append(AuditEvent(at=at, actor_id=owner_id, verb="update", object_type="opportunity", object_id=oid,
                                         object_label=f"商机{oid}", customer_id=customer_id,
                                         changes={"expected_close_on": [old.isoformat(), close.isoformat()]}))
            elif roll < 0.06:
                old = (amount * Decimal(rng.choice(["0.8", "1.25"]))).quantize(Decimal("0.01"))
                events.append(AuditEvent(at=at, actor_id=owner_id, verb="update", object_type="opportunity", object_id=oid,
                                         object_label=f"商机{oid}", customer_id=customer_id,
                                         changes={"amount": [str(old), str(amount)]}))
        with _no_auto_now(AuditEvent._meta.get_field("at")):
            AuditEvent.objects.bulk_create(events, batch_size=BATCH)

        # weekly submissions: each rep, each week, the 4 forecast periods
        cutoff_weekday = PlanningSettings.load().cutoff_weekday
        this_cutoff = today + timedelta(days=(cutoff_weekday - today.weekday()) % 7)
        lines_of = {}
        for oid, owner_id, _c, stage_id, amount, probability, close, category, _created in open_rows:
            lines_of.setdefault(owner_id, []).append(
                [oid, stage_id, int(amount * 100), probability, close.isoformat() if close else "", category])
        snapshots = []
        for weeks_ago in range(min(SNAPSHOT_WEEKS, weeks), -1, -1):
            day = this_cutoff - timedelta(days=7 * weeks_ago + 1)
            if day > today:
                day = today
            for rep in rep_users:
                snapshots.append(ForecastSnapshot(user=rep, taken_at=aware(day), lines=lines_of.get(rep.pk, [])))
        ForecastSnapshot.objects.bulk_create(snapshots, batch_size=500)
        snapshot_of = {(s.user_id, timezone.localdate(s.taken_at)): s.pk for s in ForecastSnapshot.objects.only("id", "user_id", "taken_at")}

        level = {rep.pk: rng.randint(300, 3000) * 1000 for rep in rep_users}
        submissions = []
        carried = []  # (index in submissions, index of the one it carries: the root)
        root_of = {}
        latest = {}
        for weeks_ago in range(weeks, -1, -1):
            cutoff = this_cutoff - timedelta(days=7 * weeks_ago)
            day = min(cutoff - timedelta(days=1), today)
            for rep in rep_users:
                if weeks_ago == 0 and rng.random() < 0.1:
                    continue  # not submitted yet this week
                skipped = weeks_ago > 0 and rng.random() < 0.03
                for period in forecast_periods(cutoff if skipped else day):
                    key = (rep.pk, period.label)
                    if skipped:
                        if key not in latest:
                            continue
                        prev = latest[key]
                        sub = ForecastSubmission(
                            user=rep, period=period.label, period_start=period.start, period_end=period.end, submitted_on=cutoff,
                            recorded_at=aware(cutoff + timedelta(days=1), 2), commit=submissions[prev].commit,
                            best_case=submissions[prev].best_case, source=ForecastSubmission.Source.CARRIED)
                        root_of[len(submissions)] = root_of.get(prev, prev)
                        carried.append((len(submissions), root_of[len(submissions)]))
                    else:
                        scale = 3 if period.kind == "quarter" else 1
                        commit = Decimal(int(level[rep.pk] * scale * rng.uniform(0.6, 1.3)) // 1000 * 1000)
                        sub = ForecastSubmission(
                            user=rep, period=period.label, period_start=period.start, period_end=period.end, submitted_on=day,
                            recorded_at=aware(day, 17, rng.randint(0, 59)), commit=commit,
                            best_case=commit + Decimal(int(level[rep.pk] * scale * rng.uniform(0.1, 0.6)) // 1000 * 1000),
                            source=ForecastSubmission.Source.PAGE, snapshot_id=snapshot_of.get((rep.pk, day)), created_by=rep)
                    latest[key] = len(submissions)
                    submissions.append(sub)
        with _no_auto_now(ForecastSubmission._meta.get_field("recorded_at")):
            ForecastSubmission.objects.bulk_create(submissions, batch_size=BATCH)
        if carried and submissions[0].pk is None:  # the pks are needed to link carried_from
            ids = list(ForecastSubmission.objects.order_by("id").values_list("id", flat=True))
            for sub, pk in zip(submissions, ids, strict=True):
                sub.pk = sub.id = pk
        for i, root in carried:
            submissions[i].carried_from_id = submissions[root].pk
        ForecastSubmission.objects.bulk_update([submissions[i] for i, _r in carried], ["carried_from"], batch_size=BATCH)

        # a manager's adjustment on 10 % of this week's submissions
        this_week = [s for s in submissions if s.submitted_on > this_cutoff - timedelta(days=7) and rng.random() < 0.1]
        ForecastAdjustment.objects.bulk_create([
            ForecastAdjustment(submission_id=s.pk, commit=(s.commit * Decimal("0.9")).quantize(Decimal("1")), best_case=s.best_case,
                               note="客户预算未批，按九成计", created_by=manager_of[s.user.team_id])
            for s in this_week
        ], batch_size=BATCH)

        # targets (won) of the company, each team and each rep, this and next year
        targets = []
        for year in (today.year, today.year + 1):
            weights = [str(rng.randint(5, 15)) for _ in range(12)]
            targets.append(Target(scope="company", year=year, amount=Decimal(reps * 12_000_000), weights=weights))
            targets += [Target(scope="team", team=team, year=year, amount=Decimal(10 * 12_000_000), weights=weights) for team in teams]
            targets += [Target(scope="user", user=rep, year=year, amount=Decimal(level[rep.pk] * 12), weights=[""] * 12)
                        for rep in rep_users]
        Target.objects.bulk_create(targets, batch_size=BATCH)


if __name__ == "__main__":
    main()
