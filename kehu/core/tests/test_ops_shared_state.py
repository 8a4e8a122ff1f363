"""Sessions and the cache work across app servers (issue 15, ops): both live in the database, so
what one server process writes another reads. `migrate` creates the cache's table."""

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from django.core.cache import cache
from django.db import connection

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.django_db(transaction=True)

OTHER_SERVER = """
import json
from django.contrib.sessions.backends.db import SessionStore
from django.core.cache import cache
session = SessionStore(session_key={key!r})
print(json.dumps({{"user": session.get("_auth_user_id"), "cached": cache.get("ops.shared")}}))
"""


def test_system_settings_share_sessions_and_cache():
    assert settings.SESSION_ENGINE == "django.contrib.sessions.backends.db"
    assert settings.CACHES["default"]["BACKEND"] == "django.core.cache.backends.db.DatabaseCache"
    assert settings.CACHES["default"]["LOCATION"] in connection.introspection.table_names()  # made by migrate


def test_rep_session_and_cache_of_one_server_read_by_another(client, rep_a, tmp_path):
    client.force_login(rep_a)
    key = client.cookies[settings.SESSION_COOKIE_NAME].value
    cache.set("ops.shared", {"值": 42}, 600)

    env = {k: v for k, v in os.environ.items() if k not in ("KEHU_REPLICA_URLS",)}
    if connection.vendor == "sqlite":
        # the test database lives in this process's memory: hand the other server a copy of it
        copy = tmp_path / "shared.sqlite3"
        target = sqlite3.connect(copy)
        connection.ensure_connection()
        connection.connection.backup(target)
        target.close()
        env.pop("DATABASE_URL", None)
        env.update(KEHU_SQLITE_PATH=str(copy), KEHU_VAR_DIR=str(tmp_path / "var"))
    else:
        s = connection.settings_dict
        env["DATABASE_URL"] = f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"
    done = subprocess.run([sys.executable, "-m", "kehu.cli", "shell", "-c", OTHER_SERVER.format(key=key)],
                          cwd=ROOT, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    seen = json.loads(done.stdout.strip().splitlines()[-1])
    assert seen == {"user": str(rep_a.pk), "cached": {"值": 42}}
