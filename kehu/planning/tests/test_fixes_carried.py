"""A carried copy is only a stand-in (issue 11, review 1): a real submission imported for a week
that already has a carried copy replaces it; the copy's adjustments move to its root."""

from datetime import date, datetime
from decimal import Decimal as D

import pytest
from django.utils import timezone

from kehu.dataset.services import dataset_import
from kehu.dataset.tests.conftest import write_dataset
from kehu.planning.models import ForecastAdjustment, ForecastSubmission
from kehu.planning.periods import parse_period
from kehu.planning.selectors.forecasts import latest_submissions, submission_status
from kehu.planning.services.forecasts import forecast_carry_forward

pytestmark = pytest.mark.django_db
P = parse_period("2026-06")
HEADER = ["user", "period", "submitted_on", "commit", "best_case"]
NOW = timezone.make_aware(datetime(2026, 6, 12, 10, 0))


def sub(user, on, commit, source="page", period=P, carried_from=None):
    return ForecastSubmission.objects.create(user=user, period=period.label, period_start=period.start, period_end=period.end,
                                             submitted_on=on, commit=D(commit), source=source, carried_from=carried_from)


def import_forecasts(tmp_path, rows, actor=None):
    folder = write_dataset(tmp_path / "f", {"forecasts.csv": [HEADER, *rows]})
    return dataset_import(actor=actor, path=folder, now=NOW)


def test_import_in_a_carried_week_counts_over_the_carried_copy(rep_a, tmp_path):
    # Thursday cut-off: week of 2026-06-04 (Fri 05-29..Thu 06-04), next C = 06-11
    root = sub(rep_a, date(2026, 6, 2), "100")
    assert forecast_carry_forward(today=date(2026, 6, 12)) >= 1  # carried dated 06-11
    carried = ForecastSubmission.objects.get(user=rep_a, period=P.label, source="carried")
    assert carried.submitted_on == date(2026, 6, 11) and carried.carried_from_id == root.pk
    report = import_forecasts(tmp_path, [["rep_a", "2026-06", "2026-06-09", "900", "1000"]])  # the week's real number
    assert not report.errors, report.errors
    real = ForecastSubmission.objects.get(user=rep_a, period=P.label, source="import")
    latest = latest_submissions(user_ids=[rep_a.pk], period=P)[rep_a.pk]
    status = submission_status(reps=[rep_a], today=date(2026, 6, 11))[rep_a.pk]
    assert status.state == "submitted"
    assert latest.pk == real.pk, (latest.source, latest.commit)
    assert not ForecastSubmission.objects.filter(pk=carried.pk).exists()


def test_manager_adjustment_of_a_replaced_carried_copy_moves_to_its_root(rep_a, manager_a, tmp_path):
    root = sub(rep_a, date(2026, 6, 2), "100")
    forecast_carry_forward(today=date(2026, 6, 12))
    carried = ForecastSubmission.objects.get(source="carried")
    note = ForecastAdjustment.objects.create(submission=carried, commit=D("150"), note="deal X slips", created_by=manager_a)
    report = import_forecasts(tmp_path, [["rep_a", "2026-06", "2026-06-08", "900", ""]])
    assert not report.errors, report.errors
    note.refresh_from_db()
    assert note.submission_id == root.pk and note.note == "deal X slips"


def test_import_in_another_week_or_period_keeps_the_carried_copy(rep_a, tmp_path):
    sub(rep_a, date(2026, 6, 2), "100")
    sub(rep_a, date(2026, 6, 2), "300", period=parse_period("2026-Q2"))
    forecast_carry_forward(today=date(2026, 6, 12))
    assert ForecastSubmission.objects.filter(source="carried").count() == 2
    # an earlier week (05-29..06-04 is the root's) and another rep's period: the carried copies stay
    report = import_forecasts(tmp_path, [["rep_a", "2026-06", "2026-06-03", "120", ""], ["rep_a", "2026-07", "2026-06-10", "5", ""]])
    assert not report.errors, report.errors
    assert ForecastSubmission.objects.filter(source="carried").count() == 2


def test_dry_run_import_keeps_the_carried_copy(rep_a, tmp_path):
    sub(rep_a, date(2026, 6, 2), "100")
    forecast_carry_forward(today=date(2026, 6, 12))
    folder = write_dataset(tmp_path / "d", {"forecasts.csv": [HEADER, ["rep_a", "2026-06", "2026-06-09", "900", ""]]})
    dataset_import(actor=None, path=folder, now=NOW, dry_run=True)
    assert ForecastSubmission.objects.filter(source="carried").count() == 1


def test_replacing_a_carried_copy_is_audited(rep_a, admin, tmp_path):
    from kehu.core.models import AuditEvent

    sub(rep_a, date(2026, 6, 2), "100")
    forecast_carry_forward(today=date(2026, 6, 12))
    carried = ForecastSubmission.objects.get(source="carried")
    import_forecasts(tmp_path, [["rep_a", "2026-06", "2026-06-09", "900", ""]], actor=admin)
    event = AuditEvent.objects.get(object_type="forecastsubmission", object_id=carried.pk)
    assert event.verb == "remove" and event.actor == admin
