"""A customer's current ranking (DOMAIN.md §5): the latest run of each model is copied onto
the customers (pyramid tier, value class, key-account flag), key accounts become vip and back
(§3), runs as of an earlier date change nothing, `kehu daily` runs the models that are due,
and the scoring settings feed the runs unless overridden."""

import json
from datetime import date
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.utils import translation

from kehu.core.audit import audit_note_text
from kehu.core.hooks import daily_steps
from kehu.core.models import AuditEvent
from kehu.customers.models import Customer, CustomerStageChange
from kehu.finance.services import contract_plan_set, payment_record
from kehu.ranking.models import EvaluationResult, EvaluationRun, RankingSettings
from kehu.ranking.selectors import latest_run
from kehu.ranking.services import current_ranking_apply, evaluation_run, ranking_run_scheduled
from kehu.ranking.wiring import DAILY_KEY
from kehu.sales.models import Contract

D = Decimal
NOW = date(2026, 6, 30)
EARLIER = date(2025, 12, 31)
MODELS = ("pyramid", "value", "key_account")


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _by_code():
    return {c.code: c for c in Customer.objects.all()}


def _run_all(as_of):
    return {m: evaluation_run(actor=None, model=m, as_of=as_of) for m in MODELS}


def _manual_run(model, as_of, classes: dict):
    """A stored run whose results are given: {customer: class}; applied when it is the latest."""
    run = EvaluationRun.objects.create(model=model, as_of=as_of, params={})
    EvaluationResult.objects.bulk_create(
        [EvaluationResult(run=run, customer=c, position=i, rank=i + 1, score=D(50), klass=k)
         for i, (c, k) in enumerate(classes.items())]
    )
    if latest_run(model) == run:
        current_ranking_apply(run)
    return run


def _stage_changes(customer):
    return list(CustomerStageChange.objects.filter(customer=customer).values_list("from_stage", "to_stage"))


# ---------------------------------------------------------------------------- copy onto customers


def test_a_run_copies_classes_onto_every_customer(example):
    runs = _run_all(NOW)
    customers = _by_code()
    for model, field in (("pyramid", "pyramid_tier"), ("value", "value_class")):
        results = {r.customer_id: r.klass for r in runs[model].results.all()}
        for c in customers.values():
            assert getattr(c, field) == results.get(c.pk, ""), (model, c.code)
    keys = set(runs["key_account"].results.filter(klass="key").values_list("customer__code", flat=True))
    assert keys == {"C00020"}
    assert {c.code for c in customers.values() if c.is_key_account} == keys
    assert customers["C00020"].stage == Customer.Stage.VIP
    # a prospect carries its opportunity class, and no pyramid tier
    assert customers["C00055"].value_class == "important_opportunity" and customers["C00055"].pyramid_tier == ""


def test_customers_not_in_the_latest_run_are_cleared(example):
    _run_all(EARLIER)
    c = _by_code()
    assert c["C00029"].pyramid_tier == "ordinary" and c["C00029"].value_class == "problem"
    assert {x.code for x in c.values() if x.is_key_account} == {"C00020", "C00042", "C00054"}
    _run_all(NOW)
    c = _by_code()
    # C00029 has no sales in the later window: out of the pyramid and the value classes
    assert c["C00029"].pyramid_tier == "" and c["C00029"].value_class == ""
    assert {x.code for x in c.values() if x.is_key_account} == {"C00020"}


def test_a_run_as_of_an_earlier_date_changes_nothing(example):
    _run_all(NOW)
    before = list(Customer.objects.order_by("pk").values_list("pk", "pyramid_tier", "value_class", "is_key_account", "stage"))
    changes = CustomerStageChange.objects.count()
    events = AuditEvent.objects.count()
    runs = _run_all(EARLIER)
    assert all(latest_run(m).as_of == NOW for m in MODELS)
    assert all(latest_run(m) != runs[m] for m in MODELS)
    after = list(Customer.objects.order_by("pk").values_list("pk", "pyramid_tier", "value_class", "is_key_account", "stage"))
    assert after == before
    assert CustomerStageChange.objects.count() == changes and AuditEvent.objects.count() == events
    # the earlier runs are stored all the same
    assert runs["key_account"].results.filter(klass="key").count() == 3


def test_of_two_runs_of_the_same_date_the_later_made_is_current(customer_a, customer_b):
    first = _manual_run("pyramid", NOW, {customer_a: "important", customer_b: "small"})
    assert latest_run("pyramid") == first
    second = _manual_run("pyramid", NOW, {customer_a: "small"})
    assert latest_run("pyramid") == second
    customer_a.refresh_from_db()
    customer_b.refresh_from_db()
    assert customer_a.pyramid_tier == "small" and customer_b.pyramid_tier == ""


def test_apply_writes_only_rows_that_change(customer_a, customer_b):
    run = _manual_run("value", NOW, {customer_a: "diamond", customer_b: "problem"})
    assert current_ranking_apply(run) == {"changed": 0, "vip": 0, "unvip": 0}
    customer_b.value_class = "general"
    customer_b.save(update_fields=["value_class"])
    assert current_ranking_apply(run)["changed"] == 1
    customer_b.refresh_from_db()
    assert customer_b.value_class == "problem"


