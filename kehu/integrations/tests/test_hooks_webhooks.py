"""Webhooks (issue 14): the outbox written in the writer's transaction, signed deliveries to a
receiver on loopback, retries with backoff, replay, every event type from its service, the pages."""

import hashlib
import hmac
import json
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from kehu.customers.models import Customer
from kehu.customers.services import customer_create, customer_update
from kehu.customers.services.handover import customer_handover
from kehu.customers.services.pool import customer_claim, customer_release
from kehu.integrations import services as svc
from kehu.integrations.models import WebhookAttempt, WebhookDelivery, WebhookEvent, WebhookSubscription
from kehu.sales.models import OpportunityStage, Product

pytestmark = pytest.mark.django_db
D = Decimal
Status = WebhookDelivery.Status
ALL = ["customer.created", "customer.updated", "customer.owner_changed", "opportunity.stage_changed",
       "quote.approved", "order.held", "order.released", "payment.recorded"]
T0 = timezone.now().replace(microsecond=0) + timedelta(days=1)  # later than every delivery the tests make


def subscribe(admin, url, events=ALL, **kw) -> WebhookSubscription:
    return svc.subscription_create(actor=admin, url=url, event_types=events, **kw)


def verify(secret: str, headers: dict, body: bytes) -> bool:
    expected = "sha256=" + hmac.new(secret.encode(), headers["X-Kehu-Timestamp"].encode() + b"." + body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, headers["X-Kehu-Signature"])


def new_customer(rep, name="甲乙丙科技有限公司", phone="13500001111"):
    return customer_create(actor=rep, data={"name": name, "kind": "company", "phone": phone, "province": "广东"})


# --- a delivery, signed, to a receiver on loopback ---------------------------------------------

def test_receiver_gets_a_signed_delivery_with_the_event(admin, rep_a, receiver, django_capture_on_commit_callbacks):
    sub = subscribe(admin, receiver.url, ["customer.created"])
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        customer = new_customer(rep_a)
    assert len(callbacks) == 1  # the delivery is enqueued once the write commits
    delivery = WebhookDelivery.objects.get()
    assert delivery.status == Status.PENDING and delivery.subscription == sub
    svc.delivery_attempt(delivery_id=delivery.pk, now=T0)

    assert len(receiver.requests) == 1
    req = receiver.requests[0]
    headers, body = req["headers"], req["body"]
    assert req["path"] == "/hooks/kehu"
    assert verify(sub.secret, headers, body)
    assert not verify("whsec_wrong", headers, body)
    assert headers["X-Kehu-Event"] == "customer.created"
    assert headers["X-Kehu-Delivery"] == str(delivery.uid)
    assert headers["X-Kehu-Timestamp"] == str(int(T0.timestamp()))
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    doc = json.loads(body)
    event = WebhookEvent.objects.get()
    assert doc["id"] == str(event.uid) == headers["X-Kehu-Event-Id"]
    assert doc["type"] == "customer.created" and doc["object"] == "customer"
    customer.refresh_from_db()
    assert doc["data"]["id"] == customer.pk and doc["data"]["code"] == customer.code
    assert doc["data"]["name"] == "甲乙丙科技有限公司" and doc["data"]["owner"] == rep_a.pk
    assert doc["data"]["owner_username"] == "rep_a" and doc["data"]["stage"] == "target" and doc["data"]["province"] == "广东"

    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED and delivery.attempt_count == 1 and delivery.next_attempt_at is None
    attempt = WebhookAttempt.objects.get()
    assert attempt.number == 1 and attempt.response_code == 200 and attempt.succeeded
    assert json.loads(attempt.response_body) == {"received": 1, "status": 200}


def test_no_event_and_no_delivery_when_the_write_rolls_back(admin, rep_a, receiver, django_capture_on_commit_callbacks):
    subscribe(admin, receiver.url)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError):
            with transaction.atomic():
                new_customer(rep_a)
                raise RuntimeError("the writer fails after the service")
    assert not callbacks
    assert not Customer.objects.filter(name="甲乙丙科技有限公司").exists()
    assert WebhookEvent.objects.count() == 0 and WebhookDelivery.objects.count() == 0
    assert receiver.requests == []


