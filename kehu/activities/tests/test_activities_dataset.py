"""`kehu import` / `kehu export` of activities.csv (DATASET.md)."""

import csv
import io
from datetime import timedelta

import pytest
from django.utils import timezone, translation

from kehu.activities.models import Activity
from kehu.activities.services import activity_cancel_planned, activity_log, activity_plan
from kehu.core.models import AuditEvent
from kehu.customers.models import Contact, Customer
from kehu.customers.services import pool_run_returns
from kehu.dataset.export import dataset_export, export_csv_zip
from kehu.dataset.services import dataset_import
from kehu.dataset.tests.conftest import CUSTOMER_HEADER, customer_row, run_json, where, write_dataset

HEADER = ["customer", "contact", "owner", "type", "visit_level", "at", "summary", "next_due"]


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def _upload_dir(settings, tmp_path):
    settings.KEHU_IMPORT_DIR = str(tmp_path / "uploads")


def day(delta: int) -> str:
    return (timezone.localdate() + timedelta(days=delta)).isoformat()


def moment(days_ago: int, hour: int = 10) -> str:
    return f"{day(-days_ago)}T{hour:02d}:00:00"


def row(customer, owner, kind, at, contact="", level="", summary="", next_due=""):
    return [customer, contact, owner, kind, level, at, summary, next_due]


def dataset(tmp_path, rows, name="d", **files):
    return write_dataset(tmp_path / name, {"activities.csv": [HEADER, *rows], **files})


def local(text: str):
    return timezone.make_aware(timezone.datetime.fromisoformat(text))


# --- importing -------------------------------------------------------------------------------------

def test_system_imports_activities_with_contacts_of_the_same_import_and_chinese_labels(cast, tmp_path):
    customers = [CUSTOMER_HEADER, customer_row("N001", "新导入有限公司", owner="rep_a")]
    contacts = [["customer", "name"], ["N001", "李工"], ["C00001", "王总"]]
    folder = dataset(tmp_path, [
        row("N001", "rep_a", "拜访", moment(5), contact="李工", level="技术层", summary="技术交流", next_due=day(3)),
        row("N001", "rep_a", "电话", moment(2), summary="约下次"),
        row("C00001", "rep_a", "微信", moment(1, 9), contact="王总"),
        row("C00001", "manager_a", "visit", moment(1, 15), level="领导层", summary="经理拜访"),
    ], **{"customers.csv": customers, "contacts.csv": contacts})

    code, report = run_json(folder)

    assert code == 0, report
    assert report["created"]["activities.csv"] == 4 and report["errors"] == []
    visit = Activity.objects.get(customer__code="N001", kind="visit", status="done")
    assert (visit.visit_level, visit.contact.name, visit.owner.username, visit.summary) == ("technical", "李工", "rep_a", "技术交流")
    assert visit.at == local(moment(5)) and visit.status == "done" and visit.created_by is None
    plan = Activity.objects.get(planned_by=visit)
    assert (plan.status, plan.due_on.isoformat(), plan.owner.username, plan.kind) == ("planned", day(3), "rep_a", "visit")
    assert Activity.objects.get(customer__code="C00001", kind="wechat").contact.name == "王总"
    assert Activity.objects.get(summary="经理拜访").visit_level == "leadership"
    n001 = Customer.objects.get(code="N001")
    assert n001.last_followup_at == local(moment(2))
    assert n001.pool_clock_at > local(moment(2))  # owned since this import: the clock started then
    assert AuditEvent.objects.filter(object_type="activity", verb="import", customer=n001).count() == 2


def test_bad_rows_are_reported_with_file_line_and_column(cast, tmp_path):
    folder = dataset(tmp_path, [
        row("C00001", "rep_a", "phone", moment(1)),                          # 2 good
        row("NOPE", "rep_a", "phone", moment(1)),                            # 3 customer
        row("C00001", "ghost", "phone", moment(1)),                          # 4 owner
        row("C00001", "finance", "phone", moment(1)),                        # 5 owner: finance
        row("C00001", "rep_a", "visit", moment(2)),                          # 6 visit_level missing
        row("C00001", "rep_a", "phone", moment(3), level="technical"),       # 7 level on a call
        row("C00001", "rep_a", "phone", f"{day(2)}T10:00:00"),               # 8 at in the future
        row("C00001", "rep_a", "fax", moment(4)),                            # 9 type
        row("C00001", "rep_a", "phone", "yesterday"),                        # 10 at
        row("C00001", "rep_a", "phone", moment(5), contact="不存在的人"),    # 11 contact
        row("C00001", "rep_a", "phone", moment(1)),                          # 12 same as line 2
        row("C00001", "rep_a", "phone", moment(6), next_due="soon"),         # 13 next_due
        row("C00001", "rep_a", "phone", ""),                                 # 14 at required
    ])
    code, report = run_json(folder)
    assert code == 1
    assert where(report) == [
        ("activities.csv", 3, "customer"), ("activities.csv", 4, "owner"), ("activities.csv", 5, "owner"),
        ("activities.csv", 6, "visit_level"), ("activities.csv", 7, "visit_level"), ("activities.csv", 8, "at"),
        ("activities.csv", 9, "type"), ("activities.csv", 10, "at"), ("activities.csv", 11, "contact"),
        ("activities.csv", 12, "at"), ("activities.csv", 13, "next_due"), ("activities.csv", 14, "at"),
    ]
    reasons = {e["line"]: e["reason"] for e in report["errors"]}
    assert "finance" in reasons[5] and "Line 2 is the same follow-up" in reasons[12]
    assert not Activity.objects.exists()  # a bad row stops the whole import
    code, report = run_json(folder, "--skip-bad")
    assert code == 0 and report["created"]["activities.csv"] == 1 and Activity.objects.count() == 1


