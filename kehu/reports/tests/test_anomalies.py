"""Revenue anomalies, DOMAIN.md §7 exactly: the rule (pure), whose orders count, and `kehu
anomalies` against the example's expected answers."""

import io
import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from kehu.reports.anomalies import anomaly, median_of_six
from kehu.reports.selectors.anomalies import revenue_anomalies
from kehu.sales.summaries import revenue_months_refresh

EXAMPLE = Path(__file__).resolve().parents[2] / "dataset" / "examples" / "small"
D = Decimal


def test_system_median_is_the_mean_of_the_third_and_fourth_of_six():
    assert median_of_six([D(600), D(0), D(100), D(300), D(0), D(200)]) == 150  # 0 0 100 | 200 300 600
    with pytest.raises(ValueError):
        median_of_six([D(1)] * 5)


def test_system_alert_is_raised_under_the_share_exactly_not_at_it():
    history = [D("100.00"), D("100.00"), D("100.00"), D("100.00"), D("100.00"), D("100.00")]
    assert anomaly(D("20.00"), history) is None  # exactly 20 %: not under
    found = anomaly(D("19.99"), history)
    assert found is not None and (found.revenue, found.median, found.ratio) == (D("19.99"), D("100.00"), D("0.1999"))
    assert anomaly(D("0"), [D(0)] * 6) is None  # a median of 0 raises nothing
    assert anomaly(D("29.99"), history, share=D(30)) is not None


def test_system_rounds_the_median_and_ratio_half_up_on_the_exact_values():
    # median = (0.01 + 0.02) / 2 = 0.015 → 0.02 half-up; ratio = 0.001 / 0.015 = 0.0666… → 0.0667
    history = [D("0.00"), D("0.00"), D("0.01"), D("0.02"), D("5.00"), D("5.00")]
    found = anomaly(D("0.001"), history)
    assert (found.median, found.ratio) == (D("0.02"), D("0.0667"))




@pytest.mark.django_db
def test_system_counts_the_reps_orders_by_month_and_nobody_for_an_ownerless_order(rep_a, rep_b, manager_a, customer_a):
    from kehu.sales.models import OrderLine, Product, SalesOrder

    product = Product.objects.create(code="PA", name="A", list_price="1", unit_cost="0")

    def order(owner, day, revenue, code):
        o = SalesOrder.objects.create(code=code, customer=customer_a, owner=owner, order_date=day)
        OrderLine.objects.create(order=o, product=product, quantity="1", unit_price=revenue, unit_cost="0", revenue=revenue, cost="0")
        revenue_months_refresh(order_ids=[o.pk])  # written past order_create: the summary follows

    for i, month in enumerate(range(1, 7)):  # Jan..Jun 2026: 1000 a month for rep_a
        order(rep_a, date(2026, month, 10), "1000.00", f"S{i}")
    order(rep_a, date(2026, 7, 3), "150.00", "S7")  # July: 15 % of usual
    order(None, date(2026, 7, 4), "99999.00", "S8")  # no owner: nobody's
    order(manager_a, date(2026, 7, 5), "5.00", "S9")  # a manager is not a rep
    alerts = revenue_anomalies(month=date(2026, 7, 1))
    assert [(rep.username, a.revenue, a.median, a.ratio) for rep, a in alerts] == [("rep_a", D("150.00"), D("1000.00"), D("0.1500"))]
    assert revenue_anomalies(month=date(2026, 7, 1), user=rep_b) == []  # rep_b sees only their own


