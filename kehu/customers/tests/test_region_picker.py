"""Item 21: the customer form picks the province, the city and the industry from the official
lists; existing free text is normalised by a migration and kept on edit when it names nothing."""

import importlib

import pytest
from django.apps import apps as django_apps
from django.urls import reverse

from conftest import make_customer
from kehu.customers.models import Customer

pytestmark = pytest.mark.django_db


def _form_data(**extra):
    data = {"kind": "company", "name": "新客户有限公司", "province": "浙江省", "city": "杭州市", "industry": "建筑业"}
    data.update(extra)
    return data


def test_rep_a_new_customer_form_offers_the_official_lists(login, rep_a):
    body = login(rep_a).get(reverse("customers:create")).content.decode()
    assert '<option value="浙江省">' in body and '<optgroup label="浙江省">' in body and '<option value="杭州市">' in body
    assert '<option value="建筑业">' in body and "region-picker.js" in body


def test_rep_a_creates_a_customer_with_a_province_city_and_industry(login, rep_a):
    response = login(rep_a).post(reverse("customers:create"), _form_data())
    assert response.status_code == 302
    c = Customer.objects.get(name="新客户有限公司")
    assert (c.province, c.city, c.industry) == ("浙江省", "杭州市", "建筑业")


def test_rep_a_cannot_pick_a_city_of_another_province(login, rep_a):
    response = login(rep_a).post(reverse("customers:create"), _form_data(city="深圳市"))
    assert response.status_code == 200 and not Customer.objects.filter(name="新客户有限公司").exists()
    assert "深圳市" in response.content.decode()


def test_rep_a_editing_keeps_a_value_the_lists_do_not_have(login, rep_a):
    customer = make_customer(rep_a, "旧客户有限公司", "C09001", province="火星", city="奥林匹斯", industry="星际采矿")
    body = login(rep_a).get(reverse("customers:edit", args=[customer.pk])).content.decode()
    assert '<option value="火星" selected>' in body and '<option value="星际采矿" selected>' in body


def test_system_migration_writes_official_names(rep_a):
    old = make_customer(rep_a, "甲公司", "C09002", province="浙江", city="杭州", industry="建筑")
    odd = make_customer(rep_a, "乙公司", "C09003", province="火星", industry="星际采矿")
    importlib.import_module("kehu.customers.migrations.0009_official_region_names").normalise(django_apps, None)
    old.refresh_from_db()
    odd.refresh_from_db()
    assert (old.province, old.city, old.industry) == ("浙江省", "杭州市", "建筑业")
    assert (odd.province, odd.industry) == ("火星", "星际采矿")


def test_rep_a_reads_the_industry_in_english(login, rep_a):
    from kehu.accounts.models import User

    User.objects.filter(pk=rep_a.pk).update(language="en")
    rep_a.refresh_from_db()
    customer = make_customer(rep_a, "丙公司", "C09004", industry="建筑业")
    body = login(rep_a).get(reverse("customers:detail", args=[customer.pk])).content.decode()
    assert "Construction" in body
