"""python -m benchmarks.load (--sqlite PATH | --database-url URL) [--users 50] [--run-time 60s] ...

See benchmarks/load/__init__.py. Exits 0 when every request passed its check, 1 when any failed
(the failures are listed), 2 when the run could not be made (the server did not start, ...).
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from decimal import Decimal, InvalidOperation
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
LOCUSTFILE = Path(__file__).with_name("locustfile.py")
ROLES = ("rep", "manager", "finance", "director")


def parse_args(argv):
    p = argparse.ArgumentParser(prog="python -m benchmarks.load", description=__doc__)
    db = p.add_mutually_exclusive_group(required=True)
    db.add_argument("--sqlite", metavar="PATH", help="a SQLite file (made, migrated and seeded when new)")
    db.add_argument("--database-url", metavar="URL", help="a PostgreSQL database (created when missing, migrated, seeded when empty)")
    p.add_argument("--users", type=int, default=50, help="concurrent users (default 50)")
    p.add_argument("--run-time", default="60s", help="how long they work, locust's format: 20s, 3m (default 60s)")
    p.add_argument("--stop-after-tour", action="store_true",
                   help="end the run as soon as every user has done each of its tasks once (--run-time stays the limit)")
    p.add_argument("--spawn-rate", type=float, help="users arriving per second (default 1: each logs in, a second of CPU, then works)")
    p.add_argument("--wait", default="5,15",
                   help="think time between a user's tasks, MIN,MAX seconds (default 5,15: a working day ~10× compressed)")
    p.add_argument("--managers", type=int, help="manager users (default: one per manager account)")
    p.add_argument("--finance", type=int, default=1, help="finance users (default 1)")
    p.add_argument("--directors", type=int, default=1, help="director users (default 1)")
    p.add_argument("--workers", type=int, default=3, help="gunicorn worker processes (default 3)")
    p.add_argument("--threads", type=int, default=2, help="gunicorn threads per worker (default 2)")
    p.add_argument("--password", default="kehu-load-1", help="the bench_ users' password (set on every run)")
    p.add_argument("--skip-migrate", action="store_true", help="the database is migrated already")
    p.add_argument("--out", help="a folder for locust's CSV files, its output and the server's log (default: a temp folder)")
    for name, default in (("customers", 46_000), ("order-lines", 200_000), ("activities", 200_000), ("opportunities", 8_000), ("weeks", 12)):
        p.add_argument(f"--{name}", type=int, default=default, help=f"seed size of a new database (default {default:,})")
    return p.parse_args(argv)


def say(msg):
    print(msg, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def database_env(args) -> dict:
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "KEHU_SQLITE_PATH")}
    if args.sqlite:
        env["KEHU_SQLITE_PATH"] = str(Path(args.sqlite).resolve())
    else:
        env["DATABASE_URL"] = args.database_url
    env.update(DJANGO_SETTINGS_MODULE="config.settings", KEHU_DEBUG="0", PYTHONPATH=str(ROOT))
    return env


def ensure_postgres_database(url: str) -> None:
    """Creates the database of `url` when it does not exist (the role needs CREATEDB)."""
    import psycopg
    from psycopg import sql

    info = psycopg.conninfo.conninfo_to_dict(url)
    name = info["dbname"]
    info["dbname"] = "postgres"
    with psycopg.connect(**info, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone() is None:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))
            say(f"created database {name}")


def prepare(args, env) -> dict:
    if args.database_url:
        ensure_postgres_database(args.database_url)
    if not args.skip_migrate:
        t = time.monotonic()
        subprocess.run([str(BIN / "kehu"), "migrate", "--noinput"], env=env, check=True, stdout=subprocess.DEVNULL, cwd=ROOT)
        say(f"migrated in {time.monotonic() - t:.1f} s")
    t = time.monotonic()
    out = subprocess.run(
        [sys.executable, "-m", "benchmarks.load.prepare", "--password", args.password, "--customers", str(args.customers),
         "--order-lines", str(args.order_lines), "--activities", str(args.activities),
         "--opportunities", str(args.opportunities), "--weeks", str(args.weeks)],
        env=env, check=True, capture_output=True, text=True, cwd=ROOT,
    )
    accounts = json.loads(out.stdout.strip().splitlines()[-1])
    say(f"company ready in {time.monotonic() - t:.1f} s: " + ", ".join(f"{len(v)} {k}" for k, v in accounts.items()))
    return accounts


def serve(args, env, port, out: Path) -> subprocess.Popen:
    log = open(out / "server.log", "w")  # noqa: SIM115 - the server writes to it until stop()
    cmd = [str(BIN / "gunicorn"), "config.wsgi:application", "--bind", f"127.0.0.1:{port}", "--workers", str(args.workers),
           "--threads", str(args.threads), "--timeout", "120", "--graceful-timeout", "5", "--log-level", "warning",
           # Longer than a user's think time: with gunicorn's 2 s a request sent on a kept-alive
           # connection just as the server closes it is reset (a browser retries it, locust does not;
           # behind nginx the question does not arise).
           "--keep-alive", "30"]
    server = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if server.poll() is not None:
            raise RuntimeError(f"the server stopped (exit {server.returncode}); see {out / 'server.log'}")
        try:
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/accounts/login/", timeout=10) as resp:
                if resp.status == 200:
                    return server
        except (urllib.error.URLError, ConnectionError, TimeoutError):
            pass
        time.sleep(0.5)
    raise RuntimeError("the server did not answer within 90 s")


def server_cpu_seconds(server: subprocess.Popen) -> float:
    """CPU seconds (user + system) the server's processes have used so far: gunicorn's master
    and its workers (Linux /proc; 0 elsewhere). Divided by the requests it is the figure that
    does not depend on what else the machine is doing."""
    tick = os.sysconf("SC_CLK_TCK")

    def cpu(pid):
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            return (int(fields[11]) + int(fields[12])) / tick
        except (OSError, IndexError, ValueError):
            return 0.0

    try:
        children = Path(f"/proc/{server.pid}/task/{server.pid}/children").read_text().split()
    except OSError:
        return 0.0
    return cpu(server.pid) + sum(cpu(c) for c in children)


def stop(server: subprocess.Popen) -> None:
    if server.poll() is None:
        os.killpg(server.pid, signal.SIGTERM)
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(server.pid, signal.SIGKILL)
            server.wait()


def seconds(run_time: str) -> int:
    total = 0
    for n, unit in re.findall(r"(\d+)\s*([hms]?)", run_time):
        total += int(n) * {"h": 3600, "m": 60, "s": 1, "": 1}[unit]
    return total


def user_counts(args, accounts) -> dict:
    counts = {
        "director": min(args.directors, len(accounts["director"])),
        "finance": min(args.finance, len(accounts["finance"])),
        "manager": len(accounts["manager"]) if args.managers is None else min(args.managers, len(accounts["manager"])),
    }
    counts["rep"] = args.users - sum(counts.values())
    if counts["rep"] < 1:
        raise SystemExit(f"--users {args.users} leaves no rep (managers, finance and directors take {sum(counts.values())})")
    if counts["rep"] > len(accounts["rep"]):
        say(f"note: {counts['rep']} rep users share {len(accounts['rep'])} rep accounts (seed more customers: reps = customers // 1000)")
    return counts


def run_locust(args, accounts, counts, port, out: Path) -> int:
    env = dict(os.environ, KEHU_LOAD_ACCOUNTS=json.dumps(accounts), KEHU_LOAD_PASSWORD=args.password,
               KEHU_LOAD_WAIT=args.wait, KEHU_LOAD_COUNTS=json.dumps(counts),
               KEHU_LOAD_STOP_AFTER_TOUR="1" if args.stop_after_tour else "")
    rate = args.spawn_rate or 1.0
    cmd = [str(BIN / "locust"), "-f", str(LOCUSTFILE), "--headless", "--users", str(args.users), "--spawn-rate", str(rate),
           "--run-time", args.run_time, "--host", f"http://127.0.0.1:{port}", "--csv", str(out / "load"),
           "--only-summary", "--stop-timeout", "10", "--loglevel", "WARNING", "--exit-code-on-error", "1"]
    with open(out / "locust.log", "w") as log:
        proc = subprocess.Popen(cmd, env=env, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, start_new_session=True)
        try:
            return proc.wait(timeout=seconds(args.run_time) + 120)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()
            say("locust did not stop in time")
            return 2


def ms(value: str) -> str:
    try:
        return f"{Decimal(value):,.0f}"
    except InvalidOperation:
        return value


def table(out: Path) -> tuple[str, int, int]:
    with open(out / "load_stats.csv", newline="") as f:
        rows = list(csv.DictReader(f))
    order = {role: k for k, role in enumerate(ROLES)}

    def key(row):
        role = row["Name"].split(":")[0]
        return (row["Name"] == "Aggregated", order.get(role, 9), row["Name"])

    lines = ["| request | requests | failures | p50 ms | p95 ms |", "| --- | ---: | ---: | ---: | ---: |"]
    total = failures = 0
    rps = Decimal(0)
    for row in sorted(rows, key=key):
        name = "**all**" if row["Name"] == "Aggregated" else f"{row['Name']} ({row['Type']})"
        lines.append(f"| {name} | {int(row['Request Count']):,} | {int(row['Failure Count']):,} | {ms(row['50%'])} | {ms(row['95%'])} |")
        if row["Name"] == "Aggregated":
            total, failures = int(row["Request Count"]), int(row["Failure Count"])
            rps = Decimal(row["Requests/s"])
    lines.append("")
    lines.append(f"{total:,} requests, {failures:,} failures, {rps:.1f} requests/s")
    return "\n".join(lines), total, failures


def failures_text(out: Path) -> str:
    path = out / "load_failures.csv"
    if not path.exists():
        return ""
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    return "\n".join(f"  {r['Occurrences']}× {r['Name']} ({r['Method']}): {r['Error']}" for r in rows)


def server_errors(out: Path) -> str:
    text = (out / "server.log").read_text(errors="replace")
    return text if "Traceback" in text or "ERROR" in text else ""


def main(argv=None) -> int:
    args = parse_args(argv)
    out = Path(args.out) if args.out else Path(tempfile.mkdtemp(prefix="kehu-load-"))
    out.mkdir(parents=True, exist_ok=True)
    env = database_env(args)
    where = f"SQLite {args.sqlite}" if args.sqlite else f"PostgreSQL {re.sub(r'://[^@]*@', '://…@', args.database_url)}"
    say(f"load test on {where}: {args.users} users for {args.run_time}, gunicorn {args.workers} workers × {args.threads} threads")
    accounts = prepare(args, env)
    counts = user_counts(args, accounts)
    say("users: " + ", ".join(f"{counts[r]} {r}" for r in ROLES))
    port = free_port()
    try:
        server = serve(args, env, port, out)
    except RuntimeError as exc:
        say(str(exc))
        say((out / "server.log").read_text(errors="replace")[-3000:])
        return 2
    load_before = os.getloadavg()
    started = time.monotonic()
    cpu_before = server_cpu_seconds(server)
    try:
        code = run_locust(args, accounts, counts, port, out)
        cpu = server_cpu_seconds(server) - cpu_before
    finally:
        stop(server)
    load_after = os.getloadavg()
    if not (out / "load_stats.csv").exists():
        say((out / "locust.log").read_text(errors="replace")[-3000:])
        return 2
    text, total, failures = table(out)
    say("")
    say(text)
    say(f"ran {time.monotonic() - started:.0f} s; load average before {load_before[0]:.2f}, after {load_after[0]:.2f} "
        f"({os.cpu_count()} cores); files in {out}")
    if total and cpu:
        say(f"server CPU: {cpu:.1f} s for {total:,} requests = {cpu * 1000 / total:.0f} ms a request on average "
            f"(log-ins included: each hashes the password, ~1 s)")
    (out / "table.md").write_text(text + "\n")
    errors = server_errors(out)
    if failures or code not in (0, 1):
        say("\nFAILURES:\n" + failures_text(out))
    if errors:
        say("\nserver log:\n" + errors[-5000:])
    if total == 0:
        say("no request was made")
        return 1
    return 1 if failures or errors or code != 0 else 0


if __name__ == "__main__":
    sys.exit(main())
