"""Issue 14: errors in one shape, validated filters, ordering, cursor pages and `updated_since`,
and every write path moving `updated_at` (so an incremental sync misses nothing)."""

from datetime import date, datetime, timedelta
from datetime import timezone as dt_timezone

import pytest
from django.utils import timezone

from kehu.customers.models import Contact, Customer
from kehu.finance.models import Instalment, Payment, Receivable
from kehu.sales.models import Contract, Opportunity, OpportunityStage

OLD = datetime(2020, 1, 1, tzinfo=dt_timezone.utc)


def age(*querysets):
    """Set updated_at of every row of the querysets to OLD (as if last changed in 2020)."""
    for qs in querysets:
        qs.update(updated_at=OLD)


def changed(obj) -> bool:
    return type(obj).objects.filter(pk=obj.pk, updated_at__gt=OLD).exists()


@pytest.fixture
def contract(cast):
    contract = Contract.objects.create(code="K-1", customer=cast["customer_a"], owner=cast["rep_a"], signed_on="2026-01-05", amount="1000.00")
    Instalment.objects.create(contract=contract, seq=1, due_on="2026-02-05", amount="1000.00")
    return contract


# --- errors -------------------------------------------------------------------------------------

def test_rep_a_gets_every_error_in_one_shape_in_their_language(api, cast):
    rep_a = cast["rep_a"]
    client = api(rep_a)
    missing = client.post("/api/customers/", {}, format="json")
    assert missing.status_code == 400
    assert missing.json()["error"]["code"] == "validation_error"
    assert missing.json()["error"]["fields"]["name"] == [{"code": "required", "message": "该字段是必填项。"}]
    assert client.get("/api/customers/999999/").json() == {"error": {"code": "not_found", "message": "未找到。"}}
    assert client.get("/api/customers/abc/").json()["error"]["code"] == "not_found"  # any URL under /api/: JSON
    assert client.put("/api/customers/").json()["error"]["code"] == "method_not_allowed"
    unsupported = client.post("/api/customers/", "x", content_type="text/plain")
    assert (unsupported.status_code, unsupported.json()["error"]["code"]) == (415, "unsupported_media_type")
    assert api(None).get("/api/customers/").json()["error"]["code"] in ("not_authenticated", "authentication_failed")
    rep_a.language = "en"
    rep_a.save()
    english = api(rep_a).post("/api/customers/", {}, format="json").json()["error"]
    assert english["message"] == "The request is not valid; see the fields."
    assert english["fields"]["name"] == [{"code": "required", "message": "This field is required."}]
    assert api(rep_a).get("/api/customers/", {"stage": "bogus"}).json()["error"]["fields"]["stage"][0]["code"] == "invalid_choice"


@pytest.mark.parametrize("params", [
    {"stage": "bogus"}, {"owner": "abc"}, {"owner": "-1"}, {"kind": "x"}, {"key": "2"}, {"tag": "没有这个标签"},
    {"updated_since": "yesterday"}, {"updated_since": "2026-13-01T00:00:00Z"}, {"ordering": "phone"}, {"sort": "bogus"},
    {"pyramid_tier": "gold"}, {"limit": "x"}, {"offset": "-1"}, {"cursor": "not-a-cursor"},
])
def test_rep_a_gets_400_naming_an_unknown_filter_value(api, cast, params):
    response = api(cast["rep_a"]).get("/api/customers/", params)
    assert response.status_code == 400, response.content[:300]
    assert list(response.json()["error"]["fields"]) == list(params)


def test_a_filter_sent_twice_is_400(api, cast):
    response = api(cast["rep_a"]).get("/api/customers/?stage=target&stage=signed")
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["stage"]


# --- ordering, cursor pages, updated_since --------------------------------------------------------

