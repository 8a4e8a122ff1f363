"""Every kind of bad row, reported with its file, line (1 = header), column and reason; what is
written (nothing by default, the good rows with --skip-bad, nothing in a dry run)."""

import pytest

from conftest import make_customer
from kehu.accounts.models import User
from kehu.customers.models import Contact, Customer
from kehu.dataset.tests.conftest import CUSTOMER_HEADER, USCC_1, USCC_2, USCC_3, customer_row, run_json, where, write_dataset
from kehu.sales.models import Product

pytestmark = pytest.mark.django_db

CONTACT_HEADER = ["customer", "name", "title", "department", "decision_role", "phone", "email", "wechat", "birthday"]
PRODUCT_HEADER = ["code", "name", "category", "list_price", "unit_cost"]


@pytest.fixture
def owners(db):
    User.objects.create_user(username="rep1", role="rep", name="徐娜")
    User.objects.create_user(username="fin1", role="finance", name="孙会计")
    User.objects.create_user(username="gone", role="rep", name="离职", is_active=False)


def _import_customers(tmp_path, *rows, extra=None):
    files = {"customers.csv": [CUSTOMER_HEADER, *rows]}
    files.update(extra or {})
    return run_json(write_dataset(tmp_path / "ds", files))


CASES = [
    # (cells of the second row, column, words of the reason)
    ({"kind": "公司2"}, "kind", "Unknown value “公司2”"),
    ({"stage": "won"}, "stage", "Unknown value “won”"),
    ({"lead_source": "tv"}, "lead_source", "Unknown value"),
    ({"fund_status": "rich"}, "fund_status", "Unknown value"),
    ({"payment_attitude": "late"}, "payment_attitude", "Unknown value"),
    ({"name": ""}, "name", "A value is required"),
    ({"created_at": "2024-13-01"}, "created_at", "is not a date"),
    ({"created_at": "30/06/2024"}, "created_at", "is not a date"),
    ({"credit_limit": "12,34x"}, "credit_limit", "is not an amount"),
    ({"credit_limit": "100.005"}, "credit_limit", "more than 2 decimals"),
    ({"credit_limit": "-5"}, "credit_limit", "negative"),
    ({"owner": "ghost"}, "owner", "No user with the username “ghost”"),
    ({"owner": "gone"}, "owner", "disabled"),
    ({"owner": "fin1"}, "owner", "finance"),
    ({"referrer": "C404"}, "referrer", "No customer with the code “C404”"),
    ({"referrer": "C2"}, "referrer", "its own referrer"),
    ({"uscc": "91440300192203821X"}, "uscc", "not a valid unified social credit code"),
    ({"uscc": USCC_2, "kind": "person"}, "uscc", "person customer has no unified social credit code"),
    ({"influence": "6"}, "influence", "whole number from 1 to 5"),
    ({"influence": "0"}, "influence", "whole number from 1 to 5"),
    ({"reputation": "2.5"}, "reputation", "whole number from 1 to 5"),
    ({"code": "C 2"}, "code", "spaces"),
    ({"province": "省" * 51}, "province", "at most 50 characters"),
]


@pytest.mark.parametrize("cells,column,reason", CASES, ids=[c[1] + ":" + c[2][:20] for c in CASES])
def test_system_gets_each_bad_customer_cell_with_file_line_column(tmp_path, owners, cells, column, reason):
    code, report = _import_customers(tmp_path, customer_row("C1", "甲公司"), customer_row("C2", "乙公司", **cells))
    assert code == 1
    assert where(report) == [("customers.csv", 3, column)]
    assert reason in report["errors"][0]["reason"]
    assert Customer.objects.count() == 0  # one bad row: nothing written


def test_system_gets_every_bad_cell_of_a_row(tmp_path, owners):
    code, report = _import_customers(tmp_path, customer_row("C1", "甲公司", kind="x", influence="9", owner="ghost"))
    assert sorted(where(report)) == sorted([("customers.csv", 2, "kind"), ("customers.csv", 2, "influence"), ("customers.csv", 2, "owner")])


