"""The finance tests read English: messages in English and signed-in users set to English
(the site default is Chinese; the Chinese catalogue is checked by the translation tests)."""

import pytest
from django.utils import translation


@pytest.fixture(autouse=True)
def english():
    with translation.override("en"):
        yield


@pytest.fixture
def login(login):
    def _login(user):
        user.language = "en"
        user.save(update_fields=["language"])
        return login(user)

    return _login