def test_rep_a_pages_through_customers_by_cursor_in_the_order_asked(api, cast):
    for n in range(5):
        Customer.objects.create(code=f"Z{n:05d}", name=f"客户{n}", owner=cast["rep_a"])
    client = api(cast["rep_a"])
    codes = sorted(Customer.objects.visible_to(cast["rep_a"]).values_list("code", flat=True), reverse=True)
    total = len(codes)
    seen, url, params = [], "/api/customers/", {"ordering": "-code", "limit": 2}
    while url:
        body = client.get(url, params).json()
        assert body["count"] == total
        seen += [row["code"] for row in body["results"]]
        url, params = body["next"], None
    assert seen == codes and total == 7  # customer_a, the pool customer and the five above


def test_updated_since_lists_only_what_changed(api, cast, contract):
    age(Customer.objects.all(), Contract.objects.all())
    since = timezone.now() - timedelta(seconds=1)
    client = api(cast["admin"])
    assert client.get("/api/customers/", {"updated_since": since.isoformat()}).json()["results"] == []
    Customer.objects.get(pk=cast["customer_b"].pk).save()
    rows = client.get("/api/customers/", {"updated_since": since.isoformat(), "ordering": "updated_at"}).json()["results"]
    assert [r["id"] for r in rows] == [cast["customer_b"].pk]
    assert client.get("/api/contracts/", {"updated_since": since.isoformat()}).json()["results"] == []
    assert len(client.get("/api/contracts/", {"updated_since": OLD.isoformat()}).json()["results"]) == 1


# --- write paths move updated_at -------------------------------------------------------------------

def test_a_payment_changes_the_contract_and_the_receivable_it_pays(cast, contract):
    from kehu.finance.services import payment_record

    receivable = Receivable.objects.create(customer=cast["customer_a"], amount="100.00", open_amount="100.00",
                                           issued_on="2026-01-06", due_on="2026-02-05")
    age(Contract.objects.all(), Receivable.objects.all())
    payment_record(actor=cast["finance"], customer=cast["customer_a"], contract=contract, amount="10.00", paid_on=date(2026, 2, 1))
    assert changed(contract)
    payment_record(actor=cast["finance"], customer=cast["customer_a"], receivable=receivable, amount="10.00", paid_on=date(2026, 2, 1))
    assert changed(receivable)


def test_a_reversal_changes_the_payment_and_the_contract(cast, contract):
    from kehu.finance.services import payment_record, payment_reverse

    payment = payment_record(actor=cast["finance"], customer=cast["customer_a"], contract=contract, amount="10.00", paid_on=date(2026, 2, 1))
    age(Contract.objects.all(), Payment.objects.all())
    payment_reverse(actor=cast["finance"], payment=payment, reason="录错")
    assert changed(contract) and changed(payment)


def test_a_follow_up_changes_the_customer(cast):
    from kehu.activities.services import activity_log

    age(Customer.objects.all())
    activity_log(actor=cast["rep_a"], customer=cast["customer_a"], kind="phone", at=timezone.now() - timedelta(hours=1), summary="电话")
    assert changed(cast["customer_a"]) and not changed(cast["customer_b"])


def test_a_merge_changes_the_contacts_it_moves(cast):
    from kehu.customers.services.merge import customer_merge

    contact = Contact.objects.create(customer=cast["customer_a2"], name="李四")
    age(Contact.objects.all())
    customer_merge(actor=cast["admin"], kept=cast["customer_a"], merged=cast["customer_a2"])
    assert changed(contact)


def test_opportunity_list_pages_by_cursor(api, cast):
    stage = OpportunityStage.objects.get(code="proposal")
    for n in range(3):
        Opportunity.objects.create(code=f"O{n}", customer=cast["customer_a"], owner=cast["rep_a"], title="x", stage=stage, amount="1")
    body = api(cast["rep_a"]).get("/api/opportunities/", {"limit": 2, "ordering": "code"}).json()
    assert [r["code"] for r in body["results"]] == ["O0", "O1"] and "cursor=" in body["next"]
