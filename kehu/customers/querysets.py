from django.db import models

from kehu.accounts.visibility import customer_scope


class CustomerQuerySet(models.QuerySet):
    def visible_to(self, user, *, include_deleted: bool = False):
        return self.filter(customer_scope(user, include_deleted=include_deleted))

    def alive(self):
        return self.filter(is_deleted=False)

    def in_pool(self):
        return self.filter(owner__isnull=True, is_deleted=False)


class CustomerScopedQuerySet(models.QuerySet):
    """For models that belong to a customer: visible when their customer is."""

    customer_path = "customer"

    def visible_to(self, user):
        return self.filter(customer_scope(user, prefix=self.customer_path))


class ContactQuerySet(CustomerScopedQuerySet):
    def visible_to(self, user):
        return super().visible_to(user).filter(is_deleted=False)
