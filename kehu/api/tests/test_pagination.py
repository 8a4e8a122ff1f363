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


@pytest.mark.parametrize("path", ["/api/opportunities/", "/api/customers/", "/api/quotes/"])
def test_rep_gets_400_naming_a_bad_offset_or_limit_and_at_most_200_rows(api, cast, opp, path):
    """Issue 14: a malformed offset or limit is refused (it used to be read as 0 / the default)."""
    client = api(cast["rep_a"])
    first = client.get(path).json()["results"]
    for params in ({"offset": "-5"}, {"offset": "abc"}, {"offset": "1e99"}, {"limit": "-1"}, {"limit": "0"}, {"limit": "2.5"}):
        response = client.get(path, params)
        assert response.status_code == 400, (params, response.content[:300])
        assert list(response.json()["error"]["fields"]) == list(params)
    response = client.get(path, {"limit": str(2**70)})
    assert response.status_code == 200 and response.json()["results"] == first
