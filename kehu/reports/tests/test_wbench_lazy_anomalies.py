"""The 工作台's anomalies load after the page (reports:workbench-anomalies, issue 13): the page
leaves their place (htmx, a link without JavaScript), the card answers with the same numbers the
page showed, within the same scope (404 for a rep and finance), in a fixed number of queries."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.core.dates import add_months
from kehu.planning.periods import period_of
from kehu.planning.selectors.forecasts import latest_submissions, latest_submissions_by_period
from kehu.reports.selectors.workbench import anomaly_month
from kehu.reports.tests.test_workbench import WORKBENCH, order, world  # noqa: F401 (the fixture)
from kehu.reports.tests.test_workbench_queries import big  # noqa: F401 (the fixture)

D = Decimal
CARD = reverse("reports:workbench-anomalies")


@pytest.fixture
def both(world):
    """rep_b (team B) an anomaly too: 600 a month for six months, 60 last month."""
    last_month = add_months(world["today"].replace(day=1), -1)
    for k in range(1, 7):
        order(f"HB{k}", world["customer_b"], world["rep_b"], add_months(last_month, -k), "600.00")
    order("HB0", world["customer_b"], world["rep_b"], last_month, "60.00")
    return world


def test_the_page_leaves_the_anomalies_place(world, login_en):
    month = anomaly_month(world["today"]).strftime("%Y-%m")
    html = login_en(world["manager_a"]).get(WORKBENCH).content.decode()
    # the card's header and link to the report on the page; its rows after it, or by the link
    assert html.count(f'hx-get="{CARD}"') == 1 and f'href="{CARD}"' in html and 'hx-trigger="load"' in html
    assert f'href="{reverse("reports:anomalies")}?period={month}"' in html and f"Anomalies, {month}" in html
    assert "usually ~" not in html
    html = login_en(world["admin"]).get(WORKBENCH).content.decode()  # the director's alerts
    assert html.count(f'hx-get="{CARD}"') == 1 and 'data-testid="wb-alert-anomalies"' in html
    for who in ("rep_a", "finance"):
        assert CARD not in login_en(world[who]).get(WORKBENCH).content.decode(), who


@pytest.mark.parametrize("who, part, reps", [
    ("manager_a", "manager", ["rep_a"]),  # team A only
    ("director", "manager", ["rep_a", "rep_b"]),  # a manager of teams A and B
    ("admin", "director", ["rep_a", "rep_b"]),
])
def test_the_card_has_the_same_numbers_in_the_same_scope(both, login_en, who, part, reps):
    client = login_en(both[who])
    response = client.get(CARD, HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "HX-Request" in response["Vary"]
    card = response.context["card"]
    assert card["part"] == part and card["anomalies"]["month"] == anomaly_month(both["today"])
    rows = {row["rep"].username: (row["anomaly"].revenue, row["anomaly"].median) for row in card["anomalies"]["alerts"]}
    expected = {"rep_a": (D("100.00"), D("1000.00")), "rep_b": (D("60.00"), D("600.00"))}
    assert rows == {r: expected[r] for r in reps}
    body = response.content.decode()
    assert "<html" not in body and "rep_a: usually ~¥1,000.00 a month, " in body and " ¥100.00 (10.00% of usual)" in body
    assert ("rep_b: usually ~¥600.00 a month" in body) == ("rep_b" in reps)
    if part == "manager":
        assert 'data-testid="wb-anomalies"' in body and 'data-testid="wb-alert-anomalies"' not in body
        assert len(card["anomalies"]["unread"]) == (1 if who == "manager_a" else 0)
    else:
        assert body.lstrip().startswith('<li data-testid="wb-alert-anomalies">')
        assert "2 revenue anomalies last month" in body and card["anomalies"]["unread"] == []
    # without JavaScript: a page of its own, back to the 工作台
    page = client.get(CARD)
    assert page.status_code == 200
    html = page.content.decode()
    assert "<html" in html and f'href="{WORKBENCH}"' in html and "rep_a: usually ~¥1,000.00 a month, " in html


@pytest.mark.parametrize("who", ["rep_a", "finance"])
def test_no_anomalies_on_their_workbench_no_card(world, login, who):
    client = login(world[who])
    assert client.get(CARD).status_code == 404
    assert client.get(CARD, HTTP_HX_REQUEST="true").status_code == 404


def test_signed_in_and_get_only(world, client, login):
    assert client.get(CARD).status_code == 302
    assert login(world["manager_a"]).post(CARD).status_code == 405


def test_an_admin_who_manages_a_team_gets_the_managers_card(world, login_en, team_a):
    boss = world["admin"]
    boss.role = "manager"
    boss.save(update_fields=["role"])
    team_a.managers.add(boss)
    client = login_en(boss)
    assert client.get(WORKBENCH).content.decode().count(f'hx-get="{CARD}"') == 1
    assert client.get(CARD, HTTP_HX_REQUEST="true").context["card"]["part"] == "manager"


@pytest.mark.parametrize("who, partial, whole", [("manager_a", 6, 8), ("director", 6, 8), ("admin", 4, 6)])
def test_the_card_in_a_fixed_number_of_queries(big, login, who, partial, whole, django_assert_max_num_queries):
    """Session and user, the reps, their revenue, (a manager) their team and unread notifications;
    the whole page base.html's two badges more."""
    client = login(big[who])
    client.get(CARD)
    with django_assert_max_num_queries(partial):
        assert client.get(CARD, HTTP_HX_REQUEST="true").status_code == 200
    with django_assert_max_num_queries(whole):
        assert client.get(CARD).status_code == 200


