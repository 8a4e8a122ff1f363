"""Share of wallet API (kehu/api/reports.py) on the page's own small world (kehu/reports/tests/test_wallet.py)."""

import pytest

from kehu.reports.tests.test_wallet import world  # noqa: F401  (the page's world, the same figures)


def test_director_reads_the_pages_figures(api, world):  # noqa: F811
    body = api(world["director"]).get("/api/reports/share-of-wallet/", {"period": "2025"}).json()
    assert (body["year"], body["threshold"], body["customers"], body["count"], body["opportunities"]) == (2025, "20.00", 3, 5, 1)
    assert [(r["customer_code"], r["category"]) for r in body["results"]] == [
        ("C00001", "设备"), ("C00003", "设备"), ("C00001", "耗材"), ("C00004", "服务"), ("C00001", "服务")]
    first = body["results"][0]
    assert (first["ours"], first["spend"], first["share"], first["our_growth"], first["their_growth_pct"], first["their_growth_source"],
            first["room"], first["is_opportunity"]) == ("8000.00", "100000.00", "0.0800", "1.0000", "25.0", "computed", "92000.00", True)
    assert body["results"][4]["spend"] is None and body["results"][4]["share"] is None
    assert body["totals"] == [{"currency": "CNY", "ours": "26000.00", "spend": "360000.00", "share": "0.0722"}]


def test_rep_sees_their_own_customers_rows(api, world):  # noqa: F811
    body = api(world["rep_a"]).get("/api/reports/share-of-wallet/", {"period": "2025", "limit": 2}).json()
    assert {r["customer_code"] for r in body["results"]} <= {"C00001", "C00004"} and "C00003" not in str(body)
    assert len(body["results"]) == 2 and body["next"]


@pytest.mark.parametrize("params, field", [({"period": "2025-06"}, "period"), ({"threshold": "0"}, "threshold"),
                                           ({"threshold": "101"}, "threshold"), ({"threshold": "1.234"}, "threshold")])
def test_manager_bad_values_are_400(api, world, params, field):  # noqa: F811
    response = api(world["manager_a"]).get("/api/reports/share-of-wallet/", params)
    assert response.status_code == 400 and field in response.json()["error"]["fields"]
