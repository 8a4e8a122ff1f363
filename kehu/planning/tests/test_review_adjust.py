"""`forecast_adjust`: a manager's own number beside the rep's, with a note (issue 11)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.utils import translation

from kehu.core.models import AuditEvent
from kehu.planning.errors import PlanningError
from kehu.planning.models import ForecastAdjustment, ForecastSubmission
from kehu.planning.services.adjustments import forecast_adjust
from kehu.planning.tests.test_review_selectors import submit

pytestmark = pytest.mark.django_db


@pytest.fixture
def sub(rep_a):
    return submit(rep_a, date(2026, 6, 11), "100", "150")


def test_manager_adjusts_with_a_note_and_the_submission_is_untouched(manager_a, sub):
    adjustment = forecast_adjust(actor=manager_a, submission=sub, commit="80", best_case="120.5", note=" 客户预算推迟 ")
    assert (adjustment.commit, adjustment.best_case, adjustment.note, adjustment.created_by) == (
        Decimal("80.00"), Decimal("120.50"), "客户预算推迟", manager_a)
    fresh = ForecastSubmission.objects.get(pk=sub.pk)
    assert (fresh.commit, fresh.best_case) == (Decimal("100.00"), Decimal("150.00"))
    event = AuditEvent.objects.get(object_type="forecastadjustment", object_id=adjustment.pk)
    assert event.actor == manager_a and event.changes["commit"] == [None, "80.00"]


def test_admin_adjusts_any_rep(admin, sub):
    assert forecast_adjust(actor=admin, submission=sub, commit=0, note="x").best_case is None


@pytest.mark.parametrize("who", ["rep_a", "rep_a2", "rep_b", "finance"])
def test_rep_and_finance_cannot_adjust(who, cast, sub):
    with pytest.raises(PermissionDenied):
        forecast_adjust(actor=cast[who], submission=sub, commit="1", note="x")
    assert not ForecastAdjustment.objects.exists()


def test_manager_of_another_team_cannot_adjust(manager_a, rep_b):
    with pytest.raises(PermissionDenied):
        forecast_adjust(actor=manager_a, submission=submit(rep_b, date(2026, 6, 11), "1"), commit="1", note="x")


@pytest.mark.parametrize("commit, best_case, note, words", [
    ("1", None, "  ", "Write why"),
    ("-1", None, "x", "cannot be negative"),
    ("1", "-5", "x", "cannot be negative"),
    ("10000000000", None, "x", "at most"),
    ("1.001", None, "x", "at most 2 decimals"),
    ("abc", None, "x", "enter an amount"),
    ("1", None, "x" * 501, "at most 500"),
])
def test_manager_bad_input_is_refused_and_nothing_written(manager_a, sub, commit, best_case, note, words):
    with translation.override("en"), pytest.raises(PlanningError, match=words):
        forecast_adjust(actor=manager_a, submission=sub, commit=commit, best_case=best_case, note=note)
    assert not ForecastAdjustment.objects.exists() and not AuditEvent.objects.filter(object_type="forecastadjustment").exists()


def test_manager_cannot_adjust_a_replaced_submission(manager_a, rep_a, sub):
    submit(rep_a, date(2026, 6, 12), "130")
    with translation.override("en"), pytest.raises(PlanningError, match="newer forecast"):
        forecast_adjust(actor=manager_a, submission=sub, commit="1", note="x")
