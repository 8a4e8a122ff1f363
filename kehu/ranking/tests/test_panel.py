"""`{% ranking_panel customer %}` on the customer page: the current tier, class and key-account
flag with the as-of date, rank and score of the latest run of each model, links to the runs,
the terms the customer gets, "Not ranked yet" (with a run link for admin and directors), and
at most six queries."""

from datetime import date
from decimal import Decimal

import pytest
from django.http import HttpResponse
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import NoReverseMatch, include, path, reverse
from django.utils import translation

import config.urls
import kehu.ranking.urls
from kehu.core.models import CompanySettings
from kehu.ranking.models import EvaluationResult, EvaluationRun, TierPolicy
from kehu.ranking.services import current_ranking_apply

D = Decimal


# The run pages belong to another part of the ranking app; until they exist this module
# serves stand-ins under the same names so the links can be checked.
def _stand_in(request, pk=None):
    return HttpResponse("")


_ranking = list(kehu.ranking.urls.urlpatterns)
_names = {getattr(p, "name", None) for p in _ranking}
if "run-detail" not in _names:
    _ranking.append(path("runs/<int:pk>/", _stand_in, name="run-detail"))
if "run-create" not in _names:
    _ranking.append(path("runs/new/", _stand_in, name="run-create"))
urlpatterns = [p for p in config.urls.urlpatterns if str(p.pattern) != "ranking/"] + [
    path("ranking/", include((_ranking, "ranking"))),
]
pytestmark = pytest.mark.urls(__name__)


@pytest.fixture(autouse=True)
def _english():
    with translation.override("en"):
        yield


def _render(user, customer):
    request = RequestFactory().get("/")
    request.user = user
    return Template("{% load ranking_panel %}{% ranking_panel customer %}").render(
        Context({"request": request, "customer": customer})
    )


def _run(model, as_of, rows):
    """rows: [(customer, class, rank, score)]; applied like a real run."""
    run = EvaluationRun.objects.create(model=model, as_of=as_of, params={})
    EvaluationResult.objects.bulk_create([
        EvaluationResult(run=run, customer=c, position=i, rank=rank, score=score, klass=k)
        for i, (c, k, rank, score) in enumerate(rows)
    ])
    current_ranking_apply(run)
    return run


@pytest.fixture
def ranked(customer_a, customer_b):
    runs = {
        "pyramid": _run("pyramid", date(2026, 6, 30), [(customer_a, "important", 1, None), (customer_b, "small", 2, None)]),
        "value": _run("value", date(2026, 5, 31), [(customer_a, "diamond", 3, D("87.5")), (customer_b, "general", 9, D("10"))]),
        "key_account": _run("key_account", date(2026, 1, 31), [(customer_a, "key", 1, D("91.25")), (customer_b, "other", 2, D("12"))]),
    }
    customer_a.refresh_from_db()
    return runs


@pytest.mark.parametrize("who,sees_link", [("admin", True), ("director", True), ("manager_a", True), ("rep_a", False), ("finance", False)])
def test_not_ranked_yet(request, customer_a, who, sees_link):
    html = _render(request.getfixturevalue(who), customer_a)
    assert "Not ranked yet" in html
    assert (reverse("ranking:run-create") in html) is sees_link


def test_shows_tier_class_and_key_flag_with_their_runs(rep_a, customer_a, ranked):
    html = _render(rep_a, customer_a)
    assert "Not ranked yet" not in html
    assert "Important" in html and "Diamond" in html and "Key account" in html
    for run in ranked.values():
        assert reverse("ranking:run-detail", args=[run.pk]) in html
    assert "as of 2026-06-30" in html and "as of 2026-05-31" in html and "as of 2026-01-31" in html
    assert "rank 3" in html and "score 87.5" in html and "score 91.3" in html  # one decimal, half-up (docs/rules.md)


def test_other_customer_shows_its_own_ranking(rep_b, customer_b, ranked):
    customer_b.refresh_from_db()
    html = _render(rep_b, customer_b)
    assert "Small" in html and "General" in html
    assert "rank 9" in html and "Diamond" not in html and "Key account</span>" not in html


def test_a_model_never_run_and_a_customer_outside_a_run(rep_a, customer_a, customer_a2):
    _run("pyramid", date(2026, 6, 30), [(customer_a2, "small", 1, None)])
    html = _render(rep_a, customer_a)
    assert "Never run" in html  # value and key accounts
    assert "Not ranked" in html  # customer_a is not in the pyramid run


def test_terms_are_the_company_default_without_policies(rep_a, customer_a, ranked):
    conf = CompanySettings.load()
    html = _render(rep_a, customer_a)
    assert "company default" in html
    assert f'data-testid="policy-payment_term_days">{conf.default_payment_term_days}' in html


def test_terms_name_the_policy_that_set_them(rep_a, customer_a, ranked):
    TierPolicy.objects.create(model="value", klass="diamond", max_discount_pct=D("15"), service_notes="Dedicated engineer")
    TierPolicy.objects.create(model="key_account", klass="key", payment_term_days=60)
    html = _render(rep_a, customer_a)
    assert "company default" not in html
    assert 'data-testid="policy-max_discount_pct">15 <span class="small kehu-muted">Diamond (value class)' in html
    assert 'data-testid="policy-payment_term_days">60 <span class="small kehu-muted">Key account' in html
    assert "Dedicated engineer" in html


def test_panel_costs_at_most_six_queries(rep_a, customer_a, ranked, django_assert_max_num_queries):
    TierPolicy.objects.create(model="pyramid", klass="important", max_discount_pct=D("12"))
    CompanySettings.load()
    with django_assert_max_num_queries(6):
        _render(rep_a, customer_a)


def test_customer_page_shows_the_panel(login, rep_a, customer_a, customer_b, ranked):
    rep_a.language = "en"
    rep_a.save(update_fields=["language"])
    client = login(rep_a)
    response = client.get(reverse("customers:detail", args=[customer_a.pk]))
    assert response.status_code == 200
    # drawn after the page (issue 13): a placeholder that loads customers:panels?key=ranking
    panel_url = reverse("customers:panels", args=[customer_a.pk]) + "?key=ranking"
    assert f'hx-get="{panel_url}"' in response.content.decode()
    html = client.get(panel_url, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-testid="ranking-panel"' in html and "Diamond" in html
    # the panel is on the customer's page only: another team's customer stays a 404
    assert client.get(reverse("customers:detail", args=[customer_b.pk])).status_code == 404
    assert client.get(reverse("customers:panels", args=[customer_b.pk]) + "?key=ranking").status_code == 404


def test_stand_in_routes_only_fill_gaps():
    # Once the run pages exist, this module uses them (same names, same arguments).
    try:
        reverse("ranking:run-detail", args=[1], urlconf="config.urls")
    except NoReverseMatch:
        assert "run-detail" not in _names
    else:
        assert "run-detail" in _names


def test_inactive_director_gets_no_run_link(director, customer_a):
    """The panel and the run pages answer "may start a run?" with one rule (issue 10: the
    panel's copy forgot the active flag)."""
    director.is_active = False
    assert 'data-testid="run-link"' not in _render(director, customer_a)
