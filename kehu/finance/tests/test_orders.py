"""Sales orders, credit blocks and releases, shipping into receivables (kehu/finance/services/orders.py) and their pages."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone

from kehu.accounts.models import User
from kehu.activities.models import Notification
from kehu.core.models import AuditEvent, CompanySettings
from kehu.finance.services import orders as svc
from kehu.finance.models import CreditEvent, Receivable
from kehu.finance.services import FinanceError
from kehu.sales.models import Contract, OrderLine, Product, SalesOrder

D = Decimal
TODAY = date(2026, 6, 30)
Status = SalesOrder.Status


@pytest.fixture
def product(db):
    return Product.objects.create(code="P1", name="Widget", list_price=D("19.99"), unit_cost=D("12.3456"))


@pytest.fixture
def manager_b(db, team_b):
    user = User.objects.create_user(username="manager_b", password="x-pass-123", role="manager", name="manager_b")
    team_b.managers.add(user)
    return user


def make_order(actor, customer, product, *, quantity="3", **line):
    return svc.order_create(actor=actor, customer=customer, order_date=TODAY, currency="CNY",
                            lines=[{"product": product, "quantity": D(quantity), **line}])


def blocked_order(rep, customer, product):
    customer.credit_limit = D("10.00")
    customer.save(update_fields=["credit_limit"])
    order = make_order(rep, customer, product)
    return svc.order_confirm(actor=rep, order=order, today=TODAY)


# --- create ------------------------------------------------------------------------------------

def test_order_lines_follow_the_revenue_and_cost_rules_exactly(rep_a, customer_a, product):
    order = svc.order_create(actor=rep_a, customer=customer_a, order_date=TODAY, lines=[
        {"product": product, "quantity": D("3"), "discount_pct": D("12.5")},            # 3 × 19.99 × 0.875 = 52.47375 → 52.47
        {"product": product, "quantity": D("0.3333"), "unit_price": D("0.015"), "unit_cost": D("0.005")},  # 0.0049995 → 0.00
        {"product": product, "quantity": D("7"), "unit_price": D("1.005")},            # 7.035 → 7.04 (half-up)
    ])
    assert order.status == Status.DRAFT and order.code.startswith("S")
    lines = list(OrderLine.objects.filter(order=order).order_by("id"))
    assert [li.revenue for li in lines] == [D("52.47"), D("0.00"), D("7.04")]
    assert [li.cost for li in lines] == [D("37.04"), D("0.00"), D("86.42")]  # 3 × 12.3456 = 37.0368; 7 × 12.3456 = 86.4192
    assert lines[0].unit_price == D("19.99") and lines[0].unit_cost == D("12.3456")
    assert svc.order_total(order) == D("59.51")
    assert AuditEvent.objects.filter(object_type="salesorder", object_id=order.pk).exists()


@pytest.mark.parametrize("line", [{"quantity": D("0")}, {"quantity": D("1"), "discount_pct": D("100.01")}, {"quantity": D("1"), "unit_price": D("-1")}])
def test_bad_lines_are_refused_and_nothing_is_written(rep_a, customer_a, product, line):
    with pytest.raises(FinanceError):
        svc.order_create(actor=rep_a, customer=customer_a, order_date=TODAY, lines=[{"product": product, **line}])
    assert not SalesOrder.objects.exists()


def test_an_order_needs_a_line(rep_a, customer_a):
    with pytest.raises(FinanceError):
        svc.order_create(actor=rep_a, customer=customer_a, order_date=TODAY, lines=[])


@pytest.mark.parametrize("who", ["finance", "rep_a2", "rep_b"])
def test_finance_and_other_reps_cannot_create_orders(request, customer_a, product, who):
    with pytest.raises(PermissionDenied):
        make_order(request.getfixturevalue(who), customer_a, product)
    assert not SalesOrder.objects.exists()


# --- confirm and credit control ----------------------------------------------------------------

def test_confirm_within_credit_confirms(rep_a, customer_a, product):
    customer_a.credit_limit = D("59.97")  # 3 × 19.99
    customer_a.save(update_fields=["credit_limit"])
    order = svc.order_confirm(actor=rep_a, order=make_order(rep_a, customer_a, product), today=TODAY)
    assert order.status == Status.CONFIRMED and not CreditEvent.objects.exists()


def test_confirm_above_the_limit_blocks_records_the_reasons_and_notifies(rep_a, manager_a, director, finance, customer_a, product):
    customer_a.credit_limit = D("59.96")
    customer_a.save(update_fields=["credit_limit"])
    order = svc.order_confirm(actor=rep_a, order=make_order(rep_a, customer_a, product), today=TODAY)
    assert order.status == Status.BLOCKED
    event = CreditEvent.objects.get(order=order)
    assert event.kind == CreditEvent.Kind.BLOCK and event.user == rep_a
    assert event.details["reasons"] == [{"code": "credit_limit", "limit": "59.96", "used": "0.00", "receivables": "0.00", "instalments": "0.00",
                                         "unshipped": "0.00", "order": "59.97", "total": "59.97", "currency": "CNY"}]
    told = set(Notification.objects.filter(kind=svc.KIND_BLOCKED).values_list("user__username", flat=True))
    assert told == {"finance", "manager_a", "director"}
    n = Notification.objects.filter(kind=svc.KIND_BLOCKED, user=finance).get()
    from kehu.activities.hooks import NOTIFICATION_RENDERERS

    assert order.code in NOTIFICATION_RENDERERS.get(svc.KIND_BLOCKED)(n)
    assert AuditEvent.objects.filter(object_type="salesorder", object_id=order.pk, verb=AuditEvent.Verb.UPDATE).exists()


def test_confirm_with_an_old_overdue_receivable_blocks(rep_a, customer_a, product):
    Receivable.objects.create(customer=customer_a, amount=D("5.00"), open_amount=D("5.00"), issued_on=TODAY - timedelta(days=100),
                              due_on=TODAY - timedelta(days=61))
    order = svc.order_confirm(actor=rep_a, order=make_order(rep_a, customer_a, product), today=TODAY)
    assert order.status == Status.BLOCKED
    assert CreditEvent.objects.get(order=order).details["reasons"][0]["code"] == "overdue"


def test_confirmed_unshipped_orders_count_so_a_second_order_over_the_limit_is_held(rep_a, customer_a, product):
    customer_a.credit_limit = D("100.00")
    customer_a.save(update_fields=["credit_limit"])
    first = svc.order_confirm(actor=rep_a, order=make_order(rep_a, customer_a, product), today=TODAY)  # 59.97
    second = svc.order_confirm(actor=rep_a, order=make_order(rep_a, customer_a, product), today=TODAY)  # 59.97 + 59.97 > 100
    assert (first.status, second.status) == (Status.CONFIRMED, Status.BLOCKED)
    assert CreditEvent.objects.get(order=second).details["reasons"][0]["unshipped"] == "59.97"


def test_confirm_locks_the_customer_row_before_the_check(rep_a, customer_a, product, monkeypatch):
    """Two confirmations for one customer are checked one after the other (the customer row lock)."""
    from django.db.models import QuerySet

    from kehu.customers.models import Customer

    order = make_order(rep_a, customer_a, product)
    locked, checked = [], []
    original = QuerySet.select_for_update

    def spy(self, *args, **kwargs):
        locked.append(self.model)
        return original(self, *args, **kwargs)

    monkeypatch.setattr(QuerySet, "select_for_update", spy)
    real_check = svc.credit_check
    monkeypatch.setattr(svc, "credit_check", lambda *a, **k: checked.append(list(locked)) or real_check(*a, **k))
    svc.order_confirm(actor=rep_a, order=order, today=TODAY)
    assert checked == [[Customer, SalesOrder]]


def test_only_a_draft_is_confirmed(rep_a, customer_a, product):
    order = svc.order_confirm(actor=rep_a, order=make_order(rep_a, customer_a, product), today=TODAY)
    with pytest.raises(FinanceError):
        svc.order_confirm(actor=rep_a, order=order, today=TODAY)


def test_finance_cannot_confirm(finance, rep_a, customer_a, product):
    with pytest.raises(PermissionDenied):
        svc.order_confirm(actor=finance, order=make_order(rep_a, customer_a, product), today=TODAY)


# --- release -----------------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["finance", "manager_a", "admin"])
def test_release_by_finance_manager_or_admin(request, rep_a, customer_a, product, who):
    order = blocked_order(rep_a, customer_a, product)
    user = request.getfixturevalue(who)
    released = svc.order_release(actor=user, order=order, reason="Paid in advance by wire")
    assert released.status == Status.CONFIRMED
    event = CreditEvent.objects.get(order=order, kind=CreditEvent.Kind.RELEASE)
    assert event.reason == "Paid in advance by wire" and event.user == user
    assert Notification.objects.filter(user=rep_a, kind=svc.KIND_RELEASED).exists()
    assert AuditEvent.objects.filter(object_type="salesorder", object_id=order.pk, note="Paid in advance by wire").exists()


def test_reps_cannot_release(rep_a, customer_a, product):
    order = blocked_order(rep_a, customer_a, product)
    with pytest.raises(PermissionDenied):
        svc.order_release(actor=rep_a, order=order, reason="please")
    order.refresh_from_db()
    assert order.status == Status.BLOCKED and not CreditEvent.objects.filter(kind="release").exists()


@pytest.mark.parametrize("reason", ["", "   "])
def test_release_needs_a_reason(finance, rep_a, customer_a, product, reason):
    order = blocked_order(rep_a, customer_a, product)
    with pytest.raises(FinanceError):
        svc.order_release(actor=finance, order=order, reason=reason)
    order.refresh_from_db()
    assert order.status == Status.BLOCKED


def test_only_a_blocked_order_is_released(finance, rep_a, customer_a, product):
    with pytest.raises(FinanceError):
        svc.order_release(actor=finance, order=make_order(rep_a, customer_a, product), reason="x")


# --- ship --------------------------------------------------------------------------------------

def test_ship_issues_the_receivable_due_after_the_policy_term(rep_a, customer_a, product):
    conf = CompanySettings.load()
    conf.default_payment_term_days = 45
    conf.save()
    order = svc.order_confirm(actor=rep_a, order=make_order(rep_a, customer_a, product), today=TODAY)
    shipped = svc.order_ship(actor=rep_a, order=order, shipped_on=date(2026, 7, 2))
    assert shipped.status == Status.SHIPPED and shipped.shipped_on == date(2026, 7, 2)
    r = Receivable.objects.get(order=order)
    assert (r.amount, r.open_amount, r.issued_on, r.due_on, r.customer_id) == (
        D("59.97"), D("59.97"), date(2026, 7, 2), date(2026, 8, 16), customer_a.pk)


def test_shipping_an_order_on_a_contract_issues_no_receivable(rep_a, customer_a, product):
    """An order on a contract is billed through the contract's payment plan: no receivable."""
    contract = Contract.objects.create(code="K-T", customer=customer_a, owner=rep_a, signed_on=TODAY, amount=D("100.00"), payment_term_days=10)
    order = svc.order_create(actor=rep_a, customer=customer_a, contract=contract, order_date=TODAY, lines=[{"product": product, "quantity": D("1")}])
    svc.order_confirm(actor=rep_a, order=order, today=TODAY)
    shipped = svc.order_ship(actor=rep_a, order=order, shipped_on=TODAY)
    assert shipped.status == Status.SHIPPED and shipped.shipped_on == TODAY
    assert not Receivable.objects.exists()
    assert AuditEvent.objects.filter(object_type="salesorder", object_id=order.pk, changes__has_key="shipped_on").exists()


