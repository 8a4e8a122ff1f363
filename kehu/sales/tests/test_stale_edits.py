"""Two people open the same opportunity or quote; the one who saves second, from a form opened
before the other's save, is refused with a message naming what changed meanwhile (their
input kept); saving again, now knowing the change, works (BRIEF: the stale-edit guard)."""

import re
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import translation

from kehu.sales.models import Opportunity, Product, Quote
from kehu.sales.services import opportunity_create

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def english(cast):
    for key in ("rep_a", "manager_a"):
        cast[key].language = "en"
        cast[key].save(update_fields=["language"])
    with translation.override("en"):
        yield


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def seen_of(body: str) -> str:
    """The form's hidden `seen` value ("" when the form has none)."""
    found = re.search(r'name="seen" value="([^"]*)"', body) or re.search(r'value="([^"]*)" name="seen"', body)
    return found.group(1) if found else ""


@pytest.fixture
def opp(rep_a, customer_a):
    return opportunity_create(actor=rep_a, customer=customer_a, title="ERP rollout", amount="1000.00")


def opportunity_data(seen, **changes):
    data = {"title": "ERP rollout", "amount": "1000.00", "currency": "CNY", "probability": "", "expected_close_on": "",
            "forecast_category": "", "buying_factor": "", "competitors": "", "product_lines": "", "seen": seen}
    data.update(changes)
    return data


def test_rep_saving_an_opportunity_form_opened_before_the_managers_save_is_refused(opp, rep_a, manager_a):
    url = reverse("sales:opportunity-edit", args=[opp.pk])
    rep, manager = signed_in(rep_a), signed_in(manager_a)
    rep_seen = seen_of(rep.get(url).content.decode())
    manager_seen = seen_of(manager.get(url).content.decode())

    assert manager.post(url, opportunity_data(manager_seen, amount="2000.00")).status_code == 302
    response = rep.post(url, opportunity_data(rep_seen, competitors="Acme"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Somebody else changed this record after you opened it." in body
    assert "amount: “1000” → “2000”" in body  # the field and both values
    assert 'value="Acme"' in body  # the rep's input is kept
    assert re.search(r'name="amount" value="2000(\.00)?"', body)  # the field the rep left shows the manager's value
    opp.refresh_from_db()
    assert (opp.amount, opp.competitors) == (Decimal("2000.00"), "")

    # Saving again the refused form as it is shown keeps both changes.
    again = rep.post(url, opportunity_data(seen_of(body), amount="2000", competitors="Acme"))
    assert again.status_code == 302
    opp.refresh_from_db()
    assert (opp.amount, opp.competitors) == (Decimal("2000.00"), "Acme")


def test_rep_saving_a_fresh_opportunity_form_works(opp, rep_a):
    url = reverse("sales:opportunity-edit", args=[opp.pk])
    rep = signed_in(rep_a)
    assert rep.post(url, opportunity_data(seen_of(rep.get(url).content.decode()), title="ERP phase 2")).status_code == 302
    assert Opportunity.objects.get(pk=opp.pk).title == "ERP phase 2"


@pytest.fixture
def draft(rep_a, customer_a):
    from kehu.sales import services

    product = Product.objects.create(code="P1", name="Widget", list_price=Decimal("100"), unit_cost=Decimal("60"))
    return services.quote_create(actor=rep_a, customer=customer_a, lines=[{"product": product, "quantity": "1"}])


def quote_data(quote, seen, *, quantity="1", notes=""):
    line = quote.lines.get()
    return {"opportunity": "", "valid_until": "", "payment_term_days": "", "notes": notes, "seen": seen,
            "lines-TOTAL_FORMS": "1", "lines-INITIAL_FORMS": "1", "lines-MIN_NUM_FORMS": "0", "lines-MAX_NUM_FORMS": "100",
            "lines-0-product": str(line.product_id), "lines-0-quantity": quantity, "lines-0-unit_price": "100",
            "lines-0-discount_pct": "0"}


def test_rep_saving_a_quote_form_opened_before_the_managers_save_is_refused(draft, rep_a, manager_a):
    url = reverse("sales:quote-edit", args=[draft.pk])
    rep, manager = signed_in(rep_a), signed_in(manager_a)
    rep_seen = seen_of(rep.get(url).content.decode())
    manager_seen = seen_of(manager.get(url).content.decode())

    assert manager.post(url, quote_data(draft, manager_seen, quantity="5")).status_code == 302
    response = rep.post(url, quote_data(draft, rep_seen, notes="Call first"))
    body = response.content.decode()
    assert response.status_code == 200
    assert "Somebody else changed this record after you opened it." in body
    assert "Lines: “P1 × 1 @ 100” → “P1 × 5 @ 100”" in body
    assert re.search(r'name="lines-0-quantity" value="5(\.0000)?"', body)  # the lines the rep left, as they are now
    assert "Call first" in body  # the rep's notes are kept
    quote = Quote.objects.get(pk=draft.pk)
    assert (quote.notes, quote.total) == ("", Decimal("500.00"))

    again = rep.post(url, quote_data(draft, seen_of(body), quantity="5", notes="Call first"))
    assert again.status_code == 302
    quote.refresh_from_db()
    assert (quote.notes, quote.total) == ("Call first", Decimal("500.00"))


def test_rep_saving_a_fresh_quote_form_works(draft, rep_a):
    url = reverse("sales:quote-edit", args=[draft.pk])
    rep = signed_in(rep_a)
    assert rep.post(url, quote_data(draft, seen_of(rep.get(url).content.decode()), quantity="2")).status_code == 302
    assert Quote.objects.get(pk=draft.pk).total == Decimal("200.00")
