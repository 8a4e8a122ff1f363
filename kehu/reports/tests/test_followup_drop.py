"""The follow-up drop of one kind (DOMAIN.md §7, "same rule"): the pure rule exactly, which
follow-ups count (the selector, one GROUP BY), the scope, and `kehu daily` telling the managers once
in words, CN and EN."""

from datetime import date, datetime
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from kehu.reports.anomalies import followup_drop
from kehu.reports.selectors.anomalies import followup_anomalies, rep_month_followups

D = Decimal


def test_system_followup_drop_is_the_revenue_rule_over_counts():
    history = [8, 9, 7, 8, 10, 6]  # sorted 6 7 8 | 8 9 10: median 8
    found = followup_drop(1, history)
    assert (found.count, found.median, found.ratio) == (1, D("8.0"), D("0.1250"))
    assert followup_drop(2, [10] * 6) is None  # exactly 20 % of 10: not under
    assert followup_drop(1, [10] * 6).ratio == D("0.1000")
    assert followup_drop(0, [0, 0, 0, 5, 5, 5]).median == D("2.5")  # half a follow-up, exactly
    assert followup_drop(0, [0, 0, 0, 0, 9, 9]) is None  # a median of 0 raises nothing
    assert followup_drop(2, [10] * 6, share=D(21)) is not None
    assert followup_drop(3, [7, 7, 7, 8, 8, 8], share=D("40")) is None  # 0.4 × 7.5 = 3: equal, not under


def test_system_followup_drop_decides_on_whole_counts_as_the_exact_rule():
    """The whole-number shortcut (no fractions for the common "no alert") answers as `anomaly`."""
    import random

    from kehu.reports.anomalies import anomaly

    rng = random.Random(7)
    for _ in range(3000):
        history = [rng.choice([0, 0, 1, 2, 3, 5, 8, 9, 10, 40]) for _m in range(6)]
        count = rng.randint(0, 12)
        share = rng.choice([D(20), D(25), D("33.3"), D(50), D(100), D("0.5")])
        exact = anomaly(D(count), [D(h) for h in history], share)
        found = followup_drop(count, history, share)
        assert (found is None) == (exact is None), (count, history, share)
        if found is not None:
            assert (found.count, found.median, found.ratio) == (count, exact.median.quantize(D("0.1")), exact.ratio)


def _at(y, m, d, hour=10):
    return timezone.make_aware(datetime(y, m, d, hour))


def log(customer, owner, kind, at, status="done"):
    """A row written by hand, keeping the follow-up summary as every write path does."""
    from kehu.activities.models import Activity
    from kehu.activities.summaries import activity_months_refresh, cell_of

    activity = Activity.objects.create(customer=customer, owner=owner, kind=kind, status=status, at=at,
                                       due_on=at.date() if status == "planned" else None)
    activity_months_refresh(cells=[cell_of(activity)])
    return activity


def _visits(customer, rep, per_month, july):
    """`per_month` visits in each of Jan..Jun 2026, `july` in July 2026."""
    for m in range(1, 7):
        for i in range(per_month):
            log(customer, rep, "visit", _at(2026, m, 1 + i))
    for i in range(july):
        log(customer, rep, "visit", _at(2026, 7, 1 + i))


@pytest.mark.django_db
def test_system_counts_the_reps_logged_followups_by_kind_and_local_month(rep_a, manager_a, customer_a):
    from kehu.activities.models import Activity

    log(customer_a, rep_a, "visit", _at(2026, 6, 30, 23))  # 23:00 Shanghai on 30 June: June
    log(customer_a, rep_a, "visit", _at(2026, 7, 1, 0))  # midnight 1 July local: July
    log(customer_a, rep_a, "phone", _at(2026, 7, 2))
    Activity.objects.create(customer=customer_a, owner=rep_a, kind="visit", status="planned", due_on=date(2026, 7, 3))  # planned
    Activity.objects.create(customer=customer_a, owner=rep_a, kind="visit", status="cancelled", at=_at(2026, 7, 4))  # cancelled
    log(customer_a, manager_a, "visit", _at(2026, 7, 5))  # not a rep
    counts = rep_month_followups(first=date(2026, 6, 1), last=date(2026, 7, 31))
    assert counts == {rep_a.pk: {("visit", (2026, 6)): 1, ("visit", (2026, 7)): 1, ("phone", (2026, 7)): 1}}


