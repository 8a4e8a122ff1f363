"""Ranking page tests read English, and the `example_loaded` fixture loads the shipped example
dataset (the same as the `example` fixtures of test_runs.py / test_engine_example.py)."""

import json
from decimal import Decimal

import pytest
from django.utils import translation

from kehu.dataset.services import dataset_import
from kehu.dataset.tests.conftest import EXAMPLE


@pytest.fixture(autouse=True)
def _english_pages():
    with translation.override("en"):
        yield


@pytest.fixture
def login(login):
    def _login(user):
        user.language = "en"
        user.save(update_fields=["language"])
        return login(user)

    return _login


@pytest.fixture
def example_loaded(db):
    report = dataset_import(actor=None, path=EXAMPLE)
    assert report.errors == []


@pytest.fixture
def expected():
    def _expected(model):
        return json.loads((EXAMPLE / "expected" / f"{model}.json").read_text(), parse_float=Decimal)

    return _expected