def test_an_order_without_a_contract_ignores_other_contracts_terms(rep_a, customer_a, product):
    Contract.objects.create(code="K-T", customer=customer_a, owner=rep_a, signed_on=TODAY, amount=D("100.00"), payment_term_days=10)
    order = svc.order_confirm(actor=rep_a, order=make_order(rep_a, customer_a, product), today=TODAY)
    svc.order_ship(actor=rep_a, order=order, shipped_on=TODAY)
    assert Receivable.objects.get(order=order).due_on == TODAY + timedelta(days=CompanySettings.load().default_payment_term_days)


def test_shipping_a_draft_or_blocked_order_is_refused(rep_a, customer_a, product):
    draft = make_order(rep_a, customer_a, product)
    with pytest.raises(FinanceError):
        svc.order_ship(actor=rep_a, order=draft, shipped_on=TODAY)
    blocked = blocked_order(rep_a, customer_a, product)
    with pytest.raises(FinanceError):
        svc.order_ship(actor=rep_a, order=blocked, shipped_on=TODAY)
    assert not Receivable.objects.exists()


def test_shipping_twice_is_refused(rep_a, customer_a, product):
    order = svc.order_confirm(actor=rep_a, order=make_order(rep_a, customer_a, product), today=TODAY)
    svc.order_ship(actor=rep_a, order=order, shipped_on=TODAY)
    with pytest.raises(FinanceError):
        svc.order_ship(actor=rep_a, order=order, shipped_on=TODAY)
    assert Receivable.objects.count() == 1


