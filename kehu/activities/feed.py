"""The calendar feed (issue 14): a user's open planned follow-ups as iCalendar (.ics), at a secret
address a phone's calendar subscribes to (/activities/feed/<key>.ics).

The address's key is the user's own (kehu/accounts/tokens.py: made and reset on the user's
settings page); a wrong or reset key is 404. The feed lists what the agenda shows the user as
"My follow-ups": their own open planned follow-ups of customers they may see, due in the last
FEED_PAST_DAYS days or later — each an all-day event on its due date. One query for the key,
one for the rows.
"""

from datetime import timedelta

import icalendar
from django.conf import settings
from django.http import Http404, HttpResponse
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from kehu.accounts.tokens import calendar_feed_user_or_none
from kehu.activities.agenda import _planned, agenda_scope

FEED_PAST_DAYS = 30
FEED_LIMIT = 2000  # events per feed; a calendar app does not want more


def feed_rows(*, user, today=None):
    today = today or timezone.localdate()
    scope = agenda_scope(user=user, who="me")  # 404 for a user who holds no follow-ups (finance)
    return list(_planned(user=user, scope=scope).filter(due_on__gte=today - timedelta(days=FEED_PAST_DAYS)).order_by("due_on", "id")[:FEED_LIMIT])


def site_url(request) -> str:
    return settings.KEHU_SITE_URL or request.build_absolute_uri("/").rstrip("/")


def feed_calendar(*, user, rows, base_url: str) -> icalendar.Calendar:
    host = base_url.split("://", 1)[-1].split("/", 1)[0] or "kehu"
    cal = icalendar.Calendar()
    cal.add("prodid", "-//Kehu//planned follow-ups//EN")
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", _("Kehu follow-ups of %(user)s") % {"user": user})
    cal.add("x-wr-timezone", settings.TIME_ZONE)
    # Calendar apps poll a subscription; these ask for once an hour (each app decides in the end).
    cal.add("refresh-interval", timedelta(hours=1), parameters={"VALUE": "DURATION"})
    cal.add("x-published-ttl", "PT1H")
    stamp = timezone.now()
    for row in rows:
        event = icalendar.Event()
        event.add("uid", f"kehu-activity-{row.pk}@{host}")
        event.add("dtstamp", stamp)
        event.add("dtstart", row.due_on)
        event.add("dtend", row.due_on + timedelta(days=1))
        event.add("summary", _("%(customer)s · %(kind)s") % {"customer": row.customer.name, "kind": row.get_kind_display()})
        lines = []
        if row.contact_id:
            lines.append(_("Contact: %(name)s") % {"name": row.contact.name})
        if row.visit_level:
            lines.append(_("Visit level: %(level)s") % {"level": row.get_visit_level_display()})
        if row.summary:
            lines.append(row.summary)
        event.add("description", "\n".join(lines))
        event.add("url", base_url + reverse("customers:detail", kwargs={"pk": row.customer_id}))
        event.add("last-modified", row.updated_at)
        cal.add_component(event)
    return cal


@require_safe
def calendar_feed_view(request, key: str):
    user = calendar_feed_user_or_none(key=key)
    if user is None:
        raise Http404
    with translation.override(user.language):
        rows = feed_rows(user=user)
        body = feed_calendar(user=user, rows=rows, base_url=site_url(request)).to_ical()
    response = HttpResponse(body, content_type="text/calendar; charset=utf-8")
    response["Content-Disposition"] = 'inline; filename="kehu.ics"'
    response["Cache-Control"] = "no-store"
    return response
