"""Input that no schema should have to think about is refused at the edge, the same on every database."""

import json

import pytest

from tongcheng.core.models import AdjacentZone

# Needs nothing beyond one zone and its roles: the small demo is enough (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.small_demo]


@pytest.mark.parametrize(
    ("url", "field"),
    [
        ("/api/v1/zones/pukou%00nanqiao", "path"),
        ("/api/v1/organisations?q=%00", "q"),
        ("/zones/?q=a%00b", "q"),
    ],
)
def test_a_nul_character_in_the_url_is_a_400_naming_where(client_for, url, field):
    response = client_for("office_metro").get(url)
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid_character",
        "message": response.json()["message"],
        "field": field,
        "errors": [],
    }


def test_a_nul_character_in_a_json_body_is_refused_and_nothing_is_written(client_for):
    body = {
        "name": "a\u0000b",
        "kind": "cross_border_demo_zone",
        "established": "2027-01-01",
        "members": [{"code": "320117"}, {"code": "340506"}],
    }
    response = client_for("office_metro").post(
        "/api/v1/zones", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400 and response.json()["field"] == "body"
    assert not AdjacentZone.objects.filter(name__startswith="a").exists()


def test_a_nul_character_in_a_cookie_is_refused_before_the_session_is_looked_up(client_for):
    client = client_for(None)
    client.cookies["sessionid"] = "abc\x00def"
    response = client.get("/api/v1/zones/pukou-nanqiao")
    assert response.status_code == 400 and response.json()["field"] == "cookie"


def test_a_caller_request_id_is_kept_only_when_it_is_a_plain_token(client_for):
    client = client_for("office_metro")
    assert client.get("/healthz", headers={"X-Request-Id": "abc-123"})["X-Request-Id"] == "abc-123"
    replaced = client.get("/healthz", headers={"X-Request-Id": "<script>"})["X-Request-Id"]
    assert replaced != "<script>" and len(replaced) == 32
