"""Forecast accuracy at scale (issues 12 and 13, second pass): the latest commit of every period
and the won amounts of every period each in ONE query (kehu.planning.selectors.accuracy._latest,
_won), the table's rows joined in Python — the same numbers and the same HTML as the rule of
kehu.planning.accuracy.forecast_at and §7's won (weighted_pipeline_by), and a fixed number of
queries whatever the number of reps and periods."""

from datetime import date, datetime, timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from factories import UserFactory
from kehu.planning.accuracy import Submitted, forecast_at
from kehu.planning.models import ForecastSubmission
from kehu.planning.periods import period_of
from kehu.planning.selectors.accuracy import _latest, _won, accuracy_history, closed_periods
from kehu.planning.tests.accuracy_helpers import submit, won
from kehu.sales.models import Opportunity, OpportunityStage
from kehu.sales.selectors import weighted_pipeline_by

pytestmark = pytest.mark.django_db
URL = reverse("planning:accuracy")
TODAY = date(2026, 7, 15)  # the last four closed quarters: 2025-Q3 … 2026-Q2


def _count(fn):
    with CaptureQueriesContext(connection) as ctx:
        fn()
    return len(ctx.captured_queries)


@pytest.fixture
def world(rep_a, rep_a2, rep_b, customer_a, customer_b, manager_a):
    from conftest import make_customer

    customer_a2 = make_customer(rep_a2, "客户A2", "CA2001")
    # rep_a, 2026-Q2 (cut-off 2026-06-02 at 28 days): two submissions on the same day — the one
    # recorded last counts (600); one after the cut-off does not.
    first = submit(rep_a, "2026-Q2", date(2026, 5, 1), "500.00")
    second = submit(rep_a, "2026-Q2", date(2026, 5, 1), "600.00")
    ForecastSubmission.objects.filter(pk=first.pk).update(recorded_at=timezone.make_aware(datetime(2026, 5, 1, 10)))
    ForecastSubmission.objects.filter(pk=second.pk).update(recorded_at=timezone.make_aware(datetime(2026, 5, 1, 11)))
    submit(rep_a, "2026-Q2", date(2026, 6, 20), "9999.00")
    won(customer_a, rep_a, "700.00", date(2026, 6, 30))  # the period's last day counts
    won(customer_a, rep_a, "100.00", date(2026, 7, 1))  # the next period: not Q2
    # rep_a, 2026-Q1: a submission only after the cut-off: listed without a forecast.
    submit(rep_a, "2026-Q1", date(2026, 3, 20), "300.00")
    won(customer_a, rep_a, "250.00", date(2026, 1, 1))
    # rep_a2: won in 2025-Q4 without any submission, a lost deal (not won), an open one.
    won(customer_a2, rep_a2, "1200.00", date(2025, 12, 31))
    lost = OpportunityStage.objects.filter(is_closed=True, is_won=False).first()
    Opportunity.objects.create(code="OPP-L1", customer=customer_a2, owner=rep_a2, title="lost", stage=lost, amount=Decimal("50.00"),
                               closed_on=date(2025, 12, 1), expected_close_on=date(2025, 12, 1))
    # rep_b (another team): 2025-Q3 submissions, nothing won.
    submit(rep_b, "2025-Q3", date(2025, 7, 1), "80.00")
    submit(rep_b, "2025-Q3", date(2025, 8, 1), "90.00")
    return {"customer_a2": customer_a2}


def _reference(periods, lead_days, reps):
    """The rule straight from its definitions: every submission through forecast_at, every
    period's won through weighted_pipeline_by (one query each — the old way)."""
    latest, won_by = {}, {}
    for p in periods:
        cutoff = p.end - timedelta(days=lead_days)
        for rep in reps:
            subs = [Submitted(s.submitted_on, s.recorded_at, s.id, s.commit) for s in ForecastSubmission.objects.filter(user=rep, period=p.label)]
            if subs:
                f = forecast_at(subs, cutoff)
                latest[(p.label, rep.pk)] = f
        sums = weighted_pipeline_by(opportunities=Opportunity.objects.filter(owner__in=reps), group="owner_id", date_from=p.start, date_to=p.end)
        won_by[p.label] = {owner: s.won for owner, s in sums.items() if s.won > 0}
    return latest, won_by


@pytest.mark.parametrize("lead_days", [0, 28, 60])
def test_one_query_each_gives_the_rule_s_numbers(world, rep_a, rep_a2, rep_b, lead_days):
    periods = closed_periods(kind="quarter", count=4, today=TODAY)
    latest, won_by = _reference(periods, lead_days, [rep_a, rep_a2, rep_b])
    got = _latest(periods, lead_days=lead_days, user=None)
    assert {k: v[0].commit if v else None for k, v in got.items()} == latest
    assert _won(periods, user=None) == won_by


