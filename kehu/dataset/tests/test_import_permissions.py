"""Who may import what: admins everything; managers customers and contacts of their own teams
and of the pool (not users, not products); reps and finance nothing."""

import pytest

from kehu.customers.models import Contact, Customer
from kehu.dataset.tests.conftest import CUSTOMER_HEADER, customer_row, run, run_json, where, write_dataset

pytestmark = pytest.mark.django_db
CONTACT_HEADER = ["customer", "name"]


@pytest.mark.parametrize("who", ["rep_a", "finance"])
def test_rep_and_finance_may_not_import(cast, tmp_path, who):
    folder = write_dataset(tmp_path / "ds", {"customers.csv": [CUSTOMER_HEADER, customer_row("N1", "新公司")]})
    code, out = run("import", folder, "--user", who, "--json")
    assert code == 2 and out == ""
    assert not Customer.objects.filter(code="N1").exists()


def test_system_refuses_an_unknown_user(tmp_path):
    folder = write_dataset(tmp_path / "ds", {"customers.csv": [CUSTOMER_HEADER, customer_row("N1", "新公司")]})
    code, _out = run("import", folder, "--user", "nobody")
    assert code == 2


def test_manager_a_may_not_import_users_or_products(cast, tmp_path):
    files = {
        "users.csv": [["username", "name", "role", "team"], ["rep9", "新人", "rep", "Team A"]],
        "products.csv": [["code", "name", "category", "list_price", "unit_cost"], ["P1", "产品", "", "1", "1"]],
    }
    code, report = run_json(write_dataset(tmp_path / "ds", files), "--user", "manager_a")
    assert code == 1
    assert where(report) == [("users.csv", None, ""), ("products.csv", None, "")]
    assert "administrator" in report["errors"][0]["reason"]


def test_manager_a_imports_customers_of_team_a_and_the_pool(cast, tmp_path):
    rows = [
        CUSTOMER_HEADER,
        customer_row("N1", "新公司一", owner="rep_a"),
        customer_row("N2", "新公司二", owner=""),
        customer_row("C00001", "华为技术有限公司", owner="rep_a2", city="东莞"),  # customer_a, team A
        customer_row("C00004", "精电科技有限公司", owner="rep_a"),  # the pool customer
    ]
    code, report = run_json(write_dataset(tmp_path / "ds", {"customers.csv": rows}), "--user", "manager_a")
    assert code == 0, report
    assert report["created"] == {"customers.csv": 2} and report["updated"] == {"customers.csv": 2}
    customer_a = Customer.objects.get(code="C00001")
    assert (customer_a.owner, customer_a.city, customer_a.previous_owner) == (cast["rep_a2"], "东莞", cast["rep_a"])
    assert Customer.objects.get(code="C00004").owner == cast["rep_a"]
    assert customer_a.audit_events.filter(verb="import", actor=cast["manager_a"]).exists()


def test_manager_a_may_not_import_customers_of_team_b(cast, tmp_path):
    rows = [
        CUSTOMER_HEADER,
        customer_row("N1", "新公司一", owner="rep_b"),
        customer_row("C00003", "信疗医疗器械有限公司", owner=""),  # customer_b
    ]
    code, report = run_json(write_dataset(tmp_path / "ds", {"customers.csv": rows}), "--user", "manager_a")
    assert code == 1
    assert where(report) == [("customers.csv", 2, "owner"), ("customers.csv", 3, "code")]
    assert Customer.objects.get(code="C00003").owner == cast["rep_b"]


def test_manager_a_may_not_add_contacts_to_team_b_customers(cast, tmp_path):
    rows = [CONTACT_HEADER, ["C00001", "李四"], ["C00003", "王五"]]
    code, report = run_json(write_dataset(tmp_path / "ds", {"contacts.csv": rows}), "--user", "manager_a")
    assert where(report) == [("contacts.csv", 3, "customer")]
    assert "No customer" in report["errors"][0]["reason"]
    assert Contact.objects.count() == 0


def test_director_imports_customers_of_every_team(cast, tmp_path):
    rows = [CUSTOMER_HEADER, customer_row("C00003", "信疗医疗器械有限公司", owner="rep_b", city="上海")]
    code, report = run_json(write_dataset(tmp_path / "ds", {"customers.csv": rows}), "--user", "director")
    assert code == 0 and report["updated"] == {"customers.csv": 1}


def test_admin_may_not_change_own_role_by_import(cast, tmp_path):
    rows = [["username", "name", "role", "team"], ["admin", "admin", "rep", ""]]
    code, report = run_json(write_dataset(tmp_path / "ds", {"users.csv": rows}), "--user", "admin")
    assert where(report) == [("users.csv", 2, "role")]
    cast["admin"].refresh_from_db()
    assert cast["admin"].role == "admin"


def test_system_import_leaves_deleted_customers_alone(cast, tmp_path):
    Customer.objects.filter(code="C00001").update(is_deleted=True)
    rows = [CUSTOMER_HEADER, customer_row("C00001", "华为技术有限公司")]
    code, report = run_json(write_dataset(tmp_path / "ds", {"customers.csv": rows}))
    assert where(report) == [("customers.csv", 2, "code")]
    assert "recycle bin" in report["errors"][0]["reason"]