def test_importing_the_same_file_again_changes_nothing(cast, tmp_path):
    rows = [
        row("C00001", "rep_a", "phone", moment(3), summary="第一次", next_due=day(2)),
        row("C00001", "rep_a", "visit", moment(20), level="business", summary="更早", next_due=day(-15)),
        row("C00003", "rep_b", "email", moment(1)),
    ]
    folder = dataset(tmp_path, rows)
    assert run_json(folder)[1]["created"]["activities.csv"] == 3
    counts = Activity.objects.count(), AuditEvent.objects.count()
    code, report = run_json(folder)
    assert code == 0 and report["created"]["activities.csv"] == 0 and report["updated"]["activities.csv"] == 0
    assert (Activity.objects.count(), AuditEvent.objects.count()) == counts


def test_a_corrected_row_updates_the_activity_and_moves_its_open_plan(cast, tmp_path):
    run_json(dataset(tmp_path, [row("C00001", "rep_a", "phone", moment(3), summary="初稿", next_due=day(2))], "one"))
    code, report = run_json(dataset(tmp_path, [row("C00001", "rep_a", "phone", moment(3), summary="改正", next_due=day(5))], "two"))
    assert code == 0 and report["updated"]["activities.csv"] == 1 and report["created"]["activities.csv"] == 0
    activity = Activity.objects.get(status="done")
    assert activity.summary == "改正"
    assert Activity.objects.get(planned_by=activity).due_on.isoformat() == day(5)
    event = AuditEvent.objects.filter(object_type="activity", object_id=activity.pk).latest("id")
    assert event.changes["summary"] == ["初稿", "改正"]


def test_a_closed_plan_is_never_reopened_by_an_import(rep_a, customer_a, tmp_path):
    run_json(dataset(tmp_path, [row("C00001", "rep_a", "phone", moment(3), next_due=day(2))], "one"))
    plan = Activity.objects.get(status="planned")
    activity_cancel_planned(actor=rep_a, activity=plan, reason="不需要了")
    code, report = run_json(dataset(tmp_path, [row("C00001", "rep_a", "phone", moment(3), next_due=day(4))], "two"))
    assert code == 0 and report["updated"]["activities.csv"] == 0
    assert Activity.objects.get(pk=plan.pk).status == "cancelled" and not Activity.objects.filter(status="planned").exists()


def test_a_past_next_step_is_planned_only_when_nothing_happened_after_it(cast, tmp_path):
    run_json(dataset(tmp_path, [
        row("C00001", "rep_a", "phone", moment(30), summary="旧的", next_due=day(-20)),   # a later call exists: taken
        row("C00001", "rep_a", "phone", moment(10), summary="最新", next_due=day(-5)),    # the latest: still open, overdue
        row("C00001", "rep_a", "phone", moment(20), summary="中间", next_due=day(8)),     # future: planned whatever came after
    ]))
    plans = {p.planned_by.summary: p.due_on.isoformat() for p in Activity.objects.filter(status="planned").select_related("planned_by")}
    assert plans == {"最新": day(-5), "中间": day(8)}


def test_no_plan_for_a_customer_in_the_pool(cast, tmp_path):
    code, report = run_json(dataset(tmp_path, [row("C00004", "rep_a", "phone", moment(1), next_due=day(2))]))
    assert code == 0 and report["created"]["activities.csv"] == 1
    assert not Activity.objects.filter(status="planned").exists()
    assert Customer.objects.get(code="C00004").last_followup_at == local(moment(1))


