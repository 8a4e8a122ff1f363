"""Tier policies (DOMAIN.md §5.4, kehu/ranking/policy.py): the fall-through rule per field,
the providers registered for the layers below, bulk queries, the admin's policies page, and
where the policies are enforced (commission, key-account visit alerts)."""

import json
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from kehu.activities import hooks
from kehu.activities.agenda import visit_intervals
from kehu.activities.models import Activity
from kehu.core.models import AuditEvent, CompanySettings
from kehu.customers.models import Customer
from kehu.ranking import wiring
from kehu.ranking.models import RankingSettings, TierPolicy
from kehu.ranking.policy import customer_policy_detail, policy_sources, tier_policies, tier_visit_intervals
from kehu.ranking.services import tier_policies_set
from kehu.sales import policy
from kehu.sales.policy import customer_policies, customer_policy

pytestmark = pytest.mark.django_db
D = Decimal


@pytest.fixture
def defaults():
    conf = CompanySettings.load()
    conf.default_max_discount_pct = D("5.00")
    conf.default_payment_term_days = 30
    conf.default_commission_rate_pct = D("3.00")
    conf.key_account_visit_days = 30
    conf.save()
    return conf


def rank(customer, *, key=False, value="", pyramid=""):
    Customer.objects.filter(pk=customer.pk).update(is_key_account=key, value_class=value, pyramid_tier=pyramid)
    customer.refresh_from_db()
    return customer


def tp(model, klass, **fields):
    return TierPolicy.objects.create(model=model, klass=klass, **fields)


# --- the rule ----------------------------------------------------------------------------------

def test_provider_is_registered_once(defaults):
    wiring.register()
    wiring.register()
    assert list(policy.POLICY_PROVIDERS).count(tier_policies) == 1
    assert list(hooks.VISIT_INTERVAL_PROVIDERS).count(tier_visit_intervals) == 1


def test_each_field_falls_through_key_account_then_value_then_pyramid_then_default(defaults, customer_a):
    rank(customer_a, key=True, value="diamond", pyramid="important")
    tp("key_account", "key", visit_interval_days=14, service_notes="Dedicated engineer")
    tp("value", "diamond", max_discount_pct=D("8.00"), payment_term_days=60, visit_interval_days=21, service_notes="Fast response")
    tp("pyramid", "important", max_discount_pct=D("6.00"), commission_rate_pct=D("4.50"), payment_term_days=45)
    got = customer_policy(customer_a)
    assert got.visit_interval_days == 14  # key account first
    assert got.max_discount_pct == D("8.00") and got.payment_term_days == 60  # value class before the pyramid
    assert got.commission_rate_pct == D("4.50")  # only the pyramid sets it
    assert got.tier == "value:diamond"  # stored as a key, shown in each reader's language
    assert policy_sources(customer_a) == {
        "max_discount_pct": "Diamond (value class)", "payment_term_days": "Diamond (value class)",
        "commission_rate_pct": "Important (pyramid tier)", "visit_interval_days": "Key account"}
    detail = customer_policy_detail(customer_a)
    assert [n["text"] for n in detail["notes"]] == ["Dedicated engineer", "Fast response"]
    assert [n["source"] for n in detail["notes"]] == ["Key account", "Diamond (value class)"]
    assert detail["placements"] == ["Key account", "Diamond (value class)", "Important (pyramid tier)"]
    assert not detail["is_default"]


def test_unset_fields_come_from_the_company_default(defaults, customer_a):
    rank(customer_a, value="problem")
    tp("value", "problem", max_discount_pct=D("2.00"))
    got = customer_policy(customer_a)
    assert (got.max_discount_pct, got.payment_term_days, got.commission_rate_pct, got.visit_interval_days) == (D("2.00"), 30, D("3.00"), None)
    assert policy_sources(customer_a)["payment_term_days"] == ""


