"""The public pool (公海): claim limits, cool-down, automatic return, warning, and the pool page."""

import threading
from datetime import timedelta

import pytest
from django.utils import translation
from django.core.exceptions import PermissionDenied
from django.db import connection
from django.urls import reverse
from django.utils import timezone, translation

from conftest import make_customer
from kehu.core.models import AuditEvent, CompanySettings
from kehu.customers import hooks
from kehu.customers.errors import PoolError
from kehu.customers.models import Customer, PoolEvent
from kehu.customers.services import customer_claim, customer_release, pool_run_returns, pool_run_warnings


@pytest.fixture(autouse=True)
def _english():
    """These tests compare the English source messages; the site default is Chinese."""
    with translation.override("en"):
        yield


HTMX = {"HX-Request": "true"}


def settings_(**values):
    conf = CompanySettings.load()
    for k, v in values.items():
        setattr(conf, k, v)
    conf.save()
    return conf


def english(*users):
    for user in users:
        user.language = "en"
        user.save(update_fields=["language"])


def idle(customer, days, *, now=None):
    """Put `customer`'s pool clock `days` days back."""
    customer.pool_clock_at = (now or timezone.now()) - timedelta(days=days)
    customer.save(update_fields=["pool_clock_at"])
    return customer


def message_of(exc_info) -> str:
    with translation.override("en"):
        return str(exc_info.value.message)


def fresh(customer):
    return Customer.objects.get(pk=customer.pk)


# --- claim ---------------------------------------------------------------------------------

def test_rep_claims_pool_customer_recorded(rep_a, pool_customer):
    customer_claim(actor=rep_a, customer=pool_customer)
    c = fresh(pool_customer)
    assert c.owner == rep_a and c.owned_since and c.pool_clock_at
    assert PoolEvent.objects.filter(customer=c, kind="claim", user=rep_a, on_date=timezone.localdate()).count() == 1
    assert AuditEvent.objects.filter(customer=c, verb="claim", actor=rep_a).count() == 1


def test_rep_over_holding_cap_refused_with_message(rep_a, customer_a, pool_customer):
    settings_(pool_max_customers_per_rep=1)
    with pytest.raises(PoolError) as exc:
        customer_claim(actor=rep_a, customer=pool_customer)
    assert "You already hold 1 customer, the most a rep may hold is 1" in message_of(exc)
    assert fresh(pool_customer).owner is None
    assert not PoolEvent.objects.filter(kind="claim").exists()


def test_rep_over_daily_claim_cap_refused_with_message(rep_a, pool_customer):
    settings_(pool_daily_claim_limit=1)
    other = make_customer(None, "第二家公司", "C00099")
    customer_claim(actor=rep_a, customer=pool_customer)
    with pytest.raises(PoolError) as exc:
        customer_claim(actor=rep_a, customer=other)
    assert "You have claimed 1 customer today, the daily limit is 1. Try again tomorrow." in message_of(exc)
    assert fresh(other).owner is None
    # tomorrow the limit starts again
    customer_claim(actor=rep_a, customer=other, now=timezone.now() + timedelta(days=1))
    assert fresh(other).owner == rep_a


def test_rep_caps_off_when_zero(rep_a, customer_a, pool_customer):
    settings_(pool_max_customers_per_rep=0, pool_daily_claim_limit=0)
    customer_claim(actor=rep_a, customer=pool_customer)
    assert fresh(pool_customer).owner == rep_a


def test_former_owner_waits_for_cooldown(rep_a, rep_a2, customer_a):
    settings_(pool_reclaim_cooldown_days=30)
    now = timezone.now()
    customer_release(actor=rep_a, customer=customer_a, reason="no budget this year", now=now)
    with pytest.raises(PoolError) as exc:
        customer_claim(actor=rep_a, customer=customer_a, now=now + timedelta(days=29))
    until = (timezone.localdate(now) + timedelta(days=30)).isoformat()
    assert f"A former owner may claim it again from {until}." in message_of(exc)
    assert fresh(customer_a).owner is None
    # on the announced day the former owner may claim it again
    customer_claim(actor=rep_a, customer=customer_a, now=now + timedelta(days=30))
    assert fresh(customer_a).owner == rep_a


def test_other_rep_claims_returned_customer_at_once(rep_a, rep_a2, customer_a):
    customer_release(actor=rep_a, customer=customer_a, reason="moving on")
    customer_claim(actor=rep_a2, customer=customer_a)
    assert fresh(customer_a).owner == rep_a2