def test_a_released_order_ships(finance, rep_a, customer_a, product):
    order = blocked_order(rep_a, customer_a, product)
    svc.order_release(actor=finance, order=order, reason="ok")
    svc.order_ship(actor=rep_a, order=order, shipped_on=TODAY)
    assert Receivable.objects.filter(order=order).exists()


def test_finance_cannot_ship(finance, rep_a, customer_a, product):
    order = svc.order_confirm(actor=rep_a, order=make_order(rep_a, customer_a, product), today=TODAY)
    with pytest.raises(PermissionDenied):
        svc.order_ship(actor=finance, order=order, shipped_on=TODAY)


# --- pages -------------------------------------------------------------------------------------

def test_order_form_creates_a_draft(login, rep_a, customer_a, product):
    data = {"contract": "", "order_date": "2026-06-30", "currency": "CNY", "lines-TOTAL_FORMS": "2", "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "100", "lines-0-product": str(product.pk), "lines-0-quantity": "2",
            "lines-0-discount_pct": "10", "lines-1-product": "", "lines-1-quantity": ""}
    response = login(rep_a).post(reverse("finance:order-create", args=[customer_a.pk]), data)
    order = SalesOrder.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("finance:order-detail", args=[order.pk])
    assert svc.order_total(order) == D("35.98")


