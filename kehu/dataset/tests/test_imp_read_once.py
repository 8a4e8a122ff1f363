"""customers.csv and contacts.csv are read once for the scan and the check (Importer.keep_rows,
issue 13): the same report — errors, warnings, counts — as reading the file again, on a file with
every kind of generic problem (a control character, a cell past the header, a missing required
value, a blank line, a duplicate code, a bad choice)."""

import csv

import pytest

from kehu.customers.models import Contact, Customer
from kehu.dataset import files
from kehu.dataset.importers import base
from kehu.dataset.services import dataset_import

CUSTOMERS = [
    ["code", "name", "kind", "stage", "phone"],
    ["R001", "华为技术有限公司", "company", "target", "13800138000"],
    ["R002", "", "company", "", ""],  # a required value missing
    ["R003", "乐乐\u0007", "company", "", ""],  # a control character
    ["R004", "长安汽车", "company", "", "", "extra"],  # a cell past the header
    [],  # blank
    ["R001", "重复", "company", "", ""],  # the code again
    ["R005", "好客户", "company", "nonsense", "13800138000"],  # a bad choice; the phone again
    ["R006", "新客户", "person", "prospect", ""],
]
CONTACTS = [
    ["customer", "name", "phone"],
    ["R001", "张伟", "13900000001"],
    ["R006", "", ""],  # a required value missing
    ["R006", "李", "", "x"],
]


def _dataset(folder):
    folder.mkdir()
    for name, rows in (("customers.csv", CUSTOMERS), ("contacts.csv", CONTACTS)):
        with open(folder / name, "w", encoding="utf-8", newline="") as fh:
            csv.writer(fh).writerows(rows)
    return folder


def _report(folder, *, skip_bad):
    report = dataset_import(actor=None, path=folder, skip_bad=skip_bad)
    return {
        "errors": [i.as_dict() for i in report.errors], "warnings": [i.as_dict() for i in report.warnings],
        "created": report.created, "written": report.written,
        "customers": sorted(Customer.objects.values_list("code", "name")),
        "contacts": sorted(Contact.objects.values_list("customer__code", "name")),
    }


@pytest.mark.django_db
@pytest.mark.parametrize("skip_bad", [False, True])
def test_the_same_report_as_reading_twice(tmp_path, monkeypatch, skip_bad):
    folder = _dataset(tmp_path / "d")
    reads = []
    real = files.CsvTable.rows

    def rows(self):
        reads.append(self.name)
        return real(self)

    monkeypatch.setattr(files.CsvTable, "rows", rows)
    once = _report(folder, skip_bad=skip_bad)
    # the header, then one pass for scan and check; nothing more
    assert reads.count("customers.csv") == 2 and reads.count("contacts.csv") == 2
    assert once["errors"] and once["written"] is skip_bad
    lines = sorted({(e["file"], e["line"]) for e in once["errors"]})
    assert lines == [("contacts.csv", 3), ("contacts.csv", 4), ("customers.csv", 3), ("customers.csv", 4), ("customers.csv", 5),
                     ("customers.csv", 7), ("customers.csv", 8)]

    Contact.objects.all().delete()
    Customer.objects.all().delete()
    monkeypatch.setattr(base.PreparedImporter, "keep_rows", False)
    reads.clear()
    twice = _report(folder, skip_bad=skip_bad)
    assert reads.count("customers.csv") == 3
    assert once == twice
