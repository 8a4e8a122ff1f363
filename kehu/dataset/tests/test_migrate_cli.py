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


def K(name):
    return make_code("KH-", name)


GBK_FACTS = {
    K("深圳市前海云帆科技有限公司"): {
        "name": "深圳市前海云帆科技有限公司", "kind": "company", "owner": "zhangwei", "stage": "signed",
        "lead_source": "conference", "province": "广东省", "city": "深圳市", "industry": "信息传输、软件和信息技术服务业",
        "phone": "0755-26661234", "address": "南山区科技园南区高新南七道12号", "email": "wanglei@yunfan.cn",
        "notes": "年框客户，每季度回访\nQQ：12345678", "uscc": "91440300MA5F0A1B2N", "created_at": datetime(2024, 3, 5, 14, 22),
    },
    K("广州白云恒达机械制造有限公司"): {
        "name": "广州白云恒达机械制造有限公司", "kind": "company", "owner": "lina", "stage": "prospect",
        "lead_source": "other", "province": "广东省", "city": "广州市", "industry": "制造业", "phone": "13922223333",
        "address": "白云太和镇大源北路88号", "email": "sales@hengda-jx.com", "notes": "微信：hengda_wx\n客户来源：朋友圈",
        "uscc": "91440111MA9W3C4D5N", "created_at": datetime(2024, 11, 20, 9, 5),
    },
    K("杭州西溪茶业有限公司"): {
        "name": "杭州西溪茶业有限公司", "kind": "company", "owner": "zhangwei", "stage": "vip", "lead_source": "referral",
        "province": "浙江省", "city": "杭州市", "industry": "批发和零售业", "phone": "0571-88889999",
        "address": "西湖区文三路90号", "email": "", "notes": "老客户推荐", "uscc": "", "created_at": datetime(2023, 12, 1),
    },
    K("成都锦城建设工程有限公司"): {
        "name": "成都锦城建设工程有限公司", "kind": "company", "owner": None, "stage": "target", "lead_source": "other",
        "province": "四川省", "city": "成都市", "industry": "建筑业", "phone": "028-85556666", "address": "锦江红星路三段1号",
        "email": "", "notes": "客户来源：朋友圈", "uscc": "", "created_at": datetime(2025, 1, 8),
    },
}
GBK_CONTACTS = [
    (K("深圳市前海云帆科技有限公司"), "王磊", "13800138001", "wanglei@yunfan.cn", "wanglei_yf"),
    (K("杭州西溪茶业有限公司"), "赵敏", "13700001111", "", ""),
]
WUKONG_FACTS = {
    K("北京中关村智联信息技术有限公司"): {
        "name": "北京中关村智联信息技术有限公司", "kind": "company", "owner": "zhangwei", "stage": "signed",
        "lead_source": "door_to_door", "province": "北京市", "city": "北京市", "industry": "信息传输、软件和信息技术服务业",
        "phone": "010-62345678", "address": "海淀区中关村大街27号", "email": "",
        "notes": "对接人：技术部刘工\n手机：13611112222\n客户级别：A（重点客户）\n网址：www.zhilian-it.cn\n下次联系时间：2026-06-15 10:00",
        "uscc": "", "created_at": datetime(2024, 5, 6, 9, 30),
    },
    K("上海浦江金融信息服务有限公司"): {
        "name": "上海浦江金融信息服务有限公司", "kind": "company", "owner": "lina", "stage": "prospect", "lead_source": "other",
        "province": "上海市", "city": "上海市", "industry": "金融业", "phone": "021-50001234", "address": "浦东新区世纪大道100号",
        "email": "", "notes": "手机：13788889999\n客户级别：B（普通客户）\n客户来源：促销", "uscc": "",
        "created_at": datetime(2025, 2, 14, 16, 45),
    },
    K("苏州工业园区精工模具有限公司"): {
        "name": "苏州工业园区精工模具有限公司", "kind": "company", "owner": "zhangwei", "stage": "prospect",
        "lead_source": "referral", "province": "江苏省", "city": "苏州市", "industry": "制造业", "phone": "0512-62220000",
        "address": "虎丘区星湖街328号", "email": "", "notes": "客户级别：C（非优先客户）", "uscc": "", "created_at": datetime(2023, 8, 1),
    },
}
YUDAO_FACTS = {
    "1024": {
        "name": "武汉光谷新材料股份有限公司", "kind": "company", "owner": "zhangwei", "stage": "signed",
        "lead_source": "conference", "province": "湖北省", "city": "武汉市", "industry": "制造业", "phone": "027-87654321",
        "address": "洪山区光谷大道77号", "email": "buy@gg-newmat.com",
        "notes": "手机：13512345678\nwechat：gg_newmat\n最后跟进时间：2026-04-28 15:00\n最后跟进内容：确认二期采购计划\n下次联系时间：2026-05-20 09:00\n客户等级：A (重点客户)",
        "uscc": "", "created_at": datetime(2024, 9, 9, 9, 9),
    },
    "1025": {
        "name": "长沙麓山教育科技有限公司", "kind": "company", "owner": "lina", "stage": "prospect", "lead_source": "internet",
        "province": "湖南省", "city": "长沙市", "industry": "信息传输、软件和信息技术服务业", "phone": "13687654321",
        "address": "岳麓区麓谷大道658号", "email": "", "notes": "需要发票\nQQ：88990011\n客户等级：B (普通客户)", "uscc": "",
        "created_at": datetime(2025, 7, 1, 10, 30),
    },
}


