"""API answers people can read (issue 8 point 7): validation messages in the request's language
(Accept-Language, or the user's saved language), Pydantic's English reworded by error type; JSON as UTF-8
text, Chinese characters written as themselves, not \\u escapes."""

from __future__ import annotations

import pytest

from tongcheng.core.models import User

pytestmark = pytest.mark.django_db

VIEWER = "office_metro"


@pytest.fixture
def client(client_for):
    User.objects.filter(username=VIEWER).update(language="")  # no saved choice: the request decides
    return client_for(VIEWER)


def test_given_accept_language_en_when_a_query_parameter_is_not_a_number_then_the_422_is_english(client):
    response = client.get("/api/v1/zones", {"limit": "abc"}, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "validation_failed" and body["field"] == "limit"
    assert body["message"] == "Enter a whole number."


def test_given_no_language_when_a_query_parameter_is_not_a_number_then_the_422_is_chinese(client):
    body = client.get("/api/v1/zones", {"limit": "abc"}).json()
    assert body["message"] == "输入整数。"
    assert "Input should" not in str(body)


@pytest.mark.parametrize(
    ("language", "expected"), [("en", "Enter a date as YYYY-MM-DD."), ("zh-hans", "请按")]
)
def test_given_a_bad_date_then_the_message_follows_the_language(client, language, expected):
    response = client.get("/api/v1/jurisdictions/320111", {"at": "2020-13-45"}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == 422
    assert response.json()["message"].startswith(expected)


def test_given_a_missing_field_then_the_message_is_ours_in_the_users_saved_language(client_for):
    """Given a user who chose English, when a create misses its required fields, then each error says
    "This field is required." (not Pydantic's "Field required"), whatever the browser asks."""
    User.objects.filter(username="office_metro").update(language="en")
    client = client_for("office_metro")
    response = client.post(
        "/api/v1/zones", {}, content_type="application/json", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 422
    messages = {e["message"] for e in response.json()["errors"]}
    assert messages == {"This field is required."}


def test_the_json_body_holds_chinese_characters_not_escapes(client):
    """Given a zone with a Chinese name, then the raw API body contains the name itself (UTF-8) and no \\u
    escape, and an error message in Chinese is raw UTF-8 too."""
    response = client.get("/api/v1/zones/pukou-nanqiao")
    raw = response.content.decode("utf-8")
    assert "浦口—南谯" in raw and "\\u" not in raw
    assert "charset=utf-8" in response["Content-Type"]
    error = client.get("/api/v1/zones", {"limit": "abc"}).content.decode("utf-8")
    assert "输入整数。" in error and "\\u" not in error
