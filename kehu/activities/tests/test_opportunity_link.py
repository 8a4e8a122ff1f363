"""A follow-up may name one open opportunity of its customer: the forms offer them, the
services refuse another customer's, the timeline names it (without growing its queries)."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kehu.activities.forms import ActivityLogForm, ActivityPlanForm
from kehu.activities.models import Activity
from kehu.activities.errors import ActivityError
from kehu.activities.services import activity_log, activity_plan, activity_update
from kehu.core.models import AuditEvent
from kehu.sales.models import OpportunityStage
from kehu.sales.services import opportunity_create, opportunity_move

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def opp(rep_a, customer_a):
    return opportunity_create(actor=rep_a, customer=customer_a, title="ERP rollout", amount="1000.00")


@pytest.fixture
def other_opp(rep_a2, customer_a2):
    return opportunity_create(actor=rep_a2, customer=customer_a2, title="Someone else's", amount="1.00")


def log(actor, customer, **kw):
    return activity_log(actor=actor, customer=customer, kind="phone", at=timezone.now(), summary="Called", **kw)


def test_logging_names_the_opportunity_and_the_next_plan_inherits_it(rep_a, customer_a, opp):
    activity = log(rep_a, customer_a, opportunity=opp, next_due_on=timezone.localdate(), next_summary="Send offer")
    assert activity.opportunity == opp
    assert Activity.objects.get(planned_by=activity).opportunity == opp
    event = AuditEvent.objects.get(object_type="activity", object_id=activity.pk)
    assert event.changes["opportunity"] == [None, opp.code]


def test_another_customers_opportunity_is_refused(rep_a, manager_a, customer_a, other_opp):
    for actor in (rep_a, manager_a):
        with pytest.raises(ActivityError, match="another customer") as caught:
            log(actor, customer_a, opportunity=other_opp)
        assert caught.value.field == "opportunity"
        with pytest.raises(ActivityError, match="another customer"):
            activity_plan(actor=actor, customer=customer_a, kind="visit", due_on=timezone.localdate(), opportunity=other_opp)
    assert not Activity.objects.exists()


def test_editing_may_link_but_not_to_another_customer(rep_a, customer_a, opp, other_opp):
    activity = log(rep_a, customer_a)
    with pytest.raises(ActivityError, match="another customer"):
        activity_update(actor=rep_a, activity=activity, data={"opportunity": other_opp})
    activity.refresh_from_db()
    assert activity.opportunity_id is None
    activity_update(actor=rep_a, activity=activity, data={"opportunity": opp})
    activity.refresh_from_db()
    assert activity.opportunity == opp


def test_forms_offer_only_the_customers_open_opportunities(rep_a, customer_a, opp, other_opp):
    closed = opportunity_create(actor=rep_a, customer=customer_a, title="Old deal", amount=1)
    opportunity_move(actor=rep_a, opportunity=closed, stage=OpportunityStage.objects.get(code="won"))
    for form in (ActivityLogForm(customer=customer_a), ActivityPlanForm(customer=customer_a)):
        offered = [value for value, _label in form.fields["opportunity"].choices if value]
        assert offered == [str(opp.pk)]


def test_a_crafted_post_with_another_customers_opportunity_writes_nothing(login, rep_a, customer_a, other_opp):
    client = login(rep_a)
    response = client.post(reverse("activities:activity-log", args=[customer_a.pk]), {
        "kind": "phone", "at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "summary": "Hi", "opportunity": str(other_opp.pk),
    })
    assert response.status_code == 200 and not Activity.objects.exists()


def test_the_log_form_posts_the_link(login, rep_a, customer_a, opp):
    client = login(rep_a)
    page = client.get(reverse("activities:activity-log", args=[customer_a.pk])).content.decode()
    assert "ERP rollout" in page
    client.post(reverse("activities:activity-plan", args=[customer_a.pk]), {
        "kind": "phone", "due_on": timezone.localdate().isoformat(), "opportunity": str(opp.pk),
    })
    assert Activity.objects.get().opportunity == opp


def test_timeline_names_the_opportunity_in_a_fixed_number_of_queries(login, rep_a, customer_a, opp):
    client = login(rep_a)
    url = reverse("activities:customer-timeline", args=[customer_a.pk])
    log(rep_a, customer_a, opportunity=opp)
    with CaptureQueriesContext(connection) as one:
        body = client.get(url, **HTMX).content.decode()
    assert 'data-testid="activity-opportunity"' in body and "ERP rollout" in body
    assert reverse("sales:opportunity-detail", args=[opp.pk]) in body
    second = opportunity_create(actor=rep_a, customer=customer_a, title="Second", amount=1)
    for i in range(10):
        log(rep_a, customer_a, opportunity=opp if i % 2 else second)
    with CaptureQueriesContext(connection) as many:
        client.get(url, **HTMX)
    assert len(many.captured_queries) == len(one.captured_queries)


def test_the_opportunity_page_lists_its_activities(login, rep_a, customer_a, opp):
    log(rep_a, customer_a, opportunity=opp)
    activity_plan(actor=rep_a, customer=customer_a, kind="visit", due_on=timezone.localdate(), summary="Demo", opportunity=opp)
    log(rep_a, customer_a)  # not linked
    body = login(rep_a).get(reverse("sales:opportunity-detail", args=[opp.pk])).content.decode()
    assert body.count('data-testid="activity-') == 2 and "Demo" in body
