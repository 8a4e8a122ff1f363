"""/api/customers/<id>/contacts/ and /api/contacts/<id>/."""

import pytest

from kehu.core.models import AuditEvent
from kehu.customers.models import Contact


def contacts_url(customer):
    return f"/api/customers/{customer.pk}/contacts/"


def contact_url(contact):
    return f"/api/contacts/{contact.pk}/"


def test_rep_a_lists_contacts_of_own_customer(api, cast, contact_a):
    Contact.objects.create(customer=cast["customer_a"], name="已删除", is_deleted=True)
    response = api(cast["rep_a"]).get(contacts_url(cast["customer_a"]))
    assert response.status_code == 200
    assert [c["name"] for c in response.json()["results"]] == ["任正非"]


def test_rep_b_gets_404_for_rep_a_contacts_everywhere(api, cast, contact_a):
    client = api(cast["rep_b"])
    assert client.get(contacts_url(cast["customer_a"])).status_code == 404
    assert client.post(contacts_url(cast["customer_a"]), {"name": "Spy"}, format="json").status_code == 404
    assert client.get(contact_url(contact_a)).status_code == 404
    assert client.patch(contact_url(contact_a), {"name": "Stolen"}, format="json").status_code == 404
    assert client.put(contact_url(contact_a), {"name": "Stolen"}, format="json").status_code == 404
    assert client.delete(contact_url(contact_a)).status_code == 404
    contact = Contact.objects.get(pk=contact_a.pk)
    assert (contact.name, contact.is_deleted) == ("任正非", False)
    assert cast["customer_a"].contacts.count() == 1


def test_rep_a2_gets_404_for_team_mate_contact(api, cast, contact_a):
    assert api(cast["rep_a2"]).get(contact_url(contact_a)).status_code == 404


def test_manager_a_director_finance_admin_read_contact(api, cast, contact_a):
    for who in ("manager_a", "director", "finance", "admin"):
        assert api(cast[who]).get(contact_url(contact_a)).status_code == 200, who


def test_anonymous_gets_401(api, contact_a):  # issue 14: 401, not 403
    assert api(None).get(contact_url(contact_a)).status_code == 401


def test_rep_a_gets_404_for_contact_of_customer_in_recycle_bin(api, cast, contact_a):
    cast["customer_a"].__class__.objects.filter(pk=cast["customer_a"].pk).update(is_deleted=True)
    assert api(cast["rep_a"]).get(contact_url(contact_a)).status_code == 404


def test_rep_a_sees_id_number_masked_finance_whole(api, cast, contact_a):
    assert api(cast["rep_a"]).get(contact_url(contact_a)).json()["id_number"] == "1101**********0011"
    assert api(cast["finance"]).get(contact_url(contact_a)).json()["id_number"] == "110101199003070011"
    row = api(cast["rep_a"]).get(contacts_url(cast["customer_a"])).json()["results"][0]
    assert row["id_number"] == "1101**********0011"


def test_rep_a_with_sensitive_right_sees_id_number(api, cast, contact_a):
    cast["rep_a"].can_view_sensitive = True
    cast["rep_a"].save()
    assert api(cast["rep_a"]).get(contact_url(contact_a)).json()["id_number"] == "110101199003070011"


def test_rep_a_creates_contact_crafted_customer_is_ignored(api, cast):
    payload = {"name": "孙亚芳", "decision_role": "decision_maker", "customer": cast["customer_b"].pk, "phone": "139 0000 0002"}
    response = api(cast["rep_a"]).post(contacts_url(cast["customer_a"]), payload, format="json")
    assert response.status_code == 201, response.content
    contact = Contact.objects.get(pk=response.json()["id"])
    assert contact.customer == cast["customer_a"]
    assert contact.phone_normalized == "13900000002"
    assert response.json()["customer"] == cast["customer_a"].pk
    assert AuditEvent.objects.filter(customer=cast["customer_a"], object_type="contact", verb="create").exists()


def test_rep_a_creates_contact_without_name_gets_400(api, cast):
    response = api(cast["rep_a"]).post(contacts_url(cast["customer_a"]), {"name": "  "}, format="json")
    assert response.status_code == 400
    assert not cast["customer_a"].contacts.exists()


def test_rep_a_bad_decision_role_gets_400(api, cast):
    response = api(cast["rep_a"]).post(contacts_url(cast["customer_a"]), {"name": "X", "decision_role": "boss"}, format="json")
    assert response.status_code == 400
    assert "decision_role" in response.json()["error"]["fields"]


def test_rep_a_adds_contact_to_pool_customer_gets_403(api, cast):
    # The pool customer is visible to every rep, but only its owner (none) may change it.
    response = api(cast["rep_a"]).post(contacts_url(cast["pool_customer"]), {"name": "X"}, format="json")
    assert response.status_code == 403


def test_rep_a_updates_contact(api, cast, contact_a):
    client = api(cast["rep_a"])
    response = client.patch(contact_url(contact_a), {"title": "董事长", "customer": cast["customer_b"].pk}, format="json")
    assert response.status_code == 200
    contact = Contact.objects.get(pk=contact_a.pk)
    assert (contact.title, contact.customer_id) == ("董事长", cast["customer_a"].pk)
    response = client.put(contact_url(contact_a), {"name": "任总", "wechat": "ren"}, format="json")
    assert response.status_code == 200
    contact.refresh_from_db()
    assert (contact.name, contact.wechat) == ("任总", "ren")
    assert AuditEvent.objects.filter(object_type="contact", object_id=contact.pk, verb="update").count() == 2


def test_rep_a_masked_id_number_sent_back_keeps_the_real_one(api, cast, contact_a):
    client = api(cast["rep_a"])
    shown = client.get(contact_url(contact_a)).json()
    assert client.put(contact_url(contact_a), shown, format="json").status_code == 200
    assert Contact.objects.get(pk=contact_a.pk).id_number == "110101199003070011"


def test_finance_gets_403_editing_contact(api, cast, contact_a):
    assert api(cast["finance"]).patch(contact_url(contact_a), {"name": "改"}, format="json").status_code == 403
    assert api(cast["finance"]).delete(contact_url(contact_a)).status_code == 403
    assert api(cast["finance"]).post(contacts_url(cast["customer_a"]), {"name": "X"}, format="json").status_code == 403
    contact = Contact.objects.get(pk=contact_a.pk)
    assert (contact.name, contact.is_deleted) == ("任正非", False)


def test_rep_a_deletes_contact(api, cast, contact_a):
    client = api(cast["rep_a"])
    assert client.delete(contact_url(contact_a)).status_code == 204
    assert Contact.objects.get(pk=contact_a.pk).is_deleted is True
    assert client.get(contact_url(contact_a)).status_code == 404


@pytest.mark.parametrize("rows", [1, 20])
def test_rep_a_contact_list_runs_a_fixed_number_of_queries(api, cast, django_assert_num_queries, rows):
    for i in range(rows):
        Contact.objects.create(customer=cast["customer_a"], name=f"联系人{i}")
    client = api(cast["rep_a"])
    # session, user, customer, rows, capped count
    with django_assert_num_queries(5):
        response = client.get(contacts_url(cast["customer_a"]))
    assert len(response.json()["results"]) == rows