def test_finance_is_sent_back_from_the_order_form(login, finance, customer_a):
    assert login(finance).get(reverse("finance:order-create", args=[customer_a.pk])).status_code == 302


@pytest.mark.parametrize("who,status", [("rep_a", 200), ("manager_a", 200), ("finance", 200), ("admin", 200), ("rep_b", 404), ("rep_a2", 404)])
def test_order_page_by_role(login, request, rep_a, customer_a, product, who, status):
    order = blocked_order(rep_a, customer_a, product)
    response = login(request.getfixturevalue(who)).get(reverse("finance:order-detail", args=[order.pk]))
    assert response.status_code == status
    if status == 200:
        assert "above the credit limit" in response.content.decode()


def test_release_page_by_finance_and_reason_required(login, finance, rep_a, customer_a, product):
    order = blocked_order(rep_a, customer_a, product)
    client = login(finance)
    url = reverse("finance:order-release", args=[order.pk])
    response = client.post(url, {"reason": ""}, follow=True)
    assert "Say why the order is released." in response.content.decode()
    order.refresh_from_db()
    assert order.status == Status.BLOCKED
    client.post(url, {"reason": "Customer paid the old invoice"})
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED


def test_release_page_refuses_reps_with_a_message(login, rep_a, customer_a, product):
    order = blocked_order(rep_a, customer_a, product)
    response = login(rep_a).post(reverse("finance:order-release", args=[order.pk]), {"reason": "x"}, follow=True)
    assert response.status_code == 200 and "You may not do this on this order." in response.content.decode()
    order.refresh_from_db()
    assert order.status == Status.BLOCKED


def test_release_by_another_teams_manager_is_404(login, manager_b, rep_a, customer_a, product):
    order = blocked_order(rep_a, customer_a, product)
    assert login(manager_b).post(reverse("finance:order-release", args=[order.pk]), {"reason": "x"}).status_code == 404
    order.refresh_from_db()
    assert order.status == Status.BLOCKED


def test_confirm_and_ship_pages(login, rep_a, customer_a, product):
    order = make_order(rep_a, customer_a, product)
    client = login(rep_a)
    client.post(reverse("finance:order-confirm", args=[order.pk]))
    order.refresh_from_db()
    assert order.status == Status.CONFIRMED
    client.post(reverse("finance:order-ship", args=[order.pk]), {"shipped_on": timezone.localdate().isoformat()})
    order.refresh_from_db()
    assert order.status == Status.SHIPPED and Receivable.objects.filter(order=order).exists()