def contacts() -> list[tuple]:
    return sorted(Contact.objects.filter(customer__code__startswith="KH-").values_list("customer__code", "name", "phone", "email", "wechat"))


@pytest.fixture
def shanghai(settings):
    settings.TIME_ZONE = "Asia/Shanghai"


def test_migrate_gbk_csv_as_customers_every_row_and_fact(reps, shanghai):
    code, out = run("import", GBK, "--as", "customers")

    assert code == 0, out
    assert {c.code: facts(c.code) for c in Customer.objects.all()} == GBK_FACTS
    assert contacts() == sorted(GBK_CONTACTS)
    # the mapping, the skipped columns and the unmapped value are printed
    assert "Mapping (automatic) of 客户资料_gbk.csv, 4 rows:" in out
    assert "  地区 → region (province/city/district)" in out
    assert "Skipped columns: 序号、公司规模、开票信息" in out
    assert "  lead_source: 朋友圈 (2)" in out
    assert "“朋友圈” (2 rows) matches no lead source; imported as “Other”." in out

    # the same file again: the codes made from the names find the same customers
    code, out = run("import", GBK, "--as", "customers")
    assert code == 0
    assert "customers.csv: 0 to create, 0 to update, 4 unchanged" in out
    assert "Nothing to change: the data is already in Kehu." in out
    assert Customer.objects.count() == 4


def test_migrate_wukong_and_yudao_exports_as_customers(reps, shanghai):
    code, out = run("import", WUKONG, "--as", "customers")
    assert code == 0, out
    assert "Mapping (automatic) of 悟空CRM_客户导出.xlsx · 客户, 3 rows:" in out  # the sheet that looks like the list
    assert "Skipped columns: 创建人、更新时间" in out
    code, out = run("import", YUDAO, "--as", "customers")
    assert code == 0, out
    assert "Skipped columns: 跟进状态、负责人的用户编号、负责人部门、锁定状态、地区编号、更新时间、创建人、创建人名字" in out

    assert {c.code: facts(c.code) for c in Customer.objects.all()} == {**WUKONG_FACTS, **YUDAO_FACTS}
    assert contacts() == []


