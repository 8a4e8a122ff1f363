"""The targets grid of a large firm: every rep's and team's 12 months are posted at once, more
fields than Django's default limit of 1,000."""

from decimal import Decimal

import pytest
from django.urls import reverse

from kehu.planning.models import Target

pytestmark = pytest.mark.django_db

GRID = reverse("planning:targets")


def test_a_grid_of_many_rows_saves(login, cast):
    client = login(cast["admin"])
    rep_a = cast["rep_a"]
    data = {"year": 2026, "measure": "won", "action": "save"}
    for other in range(150):  # cells of rows the posted form carried unchanged (ignored: no such row)
        for m in range(1, 13):
            data[f"m-user-{900000 + other}-{m}"] = ""
    for m, v in enumerate(["100", "200", *[""] * 10], start=1):
        data[f"m-user-{rep_a.pk}-{m}"] = v
    assert len(data) > 1_800
    response = client.post(GRID, data)
    assert response.status_code == 302
    assert Target.objects.get(scope="user", user=rep_a, year=2026).amount == Decimal("300.00")
