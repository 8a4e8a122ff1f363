from django.db import models

from kehu.accounts.visibility import customer_scope


class ActivityQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Activities of the customers `user` sees (the customer decides, not the author)."""
        return self.filter(customer_scope(user, prefix="customer"))

    def planned(self):
        return self.filter(status="planned")

    def done(self):
        return self.filter(status="done")


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        """A user's own notifications, about customers they (still) see or about no customer."""
        return self.filter(user=user).filter(models.Q(customer__isnull=True) | customer_scope(user, prefix="customer"))

    def unread(self):
        return self.filter(read_at__isnull=True)
