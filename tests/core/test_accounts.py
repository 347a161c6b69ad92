"""Accounts (issue 2, point 5 and 9): argon2 password hashes, lockout after repeated failed sign-ins through the
real /login/ form (by username and address since issue 6: see test_lockout.py), session expiry, and the
remembered interface language."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessLog
from django.conf import settings
from django.db.models import F
from django.test import Client

from tongcheng.core.models import User

pytestmark = pytest.mark.django_db


def _login(client: Client, username: str, password: str):
    return client.post(
        "/login/", {"username": username, "password": password}, headers={"Accept-Language": "en"}
    )


def _locked(response) -> bool:
    form = response.context["form"] if response.context else None
    return form is not None and form.has_error("__all__", code="locked")


def test_production_hasher_is_argon2(settings, demo_user, demo_password):
    """Given the project's settings module (tests put a fast hasher in front of it), when a password is stored
    with the production hasher list, then the hash is argon2 (argon2id), it checks against the right password
    and not a wrong one, and a demo account rehashed that way signs in through the real form."""
    from importlib import import_module

    from django.contrib.auth.hashers import check_password, identify_hasher, make_password

    production = import_module("tongcheng.settings.base").PASSWORD_HASHERS
    assert production[0] == "django.contrib.auth.hashers.Argon2PasswordHasher"
    settings.PASSWORD_HASHERS = production
    encoded = make_password(demo_password)
    assert encoded.startswith("argon2$argon2id$"), encoded
    assert identify_hasher(encoded).algorithm == "argon2"
    assert check_password(demo_password, encoded) and not check_password("wrong-password", encoded)

    User.objects.filter(username="office_pn").update(password=encoded)
    assert _login(Client(), "office_pn", demo_password).status_code == 302
    assert demo_user("office_pn").password == encoded  # argon2 is current: no rehash on sign-in


def test_right_password_signs_in(demo_password):
    """Given office_pn, when it signs in through /login/ with the right password, then it is redirected and
    the sign-in is recorded with its address."""
    client = Client()
    response = _login(client, "office_pn", demo_password)
    assert response.status_code == 302
    assert client.get("/").status_code == 200
    assert AccessLog.objects.filter(username="office_pn", ip_address="127.0.0.1").exists()


def test_lockout_after_repeated_failures_and_release_after_window(settings, demo_password):
    """Given LOGIN_FAILURE_LIMIT=3 and LOGIN_LOCKOUT_MINUTES=10, when office_jb fails 3 times through /login/, then
    the 3rd answer and even the right password are refused (429) with the lockout message; when the failures
    are older than the window, the right password signs in again."""
    settings.LOGIN_FAILURE_LIMIT = 3
    settings.LOGIN_LOCKOUT_MINUTES = 10
    client = Client()
    for _ in range(2):
        response = _login(client, "office_jb", "wrong-password")
        assert response.status_code == 200 and not _locked(response)
    third = _login(client, "office_jb", "wrong-password")
    assert third.status_code == 429 and _locked(third)
    refused = _login(client, "office_jb", demo_password)
    assert refused.status_code == 429, "the right password must be refused while locked"
    assert _locked(refused)
    assert "Try again in 10 minutes." in refused.content.decode()
    assert "_auth_user_id" not in client.session
    assert Client().get("/").status_code == 302

    AccessAttempt.objects.update(
        attempt_time=F("attempt_time") - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    )
    released = _login(client, "office_jb", demo_password)
    assert released.status_code == 302
    assert client.get("/").status_code == 200


def test_lockout_is_per_account(settings, demo_password):
    """Given office_jb locked out, when office_pn signs in, then office_pn is not affected."""
    settings.LOGIN_FAILURE_LIMIT = 2
    for _ in range(2):
        _login(Client(), "office_jb", "wrong-password")
    assert _locked(_login(Client(), "office_jb", demo_password))
    assert _login(Client(), "office_pn", demo_password).status_code == 302


def test_a_success_resets_the_failure_count(settings, demo_password):
    """Given LOGIN_FAILURE_LIMIT=3, when there are 2 failures, a success, then 2 failures, then the account is not
    locked (failures are counted since the last success)."""
    settings.LOGIN_FAILURE_LIMIT = 3
    for _ in range(2):
        _login(Client(), "leader_pn", "wrong-password")
    assert _login(Client(), "leader_pn", demo_password).status_code == 302
    for _ in range(2):
        _login(Client(), "leader_pn", "wrong-password")
    assert _login(Client(), "leader_pn", demo_password).status_code == 302


def test_session_expiry_settings(client_for):
    """Given the settings, when a signed-in user makes requests, then the session expires after at most 8 hours
    of idleness: the expiry is renewed by a request once a minute has passed since the last save (not by a
    write on every request), and its cookie is HttpOnly and Lax."""
    assert 0 < settings.SESSION_COOKIE_AGE <= 8 * 3600
    assert settings.SESSION_SAVE_EVERY_REQUEST is False
    assert settings.TONGCHENG_SESSION_TOUCH_SECONDS == 60
    assert settings.SESSION_COOKIE_HTTPONLY is True and settings.SESSION_COOKIE_SAMESITE == "Lax"
    client = client_for("office_pn")
    first = client.get("/")
    cookie = first.cookies[settings.SESSION_COOKIE_NAME]
    assert int(cookie["max-age"]) == settings.SESSION_COOKIE_AGE
    assert cookie["httponly"]
    assert 0 < client.session.get_expiry_age() <= settings.SESSION_COOKIE_AGE

    # Within the minute: no save, no new cookie.
    assert settings.SESSION_COOKIE_NAME not in client.get("/").cookies

    # A minute later the request renews the session's expiry and the cookie.
    session = client.session
    session["_tc_touched"] = int(time.time()) - 61
    session.save()
    renewed = client.get("/")
    assert int(renewed.cookies[settings.SESSION_COOKIE_NAME]["max-age"]) == settings.SESSION_COOKIE_AGE
    assert client.session["_tc_touched"] >= int(time.time()) - 5


def test_language_switch_is_remembered_per_user(client_for, demo_user):
    """Given office_pn sees Chinese by default, when it POSTs /language/ with en, then user.language is en, and a
    later request from another session of the same user renders <html lang="en">; switching back restores
    Chinese."""
    client = client_for("office_pn")
    assert '<html lang="zh-hans">' in client.get("/").content.decode()
    response = client.post("/language/", {"language": "en", "next": "/zones/"})
    assert response.status_code == 302 and response["Location"] == "/zones/"
    assert demo_user("office_pn").language == "en"

    other_session = client_for("office_pn")
    assert '<html lang="en">' in other_session.get("/zones/").content.decode()
    client.post("/language/", {"language": "zh-hans", "next": "/"})
    assert '<html lang="zh-hans">' in client_for("office_pn").get("/").content.decode()


def test_language_switch_refuses_unknown_language_and_foreign_next(client_for, demo_user):
    """Given office_pn, when it posts an unknown language or an external next URL, then the language is
    unchanged and the redirect stays on this site."""
    client = client_for("office_pn")
    client.post("/language/", {"language": "fr"})
    assert demo_user("office_pn").language == ""
    response = client.post("/language/", {"language": "en", "next": "https://evil.example/"})
    assert response["Location"] == "/"
