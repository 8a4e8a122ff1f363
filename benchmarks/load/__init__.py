"""The load test of a day's work (issue 15): 50 users on one machine, on SQLite and PostgreSQL.

    .venv/bin/python -m benchmarks.load --sqlite /tmp/kehu-load.sqlite3 --users 50 --run-time 3m
    .venv/bin/python -m benchmarks.load --database-url postgres://kehu:…@127.0.0.1:5432/kehu_load --users 50 --run-time 3m

1. prepare (benchmarks/load/prepare.py): creates a missing PostgreSQL database, migrates, seeds a
   new database with `kehu seed` (46,000 customers → 46 reps in 2 teams with a manager each,
   finance, the director; 200,000 order lines and activities, 8,000 opportunities; ~90 s) or
   reuses a seeded one, and sets the bench_ users' password;
2. serves it with gunicorn (config.wsgi, --workers 3 --threads 2 --keep-alive 30 by default) on 127.0.0.1 at a
   free port, DEBUG off;
3. runs locust headless (benchmarks/load/locustfile.py) for --run-time with --users users: one
   director, one finance, one per manager account, the rest reps (one account each while there
   are enough), arriving one a second, each logging in through the login page, doing each of its
   tasks once and then weighted random ones, with a think time of --wait (5–15) seconds between;
4. prints one row per request (requests, failures, p50, p95 in ms) and the totals, the load
   average of the machine, and the failures with the server's tracebacks if any; exits 1 on
   any failure.

Loopback only, bounded in time (locust is killed 120 s after --run-time at the latest). The
percentiles are locust's (response times rounded to 2 significant digits above 100 ms).
kehu/core/tests/test_load_dayswork.py runs it in the test suite with 10 users and --stop-after-tour
(each user does each of its tasks once).
"""
