"""The header's notification bell: the signed-in user's unread count, on every page."""

from kehu.activities.notifications import UnreadBadge


def notifications(request):
    """`notification_badge.count` / `.label`: one query, run only when a page shows the header
    (htmx fragments that do not extend base.html pay nothing); nothing for anonymous visitors."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notification_badge": UnreadBadge(user)}
