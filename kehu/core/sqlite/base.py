"""SQLite backend that switches a new database file to WAL safely when processes start together.

``PRAGMA journal_mode=WAL`` needs the database to itself, and SQLite answers "database is
locked" at once, without waiting out the busy timeout, when another process is connecting at
the same moment (two gunicorn workers on a fresh file). The mode is persistent, so it is set
once: read it, and only when it is not WAL yet switch, retrying for the busy timeout.
"""

import sqlite3
import time

from django.db.backends.sqlite3 import base


class DatabaseWrapper(base.DatabaseWrapper):
    def get_new_connection(self, conn_params):
        conn = super().get_new_connection(conn_params)
        if not self.creation.is_in_memory_db(conn_params["database"]):
            self._ensure_wal(conn, conn_params.get("timeout", 5))
        return conn

    @staticmethod
    def _ensure_wal(conn, timeout):
        deadline = time.monotonic() + timeout
        while True:
            try:
                if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
                    return
                conn.execute("PRAGMA journal_mode=WAL")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() > deadline:
                    raise
                time.sleep(0.02)