def test_imported_activities_stop_the_pool_return_clock(cast, tmp_path):
    old = timezone.now() - timedelta(days=200)
    Customer.objects.filter(code__in=["C00001", "C00002"]).update(pool_clock_at=old, owned_since=old, return_warned_at=old)
    run_json(dataset(tmp_path, [row("C00001", "rep_a", "phone", moment(3))]))
    c1 = Customer.objects.get(code="C00001")
    assert c1.pool_clock_at == local(moment(3)) and c1.return_warned_at is None
    assert pool_run_returns() == 1
    assert Customer.objects.get(code="C00001").owner is not None and Customer.objects.get(code="C00002").owner is None


def test_manager_imports_only_activities_of_their_teams(cast, tmp_path):
    folder = dataset(tmp_path, [
        row("C00001", "rep_a", "phone", moment(1)),
        row("C00003", "rep_b", "phone", moment(1)),   # rep_b's customer: not manager_a's
        row("C00001", "rep_b", "phone", moment(2)),   # rep_b is not in manager_a's teams
    ])
    code, report = run_json(folder, "--user", "manager_a")
    assert code == 1 and where(report) == [("activities.csv", 3, "customer"), ("activities.csv", 3, "owner"), ("activities.csv", 4, "owner")]
    report = dataset_import(actor=cast["director"], path=folder)
    assert report.errors == [] and report.created["activities.csv"] == 3


# --- exporting -----------------------------------------------------------------------------------

def _export(user) -> dict[str, list[list[str]]]:
    out = io.BytesIO()
    export_csv_zip(user=user, target=out)
    import zipfile

    with zipfile.ZipFile(out) as archive:
        return {name: list(csv.reader(io.TextIOWrapper(archive.open(name), encoding="utf-8"))) for name in archive.namelist()}


def test_export_has_the_activities_the_user_sees(cast):
    ago = timezone.now() - timedelta(days=1)
    activity_log(actor=cast["rep_a"], customer=cast["customer_a"], kind="phone", at=ago, summary="甲的电话")
    activity_log(actor=cast["rep_b"], customer=cast["customer_b"], kind="phone", at=ago, summary="乙的电话")
    assert _export(cast["rep_a"])["activities.csv"][0] == HEADER
    assert [r[6] for r in _export(cast["rep_a"])["activities.csv"][1:]] == ["甲的电话"]
    assert [r[6] for r in _export(cast["rep_b"])["activities.csv"][1:]] == ["乙的电话"]
    assert [r[6] for r in _export(cast["manager_a"])["activities.csv"][1:]] == ["甲的电话"]
    assert len(_export(cast["finance"])["activities.csv"]) == 3


def test_export_and_import_make_a_round_trip(cast, tmp_path):
    rep_a = cast["rep_a"]
    customer = cast["customer_a"]
    buyer = Contact.objects.create(customer=customer, name="采购-王")
    gone = Contact.objects.create(customer=customer, name="已删联系人", is_deleted=True)
    activity_log(actor=rep_a, customer=customer, kind="visit", visit_level="leadership", contact=buyer,
                 at=timezone.now() - timedelta(days=3), summary="=见了总经理, 谈\"年度\"框架", next_due_on=timezone.localdate() + timedelta(days=7))
    activity_log(actor=cast["manager_a"], customer=customer, kind="meeting", at=timezone.now() - timedelta(days=1), summary="多行\n纪要")
    old = activity_log(actor=rep_a, customer=customer, kind="phone", at=timezone.now() - timedelta(days=2), summary="打给已删的人")
    Activity.objects.filter(pk=old.pk).update(contact=gone)
    activity_plan(actor=rep_a, customer=customer, kind="phone", due_on=timezone.localdate())  # not part of the format

    first = tmp_path / "first"
    dataset_export(user=None, path=first)
    exported = list(csv.reader(open(first / "activities.csv", encoding="utf-8")))
    assert exported[1][:6] == ["C00001", "采购-王", "rep_a", "visit", "leadership", exported[1][5]]
    assert exported[1][6] == "'=见了总经理, 谈\"年度\"框架" and exported[1][7] == (timezone.localdate() + timedelta(days=7)).isoformat()
    assert exported[2][1] == ""  # a deleted contact is not named

    # Into the same database: nothing changes.
    code, report = run_json(first)
    assert code == 0 and report["updated"]["activities.csv"] == 0 and report["created"]["activities.csv"] == 0, report

    # Into an empty one: the same file comes out again.
    Activity.objects.all().delete()
    code, report = run_json(first / "activities.csv")
    assert code == 0 and report["created"]["activities.csv"] == 3, report
    second = tmp_path / "second"
    dataset_export(user=None, path=second)
    assert list(csv.reader(open(second / "activities.csv", encoding="utf-8"))) == exported
