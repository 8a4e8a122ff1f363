"""Admin for the core records, and the two rules every Kehu admin page follows.

- Only administrators (role admin, or a superuser) use the admin at all: `AdminRoleOnly`.
- Records that Kehu's own pages and services write (history, customers, pool events) are
  shown read-only here: `ReadOnlyAdmin`. Changing them here would bypass the services that
  check rights, lock rows and write the audit trail.
"""

import json

from django.apps import apps
from django.contrib import admin
from django.http import HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from kehu.core.models import AuditEvent, CompanySettings


admin.site.site_header = _("Kehu administration")
admin.site.site_title = _("Kehu administration")
admin.site.index_title = _("Settings and records")


def is_kehu_admin(user) -> bool:
    return bool(user.is_active and (user.is_superuser or getattr(user, "is_admin_role", False)))


class AdminRoleOnly:
    """Every permission of a ModelAdmin, granted to administrators only."""

    def has_module_permission(self, request):
        return is_kehu_admin(request.user)

    def has_view_permission(self, request, obj=None):
        return is_kehu_admin(request.user)

    def has_add_permission(self, request, *args):
        return is_kehu_admin(request.user)

    def has_change_permission(self, request, obj=None):
        return is_kehu_admin(request.user)

    def has_delete_permission(self, request, obj=None):
        return is_kehu_admin(request.user)


class ReadOnlyAdmin(AdminRoleOnly, admin.ModelAdmin):
    """A list and a detail page to look at; nothing to add, change or delete."""

    show_full_result_count = False  # large tables: no second COUNT over the whole table

    def has_add_permission(self, request, *args):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


def record_type_names() -> dict[str, str]:
    """model_name -> the model's translated name, for the `object_type` of audit events."""
    return {m._meta.model_name: str(m._meta.verbose_name) for m in apps.get_models()}


class RecordTypeFilter(admin.SimpleListFilter):
    title = _("record type")
    parameter_name = "object_type"

    def lookups(self, request, model_admin):
        names = record_type_names()
        present = AuditEvent.objects.order_by().values_list("object_type", flat=True).distinct()
        return sorted(((t, names.get(t, t)) for t in present), key=lambda pair: pair[1])

    def queryset(self, request, queryset):
        return queryset.filter(object_type=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(ReadOnlyAdmin):
    list_display = ["at", "actor", "verb", "record_type", "object_label", "customer"]
    list_filter = ["verb", RecordTypeFilter, ("actor", admin.RelatedOnlyFieldListFilter)]
    search_fields = ["object_label", "note", "customer__name", "customer__code", "actor__username", "actor__name"]
    date_hierarchy = "at"
    list_select_related = ["actor", "customer"]
    fields = ["at", "actor", "verb", "record_type", "object_id", "object_label", "customer", "changes_table", "note"]
    readonly_fields = fields

    @admin.display(description=_("record type"), ordering="object_type")
    def record_type(self, obj):
        return record_type_names().get(obj.object_type, obj.object_type)

    @admin.display(description=_("changes"))
    def changes_table(self, obj):
        if not obj.changes:
            return "—"

        def cell(value):
            return "—" if value is None else json.dumps(value, ensure_ascii=False)

        rows = format_html_join(
            "", "<tr><th>{}</th><td>{}</td><td>{}</td></tr>",
            (
                (field, cell(values[0]), cell(values[1])) if isinstance(values, list) and len(values) == 2
                else (field, "", cell(values))
                for field, values in obj.changes.items()
            ),
        )
        return format_html(
            "<table><tr><th></th><th>{}</th><th>{}</th></tr>{}</table>", _("before"), _("after"), rows,
        )


@admin.register(CompanySettings)
class CompanySettingsAdmin(AdminRoleOnly, admin.ModelAdmin):
    """One row of company-wide settings: it can be changed, never added twice or deleted."""

    fieldsets = [
        (_("Public pool"), {"fields": [
            "pool_return_days", "pool_warning_days", "pool_max_customers_per_rep",
            "pool_daily_claim_limit", "pool_reclaim_cooldown_days",
        ]}),
        (_("Follow-up"), {"fields": ["key_account_visit_days", "send_daily_digest"]}),
        (_("Money"), {"fields": ["default_currency"]}),
        (_("Default tier policy"), {
            "fields": ["default_max_discount_pct", "default_payment_term_days", "default_commission_rate_pct"],
            "description": _("Applies to every customer until a ranking run places it in a tier with its own policy."),
        }),
        (_("Credit control"), {"fields": ["credit_overdue_block_days"]}),
    ]

    def has_add_permission(self, request, *args):
        return False  # the row exists from the first use (CompanySettings.load)

    def has_delete_permission(self, request, obj=None):
        return False

    def changelist_view(self, request, extra_context=None):
        """The list of one row is that row's form."""
        if not self.has_change_permission(request):
            return super().changelist_view(request, extra_context)
        settings_row = CompanySettings.load()
        return HttpResponseRedirect(reverse("admin:core_companysettings_change", args=[settings_row.pk]))
