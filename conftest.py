"""The fixed cast every test module uses (STYLE.md): admin, director, manager_a, rep_a, rep_a2,
rep_b, finance, and a customer in the public pool.

Teams: team A = rep_a, rep_a2 (managed by manager_a and the director); team B = rep_b
(managed by the director). Customers: customer_a (rep_a's), customer_a2 (rep_a2's),
customer_b (rep_b's), pool_customer (no owner).
"""

from pathlib import Path

import pytest
from django.utils import translation

from kehu.core.i18n import compile_catalogues

ROOT = Path(__file__).resolve().parent
# Test folders whose pages and messages are read in English (the site default is Chinese; the
# Chinese catalogue is checked by kehu/core/tests/test_translations.py). A module elsewhere
# opts in with `pytestmark = pytest.mark.english`.
ENGLISH_FOLDERS = ("kehu/activities/tests", "kehu/finance/tests", "kehu/ranking/tests")


def reads_english(node) -> bool:
    if node.get_closest_marker("english") is not None:
        return True
    where = Path(node.path).resolve().relative_to(ROOT).as_posix()
    return where.startswith(ENGLISH_FOLDERS)


@pytest.fixture(autouse=True)
def _ui_language(request):
    """English messages for the tests that read English (see ENGLISH_FOLDERS)."""
    # Each test starts in its language whatever the test before left active (a request through
    # the test client activates the user's language and nothing deactivates it).
    with translation.override("en" if reads_english(request.node) else "zh-hans"):
        yield


def pytest_sessionstart(session):
    compile_catalogues()


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """Full-strength hashing costs about a second per user; tests don't need it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


from factories import PASSWORD, CustomerFactory, TeamFactory, UserFactory  # noqa: E402


@pytest.fixture
def team_a(db):
    return TeamFactory(name="Team A")


@pytest.fixture
def team_b(db):
    return TeamFactory(name="Team B")


def _user(username, role, team=None, **extra):
    return UserFactory(username=username, role=role, team=team, name=username, **extra)


@pytest.fixture
def admin(db):
    return _user("admin", "admin", is_staff=True, is_superuser=True)


@pytest.fixture
def director(db, team_a, team_b):
    user = _user("director", "manager")
    team_a.managers.add(user)
    team_b.managers.add(user)
    return user


@pytest.fixture
def manager_a(db, team_a):
    user = _user("manager_a", "manager")
    team_a.managers.add(user)
    return user


@pytest.fixture
def rep_a(db, team_a):
    return _user("rep_a", "rep", team_a)


@pytest.fixture
def rep_a2(db, team_a):
    return _user("rep_a2", "rep", team_a)


@pytest.fixture
def rep_b(db, team_b):
    return _user("rep_b", "rep", team_b)


@pytest.fixture
def finance(db):
    return _user("finance", "finance")


def make_customer(owner, name, code, **fields):
    """A customer owned by `owner` (None: in the pool), as the services would create it."""
    return CustomerFactory(owner=owner, name=name, code=code, **fields)


@pytest.fixture
def customer_a(rep_a):
    return make_customer(rep_a, "华为技术有限公司", "C00001", phone="0755-28780808", province="广东", city="深圳", industry="通信")


@pytest.fixture
def customer_a2(rep_a2):
    return make_customer(rep_a2, "远设建材有限公司", "C00002", phone="16728742260", province="广东", industry="建筑")


@pytest.fixture
def customer_b(rep_b):
    return make_customer(rep_b, "信疗医疗器械有限公司", "C00003", phone="13800138000", province="上海", industry="医疗")


@pytest.fixture
def pool_customer(db):
    return make_customer(None, "精电科技有限公司", "C00004", phone="13624059081", province="江苏", industry="制造")


@pytest.fixture
def cast(admin, director, manager_a, rep_a, rep_a2, rep_b, finance, customer_a, customer_a2, customer_b, pool_customer):
    """Everyone and every customer at once, by name."""
    return {
        "admin": admin, "director": director, "manager_a": manager_a, "rep_a": rep_a, "rep_a2": rep_a2,
        "rep_b": rep_b, "finance": finance, "customer_a": customer_a, "customer_a2": customer_a2,
        "customer_b": customer_b, "pool_customer": pool_customer,
    }


@pytest.fixture
def login(client, request):
    """login(user) -> the test client signed in as user (set to English in the tests that read
    English, see ENGLISH_FOLDERS)."""
    english = reads_english(request.node)

    def _login(user):
        if english and user.language != "en":
            user.language = "en"
            user.save(update_fields=["language"])
        client.force_login(user)
        return client

    return _login


@pytest.fixture
def login_en(login):
    """login_en(user) -> the test client signed in as user with the English interface, in any
    test folder (so that a test can read the page)."""

    def _login(user):
        user.language = "en"
        user.save(update_fields=["language"])
        return login(user)

    return _login


def english_client(client, user):
    """`client` signed in as `user` with the English interface (for tests that take `client`)."""
    user.language = "en"
    user.save(update_fields=["language"])
    client.force_login(user)
    return client


def seed_flushed_defaults():
    """A transactional test (a live server) flushes the rows the migrations seeded: put back the
    opportunity stages and the qualification checklist."""
    import importlib

    from kehu.customers.models import QualificationItem
    from kehu.sales.models import OpportunityStage

    if not OpportunityStage.objects.exists():
        stages = importlib.import_module("kehu.sales.migrations.0003_default_stages").STAGES
        for position, (code, name, name_en, probability, closed, won, forecast) in enumerate(stages, start=1):
            OpportunityStage.objects.create(code=code, name=name, name_en=name_en, position=position, probability=probability,
                                            is_closed=closed, is_won=won, forecast_category=forecast)
    if not QualificationItem.objects.filter(is_active=True).exists():
        items = importlib.import_module("kehu.customers.migrations.0004_default_qualification_items").ITEMS
        QualificationItem.objects.bulk_create(
            QualificationItem(name=zh, name_en=en, position=i * 10) for i, (zh, en, _hz, _he) in enumerate(items, 1)
        )
