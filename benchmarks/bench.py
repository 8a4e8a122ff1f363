"""`make bench`: every page and job at scale, on SQLite and PostgreSQL, in ONE table (issue 13).

    .venv/bin/python -m benchmarks.bench [--size small|full] [--sqlite PATH] [--database-url URL]
        [--only sqlite|postgresql] [--repeat N] [--import-rows N]

For each database (SQLite: a file, var/bench-<size>.sqlite3 by default; PostgreSQL: --database-url,
else KEHU_BENCH_DATABASE_URL, else DATABASE_URL — skipped when none is given) a child process
migrates it, seeds it with `kehu seed` when it has no customer yet (once: reruns reuse it; a
database with customers that `kehu seed` did not make is refused), refreshes the planner
statistics as `kehu daily` does, then times in one process, through the full middleware stack
(django.test.Client):

- pages: a bare view (returns "ok") and each page as the director (bench_director, role admin),
  a manager (bench_mgr0, one team) and a rep (bench_rep000, ~900 customers at full size) —
  median milliseconds of --repeat requests after one warm-up (a page slower than a second:
  median of 2), the ratio to the same user's bare view, the SQL queries of one request. A page
  answering 403/404 for a role prints "—" (the role has no business there);
- jobs: the import of --import-rows customers (a CSV through `dataset_import`, rolled back
  afterwards), a value evaluation run (its ratio: to the bare SQL aggregate of the run's 12-month
  window, SUM(revenue), SUM(cost) GROUP BY customer) and the XLSX export of that run.

Goals (the last column: ok / SLOW): pages 100 ms, search 20 ms, import ≥ 20,000 rows/s, an
evaluation run ≤ 3× its bare aggregate. Sizes: full = 100,000 customers, 1,000,000 order lines,
1,000,000 activities, 20,000 opportunities (seeding: minutes); small = 5,000 / 50,000 / 50,000 /
1,000 (the whole run: about a minute or two). Not part of the test run.
"""

import argparse
import csv
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SIZES = {
    "full": {"customers": 100_000, "order_lines": 1_000_000, "activities": 1_000_000, "opportunities": 20_000, "import_rows": 100_000, "repeat": 5},
    "small": {"customers": 5_000, "order_lines": 50_000, "activities": 50_000, "opportunities": 1_000, "import_rows": 2_000, "repeat": 3},
}
PAGE_GOAL_MS = 100
SEARCH_GOAL_MS = 20
IMPORT_GOAL_ROWS_S = 20_000
RUN_GOAL_RATIO = 3

