import pytest
from rest_framework.test import APIClient


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """The cast is made for every test; the hash's cost is not what these tests test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def api(db):
    """api(user) -> a DRF client signed in as user (api(None) stays anonymous)."""

    def _api(user):
        client = APIClient()
        if user is not None:
            client.force_login(user)
        return client

    return _api


@pytest.fixture
def contact_a(customer_a):
    from kehu.customers.models import Contact

    return Contact.objects.create(
        customer=customer_a, name="任正非", title="总裁", phone="13900000001", id_number="110101199003070011",
    )
