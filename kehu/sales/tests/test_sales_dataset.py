"""Import and export of opportunities.csv, orders.csv, order_lines.csv and contracts.csv."""

import csv
import shutil
from datetime import date
from decimal import Decimal

import pytest
from django.db.models import F, Sum

from kehu.dataset.tests.conftest import EXAMPLE, run, run_json, where, write_dataset
from kehu.finance.models import WriteOff
from kehu.sales.models import Contract, Opportunity, OpportunityStageChange, OrderLine, SalesOrder

pytestmark = pytest.mark.django_db

MINE = ["opportunities.csv", "orders.csv", "order_lines.csv", "contracts.csv"]


def _read(path):
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.reader(handle))


def test_example_imports_the_selling_files_with_the_right_counts():
    code, report = run_json(EXAMPLE)
    assert code == 0 and report["errors"] == []
    assert {f: report["created"][f] for f in MINE} == {
        "opportunities.csv": 36, "orders.csv": 736, "order_lines.csv": 1465, "contracts.csv": 49,
    }
    assert (Opportunity.objects.count(), SalesOrder.objects.count(), OrderLine.objects.count(), Contract.objects.count()) == (36, 736, 1465, 49)
    # One stage change per imported opportunity, at its created_at, by nobody.
    assert OpportunityStageChange.objects.count() == 36
    assert not OpportunityStageChange.objects.exclude(at=F("opportunity__created_at")).exists()
    assert not OpportunityStageChange.objects.exclude(user=None).exists()


def test_example_line_revenue_is_exact_c00017_pyramid_cross_check():
    """expected/pyramid.json, as of 2026-06-30: C00017 sales 12149748.85, profit 4267637.53."""
    run_json(EXAMPLE)
    assert not WriteOff.objects.filter(customer__code="C00017").exists()  # profit = revenue − cost here
    window = OrderLine.objects.filter(
        order__customer__code="C00017", order__order_date__gt=date(2025, 6, 30), order__order_date__lte=date(2026, 6, 30),
    )
    sums = window.aggregate(revenue=Sum("revenue"), cost=Sum("cost"))
    assert str(sums["revenue"]) == "12149748.85"
    assert str(sums["revenue"] - sums["cost"]) == "4267637.53"


def test_example_opportunities_columns_and_pipeline_cross_check():
    """expected/pipeline.json: open opportunities closing 2026-07-01…09-30, weighted = 890200.00."""
    run_json(EXAMPLE)
    o = Opportunity.objects.select_related("stage", "owner", "customer").get(code="O000039")
    assert (o.customer.code, o.owner.username, o.stage.code, o.probability, str(o.amount), o.forecast_category) == (
        "C00003", "rep3", "negotiation", 60, "109000.00", "commit")
    lost = Opportunity.objects.get(code="O000119")
    assert lost.closed_on == date(2026, 6, 25) and lost.lost_reason == "价格" and lost.forecast_category == "omitted"
    weighted = Decimal(0)
    for opp in Opportunity.objects.filter(stage__is_closed=False, expected_close_on__range=(date(2026, 7, 1), date(2026, 9, 30))).select_related("stage"):
        probability = opp.probability if opp.probability is not None else opp.stage.probability
        weighted += opp.amount * probability / 100
    assert weighted == Decimal("890200.00")


def _base(tmp_path):
    """A tiny dataset with one customer, a product, an order of two lines."""
    return {
        "users.csv": [["username", "name", "role"], ["r1", "R1", "rep"], ["f1", "F1", "finance"]],
        "customers.csv": [["code", "name", "kind", "owner"], ["C1", "甲公司", "company", "r1"]],
        "products.csv": [["code", "name", "list_price", "unit_cost"], ["P1", "产品", "100", "40.5"]],
        "opportunities.csv": [
            ["code", "customer", "owner", "title", "stage", "probability", "amount", "created_at", "lost_reason"],
            ["O1", "C1", "r1", "项目", "方案提交", "", "1000", "2026-01-05", ""],
        ],
        "orders.csv": [["code", "customer", "owner", "order_date"], ["S1", "C1", "r1", "2026-02-01"]],
        "order_lines.csv": [
            ["order", "product", "quantity", "unit_price", "discount_pct", "unit_cost"],
            ["S1", "P1", "3", "99.995", "", ""],
            ["S1", "P1", "1.5", "10", "12.5", "2"],
        ],
        "contracts.csv": [["code", "customer", "opportunity", "signed_date", "amount", "payment_term_days"], ["K1", "C1", "O1", "2026-03-01", "1000", "30"]],
    }


def test_chinese_stage_names_defaults_and_line_amounts(tmp_path):
    code, report = run_json(write_dataset(tmp_path / "d", _base(tmp_path)))
    assert code == 0, report["errors"]
    o = Opportunity.objects.get(code="O1")
    assert o.stage.code == "proposal" and o.probability is None and o.forecast_category == o.stage.forecast_category
    first, second = OrderLine.objects.order_by("id")
    assert (str(first.revenue), str(first.cost), str(first.unit_cost), str(first.discount_pct)) == ("299.99", "121.50", "40.5000", "0.00")
    assert (str(second.revenue), str(second.cost)) == ("13.13", "3.00")  # 1.5 × 10 × 0.875 = 13.125 → half-up
    assert Contract.objects.get(code="K1").opportunity == o


