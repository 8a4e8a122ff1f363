"""Item 21: the importer writes provinces, cities and industries by their official names (the
GB/T 2260 dataset, the GB/T 4754 sections); a name it cannot place is kept, with a warning."""

import pytest

from kehu.customers.models import Customer
from kehu.dataset.tests.conftest import CUSTOMER_HEADER, customer_row, run_json, where, write_dataset

pytestmark = pytest.mark.django_db


def _import(tmp_path, *rows):
    return run_json(write_dataset(tmp_path / "ds", {"customers.csv": [CUSTOMER_HEADER, *rows]}))


def test_system_import_writes_official_region_and_industry_names(tmp_path):
    code, report = _import(tmp_path, customer_row("C1", "甲公司", province="浙江", city="杭州", industry="建筑"),
                           customer_row("C2", "乙公司", province="内蒙古", city="呼和浩特", industry="E"))
    assert code == 0 and report["errors"] == [] and report.get("warnings", []) == []
    rows = dict((c, (p, ci, i)) for c, p, ci, i in Customer.objects.values_list("code", "province", "city", "industry"))
    assert rows == {"C1": ("浙江省", "杭州市", "建筑业"), "C2": ("内蒙古自治区", "呼和浩特市", "建筑业")}


def test_system_import_keeps_an_unknown_name_with_a_warning(tmp_path):
    code, report = _import(tmp_path, customer_row("C1", "甲公司", province="火星", city="奥林匹斯", industry="星际采矿"),
                           customer_row("C2", "乙公司", province="浙江", city="深圳"))
    assert code == 0 and report["errors"] == []
    assert where(report, "warnings") == [("customers.csv", 2, "province"), ("customers.csv", 2, "industry"), ("customers.csv", 3, "city")]
    assert Customer.objects.get(code="C1").industry == "星际采矿"
    assert Customer.objects.get(code="C2").city == "深圳"
