"""The stage-entry summary (kehu.customers.summaries, docs/rules.md "### The stage-entry summary"):
exactly the live aggregate of the stage changes after every kind of write — create, a stage by
hand, a derived stage in bulk, delete, restore, merge, claim, release, the pool's return,
handover, the customers importer — and `stage_months_rebuild` finds nothing to correct."""

from datetime import date, datetime, timedelta

import pytest
from django.utils import timezone

from kehu.core.dates import add_months
from kehu.customers.models import Customer, CustomerStageChange, CustomerStageMonth
from kehu.customers.summaries import stage_entry_counts, stage_months_rebuild, stage_months_refresh, whole_months
from kehu.reports.selectors.activity import day_start, stage_entries, stage_entries_live

pytestmark = pytest.mark.django_db

STAGES = [Customer.Stage.PROSPECT, Customer.Stage.QUALIFIED]


def at(y, m, d, hh=10):
    return timezone.make_aware(datetime(y, m, d, hh))


def windows(today: date):
    """Whole-month windows around `today`: this month, the 12 months before it, 3 months to today's."""
    this = today.replace(day=1)
    nxt = add_months(this, 1)
    return [(this, nxt), (add_months(this, -12), this), (add_months(this, -2), nxt), (add_months(this, -24), nxt)]


def owners():
    from kehu.accounts.models import User

    return list(User.objects.values_list("pk", flat=True))


def assert_exact(today: date | None = None):
    """The summary = the live aggregate for every window (every owner), and nothing to rebuild."""
    today = today or timezone.localdate()
    ids = owners()
    for first, after in windows(today):
        live = stage_entries_live(begin=day_start(first), end=day_start(after), owner_ids=ids)
        summary = {o: (c.get("prospect", 0), c.get("qualified", 0)) for o, c in
                   stage_entry_counts(first=first, after=after, stages=STAGES).items() if o is not None}
        assert summary == live, (first, after)
        assert stage_entries(begin=day_start(first), end=day_start(after), owner_ids=ids) == live
        assert stage_entries(begin=day_start(first), end=day_start(after), owner_ids=ids[:2]) == {k: v for k, v in live.items() if k in ids[:2]}
    assert stage_months_rebuild() == 0


def test_whole_months_only():
    assert whole_months(at(2026, 3, 1, 0), at(2026, 4, 1, 0)) == (date(2026, 3, 1), date(2026, 4, 1))
    assert whole_months(at(2026, 3, 2, 0), at(2026, 4, 1, 0)) is None
    assert whole_months(at(2026, 3, 1, 0), at(2026, 3, 15, 0)) is None
    assert whole_months(at(2026, 3, 1, 10), at(2026, 4, 1, 0)) is None


def test_distinct_customers_over_months_with_repeated_entries(cast):
    """A customer moving into prospect in January, March and twice in May counts once in any
    window holding one or more of those months; `previous` is the month before."""
    rep = cast["rep_a"]
    c = cast["customer_a"]
    for when in (at(2026, 1, 5), at(2026, 3, 9), at(2026, 5, 2), at(2026, 5, 20)):
        CustomerStageChange.objects.create(customer=c, to_stage="prospect", at=when)
    CustomerStageChange.objects.create(customer=c, to_stage="qualified", at=at(2026, 3, 10))
    stage_months_refresh(customer_ids=[c.pk])
    rows = sorted(CustomerStageMonth.objects.filter(customer=c, stage="prospect").values_list("month", "previous", "owner_id"))
    assert rows == [(date(2026, 1, 1), None, rep.pk), (date(2026, 3, 1), date(2026, 1, 1), rep.pk), (date(2026, 5, 1), date(2026, 3, 1), rep.pk)]
    for first_m in range(1, 7):
        for last_m in range(first_m, 7):
            first, after = date(2026, first_m, 1), add_months(date(2026, last_m, 1), 1)
            live = stage_entries_live(begin=day_start(first), end=day_start(after), owner_ids=[rep.pk])
            counts = stage_entry_counts(first=first, after=after, stages=STAGES).get(rep.pk, {})
            assert {rep.pk: (counts.get("prospect", 0), counts.get("qualified", 0))} == (live or {rep.pk: (0, 0)}), (first, after)
    counts = stage_entry_counts(first=date(2026, 1, 1), after=date(2026, 7, 1), stages=STAGES)[rep.pk]
    assert (counts["prospect"], counts["qualified"]) == (1, 1)
    counts = stage_entry_counts(first=date(2026, 4, 1), after=date(2026, 6, 1), stages=STAGES)[rep.pk]
    assert counts == {"prospect": 1}


