"""/api/docs/: the browsable documentation of the served schema (issue 14).

Swagger UI, from drf-spectacular-sidecar's files (served by Kehu, no CDN), inside Kehu's own
layout so the navigation, the title and the language switch are Kehu's. It works under Kehu's
Content-Security-Policy: no inline script (static/kehu/api-docs.js starts Swagger UI from the
page's data-* attributes) and no <style> element. The schema is asked for in the user's
language (`?lang=`), so its descriptions follow it; Swagger UI's own buttons and headings
("Try it out", "Execute", "Parameters", "Responses") are English only: Swagger UI has no
translations. "Try it out" sends the session cookie and the CSRF token, so it acts as the
signed-in user, with their visibility and rights; "Authorize" takes an API token instead.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.urls import reverse
from django.utils import translation
from django.views.decorators.http import require_safe


@login_required
@require_safe
def api_docs_view(request):
    schema_url = f"{reverse('api:schema')}?format=json&lang={translation.get_language()}"
    return render(request, "api/docs.html", {"schema_url": schema_url, "nav": "api-docs"})
