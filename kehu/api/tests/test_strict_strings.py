"""The API's text fields take text only, and count maxLength on the text as sent (kehu/api/strings.py):
what the schema says, which DRF's CharField alone does not do."""

import pytest

from kehu.customers.models import Customer

LIST = "/api/customers/"


@pytest.mark.parametrize("field,value", [("phone", -1.1), ("notes", 51284847567572), ("name", True), ("city", ["杭州"])])
def test_a_number_or_other_non_text_is_a_400_naming_the_field(api, cast, field, value):
    body = {"name": "新客户有限公司", field: value}
    response = api(cast["rep_a"]).post(LIST, body, format="json", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 400, response.content
    assert response.json()["error"]["fields"][field][0]["code"] == "invalid"
    assert not Customer.objects.filter(name="新客户有限公司").exists()


def test_the_length_counts_the_spaces_sent(api, cast):
    limit = Customer._meta.get_field("name").max_length
    padded = "\t" + "甲" * limit  # one over as sent, exactly the limit once trimmed
    response = api(cast["rep_a"]).post(LIST, {"name": padded}, format="json")
    assert response.status_code == 400 and response.json()["error"]["fields"]["name"][0]["code"] == "max_length"
    exact = api(cast["rep_a"]).post(LIST, {"name": "甲" * limit}, format="json")
    assert exact.status_code == 201, exact.content
