"""Aging and commission API (kehu/api/finance.py): the pages' figures, scope and filters."""

from datetime import date, timedelta
from decimal import Decimal

import pytest

from kehu.accounts.tokens import access_token_create
from kehu.core.models import CompanySettings
from kehu.finance.models import Receivable
from kehu.finance.services import contract_plan_set, payment_record
from kehu.sales.models import Contract

D = Decimal
AS_OF = date(2026, 6, 30)


def receivable(customer, amount, *, days_overdue, currency="CNY"):
    return Receivable.objects.create(
        customer=customer, amount=D(amount), open_amount=D(amount), currency=currency,
        issued_on=AS_OF - timedelta(days=200), due_on=AS_OF - timedelta(days=days_overdue),
    )


@pytest.fixture
def world(cast, customer_a, customer_a2, customer_b):
    receivable(customer_a, "100.00", days_overdue=-1)
    receivable(customer_a, "200.00", days_overdue=10)
    receivable(customer_a2, "50.00", days_overdue=95)
    receivable(customer_b, "400.00", days_overdue=45)
    receivable(customer_b, "7.00", days_overdue=0, currency="USD")


def test_finance_sees_every_row_and_the_company_totals(api, finance, world, customer_a, customer_a2, customer_b, rep_a):
    body = api(finance).get("/api/aging/", {"as_of": "2026-06-30"}).json()
    assert body["as_of"] == "2026-06-30" and body["count"] == 4
    assert body["company"] == [
        {"currency": "CNY", "current": "100.00", "d0_30": "200.00", "d31_60": "400.00", "d61_90": "0.00", "d90_plus": "50.00",
         "overdue": "650.00", "total": "750.00"},
        {"currency": "USD", "current": "0.00", "d0_30": "7.00", "d31_60": "0.00", "d61_90": "0.00", "d90_plus": "0.00",
         "overdue": "7.00", "total": "7.00"},
    ]
    rows = [(r["customer"], r["currency"], r["overdue"], r["is_at_risk"]) for r in body["results"]]
    assert rows == [(customer_b.pk, "CNY", "400.00", False), (customer_a.pk, "CNY", "200.00", False),
                    (customer_a2.pk, "CNY", "50.00", True), (customer_b.pk, "USD", "7.00", False)]
    assert body["results"][1]["customer_code"] == customer_a.code and body["results"][1]["owner"] == rep_a.pk
    reps = {(r["owner"], r["currency"]): (r["total"], r["customers"], r["at_risk"]) for r in body["reps"]}
    assert reps[(rep_a.pk, "CNY")] == ("300.00", 1, 0)


def test_rep_sees_only_their_customers_rows_and_totals(api, rep_a, world, customer_a):
    body = api(rep_a).get("/api/aging/", {"as_of": "2026-06-30"}).json()
    assert [r["customer"] for r in body["results"]] == [customer_a.pk]
    assert [(c["currency"], c["total"]) for c in body["company"]] == [("CNY", "300.00")]


def test_manager_sees_the_team(api, manager_a, world, customer_a, customer_a2):
    body = api(manager_a).get("/api/aging/", {"as_of": "2026-06-30"}).json()
    assert sorted(r["customer"] for r in body["results"]) == sorted([customer_a.pk, customer_a2.pk])
    assert body["company"][0]["total"] == "350.00"


def test_finance_pages_with_limit_and_offset(api, finance, world, customer_a2):
    client = api(finance)
    first = client.get("/api/aging/", {"as_of": "2026-06-30", "limit": 2}).json()
    assert len(first["results"]) == 2 and first["previous"] is None and "offset=2" in first["next"]
    second = client.get(first["next"]).json()
    assert [r["customer"] for r in second["results"]][0] == customer_a2.pk and second["next"] is None
    assert second["company"] == first["company"]


@pytest.mark.parametrize("params", [{"as_of": "2026-13-01"}, {"limit": "0"}, {"limit": "abc"}, {"offset": "-1"}])
def test_finance_bad_parameter_is_400(api, finance, params):
    response = api(finance).get("/api/aging/", params)
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "validation_error"
    assert set(response.json()["error"]["fields"]) == set(params)


def test_anonymous_gets_401(api):
    assert api(None).get("/api/aging/").status_code == 401
    assert api(None).get("/api/commission/").status_code == 401


