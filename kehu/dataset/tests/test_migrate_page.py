"""Migrating in through the upload page: a firm's GBK CSV and a 悟空CRM workbook → the preview
with the column and value mapping (editable) → "Import now"; the mapping remembered the second time."""

import csv
import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.dataset.models import ImportMapping
from kehu.dataset.tests.test_migrate_cli import (  # noqa: F401  (fixtures)
    GBK, GBK_CONTACTS, GBK_FACTS, K, WUKONG, WUKONG_FACTS, contacts, facts, reps, shanghai,
)

pytestmark = pytest.mark.django_db
URL = reverse("dataset:import")
CONFIRM = reverse("dataset:import-confirm")


def _upload(path, name=None) -> SimpleUploadedFile:
    return SimpleUploadedFile(name or path.name, path.read_bytes())


def _form(response) -> dict:
    """The preview's form as the browser would post it (each select at its selected option)."""
    mapping = response.context["mapping"]
    data = {"token": response.context["token"]}
    for column in mapping["columns"]:
        data[f"col-{column['index']}"] = column["field"]
    for word in mapping["words"]:
        data[f"word-{word['field']}-{word['number']}"] = word["word"]
        data[f"val-{word['field']}-{word['number']}"] = word["chosen"]
    return data


def _run_jobs(client, response) -> str:
    """"Import now" starts a background job (kehu.dataset.jobs): run it as the worker would; the job's page."""
    from kehu.core.jobs import job_run
    from kehu.core.models import Job

    for pk in Job.objects.filter(state=Job.State.QUEUED).values_list("pk", flat=True):
        job_run(pk)
    return client.get(response.url).content.decode()


def test_admin_imports_a_gbk_csv_through_the_page(cast, login_en, reps, shanghai):
    client = login_en(cast["admin"])
    response = client.post(URL, {"files": [_upload(GBK)]})

    assert response.status_code == 200
    mapping = response.context["mapping"]
    assert mapping["kind"] == "customers" and not mapping["remembered"]
    assert {c["heading"]: c["field"] for c in mapping["columns"]} == {
        "序号": "", "客户名称": "name", "联系人": "contact_name", "手机": "mobile", "电话": "phone", "微信": "wechat",
        "QQ": "qq", "邮箱": "email", "地区": "region", "详细地址": "address", "所属行业": "industry", "客户等级": "stage",
        "客户来源": "lead_source", "负责人": "owner", "备注": "notes", "统一社会信用代码": "uscc", "创建时间": "created_at",
        "公司规模": "", "开票信息": "",
    }
    assert mapping["skipped"] == ["序号", "公司规模", "开票信息"]
    assert [(w["field"], w["word"], w["count"], w["chosen"]) for w in mapping["words"]] == [("lead_source", "朋友圈", 2, "")]
    report = response.context["report"]
    assert report.created == {"customers.csv": 4, "contacts.csv": 2} and not report.errors
    page = response.content.decode()
    assert "Columns Kehu does not know (skipped): 序号、公司规模、开票信息" in page
    assert "“朋友圈” (2 rows) matches no lead source; imported as “Other”." in page
    assert not Customer.objects.filter(code__startswith="KH-").exists()  # nothing written by the preview

    response = client.post(CONFIRM, _form(response))
    assert response.status_code == 302
    job_page = _run_jobs(client, response)
    assert "“朋友圈” (2 rows) matches no lead source; imported as “Other”." in job_page  # the notice, on the job's page too
    assert {c.code: facts(c.code) for c in Customer.objects.filter(code__startswith="KH-")} == GBK_FACTS
    assert contacts() == sorted(GBK_CONTACTS)
    saved = ImportMapping.objects.get()
    assert (saved.kind, saved.headings[1], saved.columns[1]) == ("customers", "客户名称", "name")


def test_manager_maps_a_value_and_a_column_then_the_mapping_is_remembered(cast, login_en, reps, shanghai):
    client = login_en(cast["admin"])
    response = client.post(URL, {"files": [_upload(GBK, "客户资料.csv")]})
    data = _form(response)
    data["val-lead_source-0"] = "personal_network"
    data[f"col-{response.context['mapping']['columns'][17]['index']}"] = "_notes"  # 公司规模 → notes

    # a changed mapping is checked again, never imported at once
    response = client.post(CONFIRM, data)
    assert response.status_code == 200
    assert "The mapping changed" in response.content.decode()
    assert not Customer.objects.filter(code__startswith="KH-").exists()
    mapping = response.context["mapping"]
    assert [(w["word"], w["chosen"]) for w in mapping["words"]] == [("朋友圈", "personal_network")]
    assert not any("朋友圈" in str(n.reason) for n in response.context["report"].notices)

    response = client.post(CONFIRM, _form(response))
    assert response.status_code == 302
    _run_jobs(client, response)
    chengdu = Customer.objects.get(code=K("成都锦城建设工程有限公司"))
    assert (chengdu.lead_source, chengdu.notes) == ("personal_network", "")
    assert Customer.objects.get(code=K("杭州西溪茶业有限公司")).notes == "老客户推荐\n公司规模：10-49人"

    # the next file with the same headings: the remembered mapping
    Customer.objects.filter(code__startswith="KH-").delete()
    response = client.post(URL, {"files": [_upload(GBK, "客户资料-6月.csv")]})
    mapping = response.context["mapping"]
    assert mapping["remembered"]
    assert mapping["skipped"] == ["序号", "开票信息"]
    assert [(w["word"], w["chosen"]) for w in mapping["words"]] == [("朋友圈", "personal_network")]


