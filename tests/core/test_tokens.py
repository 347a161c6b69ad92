"""Personal API tokens (issue 6, point 10): only a signed-in session creates tokens, a token cannot mint more;
every token expires; the page and the API show when each was created, last used, expires and was revoked."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.utils import timezone

from tongcheng.core import limits
from tongcheng.core.models import ApiToken, AuditEntry
from tongcheng.core.services.accounts import create_api_token, revoke_api_token, user_for_token
from tongcheng.kit.services import ForbiddenError, ValidationFailed

# Needs nothing beyond one zone and its roles: the small demo is enough (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.small_demo]

API = "/api/v1"


def _post(client, url: str, body: dict, **headers):
    return client.post(url, json.dumps(body), content_type="application/json", headers=headers or None)


def _session_token(client_for, username: str = "office_pn", **body) -> tuple[int, str]:
    response = _post(client_for(username), f"{API}/me/tokens", {"name": "job", **body})
    assert response.status_code == 201, response.content
    return response.json()["id"], response.json()["key"]


def _bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


# --- only a session creates tokens -----------------------------------------------------------------------


@pytest.mark.parametrize("header", ["Authorization", "X-API-Token"])
def test_a_token_cannot_create_a_token(client_for, header):
    """Given office_pn's token, when POST /me/tokens is called with it (Bearer or X-API-Token), then 403
    session_required and no token is created or audited."""
    _id, key = _session_token(client_for)
    before = ApiToken.objects.count(), AuditEntry.objects.filter(action="token.create").count()
    value = f"Bearer {key}" if header == "Authorization" else key
    response = _post(client_for(None), f"{API}/me/tokens", {"name": "copy"}, **{header: value})
    assert response.status_code == 403, response.content
    assert response.json()["code"] == "session_required"
    assert (ApiToken.objects.count(), AuditEntry.objects.filter(action="token.create").count()) == before


def test_the_rule_is_in_the_service(demo_user):
    """Given the user a token authenticates (as the API sees it), when create_api_token is called with it
    directly, then ForbiddenError session_required: no other path can mint a token with a token."""
    _token, key = create_api_token(actor=demo_user("office_pn"), name="first")
    actor = user_for_token(key)
    with pytest.raises(ForbiddenError) as info:
        create_api_token(actor=actor, name="second")
    assert info.value.code == "session_required"
    assert ApiToken.objects.filter(user__username="office_pn").count() == 1


def test_a_session_creates_a_token_with_the_default_expiry(client_for):
    """Given office_pn signed in, when it creates a token without an expiry, then 201 and the token expires
    API_TOKEN_DEFAULT_DAYS (90) days from now; the audit entry records the expiry."""
    token_id, key = _session_token(client_for)
    token = ApiToken.objects.get(pk=token_id)
    expected = timezone.now() + dt.timedelta(days=limits.TOKEN_EXPIRY_DAYS_DEFAULT)
    assert abs(token.expires_at - expected) < dt.timedelta(minutes=1)
    assert AuditEntry.objects.get(action="token.create", object_id=str(token_id)).data["expires_at"]
    assert client_for(None).get(f"{API}/me", headers=_bearer(key)).status_code == 200


def test_the_default_expiry_is_a_setting(client_for, settings):
    """Given settings.API_TOKEN_DEFAULT_DAYS = 7, when a token is created without an expiry, then it
    expires in 7 days."""
    settings.API_TOKEN_DEFAULT_DAYS = 7
    token_id, _key = _session_token(client_for)
    expires = ApiToken.objects.get(pk=token_id).expires_at
    assert abs(expires - (timezone.now() + dt.timedelta(days=7))) < dt.timedelta(minutes=1)


@pytest.mark.parametrize("days", [1, 30, 365])
def test_a_token_expires_when_asked(client_for, days):
    token_id, _key = _session_token(client_for, expires_in_days=days)
    expires = ApiToken.objects.get(pk=token_id).expires_at
    assert abs(expires - (timezone.now() + dt.timedelta(days=days))) < dt.timedelta(minutes=1)


@pytest.mark.parametrize("days", [0, -1, 366, 10**6, 2**63, "soon", 1.5, True])
def test_an_expiry_out_of_bounds_is_422_and_creates_nothing(client_for, days):
    """Given office_pn signed in, when it asks for a token expiring in 0, -1, 366 … days or in a non-number,
    then 422 names expires_in_days and no token is created."""
    client = client_for("office_pn")
    client.raise_request_exception = False
    response = _post(client, f"{API}/me/tokens", {"name": "job", "expires_in_days": days})
    assert response.status_code == 422, response.content
    assert response.json()["field"] == "expires_in_days"
    assert not ApiToken.objects.filter(user__username="office_pn").exists()


@pytest.mark.parametrize("days", [0, 366, None])
def test_the_service_bounds_the_expiry_too(demo_user, days, settings):
    """Given a caller other than the API (a command, a page) and a default misconfigured to 0 days, when the
    service is asked for 0 or 366 days or the default, then ValidationFailed names expires_in_days."""
    settings.API_TOKEN_DEFAULT_DAYS = 0
    with pytest.raises(ValidationFailed) as info:
        create_api_token(actor=demo_user("office_pn"), name="job", expires_in_days=days)
    assert info.value.field == "expires_in_days"


# --- expired, revoked ------------------------------------------------------------------------------------


def test_an_expired_token_is_401(client_for):
    """Given a token whose expiry has passed, when it is used, then 401 unauthenticated with an
    invalid_token challenge."""
    token_id, key = _session_token(client_for, expires_in_days=1)
    ApiToken.objects.filter(pk=token_id).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client_for(None).get(f"{API}/me", headers=_bearer(key))
    assert (response.status_code, response.json()["code"]) == (401, "unauthenticated")
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_token_lists_tokens_and_revokes_only_itself(client_for):
    """Given two tokens of office_pn, when the first lists the tokens, revokes the second, then revokes
    itself, then the list is 200, revoking the other is 403 session_required (it still works), and revoking
    itself is 204; the session may revoke any of them."""
    first_id, first = _session_token(client_for)
    second_id, second = _session_token(client_for)
    client = client_for(None)
    listing = client.get(f"{API}/me/tokens", headers=_bearer(first))
    assert listing.status_code == 200 and {t["id"] for t in listing.json()} == {first_id, second_id}

    other = client.delete(f"{API}/me/tokens/{second_id}", headers=_bearer(first))
    assert (other.status_code, other.json()["code"]) == (403, "session_required")
    assert client.get(f"{API}/me", headers=_bearer(second)).status_code == 200
    missing = client.delete(f"{API}/me/tokens/999999", headers=_bearer(first))
    assert missing.status_code == 403  # the same answer whether or not that token exists

    assert client.delete(f"{API}/me/tokens/{first_id}", headers=_bearer(first)).status_code == 204
    assert client.get(f"{API}/me", headers=_bearer(first)).status_code == 401
    assert client_for("office_pn").delete(f"{API}/me/tokens/{second_id}").status_code == 204


def test_the_revoke_rule_is_in_the_service(demo_user):
    """Given the user a token authenticates, when revoke_api_token is called with it for another token, then
    ForbiddenError session_required and that token stays active."""
    user = demo_user("office_pn")
    _first, key = create_api_token(actor=user, name="first")
    second, _key = create_api_token(actor=user, name="second")
    with pytest.raises(ForbiddenError):
        revoke_api_token(actor=user_for_token(key), token_id=second.pk)
    second.refresh_from_db()
    assert second.revoked_at is None


# --- shown: created, last used, expires, revoked ---------------------------------------------------------


def test_last_use_and_expiry_are_shown_in_the_api_and_on_the_page(client_for):
    """Given a token used once, when the API list and /me/tokens/ are read, then both show when it was
    created, last used and expires (and the page's status says active); after revocation both show it."""
    token_id, key = _session_token(client_for, expires_in_days=30)
    assert client_for(None).get(f"{API}/me", headers=_bearer(key)).status_code == 200
    token = ApiToken.objects.get(pk=token_id)
    assert token.last_used_at is not None

    session = client_for("office_pn")
    listed = {t["id"]: t for t in session.get(f"{API}/me/tokens").json()}[token_id]
    assert {"created_at", "last_used_at", "expires_at", "revoked_at"} <= set(listed)
    assert listed["last_used_at"] is not None and listed["expires_at"] is not None
    assert listed["revoked_at"] is None

    local = timezone.localtime
    page = session.get("/me/tokens/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row = page[page.index(f'data-testid="token-{token_id}"') :].split("</tr>")[0]
    assert local(token.last_used_at).strftime("%Y-%m-%d %H:%M") in row
    assert local(token.expires_at).strftime("%Y-%m-%d %H:%M") in row
    assert local(token.created_at).strftime("%Y-%m-%d %H:%M") in row

    session.post("/me/tokens/", {"revoke": str(token_id)})
    listed = {t["id"]: t for t in session.get(f"{API}/me/tokens").json()}[token_id]
    assert listed["revoked_at"] is not None
    page = session.get("/me/tokens/").content.decode()
    row = page[page.index(f'data-testid="token-{token_id}"') :].split("</tr>")[0]
    assert local(ApiToken.objects.get(pk=token_id).revoked_at).strftime("%Y-%m-%d %H:%M") in row


def test_an_expired_token_is_marked_on_the_page(client_for):
    token_id, _key = _session_token(client_for)
    ApiToken.objects.filter(pk=token_id).update(expires_at=timezone.now() - dt.timedelta(days=1))
    client = client_for("office_pn")
    client.post("/language/", {"language": "en", "next": "/me/tokens/"})
    page = client.get("/me/tokens/").content.decode()
    row = page[page.index(f'data-testid="token-{token_id}"') :].split("</tr>")[0]
    assert "expired" in row


def test_the_page_offers_an_expiry_and_honours_it(client_for):
    """Given office_pn on /me/tokens/, then the form offers the expiries 7–365 days with 90 chosen; when it
    creates a token for 7 days, the token expires in 7 days; an expiry not offered is refused and nothing is
    created."""
    client = client_for("office_pn")
    page = client.get("/me/tokens/")
    field = page.context["form"]["expires_in_days"]
    assert [int(value) for value, _label in field.field.choices] == list(limits.TOKEN_EXPIRY_CHOICES_DAYS)
    assert 'name="expires_in_days"' in page.content.decode()
    assert field.value() == limits.TOKEN_EXPIRY_DAYS_DEFAULT

    created = client.post("/me/tokens/", {"name": "weekly", "expires_in_days": "7"})
    assert created.status_code == 200 and created.context["new_key"]
    token = ApiToken.objects.get(user__username="office_pn", name="weekly")
    assert abs(token.expires_at - (timezone.now() + dt.timedelta(days=7))) < dt.timedelta(minutes=1)

    refused = client.post("/me/tokens/", {"name": "for ever", "expires_in_days": "100000"})
    assert refused.context["form"].errors["expires_in_days"]
    assert not ApiToken.objects.filter(name="for ever").exists()
