"""The customer list's current-ranking filters (pyramid tier, value class, key account) and
columns, within the user's visibility, at a fixed query count; the API carries the ranking."""

import pytest
from django.urls import reverse
from django.utils import translation

from conftest import make_customer
from kehu.customers import selectors
from kehu.customers.models import Customer

URL = reverse("customers:list")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture
def ranked(cast):
    def rank(customer, tier="", klass="", key=False):
        Customer.objects.filter(pk=customer.pk).update(pyramid_tier=tier, value_class=klass, is_key_account=key)

    rank(cast["customer_a"], "important", "diamond", True)
    rank(cast["customer_a2"], "small", "problem")
    rank(cast["customer_b"], "important", "general")
    return cast


def _codes(user, **params):
    return sorted(selectors.customer_list(user=user, params=params).values_list("code", flat=True))


def test_filter_by_pyramid_tier(ranked):
    assert _codes(ranked["admin"], pyramid_tier="important") == ["C00001", "C00003"]
    assert _codes(ranked["admin"], pyramid_tier="small") == ["C00002"]
    assert _codes(ranked["admin"], pyramid_tier="none") == ["C00004"]


def test_filter_by_value_class(ranked):
    assert _codes(ranked["admin"], value_class="problem") == ["C00002"]
    assert _codes(ranked["admin"], value_class="diamond") == ["C00001"]
    assert _codes(ranked["admin"], value_class="none") == ["C00004"]


def test_filter_by_key_account(ranked):
    assert _codes(ranked["admin"], key="1") == ["C00001"]
    assert _codes(ranked["admin"], key="0") == ["C00002", "C00003", "C00004"]


def test_filters_combine_and_stay_within_visibility(ranked):
    # rep_a sees only their own: customer_b is important too, but not theirs
    assert _codes(ranked["rep_a"], pyramid_tier="important") == ["C00001"]
    assert _codes(ranked["manager_a"], pyramid_tier="important") == ["C00001"]
    assert _codes(ranked["director"], pyramid_tier="important", value_class="general") == ["C00003"]


def test_unknown_values_are_ignored(ranked):
    assert _codes(ranked["admin"], pyramid_tier="gold", value_class="x' OR 1=1") == ["C00001", "C00002", "C00003", "C00004"]


def test_list_page_has_the_filters_and_columns(ranked, login):
    user = ranked["rep_a"]
    user.language = "en"
    user.save(update_fields=["language"])
    client = login(user)
    html = client.get(URL).content.decode()
    assert 'name="pyramid_tier"' in html and 'name="value_class"' in html and 'name="key"' in html
    assert "Pyramid tier" in html and "Value class" in html
    assert '<span class="badge text-bg-info text-nowrap">Important</span>' in html  # a badge never wraps (issue 10, item 20)
    assert "Diamond</span>" in html
    html = client.get(URL, {"pyramid_tier": "important"}).content.decode()
    assert '<option value="important" selected>' in html
    # the htmx partial (table only) filters the same way
    html = client.get(URL, {"value_class": "diamond"}, HTTP_HX_REQUEST="true", HTTP_HX_TARGET="customer-table").content.decode()
    assert "C00001" in html and "C00002" not in html


def test_list_query_count_does_not_grow_with_ranked_rows(ranked, login, django_assert_num_queries):
    from kehu.customers.tests.test_pages import LIST_QUERIES

    ranked["rep_b"].language = "en"
    ranked["rep_b"].save(update_fields=["language"])
    client = login(ranked["rep_b"])
    with django_assert_num_queries(LIST_QUERIES):
        client.get(URL, {"pyramid_tier": "important"})
    for i in range(20):
        c = make_customer(ranked["rep_b"], f"分级客户{i:02d}", f"R{i:05d}")
        Customer.objects.filter(pk=c.pk).update(pyramid_tier="important", value_class="strategic", is_key_account=True)
    with django_assert_num_queries(LIST_QUERIES):
        response = client.get(URL, {"pyramid_tier": "important", "value_class": "strategic", "key": "1"})
    assert response.content.decode().count("Strategic</span>") == 20


def test_api_customer_carries_the_ranking(ranked, client):
    client.force_login(ranked["rep_a"])
    response = client.get("/api/customers/", {"pyramid_tier": "important"})
    assert response.status_code == 200
    rows = response.json()["results"]
    assert [r["code"] for r in rows] == ["C00001"]
    assert rows[0]["pyramid_tier"] == "important" and rows[0]["value_class"] == "diamond" and rows[0]["is_key_account"] is True
    detail = client.get(f"/api/customers/{ranked['customer_a'].pk}/").json()
    assert detail["pyramid_tier"] == "important" and detail["value_class"] == "diamond"


def test_api_ranking_is_read_only(ranked, client):
    customer = ranked["customer_a"]
    client.force_login(ranked["rep_a"])
    response = client.patch(f"/api/customers/{customer.pk}/", {"pyramid_tier": "small", "value_class": "problem"},
                            content_type="application/json")
    assert response.status_code in (200, 400)
    customer.refresh_from_db()
    assert customer.pyramid_tier == "important" and customer.value_class == "diamond"