def test_system_gets_a_missing_required_column_on_line_1(tmp_path):
    header = [c for c in CUSTOMER_HEADER if c != "kind"]
    code, report = run_json(write_dataset(tmp_path / "ds", {"customers.csv": [header, ["C1", "甲公司"] + [""] * 15]}))
    assert code == 1
    assert where(report) == [("customers.csv", 1, "kind")]
    assert "required column is missing" in report["errors"][0]["reason"]


def test_system_gets_a_duplicate_code_within_the_file(tmp_path):
    code, report = _import_customers(tmp_path, customer_row("C1", "甲公司"), customer_row("C2", "乙公司"), customer_row("C1", "丙公司"))
    assert where(report) == [("customers.csv", 4, "code")]
    assert "already appears on line 2" in report["errors"][0]["reason"]


def test_system_gets_a_new_customer_with_another_customers_uscc(tmp_path, rep_a):
    make_customer(rep_a, "老客户有限公司", "K1", uscc=USCC_1)
    code, report = _import_customers(tmp_path, customer_row("C1", "新客户有限公司", uscc=USCC_1))
    assert where(report) == [("customers.csv", 2, "uscc")]
    assert "K1" in report["errors"][0]["reason"]


def test_system_gets_two_rows_with_the_same_uscc(tmp_path):
    spaced = f"{USCC_1[:6]} {USCC_1[6:]}".lower()
    code, report = _import_customers(tmp_path, customer_row("C1", "甲公司", uscc=USCC_1), customer_row("C2", "乙公司", uscc=spaced))
    assert where(report) == [("customers.csv", 3, "uscc")]


def test_system_gets_a_new_customer_with_another_customers_normalised_name(tmp_path, rep_a):
    make_customer(rep_a, "华为技术有限公司", "K1")
    code, report = _import_customers(tmp_path, customer_row("C1", "华为技术 (深圳) 有限公司"))
    assert where(report) == [("customers.csv", 2, "name")]
    assert "K1" in report["errors"][0]["reason"]


def test_system_gets_two_new_rows_with_the_same_normalised_name(tmp_path):
    code, report = _import_customers(tmp_path, customer_row("C1", "甲公司"), customer_row("C2", "甲有限公司"))
    assert where(report) == [("customers.csv", 3, "name")]


def test_system_updates_a_customer_by_code_without_a_name_duplicate(tmp_path, rep_a):
    make_customer(rep_a, "华为技术有限公司", "K1")
    code, report = _import_customers(tmp_path, customer_row("K1", "华为技术有限公司", owner="", city="深圳"))
    assert code == 0 and report["updated"]["customers.csv"] == 1
    k1 = Customer.objects.get(code="K1")
    assert k1.city == "深圳" and k1.owner is None and k1.previous_owner == rep_a


def test_system_same_phone_as_another_customer_is_a_warning_not_an_error(tmp_path, rep_a):
    make_customer(rep_a, "老客户有限公司", "K1", phone="0755-28780808")
    code, report = _import_customers(tmp_path, customer_row("C1", "新客户有限公司", phone="075528780808"))
    assert code == 0 and report["errors"] == []
    assert where(report, "warnings") == [("customers.csv", 2, "phone")]
    assert Customer.objects.filter(code="C1").exists()


def test_system_accepts_chinese_enum_labels(tmp_path, owners):
    row = customer_row("C1", "甲公司", kind="企业", stage="潜在客户", lead_source="电话", fund_status="丰裕", payment_attitude="欠款")
    person = customer_row("C2", "王五", kind="个人", stage="准客户", lead_source="老客户介绍")
    code, report = _import_customers(tmp_path, row, person, extra={
        "contacts.csv": [CONTACT_HEADER, ["C1", "李四", "", "", "决策者"], ["C1", "赵六", "", "", "技术把关"]],
    })
    assert code == 0, report
    c1 = Customer.objects.get(code="C1")
    assert (c1.kind, c1.stage, c1.lead_source, c1.fund_status, c1.payment_attitude) == ("company", "prospect", "phone", "abundant", "arrears")
    c2 = Customer.objects.get(code="C2")
    assert (c2.kind, c2.stage, c2.lead_source) == ("person", "qualified", "referral")
    assert dict(Contact.objects.values_list("name", "decision_role")) == {"李四": "decision_maker", "赵六": "gatekeeper"}


