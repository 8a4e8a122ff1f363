"""accounts.visibility (who sees which customers) and accounts.permissions (who may act), as units.

The rule (DOMAIN.md §1): a rep sees own and pool customers; a manager the customers of the
teams they manage (and their own, and the pool); finance and admin every customer; an
inactive or anonymous user nothing; a record in the recycle bin nobody, unless asked for
explicitly (the admin's recycle bin).
"""

import pytest
from django.contrib.auth.models import AnonymousUser

from conftest import make_customer
from kehu.accounts import permissions
from kehu.accounts.models import Team, User
from kehu.accounts.visibility import customer_scope, visible_users
from kehu.core.audit import audit_record
from kehu.core.models import AuditEvent
from kehu.customers.models import Contact, Customer, PoolEvent
from kehu.customers import permissions as customer_permissions

ALL = {"C00001", "C00002", "C00003", "C00004"}


def codes(user, **kwargs) -> set:
    return set(Customer.objects.filter(customer_scope(user, **kwargs)).values_list("code", flat=True))


def deactivate(user):
    user.is_active = False
    user.save()
    return user


# --- customer_scope, role by role ----------------------------------------------------------------

def test_rep_a_sees_own_and_pool(cast):
    assert codes(cast["rep_a"]) == {"C00001", "C00004"}


def test_rep_a2_does_not_see_team_mate_customer(cast):
    assert codes(cast["rep_a2"]) == {"C00002", "C00004"}


def test_rep_b_sees_own_and_pool(cast):
    assert codes(cast["rep_b"]) == {"C00003", "C00004"}


def test_manager_a_sees_team_a_and_pool(cast):
    assert codes(cast["manager_a"]) == {"C00001", "C00002", "C00004"}


def test_director_sees_teams_a_and_b_and_pool(cast):
    assert codes(cast["director"]) == ALL


def test_manager_sees_own_customers(cast):
    make_customer(cast["manager_a"], "经理自己的客户", "M00001")
    assert "M00001" in codes(cast["manager_a"])
    assert "M00001" not in codes(cast["rep_a"])


def test_director_does_not_see_customers_of_a_rep_without_team(cast):
    loner = User.objects.create_user(username="loner", password="x-pass-1", role="rep")
    make_customer(loner, "无团队客户", "L00001")
    assert "L00001" not in codes(cast["director"])
    assert "L00001" in codes(cast["admin"]) and "L00001" in codes(cast["finance"])
    assert codes(loner) == {"L00001", "C00004"}


def test_manager_without_teams_sees_own_and_pool(cast):
    lone_manager = User.objects.create_user(username="lone_manager", password="x-pass-1", role="manager")
    assert codes(lone_manager) == {"C00004"}


def test_finance_and_admin_see_everything(cast):
    assert codes(cast["finance"]) == ALL
    assert codes(cast["admin"]) == ALL


def test_superuser_sees_everything_whatever_the_role(cast):
    root = User.objects.create_user(username="root", password="x-pass-1", role="rep", is_superuser=True)
    assert codes(root) == ALL


def test_rep_moved_to_another_team_leaves_the_old_manager(cast, team_b):
    rep_a = cast["rep_a"]
    rep_a.team = team_b
    rep_a.save()
    assert "C00001" not in codes(cast["manager_a"])
    assert "C00001" in codes(cast["director"])
    assert codes(rep_a) == {"C00001", "C00004"}


def test_second_team_for_a_manager_widens_the_scope(cast, team_b):
    team_b.managers.add(cast["manager_a"])
    assert codes(cast["manager_a"]) == ALL


@pytest.mark.parametrize("who", ["admin", "director", "manager_a", "rep_a", "finance"])
def test_inactive_user_sees_nothing(cast, who):
    assert codes(deactivate(cast[who])) == set()


def test_anonymous_and_none_see_nothing(cast):
    assert codes(AnonymousUser()) == set()
    assert codes(None) == set()


def test_user_without_a_known_role_sees_nothing(cast):
    odd = User.objects.create_user(username="odd", password="x-pass-1", role="rep")
    User.objects.filter(pk=odd.pk).update(role="visitor")
    odd.refresh_from_db()
    assert codes(odd) == set()


