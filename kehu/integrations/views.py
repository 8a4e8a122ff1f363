"""The webhook pages (admin only; anyone else gets 403 as on the other settings pages):
subscriptions — list, new, edit (with the secret and its rotation), delete — and deliveries —
list (paginated), one delivery with its attempts, replay."""

import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from kehu.core.errors import DomainError
from kehu.core.pagination import paginate
from kehu.core.views import get_visible_or_404
from kehu.integrations import selectors, services
from kehu.integrations.forms import DeliveryFilterForm, SubscriptionForm, event_label
from kehu.integrations.models import WebhookAttempt, WebhookDelivery, WebhookSubscription
from kehu.integrations.permissions import can_manage_webhooks


def _admin(request) -> None:
    if not can_manage_webhooks(request.user):
        raise PermissionDenied


def _labelled(sub):
    sub.event_labels = [event_label(t) for t in sub.event_types]
    return sub


@login_required
def subscription_list_view(request):
    _admin(request)
    subs = [_labelled(s) for s in selectors.subscription_list()]
    return render(request, "integrations/subscription_list.html", {"subscriptions": subs, "nav": "webhooks"})


@login_required
@require_http_methods(["GET", "POST"])
def subscription_create_view(request):
    _admin(request)
    form = SubscriptionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            sub = services.subscription_create(actor=request.user, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Webhook saved. Give the signing secret to the receiver."))
            return redirect("integrations:subscription-edit", sub.pk)
    return render(request, "integrations/subscription_form.html", {"form": form, "nav": "webhooks"})


@login_required
@require_http_methods(["GET", "POST"])
def subscription_edit_view(request, pk):
    _admin(request)
    sub = get_visible_or_404(WebhookSubscription.objects.all(), pk=pk)
    initial = {"url": sub.url, "description": sub.description, "event_types": sub.event_types, "is_active": sub.is_active}
    form = SubscriptionForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.subscription_update(actor=request.user, subscription=sub, **form.cleaned_data)
        except DomainError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, _("Webhook saved."))
            return redirect("integrations:subscription-edit", sub.pk)
    recent = selectors.delivery_list(subscription_id=sub.pk)[:10]
    return render(request, "integrations/subscription_form.html",
                  {"form": form, "subscription": sub, "recent": recent, "nav": "webhooks"})


@login_required
@require_POST
def subscription_rotate_view(request, pk):
    _admin(request)
    sub = get_visible_or_404(WebhookSubscription.objects.all(), pk=pk)
    services.subscription_rotate_secret(actor=request.user, subscription=sub)
    messages.success(request, _("New signing secret made. Give it to the receiver: deliveries are signed with it from now on."))
    return redirect("integrations:subscription-edit", sub.pk)


@login_required
@require_http_methods(["GET", "POST"])
def subscription_delete_view(request, pk):
    _admin(request)
    sub = get_visible_or_404(WebhookSubscription.objects.all(), pk=pk)
    if request.method == "POST":
        services.subscription_delete(actor=request.user, subscription=sub)
        messages.success(request, _("Webhook deleted."))
        return redirect("integrations:subscription-list")
    return render(request, "integrations/subscription_confirm_delete.html", {"subscription": sub, "nav": "webhooks"})


@login_required
def delivery_list_view(request):
    _admin(request)
    form = DeliveryFilterForm(request.GET or None)
    status, sub_id = "", None
    if form.is_valid():
        status, sub_id = form.cleaned_data["status"] or "", form.cleaned_data["subscription"]
    page = paginate(selectors.delivery_list(status=status, subscription_id=sub_id), params=request.GET, page_size=50,
                    count_last_page=True)
    for d in page.rows:
        d.event_label = event_label(d.event.event_type)
    return render(request, "integrations/delivery_list.html", {"page": page, "form": form, "nav": "webhooks"})


@login_required
def delivery_detail_view(request, pk):
    _admin(request)
    delivery = get_visible_or_404(WebhookDelivery.objects.select_related("event", "subscription", "replay_of"), pk=pk)
    delivery.event_label = event_label(delivery.event.event_type)
    attempts = list(WebhookAttempt.objects.filter(delivery=delivery).order_by("number"))
    body = json.dumps(json.loads(services.delivery_body(delivery)), ensure_ascii=False, indent=2, sort_keys=True)  # as sent, laid out
    return render(request, "integrations/delivery_detail.html",
                  {"delivery": delivery, "attempts": attempts, "body": body, "nav": "webhooks"})


@login_required
@require_POST
def delivery_replay_view(request, pk):
    _admin(request)
    delivery = get_visible_or_404(WebhookDelivery.objects.all(), pk=pk)
    try:
        replay = services.delivery_replay(actor=request.user, delivery=delivery)
    except DomainError as exc:
        messages.warning(request, exc.message)
        return redirect("integrations:delivery-detail", delivery.pk)
    messages.success(request, _("The event is sent again as a new delivery."))
    return redirect("integrations:delivery-detail", replay.pk)
