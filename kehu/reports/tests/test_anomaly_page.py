"""The anomalies page (/reports/anomalies/) and its XLSX export: each role's scope, CN and EN, the
month and share filters (bad values give a translated message), the charts, the empty state."""

import io
from datetime import date, datetime
from decimal import Decimal

import pytest
from kehu.sales.summaries import revenue_months_refresh
from django.urls import reverse
from django.utils import timezone

D = Decimal
URL = "/reports/anomalies/"


def _order(customer, owner, day, revenue, code):
    from kehu.sales.models import OrderLine, Product, SalesOrder

    product = Product.objects.get_or_create(code="PA", defaults={"name": "A", "list_price": "1", "unit_cost": "0"})[0]
    order = SalesOrder.objects.create(code=code, customer=customer, owner=owner, order_date=day)
    OrderLine.objects.create(order=order, product=product, quantity="1", unit_price=revenue, unit_cost="0", revenue=revenue, cost="0")
    revenue_months_refresh(order_ids=[order.pk])  # written past the services: the summary by hand


def _visit(customer, owner, day):
    from kehu.activities.models import Activity
    from kehu.activities.summaries import activity_months_refresh, cell_of

    activity = Activity.objects.create(customer=customer, owner=owner, kind="visit", status="done",
                                       at=timezone.make_aware(datetime(day.year, day.month, day.day, 10)))
    activity_months_refresh(cells=[cell_of(activity)])  # as every write path keeps the follow-up summary


@pytest.fixture
def world(cast):
    """rep_a: ¥100,000.00 a month Jan–Jun 2026, ¥8,000.00 in July. rep_b: 8 visits a month
    Jan–Jun 2026, 1 in July."""
    for m in range(1, 7):
        _order(cast["customer_a"], cast["rep_a"], date(2026, m, 10), "100000.00", f"SA{m}")
        for i in range(8):
            _visit(cast["customer_b"], cast["rep_b"], date(2026, m, 1 + i))
    _order(cast["customer_a"], cast["rep_a"], date(2026, 7, 3), "8000.00", "SA7")
    _visit(cast["customer_b"], cast["rep_b"], date(2026, 7, 2))
    return cast


def _has(page, rep_revenue: bool, rep_visits: bool):
    assert ("¥8,000.00" in page) is rep_revenue
    assert ('data-option="chart-revenue-' in page) is rep_revenue
    assert ('data-option="chart-followups-' in page) is rep_visits


@pytest.mark.django_db
@pytest.mark.parametrize("role, revenue, visits", [
    ("rep_a", True, False), ("rep_b", False, True), ("manager_a", True, False), ("director", True, True),
    ("finance", True, True), ("admin", True, True),
])
def test_each_role_sees_the_anomalies_of_its_reps_cn_and_en(world, login, login_en, role, revenue, visits):
    page = login(world[role]).get(URL, {"period": "2026-07"})
    assert page.status_code == 200
    text = page.content.decode()
    _has(text, revenue, visits)
    assert "异常" in text and "通常（中位数）" in text
    if revenue:
        assert "¥100,000.00" in text and "8.00%" in text
    if visits:
        assert "拜访" in text and "12.50%" in text
    text = login_en(world[role]).get(URL, {"period": "2026-07"}).content.decode()
    _has(text, revenue, visits)
    assert "Usual (median)" in text and "2026-07 against the median of the 6 months before" in text


@pytest.mark.django_db
def test_page_filters_by_team_and_rep_and_makes_a_fixed_number_of_queries(world, login_en, django_assert_max_num_queries):
    client = login_en(world["director"])
    text = client.get(URL, {"period": "2026-07", "rep": world["rep_b"].pk}).content.decode()
    _has(text, False, True)
    text = client.get(URL, {"period": "2026-07", "team": world["rep_a"].team_id}).content.decode()
    _has(text, True, False)
    text = client.get(URL, {"period": "2026-07", "rep": world["rep_b"].pk}, follow=False)
    text = login_en(world["manager_a"]).get(URL, {"period": "2026-07", "rep": world["rep_b"].pk}).content.decode()
    assert "There is no such rep among yours" in text  # another team's rep: refused, not shown
    _has(text, True, False)
    with django_assert_max_num_queries(14):
        assert client.get(URL, {"period": "2026-07"}).status_code == 200


