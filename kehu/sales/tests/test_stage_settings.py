"""Stages, their order and default probabilities are admin settings (DOMAIN.md §4)."""

import pytest
from django.urls import reverse

from kehu.core.models import CompanySettings
from kehu.sales.models import OpportunityStage

pytestmark = pytest.mark.django_db


def test_the_admin_changes_a_stage_probability_and_others_cannot_see_the_page(client, cast):
    stage = OpportunityStage.objects.get(code="proposal")
    url = reverse("admin:sales_opportunitystage_change", args=[stage.pk])
    client.force_login(cast["manager_a"])
    assert client.get(url).status_code in {302, 403}
    client.force_login(cast["admin"])
    page = client.get(url)
    assert page.status_code == 200
    data = {f: getattr(stage, f) for f in ("code", "name", "name_en", "position", "forecast_category")}
    data.update(probability=55, is_closed="", is_won="")
    assert client.post(url, data).status_code == 302
    stage.refresh_from_db()
    assert stage.probability == 55


def test_a_stage_in_use_cannot_be_deleted(client, cast, customer_a):
    from kehu.sales.services import opportunity_create

    opportunity = opportunity_create(actor=cast["rep_a"], customer=customer_a, title="t", amount="1.00")
    client.force_login(cast["admin"])
    url = reverse("admin:sales_opportunitystage_delete", args=[opportunity.stage_id])
    assert client.get(url).status_code == 403


def test_the_settings_page_shows_the_default_policy_and_credit_days(client, cast):
    client.force_login(cast["admin"])
    page = client.get(reverse("admin:core_companysettings_change", args=[CompanySettings.load().pk]))
    body = page.content.decode()
    for field in ("default_max_discount_pct", "default_payment_term_days", "default_commission_rate_pct", "credit_overdue_block_days", "key_account_visit_days"):
        assert f'name="{field}"' in body
