"""The follow-up summary (kehu.activities.summaries, docs/rules.md "### The follow-up summary"):
after every write path it equals the live GROUP BY of the rows, exactly; the read function splits
a period into whole months (the summary) and edges (the rows) without changing a count; months
are months of the company's time zone; `kehu daily` checks and fixes it."""

import random
from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone, translation

from kehu.activities.models import Activity, ActivityMonth
from kehu.activities.services import activity_delete, activity_log, activity_plan, activity_update
from kehu.activities.summaries import activity_months_rebuild, activity_months_refresh, followup_counts, month_of


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def local(y, m, d, hh=10, mm=0):
    return timezone.make_aware(datetime(y, m, d, hh, mm))


def live() -> dict:
    """The live count per (owner, month, kind, level), straight from the rows (Python months)."""
    counts = Counter()
    for owner, at, kind, level in Activity.objects.filter(status="done", at__isnull=False).values_list("owner_id", "at", "kind", "visit_level"):
        counts[(owner, timezone.localtime(at).date().replace(day=1), kind, level)] += 1
    return dict(counts)


def summary() -> dict:
    return {(r.owner_id, r.month, r.kind, r.visit_level): r.count for r in ActivityMonth.objects.all()}


def assert_equal():
    assert summary() == live()


def live_counts(date_from, date_to, by, owner_ids=None) -> dict:
    """followup_counts' answer computed from the rows in Python."""
    out = Counter()
    for owner, at, kind, level in Activity.objects.filter(status="done", at__isnull=False).values_list("owner_id", "at", "kind", "visit_level"):
        day = timezone.localtime(at).date()
        if date_from <= day <= date_to and (owner_ids is None or owner in owner_ids):
            values = {"owner": owner, "kind": kind, "visit_level": level, "month": day.replace(day=1)}
            out[tuple(values[g] for g in by)] += 1
    return dict(out)


def log(rep, customer, at, kind="phone", level="", **kw):
    return activity_log(actor=rep, customer=customer, kind=kind, visit_level=level, at=at, summary="跟进", **kw)


# --- each write path -----------------------------------------------------------------------------

def test_log_counts_in_the_owners_local_month(rep_a, customer_a):
    log(rep_a, customer_a, local(2026, 6, 30, 23, 30), kind="visit", level="business")  # 23:30 Shanghai, 30 June: June
    log(rep_a, customer_a, local(2026, 7, 1, 0, 0))  # local midnight: July
    assert summary() == {
        (rep_a.pk, date(2026, 6, 1), "visit", "business"): 1,
        (rep_a.pk, date(2026, 7, 1), "phone", ""): 1,
    }
    assert_equal()
    assert month_of(local(2026, 6, 30, 23, 30)) == date(2026, 6, 1)  # 15:30 UTC: still June here


def test_update_of_time_kind_and_level_moves_the_count(rep_a, manager_a, customer_a):
    visit = log(rep_a, customer_a, local(2026, 5, 31, 23, 30), kind="visit", level="technical")
    log(rep_a, customer_a, local(2026, 5, 2), kind="visit", level="technical")
    activity_update(actor=manager_a, activity=visit, data={"at": local(2026, 6, 1, 0, 30)})
    assert summary() == {(rep_a.pk, date(2026, 5, 1), "visit", "technical"): 1, (rep_a.pk, date(2026, 6, 1), "visit", "technical"): 1}
    activity_update(actor=manager_a, activity=visit, data={"visit_level": "leadership"})
    assert summary()[(rep_a.pk, date(2026, 6, 1), "visit", "leadership")] == 1
    activity_update(actor=manager_a, activity=visit, data={"kind": "meeting", "visit_level": ""})
    assert summary()[(rep_a.pk, date(2026, 6, 1), "meeting", "")] == 1
    assert_equal()


def test_delete_removes_the_count_and_the_empty_cell(rep_a, manager_a, customer_a):
    a = log(rep_a, customer_a, local(2026, 3, 3))
    b = log(rep_a, customer_a, local(2026, 3, 4))
    activity_delete(actor=manager_a, activity=a)
    assert summary() == {(rep_a.pk, date(2026, 3, 1), "phone", ""): 1}
    activity_delete(actor=manager_a, activity=b)
    assert summary() == {} and not ActivityMonth.objects.exists()


def test_completing_a_planned_followup_counts_once(rep_a, customer_a):
    today = timezone.localdate()
    plan = activity_plan(actor=rep_a, customer=customer_a, kind="visit", due_on=today)
    assert summary() == {}
    done = log(rep_a, customer_a, timezone.now() - timedelta(minutes=1), kind="visit", level="business", fulfils=plan,
               next_due_on=today + timedelta(days=3))
    plan.refresh_from_db()
    assert plan.status == "done" and plan.completed_by == done
    assert summary() == {(rep_a.pk, month_of(done.at), "visit", "business"): 1}
    assert_equal()


