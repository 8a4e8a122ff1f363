"""Follow-up counts per rep at the scale of issue 12: the rows (the code before the follow-up
summary) against `kehu.activities.summaries.followup_counts` (the summary, edges from the rows).

    .venv/bin/python -m benchmarks.followups [--db /tmp/kehu-reports-actsum.sqlite3] [--repeat 9] [--old-only]

Works on a SQLite file seeded by `benchmarks/reports.py` (a COPY of it: `migrate` runs first and
adds the covering index and the summary, filled by the migration). `--old-only` measures the row
queries without migrating (the state before). Times, as the director (every rep): the follow-up
drop (`followup_anomalies`, the month just ended and the 6 before) and the rep activity page's
follow-up columns for this month, last month and last quarter; median milliseconds. Not part of
the test run.
"""

import argparse
import os
import statistics
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def timed(fn, repeat):
    fn()  # warm the cache
    timings = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        timings.append(time.perf_counter() - start)
    return statistics.median(timings) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--db", default="/tmp/kehu-reports-actsum.sqlite3")
    parser.add_argument("--repeat", type=int, default=9)
    parser.add_argument("--old-only", action="store_true", help="do not migrate: the row queries only")
    args = parser.parse_args()
    os.environ.pop("DATABASE_URL", None)
    os.environ["KEHU_SQLITE_PATH"] = args.db
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db.models import Count, Q
    from django.utils import timezone

    from kehu.accounts.models import User
    from kehu.activities.agenda import day_start
    from kehu.activities.models import Activity
    from kehu.core.dates import add_months
    from kehu.planning.periods import parse_period

    if not args.old_only:
        start = time.perf_counter()
        call_command("migrate", "activities", verbosity=0)
        print(f"migrate (covering index + summary filled): {time.perf_counter() - start:.1f} s")
        from kehu.activities.summaries import activity_months_rebuild

        start = time.perf_counter()
        fixed = activity_months_rebuild()
        print(f"activity_months_rebuild: {time.perf_counter() - start:.1f} s, {fixed} cells fixed")

    reps = list(User.objects.filter(role=User.Role.REP).values_list("pk", flat=True))
    today = timezone.localdate()
    this_month = today.replace(day=1)
    last_month = add_months(this_month, -1)
    q = (last_month.month - 1) // 3 + 1
    periods = {
        "this month": parse_period(f"{this_month:%Y-%m}"),
        "last month": parse_period(f"{last_month:%Y-%m}"),
        f"quarter {last_month.year}-Q{q}": parse_period(f"{last_month.year}-Q{q}"),
    }
    kinds, levels = Activity.Kind.values, Activity.VisitLevel.values

    def old_page(period):
        """The rep activity page's follow-up query before the summary (customers not gone)."""
        aggregates = {f"k_{k}": Count("pk", filter=Q(kind=k)) for k in kinds}
        aggregates.update({f"l_{lv}": Count("pk", filter=Q(kind="visit", visit_level=lv)) for lv in levels})
        aggregates["l_none"] = Count("pk", filter=Q(kind="visit", visit_level=""))
        return list(Activity.objects.filter(status="done", at__isnull=False, at__gte=day_start(period.start),
                                            at__lt=day_start(period.end + timedelta(days=1)),
                                            customer__is_deleted=False, customer__merged_into__isnull=True, owner_id__in=reps)
                    .order_by().values("owner_id").annotate(**aggregates))

    def old_drop():
        """rep_month_followups before the summary: 7 months, GROUP BY (owner, kind), a count per month."""
        first = add_months(last_month, -6)
        months = [add_months(first, k) for k in range(7)]
        counts = {f"m{i}": Count("id", filter=Q(at__gte=day_start(m), at__lt=day_start(add_months(m, 1)))) for i, m in enumerate(months)}
        return list(Activity.objects.filter(status="done", at__isnull=False, at__gte=day_start(first), at__lt=day_start(this_month),
                                            owner__role=User.Role.REP, customer__is_deleted=False, customer__merged_into__isnull=True,
                                            owner_id__in=reps)
                    .order_by().values("owner_id", "kind").annotate(**counts))

    print(f"{Activity.objects.count()} activities, {len(reps)} reps, today {today}; median of {args.repeat} (ms)")
    print(f"old  follow-up drop (7 months, rows + customer join)      {timed(old_drop, args.repeat):8.1f}")
    for label, period in periods.items():
        print(f"old  rep activity follow-ups, {label:22} {timed(lambda p=period: old_page(p), args.repeat):8.1f}")
    if args.old_only:
        return

    from kehu.activities.summaries import followup_counts
    from kehu.reports.selectors.anomalies import followup_anomalies

    director = User.objects.filter(username="bench_director").first()
    print(f"new  followup_anomalies(month={last_month:%Y-%m}, user=director) {timed(lambda: followup_anomalies(month=last_month, user=director), args.repeat):8.1f}")
    for label, period in periods.items():
        ms = timed(lambda p=period: followup_counts(date_from=p.start, date_to=p.end, owner_ids=reps, by=("owner", "kind", "visit_level")), args.repeat)
        print(f"new  rep activity follow-ups, {label:22} {ms:8.1f}")
    # a period with partial months at both edges (a week across a month end; 45 days)
    for label, start, end in [("a week across month end", this_month - timedelta(days=3), this_month + timedelta(days=3)),
                              ("45 days, two edges", last_month - timedelta(days=15), this_month + timedelta(days=0))]:
        ms = timed(lambda s=start, e=end: followup_counts(date_from=s, date_to=e, owner_ids=reps, by=("owner", "kind", "visit_level")), args.repeat)
        print(f"new  follow-ups, {label:35} {ms:8.1f}")


if __name__ == "__main__":
    main()
