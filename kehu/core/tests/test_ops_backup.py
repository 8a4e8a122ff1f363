"""`kehu backup` / `kehu restore` (issue 15, ops): a world touching every app is backed up,
restored into a fresh database and into the migrated, changed database itself, and EVERY table
(enumerated from the database's catalogue) compared row by row — on SQLite and on PostgreSQL.
Refusals (another backend, a newer schema, not a backup) and failures leave the database as it was."""

import sqlite3
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.utils import translation

from kehu.core.backup import (
    EXCLUDED_DATA,
    BackupError,
    backup_create,
    backup_restore,
    pg_restore_into,
    sqlite_restore_into,
)

pytestmark = pytest.mark.django_db(transaction=True)


# --- reading every table ----------------------------------------------------------------------

def _tables(cursor, vendor) -> list[str]:
    if vendor == "sqlite":
        cursor.execute("SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
    else:
        cursor.execute("SELECT tablename FROM pg_tables WHERE schemaname = current_schema() ORDER BY tablename")
    return [row[0] for row in cursor.fetchall()]


def _value(v):
    return bytes(v) if isinstance(v, memoryview) else v


def snapshot(cursor, vendor) -> dict[str, list[tuple]]:
    """Every table of the database (from its catalogue, not a hand list): its rows, sorted."""
    result = {}
    for table in _tables(cursor, vendor):
        cursor.execute(f'SELECT * FROM "{table}"')
        rows = [tuple(_value(v) for v in row) for row in cursor.fetchall()]
        result[table] = sorted(rows, key=repr)
    return result


def django_snapshot():
    """The test database's tables, through a plain connection as the restored copy's (Django's
    turns dates into `date` objects on SQLite, leaves JSON as text on PostgreSQL)."""
    if connection.vendor == "sqlite":
        raw = sqlite3.connect(connection.settings_dict["NAME"], uri=True)
        try:
            return snapshot(raw.cursor(), "sqlite")
        finally:
            raw.close()
    with _pg_connect(connection.settings_dict) as db:
        return snapshot(db.cursor(), "postgresql")


def without_excluded(snap):
    return {t: rows for t, rows in snap.items() if t not in EXCLUDED_DATA}


# --- the world --------------------------------------------------------------------------------

def fill_world():
    """The demo company (every domain app: customers, activities, sales, finance, ranking,
    planning, reports' summaries) plus what it leaves empty: a session, a login record, an access
    token, a webhook subscription, a queued task and a cached value."""
    from django.contrib.auth.models import Group
    from django.contrib.sessions.backends.db import SessionStore

    from kehu.accounts.models import User
    from kehu.accounts.tokens import access_token_create
    from kehu.dataset.services import demo_company_load
    from kehu.integrations.services import subscription_create
    from kehu.integrations.tasks import deliver_webhooks

    from conftest import seed_flushed_defaults

    seed_flushed_defaults()  # an earlier transactional test may have flushed the migrations' rows
    demo_company_load()
    admin = User.objects.filter(is_superuser=True).first() or User.objects.create_superuser("ops_admin", password="x")
    access_token_create(actor=admin, name="backup", scope="read")
    subscription_create(actor=admin, url="https://example.com/hook", event_types=["customer.created"])
    deliver_webhooks.enqueue([])
    Group.objects.create(name="备份")
    from django.core.cache import cache
    cache.set("ops.backup", "缓存", 3600)  # the shared database cache's table
    from axes.models import AccessLog
    AccessLog.objects.create(username="rep1", ip_address="203.0.113.7", user_agent="pytest", http_accept="*/*", path_info="/")
    session = SessionStore()
    session["x"] = 1
    session.create()


def _assert_world(snap):
    assert snap["django_session"], "the world has a session to leave out"
    empty = {t for t, rows in snap.items() if not rows}
    apps = {t.split("_")[0] for t in snap}
    filled_apps = {t.split("_")[0] for t, rows in snap.items() if rows}
    # every app has rows in at least one of its tables
    assert apps - filled_apps == set(), empty
    for table in ("customers_customer", "activities_activity", "sales_opportunity", "finance_payment",
                  "ranking_evaluationrun", "planning_target", "accounts_accesstoken",
                  "integrations_webhooksubscription", "django_tasks_database_dbtaskresult", "auth_group"):
        assert snap[table], table


# --- fresh databases --------------------------------------------------------------------------

@pytest.fixture
def fresh_pg():
    """An empty PostgreSQL database beside the test database (dropped afterwards)."""
    name = connection.settings_dict["NAME"] + "_restore"
    settings = dict(connection.settings_dict, NAME=name)
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}"')
        cursor.execute(f'CREATE DATABASE "{name}"')
    yield settings
    with connection.cursor() as cursor:
        cursor.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def _pg_connect(settings):
    import psycopg

    return psycopg.connect(host=settings["HOST"], port=settings["PORT"], user=settings["USER"],
                           password=settings["PASSWORD"], dbname=settings["NAME"], autocommit=True)


