"""Read replicas (issue 15, ops): which database a query goes to.

`KEHU_REPLICA_URLS` (comma-separated PostgreSQL URLs) adds the aliases `replica1`, `replica2`, …
(settings.KEHU_REPLICA_ALIASES). The rule, in one place:

- Every write goes to the primary (`default`), and so do migrations (never a replica).
- Every read goes to the primary too, unless `ReplicaMiddleware` marked the request as a *report
  or export read* (`replica_reads`): a GET or HEAD of a report page or an export
  (`REPLICA_ROUTES`, and any URL whose name ends in "export"), from a session that has not
  written in the last KEHU_REPLICA_PIN_SECONDS seconds (read-your-writes: the middleware marks
  a session when it sends a POST, PUT, PATCH or DELETE, or when a GET wrote).
- Even then these stay on the primary: a read inside a transaction on the primary, any read
  after the request wrote (an INSERT, UPDATE, DELETE or DDL seen on the primary's connection), and the sessions, the login lock, the cache and the task queue
  (`PRIMARY_ONLY_APPS`: they are read to be written).
- The background worker, `kehu daily`, every other command and the API never pass the middleware's
  mark, so they read the primary.
- Raw SQL of a report reads through `read_connection()` (the same rule); other raw SQL (the
  header's counts, the search) reads the primary.
- A replica that cannot be reached: the request reads the primary (logged as a warning).

Which replica: the same one for a user each time (a hash of the user id), so that two pages in a
row never go back in time between replicas of different lag.
"""

from __future__ import annotations

import logging
import re
import time
import zlib
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

log = logging.getLogger(__name__)

# The report pages (their XLSX/CSV exports are caught by the name rule below).
REPLICA_ROUTES = frozenset({
    "reports:funnel", "reports:sources", "reports:activity", "reports:what-it-takes", "reports:anomalies",
    "reports:wallet", "reports:factors",
    "ranking:pyramid", "ranking:value", "ranking:key-accounts", "ranking:run-compare",
    "finance:aging", "finance:commission",
    "planning:attainment", "planning:accuracy",
})
PRIMARY_ONLY_APPS = frozenset({"sessions", "axes", "django_cache", "django_tasks_database", "django_tasks_db"})
SESSION_KEY = "kehu_wrote_at"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


@dataclass
class ReadState:
    """The request's routing: the replica alias it may read from (None: the primary), and
    whether it wrote (then every later read goes to the primary)."""

    replica: str | None = None
    wrote: bool = False


_state: ContextVar[ReadState | None] = ContextVar("kehu_read_state", default=None)


def replica_aliases() -> list[str]:
    return list(getattr(settings, "KEHU_REPLICA_ALIASES", []))


def pin_seconds() -> int:
    return int(getattr(settings, "KEHU_REPLICA_PIN_SECONDS", 10))


def is_replica_route(match) -> bool:
    """Whether a resolved URL is a report page or an export (the pages a replica may serve)."""
    if match is None or not match.url_name:
        return False
    return match.view_name in REPLICA_ROUTES or match.url_name.endswith("export")


def choose_replica(key) -> str | None:
    aliases = replica_aliases()
    if not aliases:
        return None
    return aliases[zlib.crc32(str(key).encode()) % len(aliases)]


def replica_usable(alias: str) -> bool:
    try:
        connections[alias].ensure_connection()
        return True
    except DatabaseError:
        log.warning("read replica %s unreachable: reading from the primary", alias, exc_info=True)
        return False


WRITE_STATEMENT = re.compile(r"\s*(INSERT|UPDATE|DELETE|MERGE|CREATE|ALTER|DROP|TRUNCATE)\b", re.IGNORECASE)
CTE_WRITE = re.compile(r"\b(INSERT|UPDATE|DELETE)\b", re.IGNORECASE)


class WriteWatcher:
    """An execute wrapper of the primary's connection: marks the request as having written at its
    first INSERT, UPDATE, DELETE or DDL (a `get_or_create` that finds its row writes nothing)."""

    def __init__(self, state: ReadState):
        self.state = state

    def __call__(self, execute, sql, params, many, context):
        if not self.state.wrote and isinstance(sql, str) and (
                WRITE_STATEMENT.match(sql) or (sql.lstrip()[:4].upper() == "WITH" and CTE_WRITE.search(sql))):
            self.state.wrote = True
        return execute(sql, params, many, context)


@contextmanager
def replica_reads(alias: str | None, *, watch: bool = True):
    """Within the block, reads may go to `alias` (None: the primary) until the block writes to the
    primary (`watch`: an execute wrapper spots the write); restores the previous state."""
    state = ReadState(replica=alias)
    token = _state.set(state)
    try:
        if watch:
            with connections[DEFAULT_DB_ALIAS].execute_wrapper(WriteWatcher(state)):
                yield state
        else:
            yield state
    finally:
        _state.reset(token)


def current_state() -> ReadState | None:
    return _state.get()


def read_connection():
    """The connection for a raw-SQL read (`with read_connection().cursor() as cursor`): the
    request's replica where the router would send an ORM read there, the primary otherwise."""
    state = _state.get()
    if state is None or state.replica is None or state.wrote or connections[DEFAULT_DB_ALIAS].in_atomic_block:
        return connections[DEFAULT_DB_ALIAS]
    return connections[state.replica]


class PrimaryReplicaRouter:
    """Writes, migrations and most reads: the primary; report and export reads: a replica."""

    def db_for_read(self, model, **hints):
        state = _state.get()
        if state is None or state.replica is None or state.wrote:
            return DEFAULT_DB_ALIAS
        if model._meta.app_label in PRIMARY_ONLY_APPS:
            return DEFAULT_DB_ALIAS
        if connections[DEFAULT_DB_ALIAS].in_atomic_block:
            return DEFAULT_DB_ALIAS
        return state.replica

    def db_for_write(self, model, **hints):
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # the replicas hold the primary's rows: one database for relations

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


class ReplicaMiddleware:
    """Marks report and export reads for a replica, and sessions that wrote for the primary.

    After the session and the user are loaded (from the primary): a GET/HEAD of a replica route,
    from a session that has not written within KEHU_REPLICA_PIN_SECONDS, reads from a replica.
    A request with another method, or one that wrote to the primary, stamps the session: its
    pages read the primary for the next KEHU_REPLICA_PIN_SECONDS seconds."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        alias = None
        if replica_aliases() and request.method in {"GET", "HEAD"}:
            alias = self._replica_for(request)
        with replica_reads(alias, watch=bool(replica_aliases())) as state:
            response = self.get_response(request)
        if request.method not in SAFE_METHODS or state.wrote:
            self._stamp(request)
        return response

    def _replica_for(self, request) -> str | None:
        from django.urls import Resolver404, resolve

        try:
            match = resolve(request.path_info)
        except Resolver404:
            return None
        if not is_replica_route(match):
            return None
        session = getattr(request, "session", None)
        if session is not None:
            wrote_at = session.get(SESSION_KEY)
            if wrote_at is not None and time.time() - wrote_at < pin_seconds():
                return None
        user = getattr(request, "user", None)
        key = user.pk if user is not None and user.is_authenticated else ""  # loads the user from the primary
        alias = choose_replica(key)
        return alias if alias and replica_usable(alias) else None

    @staticmethod
    def _stamp(request) -> None:
        session = getattr(request, "session", None)
        user = getattr(request, "user", None)
        # signed-in sessions only: a log-out's fresh session (or an API token's) gets no stamp
        if session is not None and user is not None and user.is_authenticated and replica_aliases():
            session[SESSION_KEY] = time.time()
