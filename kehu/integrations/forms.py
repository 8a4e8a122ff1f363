from django import forms
from django.utils.translation import gettext_lazy as _

from kehu.core.events import EVENT_TYPES
from kehu.core.forms import StyledFormMixin
from kehu.integrations.models import WebhookDelivery

EVENT_LABELS = {
    "customer.created": _("Customer created"),
    "customer.updated": _("Customer changed"),
    "customer.owner_changed": _("Customer owner changed"),
    "opportunity.stage_changed": _("Opportunity stage changed"),
    "quote.approved": _("Quote approved"),
    "order.held": _("Order held by credit control"),
    "order.released": _("Order released"),
    "payment.recorded": _("Payment recorded"),
}


def event_label(event_type: str):
    return EVENT_LABELS.get(event_type, event_type)


class SubscriptionForm(StyledFormMixin, forms.Form):
    url = forms.URLField(label=_("Receiver URL"), max_length=500, assume_scheme="https",
                         help_text=_("Kehu sends a signed POST here for each event; redirects are not followed."))
    description = forms.CharField(label=_("Description"), max_length=200, required=False)
    event_types = forms.MultipleChoiceField(label=_("Events"), choices=[(t, EVENT_LABELS[t]) for t in EVENT_TYPES],
                                            widget=forms.CheckboxSelectMultiple)
    is_active = forms.BooleanField(label=_("Active"), required=False, initial=True)


class DeliveryFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("Status"), required=False,
                               choices=[("", _("All"))] + list(WebhookDelivery.Status.choices))
    subscription = forms.IntegerField(required=False, min_value=1, max_value=2**62)
