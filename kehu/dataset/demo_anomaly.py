"""The demo's anomaly (`kehu demo`, issue 12): rep2 (李芳, team 华南, managed by mgr1) whose
revenue collapsed last month and whose visits dropped with it, dated relative to today:

- each of the 6 months before last month: orders of rep2's customers worth about ¥100,000 (more
  when rep2 already sold more than usual last month, so that last month stays far under 20 %),
  and 8 logged visits or more;
- last month: one small order (10 × P003, ¥1,200.00) and one visit.

The orders are written shipped (a finished sale: no open exposure for credit control), their lines
computed by `kehu.sales.lines` as any order's; the visits through `activity_log`. Then the anomaly
step of `kehu daily` runs, so mgr1 finds both alerts in the notification centre at once.

Only when the demo's visits are not there yet (their summaries mark them): a second `kehu demo`
changes nothing."""

from datetime import date, datetime, time, timedelta
from decimal import Decimal
from math import ceil

DEMO_REP = "rep2"
HISTORY_REVENUE = [Decimal(n) for n in ("102400", "96000", "112000", "99200", "105600", "108800")]  # oldest first
HISTORY_VISITS = 8
USUAL_VISIT = "例行拜访：了解生产计划与备件需求"
LAST_VISIT = "客户停产检修，本月仅拜访一次"
SMALL_ORDER = ("P003", "10")
BIG_PRODUCT = "P002"


def _aware(day: date):
    from django.utils import timezone

    return timezone.make_aware(datetime.combine(day, time(10, 0)))


def _order(customer, day: date, product, quantity) -> None:
    from kehu.finance.services.orders import next_order_code
    from kehu.sales.lines import clean_lines
    from kehu.sales.models import OrderLine, SalesOrder

    cleaned = clean_lines([{"product": product, "quantity": str(quantity)}], currency="CNY", kind="order", with_cost=True)
    order = SalesOrder.objects.create(code=next_order_code(), customer=customer, owner=customer.owner, order_date=day,
                                      currency="CNY", status=SalesOrder.Status.SHIPPED)
    OrderLine.objects.bulk_create([
        OrderLine(order=order, product=li.product, quantity=li.quantity, unit_price=li.unit_price, discount_pct=li.discount_pct,
                  unit_cost=li.unit_cost, revenue=li.revenue, cost=li.cost)
        for li in cleaned
    ])
    from kehu.sales.summaries import revenue_months_refresh

    revenue_months_refresh(order_ids=[order.pk])


def demo_anomaly() -> None:
    from django.utils import timezone

    from kehu.accounts.models import User
    from kehu.activities.models import Activity
    from kehu.activities.services import activity_log
    from kehu.core.dates import add_months
    from kehu.customers.models import Customer
    from kehu.reports.selectors.anomalies import month_keys, rep_month_followups, rep_month_revenue
    from kehu.reports.wiring import notify_anomalies
    from kehu.sales.models import Product

    rep = User.objects.filter(username=DEMO_REP, role=User.Role.REP).first()
    if rep is None or Activity.objects.filter(owner=rep, summary__in=[USUAL_VISIT, LAST_VISIT]).exists():
        return
    customers = list(Customer.objects.filter(owner=rep, is_deleted=False, merged_into__isnull=True).order_by("code"))
    products = {p.code: p for p in Product.objects.filter(code__in=[BIG_PRODUCT, SMALL_ORDER[0]], is_active=True)}
    if not customers or len(products) < 2:
        return
    today = timezone.localdate()
    last = add_months(today.replace(day=1), -1)  # the month just ended
    keys = month_keys(last)  # 6 before, then last month
    first = date(*keys[0], 1)
    until = today.replace(day=1) - timedelta(days=1)  # the last day of last month
    revenue = rep_month_revenue(first=first, last=until, rep_ids=[rep.pk]).get(rep.pk, {})
    counts = rep_month_followups(first=first, last=until, rep_ids=[rep.pk]).get(rep.pk, {})

    small = products[SMALL_ORDER[0]].list_price * Decimal(SMALL_ORDER[1])
    last_revenue = revenue.get(keys[-1], Decimal(0)) + small
    big = products[BIG_PRODUCT]
    for i, key in enumerate(keys[:-1]):
        wanted = max(HISTORY_REVENUE[i], last_revenue * 10)  # last month at most a tenth of each month before
        missing = wanted - revenue.get(key, Decimal(0))
        if missing > 0 and big.list_price > 0:
            _order(customers[i % len(customers)], date(*key, 5 + 3 * i), big, ceil(missing / big.list_price))
    _order(customers[0], date(*keys[-1], 12), products[SMALL_ORDER[0]], SMALL_ORDER[1])

    last_visits = max(counts.get(("visit", keys[-1]), 0), 1)
    usual = max(HISTORY_VISITS, 5 * last_visits + 1)  # last month under 20 % of the usual month
    for i, key in enumerate(keys[:-1]):
        for j in range(usual - counts.get(("visit", key), 0)):
            customer = customers[(i + j) % len(customers)]
            at = _aware(date(*key, 2 + (3 * j) % 26))
            activity_log(actor=rep, customer=customer, kind="visit", visit_level="business", at=at, summary=USUAL_VISIT, now=at)
    if counts.get(("visit", keys[-1]), 0) == 0:
        at = _aware(date(*keys[-1], 20))
        activity_log(actor=rep, customer=customers[0], kind="visit", visit_level="leadership", at=at, summary=LAST_VISIT, now=at)
    notify_anomalies(now=timezone.now())
