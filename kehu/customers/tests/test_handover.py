"""Handover (交接): a manager moves all or chosen customers of one rep to another."""

from datetime import timedelta

import pytest
from django.utils import translation
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from django.utils import timezone, translation

from conftest import _user, make_customer
from kehu.core.models import AuditEvent
from kehu.customers import hooks
from kehu.customers.errors import CustomerError
from kehu.customers.models import Customer, Handover
from kehu.customers.services import customer_handover, customer_update


@pytest.fixture(autouse=True)
def _english():
    """These tests compare the English source messages; the site default is Chinese."""
    with translation.override("en"):
        yield


HTMX = {"HX-Request": "true"}


def english(*users):
    for user in users:
        user.language = "en"
        user.save(update_fields=["language"])


def owners(*customers):
    return [Customer.objects.get(pk=c.pk).owner_id for c in customers]


@pytest.fixture
def customer_a3(rep_a):
    return make_customer(rep_a, "长城电子有限公司", "C00010", province="北京")


# --- the service ---------------------------------------------------------------------------

def test_director_hands_over_all_customers_of_rep_a(director, rep_a, rep_a2, customer_a, customer_a3):
    old_clock = timezone.now() - timedelta(days=80)
    Customer.objects.filter(pk=customer_a.pk).update(pool_clock_at=old_clock, return_warned_at=timezone.now())
    customer_update(actor=rep_a, customer=customer_a, data={"notes": "met the buyer"})
    history_before = AuditEvent.objects.filter(customer=customer_a).count()

    handover = customer_handover(actor=director, from_user=rep_a, to_user=rep_a2, note="rep_a left")

    assert owners(customer_a, customer_a3) == [rep_a2.pk, rep_a2.pk]
    moved = Customer.objects.get(pk=customer_a.pk)
    assert moved.pool_clock_at > old_clock and moved.return_warned_at is None and moved.owned_since
    assert (handover.actor, handover.from_user, handover.to_user, handover.customer_count) == (director, rep_a, rep_a2, 2)
    assert set(handover.customers.values_list("pk", flat=True)) == {customer_a.pk, customer_a3.pk}
    assert handover.at and handover.note == "rep_a left"
    # history stays, and each customer records the handover
    assert AuditEvent.objects.filter(customer=customer_a).count() == history_before + 1
    event = AuditEvent.objects.get(customer=customer_a, verb="handover")
    assert event.actor == director and event.changes == {"owner": [rep_a.pk, rep_a2.pk]} and customer_a.name in event.object_label


def test_director_hands_over_chosen_customers(director, rep_a, rep_a2, customer_a, customer_a3):
    handover = customer_handover(actor=director, from_user=rep_a, to_user=rep_a2, customer_ids=[customer_a3.pk])
    assert owners(customer_a, customer_a3) == [rep_a.pk, rep_a2.pk]
    assert handover.customer_count == 1
    assert AuditEvent.objects.filter(verb="handover").count() == 1


def test_director_hands_over_across_teams(director, rep_a, rep_b, customer_a):
    customer_handover(actor=director, from_user=rep_a, to_user=rep_b)
    assert owners(customer_a) == [rep_b.pk]


def test_open_work_moves_with_the_customers(monkeypatch, director, rep_a, rep_a2, customer_a):
    calls = []

    def mover(*, actor, from_user, to_user, customer_ids):
        calls.append((from_user.pk, to_user.pk, customer_ids))
        return {"open opportunities": 3}

    monkeypatch.setattr(hooks, "HANDOVER_MOVERS", [mover])
    handover = customer_handover(actor=director, from_user=rep_a, to_user=rep_a2)
    assert calls == [(rep_a.pk, rep_a2.pk, [customer_a.pk])]
    assert handover.related_counts == {"open opportunities": 3}


def test_manager_a_refused_for_team_b(manager_a, rep_a, rep_b, customer_b):
    with pytest.raises(PermissionDenied):
        customer_handover(actor=manager_a, from_user=rep_b, to_user=rep_a)
    with pytest.raises(PermissionDenied):
        customer_handover(actor=manager_a, from_user=rep_a, to_user=rep_b)
    assert owners(customer_b) == [rep_b.pk]
    assert not Handover.objects.exists()


def test_rep_cannot_hand_over(rep_a, rep_a2, customer_a):
    with pytest.raises(PermissionDenied):
        customer_handover(actor=rep_a, from_user=rep_a, to_user=rep_a2)
    assert owners(customer_a) == [rep_a.pk]