# --- the recycle bin -----------------------------------------------------------------------------

@pytest.mark.parametrize("who", ["admin", "finance", "director", "manager_a", "rep_a"])
def test_customer_in_recycle_bin_is_hidden(cast, who):
    Customer.objects.filter(code="C00001").update(is_deleted=True)
    assert "C00001" not in codes(cast[who])
    assert "C00001" not in set(Customer.objects.visible_to(cast[who]).values_list("code", flat=True))


def test_deleted_pool_customer_is_hidden_from_reps(cast):
    Customer.objects.filter(code="C00004").update(is_deleted=True)
    assert codes(cast["rep_b"]) == {"C00003"}


def test_include_deleted_keeps_the_scope(cast):
    Customer.objects.filter(code__in=["C00001", "C00003"]).update(is_deleted=True)
    assert codes(cast["admin"], include_deleted=True) == ALL
    assert codes(cast["rep_a"], include_deleted=True) == {"C00001", "C00004"}
    assert codes(cast["manager_a"], include_deleted=True) == {"C00001", "C00002", "C00004"}
    assert codes(deactivate(cast["admin"]), include_deleted=True) == set()


# --- prefix: related records are scoped through their customer -------------------------------------

@pytest.fixture
def contacts(cast):
    return {
        key: Contact.objects.create(customer=cast[key], name=f"contact of {key}")
        for key in ("customer_a", "customer_a2", "customer_b", "pool_customer")
    }


@pytest.mark.parametrize("who", ["admin", "finance", "director", "manager_a", "rep_a", "rep_a2", "rep_b"])
def test_contacts_are_visible_exactly_when_their_customer_is(cast, contacts, who):
    user = cast[who]
    via_prefix = set(Contact.objects.filter(customer_scope(user, prefix="customer")).values_list("customer__code", flat=True))
    assert via_prefix == codes(user)
    via_queryset = set(Contact.objects.visible_to(user).values_list("customer__code", flat=True))
    assert via_queryset == codes(user)


def test_contacts_of_a_customer_in_recycle_bin_are_hidden(cast, contacts):
    Customer.objects.filter(code="C00001").update(is_deleted=True)
    assert contacts["customer_a"] not in Contact.objects.visible_to(cast["rep_a"])
    assert contacts["customer_a"] not in Contact.objects.visible_to(cast["admin"])


def test_deleted_contact_is_hidden_by_the_contact_queryset(cast, contacts):
    Contact.objects.filter(pk=contacts["customer_a"].pk).update(is_deleted=True)
    assert not Contact.objects.visible_to(cast["rep_a"]).filter(pk=contacts["customer_a"].pk).exists()


def test_prefix_works_across_two_relations(cast, contacts):
    # audit events of a contact -> its customer: "customer" prefix on AuditEvent
    for key, contact in contacts.items():
        audit_record(actor=None, verb=AuditEvent.Verb.UPDATE, obj=contact, customer=cast[key])
    visible = set(AuditEvent.objects.filter(customer_scope(cast["rep_b"], prefix="customer")).values_list("customer__code", flat=True))
    assert visible == {"C00003", "C00004"}
    # a two-step path: pool events whose customer's contacts … (customer__contacts__customer)
    PoolEvent.objects.create(customer=cast["customer_a"], kind="claim", user=cast["rep_a"], on_date="2025-01-01")
    PoolEvent.objects.create(customer=cast["customer_b"], kind="claim", user=cast["rep_b"], on_date="2025-01-01")
    q = customer_scope(cast["rep_a"], prefix="customer__contacts__customer")
    assert set(PoolEvent.objects.filter(q).values_list("customer__code", flat=True)) == {"C00001"}


def test_prefix_for_inactive_user_matches_nothing(cast, contacts):
    assert not Contact.objects.filter(customer_scope(deactivate(cast["finance"]), prefix="customer")).exists()


# --- visible_users -----------------------------------------------------------------------------------

def names(qs) -> set:
    return set(qs.values_list("username", flat=True))


