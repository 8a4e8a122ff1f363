"""schemathesis against the served schema (issue 14): every operation, for a rep, a manager,
finance and the admin, on a small world. Each answer must be documented (its status code and
content type), inside the schema, and never a server error.

Bounded and deterministic: MAX_EXAMPLES examples per operation and role, hypothesis derandomized
(the same cases on every run), no example database, and a time budget for the whole test
(BUDGET_SECONDS; past it the remaining operations are skipped and the test fails, so a slow run is
seen, not silently shortened). Requests go through Django's WSGI handler in this thread and
transaction. `credentials(user)` is the one place that signs a role in: the rep, the manager and
finance with a read-write personal access token (as an integration would), the admin with a
session cookie and its CSRF token (as the browsable API and /api/docs/ do), so both ways in are
fuzzed.
"""

import time
from contextlib import contextmanager
from datetime import date

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.middleware.csrf import _get_new_csrf_string
from django.test import Client
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from kehu.customers.models import Contact, Customer
from kehu.finance.models import Instalment, Payment, Receivable
from kehu.sales.models import Contract, Opportunity, OpportunityStage, OrderLine, Product, Quote, QuoteLine, SalesOrder

pytestmark = pytest.mark.apischema

MAX_EXAMPLES = 10
BUDGET_SECONDS = 600  # a safety net, not the expected time (typically ~15–40 s a role on SQLite, ~30–60 s on PostgreSQL)
ROLES = ("rep_a", "manager_a", "finance", "admin")
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


# A schema-violating request is refused when answered with one of these. schemathesis's list plus
# 412: a PATCH whose If-Match is stale is refused (nothing saved), whatever its body.
CONFIG = schemathesis.Config.from_dict({"checks": {"negative_data_rejection": {"expected-statuses": [
    "400", "401", "403", "404", "405", "406", "409", "412", "415", "422", "428", "429", "5xx",
]}}})


def credentials(user) -> tuple[dict, dict]:
    """(headers, cookies) that sign `user` in: a read-write token for everyone but the admin; for
    the admin a session cookie, and the CSRF token in its cookie and header."""
    if not user.is_admin_role:
        from kehu.accounts.tokens import AccessToken, access_token_create

        raw = access_token_create(actor=user, name="schemathesis", scope=AccessToken.Scope.WRITE)[1]
        return {"Authorization": f"Bearer {raw}"}, {}
    client = Client()
    client.force_login(user)
    csrf = _get_new_csrf_string()
    return {"X-CSRFToken": csrf}, {"sessionid": client.cookies["sessionid"].value, "csrftoken": csrf}


@pytest.fixture
def world(cast):
    """Records of every kind with the values that used to leave the schema: a pool customer (no
    owner), unranked customers (no pyramid tier or value class), an order without contract, a
    receivable without order, a payment on account and a reversed one."""
    stage = OpportunityStage.objects.get(code="proposal")
    product = Product.objects.create(code="P1", name="服务器", list_price="1000.0000", unit_cost="600.0000")
    ids = {"customers": cast["pool_customer"].pk}
    customer = cast["customer_a"]
    owner = customer.owner
    contact = Contact.objects.create(customer=customer, name="任正非", phone="13900000001")
    opp = Opportunity.objects.create(code="O-1", customer=customer, owner=owner, title="商机", stage=stage, amount="12345.60")
    quote = Quote.objects.create(code="Q-1", customer=customer, owner=owner, opportunity=opp, total="900.10",
                                 max_discount_pct="10.00", allowed_discount_pct="5.00")
    QuoteLine.objects.create(quote=quote, product=product, quantity="1.5", unit_price="600.0667", discount_pct="0", revenue="900.10")
    contract = Contract.objects.create(code="K-1", customer=customer, owner=owner, signed_on="2026-01-05", amount="1000.00")
    Instalment.objects.create(contract=contract, seq=1, due_on="2026-02-05", amount="400.00")
    order = SalesOrder.objects.create(code="S-1", customer=customer, owner=owner, order_date="2026-01-06")
    OrderLine.objects.create(order=order, product=product, quantity="2", unit_price="500.0000", unit_cost="300.0000",
                             revenue="1000.00", cost="600.00")
    receivable = Receivable.objects.create(customer=customer, amount="1000.00", open_amount="1000.00",
                                           issued_on="2026-01-06", due_on="2026-02-05")
    from kehu.finance.services import payment_record, payment_reverse

    payment = payment_record(actor=cast["finance"], customer=customer, amount="5.00", paid_on=date(2026, 2, 1))
    reversed_one = payment_record(actor=cast["finance"], customer=customer, amount="7.00", paid_on=date(2026, 2, 2))
    payment_reverse(actor=cast["finance"], payment=reversed_one, reason="录错")
    assert Customer.objects.filter(pyramid_tier="").exists()
    ids.update({"contacts": contact.pk, "opportunities": opp.pk, "quotes": quote.pk, "contracts": contract.pk,
                "orders": order.pk, "receivables": receivable.pk, "payments": payment.pk})
    assert Payment.objects.filter(reversed_at__isnull=False).exists()
    return ids


