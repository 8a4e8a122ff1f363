"""Customer records in the admin: read-only lists for administrators.

Customers and contacts are created, edited, claimed, handed over, merged and deleted in
Kehu's own pages, whose services check rights, lock rows and write the history; the admin
only looks (and links to the customer's page). Tags are plain settings and are edited here.
"""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from kehu.core.admin import AdminRoleOnly, ReadOnlyAdmin
from kehu.customers.models import Contact, Customer, CustomerMerge, Handover, PoolEvent, Tag


def _customer_link(customer):
    if customer is None:
        return "—"
    return format_html('<a href="{}">{}</a>', reverse("customers:detail", args=[customer.pk]), customer)


@admin.register(Customer)
class CustomerAdmin(ReadOnlyAdmin):
    list_display = ["code", "name", "kind", "owner", "stage", "lead_source", "province", "industry", "is_deleted", "open_in_kehu"]
    list_filter = ["stage", "kind", "lead_source", "is_deleted", "is_key_account", ("owner", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["code", "name", "name_initials", "phone", "uscc"]
    list_select_related = ["owner"]
    date_hierarchy = "created_at"
    exclude = ["tags"]
    readonly_fields = ["tag_names", "open_in_kehu"]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("tags")

    @admin.display(description=_("tags"))
    def tag_names(self, obj):
        return ", ".join(t.name for t in obj.tags.all()) or "—"

    @admin.display(description=_("open in Kehu"))
    def open_in_kehu(self, obj):
        return _customer_link(obj) if not obj.is_deleted else _("in recycle bin")


@admin.register(Contact)
class ContactAdmin(ReadOnlyAdmin):
    list_display = ["name", "customer", "title", "decision_role", "phone", "is_deleted"]
    list_filter = ["decision_role", "principal_role", "is_deleted"]
    search_fields = ["name", "phone", "email", "wechat", "customer__name", "customer__code"]
    list_select_related = ["customer"]


@admin.register(Tag)
class TagAdmin(AdminRoleOnly, admin.ModelAdmin):
    list_display = ["name"]
    search_fields = ["name"]


@admin.register(Handover)
class HandoverAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "from_user", "to_user", "customer_count"]
    list_filter = [("from_user", admin.RelatedOnlyFieldListFilter), ("to_user", admin.RelatedOnlyFieldListFilter)]
    list_select_related = ["actor", "from_user", "to_user"]
    date_hierarchy = "at"
    exclude = ["customers"]


@admin.register(PoolEvent)
class PoolEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "kind", "customer", "user", "reason"]
    list_filter = ["kind", ("user", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["customer__name", "customer__code"]
    list_select_related = ["customer", "user"]
    date_hierarchy = "at"


@admin.register(CustomerMerge)
class CustomerMergeAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "kept", "merged"]
    list_select_related = ["actor", "kept", "merged"]
    search_fields = ["kept__name", "kept__code", "merged__name", "merged__code"]
    date_hierarchy = "at"
