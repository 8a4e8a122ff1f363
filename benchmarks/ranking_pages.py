"""Ranking pages at scale, as ratios to a bare view measured in the same run.

    .venv/bin/python benchmarks/ranking_pages.py [--db /tmp/rank100k.sqlite3] [--repeat 15]
                                                 [--export-repeat 3] [--customers 100000] [--lines 1000000]

Works on a SQLite file seeded by benchmarks/ranking.py (seeded here with its functions when
the file is missing or empty; reruns reuse it as is). Makes sure there is a run of each model
as of 2026-06-30 and a second key-account run as of 2025-12-31 (existing runs are reused), a
director (role manager, managing every team) and a rep "bench_rep" owning ~1,000 customers
(every 100th customer moved to them), refreshes the planner statistics as `kehu daily` does,
then times, in one process through the full middleware stack, a bare view (returns "ok") and
each ranking page as the director and as the rep. Prints the median milliseconds, the ratio
to the same user's bare view and the number of SQL queries of each page. The XLSX export is
timed with --export-repeat requests and its result rows are printed. Not part of the test run.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

AS_OF = date(2026, 6, 30)
EARLIER = date(2025, 12, 31)
REP_SHARE = 100  # the rep gets every 100th customer: 1,000 of 100,000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="/tmp/rank100k.sqlite3", help="SQLite file (seeded when missing)")
    parser.add_argument("--repeat", type=int, default=15)
    parser.add_argument("--export-repeat", type=int, default=3)
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

    call_command("migrate", verbosity=0)
    t = time.perf_counter()
    director, rep, runs, customer_id = prepare(args)
    print(f"prepared in {time.perf_counter() - t:.1f} s")

    from kehu.customers.models import Customer
    from kehu.ranking import selectors
    from kehu.sales.models import OrderLine

    pages = [
        ("bare view", "/bench/bare/"),
        ("pyramid /ranking/", "/ranking/"),
        ("value /ranking/value/", "/ranking/value/"),
        ("value, class general", "/ranking/value/?class=general"),
        ("key accounts ?all=1", "/ranking/key-accounts/?all=1"),
        ("value run detail", f"/ranking/runs/{runs['value'].pk}/"),
        ("key run compare", f"/ranking/runs/{runs['key_account'].pk}/compare/?with={runs['key_earlier'].pk}"),
        ("customers important+general", "/customers/?pyramid_tier=important&value_class=general"),
        ("customer page (ranking panel)", f"/customers/{customer_id}/"),
        ("value XLSX export", "/ranking/value/export/"),
    ]
    results = []
    with override_settings(ROOT_URLCONF="benchmarks.bench_urls", DEBUG=True, ALLOWED_HOSTS=["*"]):
        for who, user in (("director", director), ("rep", rep)):
            client = Client()
            client.force_login(user)
            bare = None
            for label, url in pages:
                export = url.endswith("/export/")
                response = client.get(url)
                assert response.status_code == 200, (label, who, response.status_code)
                timings = []
                n = args.export_repeat if export else args.repeat * 5 if bare is None else args.repeat
                for _ in range(n):  # the bare view 5× as often: it is the divisor of every ratio
                    reset_queries()
                    start = time.perf_counter()
                    response = client.get(url)
                    if export:
                        b"".join(response)  # a streamed body would only be produced here
                    timings.append(time.perf_counter() - start)
                ms = statistics.median(timings) * 1000
                bare = bare or ms
                note = ""
                if export:
                    rows = selectors.result_rows(runs["value"], user).count()
                    note = f"{rows} rows, {len(response.content) // 1024} KiB"
                results.append((label, who, ms, ms / bare, len(connection.queries), note))

    print(
        f"Kehu ranking pages benchmark: {Customer.objects.count()} customers, {OrderLine.objects.count()} order lines, "
        f"{connection.vendor} {connection.Database.sqlite_version if connection.vendor == 'sqlite' else ''}, "
        f"median of {args.repeat} (bare view: {args.repeat * 5}, export: {args.export_repeat}); runs: value #{runs['value'].pk}, "
        f"pyramid #{runs['pyramid'].pk}, key #{runs['key_account'].pk} vs #{runs['key_earlier'].pk}; "
        f"rep owns {Customer.objects.filter(owner=rep).count()}"
    )
    print(f"{'page':34} {'user':9} {'ms':>9} {'× bare':>8} {'queries':>8}  note")
    for label, who, ms, ratio, queries, note in results:
        print(f"{label:34} {who:9} {ms:9.1f} {ratio:8.1f} {queries:8d}  {note}")


def prepare(args):
    """Seed if needed; runs, director, rep; refresh statistics. Returns (director, rep, runs, customer id)."""
    from django.db import transaction

    from kehu.accounts.models import Team, User
    from kehu.customers.models import Customer
    from kehu.ranking import selectors, services
    from kehu.ranking.models import EvaluationResult, EvaluationRun
    from kehu.sales.models import OrderLine

    if not OrderLine.objects.exists():
        from benchmarks import ranking

        print(f"seeding {args.customers} customers, {args.lines} order lines (minutes)…")
        ranking.seed(args.customers, args.lines)

    admin = User.objects.filter(is_superuser=True).first()
    runs = {}
    for model in ("pyramid", "value", "key_account"):
        run = EvaluationRun.objects.filter(model=model, as_of=AS_OF).order_by("-id").first()
        if run is None or selectors.latest_run(model) != run:
            print(f"evaluation run {model} as of {AS_OF}…")
            run = services.evaluation_run(actor=admin, model=model, as_of=AS_OF)
        runs[model] = run
    earlier = EvaluationRun.objects.filter(model="key_account", as_of=EARLIER).order_by("-id").first()
    if earlier is None:
        print(f"evaluation run key_account as of {EARLIER}…")
        earlier = services.evaluation_run(actor=admin, model="key_account", as_of=EARLIER)
    runs["key_earlier"] = earlier

    with transaction.atomic():
        teams = list(Team.objects.all())
        if not teams:
            team = Team.objects.create(name="华东")
            owners = set(Customer.objects.exclude(owner=None).values_list("owner_id", flat=True).distinct())
            User.objects.filter(id__in=owners, team=None).update(team=team)
            teams = [team]
        director = User.objects.filter(username="bench_director").first()
        if director is None:
            director = User.objects.create_user("bench_director", password="x", role="manager", name="bench_director")
        for team in teams:
            team.managers.add(director)
        rep = User.objects.filter(username="bench_rep").first()
        if rep is None:
            rep = User.objects.create_user("bench_rep", password="x", role="rep", team=teams[0], name="bench_rep")
        if not Customer.objects.filter(owner=rep).exists():
            ids = list(Customer.objects.order_by("id").values_list("id", flat=True)[::REP_SHARE])
            Customer.objects.filter(id__in=ids).update(owner=rep)
    from kehu.core.db import refresh_statistics

    refresh_statistics()  # as `kehu daily` does after its runs

    # A customer of the rep's ranked in every run, so its page shows the full ranking panel.
    ranked = EvaluationResult.objects.filter(run=runs["value"], customer__owner=rep, rank__isnull=False)
    customer_id = ranked.order_by("position").values_list("customer_id", flat=True).first()
    return director, rep, runs, customer_id


if __name__ == "__main__":
    main()
