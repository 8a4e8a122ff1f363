"""schemathesis on apiact's operations (issue 14): follow-ups, notifications, customer operations,
products, users and teams, for a rep, a manager, finance and the admin, with the runner and the
checks of test_apischema_schemathesis (no server error, every answer documented and inside the
schema) and a budget of their own, so that they are checked whatever the budget of the whole run."""

import time
from datetime import timedelta

import pytest
from django.utils import timezone
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import content_type_conformance, negative_data_rejection, status_code_conformance

from kehu.activities.models import Activity, Notification
from kehu.api.tests.test_apischema_schemathesis import (  # the runner and its world (a fixture)
    ROLES,
    credentials,
    run_schemathesis,
    served_schema,
    world,  # noqa: F401
)
from kehu.customers.models import QualificationItem
from kehu.sales.models import Product

pytestmark = pytest.mark.apischema

PREFIXES = ("/api/activities/", "/api/followups/", "/api/notifications/", "/api/handovers/", "/api/products/",
            "/api/users/", "/api/teams/")
SUFFIXES = ("/release/", "/merge/", "/qualification/", "/archive/", "/archive/{section}/")
BUDGET_SECONDS = 400
# Operations without a parameter or a body: schemathesis has no value to make invalid (hypothesis
# reports its assumptions unsatisfiable), so the negative run leaves them out.
NOTHING_TO_NEGATE = {"POST /api/notifications/read-all/"}


def mine(schema) -> set[str]:
    labels = set()
    for path, operations in schema["paths"].items():
        if path.startswith(PREFIXES) or path.endswith(SUFFIXES):
            labels.update(f"{method.upper()} {path}" for method in operations if method in ("get", "post", "put", "patch", "delete"))
    return labels


@pytest.fixture
def apiact_world(cast, world):  # noqa: F811
    customer, owner = cast["customer_a"], cast["rep_a"]
    logged = Activity.objects.create(customer=customer, owner=owner, kind="visit", visit_level="business", status="done",
                                     at=timezone.now() - timedelta(days=1), summary="拜访")
    plan = Activity.objects.create(customer=customer, owner=owner, kind="phone", status="planned",
                                   due_on=timezone.localdate() + timedelta(days=2))
    Activity.objects.create(customer=customer, owner=owner, kind="phone", status="cancelled", due_on=timezone.localdate(),
                            cancel_reason="出差", closed_at=timezone.now())
    notification = Notification.objects.create(user=owner, kind="followup_due", fact_key="st", customer=customer)
    Notification.objects.create(user=owner, kind="anomaly", fact_key="st2")
    QualificationItem.objects.create(name="预算", position=1)
    return {**world, "activities": logged.pk, "followups": plan.pk, "notifications": notification.pk,
            "products": Product.objects.values_list("pk", flat=True).first(),
            "users": owner.pk, "teams": owner.team_id}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_apiact_operations_answer_inside_the_schema(cast, apiact_world, role):
    started = time.monotonic()
    headers, cookies = credentials(cast[role])
    schema = served_schema(headers, cookies)
    only = mine(schema)
    assert len(only) >= 20, sorted(only)
    failures, skipped = run_schemathesis(schema, headers, cookies, apiact_world, started + BUDGET_SECONDS / len(ROLES), only=only)
    assert not skipped, f"out of time before: {skipped}"
    assert not failures, "\n\n".join(failures)


@pytest.mark.django_db
def test_apiact_invalid_requests_are_refused_for_the_admin(cast, apiact_world):
    """Negative cases on apiact's operations (values the schema forbids): a documented 4xx, never accepted, never a 5xx."""
    started = time.monotonic()
    headers, cookies = credentials(cast["admin"])
    schema = served_schema(headers, cookies)
    for operations in schema["paths"].values():  # the credentials are sent anyway: no case without them
        for operation in operations.values():
            operation.pop("security", None)
    failures, skipped = run_schemathesis(
        schema, headers, cookies, apiact_world, started + BUDGET_SECONDS / len(ROLES), mode=GenerationMode.NEGATIVE,
        checks=[not_a_server_error, negative_data_rejection, status_code_conformance, content_type_conformance],
        only=mine(schema) - NOTHING_TO_NEGATE,
    )
    assert not skipped, f"out of time before: {skipped}"
    assert not failures, "\n\n".join(failures)
