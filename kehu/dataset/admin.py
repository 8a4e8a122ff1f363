from django.contrib import admin

from kehu.dataset.models import DatasetImport


@admin.register(DatasetImport)
class DatasetImportAdmin(admin.ModelAdmin):
    list_display = ["at", "actor", "source", "created", "updated", "bad_rows", "warnings"]
    readonly_fields = ["at", "actor", "source", "created", "updated", "bad_rows", "warnings"]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
