"""The stage-entry summary (`CustomerStageMonth`, docs/rules.md "### The stage-entry summary").

"Distinct customers who moved into a stage in a period, counted for the customer's owner now,
customers in the recycle bin or merged away left out" (rep activity's prospects and qualified,
what it takes's 12-month history) read ~47,000 stage changes at 100,000 customers, each joined to
its customer for the owner. The summary holds one row per alive customer × stage × month it moved
into that stage in (the company's time zone), with the customer's owner now and the previous
month it moved into the same stage: the distinct customers of whole months [A, B) are the rows of
those months whose `previous` is None or before A (a customer's first month in the window) —
read from the covering index `stagemonth_read` (stage, owner, month, previous: grouped in its order, no sort), no join. A window that is not whole months (an
ISO week, a period from the 15th) or a lead-source filter is counted from the stage changes.

Kept exactly equal, in the writer's transaction, by `stage_months_refresh(customer_ids=…)`
(recomputes those customers' rows from their stage changes and their owner and recycle-bin state
now) on every path that writes a stage change or changes a customer's owner, recycle bin or merge
state: customers.services (create, stage by hand or derived, delete, restore, merge, claim,
release and the pool's returns, handover) and the customers importer. `stage_months_rebuild()`
compares everything and fixes what differs: `kehu daily`, `kehu summaries rebuild`, the seeders.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, time

from django.db import transaction
from django.db.models import Count, Q
from django.utils import timezone

from kehu.core.dates import in_range

BATCH = 500  # customers per refresh statement
REBUILD_BATCH = 5000  # customers per rebuild comparison (an id range)
REBUILD_KEY = "stage_months"
CHECKED = "stage_months_checked"


def month_of(at: datetime) -> date | None:
    """First day of the month of `at` in the company's time zone; None outside Kehu's dates."""
    try:
        day = timezone.localtime(at).date()
    except OverflowError:
        return None
    return day.replace(day=1) if in_range(day) else None


def _chunks(values: list, size: int) -> Iterable[list]:
    for i in range(0, len(values), size):
        yield values[i:i + size]


def _expected(customers: dict[int, int | None], changes: Iterable[tuple[int, str, datetime]]) -> dict[tuple, tuple]:
    """{(customer, stage, month): (owner, previous)} of the alive `customers` ({id: owner id})
    from their stage changes (customer, to_stage, at)."""
    months: dict[tuple[int, str], set] = {}
    for customer_id, stage, at in changes:
        if customer_id not in customers:
            continue
        month = month_of(at)
        if month is not None:
            months.setdefault((customer_id, stage), set()).add(month)
    out = {}
    for (customer_id, stage), ms in months.items():
        previous = None
        for month in sorted(ms):
            out[(customer_id, stage, month)] = (customers[customer_id], previous)
            previous = month
    return out


def _alive(qs) -> dict[int, int | None]:
    return dict(qs.filter(is_deleted=False, merged_into__isnull=True).order_by().values_list("pk", "owner_id"))


def stage_months_refresh(*, customer_ids: Iterable[int]) -> int:
    """Recompute the summary rows of `customer_ids` from their stage changes and their owner and
    state now, and replace them. Call it inside the transaction of the write (the customers' rows
    are locked first, so two writers of one customer refresh one after the other). Returns the
    rows written."""
    from kehu.customers.models import Customer, CustomerStageChange, CustomerStageMonth

    ids = sorted({int(pk) for pk in customer_ids})
    written = 0
    with transaction.atomic():
        for batch in _chunks(ids, BATCH):
            alive = {pk: owner_id for pk, owner_id, deleted, merged_into in Customer.objects.select_for_update().filter(pk__in=batch)
                     .order_by("pk").values_list("pk", "owner_id", "is_deleted", "merged_into_id") if not deleted and merged_into is None}
            changes = CustomerStageChange.objects.filter(customer_id__in=list(alive)).order_by().values_list("customer_id", "to_stage", "at") if alive else []
            rows = _expected(alive, changes)
            CustomerStageMonth.objects.filter(customer_id__in=batch).delete()
            if rows:
                CustomerStageMonth.objects.bulk_create(
                    [CustomerStageMonth(customer_id=c, stage=s, month=m, owner_id=o, previous=p) for (c, s, m), (o, p) in rows.items()],
                    batch_size=1000)
            written += len(rows)
    return written


def stage_months_add_new(rows: Iterable[tuple[int, int | None, str, datetime]]) -> int:
    """The rows of customers just created with their one stage change (customer id, owner id,
    stage, at) — no earlier row to replace (the customers importer, which writes thousands)."""
    from kehu.customers.models import CustomerStageMonth

    made = [CustomerStageMonth(customer_id=c, owner_id=o, stage=s, month=month_of(at), previous=None) for c, o, s, at in rows
            if month_of(at) is not None]
    CustomerStageMonth.objects.bulk_create(made, batch_size=1000)
    return len(made)


def stage_months_rebuild(*, now=None) -> int:
    """Compare every customer's rows with its stage changes, a range of ids at a time, and rewrite
    the rows of each customer that differs. Returns the customers corrected (0 when exact)."""
    from kehu.customers.models import Customer, CustomerStageChange, CustomerStageMonth

    bounds = Customer.objects.order_by("pk").values_list("pk", flat=True)
    first, last = bounds.first(), bounds.last()
    if first is None:
        return 0
    corrected = 0
    lo = first
    while lo <= last:
        hi = lo + REBUILD_BATCH
        alive = _alive(Customer.objects.filter(pk__gte=lo, pk__lt=hi))
        expected = _expected(alive, CustomerStageChange.objects.filter(customer_id__gte=lo, customer_id__lt=hi).order_by()
                             .values_list("customer_id", "to_stage", "at"))
        stored = {(c, s, m): (o, p) for c, s, m, o, p in CustomerStageMonth.objects.filter(customer_id__gte=lo, customer_id__lt=hi)
                  .values_list("customer_id", "stage", "month", "owner_id", "previous")}
        wrong = {key[0] for key in expected.keys() | stored.keys() if expected.get(key) != stored.get(key)}
        if wrong:
            stage_months_refresh(customer_ids=wrong)
            corrected += len(wrong)
        lo = hi
    return corrected


def daily_stage_months(*, now) -> int:
    """The `kehu daily` step: once a day, the summary checked; returns the customers corrected."""
    from kehu.core.sequences import once_a_day

    return once_a_day(CHECKED, now=now, work=lambda: stage_months_rebuild(now=now))


def whole_months(begin: datetime, end: datetime) -> tuple[date, date] | None:
    """(first month, month after the last) when [begin, end) are local midnights on the first of
    a month (whole months); else None."""
    b, e = timezone.localtime(begin), timezone.localtime(end)
    if b.time() != time.min or e.time() != time.min or b.day != 1 or e.day != 1 or b >= e:
        return None
    return b.date(), e.date()


def stage_entry_counts(*, first: date, after: date, stages, owner_ids=None) -> dict[int | None, dict[str, int]]:
    """{owner id (None: the pool): {stage: distinct alive customers owned now who moved into it in
    the whole months [first, after)}} for `stages`, optionally only `owner_ids`. One query."""
    from kehu.customers.models import CustomerStageMonth

    qs = CustomerStageMonth.objects.filter(Q(previous__isnull=True) | Q(previous__lt=first), month__gte=first, month__lt=after,
                                           stage__in=list(stages))
    if owner_ids is not None:
        qs = qs.filter(owner_id__in=sorted(owner_ids))
    out: dict[int | None, dict[str, int]] = {}
    for owner_id, stage, n in qs.order_by().values("owner_id", "stage").annotate(n=Count("pk")).values_list("owner_id", "stage", "n"):
        out.setdefault(owner_id, {})[stage] = n
    return out