def test_exact_rows_of_the_history(world, admin, rep_a):
    history = accuracy_history(user=admin, kind="quarter", count=4, lead_days=28, today=TODAY)
    assert [p.label for p in history.periods] == ["2025-Q3", "2025-Q4", "2026-Q1", "2026-Q2"]
    got = {r.username: [None if c is None else (c.forecast, c.actual, c.accuracy, c.bias) for c in r.cells] for r in history.reps}
    assert got == {
        "rep_a": [None, None, (None, Decimal("250.00"), None, None),
                  (Decimal("600.00"), Decimal("700.00"), Decimal("0.8571"), Decimal("-0.1429"))],
        "rep_a2": [None, (None, Decimal("1200.00"), None, None), None, None],
        "rep_b": [(Decimal("90.00"), Decimal("0.00"), None, None), None, None, None],
    }
    rep = next(r for r in history.reps if r.username == "rep_a")
    assert (rep.mean_accuracy, rep.mean_bias) == (Decimal("0.8571"), Decimal("-0.1429"))
    # a manager: their team's reps only; a rep: themself
    from kehu.accounts.models import User

    manager = User.objects.get(username="manager_a")
    assert [r.username for r in accuracy_history(user=manager, kind="quarter", count=4, lead_days=28, today=TODAY).reps] == ["rep_a", "rep_a2"]
    assert [r.username for r in accuracy_history(user=rep_a, kind="quarter", count=4, lead_days=28, today=TODAY).reps] == ["rep_a"]
    assert [r.username for r in accuracy_history(user=admin, kind="quarter", count=4, lead_days=28, today=TODAY, rep_ids=[rep_a.pk]).reps] == ["rep_a"]


def test_three_queries_whatever_the_number_of_periods_and_reps(world, admin):
    for kind, count in (("quarter", 1), ("quarter", 4), ("month", 12)):
        admin_fresh = type(admin).objects.get(pk=admin.pk)
        assert _count(lambda: accuracy_history(user=admin_fresh, kind=kind, count=count, lead_days=28, today=TODAY)) == 3


def test_the_table_joined_in_python_is_what_the_template_wrote(world, admin):
    """The rows the view joins (kehu.planning.views.accuracy._rep_html) are byte for byte the
    loop the template had."""
    from django.utils.translation import gettext

    from kehu.planning.views.accuracy import _rep_html

    legacy = (
        '{% load i18n kehu_core %}{% for r in history.reps %}\n  <tbody data-rep="{{ r.username }}">\n    {% for cell in r.rows %}\n    <tr>\n'
        '      {% if forloop.first %}<th scope="rowgroup" rowspan="{{ r.rows|length|add:1 }}">{{ r.name }}</th>{% endif %}\n'
        '      <td>{{ cell.period.label }}</td><td>{{ cell.cutoff|date:"Y-m-d" }}</td>\n      {% if cell.row %}\n'
        '      <td class="text-end">{% if cell.row.forecast is None %}—{% else %}{{ cell.row.forecast|money }}{% endif %}</td>\n'
        '      <td class="text-end">{{ cell.row.actual|money }}</td>\n'
        '      <td class="text-end">{% if cell.row.accuracy is None %}—{% else %}{{ cell.row.accuracy|percent:"ratio" }}{% endif %}</td>\n'
        '      <td class="text-end">{% if cell.row.bias is None %}—{% else %}{{ cell.row.bias|percent:"ratio" }}{% endif %}</td>\n'
        '      {% else %}<td class="text-end">—</td><td class="text-end">—</td><td class="text-end">—</td><td class="text-end">—</td>{% endif %}\n'
        '    </tr>\n    {% endfor %}\n    <tr class="table-light fw-semibold" data-testid="accuracy-mean">\n'
        '      <td colspan="4">{% translate "Mean over the periods with a value" %}</td>\n'
        '      <td class="text-end">{% if r.mean_accuracy is None %}—{% else %}{{ r.mean_accuracy|percent:"ratio" }}{% endif %}</td>\n'
        '      <td class="text-end">{% if r.mean_bias is None %}—{% else %}{{ r.mean_bias|percent:"ratio" }}{% endif %}</td>\n'
        '    </tr>\n  </tbody>\n  {% endfor %}'
    )
    from django.template import engines

    from kehu.accounts.models import User

    User.objects.filter(pk=world["customer_a2"].owner_id).update(name='A2 <&> "q"')  # escaped the same way
    history = accuracy_history(user=admin, kind="month", count=12, lead_days=7, today=TODAY)
    expected = engines["django"].from_string(legacy).render({"history": history})
    assert "A2 &lt;&amp;&gt; &quot;q&quot;" in expected
    assert "".join(_rep_html(r, gettext("Mean over the periods with a value")) for r in history.reps) == expected


def test_page_queries_are_pinned_for_every_role(login, admin, finance, manager_a, rep_a, world, django_assert_max_num_queries):
    """A world of several reps and periods: the director's page 8 queries (was 14), a manager's 9,
    a rep's 7 — whatever the number of reps and periods (one query per period before)."""
    from kehu.accounts.models import Team
    from conftest import make_customer

    q = period_of("quarter", timezone.localdate()).previous()
    team = Team.objects.create(name="Many")
    for i in range(6):
        rep = UserFactory(username=f"many_{i}", role="rep", team=team)
        customer = make_customer(rep, f"客户M{i}", f"CM{i:03d}")
        for k in range(3):
            submit(rep, q.label, q.start + timedelta(days=7 * k), f"{10 + k}.00")
            submit(rep, q.previous().label, q.previous().start + timedelta(days=7 * k), f"{20 + k}.00")
        won(customer, rep, "12.00", q.start + timedelta(days=3))
    for user, most in ((admin, 8), (finance, 8), (manager_a, 9), (rep_a, 7)):
        client = login(user)
        client.get(URL)
        for params in ({}, {"kind": "month", "count": 12}):
            with django_assert_max_num_queries(most):
                assert client.get(URL, params).status_code == 200
