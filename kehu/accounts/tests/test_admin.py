"""The admin: administrators only, roles drive staff access, history and customers read-only."""

from decimal import Decimal

import pytest
from django.conf import settings
from django.contrib import admin as django_admin
from django.contrib.auth import SESSION_KEY
from django.test import Client
from django.urls import reverse

from conftest import PASSWORD
from kehu.accounts.models import Team, User
from kehu.core.audit import audit_record
from kehu.core.models import AuditEvent, CompanySettings


def _changelist(model):
    return reverse(f"admin:{model._meta.app_label}_{model._meta.model_name}_changelist")


def _change(obj):
    return reverse(f"admin:{obj._meta.app_label}_{obj._meta.model_name}_change", args=[obj.pk])


def test_admin_opens_every_admin_list_and_record(cast, login):
    audit_record(actor=cast["rep_a"], verb="create", obj=cast["customer_a"], customer=cast["customer_a"],
                 changes={"phone": ["1", "2"]})
    CompanySettings.load()
    client = login(cast["admin"])
    assert client.get(reverse("admin:index")).status_code == 200
    for model in django_admin.site._registry:
        response = client.get(_changelist(model), follow=True)
        assert response.status_code == 200, model
        obj = model._default_manager.first()
        if obj is not None:
            assert client.get(_change(obj)).status_code == 200, model


@pytest.mark.parametrize("who", ["director", "manager_a", "rep_a", "finance"])
def test_non_admin_is_sent_to_the_admin_login(cast, login, who):
    client = login(cast[who])
    response = client.get(reverse("admin:index"))
    assert response.status_code == 302
    assert reverse("admin:login") in response["Location"]
    assert client.get(_changelist(User)).status_code == 302


def test_rep_with_a_stray_staff_flag_still_sees_no_admin_data(rep_a, customer_a, login):
    User.objects.filter(pk=rep_a.pk).update(is_staff=True)
    client = login(rep_a)
    index = client.get(reverse("admin:index"))
    assert index.status_code == 200
    assert "华为" not in index.content.decode() and "/admin/customers/" not in index.content.decode()
    assert client.get(_changelist(type(customer_a))).status_code == 403
    assert client.get(_change(customer_a)).status_code == 403


def _add_user(client, username, role, team=""):
    return client.post(reverse("admin:accounts_user_add"), {
        "username": username, "name": username, "email": "", "role": role, "team": team,
        "language": "zh-hans", "usable_password": "true", "password1": "Kehu-pass-2026!", "password2": "Kehu-pass-2026!",
    })


def test_admin_adds_an_admin_who_gets_staff_access(admin, login):
    client = login(admin)
    response = _add_user(client, "boss2", "admin")
    assert response.status_code == 302, response.content.decode()[:2000]
    boss2 = User.objects.get(username="boss2")
    assert boss2.is_staff and boss2.is_superuser
    other = Client()
    other.force_login(boss2)
    assert other.get(reverse("admin:index")).status_code == 200


def test_admin_adds_a_rep_who_gets_no_staff_access(admin, team_a, login):
    client = login(admin)
    assert _add_user(client, "newrep", "rep", team_a.pk).status_code == 302
    newrep = User.objects.get(username="newrep")
    assert (newrep.role, newrep.team, newrep.is_staff, newrep.is_superuser) == ("rep", team_a, False, False)
    assert newrep.check_password("Kehu-pass-2026!")


def _edit_data(user, **changes):
    data = {
        "username": user.username, "name": user.name, "email": user.email, "role": user.role,
        "team": user.team_id or "", "language": user.language, "is_active": "on" if user.is_active else "",
    }
    if user.can_view_sensitive:
        data["can_view_sensitive"] = "on"
    data.update(changes)
    return {k: v for k, v in data.items() if v != ""}


def test_admin_demoting_another_admin_removes_staff_access(admin, login, db):
    other = User.objects.create_user("boss2", password=PASSWORD, role="admin", is_staff=True, is_superuser=True)
    client = login(admin)
    response = client.post(_change(other), _edit_data(other, role="manager"))
    assert response.status_code == 302
    other.refresh_from_db()
    assert (other.role, other.is_staff, other.is_superuser) == ("manager", False, False)


def _in_english(user):
    user.language = "en"
    user.save(update_fields=["language"])
    return user


def test_admin_cannot_demote_the_last_admin(admin, login):
    client = login(_in_english(admin))
    response = client.post(_change(admin), _edit_data(admin, role="rep"))
    assert response.status_code == 200
    assert "at least one active administrator" in response.content.decode()
    admin.refresh_from_db()
    assert admin.role == "admin" and admin.is_superuser


