"""The view kit every app's pages use: fetch what this user may see or 404, tell an htmx
partial request from a full page, refuse an action with a message."""

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, ValidationError
from django.http import Http404
from django.shortcuts import redirect
from django_htmx.http import HttpResponseClientRedirect


def get_visible_or_404(queryset, **lookup):
    """The one row of `queryset` (already scoped to the user, e.g. `X.objects.visible_to(user)`)
    matching `lookup`, or 404 — for a row that does not exist, one the user may not see and a
    malformed or out-of-range id alike (never 403: no hint that it exists)."""
    try:
        return queryset.get(**lookup)
    except (ObjectDoesNotExist, ValueError, TypeError, OverflowError, ValidationError) as exc:
        raise Http404 from exc


def pick_visible_or_404(rows: list, pk):
    """`get_visible_or_404` over rows already read (and scoped to the user): the row with id
    `pk`, else 404 — a malformed or out-of-range id alike."""
    try:
        pk = int(pk)
    except (TypeError, ValueError, OverflowError) as exc:
        raise Http404 from exc
    for row in rows:
        if row.pk == pk:
            return row
    raise Http404


def is_partial(request) -> bool:
    """An htmx request for a fragment (not a history restore, which needs the whole page)."""
    htmx = getattr(request, "htmx", None)
    return bool(htmx) and not htmx.history_restore_request


def refuse(request, message, to, *args, **kwargs):
    """Send the user back to `to` (a URL, a URL name or a model instance) with a warning. An
    htmx request is told to load that page whole (a fragment must not become a page)."""
    messages.warning(request, message)
    response = redirect(to, *args, **kwargs)
    if getattr(request, "htmx", False):
        return HttpResponseClientRedirect(response.url)
    return response
