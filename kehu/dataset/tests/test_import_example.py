"""`kehu import` of the shipped example: counts, idempotence, dry run, JSON, xlsx, the demo."""

import json

import pytest
from django.contrib.auth.hashers import check_password

from kehu.accounts.models import Team, User
from kehu.core.models import AuditEvent
from kehu.customers.models import CompanyProfile, Contact, Customer, PersonProfile
from kehu.customers.selectors import customer_search_q
from kehu.dataset.export import export_xlsx
from kehu.dataset.models import DatasetImport
from kehu.dataset.tests.conftest import DEMO, EXAMPLE, run, run_json, where
from kehu.finance.models import Payment
from kehu.sales.models import Product

pytestmark = pytest.mark.django_db

# What the example creates, file by file (every file of it imports).
EXAMPLE_CREATED = {"users.csv": 6, "customers.csv": 61, "products.csv": 12, "opportunities.csv": 36, "orders.csv": 736, "order_lines.csv": 1465, "contracts.csv": 49, "instalments.csv": 97, "payments.csv": 128, "quality_losses.csv": 10, "targets.csv": 2, "forecasts.csv": 85}

NOT_YET: set[str] = set()


def test_system_imports_the_example_with_the_right_counts():
    code, report = run_json(EXAMPLE)
    assert code == 0
    assert report["created"] == EXAMPLE_CREATED
    assert report["updated"] == {name: 0 for name in EXAMPLE_CREATED}
    assert report["errors"] == []
    assert {n["file"] for n in report["notices"]} == NOT_YET
    assert all("not imported yet" in n["reason"] for n in report["notices"])
    assert Customer.objects.count() == 61
    assert User.objects.count() == 6
    assert Product.objects.count() == 12
    assert CompanyProfile.objects.count() == 61


def test_system_import_sets_every_column_of_the_example():
    run_json(EXAMPLE)
    c = Customer.objects.select_related("owner").get(code="C00004")
    assert (c.name, c.kind, c.owner.username, c.stage, c.lead_source) == ("建电科技有限公司", "company", "rep1", "signed", "other")
    assert (c.province, c.city, c.industry, c.phone, c.uscc) == ("上海市", "上海市", "卫生和社会工作", "19863959772", "91372651RYPCECPY2A")
    assert (c.influence, c.reputation, str(c.credit_limit), c.fund_status, c.payment_attitude) == (5, 2, "205000.00", "sufficient", "normal")
    assert c.created_at.isoformat() == "2024-06-29T16:00:00+00:00"  # 2024-06-30 00:00 in Shanghai
    assert c.owned_since is not None and c.pool_clock_at is not None and c.stage_changed_at is not None
    assert c.name_initials.startswith("jdkj") and c.phone_normalized == "19863959772"
    pool = Customer.objects.get(code="C00001")
    assert pool.owner is None and pool.owned_since is None and pool.pool_clock_at is None
    assert Customer.objects.get(code="C00003").reputation is None
    p = Product.objects.get(code="P002")
    assert (p.name, p.category, str(p.list_price), str(p.unit_cost), p.currency) == ("产品2", "耗材", "3200.0000", "1220.5900", "CNY")


def test_system_import_creates_teams_managers_and_unusable_passwords():
    run_json(EXAMPLE)
    mgr1 = User.objects.get(username="mgr1")
    assert set(mgr1.managed_teams.values_list("name", flat=True)) == {"华南", "华东"}
    assert mgr1.team is None
    assert User.objects.get(username="rep1").team.name == "华东"
    assert User.objects.get(username="rep3").team.name == "华南"
    assert set(Team.objects.values_list("name", flat=True)) == {"华南", "华东"}
    assert not any(u.has_usable_password() for u in User.objects.all())
    assert User.objects.get(username="boss").role == "admin"


def test_system_import_twice_changes_nothing_the_second_time():
    run_json(EXAMPLE)
    events = AuditEvent.objects.count()
    stamps = dict(Customer.objects.values_list("code", "updated_at"))
    code, report = run_json(EXAMPLE)
    assert code == 0
    assert report["created"] == {name: 0 for name in EXAMPLE_CREATED}
    assert report["updated"] == {name: 0 for name in EXAMPLE_CREATED}
    assert report["warnings"] == []  # the shared phone was reported when the customer was new
    assert AuditEvent.objects.count() == events
    assert DatasetImport.objects.count() == 1
    assert dict(Customer.objects.values_list("code", "updated_at")) == stamps


def test_system_import_records_one_import_event_and_each_customer_history():
    run_json(EXAMPLE)
    run_event = AuditEvent.objects.get(object_type="datasetimport")
    assert run_event.verb == "import"
    assert run_event.changes["created"]["customers.csv"] == 61
    assert AuditEvent.objects.filter(object_type="customer", verb="import").count() == 61
    c = Customer.objects.get(code="C00004")
    event = c.audit_events.get(object_type="customer")
    assert event.verb == "import" and event.changes["owner"] == [None, "rep1"]


