"""De-duplication by import follows DOMAIN §2, the USCC first: the same USCC is the same company
(a bad row); the same name is a bad row unless both rows have a USCC and they differ — then they
are different legal entities and the match is a warning; the same phone is always a warning."""

import pytest

from conftest import make_customer
from kehu.customers.models import Customer
from kehu.dataset.tests.conftest import CUSTOMER_HEADER, USCC_1, USCC_2, USCC_3, customer_row, run_json, where, write_dataset

pytestmark = pytest.mark.django_db


def _import(tmp_path, *rows):
    return run_json(write_dataset(tmp_path / "ds", {"customers.csv": [CUSTOMER_HEADER, *rows]}))


def test_system_imports_a_same_name_customer_with_another_uscc_with_a_warning(tmp_path, rep_a):
    make_customer(rep_a, "华为技术有限公司", "K1", uscc=USCC_1)
    code, report = _import(tmp_path, customer_row("C1", "华为技术（深圳）有限公司", uscc=USCC_2))
    assert code == 0 and report["errors"] == []
    assert where(report, "warnings") == [("customers.csv", 2, "name")]
    assert "K1" in report["warnings"][0]["reason"] and "another unified social credit code" in report["warnings"][0]["reason"]
    assert Customer.objects.get(code="C1").uscc == USCC_2


def test_system_imports_two_same_name_rows_with_different_usccs_with_a_warning(tmp_path):
    code, report = _import(tmp_path, customer_row("C1", "甲公司", uscc=USCC_1), customer_row("C2", "甲有限公司", uscc=USCC_2))
    assert code == 0 and report["errors"] == []
    assert where(report, "warnings") == [("customers.csv", 3, "name")] and "Line 2" in report["warnings"][0]["reason"]
    assert Customer.objects.count() == 2


def test_system_same_phone_and_name_with_another_uscc_are_warnings_only(tmp_path, rep_a):
    make_customer(rep_a, "华为技术有限公司", "K1", uscc=USCC_1, phone="0755-28780808")
    code, report = _import(tmp_path, customer_row("C1", "华为技术有限公司", uscc=USCC_2, phone="075528780808"))
    assert code == 0 and report["errors"] == []
    assert where(report, "warnings") == [("customers.csv", 2, "name"), ("customers.csv", 2, "phone")]


@pytest.mark.parametrize("existing,new", [(USCC_1, ""), ("", USCC_2), ("", "")], ids=["new-without", "old-without", "neither"])
def test_system_same_name_without_a_uscc_on_either_side_is_still_a_bad_row(tmp_path, rep_a, existing, new):
    make_customer(rep_a, "华为技术有限公司", "K1", uscc=existing)
    code, report = _import(tmp_path, customer_row("C1", "华为技术有限公司", uscc=new))
    assert code == 1 and where(report) == [("customers.csv", 2, "name")]


def test_system_same_uscc_under_another_name_is_still_a_bad_row(tmp_path, rep_a):
    make_customer(rep_a, "华为技术有限公司", "K1", uscc=USCC_1)
    code, report = _import(tmp_path, customer_row("C1", "完全不同的名字", uscc=USCC_1), customer_row("C2", "乙公司", uscc=USCC_3))
    assert code == 1 and where(report) == [("customers.csv", 2, "uscc")]


def test_system_a_same_name_row_without_a_uscc_after_two_with_different_usccs_is_a_bad_row(tmp_path):
    code, report = _import(
        tmp_path, customer_row("C1", "甲公司", uscc=USCC_1), customer_row("C2", "甲公司", uscc=USCC_2), customer_row("C3", "甲公司"),
    )
    assert where(report) == [("customers.csv", 4, "name")]
    assert where(report, "warnings") == [("customers.csv", 3, "name")]


def test_system_a_same_name_row_with_another_uscc_after_one_without_is_a_bad_row_even_if_kehu_has_another(tmp_path, rep_a):
    make_customer(rep_a, "甲公司", "K1", uscc=USCC_3)
    code, report = _import(tmp_path, customer_row("C1", "甲公司"), customer_row("C2", "甲公司", uscc=USCC_2))
    assert where(report) == [("customers.csv", 2, "name"), ("customers.csv", 3, "name")]
    assert "K1" in report["errors"][0]["reason"] and "Line 2" in report["errors"][1]["reason"]
