"""The read-replica rule (kehu/core/dbrouter.py) without a replica: which alias the router names
and which requests the middleware marks. The same rule against a real streaming replica is
test_ops_replica.py (CI)."""

import pytest
from django.contrib.sessions.backends.db import SessionStore
from django.db import transaction
from django.test import RequestFactory, override_settings
from django.urls import get_resolver

from kehu.accounts.models import User
from kehu.core import dbrouter
from kehu.core.dbrouter import (
    REPLICA_ROUTES,
    SESSION_KEY,
    PrimaryReplicaRouter,
    ReplicaMiddleware,
    current_state,
    replica_reads,
)
from kehu.customers.models import Customer

router = PrimaryReplicaRouter()
ONE_REPLICA = override_settings(KEHU_REPLICA_ALIASES=["replica1"], KEHU_REPLICA_PIN_SECONDS=10)


def test_system_without_mark_everything_reads_and_writes_primary():
    from django.contrib.sessions.models import Session

    with ONE_REPLICA:
        assert router.db_for_read(Customer) == "default"
        assert router.db_for_write(Customer) == "default"
        with replica_reads("replica1") as state:
            assert router.db_for_read(Customer) == "replica1"
            assert router.db_for_read(User) == "replica1"
            assert router.db_for_read(Session) == "default"  # read to be written
            assert router.db_for_write(Customer) == "default"
            assert router.db_for_read(Customer) == "replica1"  # naming the primary for a write is no write
            state.wrote = True
            assert router.db_for_read(Customer) == "default"  # the request wrote: read-your-writes
        assert router.db_for_read(Customer) == "default"


@pytest.mark.django_db(transaction=True)
def test_system_reads_inside_a_transaction_stay_on_primary():
    with ONE_REPLICA, replica_reads("replica1"):
        with transaction.atomic():
            assert router.db_for_read(Customer) == "default"
        assert router.db_for_read(Customer) == "replica1"


def test_system_migrations_only_on_primary():
    assert router.allow_migrate("default", "customers", "customer") is True
    assert router.allow_migrate("replica1", "customers", "customer") is False
    assert router.allow_migrate("replica1", "django_cache") is False


def test_system_replica_routes_exist():
    """Every named report route resolves (a rename would silently send it to the primary)."""
    resolver = get_resolver()
    for view_name in REPLICA_ROUTES:
        namespace, name = view_name.split(":")
        assert resolver.namespace_dict[namespace][1].reverse_dict.getlist(name), view_name


# --- the middleware ----------------------------------------------------------------------------

class Recorder:
    """A view that records where its reads would go, and may write."""

    def __init__(self, write=False):
        self.seen = []
        self.write = write

    def __call__(self, request):
        state = current_state()
        self.seen.append(state.replica)
        if self.write:
            Customer.objects.filter(pk=-1).update(name="x")  # an UPDATE on the primary, however few rows
        else:
            from kehu.core.models import CompanySettings
            CompanySettings.load()  # get_or_create finding its row: no write
        return "response"


def _request(method, path, user, session):
    request = getattr(RequestFactory(), method.lower())(path)
    request.user = user
    request.session = session
    return request


@pytest.fixture
def usable(monkeypatch):
    monkeypatch.setattr(dbrouter, "replica_usable", lambda alias: True)


@pytest.mark.django_db
def test_rep_report_reads_replica_until_session_writes(rep_a, usable, monkeypatch):
    from kehu.core.models import CompanySettings

    CompanySettings.load()  # exists: the views' get_or_create below finds it and writes nothing
    clock = [1_000_000.0]
    monkeypatch.setattr(dbrouter.time, "time", lambda: clock[0])
    session = SessionStore()
    with ONE_REPLICA:
        view = Recorder()
        middleware = ReplicaMiddleware(view)
        middleware(_request("GET", "/reports/funnel/", rep_a, session))
        middleware(_request("GET", "/reports/funnel/export/", rep_a, session))
        middleware(_request("GET", "/ranking/runs/3/compare/export/", rep_a, session))
        middleware(_request("GET", "/customers/", rep_a, session))          # not a report
        middleware(_request("GET", "/workbench/", rep_a, session))          # the landing page: primary
        middleware(_request("POST", "/reports/funnel/", rep_a, session))    # a write method
        assert view.seen == ["replica1", "replica1", "replica1", None, None, None]
        assert session[SESSION_KEY] == clock[0]

        clock[0] += 9.9  # within KEHU_REPLICA_PIN_SECONDS of the write: the primary
        middleware(_request("GET", "/reports/funnel/", rep_a, session))
        clock[0] += 0.2  # past it: the replica again
        middleware(_request("GET", "/reports/funnel/", rep_a, session))
        assert view.seen[-2:] == [None, "replica1"]

        writer = Recorder(write=True)  # a GET that wrote stamps the session too
        ReplicaMiddleware(writer)(_request("GET", "/reports/funnel/", rep_a, session))
        assert session[SESSION_KEY] == clock[0]
        middleware(_request("GET", "/reports/funnel/", rep_a, session))
        assert view.seen[-1] is None


@pytest.mark.django_db
def test_rep_unreachable_replica_falls_back_to_primary(rep_a, monkeypatch):
    monkeypatch.setattr(dbrouter, "replica_usable", lambda alias: False)
    with ONE_REPLICA:
        view = Recorder()
        ReplicaMiddleware(view)(_request("GET", "/reports/funnel/", rep_a, SessionStore()))
        assert view.seen == [None]


@pytest.mark.django_db
@override_settings(KEHU_REPLICA_ALIASES=[])
def test_system_without_replicas_nothing_marked_nor_stamped(rep_a):
    session = SessionStore()
    view = Recorder()
    ReplicaMiddleware(view)(_request("GET", "/reports/funnel/", rep_a, session))
    ReplicaMiddleware(view)(_request("POST", "/reports/funnel/", rep_a, session))
    assert view.seen == [None, None]
    assert SESSION_KEY not in session


def test_system_same_user_same_replica():
    with override_settings(KEHU_REPLICA_ALIASES=["replica1", "replica2"]):
        picks = {dbrouter.choose_replica(user_id) for user_id in range(20)}
        assert picks == {"replica1", "replica2"}
        assert all(dbrouter.choose_replica(7) == dbrouter.choose_replica(7) for _ in range(5))


@pytest.mark.django_db
def test_system_logout_gets_no_stamp(usable):
    from django.contrib.auth.models import AnonymousUser

    session = SessionStore()
    with ONE_REPLICA:
        ReplicaMiddleware(Recorder())(_request("POST", "/accounts/logout/", AnonymousUser(), session))
    assert SESSION_KEY not in session

