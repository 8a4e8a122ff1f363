"""schemathesis over the apirest operations (issue 14): the anomalies, factors, what it takes and
Friday review figures, the forecast adjustment, the run comparison, webhook management and the
deletions, for four roles — no server error, every answer documented and inside the served schema.
Uses the runner of test_apischema_schemathesis.py (MAX_EXAMPLES per operation, derandomized) on a
world of its own, with its own time budget."""

import time
from datetime import date
from decimal import Decimal

import pytest

from kehu.api.tests.test_apischema_schemathesis import credentials, run_schemathesis, served_schema
from kehu.planning.models import ForecastSubmission
from kehu.ranking.models import EvaluationResult, EvaluationRun

pytestmark = pytest.mark.apischema

PREFIXES = ("/api/reports/anomalies/", "/api/reports/factors/", "/api/reports/what-it-takes/", "/api/forecasts/review/",
            "/api/forecasts/{id}/adjust/", "/api/ranking-runs/{id}/compare/", "/api/webhooks/", "/api/deletions/")
BUDGET_SECONDS = 600  # a safety net, not the expected time
ROLES = ("rep_a", "manager_a", "finance", "admin")


@pytest.fixture
def world(cast):
    from kehu.activities import services as activity_services
    from kehu.activities.models import Activity
    from kehu.core.events import DomainEvent
    from kehu.customers.models import Contact
    from kehu.customers.services import contact_delete
    from kehu.integrations import services as hooks

    runs = []
    for as_of, tiers in ((date(2026, 3, 31), ("major", "small")), (date(2026, 6, 30), ("important", "small"))):
        run = EvaluationRun.objects.create(model="pyramid", as_of=as_of, result_count=2)
        for position, (key, tier) in enumerate(zip(("customer_a", "pool_customer"), tiers), start=1):
            EvaluationResult.objects.create(run=run, customer=cast[key], position=position, rank=position, klass=tier,
                                            score=Decimal("0.5"), sales=Decimal("10.00"), profit=Decimal("5.00"),
                                            indicators={"sales": "10.00", "profit": "5.00"})
        runs.append(run)
    submission = ForecastSubmission.objects.create(user=cast["rep_a"], period="2026-06", period_start=date(2026, 6, 1),
                                                   period_end=date(2026, 6, 30), submitted_on=date(2026, 6, 5),
                                                   commit=Decimal("1.00"), best_case=None)
    sub = hooks.subscription_create(actor=cast["admin"], url="http://127.0.0.1:9/hook", event_types=["customer.created"])
    hooks.events_write(DomainEvent(type="customer.created", object_type="customer", object_ids=(cast["customer_a"].pk,)))
    contact = Contact.objects.create(customer=cast["customer_a"], name="删掉的联系人", phone="13900000009")
    contact_delete(actor=cast["rep_a"], contact=contact)
    logged = Activity.objects.create(customer=cast["customer_a"], owner=cast["rep_a"], kind="phone", status="done",
                                     at="2026-06-01T10:00:00+08:00", summary="通话")
    activity_services.activity_delete(actor=cast["rep_a"], activity=logged)
    return {"ranking-runs": runs[1].pk, "forecasts": submission.pk, "webhooks": sub.pk}


@pytest.mark.parametrize("role", ROLES)
def test_role_gets_only_documented_answers_on_apirest_operations(role, request, world):
    headers, cookies = credentials(request.getfixturevalue(role))
    schema = served_schema(headers, cookies)
    only = {f"{method.upper()} {path}" for path, ops in schema["paths"].items() if path.startswith(PREFIXES)
            for method in ops if method in ("get", "post", "patch", "delete")}
    assert len(only) >= 16, sorted(only)
    failures, skipped = run_schemathesis(schema, headers, cookies, world, time.monotonic() + BUDGET_SECONDS, only=only)
    assert not skipped, f"out of time before: {skipped}"
    assert not failures, "\n".join(failures)
