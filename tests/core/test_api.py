"""The HTTP API under /api/v1/ (issue 2, point 10): schema and docs, session and token authentication, the
JSON error shape with stable codes and field names, pagination and filters, zone creation rules, and the
audit entry and history row every write leaves."""

from __future__ import annotations

import json
import re

import pytest
from jsonschema import Draft202012Validator

from tongcheng.core.models import AdjacentZone, ApiToken, AuditEntry, RoleGrant, User, ZoneMember
from tongcheng.core.services.accounts import hash_token

pytestmark = pytest.mark.django_db

API = "/api/v1"


def _json(client, method: str, url: str, body: dict | None = None, **headers):
    return getattr(client, method)(
        url, data=json.dumps(body or {}), content_type="application/json", headers=headers or None
    )


@pytest.fixture
def token_for(client_for):
    """token_for("office_metro") -> {"Authorization": "Bearer tc_…"} created through the API itself."""

    def make(username: str) -> dict[str, str]:
        response = _json(client_for(username), "post", f"{API}/me/tokens", {"name": "tests"})
        assert response.status_code == 201, response.content
        return {"Authorization": f"Bearer {response.json()['key']}"}

    return make


def _new_zone(**overrides) -> dict:
    body = {
        "name": "溧水—博望",
        "name_en": "Lishui-Bowang",
        "code": "lishui-bowang",
        "kind": "cross_border_demo_zone",
        "established": "2024-06-01",
        "members": [{"code": "320117"}, {"code": "340506"}],
    }
    body.update(overrides)
    return body


# --- schema and docs --------------------------------------------------------------------------------------


def test_openapi_is_valid_and_lists_the_endpoints(client):
    """Given the API, when /api/v1/openapi.json is fetched anonymously, then it is an OpenAPI 3 document whose
    component schemas are valid JSON Schema, every $ref resolves, and it lists the core endpoints."""
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.") and doc["info"]["title"] and doc["paths"]
    expected = {
        "/api/v1/jurisdictions": {"get"},
        "/api/v1/jurisdictions/{code}": {"get"},
        "/api/v1/zones": {"get", "post"},
        "/api/v1/zones/{code}": {"get", "patch"},
        "/api/v1/organisations": {"get"},
        "/api/v1/organisations/{key}": {"get"},
        "/api/v1/me": {"get"},
        "/api/v1/me/tokens": {"get", "post"},
        "/api/v1/me/tokens/{token_id}": {"delete"},
    }
    for path, methods in expected.items():
        assert path in doc["paths"], path
        assert methods <= set(doc["paths"][path]), (path, set(doc["paths"][path]))
    for name, schema in doc["components"]["schemas"].items():
        assert name and Draft202012Validator.check_schema(schema) is None
    for ref in set(re.findall(r'"\$ref": "#/components/schemas/([^"]+)"', json.dumps(doc))):
        assert ref in doc["components"]["schemas"], ref
    assert {"limit", "offset"} <= {p["name"] for p in doc["paths"]["/api/v1/zones"]["get"]["parameters"]}


