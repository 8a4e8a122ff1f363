"""The upload page: who may use it, the preview of every bad row, "Import now", skipping bad rows."""

import io

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from kehu.customers.models import Customer
from kehu.dataset.models import DatasetImport
from kehu.dataset.tests.conftest import CUSTOMER_HEADER, EXAMPLE, customer_row
from kehu.dataset.uploads import upload_root

pytestmark = pytest.mark.django_db
URL = reverse("dataset:import")
CONFIRM = reverse("dataset:import-confirm")


def _confirm(client, data):
    """"Import now" starts a background job (bgjobs): run it as the worker would, then show its page."""
    from kehu.core.jobs import job_run
    from kehu.core.models import Job

    response = client.post(CONFIRM, data)
    for pk in Job.objects.filter(state=Job.State.QUEUED).values_list("pk", flat=True):
        job_run(pk)
    return client.get(response.url, follow=True)


def _csv(name: str, rows: list[list[str]]) -> SimpleUploadedFile:
    text = "\r\n".join(",".join(r) for r in rows) + "\r\n"
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def _good_and_bad():
    return _csv("customers.csv", [CUSTOMER_HEADER, customer_row("N1", "新公司一", owner="rep_a"), customer_row("N2", "新公司二", influence="9")])


@pytest.mark.parametrize("who", ["rep_a", "rep_b", "finance"])
def test_rep_and_finance_get_404_on_the_import_page(cast, login, who):
    client = login(cast[who])
    assert client.get(URL).status_code == 404
    assert client.post(URL, {"files": [_good_and_bad()]}).status_code == 404
    assert client.post(CONFIRM, {"token": "0" * 32}).status_code == 404
    assert not Customer.objects.filter(code="N1").exists()


def test_anonymous_import_page_redirects_to_login(client):
    assert client.get(URL).status_code == 302


@pytest.mark.parametrize("who", ["manager_a", "admin"])
def test_manager_and_admin_see_the_upload_form(cast, login, who):
    response = login(cast[who]).get(URL)
    assert response.status_code == 200
    assert b'type="file"' in response.content and b"multiple" in response.content


def test_manager_a_sees_the_preview_with_every_bad_row_and_nothing_written(cast, login_en):
    client = login_en(cast["manager_a"])
    response = client.post(URL, {"files": [_good_and_bad()]})
    assert response.status_code == 200
    page = response.content.decode()
    assert 'data-testid="import-errors"' in page
    assert "<td>3</td><td>influence</td>" in page
    assert "whole number from 1 to 5" in page
    assert response.context["report"].created == {"customers.csv": 1}
    assert "Import now, skipping the bad rows" in page
    assert not Customer.objects.filter(code__in=["N1", "N2"]).exists()


def test_manager_a_confirms_and_imports_the_good_rows(cast, login_en):
    client = login_en(cast["manager_a"])
    response = client.post(URL, {"files": [_good_and_bad()]})
    token = response.context["token"]
    response = _confirm(client, {"token": token, "skip_bad": "1"})
    assert response.status_code == 200
    assert "1 records created" in response.content.decode()
    assert Customer.objects.get(code="N1").owner == cast["rep_a"]
    assert not Customer.objects.filter(code="N2").exists()
    assert DatasetImport.objects.get().actor == cast["manager_a"]
    assert not (upload_root() / token).exists()
    # The same token cannot run twice.
    response = client.post(CONFIRM, {"token": token, "skip_bad": "1"}, follow=True)
    assert "no longer waiting" in response.content.decode()
    assert DatasetImport.objects.count() == 1


def test_manager_a_confirm_without_skip_writes_nothing_when_rows_are_bad(cast, login_en):
    client = login_en(cast["manager_a"])
    token = client.post(URL, {"files": [_good_and_bad()]}).context["token"]
    response = _confirm(client, {"token": token})
    assert "Nothing was imported" in response.content.decode()
    assert not Customer.objects.filter(code="N1").exists()


def test_admin_imports_the_whole_example_by_upload(cast, login_en):
    files = [SimpleUploadedFile(p.name, p.read_bytes()) for p in sorted(EXAMPLE.glob("*.csv"))]
    client = login_en(cast["admin"])
    response = client.post(URL, {"files": files})
    assert response.status_code == 200
    assert response.context["report"].errors == []
    assert "not imported yet" not in response.content.decode()  # every file of the example imports
    assert "Import now" in response.content.decode()
    _confirm(client, {"token": response.context["token"]})
    assert Customer.objects.filter(code="C99999").exists()
    assert Customer.objects.get(code="C00001").name == "远设建材有限公司"  # the example's C00001 updated cast's


def test_admin_uploads_one_xlsx_workbook(cast, login_en):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = "customers"
    sheet.append(CUSTOMER_HEADER)
    sheet.append(customer_row("X1", "表格公司"))
    data = io.BytesIO()
    workbook.save(data)
    client = login_en(cast["admin"])
    response = client.post(URL, {"files": [SimpleUploadedFile("客户.xlsx", data.getvalue())]})
    assert response.context["report"].created == {"customers.csv": 1}
    _confirm(client, {"token": response.context["token"]})
    assert Customer.objects.filter(code="X1").exists()


def test_manager_a_gets_a_clear_error_for_a_file_with_an_unknown_name(cast, login_en):
    response = login_en(cast["manager_a"]).post(URL, {"files": [_csv("../../客户.csv", [["a"]])]})
    assert response.status_code == 200
    assert "is not a file of the Kehu format" in response.content.decode()
    assert not any(upload_root().iterdir())


def test_manager_a_cannot_confirm_someone_elses_or_a_forged_token(cast, login_en, client):
    other = login_en(cast["director"])
    token = other.post(URL, {"files": [_good_and_bad()]}).context["token"]
    client.logout()
    mine = login_en(cast["manager_a"])
    for forged in [token, "../" + token, "../../etc"]:
        response = mine.post(CONFIRM, {"token": forged, "skip_bad": "1"}, follow=True)
        assert "no longer waiting" in response.content.decode()
    assert not Customer.objects.filter(code="N1").exists()


def test_manager_a_cancels_an_upload(cast, login_en):
    client = login_en(cast["manager_a"])
    token = client.post(URL, {"files": [_good_and_bad()]}).context["token"]
    client.post(CONFIRM, {"token": token, "action": "cancel"})
    assert not (upload_root() / token).exists()
    assert not Customer.objects.filter(code="N1").exists()
