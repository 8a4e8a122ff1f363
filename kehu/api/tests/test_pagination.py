"""?offset= and ?limit= of every paginated list: an offset past the last row, however large
(2^63 and beyond included), answers an empty page, never a 500 (docs/rules.md, "API pages")."""

import pytest

from kehu.sales.models import Opportunity, OpportunityStage

HUGE = [2**63 - 1, 2**63, 2**64, 10**30]


@pytest.fixture
def opp(cast):
    return Opportunity.objects.create(code="O-1", customer=cast["customer_a"], owner=cast["rep_a"], title="ERP",
                                      stage=OpportunityStage.objects.get(code="proposal"), amount="100.00")


@pytest.mark.parametrize("offset", HUGE)
@pytest.mark.parametrize("path", ["/api/opportunities/", "/api/customers/"])
def test_rep_asking_for_a_huge_offset_gets_an_empty_page(api, cast, opp, path, offset):
    client = api(cast["rep_a"])
    first = client.get(path, {"limit": "50"}).json()
    response = client.get(path, {"offset": str(offset), "limit": "50"})
    assert response.status_code == 200, response.content[:500]
    body = response.json()
    assert body["results"] == [] and body["next"] is None and body["count"] == first["count"] > 0
    assert body["previous"].endswith(f"{path}?limit=50")  # back to the last page, here the first


@pytest.mark.parametrize("path", ["/api/opportunities/", "/api/customers/"])
def test_rep_gets_the_first_page_for_a_bad_offset_and_at_most_200_rows(api, cast, opp, path):
    client = api(cast["rep_a"])
    first = client.get(path).json()["results"]
    for params in ({"offset": "-5"}, {"offset": "abc"}, {"offset": "1e99"}, {"limit": str(2**70)}, {"limit": "-1"}):
        response = client.get(path, params)
        assert response.status_code == 200, (params, response.content[:300])
        assert response.json()["results"] == first
