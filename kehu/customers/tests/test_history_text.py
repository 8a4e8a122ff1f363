"""The customer's history reads as sentences in the reader's language (issue 10, item 16).

Audit events keep the data their services stored (payment plans as lists, credit checks as
dicts, stages as ids, moments as ISO text); only the rendering changes. The events below are
written the way the services write them (kehu/finance/contracts.py, orders.py, services.py,
kehu/sales/services.py, kehu/activities/services.py)."""

import re
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from kehu.activities.services import activity_log
from kehu.core.audit import audit_note, audit_note_text, audit_record
from kehu.core.models import AuditEvent
from kehu.customers.selectors import customer_history_rows
from kehu.finance.models import Payment
from kehu.sales.models import Contract, Opportunity, OpportunityStage, SalesOrder

PLAN = [[1, "2026-12-06", "40000.00"], [2, "2027-03-06", "40000.00"], [3, "2027-06-06", "40000.00"]]
CREDIT = {"total": "80000.00", "checked_on": "2026-12-06", "reasons": [
    {"code": "credit_limit", "limit": "50000.00", "owed": "60000.00", "open": "0.00", "unshipped": "60000.00",
     "order": "20000.00", "total": "80000.00", "currency": "CNY"},
]}


def event(customer, actor, object_type, object_id, label, verb="create", changes=None, note=""):
    return AuditEvent.objects.create(actor=actor, verb=verb, object_type=object_type, object_id=object_id, object_label=label,
                                     customer=customer, changes=changes or {}, note=note)


def history_text(client, customer) -> str:
    body = client.get(reverse("customers:detail", args=[customer.pk])).content.decode()
    section = body[body.index('data-testid="history"'):]
    section = section[: section.index("</section>")]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", section))


@pytest.fixture
def contract(customer_a, rep_a):
    return Contract.objects.create(code="K000221", customer=customer_a, owner=rep_a, signed_on="2026-12-01", amount="120000.00")


@pytest.fixture
def stored(customer_a, rep_a, finance, contract):
    """A contract with its plan, a blocked order with its credit check, a payment applied to an
    instalment, and an opportunity moved between stages (by id), as the services store them."""
    event(customer_a, rep_a, "contract", contract.pk, "K000221", changes={
        "amount": [None, "120000.00"], "currency": [None, "CNY"], "signed_on": [None, "2026-12-01"],
        "payment_term_days": [None, 30], "opportunity": [None, None], "quote": [None, None], "payment_plan": [None, PLAN],
    })
    order = SalesOrder.objects.create(code="S000077", customer=customer_a, owner=rep_a, order_date="2026-12-02")
    event(customer_a, rep_a, "salesorder", order.pk, "S000077", verb="update",
          changes={"status": ["draft", "blocked"], "credit": [None, CREDIT]}, note=audit_note("Blocked by credit control."))
    payment = Payment.objects.create(code="PM0000009", customer=customer_a, amount="40000.00", paid_on="2026-12-06")
    event(customer_a, finance, "payment", payment.pk, f"Payment object ({payment.pk})", changes={
        "amount": [None, "40000.00"], "paid_on": [None, "2026-12-06"], "applied": [None, {f"{contract.pk}#1": "40000.00"}],
        "on_account": [None, "0.00"],
    })
    first, second = OpportunityStage.objects.order_by("position")[:2]
    opportunity = Opportunity.objects.create(code="O000031", customer=customer_a, owner=rep_a, title="Line upgrade", stage=first, amount="10000.00")
    event(customer_a, rep_a, "opportunity", opportunity.pk, "Line upgrade (O000031)", verb="update",
          changes={"stage": [first.pk, second.pk]})
    return {"first": first, "second": second}


@pytest.mark.english
def test_rep_reads_each_change_as_a_sentence_naming_the_record(login, rep_a, customer_a, stored):
    text = history_text(login(rep_a), customer_a)
    assert "rep_a created contract K000221" in text
    assert "Payment plan: 3 instalments, total ¥120,000.00 (2026-12-06 – 2027-06-06)" in text
    assert "Amount: ¥120,000.00" in text and "Signed on: 2026-12-01" in text
    assert "rep_a changed sales order S000077" in text and "Blocked by credit control." in text
    assert "Credit check: credit limit ¥50,000.00 → in use with this order ¥80,000.00" in text
    assert "finance created payment PM0000009" in text
    assert "Applied to: contract K000221 instalment 1 ¥40,000.00" in text
    assert f"Stage: {stored['first'].name_en} → {stored['second'].name_en}" in text
    # no internals: lists, dicts, ids, English keys
    for internal in ("[1,", "{'", "{&#x27;", "Payment_plan", "payment_plan", "Payment object", "'reasons'", "None"):
        assert internal not in text, internal


def test_rep_reads_the_same_history_in_chinese(login, rep_a, customer_a, stored):
    rep_a.language = "zh-hans"
    rep_a.save(update_fields=["language"])
    text = history_text(login(rep_a), customer_a)
    assert "rep_a 新建了合同 K000221" in text
    assert "回款计划：3 期，合计 ¥120,000.00（2026-12-06 – 2027-06-06）" in text
    assert "信用检查：信用额度 ¥50,000.00 → 含本单占用 ¥80,000.00" in text
    assert "已被信用冻结。" in text
    assert "冲抵对象：合同 K000221 第 1 期 ¥40,000.00" in text
    assert f"{stored['first'].name} → {stored['second'].name}" in text
    assert "Payment plan" not in text and "credit limit" not in text