# (label, URL name, kwargs key or None, query, roles, goal ms or None)
ALL = ("director", "manager", "rep")
HTMX = {"HTTP_HX_REQUEST": "true"}
PAGES = [
    ("customer list", "customers:list", None, "", ALL, PAGE_GOAL_MS),
    ("customer list, search initials", "customers:list", None, "?q={initials}", ALL, SEARCH_GOAL_MS),
    ("customer list, search phone", "customers:list", None, "?q={phone}", ("director",), SEARCH_GOAL_MS),
    ("search (top bar)", "reports:search", None, "?q={part}", ALL, SEARCH_GOAL_MS),
    # what htmx asks as the user types: the top bar's dropdown, the list's table alone
    ("search dropdown (htmx)", "reports:search", None, "?q={part}", ALL, SEARCH_GOAL_MS, HTMX),
    ("customer list, as you type (htmx)", "customers:list", None, "?q={initials}", ALL, SEARCH_GOAL_MS, HTMX),
    ("public pool", "customers:pool", None, "", ("rep",), PAGE_GOAL_MS),
    ("customer page", "customers:detail", "customer", "", ("director", "rep"), PAGE_GOAL_MS),
    ("pipeline board", "sales:pipeline", None, "", ALL, PAGE_GOAL_MS),
    ("opportunity list", "sales:opportunity-list", None, "", ALL, PAGE_GOAL_MS),
    ("order list", "finance:order-list", None, "", ALL, PAGE_GOAL_MS),
    ("payment list", "finance:payment-list", None, "", ("director", "finance"), PAGE_GOAL_MS),
    ("aging", "finance:aging", None, "", ("director", "manager", "rep", "finance"), PAGE_GOAL_MS),
    ("commission", "finance:commission", None, "", ("director", "manager", "finance"), PAGE_GOAL_MS),
    ("agenda", "activities:agenda", None, "", ALL, PAGE_GOAL_MS),
    ("notifications", "activities:notifications", None, "", ("rep",), PAGE_GOAL_MS),
    ("工作台 (workbench)", "reports:workbench", None, "", ALL + ("finance",), PAGE_GOAL_MS),
    # the 工作台's anomaly card, which htmx fills in after the page (director's alerts, manager's card)
    ("工作台 anomalies (htmx)", "reports:workbench-anomalies", None, "", ("director", "manager"), PAGE_GOAL_MS, HTMX),
    ("funnel", "reports:funnel", None, "", ALL, PAGE_GOAL_MS),
    ("lead sources", "reports:sources", None, "", ALL, PAGE_GOAL_MS),
    ("rep activity", "reports:activity", None, "", ALL, PAGE_GOAL_MS),
    ("what it takes", "reports:what-it-takes", None, "", ALL, PAGE_GOAL_MS),
    ("anomalies", "reports:anomalies", None, "", ALL, PAGE_GOAL_MS),
    ("share of wallet", "reports:wallet", None, "", ALL, PAGE_GOAL_MS),
    ("buying factors", "reports:factors", None, "", ALL, PAGE_GOAL_MS),
    ("forecast", "planning:forecast", None, "", ("rep",), PAGE_GOAL_MS),
    ("forecast roll-up", "planning:rollup", None, "", ("director", "manager"), PAGE_GOAL_MS),
    ("Friday review", "planning:review", None, "", ("director", "manager"), PAGE_GOAL_MS),
    ("forecast accuracy", "planning:accuracy", None, "", ALL, PAGE_GOAL_MS),
    ("targets", "planning:targets", None, "", ("director", "manager"), PAGE_GOAL_MS),
    ("attainment", "planning:attainment", None, "", ALL, PAGE_GOAL_MS),
    ("pyramid", "ranking:pyramid", None, "", ALL, PAGE_GOAL_MS),
    ("value ranking", "ranking:value", None, "", ALL, PAGE_GOAL_MS),
    ("key accounts", "ranking:key-accounts", None, "", ALL, PAGE_GOAL_MS),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size", choices=sorted(SIZES), default="full")
    parser.add_argument("--sqlite", help="SQLite file (default: var/bench-<size>.sqlite3)")
    parser.add_argument("--database-url", default=os.environ.get("KEHU_BENCH_DATABASE_URL") or os.environ.get("DATABASE_URL"),
                        help="a PostgreSQL database for the bench (default: KEHU_BENCH_DATABASE_URL, else DATABASE_URL)")
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    parser.add_argument("--repeat", type=int)
    parser.add_argument("--import-rows", type=int)
    parser.add_argument("--pages", help="only the rows whose label contains one of these comma-separated words "
                        "(e.g. 'funnel,lead sources'; 'import' and 'evaluation' name the jobs)")
    parser.add_argument("--child", choices=["sqlite", "postgresql"], help=argparse.SUPPRESS)
    parser.add_argument("--json", help=argparse.SUPPRESS)
    args = parser.parse_args()
    size = SIZES[args.size]
    args.repeat = args.repeat or size["repeat"]
    args.import_rows = size["import_rows"] if args.import_rows is None else args.import_rows
    args.sqlite = args.sqlite or str(ROOT / "var" / f"bench-{args.size}.sqlite3")
    if args.child:
        child(args, size)
        return

    databases = []
    if args.only in (None, "sqlite"):
        databases.append("sqlite")
    if args.only in (None, "postgresql"):
        if args.database_url and args.database_url.startswith(("postgres://", "postgresql://")):
            databases.append("postgresql")
        elif args.only == "postgresql":
            parser.error("--only postgresql needs --database-url, KEHU_BENCH_DATABASE_URL or DATABASE_URL")
        else:
            print("PostgreSQL skipped: give --database-url, KEHU_BENCH_DATABASE_URL or DATABASE_URL (docs/performance.md)", flush=True)
    results = {}
    for vendor in databases:
        out = Path(tempfile.mkdtemp(prefix="kehu-bench-")) / "rows.json"
        command = [sys.executable, "-m", "benchmarks.bench", "--child", vendor, "--size", args.size, "--sqlite", args.sqlite,
                   "--repeat", str(args.repeat), "--import-rows", str(args.import_rows), "--json", str(out)]
        if args.pages:
            command += ["--pages", args.pages]
        env = dict(os.environ)
        env.pop("DATABASE_URL", None)
        if vendor == "postgresql":
            env["DATABASE_URL"] = args.database_url
        print(f"== {vendor}", flush=True)
        subprocess.run(command, cwd=ROOT, env=env, check=True)
        results[vendor] = json.loads(out.read_text())
    print_table(results)


def print_table(results: dict) -> None:
    vendors = list(results)
    for vendor, data in results.items():
        print(f"{vendor}: {data['header']}")
    keys = []
    for data in results.values():
        for row in data["rows"]:
            key = (row["label"], row["who"])
            if key not in keys:
                keys.append(key)
    by = {v: {(r["label"], r["who"]): r for r in results[v]["rows"]} for v in vendors}
    head = f"{'page or job':34} {'user':9}"
    for v in vendors:
        head += f" | {v[:10] + ' ms':>13} {'×bare':>7} {'queries':>7} {'meets':>5}"
    print(head + " | goal")
    print("-" * len(head) + "-+-" + "-" * 14)
    for key in keys:
        line = f"{pad(key[0], 34)} {key[1]:9}"
        goal = ""
        for v in vendors:
            r = by[v].get(key)
            if r is None or r.get("ms") is None:
                note = (r or {}).get("note", "")
                line += f" | {note[:13]:>13} {'':>7} {'':>7} {'':>5}"
                continue
            ratio = "" if r.get("ratio") is None else f"{r['ratio']:.1f}"
            queries = "" if r.get("queries") is None else str(r["queries"])
            line += f" | {r['ms']:13.1f} {ratio:>7} {queries:>7} {r.get('ok', ''):>5}"
            goal = r.get("goal", "")
        print(f"{line} | {goal}")
    notes = [(key, v, by[v][key]["note"]) for key in keys for v in vendors if by[v].get(key, {}).get("ms") is not None and by[v][key].get("note")]
    for key, v, note in notes:
        print(f"{v}: {key[0]}: {note}")


def pad(text: str, width: int) -> str:
    """`text` cut and padded to `width` terminal columns (a CJK character takes two)."""
    import unicodedata

    out, used = "", 0
    for ch in text:
        w = 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
        if used + w > width:
            break
        out, used = out + ch, used + w
    return out + " " * (width - used)


# --- the child: one database --------------------------------------------------------------------
def child(args, size) -> None:
    if args.child == "sqlite":
        os.environ.pop("DATABASE_URL", None)
        os.environ["KEHU_SQLITE_PATH"] = args.sqlite
        Path(args.sqlite).parent.mkdir(parents=True, exist_ok=True)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import logging

    import django

    django.setup()
    logging.getLogger("django.request").setLevel(logging.CRITICAL)  # the roles' 403/404s are reported in the table
    from django.core.management import call_command
    from django.db import connection

    from kehu.accounts.models import User
    from kehu.customers.models import Customer
    from kehu.dataset.seed import counts

    call_command("migrate", verbosity=0)
    if not Customer.objects.exists():
        print(f"seeding {size['customers']:,} customers, {size['order_lines']:,} order lines, {size['activities']:,} activities, "
              f"{size['opportunities']:,} opportunities…", flush=True)
        start = time.perf_counter()
        call_command("seed", customers=size["customers"], order_lines=size["order_lines"], activities=size["activities"],
                     opportunities=size["opportunities"])
        print(f"seeded in {time.perf_counter() - start:.1f} s", flush=True)
    elif not User.objects.filter(username="bench_director").exists():
        sys.exit(f"{connection.settings_dict['NAME']} has customers that `kehu seed` did not make: give the bench its own database")
    else:
        print("reusing the seeded database", flush=True)
    from kehu.core.db import refresh_statistics

    refresh_statistics()
    if connection.vendor == "postgresql":
        # What autovacuum does on a live database soon after a bulk load: the visibility map
        # set, so index-only scans read no table pages (a fresh seed has none of it).
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE)")
    users = {name: User.objects.get(username=username) for name, username in
             (("director", "bench_director"), ("manager", "bench_mgr0"), ("rep", "bench_rep000"), ("finance", "bench_finance"))}
    rows = []
    run = jobs(args, users, rows)
    if run is not None and connection.vendor == "postgresql":
        # the run just wrote 100,000 result rows: what autovacuum does within a minute of it
        with connection.cursor() as cursor:
            cursor.execute("VACUUM (ANALYZE) ranking_evaluationresult, customers_customer")
    rows[:0] = pages(args, users, run)
    n = counts()
    vendor = connection.vendor + (f" {connection.Database.sqlite_version}" if connection.vendor == "sqlite" else
                                  f" {connection.cursor().connection.info.server_version}")
    header = (f"{vendor}, {n['customers']:,} customers, {n['order lines']:,} order lines, {n['activities']:,} activities, "
              f"{n['opportunities']:,} opportunities; median of {args.repeat}; rep owns "
              f"{Customer.objects.filter(owner=users['rep']).count():,}, manager's team {User.objects.filter(team__managers=users['manager']).count()} reps")
    Path(args.json).write_text(json.dumps({"header": header, "rows": rows}, ensure_ascii=False))


