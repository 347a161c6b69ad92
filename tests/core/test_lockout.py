"""Sign-in lockout (issue 6, point 7): failures are counted per pair (username, client address) with django-axes,
so an attacker cannot lock the real user out from another address; the delay grows with repeated lockouts; a
success clears the pair's count; and parallel attempts cannot get more password checks than the limit."""

from __future__ import annotations

import sqlite3
import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta

import pytest
from axes.models import AccessAttempt, AccessFailureLog, AccessLog
from django.contrib.auth.hashers import MD5PasswordHasher
from django.db import connections
from django.db.models import F
from django.test import Client, RequestFactory

from tongcheng.core import auth

ATTACKER = "10.0.0.1"
REAL_USER = "10.0.0.2"
LOCKED = 429  # AXES_HTTP_RESPONSE_CODE: Too Many Requests
WRONG = "wrong-password-123"


def _login(username: str, password: str, address: str, language: str = "en", path: str = "/login/"):
    client = Client(REMOTE_ADDR=address)
    response = client.post(
        path, {"username": username, "password": password}, headers={"Accept-Language": language}
    )
    return client, response


def _alert(response) -> str:
    body = response.content.decode()
    start = body.index('role="alert">') + len('role="alert">')
    return body[start : body.index("</div>", start)].strip()


def _fail(username: str, address: str, times: int) -> list:
    return [_login(username, WRONG, address)[1] for _ in range(times)]


def _let_time_pass(minutes: float) -> None:
    """Move every recorded sign-in attempt into the past, as if this many minutes had gone by."""
    delta = timedelta(minutes=minutes)
    for model in (AccessAttempt, AccessFailureLog, AccessLog):
        model.objects.update(attempt_time=F("attempt_time") - delta)


@pytest.mark.django_db
def test_failures_from_one_address_do_not_lock_the_user_out_at_another(settings, demo_password):
    """Given LOGIN_FAILURE_LIMIT=5, when office_pn's password is guessed wrong 5 times from 10.0.0.1, then the 5th
    answer and the right password from 10.0.0.1 are refused with 429 and the translated lock message (English
    and Chinese), no session is opened; and the real user at 10.0.0.2 still signs in with the right password."""
    assert settings.LOGIN_FAILURE_LIMIT == 5
    answers = _fail("office_pn", ATTACKER, 5)
    assert [r.status_code for r in answers[:4]] == [200] * 4
    assert answers[4].status_code == LOCKED

    client, refused = _login("office_pn", demo_password, ATTACKER)
    assert refused.status_code == LOCKED
    assert _alert(refused) == (
        "Too many failed sign-ins with this username from your address. Try again in 15 minutes."
    )
    assert refused.context["form"].has_error("__all__", code="locked")
    assert "_auth_user_id" not in client.session
    _, in_chinese = _login("office_pn", demo_password, ATTACKER, language="zh-hans")
    assert in_chinese.status_code == LOCKED
    assert _alert(in_chinese) == "该用户名从您当前网络地址登录失败次数过多，请 15 分钟后再试。"

    client, signed_in = _login("office_pn", demo_password, REAL_USER)
    assert signed_in.status_code == 302
    assert client.get("/").status_code == 200


@pytest.mark.django_db
def test_admin_cannot_be_locked_out_from_another_address(demo_password):
    """Given admin's password guessed wrong 5 times from 10.0.0.1, when admin signs in, then from 10.0.0.1 both
    /login/ and /admin/login/ refuse the right password with 429 (the admin form gets the lock page), while from
    10.0.0.2 admin signs in and reaches the admin site."""
    _fail("admin", ATTACKER, 5)
    assert _login("admin", demo_password, ATTACKER)[1].status_code == LOCKED
    _, admin_form = _login("admin", demo_password, ATTACKER, path="/admin/login/")
    assert admin_form.status_code == LOCKED
    assert "Try again in 15 minutes." in _alert(admin_form)

    client, signed_in = _login("admin", demo_password, REAL_USER)
    assert signed_in.status_code == 302
    assert client.get("/admin/").status_code == 200


@pytest.mark.django_db
def test_a_locked_unknown_username_looks_like_a_locked_account(demo_password):
    """Given 5 failures from one address for office_pn and for a username that does not exist, when each is tried
    once more, then both answers have the same status and the same message: the lock does not reveal whether
    the account exists."""
    _fail("office_pn", ATTACKER, 5)
    _fail("nobody_here", ATTACKER, 5)
    existing = _login("office_pn", demo_password, ATTACKER)[1]
    unknown = _login("nobody_here", demo_password, ATTACKER)[1]
    assert existing.status_code == unknown.status_code == LOCKED
    assert _alert(existing) == _alert(unknown)