def test_confirm_page_says_when_the_order_is_held(login, rep_a, customer_a, product):
    """A hold is a normal outcome: a warning (not an error) with the reasons, amounts as money."""
    customer_a.credit_limit = D("1.00")
    customer_a.save(update_fields=["credit_limit"])
    order = make_order(rep_a, customer_a, product)
    response = login(rep_a).post(reverse("finance:order-confirm", args=[order.pk]), follow=True)
    warnings = [m for m in response.context["messages"] if m.level_tag == "warning"]
    assert len(warnings) == 1 and not [m for m in response.context["messages"] if m.level_tag == "error"]
    text = str(warnings[0])
    assert "is held by credit control" in text
    assert "this order ¥59.97 come to ¥59.97, above the credit limit ¥1.00" in text
    assert "alert-danger" not in response.content.decode()


def test_ship_page_of_a_contract_order_says_it_is_billed_through_the_contract(login, rep_a, customer_a, product):
    contract = Contract.objects.create(code="K-P", customer=customer_a, owner=rep_a, signed_on=TODAY, amount=D("100.00"))
    order = svc.order_create(actor=rep_a, customer=customer_a, contract=contract, order_date=TODAY, lines=[{"product": product, "quantity": D("1")}])
    svc.order_confirm(actor=rep_a, order=order, today=TODAY)
    client = login(rep_a)
    assert "It is billed through the contract" in client.get(reverse("finance:order-detail", args=[order.pk])).content.decode()
    body = client.post(reverse("finance:order-ship", args=[order.pk]), {"shipped_on": TODAY.isoformat()}, follow=True).content.decode()
    assert "billed through the payment plan of contract K-P" in body and 'data-testid="billed-by-contract"' in body
    assert not Receivable.objects.exists()


def test_order_list_filters_pages_and_hides_other_teams(login, rep_a, rep_b, customer_a, customer_b, product, django_assert_max_num_queries):
    for _n in range(3):
        make_order(rep_a, customer_a, product)
    other = make_order(rep_b, customer_b, product)
    held = blocked_order(rep_a, customer_a, product)
    client = login(rep_a)
    page = client.get(reverse("finance:order-list"))
    codes = {o.code for o in page.context["page"].rows}
    assert held.code in codes and other.code not in codes and len(codes) == 4
    assert [o.code for o in client.get(reverse("finance:order-list") + "?status=blocked").context["page"].rows] == [held.code]
    assert [o.code for o in client.get(reverse("finance:credit-holds")).context["page"].rows] == [held.code]
    for _n in range(10):
        make_order(rep_a, customer_a, product)
    with django_assert_max_num_queries(8):
        assert client.get(reverse("finance:order-list")).status_code == 200
    with django_assert_max_num_queries(8):
        assert client.get(reverse("finance:credit-holds")).status_code == 200


def test_order_page_query_count_is_fixed(login, rep_a, customer_a, product, django_assert_max_num_queries):
    order = svc.order_create(actor=rep_a, customer=customer_a, order_date=TODAY, lines=[{"product": product, "quantity": D(n)} for n in range(1, 12)])
    client = login(rep_a)
    with django_assert_max_num_queries(9):
        assert client.get(reverse("finance:order-detail", args=[order.pk])).status_code == 200


# --- customer page panel and timeline ------------------------------------------------------------

def test_customer_panel_lists_contracts_and_orders_in_fixed_queries(rep_a, finance, customer_a, product, django_assert_max_num_queries):
    from django.template import Context, Template
    from django.test import RequestFactory

    contract = Contract.objects.create(code="K-P", customer=customer_a, owner=rep_a, signed_on=TODAY, amount=D("100.00"))
    from kehu.finance.models import Instalment

    Instalment.objects.create(contract=contract, seq=1, due_on=TODAY, amount=D("40.00"), applied=D("40.00"), paid_in_full_on=TODAY)
    Instalment.objects.create(contract=contract, seq=2, due_on=TODAY + timedelta(days=30), amount=D("60.00"), applied=D("10.00"))
    for _n in range(5):
        make_order(rep_a, customer_a, product)
    tpl = Template("{% load orders_panel %}{% orders_panel customer %}")
    for user, buttons in ((rep_a, True), (finance, False)):
        req = RequestFactory().get("/")
        req.user = user
        with django_assert_max_num_queries(2):  # contracts (received and next due in the same query), orders with totals
            html = tpl.render(Context({"request": req, "customer": customer_a}))
        assert "K-P" in html and "¥50.00" in html and "¥60.00" in html and "¥59.97" in html
        assert ('data-testid="new-order"' in html) is buttons and ('data-testid="new-contract"' in html) is buttons


