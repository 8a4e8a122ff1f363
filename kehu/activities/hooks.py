"""Extension points of activities for the apps above it (sales, finance, ranking): typed
hooks (kehu.core.hooks.Hook), registered from each app's `AppConfig.ready()`.

The customer timeline (`selectors.customer_timeline`) merges the entries of every function
in TIMELINE_SOURCES with its own (activities, planned follow-ups, stage changes, pool
claims and returns, handovers, merges). A later app registers its source — quotes, orders,
payments, evaluation results:

    from kehu.activities.hooks import TIMELINE_SOURCES, TimelineEntry

    def quote_entries(*, customer, user, limit):
        return [TimelineEntry(at=q.created_at, kind="quote", icon="📄", label=..., text=..., url=...)
                for q in Quote.objects.visible_to(user).filter(customer=customer)[:limit]]

    TIMELINE_SOURCES.register(quote_entries)

A source gets a customer its caller already fetched through the visibility scope, starts
its own query from `visible_to(user)` as well, returns at most `limit` entries and runs a
fixed number of queries (one is usual), whatever the number of rows: the timeline's query
count is pinned in tests. Registering twice adds nothing (Hook is idempotent).
"""

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from kehu.core.hooks import Hook


@dataclass
class TimelineEntry:
    """One line of a customer's timeline, newest first by `at`.

    kind: a short code ("activity", "planned", "stage", "pool", "handover", "merge", "quote" …)
    icon: one character or emoji shown in the margin;
    label: what happened ("Visit · Leadership"); text: the details (a summary, "Prospect → Qualified");
    url: a page about it, or ""; by: who did it (display text);
    badge / badge_class: a short state ("Overdue", "text-bg-danger");
    extra: more lines of text (an outcome, a contact); obj: the record, for the actions the
    template offers on it (activities only).
    """

    at: datetime
    kind: str
    icon: str
    label: str
    text: str = ""
    url: str = ""
    by: str = ""
    badge: str = ""
    badge_class: str = "text-bg-secondary"
    extra: list[str] = field(default_factory=list)
    obj: Any = None
    when: str = ""  # `at` as the page shows it; set by customer_timeline (selectors.moment_text)


# fn(*, customer, user, limit) -> list[TimelineEntry]
TIMELINE_SOURCES: Hook[Callable[..., list[TimelineEntry]]] = Hook("activities.timeline_sources")

# fn(*, customer_ids) -> {customer_id: required visit interval in days (None or 0: no visit required)};
# the first provider that names a customer wins (the ranking app's tier policies), else the company setting.
VISIT_INTERVAL_PROVIDERS: Hook[Callable[..., dict[int, int | None]]] = Hook("activities.visit_interval_providers")

# Keyed by notification kind: fn(notification) -> the sentence it reads as, in the active
# language (kinds added by later apps: approvals, credit holds, anomaly alerts).
#     NOTIFICATION_RENDERERS.register(render_quote_approval, key="quote_approval")
NOTIFICATION_RENDERERS: Hook[Callable[[Any], str]] = Hook("activities.notification_renderers")
