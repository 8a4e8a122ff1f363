import pytest
from django.urls import reverse


@pytest.mark.parametrize("who", ["rep_a", "manager_a", "director", "finance", "admin"])
def test_smoke(cast, login, who, django_assert_max_num_queries):
    c = login(cast[who])
    c.get(reverse("customers:list"))
    with django_assert_max_num_queries(400) as ctx:
        r = c.get(reverse("reports:workbench"))
    assert r.status_code == 200, r.content[:3000]
    print(who, len(ctx.captured_queries))
    r = c.get(reverse("reports:search"), {"q": "华为"})
    assert r.status_code == 200
