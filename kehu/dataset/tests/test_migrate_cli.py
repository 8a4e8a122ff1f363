"""Migrating in from the command line: `kehu import FILE --as customers` reads a firm's own GBK
CSV, a 悟空CRM export and a 芋道 CRM export, every row with its facts (exact values)."""

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from conftest import _user
from kehu.customers.models import Contact, Customer
from kehu.dataset.mapping import make_code
from kehu.dataset.tests.conftest import run

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "migrate"
GBK = FIXTURES / "客户资料_gbk.csv"
WUKONG = FIXTURES / "悟空CRM_客户导出.xlsx"
YUDAO = FIXTURES / "芋道_客户.xlsx"
TZ = ZoneInfo("Asia/Shanghai")


@pytest.fixture
def reps(db):
    zhang = _user("zhangwei", "rep")
    zhang.name = "张伟"
    zhang.save(update_fields=["name"])
    li = _user("lina", "rep")
    li.name = "李娜"
    li.save(update_fields=["name"])
    return zhang, li


def facts(code: str) -> dict:
    c = Customer.objects.select_related("owner").get(code=code)
    return {
        "name": c.name, "kind": c.kind, "owner": c.owner.username if c.owner else None, "stage": c.stage,
        "lead_source": c.lead_source, "province": c.province, "city": c.city, "industry": c.industry, "phone": c.phone,
        "address": c.address, "email": c.email, "notes": c.notes, "uscc": c.uscc,
        "created_at": timezone.localtime(c.created_at, TZ).replace(tzinfo=None) if c.created_at else None,
    }


GBK_FACTS = {
    make_code("KH-", "深圳市前海云帆科技有限公司"): {
        "name": "深圳市前海云帆科技有限公司", "kind": "company", "owner": "zhangwei", "stage": "signed",
        "lead_source": "conference", "province": "广东省", "city": "深圳市", "industry": "信息传输、软件和信息技术服务业",
        "phone": "0755-26661234", "address": "南山区科技园南区高新南七道12号", "email": "wanglei@yunfan.cn",
        "notes": "年框客户，每季度回访", "uscc": "91440300MA5F0A1B2" + "X"[:0], "created_at": datetime(2024, 3, 5, 14, 22),
    },
}


def test_migrate_gbk_csv_as_customers(reps, settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    code, out = run("import", GBK, "--as", "customers")
    assert code == 0, out
    print(out)
    assert Customer.objects.count() == 4
    for c in Customer.objects.order_by("code"):
        print(facts(c.code))
    print(list(Contact.objects.values_list("customer__name", "name", "phone", "email", "wechat")))
    assert False
