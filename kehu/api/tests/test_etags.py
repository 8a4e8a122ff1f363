"""Issue 10, item 6 in the API: GET of a customer or a contact gives an ETag; a PUT/PATCH whose
If-Match no longer holds answers 412 and changes nothing; without If-Match it saves as before."""

import pytest

from kehu.customers.models import Contact, Customer
from kehu.customers.services.records import contact_create, customer_update

pytestmark = pytest.mark.django_db


def _fresh(obj):
    return type(obj).objects.get(pk=obj.pk)


def test_api_customer_get_gives_an_etag_and_a_stale_if_match_gets_412(cast, api):
    customer = cast["customer_a"]
    url = f"/api/customers/{customer.pk}/"
    client = api(cast["rep_a"])
    etag = client.get(url)["ETag"]
    assert etag.startswith('"') and client.get(url)["ETag"] == etag  # stable while nothing changes
    customer_update(actor=cast["manager_a"], customer=customer, data={"phone": "0755-11111111"})
    refused = client.patch(url, {"notes": "old view"}, format="json", HTTP_IF_MATCH=etag)
    assert refused.status_code == 412 and refused.json()["error"]["message"]
    assert _fresh(customer).notes == ""
    current = client.get(url)["ETag"]
    assert current != etag
    saved = client.patch(url, {"notes": "current view"}, format="json", HTTP_IF_MATCH=current)
    assert saved.status_code == 200 and saved["ETag"] != current and _fresh(customer).notes == "current view"
    assert client.patch(url, {"notes": "no precondition"}, format="json").status_code == 200  # as before


def test_api_contact_put_with_a_stale_if_match_gets_412(cast, api):
    contact = contact_create(actor=cast["rep_a"], customer=cast["customer_a"], data={"name": "李工"})
    url = f"/api/contacts/{contact.pk}/"
    client = api(cast["rep_a"])
    etag = client.get(url)["ETag"]
    Contact.objects.filter(pk=contact.pk).update(title="总工")
    assert client.put(url, {"name": "李工", "title": "工程师"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    assert client.patch(url, {"title": "工程师"}, format="json", HTTP_IF_MATCH=etag).status_code == 412
    assert _fresh(contact).title == "总工"
    assert client.patch(url, {"title": "工程师"}, format="json", HTTP_IF_MATCH=client.get(url)["ETag"]).status_code == 200


def test_api_etag_does_not_depend_on_a_masked_value(cast, api):
    """A rep sees the bank account masked: the ETag must not let them test guesses of it."""
    customer = cast["customer_a"]
    url = f"/api/customers/{customer.pk}/"
    before = api(cast["rep_a"]).get(url)["ETag"]
    Customer.objects.filter(pk=customer.pk).update(bank_account="6222020200112233445")
    assert api(cast["rep_a"]).get(url)["ETag"] == before
    assert api(cast["admin"]).get(url)["ETag"] != before
