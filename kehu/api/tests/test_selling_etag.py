"""/api/opportunities/<id>/: GET answers an ETag; a PATCH whose If-Match is not the current
ETag (somebody changed the opportunity since it was read) answers 412 and changes nothing; a
PATCH with the current ETag, or without If-Match, saves as before."""

from decimal import Decimal

import pytest

from kehu.sales.models import Opportunity, OpportunityStage


@pytest.fixture
def opp(cast):
    return Opportunity.objects.create(code="O-1", customer=cast["customer_a"], owner=cast["rep_a"], title="ERP",
                                      stage=OpportunityStage.objects.get(code="proposal"), amount="100.00")


def url(opp):
    return f"/api/opportunities/{opp.pk}/"


def test_rep_patching_with_an_outdated_etag_gets_412(api, cast, opp):
    cast["rep_a"].language = "en"
    cast["rep_a"].save(update_fields=["language"])
    rep, manager = api(cast["rep_a"]), api(cast["manager_a"])
    read = rep.get(url(opp))
    etag = read["ETag"]
    assert read.status_code == 200 and etag.startswith('"')
    changed = manager.patch(url(opp), {"amount": "250.00"}, format="json", HTTP_IF_MATCH=manager.get(url(opp))["ETag"])
    assert changed.status_code == 200 and changed["ETag"] != etag
    refused = rep.patch(url(opp), {"title": "ERP phase 2"}, format="json", HTTP_IF_MATCH=etag)
    assert refused.status_code == 412
    assert refused.json() == {"error": {"code": "precondition_failed",
                                        "message": "This opportunity changed after you read it; read it again, then send your change."}}
    opp.refresh_from_db()
    assert (opp.title, opp.amount) == ("ERP", Decimal("250.00"))


def test_rep_patching_with_the_current_etag_or_none_saves(api, cast, opp):
    rep = api(cast["rep_a"])
    etag = rep.get(url(opp))["ETag"]
    saved = rep.patch(url(opp), {"title": "ERP 2"}, format="json", HTTP_IF_MATCH=etag)
    assert saved.status_code == 200 and saved.json()["title"] == "ERP 2"
    assert saved["ETag"] == rep.get(url(opp))["ETag"] != etag
    assert rep.patch(url(opp), {"title": "ERP 3"}, format="json").status_code == 200
    assert rep.patch(url(opp), {"title": "ERP 4"}, format="json", HTTP_IF_MATCH="*").status_code == 200
    assert Opportunity.objects.get(pk=opp.pk).title == "ERP 4"


def test_rep_b_gets_404_not_412_for_rep_a_opportunity(api, cast, opp):
    assert api(cast["rep_b"]).patch(url(opp), {"title": "x"}, format="json", HTTP_IF_MATCH='"old"').status_code == 404


@pytest.mark.parametrize("day", ["9999-12-31", "0001-01-01"])
def test_rep_gets_400_for_an_expected_close_date_out_of_range(api, cast, opp, day):
    client = api(cast["rep_a"])
    assert client.patch(url(opp), {"expected_close_on": day}, format="json").status_code == 400
    created = client.post("/api/opportunities/", {"customer": cast["customer_a"].pk, "title": "x", "amount": "1",
                                                  "expected_close_on": day}, format="json")
    assert created.status_code == 400
    assert Opportunity.objects.get(pk=opp.pk).expected_close_on is None and Opportunity.objects.count() == 1
