"""forecasts.csv (DATASET.md): import as history, errors per row, idempotence, who may import
whose, and the export round trip."""

import csv
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone, translation

from kehu.dataset.export import export_csv_folder
from kehu.dataset.tests.conftest import run, run_json, where, write_dataset
from kehu.planning.models import ForecastSubmission
from kehu.planning.tests.accuracy_helpers import submit

pytestmark = pytest.mark.django_db

HEADER = ["user", "period", "submitted_on", "commit", "best_case"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _import(tmp_path, rows, *args, name="data"):
    folder = write_dataset(tmp_path / name, {"forecasts.csv": [HEADER, *rows]})
    return run_json(folder, *args)


def test_system_imports_each_row_as_a_submission_of_source_import(tmp_path, rep_a):
    code, report = _import(tmp_path, [
        ["rep_a", "2026-06", "2026-05-07", "1000.00", "1500"],
        ["rep_a", "2026-q2", "2026-05-07", "3000", ""],
    ])
    assert code == 0, report
    assert report["created"] == {"forecasts.csv": 2}
    month, quarter = ForecastSubmission.objects.order_by("id")
    assert (month.period, month.period_start, month.period_end, month.commit, month.best_case) == (
        "2026-06", date(2026, 6, 1), date(2026, 6, 30), Decimal("1000.00"), Decimal("1500.00"))
    assert (quarter.period, quarter.period_start, quarter.period_end, quarter.best_case) == ("2026-Q2", date(2026, 4, 1), date(2026, 6, 30), None)
    assert {s.source for s in (month, quarter)} == {"import"}


def test_system_importing_the_same_file_again_changes_nothing(tmp_path, rep_a):
    rows = [["rep_a", "2026-06", "2026-05-07", "1000.00", "1500.00"], ["rep_a", "2026-06", "2026-05-14", "1200.00", ""]]
    _import(tmp_path, rows)
    code, report = _import(tmp_path, rows)
    assert code == 0 and report["created"] == {"forecasts.csv": 0} and report["updated"] == {"forecasts.csv": 0}
    assert ForecastSubmission.objects.count() == 2


def test_system_a_row_equal_to_a_page_submission_is_that_submission(tmp_path, rep_a):
    submit(rep_a, "2026-06", date(2026, 5, 7), "1000.00", "1500.00")
    code, report = _import(tmp_path, [["rep_a", "2026-06", "2026-05-07", "1000", "1500.0"]])
    assert report["created"] == {"forecasts.csv": 0}
    # another number the same day is another submission: history, never an edit
    code, report = _import(tmp_path, [["rep_a", "2026-06", "2026-05-07", "1100.00", "1500.00"]], name="other")
    assert report["created"] == {"forecasts.csv": 1}
    assert ForecastSubmission.objects.count() == 2


def test_system_repeated_rows_are_matched_one_for_one(tmp_path, rep_a):
    row = ["rep_a", "2026-06", "2026-05-07", "1000.00", ""]
    _import(tmp_path, [row])
    code, report = _import(tmp_path, [row, row], name="twice")
    assert report["created"] == {"forecasts.csv": 1}
    code, report = _import(tmp_path, [row, row], name="again")
    assert report["created"] == {"forecasts.csv": 0}
    assert ForecastSubmission.objects.count() == 2


def test_system_rows_of_one_day_are_recorded_in_file_order(tmp_path, rep_a):
    from kehu.planning.selectors.accuracy import forecast_accuracy

    _import(tmp_path, [["rep_a", "2026-06", "2026-06-01", "100.00", ""], ["rep_a", "2026-06", "2026-06-01", "200.00", ""]])
    [row] = forecast_accuracy(period="2026-06")
    assert row.forecast == Decimal("200.00")


def test_system_reports_each_bad_row_with_file_line_and_column(tmp_path, rep_a, manager_a, finance):
    tomorrow = (timezone.localdate() + timedelta(days=1)).isoformat()
    code, report = _import(tmp_path, [
        ["nobody", "2026-06", "2026-05-07", "1.00", ""],          # 2 unknown user
        ["manager_a", "2026-06", "2026-05-07", "1.00", ""],       # 3 not a rep
        ["rep_a", "2026-13", "2026-05-07", "1.00", ""],           # 4 bad period
        ["rep_a", "2026", "2026-05-07", "1.00", ""],              # 5 a year is not a forecast period
        ["rep_a", "2026-06", "2026/05/07", "1.00", ""],           # 6 bad date
        ["rep_a", "2026-06", tomorrow, "1.00", ""],               # 7 future
        ["rep_a", "2026-06", "2026-05-07", "-1.00", ""],          # 8 negative
        ["rep_a", "2026-06", "2026-05-07", "1" + "0" * 20, ""],   # 9 too large
        ["rep_a", "2026-06", "2026-05-07", "1.001", ""],          # 10 three decimals
        ["rep_a", "2026-06", "2026-05-07", "100.00", "99.99"],    # 11 best case below commit
        ["rep_a", "2026-06", "2026-05-07", "", ""],               # 12 commit missing
        ["rep_a", "2026-06", "2026-05-07", "100.00", "100.00"],   # 13 good
    ])
    assert code == 1
    assert where(report) == [
        ("forecasts.csv", 2, "user"), ("forecasts.csv", 3, "user"), ("forecasts.csv", 4, "period"),
        ("forecasts.csv", 5, "period"), ("forecasts.csv", 6, "submitted_on"), ("forecasts.csv", 7, "submitted_on"),
        ("forecasts.csv", 8, "commit"), ("forecasts.csv", 9, "commit"), ("forecasts.csv", 10, "commit"),
        ("forecasts.csv", 11, "best_case"), ("forecasts.csv", 12, "commit"),
    ]
    reasons = [e["reason"] for e in report["errors"]]
    assert "No user with the username “nobody”." in reasons[0]
    assert "not a sales rep" in reasons[1]
    assert "2026-Q2" in reasons[2]
    assert "below the commit" in reasons[9]
    assert ForecastSubmission.objects.count() == 0  # nothing half-written
    code, report = _import(tmp_path, [["rep_a", "2026-06", "2026-05-07", "100.00", "100.00"], ["nobody", "2026-06", "2026-05-07", "1", ""]], "--skip-bad", name="skip")
    assert code == 0 and report["created"] == {"forecasts.csv": 1}


def test_system_user_may_come_from_users_csv_of_the_same_import(tmp_path, db):
    folder = write_dataset(tmp_path / "d", {
        "users.csv": [["username", "name", "role", "team"], ["newrep", "新人", "rep", "华东"], ["newfin", "会计", "finance", ""]],
        "forecasts.csv": [HEADER, ["newrep", "2026-06", "2026-05-07", "10.00", ""], ["newfin", "2026-06", "2026-05-07", "10.00", ""]],
    })
    code, report = run_json(folder, "--dry-run")
    assert where(report) == [("forecasts.csv", 3, "user")]
    code, report = run_json(folder, "--skip-bad")
    assert report["created"]["forecasts.csv"] == 1
    assert ForecastSubmission.objects.get().user.username == "newrep"


def test_manager_imports_only_the_reps_of_their_teams_and_reps_none(tmp_path, manager_a, rep_a, rep_b):
    rows = [["rep_a", "2026-06", "2026-05-07", "10.00", ""], ["rep_b", "2026-06", "2026-05-07", "10.00", ""]]
    code, report = _import(tmp_path, rows, "--user", "manager_a")
    assert where(report) == [("forecasts.csv", 3, "user")]
    folder = write_dataset(tmp_path / "rep", {"forecasts.csv": [HEADER, *rows]})
    code, _out = run("import", folder, "--user", "rep_a")
    assert code == 2  # a rep imports no data at all
    assert ForecastSubmission.objects.count() == 0


def test_system_export_writes_visible_submissions_and_imports_back_unchanged(tmp_path, rep_a, rep_b, manager_a):
    submit(rep_a, "2026-06", date(2026, 5, 7), "1000.00", "1500.00")
    submit(rep_a, "2026-06", date(2026, 5, 7), "1000.00", "1500.00")  # twice the same day
    submit(rep_a, "2026-Q2", date(2026, 5, 14), "3000.50", None, source="carried")
    submit(rep_b, "2026-06", date(2026, 5, 7), "7.00", "8.00")
    export_csv_folder(user=None, folder=tmp_path / "all")
    with open(tmp_path / "all" / "forecasts.csv", encoding="utf-8") as handle:
        rows = list(csv.reader(handle))
    assert rows == [
        HEADER,
        ["rep_a", "2026-06", "2026-05-07", "1000.00", "1500.00"],
        ["rep_a", "2026-06", "2026-05-07", "1000.00", "1500.00"],
        ["rep_a", "2026-Q2", "2026-05-14", "3000.50", ""],
        ["rep_b", "2026-06", "2026-05-07", "7.00", "8.00"],
    ]
    code, report = run_json(tmp_path / "all" / "forecasts.csv")
    assert code == 0 and report["created"] == {"forecasts.csv": 0}
    export_csv_folder(user=manager_a, folder=tmp_path / "mgr")
    with open(tmp_path / "mgr" / "forecasts.csv", encoding="utf-8") as handle:
        assert {r[0] for r in list(csv.reader(handle))[1:]} == {"rep_a"}
    export_csv_folder(user=rep_b, folder=tmp_path / "b")
    with open(tmp_path / "b" / "forecasts.csv", encoding="utf-8") as handle:
        assert [r[0] for r in list(csv.reader(handle))[1:]] == ["rep_b"]


def test_system_exports_the_examples_forecasts_as_they_were_imported(tmp_path):
    from kehu.planning.tests.accuracy_helpers import EXAMPLE, import_example

    import_example()
    export_csv_folder(user=None, folder=tmp_path / "out")
    with open(tmp_path / "out" / "forecasts.csv", encoding="utf-8") as a, open(EXAMPLE / "forecasts.csv", encoding="utf-8") as b:
        assert list(csv.reader(a)) == list(csv.reader(b))