def test_chosen_customer_moved_meanwhile_writes_nothing(director, rep_a, rep_a2, customer_a, customer_a2):
    with pytest.raises(CustomerError) as exc:
        customer_handover(actor=director, from_user=rep_a, to_user=rep_a2, customer_ids=[customer_a.pk, customer_a2.pk])
    with translation.override("en"):
        assert "1 of the chosen customers no longer belong to rep_a" in str(exc.value.message)
    assert owners(customer_a, customer_a2) == [rep_a.pk, rep_a2.pk]
    assert not Handover.objects.exists() and not AuditEvent.objects.filter(verb="handover").exists()


@pytest.mark.parametrize("case, message", [
    ("same", "Choose two different people."),
    ("inactive", "Customers can only be handed to an active rep or manager."),
    ("finance", "Customers can only be handed to an active rep or manager."),
    ("nothing", "There is no customer to hand over."),
])
def test_director_gets_clear_message(director, rep_a, rep_a2, finance, customer_a, case, message):
    from_user, to_user = rep_a, rep_a2
    if case == "same":
        to_user = rep_a
    elif case == "inactive":
        rep_a2.is_active = False
        rep_a2.save()
    elif case == "finance":
        to_user = finance
    elif case == "nothing":
        from_user = rep_a2
        to_user = rep_a
    with pytest.raises(CustomerError) as exc:
        customer_handover(actor=director, from_user=from_user, to_user=to_user)
    with translation.override("en"):
        assert str(exc.value.message) == message
    assert owners(customer_a) == [rep_a.pk]


# --- the page ------------------------------------------------------------------------------

@pytest.mark.parametrize("actor", ["rep_a", "rep_b", "finance"])
def test_non_managers_get_404(login, cast, actor):
    client = login(cast[actor])
    url = reverse("customers:handover")
    assert client.get(url).status_code == 404
    response = client.post(url, {"from_user": cast["rep_a"].pk, "to_user": cast["rep_a2"].pk, "action": "execute",
                                 "ids": str(cast["customer_a"].pk)})
    assert response.status_code == 404
    assert owners(cast["customer_a"]) == [cast["rep_a"].pk]


def test_manager_a_chooses_only_from_own_teams(login, manager_a, rep_a, rep_a2, rep_b, customer_b):
    response = login(manager_a).get(reverse("customers:handover"))
    assert response.status_code == 200
    assert rep_b not in response.context["from_choices"] and rep_b not in response.context["to_choices"]
    assert {rep_a, rep_a2} <= set(response.context["from_choices"])


def test_manager_a_gets_404_for_team_b(login, manager_a, rep_a, rep_b, customer_b):
    client = login(manager_a)
    url = reverse("customers:handover")
    assert client.get(url, {"from_user": rep_b.pk, "to_user": rep_a.pk}).status_code == 404
    response = client.post(url, {"from_user": rep_b.pk, "to_user": rep_a.pk, "action": "execute", "ids": str(customer_b.pk)})
    assert response.status_code == 404
    assert owners(customer_b) == [rep_b.pk]


def test_director_hands_over_all_through_the_page(login, director, rep_a, rep_a2, customer_a, customer_a3):
    english(director)
    client = login(director)
    url = reverse("customers:handover")
    step2 = client.get(url, {"from_user": rep_a.pk, "to_user": rep_a2.pk})
    assert {c.pk for c in step2.context["rows"]} == {customer_a.pk, customer_a3.pk}
    assert "No open opportunities, quotes or planned follow-ups move with them." in step2.content.decode()

    confirm = client.post(url, {"from_user": rep_a.pk, "to_user": rep_a2.pk, "action": "confirm", "scope": "all"})
    assert confirm.status_code == 200
    assert "Hand over 2 customers from rep_a to rep_a2?" in confirm.content.decode()
    assert owners(customer_a, customer_a3) == [rep_a.pk, rep_a.pk]  # nothing written before the last step

    done = client.post(url, {"from_user": rep_a.pk, "to_user": rep_a2.pk, "action": "execute",
                             "ids": confirm.context["ids"], "note": "left"}, follow=True)
    assert "2 customers handed over from rep_a to rep_a2." in done.content.decode()
    assert owners(customer_a, customer_a3) == [rep_a2.pk, rep_a2.pk]
    history = done.context["history"]
    assert len(history) == 1 and history[0].customer_count == 2 and history[0].actor == director