@pytest.mark.django_db
def test_the_share_changes_what_is_an_anomaly(world, login_en):
    text = login_en(world["director"]).get(URL, {"period": "2026-07", "share": "5"}).content.decode()
    _has(text, False, False)
    assert 'data-testid="anomalies-empty"' in text and "Everything normal" in text


@pytest.mark.django_db
def test_default_month_is_the_month_just_ended_and_a_running_month_is_marked_so_far(world, login_en):
    from kehu.planning.periods import period_of

    this = period_of("month", timezone.localdate())
    client = login_en(world["director"])
    text = client.get(URL).content.decode()
    assert f'value="{this.previous().label}"' in text and 'data-testid="anomalies-so-far"' not in text
    text = client.get(URL, {"period": this.label}).content.decode()
    assert f'value="{this.label}"' in text and 'data-testid="anomalies-so-far"' in text


@pytest.mark.django_db
@pytest.mark.parametrize("params, message_cn, message_en", [
    ({"share": "0"}, "比例是大于 0、不超过 100 的百分数。", "The share is a percentage above 0 and at most 100."),
    ({"share": "101"}, "比例是大于 0、不超过 100 的百分数。", "The share is a percentage above 0 and at most 100."),
    ({"share": "abc"}, "比例是大于 0、不超过 100 的百分数。", "The share is a percentage above 0 and at most 100."),
    ({"share": "NaN"}, "比例是大于 0、不超过 100 的百分数。", "The share is a percentage above 0 and at most 100."),
    ({"period": "2026-Q2"}, "不是有效的期间", "is not a period"),
    ({"period": "2026-13"}, "不是有效的期间", "is not a period"),
    ({"team": "x"}, "团队", "Team"),
])
def test_bad_filter_values_give_a_translated_message(world, login, login_en, params, message_cn, message_en):
    page = login(world["director"]).get(URL, params)
    assert page.status_code == 200 and message_cn in page.content.decode()
    page = login_en(world["director"]).get(URL, params)
    assert page.status_code == 200 and message_en in page.content.decode()
    assert reverse("reports:anomalies-export") and login_en(world["director"]).get(URL + "export/", params).status_code == 200


@pytest.mark.django_db
@pytest.mark.parametrize("role, revenue_rows, followup_rows", [
    ("rep_a", [["rep_a", "Team A", "2026-07", D("8000.00"), D("100000.00"), D("0.08"), 20]], []),
    ("manager_a", [["rep_a", "Team A", "2026-07", D("8000.00"), D("100000.00"), D("0.08"), 20]], []),
    ("director", [["rep_a", "Team A", "2026-07", D("8000.00"), D("100000.00"), D("0.08"), 20]],
     [["rep_b", "Team B", "2026-07", "Visit", 1, D("8"), D("0.125"), 20]]),
    ("rep_b", [], [["rep_b", "Team B", "2026-07", "Visit", 1, D("8"), D("0.125"), 20]]),
])
def test_export_has_the_pages_rows(world, login_en, role, revenue_rows, followup_rows):
    import openpyxl

    response = login_en(world[role]).get(URL + "export/", {"period": "2026-07"})
    assert response.status_code == 200 and response["Content-Disposition"] == 'attachment; filename="anomalies-2026-07.xlsx"'
    book = openpyxl.load_workbook(io.BytesIO(response.content))
    assert book.sheetnames[:2] == ["Revenue", "Follow-ups"]

    def rows(sheet):
        return [[D(str(v)) if isinstance(v, float) else v for v in row] for row in sheet.iter_rows(min_row=2, values_only=True)]

    assert rows(book["Revenue"]) == revenue_rows
    assert rows(book["Follow-ups"]) == followup_rows


@pytest.mark.django_db
def test_a_user_without_a_role_may_not_open_it(db, client):
    from factories import UserFactory

    user = UserFactory(username="nobody", role="")
    client.force_login(user)
    assert client.get(URL).status_code in (403, 404)
    assert client.get(URL + "export/").status_code in (403, 404)
