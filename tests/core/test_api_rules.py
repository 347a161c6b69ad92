"""One set of rules for forms and API (issue 6, point 9).

The page's forms and the API's schemas check text through the same rules (tongcheng/core/limits.py), so
they refuse the same input with the same message; an end date before the start date is refused; an unknown
key is a 422 naming it, never silently dropped; integers are bounded below the database column; and a call
without working credentials is a 401 with a Bearer challenge on every operation of the OpenAPI document."""

from __future__ import annotations

import datetime as dt
import json
import re

import pytest
from django.forms import modelform_factory
from django.test import Client

from tongcheng.api import api
from tongcheng.core import limits
from tongcheng.core.models import AdjacentZone, ApiToken, User
from tongcheng.core.services.accounts import create_api_token

pytestmark = pytest.mark.django_db

API = "/api/v1"
ZONE = "pukou-nanqiao"


def _json(client, method: str, url: str, body, **headers):
    return client.generic(
        method.upper(), url, json.dumps(body), content_type="application/json", headers=headers or None
    )


def _api_zone(**overrides) -> dict:
    body = {
        "name": "溧水—博望",
        "name_en": "Lishui-Bowang",
        "code": "lishui-bowang",
        "kind": "cross_border_demo_zone",
        "established": "2027-01-01",
        "members": [{"code": "320117"}, {"code": "340506"}],
    }
    body.update(overrides)
    return body


def _form_zone(**overrides) -> dict:
    form = {
        "name": "溧水—博望",
        "name_en": "Lishui-Bowang",
        "code": "lishui-bowang-form",
        "kind": "cross_border_demo_zone",
        "established": "2027-01-01",
        "description": "",
        "members-TOTAL_FORMS": "2",
        "members-INITIAL_FORMS": "0",
        "members-MIN_NUM_FORMS": "2",
        "members-MAX_NUM_FORMS": str(limits.ZONE_MEMBERS_MAX),
        "members-0-code": "320117",
        "members-0-role": "partner",
        "members-1-code": "340506",
        "members-1-role": "partner",
    }
    form.update(overrides)
    return form


def _form_errors(response, field: str) -> list[str]:
    assert response.status_code in (200, 400), response.status_code  # the form is shown again, not a redirect
    return list(response.context["form"].errors.get(field, []))


# --- the same text rules on the page and in the API -------------------------------------------------------


def test_the_form_and_the_api_refuse_the_same_over_long_description_with_one_message(client_for):
    """Given office_metro, when a zone with a 5,001-character description is defined through the page's form
    and through POST /api/v1/zones, then both refuse it — the form under its description field, the API with
    422 field "description" — with the same message, and no zone is created; 5,000 characters pass both."""
    client = client_for("office_metro")
    client.raise_request_exception = False
    too_long = "述" * (limits.ZONE_DESCRIPTION_MAX + 1)

    page = client.post("/zones/new/", _form_zone(description=too_long))
    form_messages = _form_errors(page, "description")
    api = _json(client, "post", f"{API}/zones", _api_zone(description=too_long))

    assert api.status_code == 422, api.content
    body = api.json()
    assert body["field"] == "description" and body["code"] == "validation_failed"
    assert form_messages == [body["message"]]
    assert "5000" in body["message"] and "5001" in body["message"]
    assert not AdjacentZone.objects.filter(code__startswith="lishui-bowang").exists()

    just_right = "述" * limits.ZONE_DESCRIPTION_MAX
    assert client.post("/zones/new/", _form_zone(description=just_right)).status_code == 302
    # A second zone, not the same one again (that is refused as a duplicate).
    second = _api_zone(description=just_right, name="溧水—博望（二）", established="2027-02-01")
    assert _json(client, "post", f"{API}/zones", second).status_code == 201


def test_a_textarea_line_break_counts_once_on_both_paths(client_for):
    """Given a description of 1,250 lines "ab" sent with CRLF breaks as a browser posts a textarea (5,000
    characters raw, 3,750 once the breaks are one character), when it is sent by form and by API, then both
    accept it and store LF breaks."""
    client = client_for("office_metro")
    text = "ab\r\n" * 1250
    assert client.post("/zones/new/", _form_zone(description=text)).status_code == 302
    second = _api_zone(description=text, name="溧水—博望（二）", established="2027-02-01")
    assert _json(client, "post", f"{API}/zones", second).status_code == 201
    stored = AdjacentZone.objects.filter(code__startswith="lishui-bowang").values_list(
        "description", flat=True
    )
    assert list(stored) == ["ab\n" * 1249 + "ab"] * 2