def test_director_hands_over_chosen_through_the_page(login, director, rep_a, rep_a2, customer_a, customer_a3):
    english(director)
    client = login(director)
    url = reverse("customers:handover")
    confirm = client.post(url, {"from_user": rep_a.pk, "to_user": rep_a2.pk, "action": "confirm",
                                "scope": "chosen", "customer": [customer_a3.pk]})
    assert "Hand over 1 customer from rep_a to rep_a2?" in confirm.content.decode()
    client.post(url, {"from_user": rep_a.pk, "to_user": rep_a2.pk, "action": "execute", "ids": confirm.context["ids"]})
    assert owners(customer_a, customer_a3) == [rep_a.pk, rep_a2.pk]


def test_director_choosing_nothing_is_told(login, director, rep_a, rep_a2, customer_a):
    english(director)
    response = login(director).post(reverse("customers:handover"), {
        "from_user": rep_a.pk, "to_user": rep_a2.pk, "action": "confirm", "scope": "chosen",
    })
    assert response.status_code == 200
    assert "Choose at least one customer to hand over." in response.content.decode()
    assert not Handover.objects.exists()


def test_director_same_person_is_told(login, director, rep_a, customer_a):
    english(director)
    response = login(director).get(reverse("customers:handover"), {"from_user": rep_a.pk, "to_user": rep_a.pk})
    assert "Choose two different people." in response.content.decode()


def test_stale_confirmation_writes_nothing(login, director, rep_a, rep_a2, rep_b, customer_a, customer_a3):
    english(director)
    client = login(director)
    url = reverse("customers:handover")
    ids = f"{customer_a.pk},{customer_a3.pk}"
    customer_handover(actor=director, from_user=rep_a, to_user=rep_b, customer_ids=[customer_a3.pk])
    response = client.post(url, {"from_user": rep_a.pk, "to_user": rep_a2.pk, "action": "execute", "ids": ids}, follow=True)
    assert "Nothing was handed over" in response.content.decode()
    assert owners(customer_a, customer_a3) == [rep_a.pk, rep_b.pk]


def test_director_gets_step2_fragment_with_htmx(login, director, rep_a, rep_a2, customer_a):
    response = login(director).get(reverse("customers:handover"), {"from_user": rep_a.pk, "to_user": rep_a2.pk},
                                   headers={**HTMX, "HX-Target": "handover-step2"})
    content = response.content.decode()
    assert response.status_code == 200 and "<html" not in content and customer_a.name in content


def test_director_hands_over_customers_of_disabled_rep(login, director, rep_a, rep_a2, customer_a):
    rep_a.is_active = False
    rep_a.save()
    client = login(director)
    url = reverse("customers:handover")
    assert rep_a in client.get(url).context["from_choices"]
    assert rep_a not in client.get(url).context["to_choices"]
    client.post(url, {"from_user": rep_a.pk, "to_user": rep_a2.pk, "action": "execute", "ids": str(customer_a.pk)})
    assert owners(customer_a) == [rep_a2.pk]


def test_manager_sees_history_of_own_teams_only(login, director, manager_a, rep_a, rep_a2, rep_b, team_b, customer_a, customer_b):
    rep_b2 = _user("rep_b2", "rep", team_b)
    mine = customer_handover(actor=director, from_user=rep_a, to_user=rep_a2)
    customer_handover(actor=director, from_user=rep_b, to_user=rep_b2)
    assert login(manager_a).get(reverse("customers:handover")).context["history"] == [mine]
    assert len(login(director).get(reverse("customers:handover")).context["history"]) == 2


def test_handover_page_query_count_same_for_1_and_many(login, director, rep_a, rep_a2, django_assert_num_queries):
    client = login(director)
    url = reverse("customers:handover")
    make_customer(rep_a, "一号客户", "H00001")
    customer_handover(actor=director, from_user=rep_a, to_user=rep_a2)
    client.get(url)
    with django_assert_num_queries(12):  # + the quotes a handover moves (the navigation's two badges: one query)
        one = client.get(url, {"from_user": rep_a2.pk, "to_user": rep_a.pk})
    assert len(one.context["history"]) == 1 and len(one.context["rows"]) == 1
    for i in range(20):
        make_customer(rep_a2, f"客户{i}", f"H{i + 10:05d}").tags.create(name=f"t{i}")
    for _i in range(8):
        Handover.objects.create(actor=director, from_user=rep_a, to_user=rep_a2, customer_count=0)
    with django_assert_num_queries(12):  # + the quotes a handover moves (the navigation's two badges: one query)
        many = client.get(url, {"from_user": rep_a2.pk, "to_user": rep_a.pk})
    assert len(many.context["history"]) == 9 and len(many.context["rows"]) == 21
