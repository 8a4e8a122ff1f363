"""The limits of one file (docs/dataset.md, "Limits"): a zip bomb or a sheet or CSV file with too
many rows is refused at once, with a message, by `kehu import` and on the upload page."""

import io
import time
import zipfile
from pathlib import Path

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.dataset.files import MAX_BYTES, MAX_ROWS, DatasetError
from kehu.dataset.services import dataset_import
from kehu.dataset.tests.conftest import CUSTOMER_HEADER, customer_row, run, write_dataset
from kehu.dataset.uploads import upload_root

pytestmark = pytest.mark.django_db
URL = reverse("dataset:import")
SHEET = "xl/worksheets/sheet1.xml"
# One row of the customers sheet, with neither a row nor a cell reference (openpyxl counts them):
# the same bytes over and over, which deflate squeezes about a thousand to one.
ROW = (
    b'<row><c t="inlineStr"><is><t>C1</t></is></c><c t="inlineStr"><is><t>X</t></is></c>'
    b'<c t="inlineStr"><is><t>company</t></is></c></row>'
)


def _workbook(rows: list[list[str]]) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "customers"
    for row in rows:
        sheet.append(row)
    data = io.BytesIO()
    workbook.save(data)
    return data.getvalue()


def _bomb(target: Path, *, rows: int, dimension: bool = False) -> Path:
    """A real workbook whose customers sheet holds `rows` repeated rows, written by streaming
    into the zip: a few hundred KB on disk, unzipped to len(ROW) × rows bytes."""
    source = zipfile.ZipFile(io.BytesIO(_workbook([CUSTOMER_HEADER[:3]])))
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            if info.filename != SHEET:
                out.writestr(info.filename, source.read(info.filename))
        with out.open(SHEET, "w", force_zip64=True) as sheet:
            sheet.write(b'<?xml version="1.0" encoding="UTF-8"?>'
                        b'<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">')
            if dimension:
                sheet.write(b'<dimension ref="A1:C%d"/>' % (rows + 1))
            sheet.write(b"<sheetData>")
            sheet.write(b'<row><c t="inlineStr"><is><t>code</t></is></c><c t="inlineStr"><is><t>name</t></is></c>'
                        b'<c t="inlineStr"><is><t>kind</t></is></c></row>')
            block = ROW * 10_000
            for _ in range(rows // 10_000):
                sheet.write(block)
            sheet.write(ROW * (rows % 10_000))
            sheet.write(b"</sheetData></worksheet>")
    return target


def test_system_refuses_a_zip_bomb_workbook_within_seconds(tmp_path):
    rows = MAX_BYTES // len(ROW) + 10_000  # unzips past the limit of the code, not of a test setting
    bomb = _bomb(tmp_path / "bomb.xlsx", rows=rows)
    assert bomb.stat().st_size < 2 * 1024 * 1024
    started = time.monotonic()
    with pytest.raises(DatasetError) as refused:
        dataset_import(actor=None, path=bomb, dry_run=True)
    code, _out = run("import", bomb)
    assert time.monotonic() - started < 10  # reading it would take minutes
    assert code == 2
    assert "bomb.xlsx is larger than 200 MB" in refused.value.message
    assert not Customer.objects.exists()


def test_system_refuses_a_million_row_sheet_within_seconds(tmp_path):
    bomb = _bomb(tmp_path / "rows.xlsx", rows=1_000_000)  # 150 MB unzipped: under the size limit
    started = time.monotonic()
    with pytest.raises(DatasetError) as refused:
        dataset_import(actor=None, path=bomb, dry_run=True)
    assert time.monotonic() - started < 10  # openpyxl alone takes minutes to open it
    assert f"customers has more than {MAX_ROWS} rows" in refused.value.message


@pytest.mark.parametrize("dimension", [True, False])
def test_system_refuses_a_sheet_past_the_row_limit_and_reads_one_at_it(tmp_path, settings, dimension):
    settings.KEHU_IMPORT_MAX_ROWS = 50
    with pytest.raises(DatasetError) as refused:
        dataset_import(actor=None, path=_bomb(tmp_path / "over.xlsx", rows=51, dimension=dimension), dry_run=True)
    assert "customers has more than 50 rows" in refused.value.message
    report = dataset_import(actor=None, path=_bomb(tmp_path / "at.xlsx", rows=50, dimension=dimension), dry_run=True)
    assert report.created == {"customers.csv": 1} and len(report.errors) == 49  # 50 rows of C1: the first one good


def test_system_holds_a_sheet_with_a_gap_in_its_row_numbers_to_the_row_limit(tmp_path, settings):
    settings.KEHU_IMPORT_MAX_ROWS = 50
    data = _workbook([CUSTOMER_HEADER[:3], ["C1", "甲公司", "company"]])
    source = zipfile.ZipFile(io.BytesIO(data))
    with zipfile.ZipFile(tmp_path / "gap.xlsx", "w", zipfile.ZIP_DEFLATED) as out:
        for info in source.infolist():
            part = source.read(info.filename)
            if info.filename == SHEET:  # the second row numbered 1,048,576: openpyxl yields the empty rows between
                part = part.replace(b'<row r="2"', b'<row r="1048576"').replace(b'r="A2"', b'r="A1048576"')
                part = part.replace(b'r="B2"', b'r="B1048576"').replace(b'r="C2"', b'r="C1048576"')
                part = part.replace(b'<dimension ref="A1:C2"/>', b'<dimension ref="A1:C1048576"/>')
            out.writestr(info.filename, part)
    with pytest.raises(DatasetError) as refused:
        dataset_import(actor=None, path=tmp_path / "gap.xlsx", dry_run=True)
    assert "customers has more than 50 rows" in refused.value.message


def test_system_refuses_a_csv_over_the_row_limit_and_imports_one_at_it(tmp_path, settings):
    settings.KEHU_IMPORT_MAX_ROWS = 3
    rows = [customer_row(f"C{i}", f"公司{i}") for i in range(1, 5)]
    over = write_dataset(tmp_path / "over", {"customers.csv": [CUSTOMER_HEADER, *rows]})
    with pytest.raises(DatasetError) as refused:
        dataset_import(actor=None, path=over)
    assert "customers.csv has more than 3 rows" in refused.value.message
    assert run("import", over)[0] == 2
    assert not Customer.objects.exists()
    at = write_dataset(tmp_path / "at", {"customers.csv": [CUSTOMER_HEADER, *rows[:3]]})
    assert dataset_import(actor=None, path=at).created == {"customers.csv": 3}


def test_system_refuses_a_csv_over_the_size_limit(tmp_path, settings):
    settings.KEHU_IMPORT_MAX_BYTES = 2 * 1024 * 1024
    folder = write_dataset(tmp_path / "big", {"customers.csv": [CUSTOMER_HEADER, customer_row("C1", "甲公司", industry="x" * 50)]})
    with open(folder / "customers.csv", "a", encoding="utf-8") as handle:
        handle.write(("\n" * 1024) * 2100)  # blank lines: 2.05 MB
    with pytest.raises(DatasetError) as refused:
        dataset_import(actor=None, path=folder)
    assert "customers.csv is larger than 2 MB" in refused.value.message


def test_manager_a_upload_of_a_zip_bomb_is_refused_with_a_message(cast, login_en, tmp_path, settings):
    settings.KEHU_IMPORT_MAX_BYTES = 5 * 1024 * 1024
    bomb = _bomb(tmp_path / "bomb.xlsx", rows=100_000)  # 15 MB unzipped
    response = login_en(cast["manager_a"]).post(URL, {"files": [SimpleUploadedFile("客户.xlsx", bomb.read_bytes())]})
    assert response.status_code == 200
    assert "客户.xlsx is larger than 5 MB" in response.content.decode()
    assert not any(upload_root().iterdir())  # not kept for an "Import now"


def test_manager_a_upload_of_a_csv_over_the_row_limit_is_refused_with_a_message(cast, login_en, settings):
    settings.KEHU_IMPORT_MAX_ROWS = 2
    text = "\r\n".join(",".join(r) for r in [CUSTOMER_HEADER, *(customer_row(f"N{i}", f"新公司{i}") for i in range(3))])
    response = login_en(cast["manager_a"]).post(URL, {"files": [SimpleUploadedFile("customers.csv", text.encode())]})
    assert response.status_code == 200
    assert "customers.csv has more than 2 rows" in response.content.decode()
    assert not Customer.objects.filter(code__startswith="N").exists()


def test_manager_a_upload_larger_than_the_limit_is_refused_before_it_is_stored(cast, login_en, settings):
    settings.KEHU_IMPORT_MAX_BYTES = 1024 * 1024
    data = _workbook([CUSTOMER_HEADER, customer_row("X1", "表格公司")]) + b"\0" * (1024 * 1024)
    response = login_en(cast["manager_a"]).post(URL, {"files": [SimpleUploadedFile("big.xlsx", data)]})
    assert "big.xlsx is larger than 1 MB" in response.content.decode()
    assert not upload_root().exists() or not any(upload_root().iterdir())
