"""A run's XLSX streamed in openpyxl's write-only mode: the same rows and exact Decimals as the
run, every customer from the command line (`kehu evaluate --xlsx`, with progress), only the
visible ones on the pages; `workbook_write` takes generators and reports progress."""

import io
from datetime import date
from decimal import Decimal
from io import StringIO

import openpyxl
import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import translation

from kehu.ranking import exports
from kehu.ranking.models import EvaluationRun
from kehu.ranking.selectors import run_payload


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def test_workbook_write_streams_generators_with_progress(tmp_path, monkeypatch):
    monkeypatch.setattr(exports, "PROGRESS_EVERY", 4)
    seen = []
    rows = ([f"C{i}", (Decimal("1.005") * i, True), Decimal("0.1234"), i, None, "=1+1"] for i in range(10))
    path = tmp_path / "out.xlsx"
    assert exports.workbook_write(path, [("Sheet", ["a", "b", "c", "d", "e", "f"], rows)], progress=seen.append) == 10
    assert seen == [4, 8, 10]
    book = openpyxl.load_workbook(path)
    got = list(book["Sheet"].iter_rows(values_only=True))
    assert got[0] == ("a", "b", "c", "d", "e", "f")
    assert got[3] == ("C2", 2.01, 0.1234, 2, None, "'=1+1")  # money to the cent, formula text escaped
    assert len(got) == 11


def test_system_cli_writes_every_result_of_the_run_with_progress(example, tmp_path):
    path = tmp_path / "run.xlsx"
    out, err = StringIO(), StringIO()
    call_command("evaluate", "key_account", "--as-of", "2026-06-30", "--xlsx", str(path), stdout=out, stderr=err)
    run = EvaluationRun.objects.get()
    payload = run_payload(run)
    book = openpyxl.load_workbook(path)
    n = sum(sheet.max_row - 1 for sheet in book.worksheets)  # every row but the headers
    assert f"XLSX: {n} of {n} rows" in err.getvalue()  # the last progress line: all written
    assert f"XLSX written to {path}: {n} rows in" in err.getvalue()
    rows = list(book["Results"].iter_rows(values_only=True))
    assert rows[0][:5] == ("Code", "Customer", "Class", "Rank", "Score")
    assert [r[0] for r in rows[1:]] == [r["customer"] for r in payload["results"]]
    for row, expected in zip(rows[1:], payload["results"]):
        assert row[3] == expected["rank"]
        assert Decimal(str(row[4])) == expected["score"]
        assert Decimal(str(row[7])) == Decimal(expected["indicators"]["sales"])  # money, exact to the cent
    assert [s for s in book.sheetnames] == ["Classes", "Results", "Parameters"]


def test_page_export_equals_the_cli_export_for_the_director(example, tmp_path, client, admin):
    call_command("evaluate", "value", "--as-of", "2026-06-30", "--xlsx", str(tmp_path / "v.xlsx"), stdout=StringIO(), stderr=StringIO())
    run = EvaluationRun.objects.get()
    client.force_login(admin)
    response = client.get(reverse("ranking:run-export", args=[run.pk]))
    assert response.status_code == 200
    page = openpyxl.load_workbook(io.BytesIO(response.content))
    cli = openpyxl.load_workbook(tmp_path / "v.xlsx")
    # the page is in the user's language, the command line in English: compare the values below the headers
    for mine, theirs in zip(page.worksheets, cli.worksheets):
        a, b = list(mine.iter_rows(values_only=True)), list(theirs.iter_rows(values_only=True))
        assert len(a) == len(b)
        assert [[c for c in row if not isinstance(c, str)] for row in a] == [[c for c in row if not isinstance(c, str)] for row in b]
    results = list(page.worksheets[1].iter_rows(values_only=True))
    assert len(results) == 1 + run.result_count
    assert [r[0] for r in results[1:]] == [r[0] for r in list(cli["Results"].iter_rows(values_only=True))[1:]]
    assert date(2026, 6, 30).isoformat() in [c for row in page.worksheets[2].iter_rows(values_only=True) for c in row]
