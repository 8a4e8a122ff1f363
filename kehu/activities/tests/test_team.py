"""The manager's team view: follow-ups per rep, missed plans, who with whom, key-account visit coverage."""

from datetime import date, datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from conftest import make_customer
from kehu.activities import agenda, hooks
from kehu.activities.models import Activity
from kehu.core.models import CompanySettings
from kehu.customers.models import Customer


TEAM = reverse("activities:team")



def logged(customer, owner, day, kind="phone", level="", hour=10):
    at = timezone.make_aware(datetime.combine(day, time(hour, 0)))
    return Activity.objects.create(customer=customer, owner=owner, status="done", at=at, kind=kind, visit_level=level, summary="s")


def planned(customer, owner, due_on, summary=""):
    return Activity.objects.create(customer=customer, owner=owner, status="planned", due_on=due_on, summary=summary)


def rows_by_rep(response):
    return {r["rep"].username: r for r in response.context["report"]["rows"]}


def first_of_month():
    return timezone.localdate().replace(day=1)


def test_reps_and_finance_get_404(login, rep_a, rep_b, finance):
    for user in (rep_a, rep_b, finance):
        assert login(user).get(TEAM).status_code == 404


def test_manager_a_sees_team_a_only(login, manager_a, rep_a, rep_a2, rep_b, customer_a, customer_b, team_b):
    day = timezone.localdate()
    logged(customer_a, rep_a, day)
    logged(customer_b, rep_b, day)
    planned(customer_b, rep_b, day - timedelta(days=1), "RIVAL-MISSED") if day.day > 1 else None
    client = login(manager_a)
    response = client.get(TEAM)
    assert response.status_code == 200
    assert set(rows_by_rep(response)) == {"manager_a", "rep_a", "rep_a2"}
    body = response.content.decode()
    assert customer_a.name in body and customer_b.name not in body and "RIVAL-MISSED" not in body
    assert client.get(TEAM, {"team": team_b.pk}).status_code == 404
    assert client.get(TEAM, {"team": "x"}).status_code == 404


def test_director_and_admin_see_every_team_and_may_pick_one(login, director, admin, rep_a, rep_b, team_a, team_b):
    both = rows_by_rep(login(director).get(TEAM))
    assert {"rep_a", "rep_b", "director"} <= set(both)
    only_b = rows_by_rep(login(director).get(TEAM, {"team": team_b.pk}))
    assert set(only_b) == {"rep_b"}
    assert {"rep_a", "rep_b"} <= set(rows_by_rep(login(admin).get(TEAM)))
    assert set(rows_by_rep(login(admin).get(TEAM, {"team": team_a.pk}))) == {"rep_a"}


def test_follow_ups_per_rep_by_type_and_customers_in_the_period(login, manager_a, rep_a, rep_a2, customer_a, customer_a2):
    start = first_of_month()
    other = make_customer(rep_a, "另一客户", "T00009")
    logged(customer_a, rep_a, start, "phone")
    logged(customer_a, rep_a, start, "visit", "leadership")
    logged(other, rep_a, start, "wechat")
    logged(customer_a, rep_a, start - timedelta(days=1), "phone")  # last month
    planned(customer_a, rep_a, start)  # a plan is not a follow-up
    response = login(manager_a).get(TEAM)
    rows = rows_by_rep(response)
    kinds = dict(rows["rep_a"]["kinds"])
    assert rows["rep_a"]["total"] == 3 and rows["rep_a"]["customers"] == 2
    assert kinds == {"phone": 1, "visit": 1, "meeting": 0, "email": 0, "wechat": 1, "other": 0}
    assert rows["rep_a2"]["total"] == 0
    pairs = {(p["owner"].username, p["customer_id"]): p["n"] for p in response.context["report"]["pairs"]}
    assert pairs == {("rep_a", customer_a.pk): 2, ("rep_a", other.pk): 1}


def test_fulfilled_plans_are_not_counted_twice(manager_a, rep_a, customer_a):
    start = first_of_month()
    log = logged(customer_a, rep_a, start)
    Activity.objects.create(customer=customer_a, owner=rep_a, status="done", due_on=start, completed_by=log)
    report = agenda.team_report(user=manager_a, reps=[rep_a], start=start, end=start + timedelta(days=27))
    assert report["rows"][0]["total"] == 1 and report["missed_total"] == 0


def test_missed_follow_ups_are_due_in_the_period_before_today_and_still_open(manager_a, rep_a, customer_a):
    today = date(2030, 5, 15)
    start, end = date(2030, 5, 1), date(2030, 5, 31)
    missed = planned(customer_a, rep_a, date(2030, 5, 3), "MISSED")
    planned(customer_a, rep_a, today)  # due today: not missed yet
    planned(customer_a, rep_a, date(2030, 5, 20))  # future
    planned(customer_a, rep_a, date(2030, 4, 30))  # before the period
    log = logged(customer_a, rep_a, date(2030, 5, 4))
    Activity.objects.create(customer=customer_a, owner=rep_a, status="done", due_on=date(2030, 5, 2), completed_by=log)
    Activity.objects.create(customer=customer_a, owner=rep_a, status="cancelled", due_on=date(2030, 5, 2))
    report = agenda.team_report(user=manager_a, reps=[rep_a], start=start, end=end, today=today)
    assert report["rows"][0]["missed"] == 1 and report["missed_total"] == 1
    assert [a.pk for a in report["missed"]] == [missed.pk] and report["missed"][0].days_late == 12