@pytest.mark.parametrize(
    ("name", "code"),
    [("   ", "required"), ("溧水\x07博望", "control_character"), ("溧水\n博望", "line_break")],
)
def test_blank_names_and_control_characters_are_refused_by_form_and_api_alike(client_for, name, code):
    """Given office_metro, when a zone is named with only spaces, with a control character or with a line
    break, then the API answers 422 field "name" with a stable code, the form refuses the name too, and
    nothing is created."""
    client = client_for("office_metro")
    api = _json(client, "post", f"{API}/zones", _api_zone(name=name))
    assert api.status_code == 422, api.content
    assert api.json()["field"] == "name"
    assert api.json()["errors"][0]["code"] == code
    assert _form_errors(client.post("/zones/new/", _form_zone(name=name)), "name")
    assert not AdjacentZone.objects.filter(code__startswith="lishui-bowang").exists()


def test_a_patch_is_held_to_the_same_text_rules(client_for):
    """Given office_metro, when it PATCHes a zone's description to 5,001 characters or its name to spaces,
    then 422 names the field and the zone keeps its version."""
    client = client_for("office_metro")
    zone = AdjacentZone.objects.get(code=ZONE)
    for body, field in (
        ({"description": "x" * (limits.ZONE_DESCRIPTION_MAX + 1)}, "description"),
        ({"name": "  "}, "name"),
    ):
        response = _json(client, "patch", f"{API}/zones/{ZONE}", {"version": zone.version, **body})
        assert (response.status_code, response.json()["field"]) == (422, field)
    assert AdjacentZone.objects.get(code=ZONE).version == zone.version


def test_the_form_and_the_api_refuse_a_token_name_over_the_limit_with_one_message(client_for):
    """Given office_pn signed in, when a token named with 81 characters is created on /me/tokens/ and through
    POST /api/v1/me/tokens, then both refuse it with the same message and no token is made."""
    client = client_for("office_pn")
    name = "t" * (limits.TOKEN_NAME_MAX + 1)
    page = client.post("/me/tokens/", {"name": name, "expires_in_days": "30"})
    api = _json(client, "post", f"{API}/me/tokens", {"name": name})
    assert api.status_code == 422 and api.json()["field"] == "name"
    assert _form_errors(page, "name") == [api.json()["message"]]
    assert not ApiToken.objects.filter(user__username="office_pn").exists()


# --- dates ------------------------------------------------------------------------------------------------


def test_an_end_date_before_the_start_date_is_refused(client_for):
    """Given office_metro, when it PATCHes a zone with established 2020-06-01 and ended 2020-05-31, then 422
    names "ended" and nothing changes; ending on the start day itself is accepted."""
    client = client_for("office_metro")
    zone = AdjacentZone.objects.get(code=ZONE)
    bad = _json(
        client,
        "patch",
        f"{API}/zones/{ZONE}",
        {"version": zone.version, "established": "2020-06-01", "ended": "2020-05-31"},
    )
    assert bad.status_code == 422, bad.content
    assert bad.json()["field"] == "ended" and bad.json()["errors"][0]["code"] == "ended_before_established"
    unchanged = AdjacentZone.objects.get(code=ZONE)
    assert (unchanged.version, unchanged.ended) == (zone.version, zone.ended)

    same_day = _json(
        client,
        "patch",
        f"{API}/zones/{ZONE}",
        {"version": zone.version, "established": "2020-06-01", "ended": "2020-06-01"},
    )
    assert same_day.status_code == 200, same_day.content


def test_a_zone_is_defined_without_an_end_date(client_for):
    """Given office_metro, when POST /zones carries "ended" (a zone is ended later, by an edit), then 422
    names "ended" as an unknown field instead of dropping it; the page's form has no end date field."""
    from tongcheng.core.forms import ZoneForm

    response = _json(client_for("office_metro"), "post", f"{API}/zones", _api_zone(ended="2026-01-01"))
    assert (response.status_code, response.json()["field"]) == (422, "ended")
    assert "ended" not in ZoneForm.base_fields