def test_admin_unticking_active_ends_the_users_sessions(admin, rep_a, login):
    device = Client()
    assert device.post(reverse("accounts:login"), {"username": "rep_a", "password": PASSWORD}).status_code == 302
    client = login(admin)
    response = client.post(_change(rep_a), _edit_data(rep_a, is_active=""))
    assert response.status_code == 302
    rep_a.refresh_from_db()
    assert rep_a.is_active is False
    assert SESSION_KEY not in device.session


def test_admin_cannot_disable_themselves_with_the_action(admin, login):
    client = login(_in_english(admin))
    response = client.post(
        _changelist(User), {"action": "disable_and_end_sessions", "_selected_action": [admin.pk]}, follow=True,
    )
    assert "You cannot disable yourself." in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


def test_admin_user_list_filters_by_role_and_team(cast, login):
    client = login(cast["admin"])
    response = client.get(_changelist(User), {"role__exact": "rep", "team__id__exact": cast["rep_a"].team_id})
    names = [u.username for u in response.context["cl"].result_list]
    assert sorted(names) == ["rep_a", "rep_a2"]


def test_admin_team_managers_are_chosen_among_managers(cast, login):
    client = login(cast["admin"])
    team = Team.objects.get(name="Team A")
    response = client.get(_change(team))
    choices = {u.username for u in response.context["adminform"].form.fields["managers"].queryset}
    assert choices == {"director", "manager_a", "admin"}
    assert "rep_a" in response.content.decode()  # members listed


def test_admin_company_settings_is_a_single_row(admin, login):
    client = login(admin)
    row = CompanySettings.load()
    response = client.get(_changelist(CompanySettings))
    assert response.status_code == 302 and response["Location"] == _change(row)
    assert client.get(reverse("admin:core_companysettings_add")).status_code == 403
    assert client.post(reverse("admin:core_companysettings_delete", args=[row.pk]), {"post": "yes"}).status_code == 403
    response = client.post(_change(row), {
        "pool_return_days": 60, "pool_warning_days": 5, "pool_max_customers_per_rep": 300,
        "pool_daily_claim_limit": 10, "pool_reclaim_cooldown_days": 30, "default_currency": "CNY",
        "key_account_visit_days": 30, "default_max_discount_pct": "8.5", "default_payment_term_days": 45,
        "default_commission_rate_pct": "2.25", "credit_overdue_block_days": 60,
    })
    assert response.status_code == 302
    assert CompanySettings.load().pool_return_days == 60
    assert CompanySettings.load().default_max_discount_pct == Decimal("8.50")
    assert CompanySettings.objects.count() == 1


def test_admin_history_is_read_only(admin, customer_a, login):
    event = audit_record(actor=admin, verb="update", obj=customer_a, customer=customer_a, changes={"city": ["深圳", "广州"]})
    client = login(admin)
    page = client.get(_change(event))
    assert page.status_code == 200
    body = page.content.decode()
    assert "广州" in body and 'name="_save"' not in body
    assert client.post(_change(event), {"verb": "delete"}).status_code == 403
    assert client.get(reverse("admin:core_auditevent_add")).status_code == 403
    assert client.post(reverse("admin:core_auditevent_delete", args=[event.pk]), {"post": "yes"}).status_code == 403
    assert AuditEvent.objects.get(pk=event.pk).verb == "update"


def test_admin_customer_records_are_read_only(admin, customer_a, login):
    client = login(admin)
    page = client.get(_change(customer_a)).content.decode()
    assert 'name="_save"' not in page
    assert reverse("customers:detail", args=[customer_a.pk]) in page
    assert client.post(_change(customer_a), {"name": "改名"}).status_code == 403
    assert client.get(reverse("admin:customers_customer_add")).status_code == 403
    customer_a.refresh_from_db()
    assert customer_a.name == "华为技术有限公司"


def test_admin_pages_use_djangos_chinese_catalogue(admin, login):
    assert settings.LANGUAGE_CODE == "zh-hans"
    body = login(admin).get(reverse("admin:index")).content.decode()
    assert "最近动作" in body  # "Recent actions", from Django's own zh_Hans catalogue


def test_admin_editing_a_command_line_superuser_keeps_them_admin(admin, login):
    root = User.objects.create_superuser("root", password=PASSWORD)  # role left at its default
    assert root.is_admin_role
    client = login(admin)
    form = client.get(_change(root)).context["adminform"].form
    assert form.initial["role"] == "admin"
    data = _edit_data(root, role="admin", name="Root")
    assert client.post(_change(root), data).status_code == 302
    root.refresh_from_db()
    assert (root.role, root.is_staff, root.is_superuser) == ("admin", True, True)
