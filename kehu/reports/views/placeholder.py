"""Stand-in for a report page not built yet (replaced by the report's own view)."""

from django.contrib.auth.decorators import login_required
from django.http import Http404


@login_required
def placeholder_view(request, **kwargs):
    raise Http404
