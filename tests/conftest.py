"""Shared fixtures: the demo of the Nanjing metropolitan area is loaded once per test database, so every
test starts from the same realistic registry; users are the demo accounts (see tongcheng/core/demo.py)."""

from __future__ import annotations

import pytest
from django.test import Client

from tongcheng.core.demo import DEMO_PASSWORD, DEMO_USERS, load_demo

DEMO_USERNAMES = [u[0] for u in DEMO_USERS]


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
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
