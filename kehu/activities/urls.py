"""Follow-up routes, under /activities/ (config/urls.py).

Routes about one customer keep its id right after "customers/", so the visibility walker
(kehu/customers/tests/test_visibility.py) knows what the <pk> names; an activity of that
customer travels as `?activity=` or a form field and is looked up among the customer's.
"""

from django.urls import path

from kehu.activities import views, views_agenda

app_name = "activities"
urlpatterns = [
    # the follow-up panel of the customer page (views.py)
    path("customers/<int:pk>/log/", views.activity_log_view, name="activity-log"),
    path("customers/<int:pk>/plan/", views.activity_plan_view, name="activity-plan"),
    path("customers/<int:pk>/timeline/", views.customer_timeline_view, name="customer-timeline"),
    path("customers/<int:pk>/edit/", views.activity_edit_view, name="activity-edit"),
    path("customers/<int:pk>/delete/", views.activity_delete_view, name="activity-delete"),
    path("customers/<int:pk>/cancel/", views.activity_cancel_view, name="activity-cancel"),
    # agenda, calendar, notification centre, team view (views_agenda.py)
    path("agenda/", views_agenda.agenda_view, name="agenda"),
    path("calendar/", views_agenda.calendar_view, name="calendar"),
    path("notifications/", views_agenda.notification_list_view, name="notifications"),
    path("notifications/<int:pk>/read/", views_agenda.notification_read_view, name="notification-read"),
    path("notifications/read-all/", views_agenda.notification_read_all_view, name="notifications-read-all"),
    path("team/", views_agenda.team_view, name="team"),
]
