"""The versioned list cache (tongcheng/kit/pagecache.py): a list asked again with nothing changed is answered
from the cache, and never once something it read has changed, for another user, with another language, with a
stale CSRF token or a flash message lost.

These tests commit for real (``transaction=True``): inside a test's transaction every request follows a
write (the sign-in), and a transaction that wrote never stores what it read."""

from __future__ import annotations

import json
import re

import pytest
from django.core import checks
from django.db import connection, transaction
from django.test import Client, override_settings
from django.test.utils import CaptureQueriesContext

from tongcheng.core.models import AdjacentZone, RoleGrant, User
from tongcheng.core.services import grants, zones
from tongcheng.kit import pagecache
from tongcheng.kit.notifications.services import notify
from tongcheng.kit.scopecache.models import DataVersion

pytestmark = pytest.mark.django_db(transaction=True)

ZONES = "/zones/"
API_ZONES = "/api/v1/zones?limit=20"
HIT = "X-Tongcheng-Cache"


def _signed_in(username: str) -> Client:
    client = Client()
    client.force_login(User.objects.get(username=username))
    return client


def _twice(client: Client, url: str, **extra):
    first = client.get(url, **extra)
    second = client.get(url, **extra)
    return first, second


def _token_client(username: str) -> tuple[Client, str]:
    client = _signed_in(username)
    response = client.post(
        "/api/v1/me/tokens", {"name": "cache-test", "expires_in_days": 30}, content_type="application/json"
    )
    assert response.status_code == 201, response.content
    return Client(), response.json()["key"]


def _zone_names(body: bytes) -> str:
    return body.decode()


def test_a_list_asked_again_is_answered_from_the_cache_with_one_check():
    """Given office_pn has fetched the zone list, when it fetches it again, then the answer comes from the
    cache (same rows), checked by one query besides the session and the user, and the page is not rebuilt."""
    client = _signed_in("office_pn")
    first, second = _twice(client, ZONES)
    assert first.status_code == second.status_code == 200
    assert HIT not in first and second[HIT] == "hit"
    strip = re.compile(rb'value="[^"]*"|"X-CSRFToken": "[^"]*"')
    assert strip.sub(b"", first.content) == strip.sub(b"", second.content)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(ZONES)[HIT] == "hit"
    sql = [q["sql"] for q in queries.captured_queries]
    assert len(sql) <= 3, sql  # the session, the user, the one check of tokens, scope and unread count
    assert not any('FROM "core_adjacentzone"' in s for s in sql)


def test_a_cached_page_carries_the_requests_own_csrf_token_and_never_the_placeholder():
    """Given a page answered from the cache, when it is read, then it holds no placeholder, and the token in
    its forms is accepted by a POST of the same client (the language switch)."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(User.objects.get(username="office_pn"))
    client.get(ZONES)
    cached = client.get(ZONES)
    assert cached[HIT] == "hit"
    body = cached.content.decode()
    assert pagecache.CSRF_HOLE not in body
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', body).group(1)
    response = client.post("/language/", {"language": "en", "next": ZONES, "csrfmiddlewaretoken": token})
    assert response.status_code == 302


@pytest.mark.parametrize("how", ["service", "queryset update", "raw SQL"])
def test_any_write_to_a_table_the_list_read_is_seen(how):
    """Given a cached zone list, when a zone's name changes — through the service, a queryset update that
    sends no signal, or raw SQL through Django's cursor —, then the next answer is rebuilt and shows it."""
    client = _signed_in("office_metro")
    _twice(client, ZONES)
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    if how == "service":
        zones.update_zone(
            actor=User.objects.get(username="office_metro"),
            zone=zone,
            changes={"name": "缓存测试合作区"},
            expected_version=zone.version,
        )
    elif how == "queryset update":
        AdjacentZone.objects.filter(pk=zone.pk).update(name="缓存测试合作区")
    else:
        with connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {AdjacentZone._meta.db_table} SET name = %s WHERE id = %s",
                ["缓存测试合作区", zone.pk],
            )
    response = client.get(ZONES)
    assert HIT not in response
    assert "缓存测试合作区" in response.content.decode()