def test_an_end_date_before_the_stored_start_date_is_refused(client_for):
    """Given a zone with its stored start date, when a PATCH sends only an end date the day before it, then
    422 names "ended" — the service compares it with the stored start date — and nothing changes."""
    client = client_for("office_metro")
    zone = AdjacentZone.objects.get(code=ZONE)
    day_before = (zone.established - dt.timedelta(days=1)).isoformat()
    response = _json(client, "patch", f"{API}/zones/{ZONE}", {"version": zone.version, "ended": day_before})
    assert (response.status_code, response.json().get("field")) == (422, "ended")
    assert AdjacentZone.objects.get(code=ZONE).version == zone.version


def test_a_model_form_refuses_an_end_date_before_the_start_date():
    """Given the zone model behind the admin's form, when ended is before established, then the form is
    invalid with the error on ended (the same rule as the API's, limits.check_zone_period)."""
    zone = AdjacentZone.objects.get(code=ZONE)
    form_class = modelform_factory(AdjacentZone, fields=["established", "ended"])
    form = form_class({"established": "2020-06-01", "ended": "2020-05-31"}, instance=zone)
    assert not form.is_valid()
    assert "ended" in form.errors


# --- unknown keys and bounded integers --------------------------------------------------------------------


def test_an_unknown_patch_field_is_422_naming_it(client_for):
    """Given office_metro, when it PATCHes {"version": v, "nmae": "x"} (a misspelt name), then 422 names the
    field "nmae" with the code unknown_field, and the zone is unchanged (before: 200, the key dropped)."""
    client = client_for("office_metro")
    zone = AdjacentZone.objects.get(code=ZONE)
    response = _json(client, "patch", f"{API}/zones/{ZONE}", {"version": zone.version, "nmae": "x"})
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["field"] == "nmae" and body["errors"][0]["code"] == "unknown_field"
    assert "nmae" in body["message"]
    assert AdjacentZone.objects.get(code=ZONE).version == zone.version


@pytest.mark.parametrize(
    ("url", "body", "field"),
    [
        ("/zones", _api_zone(colour="red"), "colour"),
        (
            "/zones",
            _api_zone(members=[{"code": "320117", "colour": "red"}, {"code": "340506"}]),
            "members.0.colour",
        ),
        ("/me/tokens", {"name": "ci", "scope": "admin"}, "scope"),
    ],
)
def test_a_post_with_an_unknown_key_is_422_and_writes_nothing(client_for, url, body, field):
    """Given office_metro, when a POST body carries a key the schema does not know, then 422 names it and
    nothing is written."""
    zones, tokens = AdjacentZone.objects.count(), ApiToken.objects.count()
    response = _json(client_for("office_metro"), "post", f"{API}{url}", body)
    assert (response.status_code, response.json()["field"]) == (422, field)
    assert (AdjacentZone.objects.count(), ApiToken.objects.count()) == (zones, tokens)


def test_every_input_schema_forbids_unknown_keys():
    """Given the OpenAPI document, then every request body schema says additionalProperties: false, so a new
    input schema that forgets the strict base is caught here."""
    doc = api.get_openapi_schema()
    schemas = doc["components"]["schemas"]
    refs = set()
    for operations in doc["paths"].values():
        for operation in operations.values():
            content = operation.get("requestBody", {}).get("content", {})
            refs |= set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(content)))
    pending, seen = list(refs), set()
    while pending:
        name = pending.pop()
        if name in seen:
            continue
        seen.add(name)
        if schemas[name].get("type") == "object":
            assert schemas[name].get("additionalProperties") is False, name
        pending += re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(schemas[name]))
    assert {"ZoneIn", "MemberIn", "ZonePatch", "TokenIn"} <= seen


@pytest.mark.parametrize("version", [0, -1, 2**31, 2**63, 10**30])
def test_a_version_outside_the_column_is_422_not_a_server_error(client_for, version):
    """Given office_metro, when a PATCH carries a version below 1 or beyond the 32-bit column, then 422 names
    "version" (not a 409 or a 500)."""
    client = client_for("office_metro")
    client.raise_request_exception = False
    response = _json(client, "patch", f"{API}/zones/{ZONE}", {"version": version, "name": "x"})
    assert (response.status_code, response.json()["field"]) == (422, "version")