def test_a_key_account_without_an_interval_gets_the_company_visit_days(defaults, customer_a):
    rank(customer_a, key=True, value="diamond")
    tp("value", "diamond", max_discount_pct=D("9.00"))
    assert customer_policy(customer_a).visit_interval_days == 30
    assert tier_visit_intervals(customer_ids=[customer_a.pk]) == {}  # the company default answers in the agenda


def test_customers_without_a_policy_row_get_the_company_default(defaults, customer_a, customer_a2, customer_b):
    rank(customer_a, value="problem")
    rank(customer_a2, value="diamond")  # no row for diamond
    tp("value", "problem", max_discount_pct=D("2.00"))
    assert set(tier_policies([customer_a.pk, customer_a2.pk, customer_b.pk])) == {customer_a.pk}
    got = customer_policies([customer_a.pk, customer_a2.pk, customer_b.pk])
    assert got[customer_a.pk].max_discount_pct == D("2.00")
    assert got[customer_a2.pk].max_discount_pct == got[customer_b.pk].max_discount_pct == D("5.00")
    assert got[customer_b.pk].tier == ""
    assert customer_policy_detail(customer_b)["is_default"]


def test_bulk_queries_do_not_grow_with_the_number_of_customers(defaults, rep_a):
    from conftest import make_customer as mk

    tp("value", "problem", max_discount_pct=D("2.00"))
    tp("pyramid", "small", payment_term_days=15)
    customers = [rank(mk(rep_a, f"C{n}", f"X{n:03d}"), value="problem", pyramid="small") for n in range(40)]
    with CaptureQueriesContext(connection) as few:
        tier_policies([customers[0].pk])
    with CaptureQueriesContext(connection) as many:
        result = tier_policies([c.pk for c in customers])
    assert len(few.captured_queries) == len(many.captured_queries) == 3  # policies, customers, company settings
    assert len(result) == 40 and all(p.payment_term_days == 15 for p in result.values())
    TierPolicy.objects.all().delete()
    with CaptureQueriesContext(connection) as none:
        assert tier_policies([c.pk for c in customers]) == {}
    assert len(none.captured_queries) == 1


# --- where they apply: commission, visit alerts ---------------------------------------------------

def test_commission_uses_the_rate_of_the_tier_policy(defaults, finance, rep_a, customer_a):
    from kehu.finance.commission import commission_report
    from kehu.finance.services import contract_plan_set, payment_record
    from kehu.sales.models import Contract

    rank(customer_a, pyramid="important")
    tp("pyramid", "important", commission_rate_pct=D("10.00"))
    contract = Contract.objects.create(code="K1", customer=customer_a, owner=rep_a, signed_on=date(2026, 1, 1), amount=D("1000.00"))
    contract_plan_set(actor=finance, contract=contract, instalments=[(1, date(2026, 2, 1), D("1000.00"))])
    payment_record(actor=finance, customer=customer_a, contract=contract, amount=D("200.00"), paid_on=date(2026, 5, 10))
    per_rep, lines = commission_report(user=finance, date_from=date(2026, 5, 1), date_to=date(2026, 5, 31))
    assert [line.commission for line in lines] == [D("20.00")]  # 10 %, not the default 3 %


def _daily() -> dict:
    for model in ("pyramid", "value", "key_account"):  # no scheduled run: the flags stay as set here
        conf = RankingSettings.load(model)
        conf.every_months = 0
        conf.save()
    out = StringIO()
    call_command("daily", "--json", stdout=out)
    return json.loads(out.getvalue())


