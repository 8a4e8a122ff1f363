"""The follow-up tests (read in English: ENGLISH_FOLDERS in the root conftest.py) run without
the scheduled ranking runs of `kehu daily`."""

import pytest


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


