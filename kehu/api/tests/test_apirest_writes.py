"""The apirest writes and record reads (issue 14): a forecast adjustment (the roll-up's service,
permissions and audit), the comparison of two ranking runs, webhook management (admin only; the
secret shown once), and the deletions for incremental sync (what, scoped to whom)."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from kehu.core.models import AuditEvent
from kehu.planning.models import ForecastAdjustment, ForecastSubmission

pytestmark = pytest.mark.django_db
D = Decimal


# --- a forecast adjustment ---------------------------------------------------------------------

@pytest.fixture
def sub(rep_a):
    return ForecastSubmission.objects.create(user=rep_a, period="2026-06", period_start=date(2026, 6, 1), period_end=date(2026, 6, 30),
                                             submitted_on=date(2026, 6, 4), commit=D("100.00"), best_case=D("150.00"), created_by=rep_a)


def _adjust(api, user, submission, **body):
    return api(user).post(f"/api/forecasts/{submission.pk}/adjust/", body, format="json")


def test_manager_adjusts_through_the_service_audited_and_the_rollup_shows_it(api, manager_a, rep_a, sub):
    response = _adjust(api, manager_a, sub, commit="80.00", best_case="120.50", note="客户预算推迟")
    assert response.status_code == 201, response.content
    body = response.json()
    adjustment = ForecastAdjustment.objects.get()
    assert body == {"id": adjustment.pk, "submission": sub.pk, "commit": "80.00", "best_case": "120.50", "currency": "CNY",
                    "note": "客户预算推迟", "created_by": manager_a.pk, "created_at": body["created_at"]}
    sub.refresh_from_db()
    assert (sub.commit, sub.best_case) == (D("100.00"), D("150.00"))  # beside, never over
    event = AuditEvent.objects.get(object_type="forecastadjustment")
    assert event.actor == manager_a and event.changes["commit"] == [None, "80.00"] and event.note == "客户预算推迟"
    rollup = api(manager_a).get("/api/forecasts/rollup/", {"period": "2026-06"}).json()
    row = next(r for r in rollup["rows"] if r["user"] == rep_a.pk)
    assert (row["commit"], row["adjusted_commit"], row["adjusted_best_case"], row["adjusted"]) == ("100.00", "80.00", "120.50", True)


@pytest.mark.parametrize("who, status", [("rep_a", 403), ("finance", 403), ("rep_a2", 404), ("rep_b", 404), ("director", 201),
                                         ("admin", 201)])
def test_who_may_adjust(api, cast, sub, who, status):
    response = _adjust(api, cast[who], sub, commit="1.00", note="x")
    assert response.status_code == status, response.content
    assert ForecastAdjustment.objects.count() == (1 if status == 201 else 0)


def test_manager_of_another_team_gets_404(api, rep_b, team_b, sub):
    from factories import UserFactory

    manager_b = UserFactory(username="manager_b", role="manager")
    team_b.managers.add(manager_b)
    assert _adjust(api, manager_b, sub, commit="1.00", note="x").status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"commit": "-1", "note": "x"}, "commit"), ({"commit": "1.001", "note": "x"}, "commit"), ({"note": "x"}, "commit"),
    ({"commit": "1", "note": ""}, "note"), ({"commit": "1", "note": "x" * 501}, "note"),
])
def test_bad_input_is_a_400_naming_the_field(api, manager_a, sub, body, field):
    response = _adjust(api, manager_a, sub, **body)
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == [field]
    assert not ForecastAdjustment.objects.exists()


def test_service_rules_are_a_400_rule_violated_translated(api, manager_a, rep_a, sub):
    response = _adjust(api, manager_a, sub, commit="200", best_case="100", note="x")
    assert response.status_code == 400 and response.json()["error"] == {"code": "rule_violated", "message": "乐观预测不能低于承诺预测。"}
    ForecastSubmission.objects.create(user=rep_a, period="2026-06", period_start=date(2026, 6, 1), period_end=date(2026, 6, 30),
                                      submitted_on=date(2026, 6, 11), commit=D("90.00"), created_by=rep_a)
    manager_a.language = "en"
    manager_a.save(update_fields=["language"])
    response = _adjust(api, manager_a, sub, commit="1", note="x")
    assert response.status_code == 400 and response.json()["error"] == {
        "code": "rule_violated",
        "message": "The rep has a newer forecast for this period; open the roll-up again and adjust that one."}
    assert not ForecastAdjustment.objects.exists()


# --- ranking run comparison --------------------------------------------------------------------

@pytest.fixture
def runs(cast):
    """Two pyramid runs: customer_a major → important (promoted), customer_b small → (gone: left), pool_customer
    enters as ordinary; customer_a2 ordinary → small (demoted)."""
    from kehu.ranking.models import EvaluationResult, EvaluationRun

    def run(as_of, rows):
        r = EvaluationRun.objects.create(model="pyramid", as_of=as_of, result_count=len(rows))
        for position, (key, tier, sales) in enumerate(rows, start=1):
            EvaluationResult.objects.create(run=r, customer=cast[key], position=position, rank=position, klass=tier,
                                            score=D("0.5"), sales=D(sales), profit=D("1.00"), indicators={"sales": sales, "profit": "1.00"})
        return r

    before = run(date(2026, 3, 31), [("customer_a", "major", "100.00"), ("customer_b", "small", "5.00"), ("customer_a2", "ordinary", "50.00")])
    after = run(date(2026, 6, 30), [("customer_a", "important", "300.00"), ("pool_customer", "ordinary", "40.00"),
                                    ("customer_a2", "small", "20.00")])
    return before, after


def test_compare_is_the_pages_diff_for_the_director(api, cast, runs):
    before, after = runs
    response = api(cast["admin"]).get(f"/api/ranking-runs/{after.pk}/compare/")
    assert response.status_code == 200
    body = response.json()
    assert (body["after"], body["before"], body["model"]) == (after.pk, before.pk, "pyramid")
    assert {k: body[k]["total"] for k in ("entered", "left", "promoted", "demoted")} == {"entered": 1, "left": 1, "promoted": 1, "demoted": 1}
    assert [r["customer_code"] for r in body["entered"]["results"]] == ["C00004"]
    assert [r["customer_code"] for r in body["left"]["results"]] == ["C00003"]
    [promoted] = body["promoted"]["results"]
    from django.utils.translation import pgettext

    assert (promoted["customer"], promoted["class_from"], promoted["class_to"]) == (
        cast["customer_a"].pk, pgettext("pyramid tier", "Major"), pgettext("pyramid tier", "Important"))
    sales = next(c for c in promoted["changes"] if c["name"] == "sales")
    assert (sales["before"], sales["after"], sales["money"], sales["ratio"]) == ("100.00", "300.00", True, False)
    [demoted] = body["demoted"]["results"]
    assert demoted["customer_code"] == "C00002"
    # with= names the run explicitly: the same answer
    assert api(cast["admin"]).get(f"/api/ranking-runs/{after.pk}/compare/", {"with": before.pk}).json() == body


def test_compare_counts_only_the_customers_a_rep_may_see(api, cast, runs):
    before, after = runs
    body = api(cast["rep_a"]).get(f"/api/ranking-runs/{after.pk}/compare/").json()
    # rep_a sees customer_a (promoted) and the pool's (entered), not rep_b's (left) nor rep_a2's (demoted)
    assert {k: body[k]["total"] for k in ("entered", "left", "promoted", "demoted")} == {"entered": 1, "left": 0, "promoted": 1, "demoted": 0}
    assert "C00003" not in str(body) and "C00002" not in str(body)


def test_compare_without_an_earlier_run_and_bad_with(api, cast, runs):
    from kehu.ranking.models import EvaluationRun

    before, after = runs
    body = api(cast["rep_a"]).get(f"/api/ranking-runs/{before.pk}/compare/").json()
    assert body["before"] is None and all(body[k] == {"total": 0, "results": []} for k in ("entered", "left", "promoted", "demoted"))
    other = EvaluationRun.objects.create(model="key_account", as_of=date(2026, 6, 30))
    for params in ({"with": other.pk}, {"with": 987654}, {"with": "x"}):
        response = api(cast["rep_a"]).get(f"/api/ranking-runs/{after.pk}/compare/", params)
        assert response.status_code == 400 and list(response.json()["error"]["fields"]) == ["with"], params
    assert api(cast["rep_a"]).get("/api/ranking-runs/987654/compare/").status_code == 404


# --- webhooks ----------------------------------------------------------------------------------

HOOKS = "/api/webhooks/subscriptions/"


def test_admin_manages_a_subscription_and_sees_the_secret_once(api, admin):
    from kehu.integrations.models import WebhookSubscription

    client = api(admin)
    response = client.post(HOOKS, {"url": "https://example.com/hook", "event_types": ["payment.recorded", "customer.created"],
                                   "description": "ERP"}, format="json")
    assert response.status_code == 201, response.content
    created = response.json()
    sub = WebhookSubscription.objects.get()
    assert created["secret"] == sub.secret and created["secret"].startswith("whsec_")
    assert created["event_types"] == ["customer.created", "payment.recorded"]  # the service's order
    assert (created["deliveries"], created["failed"], created["is_active"]) == (0, 0, True)
    assert AuditEvent.objects.filter(object_type="webhooksubscription", verb="create").count() == 1
    listed = client.get(HOOKS).json()
    assert listed["count"] == 1 and "secret" not in listed["results"][0]
    assert "secret" not in client.get(f"{HOOKS}{sub.pk}/").json()
    response = client.patch(f"{HOOKS}{sub.pk}/", {"is_active": False}, format="json")
    assert response.status_code == 200 and response.json()["is_active"] is False and "secret" not in response.json()
    sub.refresh_from_db()
    assert (sub.is_active, sub.url, sub.event_types) == (False, "https://example.com/hook", ["customer.created", "payment.recorded"])
    rotated = client.post(f"{HOOKS}{sub.pk}/rotate-secret/").json()
    assert rotated["secret"] != created["secret"] and rotated["secret_rotated_at"]
    assert client.delete(f"{HOOKS}{sub.pk}/").status_code == 204
    assert not WebhookSubscription.objects.exists() and client.get(f"{HOOKS}{sub.pk}/").status_code == 404


@pytest.mark.parametrize("body, field", [
    ({"url": "ftp://x", "event_types": ["customer.created"]}, "url"), ({"url": "https://x.com", "event_types": []}, "event_types"),
    ({"url": "https://x.com", "event_types": ["customer.deleted"]}, "event_types.0"), ({"event_types": ["customer.created"]}, "url"),
])
def test_a_bad_subscription_is_a_400_naming_the_field(api, admin, body, field):
    response = api(admin).post(HOOKS, body, format="json")
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == [field], response.json()


def test_a_url_with_a_password_is_the_services_rule(api, admin):
    response = api(admin).post(HOOKS, {"url": "https://u:p@x.com/h", "event_types": ["customer.created"]}, format="json")
    assert response.status_code == 400 and response.json()["error"]["code"] == "rule_violated"


def test_deliveries_listed_read_and_replayed(api, admin, customer_a):
    from kehu.core.events import DomainEvent
    from kehu.integrations import services
    from kehu.integrations.models import WebhookAttempt, WebhookDelivery

    sub = services.subscription_create(actor=admin, url="http://127.0.0.1:9/hook", event_types=["customer.created"])
    services.events_write(DomainEvent(type="customer.created", object_type="customer", object_ids=(customer_a.pk,)))
    delivery = WebhookDelivery.objects.get()
    WebhookDelivery.objects.filter(pk=delivery.pk).update(status="failed", attempt_count=1)
    WebhookAttempt.objects.create(delivery=delivery, number=1, started_at=timezone.now(), response_code=500, response_body="boom")
    client = api(admin)
    listed = client.get(f"{HOOKS}{sub.pk}/deliveries/").json()
    assert [d["id"] for d in listed["results"]] == [delivery.pk] and listed["results"][0]["status"] == "failed"
    assert client.get(f"{HOOKS}{sub.pk}/deliveries/", {"status": "succeeded"}).json()["results"] == []
    assert client.get(f"{HOOKS}{sub.pk}/deliveries/", {"status": "bogus"}).status_code == 400
    detail = client.get(f"/api/webhooks/deliveries/{delivery.pk}/").json()
    assert (detail["event_type"], detail["object_id"], detail["attempts"][0]["response_code"]) == ("customer.created", customer_a.pk, 500)
    response = client.post(f"/api/webhooks/deliveries/{delivery.pk}/replay/")
    assert response.status_code == 201
    replay = response.json()
    assert (replay["replay_of"], replay["event_id"], replay["status"]) == (delivery.pk, detail["event_id"], "pending")
    assert replay["uid"] != detail["uid"] and WebhookDelivery.objects.count() == 2
    assert client.get(f"{HOOKS}{sub.pk}/").json()["deliveries"] == 2
    everything = client.get("/api/webhooks/deliveries/").json()  # the deliveries page: every subscription's, newest first
    assert [d["id"] for d in everything["results"]] == [replay["id"], delivery.pk] and everything["count"] == 2
    assert [d["id"] for d in client.get("/api/webhooks/deliveries/", {"status": "failed"}).json()["results"]] == [delivery.pk]
    assert client.get("/api/webhooks/deliveries/", {"subscription": sub.pk + 1}).json()["results"] == []
    assert client.get("/api/webhooks/deliveries/", {"subscription": "x"}).status_code == 400
    services.subscription_update(actor=admin, subscription=sub, url=sub.url, event_types=sub.event_types, is_active=False)
    response = client.post(f"/api/webhooks/deliveries/{delivery.pk}/replay/")
    assert response.status_code == 400 and response.json()["error"]["code"] == "rule_violated"


@pytest.mark.parametrize("who", ["rep_a", "manager_a", "director", "finance"])
def test_only_the_admin_manages_webhooks(api, cast, who):
    from kehu.integrations import services
    from kehu.integrations.models import WebhookSubscription

    sub = services.subscription_create(actor=cast["admin"], url="http://127.0.0.1:9/hook", event_types=["customer.created"])
    client = api(cast[who])
    assert client.get(HOOKS).status_code == 403 and client.get("/api/webhooks/deliveries/").status_code == 403
    assert client.post(HOOKS, {"url": "https://x.com", "event_types": ["customer.created"]}, format="json").status_code == 403
    assert client.patch(f"{HOOKS}{sub.pk}/", {"is_active": False}, format="json").status_code == 403
    assert client.delete(f"{HOOKS}{sub.pk}/").status_code == 403
    assert client.post(f"{HOOKS}{sub.pk}/rotate-secret/").status_code == 403
    assert list(WebhookSubscription.objects.values_list("is_active", flat=True)) == [True]


# --- deletions ---------------------------------------------------------------------------------

DELETIONS = "/api/deletions/"


@pytest.fixture
def deleted(cast):
    """rep_a deletes a contact and a logged activity of customer_a; rep_b one of customer_b's activities; the admin puts
    customer_a2 in the recycle bin and merges the pool customer into customer_b."""
    from kehu.activities.models import Activity
    from kehu.activities.services import activity_delete
    from kehu.customers.models import Contact
    from kehu.customers.services import contact_delete, customer_delete, customer_merge

    contact = Contact.objects.create(customer=cast["customer_a"], name="删掉的", phone="13900000009")
    contact_delete(actor=cast["rep_a"], contact=contact)

    def logged(customer, owner):
        activity = Activity.objects.create(customer=customer, owner=owner, kind="phone", status="done",
                                           at=timezone.now() - timedelta(days=1), summary="通话")
        activity_delete(actor=owner, activity=activity)
        return activity.pk

    a_activity = logged(cast["customer_a"], cast["rep_a"])
    b_activity = logged(cast["customer_b"], cast["rep_b"])
    customer_delete(actor=cast["admin"], customer=cast["customer_a2"])
    customer_merge(actor=cast["admin"], kept=cast["customer_b"], merged=cast["pool_customer"])
    return {"contact": contact.pk, "a_activity": a_activity, "b_activity": b_activity}


def _rows(api, user, **params):
    response = api(user).get(DELETIONS, params)
    assert response.status_code == 200, response.content
    return [(r["type"], r["id"], r["customer"], r["reason"]) for r in response.json()["results"]]


def test_deletions_in_order_scoped_by_the_customer(api, cast, deleted):
    a, a2, b, pool = (cast[k].pk for k in ("customer_a", "customer_a2", "customer_b", "pool_customer"))
    everything = [("contact", deleted["contact"], a, "recycle_bin"), ("activity", deleted["a_activity"], a, "deleted"),
                  ("activity", deleted["b_activity"], b, "deleted"), ("customer", a2, a2, "recycle_bin"), ("customer", pool, pool, "merged")]
    for who in ("admin", "finance", "director"):
        assert _rows(api, cast[who]) == everything, who
    # rep_a: their customer's, and the pool customer's (merged away: it was in the pool)
    assert _rows(api, cast["rep_a"]) == [everything[0], everything[1], everything[4]]
    assert _rows(api, cast["rep_a2"]) == [everything[3], everything[4]]  # their own customer, now in the recycle bin
    assert _rows(api, cast["rep_b"]) == [everything[2], everything[4]]
    assert _rows(api, cast["manager_a"]) == [everything[0], everything[1], everything[3], everything[4]]
    assert _rows(api, cast["admin"], type="activity") == everything[1:3]


def test_deletions_since_a_time_and_a_restore_comes_back_with_updated_since(api, cast, deleted):
    from kehu.customers.services import customer_restore

    later = timezone.now()
    assert _rows(api, cast["admin"], since=later.isoformat()) == []
    customer_restore(actor=cast["admin"], customer=cast["customer_a2"])
    changed = api(cast["rep_a2"]).get("/api/customers/", {"updated_since": later.isoformat()}).json()["results"]
    assert [c["id"] for c in changed] == [cast["customer_a2"].pk]


@pytest.mark.parametrize("params, field", [({"since": "yesterday"}, "since"), ({"type": "quote"}, "type")])
def test_deletions_refuse_a_bad_parameter(api, cast, params, field):
    response = api(cast["rep_a"]).get(DELETIONS, params)
    assert response.status_code == 400 and list(response.json()["error"]["fields"]) == [field]


def test_deletions_make_a_fixed_number_of_queries(api, cast, deleted, django_assert_max_num_queries):
    client = api(cast["manager_a"])
    with django_assert_max_num_queries(8):
        assert client.get(DELETIONS).status_code == 200