def restore_into_fresh(path, tmp_path, request):
    """Restore `path` into a brand-new, empty database; its snapshot."""
    if connection.vendor == "sqlite":
        target = sqlite3.connect(tmp_path / "fresh.sqlite3")
        try:
            sqlite_restore_into(path, target)
            return snapshot(target.cursor(), "sqlite")
        finally:
            target.close()
    settings = request.getfixturevalue("fresh_pg")
    pg_restore_into(path, settings)
    with _pg_connect(settings) as db:
        return snapshot(db.cursor(), "postgresql")


# --- the round trip ---------------------------------------------------------------------------

def test_system_backup_restores_every_table_row_by_row(tmp_path, request):
    fill_world()
    before = django_snapshot()
    _assert_world(before)
    path = tmp_path / ("kehu.sqlite3" if connection.vendor == "sqlite" else "kehu.dump")

    info = backup_create(path=path)
    assert info.vendor == connection.vendor
    assert ("customers", "0001_initial") in info.migrations

    # 1. into a fresh, empty database: every table, every row; the sessions left out
    fresh = restore_into_fresh(path, tmp_path, request)
    assert set(fresh) == set(before)
    assert fresh["django_session"] == []
    assert without_excluded(fresh) == without_excluded(before)

    # 2. into the migrated database it came from, after it changed: exactly the backup again
    from kehu.customers.models import Customer

    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_session")
    Customer.objects.filter(pk=Customer.objects.order_by("pk").first().pk).update(name="改过的名字")
    from django.contrib.auth.models import Group
    Group.objects.create(name="备份之后")
    assert without_excluded(django_snapshot()) != without_excluded(before)

    backup_restore(path=path)
    after = django_snapshot()
    assert set(after) == set(before)
    assert without_excluded(after) == without_excluded(before)
    assert Customer.objects.filter(name="改过的名字").count() == 0  # the ORM reads the restored rows


