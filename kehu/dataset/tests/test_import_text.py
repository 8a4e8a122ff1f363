"""The text rule of kehu.core.text in the importer: a NUL or another control character, or a
direction control, makes a bad row (file, line, column, reason) in every file, CSV or XLSX;
zero-width characters are dropped; amounts take full-width digits and refuse other scripts'."""

import io
import zipfile
from decimal import Decimal

import openpyxl
import pytest

from conftest import make_customer
from kehu.customers.models import Customer
from kehu.dataset.importers import importers_in_order
from kehu.dataset.tests.conftest import CUSTOMER_HEADER, customer_row, run_json, where, write_dataset

pytestmark = pytest.mark.django_db
NUL_REASON = "control character (U+0000)"


@pytest.mark.parametrize("importer", importers_in_order(), ids=lambda i: i.file)
def test_system_gets_a_nul_byte_as_a_bad_cell_in_every_file(tmp_path, importer):
    column = importer.required[0]
    row = ["甲\x00乙"] + [""] * (len(importer.required) - 1)
    folder = write_dataset(tmp_path / "ds", {importer.file: [importer.required, row]})
    code, report = run_json(folder, "--dry-run")
    assert code == 1
    nul = [e for e in report["errors"] if NUL_REASON in e["reason"]]
    assert [(e["file"], e["line"], e["column"]) for e in nul] == [(importer.file, 2, column)]


def test_system_writes_nothing_of_a_file_with_a_nul_byte(tmp_path):
    folder = write_dataset(tmp_path / "ds", {"customers.csv": [
        CUSTOMER_HEADER, customer_row("C1", "甲公司"), customer_row("C2", "乙公司", city="深\x00圳"),
    ]})
    code, report = run_json(folder)
    assert code == 1 and where(report) == [("customers.csv", 3, "city")]
    assert "remove it" in report["errors"][0]["reason"]
    assert not Customer.objects.exists()
    code, report = run_json(folder, "--skip-bad")
    assert code == 0 and list(Customer.objects.values_list("code", flat=True)) == ["C1"]


def _workbook_with(tmp_path, rows, replace: dict[bytes, bytes]):
    """A workbook of the rows, its sheet's bytes then edited — as Excel writes a NUL: `_x0000_`."""
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "customers"
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    source = zipfile.ZipFile(data)
    path = tmp_path / "客户.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            part = source.read(info.filename)
            for old, new in replace.items():
                part = part.replace(old, new)
            out.writestr(info.filename, part)
    return path


def test_system_gets_a_nul_in_an_xlsx_cell_as_a_bad_row(tmp_path):
    path = _workbook_with(tmp_path, [CUSTOMER_HEADER, customer_row("C1", "甲NUL公司"), customer_row("C2", "乙公司")], {b"NUL": b"_x0000_"})
    code, report = run_json(path)
    assert code == 1 and where(report) == [("customers.csv", 2, "name")]
    assert NUL_REASON in report["errors"][0]["reason"]
    assert not Customer.objects.exists()


def test_system_reads_an_escaped_underscore_and_a_literal_escape_in_an_xlsx_cell_as_typed(tmp_path):
    path = _workbook_with(tmp_path, [CUSTOMER_HEADER, customer_row("C1", "甲_x0041_公司")], {})
    code, report = run_json(path)
    assert code == 0 and Customer.objects.get(code="C1").name == "甲_x0041_公司"


@pytest.mark.parametrize("char", ["\u202e", "\u202d", "\u2066", "\u200f", "\x1b", "\x7f"])
def test_system_gets_a_direction_or_control_character_in_a_name_as_a_bad_row(tmp_path, char):
    folder = write_dataset(tmp_path / "ds", {"customers.csv": [CUSTOMER_HEADER, customer_row("C1", f"甲{char}公司")]})
    code, report = run_json(folder)
    assert code == 1 and where(report) == [("customers.csv", 2, "name")]
    assert f"U+{ord(char):04X}" in report["errors"][0]["reason"]


def test_system_drops_zero_width_characters_so_a_hidden_duplicate_is_found(tmp_path, rep_a):
    make_customer(rep_a, "华为技术有限公司", "K1")
    folder = write_dataset(tmp_path / "ds", {"customers.csv": [
        CUSTOMER_HEADER, customer_row("C1", "华为\u200b技术有限公司"), customer_row("C2", "\ufeff中\u200d兴\u2060通讯", city="深\u200c圳"),
    ]})
    code, report = run_json(folder, "--skip-bad")
    assert where(report) == [("customers.csv", 2, "name")] and "K1" in report["errors"][0]["reason"]
    c2 = Customer.objects.get(code="C2")
    assert (c2.name, c2.city) == ("中兴通讯", "深圳")


def test_system_reads_full_width_digits_in_amounts_and_refuses_other_scripts(tmp_path):
    folder = write_dataset(tmp_path / "ds", {"customers.csv": [
        CUSTOMER_HEADER,
        customer_row("C1", "甲公司", credit_limit="１２，３４５．６０", influence="５"),
        customer_row("C2", "乙公司", credit_limit="١٢٣"),
        customer_row("C3", "丙公司", credit_limit="𝟏𝟐𝟑"),
        customer_row("C4", "丁公司", influence="٣"),
    ]})
    code, report = run_json(folder, "--skip-bad")
    assert where(report) == [("customers.csv", 3, "credit_limit"), ("customers.csv", 4, "credit_limit"), ("customers.csv", 5, "influence")]
    c1 = Customer.objects.get(code="C1")
    assert (c1.credit_limit, c1.influence) == (Decimal("12345.60"), 5)


def test_system_refuses_a_nul_in_a_header_cell_only_as_an_unknown_column(tmp_path):
    folder = write_dataset(tmp_path / "ds", {"customers.csv": [[*CUSTOMER_HEADER[:3], "no\x00te"], ["C1", "甲公司", "company", "x"]]})
    code, report = run_json(folder)
    assert code == 0 and report["errors"] == [] and where(report, "notices") == [("customers.csv", 1, "note")]

