"""Reads of the webhook pages (admin only: the views check can_manage_webhooks first)."""

from django.db.models import Count, Q

from kehu.integrations.models import WebhookDelivery, WebhookSubscription


def subscription_list():
    return WebhookSubscription.objects.annotate(
        n_deliveries=Count("deliveries"),
        n_failed=Count("deliveries", filter=Q(deliveries__status=WebhookDelivery.Status.FAILED)),
    ).order_by("pk")


def delivery_list(*, status: str = "", subscription_id: int | None = None):
    qs = WebhookDelivery.objects.select_related("event", "subscription").order_by("-created_at", "-id")
    if status:
        qs = qs.filter(status=status)
    if subscription_id:
        qs = qs.filter(subscription_id=subscription_id)
    return qs
