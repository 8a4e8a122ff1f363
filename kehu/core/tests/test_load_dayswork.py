"""A day's work under load, bounded (issue 15): `python -m benchmarks.load` with 10 users (6 reps,
2 managers, finance, the director) until each has done each of its tasks once (~20 s; 120 s at most) against a small seeded company served by gunicorn on
loopback, on the database the suite runs on (SQLite, or PostgreSQL when DATABASE_URL is set).
Every request must pass its check (status, the right page, no form error): a change that breaks
logging a follow-up, moving a deal, quoting, approving, recording a payment or one of the pages
on the way fails here. The full 50-user run and its figures: docs/performance.md, "Load test".

The company is a copy of the migrated test database (fast: no migrations to run), seeded by the
runner with `kehu seed` (600 customers). About 40 s on a quiet machine.
"""

import sqlite3
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote

import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
SEED = ["--customers", "600", "--order-lines", "3000", "--activities", "3000", "--opportunities", "300", "--weeks", "4"]

# Transactional: the test database is copied as committed (for PostgreSQL with no session open on
# it). No serialized_rollback: after an earlier transactional test flushed the tables, reloading
# the serialized rows collides with the content types the flush's post_migrate made again; the
# suite's other transactional tests already cope with a flushed database (conftest.seed_flushed_defaults).
pytestmark = [pytest.mark.load, pytest.mark.django_db(transaction=True)]


def _has_migration_data() -> bool:
    """The test database as migrations left it: a test that flushed the tables (live_server)
    also removed the rows the data migrations wrote (the pipeline's stages, ...)."""
    from kehu.sales.models import OpportunityStage

    return OpportunityStage.objects.exists()


@pytest.fixture
def load_database(transactional_db, tmp_path):
    """Arguments naming a migrated database of its own for the runner (dropped afterwards)."""
    migrated = _has_migration_data()
    if connection.vendor == "sqlite":
        path = tmp_path / "day.sqlite3"
        if migrated:
            connection.ensure_connection()
            target = sqlite3.connect(path)
            connection.connection.backup(target)
            target.close()
            yield ["--sqlite", str(path), "--skip-migrate"]
        else:
            yield ["--sqlite", str(path)]
        return

    import psycopg
    from psycopg import sql

    s = connection.settings_dict
    name = f"{s['NAME']}_load"[:63]
    admin = {"host": s["HOST"] or "localhost", "port": s["PORT"] or 5432, "user": s["USER"], "password": s["PASSWORD"],
             "dbname": "postgres", "autocommit": True}
    connection.close()  # CREATE DATABASE … TEMPLATE needs the template to itself
    with psycopg.connect(**admin) as pg:
        pg.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if migrated:
            pg.execute(sql.SQL("CREATE DATABASE {} TEMPLATE {}").format(sql.Identifier(name), sql.Identifier(s["NAME"])))
    url = f"postgres://{quote(s['USER'], safe='')}:{quote(s['PASSWORD'] or '', safe='')}@{admin['host']}:{admin['port']}/{name}"
    try:
        yield ["--database-url", url] + (["--skip-migrate"] if migrated else [])
    finally:
        with psycopg.connect(**admin) as pg:
            pg.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def test_ten_users_do_each_task_of_a_day_without_a_failure(load_database, tmp_path):
    # Until every user has done each of its tasks once (~20 s on a quiet machine), 120 s at most.
    cmd = [sys.executable, "-m", "benchmarks.load", *load_database, *SEED, "--users", "10", "--run-time", "120s",
           "--stop-after-tour", "--spawn-rate", "10", "--wait", "0.5,1.5", "--out", str(tmp_path / "out")]
    run = subprocess.run(cmd, check=False, cwd=ROOT, capture_output=True, text=True, timeout=400)
    report = run.stdout + run.stderr
    assert run.returncode == 0, report
    assert "| **all** |" in report and ", 0 failures," in report, report
    # every kind of work happened at least once (a task that silently did nothing would pass)
    for step in ("rep: log follow-up", "rep: move deal", "rep: save quote", "manager: approvals", "finance: record payment",
                 "director: Friday review"):
        assert f"| {step} " in report, f"{step} never ran:\n{report}"