def test_system_import_warns_of_the_shared_phone_and_still_imports_both():
    code, report = run_json(EXAMPLE)
    assert where(report, "warnings") == [("customers.csv", 62, "phone")]
    assert "C00001" in report["warnings"][0]["reason"]
    assert Customer.objects.filter(phone="16728742260").count() == 2


def test_system_dry_run_writes_nothing_and_reports_what_would_change():
    code, report = run_json(EXAMPLE, "--dry-run")
    assert code == 0
    assert report["created"]["customers.csv"] == 61
    assert Customer.objects.count() == 0 and User.objects.count() == 0 and Product.objects.count() == 0
    assert AuditEvent.objects.count() == 0 and DatasetImport.objects.count() == 0


def test_system_json_output_has_exactly_the_documented_keys_and_nothing_else():
    code, out = run("import", EXAMPLE, "--json")
    report = json.loads(out)  # the whole of stdout is one JSON document
    assert set(report) == {"created", "updated", "errors", "warnings", "notices"}
    for issue in report["warnings"] + report["notices"]:
        assert set(issue) == {"file", "line", "column", "reason"}


def test_system_human_output_lists_counts_and_notices():
    code, out = run("import", EXAMPLE)
    assert code == 0
    assert "customers.csv: 61 created, 0 updated, 0 unchanged" in out
    assert "orders.csv" in out


def test_system_imports_an_xlsx_workbook_exported_from_the_example(tmp_path):
    run_json(EXAMPLE)
    workbook = tmp_path / "kehu.xlsx"
    export_xlsx(user=None, target=workbook)
    Payment.objects.all().delete()  # payments protect their contracts
    Customer.objects.all().delete()
    Product.objects.all().delete()
    code, report = run_json(workbook)
    assert code == 0
    assert report["created"] == {**EXAMPLE_CREATED, "users.csv": 0, "contacts.csv": 0, "activities.csv": 0, "targets.csv": 0, "forecasts.csv": 0}
    assert str(Product.objects.get(code="P001").unit_cost) == "3595.3600"
    assert Customer.objects.get(code="C00004").created_at.isoformat() == "2024-06-29T16:00:00+00:00"


def test_system_imports_a_workbook_with_numeric_cells_exactly(tmp_path):
    import openpyxl

    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "products"
    sheet.append(["code", "name", "category", "list_price", "unit_cost"])
    sheet.append(["P1", "产品", "设备", 9800, 3595.36])
    sheet.append(["P2", "产品2", "设备", 0.1, 1220.59])
    workbook.save(tmp_path / "p.xlsx")
    code, report = run_json(tmp_path / "p.xlsx")
    assert code == 0, report
    assert str(Product.objects.get(code="P1").unit_cost) == "3595.3600"
    assert str(Product.objects.get(code="P2").list_price) == "0.1000"


# ---- kehu demo -------------------------------------------------------------------------------

def test_system_demo_loads_example_and_extras_with_logins():
    code, out = run("demo")
    assert code == 0
    assert Customer.objects.count() == 66
    assert Contact.objects.filter(customer__code="C00061").count() == 3
    assert set(Contact.objects.values_list("decision_role", flat=True)) >= {"decision_maker", "influencer", "user", "gatekeeper", "buyer"}
    assert PersonProfile.objects.filter(customer__kind="person").count() == 2
    assert Customer.objects.filter(customer_search_q("hwjs")).get().name == "华为技术有限公司"
    assert set(Customer.objects.get(code="C00017").tags.values_list("name", flat=True)) == {"重点客户", "老客户"}
    for username in ["boss", "mgr1", "fin1", "rep1", "rep2", "rep3"]:
        user = User.objects.get(username=username)
        assert check_password("kehu2026", user.password), username
        assert username in out
    boss = User.objects.get(username="boss")
    assert boss.is_staff and boss.is_superuser
    assert set(User.objects.get(username="mgr1").managed_teams.values_list("name", flat=True)) == set(Team.objects.values_list("name", flat=True))
    assert "kehu2026" in out and "http://127.0.0.1:8000/" in out


def test_system_demo_twice_changes_nothing_the_second_time():
    run("demo")
    before = (
        AuditEvent.objects.count(), DatasetImport.objects.count(),
        list(User.objects.order_by("pk").values_list("password", "is_staff", "last_login")),
        list(Customer.objects.order_by("pk").values_list("updated_at", flat=True)),
        list(Contact.objects.order_by("pk").values_list("updated_at", flat=True)),
    )
    code, out = run("demo")
    assert code == 0
    after = (
        AuditEvent.objects.count(), DatasetImport.objects.count(),
        list(User.objects.order_by("pk").values_list("password", "is_staff", "last_login")),
        list(Customer.objects.order_by("pk").values_list("updated_at", flat=True)),
        list(Contact.objects.order_by("pk").values_list("updated_at", flat=True)),
    )
    assert after == before
    assert "nothing changed" in out


def test_system_demo_set_imports_on_its_own_after_the_example():
    run_json(EXAMPLE)
    code, report = run_json(DEMO)
    assert code == 0
    assert report["created"] == {"customers.csv": 5, "contacts.csv": 11}
    assert Customer.objects.get(code="C00061").referrer_customer.code == "C00017"
