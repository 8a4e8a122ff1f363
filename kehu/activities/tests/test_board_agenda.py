"""The agenda at scale (issue 13): rows drawn from a few fields, URLs built once per page, a
fixed number of queries with several rows in every section, in Chinese and English."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_customer
from kehu.activities.models import Activity

pytestmark = pytest.mark.django_db
AGENDA = reverse("activities:agenda")


def _world(rep, customer):
    today = timezone.localdate()
    customers = [customer] + [make_customer(rep, f"议程客户{i}", f"AG{i:03d}") for i in range(5)]
    rows = []
    for i, c in enumerate(customers):
        for days in (-3, -1, 0, 1, 9):
            rows.append(Activity.objects.create(customer=c, owner=rep, status="planned", due_on=today + timedelta(days=days),
                                                summary=f"s{i}{days}", kind="visit" if i % 2 else "phone"))
    return rows


@pytest.mark.parametrize("language, late", [("en", "3 days late"), ("zh-hans", "逾期 3 天")])
def test_agenda_rows_link_to_the_customer_and_log_it(login, rep_a, customer_a, language, late, django_assert_max_num_queries):
    rows = _world(rep_a, customer_a)
    client = login(rep_a)
    rep_a.language = language  # after the login, which may set English for this folder
    rep_a.save(update_fields=["language"])
    client.get(AGENDA)
    with django_assert_max_num_queries(8):
        body = client.get(AGENDA).content.decode()
    overdue = next(r for r in rows if r.due_on == timezone.localdate() - timedelta(days=3))
    assert f'href="{reverse("customers:detail", args=[overdue.customer_id])}"' in body
    assert f'href="{reverse("activities:activity-log", args=[overdue.customer_id])}?fulfils={overdue.pk}"' in body
    assert late in body and "议程客户4" in body


def test_manager_team_agenda_with_many_rows_runs_fixed_queries(login, manager_a, rep_a, customer_a, django_assert_max_num_queries):
    _world(rep_a, customer_a)
    client = login(manager_a)
    client.get(AGENDA, {"who": "team"})
    with django_assert_max_num_queries(11):
        body = client.get(AGENDA, {"who": "team"}).content.decode()
    assert body.count('data-testid="agenda-row"') == 30  # every row is within the 30 days ahead
