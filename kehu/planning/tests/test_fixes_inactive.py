"""An inactive rep's past forecasts stay readable to whoever sees their numbers (review 1 of
issue 11): the history page and a submission's page; the grid and the roll-ups keep to the
active reps (planning_users' default)."""

from datetime import date
from decimal import Decimal as D

import pytest

from kehu.planning.models import ForecastSubmission
from kehu.planning.periods import parse_period
from kehu.planning.querysets import planning_users

pytestmark = pytest.mark.django_db
P = parse_period("2026-06")
HISTORY = "/planning/forecast/history/"


@pytest.fixture
def gone(rep_a):
    submission = ForecastSubmission.objects.create(user=rep_a, period=P.label, period_start=P.start, period_end=P.end,
                                                   submitted_on=date(2026, 6, 2), commit=D("4321"))
    rep_a.is_active = False
    rep_a.save()
    return submission


def test_planning_users_default_stays_active_only(manager_a, rep_a, rep_a2, gone):
    assert list(planning_users(manager_a)) == [rep_a2]
    assert set(planning_users(manager_a, include_inactive=True)) == {rep_a, rep_a2}


@pytest.mark.parametrize("who", ["manager_a", "director", "finance"])
def test_viewer_reads_an_inactive_rep_history_and_submission(client, request, who, rep_a, gone):
    client.force_login(request.getfixturevalue(who))
    response = client.get(HISTORY, {"rep": rep_a.pk})
    assert response.status_code == 200
    assert f'data-testid="submission-{gone.pk}"' in response.content.decode()
    assert client.get(f"/planning/forecast/submissions/{gone.pk}/").status_code == 200


def test_rep_b_gets_404_for_the_inactive_rep_history_and_submission(client, rep_b, rep_a, gone):
    client.force_login(rep_b)
    assert client.get(HISTORY, {"rep": rep_a.pk}).status_code == 404
    assert client.get(f"/planning/forecast/submissions/{gone.pk}/").status_code == 404


def test_manager_a_history_picker_lists_the_inactive_rep(client, manager_a, rep_a, rep_a2, gone):
    client.force_login(manager_a)
    response = client.get(HISTORY, {"rep": rep_a2.pk})
    assert rep_a in list(response.context["reps"])


def test_manager_a_grid_of_an_inactive_rep_is_still_404(client, manager_a, rep_a, gone):
    client.force_login(manager_a)
    assert client.get("/planning/forecast/", {"rep": rep_a.pk}).status_code == 404


def test_manager_a_sees_the_inactive_rep_marked_in_chinese_and_english(client, manager_a, rep_a, gone):
    from conftest import english_client

    client.force_login(manager_a)
    page = client.get(HISTORY, {"rep": rep_a.pk}).content.decode()
    assert "已停用的销售代表" in page and "rep_a (已停用)" in page
    english_client(client, manager_a)
    page = client.get(HISTORY, {"rep": rep_a.pk}).content.decode()
    assert "Deactivated rep" in page and "rep_a (deactivated)" in page
