from collections.abc import Callable
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import EmptyResultSet
from django.db import connection

from kehu.core.hooks import Hook


def kehu(request):
    return {"LANGUAGES": settings.LANGUAGES, "KEHU_PRODUCTION": settings.PRODUCTION}


# --- the header's counts ------------------------------------------------------------------------

@dataclass(frozen=True)
class HeaderCount:
    """A count the header shows (the bell's unread notifications, the Sales menu's approvals):
    `shows(user)` whether this user's header has it, `queryset(user)` the rows it counts (cut at
    the badge's cap: the count is `queryset.count()`)."""

    key: str
    shows: Callable
    queryset: Callable


# Registered by the apps that own the counts (kehu.activities.wiring), in the header's order.
HEADER_COUNTS: Hook[HeaderCount] = Hook("core.header_counts")


class HeaderBadges:
    """The header's counts for one request (issue 13: a search page within 20 ms), read when the
    header first shows one — ALL of them by ONE query (a manager's or an admin's page asked two
    before) — or by a page's own one query: `union_parts()` gives each count as a part of a
    kehu.core.union read, `provide()` takes what it read. Each count is the query it was (the same
    rows, the same cap), so the numbers are the same. One per request (`for_request`)."""

    def __init__(self, user):
        self.user = user
        self.values = {}

    @classmethod
    def for_request(cls, request):
        badges = getattr(request, "_kehu_header_badges", None)
        if badges is None or badges.user is not request.user:
            badges = cls(request.user)
            request._kehu_header_badges = badges
        return badges

    def counts(self) -> list[HeaderCount]:
        user = self.user
        if not (user and user.is_authenticated):
            return []
        return [count for count in HEADER_COUNTS if count.shows(user)]

    def sql_parts(self, start: int = 0) -> list[tuple[str, int, str, list]]:
        """(key, number, `SELECT COUNT(*) …` SQL, params) of each count not read yet, numbered
        from `start`. A count whose scope sees nothing is 0 here (no SQL)."""
        parts = []
        for number, count in enumerate(self.counts(), start=start):
            if count.key in self.values:
                continue
            try:
                sql, params = count.queryset(self.user).values("pk").query.sql_with_params()
            except EmptyResultSet:
                self.values[count.key] = 0
                continue
            parts.append((count.key, number, f"SELECT COUNT(*) FROM ({sql}) counted", list(params)))
        return parts

    def union_parts(self, start: int) -> list[tuple]:
        """The counts not read yet as parts of a page's one query (kehu.core.union)."""
        from kehu.core.union import scalar_part

        return [scalar_part(key, number, sql, params) for key, number, sql, params in self.sql_parts(start)]

    def provide(self, found: dict) -> None:
        """Take the counts a page's one query read (kehu.core.union.read_union: the count is the
        row's `pk`)."""
        for count in self.counts():
            rows = found.get(count.key)
            if rows:
                self.values[count.key] = int(rows[0][3])

    def read(self) -> None:
        """Read every count not known yet, in one query."""
        parts = self.sql_parts()
        if not parts:
            return
        with connection.cursor() as cursor:
            cursor.execute("SELECT " + ", ".join(f"({sql})" for _key, _number, sql, _params in parts),
                           [p for _key, _number, _sql, params in parts for p in params])
            for (key, *_rest), value in zip(parts, cursor.fetchone(), strict=True):
                self.values[key] = int(value)

    def count(self, key: str) -> int:
        """The count `key` (0 when this user's header does not show it)."""
        if key not in self.values:
            if key not in {count.key for count in self.counts()}:
                return 0
            self.read()
        return self.values[key]