def test_bad_rows_are_reported_with_file_line_and_column(tmp_path):
    files = _base(tmp_path)
    files["opportunities.csv"] += [
        ["O2", "C9", "f1", "x", "赢了", "101", "-1", "", ""],
        ["O1", "C1", "r1", "dup", "won", "", "1", "", ""],
    ]
    files["order_lines.csv"] += [["S9", "P9", "x", "1", "101", ""]]
    files["contracts.csv"] += [["K2", "C1", "O404", "2026-13-01", "1", ""]]
    code, report = run_json(write_dataset(tmp_path / "d", files))
    assert code == 1
    got = set(where(report))
    assert {("opportunities.csv", 3, c) for c in ("customer", "owner", "stage", "probability", "amount")} <= got
    assert ("opportunities.csv", 4, "code") in got
    assert {("order_lines.csv", 4, c) for c in ("order", "product", "quantity", "discount_pct")} <= got
    assert {("contracts.csv", 3, "opportunity"), ("contracts.csv", 3, "signed_date")} <= got
    assert not Opportunity.objects.exists()


def test_lost_without_reason_is_a_warning_not_an_error(tmp_path):
    files = _base(tmp_path)
    files["opportunities.csv"].append(["O2", "C1", "r1", "丢了", "输单", "", "10", "2026-01-05", ""])
    code, report = run_json(write_dataset(tmp_path / "d", files))
    assert code == 0
    assert ("opportunities.csv", 3, "lost_reason") in where(report, "warnings")
    lost = Opportunity.objects.get(code="O2")
    assert lost.forecast_category == "omitted" and lost.closed_on == date(2026, 1, 5)


def test_reimport_is_idempotent_and_changed_lines_replace_the_order(tmp_path):
    files = _base(tmp_path)
    run_json(write_dataset(tmp_path / "d", files))
    code, report = run_json(tmp_path / "d")
    assert code == 0 and sum(report["created"].values()) == 0 and sum(report["updated"].values()) == 0
    ids = list(OrderLine.objects.order_by("id").values_list("id", flat=True))
    files["order_lines.csv"][2][2] = "2"  # the second line's quantity
    files["order_lines.csv"].append(["S1", "P1", "1", "1", "", ""])
    files["opportunities.csv"][1][4] = "won"
    code, report = run_json(write_dataset(tmp_path / "d", files))
    assert code == 0
    assert (report["created"]["order_lines.csv"], report["updated"]["order_lines.csv"]) == (1, 2)
    assert report["updated"]["opportunities.csv"] == 1
    lines = list(OrderLine.objects.order_by("id").values_list("quantity", flat=True))
    assert lines == [Decimal("3"), Decimal("2"), Decimal("1")] and OrderLine.objects.filter(id__in=ids).count() == 0
    o = Opportunity.objects.get(code="O1")
    assert o.stage.code == "won" and o.forecast_category == "closed"
    assert list(o.stage_changes.values_list("to_stage__code", flat=True)) == ["proposal", "won"]
    # Fewer lines in the file: the order keeps exactly the file's lines.
    files["order_lines.csv"].pop()
    run_json(write_dataset(tmp_path / "d", files))
    assert OrderLine.objects.count() == 2


def test_export_round_trip_of_the_example(tmp_path):
    # The example's selling files and what they refer to (finance files stay out: their rows
    # would hold on to the contracts deleted below).
    for name in ["users.csv", "customers.csv", "products.csv", *MINE]:
        (tmp_path / "src").mkdir(exist_ok=True)
        shutil.copy(EXAMPLE / name, tmp_path / "src" / name)
    code, report = run_json(tmp_path / "src")
    assert code == 0, report["errors"]
    run("export", tmp_path / "first")
    for name in MINE:
        assert _read(tmp_path / "first" / name)[0] == _read(EXAMPLE / name)[0]
    assert len(_read(tmp_path / "first" / "order_lines.csv")) == 1466
    code, report = run_json(tmp_path / "first")
    assert code == 0 and sum(report["created"].values()) == 0 and sum(report["updated"].values()) == 0, report
    OrderLine.objects.all().delete()
    SalesOrder.objects.all().delete()
    Contract.objects.all().delete()
    Opportunity.objects.all().delete()
    code, report = run_json(tmp_path / "first")
    assert code == 0 and report["created"]["order_lines.csv"] == 1465
    run("export", tmp_path / "second")
    for name in MINE:
        assert _read(tmp_path / "second" / name) == _read(tmp_path / "first" / name)


def test_rep_export_only_has_their_customers_sales(tmp_path):
    run_json(EXAMPLE)
    run("export", tmp_path / "rep1", "--user", "rep1")
    customers = {row[0] for row in _read(tmp_path / "rep1" / "customers.csv")[1:]}
    for name in ("opportunities.csv", "orders.csv", "contracts.csv"):
        rows = _read(tmp_path / "rep1" / name)[1:]
        assert rows and {row[1] for row in rows} <= customers
    orders = {row[0] for row in _read(tmp_path / "rep1" / "orders.csv")[1:]}
    assert {row[0] for row in _read(tmp_path / "rep1" / "order_lines.csv")[1:]} <= orders
    assert len(orders) < 736
