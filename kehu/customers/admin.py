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
from kehu.customers.models import Contact, Customer, CustomerMerge, Handover, PoolEvent, QualificationCheck, QualificationItem, Tag


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


@admin.register(QualificationItem)
class QualificationItemAdmin(AdminRoleOnly, admin.ModelAdmin):
    """The checklist items; Kehu's own settings page (customers:qualification-items) edits them too."""

    list_display = ["position", "name", "name_en", "is_active"]
    list_display_links = ["name"]
    list_editable = ["position", "is_active"]
    list_filter = ["is_active"]
    search_fields = ["name", "name_en"]

    def has_delete_permission(self, request, obj=None):
        return False  # deactivate instead: the checks already given keep their item

    def save_model(self, request, obj, form, change):
        """Through the service, which audits the change."""
        from kehu.customers.qualification import ITEM_FIELDS, qualification_items_save

        [saved] = qualification_items_save(
            actor=request.user, rows=[{"id": obj.pk if change else None, **{f: getattr(obj, f) for f in ITEM_FIELDS}}],
        )
        obj.pk = saved.pk


@admin.register(QualificationCheck)
class QualificationCheckAdmin(ReadOnlyAdmin):
    list_display = ["checked_at", "customer", "item", "checked_by", "note"]
    list_filter = ["item", ("checked_by", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["customer__name", "customer__code"]
    list_select_related = ["customer", "item", "checked_by"]
    date_hierarchy = "checked_at"