def test_every_write_path_keeps_it_exact(cast, settings):
    from kehu.core.models import CompanySettings
    from kehu.customers.services import (
        customer_claim, customer_create, customer_delete, customer_handover, customer_merge, customer_release, customer_restore,
        customer_set_stage, customers_set_derived_stage, pool_run_returns,
    )

    admin, rep_a, rep_b, manager = cast["admin"], cast["rep_a"], cast["rep_b"], cast["manager_a"]
    # history written past the services (as the seeders do), then rebuilt: the starting point
    for c in (cast["customer_a"], cast["customer_b"], cast["customer_a2"]):
        CustomerStageChange.objects.create(customer=c, to_stage="prospect", at=timezone.now() - timedelta(days=40))
        CustomerStageChange.objects.create(customer=c, to_stage="qualified", at=timezone.now() - timedelta(days=3))
    assert stage_months_rebuild() == 3
    assert CustomerStageMonth.objects.count() > 0
    assert_exact()

    made = customer_create(actor=rep_a, data={"name": "新客户甲", "kind": "company"})
    assert_exact()
    assert CustomerStageMonth.objects.filter(customer=made).exists()
    customer_set_stage(actor=rep_a, customer=made, stage="qualified")
    assert_exact()
    customer_set_stage(actor=rep_a, customer=made, stage="prospect")
    assert_exact()
    other = customer_create(actor=rep_b, data={"name": "新客户乙", "kind": "company"})
    customer_set_stage(actor=rep_b, customer=other, stage="qualified")
    assert_exact()
    assert customers_set_derived_stage(actor=None, customer_ids=[other.pk], from_stage="qualified", stage="vip") == 1
    assert_exact()
    customer_delete(actor=admin, customer=made)
    assert_exact()
    customer_restore(actor=admin, customer=made)
    assert_exact()
    customer_merge(actor=admin, kept=other, merged=cast["customer_b"])
    assert_exact()
    customer_release(actor=rep_a, customer=made, reason="不再跟进")
    assert_exact()
    customer_claim(actor=rep_b, customer=Customer.objects.get(pk=made.pk))
    assert_exact()
    customer_handover(actor=admin, from_user=rep_b, to_user=rep_a, customer_ids=[made.pk])
    assert_exact()
    assert CustomerStageMonth.objects.filter(customer=made).values_list("owner_id", flat=True).distinct().get() == rep_a.pk

    conf = CompanySettings.load()
    conf.pool_return_days = 30
    conf.save()
    Customer.objects.filter(pk=cast["customer_a"].pk).update(pool_clock_at=timezone.now() - timedelta(days=90), last_followup_at=None,
                                                             owned_since=timezone.now() - timedelta(days=90))
    assert pool_run_returns() >= 1
    assert Customer.objects.get(pk=cast["customer_a"].pk).owner_id is None
    assert_exact()


def test_the_importer_keeps_it_exact(cast, tmp_path):
    from kehu.dataset.tests.conftest import CUSTOMER_HEADER, customer_row, run_json, write_dataset

    stage_months_rebuild()
    first = write_dataset(tmp_path / "a", {"customers.csv": [CUSTOMER_HEADER, customer_row("C1", "甲公司", stage="prospect", owner="rep_a"),
                                                            customer_row("C2", "乙公司", stage="qualified", owner="rep_b")]})
    assert run_json(first)[0] == 0
    assert CustomerStageMonth.objects.filter(customer__code__in=["C1", "C2"]).count() == 2
    assert_exact()
    again = write_dataset(tmp_path / "b", {"customers.csv": [CUSTOMER_HEADER, customer_row("C1", "甲公司", stage="qualified", owner="rep_b"),
                                                            customer_row("C2", "乙公司", stage="qualified", owner="rep_a")]})
    assert run_json(again)[0] == 0
    assert set(CustomerStageMonth.objects.filter(customer__code__in=["C1", "C2"]).values_list("customer__code", "stage", "owner__username")) == {
        ("C1", "prospect", "rep_b"), ("C1", "qualified", "rep_b"), ("C2", "qualified", "rep_a")}
    assert_exact()


def test_rebuild_corrects_what_differs(cast):
    c = cast["customer_a"]
    CustomerStageChange.objects.create(customer=c, to_stage="prospect", at=at(2026, 2, 3))
    assert stage_months_rebuild() == 1
    CustomerStageMonth.objects.filter(customer=c).update(owner=cast["rep_b"])
    CustomerStageMonth.objects.create(customer=cast["customer_b"], stage="qualified", month=date(2026, 1, 1))
    assert stage_months_rebuild() == 2
    assert stage_months_rebuild() == 0
    assert list(CustomerStageMonth.objects.values_list("customer_id", "owner_id", "stage", "month", "previous")) == [
        (c.pk, cast["rep_a"].pk, "prospect", date(2026, 2, 1), None)]


def test_kehu_summaries_rebuild_and_daily_step(cast):
    from django.core.management import call_command
    import io

    from kehu.customers.summaries import daily_stage_months

    CustomerStageChange.objects.create(customer=cast["customer_a"], to_stage="prospect", at=at(2026, 2, 3))
    out = io.StringIO()
    call_command("summaries", "rebuild", stdout=out)
    assert CustomerStageMonth.objects.count() == 1
    CustomerStageMonth.objects.all().delete()
    call_command("summaries", "rebuild", "--all", stdout=out)
    assert CustomerStageMonth.objects.count() == 1
    CustomerStageMonth.objects.all().delete()
    assert daily_stage_months(now=timezone.now()) == 1
    CustomerStageMonth.objects.all().delete()
    assert daily_stage_months(now=timezone.now()) == 0  # once a day


def test_the_migration_fills_it_from_the_stage_changes(cast):
    import importlib

    from django.apps import apps

    fill = importlib.import_module("kehu.customers.migrations.0015_stage_months").fill_summary
    for c in (cast["customer_a"], cast["customer_b"]):
        CustomerStageChange.objects.create(customer=c, to_stage="prospect", at=at(2026, 2, 3))
        CustomerStageChange.objects.create(customer=c, to_stage="prospect", at=at(2026, 4, 3))
    Customer.objects.filter(pk=cast["customer_b"].pk).update(is_deleted=True)
    CustomerStageMonth.objects.all().delete()
    fill(apps, None)
    assert CustomerStageMonth.objects.count() == 2
    assert stage_months_rebuild() == 0
