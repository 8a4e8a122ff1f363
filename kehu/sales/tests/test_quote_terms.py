"""Quotes under tier policies (DOMAIN.md §5.4): the discount allowed by the customer's class,
the payment term agreed on the quote (beyond the policy → approval), the messages naming the
policy, and what the quote page and the approval inbox show."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import translation

from kehu.activities.models import Notification
from kehu.core.models import AuditEvent, CompanySettings
from kehu.customers.models import Customer
from kehu.ranking.models import TierPolicy
from kehu.sales import services as q
from kehu.sales.forms import QuoteForm
from kehu.sales.models import Product, Quote
from kehu.sales.services import SalesError

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture(autouse=True)
def english(cast):
    for key in ("rep_a", "rep_a2", "rep_b", "manager_a", "finance", "admin", "director"):
        cast[key].language = "en"
        cast[key].save(update_fields=["language"])
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def defaults(db):
    conf = CompanySettings.load()
    conf.default_max_discount_pct = D("5.00")
    conf.default_payment_term_days = 30
    conf.save()
    return conf


@pytest.fixture
def product(db):
    return Product.objects.create(code="P1", name="Widget", list_price=D("100.0000"), unit_cost=D("60.0000"))


@pytest.fixture
def problem(customer_a):
    """customer_a is in the value class `problem`, whose policy allows 2 % and 15 days."""
    Customer.objects.filter(pk=customer_a.pk).update(value_class="problem")
    TierPolicy.objects.create(model="value", klass="problem", max_discount_pct=D("2.00"), payment_term_days=15)
    customer_a.refresh_from_db()
    return customer_a


def make_quote(actor, customer, product, discount="0", **kw):
    return q.quote_create(actor=actor, customer=customer, lines=[{"product": product, "quantity": "1", "discount_pct": discount}], **kw)


# --- discount: the customer's class decides ----------------------------------------------------

def test_rep_over_policy_discount_is_stopped_for_approval_because_of_the_customers_class(rep_a, manager_a, problem, product):
    quote = make_quote(rep_a, problem, product, discount="3")  # within the company's 5 %, above the class's 2 %
    quote = q.quote_submit(actor=rep_a, quote=quote)
    assert quote.status == Quote.Status.PENDING
    assert quote.allowed_discount_pct == D("2.00") and quote.discount_policy == "value:problem"
    message = q.submit_message(quote)
    assert message == "Above the discount policy of Problem (value class), 2 %: waiting for approval."
    assert AuditEvent.objects.filter(object_type="quote", object_id=quote.pk, note=message).exists()
    assert Notification.objects.filter(user=manager_a, kind=q.KIND_APPROVAL).exists()


def test_the_same_discount_is_approved_at_once_without_the_class(rep_a, customer_a, product):
    quote = q.quote_submit(actor=rep_a, quote=make_quote(rep_a, customer_a, product, discount="3"))
    assert quote.status == Quote.Status.APPROVED and quote.discount_policy == ""
    assert q.submit_message(quote) == "Within the customer's policy: approved at once."


def test_a_generous_class_allows_more_than_the_default(rep_a, customer_a, product):
    Customer.objects.filter(pk=customer_a.pk).update(value_class="diamond")
    TierPolicy.objects.create(model="value", klass="diamond", max_discount_pct=D("10.00"))
    quote = q.quote_submit(actor=rep_a, quote=make_quote(rep_a, customer_a, product, discount="8"))
    assert quote.status == Quote.Status.APPROVED and quote.allowed_discount_pct == D("10.00")


def test_default_policy_message_names_no_tier(rep_a, customer_a, product):
    quote = q.quote_submit(actor=rep_a, quote=make_quote(rep_a, customer_a, product, discount="6"))
    assert q.submit_message(quote) == "Above the discount policy, 5 %: waiting for approval."


# --- payment term on the quote -----------------------------------------------------------------

def test_a_long_payment_term_puts_the_quote_to_approval(rep_a, manager_a, problem, product):
    quote = q.quote_submit(actor=rep_a, quote=make_quote(rep_a, problem, product, payment_term_days=60))
    assert quote.status == Quote.Status.PENDING
    assert (quote.payment_term_days, quote.allowed_payment_term_days, quote.payment_term_policy) == (60, 15, "value:problem")
    assert q.submit_message(quote) == (
        "Payment term of 60 days beyond the policy of 15 days (Problem (value class)): waiting for approval.")
    note = Notification.objects.get(user=manager_a, kind=q.KIND_APPROVAL)
    assert note.params["term"] == 60 and note.params["allowed_term"] == 15


def test_both_reasons_are_named(rep_a, problem, product):
    quote = q.quote_submit(actor=rep_a, quote=make_quote(rep_a, problem, product, discount="3", payment_term_days=20))
    message = q.submit_message(quote)
    assert quote.status == Quote.Status.PENDING
    assert "discount policy of Problem (value class), 2 %" in message and "payment term of 20 days beyond the policy of 15 days" in message


def test_a_term_within_the_policy_or_empty_is_approved_at_once(rep_a, problem, product):
    within = q.quote_submit(actor=rep_a, quote=make_quote(rep_a, problem, product, payment_term_days=15))
    empty = q.quote_submit(actor=rep_a, quote=make_quote(rep_a, problem, product))
    assert within.status == empty.status == Quote.Status.APPROVED
    assert q.effective_payment_term(within) == 15 and q.effective_payment_term(empty) == 15


def test_a_manager_approves_the_long_term(rep_a, manager_a, problem, product):
    quote = q.quote_submit(actor=rep_a, quote=make_quote(rep_a, problem, product, payment_term_days=60))
    quote = q.quote_decide(actor=manager_a, quote=quote, approve=True)
    assert quote.status == Quote.Status.APPROVED and q.effective_payment_term(quote) == 60


@pytest.mark.parametrize("value", [-1, "4000", "12.5", "abc"])
def test_bad_payment_terms_are_refused(rep_a, customer_a, product, value):
    with pytest.raises(SalesError):
        make_quote(rep_a, customer_a, product, payment_term_days=value)
    assert not Quote.objects.exists()


def test_update_keeps_the_term_unless_given(rep_a, customer_a, product):
    quote = make_quote(rep_a, customer_a, product, payment_term_days=45)
    q.quote_update(actor=rep_a, quote=quote, notes="x")
    quote.refresh_from_db()
    assert quote.payment_term_days == 45
    q.quote_update(actor=rep_a, quote=quote, payment_term_days=None)
    quote.refresh_from_db()
    assert quote.payment_term_days is None
    assert AuditEvent.objects.filter(object_type="quote", object_id=quote.pk, changes__payment_term_days=[45, None]).exists()


def test_quote_form_shows_the_policy_term(problem):
    form = QuoteForm(customer=problem)
    assert "15 days (Problem (value class))" in str(form.fields["payment_term_days"].help_text)
    bad = QuoteForm({"currency": "CNY", "payment_term_days": "-5"}, customer=problem)
    assert not bad.is_valid() and "payment_term_days" in bad.errors


# --- pages ---------------------------------------------------------------------------------------

def test_quote_page_and_inbox_show_the_allowed_discount_and_its_policy(login, rep_a, manager_a, problem, product,
                                                                      django_assert_max_num_queries):
    quote = q.quote_submit(actor=rep_a, quote=make_quote(rep_a, problem, product, discount="3", payment_term_days=60))
    page = login(rep_a).get(reverse("sales:quote-detail", args=[quote.pk]))
    text = page.content.decode()
    assert 'data-testid="discount-policy">Problem (value class)' in text
    assert 'data-testid="over-discount"' in text and 'data-testid="over-term"' in text
    client = login(manager_a)
    for n in range(3):
        q.quote_submit(actor=rep_a, quote=make_quote(rep_a, problem, product, discount="4"))
    with django_assert_max_num_queries(12):
        inbox = client.get(reverse("sales:quote-approvals"))
    text = inbox.content.decode()
    assert text.count("Problem (value class)") >= 4
    assert f'data-testid="row-{quote.code}"' in text


def test_rep_b_gets_404_for_the_quote_page(login, rep_a, rep_b, problem, product):
    quote = q.quote_submit(actor=rep_a, quote=make_quote(rep_a, problem, product, discount="3"))
    assert login(rep_b).get(reverse("sales:quote-detail", args=[quote.pk])).status_code == 404


# --- through the quote pages -----------------------------------------------------------------------

def test_rep_submitting_3_percent_to_a_problem_customer_is_told_the_class(login, rep_a, problem, product):
    quote = make_quote(rep_a, problem, product, discount="3")
    response = login(rep_a).post(reverse("sales:quote-submit", args=[quote.pk]), follow=True)
    quote.refresh_from_db()
    assert quote.status == Quote.Status.PENDING
    assert "Above the discount policy of Problem (value class), 2 %: waiting for approval." in [str(m) for m in response.context["messages"]]


def test_rep_agrees_a_term_on_the_quote_form(login, rep_a, problem, product):
    client = login(rep_a)
    page = client.get(reverse("sales:quote-create", args=[problem.pk]))
    assert "15 days (Problem (value class))" in page.content.decode()
    data = {"opportunity": "", "currency": "CNY", "valid_until": "", "notes": "", "payment_term_days": "60",
            "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "0", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "100",
            "lines-0-product": str(product.pk), "lines-0-quantity": "1", "lines-0-unit_price": "", "lines-0-discount_pct": "0"}
    assert client.post(reverse("sales:quote-create", args=[problem.pk]), data).status_code == 302
    quote = Quote.objects.get()
    assert quote.payment_term_days == 60
    edit = client.get(reverse("sales:quote-edit", args=[quote.pk]))
    assert edit.context["form"].initial["payment_term_days"] == 60


def test_the_stored_policy_is_shown_in_each_readers_language():
    from django.utils import translation

    from kehu.sales.policy import policy_label

    with translation.override("en"):
        assert policy_label("value:problem") == "Problem (value class)"
        assert policy_label("pyramid:small") == "Small (pyramid tier)"
        assert policy_label("key_account:key") == "Key account"
    with translation.override("zh-hans"):
        assert policy_label("value:problem") == "问题客户（价值类别）"
    assert policy_label("") == ""


def test_rep_sees_the_policy_limit_on_the_quote_form_before_submitting(login, rep_a, problem, product):
    body = login(rep_a).get(reverse("sales:quote-create", args=[problem.pk])).content.decode()
    box = body[body.index('data-testid="policy"'):]
    box = box[:box.index("</div>")]
    assert "Maximum discount: 2.00%" in box and "Payment term: 15 days" in box and "Problem (value class)" in box
    assert 'data-max-discount="2.00"' in body  # the page marks a line discount above it


def test_rep_gets_the_unit_price_filled_from_the_product_picked(login, rep_a, customer_a, product):
    body = login(rep_a).get(reverse("sales:quote-create", args=[customer_a.pk])).content.decode()
    assert f'value="{product.pk}" data-currency="CNY" data-price="100.0000"' in body  # read by static/kehu/line-totals.js
    assert "kehu/line-totals.js" in body and 'name="lines-0-unit_price"' in body
