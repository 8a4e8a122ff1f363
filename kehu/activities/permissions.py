"""Who may act on follow-ups (checked inside the services; templates use these only to hide
a button, views only to choose what to show).

Rules chosen where DOMAIN.md is silent (docs/rules.md, "Follow-up"): who logs or plans is
whoever may edit the customer's sales data, on an owned customer; the author edits or deletes
a logged activity for AUTHOR_EDIT_DAYS days, the customer's managers and admins at any time;
an open planned follow-up is rescheduled or cancelled by whoever may log on the customer.
"""

from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext as _

from kehu.activities.models import Activity
from kehu.customers import permissions as customer_permissions

AUTHOR_EDIT_DAYS = 7


def can_log_activity(user, customer) -> bool:
    """Log or plan follow-ups: who may edit the customer's sales data, on an owned customer."""
    return customer.owner_id is not None and customer_permissions.can_edit_customer(user, customer)


def can_change_activity(user, activity: Activity, *, now=None) -> bool:
    """Edit (or delete) a logged activity, or reschedule / cancel an open planned one."""
    customer = activity.customer
    if not can_log_activity(user, customer):
        return False
    if activity.status == Activity.Status.PLANNED:
        return True
    if not activity.is_logged:
        return False  # fulfilled or cancelled plans are closed history
    if user.is_admin_role or user.is_manager:
        return True
    now = now or timezone.now()
    return activity.owner_id == user.pk and activity.created_at is not None and now - activity.created_at <= timedelta(days=AUTHOR_EDIT_DAYS)


def activity_change_problem(user, activity: Activity, *, now=None) -> str | None:
    """None when `user` may change `activity`, else the message that says why not."""
    if can_change_activity(user, activity, now=now):
        return None
    if can_log_activity(user, activity.customer):
        if activity.is_logged:
            return _("Only its author (for %(days)d days) or a manager may change a logged follow-up.") % {"days": AUTHOR_EDIT_DAYS}
        return _("This follow-up is closed and can no longer be changed.")
    return _("You may not change the follow-ups of this customer.")