def test_no_subscription_no_outbox_row(rep_a):
    new_customer(rep_a)
    assert WebhookEvent.objects.count() == 0


def test_an_inactive_subscription_or_another_event_gets_nothing(admin, rep_a, receiver):
    subscribe(admin, receiver.url, ["payment.recorded"])
    subscribe(admin, receiver.url, ["customer.created"], is_active=False)
    new_customer(rep_a)
    assert WebhookEvent.objects.count() == 0


# --- retries with backoff ------------------------------------------------------------------------

def test_500_then_200_is_retried_after_the_backoff_and_every_attempt_logged(admin, rep_a, receiver_factory,
                                                                             django_capture_on_commit_callbacks):
    receiver = receiver_factory((500, 200))
    sub = subscribe(admin, receiver.url, ["customer.created"])
    new_customer(rep_a)
    delivery = WebhookDelivery.objects.get()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        svc.delivery_attempt(delivery_id=delivery.pk, now=T0)
    assert len(callbacks) == 1  # the retry is enqueued for later
    delivery.refresh_from_db()
    assert delivery.status == Status.RETRYING and delivery.attempt_count == 1 and delivery.last_response_code == 500
    assert delivery.next_attempt_at == T0 + timedelta(minutes=1)

    svc.delivery_attempt(delivery_id=delivery.pk, now=T0 + timedelta(seconds=59))  # not due yet: nothing sent
    assert len(receiver.requests) == 1

    svc.delivery_attempt(delivery_id=delivery.pk, now=T0 + timedelta(minutes=1))
    delivery.refresh_from_db()
    assert delivery.status == Status.SUCCEEDED and delivery.attempt_count == 2 and delivery.next_attempt_at is None
    attempts = list(WebhookAttempt.objects.order_by("number").values_list("number", "response_code", "succeeded", "started_at"))
    assert attempts == [(1, 500, False, T0), (2, 200, True, T0 + timedelta(minutes=1))]
    assert json.loads(WebhookAttempt.objects.get(number=1).response_body)["status"] == 500
    # the same event and body both times, a new timestamp and signature
    first, second = receiver.requests
    assert first["body"] == second["body"] and first["headers"]["X-Kehu-Delivery"] == second["headers"]["X-Kehu-Delivery"]
    assert verify(sub.secret, second["headers"], second["body"])
    # a late duplicate task does nothing
    svc.delivery_attempt(delivery_id=delivery.pk, now=T0 + timedelta(hours=1))
    assert len(receiver.requests) == 2


def test_the_backoff_is_1_5_30_minutes_2_and_12_hours_then_failed(admin, rep_a):
    sub = subscribe(admin, "http://127.0.0.1:9/nowhere", ["customer.created"])
    new_customer(rep_a)
    delivery = WebhookDelivery.objects.get(subscription=sub)
    calls = []

    def refuse(url, body, headers, *, timeout):
        calls.append(url)
        return svc.SendResult(None, "", "ConnectionRefusedError: [Errno 111] Connection refused", 3)

    now, waits = T0, []
    for _ in range(6):
        svc.delivery_attempt(delivery_id=delivery.pk, now=now, send=refuse)
        delivery.refresh_from_db()
        if delivery.next_attempt_at:
            waits.append(delivery.next_attempt_at - now)
            now = delivery.next_attempt_at
    assert waits == [timedelta(minutes=1), timedelta(minutes=5), timedelta(minutes=30), timedelta(hours=2), timedelta(hours=12)]
    assert delivery.status == Status.FAILED and delivery.attempt_count == 6 and len(calls) == 6
    assert WebhookAttempt.objects.filter(delivery=delivery, error__startswith="ConnectionRefusedError").count() == 6


def test_a_network_error_and_a_timeout_are_logged_and_retried(admin, rep_a, receiver_factory, settings):
    settings.KEHU_WEBHOOK_TIMEOUT = 0.3
    slow = receiver_factory((200,), delay=1.0)
    subscribe(admin, slow.url, ["customer.created"])
    closed = receiver_factory((200,))
    closed_url = closed.url
    closed.close()
    subscribe(admin, closed_url, ["customer.created"])
    new_customer(rep_a)
    for d in WebhookDelivery.objects.all():
        svc.delivery_attempt(delivery_id=d.pk, now=T0)
    rows = {d.subscription.url: d for d in WebhookDelivery.objects.select_related("subscription")}
    for url in (slow.url, closed_url):
        assert rows[url].status == Status.RETRYING and rows[url].last_response_code is None
        attempt = WebhookAttempt.objects.get(delivery=rows[url])
        assert attempt.error and attempt.response_code is None and not attempt.succeeded
    assert "timed out" in WebhookAttempt.objects.get(delivery=rows[slow.url]).error.lower()


