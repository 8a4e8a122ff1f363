"""The lead-source summaries (kehu/reports/source_cells.py): `CustomerSourceCell` and
`SourceRevenueMonth`, kept by database triggers, equal to the live aggregates (computed here in
Python from the rows, independently of the SQL) after every kind of write; the rebuild finds and
corrects a wrong cell; the report reads them with the same figures (exact numbers, small world)."""

import io
from collections import defaultdict
from datetime import date, datetime
from datetime import timezone as dt_timezone
from decimal import Decimal
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db import connection
from django.utils import timezone

from conftest import make_customer
from factories import ContactFactory
from kehu.customers.models import Customer
from kehu.planning.periods import parse_period
from kehu.reports import source_cells
from kehu.reports.filters import ReportFilter
from kehu.reports.models import CustomerSourceCell, SourceRevenueMonth
from kehu.reports.selectors.sources import sources_report
from kehu.sales.models import Product, RevenueMonth

pytestmark = pytest.mark.django_db
D = Decimal
EXAMPLE = Path(__file__).resolve().parents[2] / "dataset" / "examples" / "small"


def live_cells() -> dict:
    cells = defaultdict(int)
    for c in Customer.objects.all():
        month = timezone.localtime(c.created_at).date().replace(day=1)
        cells[(c.owner_id or 0, c.lead_source, c.stage, c.pyramid_tier, c.value_class, c.is_deleted, month)] += 1
    return dict(cells)


def stored_cells() -> dict:
    return {(r.owner_key, r.lead_source, r.stage, r.pyramid_tier, r.value_class, r.is_deleted, r.created_month): r.n
            for r in CustomerSourceCell.objects.exclude(n=0)}


def live_revenue() -> dict:
    customers = {c.pk: c for c in Customer.objects.all()}
    cells = defaultdict(lambda: [0, 0])
    for r in RevenueMonth.objects.all():
        c = customers[r.customer_id]
        live = not c.is_deleted and c.merged_into_id is None
        cell = cells[(r.month, r.owner_id or 0, c.lead_source, c.referrer_customer_id or 0, c.referrer_contact_id or 0, c.referrer_agent, live)]
        cell[0] += int(r.revenue * 100)
        cell[1] += 1
    return {k: tuple(v) for k, v in cells.items()}


def stored_revenue() -> dict:
    return {(r.month, r.owner_key, r.lead_source, r.referrer_customer_key, r.referrer_contact_key, r.referrer_agent, r.live): (r.cents, r.rows)
            for r in SourceRevenueMonth.objects.exclude(rows=0, cents=0)}


def assert_exact():
    assert stored_cells() == live_cells()
    assert stored_revenue() == live_revenue()
    assert source_cells.differences() == 0


@pytest.fixture
def product(db):
    return Product.objects.create(code="P1", name="Widget", list_price=D("10.00"), unit_cost=D("1.00"))


def order(actor, customer, day, quantity, product):
    from kehu.finance.services import order_create

    return order_create(actor=actor, customer=customer, order_date=day, lines=[{"product": product, "quantity": D(quantity)}])


def test_leadsrc_every_customer_write_keeps_the_cells_exact(admin, director, rep_a, rep_a2, customer_a, customer_a2, product):
    from kehu.customers.services import (
        customer_create,
        customer_delete,
        customer_handover,
        customer_merge,
        customer_release,
        customer_restore,
        customer_set_stage,
        customer_update,
    )

    assert_exact()  # the factories' inserts
    assert CustomerSourceCell.objects.exclude(n=0).count() == 2
    c = customer_create(actor=rep_a, data={"name": "新客户", "lead_source": "referral", "referrer_agent": "王五"})
    order(rep_a, c, date(2026, 3, 5), "2", product)
    order(rep_a2, customer_a2, date(2026, 3, 9), "1", product)
    assert_exact()
    customer_update(actor=admin, customer=c, data={"lead_source": "conference", "referrer_customer": customer_a})  # source, referrer
    assert_exact()
    customer_set_stage(actor=admin, customer=c, stage="qualified")
    Customer.objects.filter(pk=customer_a.pk).update(pyramid_tier="major", value_class="diamond")  # the evaluation run's write
    assert_exact()
    customer_handover(actor=director, from_user=rep_a, to_user=rep_a2)
    assert_exact()
    c.refresh_from_db()
    customer_release(actor=rep_a2, customer=c, reason="不跟了")
    assert_exact()
    customer_delete(actor=admin, customer=c)
    assert_exact()
    assert list(SourceRevenueMonth.objects.filter(month=date(2026, 3, 1), owner_key=rep_a.pk, rows__gt=0).values_list("live", "cents")) == [
        (False, 2000)]
    customer_restore(actor=admin, customer=Customer.objects.get(pk=c.pk))
    assert_exact()
    customer_merge(actor=admin, kept=Customer.objects.get(pk=customer_a2.pk), merged=Customer.objects.get(pk=c.pk))
    assert_exact()
    spare = make_customer(None, "池中客户", "C09999", lead_source="internet")
    assert_exact()
    spare.delete()  # a hard delete
    with connection.cursor() as cursor:  # raw SQL too
        cursor.execute("UPDATE customers_customer SET lead_source = 'exhibition' WHERE id = %s", [customer_a.pk])
    assert_exact()


