"""Admin for people and teams.

The admin is for administrators only. Staff access follows the role: a user whose role is
admin is staff and superuser, nobody else is (docs/rules.md, "Sessions, log-in, admin").
Disabling a user, from the list action or by unticking "active", ends all their sessions.
"""

from django import forms
from django.contrib import admin, messages
from django.contrib.auth.admin import UserAdmin as DjangoUserAdmin
from django.contrib.auth.forms import AdminUserCreationForm, UserChangeForm
from django.contrib.auth.models import Group
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext
from django.utils.translation import pgettext_lazy

from kehu.accounts.models import Team, User
from kehu.accounts.services import role_flags, user_disable
from kehu.core.admin import AdminRoleOnly

ROLE_FIELDS = ["name", "email", "role", "team", "language", "can_view_sensitive"]


def apply_role_flags(user: User) -> None:
    """Staff and superuser follow the role."""
    for flag, value in role_flags(user.role).items():
        setattr(user, flag, value)


def _other_active_admins(user: User):
    return User.objects.filter(Q(role=User.Role.ADMIN) | Q(is_superuser=True), is_active=True).exclude(pk=user.pk)


class UserCreateForm(AdminUserCreationForm):
    class Meta(AdminUserCreationForm.Meta):
        model = User
        fields = ["username", *ROLE_FIELDS]


class UserEditForm(UserChangeForm):
    class Meta(UserChangeForm.Meta):
        model = User
        fields = ["username", *ROLE_FIELDS, "is_active"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        if self.instance.is_superuser:
            # `kehu createsuperuser` leaves the role at its default: such a user is an admin.
            self.initial["role"] = User.Role.ADMIN

    def clean(self):
        cleaned = super().clean()
        was_admin = self.instance.pk and User.objects.filter(pk=self.instance.pk, is_active=True).filter(
            Q(role=User.Role.ADMIN) | Q(is_superuser=True)
        ).exists()
        stays_admin = cleaned.get("role") == User.Role.ADMIN and cleaned.get("is_active", True)
        if was_admin and not stays_admin and not _other_active_admins(self.instance).exists():
            raise forms.ValidationError(_("Kehu needs at least one active administrator."))
        return cleaned


@admin.register(User)
class UserAdmin(AdminRoleOnly, DjangoUserAdmin):
    form = UserEditForm
    add_form = UserCreateForm
    fieldsets = [
        (None, {"fields": ["username", "password"]}),
        (pgettext_lazy("user", "Person"), {"fields": ROLE_FIELDS}),
        (_("Status"), {"fields": ["is_active", "last_login", "date_joined"]}),
    ]
    add_fieldsets = [
        (None, {"classes": ["wide"], "fields": ["username", *ROLE_FIELDS, "usable_password", "password1", "password2"]}),
    ]
    readonly_fields = ["last_login", "date_joined"]
    list_display = ["username", "name", "role", "team", "language", "can_view_sensitive", "is_active", "last_login"]
    list_filter = ["role", "team", "is_active", "language", "can_view_sensitive"]
    search_fields = ["username", "name", "email"]
    ordering = ["username"]
    list_select_related = ["team"]
    filter_horizontal = []
    actions = ["disable_and_end_sessions"]

    def save_model(self, request, obj, form, change):
        apply_role_flags(obj)
        disabling = change and "is_active" in form.changed_data and not obj.is_active
        super().save_model(request, obj, form, change)
        if disabling:
            user_disable(actor=request.user, user=obj)

    @admin.action(description=_("Disable and end sessions"))
    def disable_and_end_sessions(self, request, queryset):
        users = list(queryset.filter(is_active=True))
        if any(u.pk == request.user.pk for u in users):
            self.message_user(request, _("You cannot disable yourself."), messages.ERROR)
            return
        for user in users:
            user_disable(actor=request.user, user=user)
        self.message_user(
            request,
            ngettext(
                "%(count)d user disabled; their sessions have ended.",
                "%(count)d users disabled; their sessions have ended.",
                len(users),
            ) % {"count": len(users)},
            messages.SUCCESS,
        )


class TeamMemberInline(admin.TabularInline):
    model = User
    fk_name = "team"
    fields = ["username", "name", "role", "is_active"]
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True
    verbose_name = _("member")
    verbose_name_plural = _("members")

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Team)
class TeamAdmin(AdminRoleOnly, admin.ModelAdmin):
    list_display = ["name", "manager_names", "member_count"]
    search_fields = ["name"]
    filter_horizontal = ["managers"]
    inlines = [TeamMemberInline]

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(member_total=Count("members", distinct=True)).prefetch_related("managers")

    def formfield_for_manytomany(self, db_field, request, **kwargs):
        if db_field.name == "managers":
            kwargs["queryset"] = User.objects.filter(role__in=[User.Role.MANAGER, User.Role.ADMIN], is_active=True)
        return super().formfield_for_manytomany(db_field, request, **kwargs)

    @admin.display(description=_("managers"))
    def manager_names(self, obj):
        return ", ".join(str(m) for m in obj.managers.all()) or "—"

    @admin.display(description=_("members"), ordering="member_total")
    def member_count(self, obj):
        return obj.member_total


# Kehu grants rights by role, not by permission groups.
if admin.site.is_registered(Group):
    admin.site.unregister(Group)