def _anomalies(*args) -> dict:
    out = io.StringIO()
    call_command("anomalies", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


@pytest.mark.django_db
def test_system_anomalies_command_gives_the_examples_expected_answers():
    call_command("import", str(EXAMPLE), stdout=io.StringIO())
    files = sorted((EXAMPLE / "expected").glob("anomalies-*.json"))
    assert len(files) == 4
    for path in files:
        month, share = path.stem.removeprefix("anomalies-").rsplit("-", 1)
        assert _anomalies(month, "--share", share) == json.loads(path.read_text()), path.name


@pytest.mark.django_db
@pytest.mark.parametrize("args", [["2026-13"], ["June"], ["2026-06", "--share", "0"], ["2026-06", "--share", "abc"], ["2026-06", "--share", "101"]])
def test_system_anomalies_command_refuses_bad_arguments(args):
    with pytest.raises(CommandError):
        call_command("anomalies", *args, stdout=io.StringIO())


@pytest.mark.django_db
def test_manager_is_told_of_a_reps_revenue_drop_once_in_words(rep_a, manager_a, customer_a):
    from datetime import datetime, timezone as dt_timezone

    from django.utils import translation

    from kehu.activities.models import Notification
    from kehu.activities.notifications import notification_message
    from kehu.reports.wiring import notify_anomalies
    from kehu.sales.models import OrderLine, Product, SalesOrder

    product = Product.objects.create(code="PA", name="A", list_price="1", unit_cost="0")
    for i, (day, revenue) in enumerate([(date(2026, m, 10), "100000.00") for m in range(1, 7)] + [(date(2026, 7, 3), "8000.00")]):
        o = SalesOrder.objects.create(code=f"S{i}", customer=customer_a, owner=rep_a, order_date=day)
        OrderLine.objects.create(order=o, product=product, quantity="1", unit_price=revenue, unit_cost="0", revenue=revenue, cost="0")
    revenue_months_refresh(customer_ids=[customer_a.pk])  # written past order_create: the summary follows
    now = datetime(2026, 8, 2, 9, tzinfo=dt_timezone.utc)  # the month just ended: July
    assert notify_anomalies(now=now) == 1
    assert notify_anomalies(now=now) == 0  # idempotent
    note = Notification.objects.get(user=manager_a, kind="anomaly")
    assert not Notification.objects.filter(user=rep_a, kind="anomaly").exists()
    with translation.override("en"):
        assert notification_message(note) == "rep_a: usually ~¥100,000.00 a month, 2026-07 ¥8,000.00 (8.00% of usual)"


@pytest.mark.django_db
def test_demo_has_a_rep_whose_revenue_and_visits_collapsed_and_mgr1_is_told_once():
    from django.utils import timezone, translation

    from kehu.activities.models import Activity, Notification
    from kehu.activities.notifications import notification_message
    from kehu.core.dates import add_months
    from kehu.dataset.services import demo_company_load
    from kehu.reports.selectors.anomalies import followup_anomalies

    demo_company_load()
    last = add_months(timezone.localdate().replace(day=1), -1)
    label = f"{last:%Y-%m}"
    alerts = revenue_anomalies(month=last)
    assert "rep2" in [rep.username for rep, _a in alerts]
    rep2 = next(a for rep, a in alerts if rep.username == "rep2")
    assert rep2.revenue * 10 <= rep2.median  # far under 20 %: at most a tenth
    assert ("rep2", "visit") in [(rep.username, kind) for rep, kind, _d in followup_anomalies(month=last)]
    notes = Notification.objects.filter(user__username="mgr1", kind="anomaly", fact_key__endswith=label)
    keys = set(notes.values_list("fact_key", flat=True))
    rep_id = alerts[[r.username for r, _a in alerts].index("rep2")][0].pk
    assert {f"revenue:{rep_id}:{label}", f"followups:{rep_id}:visit:{label}"} <= keys
    with translation.override("en"):
        texts = [notification_message(n) for n in notes]
    assert any(t.startswith("李芳: usually ~¥") for t in texts), texts
    assert any(t.startswith("李芳: follow-ups of type “Visit” usually ~8 a month") for t in texts), texts

    counts = (Notification.objects.count(), Activity.objects.count(), _order_lines())
    demo_company_load()  # a second load changes nothing
    assert (Notification.objects.count(), Activity.objects.count(), _order_lines()) == counts


def _order_lines():
    from kehu.sales.models import OrderLine

    return OrderLine.objects.count()
