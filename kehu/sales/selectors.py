"""Reads of selling, each starting from the visibility scope."""

from kehu.sales.models import Opportunity


def opportunity_list(*, user, open_only: bool = False):
    qs = Opportunity.objects.visible_to(user).select_related("customer", "owner", "stage")
    if open_only:
        qs = qs.filter(stage__is_closed=False)
    return qs


def opportunity_get_visible_or_404(*, user, pk) -> Opportunity:
    from django.http import Http404

    try:
        return opportunity_list(user=user).get(pk=pk)
    except (Opportunity.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def open_opportunities_of(customer) -> list[Opportunity]:
    """The customer's open opportunities (one query, remembered on the customer object so the
    customer page's panels share it)."""
    cached = getattr(customer, "_open_opportunities", None)
    if cached is None:
        cached = list(Opportunity.objects.filter(customer_id=customer.pk, stage__is_closed=False)
                      .select_related("stage").order_by("expected_close_on", "pk"))
        try:
            customer._open_opportunities = cached
        except AttributeError:
            pass
    return cached


def quote_list(*, user, status: str = ""):
    from kehu.sales.models import Quote

    qs = Quote.objects.visible_to(user).select_related("customer", "owner", "opportunity")
    if status:
        qs = qs.filter(status=status)
    return qs


def quote_get_visible_or_404(*, user, pk):
    from django.http import Http404

    from kehu.sales.models import Quote

    try:
        return Quote.objects.visible_to(user).select_related("customer", "owner", "opportunity", "decided_by").get(pk=pk)
    except (Quote.DoesNotExist, ValueError, TypeError) as exc:
        raise Http404 from exc


def quote_approval_queue(*, user):
    """Pending quotes `user` may decide, oldest submission first: for an admin every pending
    quote (but their own); for a manager those owned by members of the teams they manage.
    Never the quotes `user` owns or submitted (they may not decide them)."""
    from kehu.accounts.visibility import managed_user_ids
    from kehu.sales.models import Quote

    qs = Quote.objects.visible_to(user).filter(status=Quote.Status.PENDING).exclude(owner_id=user.pk)
    qs = qs.exclude(submitted_by_id=user.pk)
    if user.is_admin_role:
        pass
    elif user.is_manager:
        qs = qs.filter(owner_id__in=managed_user_ids(user))
    else:
        return Quote.objects.none()
    return qs.select_related("customer", "owner", "opportunity").order_by("submitted_at", "pk")