def test_a_key_accounts_policy_interval_drives_the_overdue_visit_alert(defaults, rep_a, customer_a, customer_a2):
    since = timezone.now() - timedelta(days=400)
    for c in (customer_a, customer_a2):
        Customer.objects.filter(pk=c.pk).update(is_key_account=True, owned_since=since, created_at=since)
        at = timezone.make_aware(datetime.combine(timezone.localdate() - timedelta(days=20), time(10, 0)))
        Activity.objects.create(customer=c, owner=c.owner, status="done", at=at, kind="visit", visit_level="business", summary="v")
    rank(customer_a, key=True)
    rank(customer_a2, key=True)
    assert _daily()["visits_overdue"] == 0  # 20 days < the company's 30
    tp("key_account", "key", visit_interval_days=14)
    assert visit_intervals(customer_ids=[customer_a.pk, customer_a2.pk]) == {customer_a.pk: 14, customer_a2.pk: 14}
    assert _daily()["visits_overdue"] == 2


# --- the page ------------------------------------------------------------------------------------

def form_data(**rows):
    """POST data: every row blank unless given ({"value-problem": {"max_discount_pct": "2"}})."""
    from kehu.ranking.policy import model_classes

    data = {}
    for model, classes in model_classes().items():
        for klass, _label in classes:
            given = rows.get(f"{model}-{klass}".replace("-", "_"), {})
            for name in ("max_discount_pct", "payment_term_days", "visit_interval_days", "commission_rate_pct", "service_notes"):
                data[f"{model}-{klass}-{name}"] = given.get(name, "")
    return data


@pytest.mark.parametrize("who", ["director", "manager_a", "rep_a", "finance"])
def test_only_admins_open_the_policies_page(login, request, who):
    client = login(request.getfixturevalue(who))
    assert client.get(reverse("ranking:policies")).status_code == 403
    assert client.post(reverse("ranking:policies"), form_data(value_problem={"max_discount_pct": "2"})).status_code == 403
    assert not TierPolicy.objects.exists()


def test_anonymous_is_sent_to_sign_in(client):
    assert client.get(reverse("ranking:policies")).status_code == 302


def test_admin_sees_every_class_and_the_company_defaults(login, admin, defaults, django_assert_max_num_queries):
    tp("value", "problem", max_discount_pct=D("2.00"))
    client = login(admin)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("ranking:policies"))
    assert page.status_code == 200
    text = page.content.decode()
    for label in ("Key account", "Diamond", "General opportunity", "Important", "Small", "Company defaults"):
        assert label in text
    assert page.context["tables"][1]["forms"][4].initial["max_discount_pct"] == D("2.00")


def test_admin_saves_changes_clears_and_audits(login, admin, defaults):
    tp("value", "problem", max_discount_pct=D("2.00"))
    tp("pyramid", "small", payment_term_days=15)
    client = login(admin)
    response = client.post(reverse("ranking:policies"), form_data(
        value_problem={"max_discount_pct": "1.5"},  # changed
        key_account_key={"visit_interval_days": "14", "service_notes": "Dedicated engineer"},  # new
        # pyramid small left blank: removed
    ))
    assert response.status_code == 302
    rows = {(r.model, r.klass): r for r in TierPolicy.objects.all()}
    assert set(rows) == {("value", "problem"), ("key_account", "key")}
    assert rows[("value", "problem")].max_discount_pct == D("1.50")
    assert rows[("key_account", "key")].visit_interval_days == 14
    verbs = sorted(AuditEvent.objects.filter(object_type="tierpolicy").values_list("verb", flat=True))
    assert verbs == ["create", "remove", "update"]
    # saving the same again changes nothing and records nothing
    client.post(reverse("ranking:policies"), form_data(value_problem={"max_discount_pct": "1.50"},
                                                        key_account_key={"visit_interval_days": "14", "service_notes": "Dedicated engineer"}))
    assert AuditEvent.objects.filter(object_type="tierpolicy").count() == 3