def test_latest_run_is_none_before_any_run(db):
    assert latest_run("pyramid") is None


# ---------------------------------------------------------------------------- vip


def _set_stage(customer, stage):
    Customer.objects.filter(pk=customer.pk).update(stage=stage)
    customer.refresh_from_db()


def test_signed_key_account_becomes_vip_and_back(admin, customer_a, customer_b):
    _set_stage(customer_a, Customer.Stage.SIGNED)
    _set_stage(customer_b, Customer.Stage.SIGNED)
    first = _manual_run("key_account", date(2026, 1, 31), {customer_a: "key", customer_b: "other"})
    customer_a.refresh_from_db()
    customer_b.refresh_from_db()
    assert customer_a.is_key_account and customer_a.stage == Customer.Stage.VIP
    assert not customer_b.is_key_account and customer_b.stage == Customer.Stage.SIGNED
    assert _stage_changes(customer_a) == [("signed", "vip")]
    event = AuditEvent.objects.get(object_type="customer", object_id=customer_a.pk, changes__stage=["signed", "vip"])
    assert f"#{first.pk}" in audit_note_text(event.note)  # a system note: a key, read in each reader's language
    # the next run drops customer_a: back to signed, customer_b now vip
    _manual_run("key_account", date(2026, 6, 30), {customer_a: "other", customer_b: "key"})
    customer_a.refresh_from_db()
    customer_b.refresh_from_db()
    assert not customer_a.is_key_account and customer_a.stage == Customer.Stage.SIGNED
    assert customer_b.is_key_account and customer_b.stage == Customer.Stage.VIP
    assert _stage_changes(customer_a) == [("signed", "vip"), ("vip", "signed")]
    assert AuditEvent.objects.filter(object_type="customer", object_id=customer_a.pk, changes__stage=["vip", "signed"]).exists()


def test_vip_moves_carry_the_user_who_ran(admin, customer_a):
    _set_stage(customer_a, Customer.Stage.SIGNED)
    run = _manual_run("key_account", NOW, {})
    EvaluationResult.objects.create(run=run, customer=customer_a, position=0, rank=1, score=D(90), klass="key")
    current_ranking_apply(run, actor=admin)
    change = CustomerStageChange.objects.get(customer=customer_a, to_stage="vip")
    assert change.user == admin
    assert AuditEvent.objects.get(object_id=customer_a.pk, changes__stage=["signed", "vip"]).actor == admin


def test_a_prospect_key_account_stays_a_prospect(customer_a):
    _set_stage(customer_a, Customer.Stage.PROSPECT)
    _manual_run("key_account", NOW, {customer_a: "key"})
    customer_a.refresh_from_db()
    assert customer_a.is_key_account and customer_a.stage == Customer.Stage.PROSPECT
    assert _stage_changes(customer_a) == []


def test_a_key_account_that_signs_goes_straight_to_vip(finance, customer_a):
    _set_stage(customer_a, Customer.Stage.QUALIFIED)
    _manual_run("key_account", NOW, {customer_a: "key"})
    customer_a.refresh_from_db()
    assert customer_a.stage == Customer.Stage.QUALIFIED  # not signed yet: no vip
    contract = Contract.objects.create(code="K1", customer=customer_a, signed_on=date(2026, 7, 1), amount=D("200.00"))
    contract_plan_set(actor=finance, contract=contract, instalments=[
        (1, date(2026, 7, 15), D("100.00")), (2, date(2026, 8, 15), D("100.00")),
    ])
    payment_record(actor=finance, customer=customer_a, contract=contract, seq=1, amount=D("100"), paid_on=date(2026, 7, 10))
    customer_a.refresh_from_db()
    assert customer_a.stage == Customer.Stage.VIP
    assert _stage_changes(customer_a)[-1] == ("qualified", "vip")
    assert AuditEvent.objects.filter(object_type="customer", object_id=customer_a.pk, changes__stage=["qualified", "vip"]).exists()


def test_a_customer_that_signs_without_being_key_is_signed(finance, customer_a):
    _set_stage(customer_a, Customer.Stage.QUALIFIED)
    contract = Contract.objects.create(code="K1", customer=customer_a, signed_on=date(2026, 7, 1), amount=D("100.00"))
    contract_plan_set(actor=finance, contract=contract, instalments=[(1, date(2026, 7, 15), D("100.00"))])
    payment_record(actor=finance, customer=customer_a, contract=contract, seq=1, amount=D("100"), paid_on=date(2026, 7, 10))
    customer_a.refresh_from_db()
    assert customer_a.stage == Customer.Stage.SIGNED


# ---------------------------------------------------------------------------- kehu daily


def _daily(now):
    out = StringIO()
    call_command("daily", "--now", now, "--json", stdout=out)
    return json.loads(out.getvalue())


def _runs(model):
    return list(EvaluationRun.objects.filter(model=model).order_by("id").values_list("as_of", flat=True))


