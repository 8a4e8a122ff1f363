"""Bad-debt write-offs (services.writeoff_record and the receivable-writeoff page)."""

from datetime import date
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kehu.core.models import AuditEvent
from kehu.finance.models import Receivable, WriteOff
from kehu.finance.services import FinanceError, writeoff_record
from conftest import english_client

D = Decimal


@pytest.fixture
def rec(customer_a):
    return Receivable.objects.create(customer=customer_a, amount=D("1000.00"), open_amount=D("400.00"),
                                     issued_on=date(2026, 1, 1), due_on=date(2026, 2, 1))


def test_finance_writes_off_part_of_the_open_amount(finance, rec, customer_a):
    w = writeoff_record(actor=finance, receivable=rec, amount=D("150.25"), written_on=date(2026, 6, 1), reason="破产")
    rec.refresh_from_db()
    assert (rec.open_amount, rec.written_off) == (D("249.75"), D("150.25"))
    assert (w.customer_id, w.receivable_id, w.amount, w.written_on, w.user) == (customer_a.pk, rec.pk, D("150.25"), date(2026, 6, 1), finance)
    assert AuditEvent.objects.filter(object_type="writeoff", object_id=w.pk, customer=customer_a).exists()


def test_admin_writes_off_the_whole_open_amount(admin, rec):
    writeoff_record(actor=admin, receivable=rec, amount=D("400.00"), written_on=date(2026, 6, 1), reason="gone")
    rec.refresh_from_db()
    assert rec.open_amount == D("0.00") and rec.written_off == D("400.00")


@pytest.mark.parametrize("amount, reason, message", [
    (D("400.01"), "x", "At most the open amount 400.00"),
    (D("0"), "x", "positive"),
    (D("1.001"), "x", "positive"),
    (D("10"), "  ", "needs a reason"),
])
def test_finance_bad_write_offs_change_nothing(finance, rec, amount, reason, message):
    with pytest.raises(FinanceError, match=message):
        writeoff_record(actor=finance, receivable=rec, amount=amount, written_on=date(2026, 6, 1), reason=reason)
    rec.refresh_from_db()
    assert rec.open_amount == D("400.00") and rec.written_off == D("0.00") and not WriteOff.objects.exists()


def test_finance_stale_copy_cannot_write_off_more_than_the_row_holds(finance, rec):
    Receivable.objects.filter(pk=rec.pk).update(open_amount=D("5.00"))
    with pytest.raises(FinanceError, match="At most the open amount 5.00"):
        writeoff_record(actor=finance, receivable=rec, amount=D("100.00"), written_on=date(2026, 6, 1), reason="x")
    assert not WriteOff.objects.exists()


@pytest.mark.parametrize("who", ["rep_a", "manager_a", "director"])
def test_sales_users_may_not_write_off(cast, rec, who):
    with pytest.raises(PermissionDenied):
        writeoff_record(actor=cast[who], receivable=rec, amount=D("1.00"), written_on=date(2026, 6, 1), reason="x")
    assert not WriteOff.objects.exists()


def test_finance_page_asks_for_confirmation_before_writing(client, finance, rec):
    client = english_client(client, finance)
    url = reverse("finance:receivable-writeoff", args=[rec.pk])
    assert client.get(url).status_code == 200
    data = {"amount": "100.00", "written_on": "2026-06-01", "reason": "破产清算", "step": "review"}
    response = client.post(url, data)
    assert response.status_code == 200 and 'data-testid="writeoff-confirm"' in response.content.decode()
    assert not WriteOff.objects.exists()
    response = client.post(url, {**data, "step": "confirm", "confirm": "1"})
    assert response.status_code == 302 and response["Location"] == reverse("finance:receivable-detail", args=[rec.pk])
    rec.refresh_from_db()
    assert rec.open_amount == D("300.00") and WriteOff.objects.get().reason == "破产清算"


def test_finance_page_refuses_more_than_open_with_a_message(client, finance, rec):
    client = english_client(client, finance)
    url = reverse("finance:receivable-writeoff", args=[rec.pk])
    response = client.post(url, {"amount": "500.00", "written_on": "2026-06-01", "reason": "x", "step": "confirm", "confirm": "1"})
    assert response.status_code == 200 and "At most the open amount ¥400.00" in response.content.decode()
    assert not WriteOff.objects.exists()


def test_manager_sees_the_page_but_is_refused_with_a_message(client, manager_a, rec):
    client = english_client(client, manager_a)
    url = reverse("finance:receivable-writeoff", args=[rec.pk])
    response = client.post(url, {"amount": "1.00", "written_on": "2026-06-01", "reason": "x", "step": "confirm", "confirm": "1"}, follow=True)
    assert "Only finance and administrators write off receivables." in response.content.decode()
    assert not WriteOff.objects.exists()


def test_rep_b_gets_404_for_rep_a_receivable(client, rep_b, rec):
    client = english_client(client, rep_b)
    url = reverse("finance:receivable-writeoff", args=[rec.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"amount": "1.00", "written_on": "2026-06-01", "reason": "x", "confirm": "1", "step": "confirm"}).status_code == 404
