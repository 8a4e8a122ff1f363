from django.contrib import admin

from kehu.planning.models import PlanningSettings, Target


@admin.register(Target)
class TargetAdmin(admin.ModelAdmin):
    list_display = ("year", "scope", "team", "user", "measure", "amount")
    list_filter = ("year", "scope", "measure")


@admin.register(PlanningSettings)
class PlanningSettingsAdmin(admin.ModelAdmin):
    list_display = ("cutoff_weekday", "send_reminders")
