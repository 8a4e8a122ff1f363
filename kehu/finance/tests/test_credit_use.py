"""Issue 10 item 18: the credit-hold message called unshipped orders 欠款 ("owed": ¥10.9M by a
customer who owes nothing). The credit in use is shown broken down — open receivables, due
instalments, confirmed orders not yet shipped — in the hold message, on the order page and on
the customer's finance panel."""

from datetime import timedelta
from decimal import Decimal

from django.urls import reverse
from django.utils import translation

from kehu.finance.services import orders as svc
from kehu.finance.services.credit import LIMIT, credit_check, credit_use, reason_text
from kehu.finance.tests.test_credit import TODAY, instalment, limit, receivable, unshipped_order
from kehu.sales.models import Product, SalesOrder

D = Decimal


def _customer_using_credit(customer, rep):
    limit(customer, "1000.00")
    receivable(customer, open_amount="100.00")
    instalment(customer, amount="300.00", applied="50.00", due_on=TODAY)  # 250 due and open
    instalment(customer, amount="999.00", due_on=TODAY + timedelta(days=1))  # not due yet: not in use
    unshipped_order(customer, rep, "600.00")


def test_hold_message_breaks_the_credit_use_down_and_calls_nothing_owed(customer_a, rep_a):
    _customer_using_credit(customer_a, rep_a)
    reasons = credit_check(customer_a, D("60.00"), today=TODAY)
    assert [r.code for r in reasons] == [LIMIT]
    figures = reasons[0].figures
    assert (figures["receivables"], figures["instalments"], figures["unshipped"], figures["used"]) == ("100.00", "250.00", "600.00", "950.00")
    with translation.override("en"):
        assert reasons[0].text == (
            "Credit in use ¥950.00 (open receivables ¥100.00, due instalments ¥250.00, confirmed orders not yet shipped ¥600.00) "
            "plus this order ¥60.00 come to ¥1,010.00, above the credit limit ¥1,000.00.")
    with translation.override("zh-hans"):
        text = reasons[0].text
    assert "欠款" not in text
    assert "未发货" in text and "¥600.00" in text and "¥100.00" in text and "¥250.00" in text


def test_credit_use_adds_up_what_counts_against_the_limit(customer_a, rep_a):
    _customer_using_credit(customer_a, rep_a)
    use = credit_use(customer_a, today=TODAY)
    assert (use.receivables, use.instalments, use.unshipped, use.total) == (D("100.00"), D("250.00"), D("600.00"), D("950.00"))
    assert (use.limit, use.available) == (D("1000.00"), D("50.00"))


def test_old_hold_figures_still_read_without_calling_them_owed(customer_a):
    old = {"code": "credit_limit", "limit": "59.96", "owed": "600.00", "open": "0.00", "unshipped": "600.00", "order": "59.97",
           "total": "659.97", "currency": "CNY"}
    with translation.override("zh-hans"):
        assert "欠款" not in reason_text(LIMIT, old)
    with translation.override("en"):
        assert "owed" not in reason_text(LIMIT, old).lower()


def test_rep_sees_the_credit_use_on_the_held_order_and_the_customer_panel(client, rep_a, customer_a):
    _customer_using_credit(customer_a, rep_a)
    product = Product.objects.create(code="P-CU", name="CU", list_price=D("60.00"), unit_cost=D("1.00"))
    order = svc.order_create(actor=rep_a, customer=customer_a, order_date=TODAY, lines=[{"product": product, "quantity": "1"}])
    order = svc.order_confirm(actor=rep_a, order=order, today=TODAY)
    assert order.status == SalesOrder.Status.BLOCKED
    rep_a.language = "en"
    rep_a.save(update_fields=["language"])
    client.force_login(rep_a)
    body = client.get(reverse("finance:order-detail", args=[order.pk])).content.decode()
    assert 'data-testid="credit-use"' in body
    for text in ("Open receivables", "Due instalments", "Confirmed orders not yet shipped", "¥100.00", "¥600.00", "Credit limit", "¥1,000.00"):
        assert text in body, text
    assert "Amounts owed" not in body
    body = client.get(reverse("customers:detail", args=[customer_a.pk])).content.decode()
    assert 'data-testid="credit-use"' in body and "Confirmed orders not yet shipped" in body and "¥600.00" in body
