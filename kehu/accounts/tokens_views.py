"""The user's own settings page (/accounts/me/): API tokens, the calendar feed's address, and a
link to the API documentation (issue 14). Everything here is the signed-in user's own: a token
of somebody else is 404, like any record one may not see."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from kehu.accounts.tokens import (
    MAX_TOKENS_PER_USER,
    AccessToken,
    TokenLimitReached,
    access_token_create,
    access_token_for_user_or_none,
    access_token_list,
    access_token_revoke,
    calendar_feed_get,
    calendar_feed_reset,
)
from kehu.core.forms import DateField, StyledFormMixin

TOKENS_SHOWN = 100  # the newest tokens, revoked and expired ones included


class TokenForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label=gettext_lazy("Name"), max_length=100, help_text=gettext_lazy("What the token is for, e.g. the ERP sync."))
    scope = forms.ChoiceField(label=gettext_lazy("Access"), choices=AccessToken.Scope.choices, initial=AccessToken.Scope.READ, widget=forms.RadioSelect)
    expires_on = DateField(label=gettext_lazy("Expires after"), required=False, help_text=gettext_lazy("The last day it works. Empty: until revoked."))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["scope"].widget.attrs.update({"class": "btn-check", "autocomplete": "off"})

    def clean_name(self):
        name = self.cleaned_data["name"].strip()
        if not name:
            raise forms.ValidationError(_("Give the token a name."))
        return name

    def clean_expires_on(self):
        day = self.cleaned_data.get("expires_on")
        if day is not None and day < timezone.localdate():
            raise forms.ValidationError(_("The expiry date is in the past."))
        return day


def feed_url(request, feed) -> str | None:
    if feed is None:
        return None
    from django.conf import settings

    path = reverse("activities:calendar-feed", kwargs={"key": feed.key})
    return (settings.KEHU_SITE_URL or request.build_absolute_uri("/").rstrip("/")) + path


def _page(request, *, form=None, new_token=None, new_raw=None, status=200):
    user = request.user
    tokens = list(access_token_list(user=user)[:TOKENS_SHOWN])
    now = timezone.now()
    for token in tokens:
        token.state = "revoked" if token.is_revoked else "expired" if token.is_expired(now) else "live"
    context = {
        "form": form or TokenForm(),
        "tokens": tokens,
        "new_token": new_token,
        "new_raw": new_raw,
        "holds_followups": user.is_rep or user.is_manager or user.is_admin_role,
        "feed_url": feed_url(request, calendar_feed_get(user=user)),
        "max_tokens": MAX_TOKENS_PER_USER,
    }
    return render(request, "accounts/me.html", context, status=status)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def me_view(request):
    """GET: the page. POST: make a token and show it, once (the answer is not a redirect, so the
    token is never stored anywhere, not even in the session)."""
    if request.method != "POST":
        return _page(request)
    form = TokenForm(request.POST)
    if not form.is_valid():
        return _page(request, form=form, status=400)
    try:
        token, raw = access_token_create(actor=request.user, name=form.cleaned_data["name"], scope=form.cleaned_data["scope"],
                                         expires_on=form.cleaned_data["expires_on"])
    except TokenLimitReached:
        form.add_error(None, _("You have %(count)d live tokens: revoke one first.") % {"count": MAX_TOKENS_PER_USER})
        return _page(request, form=form, status=400)
    return _page(request, new_token=token, new_raw=raw)


@login_required
@require_http_methods(["GET", "HEAD", "POST"])
def token_revoke_view(request):
    """GET ?token=<id>: ask; POST token=<id>: revoke. Only one's own tokens (else 404)."""
    token = access_token_for_user_or_none(user=request.user, token_id=request.POST.get("token") or request.GET.get("token"))
    if token is None:
        raise Http404
    if request.method != "POST":
        return render(request, "accounts/token_revoke.html", {"token": token})
    access_token_revoke(actor=request.user, token=token)
    messages.success(request, _("Token “%(name)s” revoked: programs using it are refused from now on.") % {"name": token.name})
    return redirect("accounts:me")


@login_required
@require_POST
def calendar_feed_reset_view(request):
    had = calendar_feed_get(user=request.user) is not None
    calendar_feed_reset(actor=request.user)
    if had:
        messages.success(request, _("New calendar address made: the old one no longer works."))
    else:
        messages.success(request, _("Calendar address made: add it to your calendar app as a subscription."))
    return redirect(reverse("accounts:me") + "#calendar")
