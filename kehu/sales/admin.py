from django.contrib import admin

from kehu.core.admin import AdminRoleOnly
from kehu.sales.models import OpportunityStage, Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "list_price", "unit_cost", "currency", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["code", "name"]

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        if change and "category" in form.changed_data:  # its lines move to another category: the summary follows
            from kehu.sales.summaries import category_months_refresh_products

            category_months_refresh_products(product_ids=[obj.pk])


@admin.register(OpportunityStage)
class OpportunityStageAdmin(AdminRoleOnly, admin.ModelAdmin):
    """Stages, their order, default probabilities and forecast categories (DOMAIN.md §4)."""

    list_display = ["position", "code", "name", "name_en", "probability", "forecast_category", "is_closed", "is_won"]
    list_display_links = ["code"]
    list_editable = ["position", "name", "name_en", "probability"]
    ordering = ["position", "id"]

    def has_delete_permission(self, request, obj=None):
        # A stage that opportunities or their history use stays (PROTECT); the admin renames it instead.
        return super().has_delete_permission(request, obj) and (obj is None or not obj.opportunities.exists())