def test_migrate_cli_uses_the_remembered_mapping(reps, shanghai):
    from kehu.dataset.mapping import foreign_prepare, plan_remember

    plan = foreign_prepare(GBK, "customers").plan
    plan.values["lead_source"] = {"朋友圈": "personal_network"}
    plan.columns[plan.headings.index("公司规模")] = "_notes"
    plan_remember(plan=plan, actor=None)

    code, out = run("import", GBK, "--as", "customers", "--json")
    assert code == 0
    import json

    document = json.loads(out)
    assert document["mapping"]["remembered"] is True
    assert document["mapping"]["skipped"] == ["序号", "开票信息"]
    assert document["mapping"]["unmapped"] == []
    assert document["created"] == {"customers.csv": 4, "contacts.csv": 2}
    chengdu = Customer.objects.get(code=K("成都锦城建设工程有限公司"))
    assert (chengdu.lead_source, chengdu.notes) == ("personal_network", "")
    assert Customer.objects.get(code=K("杭州西溪茶业有限公司")).notes == "老客户推荐\n公司规模：10-49人"


def test_migrate_cli_unknown_kind_file_and_kehu_folder_import_stays(reps, tmp_path):
    code, _out = run("import", tmp_path / "missing.csv", "--as", "customers")
    assert code == 2
    from kehu.dataset.tests.conftest import EXAMPLE

    code, _out = run("import", EXAMPLE, "--dry-run")
    assert code == 0


def test_migrate_recognises_the_headings_of_fxiaoke_and_xiaoshouyi_exports():
    from kehu.dataset.mapping import plan_auto

    fxiaoke = ["客户名称", "客户级别", "负责人", "所属部门", "国家", "省", "市", "区", "详细地址", "电话", "邮件", "网址", "行业",
               "来源", "成交状态", "统一社会信用代码", "创建时间", "最后修改时间", "备注"]
    assert dict(zip(fxiaoke, plan_auto("customers", fxiaoke).columns)) == {
        "客户名称": "name", "客户级别": "_notes", "负责人": "owner", "所属部门": "", "国家": "", "省": "province", "市": "city",
        "区": "district", "详细地址": "address", "电话": "phone", "邮件": "email", "网址": "_notes", "行业": "industry",
        "来源": "lead_source", "成交状态": "stage", "统一社会信用代码": "uscc", "创建时间": "created_at", "最后修改时间": "",
        "备注": "notes",
    }
    xiaoshouyi = ["客户名称", "客户所有人", "客户级别", "行业", "客户来源", "电话", "总机", "省份", "城市", "区县", "地址", "邮编",
                  "网址", "创建日期", "备注*"]
    assert dict(zip(xiaoshouyi, plan_auto("customers", xiaoshouyi).columns)) == {
        "客户名称": "name", "客户所有人": "owner", "客户级别": "stage", "行业": "industry", "客户来源": "lead_source",
        "电话": "phone", "总机": "_notes", "省份": "province", "城市": "city", "区县": "district", "地址": "address",
        "邮编": "_notes", "网址": "_notes", "创建日期": "created_at", "备注*": "notes",
    }


def test_migrate_lists_at_most_max_values_unmapped_words_per_field(reps, tmp_path, settings):
    from kehu.dataset import mapping

    settings.TIME_ZONE = "Asia/Shanghai"
    mapping_max = mapping.MAX_VALUES
    mapping.MAX_VALUES = 2
    try:
        path = tmp_path / "来源.csv"
        rows = ["客户名称,客户来源"] + [f"公司{i},渠道{i % 5}" for i in range(10)]
        path.write_text("\n".join(rows) + "\n", encoding="utf-8")
        prepared = mapping.foreign_prepare(path, "customers")
    finally:
        mapping.MAX_VALUES = mapping_max
    assert [str(n.reason) for n in prepared.notices] == [
        "“渠道0” (2 rows) matches no lead source; imported as “Other”. Map it on the preview to change that.",
        "“渠道1” (2 rows) matches no lead source; imported as “Other”. Map it on the preview to change that.",
        "3 more values (6 rows) match no lead source either; they are imported the same way.",
    ]
    assert [w.word for w in prepared.words] == ["渠道0", "渠道1"]