def served_schema(headers, cookies) -> dict:
    """The schema as /api/schema/ serves it to the signed-in role."""
    client = Client()
    client.cookies.load(cookies)
    response = client.get("/api/schema/", {"format": "json"}, headers=headers)
    assert response.status_code == 200, response.content[:300]
    return response.json()


def _strategy(operation, known_ids, mode):
    """The operation's cases; for a record's operations, also cases on a record of the world."""
    strategy = operation.as_strategy(generation_mode=mode)
    kind = operation.path.strip("/").split("/")[1]
    if "{id}" in operation.path and kind in known_ids:
        strategy = st.one_of(operation.as_strategy(generation_mode=mode, path_parameters={"id": known_ids[kind]}), strategy)
    return strategy


@contextmanager
def connection_kept():
    """Django's WSGI handler closes the database connection after each request; in a test that
    would end the test's transaction (PostgreSQL). Keep it open, as Django's test client does."""
    request_started.disconnect(close_old_connections)
    request_finished.disconnect(close_old_connections)
    try:
        yield
    finally:
        request_started.connect(close_old_connections)
        request_finished.connect(close_old_connections)


def run_schemathesis(schema: dict, headers: dict, cookies: dict, known_ids: dict, deadline: float, *,
                     mode=GenerationMode.POSITIVE, checks=CHECKS, only=None) -> tuple[list[str], list[str]]:
    """Every operation of `schema` (or those whose label is in `only`), MAX_EXAMPLES cases each;
    (failures, operations not run in time)."""
    with connection_kept():
        return _run(schema, headers, cookies, known_ids, deadline, mode=mode, checks=checks, only=only)


def _can_be_invalid(operation) -> bool:
    """Whether the operation takes anything a request could get wrong: a parameter or a body."""
    definition = operation.definition.raw
    return bool(definition.get("parameters") or definition.get("requestBody"))


def _run(schema, headers, cookies, known_ids, deadline, *, mode, checks, only):
    loaded = schemathesis.openapi.from_dict(schema, config=CONFIG)
    app = get_wsgi_application()
    signed_in = loaded["/api/customers/"]["GET"].Case().call(app=app, headers=headers, cookies=cookies)
    assert signed_in.status_code == 200, signed_in.text[:300]  # else every answer would be a documented 403
    failures, skipped = [], []
    for result in loaded.get_all_operations():
        operation = result.ok()
        if only is not None and operation.label not in only:
            continue
        if time.monotonic() > deadline:
            skipped.append(operation.label)
            continue
        if mode == GenerationMode.NEGATIVE and not _can_be_invalid(operation):
            continue  # no parameter and no body (POST /api/notifications/read-all/): no invalid request exists

        @settings(max_examples=MAX_EXAMPLES, derandomize=True, database=None, deadline=None,
                  phases=[Phase.explicit, Phase.generate], suppress_health_check=list(HealthCheck))
        @given(case=_strategy(operation, known_ids, mode))
        def check(case):
            response = case.call(app=app, headers=headers, cookies=cookies)
            case.validate_response(response, checks=checks, headers=headers)

        try:
            check()
        except (Exception, BaseExceptionGroup) as exc:  # one failure per operation is enough to name it
            failures.append(f"{operation.label}: {exc}"[:1500])
    return failures, skipped


@pytest.mark.django_db
@pytest.mark.parametrize("role", ROLES)
def test_role_gets_only_documented_answers_inside_the_schema(cast, world, role):
    started = time.monotonic()
    headers, cookies = credentials(cast[role])
    schema = served_schema(headers, cookies)
    failures, skipped = run_schemathesis(schema, headers, cookies, world, started + BUDGET_SECONDS / len(ROLES))
    assert not skipped, f"out of time before: {skipped}"
    assert not failures, "\n\n".join(failures)


@pytest.mark.django_db
def test_admin_invalid_requests_are_refused(cast, world):
    """Negative cases (values the schema forbids): refused with a documented 4xx, never accepted, never a 5xx."""
    started = time.monotonic()
    headers, cookies = credentials(cast["admin"])
    schema = served_schema(headers, cookies)
    for operations in schema["paths"].values():  # the credentials are sent anyway: no case without them
        for operation in operations.values():
            operation.pop("security", None)
    failures, skipped = run_schemathesis(
        schema, headers, cookies, world, started + BUDGET_SECONDS / len(ROLES), mode=GenerationMode.NEGATIVE,
        checks=[not_a_server_error, negative_data_rejection, status_code_conformance, content_type_conformance],
    )
    assert not skipped, f"out of time before: {skipped}"
    assert not failures, "\n\n".join(failures)


@pytest.mark.django_db
def test_a_response_outside_the_schema_fails_the_run(cast, world, monkeypatch):
    """The run bites: with the pyramid tier of an unranked customer back to "" (outside its enum,
    as before issue 14), schemathesis reports the operation."""
    from kehu.api.serializers import BlankAsNullChoiceField

    monkeypatch.setattr(BlankAsNullChoiceField, "to_representation", lambda self, value: value)
    headers, cookies = credentials(cast["rep_a"])
    failures, skipped = run_schemathesis(served_schema(headers, cookies), headers, cookies, world, time.monotonic() + 60,
                                         only={"GET /api/customers/{id}/"})
    assert not skipped and len(failures) == 1
    assert "Response violates schema" in failures[0] and '""' in failures[0]
