"""schemathesis on apisell's operations (issue 14): the selling writes — quotes, contracts,
orders — and the handover history, for a rep, a manager, finance and the admin, with the runner
and the checks of test_apischema_schemathesis (no server error, every answer documented and inside
the schema) and a budget of their own.

The world has a record in each state an action needs (a draft and a pending quote, a held order),
and the record operations are run on them (apisell_world: the ids by path segment), so that the
successful answers are checked too, not only the refusals."""

import time
from datetime import date

import pytest
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    status_code_conformance,
)

from kehu.api.tests.test_apischema_schemathesis import (  # the runner and its world (a fixture)
    ROLES,
    credentials,
    run_schemathesis,
    served_schema,
    world,  # noqa: F401
)
from kehu.customers.services.handover import customer_handover
from kehu.sales.models import Product, Quote, SalesOrder

pytestmark = pytest.mark.apischema

PREFIXES = ("/api/quotes/", "/api/contracts/", "/api/orders/", "/api/handovers/")
READS = {"GET /api/quotes/", "GET /api/quotes/{id}/", "GET /api/contracts/", "GET /api/contracts/{id}/", "GET /api/orders/",
         "GET /api/orders/{id}/"}  # apischema's, run by its own test
BUDGET_SECONDS = 400


def mine(schema) -> set[str]:
    labels = set()
    for path, operations in schema["paths"].items():
        if path.startswith(PREFIXES):
            labels.update(f"{method.upper()} {path}" for method in operations if method in ("get", "post", "put", "patch", "delete"))
    return labels - READS


@pytest.fixture
def apisell_world(cast, world):  # noqa: F811
    """Beside apischema's world (a pending quote "Q-1", a draft order "S-1"): a held order, and a
    handover of team A, so that each action has a record it may succeed on."""
    from kehu.finance.services import order_confirm, order_create
    from kehu.sales.services import quote_create

    customer, owner = cast["customer_a"], cast["rep_a"]
    product = Product.objects.get(code="P1")
    Quote.objects.filter(code="Q-1").update(status=Quote.Status.PENDING, submitted_by=owner)
    quote_create(actor=owner, customer=customer, lines=[{"product": product, "quantity": "1"}])
    customer.credit_limit = "1.00"
    customer.save(update_fields=["credit_limit"])
    held = order_confirm(actor=owner, order=order_create(actor=owner, customer=customer, order_date=date(2026, 6, 1),
                                                         lines=[{"product": product, "quantity": "1"}]))
    assert held.status == SalesOrder.Status.BLOCKED
    customer_handover(actor=cast["manager_a"], from_user=cast["rep_a2"], to_user=owner, customer_ids=[cast["customer_a2"].pk])
    return {**world, "orders": held.pk}


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_apisell_operations_answer_inside_the_schema(cast, apisell_world, role):
    started = time.monotonic()
    headers, cookies = credentials(cast[role])
    schema = served_schema(headers, cookies)
    only = mine(schema)
    assert len(only) == 15, sorted(only)
    failures, skipped = run_schemathesis(schema, headers, cookies, apisell_world, started + BUDGET_SECONDS / len(ROLES), only=only)
    assert not skipped, f"out of time before: {skipped}"
    assert not failures, "\n\n".join(failures)


@pytest.mark.django_db
def test_apisell_invalid_requests_are_refused_for_the_admin(cast, apisell_world):
    """Negative cases on apisell's operations (values the schema forbids): a documented 4xx, never accepted, never a 5xx."""
    started = time.monotonic()
    headers, cookies = credentials(cast["admin"])
    schema = served_schema(headers, cookies)
    for operations in schema["paths"].values():  # the credentials are sent anyway: no case without them
        for operation in operations.values():
            operation.pop("security", None)
    failures, skipped = run_schemathesis(
        schema, headers, cookies, apisell_world, started + BUDGET_SECONDS / len(ROLES), mode=GenerationMode.NEGATIVE,
        checks=[not_a_server_error, negative_data_rejection, status_code_conformance, content_type_conformance],
        only=mine(schema),
    )
    assert not skipped, f"out of time before: {skipped}"
    assert not failures, "\n\n".join(failures)