def test_the_page_without_the_anomalies_reads_less(big, login, django_assert_max_num_queries):
    for who, limit in (("admin", 14), ("manager_a", 13), ("director", 13)):
        client = login(big[who])
        client.get(WORKBENCH)
        with django_assert_max_num_queries(limit):
            assert client.get(WORKBENCH).status_code == 200


def test_latest_submissions_of_one_or_several_periods_equal_each_alone(big):
    today = big["today"]
    ids = [big[u].pk for u in ("rep_a", "rep_a2", "rep_b", "manager_a")]  # manager_a has none
    periods = [period_of("month", today), period_of("quarter", today), period_of("year", today)]
    for chosen in (periods[:1], periods[:2], periods):
        together = latest_submissions_by_period(user_ids=ids, periods=chosen)
        assert together == {p.label: latest_submissions(user_ids=ids, period=p) for p in chosen}
    assert sorted(latest_submissions_by_period(user_ids=ids, periods=periods[:1])[periods[0].label]) == \
        sorted(big[u].pk for u in ("rep_a", "rep_a2", "rep_b"))
    assert latest_submissions_by_period(user_ids=[], periods=periods) == {p.label: {} for p in periods}


def test_the_managers_counts_read_covering_indexes(world, login):
    """The customers per stage and the missed follow-ups count rows (COUNT(*), not COUNT(id)): no
    table row needed, so PostgreSQL reads the covering indexes alone (customer_sources_owner_idx,
    activity_owner_due_cust); SQLite's plan names them."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = login(world["manager_a"])
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(WORKBENCH).status_code == 200
    counts = [q["sql"] for q in ctx.captured_queries if 'COUNT(*) AS "n"' in q["sql"]]
    stages = [sql for sql in counts if sql.startswith('SELECT "customers_customer"."stage"')]
    union = [sql for sql in counts if '"activities_activity"' in sql and "UNION ALL" in sql]
    assert len(stages) == 1 and len(union) == 1
    assert not any('COUNT("customers_customer"."id")' in sql or 'COUNT("activities_activity"."id")' in sql for sql in counts)
    if connection.vendor == "sqlite":
        with connection.cursor() as cursor:
            plans = {}
            for name, sql in (("stages", stages[0]), ("union", union[0])):
                cursor.execute("EXPLAIN QUERY PLAN " + sql)
                plans[name] = " | ".join(str(row[-1]) for row in cursor.fetchall())
        assert "COVERING INDEX customer_sources_owner_idx" in plans["stages"], plans["stages"]
        assert "COVERING INDEX activity_owner_due_cust" in plans["union"], plans["union"]