def test_a_redirect_is_not_followed(admin, rep_a, receiver_factory):
    elsewhere = receiver_factory((200,))
    redirecting = receiver_factory((302,), location=elsewhere.url)
    subscribe(admin, redirecting.url, ["customer.created"])
    new_customer(rep_a)
    delivery = WebhookDelivery.objects.get()
    svc.delivery_attempt(delivery_id=delivery.pk, now=T0)
    delivery.refresh_from_db()
    assert len(redirecting.requests) == 1 and elsewhere.requests == []
    assert delivery.status == Status.RETRYING and delivery.last_response_code == 302


def test_a_rotated_secret_signs_the_next_attempt(admin, rep_a, receiver_factory):
    receiver = receiver_factory((500, 200))
    sub = subscribe(admin, receiver.url, ["customer.created"])
    old = sub.secret
    new_customer(rep_a)
    delivery = WebhookDelivery.objects.get()
    svc.delivery_attempt(delivery_id=delivery.pk, now=T0)
    sub = svc.subscription_rotate_secret(actor=admin, subscription=sub)
    assert sub.secret != old and sub.secret.startswith("whsec_")
    svc.delivery_attempt(delivery_id=delivery.pk, now=T0 + timedelta(minutes=1))
    first, second = receiver.requests
    assert verify(old, first["headers"], first["body"]) and verify(sub.secret, second["headers"], second["body"])
    assert not verify(old, second["headers"], second["body"])


# --- replay -------------------------------------------------------------------------------------

def test_admin_replays_a_delivery_from_the_page(admin, rep_a, receiver_factory, client, django_capture_on_commit_callbacks):
    receiver = receiver_factory((200,))
    sub = subscribe(admin, receiver.url, ["customer.created"])
    new_customer(rep_a)
    first = WebhookDelivery.objects.get()
    svc.delivery_attempt(delivery_id=first.pk, now=T0)
    client.force_login(admin)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        response = client.post(reverse("integrations:delivery-replay", args=[first.pk]))
    replay = WebhookDelivery.objects.exclude(pk=first.pk).get()
    assert response.status_code == 302 and response["Location"] == reverse("integrations:delivery-detail", args=[replay.pk])
    assert len(callbacks) == 1
    assert replay.event_id == first.event_id and replay.replay_of == first and replay.status == Status.PENDING
    svc.delivery_attempt(delivery_id=replay.pk, now=T0 + timedelta(hours=1))
    one, two = receiver.requests
    assert one["body"] == two["body"] and one["headers"]["X-Kehu-Event-Id"] == two["headers"]["X-Kehu-Event-Id"]
    assert one["headers"]["X-Kehu-Delivery"] != two["headers"]["X-Kehu-Delivery"] == str(replay.uid)
    assert verify(sub.secret, two["headers"], two["body"])


def test_a_failed_delivery_is_replayed(admin, rep_a, receiver):
    subscribe(admin, receiver.url, ["customer.created"])
    new_customer(rep_a)
    failed = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=failed.pk).update(status=Status.FAILED, attempt_count=6, next_attempt_at=None)
    replay = svc.delivery_replay(actor=admin, delivery=failed)
    svc.delivery_attempt(delivery_id=replay.pk)
    replay.refresh_from_db()
    assert replay.status == Status.SUCCEEDED and len(receiver.requests) == 1
    assert WebhookDelivery.objects.get(pk=failed.pk).status == Status.FAILED  # the old one keeps its history


