"""Two users saving at once on SQLite wait for each other instead of failing "database is locked".

Each of two processes runs 50 small read-then-write transactions against one database file,
with the project's own SQLite settings (WAL, transaction_mode IMMEDIATE, busy timeout). The
control run with SQLite's default DEFERRED mode shows the failure the settings prevent.
"""

import os
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path


ROOT = Path(__file__).resolve().parents[3]

WORKER = textwrap.dedent(
    """
    import os, sys, time
    from pathlib import Path
    import django
    from django.conf import settings
    from config import settings as project

    db = dict(project.DATABASES["default"])
    mode = os.environ.get("WORKER_TRANSACTION_MODE")
    if mode:
        db["OPTIONS"] = {**db["OPTIONS"], "transaction_mode": mode}
    settings.configure(DATABASES={"default": db}, INSTALLED_APPS=[], USE_TZ=True)
    django.setup()
    from django.db import connection, transaction

    connection.ensure_connection()
    go = Path(os.environ["WORKER_GO_FILE"])
    Path(str(go) + "." + str(os.getpid())).touch()
    while not go.exists():
        time.sleep(0.005)
    errors = 0
    for _ in range(50):
        try:
            with transaction.atomic():
                with connection.cursor() as cursor:
                    cursor.execute("SELECT COALESCE(MAX(n), 0) FROM counter")
                    last = cursor.fetchone()[0]
                    time.sleep(0.002)
                    cursor.execute("INSERT INTO counter (n, who) VALUES (%s, %s)", [last + 1, os.getpid()])
        except Exception as exc:  # the failure under test: "database is locked"
            errors += 1
            print(type(exc).__name__, exc, file=sys.stderr)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        print(cursor.fetchone()[0])
    sys.exit(1 if errors else 0)
    """
)


def _race(tmp_path, mode=None):
    path = tmp_path / "race.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE counter (n INTEGER NOT NULL UNIQUE, who INTEGER NOT NULL)")
    go = tmp_path / "go"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({"KEHU_SQLITE_PATH": str(path), "KEHU_VAR_DIR": str(tmp_path), "WORKER_GO_FILE": str(go)})
    if mode:
        env["WORKER_TRANSACTION_MODE"] = mode
    workers = [
        subprocess.Popen([sys.executable, "-c", WORKER], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(2)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("go.*"))) < len(workers) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    results = [(w.wait(timeout=120), *w.communicate()) for w in workers]
    with sqlite3.connect(path) as conn:
        rows = [n for (n,) in conn.execute("SELECT n FROM counter ORDER BY n")]
        writers = conn.execute("SELECT COUNT(DISTINCT who) FROM counter").fetchone()[0]
    return results, rows, writers


def test_two_writers_at_once_never_get_database_is_locked(tmp_path):
    results, rows, writers = _race(tmp_path)
    for code, out, err in results:
        assert code == 0, err
        assert "database is locked" not in err
        assert out.strip() == "wal"
    # Every transaction committed, and none read a stale value (n is unique and gap-free).
    assert rows == list(range(1, 101))
    assert writers == 2


def test_control_deferred_transactions_do_get_database_is_locked(tmp_path):
    """Without IMMEDIATE the same race fails: the test above can tell the difference."""
    results, rows, _writers = _race(tmp_path, mode="DEFERRED")
    errors = "".join(err for _code, _out, err in results)
    assert any(code != 0 for code, _out, _err in results)
    assert "database is locked" in errors
    assert len(rows) < 100


CONNECTOR = textwrap.dedent(
    """
    import os, time
    from pathlib import Path
    import django
    from django.conf import settings
    from config import settings as project

    settings.configure(DATABASES={"default": project.DATABASES["default"]}, INSTALLED_APPS=[], USE_TZ=True)
    django.setup()
    from django.db import connection

    go = Path(os.environ["WORKER_GO_FILE"])
    Path(str(go) + "." + str(os.getpid())).touch()
    while not go.exists():
        time.sleep(0.001)
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode")
        print(cursor.fetchone()[0])
    """
)


def test_processes_opening_a_fresh_database_together_all_get_wal(tmp_path):
    """Switching a new file to WAL needs it alone; workers starting at once must not fail "locked"."""
    path = tmp_path / "fresh.sqlite3"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE t (n INTEGER)")
    conn.close()
    go = tmp_path / "go"
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "DJANGO_SETTINGS_MODULE"}}
    env.update({"KEHU_SQLITE_PATH": str(path), "KEHU_VAR_DIR": str(tmp_path), "WORKER_GO_FILE": str(go)})
    workers = [
        subprocess.Popen([sys.executable, "-c", CONNECTOR], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        for _ in range(12)
    ]
    deadline = time.monotonic() + 60
    while len(list(tmp_path.glob("go.*"))) < len(workers) and time.monotonic() < deadline:
        time.sleep(0.01)
    go.touch()
    for worker in workers:
        code = worker.wait(timeout=60)
        out, err = worker.communicate()
        assert code == 0, err
        assert out.strip() == "wal"