def test_docs_are_served_from_local_files(client):
    """Given the interactive docs, when /api/v1/docs is opened, then it answers 200 and every script and
    stylesheet is a same-origin path (no CDN, no absolute http(s) or protocol-relative URL)."""
    response = client.get(f"{API}/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', html)
    assert assets, "the docs page loads no assets at all"
    for url in assets:
        assert url.startswith("/") and not url.startswith("//"), url
        assert "cdn" not in url.lower(), url
    assert "cdn.jsdelivr" not in html and "unpkg.com" not in html
    for url in assets:
        if url.startswith("/static/"):
            assert client.get(url).status_code == 200, url


# --- authentication ---------------------------------------------------------------------------------------


def test_session_authentication(client_for):
    """Given a signed-in browser session, when /api/v1/me is read, then it names the user; anonymous gets 401
    with the code unauthenticated."""
    assert client_for("office_pn").get(f"{API}/me").json()["username"] == "office_pn"
    response = client_for(None).get(f"{API}/me")
    assert response.status_code == 401
    assert response.json()["code"] == "unauthenticated"


def test_token_lifecycle(client_for, client):
    """Given office_pn, when a token is created via POST /me/tokens, then the key works as a Bearer token and
    as X-API-Token, the database stores only its SHA-256 hash; after DELETE the key is refused with 401."""
    session = client_for("office_pn")
    created = _json(session, "post", f"{API}/me/tokens", {"name": "ci"})
    assert created.status_code == 201
    body = created.json()
    key = body["key"]
    assert key.startswith("tc_") and len(key) > 30
    row = ApiToken.objects.get(pk=body["id"])
    assert row.key_hash == hash_token(key) and key not in row.key_hash
    for value in row.__dict__.values():
        assert value != key
    assert not ApiToken.objects.filter(key_hash=key).exists()
    listing = session.get(f"{API}/me/tokens").json()
    assert "key" not in listing[0] and listing[0]["prefix"] == key[:10]

    bearer = {"Authorization": f"Bearer {key}"}
    assert client.get(f"{API}/me", headers=bearer).json()["username"] == "office_pn"
    assert client.get(f"{API}/me", headers={"X-API-Token": key}).json()["username"] == "office_pn"
    assert client.get(f"{API}/zones/pukou-nanqiao", headers=bearer).status_code == 200

    revoked = client.delete(f"{API}/me/tokens/{body['id']}", headers=bearer)
    assert revoked.status_code == 204
    again = client.get(f"{API}/me", headers=bearer)
    assert again.status_code == 401 and again.json()["code"] == "unauthenticated"
    assert AuditEntry.objects.filter(action="token.revoke", actor__username="office_pn").exists()


def test_wrong_token_is_401(client):
    """Given a made-up key, when it is sent as a Bearer token, then the answer is 401 unauthenticated."""
    response = client.get(f"{API}/me", headers={"Authorization": "Bearer tc_not-a-real-key"})
    assert response.status_code == 401 and response.json()["code"] == "unauthenticated"


def test_someone_elses_token_cannot_be_revoked(client_for, token_for):
    """Given a token of office_pn, when office_jb tries to revoke it, then the answer is 404 and it still works."""
    headers = token_for("office_pn")
    token_id = ApiToken.objects.filter(user__username="office_pn").latest("created_at").pk
    response = client_for("office_jb").delete(f"{API}/me/tokens/{token_id}")
    assert response.status_code == 404 and response.json()["code"] == "not_found"
    assert client_for(None).get(f"{API}/me", headers=headers).status_code == 200


# --- error shape ------------------------------------------------------------------------------------------


def test_422_names_the_field(client, token_for):
    """Given office_metro, when POST /zones has members[0].code "abc", then 422 validation_failed with field
    members.0.code, in the standard error shape."""
    response = _json(
        client,
        "post",
        f"{API}/zones",
        _new_zone(members=[{"code": "abc"}, {"code": "340506"}]),
        **token_for("office_metro"),
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed"
    assert body["field"] == "members.0.code"
    assert set(body) == {"code", "message", "field", "errors"}
    assert any(e["field"] == "members.0.code" for e in body["errors"])
    assert not AdjacentZone.objects.filter(code="lishui-bowang").exists()


def test_404_401_403_409_codes(client, client_for, token_for):
    """Given the API, when a missing zone is read, an anonymous call is made, leader_pn PATCHes a zone it sees
    but may not edit, and office_pn PATCHes with an old version, then the answers are 404 not_found,
    401 unauthenticated, 403 forbidden and 409 stale_version (field version), and nothing changes."""
    assert client_for("office_pn").get(f"{API}/zones/nowhere").json()["code"] == "not_found"
    anon = client.get(f"{API}/zones/pukou-nanqiao")
    assert (anon.status_code, anon.json()["code"]) == (401, "unauthenticated")

    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    forbidden = _json(
        client,
        "patch",
        f"{API}/zones/pukou-nanqiao",
        {"version": zone.version, "name": "x"},
        **token_for("leader_pn"),
    )
    assert (forbidden.status_code, forbidden.json()["code"]) == (403, "forbidden")

    office = token_for("office_pn")
    ok = _json(
        client,
        "patch",
        f"{API}/zones/pukou-nanqiao",
        {"version": zone.version, "description": "v2"},
        **office,
    )
    assert ok.status_code == 200 and ok.json()["version"] == zone.version + 1
    stale = _json(
        client, "patch", f"{API}/zones/pukou-nanqiao", {"version": zone.version, "name": "stale"}, **office
    )
    assert stale.status_code == 409
    assert stale.json()["code"] == "stale_version" and stale.json()["field"] == "version"
    zone.refresh_from_db()
    assert zone.name != "stale" and zone.description == "v2"

    invisible = _json(client, "patch", f"{API}/zones/jiangning-bowang", {"version": 1, "name": "x"}, **office)
    assert (invisible.status_code, invisible.json()["code"]) == (404, "not_found")


def test_field_names_are_spelled_one_way(client, token_for):
    """Given two errors on the same input (a malformed code, a code not valid at the start date), when each is
    reported, then both are 422 and the field is spelled the same way (members.1.code) by schema and service
    errors."""
    headers = token_for("office_metro")
    schema_error = _json(
        client, "post", f"{API}/zones", _new_zone(members=[{"code": "320117"}, {"code": "x"}]), **headers
    )
    service_error = _json(
        client,
        "post",
        f"{API}/zones",
        _new_zone(established="2010-01-01", members=[{"code": "320115"}, {"code": "340506"}]),
        **headers,
    )
    assert schema_error.status_code == service_error.status_code == 422
    assert schema_error.json()["code"] == "validation_failed"
    assert service_error.json()["code"] == "member_not_valid_at_start"
    assert schema_error.json()["field"] == service_error.json()["field"] == "members.1.code"


# --- pagination and filters -------------------------------------------------------------------------------


@pytest.mark.parametrize("url", [f"{API}/zones", f"{API}/organisations", f"{API}/jurisdictions"])
def test_an_offset_past_the_database_integers_is_a_422(client_for, url):
    """Given office_pn, when a list is asked for from offset 2**63 (one past the largest database integer), then
    the answer is 422 validation_failed naming offset, not a server error."""
    client = client_for("office_pn")
    client.raise_request_exception = False
    assert client.get(f"{url}?offset={2**63 - 1}").status_code == 200
    response = client.get(f"{url}?offset={2**63}")
    assert response.status_code == 422, response.status_code
    assert (response.json()["code"], response.json()["field"]) == ("validation_failed", "offset")


def test_pagination_limit_offset_count(client_for):
    """Given the organisations office_metro sees, when they are read with limit=5 and offsets 0, 5, then each
    page has 5 distinct items and count is the total."""
    client = client_for("office_metro")
    first = client.get(f"{API}/organisations?limit=5&offset=0").json()
    second = client.get(f"{API}/organisations?limit=5&offset=5").json()
    assert first["count"] == second["count"] >= 10
    assert len(first["items"]) == len(second["items"]) == 5
    assert not {i["key"] for i in first["items"]} & {i["key"] for i in second["items"]}


def test_filters(client_for):
    """Given the demo, when lists are filtered by kind, q, zone and jurisdiction, then only matching rows
    come back."""
    client = client_for("office_metro")
    finance = client.get(f"{API}/organisations?kind=finance_bureau&limit=100").json()
    assert finance["count"] == 8 and {i["kind"] for i in finance["items"]} == {"finance_bureau"}
    in_zone = client.get(f"{API}/organisations?zone=pukou-nanqiao&limit=100").json()
    assert {i["zone"] for i in in_zone["items"]} == {"pukou-nanqiao"}
    in_bowang = client.get(f"{API}/organisations?jurisdiction=340506&limit=100").json()
    assert {i["jurisdiction"]["code"] for i in in_bowang["items"]} == {"340506"} and in_bowang["count"] >= 3
    zones = client.get(f"{API}/zones?q=博望").json()
    assert [z["code"] for z in zones["items"]] == ["jiangning-bowang"]
    parks = client.get(f"{API}/zones?kind=special_cooperation_zone").json()
    assert [z["code"] for z in parks["items"]] == ["ninghuai"]


def test_jurisdictions_at_a_date(client_for):
    """Given 金坛市 320482 became 金坛区 320413 on 2015-05-01, when jurisdictions are listed at 2015-01-01, then
    320482 is there and 320413 is not."""
    body = client_for("officer_pukou").get(f"{API}/jurisdictions?at=2015-01-01&q=3204&limit=100").json()
    codes = {i["code"] for i in body["items"]}
    assert "320482" in codes and "320413" not in codes


def test_abolished_code_resolves_at_its_date(client_for):
    """Given 芜湖县 340221 was abolished in 2020 for 湾沚区 340210, when it is looked up at 2019-01-01, then it
    resolves with successor_code 340210; looked up today it is a 404."""
    client = client_for("clerk_bowang")
    old = client.get(f"{API}/jurisdictions/340221?at=2019-01-01")
    assert old.status_code == 200
    assert old.json()["name"] == "芜湖县" and old.json()["successor_code"] == "340210"
    today = client.get(f"{API}/jurisdictions/340221")
    assert (today.status_code, today.json()["code"]) == (404, "not_found")
    assert client.get(f"{API}/jurisdictions/340210").json()["name"] == "湾沚区"


# --- zone creation rules ----------------------------------------------------------------------------------


def test_metro_office_creates_a_zone_with_audit(client, token_for):
    """Given office_metro, when it POSTs 溧水—博望 with members 320117 and 340506, then 201, the zone exists
    with both members on two sides, and an AuditEntry zone.create names the actor and the request id."""
    response = _json(
        client,
        "post",
        f"{API}/zones",
        _new_zone(),
        **token_for("office_metro"),
        **{"X-Request-Id": "req-create-lb"},
    )
    assert response.status_code == 201, response.content
    body = response.json()
    assert {m["jurisdiction"]["code"] for m in body["members"]} == {"320117", "340506"}
    assert len({m["side"] for m in body["members"]}) == 2
    zone = AdjacentZone.objects.get(code="lishui-bowang")
    entry = AuditEntry.objects.get(action="zone.create", object_id=str(zone.pk))
    assert entry.actor == User.objects.get(username="office_metro")
    assert entry.request_id == "req-create-lb" and entry.zone_id == zone.pk
    assert zone.history.filter(history_type="+").count() == 1


def test_member_must_exist_at_start_date(client, token_for):
    """Given 博望区 340506 was created in 2012, when a zone starting 2010-01-01 lists it, then 422
    member_not_valid_at_start for that member and no zone is created."""
    members = [{"code": "320115"}, {"code": "340506"}]  # 江宁区 existed in 2010, 博望区 did not
    response = _json(
        client,
        "post",
        f"{API}/zones",
        _new_zone(established="2010-01-01", members=members),
        **token_for("office_metro"),
    )
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "member_not_valid_at_start"
    assert body["field"] == "members.1.code"
    assert [(e["field"], e["code"]) for e in body["errors"]] == [
        ("members.1.code", "member_not_valid_at_start")
    ]
    assert not AdjacentZone.objects.filter(code="lishui-bowang").exists()


def test_one_sided_zone_is_refused(client, token_for):
    """Given two members both in 江苏 (溧水 320117, 江宁 320115), when the zone is posted, then 422 one_sided_zone
    on field members, nothing created."""
    response = _json(
        client,
        "post",
        f"{API}/zones",
        _new_zone(members=[{"code": "320117"}, {"code": "320115"}]),
        **token_for("office_metro"),
    )
    assert response.status_code == 422
    assert response.json()["code"] == "one_sided_zone" and response.json()["field"] == "members"
    assert not AdjacentZone.objects.filter(code="lishui-bowang").exists()


@pytest.mark.parametrize(
    ("username", "status"),
    [("office_pn", 403), ("leader_jb", 403), ("officer_bowang", 403), ("applicant_demo", 404)],
)
def test_a_zone_outside_the_creators_territory_is_refused(client, token_for, username, status):
    """Given 溧水—博望, whose members lie outside 浦口—南谯's territory, and users who see the metropolitan area
    but hold no office grant reaching a member (office_pn: its zone's office; a leader; an officer) or do not
    see it at all (the applicant), when they POST it, then each gets 403 forbidden (404 not_found for the
    applicant) and no zone, member, grant or audit entry is written."""
    headers = token_for(username)
    tables = (AdjacentZone, ZoneMember, RoleGrant, AuditEntry)
    before = {model: model.objects.count() for model in tables}
    response = _json(client, "post", f"{API}/zones", _new_zone(), **headers)
    assert (response.status_code, response.json()["code"]) == (
        status,
        {403: "forbidden", 404: "not_found"}[status],
    )
    assert {model: model.objects.count() for model in tables} == before


# --- every write is audited and kept in history ------------------------------------------------------------


def test_session_patch_leaves_audit_and_history(client_for):
    """Given office_jb signed in, when it PATCHes its zone's description, then an AuditEntry zone.update names
    actor, action, request id and the before/after, and a history row by office_jb holds the new value."""
    zone = AdjacentZone.objects.get(code="jiangning-bowang")
    history_before = zone.history.count()
    response = _json(
        client_for("office_jb"),
        "patch",
        f"{API}/zones/jiangning-bowang",
        {"version": zone.version, "description": "新的说明"},
        **{"X-Request-Id": "req-patch-1"},
    )
    assert response.status_code == 200, response.content
    entry = AuditEntry.objects.get(action="zone.update", request_id="req-patch-1")
    assert entry.actor.username == "office_jb" and entry.actor_name == "office_jb"
    assert entry.data["changes"]["description"][1] == "新的说明"
    assert entry.zone_id == zone.pk
    assert zone.history.count() == history_before + 1
    latest = zone.history.latest("history_date")
    assert latest.description == "新的说明" and latest.history_user.username == "office_jb"


def test_token_patch_history_names_the_author(client, token_for):
    """Given office_jb with an API token, when it PATCHes a zone, then the history row names office_jb."""
    zone = AdjacentZone.objects.get(code="jiangning-bowang")
    response = _json(
        client,
        "patch",
        f"{API}/zones/jiangning-bowang",
        {"version": zone.version, "name_en": "JB"},
        **token_for("office_jb"),
    )
    assert response.status_code == 200
    latest = zone.history.latest("history_date")
    assert latest.name_en == "JB"
    assert latest.history_user is not None and latest.history_user.username == "office_jb"


@pytest.mark.parametrize("field", ["established", "name", "kind"])
def test_patch_null_required_field_is_422(client_for, field):
    """Given office_metro with the current version, when it PATCHes a zone with field=null, then 422 naming the
    field (not a server error) and the zone is unchanged."""
    client = client_for("office_metro")
    client.raise_request_exception = False
    version = AdjacentZone.objects.get(code="pukou-nanqiao").version
    response = _json(client, "patch", f"{API}/zones/pukou-nanqiao", {"version": version, field: None})
    assert response.status_code == 422 and response.json()["field"] == field
    assert AdjacentZone.objects.get(code="pukou-nanqiao").version == version


def test_long_english_name_is_not_a_server_error(client_for):
    """Given office_metro, when it POSTs zones with no code and the same 140-character English name, then each is
    201 and the code derived from the name is cut to the 60 characters a code may have, on a word boundary
    (no trailing hyphen); a second such zone gets the next free code, still 60 characters at most."""
    client = client_for("office_metro")
    client.raise_request_exception = False
    codes = []
    for day in ("2024-06-01", "2024-07-01"):  # two zones, not the same one twice (that is refused)
        body = _new_zone(code="", name=f"溧水—博望 {day}", established=day, name_en="Lishui Bowang " * 10)
        response = _json(client, "post", f"{API}/zones", body)
        assert response.status_code == 201, response.content
        codes.append(response.json()["code"])
    assert codes[0].startswith("lishui-bowang-lishui-bowang") and len(codes[0]) <= 60
    assert not codes[0].endswith("-") and codes[1] == codes[0][: 60 - 2].rstrip("-") + "-2"
    assert AdjacentZone.objects.filter(code__in=codes).count() == 2
