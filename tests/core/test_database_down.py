"""A database that does not answer is a 503 everywhere, never a 500, and never shows a traceback.

Given the demo and a database that stops answering (every new query makes Django open a real connection
to a database that is not there: a closed port for PostgreSQL, a file in a missing folder for SQLite, so the
error is the driver's own), when the API, a page or /healthz is asked, then:
- the API answers 503 with the error shape {"code": "database_unavailable", "message", "errors": []};
- a page answers our 503 page, in the visitor's language, with the request id to report;
- /healthz answers 503 {"status": "unavailable"}.
It holds when the first query is made by a middleware (the session and user of a signed-in request) as much
as when it is made by a view (token authentication, the sign-in form).
"""

from __future__ import annotations

import socket
from contextlib import contextmanager
from unittest import mock

import pytest
from django.db import DEFAULT_DB_ALIAS, connections

from tongcheng.core.services.accounts import create_api_token

# Needs nothing beyond one zone and its roles: the small demo is enough (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.small_demo]

LEAKS = (
    "Traceback",
    "OperationalError",
    "InterfaceError",
    "connection",
    "unable to open",
    "sqlite",
    "psycopg",
)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def unreachable_settings(connection) -> dict:
    if connection.vendor == "sqlite":
        return {**connection.settings_dict, "NAME": "/nonexistent-tongcheng-folder/db.sqlite3"}
    return {
        **connection.settings_dict,
        "HOST": "127.0.0.1",
        "PORT": str(closed_port()),
        "OPTIONS": {**connection.settings_dict.get("OPTIONS", {}), "connect_timeout": 2},
    }


@pytest.fixture
def database_down():
    """with database_down(): … every query of this thread's connection fails as an unreachable server does.

    Django opens (or re-opens, after a failed health check) a connection in ensure_connection; here it opens
    one to a database that is not there, through Django's own backend, so the error is exactly Django's."""
    connection = connections[DEFAULT_DB_ALIAS]
    unreachable = type(connection)(unreachable_settings(connection), alias="unreachable")

    @contextmanager
    def down():
        with mock.patch.object(connection, "ensure_connection", unreachable.ensure_connection):
            yield

    return down


def no_client_raise(client):
    # The test client re-raises the view's exception by default; we want the response the user would get.
    client.raise_request_exception = False
    return client


def assert_no_leak(response):
    body = response.content.decode()
    for word in LEAKS:
        assert word not in body, f"the answer shows {word!r}: {body[:500]}"


def test_the_fixture_really_takes_the_database_away(database_down, demo_user):
    """Given database_down, then a query raises Django's OperationalError, and afterwards works again."""
    from django.db import OperationalError

    with database_down(), pytest.raises(OperationalError):
        demo_user("office_pn")
    assert demo_user("office_pn").username == "office_pn"


def test_healthz_is_503_unavailable(client_for, database_down):
    """Given the database down, when the load balancer asks /healthz, then it answers 503 "unavailable"."""
    client = no_client_raise(client_for(None))
    assert client.get("/healthz").json() == {"status": "ok"}
    with database_down():
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "unavailable"}


def test_api_with_token_is_503_in_the_error_shape(client_for, demo_user, database_down):
    """Given a valid API token and the database down, when the API is called with it (the token is looked up
    by the view's authentication), then it answers 503 database_unavailable in the error shape."""
    _, key = create_api_token(actor=demo_user("office_pn"), name="monitoring")
    client = no_client_raise(client_for(None))
    headers = {"Authorization": f"Bearer {key}"}
    assert client.get("/api/v1/zones", headers=headers).status_code == 200
    with database_down():
        response = client.get("/api/v1/zones", headers=headers)
    assert response.status_code == 503
    body = response.json()
    assert body["code"] == "database_unavailable"
    assert body["message"] and body["errors"] == []
    assert set(body) <= {"code", "message", "field", "errors"}
    assert_no_leak(response)


def test_api_with_session_is_503_in_the_error_shape(client_for, database_down):
    """Given a signed-in browser session and the database down, when the API is called (the session is read
    by a middleware, before the API runs), then it answers the same 503 JSON, not an HTML page or a 500."""
    client = no_client_raise(client_for("office_pn"))
    with database_down():
        response = client.get("/api/v1/me")
    assert response.status_code == 503
    assert response["Content-Type"].startswith("application/json")
    assert response.json()["code"] == "database_unavailable"
    assert response.json()["errors"] == []
    assert_no_leak(response)


@pytest.mark.parametrize(
    ("language", "heading"),
    [("zh-hans", "同城暂时无法使用"), ("en", "Tongcheng is temporarily unavailable")],
)
def test_signed_in_page_is_our_503_page(client_for, database_down, language, heading):
    """Given a signed-in user and the database down, when they open a page (the session and user are loaded
    by middleware before the view), then the answer is our 503 page in their browser's language, with the
    request id to report, and no traceback."""
    client = no_client_raise(client_for("office_pn"))
    with database_down():
        response = client.get("/zones/", HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 503
    assert response["Content-Type"].startswith("text/html")
    body = response.content.decode()
    assert heading in body
    assert f'<html lang="{language}">' in body
    request_id = response["X-Request-Id"]
    assert f'<code data-testid="request-id">{request_id}</code>' in body
    assert_no_leak(response)


def test_sign_in_form_is_our_503_page(client_for, database_down, demo_password):
    """Given an anonymous visitor and the database down, when they sign in (the view queries the database),
    then the answer is the 503 page in the language of their cookie, not a 500."""
    client = no_client_raise(client_for(None))
    client.cookies["tongcheng_language"] = "en"
    with database_down():
        response = client.post("/login/", {"username": "office_pn", "password": demo_password})
    assert response.status_code == 503
    assert "Tongcheng is temporarily unavailable" in response.content.decode()
    assert_no_leak(response)
