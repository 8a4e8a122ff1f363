"""Targets and the planning settings in the Django admin: read-only. A target is set on the
targets page and the settings on the forecast settings page, through the services (their checks
— weights, who may — and their audit events); the admin only shows them and points there."""

from django.contrib import admin, messages
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext as _

from kehu.core.admin import ReadOnlyAdmin
from kehu.planning.models import PlanningSettings, Target


class PointsToPage(ReadOnlyAdmin):
    page_url_name = ""
    page_text = ""

    def changelist_view(self, request, extra_context=None):
        messages.info(request, format_html('{} <a href="{}">{}</a>', self.page_text(), reverse(self.page_url_name), _("Open the page")))
        return super().changelist_view(request, extra_context)


@admin.register(Target)
class TargetAdmin(PointsToPage):
    list_display = ("year", "scope", "team", "user", "measure", "amount")
    list_filter = ("year", "scope", "measure")
    page_url_name = "planning:targets"

    @staticmethod
    def page_text():
        return _("Targets are set on the targets page, where every change is checked and audited.")


@admin.register(PlanningSettings)
class PlanningSettingsAdmin(PointsToPage):
    list_display = ("cutoff_weekday", "send_reminders")
    page_url_name = "planning:settings"

    @staticmethod
    def page_text():
        return _("The forecast settings are changed on the forecast settings page, where every change is audited.")
