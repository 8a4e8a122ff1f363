import pytest


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """These tests log in hundreds of times; the hash's cost is not what they test."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