@pytest.mark.django_db
def test_the_delay_grows_with_each_lockout_of_the_pair(demo_password):
    """Given office_jb locked from 10.0.0.1 (15 minutes), when 16 minutes pass, then it may sign in again; when
    it is locked a second time, then the lock lasts 30 minutes: still refused after 16 minutes, released after
    31; and after that successful sign-in the next lockout is back to 15 minutes."""
    _fail("office_jb", ATTACKER, 5)
    assert "Try again in 15 minutes." in _alert(_login("office_jb", demo_password, ATTACKER)[1])
    _let_time_pass(16)
    second = _fail("office_jb", ATTACKER, 5)
    assert [r.status_code for r in second] == [200] * 4 + [LOCKED], "the first lock has expired"
    assert "Try again in 30 minutes." in _alert(second[4])

    _let_time_pass(16)
    still = _login("office_jb", demo_password, ATTACKER)[1]
    assert still.status_code == LOCKED
    assert "Try again in 14 minutes." in _alert(still)
    _let_time_pass(15)
    assert _login("office_jb", demo_password, ATTACKER)[1].status_code == 302

    third = _fail("office_jb", ATTACKER, 5)
    assert "Try again in 15 minutes." in _alert(third[4]), "a success clears the pair's history"


@pytest.mark.django_db
def test_cool_off_doubles_per_lockout_up_to_the_cap(settings):
    """Given a pair with 0, 4, 5, 10, 15 … failures recorded since its last success, when the cool-off is asked
    for, then it is 15, 15, 15, 30, 60 … minutes, never more than LOGIN_LOCKOUT_MAX_MINUTES; failures of other
    pairs and failures older than LOGIN_LOCKOUT_MEMORY_DAYS do not count."""
    request = RequestFactory().post("/login/", {"username": "office_pn"}, REMOTE_ADDR=ATTACKER)
    minutes = []
    for failures in (0, 4, 1, 5, 5, 5, 5, 5, 5, 5, 5, 5):
        for _ in range(failures):
            AccessFailureLog.objects.create(username="office_pn", ip_address=ATTACKER, user_agent="t")
        minutes.append(auth.cool_off(request).total_seconds() / 60)
    assert minutes == [15, 15, 15, 30, 60, 120, 240, 480, 960, 1440, 1440, 1440]

    AccessFailureLog.objects.create(username="office_pn", ip_address=REAL_USER, user_agent="t")
    AccessFailureLog.objects.create(username="office_jb", ip_address=ATTACKER, user_agent="t")
    assert auth.cool_off(request) == timedelta(minutes=settings.LOGIN_LOCKOUT_MAX_MINUTES)
    AccessFailureLog.objects.update(
        attempt_time=F("attempt_time") - timedelta(days=settings.LOGIN_LOCKOUT_MEMORY_DAYS, minutes=1)
    )
    assert auth.cool_off(request) == timedelta(minutes=15)


@pytest.mark.django_db
def test_a_longer_lock_of_one_pair_outlasts_other_pairs_attempts(demo_password):
    """Given office_jb locked from 10.0.0.1 for the second time (30 minutes), when 20 minutes later someone fails
    to sign in as another user, then office_jb stays locked at 10.0.0.1 (axes would clean every pair's attempts
    older than the *current* request's 15-minute cool-off)."""
    _fail("office_jb", ATTACKER, 5)
    _let_time_pass(16)
    _fail("office_jb", ATTACKER, 5)
    _let_time_pass(20)
    _fail("leader_pn", REAL_USER, 1)
    assert _login("office_jb", demo_password, ATTACKER)[1].status_code == LOCKED


@pytest.mark.django_db
def test_a_success_clears_only_its_own_pair(demo_password):
    """Given 4 failures for leader_pn from 10.0.0.1, when leader_pn signs in from 10.0.0.2 and then fails once
    more from 10.0.0.1, then 10.0.0.1 is locked (another address's success does not clear it); when instead
    leader_jb fails 4 times, signs in from the same address and fails 4 times more, then it is not locked."""
    _fail("leader_pn", ATTACKER, 4)
    assert _login("leader_pn", demo_password, REAL_USER)[1].status_code == 302
    assert _fail("leader_pn", ATTACKER, 1)[0].status_code == LOCKED

    _fail("leader_jb", ATTACKER, 4)
    assert _login("leader_jb", demo_password, ATTACKER)[1].status_code == 302
    assert [r.status_code for r in _fail("leader_jb", ATTACKER, 4)] == [200] * 4
    assert _login("leader_jb", demo_password, ATTACKER)[1].status_code == 302


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("count", "forwarded", "expected"),
    [
        (0, "203.0.113.9", ATTACKER),  # no trusted proxy: the header is the client's own text
        (1, "203.0.113.9", "203.0.113.9"),
        (1, "198.51.100.7, 203.0.113.9", "203.0.113.9"),  # the left entry was written by the client
        (2, "198.51.100.7, 203.0.113.9, 10.9.9.9", "203.0.113.9"),
        (2, "203.0.113.9", ATTACKER),  # fewer hops than proxies: not from the proxies
        (1, "not-an-address", None),
        (1, "2001:db8:1:2:3:4:5:6", "2001:db8:1:2::"),  # IPv6 counted by /64
    ],
)
def test_client_address_trusts_only_the_configured_proxies(settings, count, forwarded, expected):
    """Given TRUSTED_PROXY_COUNT and an X-Forwarded-For header, when the client address is taken, then it is
    REMOTE_ADDR unless proxies are trusted, and then the entry the outermost trusted proxy wrote."""
    settings.TRUSTED_PROXY_COUNT = count
    request = RequestFactory().post("/login/", REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=forwarded)
    assert auth.client_address(request) == expected