def test_requeue_sends_what_a_killed_worker_left(admin, rep_a, receiver):
    subscribe(admin, receiver.url, ["customer.created"])
    new_customer(rep_a)
    d = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=d.pk).update(status=Status.SENDING, attempt_count=1, last_attempt_at=T0)
    assert svc.deliveries_requeue_stranded(now=T0 + timedelta(minutes=5)) == 0
    assert svc.deliveries_requeue_stranded(now=T0 + timedelta(minutes=16)) == 1
    d.refresh_from_db()
    assert d.status == Status.RETRYING
    svc.delivery_attempt(delivery_id=d.pk, now=T0 + timedelta(minutes=16))
    d.refresh_from_db()
    assert d.status == Status.SUCCEEDED and d.attempt_count == 2


# --- each event type from its service -----------------------------------------------------------

@pytest.fixture
def hooked(admin, receiver):
    return subscribe(admin, receiver.url)


def events():
    return list(WebhookEvent.objects.order_by("id").values_list("event_type", "object_type", "object_id"))


def test_customer_events(hooked, admin, rep_a, rep_a2, manager_a, pool_customer):
    customer = new_customer(rep_a)
    customer_update(actor=rep_a, customer=customer, data={"city": "深圳"})
    customer_update(actor=rep_a, customer=customer, data={"city": "深圳"})  # nothing changed: no event
    customer_release(actor=rep_a, customer=customer, reason="不再跟进")
    customer_claim(actor=rep_a2, customer=pool_customer)
    customer_handover(actor=manager_a, from_user=rep_a2, to_user=rep_a, customer_ids=[pool_customer.pk])
    assert events() == [
        ("customer.created", "customer", customer.pk),
        ("customer.updated", "customer", customer.pk),
        ("customer.owner_changed", "customer", customer.pk),
        ("customer.owner_changed", "customer", pool_customer.pk),
        ("customer.owner_changed", "customer", pool_customer.pk),
    ]
    rows = list(WebhookEvent.objects.order_by("id"))
    assert rows[1].data["city"] == "深圳" and rows[1].data["changes"] == {"fields": ["city"]}
    assert rows[2].data["owner"] is None and rows[2].data["changes"] == {"owner": [rep_a.pk, None], "reason": "release"}
    assert rows[3].data["changes"] == {"owner": [None, rep_a2.pk], "reason": "claim"} and rows[3].actor == rep_a2
    assert rows[4].data["owner"] == rep_a.pk and rows[4].data["changes"] == {"owner": [rep_a2.pk, rep_a.pk], "reason": "handover"}
    assert WebhookDelivery.objects.count() == 5


def test_the_automatic_return_to_the_pool_changes_the_owner(hooked, rep_a, customer_a):
    from kehu.core.models import CompanySettings
    from kehu.customers.services.pool import pool_run_returns

    conf = CompanySettings.load()
    conf.pool_return_days = 90
    conf.save()
    Customer.objects.filter(pk=customer_a.pk).update(pool_clock_at=timezone.now() - timedelta(days=91))
    assert pool_run_returns() == 1
    assert events() == [("customer.owner_changed", "customer", customer_a.pk)]
    event = WebhookEvent.objects.get()
    assert event.actor is None and event.data["owner"] is None
    assert event.data["changes"] == {"owner": [rep_a.pk, None], "reason": "return"}


def test_opportunity_stage_changed(hooked, rep_a, customer_a):
    from kehu.sales.services import opportunity_create, opportunity_move

    opp = opportunity_create(actor=rep_a, customer=customer_a, title="ERP", amount="120000.50")
    assert events() == []
    opportunity_move(actor=rep_a, opportunity=opp, stage=OpportunityStage.objects.get(code="proposal"))
    assert events() == [("opportunity.stage_changed", "opportunity", opp.pk)]
    data = WebhookEvent.objects.get().data
    assert data["stage"] == "proposal" and data["amount"] == "120000.50" and data["customer_code"] == customer_a.code
    assert data["changes"] == {"stage": ["first_contact", "proposal"]}


@pytest.fixture
def product(db):
    return Product.objects.create(code="P1", name="Widget", list_price=D("100.0000"), unit_cost=D("60.0000"))


