"""The top bar's global search: the full page (/search/?q=…) and, for an htmx request, the
dropdown of the first results (kehu/reports/selectors/search.py)."""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.views.decorators.http import require_GET
from django.views.decorators.vary import vary_on_headers

from kehu.core.context_processors import HeaderBadges
from kehu.core.views import is_partial
from kehu.reports.selectors.search import DROPDOWN_LIMIT, MIN_LENGTH, PAGE_LIMIT, clean_query, global_search


@login_required
@require_GET
@vary_on_headers("HX-Request")
def search_view(request):
    text = clean_query(request.GET.get("q"))
    partial = is_partial(request)
    # The full page's header counts ride on the search's one query (HeaderBadges).
    badges = None if partial else HeaderBadges.for_request(request)
    groups = global_search(user=request.user, text=text, limit=DROPDOWN_LIMIT if partial else PAGE_LIMIT, badges=badges)
    context = {
        "global_q": text, "groups": groups, "too_short": len(text) < MIN_LENGTH, "min_length": MIN_LENGTH,
        "purpose": request.GET.get("for") if request.GET.get("for") == "log" else "", "nav": "search",
    }
    if partial:
        return render(request, "reports/partials/search_dropdown.html", context)
    return render(request, "reports/search.html", context)