def test_timeline_sources_show_contracts_and_orders_to_who_may_see(rep_a, rep_b, customer_a, product):
    from kehu.finance.wiring_orders import contract_entries, order_entries

    Contract.objects.create(code="K-TL", customer=customer_a, owner=rep_a, signed_on=TODAY, amount=D("100.00"))
    order = make_order(rep_a, customer_a, product)
    assert [e.label for e in contract_entries(customer=customer_a, user=rep_a, limit=10)] == ["Contract K-TL signed"]
    entries = order_entries(customer=customer_a, user=rep_a, limit=10)
    assert entries[0].label == f"Order {order.code}" and entries[0].text == "¥59.97"
    assert order_entries(customer=customer_a, user=rep_b, limit=10) == []


def test_customer_page_shows_the_panel(login, rep_a, finance, customer_a, product):
    order = make_order(rep_a, customer_a, product)
    html = login(rep_a).get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert 'data-testid="orders-panel"' in html and order.code in html
    assert reverse("finance:contract-create", args=[customer_a.pk]) in html
    html = login(finance).get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert order.code in html and reverse("finance:order-create", args=[customer_a.pk]) not in html


def test_a_product_in_another_currency_is_refused_naming_the_line(rep_a, customer_a, product):
    usd = Product.objects.create(code="PU", name="Gadget", list_price=D("100"), unit_cost=D("1"), currency="USD")
    with pytest.raises(FinanceError, match=r"Line 2: Gadget .* is priced in USD, the order is in CNY\."):
        svc.order_create(actor=rep_a, customer=customer_a, order_date=TODAY, currency="CNY",
                         lines=[{"product": product, "quantity": D("1")}, {"product": usd, "quantity": D("1")}])
    assert not SalesOrder.objects.exists()
    order = svc.order_create(actor=rep_a, customer=customer_a, order_date=TODAY, currency="USD", lines=[{"product": usd, "quantity": D("1")}])
    assert svc.order_total(order) == D("100.00")


def test_order_form_marks_each_product_and_contract_with_its_currency(login, rep_a, customer_a, product):
    Product.objects.create(code="PU", name="Gadget", list_price=D("100"), unit_cost=D("1"), currency="USD")
    contract = Contract.objects.create(code="K-U", customer=customer_a, owner=rep_a, signed_on=TODAY, amount=D("100.00"), currency="USD")
    client = login(rep_a)
    url = reverse("finance:order-create", args=[customer_a.pk])
    html = client.get(url).content.decode()
    assert f'value="{product.pk}" data-currency="CNY"' in html and 'data-currency="USD"' in html
    assert f'value="{contract.pk}" data-currency="USD"' in html
    usd = Product.objects.get(code="PU")
    data = {"contract": "", "order_date": "2026-06-30", "currency": "CNY", "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0",
            "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "100", "lines-0-product": str(usd.pk), "lines-0-quantity": "1"}
    body = client.post(url, data).content.decode()
    assert "Line 1: Gadget" in body and "priced in USD, the order is in CNY" in body and not SalesOrder.objects.exists()


def test_an_order_on_a_contract_is_in_the_contract_currency(rep_a, customer_a, product):
    contract = Contract.objects.create(code="K-USD", customer=customer_a, owner=rep_a, signed_on=TODAY, amount=D("100.00"), currency="USD")
    with pytest.raises(FinanceError, match="contract K-USD is in USD"):
        svc.order_create(actor=rep_a, customer=customer_a, contract=contract, order_date=TODAY, currency="CNY",
                         lines=[{"product": product, "quantity": D("1")}])
    assert not SalesOrder.objects.exists()
