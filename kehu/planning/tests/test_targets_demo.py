"""The demo's targets: this year's for each rep and team by last year's shape, the company's,
never over an existing one, idempotent."""

from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.dataset.services import demo_company_load
from kehu.planning.models import Target

pytestmark = pytest.mark.django_db


def test_system_demo_sets_this_years_targets_once(settings, tmp_path):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    demo_company_load()
    year = timezone.localdate().year
    won = Target.objects.filter(year=year, measure="won")
    reps = set(won.filter(scope="user").values_list("user__username", flat=True))
    assert {"rep1", "rep2", "rep3"} <= reps
    assert won.filter(scope="team").exists() and won.filter(scope="company").count() == 1
    assert Target.objects.filter(year=year, measure="collections", scope="company").count() == 1
    if year == 2026:  # the example's own stay as imported
        assert won.get(scope="company").amount == Decimal("12000000.00")
        assert won.get(scope="user", user__username="rep1").amount == Decimal("1000000.01")
    count = Target.objects.count()
    stamps = list(Target.objects.order_by("pk").values_list("updated_at", flat=True))
    demo_company_load()
    assert Target.objects.count() == count
    assert list(Target.objects.order_by("pk").values_list("updated_at", flat=True)) == stamps
