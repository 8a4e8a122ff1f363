"""`kehu seed` (kehu.dataset.seed, issue 13): a small seed is consistent — owners, summaries,
payment plans, visibility — every page answers each role, and a database with customers is
refused. Runs on SQLite and PostgreSQL (DATABASE_URL)."""

from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db.models import Count, F, Q, Sum
from django.test import Client
from django.urls import reverse
from django.utils import translation

AS_OF = date(2026, 11, 20)


def seed_small(**sizes):
    out, err = StringIO(), StringIO()
    options = {"customers": 200, "order_lines": 2000, "activities": 1500, "opportunities": 60, "weeks": 10, "as_of": AS_OF.isoformat()}
    options.update(sizes)
    call_command("seed", stdout=out, stderr=err, **options)
    return out.getvalue(), err.getvalue()


@pytest.fixture
def seeded(db):
    seed_small()


def test_seed_makes_a_consistent_company(seeded):
    from kehu.accounts.models import Team, User
    from kehu.activities.models import Activity, ActivityMonth, Notification
    from kehu.activities.summaries import activity_months_rebuild
    from kehu.customers.models import Contact, Customer, CustomerStageChange
    from kehu.finance.models import Instalment, Payment, PaymentAllocation
    from kehu.planning.models import ForecastSubmission, Target
    from kehu.sales.models import Contract, Opportunity, OpportunityStageChange, OrderLine, Quote, RevenueMonth, SalesOrder
    from kehu.sales.summaries import revenue_months_rebuild

    assert Customer.objects.count() == 200
    assert OrderLine.objects.count() == 2000
    assert SalesOrder.objects.count() == 500
    assert Activity.objects.count() == 1500
    assert Opportunity.objects.count() == 60
    reps = User.objects.filter(role=User.Role.REP)
    assert reps.count() == 6 and Team.objects.count() == 2
    assert all(t.managers.count() == 1 for t in Team.objects.all())
    assert User.objects.get(username="bench_director").role == User.Role.ADMIN
    assert not User.objects.get(username="bench_rep000").has_usable_password()
    assert Customer.objects.filter(owner=None).count() == 20  # every 10th in the pool
    assert Contact.objects.count() > 100 and Customer.tags.through.objects.count() == 100
    assert Customer.objects.exclude(referrer_customer=None).count() == 10
    assert set(Customer.objects.values_list("stage", flat=True)) <= {"target", "prospect", "qualified", "signed", "vip"}
    # every customer's history ends in the stage it is in now
    for c in Customer.objects.all():
        last = CustomerStageChange.objects.filter(customer=c).order_by("-at", "-id").first()
        assert last.to_stage == c.stage and last.at == c.stage_changed_at
    # orders, activities, opportunities, quotes, contracts belong to their customer's owner
    same_owner = Q(owner_id=F("customer__owner_id")) | Q(owner=None, customer__owner=None)
    for model in (SalesOrder, Contract, Activity, Opportunity, Quote):
        assert not model.objects.exclude(same_owner).exists(), model
    assert SalesOrder.objects.filter(owner=None).exists()  # the pool's customers bought too
    assert not Activity.objects.filter(owner=None).exists()
    assert not SalesOrder.objects.filter(order_date__gt=AS_OF).exists()
    assert OpportunityStageChange.objects.values("opportunity").distinct().count() == 60
    # the lines' revenue as kehu.sales.lines computes it
    from kehu.sales.lines import line_cost, line_revenue

    for line in OrderLine.objects.all()[:300]:
        assert line.revenue == line_revenue(quantity=line.quantity, unit_price=line.unit_price, discount_pct=line.discount_pct)
        assert line.cost == line_cost(quantity=line.quantity, unit_cost=line.unit_cost)
    # the summaries equal the live aggregates: nothing to correct, and the totals match
    assert revenue_months_rebuild() == 0
    assert activity_months_rebuild() == 0
    from kehu.customers.summaries import stage_months_rebuild

    assert stage_months_rebuild() == 0
    # the search index followed the bulk inserts: it finds what the LIKE rule finds
    from kehu.customers.selectors import customer_search_like_q, customer_search_q

    some = Customer.objects.order_by("pk")[7]
    for text in (some.name[:2], some.name[1:5], some.code, some.name_initials[:3]):
        found = set(Customer.objects.filter(customer_search_q(text)).values_list("pk", flat=True))
        assert some.pk in found
        assert found == set(Customer.objects.filter(customer_search_like_q(text)).values_list("pk", flat=True))
    assert RevenueMonth.objects.aggregate(s=Sum("revenue"))["s"] == OrderLine.objects.aggregate(s=Sum("revenue"))["s"]
    assert RevenueMonth.objects.aggregate(s=Sum("lines"))["s"] == 2000
    assert ActivityMonth.objects.exists()
    # payment plans: an instalment's received amount is its allocations; a payment is fully applied
    for inst in Instalment.objects.annotate(alloc=Sum("allocations__amount")):
        assert inst.applied == (inst.alloc or Decimal(0))
        assert (inst.paid_in_full_on is not None) == (inst.applied == inst.amount)
    for p in Payment.objects.annotate(alloc=Sum("allocations__amount")):
        assert p.alloc + p.on_account == p.amount
    assert PaymentAllocation.objects.count() == Payment.objects.count() > 0
    # targets, forecasts, notifications
    assert Target.objects.filter(scope="company", year=AS_OF.year).count() == 1
    assert ForecastSubmission.objects.filter(source="carried").exclude(carried_from=None).count() == \
        ForecastSubmission.objects.filter(source="carried").count()
    assert ForecastSubmission.objects.values("user").distinct().count() == 6
    assert Notification.objects.exists()
    # as `kehu daily` sends them: to the follow-up's owner, and overdue ones to the team's managers too
    assert not Notification.objects.exclude(Q(user_id=F("customer__owner_id")) | Q(user__role=User.Role.MANAGER)).exists()