def wanted(args, label: str) -> bool:
    """Whether --pages (if given) asks for the row with this label."""
    return not args.pages or any(word.strip() and word.strip() in label for word in args.pages.split(","))


def measure(client, url, repeat, headers=None):
    """(median ms, queries of one request, status) of GET `url`, the body read completely."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    timings, queries, status = [], 0, None
    n = max(1, repeat)
    connection.queries_log.clear()
    for _ in range(n):
        with CaptureQueriesContext(connection) as ctx:
            start = time.perf_counter()
            response = client.get(url, **(headers or {}))
            b"".join(response) if response.streaming else response.content  # noqa: B018
            timings.append(time.perf_counter() - start)
        status = response.status_code
        queries = len(ctx.captured_queries)
        if status != 200 or (timings[-1] > 1.0 and len(timings) >= 2):
            break  # an error page, or a slow page: two requests are enough
    return statistics.median(timings) * 1000, queries, status


def job_of(response):
    """The background job a response redirects to (its jobs:detail page), else None."""
    from django.urls import Resolver404, resolve

    try:
        match = resolve(response["Location"].split("?")[0])
    except (Resolver404, KeyError):
        return None
    return match.kwargs.get("pk") if match.view_name == "jobs:detail" else None


def measure_job(client, url, first_job):
    """(median ms of two, the job's final state) of GET `url` plus running the job it starts (the
    warm-up's job `first_job` is run first, unmeasured, so the queue holds nothing else)."""
    from kehu.core.jobs import job_run

    job_run(first_job)
    timings, state = [], ""
    for _ in range(2):
        start = time.perf_counter()
        response = client.get(url)
        job = job_of(response)
        state = job_run(job) if job is not None else f"HTTP {response.status_code}"
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1000, state


def pages(args, users, run) -> list[dict]:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.test.utils import override_settings
    from django.urls import NoReverseMatch, reverse

    from kehu.customers.models import Contact, Customer

    rep = users["rep"]
    customer = Customer.objects.filter(owner=rep).order_by("id").first()
    contact = Contact.objects.filter(customer__owner=rep).order_by("id").first()
    words = {"initials": (customer.name_initials or "hw")[:3], "part": customer.name[1:3],
             # the last 8 digits, as a caller reads a number (the seed's phones share their first 7)
             "phone": (contact.phone if contact else customer.phone)[-8:]}
    kwargs_of = {"customer": {"pk": customer.pk}}
    rows = []
    with override_settings(ROOT_URLCONF="benchmarks.bench_urls", DEBUG=False, ALLOWED_HOSTS=["*"]):
        clients = {}
        bare = {}
        for who, user in users.items():
            clients[who] = Client()
            clients[who].force_login(user)
            clients[who].get("/bench/bare/")
            ms, queries, _status = measure(clients[who], "/bench/bare/", args.repeat * 3)
            bare[who] = ms
            if who != "finance":
                rows.append({"label": "bare view", "who": who, "ms": ms, "ratio": 1.0, "queries": queries, "goal": "", "ok": ""})
        plan = list(PAGES)
        if run is not None:
            plan.append(("XLSX export of the run", "ranking:run-export", "run", "", ("director",), None))
            kwargs_of["run"] = {"pk": run.pk}
        for label, name, kwargs_key, query, roles, goal, *extra in plan:
            headers = extra[0] if extra else {}
            if not wanted(args, label):
                continue
            for who in roles:
                row = {"label": label, "who": who, "goal": f"{goal} ms" if goal else ""}
                try:
                    url = reverse(name, kwargs=kwargs_of.get(kwargs_key)) + query.format(**words)
                except NoReverseMatch:
                    rows.append({**row, "ms": None, "note": "missing"})
                    continue
                client = clients[who]
                with CaptureQueriesContext(connection) as ctx:
                    first = time.perf_counter()
                    response = client.get(url, **headers)
                    b"".join(response) if response.streaming else response.content  # noqa: B018
                if response.status_code in (403, 404):
                    rows.append({**row, "ms": None, "note": "—"})
                    continue
                if response.status_code == 302 and job_of(response) is not None:
                    # long work handed to the background worker (issue 15): the request and the
                    # job's own run, timed together (in this process, as the worker runs it)
                    ms, status = measure_job(client, url, job_of(response))
                    rows.append({**row, "ms": ms, "ratio": ms / bare[who], "queries": None, "ok": "" if goal is None else
                                 ("ok" if ms <= goal else "SLOW"), "note": f"background job: {status}", "url": url})
                    print(f"  {label:34} {who:9} {ms:9.1f} ms (request + background job: {status})", flush=True)
                    continue
                if response.status_code != 200:
                    rows.append({**row, "ms": None, "note": f"HTTP {response.status_code}"})
                    continue
                first = time.perf_counter() - first
                slow = first > 1.0
                if first > 10.0:  # a very slow page: the warm-up is its time
                    ms, queries = first * 1000, len(ctx.captured_queries)
                else:
                    ms, queries, status = measure(client, url, 1 if slow else args.repeat, headers)
                    if slow:
                        ms = (ms + first * 1000) / 2  # a slow page: the warm-up counts, the median of two
                ok = "" if goal is None else ("ok" if ms <= goal else "SLOW")
                rows.append({**row, "ms": ms, "ratio": ms / bare[who], "queries": queries, "ok": ok, "url": url})
                print(f"  {label:34} {who:9} {ms:9.1f} ms {queries:4d} queries", flush=True)
    return rows


def jobs(args, users, rows):
    """The import, the evaluation run; returns the run (its export is timed with the pages)."""
    from django.db import connection, transaction
    from django.utils import timezone

    from kehu.dataset.services import dataset_import
    from kehu.ranking import services
    from kehu.ranking.scoring import window
    from kehu.sales.models import OrderLine

    # import of N customers, rolled back
    if args.import_rows and wanted(args, f"import {args.import_rows:,} customers"):
        folder = Path(tempfile.mkdtemp(prefix="kehu-bench-import-"))
        with open(folder / "customers.csv", "w", newline="", encoding="utf-8") as f:
            writer = csv.writer(f)
            writer.writerow(["code", "name", "kind", "stage", "lead_source", "province", "industry", "phone"])
            for i in range(args.import_rows):
                writer.writerow([f"IMP{i:07d}", f"导入{i}号测试有限公司", "company", "target", "internet", "广东", "制造", f"139{i:08d}"])
        start = time.perf_counter()
        note = ""
        try:
            with transaction.atomic():
                report = dataset_import(actor=None, path=folder)
                seconds = time.perf_counter() - start
                if not report.written:
                    note = f"not written: {report.bad_row_count} bad rows"
                transaction.set_rollback(True)
        except Exception as exc:  # noqa: BLE001 - the table says what broke
            seconds, note = time.perf_counter() - start, f"failed: {exc}"[:60]
        rate = args.import_rows / seconds
        rows.append({"label": f"import {args.import_rows:,} customers", "who": "system", "ms": seconds * 1000, "ratio": None,
                     "queries": None, "goal": f"≥{IMPORT_GOAL_ROWS_S:,} rows/s",
                     "ok": "ok" if rate >= IMPORT_GOAL_ROWS_S and not note else "SLOW", "note": note or f"{rate:,.0f} rows/s"})
        print(f"  import: {seconds:.1f} s, {rate:,.0f} rows/s {note}", flush=True)

    # an evaluation run against its bare aggregate
    if not (wanted(args, "evaluation run (value)") or wanted(args, "XLSX export of the run")):
        return None
    as_of = timezone.localdate()
    start_day, end_day = window(as_of, 12)
    line_t = OrderLine._meta.db_table
    order_t = OrderLine._meta.get_field("order").related_model._meta.db_table
    sql = (f"SELECT o.customer_id, SUM(l.revenue), SUM(l.cost) FROM {line_t} l JOIN {order_t} o ON o.id = l.order_id "
           "WHERE o.order_date > %s AND o.order_date <= %s GROUP BY o.customer_id")

    def aggregate():
        with connection.cursor() as cursor:
            cursor.execute(sql, [start_day, end_day])
            return cursor.fetchall()

    aggregate()
    bare_times = []
    for _ in range(3):
        t = time.perf_counter()
        aggregate()
        bare_times.append(time.perf_counter() - t)
    bare_ms = min(bare_times) * 1000
    rows.append({"label": "bare SQL aggregate (12 months)", "who": "system", "ms": bare_ms, "ratio": 1.0, "queries": 1, "goal": "", "ok": ""})
    run = None
    run_times = []
    for _ in range(1 if bare_ms > 1000 else 2):
        t = time.perf_counter()
        run = services.evaluation_run(actor=users["director"], model="value", as_of=as_of)
        run_times.append(time.perf_counter() - t)
    ms = statistics.median(run_times) * 1000
    rows.append({"label": "evaluation run (value)", "who": "director", "ms": ms, "ratio": ms / bare_ms, "queries": None,
                 "goal": f"≤{RUN_GOAL_RATIO}× bare", "ok": "ok" if ms / bare_ms <= RUN_GOAL_RATIO else "SLOW"})
    print(f"  evaluation run: {ms:.0f} ms, {ms / bare_ms:.1f}× the bare aggregate", flush=True)
    return run


if __name__ == "__main__":
    main()
