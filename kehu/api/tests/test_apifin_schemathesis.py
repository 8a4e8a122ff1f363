"""schemathesis over the apifin operations (aging, commission, ranking runs, targets, forecasts, report
figures) for four roles: no server error, every answer documented and inside the served schema.
Uses the runner of test_apischema_schemathesis.py on a world of its own, with its own budget."""

import time
from datetime import date
from decimal import Decimal

import pytest

from kehu.api.tests.test_apischema_schemathesis import credentials, run_schemathesis, served_schema
from kehu.finance.models import Receivable
from kehu.planning.models import ForecastSubmission, Target
from kehu.ranking.models import EvaluationResult, EvaluationRun

pytestmark = pytest.mark.apischema

PREFIXES = ("/api/aging/", "/api/commission/", "/api/ranking-runs/", "/api/targets/", "/api/forecasts/", "/api/reports/")
BUDGET_SECONDS = 600  # a safety net, not the expected time
ROLES = ("rep_a", "manager_a", "finance", "admin")


@pytest.fixture
def world(cast):
    run = EvaluationRun.objects.create(model="pyramid", as_of=date(2026, 6, 30), result_count=2)
    for position, (key, tier) in enumerate((("customer_a", "important"), ("pool_customer", "small")), start=1):
        EvaluationResult.objects.create(run=run, customer=cast[key], position=position, rank=position, klass=tier,
                                        score=Decimal("0.5"), sales=Decimal("10.00"), profit=Decimal("5.00"),
                                        indicators={"sales": Decimal("10.00"), "profit": Decimal("5.00")})
    EvaluationRun.objects.create(model="key_account", as_of=date(2026, 6, 30))  # no results, no one who started it
    target = Target.objects.create(scope="user", user=cast["rep_a"], year=2026, amount=Decimal("100.00"))
    submission = ForecastSubmission.objects.create(user=cast["rep_a"], period="2026-06", period_start=date(2026, 6, 1),
                                                   period_end=date(2026, 6, 30), submitted_on=date(2026, 6, 5),
                                                   commit=Decimal("1.00"), best_case=None)
    Receivable.objects.create(customer=cast["customer_a"], amount=Decimal("9.00"), open_amount=Decimal("9.00"),
                              issued_on=date(2026, 1, 1), due_on=date(2026, 2, 1))
    return {"ranking-runs": run.pk, "targets": target.pk, "forecasts": submission.pk}


@pytest.mark.parametrize("role", ROLES)
def test_role_gets_only_documented_answers_on_apifin_operations(role, request, world):
    headers, cookies = credentials(request.getfixturevalue(role))
    schema = served_schema(headers, cookies)
    only = {f"{method.upper()} {path}" for path, ops in schema["paths"].items() if path.startswith(PREFIXES)
            for method in ops if method in ("get", "post")}
    assert len(only) >= 14
    failures, skipped = run_schemathesis(schema, headers, cookies, world, time.monotonic() + BUDGET_SECONDS, only=only)
    assert not skipped, f"out of time before: {skipped}"
    assert not failures, "\n".join(failures)