# --- no credentials: 401 on every operation ----------------------------------------------------------------


def _operations() -> list[tuple[str, str]]:
    """Every (method, URL) of the OpenAPI document, path parameters filled with harmless dummies."""
    doc = api.get_openapi_schema(path_prefix=API)
    found = []
    for path, operations in doc["paths"].items():
        for method, operation in operations.items():
            url = path
            for param in operation.get("parameters", []):
                if param["in"] == "path":
                    dummy = "1" if param["schema"].get("type") == "integer" else "x"
                    url = url.replace("{" + param["name"] + "}", dummy)
            found.append((method.upper(), url))
    return found


OPERATIONS = _operations()


def test_the_operation_list_is_complete():
    """Given the API, then the list below covers the endpoints this test was written against (and any
    endpoint added later is in it automatically)."""
    assert ("POST", f"{API}/me/tokens") in OPERATIONS and ("PATCH", f"{API}/zones/x") in OPERATIONS
    assert len(OPERATIONS) >= 14


def _browser() -> Client:
    # A real browser's conditions: CSRF is enforced (Django's test client skips it by default), which is
    # how an anonymous POST used to end as 403 "CSRF check Failed".
    return Client(enforce_csrf_checks=True)


def _assert_401(response, method, url) -> None:
    assert response.status_code == 401, (method, url, response.status_code, response.content[:200])
    assert response.json()["code"] == "unauthenticated", (method, url)
    assert response["WWW-Authenticate"].startswith("Bearer"), (method, url)


@pytest.mark.parametrize(("method", "url"), OPERATIONS)
def test_no_credentials_is_401_on_every_operation(method, url):
    """Given no session and no token (with CSRF enforced, as in a browser), when any operation of the
    OpenAPI document is called, then the answer is 401 unauthenticated with a WWW-Authenticate: Bearer
    challenge — not 403."""
    client = _browser()
    client.raise_request_exception = False
    _assert_401(client.generic(method, url, "{}", content_type="application/json"), method, url)
    client.cookies["sessionid"] = "not-a-session"
    _assert_401(client.generic(method, url, "{}", content_type="application/json"), method, url)


@pytest.mark.parametrize(("method", "url"), OPERATIONS)
@pytest.mark.parametrize("header", ["Authorization", "X-API-Token"])
def test_a_bad_token_is_401_on_every_operation(method, url, header):
    """Given a made-up token, when any operation is called with it, then 401 with an invalid_token
    challenge."""
    client = _browser()
    client.raise_request_exception = False
    value = "Bearer tc_made-up-key" if header == "Authorization" else "tc_made-up-key"
    response = client.generic(method, url, "{}", content_type="application/json", headers={header: value})
    _assert_401(response, method, url)
    assert 'error="invalid_token"' in response["WWW-Authenticate"]


def test_a_bad_token_is_not_rescued_by_a_session(client_for):
    """Given office_pn signed in, when a request also carries a revoked token, then it is 401: the credential
    the caller chose does not work, and the session behind it is not used instead."""
    user = User.objects.get(username="office_pn")
    token, key = create_api_token(actor=user, name="old")
    ApiToken.objects.filter(pk=token.pk).update(revoked_at=token.created_at)
    response = client_for("office_pn").get(f"{API}/me", headers={"Authorization": f"Bearer {key}"})
    assert response.status_code == 401


def test_a_signed_in_session_without_csrf_is_403_csrf_failed(demo_user):
    """Given office_pn signed in in a browser, when it POSTs /me/tokens without the CSRF token, then 403
    csrf_failed and no token is made; a read needs no CSRF token."""
    client = _browser()
    client.force_login(demo_user("office_pn"))
    response = _json(client, "post", f"{API}/me/tokens", {"name": "x"})
    assert (response.status_code, response.json()["code"]) == (403, "csrf_failed")
    assert not ApiToken.objects.filter(user__username="office_pn").exists()
    assert client.get(f"{API}/me").status_code == 200
