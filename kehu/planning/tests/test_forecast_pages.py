"""The weekly forecast pages: the grid (inline lines saved through the sales services, totals),
the submission form, one submission, the history, the settings; who sees what (404), query
counts, Chinese and English."""

from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from conftest import english_client
from kehu.core.forms import seen_sign, seen_values
from kehu.core.models import AuditEvent
from kehu.planning.models import ForecastSubmission, PlanningSettings
from kehu.planning.periods import forecast_periods
from kehu.planning.services.forecasts import forecast_submit
from kehu.sales.models import Opportunity, OpportunityStage
from kehu.sales.services import opportunity_create

pytestmark = pytest.mark.django_db

GRID = reverse("planning:forecast")
SUBMIT = reverse("planning:forecast-submit")
HISTORY = reverse("planning:forecast-history")
SEEN_FIELDS = ("expected_close_on", "amount", "product_lines", "stage", "probability", "forecast_category")


def stage(code):
    return OpportunityStage.objects.get(code=code)


def today():
    return timezone.localdate()


def this_month():
    return forecast_periods(today())[0]


def make_opp(rep, customer, *, amount="1000.00", close="in", category="commit", title="ERP rollout"):
    day = this_month().start if close == "in" else close
    return opportunity_create(actor=rep, customer=customer, title=title, amount=amount, stage=stage("needs_confirmed"),
                              expected_close_on=day, forecast_category=category)


@pytest.fixture
def opp(rep_a, customer_a):
    return make_opp(rep_a, customer_a)


def line_url(o):
    return reverse("planning:forecast-line", args=[o.pk])


def line_data(o, **changes):
    data = {
        "period": this_month().label, "seen": seen_sign(seen_values(o, SEEN_FIELDS)),
        "expected_close_on": o.expected_close_on.isoformat() if o.expected_close_on else "", "amount": str(o.amount),
        "product_lines": o.product_lines, "stage": o.stage_id, "probability": "" if o.probability is None else o.probability,
        "forecast_category": o.forecast_category,
    }
    data.update(changes)
    return data


HX = {"HTTP_HX_REQUEST": "true"}


# --- the grid -------------------------------------------------------------------------------------

def test_rep_sees_their_grid_with_undated_flagged_and_prefilled_form(login, opp, rep_a, customer_a):
    make_opp(rep_a, customer_a, close=None, title="No date yet", amount="700")
    body = login(rep_a).get(GRID).content.decode()
    assert f'id="line-{opp.pk}"' in body and "No date yet" in body
    assert "needs-close-" in body and "需要预计成交日期才计入" in body
    assert 'data-testid="submit-form"' in body and 'value="1000.00"' in body
    assert 'data-testid="total-commit">¥1,000.00<' in body


def test_rep_reads_the_grid_in_english(client, opp, rep_a, customer_a):
    make_opp(rep_a, customer_a, close=None, title="No date yet")
    body = english_client(client, rep_a).get(GRID).content.decode()
    assert "Weekly forecast" in body and "Needs a close date to count" in body and "Submit forecast" in body


def test_manager_reads_a_reps_grid_without_editing(login, opp, rep_a, manager_a):
    response = login(manager_a).get(GRID, {"rep": rep_a.pk})
    body = response.content.decode()
    assert response.status_code == 200 and "ERP rollout" in body
    assert 'name="amount"' not in body and 'data-testid="submit-form"' not in body


@pytest.mark.parametrize("who", ["finance", "admin", "director"])
def test_readers_of_all_see_a_reps_grid(login, cast, opp, who):
    assert login(cast[who]).get(GRID, {"rep": cast["rep_a"].pk}).status_code == 200


def test_rep_b_asking_for_rep_a_grid_gets_404(login, opp, rep_a, rep_b, manager_a):
    assert login(rep_b).get(GRID, {"rep": rep_a.pk}).status_code == 404


def test_manager_a_asking_for_rep_b_grid_gets_404(login, rep_b, manager_a):
    assert login(manager_a).get(GRID, {"rep": rep_b.pk}).status_code == 404


def test_rep_period_among_the_open_ones(login, rep_a, customer_a):
    nxt = forecast_periods(today())[1]
    make_opp(rep_a, customer_a, close=nxt.start, title="Next month deal")
    client = login(rep_a)
    assert "Next month deal" in client.get(GRID, {"period": nxt.label}).content.decode()
    assert "Next month deal" not in client.get(GRID, {"period": "1999-01"}).content.decode()


def test_grid_runs_the_same_queries_for_1_and_20_opportunities(login, rep_a, customer_a):
    make_opp(rep_a, customer_a)
    client = login(rep_a)
    client.get(GRID)
    with CaptureQueriesContext(connection) as few:
        assert client.get(GRID).status_code == 200
    for i in range(19):
        make_opp(rep_a, customer_a, title=f"Deal {i}", category=["commit", "best_case", "pipeline"][i % 3], close=None if i % 4 == 0 else "in")
    with CaptureQueriesContext(connection) as many:
        client.get(GRID)
    assert len(many.captured_queries) == len(few.captured_queries)