def test_rep_claim_of_owned_customer_refused(rep_a2, customer_a):
    with pytest.raises(PoolError) as exc:
        customer_claim(actor=rep_a2, customer=customer_a)
    assert message_of(exc) == "This customer is no longer in the pool."
    assert fresh(customer_a).owner_id == customer_a.owner_id


def test_second_claim_with_stale_copy_loses(rep_a, rep_a2, pool_customer):
    stale = Customer.objects.get(pk=pool_customer.pk)
    customer_claim(actor=rep_a, customer=pool_customer)
    with pytest.raises(PoolError):
        customer_claim(actor=rep_a2, customer=stale)
    assert fresh(pool_customer).owner == rep_a
    assert PoolEvent.objects.filter(customer=pool_customer, kind="claim").count() == 1


@pytest.mark.django_db(transaction=True)
def test_concurrent_claims_only_one_wins(rep_a, rep_a2, pool_customer):
    barrier = threading.Barrier(2)
    outcomes = []

    def claim(user):
        from django.db import connection as thread_connection

        try:
            barrier.wait(timeout=10)
            customer_claim(actor=user, customer=Customer.objects.get(pk=pool_customer.pk))
            outcomes.append("won")
        except PoolError:
            outcomes.append("lost")
        finally:
            thread_connection.close()

    if connection.vendor == "sqlite" and connection.creation.is_in_memory_db(connection.settings_dict["NAME"]):
        pytest.skip("an in-memory SQLite test database locks whole tables; run with KEHU_TEST_SQLITE_PATH or PostgreSQL")
    threads = [threading.Thread(target=claim, args=(u,)) for u in (rep_a, rep_a2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    assert sorted(outcomes) == ["lost", "won"]
    assert PoolEvent.objects.filter(customer=pool_customer, kind="claim").count() == 1


def test_finance_cannot_claim(finance, pool_customer):
    with pytest.raises(PermissionDenied):
        customer_claim(actor=finance, customer=pool_customer)
    assert fresh(pool_customer).owner is None


# --- release -------------------------------------------------------------------------------

def test_rep_releases_own_customer_with_reason(rep_a, customer_a):
    customer_release(actor=rep_a, customer=customer_a, reason="went bankrupt")
    c = fresh(customer_a)
    assert c.owner is None and c.previous_owner == rep_a and c.returned_to_pool_at
    event = PoolEvent.objects.get(customer=c, kind="release")
    assert event.user == rep_a and event.reason == "went bankrupt"
    assert AuditEvent.objects.filter(customer=c, verb="release", note="went bankrupt").exists()


def test_rep_release_needs_reason(rep_a, customer_a):
    with pytest.raises(PoolError) as exc:
        customer_release(actor=rep_a, customer=customer_a, reason="   ")
    assert "Say why the customer goes back to the pool" in message_of(exc)
    assert fresh(customer_a).owner == rep_a


def test_rep_b_cannot_release_customer_of_rep_a(rep_b, customer_a):
    with pytest.raises(PermissionDenied):
        customer_release(actor=rep_b, customer=customer_a, reason="mine now")
    assert fresh(customer_a).owner_id == customer_a.owner_id


def test_release_of_pool_customer_refused(rep_a, pool_customer):
    with pytest.raises(PoolError) as exc:
        customer_release(actor=rep_a, customer=pool_customer, reason="x")
    assert message_of(exc) == "This customer is already in the pool."


# --- automatic return and the warning -------------------------------------------------------

def test_customer_returns_after_90_days_not_at_89(rep_a, customer_a, customer_a2):
    settings_(pool_return_days=90)
    now = timezone.now()
    idle(customer_a, 90, now=now)
    idle(customer_a2, 89, now=now)
    assert pool_run_returns(now=now) == 1
    a, a2 = fresh(customer_a), fresh(customer_a2)
    assert a.owner is None and a.previous_owner == rep_a and a.returned_to_pool_at == now
    assert a2.owner is not None
    event = PoolEvent.objects.get(customer=a, kind="return")
    assert event.user == rep_a and event.on_date == timezone.localdate(now)
    with translation.override("en"):
        assert event.reason  # stored when it happened
    assert AuditEvent.objects.filter(customer=a, verb="return", actor=None).count() == 1


def test_return_counts_calendar_days_whatever_the_hour(rep_a, customer_a):
    """Idle since late on day D: returns on the first run of D+90, even early in the morning."""
    settings_(pool_return_days=90)
    day = timezone.localdate() - timedelta(days=200)
    late = timezone.make_aware(timezone.datetime(day.year, day.month, day.day, 23, 30))
    customer_a.pool_clock_at = late
    customer_a.save(update_fields=["pool_clock_at"])
    due = day + timedelta(days=90)
    early_on_due = timezone.make_aware(timezone.datetime(due.year, due.month, due.day, 0, 30))
    assert pool_run_returns(now=early_on_due - timedelta(hours=1)) == 0
    assert pool_run_returns(now=early_on_due) == 1


def test_key_account_never_returns(customer_a):
    customer_a.is_key_account = True
    customer_a.save(update_fields=["is_key_account"])
    idle(customer_a, 400)
    assert pool_run_warnings() == 0
    assert pool_run_returns() == 0
    assert fresh(customer_a).owner is not None


def test_customer_held_back_by_a_later_app_does_not_return(monkeypatch, customer_a, customer_a2):
    """An open opportunity (sales registers a filter in hooks.POOL_RETURN_FILTERS) keeps it."""
    monkeypatch.setattr(hooks, "POOL_RETURN_FILTERS", [lambda qs: qs.exclude(pk=customer_a.pk)])
    idle(customer_a, 120)
    idle(customer_a2, 120)
    assert pool_run_returns() == 1
    assert fresh(customer_a).owner is not None and fresh(customer_a2).owner is None


def test_return_off_when_zero_days(customer_a):
    settings_(pool_return_days=0)
    idle(customer_a, 1000)
    assert pool_run_warnings() == 0 and pool_run_returns() == 0


def test_deleted_customer_never_returns(customer_a):
    idle(customer_a, 200)
    Customer.objects.filter(pk=customer_a.pk).update(is_deleted=True)
    assert pool_run_returns() == 0


def test_owned_customer_without_clock_still_returns(customer_a):
    """A row written without a pool clock (an old import) counts from its creation."""
    Customer.objects.filter(pk=customer_a.pk).update(
        pool_clock_at=None, owned_since=None, created_at=timezone.now() - timedelta(days=100),
    )
    assert pool_run_returns() == 1


def test_owner_warned_once_before_return(rep_a, customer_a, customer_a2):
    settings_(pool_return_days=90, pool_warning_days=7)
    now = timezone.now()
    idle(customer_a, 83, now=now)   # returns in 7 days: warned
    idle(customer_a2, 82, now=now)  # returns in 8 days: not yet
    assert pool_run_warnings(now=now) == 1
    event = PoolEvent.objects.get(kind="warning")
    due = (timezone.localdate(now) + timedelta(days=7)).isoformat()
    assert event.customer_id == customer_a.pk and event.user == rep_a and due in event.reason
    assert fresh(customer_a).return_warned_at == now
    # the same day, and the next days: no second warning for the same idle spell
    assert pool_run_warnings(now=now) == 0
    assert pool_run_warnings(now=now + timedelta(days=1)) == 1  # customer_a2's turn now
    assert pool_run_warnings(now=now + timedelta(days=2)) == 0
    assert PoolEvent.objects.filter(kind="warning", customer=customer_a).count() == 1
    # and it returns on the day the warning announced, not before
    assert pool_run_returns(now=now + timedelta(days=6)) == 0
    assert pool_run_returns(now=now + timedelta(days=7)) == 1


def test_claim_restarts_the_warning(rep_a, rep_a2, customer_a):
    settings_(pool_return_days=90, pool_warning_days=7)
    now = timezone.now()
    idle(customer_a, 85, now=now)
    assert pool_run_warnings(now=now) == 1
    assert pool_run_returns(now=now + timedelta(days=5)) == 1
    customer_claim(actor=rep_a2, customer=customer_a, now=now + timedelta(days=5))
    c = fresh(customer_a)
    assert c.return_warned_at is None and c.owner == rep_a2


# --- the pool page --------------------------------------------------------------------------

def test_rep_sees_pool_customers_only(login, rep_a, customer_a, customer_b, pool_customer):
    english(rep_a)
    response = login(rep_a).get(reverse("customers:pool"))
    assert response.status_code == 200
    rows = response.context["page"].rows
    assert [c.pk for c in rows] == [pool_customer.pk]
    assert b'data-testid="claim"' in response.content


def test_anonymous_sent_to_login(client):
    response = client.get(reverse("customers:pool"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_rep_searches_pool_by_pinyin_initials(login, rep_a, pool_customer):
    make_customer(None, "华南贸易有限公司", "C00098")
    response = login(rep_a).get(reverse("customers:pool"), {"q": "jdkj"})
    assert [c.pk for c in response.context["page"].rows] == [pool_customer.pk]


def test_rep_gets_results_fragment_for_htmx_search(login, rep_a, pool_customer):
    response = login(rep_a).get(reverse("customers:pool"), {"q": "精电"}, headers={**HTMX, "HX-Target": "pool-results"})
    assert response.status_code == 200
    assert b"<html" not in response.content and "精电科技".encode() in response.content


def test_pool_page_shows_rules(login, rep_a, pool_customer):
    english(rep_a)
    settings_(pool_return_days=60, pool_max_customers_per_rep=300, pool_daily_claim_limit=5, pool_reclaim_cooldown_days=14)
    content = login(rep_a).get(reverse("customers:pool")).content.decode()
    assert "after 60 days without a follow-up" in content
    assert "at most 300 customers" in content
    assert "At most 5 claims per rep a day" in content
    assert "again 14 days after it left them" in content


def test_rep_sees_own_customers_returning_soon(login, rep_a, customer_a, customer_a2):
    english(rep_a)
    settings_(pool_return_days=90, pool_warning_days=7)
    idle(customer_a, 85)
    response = login(rep_a).get(reverse("customers:pool"))
    returning = response.context["returning"]
    assert [c.pk for c in returning] == [customer_a.pk]
    assert returning[0].return_on == timezone.localdate() + timedelta(days=5)
    assert f"returns on {returning[0].return_on.isoformat()}" in response.content.decode()


def test_former_owner_sees_the_return_on_pool_page(login, rep_a, rep_a2, customer_a):
    english(rep_a, rep_a2)
    idle(customer_a, 95)
    assert pool_run_returns() == 1
    response = login(rep_a).get(reverse("customers:pool"))
    assert [e.customer_id for e in response.context["returned"]] == [customer_a.pk]
    box = response.content.decode().split('data-testid="returned-from-you"')[1]
    assert customer_a.name in box.split("</section>")[0]
    assert "Returned automatically" in box.split("</section>")[0]
    # someone else does not get it in their box
    assert login(rep_a2).get(reverse("customers:pool")).context["returned"] == []


def test_former_owner_sees_claim_date_instead_of_button(login, rep_a, customer_a):
    english(rep_a)
    customer_release(actor=rep_a, customer=customer_a, reason="later")
    content = login(rep_a).get(reverse("customers:pool")).content.decode()
    until = (timezone.localdate() + timedelta(days=30)).isoformat()
    assert f"Claim from {until}" in content


def test_a_customer_created_or_imported_into_the_pool_shows_when_it_entered_it(login, rep_a, admin):
    """Issue 10, item 22: 进入公海时间 was empty for customers that were never owned (created by an
    administrator or imported without an owner): only a release or a return set it."""
    from kehu.customers.services import customer_create

    english(rep_a)
    created = customer_create(actor=admin, data={"name": "公海新客户有限公司"})
    assert created.owner_id is None and created.returned_to_pool_at is not None
    content = login(rep_a).get(reverse("customers:pool")).content.decode()
    assert timezone.localdate(created.returned_to_pool_at).isoformat() in content


def test_the_migration_fills_when_customers_already_in_the_pool_entered_it(rep_a, pool_customer, customer_a):
    import importlib

    from django.apps import apps

    backfill = importlib.import_module("kehu.customers.migrations.0008_pool_entry_time").backfill
    customer_release(actor=rep_a, customer=customer_a, reason="later")
    released_at = fresh(customer_a).returned_to_pool_at
    Customer.objects.filter(pk=customer_a.pk).update(returned_to_pool_at=None)  # as before the fix
    assert fresh(pool_customer).returned_to_pool_at is None
    backfill(apps, None)
    assert fresh(pool_customer).returned_to_pool_at == fresh(pool_customer).created_at
    assert abs((fresh(customer_a).returned_to_pool_at - released_at).total_seconds()) < 5  # from its release event


def test_finance_sees_pool_without_claim_buttons(login, finance, pool_customer):
    response = login(finance).get(reverse("customers:pool"))
    assert response.status_code == 200 and [c.pk for c in response.context["page"].rows] == [pool_customer.pk]
    assert b'data-testid="claim"' not in response.content


def test_pool_page_query_count_same_for_1_and_many(login, rep_a, customer_a, pool_customer, django_assert_num_queries):
    client = login(rep_a)
    url = reverse("customers:pool")
    client.get(url)  # warm up (CompanySettings row, caches)
    idle(customer_a, 86)
    customer_release(actor=rep_a, customer=make_customer(rep_a, "退回客户", "C00097"), reason="test")
    with django_assert_num_queries(15):
        one = client.get(url)
    assert len(one.context["page"].rows) == 2
    for i in range(30):
        c = make_customer(None, f"公海客户{i}", f"P{i:05d}", province="浙江", industry="制造")
        c.tags.create(name=f"tag{i}")
    with django_assert_num_queries(15):
        many = client.get(url)
    assert len(many.context["page"].rows) == 32


# --- claim and release views ----------------------------------------------------------------

def test_rep_claims_without_js_and_is_redirected_with_message(login, rep_a, pool_customer):
    english(rep_a)
    client = login(rep_a)
    response = client.post(reverse("customers:claim", args=[pool_customer.pk]), {"next": "/customers/pool/?q=x"})
    assert response.status_code == 302 and response["Location"] == "/customers/pool/?q=x"
    assert fresh(pool_customer).owner == rep_a
    content = client.get(response["Location"]).content.decode()
    assert f"You claimed {pool_customer.name} ({pool_customer.code}). It is now yours." in content


def test_claim_ignores_foreign_next(login, rep_a, pool_customer):
    response = login(rep_a).post(reverse("customers:claim", args=[pool_customer.pk]), {"next": "https://evil.example/"})
    assert response["Location"] == reverse("customers:pool")


def test_rep_claims_with_htmx_and_row_is_swapped(login, rep_a, pool_customer):
    english(rep_a)
    response = login(rep_a).post(reverse("customers:claim", args=[pool_customer.pk]), headers=HTMX)
    assert response.status_code == 200
    content = response.content.decode()
    assert content.strip().startswith("<tr") and "Yours now" in content
    assert fresh(pool_customer).owner == rep_a


def test_rep_over_limit_sees_message_in_row(login, rep_a, customer_a, pool_customer):
    english(rep_a)
    settings_(pool_max_customers_per_rep=1)
    response = login(rep_a).post(reverse("customers:claim", args=[pool_customer.pk]), headers=HTMX)
    assert "the most a rep may hold is 1" in response.content.decode()
    assert fresh(pool_customer).owner is None


def test_rep_over_limit_sees_message_without_js(login, rep_a, customer_a, pool_customer):
    english(rep_a)
    settings_(pool_daily_claim_limit=1)
    client = login(rep_a)
    other = make_customer(None, "另一家公司", "C00096")
    client.post(reverse("customers:claim", args=[other.pk]))
    response = client.post(reverse("customers:claim", args=[pool_customer.pk]), follow=True)
    assert "the daily limit is 1" in response.content.decode()
    assert fresh(pool_customer).owner is None


def test_rep_b_gets_404_claiming_customer_of_rep_a(login, rep_b, customer_a):
    response = login(rep_b).post(reverse("customers:claim", args=[customer_a.pk]))
    assert response.status_code == 404
    assert fresh(customer_a).owner_id == customer_a.owner_id


def test_rep_b_htmx_claim_of_invisible_customer_looks_like_missing_one(login, rep_b, customer_a):
    client = login(rep_b)
    hidden = client.post(reverse("customers:claim", args=[customer_a.pk]), headers=HTMX)
    missing = client.post(reverse("customers:claim", args=[999999]), headers=HTMX)
    assert hidden.status_code == missing.status_code == 200
    assert hidden.content.replace(str(customer_a.pk).encode(), b"N") == missing.content.replace(b"999999", b"N")
    assert fresh(customer_a).owner_id == customer_a.owner_id


def test_finance_gets_404_claiming(login, finance, pool_customer):
    assert login(finance).post(reverse("customers:claim", args=[pool_customer.pk])).status_code == 404


def test_rep_a_is_asked_to_confirm_before_claiming_and_get_claims_nothing(login, rep_a, customer_a, pool_customer):
    """Issue 10, item 22: claiming asked for no confirmation. A GET (the claim button without
    JavaScript, the customer page's button) shows what the claim means, with the POST button."""
    english(rep_a)
    settings_(pool_max_customers_per_rep=5)
    response = login(rep_a).get(reverse("customers:claim", args=[pool_customer.pk]) + "?next=/customers/pool/?q=x")
    assert response.status_code == 200
    body = response.content.decode()
    assert f"Claim {pool_customer.name} ({pool_customer.code})?" in body
    assert "You hold 1 of at most 5 customers." in body
    assert 'method="post"' in body and 'value="/customers/pool/?q=x"' in body
    assert fresh(pool_customer).owner is None


def test_pool_row_and_customer_page_ask_before_claiming(login, rep_a, pool_customer):
    english(rep_a)
    client = login(rep_a)
    row = client.get(reverse("customers:pool")).content.decode()
    assert "hx-confirm=" in row and f"Claim {pool_customer.name} ({pool_customer.code})?" in row
    page = client.get(reverse("customers:detail", args=[pool_customer.pk])).content.decode()
    assert f'href="{reverse("customers:claim", args=[pool_customer.pk])}"' in page  # a link to the confirmation, no direct POST


def test_rep_claims_with_htmx_and_the_header_counts_and_a_message_follow(login, rep_a, customer_a, pool_customer):
    """Issue 10, item 22: after an htmx claim the page's "You hold … claimed … today" stayed stale."""
    english(rep_a)
    client = login(rep_a)
    assert "You hold 1 customers and claimed 0 today." in client.get(reverse("customers:pool")).content.decode()
    content = client.post(reverse("customers:claim", args=[pool_customer.pk]), headers=HTMX).content.decode()
    assert content.strip().startswith("<tr")
    assert 'id="pool-standing"' in content and 'hx-swap-oob="true"' in content
    assert "You hold 2 customers and claimed 1 today." in content
    assert f"You claimed {pool_customer.name} ({pool_customer.code}). It is now yours." in content


def test_rep_release_page_confirms_then_releases(login, rep_a, customer_a):
    english(rep_a)
    client = login(rep_a)
    url = reverse("customers:release", args=[customer_a.pk])
    page = client.get(url)
    assert page.status_code == 200 and "Release to the pool" in page.content.decode()
    assert fresh(customer_a).owner == rep_a  # GET writes nothing
    response = client.post(url, {"reason": "chose a competitor"})
    assert response.status_code == 302 and response["Location"] == reverse("customers:detail", args=[customer_a.pk])
    assert fresh(customer_a).owner is None
    assert PoolEvent.objects.get(kind="release").reason == "chose a competitor"


def test_rep_release_without_reason_shows_message(login, rep_a, customer_a):
    english(rep_a)
    response = login(rep_a).post(reverse("customers:release", args=[customer_a.pk]), {"reason": ""})
    assert response.status_code == 200
    assert "Say why the customer goes back to the pool" in response.content.decode()
    assert fresh(customer_a).owner == rep_a


def test_manager_a_releases_customer_of_rep_a(login, manager_a, customer_a):
    login(manager_a).post(reverse("customers:release", args=[customer_a.pk]), {"reason": "rep overloaded"})
    assert fresh(customer_a).owner is None
    assert PoolEvent.objects.get(kind="release").user_id == customer_a.owner_id


@pytest.mark.parametrize("actor", ["rep_b", "finance", "rep_a2"])
def test_others_get_404_releasing_customer_of_rep_a(login, cast, actor):
    customer_a = cast["customer_a"]
    client = login(cast[actor])
    url = reverse("customers:release", args=[customer_a.pk])
    assert client.get(url).status_code == 404
    assert client.post(url, {"reason": "x"}).status_code == 404
    assert fresh(customer_a).owner_id == customer_a.owner_id


def test_release_of_pool_customer_redirects_with_message(login, rep_a, pool_customer):
    response = login(rep_a).post(reverse("customers:release", args=[pool_customer.pk]), {"reason": "x"})
    assert response.status_code == 302
    assert not PoolEvent.objects.exists()


def test_a_customer_imported_without_an_owner_entered_the_pool_at_the_import(tmp_path, db):
    """Issue 10, item 22 (进入公海时间 empty): the importer sets it for rows imported into the pool."""
    from kehu.dataset.tests.conftest import CUSTOMER_HEADER, customer_row, run_json, write_dataset

    code, report = run_json(write_dataset(tmp_path / "ds", {"customers.csv": [CUSTOMER_HEADER, customer_row("C01001", "导入公海有限公司")]}))
    assert code == 0, report
    imported = Customer.objects.get(code="C01001")
    assert imported.owner_id is None and imported.returned_to_pool_at is not None
