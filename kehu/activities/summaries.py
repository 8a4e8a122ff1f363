"""The follow-up summary (issue 12): logged follow-ups per owner × month × kind × visit level.

Counting follow-ups per rep for a month reads ~40,000 rows at 1,000,000 activities; seven months
(the follow-up drop) several seconds on SQLite. `ActivityMonth` holds the same counts per cell,
so a report reads whole months from it and only the partial months at a period's edges from the
rows (through the covering index `activity_logged_cover`).

The rule (docs/rules.md "### The follow-up summary"): a logged follow-up is Kehu's one definition
(`Activity`: status done with `at` set), counted for its owner in the month of `at` in the
company's time zone, whatever later became of the customer (recycle bin, merge). A lead-source
filter needs the customer, so a caller with one counts the rows itself (no summary).

Kept exactly equal on write: every path that creates, changes or deletes a logged activity (or
its owner, time, kind, level or status) calls `activity_months_refresh(cells=...)` in its own
transaction with the (owner, month) cells before and after; `activity_months_rebuild()` (a
`kehu daily` step, the benchmarks' seeders) recomputes everything and fixes what differs.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from django.db import transaction
from django.db.models import Count, IntegerField, Q, QuerySet, Sum, Value
from django.utils import timezone

from kehu.accounts.models import User
from kehu.activities.models import Activity, ActivityMonth
from kehu.core.dates import DATE_MAX, DATE_MIN, add_months, in_range

REBUILD_KEY = "activity_months"
GROUPS = ("owner", "kind", "visit_level", "month")
MONTHS_PER_QUERY = 120


def _start(day: date) -> datetime:
    """Local midnight at the start of `day`, aware (the company's time zone)."""
    return timezone.make_aware(datetime.combine(day, time.min))


def month_of(at: datetime) -> date | None:
    """The first day of the month of `at` in the company's time zone; None for a time outside the
    days Kehu accepts (kehu.core.dates: DATE_MIN..DATE_MAX) — only a row stored by hand has one,
    and the summary leaves it out."""
    try:
        day = timezone.localtime(at).date()
    except OverflowError:
        return None
    return day.replace(day=1) if in_range(day) else None


def _next_month(month: date) -> date:
    return add_months(month, 1).replace(day=1)


def logged() -> QuerySet:
    """Every logged follow-up (Activity's one definition)."""
    return Activity.objects.filter(status=Activity.Status.DONE, at__isnull=False)


def cell_of(activity: Activity) -> tuple[int, date] | None:
    """The (owner id, month) an activity counts in, None when it is not a logged follow-up."""
    if activity.status != Activity.Status.DONE or activity.at is None:
        return None
    month = month_of(activity.at)
    return (activity.owner_id, month) if month is not None else None


def _count_months(*, owner_ids, months: list[date]) -> dict[tuple[int, date, str, str], int]:
    """{(owner, month, kind, level): count} of the logged follow-ups of `owner_ids` in `months`,
    one query: GROUP BY (owner, kind, level) with a conditional count per month over ranges of
    `at` (no date function per row)."""
    if not months:
        return {}
    months = sorted(set(months))
    if len(months) > MONTHS_PER_QUERY:  # a long import: a query per 10 years of months, not thousands of columns
        out = {}
        for start in range(0, len(months), MONTHS_PER_QUERY):
            out.update(_count_months(owner_ids=owner_ids, months=months[start:start + MONTHS_PER_QUERY]))
        return out
    qs = logged().filter(at__gte=_start(months[0]), at__lt=_start(_next_month(months[-1])))
    if owner_ids is not None:
        qs = qs.filter(owner_id__in=list(owner_ids))
    counts = {f"m{i}": Count("id", filter=Q(at__gte=_start(m), at__lt=_start(_next_month(m)))) for i, m in enumerate(months)}
    out = {}
    for row in qs.order_by().values("owner_id", "kind", "visit_level").annotate(**counts):
        for i, m in enumerate(months):
            if row[f"m{i}"]:
                out[(row["owner_id"], m, row["kind"], row["visit_level"])] = row[f"m{i}"]
    return out


def activity_months_refresh(*, cells) -> int:
    """Recompute the summary of the (owner id, month) `cells` (month: any day of it; None cells
    are ignored) from the rows: one GROUP BY, then delete + bulk_create. Run it inside the
    transaction of the write that touched them. Returns the number of rows written."""
    cells = {(owner, day.replace(day=1)) for owner, day in (c for c in cells if c is not None) if owner is not None and day is not None}
    if not cells:
        return 0
    owners = {owner for owner, _m in cells}
    months = {m for _o, m in cells}
    with transaction.atomic():
        # Serialise refreshes per owner (PostgreSQL, READ COMMITTED): a concurrent write of the same
        # owner waits for this commit, then counts the rows with ours in them. SQLite writes one
        # transaction at a time anyway.
        list(User.objects.select_for_update().filter(pk__in=sorted(owners)).order_by("pk").values_list("pk", flat=True))
        counts = {k: n for k, n in _count_months(owner_ids=owners, months=list(months)).items() if (k[0], k[1]) in cells}
        by_month: dict[date, list[int]] = {}
        for owner, month in cells:
            by_month.setdefault(month, []).append(owner)
        for month, month_owners in by_month.items():  # a delete per month (an import touches thousands of cells)
            for start in range(0, len(month_owners), 500):
                ActivityMonth.objects.filter(month=month, owner_id__in=month_owners[start:start + 500]).delete()
        ActivityMonth.objects.bulk_create(
            [ActivityMonth(owner_id=o, month=m, kind=k, visit_level=lv, count=n) for (o, m, k, lv), n in counts.items()], batch_size=500,
        )
    return len(counts)


def activity_months_rebuild(*, now=None) -> int:
    """Recompute the whole summary from the rows and fix the cells that differ — normally none.
    Month by month (the months with rows, found by jumping over the empty ones on the index, and
    the months the summary has), each in its own short transaction: the users' rows locked first
    (PostgreSQL: the writes' refreshes wait; SQLite: the transaction takes the write lock), then
    one GROUP BY on the covering index, compared with the month's summary rows. The `kehu daily`
    safety net and the end of a bulk load. Returns the number of summary rows written or removed."""
    rows = logged().filter(at__gte=_start(DATE_MIN), at__lt=_start(DATE_MAX + timedelta(days=1))).order_by("at")
    months = set(ActivityMonth.objects.order_by().values_list("month", flat=True).distinct())
    following = rows.values_list("at", flat=True).first()
    while following is not None:
        month = month_of(following)
        months.add(month)
        following = rows.filter(at__gte=_start(_next_month(month))).values_list("at", flat=True).first() if month < DATE_MAX.replace(day=1) else None
    fixed = 0
    for month in sorted(months):
        with transaction.atomic():
            list(User.objects.select_for_update().order_by("pk").values_list("pk", flat=True))
            fresh = _count_months(owner_ids=None, months=[month]) if DATE_MIN <= month <= DATE_MAX else {}
            kept = {(r.owner_id, r.month, r.kind, r.visit_level): (r.pk, r.count) for r in ActivityMonth.objects.filter(month=month)}
            stale = [pk for key, (pk, n) in kept.items() if fresh.get(key) != n]
            missing = [key for key, n in fresh.items() if key not in kept or kept[key][1] != n]
            for start in range(0, len(stale), 500):
                ActivityMonth.objects.filter(pk__in=stale[start:start + 500]).delete()
            ActivityMonth.objects.bulk_create(
                [ActivityMonth(owner_id=o, month=m, kind=k, visit_level=lv, count=fresh[(o, m, k, lv)]) for o, m, k, lv in missing], batch_size=500,
            )
            fixed += len(stale) + len(missing)
    return fixed


def daily_rebuild(*, now) -> int:
    """`kehu daily` step: the summary checked against the rows (rows fixed; normally 0)."""
    return activity_months_rebuild(now=now)


# --- reading ----------------------------------------------------------------------------------

def _split(date_from: date, date_to: date) -> tuple[list[date], list[tuple[date, date]]]:
    """The whole months inside date_from..date_to (inclusive) and the partial pieces at the
    edges as (first day, last day) — at most two."""
    whole, edges = [], []
    month = date_from.replace(day=1)
    while month <= date_to:
        end = _next_month(month) - timedelta(days=1)
        lo, hi = max(month, date_from), min(end, date_to)
        if lo == month and hi == end:
            whole.append(month)
        else:
            edges.append((lo, hi))
        month = _next_month(month)
    return whole, edges


def followup_counts(*, date_from: date, date_to: date, owner_ids=None, by=("owner", "kind")) -> dict[tuple, int]:
    """{key: count} of the follow-ups logged date_from..date_to (days of the company's time zone,
    both inclusive), key = the values of `by` in its order — any of "owner" (user id), "kind",
    "visit_level" ("" when none), "month" (its first day). `owner_ids`: only those owners (ids or
    a queryset of ids). Whole months come from the summary (ActivityMonth), the partial months at
    the edges from the rows (covering index): at most two queries, exactly the live count. No
    lead-source filter here: a caller that narrows to a source counts the rows itself. Cells
    without follow-ups are absent."""
    by = tuple(by)
    date_from, date_to = max(date_from, DATE_MIN), min(date_to, DATE_MAX)  # the days Kehu accepts, as the summary
    if not by:
        raise ValueError("followup_counts: group by at least one of " + ", ".join(GROUPS))
    unknown = set(by) - set(GROUPS)
    if unknown:
        raise ValueError(f"followup_counts: cannot group by {sorted(unknown)}")
    if date_to < date_from:
        return {}
    whole, edges = _split(date_from, date_to)
    out: dict[tuple, int] = {}

    def add(values: dict, n: int) -> None:
        if n:
            key = tuple(values[g] for g in by)
            out[key] = out.get(key, 0) + n

    if whole:
        qs = ActivityMonth.objects.filter(month__in=whole)
        if owner_ids is not None:
            qs = qs.filter(owner_id__in=owner_ids)
        fields = [{"owner": "owner_id"}.get(g, g) for g in by]
        for row in qs.order_by().values(*fields).annotate(n=Sum("count")):
            add({g: row[{"owner": "owner_id"}.get(g, g)] for g in by}, row["n"])
    if edges:
        # One GROUP BY per edge (each a range on the covering index), sent as one UNION ALL.
        fields = [{"owner": "owner_id"}.get(g, g) for g in by if g != "month"] or ["status"]  # "status": one constant group
        parts = []
        for i, (lo, hi) in enumerate(edges):
            qs = logged().filter(at__gte=_start(lo), at__lt=_start(hi + timedelta(days=1)))
            if owner_ids is not None:
                qs = qs.filter(owner_id__in=owner_ids)
            parts.append(qs.order_by().values(*fields).annotate(edge=Value(i, output_field=IntegerField()), n=Count("id")).values(*fields, "edge", "n"))
        rows = parts[0].union(*parts[1:], all=True) if len(parts) > 1 else parts[0]
        for row in rows:
            values = {g: row[{"owner": "owner_id"}.get(g, g)] for g in by if g != "month"}
            values["month"] = edges[row["edge"]][0].replace(day=1)
            add(values, row["n"])
    return out