def test_handover_and_merge_leave_the_counts_with_the_author(manager_a, rep_a, rep_a2, customer_a, customer_a2):
    from kehu.customers.services import customer_handover, customer_merge

    log(rep_a, customer_a, local(2026, 4, 10))
    log(rep_a2, customer_a2, local(2026, 4, 11), kind="email")
    customer_handover(actor=manager_a, from_user=rep_a, to_user=rep_a2, customer_ids=[customer_a.pk])
    assert_equal()
    customer_merge(actor=manager_a, kept=customer_a2, merged=customer_a)
    assert_equal()
    assert summary()[(rep_a.pk, date(2026, 4, 1), "phone", "")] == 1  # the rep's work, whatever became of the customer


def test_import_refreshes_the_months_it_wrote(cast, tmp_path):
    from kehu.activities.tests.test_activities_dataset import HEADER, row
    from kehu.dataset.tests.conftest import run_json, write_dataset

    log(cast["rep_a"], cast["customer_a"], local(2026, 2, 5))
    rows = [row("C00001", "rep_a", "visit", "2026-02-28T23:30:00", level="技术层", summary="月末拜访"),
            row("C00001", "rep_a", "phone", "2026-03-01T00:10:00"),
            row("C00001", "manager_a", "email", "2026-03-02T09:00:00")]
    code, report = run_json(write_dataset(tmp_path / "a", {"activities.csv": [HEADER, *rows]}))
    assert code == 0, report
    assert summary()[(cast["rep_a"].pk, date(2026, 2, 1), "visit", "technical")] == 1
    assert_equal()
    # the same file again with another level: an update, refreshed too
    rows[0] = row("C00001", "rep_a", "visit", "2026-02-28T23:30:00", level="领导层", summary="月末拜访")
    code, report = run_json(write_dataset(tmp_path / "b", {"activities.csv": [HEADER, *rows]}))
    assert code == 0, report
    assert summary()[(cast["rep_a"].pk, date(2026, 2, 1), "visit", "leadership")] == 1
    assert_equal()


def test_random_sequence_of_writes_keeps_it_exact(cast):
    rng = random.Random(12)
    reps = [(cast["rep_a"], cast["customer_a"]), (cast["rep_a2"], cast["customer_a2"]), (cast["rep_b"], cast["customer_b"])]
    manager = cast["director"]
    kinds = [k for k in Activity.Kind.values]
    levels = list(Activity.VisitLevel.values)
    made = []

    def moment():
        # around month ends, in local time, so the time zone matters
        month = rng.randint(1, 10)
        start = local(2026, month, 1, 0, 0)
        return start + timedelta(minutes=rng.choice([-90, -30, -1, 0, 1, 30, 600, 60 * 24 * 14]))

    for _ in range(60):
        op = rng.random()
        if op < 0.5 or not made:
            rep, customer = rng.choice(reps)
            kind = rng.choice(kinds)
            made.append(log(rep, customer, moment(), kind=kind, level=rng.choice(levels) if kind == "visit" else ""))
        elif op < 0.8:
            activity = rng.choice(made)
            kind = rng.choice(kinds)
            data = rng.choice([{"at": moment()}, {"kind": kind, "visit_level": rng.choice(levels) if kind == "visit" else ""}])
            activity_update(actor=manager, activity=activity, data=data)
        else:
            activity_delete(actor=manager, activity=made.pop(rng.randrange(len(made))))
    assert_equal()
    for date_from, date_to in [(date(2026, 1, 1), date(2026, 12, 31)), (date(2026, 2, 15), date(2026, 5, 1)),
                               (date(2026, 3, 1), date(2026, 3, 31)), (date(2026, 3, 31), date(2026, 4, 1)),
                               (date(2025, 12, 31), date(2026, 2, 28)), (date(2026, 4, 10), date(2026, 4, 10))]:
        for by in [("owner", "kind"), ("owner", "kind", "visit_level"), ("owner", "kind", "month"), ("month",), ("kind",)]:
            assert followup_counts(date_from=date_from, date_to=date_to, by=by) == live_counts(date_from, date_to, by), (date_from, date_to, by)
    ids = [cast["rep_a"].pk, cast["rep_b"].pk]
    by = ("owner", "kind", "visit_level", "month")
    assert followup_counts(date_from=date(2026, 1, 20), date_to=date(2026, 9, 9), owner_ids=ids, by=by) == live_counts(
        date(2026, 1, 20), date(2026, 9, 9), by, owner_ids=ids)


# --- reading -------------------------------------------------------------------------------------

