"""Database upkeep that keeps query plans good as tables grow."""

from django.db import connection


def refresh_statistics() -> int:
    """Refresh the planner's statistics (SQLite ANALYZE with a sampling limit, PostgreSQL
    ANALYZE). Without them SQLite may sort a whole 100,000-row table for a 50-row page.
    Cheap enough to run after every import and from `kehu daily`. Returns 1."""
    with connection.cursor() as cursor:
        if connection.vendor == "sqlite":
            cursor.execute("PRAGMA analysis_limit=1000")
            cursor.execute("ANALYZE")
        elif connection.vendor == "postgresql":
            cursor.execute("ANALYZE")
    return 1
