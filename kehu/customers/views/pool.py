"""The public pool (公海) page, claim and release, and the handover (交接) page."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_http_methods

from kehu.accounts.models import User
from kehu.accounts.visibility import visible_users
from kehu.core.models import CompanySettings
from kehu.core.pagination import paginate
from kehu.core.views import is_partial
from kehu.customers import permissions, selectors, services
from kehu.customers.errors import CustomerError, PoolError
from kehu.customers.models import Customer
from kehu.customers.services.handover import handover_history, handover_related_counts
from kehu.customers.services.pool import (
    RETURNED_FROM_DAYS,
    pool_reclaim_from,
    pool_returned_from,
    pool_returning_soon,
    pool_standing,
)

ROW = "customers/pool_list.html#pool-row"


def _next_url(request, default: str) -> str:
    url = request.POST.get("next") or ""
    if url and url_has_allowed_host_and_scheme(url, allowed_hosts={request.get_host()}, require_https=request.is_secure()):
        return url
    return default


def _mark_cooldown(rows, *, user, conf) -> None:
    """Tell the former owner, row by row, from which day they may claim again (the service decides)."""
    today = timezone.localdate()
    for row in rows:
        row.reclaim_from = None
        if row.previous_owner_id == user.pk:
            day = pool_reclaim_from(row, cooldown_days=conf.pool_reclaim_cooldown_days)
            if day and day > today:
                row.reclaim_from = day


@login_required
def pool_list_view(request):
    user = request.user
    conf = CompanySettings.load()
    page = paginate(selectors.customer_list(user=user, params=request.GET, pool=True), params=request.GET)
    _mark_cooldown(page.rows, user=user, conf=conf)
    context = {
        "nav": "pool",
        "page": page,
        "conf": conf,
        "can_claim": user.is_rep or user.is_manager,
        "params": request.GET,
    }
    if is_partial(request) and request.htmx.target == "pool-results":
        return render(request, "customers/pool_list.html#pool-results", context)
    holds_customers = user.is_rep or user.is_manager
    context.update({
        "choices": selectors.filter_choices(user=user),
        "stages": Customer.Stage.choices,
        "lead_sources": Customer.LeadSource.choices,
        "kinds": Customer.Kind.choices,
        "show_mine": holds_customers,
        "returning": pool_returning_soon(user=user, conf=conf) if holds_customers else [],
        "returned": pool_returned_from(user=user) if holds_customers else [],
        "returned_days": RETURNED_FROM_DAYS,
        "standing": pool_standing(user=user, conf=conf) if holds_customers else None,
    })
    return render(request, "customers/pool_list.html", context)


def _claimed_message(customer) -> str:
    return _("You claimed %(name)s (%(code)s). It is now yours.") % {"name": customer.name, "code": customer.code}


@login_required
@require_http_methods(["GET", "POST"])
def customer_claim_view(request, pk):
    """GET: what claiming means (the user's standing against the limits), with the button that
    claims. POST: claim. With htmx (the pool page, after its confirm dialog) the row is swapped
    and the page's counts and a message follow out of band."""
    try:
        customer = selectors.customer_get_visible_or_404(user=request.user, pk=pk)
    except Http404:
        if request.htmx and request.method == "POST":  # the same answer for "claimed by someone else" and "never existed"
            return render(request, ROW, {"gone": True, "pk": pk}, status=200)
        raise
    if request.method == "GET":
        return _claim_confirm(request, customer)
    error = None
    try:
        customer = services.customer_claim(actor=request.user, customer=customer)
    except PermissionDenied:
        raise Http404
    except PoolError as exc:
        error = exc.message
    if request.htmx:
        conf = CompanySettings.load()
        _mark_cooldown([customer], user=request.user, conf=conf)
        return render(request, ROW, {
            "c": customer, "error": error, "claimed": error is None,
            "can_claim": True, "next": request.POST.get("next", ""),
            "standing": pool_standing(user=request.user, conf=conf) if error is None else None,
            "claimed_message": _claimed_message(customer) if error is None else "",
        })
    if error:
        messages.error(request, error)
    else:
        messages.success(request, _claimed_message(customer))
    return redirect(_next_url(request, reverse("customers:pool")))


def _claim_confirm(request, customer):
    if customer.owner_id is not None:
        messages.info(request, _("This customer is no longer in the pool."))
        return redirect("customers:detail", pk=customer.pk)
    if not permissions.can_claim_customer(request.user, customer):
        raise Http404
    conf = CompanySettings.load()
    _mark_cooldown([customer], user=request.user, conf=conf)
    nxt = request.GET.get("next", "")
    if not (nxt and url_has_allowed_host_and_scheme(nxt, allowed_hosts={request.get_host()}, require_https=request.is_secure())):
        nxt = reverse("customers:detail", args=[customer.pk])
    return render(request, "customers/pool_claim.html", {
        "nav": "pool", "customer": customer, "conf": conf, "next": nxt,
        "standing": pool_standing(user=request.user, conf=conf),
    })


@login_required
def customer_release_view(request, pk):
    """GET: the confirmation page with the reason field. POST: release to the pool."""
    customer = selectors.customer_get_visible_or_404(user=request.user, pk=pk)
    detail = reverse("customers:detail", args=[customer.pk])
    if customer.in_pool:
        messages.info(request, _("This customer is already in the pool."))
        return redirect(detail)
    if not permissions.can_release_customer(request.user, customer):
        raise Http404
    reason = ""
    if request.method == "POST":
        reason = request.POST.get("reason", "")
        try:
            services.customer_release(actor=request.user, customer=customer, reason=reason)
        except PermissionDenied:
            raise Http404
        except PoolError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, _("%(name)s (%(code)s) is back in the public pool.") % {"name": customer.name, "code": customer.code})
            return redirect(detail)
    return render(request, "customers/pool_release.html", {
        "nav": "customers", "customer": customer, "reason": reason,
        "cooldown_days": CompanySettings.load().pool_reclaim_cooldown_days,
    })