def test_read_takes_whole_months_from_the_summary_and_edges_from_the_rows(rep_a, customer_a, django_assert_num_queries):
    log(rep_a, customer_a, local(2026, 1, 31, 23, 30))  # January (local)
    log(rep_a, customer_a, local(2026, 2, 10))
    log(rep_a, customer_a, local(2026, 3, 1, 0, 0))
    log(rep_a, customer_a, local(2026, 3, 20))
    # the summary is what whole months read: a wrong summary row shows (and proves the split)
    ActivityMonth.objects.filter(month=date(2026, 2, 1)).update(count=7)
    with django_assert_num_queries(2):  # the summary, the two edges in one UNION ALL
        assert followup_counts(date_from=date(2026, 1, 31), date_to=date(2026, 3, 1), by=("month",)) == {
            (date(2026, 1, 1),): 1, (date(2026, 2, 1),): 7, (date(2026, 3, 1),): 1}
    with django_assert_num_queries(1):  # whole months only
        assert followup_counts(date_from=date(2026, 2, 1), date_to=date(2026, 3, 31), by=("owner",)) == {(rep_a.pk,): 9}
    with django_assert_num_queries(1):  # inside one month: the rows only
        assert followup_counts(date_from=date(2026, 2, 1), date_to=date(2026, 2, 27), by=("owner",)) == {(rep_a.pk,): 1}
    assert activity_months_rebuild() == 2  # the safety net puts the right row back (one removed, one written)
    assert followup_counts(date_from=date(2026, 1, 1), date_to=date(2026, 3, 31), by=("month",)) == {
        (date(2026, 1, 1),): 1, (date(2026, 2, 1),): 1, (date(2026, 3, 1),): 2}
    assert followup_counts(date_from=date(2026, 3, 2), date_to=date(2026, 3, 1), by=("owner",)) == {}
    with pytest.raises(ValueError):
        followup_counts(date_from=date(2026, 1, 1), date_to=date(2026, 1, 31), by=("customer",))


def test_rebuild_is_the_daily_safety_net_and_idempotent(rep_a, rep_b, customer_a, customer_b):
    from kehu.activities.summaries import REBUILD_KEY
    from kehu.core.hooks import daily_steps

    log(rep_a, customer_a, local(2026, 5, 31, 23, 59))
    log(rep_b, customer_b, local(2026, 6, 1, 0, 1), kind="visit", level="leadership")
    Activity.objects.create(customer=customer_a, owner=rep_a, kind="email", status="done", at=local(2026, 6, 2))  # behind the services' back
    ActivityMonth.objects.create(owner=rep_b, month=date(2026, 1, 1), kind="phone", count=3)  # a stray row
    assert summary() != live()
    assert activity_months_rebuild() == 2
    assert_equal()
    assert activity_months_rebuild() == 0
    keys = [step.key for step in daily_steps()]
    assert keys.index(REBUILD_KEY) < keys.index("anomaly_alerts")


def test_refresh_ignores_what_is_not_a_cell(rep_a, customer_a):
    assert activity_months_refresh(cells=[None, (None, date(2026, 1, 1))]) == 0
    log(rep_a, customer_a, local(2026, 1, 5))
    assert activity_months_refresh(cells=[(rep_a.pk, date(2026, 1, 17))]) == 1  # any day of the month names it
    assert_equal()


def test_rows_outside_the_days_kehu_accepts_are_left_out(rep_a, customer_a):
    """Only a row stored by hand can have such a time (the services refuse it): the summary, its
    rebuild and the read leave it out instead of failing."""
    from datetime import timezone as dt_timezone

    log(rep_a, customer_a, local(2026, 1, 5))
    for moment in (datetime(9999, 12, 31, 23, 0, tzinfo=dt_timezone.utc), datetime(1, 1, 1, tzinfo=dt_timezone.utc),
                   local(1999, 12, 31, 23, 59)):
        Activity.objects.create(customer=customer_a, owner=rep_a, status="done", at=moment, kind="phone")
    assert month_of(datetime(9999, 12, 31, 23, 0, tzinfo=dt_timezone.utc)) is None
    assert activity_months_rebuild() == 0
    assert summary() == {(rep_a.pk, date(2026, 1, 1), "phone", ""): 1}
    assert followup_counts(date_from=date(1, 1, 1), date_to=date(9999, 12, 31), by=("owner",)) == {(rep_a.pk,): 1}


def test_refresh_of_thousands_of_cells_as_a_long_import(rep_a, rep_b, customer_a):
    """An import touches every (owner, month) of its file: 2 owners × 100 years of months."""
    log(rep_a, customer_a, local(2000, 1, 1, 0, 5))
    log(rep_a, customer_a, local(2026, 1, 1))
    ActivityMonth.objects.all().delete()
    months = [date(2000 + i // 12, i % 12 + 1, 1) for i in range(1200)]
    assert activity_months_refresh(cells=[(owner.pk, m) for owner in (rep_a, rep_b) for m in months]) == 2
    assert_equal()