def test_visible_users_by_role(cast):
    assert names(visible_users(cast["rep_a"])) == {"rep_a"}
    assert names(visible_users(cast["manager_a"])) == {"manager_a", "rep_a", "rep_a2"}
    assert names(visible_users(cast["director"])) == {"director", "rep_a", "rep_a2", "rep_b"}
    everyone = {"admin", "director", "manager_a", "rep_a", "rep_a2", "rep_b", "finance"}
    assert names(visible_users(cast["finance"])) == everyone
    assert names(visible_users(cast["admin"])) == everyone


def test_visible_users_leaves_out_disabled_users(cast):
    deactivate(cast["rep_a2"])
    assert names(visible_users(cast["manager_a"])) == {"manager_a", "rep_a"}


# --- permissions -------------------------------------------------------------------------------------

def test_can_edit_customer(cast):
    a, b, pool = cast["customer_a"], cast["customer_b"], cast["pool_customer"]
    assert customer_permissions.can_edit_customer(cast["rep_a"], a)
    assert not customer_permissions.can_edit_customer(cast["rep_a"], b)
    assert not customer_permissions.can_edit_customer(cast["rep_a"], pool)
    assert not customer_permissions.can_edit_customer(cast["rep_a2"], a)
    assert customer_permissions.can_edit_customer(cast["manager_a"], a)
    assert customer_permissions.can_edit_customer(cast["manager_a"], pool)
    assert not customer_permissions.can_edit_customer(cast["manager_a"], b)
    assert customer_permissions.can_edit_customer(cast["director"], b)
    assert customer_permissions.can_edit_customer(cast["admin"], b)


@pytest.mark.parametrize("key", ["customer_a", "customer_b", "pool_customer"])
def test_finance_can_never_edit_sales_data(cast, key):
    customer = cast[key]
    finance = cast["finance"]
    assert not customer_permissions.can_edit_customer(finance, customer)
    assert not customer_permissions.can_delete_customer(finance, customer)
    assert not customer_permissions.can_claim_customer(finance, customer)
    assert not customer_permissions.can_release_customer(finance, customer)
    assert not customer_permissions.can_merge_customers(finance, customer, cast["pool_customer"])
    assert not customer_permissions.can_create_customer(finance)
    assert customer_permissions.can_edit_credit(finance, customer)


def test_nobody_edits_a_customer_in_recycle_bin(cast):
    customer = cast["customer_a"]
    customer.is_deleted = True
    for who in ("rep_a", "manager_a", "director", "admin"):
        assert not customer_permissions.can_edit_customer(cast[who], customer), who


def test_inactive_owner_cannot_edit(cast):
    assert not customer_permissions.can_edit_customer(deactivate(cast["rep_a"]), cast["customer_a"])


def test_can_edit_credit(cast):
    a, b = cast["customer_a"], cast["customer_b"]
    assert customer_permissions.can_edit_credit(cast["admin"], a)
    assert customer_permissions.can_edit_credit(cast["manager_a"], a)
    assert not customer_permissions.can_edit_credit(cast["manager_a"], b)
    assert not customer_permissions.can_edit_credit(cast["rep_a"], a)
    assert not customer_permissions.can_edit_credit(deactivate(cast["finance"]), a)


def test_can_delete_and_restore(cast):
    a = cast["customer_a"]
    assert not customer_permissions.can_delete_customer(cast["rep_a"], a)
    assert customer_permissions.can_delete_customer(cast["manager_a"], a)
    assert not customer_permissions.can_delete_customer(cast["manager_a"], cast["customer_b"])
    assert customer_permissions.can_delete_customer(cast["admin"], a)
    assert customer_permissions.can_restore_customer(cast["admin"], a)
    for who in ("rep_a", "manager_a", "director", "finance"):
        assert not customer_permissions.can_restore_customer(cast[who], a), who


def test_can_claim_customer(cast):
    pool = cast["pool_customer"]
    assert customer_permissions.can_claim_customer(cast["rep_a"], pool)
    assert customer_permissions.can_claim_customer(cast["rep_b"], pool)
    assert customer_permissions.can_claim_customer(cast["manager_a"], pool)
    assert not customer_permissions.can_claim_customer(cast["admin"], pool)
    assert not customer_permissions.can_claim_customer(cast["rep_b"], cast["customer_a"])
    assert not customer_permissions.can_claim_customer(cast["rep_a"], cast["customer_a"])
    pool.is_deleted = True
    assert not customer_permissions.can_claim_customer(cast["rep_a"], pool)
    pool.is_deleted = False
    assert not customer_permissions.can_claim_customer(deactivate(cast["rep_b"]), pool)