def test_daily_step_is_registered_once():
    assert [step.key for step in daily_steps()].count(DAILY_KEY) == 1


def test_daily_runs_the_models_that_are_due(customer_a, customer_b):
    # never run: every model runs, as of the day
    assert _daily("2026-07-01")[DAILY_KEY] == 3
    assert all(_runs(m) == [date(2026, 7, 1)] for m in MODELS)
    # the same day again, and within the month: nothing
    assert _daily("2026-07-01")[DAILY_KEY] == 0
    assert _daily("2026-07-31")[DAILY_KEY] == 0
    # a month later: pyramid and value (monthly), not the key accounts (yearly)
    assert _daily("2026-08-01")[DAILY_KEY] == 2
    assert _runs("pyramid") == _runs("value") == [date(2026, 7, 1), date(2026, 8, 1)]
    assert _runs("key_account") == [date(2026, 7, 1)]
    assert _daily("2027-06-30")[DAILY_KEY] == 2
    assert _runs("key_account") == [date(2026, 7, 1)]
    assert _daily("2027-07-01")[DAILY_KEY] == 1  # pyramid and value ran yesterday
    assert _runs("key_account") == [date(2026, 7, 1), date(2027, 7, 1)]


def test_daily_end_of_month_schedule_matches_the_settings_page(db):
    from kehu.ranking.selectors import next_scheduled_run

    RankingSettings.objects.create(model="value", every_months=0)
    RankingSettings.objects.create(model="key_account", every_months=0)
    assert _daily("2026-01-31")[DAILY_KEY] == 1
    last = latest_run("pyramid")
    due = next_scheduled_run(RankingSettings.load("pyramid"), last, today=date(2026, 2, 1))
    assert due == date(2026, 2, 28)
    assert _daily("2026-02-27")[DAILY_KEY] == 0
    assert _daily("2026-02-28")[DAILY_KEY] == 1


def test_daily_never_runs_a_model_set_to_zero(customer_a):
    for model in MODELS:
        RankingSettings.objects.create(model=model, every_months=0)
    assert _daily("2026-07-01")[DAILY_KEY] == 0
    assert _daily("2036-07-01")[DAILY_KEY] == 0
    assert not EvaluationRun.objects.exists()


def test_daily_run_uses_the_settings_and_applies(customer_a):
    from django.utils import timezone
    from kehu.customers.management.commands.daily import parse_now

    RankingSettings.objects.create(model="pyramid", every_months=1, window_months=3, params={"important": "0.5", "major": "0.6", "ordinary": "0.7"})
    assert ranking_run_scheduled(now=parse_now("2026-07-01")) == 3
    run = latest_run("pyramid")
    assert run.window_months == 3 and run.params["important"] == "0.5" and run.started_by is None
    assert run.as_of == timezone.localdate(parse_now("2026-07-01"))


def test_daily_as_of_a_scheduled_run_is_the_local_day(db):
    # 2026-07-01T01:00 in Beijing is still 2026-06-30 in UTC: the run is as of the local day
    RankingSettings.objects.create(model="value", every_months=0)
    RankingSettings.objects.create(model="key_account", every_months=0)
    _daily("2026-07-01T01:00:00+08:00")
    assert _runs("pyramid") == [date(2026, 7, 1)]


# ---------------------------------------------------------------------------- settings feed the runs


@pytest.fixture
def pyramid_settings(db):
    return RankingSettings.objects.create(model="pyramid", window_months=6, params={"important": "0.05"})


def test_evaluation_run_uses_the_settings(example, pyramid_settings):
    run = evaluation_run(actor=None, model="pyramid", as_of=NOW)
    assert run.window_months == 6 and run.params["important"] == "0.05" and run.params["major"] == "0.20"


def test_evaluation_run_arguments_override_the_settings(example, pyramid_settings):
    run = evaluation_run(actor=None, model="pyramid", as_of=NOW, window_months=3, params={"major": "0.3"})
    assert run.window_months == 3
    assert run.params["important"] == "0.05" and run.params["major"] == "0.3"
    run = evaluation_run(actor=None, model="pyramid", as_of=NOW, params={"important": "0.02"})
    assert run.params["important"] == "0.02"


def _evaluate(*args):
    out = StringIO()
    call_command("evaluate", *args, "--json", stdout=out)
    return json.loads(out.getvalue())


def test_kehu_evaluate_uses_the_settings_parameters(example, pyramid_settings):
    got = _evaluate("pyramid", "--as-of", NOW.isoformat())
    assert got["params"]["important"] == "0.05"
    got = _evaluate("pyramid", "--as-of", NOW.isoformat(), "--param", "important=0.02", "--window-months", "3")
    assert got["params"]["important"] == "0.02"
    assert EvaluationRun.objects.get(pk=got["run"]).window_months == 3


def test_kehu_evaluate_uses_the_settings_window(example, pyramid_settings):
    got = _evaluate("pyramid", "--as-of", NOW.isoformat())
    assert EvaluationRun.objects.get(pk=got["run"]).window_months == 6