# --- handover ------------------------------------------------------------------------------

def _handover_people(user):
    """Who `user` may hand over from (sales people they see, and anyone — even disabled —
    holding a customer they see) and to (active sales people they see)."""
    sales = visible_users(user).filter(role__in=[User.Role.REP, User.Role.MANAGER])
    holders = Customer.objects.visible_to(user).filter(owner__isnull=False).values("owner_id")
    from_choices = User.objects.filter(Q(pk__in=sales.values("pk")) | Q(pk__in=holders)).order_by("-is_active", "name", "username")
    return list(from_choices), list(sales.order_by("name", "username"))


def _pick(choices, value):
    """The chosen user, None when nothing was chosen, 404 for an id the page never offered."""
    if value in (None, ""):
        return None
    user = next((u for u in choices if str(u.pk) == str(value)), None)
    if user is None:
        raise Http404
    return user


def _parse_ids(values) -> list[int]:
    ids = []
    for value in values:
        for part in str(value).split(","):
            part = part.strip()
            if part:
                if not part.isdigit():
                    raise Http404
                ids.append(int(part))
    return sorted(set(ids))


@login_required
def handover_view(request):
    """Step 1 choose the two people; step 2 choose the customers; confirm; hand over."""
    user = request.user
    if not (user.is_active and (user.is_manager or user.is_admin_role)):
        raise Http404
    data = request.POST if request.method == "POST" else request.GET
    from_choices, to_choices = _handover_people(user)
    from_user = _pick(from_choices, data.get("from_user"))
    to_user = _pick(to_choices, data.get("to_user"))
    context = {"nav": "handover", "from_choices": from_choices, "to_choices": to_choices,
               "from_user": from_user, "to_user": to_user, "error": None}

    if request.method == "POST" and from_user and to_user:
        action = data.get("action")
        if action == "execute":
            return _handover_execute(request, from_user=from_user, to_user=to_user, ids=_parse_ids(data.getlist("ids")))
        if action == "confirm":
            response = _handover_confirm(request, context)
            if response is not None:
                return response

    if from_user and to_user and from_user.pk == to_user.pk:
        context["error"] = _("Choose two different people.")
    elif from_user and to_user:
        rows = list(selectors.customer_list(user=user, params={"owner": str(from_user.pk), "sort": "name"}))
        context.update({
            "rows": rows,
            "related": handover_related_counts(from_user=from_user, customer_ids=[c.pk for c in rows]),
            "chosen": set(_parse_ids(data.getlist("customer"))),
            "scope": data.get("scope", "all"),
        })
    elif request.GET.get("step") == "2":
        context["error"] = _("Choose who hands over and who takes over.")
    if is_partial(request) and request.htmx.target == "handover-step2":
        return render(request, "customers/handover.html#step2", context)
    context["history"] = handover_history(user=user)
    return render(request, "customers/handover.html", context)


def _handover_confirm(request, context):
    """The page that states "N customers from X to Y" before anything is written."""
    user, from_user, to_user = request.user, context["from_user"], context["to_user"]
    if from_user.pk == to_user.pk:
        return None
    owned = Customer.objects.visible_to(user).filter(owner=from_user)
    if request.POST.get("scope") == "chosen":
        owned = owned.filter(pk__in=_parse_ids(request.POST.getlist("customer")))
    customers = list(owned.order_by("name_pinyin", "pk").only("pk", "name", "code"))
    if not customers:
        messages.error(request, _("Choose at least one customer to hand over."))
        return None
    ids = [c.pk for c in customers]
    return render(request, "customers/handover_confirm.html", {
        **context,
        "customers": customers,
        "count": len(ids),
        "ids": ",".join(str(pk) for pk in ids),
        "related": handover_related_counts(from_user=from_user, customer_ids=ids),
        "everything": request.POST.get("scope") != "chosen",
    })


def _handover_execute(request, *, from_user, to_user, ids):
    step2 = reverse("customers:handover") + f"?from_user={from_user.pk}&to_user={to_user.pk}"
    try:
        handover = services.customer_handover(
            actor=request.user, from_user=from_user, to_user=to_user, customer_ids=ids, note=request.POST.get("note", ""),
        )
    except PermissionDenied:
        raise Http404
    except CustomerError as exc:
        messages.error(request, exc.message)
        return redirect(step2)
    messages.success(request, ngettext(
        "%(count)d customer handed over from %(from)s to %(to)s.",
        "%(count)d customers handed over from %(from)s to %(to)s.",
        handover.customer_count,
    ) % {"count": handover.customer_count, "from": from_user, "to": to_user})
    return redirect("customers:handover")