def test_can_release_customer(cast):
    assert customer_permissions.can_release_customer(cast["rep_a"], cast["customer_a"])
    assert customer_permissions.can_release_customer(cast["manager_a"], cast["customer_a"])
    assert not customer_permissions.can_release_customer(cast["rep_b"], cast["customer_a"])
    assert not customer_permissions.can_release_customer(cast["manager_a"], cast["pool_customer"])


def test_can_handover(cast):
    rep_a, rep_a2, rep_b = cast["rep_a"], cast["rep_a2"], cast["rep_b"]
    assert customer_permissions.can_handover(cast["manager_a"], rep_a, rep_a2)
    assert not customer_permissions.can_handover(cast["manager_a"], rep_a, rep_b)
    assert not customer_permissions.can_handover(cast["manager_a"], rep_b, rep_a)
    assert customer_permissions.can_handover(cast["director"], rep_a, rep_b)
    assert customer_permissions.can_handover(cast["admin"], rep_b, rep_a)
    assert not customer_permissions.can_handover(rep_a, rep_a, rep_a2)
    assert not customer_permissions.can_handover(cast["finance"], rep_a, rep_a2)
    assert not customer_permissions.can_handover(deactivate(cast["director"]), rep_a, rep_b)


def test_can_view_sensitive(cast):
    assert permissions.can_view_sensitive(cast["admin"])
    assert permissions.can_view_sensitive(cast["finance"])
    assert not permissions.can_view_sensitive(cast["rep_a"])
    assert not permissions.can_view_sensitive(cast["manager_a"])
    assert not permissions.can_view_sensitive(AnonymousUser())
    rep_a = cast["rep_a"]
    rep_a.can_view_sensitive = True
    rep_a.save()
    assert permissions.can_view_sensitive(rep_a)
    assert not permissions.can_view_sensitive(deactivate(rep_a))


def test_can_merge_customers(cast):
    rep_a, a, a2, b, pool = cast["rep_a"], cast["customer_a"], cast["customer_a2"], cast["customer_b"], cast["pool_customer"]
    own_copy = make_customer(rep_a, "华为技术(副本)", "C00009")
    assert customer_permissions.can_merge_customers(rep_a, a, own_copy)
    assert customer_permissions.can_merge_customers(rep_a, a, pool)  # a rep may fold a pool record into their own
    assert not customer_permissions.can_merge_customers(rep_a, a, b)
    assert not customer_permissions.can_merge_customers(rep_a, a, a2)
    assert not customer_permissions.can_merge_customers(rep_a, pool, a)  # the kept record must be theirs
    own_copy.is_deleted = True
    assert not customer_permissions.can_merge_customers(rep_a, a, own_copy)
    assert customer_permissions.can_merge_customers(cast["manager_a"], a, a2)
    assert not customer_permissions.can_merge_customers(cast["manager_a"], a, b)
    assert customer_permissions.can_merge_customers(cast["director"], a, b)
    assert customer_permissions.can_merge_customers(cast["admin"], b, a)


def test_can_import_and_create(cast):
    assert permissions.can_import(cast["admin"]) and permissions.can_import(cast["manager_a"])
    assert not permissions.can_import(cast["rep_a"]) and not permissions.can_import(cast["finance"])
    assert customer_permissions.can_create_customer(cast["rep_a"]) and customer_permissions.can_create_customer(cast["manager_a"])
    assert not customer_permissions.can_create_customer(deactivate(cast["rep_b"]))


def test_team_fixture_matches_the_cast(cast, team_a, team_b):
    """The cast this file relies on: team A = rep_a, rep_a2 (manager_a, director); team B = rep_b (director)."""
    assert set(team_a.members.values_list("username", flat=True)) == {"rep_a", "rep_a2"}
    assert set(team_a.managers.values_list("username", flat=True)) == {"manager_a", "director"}
    assert set(team_b.members.values_list("username", flat=True)) == {"rep_b"}
    assert set(Team.objects.get(pk=team_b.pk).managers.values_list("username", flat=True)) == {"director"}
