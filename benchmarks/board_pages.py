"""The pipeline board, the customer page and the agenda at the scale of issue 13: median ms,
queries and HTML size of each page for each user, against a bare view in the same run.

    .venv/bin/python -m benchmarks.board_pages --db /tmp/kehu-reports.sqlite3 [--repeat 5] \
        /sales/pipeline/@bench_director /sales/pipeline/@bench_rep000 /customers/25501/@bench_rep000 ...

Works on the reports benchmark's file (`benchmarks/reports.py` seeds it). Not part of the test run.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

DEFAULT_PAGES = ["/sales/pipeline/@bench_director", "/sales/pipeline/@bench_mgr0", "/sales/pipeline/@bench_rep000",
                 "/activities/agenda/@bench_rep000", "/customers/@bench_director"]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="/tmp/kehu-reports.sqlite3")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("pages", nargs="*", help="URL@username (default: the board for three users, the agenda, the customer list)")
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    os.environ["KEHU_SQLITE_PATH"] = args.db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    import logging

    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from kehu.accounts.models import User

    logging.getLogger("django.request").setLevel(logging.ERROR)

    def measure(client, url, n):
        client.get(url)
        timings = []
        for _ in range(n):
            start = time.perf_counter()
            response = client.get(url)
            _body = response.content
            timings.append((time.perf_counter() - start) * 1000)
        with CaptureQueriesContext(connection) as ctx:
            response = client.get(url)
        return statistics.median(timings), len(ctx), len(response.content), response.status_code

    print(f"{'page':44} {'user':15} {'ms':>9} {'queries':>8} {'KB':>9}  status")
    with override_settings(ROOT_URLCONF="benchmarks.bench_urls", DEBUG=False, ALLOWED_HOSTS=["*"]):
        clients = {}
        for page in args.pages or DEFAULT_PAGES:
            url, who = page.rsplit("@", 1)
            if who not in clients:
                clients[who] = Client()
                clients[who].force_login(User.objects.get(username=who))
                bare = measure(clients[who], "/bench/bare/", args.repeat * 3)[0]
                print(f"{'bare view':44} {who:15} {bare:9.1f}")
            ms, queries, size, status = measure(clients[who], url, args.repeat)
            print(f"{url:44} {who:15} {ms:9.1f} {queries:8d} {size / 1024:9.1f}  {status}")


if __name__ == "__main__":
    main()