def test_quote_approved_at_submission_and_by_the_approver(hooked, rep_a, manager_a, customer_a, product):
    from kehu.core.models import CompanySettings
    from kehu.sales import services as q

    conf = CompanySettings.load()
    conf.default_max_discount_pct = D("5")
    conf.save()
    within = q.quote_submit(actor=rep_a, quote=q.quote_create(actor=rep_a, customer=customer_a, lines=[
        {"product": product, "quantity": "1", "discount_pct": "0"}]))
    above = q.quote_submit(actor=rep_a, quote=q.quote_create(actor=rep_a, customer=customer_a, lines=[
        {"product": product, "quantity": "2", "discount_pct": "20"}]))
    assert events() == [("quote.approved", "quote", within.pk)]
    q.quote_decide(actor=manager_a, quote=above, approve=True)
    assert events() == [("quote.approved", "quote", within.pk), ("quote.approved", "quote", above.pk)]
    data = WebhookEvent.objects.get(object_id=above.pk).data
    assert data["total"] == "160.00" and data["status"] == "approved" and data["decided_by"] == manager_a.pk
    assert data["changes"] == {"by": "approver"}


def test_order_held_and_released(hooked, rep_a, finance, customer_a, product):
    from kehu.finance.services import orders as o

    customer_a.credit_limit = D("10.00")
    customer_a.save(update_fields=["credit_limit"])
    order = o.order_create(actor=rep_a, customer=customer_a, order_date=date(2026, 6, 30), currency="CNY",
                           lines=[{"product": product, "quantity": D("1")}])
    o.order_confirm(actor=rep_a, order=order, today=date(2026, 6, 30))
    o.order_release(actor=finance, order=order, reason="预付款已到账")
    assert events() == [("order.held", "order", order.pk), ("order.released", "order", order.pk)]
    held, released = WebhookEvent.objects.order_by("id")
    assert held.data["changes"] == {"total": "100.00", "reasons": ["credit_limit"]} and held.data["code"] == order.code
    assert released.data["status"] == "confirmed" and released.data["changes"] == {"reason": "预付款已到账"}


def test_payment_recorded(hooked, finance, customer_a):
    from kehu.finance.services import payment_record

    payment = payment_record(actor=finance, customer=customer_a, amount=D("1234.56"), paid_on=date(2026, 2, 10))
    assert ("payment.recorded", "payment", payment.pk) in events()
    data = WebhookEvent.objects.get(event_type="payment.recorded").data
    assert data["amount"] == "1234.56" and data["on_account"] == "1234.56" and data["paid_on"] == "2026-02-10"
    assert data["customer"] == customer_a.pk and data["code"] == payment.code


# --- the pages: admin only ------------------------------------------------------------------------

ROUTES = [
    ("integrations:subscription-list", False), ("integrations:subscription-create", False),
    ("integrations:subscription-edit", True), ("integrations:subscription-rotate", True),
    ("integrations:subscription-delete", True), ("integrations:delivery-list", False),
    ("integrations:delivery-detail", "delivery"), ("integrations:delivery-replay", "delivery"),
]


def _url(name, kind, sub, delivery):
    if kind is True:
        return reverse(name, args=[sub.pk])
    if kind == "delivery":
        return reverse(name, args=[delivery.pk])
    return reverse(name)


@pytest.mark.parametrize("who", ["director", "manager_a", "rep_a", "finance"])
def test_everyone_but_the_admin_is_refused_every_page(who, cast, receiver, client):
    sub = subscribe(cast["admin"], receiver.url)
    new_customer(cast["rep_a"])
    delivery = WebhookDelivery.objects.get()
    before = (list(WebhookSubscription.objects.values_list("pk", "url", "secret", "event_types")), WebhookDelivery.objects.count())
    client.force_login(cast[who])
    for name, kind in ROUTES:
        url = _url(name, kind, sub, delivery)
        assert client.get(url).status_code in {403, 405}, url
        assert client.post(url, {"url": "http://127.0.0.1:1/x", "event_types": ALL}).status_code == 403, url
    assert (list(WebhookSubscription.objects.values_list("pk", "url", "secret", "event_types")), WebhookDelivery.objects.count()) == before


def test_anonymous_is_sent_to_log_in(client, admin, receiver):
    sub = subscribe(admin, receiver.url)
    response = client.get(reverse("integrations:subscription-edit", args=[sub.pk]))
    assert response.status_code == 302 and reverse("accounts:login") in response["Location"]


