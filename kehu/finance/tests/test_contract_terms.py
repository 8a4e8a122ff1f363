"""Contract payment terms beyond the customer's policy (DOMAIN.md §5.4, kehu/finance/services/contracts.py):
agreed on an approved quote, or decided by a manager of the owner's team or an admin;
refused otherwise with a message naming the policy."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.core.models import CompanySettings
from kehu.customers.models import Customer
from kehu.finance.permissions import can_approve_terms
from kehu.finance.services import contract_create
from kehu.finance.forms_orders import ContractForm
from kehu.finance.services import FinanceError
from kehu.ranking.models import TierPolicy
from kehu.sales import services as q
from kehu.sales.models import Contract, Opportunity, OpportunityStage, Product, Quote

pytestmark = pytest.mark.django_db
D = Decimal
SIGNED = date(2026, 3, 1)


@pytest.fixture(autouse=True)
def diamond(customer_a):
    """customer_a is a Diamond whose policy gives 30 days (the company default is 20)."""
    conf = CompanySettings.load()
    conf.default_payment_term_days = 20
    conf.save()
    Customer.objects.filter(pk=customer_a.pk).update(value_class="diamond")
    TierPolicy.objects.create(model="value", klass="diamond", payment_term_days=30)
    customer_a.refresh_from_db()
    return customer_a


@pytest.fixture
def product(db):
    return Product.objects.create(code="P1", name="Widget", list_price=D("900.0000"), unit_cost=D("60.0000"))


def won(customer):
    return Opportunity.objects.create(code=f"O-{Opportunity.objects.count()}", customer=customer, owner=customer.owner, title="Deal",
                                      stage=OpportunityStage.objects.get(code="won"), amount=D("900.00"))


def plan(amount="900.00"):
    return [(1, SIGNED + timedelta(days=30), D(amount))]


def approved_quote(rep, manager, customer, product, term):
    quote = q.quote_create(actor=rep, customer=customer, lines=[{"product": product, "quantity": "1"}], payment_term_days=term)
    quote = q.quote_submit(actor=rep, quote=quote)
    if quote.status == Quote.Status.PENDING:
        quote = q.quote_decide(actor=manager, quote=quote, approve=True)
    return quote


def test_rep_is_refused_a_term_beyond_the_policy(rep_a, customer_a):
    with pytest.raises(FinanceError) as exc:
        contract_create(actor=rep_a, customer=customer_a, opportunity=won(customer_a), signed_on=SIGNED, payment_term_days=90,
                        instalments=plan())
    assert str(exc.value.args[0]) == ("A payment term of 90 days is beyond the policy of 30 days (Diamond (value class)); "
                                      "agree it on a quote and have it approved.")
    assert not Contract.objects.exists()


def test_rep_may_use_the_policy_term_or_less(rep_a, customer_a):
    contract = contract_create(actor=rep_a, customer=customer_a, opportunity=won(customer_a), signed_on=SIGNED, instalments=plan())
    assert contract.payment_term_days == 30  # the class's, not the company's 20
    shorter = contract_create(actor=rep_a, customer=customer_a, opportunity=won(customer_a), signed_on=SIGNED, payment_term_days=10,
                              instalments=plan())
    assert shorter.payment_term_days == 10


def test_a_quote_approved_with_the_term_lets_the_rep_write_it(rep_a, manager_a, customer_a, product):
    quote = approved_quote(rep_a, manager_a, customer_a, product, term=90)
    assert quote.decided_by == manager_a  # it went through approval
    contract = contract_create(actor=rep_a, customer=customer_a, quote=quote, signed_on=SIGNED, instalments=plan())
    assert contract.payment_term_days == 90  # the quote's term by default
    same = contract_create(actor=rep_a, customer=customer_a, quote=quote, signed_on=SIGNED, payment_term_days=60, instalments=plan())
    assert same.payment_term_days == 60
    with pytest.raises(FinanceError, match="beyond the policy of 30 days"):
        contract_create(actor=rep_a, customer=customer_a, quote=quote, signed_on=SIGNED, payment_term_days=120, instalments=plan())


def test_a_quote_not_approved_for_the_term_does_not_help(rep_a, manager_a, customer_a, product):
    quote = approved_quote(rep_a, manager_a, customer_a, product, term=None)  # the policy's 30, approved at once
    assert quote.decided_by is None
    with pytest.raises(FinanceError):
        contract_create(actor=rep_a, customer=customer_a, quote=quote, signed_on=SIGNED, payment_term_days=45, instalments=plan())


@pytest.mark.parametrize("who", ["manager_a", "admin", "director"])
def test_a_manager_of_the_owner_or_an_admin_may_agree_a_longer_term(request, who, customer_a):
    user = request.getfixturevalue(who)
    contract = contract_create(actor=user, customer=customer_a, opportunity=won(customer_a), signed_on=SIGNED, payment_term_days=90,
                               instalments=plan())
    assert contract.payment_term_days == 90


def test_who_may_approve_terms(rep_a, rep_b, manager_a, admin, finance, customer_a, customer_b):
    assert not can_approve_terms(rep_a, customer_a)  # the owner
    assert can_approve_terms(manager_a, customer_a) and can_approve_terms(admin, customer_a)
    assert not can_approve_terms(manager_a, customer_b)  # not their team
    assert not can_approve_terms(finance, customer_a) and not can_approve_terms(rep_b, customer_a)


def test_contract_form_shows_the_policy_term_and_the_refusal(login, rep_a, customer_a):
    opp = won(customer_a)
    client = login(rep_a)
    page = client.get(reverse("finance:contract-create", args=[customer_a.pk]) + f"?opportunity={opp.pk}")
    assert "30 days (Diamond (value class))" in page.content.decode()
    response = client.post(reverse("finance:contract-create", args=[customer_a.pk]), {
        "source": f"o{opp.pk}", "signed_on": "2026-03-01", "amount": "", "currency": "", "payment_term_days": "90",
        "plan-TOTAL_FORMS": "1", "plan-INITIAL_FORMS": "0", "plan-MIN_NUM_FORMS": "1", "plan-MAX_NUM_FORMS": "60",
        "plan-0-due_on": "2026-04-01", "plan-0-amount": "900.00",
    })
    assert response.status_code == 200
    assert "beyond the policy of 30 days" in response.content.decode()
    assert not Contract.objects.exists()


def test_contract_form_help_text_without_a_tier(customer_b):
    form = ContractForm(customer=customer_b)
    assert "20 days." in str(form.fields["payment_term_days"].help_text)