def test_missed_list_shows_on_the_page(login, manager_a, rep_a, customer_a):
    today = timezone.localdate()
    due = today - timedelta(days=1)
    planned(customer_a, rep_a, due, "FORGOTTEN-CALL")
    response = login(manager_a).get(TEAM, {"period": "custom", "from": due.isoformat(), "to": today.isoformat()})
    body = response.content.decode()
    assert "FORGOTTEN-CALL" in body and "1 day late" in body
    assert rows_by_rep(response)["rep_a"]["missed"] == 1


def test_period_choices():
    today = date(2030, 2, 13)  # a Wednesday
    assert agenda.period_from_params({}, today=today) == {"period": "month", "start": date(2030, 2, 1), "end": date(2030, 2, 28), "invalid_dates": []}
    assert agenda.period_from_params({"period": "week"}, today=today) == {"period": "week", "start": date(2030, 2, 11), "end": date(2030, 2, 17), "invalid_dates": []}
    custom = agenda.period_from_params({"period": "custom", "from": "2030-01-20", "to": "2030-01-05"}, today=today)
    assert (custom["start"], custom["end"]) == (date(2030, 1, 5), date(2030, 1, 20))
    bad = agenda.period_from_params({"period": "custom", "from": "soon", "to": ""}, today=today)
    assert (bad["start"], bad["end"]) == (date(2030, 2, 1), today) and bad["invalid_dates"] == ["from"]
    assert agenda.period_from_params({"period": "nonsense"}, today=today)["period"] == "month"


def _key(customer, days_owned=400):
    since = timezone.now() - timedelta(days=days_owned)
    Customer.objects.filter(pk=customer.pk).update(is_key_account=True, owned_since=since, created_at=since)


def test_visit_coverage_by_level(login, manager_a, rep_a, rep_a2, rep_b, customer_a, customer_a2, customer_b):
    conf = CompanySettings.load()
    conf.key_account_visit_days = 30
    conf.save()
    today = timezone.localdate()
    for c in (customer_a, customer_a2, customer_b):
        _key(c)
    logged(customer_a, rep_a, today - timedelta(days=5), "visit", "leadership")
    logged(customer_a, rep_a, today - timedelta(days=40), "visit", "technical")
    logged(customer_a, rep_a, today - timedelta(days=50), "visit", "technical")
    logged(customer_a, rep_a, today - timedelta(days=1), "phone")  # not a visit
    logged(customer_b, rep_b, today, "visit", "business")
    response = login(manager_a).get(TEAM)
    rows = {c.pk: c for c in response.context["coverage"].rows}
    assert set(rows) == {customer_a.pk, customer_a2.pk}  # team A's key accounts only
    assert [c.pk for c in response.context["coverage"].rows] == [customer_a2.pk, customer_a.pk]  # never visited first
    a = rows[customer_a.pk]
    assert [(day, late) for _label, day, late in a.levels] == [
        (today - timedelta(days=5), False), (today - timedelta(days=40), True), (None, True),
    ]
    assert not a.overdue and a.last_visit_on == today - timedelta(days=5)
    assert rows[customer_a2.pk].overdue  # never visited, owned for 400 days
    body = response.content.decode()
    assert body.count('data-testid="visit-overdue"') == 1
    assert customer_b.name not in body


def test_visit_coverage_uses_tier_intervals(monkeypatch, manager_a, rep_a, customer_a):
    _key(customer_a)
    logged(customer_a, rep_a, timezone.localdate() - timedelta(days=45), "visit", "business")
    monkeypatch.setattr(hooks, "VISIT_INTERVAL_PROVIDERS", [lambda *, customer_ids: {customer_a.pk: 60}])
    rows = list(agenda.visit_coverage(user=manager_a, owner_ids=[rep_a.pk]))
    agenda.visit_coverage_mark(rows)
    assert rows[0].interval == 60 and not rows[0].overdue
    monkeypatch.setattr(hooks, "VISIT_INTERVAL_PROVIDERS", [])
    agenda.visit_coverage_mark(rows)
    assert rows[0].interval == 30 and rows[0].overdue


def test_team_view_query_count_is_the_same_for_1_and_many(login, manager_a, rep_a, rep_a2, customer_a, django_assert_num_queries):
    client = login(manager_a)
    start = first_of_month()
    _key(customer_a)
    logged(customer_a, rep_a, start, "visit", "leadership")
    client.get(TEAM)
    # session, user, managed ids, teams, reps, per rep, missed counts, missed list, pairs, pairs count,
    # coverage page, coverage count, settings, the unread and approvals badges (one query), tier policies (visit intervals)
    with django_assert_num_queries(15):
        client.get(TEAM)
    for i in range(8):
        c = make_customer(rep_a2 if i % 2 else rep_a, f"团队{i}", f"TM{i:03d}")
        _key(c)
        for level in ("leadership", "technical", "business"):
            logged(c, c.owner, start, "visit", level)
        planned(c, c.owner, start - timedelta(days=1))
        Customer.objects.filter(pk=c.pk).update(is_key_account=True)
    with django_assert_num_queries(15):
        response = client.get(TEAM)
    assert len(response.context["coverage"].rows) == 9
    assert response.context["report"]["totals"]["total"] == 25


def test_who_with_whom_is_capped_to_the_busiest_pairs(monkeypatch, manager_a, rep_a, customer_a):
    monkeypatch.setattr(agenda, "PAIRS_LIMIT", 2)
    start = first_of_month()
    customers = [customer_a] + [make_customer(rep_a, f"对{i}", f"PR{i}") for i in range(3)]
    for n, c in enumerate(customers):
        for _i in range(n + 1):
            logged(c, rep_a, start)
    report = agenda.team_report(user=manager_a, reps=[rep_a], start=start, end=start + timedelta(days=27))
    assert report["pairs_total"] == 4
    assert [p["customer_id"] for p in report["pairs"]] == [customers[3].pk, customers[2].pk]
