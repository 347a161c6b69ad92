"""Shared fixtures: the demo of the Nanjing metropolitan area is loaded once per test database, so every
test starts from the same realistic registry; users are the demo accounts (see tongcheng/core/demo.py).

Passwords are hashed with MD5 in tests: argon2 is slow by design (tens of milliseconds per hash), and the
suite hashes and checks passwords thousands of times. The production hashers stay in the list behind it,
so an argon2 hash still verifies; tests/core/test_accounts.py::test_production_hasher_is_argon2 is the
one test that checks production's argon2."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tongcheng.core.demo import DEMO_PASSWORD, DEMO_USERS, load_demo

DEMO_USERNAMES = [u[0] for u in DEMO_USERS]
FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"


@pytest.fixture(scope="session", autouse=True)
def fast_password_hasher():
    """MD5 first for every test of the session (see the module's docstring); override_settings clears
    Django's cached hasher list, which a plain assignment would not."""
    hashers = [FAST_HASHER, *(h for h in settings.PASSWORD_HASHERS if h != FAST_HASHER)]
    with override_settings(PASSWORD_HASHERS=hashers):
        yield


@pytest.fixture(scope="session")
def django_db_setup(fast_password_hasher, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        load_demo()


@pytest.fixture
def demo_user(db):
    """demo_user("office_pn") -> the demo account with its grants."""
    from tongcheng.core.models import User

    def get(username: str):
        return User.objects.get(username=username)

    return get


@pytest.fixture
def client_for(db):
    """client_for("office_pn") -> a Django test client signed in as that demo user (None: anonymous)."""
    from tongcheng.core.models import User

    def make(username: str | None) -> Client:
        client = Client()
        if username:
            client.force_login(User.objects.get(username=username))
        return client

    return make


@pytest.fixture
def demo_password() -> str:
    return DEMO_PASSWORD
