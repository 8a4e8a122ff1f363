"""The weekly forecast's rules (docs/rules.md "Targets and forecast"): pre-fill, the grid's
totals, submitting (snapshot + one submission per open period, never edited), validation, the
forecast week, carrying a skipped week forward, the reminder, the latest submissions."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import translation

from kehu.activities.models import Notification
from kehu.activities.notifications import notification_message
from kehu.core.models import AuditEvent
from kehu.planning.errors import PlanningError
from kehu.planning.models import ForecastSnapshot, ForecastSubmission, PlanningSettings
from kehu.planning.periods import forecast_periods, month_period, quarter_period
from kehu.planning.selectors.forecasts import (
    forecast_grid,
    latest_submission,
    latest_submissions,
    prefill,
    prefill_many,
    submission_status,
    this_week,
)
from kehu.planning.services.forecasts import (
    forecast_carry_forward,
    forecast_remind,
    forecast_submit,
    planning_settings_update,
)
from kehu.sales.models import OpportunityStage
from kehu.sales.services import opportunity_create

pytestmark = pytest.mark.django_db

JUNE = month_period(2026, 6)
# 2026-06-04 is a Thursday (the default cut-off).
THU = date(2026, 6, 4)


def stage(code):
    return OpportunityStage.objects.get(code=code)


def opp(actor, customer, amount, close, category, code_stage="needs_confirmed", title="Deal"):
    o = opportunity_create(actor=actor, customer=customer, title=title, amount=amount, stage=stage(code_stage),
                           expected_close_on=close, forecast_category=category)
    return o


@pytest.fixture
def deals(rep_a, customer_a, rep_b, customer_b):
    return {
        "commit": opp(rep_a, customer_a, "1000.00", date(2026, 6, 10), "commit"),
        "best": opp(rep_a, customer_a, "500.50", date(2026, 6, 30), "best_case"),
        "pipeline": opp(rep_a, customer_a, "300.00", date(2026, 6, 1), "pipeline"),
        "omitted": opp(rep_a, customer_a, "200.00", date(2026, 6, 15), "omitted"),
        "no_close": opp(rep_a, customer_a, "700.00", None, "commit"),
        "zero": opp(rep_a, customer_a, "0", date(2026, 6, 12), "commit"),
        "july": opp(rep_a, customer_a, "400.00", date(2026, 7, 2), "commit"),
        "won": opp(rep_a, customer_a, "900.00", date(2026, 6, 5), "commit", code_stage="won"),
        "other_rep": opp(rep_b, customer_b, "800.00", date(2026, 6, 10), "commit"),
    }


# --- pre-fill and the grid ---------------------------------------------------------------------

def test_prefill_counts_open_commit_then_best_case_in_the_period(deals, rep_a):
    assert prefill(rep=rep_a, period=JUNE) == (Decimal("1000.00"), Decimal("1500.50"))
    assert prefill(rep=rep_a, period=month_period(2026, 7)) == (Decimal("400.00"), Decimal("400.00"))
    assert prefill(rep=rep_a, period=quarter_period(2026, 2)) == (Decimal("1000.00"), Decimal("1500.50"))
    assert prefill(rep=rep_a, period=quarter_period(2026, 3)) == (Decimal("400.00"), Decimal("400.00"))


def test_prefill_of_several_periods_is_one_query(deals, rep_a, django_assert_num_queries):
    with django_assert_num_queries(1):
        numbers = prefill_many(rep=rep_a, periods=forecast_periods(THU))
    assert numbers["2026-06"] == (Decimal("1000.00"), Decimal("1500.50"))
    assert numbers["2026-Q3"] == (Decimal("400.00"), Decimal("400.00"))


def test_rep_grid_lists_the_period_then_undated_flagged_with_totals(deals, rep_a):
    grid = forecast_grid(user=rep_a, rep=rep_a, period=JUNE)
    ids = [line.opportunity.pk for line in grid.lines]
    assert ids[-1] == deals["no_close"].pk and [line.opportunity.pk for line in grid.undated] == [deals["no_close"].pk]
    assert set(ids) == {deals[k].pk for k in ("commit", "best", "pipeline", "omitted", "no_close", "zero")}
    zero = next(line for line in grid.lines if line.opportunity.pk == deals["zero"].pk)
    assert not zero.counts and zero.needs_amount and zero.probability == 25
    t = grid.totals
    assert (t.commit, t.best_case, t.pipeline, t.omitted, t.best_case_with_commit) == (
        Decimal("1000.00"), Decimal("500.50"), Decimal("300.00"), Decimal("200.00"), Decimal("1500.50"))


def test_rep_b_grid_of_rep_a_is_empty_for_them(deals, rep_a, rep_b):
    assert forecast_grid(user=rep_b, rep=rep_a, period=JUNE).lines == []


# --- submitting ----------------------------------------------------------------------------------

def test_rep_submit_creates_one_snapshot_and_a_submission_per_period(deals, rep_a):
    numbers = {p.label: ("1000.00", "1500.50") for p in forecast_periods(THU)}
    subs = forecast_submit(actor=rep_a, numbers=numbers, today=THU)
    assert [s.period for s in subs] == ["2026-06", "2026-07", "2026-Q2", "2026-Q3"]
    snapshot = ForecastSnapshot.objects.get()
    assert {s.snapshot_id for s in subs} == {snapshot.pk}
    assert all(s.source == "page" and s.submitted_on == THU and s.commit == Decimal("1000.00") and s.best_case == Decimal("1500.50")
               for s in subs)
    by_id = {line[0]: line for line in snapshot.lines}
    assert deals["won"].pk not in by_id and deals["other_rep"].pk not in by_id
    assert by_id[deals["best"].pk] == [deals["best"].pk, stage("needs_confirmed").pk, 50050, None, "2026-06-30", "best_case"]
    assert by_id[deals["no_close"].pk][4] == ""
    assert AuditEvent.objects.filter(object_type="forecastsnapshot", object_id=snapshot.pk).exists()


def test_rep_submitting_again_adds_new_ones_and_never_edits_the_old(deals, rep_a):
    first = forecast_submit(actor=rep_a, numbers={"2026-06": ("100", "200")}, today=THU)[0]
    second = forecast_submit(actor=rep_a, numbers={"2026-06": ("150", "250")}, today=THU)[0]
    first.refresh_from_db()
    assert (first.commit, first.best_case) == (Decimal("100.00"), Decimal("200.00"))
    assert ForecastSubmission.objects.count() == 2 and ForecastSnapshot.objects.count() == 2
    assert latest_submission(rep=rep_a, period=JUNE) == second


@pytest.mark.parametrize("numbers", [
    {"2026-06": ("-1", "10")},
    {"2026-06": ("10", "-1")},
    {"2026-06": ("100", "99.99")},
    {"2026-05": ("10", "20")},
    {"2026-Q4": ("10", "20")},
    {"2026-06": ("10000000000.00", "10000000000.00")},
    {"2026-06": ("1.234", "2")},
    {"2026-06": ("abc", "2")},
    {"2026-06": ("10", "20"), "2026-07": ("30", "20")},
    {},
])
def test_rep_bad_numbers_are_refused_and_nothing_is_written(rep_a, numbers):
    with pytest.raises(PlanningError) as exc:
        forecast_submit(actor=rep_a, numbers=numbers, today=THU)
    assert str(exc.value.message)
    assert not ForecastSubmission.objects.exists() and not ForecastSnapshot.objects.exists()


def test_rep_best_below_commit_reads_in_chinese(rep_a):
    with translation.override("zh-hans"), pytest.raises(PlanningError) as exc:
        forecast_submit(actor=rep_a, numbers={"2026-06": ("100", "50")}, today=THU)
    assert "最佳" in exc.value.message


def test_rep_money_max_is_accepted(rep_a):
    forecast_submit(actor=rep_a, numbers={"2026-06": ("9999999999.99", "9999999999.99")}, today=THU)
    assert ForecastSubmission.objects.get().commit == Decimal("9999999999.99")


@pytest.mark.parametrize("who", ["manager_a", "director", "admin", "finance"])
def test_non_rep_may_not_submit(cast, who):
    with pytest.raises(PermissionDenied):
        forecast_submit(actor=cast[who], numbers={"2026-06": ("10", "20")}, today=THU)
    assert not ForecastSubmission.objects.exists()


# --- the forecast week ---------------------------------------------------------------------------

def test_week_ends_on_the_thursday_cutoff_by_default(db):
    assert this_week(today=THU, settings=PlanningSettings.load()) == (date(2026, 5, 29), THU)
    assert this_week(today=date(2026, 5, 29), settings=3) == (date(2026, 5, 29), THU)
    assert this_week(today=date(2026, 6, 5), settings=3) == (date(2026, 6, 5), date(2026, 6, 11))


def test_week_with_a_monday_cutoff_covers_tuesday_to_monday(db):
    monday = date(2026, 6, 8)
    assert this_week(today=monday, settings=0) == (date(2026, 6, 2), monday)
    assert this_week(today=date(2026, 6, 9), settings=0) == (date(2026, 6, 9), date(2026, 6, 15))
    assert this_week(today=date(2026, 6, 7), settings=0) == (date(2026, 6, 2), monday)


def _submit(rep, day, label="2026-06", commit="100", best="200", source="page", carried_from=None):
    period = {p.label: p for p in forecast_periods(day)}.get(label) or month_period(2026, 6)
    return ForecastSubmission.objects.create(user=rep, period=label, period_start=period.start, period_end=period.end, submitted_on=day,
                                             commit=Decimal(commit), best_case=Decimal(best), source=source, carried_from=carried_from)


def test_status_submitted_carried_or_missing(rep_a, rep_a2, rep_b):
    _submit(rep_a, date(2026, 6, 1))
    _submit(rep_a2, THU, source="carried")
    _submit(rep_b, date(2026, 5, 28))  # the week before
    status = submission_status(reps=[rep_a, rep_a2, rep_b], today=THU, settings=3)
    assert status[rep_a.pk].state == "submitted" and status[rep_a.pk].submitted_on == date(2026, 6, 1)
    assert status[rep_a2.pk].state == "carried"
    assert status[rep_b.pk].state == "missing" and status[rep_b.pk].is_missing


def test_status_of_one_or_twenty_reps_is_one_query(rep_a, django_assert_num_queries):
    with django_assert_num_queries(1):
        submission_status(reps=[rep_a], today=THU, settings=3)
    with django_assert_num_queries(1):
        submission_status(reps=list(range(1, 21)), today=THU, settings=3)


# --- latest submissions -------------------------------------------------------------------------

def test_latest_submissions_by_day_then_recorded_then_id_in_one_query(rep_a, rep_a2, rep_b, django_assert_num_queries):
    old = _submit(rep_a, date(2026, 5, 20), commit="1")
    newer = _submit(rep_a, date(2026, 6, 1), commit="2")
    _submit(rep_a, date(2026, 5, 28), commit="3")  # recorded later, dated earlier
    same_day_1 = _submit(rep_a2, date(2026, 6, 1), commit="4")
    same_day_2 = _submit(rep_a2, date(2026, 6, 1), commit="5")
    ForecastSubmission.objects.filter(pk=same_day_1.pk).update(recorded_at=same_day_2.recorded_at)
    _submit(rep_b, date(2026, 6, 1), label="2026-07")
    with django_assert_num_queries(1):
        latest = latest_submissions(user_ids=[rep_a.pk, rep_a2.pk, rep_b.pk], period=JUNE)
    assert latest == {rep_a.pk: newer, rep_a2.pk: same_day_2}
    assert latest_submissions(user_ids=[rep_a.pk], period="2026-06")[rep_a.pk] == newer != old
    assert latest_submissions(user_ids=[], period="2026-06") == {}


# --- carry forward -------------------------------------------------------------------------------

def test_carry_forward_after_the_cutoff_copies_the_last_numbers(rep_a):
    first = _submit(rep_a, date(2026, 5, 27), commit="100", best="150")  # week ending 05-28
    assert forecast_carry_forward(today=THU) == 0  # the week ending 06-04 is not over
    created = forecast_carry_forward(today=date(2026, 6, 5))
    carried = ForecastSubmission.objects.get(source="carried")
    assert created == 1
    assert (carried.submitted_on, carried.commit, carried.best_case, carried.carried_from) == (THU, Decimal("100.00"), Decimal("150.00"), first)
    assert carried.is_carried and latest_submission(rep=rep_a, period=JUNE) == carried


def test_carry_forward_is_idempotent_and_points_to_the_root(rep_a):
    first = _submit(rep_a, date(2026, 5, 27))
    assert forecast_carry_forward(today=date(2026, 6, 5)) == 1
    assert forecast_carry_forward(today=date(2026, 6, 5)) == 0
    assert forecast_carry_forward(today=date(2026, 6, 10)) == 0
    assert forecast_carry_forward(today=date(2026, 6, 12)) == 1
    chain = list(ForecastSubmission.objects.filter(source="carried").order_by("submitted_on"))
    assert [c.submitted_on for c in chain] == [THU, date(2026, 6, 11)]
    assert all(c.carried_from == first for c in chain)


def test_carry_forward_not_when_submitted_nor_never_submitted(rep_a, rep_a2, rep_b):
    _submit(rep_a, date(2026, 5, 27))
    _submit(rep_a, date(2026, 6, 2))  # submitted in the week ending 06-04
    _submit(rep_a2, date(2026, 5, 27), label="2026-05")  # a period no longer open on 06-04
    assert forecast_carry_forward(today=date(2026, 6, 5)) == 0
    assert not ForecastSubmission.objects.filter(user=rep_b).exists()


def test_carry_forward_covers_each_open_period_and_only_active_reps(rep_a, rep_a2):
    _submit(rep_a, date(2026, 5, 27), label="2026-06")
    _submit(rep_a, date(2026, 5, 27), label="2026-Q2")
    _submit(rep_a, date(2026, 5, 27), label="2026-Q3")
    _submit(rep_a2, date(2026, 5, 27))
    rep_a2.is_active = False
    rep_a2.save()
    assert forecast_carry_forward(today=date(2026, 6, 5)) == 3
    assert set(ForecastSubmission.objects.filter(source="carried").values_list("period", flat=True)) == {"2026-06", "2026-Q2", "2026-Q3"}


def test_carry_forward_follows_a_monday_cutoff(admin, rep_a):
    planning_settings_update(actor=admin, cutoff_weekday=0, send_reminders=True)
    _submit(rep_a, date(2026, 5, 30))  # the week ending Monday 06-01
    assert forecast_carry_forward(today=date(2026, 6, 8)) == 0  # the week 06-02..06-08 is not over
    assert forecast_carry_forward(today=date(2026, 6, 9)) == 1
    assert ForecastSubmission.objects.get(source="carried").submitted_on == date(2026, 6, 8)


# --- the reminder -------------------------------------------------------------------------------

def test_reminder_the_day_before_the_cutoff_once_per_rep_and_week(rep_a, rep_a2, rep_b):
    _submit(rep_a2, date(2026, 6, 1))
    wednesday = date(2026, 6, 3)
    assert forecast_remind(today=date(2026, 6, 2)) == 0 and forecast_remind(today=THU) == 0
    assert forecast_remind(today=wednesday) == 2
    assert forecast_remind(today=wednesday) == 0
    n = Notification.objects.get(user=rep_a)
    assert (n.kind, n.fact_key, n.url) == ("forecast_reminder", "forecast:2026-06-04", reverse("planning:forecast"))
    assert not Notification.objects.filter(user=rep_a2).exists()
    assert forecast_remind(today=date(2026, 6, 10)) == 3


def test_reminder_reads_in_english_and_chinese(rep_a):
    forecast_remind(today=date(2026, 6, 3))
    n = Notification.objects.get(user=rep_a)
    with translation.override("en"):
        assert "2026-06-04" in notification_message(n) and "forecast" in notification_message(n)
    with translation.override("zh-hans"):
        assert "2026-06-04" in notification_message(n) and "预测" in notification_message(n)


def test_reminder_follows_the_settings(admin, rep_a):
    planning_settings_update(actor=admin, cutoff_weekday=0, send_reminders=True)
    assert forecast_remind(today=date(2026, 6, 3)) == 0
    assert forecast_remind(today=date(2026, 6, 7)) == 1  # Sunday, the day before Monday
    planning_settings_update(actor=admin, cutoff_weekday=0, send_reminders=False)
    assert forecast_remind(today=date(2026, 6, 14)) == 0


def test_daily_command_runs_both_steps(rep_a):
    import json
    from io import StringIO

    from django.core.management import call_command

    _submit(rep_a, date(2026, 5, 27))
    out = StringIO()
    call_command("daily", "--json", "--now", "2026-06-05", stdout=out)
    result = json.loads(out.getvalue())
    assert result["forecast_carry_forward"] == 1 and result["forecast_reminders"] == 0


# --- settings -----------------------------------------------------------------------------------

def test_admin_sets_the_cutoff_and_rep_may_not(admin, rep_a, manager_a):
    planning_settings_update(actor=admin, cutoff_weekday=4, send_reminders=False)
    s = PlanningSettings.load()
    assert (s.cutoff_weekday, s.send_reminders) == (4, False)
    for who in (rep_a, manager_a):
        with pytest.raises(PermissionDenied):
            planning_settings_update(actor=who, cutoff_weekday=1, send_reminders=True)
    with pytest.raises(PlanningError):
        planning_settings_update(actor=admin, cutoff_weekday=7, send_reminders=True)
    assert PlanningSettings.load().cutoff_weekday == 4


def test_rep_grid_with_today_lists_overdue_lines_flagged_not_counted(rep_a, customer_a):
    late = opp(rep_a, customer_a, "300.00", date(2026, 5, 20), "commit")
    grid = forecast_grid(user=rep_a, rep=rep_a, period=JUNE, today=THU)
    line = next(line for line in grid.lines if line.opportunity.pk == late.pk)
    assert line.is_overdue and not line.counts and grid.totals.commit == Decimal("0.00")
    assert late.pk not in [line.opportunity.pk for line in forecast_grid(user=rep_a, rep=rep_a, period=JUNE).lines]


def test_rep_submission_page_lists_its_periods_deals_first(rep_a):
    from datetime import date as _date

    from kehu.planning.models import ForecastSnapshot, ForecastSubmission
    from kehu.planning.selectors.forecasts import snapshot_lines

    from django.utils import timezone

    snapshot = ForecastSnapshot.objects.create(user=rep_a, taken_at=timezone.now(), lines=[
        [1, None, 100, None, "2026-07-03", "commit"], [2, None, 200, None, "2026-06-20", "commit"], [3, None, 300, None, "", "pipeline"],
    ])
    submission = ForecastSubmission.objects.create(user=rep_a, period="2026-06", period_start=_date(2026, 6, 1), period_end=_date(2026, 6, 30),
                                                   submitted_on=_date(2026, 6, 4), commit="200.00", snapshot=snapshot)
    lines = snapshot_lines(user=rep_a, submission=submission)
    assert [(line.opportunity_id, line.in_period) for line in lines] == [(2, True), (1, False), (3, False)]