def test_system_reads_a_referrer_further_down_the_file(tmp_path):
    code, report = _import_customers(tmp_path, customer_row("C1", "甲公司", referrer="C2"), customer_row("C2", "乙公司"))
    assert code == 0, report
    assert Customer.objects.get(code="C1").referrer_customer.code == "C2"


def test_system_gets_a_referrer_whose_row_is_bad(tmp_path):
    code, report = _import_customers(tmp_path, customer_row("C1", "甲公司", referrer="C2"), customer_row("C2", "乙公司", kind="x"))
    assert where(report) == [("customers.csv", 2, "referrer"), ("customers.csv", 3, "kind")]
    assert "line 3" in report["errors"][0]["reason"]


# ---- contacts, products, users ------------------------------------------------------------

def test_system_gets_bad_contact_rows(tmp_path, rep_a):
    make_customer(rep_a, "甲公司", "K1")
    rows = [
        CONTACT_HEADER,
        ["K1", "李四", "经理", "", "boss", "", "", "", ""],
        ["C404", "王五", "", "", "", "", "", "", ""],
        ["K1", "赵六", "", "", "", "", "not-an-email", "", ""],
        ["K1", "钱七", "", "", "", "", "", "", "1990-02-30"],
        ["K1", "李四", "", "", "", "", "", "", ""],
        ["K1", "", "", "", "", "", "", "", ""],
    ]
    code, report = run_json(write_dataset(tmp_path / "ds", {"contacts.csv": rows}))
    assert code == 1
    assert where(report) == [
        ("contacts.csv", 2, "decision_role"), ("contacts.csv", 3, "customer"), ("contacts.csv", 4, "email"),
        ("contacts.csv", 5, "birthday"), ("contacts.csv", 6, "name"), ("contacts.csv", 7, "name"),
    ]
    assert Contact.objects.count() == 0


def test_system_updates_contacts_by_customer_and_name(tmp_path, rep_a):
    c = make_customer(rep_a, "甲公司", "K1")
    Contact.objects.create(customer=c, name="李四", title="经理")
    rows = [CONTACT_HEADER, ["K1", "李四", "总经理", "总经办", "decision_maker", "13800000000", "li@example.com", "lisi", "1980-01-02"]]
    code, report = run_json(write_dataset(tmp_path / "ds", {"contacts.csv": rows}))
    assert code == 0 and report["updated"] == {"contacts.csv": 1} and report["created"] == {"contacts.csv": 0}
    contact = Contact.objects.get()
    assert (contact.title, contact.phone_normalized, str(contact.birth_date)) == ("总经理", "13800000000", "1980-01-02")
    assert c.audit_events.filter(verb="import", object_type="contact").count() == 1


def test_system_gets_bad_product_rows(tmp_path):
    rows = [
        PRODUCT_HEADER,
        ["P1", "产品1", "设备", "9800", "abc"],
        ["P2", "产品2", "设备", "12.34567", "1"],
        ["P1", "产品3", "", "1", "1"],
        ["P4", "产品4", "", "", "1"],
    ]
    code, report = run_json(write_dataset(tmp_path / "ds", {"products.csv": rows}))
    assert where(report) == [
        ("products.csv", 2, "unit_cost"), ("products.csv", 3, "list_price"), ("products.csv", 4, "code"), ("products.csv", 5, "list_price"),
    ]
    assert Product.objects.count() == 0


def test_system_gets_bad_user_rows(tmp_path):
    rows = [
        ["username", "name", "role", "team"],
        ["rep1", "徐娜", "boss", ""],
        ["rep 2", "李芳", "rep", ""],
        ["rep3", "孙洋", "rep", "华南;华东"],
        ["rep1", "又一个", "rep", ""],
        ["mgr1", "钱经理", "销售经理", "华南;华东"],
    ]
    code, report = run_json(write_dataset(tmp_path / "ds", {"users.csv": rows}))
    assert where(report) == [("users.csv", 2, "role"), ("users.csv", 3, "username"), ("users.csv", 4, "team"), ("users.csv", 5, "username")]
    code, report = run_json(write_dataset(tmp_path / "ds", {"users.csv": rows}), "--skip-bad")
    assert code == 0
    assert User.objects.get(username="mgr1").role == "manager"


