"""`kehu export` and the export page: what each user may see, formula escaping, round trips,
streaming without N+1 queries."""

import csv
import io
import zipfile

import openpyxl
import pytest

from kehu.customers import industries, regions
from django.urls import reverse

from conftest import make_customer
from kehu.customers.models import Contact, Customer
from kehu.finance.models import Payment
from kehu.dataset.export import export_csv_zip, export_xlsx
from kehu.dataset.tests.conftest import DEMO, EXAMPLE, run, run_json

pytestmark = pytest.mark.django_db


def _read_folder(folder) -> dict[str, list[list[str]]]:
    return {p.name: list(csv.reader(open(p, encoding="utf-8", newline=""))) for p in sorted(folder.iterdir())}


def _read_zip(data: bytes) -> dict[str, list[list[str]]]:
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return {n: list(csv.reader(io.StringIO(archive.read(n).decode("utf-8")))) for n in archive.namelist()}


def _codes(files) -> set[str]:
    return {row[0] for row in files["customers.csv"][1:]}


def test_system_export_has_the_columns_of_the_format(tmp_path):
    run_json(EXAMPLE)
    code, _out = run("export", tmp_path / "out")
    assert code == 0
    files = _read_folder(tmp_path / "out")
    assert list(files) == sorted(["activities.csv", "contacts.csv", "customers.csv", "products.csv", "users.csv", "opportunities.csv", "orders.csv", "order_lines.csv", "contracts.csv", "instalments.csv", "payments.csv", "quality_losses.csv", "targets.csv", "forecasts.csv"])
    example = list(csv.reader(open(EXAMPLE / "customers.csv", encoding="utf-8")))
    # every column and value in the example's own form, the region and the industry by their
    # official names (the importer normalises "广东" to "广东省", "建筑" to "建筑业")
    province, city, industry = (example[0].index(c) for c in ("province", "city", "industry"))
    for row in example[1:]:
        row[city] = regions.normalize_city(row[province], row[city]) or row[city]
        row[province] = regions.normalize_province(row[province]) or row[province]
        row[industry] = industries.normalize_industry(row[industry]) or row[industry]
    assert files["customers.csv"] == example
    assert example[1][province:industry + 1] == ["广东省", "深圳市", "建筑业"]
    assert files["users.csv"][0] == ["username", "name", "role", "team"]
    assert ["mgr1", "钱经理", "manager", "华东;华南"] in files["users.csv"]
    assert files["products.csv"][1] == ["P001", "产品1", "设备", "9800.00", "3595.36"]


def test_system_export_imports_back_unchanged(tmp_path):
    run("demo")
    run("export", tmp_path / "first")
    code, report = run_json(tmp_path / "first")
    assert code == 0 and sum(report["created"].values()) == 0 and sum(report["updated"].values()) == 0
    # Into an empty database, and out again: the same files.
    Contact.objects.all().delete()
    Payment.objects.all().delete()  # payments protect their contracts
    Customer.objects.all().delete()
    code, report = run_json(tmp_path / "first")
    assert code == 0, report["errors"]
    assert report["created"]["customers.csv"] == 66 and report["created"]["contacts.csv"] == 11
    run("export", tmp_path / "second")
    assert _read_folder(tmp_path / "second") == _read_folder(tmp_path / "first")


def test_system_xlsx_export_imports_back_unchanged(tmp_path):
    run("demo")
    code, _out = run("export", tmp_path / "kehu.xlsx")
    assert code == 0
    workbook = openpyxl.load_workbook(tmp_path / "kehu.xlsx", read_only=True)
    assert workbook.sheetnames == ["users", "customers", "contacts", "products", "opportunities", "orders", "order_lines", "contracts", "instalments", "payments", "quality_losses", "activities", "targets", "forecasts"]
    code, report = run_json(tmp_path / "kehu.xlsx")
    assert code == 0 and sum(report["updated"].values()) == 0 and sum(report["created"].values()) == 0


def test_rep1_export_has_only_own_and_pool_customers(tmp_path):
    run("demo")
    code, _out = run("export", tmp_path / "rep1", "--user", "rep1")
    assert code == 0
    files = _read_folder(tmp_path / "rep1")
    expected = set(Customer.objects.filter(owner__username="rep1").values_list("code", flat=True)) | set(
        Customer.objects.filter(owner__isnull=True).values_list("code", flat=True)
    )
    assert _codes(files) == expected
    assert {row[3] for row in files["customers.csv"][1:]} == {"rep1", ""}
    assert [row[0] for row in files["users.csv"][1:]] == ["rep1"]
    assert {row[0] for row in files["contacts.csv"][1:]} <= expected
    assert "C00054" not in {row[0] for row in files["contacts.csv"][1:]}  # rep2's customer's contact
    # A referrer the rep may not see is left out (C00061 → C00017 is rep1's own, so it stays).
    assert ["C00061"] == [row[0] for row in files["customers.csv"][1:] if row[6]]