def test_system_restore_after_failure_leaves_database_unchanged(tmp_path):
    from kehu.customers.models import Customer
    from factories import CustomerFactory

    for i in range(3):
        CustomerFactory(name=f"客户{i}")
    path = tmp_path / "good"
    backup_create(path=path)
    CustomerFactory(name="备份后的客户")
    before = django_snapshot()

    broken = tmp_path / "broken"
    data = path.read_bytes()
    broken.write_bytes(data[: len(data) * 2 // 3])  # cut off: the data of some tables is missing
    with pytest.raises(BackupError):
        backup_restore(path=broken)
    assert django_snapshot() == before
    assert Customer.objects.filter(name="备份后的客户").exists()


def test_system_restore_refuses_newer_schema_other_backend_and_other_files(tmp_path):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO django_migrations (app, name, applied) VALUES ('customers', '9999_future', %s)",
                       ["2030-01-01 00:00:00+00:00"])
    newer = tmp_path / "newer"
    backup_create(path=newer)
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM django_migrations WHERE name = '9999_future'")
    before = django_snapshot()

    other = tmp_path / "other"
    other.write_bytes(b"PGDMP\x01\x0f" if connection.vendor == "sqlite" else b"SQLite format 3\x00" + b"\x00" * 100)
    text = tmp_path / "notes.txt"
    text.write_text("not a backup")

    with translation.override("en"):
        with pytest.raises(BackupError, match=r"newer version of Kehu .*customers\.9999_future"):
            backup_restore(path=newer)
        other_name = "PostgreSQL" if connection.vendor == "sqlite" else "SQLite"
        with pytest.raises(BackupError, match=rf"is a {other_name} backup, and this Kehu runs on"):
            backup_restore(path=other)
        with pytest.raises(BackupError, match="is not a Kehu backup"):
            backup_restore(path=text)
        with pytest.raises(BackupError, match="No backup file"):
            backup_restore(path=tmp_path / "missing")
    with translation.override("zh-hans"):
        with pytest.raises(BackupError, match="更新版本"):
            backup_restore(path=newer)
    assert django_snapshot() == before


# --- the commands -----------------------------------------------------------------------------

def test_admin_commands_ask_before_overwriting(tmp_path, monkeypatch):
    from factories import CustomerFactory
    from kehu.customers.models import Customer

    CustomerFactory(name="甲")
    path = tmp_path / "kehu.backup"
    out = StringIO()
    call_command("backup", str(path), stdout=out)  # a new file: no question
    assert path.exists()
    stamp = path.stat().st_mtime_ns

    answers = iter(["no", "no"])
    monkeypatch.setattr("builtins.input", lambda prompt="": next(answers))
    with translation.override("en"):
        with pytest.raises(CommandError, match="Cancelled"):
            call_command("backup", str(path))
        assert path.stat().st_mtime_ns == stamp
        CustomerFactory(name="乙")
        with pytest.raises(CommandError, match="Cancelled"):
            call_command("restore", str(path))
    assert Customer.objects.count() == 2

    call_command("restore", str(path), "--noinput", stdout=out)
    assert list(Customer.objects.values_list("name", flat=True)) == ["甲"]
    call_command("backup", str(path), "--noinput", stdout=out)
    assert path.stat().st_mtime_ns != stamp


# --- PostgreSQL's tools -----------------------------------------------------------------------

def test_system_missing_pg_tools_say_what_to_install(monkeypatch):
    from kehu.core import backup

    monkeypatch.setattr(backup.os, "access", lambda path, mode: False)  # no executable anywhere
    with translation.override("en"), pytest.raises(BackupError, match="pg_dump was not found. Install PostgreSQL's client"):
        backup.pg_tool("pg_dump", None)
    with translation.override("zh-hans"), pytest.raises(BackupError, match="找不到 PostgreSQL 的 pg_dump"):
        backup.pg_tool("pg_dump", None)


def test_system_pg_password_travels_in_environment_not_command_line(monkeypatch, tmp_path):
    import subprocess

    from kehu.core import backup

    seen = {}

    def fake_run(args, **kwargs):
        seen.update(args=args, env=kwargs["env"])
        return subprocess.CompletedProcess(args, 0, "", "")

    monkeypatch.setattr(backup.subprocess, "run", fake_run)
    monkeypatch.setattr(backup, "pg_tool", lambda name, settings_dict: f"/usr/bin/{name}")
    settings = {"ENGINE": "django.db.backends.postgresql", "NAME": "kehu", "USER": "kehu", "PASSWORD": "s3cret-密码",
                "HOST": "db.example", "PORT": "5433", "OPTIONS": {"sslmode": "require"}}
    backup._pg_dump(settings, str(tmp_path / "x.part"))
    assert not any("s3cret" in arg for arg in seen["args"])
    assert seen["env"]["PGPASSWORD"] == "s3cret-密码"
    assert (seen["env"]["PGHOST"], seen["env"]["PGPORT"], seen["env"]["PGUSER"], seen["env"]["PGDATABASE"],
            seen["env"]["PGSSLMODE"]) == ("db.example", "5433", "kehu", "kehu", "require")
    assert seen["args"][:2] == ["/usr/bin/pg_dump", "--format=custom"]
    assert "--exclude-table-data=django_session" in seen["args"]