@pytest.mark.parametrize("field, value", [
    ("max_discount_pct", "100.01"), ("max_discount_pct", "-1"), ("max_discount_pct", "2.555"), ("max_discount_pct", "abc"),
    ("commission_rate_pct", "101"), ("payment_term_days", "-3"), ("visit_interval_days", "1.5"),
])
def test_bad_input_shows_form_errors_and_saves_nothing(login, admin, field, value):
    tp("pyramid", "small", payment_term_days=15)
    response = login(admin).post(reverse("ranking:policies"), form_data(
        value_diamond={"max_discount_pct": "8"}, value_problem={field: value}, pyramid_small={"payment_term_days": "20"}))
    assert response.status_code == 200
    assert response.context["error"]
    assert any(f.errors for t in response.context["tables"] for f in t["forms"])
    assert list(TierPolicy.objects.values_list("model", "klass", "payment_term_days")) == [("pyramid", "small", 15)]


def test_the_service_refuses_non_admins_and_bad_values_all_or_nothing(admin, manager_a):
    from django.core.exceptions import PermissionDenied

    from kehu.ranking.errors import RankingError

    with pytest.raises(PermissionDenied):
        tier_policies_set(actor=manager_a, values={("value", "problem"): {"max_discount_pct": D("2")}})
    with pytest.raises(RankingError):
        tier_policies_set(actor=admin, values={("value", "diamond"): {"max_discount_pct": D("8")},
                                               ("value", "problem"): {"max_discount_pct": D("2.001")}})
    with pytest.raises(RankingError):
        tier_policies_set(actor=admin, values={("value", "nonsense"): {"max_discount_pct": D("8")}})
    assert not TierPolicy.objects.exists()


# --- issue 10: two admins on the policies page ----------------------------------------------------

def _opened_policies(client):
    """Every input of the policies page as it was opened (the hidden seen token included)."""
    import re

    html = client.get(reverse("ranking:policies")).content.decode()
    data = {name: value for name, value in re.findall(r'<input[^>]*name="([^"]+)"[^>]*value="([^"]*)"', html)}
    data.update({name: value for name, value in re.findall(r'<textarea[^>]*name="([^"]+)"[^>]*>\s*([^<]*)</textarea>', html)})
    data.pop("csrfmiddlewaretoken", None)
    return data


def test_second_admin_saving_an_older_policies_page_is_refused(login, admin, defaults):
    """The last session's note: "a second admin saving the policies page overwrites the first's
    edits". The page saves every row at once, so the guard covers the whole set."""
    from django.test import Client

    tp("value", "problem", max_discount_pct=D("2.00"))
    first = login(admin)
    second = Client()
    second.force_login(admin)
    mine = _opened_policies(first)
    theirs = _opened_policies(second)
    assert "seen" in mine, "the page carries the values it was opened with"
    theirs.update({"pyramid-small-payment_term_days": "20", "value-problem-max_discount_pct": "1.5"})
    assert second.post(reverse("ranking:policies"), theirs).status_code == 302

    mine.update({"key_account-key-visit_interval_days": "14"})
    response = first.post(reverse("ranking:policies"), mine)
    assert response.status_code == 200
    text = response.content.decode()
    assert "Somebody else saved the tier policies after you opened this page." in text
    assert "Small (pyramid tier): Payment term (days): “” → “20”" in text
    assert "Problem (value class): Maximum discount %: “2” → “1.5”" in text
    # nothing of the older page was saved, the other admin's edits stand
    rows = {(r.model, r.klass): r for r in TierPolicy.objects.all()}
    assert set(rows) == {("value", "problem"), ("pyramid", "small")}
    assert rows[("value", "problem")].max_discount_pct == D("1.50")
    assert rows[("pyramid", "small")].payment_term_days == 20
    # the user's input is kept on the refused page; saving it again applies it over the new values
    assert response.context["tables"][0]["forms"][0]["visit_interval_days"].value() == "14"
    again = _opened_policies(first) | {"key_account-key-visit_interval_days": "14"}
    assert first.post(reverse("ranking:policies"), again).status_code == 302
    assert TierPolicy.objects.get(model="key_account").visit_interval_days == 14
    assert TierPolicy.objects.get(model="pyramid", klass="small").payment_term_days == 20
