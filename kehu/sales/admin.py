from django.contrib import admin

from kehu.sales.models import Product


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ["code", "name", "category", "list_price", "unit_cost", "currency", "is_active"]
    list_filter = ["category", "is_active"]
    search_fields = ["code", "name"]
