"""Follow-up routes, under /activities/ (config/urls.py).

Routes about one customer keep its id right after "customers/", so the visibility walker
(kehu/customers/tests/test_visibility.py) knows what the <pk> names; an activity of that
customer travels as `?activity=` or a form field and is looked up among the customer's.
"""

from django.urls import path

from kehu.activities import feed
from kehu.activities.views import agenda, records

app_name = "activities"
urlpatterns = [
    # the follow-up panel of the customer page (views/records.py)
    path("customers/<int:pk>/log/", records.activity_log_view, name="activity-log"),
    path("customers/<int:pk>/plan/", records.activity_plan_view, name="activity-plan"),
    path("customers/<int:pk>/timeline/", records.customer_timeline_view, name="customer-timeline"),
    path("customers/<int:pk>/edit/", records.activity_edit_view, name="activity-edit"),
    path("customers/<int:pk>/delete/", records.activity_delete_view, name="activity-delete"),
    path("customers/<int:pk>/cancel/", records.activity_cancel_view, name="activity-cancel"),
    # agenda, calendar, notification centre, team view (views/agenda.py)
    path("agenda/", agenda.agenda_view, name="agenda"),
    path("calendar/", agenda.calendar_view, name="calendar"),
    path("notifications/", agenda.notification_list_view, name="notifications"),
    path("notifications/<int:pk>/read/", agenda.notification_read_view, name="notification-read"),
    path("notifications/read-all/", agenda.notification_read_all_view, name="notifications-read-all"),
    path("team/", agenda.team_view, name="team"),
    # issue 14 (apitok): the calendar feed of planned follow-ups, at a secret address (feed.py)
    path("feed/<str:key>.ics", feed.calendar_feed_view, name="calendar-feed"),
]
