"""Ranking tests (read in English: ENGLISH_FOLDERS in the root conftest.py). `example` (also
named `example_loaded`) loads the shipped example dataset."""

import json
from decimal import Decimal

import pytest

from kehu.dataset.services import dataset_import
from kehu.dataset.tests.conftest import EXAMPLE


@pytest.fixture
def example(db):
    report = dataset_import(actor=None, path=EXAMPLE)
    assert report.errors == []


@pytest.fixture
def example_loaded(example):
    """The example dataset loaded (the name some modules use)."""


@pytest.fixture
def expected():
    def _expected(model):
        return json.loads((EXAMPLE / "expected" / f"{model}.json").read_text(), parse_float=Decimal)

    return _expected
