"""Background tasks through the database backend and `kehu worker` (django-tasks-db): a webhook
delivery enqueued on commit is run by the worker; its retry waits in the queue until its time."""

import hashlib
import hmac
import signal

import pytest
from django.core.management import call_command

from kehu.customers.services import customer_create
from kehu.integrations import services as svc
from kehu.integrations.models import WebhookAttempt, WebhookDelivery


@pytest.fixture
def keep_signals():
    saved = {s: signal.getsignal(s) for s in (signal.SIGINT, signal.SIGTERM, signal.SIGQUIT)}
    yield
    for s, handler in saved.items():
        signal.signal(s, handler)


def run_worker():
    call_command("worker", "--batch", "--no-startup-delay", "--interval", "0", verbosity=0)


@pytest.mark.django_db(transaction=True)
def test_the_worker_delivers_what_the_commit_enqueued_and_defers_the_retry(admin, rep_a, receiver_factory, settings, keep_signals):
    from django_tasks_db.models import DBTaskResult

    assert settings.TASKS["default"]["BACKEND"] == "django_tasks_db.DatabaseBackend"
    receiver = receiver_factory((500, 200))
    sub = svc.subscription_create(actor=admin, url=receiver.url, event_types=["customer.created"])
    customer_create(actor=rep_a, data={"name": "任务队列测试有限公司", "kind": "company", "phone": "13600002222"})
    task = DBTaskResult.objects.get()
    assert task.task_path == "kehu.integrations.tasks.deliver_webhooks" and task.status == "READY"
    delivery = WebhookDelivery.objects.get()
    assert task.args_kwargs == {"args": [[delivery.pk]], "kwargs": {}}
    assert receiver.requests == []  # nothing is sent in the writer's request

    run_worker()
    delivery.refresh_from_db()
    assert len(receiver.requests) == 1 and delivery.status == WebhookDelivery.Status.RETRYING
    head = receiver.requests[0]["headers"]
    mac = hmac.new(sub.secret.encode(), head["X-Kehu-Timestamp"].encode() + b"." + receiver.requests[0]["body"], hashlib.sha256)
    assert head["X-Kehu-Signature"] == "sha256=" + mac.hexdigest()
    assert DBTaskResult.objects.get(pk=task.pk).status == "SUCCESSFUL"
    retry = DBTaskResult.objects.exclude(pk=task.pk).get()
    assert retry.status == "READY" and retry.run_after == delivery.next_attempt_at
    run_worker()  # not due yet: the worker leaves it
    assert len(receiver.requests) == 1

    DBTaskResult.objects.filter(pk=retry.pk).update(run_after=delivery.last_attempt_at)  # its time has come
    WebhookDelivery.objects.filter(pk=delivery.pk).update(next_attempt_at=delivery.last_attempt_at)
    run_worker()
    delivery.refresh_from_db()
    assert len(receiver.requests) == 2 and delivery.status == WebhookDelivery.Status.SUCCEEDED
    assert list(WebhookAttempt.objects.order_by("number").values_list("response_code", flat=True)) == [500, 200]
