"""`kehu import FILE --as contacts|products|activities|opportunities`: other lists a firm keeps,
their customer named by its name, their owner by display name (exact values)."""

import csv
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from kehu.activities.models import Activity
from kehu.customers.models import Contact, Customer
from kehu.dataset.mapping import make_code
from kehu.dataset.tests.conftest import run
from kehu.dataset.tests.test_migrate_cli import reps, shanghai  # noqa: F401  (fixtures)
from kehu.sales.models import Opportunity, Product

TZ = ZoneInfo("Asia/Shanghai")


def _gbk(path, rows):
    with open(path, "w", encoding="gbk", newline="") as handle:
        csv.writer(handle, lineterminator="\r\n").writerows(rows)
    return path


@pytest.fixture
def yunfan(reps):
    Customer.objects.create(code="C100", name="深圳市前海云帆科技有限公司", kind="company", owner=reps[0])
    Customer.objects.create(code="C200", name="杭州西溪茶业有限公司", kind="company", owner=reps[1])


def test_migrate_contacts_activities_opportunities_products(yunfan, shanghai, tmp_path):
    contacts = _gbk(tmp_path / "联系人.csv", [
        ["客户名称", "姓名", "职务", "部门", "手机", "邮箱", "微信", "生日", "爱好"],
        ["深圳市前海云帆科技有限公司", "王磊", "采购经理", "采购部", "13800138001", "wanglei@yunfan.cn", "wanglei_yf", "1985/6/1", "钓鱼"],
        ["C200", "赵敏", "总经理", "", "13700001111", "", "", "", ""],
    ])
    code, out = run("import", contacts, "--as", "contacts")
    assert code == 0, out
    assert "Skipped columns: 爱好" in out
    assert sorted(Contact.objects.values_list("customer__code", "name", "title", "department", "phone", "email", "wechat", "birth_date")) == [
        ("C100", "王磊", "采购经理", "采购部", "13800138001", "wanglei@yunfan.cn", "wanglei_yf", date(1985, 6, 1)),
        ("C200", "赵敏", "总经理", "", "13700001111", "", "", None),
    ]

    followups = _gbk(tmp_path / "跟进记录.csv", [
        ["客户名称", "联系人", "跟进人", "跟进方式", "跟进时间", "跟进内容", "下次联系时间"],
        ["深圳市前海云帆科技有限公司", "王磊", "张伟", "上门拜访", "2026/3/2 10:00", "介绍新产品", "2026/3/16"],
        ["杭州西溪茶业有限公司", "", "lina", "电话", "2026-03-05 15:30", "确认报价", ""],
        ["杭州西溪茶业有限公司", "", "李娜", "飞书", "2026-03-06 09:00", "发资料", ""],
    ])
    code, out = run("import", followups, "--as", "activities")
    assert code == 0, out
    assert "  type: 飞书 (1)" in out
    rows = Activity.objects.filter(status="done", at__isnull=False).order_by("at").values_list("customer__code", "owner__username", "kind", "visit_level", "at", "summary")
    assert [(c, o, k, lv, timezone.localtime(at, TZ).replace(tzinfo=None), s) for c, o, k, lv, at, s in rows] == [
        ("C100", "zhangwei", "visit", "business", datetime(2026, 3, 2, 10, 0), "介绍新产品"),
        ("C200", "lina", "phone", "", datetime(2026, 3, 5, 15, 30), "确认报价"),
        ("C200", "lina", "other", "", datetime(2026, 3, 6, 9, 0), "发资料"),
    ]
    assert list(Activity.objects.filter(status="planned").values_list("customer__code", "due_on")) == [("C100", date(2026, 3, 16))]

    deals = _gbk(tmp_path / "商机.csv", [
        ["客户名称", "负责人", "商机名称", "商机阶段", "商机金额", "预计成交日期"],
        ["深圳市前海云帆科技有限公司", "张伟", "二期产线改造", "需求确认", "￥350,000.00", "2026/9/30"],
    ])
    code, out = run("import", deals, "--as", "opportunities")
    assert code == 0, out
    deal = Opportunity.objects.select_related("customer", "owner", "stage").get()
    assert (deal.code, deal.customer.code, deal.owner.username, deal.title, deal.stage.code, deal.amount, deal.expected_close_on) == (
        make_code("SJ-", "C100", "二期产线改造"), "C100", "zhangwei", "二期产线改造", "needs_confirmed", Decimal("350000.00"), date(2026, 9, 30),
    )

    products = _gbk(tmp_path / "产品.csv", [["产品名称", "产品分类", "标准价格", "成本价"], ["节能电机 A1", "电机", "12,800.00", "8600"]])
    code, out = run("import", products, "--as", "products")
    assert code == 0, out
    assert list(Product.objects.values_list("code", "name", "category", "list_price", "unit_cost")) == [
        (make_code("CP-", "节能电机 A1"), "节能电机 A1", "电机", Decimal("12800.00"), Decimal("8600.00")),
    ]