@pytest.mark.django_db
def test_system_followup_anomalies_per_rep_and_kind_and_in_the_readers_scope(rep_a, rep_b, manager_a, director, finance, customer_a, customer_b):
    _visits(customer_a, rep_a, 8, 1)  # 1 against 8: alert
    _visits(customer_b, rep_b, 10, 2)  # 2 against 10: exactly 20 %, no alert
    for m in range(1, 8):
        log(customer_a, rep_a, "phone", _at(2026, m, 20))  # phone steady
    found = followup_anomalies(month=date(2026, 7, 1), share=D(20))
    assert [(r.username, k, d.count, d.median, d.ratio) for r, k, d in found] == [("rep_a", "visit", 1, D("8.0"), D("0.1250"))]
    found = followup_anomalies(month=date(2026, 7, 15), share=D(25))
    assert [(r.username, k) for r, k, _d in found] == [("rep_a", "visit"), ("rep_b", "visit")]
    assert [r.username for r, _k, _d in followup_anomalies(month=date(2026, 7, 1), share=D(25), user=rep_b)] == ["rep_b"]
    assert [r.username for r, _k, _d in followup_anomalies(month=date(2026, 7, 1), share=D(25), user=manager_a)] == ["rep_a"]
    assert len(followup_anomalies(month=date(2026, 7, 1), share=D(25), user=director)) == 2
    assert len(followup_anomalies(month=date(2026, 7, 1), share=D(25), user=finance)) == 2


@pytest.mark.django_db
def test_system_followups_count_whatever_became_of_the_customer(rep_a, customer_a, customer_b):
    """docs/rules.md "### The follow-up summary": follow-ups on a customer later put in the
    recycle bin or merged away still count for the rep who logged them (revenue keeps its
    exclusion)."""
    from kehu.customers.models import Customer

    _visits(customer_a, rep_a, 8, 1)
    log(customer_b, rep_a, "visit", _at(2026, 7, 20))
    Customer.objects.filter(pk=customer_a.pk).update(is_deleted=True)
    Customer.objects.filter(pk=customer_b.pk).update(merged_into=customer_a)
    counts = rep_month_followups(first=date(2026, 1, 1), last=date(2026, 7, 31))
    assert counts[rep_a.pk][("visit", (2026, 7))] == 2 and counts[rep_a.pk][("visit", (2026, 1))] == 8
    assert [(r.username, k, d.count) for r, k, d in followup_anomalies(month=date(2026, 7, 1), share=D(30))] == [("rep_a", "visit", 2)]


@pytest.mark.django_db
def test_system_selector_makes_a_fixed_number_of_queries(rep_a, rep_b, customer_a, customer_b, django_assert_max_num_queries):
    _visits(customer_a, rep_a, 8, 1)
    _visits(customer_b, rep_b, 8, 0)
    with django_assert_max_num_queries(2):
        assert len(followup_anomalies(month=date(2026, 7, 1))) == 2


@pytest.mark.django_db
def test_manager_is_told_of_a_reps_followup_drop_once_in_words_cn_and_en(rep_a, manager_a, customer_a):
    from datetime import timezone as dt_timezone

    from kehu.activities.models import Notification
    from kehu.activities.notifications import notification_message
    from kehu.reports.wiring import notify_anomalies

    _visits(customer_a, rep_a, 8, 1)
    now = datetime(2026, 8, 2, 9, tzinfo=dt_timezone.utc)  # the month just ended: July
    assert notify_anomalies(now=now) == 1
    assert notify_anomalies(now=now) == 0  # idempotent
    note = Notification.objects.get(user=manager_a, kind="anomaly")
    assert note.fact_key == f"followups:{rep_a.pk}:visit:2026-07"
    assert note.url == f"/reports/anomalies/?period=2026-07&rep={rep_a.pk}"
    assert not Notification.objects.filter(user=rep_a).exists()
    with translation.override("en"):
        assert notification_message(note) == "rep_a: follow-ups of type “Visit” usually ~8 a month, 2026-07: 1"
    with translation.override("zh-hans"):
        assert notification_message(note) == "rep_a：“拜访”类跟进通常每月约 8 次，2026-07 仅 1 次"


@pytest.mark.django_db
def test_system_a_running_month_is_not_told_by_the_daily_step(rep_a, manager_a, customer_a):
    from datetime import timezone as dt_timezone

    from kehu.reports.wiring import notify_anomalies

    _visits(customer_a, rep_a, 8, 1)
    assert notify_anomalies(now=datetime(2026, 7, 20, 9, tzinfo=dt_timezone.utc)) == 0  # July still running: June is checked