def test_read_only_token_may_read_but_not_post(client, rep_a, world):
    _token, raw = access_token_create(actor=rep_a, name="r", scope="read")
    headers = {"HTTP_AUTHORIZATION": f"Bearer {raw}"}
    assert client.get("/api/aging/", **headers).status_code == 200
    assert client.post("/api/aging/", **headers).status_code == 403


# --- commission -------------------------------------------------------------------------------

MAY = {"month": "2026-05"}


@pytest.fixture
def commission_world(cast, finance, rep_a, rep_a2, rep_b, customer_a, customer_a2, customer_b):
    settings = CompanySettings.load()
    settings.default_commission_rate_pct = D("3.00")
    settings.save()
    for customer, owner, code, amount in [(customer_a, rep_a, "K1", "1000.00"), (customer_a2, rep_a2, "K2", "500.00"),
                                          (customer_b, rep_b, "K3", "800.00")]:
        contract = Contract.objects.create(code=code, customer=customer, owner=owner, signed_on=date(2026, 1, 1), amount=D(amount))
        contract_plan_set(actor=finance, contract=contract, instalments=[(1, date(2026, 2, 1), D(amount))])
        payment_record(actor=finance, customer=customer, contract=contract, amount=D("0.50"), paid_on=date(2026, 5, 10))
        payment_record(actor=finance, customer=customer, contract=contract, amount=D("100.00"), paid_on=date(2026, 5, 20))
        payment_record(actor=finance, customer=customer, contract=contract, amount=D("100.00"), paid_on=date(2026, 6, 1))


def test_finance_commission_per_rep_and_totals(api, finance, commission_world, rep_a, rep_a2, rep_b):
    body = api(finance).get("/api/commission/", MAY).json()
    assert (body["date_from"], body["date_to"], body["count"]) == ("2026-05-01", "2026-05-31", 6)
    assert sorted((r["rep"], r["payments"], r["collected"], r["commission"]) for r in body["reps"]) == sorted([
        (rep_a.pk, 2, "100.50", "3.02"), (rep_a2.pk, 2, "100.50", "3.02"), (rep_b.pk, 2, "100.50", "3.02")])
    assert body["totals"] == [{"currency": "CNY", "collected": "301.50", "commission": "9.06"}]
    line = body["results"][0]
    assert (line["paid_on"], line["collected"], line["rate_pct"], line["commission"]) == ("2026-05-20", "100.00", "3.00", "3.00")


def test_rep_sees_only_their_commission(api, rep_a, commission_world, customer_a):
    body = api(rep_a).get("/api/commission/", MAY).json()
    assert [(r["rep"], r["commission"]) for r in body["reps"]] == [(rep_a.pk, "3.02")]
    assert {line["customer"] for line in body["results"]} == {customer_a.pk}


def test_manager_sees_the_team_commission(api, manager_a, commission_world):
    body = api(manager_a).get("/api/commission/", MAY).json()
    assert body["totals"] == [{"currency": "CNY", "collected": "201.00", "commission": "6.04"}]


def test_rep_period_from_to_overrides_the_month(api, rep_a, commission_world):
    body = api(rep_a).get("/api/commission/", {"month": "2026-05", "date_from": "2026-05-15", "date_to": "2026-06-30"}).json()
    assert (body["count"], body["totals"][0]["collected"]) == (2, "200.00")


@pytest.mark.parametrize("params, field", [
    ({"month": "2026-13"}, "month"), ({"month": "may"}, "month"), ({"date_from": "2026-05-01"}, "non_field_errors"),
    ({"date_from": "2026-06-01", "date_to": "2026-05-01"}, "non_field_errors"),
])
def test_rep_bad_period_is_400(api, rep_a, params, field):
    response = api(rep_a).get("/api/commission/", params)
    assert response.status_code == 400 and field in response.json()["error"]["fields"]


def test_commission_queries_are_bounded(api, finance, commission_world, django_assert_max_num_queries):
    client = api(finance)
    with django_assert_max_num_queries(12):
        assert client.get("/api/commission/", MAY).status_code == 200
    with django_assert_max_num_queries(10):
        assert client.get("/api/aging/").status_code == 200