@pytest.mark.english
def test_moments_read_in_company_time_and_imports_name_people_by_name(login, rep_a, customer_a):
    rep_a.name = "Zhao Ann"
    rep_a.save(update_fields=["name"])
    event(customer_a, None, "customer", customer_a.pk, str(customer_a), verb="import", note="customers.csv", changes={
        "created_at": [None, "2024-06-30 00:00:00+08:00"], "owner": [None, "rep_a"], "stage": [None, "signed"],
        "credit_limit": [None, "94500.00"],
    })
    event(customer_a, rep_a, "activity", 999, "拜访 2026-10-27 18:00", changes={
        "kind": [None, "visit"], "visit_level": [None, "business"], "at": [None, "2026-10-27T10:00+00:00"], "summary": [None, "Demo"],
    })
    text = history_text(login(rep_a), customer_a)
    assert f"System imported customer {customer_a.name} ({customer_a.code})" in text and "customers.csv" in text
    assert "Created at: 2024-06-30 00:00" in text and "+08:00" not in text
    assert "Owner: Zhao Ann" in text and "Lifecycle stage: Signed" in text  # the username an import wrote, by name and "Credit limit: ¥94,500.00" in text
    assert "Zhao Ann created activity Visit · 2026-10-27 18:00" in text  # the follow-up named in the reader's language
    assert "Time: 2026-10-27 18:00" in text and "Visit level: Business" in text


def test_a_system_note_reads_in_each_readers_language(login, rep_a, customer_a):
    with translation.override("zh-hans"):  # written while the writer reads Chinese
        activity_log(actor=rep_a, customer=customer_a, kind="visit", visit_level="business", at=timezone.now() - timedelta(hours=1),
                     summary="拜访采购部")
    stored = AuditEvent.objects.get(object_type="activity")
    assert "已记录" not in stored.note  # a key, not a sentence
    with translation.override("en"):
        assert audit_note_text(stored.note) == "Follow-up logged: Visit"
        rows = customer_history_rows(customer=customer_a, user=rep_a)
        assert rows[0]["note"] == "Follow-up logged: Visit"
    with translation.override("zh-hans"):
        assert customer_history_rows(customer=customer_a, user=rep_a)[0]["note"] == "已记录跟进：拜访"


def test_old_notes_stored_as_text_and_typed_notes_read_as_written(rep_a, customer_a):
    event(customer_a, rep_a, "activity", 1, "拜访 2026-10-27 18:00", note="已记录跟进：拜访")
    typed = audit_record(actor=rep_a, verb="release", obj=customer_a, customer=customer_a,
                         note='{"note": "Credit control passed.", "params": {}}')
    with translation.override("en"):
        notes = [r["note"] for r in customer_history_rows(customer=customer_a, user=rep_a)]
    assert "已记录跟进：拜访" in notes
    assert "Credit control passed." not in notes  # typed text is never taken for a system note
    assert typed.note.strip() == '{"note": "Credit control passed.", "params": {}}'


def test_history_names_records_in_one_query_per_kind(rep_a, customer_a, contract, django_assert_num_queries):
    for i in range(1, 6):
        payment = Payment.objects.create(code=f"PM00000{i}", customer=customer_a, amount="10.00", paid_on="2026-12-06")
        event(customer_a, rep_a, "payment", payment.pk, f"Payment object ({payment.pk})",
              changes={"amount": [None, "10.00"], "applied": [None, {f"{contract.pk}#1": "10.00"}]})
        event(customer_a, rep_a, "customer", customer_a.pk, str(customer_a), verb="handover", changes={"owner": [rep_a.pk, rep_a.pk]})
    # the events, the contracts named in allocations, the users named as owners, the payments' codes
    with django_assert_num_queries(4):
        rows = customer_history_rows(customer=customer_a, user=rep_a)
    assert len(rows) == 10 and all("PM0000" in str(r["title"]) for r in rows if r["event"].object_type == "payment")


def test_a_returned_customer_reads_its_reason_in_each_readers_language(login, rep_a, customer_a):
    from kehu.customers.services import pool_run_returns

    customer_a.pool_clock_at = timezone.now() - timedelta(days=120)
    customer_a.save(update_fields=["pool_clock_at"])
    assert pool_run_returns() == 1
    event = AuditEvent.objects.get(verb="return")
    assert event.note.startswith('{"note"')  # stored as a key
    client = login(rep_a)
    for language, reason in (("en", "No follow-up for 120 days"), ("zh-hans", "已 120 天未跟进")):
        rep_a.language = language
        rep_a.save(update_fields=["language"])
        pool = client.get(reverse("customers:pool")).content.decode()
        assert reason in pool and '{&quot;note' not in pool and '{"note' not in pool
        assert reason in history_text(client, customer_a)