def test_system_reads_a_bom_and_blank_lines_and_reports_non_utf8(tmp_path):
    folder = tmp_path / "ds"
    folder.mkdir()
    (folder / "products.csv").write_bytes("\ufeffcode,name,category,list_price,unit_cost\r\n\r\nP1,产品,,1,1\r\n".encode("utf-8"))
    code, report = run_json(folder)
    assert code == 0 and report["created"] == {"products.csv": 1}
    (folder / "products.csv").write_bytes("code,name,category,list_price,unit_cost\nP2,产品,,1,1\nP3,".encode() + "产品".encode("gbk") + b",,1,1\n")
    code, report = run_json(folder)
    assert code == 1
    assert where(report) == [("products.csv", 3, "")]
    assert "UTF-8" in report["errors"][0]["reason"]


def test_system_gets_a_row_with_more_cells_than_the_header(tmp_path):
    rows = [PRODUCT_HEADER, ["P1", "产品", "设备", "1", "1", "oops"]]
    code, report = run_json(write_dataset(tmp_path / "ds", {"products.csv": rows}))
    assert where(report) == [("products.csv", 2, "")]


# ---- what gets written ----------------------------------------------------------------------

def test_system_default_writes_nothing_of_any_file_when_one_row_is_bad(tmp_path):
    files = {
        "products.csv": [PRODUCT_HEADER, ["P1", "产品1", "", "1", "1"]],
        "customers.csv": [CUSTOMER_HEADER, customer_row("C1", "甲公司"), customer_row("C2", "乙公司", influence="9")],
    }
    code, report = run_json(write_dataset(tmp_path / "ds", files))
    assert code == 1
    assert report["created"] == {"customers.csv": 0, "products.csv": 0}
    assert Customer.objects.count() == 0 and Product.objects.count() == 0


def test_system_skip_bad_writes_the_good_rows_and_exits_0(tmp_path):
    files = {"customers.csv": [CUSTOMER_HEADER, customer_row("C1", "甲公司"), customer_row("C2", "乙公司", influence="9")]}
    code, report = run_json(write_dataset(tmp_path / "ds", files), "--skip-bad")
    assert code == 0
    assert report["created"] == {"customers.csv": 1}
    assert where(report) == [("customers.csv", 3, "influence")]
    assert list(Customer.objects.values_list("code", flat=True)) == ["C1"]


def test_system_skip_bad_exits_1_when_no_row_is_good(tmp_path):
    files = {"customers.csv": [CUSTOMER_HEADER, customer_row("C2", "乙公司", influence="9")]}
    code, report = run_json(write_dataset(tmp_path / "ds", files), "--skip-bad")
    assert code == 1
    assert Customer.objects.count() == 0


def test_system_skip_bad_drops_contacts_of_a_bad_customer_row(tmp_path):
    files = {
        "customers.csv": [CUSTOMER_HEADER, customer_row("C1", "甲公司"), customer_row("C2", "乙公司", kind="x")],
        "contacts.csv": [CONTACT_HEADER, ["C1", "李四"], ["C2", "王五"]],
    }
    code, report = run_json(write_dataset(tmp_path / "ds", files), "--skip-bad")
    assert code == 0
    assert where(report) == [("customers.csv", 3, "kind"), ("contacts.csv", 3, "customer")]
    assert list(Contact.objects.values_list("name", flat=True)) == ["李四"]


def test_system_dry_run_with_bad_rows_writes_nothing_and_exits_1(tmp_path):
    files = {"customers.csv": [CUSTOMER_HEADER, customer_row("C1", "甲公司"), customer_row("C2", "乙公司", influence="9")]}
    code, report = run_json(write_dataset(tmp_path / "ds", files), "--dry-run")
    assert code == 1
    assert report["created"] == {"customers.csv": 1}
    assert Customer.objects.count() == 0
    code, report = run_json(write_dataset(tmp_path / "ds", files), "--dry-run", "--skip-bad")
    assert code == 0 and Customer.objects.count() == 0


def test_system_import_sets_created_at_and_stage_and_moves_owner(tmp_path, owners):
    files = {"customers.csv": [CUSTOMER_HEADER, customer_row("C1", "甲公司", owner="rep1", stage="vip", created_at="2023-05-06T09:30:00+08:00", uscc=USCC_3)]}
    code, report = run_json(write_dataset(tmp_path / "ds", files))
    assert code == 0, report
    c = Customer.objects.get(code="C1")
    assert c.created_at.isoformat() == "2023-05-06T01:30:00+00:00"
    assert (c.stage, c.owner.username, c.uscc) == ("vip", "rep1", USCC_3)