@pytest.mark.django_db
def test_a_spoofed_forwarded_header_does_not_give_fresh_attempts(demo_password):
    """Given the default (no trusted proxy), when an attacker at 10.0.0.1 sends a new X-Forwarded-For with each
    wrong password, then the 5th is still locked: the header is not the client's address."""
    statuses = []
    for n in range(6):
        client = Client(REMOTE_ADDR=ATTACKER, HTTP_X_FORWARDED_FOR=f"198.51.100.{n}")
        statuses.append(client.post("/login/", {"username": "office_pn", "password": WRONG}).status_code)
    assert statuses == [200] * 4 + [LOCKED] * 2


@pytest.mark.django_db
def test_api_tokens_are_not_subject_to_the_lockout(client_for):
    """Given a token of office_pn and office_pn locked from 127.0.0.1 (the test client's address), when the API
    is called with the token from there, then it answers 200."""
    client = client_for("office_pn")
    key = client.post("/api/v1/me/tokens", {"name": "ci"}, content_type="application/json").json()["key"]
    _fail("office_pn", "127.0.0.1", 5)
    api = Client(REMOTE_ADDR="127.0.0.1")
    assert api.get("/api/v1/me", headers={"Authorization": f"Bearer {key}"}).status_code == 200


class CountingPasswordHasher(MD5PasswordHasher):
    """The tests' hasher (tests/conftest.py), counting how many times a password was checked against a
    stored hash."""

    checks = 0
    _lock = threading.Lock()

    def verify(self, password, encoded):
        with self._lock:
            type(self).checks += 1
        return super().verify(password, encoded)


def _in_threads(calls: list) -> list:
    """Run each call on its own thread and connection, all released at the same moment."""
    start = threading.Barrier(len(calls))

    def run(call):
        try:
            start.wait()
            return call()
        finally:
            connections.close_all()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _forget_sign_ins() -> None:
    from django.contrib.sessions.models import Session

    for model in (AccessAttempt, AccessFailureLog, AccessLog, Session):
        model.objects.all().delete()


@pytest.fixture(scope="module")
def sqlite_file_copy(django_db_setup, django_db_blocker, tmp_path_factory):
    """SQLite's in-memory test database cannot take writers on several connections: its shared cache answers
    "table is locked" at once instead of waiting. So for threads it is copied to a file, which they open as
    production opens its database: WAL, busy timeout, IMMEDIATE transactions. Taken before any test
    transaction is open (SQLite's backup cannot read past one). None on other databases."""
    with django_db_blocker.unblock():
        connection = connections["default"]
        if connection.vendor != "sqlite" or not connection.is_in_memory_db():
            yield None
            return
        connection.ensure_connection()
        path = tmp_path_factory.mktemp("lockout") / "race.sqlite3"
        copy = sqlite3.connect(path)
        connection.connection.backup(copy)
        copy.close()
    yield path


@pytest.fixture
def concurrent_db(sqlite_file_copy, db):
    """The test database with the demo, written with real commits by threads that each open their own
    connection, as gunicorn workers do. On PostgreSQL that is the test database itself: the threads' commits
    are outside this test's transaction, so a thread removes them afterwards. On SQLite, a file copy."""
    if sqlite_file_copy is None:
        try:
            yield
        finally:
            _in_threads([_forget_sign_ins])
        return
    original = connections.settings["default"]
    # A new dict for the threads' connections; this thread's keeps the in-memory one.
    connections.settings["default"] = {**original, "NAME": str(sqlite_file_copy)}
    try:
        yield
    finally:
        connections.settings["default"] = original


def test_parallel_wrong_passwords_get_no_more_checks_than_the_limit(concurrent_db, settings, demo_password):
    """Given LOGIN_FAILURE_LIMIT=5, when 20 wrong passwords for office_pn arrive at once from 10.0.0.1, each on its
    own thread and database connection, then every answer is 200 or 429 (none fails), the password was checked
    at most 5 times (each attempt takes its place in the count before its password is checked, so the ones
    still checking already count; the last answers are mostly 429), and afterwards the right password from 10.0.0.1 is refused while 10.0.0.2 signs in."""
    settings.PASSWORD_HASHERS = [f"{__name__}.CountingPasswordHasher"]
    CountingPasswordHasher.checks = 0

    def guess():
        return _login("office_pn", WRONG, ATTACKER)[1].status_code

    statuses = _in_threads([guess] * 20)
    print(f"statuses {sorted(statuses)}; password checks {CountingPasswordHasher.checks}")
    assert set(statuses) <= {200, LOCKED}, statuses
    assert 0 < CountingPasswordHasher.checks <= settings.LOGIN_FAILURE_LIMIT

    after = _in_threads(
        [
            lambda: _login("office_pn", demo_password, ATTACKER)[1].status_code,
            lambda: _login("office_pn", demo_password, REAL_USER)[1].status_code,
        ]
    )
    assert after == [LOCKED, 302]
