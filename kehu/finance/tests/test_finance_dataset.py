"""The example's instalments, payments and quality losses import (with the rest of the example),
re-import unchanged, and give §5.0's collection rate of expected/value.json."""

import json
from datetime import date
from decimal import Decimal

import pytest
from django.db.models import Sum

from kehu.customers.models import Customer
from kehu.dataset.services import dataset_import
from kehu.dataset.tests.conftest import EXAMPLE
from kehu.finance.models import Instalment, Payment, PaymentAllocation, QualityLoss

pytestmark = pytest.mark.django_db


def _import():
    return dataset_import(actor=None, path=EXAMPLE)


def _csv_rows(name):
    import csv

    with open(EXAMPLE / name, encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_system_imports_the_example_finance_files_without_errors():
    report = _import()
    assert report.errors == []
    for name in ("instalments.csv", "payments.csv", "quality_losses.csv"):
        assert report.created[name] == len(_csv_rows(name)), name
        assert not [n for n in report.notices if n.file == name]
    assert not [w for w in report.warnings if w.file == "instalments.csv"]  # every plan adds up
    assert Payment.objects.aggregate(s=Sum("amount"))["s"] == sum(Decimal(r["amount"]) for r in _csv_rows("payments.csv"))
    assert QualityLoss.objects.count() == len(_csv_rows("quality_losses.csv"))
    # Σ allocations = Σ applied, and each payment is allocated + on account exactly.
    assert PaymentAllocation.objects.aggregate(s=Sum("amount"))["s"] == Instalment.objects.aggregate(s=Sum("applied"))["s"]
    for p in Payment.objects.prefetch_related("allocations"):
        assert sum((a.amount for a in p.allocations.all()), Decimal(0)) + p.on_account == p.amount


def test_system_reimport_changes_nothing():
    _import()
    before = sorted(PaymentAllocation.objects.values_list("payment__code", "instalment__seq", "amount"))
    applied = sorted(Instalment.objects.values_list("contract__code", "seq", "applied", "paid_in_full_on"))
    report = _import()
    assert report.errors == []
    for name in ("instalments.csv", "payments.csv", "quality_losses.csv"):
        assert report.created[name] == 0 and report.updated[name] == 0, name
    assert sorted(PaymentAllocation.objects.values_list("payment__code", "instalment__seq", "amount")) == before
    assert sorted(Instalment.objects.values_list("contract__code", "seq", "applied", "paid_in_full_on")) == applied


def _collection_rate(customer, as_of):
    """§5.0 from the stored allocations: due instalments in the window, collected by as_of."""
    start = date(as_of.year - 1, as_of.month, as_of.day)  # as_of 06-30: no month-end clamp needed
    due = Instalment.objects.filter(contract__customer=customer, due_on__gt=start, due_on__lte=as_of)
    total = collected = Decimal(0)
    for i in due:
        got = PaymentAllocation.objects.filter(instalment=i, payment__paid_on__lte=as_of).aggregate(s=Sum("amount"))["s"] or Decimal(0)
        total += i.amount
        collected += min(got, i.amount)
    return Decimal(1) if not total else collected / total


def test_collection_rate_matches_the_expected_value_run():
    _import()
    expected = json.loads((EXAMPLE / "expected" / "value.json").read_text())
    as_of = date.fromisoformat(expected["as_of"])
    checked = 0
    for result in expected["results"]:
        rate = result["indicators"].get("collection_rate")
        if rate is None:  # prospects have no indicators
            continue
        customer = Customer.objects.get(code=result["customer"])
        assert round(_collection_rate(customer, as_of), 4) == Decimal(str(rate)), result["customer"]
        checked += rate != 1
    assert checked >= 2  # C00008 (0.5) and C00037 (0.8333) among them


def test_export_gives_the_example_files_back(tmp_path):
    from kehu.dataset.export import export_csv_folder

    _import()
    export_csv_folder(user=None, folder=tmp_path)
    for name in ("instalments.csv", "payments.csv", "quality_losses.csv"):
        key = lambda r: tuple(r.values())  # noqa: E731
        import csv

        with open(tmp_path / name, encoding="utf-8") as handle:
            got = sorted(csv.DictReader(handle), key=key)
        assert got == sorted(_csv_rows(name), key=key), name
    # …and imports back unchanged.
    report = dataset_import(actor=None, path=tmp_path)
    assert report.errors == []
    for name in ("instalments.csv", "payments.csv", "quality_losses.csv"):
        assert report.created[name] == 0 and report.updated[name] == 0, name


def test_rep_exports_only_the_payments_of_customers_they_see(rep_b):
    from kehu.dataset import selectors

    _import()
    visible = set(Customer.objects.visible_to(rep_b).values_list("code", flat=True))
    payments = list(selectors.export_payments(user=rep_b))
    assert {r[1] for r in payments} <= visible
    assert len(payments) < Payment.objects.count()
    assert {r[0] for r in selectors.export_quality_losses(user=rep_b)} <= visible
    seen_contracts = set(Instalment.objects.filter(contract__customer__code__in=visible).values_list("contract__code", flat=True))
    assert {r[0] for r in selectors.export_instalments(user=rep_b)} <= seen_contracts
    assert len(list(selectors.export_instalments(user=rep_b))) < Instalment.objects.count()


def test_bad_rows_are_reported_with_file_line_and_column(tmp_path):
    (tmp_path / "payments.csv").write_text(
        "code,customer,contract,seq,paid_date,amount\n"
        "P1,NOPE,,,2026-01-01,10.00\n"
        "P2,NOPE,,3,2026-01-01,0\n"
        "P1,NOPE,,,2026-13-01,10.00\n",
        encoding="utf-8",
    )
    (tmp_path / "instalments.csv").write_text("contract,seq,due_date,amount\nK404,1,2026-01-01,5.00\nK404,1,2026-01-01,5.00\n", encoding="utf-8")
    (tmp_path / "quality_losses.csv").write_text("customer,date,amount,note\nNOPE,2026-01-01,1.00,x\n", encoding="utf-8")
    report = dataset_import(actor=None, path=tmp_path)
    got = {(i.file, i.line, i.column) for i in report.errors}
    assert ("payments.csv", 2, "customer") in got
    assert ("payments.csv", 3, "amount") in got and ("payments.csv", 3, "seq") in got
    assert ("payments.csv", 4, "code") in got and ("payments.csv", 4, "paid_date") in got
    assert ("instalments.csv", 2, "contract") in got and ("instalments.csv", 3, "seq") in got
    assert ("quality_losses.csv", 2, "customer") in got
    assert not Payment.objects.exists()


def test_reimport_with_a_changed_payment_reapplies_the_contract(tmp_path):
    import csv
    import shutil

    _import()
    shutil.copytree(EXAMPLE, tmp_path / "ds", ignore=shutil.ignore_patterns("expected"))
    rows = _csv_rows("payments.csv")
    rows[0]["amount"] = "1.00"  # PMK0000401: K000040#1 now only partly paid
    with open(tmp_path / "ds" / "payments.csv", "w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    report = dataset_import(actor=None, path=tmp_path / "ds")
    assert report.errors == [] and report.updated["payments.csv"] == 1
    first = Instalment.objects.get(contract__code=rows[0]["contract"], seq=1)
    assert first.applied == Decimal("1.00") and first.paid_in_full_on is None
    assert PaymentAllocation.objects.aggregate(s=Sum("amount"))["s"] == Instalment.objects.aggregate(s=Sum("applied"))["s"]


def test_plan_not_adding_up_is_imported_with_a_warning(tmp_path):
    _import()
    (tmp_path / "instalments.csv").write_text("contract,seq,due_date,amount\nK000040,3,2026-08-27,1.00\n", encoding="utf-8")
    report = dataset_import(actor=None, path=tmp_path)
    assert report.errors == [] and report.updated["instalments.csv"] == 1
    assert [w.reason for w in report.warnings if w.file == "instalments.csv"] == [
        "The instalments of contract K000040 add up to 183334.34, not to its amount 275000.00; imported as they are."
    ]
    third = Instalment.objects.get(contract__code="K000040", seq=3)
    assert third.amount == Decimal("1.00") and third.applied == Decimal("1.00")
    assert PaymentAllocation.objects.aggregate(s=Sum("amount"))["s"] == Instalment.objects.aggregate(s=Sum("applied"))["s"]