# ---- only the columns of the format -------------------------------------------------------

def test_system_ignores_columns_outside_the_format_with_a_notice(tmp_path):
    header = CUSTOMER_HEADER + ["is_deleted", "bank_account", "is_key_account", "id"]
    rows = [header, customer_row("C1", "甲公司") + ["1", "6222020200112233445", "1", "999"]]
    code, report = run_json(write_dataset(tmp_path / "ds", {"customers.csv": rows, "notes.csv": [["x"], ["y"]]}))
    assert code == 0
    assert sorted(where(report, "notices")) == sorted([
        ("notes.csv", None, ""), ("customers.csv", 1, "is_deleted"), ("customers.csv", 1, "bank_account"),
        ("customers.csv", 1, "is_key_account"), ("customers.csv", 1, "id"),
    ])
    c = Customer.objects.get(code="C1")
    assert (c.is_deleted, c.bank_account, c.is_key_account) == (False, "", False) and c.pk != 999


def test_system_leaves_out_columns_missing_from_the_header_on_update(tmp_path, rep_a):
    make_customer(rep_a, "甲公司", "K1", city="深圳", industry="通信")
    code, report = run_json(write_dataset(tmp_path / "ds", {"customers.csv": [["code", "name", "kind", "city"], ["K1", "甲公司", "company", "广州"]]}))
    assert code == 0 and report["updated"] == {"customers.csv": 1}
    k1 = Customer.objects.get(code="K1")
    assert (k1.city, k1.industry, k1.owner) == ("广州", "通信", rep_a)  # owner column absent: kept


def test_system_imports_one_csv_file_given_as_the_path_with_any_header_case(tmp_path):
    header = ["Code", " NAME ", "category", "List_Price", "unit_cost"]
    folder = write_dataset(tmp_path / "ds", {"products.csv": [header, ["P1", "产品", "", "1", "2"]]})
    code, report = run_json(folder / "products.csv")
    assert code == 0 and report["created"] == {"products.csv": 1}
    assert Product.objects.get(code="P1").name == "产品"


def test_system_moves_users_between_teams_and_replaces_managed_teams(tmp_path):
    header = ["username", "name", "role", "team"]
    run_json(write_dataset(tmp_path / "a", {"users.csv": [header, ["m", "经理", "manager", "华南;华东"], ["r", "代表", "rep", "华南"]]}))
    code, report = run_json(write_dataset(tmp_path / "b", {"users.csv": [header, ["m", "经理", "manager", "华北"], ["r", "代表", "rep", "华东"]]}))
    assert code == 0 and report["updated"] == {"users.csv": 2}
    assert list(User.objects.get(username="m").managed_teams.values_list("name", flat=True)) == ["华北"]
    assert User.objects.get(username="r").team.name == "华东"


def test_system_refuses_a_new_finance_user_as_customer_owner(tmp_path):
    files = {
        "users.csv": [["username", "name", "role", "team"], ["f", "会计", "财务", ""]],
        "customers.csv": [CUSTOMER_HEADER, customer_row("C1", "甲公司", owner="f")],
    }
    code, report = run_json(write_dataset(tmp_path / "ds", files))
    assert where(report) == [("customers.csv", 2, "owner")]


def test_system_turns_a_company_into_a_person_only_without_its_uscc(tmp_path, rep_a):
    make_customer(rep_a, "甲公司", "K1", uscc=USCC_1)
    code, report = run_json(write_dataset(tmp_path / "a", {"customers.csv": [["code", "name", "kind"], ["K1", "甲", "person"]]}))
    assert where(report) == [("customers.csv", 2, "kind")]
    code, report = run_json(write_dataset(tmp_path / "b", {"customers.csv": [["code", "name", "kind", "uscc"], ["K1", "甲", "person", ""]]}))
    assert code == 0, report
    k1 = Customer.objects.get(code="K1")
    assert (k1.kind, k1.uscc) == ("person", "")
    assert k1.person_profile is not None