def test_a_write_to_a_joined_table_is_seen():
    """Given a cached zone list that names each member's jurisdiction, when a member jurisdiction is renamed,
    then the list is rebuilt (the jurisdiction table is one of the tables the list read)."""
    client = _signed_in("office_metro")
    api, key = _token_client("office_metro")
    _twice(api, API_ZONES, HTTP_AUTHORIZATION=f"Bearer {key}")
    from tongcheng.core.models import Jurisdiction

    Jurisdiction.objects.filter(code="320111").update(name="浦口区（缓存测试）")
    response = api.get(API_ZONES, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert HIT not in response
    assert "浦口区（缓存测试）" in response.content.decode()
    del client


def test_one_users_answer_is_never_given_to_another():
    """Given office_metro's zone list is cached, when office_pn (who sees fewer zones) asks the same URL,
    then office_pn gets its own list, not office_metro's."""
    metro = _signed_in("office_metro")
    _twice(metro, ZONES)
    pn = _signed_in("office_pn")
    response = pn.get(ZONES)
    assert HIT not in response
    metro_rows = metro.get(ZONES).content.decode().count("<tr>")
    assert response.content.decode().count("<tr>") < metro_rows


def test_a_withdrawn_grant_is_seen_at_once():
    """Given office_pn's cached zone list, when its grant is withdrawn, then the next answer is not the
    cached one and shows no zone."""
    client = _signed_in("office_pn")
    _twice(client, ZONES)
    grant = RoleGrant.objects.filter(user__username="office_pn").first()
    grants.withdraw_grant(actor=User.objects.get(username="office_metro"), grant=grant)
    response = client.get(ZONES)
    assert HIT not in response


def test_each_language_has_its_own_answer():
    """Given the Chinese zone list is cached, when the same user asks in English, then the English page is
    built (not the Chinese one served)."""
    User.objects.filter(username="office_pn").update(language="")  # a saved language would win
    client = _signed_in("office_pn")
    chinese, _again = _twice(client, ZONES)
    assert '<html lang="zh-hans">' in chinese.content.decode()
    english = client.get(ZONES, HTTP_ACCEPT_LANGUAGE="en")
    assert '<html lang="en">' in english.content.decode()
    assert HIT not in english
    assert client.get(ZONES, HTTP_ACCEPT_LANGUAGE="en")[HIT] == "hit"


def test_a_page_with_a_flash_message_shows_it_and_is_not_kept():
    """Given a cached zone list, when a message waits for the user (after a form), then the page is built
    again with the message, and the message is not kept in the cache for a later request."""
    client = _signed_in("office_pn")
    _twice(client, ZONES)
    client.post("/language/", {"language": "zh-hans", "next": ZONES})  # no message; keeps the session warm
    from django.contrib.messages import constants
    from django.contrib.messages.storage.cookie import CookieStorage

    storage = CookieStorage(type("R", (), {"COOKIES": {}})())
    storage.add(constants.INFO, "缓存消息测试")
    response = type("Resp", (), {})()
    cookies: dict[str, str] = {}

    class _Response:
        def set_cookie(self, key, value, **kwargs):
            cookies[key] = value

        def delete_cookie(self, key, **kwargs):
            cookies.pop(key, None)

    storage.update(_Response())
    client.cookies[storage.cookie_name] = cookies[storage.cookie_name]
    shown = client.get(ZONES)
    assert HIT not in shown and "缓存消息测试" in shown.content.decode()
    again = client.get(ZONES)
    assert "缓存消息测试" not in again.content.decode()
    del response


def test_a_new_notification_changes_the_bell_at_once():
    """Given a cached zone list, when a notification is written for the user, then the next page is built
    again and its bell shows the unread count."""
    client = _signed_in("office_pn")
    _twice(client, ZONES)
    user = User.objects.get(username="office_pn")
    with transaction.atomic():
        notify([user], title=("Cache test",), link="/zones/")
    response = client.get(ZONES)
    assert HIT not in response
    assert 'data-testid="bell-count"' in response.content.decode()


def test_a_transaction_that_wrote_stores_nothing():
    """Given a request's transaction has written, when a list is built inside it, then nothing is kept: the
    next request builds the list again."""
    client = _signed_in("office_pn")
    with transaction.atomic():
        AdjacentZone.objects.filter(code="pukou-nanqiao").update(description="写入后读取")
        client.get(ZONES)
    assert HIT not in client.get(ZONES)


def test_a_rolled_back_savepoint_takes_its_new_token_with_it():
    """Given a write inside a savepoint that rolls back, when the same transaction writes the table again,
    then the table gets a new token that commits (the marker left with the savepoint)."""
    before = DataVersion.objects.get(name=AdjacentZone._meta.db_table).token
    with transaction.atomic():
        try:
            with transaction.atomic():
                AdjacentZone.objects.filter(code="pukou-nanqiao").update(description="甲")
                raise RuntimeError("roll back")
        except RuntimeError:
            pass
        assert DataVersion.objects.get(name=AdjacentZone._meta.db_table).token == before
        AdjacentZone.objects.filter(code="pukou-nanqiao").update(description="乙")
    assert DataVersion.objects.get(name=AdjacentZone._meta.db_table).token != before


def test_the_api_answers_the_same_json_from_the_cache():
    """Given an API list fetched with a token, when it is fetched again, then the answer is the cached one
    and its JSON equals the first; a bad parameter (422) is never kept."""
    api, key = _token_client("office_pn")
    auth = {"HTTP_AUTHORIZATION": f"Bearer {key}"}
    first, second = _twice(api, API_ZONES, **auth)
    assert second[HIT] == "hit"
    assert json.loads(first.content) == json.loads(second.content)
    assert second["Content-Type"] == first["Content-Type"]
    bad = "/api/v1/zones?limit=0"
    assert api.get(bad, **auth).status_code == 422
    assert HIT not in api.get(bad, **auth)


def test_exports_are_never_cached():
    """Given a cached list page, when its export is asked twice, then both are built (a file, not a page)."""
    client = _signed_in("office_pn")
    _twice(client, ZONES)
    _first, second = _twice(client, ZONES + "?export=csv")
    assert HIT not in second and second["Content-Type"].startswith("text/csv")


@override_settings(TONGCHENG_PAGE_CACHE=None)
def test_the_cache_can_be_switched_off():
    """Given TONGCHENG_PAGE_CACHE = None, when a list is asked twice, then both answers are built."""
    client = _signed_in("office_pn")
    _first, second = _twice(client, ZONES)
    assert HIT not in second
    assert pagecache.CSRF_HOLE not in second.content.decode()


def test_the_system_check_names_a_missing_middleware():
    """Given the cache on and its middleware left out, when Django's checks run, then tongcheng.E010 says so."""
    from django.conf import settings

    middleware = [m for m in settings.MIDDLEWARE if m != "tongcheng.kit.pagecache.PageCacheMiddleware"]
    with override_settings(MIDDLEWARE=middleware):
        ids = [m.id for m in checks.run_checks()]
    assert "tongcheng.E010" in ids
    assert "tongcheng.E010" not in [m.id for m in checks.run_checks()]


def test_a_reload_builds_the_list_again():
    """Given a cached list, when the browser reloads it (Cache-Control: no-cache), then it is built again,
    and the next ordinary request is answered from what the reload kept."""
    client = _signed_in("office_pn")
    _twice(client, ZONES)
    assert HIT not in client.get(ZONES, HTTP_CACHE_CONTROL="no-cache")
    assert client.get(ZONES)[HIT] == "hit"


def test_writes_django_did_not_see_are_announced_by_a_command():
    """Given a cached list, when bump_data_versions runs (after a write from psql), then the list is built
    again; an unknown table name is refused by name."""
    from django.core.management import CommandError, call_command

    client = _signed_in("office_pn")
    _twice(client, ZONES)
    call_command("bump_data_versions", AdjacentZone._meta.db_table)
    assert HIT not in client.get(ZONES)
    with pytest.raises(CommandError, match="no_such_table"):
        call_command("bump_data_versions", "no_such_table")
