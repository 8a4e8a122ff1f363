"""`kehu daily`: pool warnings then returns, idempotent, with a --json summary."""

import json
from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.utils import timezone, translation

from kehu.core.hooks import DAILY_STEPS, DailyStep, daily_step_register, daily_steps
from kehu.core.models import AuditEvent, CompanySettings
from kehu.customers.models import Customer, PoolEvent


def run(*args) -> str:
    out = StringIO()
    call_command("daily", *args, stdout=out)
    return out.getvalue()


def run_json(*args) -> dict:
    return json.loads(run("--json", *args))  # json.loads refuses anything but one document


POOL_KEYS = ("pool_warnings", "pool_returns")


def pool_counts(result: dict) -> dict:
    """The pool steps' counts; later apps add their own keys to the same document."""
    return {k: result[k] for k in POOL_KEYS}


def idle(customer, days, now=None):
    customer.pool_clock_at = (now or timezone.now()) - timedelta(days=days)
    customer.save(update_fields=["pool_clock_at"])


@pytest.fixture
def idle_customers(customer_a, customer_a2, customer_b):
    conf = CompanySettings.load()
    conf.pool_return_days, conf.pool_warning_days = 90, 7
    conf.save()
    idle(customer_a, 120)   # returns
    idle(customer_a2, 86)   # warned: returns in 4 days
    idle(customer_b, 10)    # nothing
    return customer_a, customer_a2, customer_b


def test_daily_twice_writes_nothing_new(idle_customers):
    customer_a, customer_a2, customer_b = idle_customers
    assert pool_counts(run_json()) == {"pool_warnings": 1, "pool_returns": 1}
    counts = (PoolEvent.objects.count(), AuditEvent.objects.count())
    owners = list(Customer.objects.order_by("pk").values_list("owner_id", "return_warned_at"))

    assert pool_counts(run_json()) == {"pool_warnings": 0, "pool_returns": 0}
    assert (PoolEvent.objects.count(), AuditEvent.objects.count()) == counts
    assert list(Customer.objects.order_by("pk").values_list("owner_id", "return_warned_at")) == owners
    assert PoolEvent.objects.filter(kind="return", customer=customer_a).count() == 1
    assert PoolEvent.objects.filter(kind="warning", customer=customer_a2).count() == 1
    assert Customer.objects.get(pk=customer_b.pk).owner_id is not None


def test_daily_json_is_exactly_one_document(idle_customers):
    out = run("--json")
    assert pool_counts(json.loads(out)) == {"pool_warnings": 1, "pool_returns": 1}
    assert out.strip().count("\n") == 0


def test_daily_prints_human_summary(idle_customers):
    with translation.override("en"):
        out = run()
    assert "Owners warned of a coming return to the pool: 1" in out
    assert "Customers returned to the pool: 1" in out


def test_daily_now_backfills_as_of_that_day(customer_a):
    day = timezone.localdate() + timedelta(days=95)
    assert pool_counts(run_json("--now", day.isoformat())) == {"pool_warnings": 0, "pool_returns": 1}
    assert PoolEvent.objects.get(kind="return").on_date == day
    assert pool_counts(run_json("--now", f"{day.isoformat()}T23:00:00")) == {"pool_warnings": 0, "pool_returns": 0}


def test_daily_warns_before_the_day_of_return(customer_a):
    soon = timezone.localdate() + timedelta(days=85)
    assert pool_counts(run_json("--now", f"{soon.isoformat()}T02:00:00+08:00")) == {"pool_warnings": 1, "pool_returns": 0}
    assert pool_counts(run_json("--now", (soon + timedelta(days=1)).isoformat())) == {"pool_warnings": 0, "pool_returns": 0}


def test_daily_rejects_bad_now(db):
    with translation.override("en"), pytest.raises(CommandError, match="--now must be an ISO date"):
        run("--now", "next tuesday")


def test_daily_runs_every_step_in_order(request, db):
    seen = []

    def step(*, now):
        seen.append(now)
        return 4

    daily_step_register(DailyStep("reminders", "Reminders sent", step, order=99))
    request.addfinalizer(lambda: DAILY_STEPS.unregister("reminders"))
    result = run_json("--now", "2030-01-02T03:04:05+08:00")
    assert list(result)[:3] == ["ranking_runs", "pool_warnings", "pool_returns"] and list(result)[-1] == "reminders"
    assert list(result) == [step.key for step in daily_steps()] and result["reminders"] == 4
    assert len(seen) == 1
    assert seen[0].astimezone(timezone.get_fixed_timezone(0)).isoformat() == "2030-01-01T19:04:05+00:00"