def test_leadsrc_order_writes_import_and_contact_referrers_keep_the_revenue_exact(rep_a, customer_a, product):
    contact = ContactFactory(customer=customer_a, name="联系人乙")
    referred = make_customer(rep_a, "被推荐", "C07777", lead_source="referral", referrer_contact=contact)
    order(rep_a, referred, date(2026, 5, 31), "3", product)
    order(rep_a, referred, date(2026, 5, 1), "1", product)
    assert_exact()
    assert stored_revenue()[(date(2026, 5, 1), rep_a.pk, "referral", 0, contact.pk, "", True)] == (4000, 1)
    call_command("import", str(EXAMPLE), stdout=io.StringIO())
    assert SourceRevenueMonth.objects.count() > 1
    assert_exact()
    call_command("import", str(EXAMPLE), stdout=io.StringIO())  # again: every row updated in place
    assert_exact()
    contact.delete()  # the referring contact deleted: the customer's referrer_contact set to NULL
    assert_exact()


def test_leadsrc_created_month_is_the_local_month(rep_a):
    c = make_customer(rep_a, "跨月", "C05555", lead_source="internet")
    # 2026-03-31 20:00 UTC is 2026-04-01 04:00 in Shanghai
    Customer.objects.filter(pk=c.pk).update(created_at=datetime(2026, 3, 31, 20, 0, tzinfo=dt_timezone.utc))
    cell = CustomerSourceCell.objects.get(lead_source="internet", n=1)
    assert cell.created_month == date(2026, 4, 1)
    assert_exact()


def test_leadsrc_rebuild_finds_and_corrects_wrong_cells(rep_a, customer_a, product):
    order(rep_a, customer_a, date(2026, 2, 3), "1", product)
    assert source_cells.rebuild() == 0
    CustomerSourceCell.objects.update(n=7)
    SourceRevenueMonth.objects.update(cents=1)
    CustomerSourceCell.objects.create(owner_key=999, lead_source="x", stage="target", created_month=date(2020, 1, 1), n=3)
    assert source_cells.differences() == 3
    out = io.StringIO()
    call_command("summaries", "rebuild", stdout=out)
    assert source_cells.differences() == 0
    assert_exact()
    assert source_cells.rebuild() == 0


def test_leadsrc_report_reads_the_cells_with_the_live_figures(director, rep_a, rep_a2, customer_a, customer_a2, product):
    """Q2 2026 (whole months: the summaries) against a week (the customers and the lines):
    the same customers, the acquired counted by the local day of creation."""
    inside = make_customer(rep_a, "四月客户", "C06666", lead_source="internet", referrer_agent="赵六")
    Customer.objects.filter(pk=inside.pk).update(created_at=timezone.make_aware(datetime(2026, 4, 1, 0, 30)))
    Customer.objects.filter(pk=customer_a.pk).update(created_at=timezone.make_aware(datetime(2026, 3, 31, 23, 30)))
    order(rep_a, inside, date(2026, 4, 1), "2", product)
    order(rep_a, inside, date(2026, 6, 30), "1", product)
    order(rep_a2, customer_a2, date(2026, 7, 1), "5", product)  # outside Q2

    def report(period, reader=director):
        return sources_report(ReportFilter(reader=reader, period=parse_period(period), today=date(2026, 6, 15)))

    q2 = report("2026-Q2")
    rows = {r.key: r for r in q2.sources}
    assert (rows["internet"].customers, rows["internet"].acquired, rows["internet"].revenue) == (1, 1, D("30.00"))
    assert q2.total.customers == 3 and q2.total.revenue == D("30.00")
    assert [(r.label, r.revenue, r.customers) for r in q2.referrers] == [("代理人：赵六", D("30.00"), 1)]
    week = report("2026-W14")  # 2026-03-30 .. 2026-04-05
    wrows = {r.key: r for r in week.sources}
    assert (wrows["internet"].customers, wrows["internet"].acquired, wrows["internet"].revenue) == (1, 1, D("20.00"))
    assert week.total.acquired == 2  # customer_a (31 March, local) and inside
    rep = report("2026-Q2", reader=rep_a)
    assert rep.total.revenue == D("30.00") and rep.total.customers == 2
    assert report("2026-Q3").total.revenue == D("50.00")
