"""Contracts with payment plans (kehu/finance/services/contracts.py) and their pages."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from kehu.core.models import AuditEvent, CompanySettings
from kehu.customers.models import Customer
from kehu.finance.services import contract_create, contract_plan_set, split_evenly
from kehu.finance.models import Instalment
from kehu.finance.services import FinanceError
from kehu.sales.models import Contract, Opportunity, OpportunityStage, Quote

D = Decimal
SIGNED = date(2026, 3, 1)


def opportunity(customer, *, stage="won", amount="1000.00", code=None):
    return Opportunity.objects.create(
        code=code or f"O-{customer.pk}-{stage}-{Opportunity.objects.count()}", customer=customer, owner=customer.owner,
        title="Deal", stage=OpportunityStage.objects.get(code=stage), amount=D(amount),
    )


def quote(customer, *, status=Quote.Status.APPROVED, total="900.00"):
    return Quote.objects.create(code=f"Q-{customer.pk}-{Quote.objects.count()}", customer=customer, owner=customer.owner,
                                status=status, total=D(total))


def plan(*amounts):
    return [(n, date(2026, 3, 1) + timedelta(days=30 * n), D(a)) for n, a in enumerate(amounts, start=1)]


# --- the service -------------------------------------------------------------------------------

def test_contract_from_a_won_opportunity_with_an_exact_plan(rep_a, customer_a):
    opp = opportunity(customer_a, amount="1000.00")
    contract = contract_create(actor=rep_a, customer=customer_a, opportunity=opp, signed_on=SIGNED, instalments=plan("300.00", "700.00"))
    assert contract.code.startswith("K") and len(contract.code) == 7
    assert contract.amount == D("1000.00") and contract.currency == "CNY" and contract.owner == rep_a
    assert list(Instalment.objects.filter(contract=contract).values_list("seq", "amount")) == [(1, D("300.00")), (2, D("700.00"))]
    event = AuditEvent.objects.get(object_type="contract", object_id=contract.pk)
    assert event.changes["amount"] == [None, "1000.00"]


def test_two_contracts_get_different_codes(rep_a, customer_a):
    opp = opportunity(customer_a)
    a = contract_create(actor=rep_a, customer=customer_a, opportunity=opp, signed_on=SIGNED, instalments=plan("1000.00"))
    b = contract_create(actor=rep_a, customer=customer_a, opportunity=opp, signed_on=SIGNED, instalments=plan("1000.00"))
    assert a.code != b.code


@pytest.mark.parametrize("amounts", [("300.00", "699.99"), ("300.00", "700.01"), ("1000.001",), ()])
def test_the_plan_must_add_up_exactly_and_nothing_is_written_otherwise(rep_a, customer_a, amounts):
    opp = opportunity(customer_a, amount="1000.00")
    before = (Contract.objects.count(), Instalment.objects.count(), AuditEvent.objects.count())
    with pytest.raises(FinanceError):
        contract_create(actor=rep_a, customer=customer_a, opportunity=opp, signed_on=SIGNED, instalments=plan(*amounts))
    assert (Contract.objects.count(), Instalment.objects.count(), AuditEvent.objects.count()) == before


def test_a_failing_instalment_insert_rolls_the_contract_back(rep_a, customer_a, monkeypatch):
    opp = opportunity(customer_a)

    def boom(*args, **kwargs):
        raise RuntimeError("db down")

    monkeypatch.setattr(Instalment.objects, "bulk_create", boom)
    with pytest.raises(RuntimeError):
        contract_create(actor=rep_a, customer=customer_a, opportunity=opp, signed_on=SIGNED, instalments=plan("1000.00"))
    assert not Contract.objects.exists()


@pytest.mark.parametrize("stage", ["proposal", "lost"])
def test_an_opportunity_that_is_not_won_is_refused(rep_a, customer_a, stage):
    if not OpportunityStage.objects.filter(code=stage).exists():
        pytest.skip("no such stage")
    opp = opportunity(customer_a, stage=stage)
    with pytest.raises(FinanceError, match="not won"):
        contract_create(actor=rep_a, customer=customer_a, opportunity=opp, signed_on=SIGNED, instalments=plan("1000.00"))
    assert not Contract.objects.exists()


@pytest.mark.parametrize("status", ["approved", "sent", "accepted"])
def test_an_approved_sent_or_accepted_quote_becomes_a_contract_with_its_total(rep_a, customer_a, status):
    q = quote(customer_a, status=status, total="900.00")
    contract = contract_create(actor=rep_a, customer=customer_a, quote=q, signed_on=SIGNED, instalments=plan("450.00", "450.00"))
    assert contract.amount == D("900.00") and contract.quote == q


@pytest.mark.parametrize("status", ["draft", "pending", "rejected"])
def test_a_quote_that_is_not_approved_is_refused(rep_a, customer_a, status):
    q = quote(customer_a, status=status)
    with pytest.raises(FinanceError, match="not approved"):
        contract_create(actor=rep_a, customer=customer_a, quote=q, signed_on=SIGNED, instalments=plan("900.00"))


def test_the_source_must_belong_to_the_customer(rep_a, customer_a, customer_a2):
    q = quote(customer_a2)
    with pytest.raises(FinanceError):
        contract_create(actor=rep_a, customer=customer_a, quote=q, signed_on=SIGNED, instalments=plan("900.00"))


def test_a_contract_needs_a_source(rep_a, customer_a):
    with pytest.raises(FinanceError):
        contract_create(actor=rep_a, customer=customer_a, signed_on=SIGNED, amount="100.00", instalments=plan("100.00"))


def test_the_payment_term_defaults_to_the_customer_policy(rep_a, customer_a):
    conf = CompanySettings.load()
    conf.default_payment_term_days = 45
    conf.save()
    opp = opportunity(customer_a)
    contract = contract_create(actor=rep_a, customer=customer_a, opportunity=opp, signed_on=SIGNED, instalments=plan("1000.00"))
    assert contract.payment_term_days == 45
    other = contract_create(actor=rep_a, customer=customer_a, opportunity=opp, signed_on=SIGNED, payment_term_days=10, instalments=plan("1000.00"))
    assert other.payment_term_days == 10


def test_the_term_comes_from_a_policy_provider_when_one_answers(rep_a, customer_a, monkeypatch):
    from kehu.sales import policy

    tier = policy.Policy(max_discount_pct=D("10"), payment_term_days=90, commission_rate_pct=D("3"), tier="A")
    monkeypatch.setattr(policy, "POLICY_PROVIDERS", [lambda ids: {i: tier for i in ids}])
    contract = contract_create(actor=rep_a, customer=customer_a, opportunity=opportunity(customer_a), signed_on=SIGNED,
                               instalments=plan("1000.00"))
    assert contract.payment_term_days == 90


@pytest.mark.parametrize("who", ["rep_a", "manager_a", "admin"])
def test_editors_of_the_customer_create_contracts(request, who, customer_a):
    user = request.getfixturevalue(who)
    contract_create(actor=user, customer=customer_a, opportunity=opportunity(customer_a), signed_on=SIGNED, instalments=plan("1000.00"))


@pytest.mark.parametrize("who", ["finance", "rep_a2", "rep_b"])
def test_finance_and_other_reps_cannot_create_contracts(request, who, customer_a):
    user = request.getfixturevalue(who)
    with pytest.raises(PermissionDenied):
        contract_create(actor=user, customer=customer_a, opportunity=opportunity(customer_a), signed_on=SIGNED, instalments=plan("1000.00"))
    assert not Contract.objects.exists()


def test_a_paid_first_instalment_makes_the_customer_signed(rep_a, finance, customer_a):
    from kehu.finance.services import payment_record

    contract = contract_create(actor=rep_a, customer=customer_a, opportunity=opportunity(customer_a), signed_on=date(2026, 1, 1),
                               instalments=[(1, date(2026, 1, 10), D("400.00")), (2, date(2026, 2, 10), D("600.00"))])
    payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("400.00"), paid_on=date(2026, 1, 5))
    customer_a.refresh_from_db()
    assert customer_a.stage == Customer.Stage.SIGNED


def test_plan_update_keeps_the_rule_of_contract_plan_set(rep_a, manager_a, finance, customer_a):
    contract = contract_create(actor=rep_a, customer=customer_a, opportunity=opportunity(customer_a), signed_on=SIGNED, instalments=plan("1000.00"))
    with pytest.raises(PermissionDenied):
        contract_plan_set(actor=rep_a, contract=contract, instalments=plan("500.00", "500.00"))
    contract_plan_set(actor=finance, contract=contract, instalments=plan("500.00", "500.00"))
    with pytest.raises(FinanceError):
        contract_plan_set(actor=manager_a, contract=contract, instalments=plan("500.00", "499.99"))
    assert Instalment.objects.filter(contract=contract).count() == 2


def test_split_evenly_adds_up_exactly():
    assert split_evenly(D("1000.00"), 3) == [D("333.33"), D("333.33"), D("333.34")]
    assert sum(split_evenly(D("0.05"), 4)) == D("0.05")


# --- pages -------------------------------------------------------------------------------------

def post_contract(client, customer, source, amounts, **extra):
    data = {"source": source, "signed_on": "2026-03-01", "amount": extra.pop("amount", ""), "currency": "", "payment_term_days": "",
            "plan-TOTAL_FORMS": str(len(amounts)), "plan-INITIAL_FORMS": "0", "plan-MIN_NUM_FORMS": "1", "plan-MAX_NUM_FORMS": "60"}
    for n, a in enumerate(amounts):
        data[f"plan-{n}-due_on"] = f"2026-{4 + n:02d}-01"
        data[f"plan-{n}-amount"] = a
    data.update(extra)
    return client.post(reverse("finance:contract-create", args=[customer.pk]), data)


def test_contract_form_creates_the_contract(login, rep_a, customer_a):
    opp = opportunity(customer_a, amount="1000.00")
    client = login(rep_a)
    page = client.get(reverse("finance:contract-create", args=[customer_a.pk]) + f"?opportunity={opp.pk}&split=2")
    assert page.status_code == 200
    assert page.context["formset"].initial == [{"due_on": page.context["form"].initial["signed_on"], "amount": D("500.00")},
                                               {"due_on": page.context["formset"].initial[1]["due_on"], "amount": D("500.00")}]
    assert page.context["form"].initial["source"] == f"o{opp.pk}"
    response = post_contract(client, customer_a, f"o{opp.pk}", ["400.00", "600.00"])
    contract = Contract.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("finance:contract-detail", args=[contract.pk])


def test_contract_form_shows_a_clear_error_when_the_plan_does_not_add_up(login, rep_a, customer_a):
    opp = opportunity(customer_a, amount="1000.00")
    response = post_contract(login(rep_a), customer_a, f"o{opp.pk}", ["400.00", "500.00"])
    assert response.status_code == 200
    assert "The instalments add up to ¥900.00, but the contract amount is ¥1,000.00." in response.content.decode()
    assert not Contract.objects.exists()


def test_contract_form_lists_only_won_opportunities_and_approved_quotes(login, rep_a, customer_a):
    won, open_ = opportunity(customer_a), opportunity(customer_a, stage="proposal")
    ok, draft = quote(customer_a), quote(customer_a, status=Quote.Status.DRAFT)
    page = login(rep_a).get(reverse("finance:contract-create", args=[customer_a.pk]))
    keys = set(page.context["form"].sources)
    assert keys == {f"o{won.pk}", f"q{ok.pk}"}
    assert f"o{open_.pk}" not in keys and f"q{draft.pk}" not in keys


def test_finance_is_sent_back_from_the_contract_form(login, finance, customer_a):
    opp = opportunity(customer_a)
    client = login(finance)
    response = client.get(reverse("finance:contract-create", args=[customer_a.pk]))
    assert response.status_code == 302
    post_contract(client, customer_a, f"o{opp.pk}", ["1000.00"])
    assert not Contract.objects.exists()


@pytest.mark.parametrize("who,status", [("rep_a", 200), ("manager_a", 200), ("finance", 200), ("admin", 200), ("rep_b", 404), ("rep_a2", 404)])
def test_contract_page_by_role(login, request, rep_a, customer_a, who, status):
    contract = contract_create(actor=rep_a, customer=customer_a, opportunity=opportunity(customer_a), signed_on=SIGNED, instalments=plan("1000.00"))
    client = login(request.getfixturevalue(who))
    assert client.get(reverse("finance:contract-detail", args=[contract.pk])).status_code == status
    assert client.get(reverse("finance:contract-plan", args=[contract.pk])).status_code in ({404} if status == 404 else {200, 302})


def test_contract_page_shows_overdue_instalments(login, rep_a, customer_a):
    contract = contract_create(actor=rep_a, customer=customer_a, opportunity=opportunity(customer_a), signed_on=date(2020, 1, 1),
                               instalments=[(1, date(2020, 2, 1), D("1000.00"))])
    page = login(rep_a).get(reverse("finance:contract-detail", args=[contract.pk]))
    assert page.context["plan"][0]["is_overdue"] is True
    assert "Overdue" in page.content.decode()


def test_plan_page_by_finance_replaces_the_plan_and_rep_is_refused(login, rep_a, finance, customer_a):
    contract = contract_create(actor=rep_a, customer=customer_a, opportunity=opportunity(customer_a), signed_on=SIGNED, instalments=plan("1000.00"))
    url = reverse("finance:contract-plan", args=[contract.pk])
    data = {"plan-TOTAL_FORMS": "2", "plan-INITIAL_FORMS": "0", "plan-MIN_NUM_FORMS": "1", "plan-MAX_NUM_FORMS": "60",
            "plan-0-due_on": "2026-05-01", "plan-0-amount": "250.00", "plan-1-due_on": "2026-04-01", "plan-1-amount": "750.00"}
    assert login(rep_a).post(url, data).status_code == 302
    assert Instalment.objects.filter(contract=contract).count() == 1
    response = login(finance).post(url, data)
    assert response.status_code == 302
    assert list(Instalment.objects.filter(contract=contract).values_list("seq", "due_on", "amount")) == [
        (1, date(2026, 4, 1), D("750.00")), (2, date(2026, 5, 1), D("250.00"))]


def test_contract_page_query_count_is_fixed(login, rep_a, customer_a, django_assert_max_num_queries):
    contract = contract_create(actor=rep_a, customer=customer_a, opportunity=opportunity(customer_a), signed_on=SIGNED,
                               instalments=plan(*["100.00"] * 10))
    client = login(rep_a)
    client.get(reverse("finance:contract-detail", args=[contract.pk]))
    with django_assert_max_num_queries(8):
        assert client.get(reverse("finance:contract-detail", args=[contract.pk])).status_code == 200


def test_codes_continue_above_imported_ones(rep_a, customer_a):
    Contract.objects.create(code="K000041", customer=customer_a, owner=rep_a, signed_on=SIGNED, amount=D("1.00"))
    contract = contract_create(actor=rep_a, customer=customer_a, opportunity=opportunity(customer_a), signed_on=SIGNED, instalments=plan("1000.00"))
    assert contract.code == "K000042"


def test_the_contract_currency_must_be_the_sources(rep_a, customer_a):
    q = quote(customer_a, total="900.00")
    with pytest.raises(FinanceError, match=f"Quote {q.code} is in CNY; the contract must be in CNY too."):
        contract_create(actor=rep_a, customer=customer_a, quote=q, signed_on=date(2026, 3, 1), currency="USD", instalments=plan("900.00"))
    opp = opportunity(customer_a, amount="1000.00")
    with pytest.raises(FinanceError, match=f"Opportunity {opp.code} is in CNY"):
        contract_create(actor=rep_a, customer=customer_a, opportunity=opp, signed_on=date(2026, 3, 1), currency="EUR", instalments=plan("1000.00"))
    assert not Contract.objects.exists()
    contract = contract_create(actor=rep_a, customer=customer_a, quote=q, signed_on=date(2026, 3, 1), currency="CNY", instalments=plan("900.00"))
    assert contract.currency == "CNY"


def test_split_keeps_the_source_amount_and_dates_chosen_in_the_form(login, rep_a, customer_a):
    opp = opportunity(customer_a, amount="1000.00")
    q = quote(customer_a, total="900.00")
    client = login(rep_a)
    url = reverse("finance:contract-create", args=[customer_a.pk])
    page = client.get(url, {"opportunity": opp.pk, "source": f"q{q.pk}", "signed_on": "2026-03-15", "amount": "600.00",
                            "currency": "CNY", "payment_term_days": "45", "split": "3"})
    initial = page.context["form"].initial
    assert (initial["source"], initial["signed_on"], initial["amount"], initial["currency"], initial["payment_term_days"]) == (
        f"q{q.pk}", date(2026, 3, 15), D("600.00"), "CNY", 45)
    assert page.context["formset"].initial == [{"due_on": date(2026, 3, 15), "amount": D("200.00")},
                                               {"due_on": date(2026, 4, 15), "amount": D("200.00")},
                                               {"due_on": date(2026, 5, 15), "amount": D("200.00")}]
    html = page.content.decode()
    assert f'<option value="q{q.pk}" selected>' in html and 'data-testid="split-form"' in html
    # Without an amount the split follows the chosen source; values that do not parse are left out.
    page = client.get(url, {"source": f"q{q.pk}", "signed_on": "0001-01-01", "amount": "abc", "split": "2"})
    assert [r["amount"] for r in page.context["formset"].initial] == [D("450.00"), D("450.00")]
    assert page.context["form"].initial["signed_on"] != date(1, 1, 1) and "amount" not in page.context["form"].initial


def test_rep_is_told_why_there_is_no_source_and_where_to_make_one(login, rep_a, customer_a):
    """Issue 10 item 19: the source list was empty and nothing said why."""
    opportunity(customer_a, stage="proposal")
    quote(customer_a, status=Quote.Status.PENDING)
    body = login(rep_a).get(reverse("finance:contract-create", args=[customer_a.pk])).content.decode()
    assert 'data-testid="no-source"' in body
    assert "A contract is made from a won opportunity or an approved quote of this customer, and this customer has none yet." in body
    assert "1 open opportunity" in body and "1 quote not approved yet" in body
    assert reverse("customers:detail", args=[customer_a.pk]) + "#deals" in body
    assert reverse("sales:quote-create", args=[customer_a.pk]) in body
    assert reverse("sales:opportunity-create") + f"?customer={customer_a.pk}" in body


def test_rep_with_a_won_opportunity_gets_the_form_without_the_explanation(login, rep_a, customer_a):
    opportunity(customer_a)
    body = login(rep_a).get(reverse("finance:contract-create", args=[customer_a.pk])).content.decode()
    assert 'data-testid="no-source"' not in body and 'data-testid="contract-form"' in body


def _seen_token(body: str) -> str:
    import re

    match = re.search(r'name="seen" value="([^"]+)"', body)
    assert match, "the plan form carries the plan it was opened with"
    return match.group(1)


def test_finance_saving_a_plan_someone_changed_meanwhile_is_refused_with_what_changed(login, rep_a, finance, manager_a, customer_a):
    """Issue 10 item 6: two people change one contract's plan; the older form must not silently win."""
    contract = contract_create(actor=rep_a, customer=customer_a, opportunity=opportunity(customer_a), signed_on=SIGNED, instalments=plan("1000.00"))
    url = reverse("finance:contract-plan", args=[contract.pk])
    client = login(finance)
    seen = _seen_token(client.get(url).content.decode())
    contract_plan_set(actor=manager_a, contract=contract, instalments=[(1, date(2026, 4, 1), D("400.00")), (2, date(2026, 5, 1), D("600.00"))])
    data = {"plan-TOTAL_FORMS": "1", "plan-INITIAL_FORMS": "0", "plan-MIN_NUM_FORMS": "1", "plan-MAX_NUM_FORMS": "60",
            "plan-0-due_on": "2026-06-01", "plan-0-amount": "1000.00", "seen": seen}
    response = client.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "Somebody else changed this record after you opened it." in body
    assert "#1 2026-04-01 ¥400.00" in body and "#2 2026-05-01 ¥600.00" in body  # what the plan is now
    assert 'value="2026-06-01"' in body  # the user's input is kept
    assert list(Instalment.objects.filter(contract=contract).values_list("amount", flat=True)) == [D("400.00"), D("600.00")]
    response = client.post(url, {**data, "seen": _seen_token(body)})  # saving again, having seen the change
    assert response.status_code == 302
    assert list(Instalment.objects.filter(contract=contract).values_list("amount", flat=True)) == [D("1000.00")]


def test_a_payment_recorded_meanwhile_does_not_make_the_plan_form_stale(login, rep_a, finance, customer_a):
    from kehu.finance.services import payment_record

    contract = contract_create(actor=rep_a, customer=customer_a, opportunity=opportunity(customer_a), signed_on=SIGNED, instalments=plan("1000.00"))
    url = reverse("finance:contract-plan", args=[contract.pk])
    client = login(finance)
    seen = _seen_token(client.get(url).content.decode())
    payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("10.00"), paid_on=date(2026, 3, 2))
    data = {"plan-TOTAL_FORMS": "1", "plan-INITIAL_FORMS": "0", "plan-MIN_NUM_FORMS": "1", "plan-MAX_NUM_FORMS": "60",
            "plan-0-due_on": "2026-06-01", "plan-0-amount": "1000.00", "seen": seen}
    assert client.post(url, data).status_code == 302
