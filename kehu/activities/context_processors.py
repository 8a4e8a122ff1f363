"""The header's notification bell: the signed-in user's unread count, on every page."""

from kehu.activities.notifications import UnreadBadge
from kehu.core.context_processors import HeaderBadges


def notifications(request):
    """`notification_badge.count` / `.label`: read (with the header's other counts:
    kehu.core.context_processors.HeaderBadges) only when a page shows the header (htmx fragments
    that do not extend base.html pay nothing); nothing for anonymous visitors."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"notification_badge": UnreadBadge(user, badges=HeaderBadges.for_request(request))}