def test_a_wukong_workbook_with_a_cover_sheet_imports_through_the_page(cast, login_en, reps, shanghai):
    client = login_en(cast["admin"])
    response = client.post(URL, {"files": [_upload(WUKONG)]})  # no kind given: recognised by its headings
    assert response.context["mapping"]["kind"] == "customers"
    # 成交状态's words are mapped to stages from the start (shown, to be changed); 促销 matches nothing
    assert [(w["field"], w["word"], w["count"], w["chosen"]) for w in response.context["mapping"]["words"]] == [
        ("lead_source", "促销", 1, ""), ("stage", "未成交", 2, "prospect"), ("stage", "已成交", 1, "signed"),
    ]
    _run_jobs(client, client.post(CONFIRM, _form(response)))
    assert {c.code: facts(c.code) for c in Customer.objects.filter(code__startswith="KH-")} == WUKONG_FACTS


def test_a_bad_row_keeps_the_all_or_nothing_guarantee(cast, login_en, reps, shanghai):
    rows = [["客户名称", "负责人", "邮箱"], ["甲公司", "张伟", "jia@example.cn"], ["乙公司", "李娜", "不是邮箱"]]
    text = io.StringIO()
    csv.writer(text).writerows(rows)
    client = login_en(cast["admin"])
    response = client.post(URL, {"files": [SimpleUploadedFile("名单.csv", text.getvalue().encode("gb18030"))]})
    assert [(e.file, e.line, e.column) for e in response.context["report"].errors] == [("customers.csv", 3, "email")]
    _run_jobs(client, client.post(CONFIRM, _form(response)))
    assert not Customer.objects.filter(code__startswith="KH-").exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_templates_with_chinese_headings_read_back_as_their_kind(cast, login_en, fmt, tmp_path):
    from kehu.dataset.mapping import foreign_prepare

    client = login_en(cast["manager_a"])
    response = client.get(reverse("dataset:import-template"), {"kind": "customers", "format": fmt})
    assert response.status_code == 200
    body = b"".join(response.streaming_content)
    if fmt == "csv":
        assert body.startswith("\ufeff客户编号,客户名称".encode("utf-8"))
    else:
        assert openpyxl.load_workbook(io.BytesIO(body)).active["B1"].value == "客户名称"
    path = tmp_path / f"t.{fmt}"
    path.write_bytes(body)
    for kind in ("customers", "contacts", "products", "activities", "opportunities"):
        data = b"".join(client.get(reverse("dataset:import-template"), {"kind": kind, "format": fmt}).streaming_content)
        path.write_bytes(data)
        plan = foreign_prepare(path).plan
        assert plan.kind == kind and plan.skipped == [], kind


@pytest.mark.parametrize("who", ["rep_a", "finance"])
def test_reps_and_finance_get_404_for_the_templates(cast, login_en, who):
    assert login_en(cast["admin"]).get(reverse("dataset:import-template"), {"kind": "nothing"}).status_code == 404
    assert login_en(cast[who]).get(reverse("dataset:import-template"), {"kind": "customers", "format": "csv"}).status_code == 404


def test_a_managers_owner_select_lists_only_the_reps_they_may_import_for(cast, login_en, reps, shanghai):
    from kehu.accounts.models import User
    from kehu.accounts.visibility import managed_user_ids

    client = login_en(cast["manager_a"])
    text = "客户名称,负责人\n甲公司,王五\n"  # 王五: nobody's name, so the owner is shown for mapping
    response = client.post(URL, {"files": [SimpleUploadedFile("名单.csv", text.encode("gb18030"))]})
    owner_choices = {c for w in response.context["mapping"]["words"] if w["field"] == "owner" for c, _label in w["choices"]}
    allowed = set(User.objects.filter(pk__in=list(managed_user_ids(cast["manager_a"])), is_active=True)
                  .exclude(role=User.Role.FINANCE).values_list("username", flat=True))
    assert owner_choices == {""} | allowed and allowed  # the default, then only the manager's own reps
    assert "zhangwei" not in owner_choices and cast["rep_b"].username not in owner_choices
    data = _form(response)
    number = next(w["number"] for w in response.context["mapping"]["words"] if w["field"] == "owner")
    data[f"val-owner-{number}"] = cast["rep_b"].username  # another team's rep, posted by hand: not taken
    response = client.post(CONFIRM, data)  # ignored: the mapping is unchanged, so the import goes ahead
    assert response.status_code == 302
    _run_jobs(client, response)
    assert Customer.objects.get(name="甲公司").owner is None  # the default: the public pool
