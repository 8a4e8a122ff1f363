"""/api/opportunities|quotes|contracts|orders|receivables|payments/: scope per role, writes
through the services, decimals as strings, pagination, the schema."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import translation
from django.utils.translation import gettext

from kehu.core.models import AuditEvent
from kehu.finance.models import Instalment, Payment, Receivable
from kehu.sales.models import Contract, Opportunity, OpportunityStage, OpportunityStageChange, OrderLine, Product, Quote, QuoteLine, SalesOrder


def translated(message, user):
    with translation.override(user.language):
        return gettext(message)


def no_floats(response):
    return json.loads(response.content, parse_float=lambda text: pytest.fail(f"float in the answer: {text}"))


def stage(code):
    return OpportunityStage.objects.get(code=code)


@pytest.fixture
def deals(cast):
    """For customer_a (rep_a) and customer_b (rep_b): an opportunity, a quote with a line, a
    contract with two instalments, an order with a line, a receivable."""
    product = Product.objects.create(code="P1", name="服务器", list_price="1000.0000", unit_cost="600.0000")
    records = {}
    for key in ("customer_a", "customer_b"):
        customer = cast[key]
        owner = customer.owner
        opp = Opportunity.objects.create(code=f"O-{key}", customer=customer, owner=owner, title=f"商机 {key}",
                                         stage=stage("proposal"), amount="12345.60")
        quote = Quote.objects.create(code=f"Q-{key}", customer=customer, owner=owner, opportunity=opp, total="900.10",
                                     max_discount_pct="10.00", allowed_discount_pct="5.00")
        QuoteLine.objects.create(quote=quote, product=product, quantity="1.5", unit_price="600.0667", discount_pct="0", revenue="900.10")
        contract = Contract.objects.create(code=f"K-{key}", customer=customer, owner=owner, signed_on="2026-01-05", amount="1000.00")
        Instalment.objects.create(contract=contract, seq=1, due_on="2026-02-05", amount="400.00")
        Instalment.objects.create(contract=contract, seq=2, due_on="2026-03-05", amount="600.00")
        order = SalesOrder.objects.create(code=f"S-{key}", customer=customer, owner=owner, contract=contract, order_date="2026-01-06")
        OrderLine.objects.create(order=order, product=product, quantity="2", unit_price="500.0000", unit_cost="300.0000",
                                 revenue="1000.00", cost="600.00")
        receivable = Receivable.objects.create(customer=customer, order=order, amount="1000.00", open_amount="1000.00",
                                               issued_on="2026-01-06", due_on="2026-02-05")
        records[key] = {"opportunity": opp, "quote": quote, "contract": contract, "order": order, "receivable": receivable}
    return records


KINDS = {
    "opportunity": "/api/opportunities/", "quote": "/api/quotes/", "contract": "/api/contracts/",
    "order": "/api/orders/", "receivable": "/api/receivables/",
}


def ids(response):
    return {row["id"] for row in response.json()["results"]}


# --- scope ----------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", list(KINDS))
def test_rep_a_lists_only_own_records_and_gets_404_for_rep_b_records(api, cast, deals, kind):
    client = api(cast["rep_a"])
    response = client.get(KINDS[kind])
    assert response.status_code == 200
    assert ids(response) == {deals["customer_a"][kind].pk}
    assert client.get(f"{KINDS[kind]}{deals['customer_a'][kind].pk}/").status_code == 200
    assert client.get(f"{KINDS[kind]}{deals['customer_b'][kind].pk}/").status_code == 404


@pytest.mark.parametrize("kind", list(KINDS))
def test_finance_and_admin_read_everything(api, cast, deals, kind):
    for who in ("finance", "admin", "director"):
        expected = {deals["customer_a"][kind].pk, deals["customer_b"][kind].pk}
        assert ids(api(cast[who]).get(KINDS[kind])) == expected, who


def test_manager_a_sees_team_a_only(api, cast, deals):
    client = api(cast["manager_a"])
    assert ids(client.get("/api/opportunities/")) == {deals["customer_a"]["opportunity"].pk}
    assert client.get(f"/api/contracts/{deals['customer_b']['contract'].pk}/").status_code == 404


def test_rep_a_cannot_read_a_customer_in_the_recycle_bin(api, cast, deals):
    cast["customer_a"].__class__.objects.filter(pk=cast["customer_a"].pk).update(is_deleted=True)
    client = api(cast["rep_a"])
    assert client.get(f"/api/opportunities/{deals['customer_a']['opportunity'].pk}/").status_code == 404
    assert ids(client.get("/api/orders/")) == set()


def test_anonymous_gets_401(api, deals):  # issue 14: 401, not 403 (kehu/api/authentication.py)
    for url in list(KINDS.values()) + ["/api/payments/"]:
        assert api(None).get(url).status_code == 401, url


def test_filters_by_customer_stage_and_status(api, cast, deals):
    client = api(cast["admin"])
    assert ids(client.get("/api/opportunities/", {"customer": cast["customer_b"].pk})) == {deals["customer_b"]["opportunity"].pk}
    assert ids(client.get("/api/opportunities/", {"stage": "won"})) == set()
    assert len(ids(client.get("/api/opportunities/", {"open": "1"}))) == 2
    assert ids(client.get("/api/quotes/", {"status": "approved"})) == set()
    # issue 14: a value the list does not know is a 400 naming the parameter, never ignored
    for url, params in (("/api/orders/", {"customer": "abc"}), ("/api/opportunities/", {"stage": "bogus"}),
                        ("/api/quotes/", {"status": "bogus"}), ("/api/receivables/", {"open": "2"})):
        response = client.get(url, params)
        assert response.status_code == 400, (url, params)
        assert response.json()["error"]["code"] == "validation_error"
        assert list(response.json()["error"]["fields"]) == list(params)


# --- money as strings -------------------------------------------------------------------------------

def test_amounts_are_decimal_strings_with_currency(api, cast, deals):
    client = api(cast["rep_a"])
    opp = no_floats(client.get(f"/api/opportunities/{deals['customer_a']['opportunity'].pk}/"))
    assert (opp["amount"], opp["currency"], opp["stage"], opp["customer"]) == ("12345.60", "CNY", "proposal", cast["customer_a"].pk)
    quote = no_floats(client.get(f"/api/quotes/{deals['customer_a']['quote'].pk}/"))
    assert (quote["total"], quote["max_discount_pct"], quote["currency"]) == ("900.10", "10.00", "CNY")
    assert quote["lines"][0]["quantity"] == "1.5000" and quote["lines"][0]["unit_price"] == "600.0667"
    contract = no_floats(client.get(f"/api/contracts/{deals['customer_a']['contract'].pk}/"))
    assert [(i["seq"], i["amount"], i["applied"], i["open_amount"]) for i in contract["instalments"]] == [
        (1, "400.00", "0.00", "400.00"), (2, "600.00", "0.00", "600.00"),
    ]
    order = no_floats(client.get(f"/api/orders/{deals['customer_a']['order'].pk}/"))
    assert (order["revenue"], order["cost"], order["lines"][0]["unit_cost"]) == ("1000.00", "600.00", "300.0000")
    receivable = no_floats(client.get(f"/api/receivables/{deals['customer_a']['receivable'].pk}/"))
    assert (receivable["amount"], receivable["open_amount"], receivable["currency"]) == ("1000.00", "1000.00", "CNY")


# --- opportunities: writes ------------------------------------------------------------------------------

def test_rep_a_creates_an_opportunity_through_the_service(api, cast):
    payload = {"customer": cast["customer_a"].pk, "title": "新商机", "amount": "5000.50", "expected_close_on": "2026-06-30",
               "owner": cast["rep_b"].pk, "code": "HACK", "closed_on": "2020-01-01"}
    response = api(cast["rep_a"]).post("/api/opportunities/", payload, format="json")
    assert response.status_code == 201, response.content
    body = no_floats(response)
    opp = Opportunity.objects.get(pk=body["id"])
    assert (opp.owner, opp.stage.code, opp.amount, opp.closed_on) == (cast["rep_a"], "first_contact", Decimal("5000.50"), None)
    assert opp.code != "HACK" and body["amount"] == "5000.50"
    assert OpportunityStageChange.objects.filter(opportunity=opp).count() == 1
    assert AuditEvent.objects.filter(object_type="opportunity", object_id=opp.pk, verb="create").exists()


def test_rep_a_cannot_create_for_rep_b_customer(api, cast):
    response = api(cast["rep_a"]).post("/api/opportunities/", {"customer": cast["customer_b"].pk, "title": "x", "amount": "1"}, format="json")
    assert response.status_code == 400
    assert "customer" in response.json()["error"]["fields"]
    assert not Opportunity.objects.exists()


def test_lost_opportunity_without_reason_gets_translated_400(api, cast):
    rep_a = cast["rep_a"]
    rep_a.language = "en"
    rep_a.save()
    response = api(rep_a).post("/api/opportunities/", {"customer": cast["customer_a"].pk, "title": "x", "amount": "1", "stage": "lost"}, format="json")
    assert response.status_code == 400
    assert response.json() == {"error": {"code": "rule_violated", "message": "A lost opportunity needs a lost reason."}}
    assert not Opportunity.objects.exists()


def test_amount_with_three_decimals_gets_400(api, cast):
    response = api(cast["rep_a"]).post("/api/opportunities/", {"customer": cast["customer_a"].pk, "title": "x", "amount": "1.234"}, format="json")
    assert response.status_code == 400 and "amount" in response.json()["error"]["fields"]


def test_rep_a_updates_own_opportunity_and_stage_is_ignored(api, cast, deals):
    opp = deals["customer_a"]["opportunity"]
    response = api(cast["rep_a"]).patch(f"/api/opportunities/{opp.pk}/", {"title": "改名", "amount": "99.90", "stage": "won"}, format="json")
    assert response.status_code == 200, response.content
    opp.refresh_from_db()
    assert (opp.title, opp.amount, opp.stage.code) == ("改名", Decimal("99.90"), "proposal")
    assert AuditEvent.objects.filter(object_type="opportunity", object_id=opp.pk, verb="update").exists()


def test_rep_a_moves_own_opportunity_to_lost_with_reason(api, cast, deals):
    opp = deals["customer_a"]["opportunity"]
    client = api(cast["rep_a"])
    assert client.post(f"/api/opportunities/{opp.pk}/move/", {"stage": "lost"}, format="json").status_code == 400
    response = client.post(f"/api/opportunities/{opp.pk}/move/", {"stage": "lost", "lost_reason": "价格"}, format="json")
    assert response.status_code == 200, response.content
    assert (response.json()["stage"], response.json()["is_closed"], response.json()["lost_reason"]) == ("lost", True, "价格")
    opp.refresh_from_db()
    assert opp.stage.code == "lost" and opp.closed_on is not None
    assert OpportunityStageChange.objects.filter(opportunity=opp, to_stage__code="lost", user=cast["rep_a"]).exists()


def test_move_to_an_unknown_stage_gets_400(api, cast, deals):
    opp = deals["customer_a"]["opportunity"]
    assert api(cast["rep_a"]).post(f"/api/opportunities/{opp.pk}/move/", {"stage": "nope"}, format="json").status_code == 400


def test_finance_reads_but_cannot_write_opportunities(api, cast, deals):
    client = api(cast["finance"])
    opp = deals["customer_a"]["opportunity"]
    assert client.get(f"/api/opportunities/{opp.pk}/").status_code == 200
    assert client.post("/api/opportunities/", {"customer": cast["customer_a"].pk, "title": "x", "amount": "1"}, format="json").status_code == 403
    assert client.patch(f"/api/opportunities/{opp.pk}/", {"title": "财务改"}, format="json").status_code == 403
    assert client.post(f"/api/opportunities/{opp.pk}/move/", {"stage": "won"}, format="json").status_code == 403
    opp.refresh_from_db()
    assert (opp.title, opp.stage.code, Opportunity.objects.count()) == ("商机 customer_a", "proposal", 2)


def test_rep_b_gets_404_writing_rep_a_opportunity(api, cast, deals):
    client = api(cast["rep_b"])
    opp = deals["customer_a"]["opportunity"]
    assert client.patch(f"/api/opportunities/{opp.pk}/", {"title": "x"}, format="json").status_code == 404
    assert client.post(f"/api/opportunities/{opp.pk}/move/", {"stage": "won"}, format="json").status_code == 404
    opp.refresh_from_db()
    assert opp.title == "商机 customer_a"


def test_read_only_kinds_refuse_writes(api, cast, deals):
    """Receivables are read only; a contract and an order are not changed by PATCH (their actions
    and plan are, issue 14 apisell: kehu/api/tests/test_apisell_*.py)."""
    client = api(cast["admin"])
    for kind in ("contract", "order", "receivable"):
        url = f"{KINDS[kind]}{deals['customer_a'][kind].pk}/"
        assert client.patch(url, {"total": "1"}, format="json").status_code == 405
    assert client.post(KINDS["receivable"], {}, format="json").status_code == 405


# --- payments -------------------------------------------------------------------------------------------

def test_finance_records_a_payment_applied_to_the_oldest_instalment(api, cast, deals):
    contract = deals["customer_a"]["contract"]
    response = api(cast["finance"]).post("/api/payments/", {
        "customer": cast["customer_a"].pk, "contract": contract.pk, "amount": "500.00", "paid_on": "2026-02-01",
    }, format="json")
    assert response.status_code == 201, response.content
    body = no_floats(response)
    assert (body["amount"], body["on_account"], body["currency"]) == ("500.00", "0.00", "CNY")
    assert [(a["contract"], a["seq"], a["amount"]) for a in body["allocations"]] == [(contract.pk, 1, "400.00"), (contract.pk, 2, "100.00")]
    assert [i.applied for i in contract.instalments.order_by("seq")] == [Decimal("400.00"), Decimal("100.00")]
    assert Payment.objects.get().recorded_by == cast["finance"]


def test_finance_pays_a_receivable(api, cast, deals):
    receivable = deals["customer_a"]["receivable"]
    response = api(cast["finance"]).post("/api/payments/", {
        "customer": cast["customer_a"].pk, "receivable": receivable.pk, "amount": "250.00", "paid_on": "2026-02-01",
    }, format="json")
    assert response.status_code == 201, response.content
    receivable.refresh_from_db()
    assert receivable.open_amount == Decimal("750.00")


def test_manager_a_records_a_payment_for_team_customer(api, cast, deals):
    response = api(cast["manager_a"]).post("/api/payments/", {"customer": cast["customer_a"].pk, "amount": "10.00", "paid_on": "2026-02-01"}, format="json")
    assert response.status_code == 201
    assert response.json()["on_account"] == "10.00"


def test_rep_a_cannot_record_payments(api, cast, deals):
    response = api(cast["rep_a"]).post("/api/payments/", {"customer": cast["customer_a"].pk, "amount": "10.00", "paid_on": "2026-02-01"}, format="json")
    assert response.status_code == 403
    assert not Payment.objects.exists()


def test_payment_with_bad_amount_or_foreign_contract_gets_400_and_nothing_changes(api, cast, deals):
    finance = cast["finance"]
    finance.language = "en"
    finance.save()
    client = api(finance)
    bad = client.post("/api/payments/", {"customer": cast["customer_a"].pk, "amount": "1.001", "paid_on": "2026-02-01"}, format="json")
    assert bad.status_code == 400 and "amount" in bad.json()["error"]["fields"]
    zero = client.post("/api/payments/", {"customer": cast["customer_a"].pk, "amount": "0", "paid_on": "2026-02-01"}, format="json")
    assert zero.status_code == 400
    assert zero.json() == {"error": {"code": "rule_violated", "message": "The amount must be a positive number of at most 2 decimals."}}
    foreign = client.post("/api/payments/", {
        "customer": cast["customer_a"].pk, "contract": deals["customer_b"]["contract"].pk, "amount": "1.00", "paid_on": "2026-02-01",
    }, format="json")
    assert foreign.status_code == 400
    assert foreign.json()["error"]["message"] == translated("Contract %(code)s is not a contract of this customer.", finance) % {"code": "K-customer_b"}
    assert not Payment.objects.exists()
    assert Instalment.objects.filter(applied__gt=0).count() == 0


def test_payments_are_scoped(api, cast, deals):
    from kehu.finance.services import payment_record

    for key in ("customer_a", "customer_b"):
        payment_record(actor=cast["finance"], customer=cast[key], amount="5.00", paid_on=date(2026, 2, 1))
    assert len(ids(api(cast["rep_a"]).get("/api/payments/"))) == 1
    assert len(ids(api(cast["finance"]).get("/api/payments/"))) == 2
    assert len(ids(api(cast["finance"]).get("/api/payments/", {"customer": cast["customer_b"].pk}))) == 1


@pytest.mark.parametrize("value", ["99999999999999999999999", str(2**63), "-99999999999999999999999", "0", "-5"])
def test_ids_out_of_range_are_400_filters_and_404_records(api, cast, deals, value):
    """An id the database cannot hold: as a filter a 400 naming it (issue 14: a filter value is
    validated, never ignored), as a record a 404; never a 500."""
    from kehu.finance.services import payment_record

    payment_record(actor=cast["finance"], customer=cast["customer_a"], amount="5.00", paid_on=date(2026, 2, 1))
    client = api(cast["finance"])
    for url in list(KINDS.values()) + ["/api/payments/"]:
        response = client.get(url, {"customer": value})
        assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["customer"], url
        assert client.get(f"{url}{value}/").status_code == 404, url
    response = client.get("/api/payments/", {"contract": value})
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["contract"]
    assert len(ids(client.get("/api/payments/", {"customer": str(2**63 - 1)}))) == 0
    assert len(ids(client.get("/api/payments/", {"customer": cast["customer_a"].pk}))) == 1


# --- pagination and query counts ----------------------------------------------------------------------

def test_lists_paginate(api, cast, deals):
    for n in range(3):
        Opportunity.objects.create(code=f"OX{n}", customer=cast["customer_a"], owner=cast["rep_a"], title="x", stage=stage("proposal"), amount="1")
    client = api(cast["rep_a"])
    body = client.get("/api/opportunities/", {"limit": 2}).json()
    assert (body["count"], len(body["results"]), body["count_capped"]) == (4, 2, False)
    assert "cursor=" in body["next"] and body["previous"] is None  # cursor pages (issue 14)
    second = client.get(body["next"]).json()
    assert len(second["results"]) == 2 and second["next"] is None
    assert not {r["id"] for r in body["results"]} & {r["id"] for r in second["results"]}
    legacy = client.get("/api/opportunities/", {"limit": 2, "offset": 0}).json()  # offset still answers (compatibility)
    assert "offset=2" in legacy["next"]


@pytest.mark.parametrize("kind", list(KINDS) + ["payment"])
def test_list_query_count_does_not_grow_with_rows(api, cast, deals, kind, django_assert_max_num_queries):
    from kehu.finance.services import payment_record

    url = KINDS.get(kind, "/api/payments/")
    client = api(cast["admin"])
    payment_record(actor=cast["finance"], customer=cast["customer_a"], contract=deals["customer_a"]["contract"], amount="5.00", paid_on=date(2026, 2, 1))
    client.get(url)
    with django_assert_max_num_queries(8) as few:
        client.get(url)
    product = Product.objects.get()
    for n in range(10):
        opp = Opportunity.objects.create(code=f"OY{n}", customer=cast["customer_b"], owner=cast["rep_b"], title="x", stage=stage("won"), amount="1")
        quote = Quote.objects.create(code=f"QY{n}", customer=cast["customer_b"], owner=cast["rep_b"], opportunity=opp)
        QuoteLine.objects.create(quote=quote, product=product, quantity="1", unit_price="1", revenue="1.00")
        contract = Contract.objects.create(code=f"KY{n}", customer=cast["customer_b"], owner=cast["rep_b"], signed_on="2026-01-05", amount="1.00")
        Instalment.objects.create(contract=contract, seq=1, due_on="2026-02-05", amount="1.00")
        order = SalesOrder.objects.create(code=f"SY{n}", customer=cast["customer_b"], owner=cast["rep_b"], contract=contract, order_date="2026-01-06")
        OrderLine.objects.create(order=order, product=product, quantity="1", unit_price="1", unit_cost="1", revenue="1.00", cost="1.00")
        Receivable.objects.create(customer=cast["customer_b"], order=order, amount="1.00", open_amount="1.00", issued_on="2026-01-06", due_on="2026-02-05")
        payment_record(actor=cast["finance"], customer=cast["customer_b"], contract=contract, amount="1.00", paid_on=date(2026, 2, 1))
    with django_assert_max_num_queries(len(few.captured_queries)):
        response = client.get(url)
    assert len(response.json()["results"]) >= 11


# --- schema ------------------------------------------------------------------------------------------------

def test_schema_lists_the_selling_paths_with_decimal_strings(api, rep_a):
    schema = json.loads(api(rep_a).get("/api/schema/", {"format": "json"}).content)
    for path in ("/api/opportunities/", "/api/opportunities/{id}/", "/api/opportunities/{id}/move/", "/api/quotes/{id}/",
                 "/api/contracts/{id}/", "/api/orders/{id}/", "/api/receivables/{id}/", "/api/payments/"):
        assert path in schema["paths"], path
    assert set(schema["paths"]["/api/payments/"]) == {"get", "post"}
    components = schema["components"]["schemas"]
    assert components["Opportunity"]["properties"]["amount"]["type"] == "string"
    assert components["Payment"]["properties"]["amount"]["type"] == "string"
    assert components["Instalment"]["properties"]["open_amount"]["type"] == "string"


def test_schema_builds_without_warnings(tmp_path):
    call_command("spectacular", "--file", str(tmp_path / "schema.yml"), "--validate", "--fail-on-warn")


def test_rep_a_browses_the_selling_api_in_html(api, cast, deals):
    client = api(cast["rep_a"])
    urls = [f"{KINDS[k]}{deals['customer_a'][k].pk}/" for k in KINDS] + list(KINDS.values()) + ["/api/payments/"]
    for url in urls:
        response = client.get(url, HTTP_ACCEPT="text/html")
        assert response.status_code == 200, url
        assert "text/html" in response["Content-Type"]
    assert api(cast["finance"]).get("/api/payments/", HTTP_ACCEPT="text/html").status_code == 200