def test_manager_grid_queries_do_not_grow_with_opportunities(login, rep_a, customer_a, manager_a):
    make_opp(rep_a, customer_a)
    client = login(manager_a)
    client.get(GRID, {"rep": rep_a.pk})
    with CaptureQueriesContext(connection) as few:
        client.get(GRID, {"rep": rep_a.pk})
    for i in range(19):
        make_opp(rep_a, customer_a, title=f"Deal {i}")
    with CaptureQueriesContext(connection) as many:
        client.get(GRID, {"rep": rep_a.pk})
    assert len(many.captured_queries) == len(few.captured_queries)


# --- inline lines ----------------------------------------------------------------------------------

def test_rep_edits_a_line_through_the_sales_service(login, opp, rep_a):
    close = this_month().end
    data = line_data(opp, amount="2500.00", expected_close_on=close.isoformat(), product_lines="ERP, CRM", probability="60",
                     forecast_category="best_case", stage=stage("proposal").pk)
    response = login(rep_a).post(line_url(opp), data, **HX)
    body = response.content.decode()
    assert response.status_code == 200 and f'id="line-{opp.pk}"' in body and 'data-testid="saved-' in body
    o = Opportunity.objects.get(pk=opp.pk)
    assert (o.amount, o.expected_close_on, o.product_lines, o.probability, o.forecast_category, o.stage.code) == (
        Decimal("2500.00"), close, "ERP, CRM", 60, "best_case", "proposal")
    assert AuditEvent.objects.filter(object_type="opportunity", object_id=opp.pk, verb="update").count() == 2
    # the totals come back recomputed, out of band
    assert 'hx-swap-oob="true"' in body and 'data-testid="total-best_case">¥2,500.00<' in body


def test_rep_line_refused_by_the_sales_rules_shows_the_message_in_the_row(login, opp, rep_a):
    response = login(rep_a).post(line_url(opp), line_data(opp, stage=stage("lost").pk), **HX)
    body = response.content.decode()
    assert response.status_code == 200 and f'data-testid="error-{opp.code}"' in body and "输单原因" in body
    assert Opportunity.objects.get(pk=opp.pk).stage.code == "needs_confirmed"


def test_rep_stale_line_is_refused_with_the_message(login, opp, rep_a, manager_a):
    data = line_data(opp, amount="1.00")
    from kehu.sales.services import opportunity_update

    opportunity_update(actor=manager_a, opportunity=opp, amount="999.00")
    body = login(rep_a).post(line_url(opp), data, **HX).content.decode()
    assert f'data-testid="error-{opp.code}"' in body
    assert Opportunity.objects.get(pk=opp.pk).amount == Decimal("999.00")


def test_rep_invalid_line_input_is_shown_not_saved(login, opp, rep_a):
    body = login(rep_a).post(line_url(opp), line_data(opp, amount="-5", probability="140"), **HX).content.decode()
    assert f'data-testid="error-{opp.code}"' in body
    assert Opportunity.objects.get(pk=opp.pk).amount == Decimal("1000.00")


def test_rep_line_without_htmx_goes_back_to_the_grid(login, opp, rep_a):
    response = login(rep_a).post(line_url(opp), line_data(opp, amount="10.00"))
    assert response.status_code == 302 and response.url.startswith(GRID)
    assert Opportunity.objects.get(pk=opp.pk).amount == Decimal("10.00")


def test_rep_b_posting_a_line_of_rep_a_gets_404(login, opp, rep_b):
    assert login(rep_b).post(line_url(opp), line_data(opp, amount="1.00"), **HX).status_code == 404
    assert Opportunity.objects.get(pk=opp.pk).amount == Decimal("1000.00")


@pytest.mark.parametrize("who", ["manager_a", "finance"])
def test_readers_may_not_edit_a_reps_line(login, cast, opp, who):
    response = login(cast[who]).post(line_url(opp), line_data(opp, amount="1.00"))
    assert response.status_code == 302
    assert Opportunity.objects.get(pk=opp.pk).amount == Decimal("1000.00")


# --- submitting from the page ----------------------------------------------------------------------

def submit_data(commit="1000.00", best="1500.00"):
    data = {"period": this_month().label}
    for p in forecast_periods(today()):
        data[f"commit_{p.label}"] = commit
        data[f"best_{p.label}"] = best
    return data


def test_rep_submits_from_the_page(login, opp, rep_a):
    client = login(rep_a)
    response = client.post(SUBMIT, submit_data())
    assert response.status_code == 302
    assert ForecastSubmission.objects.filter(user=rep_a, submitted_on=today()).count() == 4
    body = client.get(GRID).content.decode()
    assert "本周已提交" in body


@pytest.mark.parametrize("commit,best", [("-1", "5"), ("10", "5"), ("10000000000", "10000000000"), ("x", "1")])
def test_rep_bad_submission_is_told_and_nothing_written(login, rep_a, commit, best):
    client = login(rep_a)
    response = client.post(SUBMIT, submit_data(commit, best), follow=True)
    assert response.status_code == 400 and not ForecastSubmission.objects.exists()
    body = response.content.decode()
    assert 'alert-danger' in body and "is-invalid" in body
    assert f'value="{commit}"' in body  # what the rep typed is kept, not the pre-fill


