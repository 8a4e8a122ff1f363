"""The follow-up tests read English: messages in English and signed-in users set to English
(the site default is Chinese; the Chinese catalogue is checked by the translation tests)."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture(autouse=True)
def no_scheduled_rankings(request):
    """These tests set key-account flags by hand, as a key-account run would; `kehu daily` must not
    run the ranking models on its own schedule (a first daily run would, and clear the flags)."""
    if not {"db", "transactional_db", "live_server"} & set(request.fixturenames):
        yield
        return
    request.getfixturevalue("db" if "db" in request.fixturenames else "transactional_db")
    from kehu.ranking.models import RankingSettings

    for model in RankingSettings.SCHEDULE_DEFAULTS:
        RankingSettings.objects.update_or_create(model=model, defaults={"every_months": 0})
    yield


@pytest.fixture
def login(login):
    def _login(user):
        user.language = "en"
        user.save(update_fields=["language"])
        return login(user)

    return _login
