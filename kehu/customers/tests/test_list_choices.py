"""The customer list at scale on PostgreSQL (issue 13): its province and industry drop-downs are
the distinct values of live customers, read through the column's index (a recursive loose index
scan on PostgreSQL, DISTINCT on SQLite) — the same values, in the same order, as the plain
DISTINCT query; the page's queries stay fixed however many customers and values there are."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from conftest import make_customer
from kehu.customers.models import Customer
from kehu.customers.selectors import distinct_values, filter_choices

pytestmark = pytest.mark.django_db


def _plain(field):
    alive = Customer.objects.filter(is_deleted=False).exclude(**{field: ""})
    return list(alive.order_by(field).values_list(field, flat=True).distinct())


def _world(rep, n, start=0):
    provinces = ["浙江省", "北京市", "广东省", "上海市", "内蒙古自治区", "Zhejiang", "江苏省"]
    industries = ["制造业", "建筑业", "金融业", "通信", "教育"]
    for i in range(start, start + n):
        make_customer(rep, f"客户{i}", f"PGL{i:04d}", province=provinces[i % len(provinces)],
                      industry=industries[i % len(industries)] if i % 3 else "")


def test_distinct_values_are_the_live_customers_values_in_order(rep_a):
    _world(rep_a, 12)
    make_customer(rep_a, "回收站", "PGLDEL", province="西藏自治区", industry="采矿业", is_deleted=True)
    make_customer(None, "公海", "PGLPOOL", province="海南省", industry="")
    expected_provinces = ["上海市", "内蒙古自治区", "北京市", "广东省", "江苏省", "浙江省", "海南省", "Zhejiang"]
    assert sorted(distinct_values("province")) == sorted(expected_provinces)
    assert distinct_values("province") == _plain("province")
    assert "西藏自治区" not in distinct_values("province")  # only a deleted customer has it
    assert sorted(distinct_values("industry")) == sorted(["制造业", "建筑业", "金融业", "通信", "教育"])
    assert distinct_values("industry") == _plain("industry")
    assert "" not in distinct_values("industry")
    assert distinct_values("province", limit=3) == _plain("province")[:3]


def test_distinct_values_of_no_customers_and_a_bad_field(db):
    assert distinct_values("province") == [] and distinct_values("industry") == []
    with pytest.raises(ValueError):
        distinct_values("name")


def test_filter_choices_for_a_rep_are_company_wide(rep_a, rep_b):
    _world(rep_b, 7)
    choices = filter_choices(user=rep_a)
    assert choices["provinces"] == _plain("province") and len(choices["provinces"]) == 7
    assert choices["industries"] == _plain("industry")


@pytest.mark.parametrize("who", ["rep_a", "manager_a", "admin"])
def test_list_page_queries_are_fixed(who, cast, login, django_assert_max_num_queries):
    client = login(cast[who])
    url = reverse("customers:list")
    _world(cast["rep_a"], 3)
    client.get(url)
    with CaptureQueriesContext(connection) as few:
        assert client.get(url).status_code == 200
    _world(cast["rep_a"], 30, start=3)
    with django_assert_max_num_queries(15):
        body = client.get(url).content.decode()
    with CaptureQueriesContext(connection) as many:
        client.get(url)
    assert len(many) == len(few)
    assert "内蒙古自治区" in body and "PGL0032" in body