def test_admin_creates_edits_rotates_and_deletes_a_webhook(admin, client, receiver):
    client.force_login(admin)
    assert client.get(reverse("integrations:subscription-list")).status_code == 200
    assert client.get(reverse("integrations:subscription-create")).status_code == 200
    response = client.post(reverse("integrations:subscription-create"), {
        "url": receiver.url, "description": "ERP", "event_types": ["customer.created", "payment.recorded"], "is_active": "on"})
    sub = WebhookSubscription.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("integrations:subscription-edit", args=[sub.pk])
    assert sub.event_types == ["customer.created", "payment.recorded"] and sub.is_active and sub.created_by == admin
    page = client.get(reverse("integrations:subscription-edit", args=[sub.pk])).content.decode()
    assert sub.secret in page
    client.post(reverse("integrations:subscription-edit", args=[sub.pk]), {"url": receiver.url, "event_types": ["order.held"]})
    sub.refresh_from_db()
    assert sub.event_types == ["order.held"] and not sub.is_active
    old = sub.secret
    client.post(reverse("integrations:subscription-rotate", args=[sub.pk]))
    sub.refresh_from_db()
    assert sub.secret != old and sub.secret_rotated_at
    assert client.get(reverse("integrations:subscription-delete", args=[sub.pk])).status_code == 200
    assert WebhookSubscription.objects.exists()
    client.post(reverse("integrations:subscription-delete", args=[sub.pk]))
    assert not WebhookSubscription.objects.exists()
    assert client.get(reverse("integrations:subscription-edit", args=[sub.pk])).status_code == 404


@pytest.mark.parametrize("url", ["ftp://example.com/x", "javascript:alert(1)", "http://user:pw@127.0.0.1/x"])
def test_a_bad_url_is_refused(admin, client, url):
    client.force_login(admin)
    response = client.post(reverse("integrations:subscription-create"), {"url": url, "event_types": ["order.held"]})
    assert response.status_code == 200 and not WebhookSubscription.objects.exists()


def test_the_deliveries_page_in_english_with_a_fixed_number_of_queries(admin, rep_a, receiver, client, django_assert_max_num_queries):
    subscribe(admin, receiver.url)
    subscribe(admin, receiver.url + "/2", ["customer.created"])
    for n in range(6):
        new_customer(rep_a, name=f"第{n}号测试有限公司", phone=f"1350000{n:04d}")
    ids = list(WebhookDelivery.objects.values_list("pk", flat=True))
    assert len(ids) == 12
    svc.delivery_attempt(delivery_id=ids[0], now=T0)
    admin.language = "en"
    admin.save(update_fields=["language"])
    client.force_login(admin)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("integrations:delivery-list"))
    body = response.content.decode()
    assert response.status_code == 200 and "Customer created" in body and "Send again" in body
    with django_assert_max_num_queries(12):
        assert client.get(reverse("integrations:delivery-list"), {"status": "succeeded"}).status_code == 200
    with django_assert_max_num_queries(12):
        assert client.get(reverse("integrations:subscription-list")).status_code == 200
    with django_assert_max_num_queries(14):
        assert client.get(reverse("integrations:delivery-detail", args=[ids[0]])).status_code == 200


# --- the immediate backend (KEHU_TASKS_BACKEND=immediate) -----------------------------------------

def test_the_immediate_backend_sends_on_commit_and_leaves_the_retry_to_the_sweep(admin, rep_a, receiver_factory, settings,
                                                                                  django_capture_on_commit_callbacks):
    settings.TASKS = {"default": {"BACKEND": "django_tasks.backends.immediate.ImmediateBackend"}}
    receiver = receiver_factory((503, 200))
    subscribe(admin, receiver.url, ["customer.created"])
    with django_capture_on_commit_callbacks(execute=True):
        new_customer(rep_a)
    delivery = WebhookDelivery.objects.get()
    assert len(receiver.requests) == 1 and delivery.status == Status.RETRYING and delivery.last_response_code == 503
    # the immediate backend cannot wait: no retry is run now; the sweep enqueues it once it is overdue
    assert svc.deliveries_requeue_stranded(now=delivery.next_attempt_at) == 0
    overdue = timezone.now() - svc.STRANDED_AFTER - timedelta(seconds=1)  # as if its time had come long ago
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=overdue)
    assert svc.deliveries_requeue_stranded() == 1
    delivery.refresh_from_db()
    assert len(receiver.requests) == 2 and delivery.status == Status.SUCCEEDED