def test_manager_a_export_has_team_a_and_pool_not_team_b(cast, tmp_path):
    run("export", tmp_path / "m", "--user", "manager_a")
    assert _codes(_read_folder(tmp_path / "m")) == {"C00001", "C00002", "C00004"}


def test_rep_b_export_does_not_contain_rep_a_customer(cast, tmp_path):
    Contact.objects.create(customer=cast["customer_a"], name="任正非")
    run("export", tmp_path / "b", "--user", "rep_b")
    files = _read_folder(tmp_path / "b")
    assert _codes(files) == {"C00003", "C00004"}
    assert files["contacts.csv"] == [["customer", "name", "title", "department", "decision_role", "phone", "email", "wechat", "birthday"]]


def test_system_export_escapes_formulas_in_csv_and_xlsx_and_reads_them_back(tmp_path, rep_a):
    make_customer(rep_a, '=HYPERLINK("http://evil","x")', "F1", phone="+8613800000000", city="@SUM(1)", industry="-2+3", province="\tx")
    out = io.BytesIO()
    export_csv_zip(user=None, target=out)
    row = next(r for r in _read_zip(out.getvalue())["customers.csv"] if r[0] == "F1")
    assert row[1] == '\'=HYPERLINK("http://evil","x")'
    assert (row[10], row[8], row[9], row[7]) == ("'+8613800000000", "'@SUM(1)", "'-2+3", "'\tx")
    export_xlsx(user=None, target=tmp_path / "f.xlsx")
    sheet = openpyxl.load_workbook(tmp_path / "f.xlsx")["customers"]
    cells = {c.value: c.data_type for c in sheet[2]}
    assert cells['\'=HYPERLINK("http://evil","x")'] == "s"
    assert "'+8613800000000" in cells
    # The importer takes the apostrophe off again: the round trip changes nothing.
    code, report = run_json(tmp_path / "f.xlsx")
    assert code == 0 and report["updated"]["customers.csv"] == 0, report


def test_system_export_runs_the_same_queries_for_one_and_many_rows(cast, rep_a):
    def queries() -> int:
        from django.db import connection
        from django.test.utils import CaptureQueriesContext

        from kehu.accounts.models import User

        manager = User.objects.get(pk=cast["manager_a"].pk)  # fresh: nothing cached on the user
        with CaptureQueriesContext(connection) as ctx:
            export_csv_zip(user=manager, target=io.BytesIO())
        return len(ctx.captured_queries)

    few = queries()
    for i in range(40):
        c = make_customer(rep_a, f"客户{i}有限公司", f"M{i:03d}", referrer_customer=cast["customer_a"])
        Contact.objects.create(customer=c, name=f"联系人{i}")
    assert queries() == few


# ---- the export page ------------------------------------------------------------------------

def test_rep_b_export_page_download_excludes_rep_a_customer(cast, login):
    client = login(cast["rep_b"])
    assert client.get(reverse("dataset:export")).status_code == 200
    response = client.get(reverse("dataset:export"), {"format": "csv"})
    assert response.status_code == 200
    assert response["Content-Disposition"].startswith("attachment") and ".zip" in response["Content-Disposition"]
    files = _read_zip(b"".join(response.streaming_content))
    assert _codes(files) == {"C00003", "C00004"}


def test_admin_export_page_downloads_an_xlsx_of_everything(cast, login, tmp_path):
    response = login(cast["admin"]).get(reverse("dataset:export"), {"format": "xlsx"})
    assert response.status_code == 200 and ".xlsx" in response["Content-Disposition"]
    path = tmp_path / "dl.xlsx"
    path.write_bytes(b"".join(response.streaming_content))
    sheet = openpyxl.load_workbook(path)["customers"]
    assert {row[0].value for row in sheet.iter_rows(min_row=2)} == {"C00001", "C00002", "C00003", "C00004"}


def test_anonymous_export_page_redirects_to_login(client):
    response = client.get(reverse("dataset:export"), {"format": "csv"})
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_rep_a_export_page_rejects_an_unknown_format(cast, login):
    response = login(cast["rep_a"]).get(reverse("dataset:export"), {"format": "pdf"})
    assert response.status_code == 200 and "attachment" not in response.get("Content-Disposition", "")


def test_demo_set_is_shipped_inside_the_project():
    assert (DEMO / "customers.csv").exists() and (EXAMPLE / "expected" / "pyramid.json").exists()