def test_rep_bad_number_in_one_period_keeps_the_good_ones_and_marks_the_bad(login_en, rep_a):
    client = login_en(rep_a)
    data = submit_data("700000", "800000")
    quarter = forecast_periods(today())[2].label
    data[f"best_{quarter}"] = "100000"  # below its commit
    response = client.post(SUBMIT, data)
    body = response.content.decode()
    assert response.status_code == 400 and not ForecastSubmission.objects.exists()
    assert body.count('value="700000"') == 4 and 'value="100000"' in body
    assert f'data-testid="error-best-{quarter}"' in body and "The best case cannot be below the commit." in body


@pytest.mark.parametrize("who", ["manager_a", "finance", "admin"])
def test_non_rep_submission_is_refused(login, cast, who):
    response = login(cast[who]).post(SUBMIT, submit_data())
    assert response.status_code == 302 and not ForecastSubmission.objects.exists()


# --- one submission, the history -----------------------------------------------------------------

@pytest.fixture
def submission(opp, rep_a):
    return forecast_submit(actor=rep_a, numbers={this_month().label: ("1000.00", "1500.00")})[0]


def detail(s):
    return reverse("planning:submission-detail", args=[s.pk])


def test_rep_sees_their_submission_with_the_lines_as_they_stood(login, submission, opp, rep_a):
    from kehu.sales.services import opportunity_update

    opportunity_update(actor=rep_a, opportunity=opp, amount="5.00")
    body = login(rep_a).get(detail(submission)).content.decode()
    assert "ERP rollout" in body and "¥1,000.00" in body and "¥5.00" not in body


@pytest.mark.parametrize("who,status", [("rep_a", 200), ("manager_a", 200), ("director", 200), ("admin", 200), ("finance", 200),
                                        ("rep_b", 404), ("rep_a2", 404)])
def test_submission_detail_visibility(login, cast, submission, who, status):
    assert login(cast[who]).get(detail(submission)).status_code == status


def test_rep_b_history_of_rep_a_gets_404(login, submission, rep_a, rep_b):
    assert login(rep_b).get(HISTORY, {"rep": rep_a.pk}).status_code == 404


def test_manager_picks_a_rep_in_the_history(login, submission, rep_a, manager_a):
    body = login(manager_a).get(HISTORY, {"rep": rep_a.pk}).content.decode()
    assert f'data-testid="submission-{submission.pk}"' in body


def test_history_reads_in_english(client, submission, rep_a):
    body = english_client(client, rep_a).get(HISTORY).content.decode()
    assert "Submission history" in body and "Submitted" in body


def test_history_and_detail_run_the_same_queries_for_1_and_20(login, opp, rep_a, customer_a):
    forecast_submit(actor=rep_a, numbers={this_month().label: ("1", "2")})
    client = login(rep_a)
    first = ForecastSubmission.objects.get()
    client.get(HISTORY)
    with CaptureQueriesContext(connection) as few:
        client.get(HISTORY)
    with CaptureQueriesContext(connection) as few_detail:
        client.get(detail(first))
    for i in range(19):
        make_opp(rep_a, customer_a, title=f"Deal {i}")
        forecast_submit(actor=rep_a, numbers={this_month().label: ("1", "2")})
    last = ForecastSubmission.objects.order_by("-id").first()
    with CaptureQueriesContext(connection) as many:
        client.get(HISTORY)
    with CaptureQueriesContext(connection) as many_detail:
        client.get(detail(last))
    assert len(many.captured_queries) == len(few.captured_queries)
    assert len(many_detail.captured_queries) == len(few_detail.captured_queries)


# --- settings -------------------------------------------------------------------------------------

def test_admin_changes_the_cutoff_on_the_settings_page(login, admin):
    client = login(admin)
    assert client.get(reverse("planning:settings")).status_code == 200
    response = client.post(reverse("planning:settings"), {"cutoff_weekday": "4"})
    assert response.status_code == 302
    s = PlanningSettings.load()
    assert (s.cutoff_weekday, s.send_reminders) == (4, False)


@pytest.mark.parametrize("who", ["rep_a", "manager_a", "finance"])
def test_others_may_not_open_the_settings(login, cast, who):
    assert login(cast[who]).get(reverse("planning:settings")).status_code == 403


def test_settings_read_in_english(client, admin):
    assert "Forecast settings" in english_client(client, admin).get(reverse("planning:settings")).content.decode()


def test_rep_line_the_sales_rules_forbid_is_read_only_and_refused_in_the_row(login, opp, rep_a, customer_a):
    customer_a.owner = None  # the customer went back to the pool; the opportunity is still rep_a's
    customer_a.save(update_fields=["owner"])
    client = login(rep_a)
    assert f'data-testid="locked-{opp.code}"' in client.get(GRID).content.decode()
    body = client.post(line_url(opp), line_data(opp, amount="1.00"), **HX).content.decode()
    assert f'data-testid="error-{opp.code}"' in body
    assert Opportunity.objects.get(pk=opp.pk).amount == Decimal("1000.00")
