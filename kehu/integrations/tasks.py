"""Background tasks of the integrations app (Django's Tasks API, the django-tasks backport)."""

from django_tasks import task


@task()
def deliver_webhooks(delivery_ids: list[int]) -> int:
    """Send each delivery that is due (kehu.integrations.services.delivery_attempt); returns how
    many were sent successfully."""
    from kehu.integrations.models import WebhookDelivery
    from kehu.integrations.services import delivery_attempt

    sent = 0
    for pk in delivery_ids:
        delivery = delivery_attempt(delivery_id=pk)
        sent += bool(delivery and delivery.status == WebhookDelivery.Status.SUCCEEDED)
    return sent
