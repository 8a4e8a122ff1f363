"""The customer page at scale (issue 13): a fixed number of queries with several rows in every
panel, the quotes read once for the deals panel and the timeline."""

from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kehu.activities.models import Activity
from kehu.sales.models import OpportunityStage, Quote
from kehu.sales.services import opportunity_create

pytestmark = pytest.mark.django_db


def _world(rep, customer, n):
    stages = list(OpportunityStage.objects.all())
    for i in range(n):
        opportunity_create(actor=rep, customer=customer, title=f"deal {i}", amount=i + 1, stage=stages[i % 4])
        Quote.objects.create(code=f"Q-CP-{n}-{i}", customer=customer, owner=rep, status=Quote.Status.DRAFT, total=f"{i + 1}.00")
        Activity.objects.create(customer=customer, owner=rep, status="planned", due_on=timezone.localdate() + timedelta(days=i), summary=f"p{i}")
        Activity.objects.create(customer=customer, owner=rep, status="done", at=timezone.now() - timedelta(days=i), summary=f"d{i}")


def _quote_queries(queries):
    return [q["sql"] for q in queries if 'FROM "sales_quote"' in q["sql"] and "COUNT(" not in q["sql"]]


@pytest.mark.parametrize("who", ["rep_a", "manager_a", "admin"])
def test_customer_page_queries_do_not_grow_and_quotes_are_read_once(who, cast, login, customer_a):
    client = login(cast[who])
    url = reverse("customers:detail", args=[customer_a.pk])
    _world(cast["rep_a"], customer_a, 1)
    client.get(url)
    with CaptureQueriesContext(connection) as one:
        assert client.get(url).status_code == 200
    _world(cast["rep_a"], customer_a, 14)
    with CaptureQueriesContext(connection) as many:
        body = client.get(url).content.decode()
    # the manager adds the team and the approvals badge
    assert len(many) == len(one) <= (33 if who == "rep_a" else 35), [q["sql"][:120] for q in many.captured_queries]
    assert len(_quote_queries(many.captured_queries)) == 1
    assert len([q for q in many.captured_queries if 'FROM "core_auditevent"' in q["sql"]]) == 1
    assert "Q-CP-14-13" in body and "deal 13" in body