def test_seed_visibility_scope(seeded):
    from kehu.accounts.models import User
    from kehu.customers.models import Customer
    from kehu.sales.models import SalesOrder

    rep = User.objects.get(username="bench_rep000")
    manager = User.objects.get(username="bench_mgr0")
    director = User.objects.get(username="bench_director")
    owned = Customer.objects.filter(owner=rep)
    assert owned.count() == 34  # customers 0, 6, 12 … 198 but those in the pool (every 10th: 9, 19 …)
    # a rep sees their customers (and the pool), a manager the team's, the director everything
    assert set(Customer.objects.visible_to(rep).exclude(owner=None)) == set(owned)
    team = User.objects.filter(team__managers=manager)
    assert team.count() == 3
    assert set(Customer.objects.visible_to(manager).exclude(owner=None).values_list("owner", flat=True)) == set(team.values_list("id", flat=True))
    assert Customer.objects.visible_to(director).count() == 200
    assert SalesOrder.objects.visible_to(rep).count() == SalesOrder.objects.filter(Q(customer__owner=rep) | Q(customer__owner=None)).count()
    assert SalesOrder.objects.visible_to(manager).count() < SalesOrder.objects.visible_to(director).count() == 500
    counts = dict(Customer.objects.exclude(owner=None).values_list("owner").annotate(n=Count("id")))
    assert sorted(counts.values()) == [26, 27, 27, 33, 33, 34]


PAGES = [
    ("customers:list", None), ("customers:pool", None), ("customers:detail", "customer"), ("sales:pipeline", None),
    ("finance:aging", None), ("finance:commission", None), ("activities:agenda", None), ("activities:notifications", None),
    ("reports:workbench", None), ("reports:search", None), ("reports:funnel", None), ("reports:sources", None),
    ("reports:activity", None), ("reports:anomalies", None), ("reports:wallet", None), ("planning:forecast", None),
    ("planning:rollup", None), ("planning:accuracy", None), ("ranking:pyramid", None),
]


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_seeded_pages_answer_every_role(seeded, language):
    from kehu.accounts.models import User
    from kehu.customers.models import Customer

    rep = User.objects.get(username="bench_rep000")
    customer = Customer.objects.filter(owner=rep).order_by("id").first()
    for username in ("bench_director", "bench_mgr0", "bench_rep000", "bench_finance"):
        user = User.objects.get(username=username)
        user.language = language
        user.save(update_fields=["language"])
        client = Client()
        client.force_login(user)
        for name, kwarg in PAGES:
            url = reverse(name, kwargs={"pk": customer.pk} if kwarg else None)
            if name == "reports:search":
                url += "?q=" + customer.name[:2]
            response = client.get(url)
            assert response.status_code in (200, 403, 404), (username, url, response.status_code)
            if username in ("bench_director", "bench_rep000") and name != "finance:commission":
                assert response.status_code == 200, (username, url, response.status_code)


def test_seed_refuses_a_database_with_customers(db):
    from kehu.customers.models import Customer

    Customer.objects.create(code="X1", name="真实客户")
    with translation.override("en"), pytest.raises(CommandError, match="already has customers"):
        seed_small()
    with translation.override("zh-hans"), pytest.raises(CommandError) as exc:
        seed_small()
    assert "已有客户" in str(exc.value)
    assert Customer.objects.count() == 1
    seed_small(into_existing=True, customers=20, order_lines=100, activities=100, opportunities=5, weeks=2)
    assert Customer.objects.count() == 21


def test_seed_twice_is_refused(seeded):
    with translation.override("en"), pytest.raises(CommandError, match="seeded before"):
        seed_small(into_existing=True)


def test_seed_command_prints_progress_and_counts(db):
    out, err = seed_small(customers=30, order_lines=100, activities=50, opportunities=5, weeks=2)
    assert "customers 30" in out and "order lines 100" in out
    assert "orders and lines" in err
