"""The selling writes of the API (issue 14, apisell): quotes, contracts and orders written through
the services the pages use, with the pages' rules, on a small hand-made world.

Company policy: at most 5 % discount, 30 days to pay, orders held past 60 days overdue. One product
P1 at ¥1,000.00 (cost ¥600.00). rep_a owns customer_a (team A, managed by manager_a and the
director); rep_b owns customer_b (team B, the director).
"""

from datetime import timedelta
from decimal import Decimal as D

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from kehu.accounts.models import User
from kehu.accounts.tokens import AccessToken, access_token_create
from kehu.core.models import CompanySettings
from kehu.customers.services.handover import customer_handover
from kehu.finance.models import Instalment, Receivable
from kehu.integrations import services as webhooks
from kehu.integrations.models import WebhookEvent
from kehu.sales.models import (
    Contract,
    Opportunity,
    OpportunityStage,
    Product,
    Quote,
    SalesOrder,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def policy(db):
    conf = CompanySettings.load()
    conf.default_max_discount_pct = D("5.00")
    conf.default_payment_term_days = 30
    conf.credit_overdue_block_days = 60
    conf.save()
    return conf


@pytest.fixture
def product(db):
    return Product.objects.create(code="P1", name="服务器", list_price=D("1000.0000"), unit_cost=D("600.0000"))


@pytest.fixture
def hooked(admin):
    """A webhook subscription to every event: the services then write the outbox rows."""
    return webhooks.subscription_create(actor=admin, url="http://127.0.0.1:9/hook", event_types=[
        "quote.approved", "order.held", "order.released"])


def events():
    return list(WebhookEvent.objects.order_by("id").values_list("event_type", "object_id"))


def quote_body(customer, product, *lines, **head):
    return {"customer": customer.pk, "lines": [{"product": product.pk, **line} for line in lines], **head}


def new_quote(client, customer, product, *lines, **head):
    response = client.post("/api/quotes/", quote_body(customer, product, *lines, **head), format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def post(client, url, body=None):
    return client.post(url, body or {}, format="json")


def error(response):
    return response.json()["error"]


# --- quotes: create, edit, submit ---------------------------------------------------------------

def test_a_rep_writes_a_draft_quote_with_its_lines(api, cast, policy, product):
    body = new_quote(api(cast["rep_a"]), cast["customer_a"], product,
                     {"quantity": "2", "discount_pct": "5"}, {"quantity": "1", "unit_price": "800"},
                     notes="  首单  ", payment_term_days=None)
    assert body["status"] == "draft" and body["customer"] == cast["customer_a"].pk and body["owner"]["id"] == cast["rep_a"].pk
    assert body["total"] == "2700.00"  # 2 × 1000 × 0.95 + 800
    assert body["max_discount_pct"] == "5.00" and body["notes"] == "首单" and body["code"].startswith("Q")
    assert [(ln["quantity"], ln["unit_price"], ln["discount_pct"], ln["revenue"]) for ln in body["lines"]] == [
        ("2.0000", "1000.0000", "5.00", "1900.00"), ("1.0000", "800.0000", "0.00", "800.00")]


def test_submitted_within_the_policy_the_quote_is_approved_at_once_and_the_event_fires(api, cast, policy, product, hooked):
    client = api(cast["rep_a"])
    quote = new_quote(client, cast["customer_a"], product, {"quantity": "1", "discount_pct": "5"})  # equal is within
    response = post(client, f"/api/quotes/{quote['id']}/submit/")
    assert response.status_code == 200
    assert response.json()["status"] == "approved" and response.json()["allowed_discount_pct"] == "5.00"
    assert events() == [("quote.approved", quote["id"])]
    assert WebhookEvent.objects.get().data["changes"] == {"by": "policy"}


@pytest.mark.parametrize("line, head", [
    ({"quantity": "1", "discount_pct": "5.01"}, {}),  # a discount above the policy
    ({"quantity": "1", "discount_pct": "0"}, {"payment_term_days": 31}),  # a payment term beyond it
])
def test_above_the_policy_the_quote_waits_and_a_rep_may_not_approve_it(api, cast, policy, product, hooked, line, head):
    rep = api(cast["rep_a"])
    quote = new_quote(rep, cast["customer_a"], product, line, **head)
    assert post(rep, f"/api/quotes/{quote['id']}/submit/").json()["status"] == "pending"
    for who in ("rep_a", "rep_a2"):  # the owner, and another rep of the team (who does not see it: 404)
        response = post(api(cast[who]), f"/api/quotes/{quote['id']}/approve/")
        assert response.status_code == (403 if who == "rep_a" else 404)
    assert error(post(rep, f"/api/quotes/{quote['id']}/approve/"))["code"] == "permission_denied"
    assert post(api(cast["finance"]), f"/api/quotes/{quote['id']}/approve/").status_code == 403
    assert events() == []
    response = post(api(cast["manager_a"]), f"/api/quotes/{quote['id']}/approve/", {"comment": "同意"})
    assert response.status_code == 200
    assert response.json()["status"] == "approved" and response.json()["decided_by"]["id"] == cast["manager_a"].pk
    assert response.json()["approval_comment"] == "同意"
    assert events() == [("quote.approved", quote["id"])]
    assert WebhookEvent.objects.get().data["changes"] == {"by": "approver"}
    # decided: approving again is a wrong state (400 rule_violated, as the other endpoints)
    again = post(api(cast["manager_a"]), f"/api/quotes/{quote['id']}/approve/")
    assert again.status_code == 400 and error(again)["code"] == "rule_violated"


def test_nobody_approves_a_discount_they_submitted(api, cast, policy, product):
    manager = api(cast["manager_a"])
    quote = new_quote(manager, cast["customer_a"], product, {"quantity": "1", "discount_pct": "20"})
    assert post(manager, f"/api/quotes/{quote['id']}/submit/").json()["status"] == "pending"
    assert post(manager, f"/api/quotes/{quote['id']}/approve/").status_code == 403
    assert post(api(cast["director"]), f"/api/quotes/{quote['id']}/approve/").json()["status"] == "approved"


def test_a_rejected_quote_is_edited_into_a_draft_and_submitted_again(api, cast, policy, product):
    rep, manager = api(cast["rep_a"]), api(cast["manager_a"])
    quote = new_quote(rep, cast["customer_a"], product, {"quantity": "1", "discount_pct": "10"})
    post(rep, f"/api/quotes/{quote['id']}/submit/")
    no_reason = post(manager, f"/api/quotes/{quote['id']}/reject/", {"comment": ""})
    assert no_reason.status_code == 400 and list(error(no_reason)["fields"]) == ["comment"]
    rejected = post(manager, f"/api/quotes/{quote['id']}/reject/", {"comment": "折扣太高"}).json()
    assert rejected["status"] == "rejected" and rejected["approval_comment"] == "折扣太高"
    edited = rep.patch(f"/api/quotes/{quote['id']}/", {"lines": [{"product": product.pk, "quantity": "3", "discount_pct": "4"}]},
                       format="json")
    assert edited.status_code == 200
    assert edited.json()["status"] == "draft" and edited.json()["total"] == "2880.00"  # 3 × 1000 × 0.96
    assert post(rep, f"/api/quotes/{quote['id']}/submit/").json()["status"] == "approved"


def test_a_patch_changes_only_what_it_names(api, cast, policy, product):
    rep = api(cast["rep_a"])
    stage = OpportunityStage.objects.get(code="proposal")
    opp = Opportunity.objects.create(code="O1", customer=cast["customer_a"], owner=cast["rep_a"], title="ERP", stage=stage, amount="1")
    until = (timezone.localdate() + timedelta(days=10)).isoformat()
    quote = new_quote(rep, cast["customer_a"], product, {"quantity": "1"}, opportunity=opp.pk, valid_until=until, payment_term_days=20)
    body = rep.patch(f"/api/quotes/{quote['id']}/", {"notes": "改"}, format="json").json()
    assert (body["opportunity"], body["valid_until"], body["notes"], body["total"]) == (opp.pk, until, "改", "1000.00")
    assert Quote.objects.get(pk=quote["id"]).payment_term_days == 20
    rep.patch(f"/api/quotes/{quote['id']}/", {"payment_term_days": None, "opportunity": None}, format="json")
    stored = Quote.objects.get(pk=quote["id"])
    assert (stored.payment_term_days, stored.opportunity_id, stored.notes) == (None, None, "改")


def test_only_a_draft_or_rejected_quote_is_edited_and_the_status_moves_in_order(api, cast, policy, product):
    rep = api(cast["rep_a"])
    quote = new_quote(rep, cast["customer_a"], product, {"quantity": "1"})
    early = post(rep, f"/api/quotes/{quote['id']}/mark-sent/")
    assert early.status_code == 400 and error(early) == {"code": "rule_violated", "message": "只有已批准的报价单才能标为已发送。"}
    post(rep, f"/api/quotes/{quote['id']}/submit/")
    locked = rep.patch(f"/api/quotes/{quote['id']}/", {"notes": "x"}, format="json")
    assert locked.status_code == 400 and error(locked)["code"] == "rule_violated"
    assert post(rep, f"/api/quotes/{quote['id']}/mark-accepted/").status_code == 400
    assert post(rep, f"/api/quotes/{quote['id']}/mark-sent/").json()["status"] == "sent"
    assert post(rep, f"/api/quotes/{quote['id']}/mark-accepted/").json()["status"] == "accepted"
    assert post(api(cast["finance"]), f"/api/quotes/{quote['id']}/submit/").status_code == 403


def test_another_reps_quote_is_404_for_every_write_and_nothing_changes(api, cast, policy, product):
    quote = new_quote(api(cast["rep_a"]), cast["customer_a"], product, {"quantity": "1", "discount_pct": "9"})
    client = api(cast["rep_b"])
    url = f"/api/quotes/{quote['id']}/"
    assert client.get(url).status_code == 404
    assert client.patch(url, {"notes": "x"}, format="json").status_code == 404
    for action in ("submit", "approve", "reject", "mark-sent", "mark-accepted"):
        response = post(client, f"{url}{action}/", {"comment": "x"})
        assert response.status_code == 404 and error(response)["code"] == "not_found", action
    # a quote for a customer rep_b does not see: the customer "does not exist"
    response = client.post("/api/quotes/", quote_body(cast["customer_a"], product, {"quantity": "1"}), format="json")
    assert response.status_code == 400 and list(error(response)["fields"]) == ["customer"]
    stored = Quote.objects.get(pk=quote["id"])
    assert (stored.status, stored.notes, Quote.objects.count()) == ("draft", "", 1)


def test_quote_input_errors_have_the_documented_shape_in_the_users_language(api, cast, policy, product):
    client = api(cast["rep_a"])
    response = client.post("/api/quotes/", quote_body(cast["customer_a"], product, {"quantity": "abc"}), format="json")
    assert response.status_code == 400
    assert error(response)["code"] == "validation_error" and list(error(response)["fields"]) == ["lines.0.quantity"]
    empty = client.post("/api/quotes/", {"customer": cast["customer_a"].pk, "lines": []}, format="json")
    assert list(error(empty)["fields"]) == ["lines.non_field_errors"]
    Product.objects.filter(pk=product.pk).update(is_active=False)
    retired = client.post("/api/quotes/", quote_body(cast["customer_a"], product, {"quantity": "1"}), format="json")
    assert error(retired) == {"code": "rule_violated", "message": "第 1 行：服务器 (P1) 已停售。"}
    cast["rep_a"].language = "en"
    cast["rep_a"].save(update_fields=["language"])
    english = api(cast["rep_a"]).post("/api/quotes/", quote_body(cast["customer_a"], product, {"quantity": "1"}), format="json")
    assert error(english) == {"code": "rule_violated", "message": "Line 1: 服务器 (P1) is no longer sold."}


def test_finance_writes_no_quotes_and_read_only_tokens_write_nothing(cast, policy, product, api):
    assert api(cast["finance"]).post("/api/quotes/", quote_body(cast["customer_a"], product, {"quantity": "1"}),
                                     format="json").status_code == 403
    quote = new_quote(api(cast["rep_a"]), cast["customer_a"], product, {"quantity": "1", "discount_pct": "9"})
    post(api(cast["rep_a"]), f"/api/quotes/{quote['id']}/submit/")
    raw = access_token_create(actor=cast["manager_a"], name="ro", scope=AccessToken.Scope.READ)[1]
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    assert client.get(f"/api/quotes/{quote['id']}/").status_code == 200
    for url in (f"/api/quotes/{quote['id']}/approve/", "/api/orders/", "/api/contracts/"):
        response = client.post(url, {}, format="json")
        assert response.status_code == 403 and error(response)["code"] == "permission_denied", url
    assert Quote.objects.get(pk=quote["id"]).status == "pending"


# --- contracts ----------------------------------------------------------------------------------

def approved_quote(api, cast, product, **head):
    rep = api(cast["rep_a"])
    quote = new_quote(rep, cast["customer_a"], product, {"quantity": "2", "discount_pct": "5"}, {"quantity": "1", "unit_price": "800"}, **head)
    assert post(rep, f"/api/quotes/{quote['id']}/submit/").json()["status"] == "approved"
    return quote


def test_a_contract_from_an_approved_quote_with_its_plan_numbered_by_due_date(api, cast, policy, product):
    quote = approved_quote(api, cast, product)
    response = api(cast["rep_a"]).post("/api/contracts/", {
        "customer": cast["customer_a"].pk, "quote": quote["id"], "signed_on": "2026-06-01",
        "instalments": [{"due_on": "2026-08-01", "amount": "1000.00"}, {"due_on": "2026-07-01", "amount": "1700.00"}],
    }, format="json")
    assert response.status_code == 201, response.json()
    body = response.json()
    assert (body["amount"], body["currency"], body["quote"], body["payment_term_days"]) == ("2700.00", "CNY", quote["id"], 30)
    assert [(i["seq"], i["due_on"], i["amount"]) for i in body["instalments"]] == [(1, "2026-07-01", "1700.00"), (2, "2026-08-01", "1000.00")]


def test_contract_rules_of_the_page(api, cast, policy, product):
    rep = api(cast["rep_a"])
    draft = new_quote(rep, cast["customer_a"], product, {"quantity": "1"})
    plan = [{"due_on": "2026-07-01", "amount": "1000.00"}]
    base = {"customer": cast["customer_a"].pk, "signed_on": "2026-06-01", "instalments": plan}
    response = rep.post("/api/contracts/", {**base, "quote": draft["id"]}, format="json")
    assert response.status_code == 400 and error(response)["code"] == "rule_violated" and draft["code"] in error(response)["message"]
    assert error(rep.post("/api/contracts/", base, format="json"))["code"] == "rule_violated"  # neither quote nor opportunity
    quote = approved_quote(api, cast, product)
    short = rep.post("/api/contracts/", {**base, "quote": quote["id"]}, format="json")
    assert error(short) == {"code": "rule_violated", "message": "各期金额合计为 ¥1,000.00，但合同金额为 ¥2,700.00。"}
    whole = [{"due_on": "2026-07-01", "amount": "2700.00"}]
    beyond = rep.post("/api/contracts/", {**base, "quote": quote["id"], "instalments": whole, "payment_term_days": 45}, format="json")
    assert beyond.status_code == 400 and "45" in error(beyond)["message"]  # beyond the policy, not agreed on the quote
    ok = api(cast["manager_a"]).post("/api/contracts/", {**base, "quote": quote["id"], "instalments": whole, "payment_term_days": 45},
                                     format="json")
    assert ok.status_code == 201 and ok.json()["payment_term_days"] == 45  # a manager of the owner may agree it
    assert api(cast["finance"]).post("/api/contracts/", {**base, "quote": quote["id"], "instalments": whole},
                                     format="json").status_code == 403
    hidden = api(cast["rep_b"]).post("/api/contracts/", {**base, "quote": quote["id"], "instalments": whole}, format="json")
    assert hidden.status_code == 400 and set(error(hidden)["fields"]) == {"customer", "quote"}
    assert Contract.objects.count() == 1


def test_the_plan_is_changed_by_finance_and_managers_not_reps(api, cast, policy, product):
    quote = approved_quote(api, cast, product)
    contract = api(cast["rep_a"]).post("/api/contracts/", {
        "customer": cast["customer_a"].pk, "quote": quote["id"], "signed_on": "2026-06-01",
        "instalments": [{"due_on": "2026-07-01", "amount": "2700.00"}]}, format="json").json()
    url = f"/api/contracts/{contract['id']}/plan/"
    plan = {"instalments": [{"due_on": "2026-09-01", "amount": "700.00"}, {"due_on": "2026-08-01", "amount": "2000.00"}]}
    assert api(cast["rep_a"]).put(url, plan, format="json").status_code == 403
    assert api(cast["rep_b"]).put(url, plan, format="json").status_code == 404
    wrong = api(cast["finance"]).put(url, {"instalments": [{"due_on": "2026-09-01", "amount": "700.00"}]}, format="json")
    assert wrong.status_code == 400 and error(wrong)["code"] == "rule_violated"
    response = api(cast["finance"]).put(url, plan, format="json")
    assert response.status_code == 200
    assert [(i["seq"], i["due_on"], i["amount"]) for i in response.json()["instalments"]] == [
        (1, "2026-08-01", "2000.00"), (2, "2026-09-01", "700.00")]
    assert list(Instalment.objects.filter(contract_id=contract["id"]).order_by("seq").values_list("amount", flat=True)) == [
        D("2000.00"), D("700.00")]


# --- orders and credit control ------------------------------------------------------------------

def new_order(client, customer, product, quantity="1", **head):
    response = client.post("/api/orders/", {"customer": customer.pk, "order_date": timezone.localdate().isoformat(),
                                            "lines": [{"product": product.pk, "quantity": quantity}], **head}, format="json")
    assert response.status_code == 201, response.json()
    return response.json()


def test_an_order_within_the_credit_limit_is_confirmed_and_shipped(api, cast, policy, product):
    cast["customer_a"].credit_limit = D("1000.00")
    cast["customer_a"].save(update_fields=["credit_limit"])
    rep = api(cast["rep_a"])
    order = new_order(rep, cast["customer_a"], product, unit_cost=None)
    assert (order["status"], order["revenue"], order["cost"], order["credit_reasons"]) == ("draft", "1000.00", "600.00", [])
    confirmed = post(rep, f"/api/orders/{order['id']}/confirm/").json()
    assert confirmed["status"] == "confirmed" and confirmed["credit_reasons"] == []  # equal to the limit passes
    today = timezone.localdate().isoformat()
    shipped = post(rep, f"/api/orders/{order['id']}/ship/", {"shipped_on": today}).json()
    assert shipped["status"] == "shipped" and shipped["shipped_on"] == today
    assert Receivable.objects.get(order_id=order["id"]).amount == D("1000.00")


def test_an_order_over_the_credit_limit_is_held_and_released_by_finance_with_a_reason(api, cast, policy, product, hooked):
    cast["customer_a"].credit_limit = D("1000.00")
    cast["customer_a"].save(update_fields=["credit_limit"])
    rep = api(cast["rep_a"])
    order = new_order(rep, cast["customer_a"], product, quantity="1.001")  # 1001.00 > 1000.00
    held = post(rep, f"/api/orders/{order['id']}/confirm/")
    assert held.status_code == 200 and held.json()["status"] == "blocked"
    assert [r["code"] for r in held.json()["credit_reasons"]] == ["credit_limit"]
    assert "¥1,001.00" in held.json()["credit_reasons"][0]["message"]
    assert events() == [("order.held", order["id"])]
    assert post(rep, f"/api/orders/{order['id']}/release/", {"reason": "x"}).status_code == 403  # reps never release
    assert post(api(cast["rep_b"]), f"/api/orders/{order['id']}/release/", {"reason": "x"}).status_code == 404
    assert post(rep, f"/api/orders/{order['id']}/ship/", {"shipped_on": timezone.localdate().isoformat()}).status_code == 400
    no_reason = post(api(cast["finance"]), f"/api/orders/{order['id']}/release/", {"reason": ""})
    assert no_reason.status_code == 400 and list(error(no_reason)["fields"]) == ["reason"]
    released = post(api(cast["finance"]), f"/api/orders/{order['id']}/release/", {"reason": "预付款已到账"})
    assert released.status_code == 200 and released.json()["status"] == "confirmed" and released.json()["credit_reasons"] == []
    assert events() == [("order.held", order["id"]), ("order.released", order["id"])]
    again = post(api(cast["finance"]), f"/api/orders/{order['id']}/release/", {"reason": "再次"})
    assert again.status_code == 400 and error(again)["code"] == "rule_violated"


@pytest.mark.parametrize("days_overdue, status", [(60, "confirmed"), (61, "blocked")])
def test_an_order_of_a_customer_more_than_60_days_overdue_is_held(api, cast, policy, product, days_overdue, status):
    today = timezone.localdate()
    Receivable.objects.create(customer=cast["customer_a"], amount="10.00", open_amount="10.00", issued_on=today - timedelta(days=90),
                              due_on=today - timedelta(days=days_overdue))
    rep = api(cast["rep_a"])
    order = new_order(rep, cast["customer_a"], product)
    body = post(rep, f"/api/orders/{order['id']}/confirm/").json()
    assert body["status"] == status
    assert [r["code"] for r in body["credit_reasons"]] == ([] if status == "confirmed" else ["overdue"])


def test_a_manager_of_the_owner_releases_and_another_teams_manager_does_not_see_it(api, cast, policy, product):
    cast["customer_a"].credit_limit = D("1.00")
    cast["customer_a"].save(update_fields=["credit_limit"])
    rep = api(cast["rep_a"])
    order = new_order(rep, cast["customer_a"], product)
    assert post(rep, f"/api/orders/{order['id']}/confirm/").json()["status"] == "blocked"
    assert post(api(cast["manager_a"]), f"/api/orders/{order['id']}/release/", {"reason": "老客户"}).json()["status"] == "confirmed"
    assert SalesOrder.objects.get(pk=order["id"]).status == "confirmed"


def test_order_rules_of_the_page(api, cast, policy, product):
    rep = api(cast["rep_a"])
    assert api(cast["finance"]).post("/api/orders/", {"customer": cast["customer_a"].pk, "order_date": "2026-06-01",
                                                      "lines": [{"product": product.pk, "quantity": "1"}]},
                                     format="json").status_code == 403
    contract = Contract.objects.create(code="K9", customer=cast["customer_b"], owner=cast["rep_b"], signed_on="2026-01-05", amount="9.00")
    other = rep.post("/api/orders/", {"customer": cast["customer_a"].pk, "order_date": "2026-06-01", "contract": contract.pk,
                                      "lines": [{"product": product.pk, "quantity": "1"}]}, format="json")
    assert other.status_code == 400 and list(error(other)["fields"]) == ["contract"]  # rep_a does not see it
    usd = rep.post("/api/orders/", {"customer": cast["customer_a"].pk, "order_date": "2026-06-01", "currency": "USD",
                                    "lines": [{"product": product.pk, "quantity": "1"}]}, format="json")
    assert usd.status_code == 400 and error(usd)["code"] == "rule_violated"
    order = new_order(rep, cast["customer_a"], product)
    assert post(rep, f"/api/orders/{order['id']}/release/", {"reason": "x"}).status_code == 403
    assert post(api(cast["finance"]), f"/api/orders/{order['id']}/confirm/").status_code == 403  # finance edits no sales data
    assert post(api(cast["finance"]), f"/api/orders/{order['id']}/release/", {"reason": "x"}).status_code == 400  # not held
    assert SalesOrder.objects.get(pk=order["id"]).status == "draft"


# --- the handover history -----------------------------------------------------------------------

def test_the_handover_history_lists_what_the_handover_page_shows(api, cast, policy):
    customer_handover(actor=cast["manager_a"], from_user=cast["rep_a"], to_user=cast["rep_a2"],
                      customer_ids=[cast["customer_a"].pk], note="调岗")
    rep_b2 = User.objects.create_user(username="rep_b2", password="x-apisell-1", role="rep", team=cast["rep_b"].team, name="rep_b2")
    customer_handover(actor=cast["director"], from_user=cast["rep_b"], to_user=rep_b2, customer_ids=[cast["customer_b"].pk])
    response = api(cast["manager_a"]).get("/api/handovers/")
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [(r["from_user"]["id"], r["to_user"]["id"], r["customer_count"], r["customers"], r["note"]) for r in rows] == [
        (cast["rep_a"].pk, cast["rep_a2"].pk, 1, [cast["customer_a"].pk], "调岗")]
    assert [r["customer_count"] for r in api(cast["admin"]).get("/api/handovers/").json()["results"]] == [1, 1]
    assert [r["to_user"]["id"] for r in api(cast["director"]).get("/api/handovers/").json()["results"]] == [rep_b2.pk, cast["rep_a2"].pk]
    for who in ("rep_a", "rep_a2", "rep_b", "finance"):
        assert api(cast[who]).get("/api/handovers/").json()["results"] == [], who


def test_the_visibility_walk_covers_the_selling_writes():
    """kehu/customers/tests/test_visibility.py requests every one of them for every role."""
    from kehu.customers.tests.test_visibility import PLAIN_ROUTES, SCOPED_PK_ROUTES

    scoped = {r.name for r in SCOPED_PK_ROUTES}
    assert {"api:quote-detail", "api:quote-submit", "api:quote-approve", "api:quote-reject", "api:quote-mark-sent",
            "api:quote-mark-accepted", "api:contract-plan", "api:order-confirm", "api:order-ship", "api:order-release"} <= scoped
    assert {"api:quote-list", "api:contract-list", "api:order-list", "api:handover-create"} <= {r.name for r in PLAIN_ROUTES}
