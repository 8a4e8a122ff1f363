"""`kehu targets` against the example's expected files, the importer's errors and the export
round trip of targets.csv."""

import csv
import json
from decimal import Decimal

import pytest

from kehu.dataset.export import export_csv_folder
from kehu.dataset.tests.conftest import EXAMPLE, run, run_json, write_dataset
from kehu.planning.models import Target

pytestmark = pytest.mark.django_db

EXPECTED = EXAMPLE / "expected"
HEADER = ["scope", "who", "year", "amount", *[f"m{i}" for i in range(1, 13)]]


@pytest.fixture
def example():
    code, report = run_json(EXAMPLE)
    assert code == 0, report["errors"]
    return report


@pytest.mark.parametrize(("args", "expected"), [
    ((), "targets-company-company-2026.json"),
    (("--who", "rep1"), "targets-user-rep1-2026.json"),
])
def test_system_targets_json_matches_the_expected_file(example, args, expected):
    code, out = run("targets", 2026, *args, "--json")
    assert code == 0
    assert json.loads(out) == json.loads((EXPECTED / expected).read_text(encoding="utf-8"))


def test_system_example_creates_two_won_targets(example):
    assert example["created"]["targets.csv"] == 2
    company = Target.objects.get(scope="company", year=2026)
    assert company.measure == "won" and company.amount == Decimal("12000000.00")
    assert company.weights[:3] == ["14", "10", "11"]
    assert Target.objects.get(scope="user", user__username="rep1").weights == [""] * 12


def test_system_targets_unknown_who_is_refused(example):
    code, _out = run("targets", 2026, "--who", "nobody")
    assert code == 2


def test_system_targets_without_a_target_exits_1(example):
    code, _out = run("targets", 2025)
    assert code == 1


def test_system_targets_human_output_lists_quarters(example):
    code, out = run("targets", 2026)
    assert code == 0
    assert "2026-Q1" in out and "2026-W01" in out


def _import(tmp_path, rows, *extra):
    folder = write_dataset(tmp_path / "ds", {"targets.csv": [HEADER, *rows]})
    return run_json(folder, *extra)


def _reasons(report):
    return [(e["line"], e["column"]) for e in report["errors"]]


def test_system_importer_reports_bad_rows_and_writes_nothing(example, tmp_path):
    before = Target.objects.count()
    code, report = _import(tmp_path, [
        ["planet", "", "2026", "1", *[""] * 12],                      # bad scope
        ["user", "nobody", "2026", "1", *[""] * 12],                  # unknown who
        ["user", "rep2", "2026", "-5", *[""] * 12],                   # negative amount
        ["user", "rep3", "2026", "100", "-1", *[""] * 11],            # negative weight
        ["user", "rep3", "2027", "100", *["0"] * 12],                 # all-zero weights
        ["company", "rep1", "2027", "100", *[""] * 12],               # company names nobody
        ["user", "rep1", "1999", "100", *[""] * 12],                  # year out of range
        ["team", "No such team", "2026", "100", *[""] * 12],          # unknown team
        ["user", "rep2", "2028", "100", "x", *[""] * 11],             # not a number
    ])
    assert code == 1
    assert _reasons(report) == [(2, "scope"), (3, "who"), (4, "amount"), (5, "m1"), (6, "m1"), (7, "who"), (8, "year"), (9, "who"), (10, "m1")]
    assert Target.objects.count() == before


def test_system_importer_accepts_chinese_scope_and_repeats_are_errors(example, tmp_path):
    code, report = _import(tmp_path, [
        ["公司", "", "2027", "500", *[""] * 12],
        ["个人", "rep2", "2027", "120.50", "1", "2", *[""] * 10],
        ["user", "rep2", "2027", "1", *[""] * 12],
    ])
    assert code == 1
    assert _reasons(report) == [(4, "")]
    code, report = _import(tmp_path, [
        ["公司", "", "2027", "500", *[""] * 12],
        ["个人", "rep2", "2027", "120.50", "1", "2", *[""] * 10],
    ])
    assert code == 0
    assert report["created"]["targets.csv"] == 2
    rep2 = Target.objects.get(scope="user", user__username="rep2", year=2027)
    assert rep2.amount == Decimal("120.50") and rep2.weights == ["1", "2", *[""] * 10]


def test_system_importer_updates_by_key(example, tmp_path):
    code, report = _import(tmp_path, [["company", "", "2026", "13000000", *[""] * 12]])
    assert code == 0
    assert report["updated"]["targets.csv"] == 1 and report["created"]["targets.csv"] == 0
    assert Target.objects.get(scope="company", year=2026).amount == Decimal("13000000.00")


def test_system_export_round_trip(example, tmp_path):
    export_csv_folder(user=None, folder=tmp_path / "out")
    with open(tmp_path / "out" / "targets.csv", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == HEADER
    assert rows[1][:5] == ["company", "", "2026", "12000000.00", "14"]
    assert rows[2][:4] == ["user", "rep1", "2026", "1000000.01"]
    Target.objects.all().delete()
    code, report = run_json(tmp_path / "out")
    assert code == 0, report["errors"]
    assert report["created"]["targets.csv"] == 2
    code, out = run("targets", 2026, "--json")
    assert json.loads(out) == json.loads((EXPECTED / "targets-company-company-2026.json").read_text(encoding="utf-8"))


def test_manager_imports_own_reps_targets_only(example, tmp_path):
    from kehu.accounts.models import User
    from kehu.dataset.services import dataset_import

    folder = write_dataset(tmp_path / "m", {"targets.csv": [HEADER,
                                                            ["user", "rep2", "2027", "100", *[""] * 12],
                                                            ["company", "", "2027", "100", *[""] * 12],
                                                            ["team", "华南", "2027", "100", *[""] * 12]]})
    report = dataset_import(actor=User.objects.get(username="mgr1"), path=folder)
    assert [(e.line, e.column) for e in report.errors] == [(3, "scope"), (4, "scope")]
    folder = write_dataset(tmp_path / "m2", {"targets.csv": [HEADER, ["user", "rep2", "2027", "100", *[""] * 12]]})
    report = dataset_import(actor=User.objects.get(username="mgr1"), path=folder)
    assert report.errors == [] and report.created["targets.csv"] == 1


def test_system_targets_of_a_team_and_of_collections(example):
    from kehu.accounts.models import Team, User
    from kehu.planning.services.targets import target_set

    boss = User.objects.get(username="boss")
    team = Team.objects.get(name="华南")
    target_set(actor=boss, scope="team", team=team, year=2026, amount="1200")
    target_set(actor=boss, scope="company", year=2026, measure="collections", amount="12")
    code, out = run("targets", 2026, "--who", "华南", "--json")
    assert code == 0 and json.loads(out)["months"][0] == {"month": "2026-01", "amount": "100.00"}
    code, out = run("targets", 2026, "--measure", "collections", "--json")
    assert code == 0 and json.loads(out)["amount"] == "12.00"
