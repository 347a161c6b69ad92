"""Shared fixtures: every test that uses the database starts from a demo registry, and users are the demo
accounts (see tongcheng/core/demo.py).

Which demo. By default the demo of the Nanjing metropolitan area (95 jurisdictions, 5 zones, 28
organisations, 21 accounts). A test marked ``small_demo`` gets the small demo instead
(tongcheng/core/testing.py: one border, one zone, the same names): such a test must need nothing the small
demo lacks. ``DemoDatabase`` below keeps track of which demo the test database holds and switches before a
test that needs the other one (outside the test's transaction): the first time by loading it, afterwards by
putting back a snapshot of the rows (tongcheng/kit/dbsnapshot.py, milliseconds). The small-demo tests run
first, so a run of them alone never loads the full demo, and a whole run switches once per worker.

Transactional tests (``transaction=True``, ``transactional_db``, the browser tests' ``live_server``) commit
for real. Django would flush the database after each, and the next one would load the demo again; here
the flush is skipped and the next test that uses the database gets its demo back from the snapshot.

Passwords are hashed with MD5 in tests: argon2 is slow by design (tens of milliseconds per hash), and the
suite hashes and checks passwords thousands of times. The production hashers stay in the list behind it,
so an argon2 hash still verifies; tests/core/test_accounts.py::test_production_hasher_is_argon2 is the
one test that checks production's argon2."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.test import Client, override_settings

from tongcheng.core.demo import DEMO_PASSWORD, DEMO_USERS

DEMO_USERNAMES = [u[0] for u in DEMO_USERS]
FAST_HASHER = "django.contrib.auth.hashers.MD5PasswordHasher"
FULL, SMALL = "full", "small"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "small_demo: the test runs on the small demo (tongcheng/core/testing.py), not the full one"
    )
    # pytest-xdist registers this mark; with ``-p no:xdist`` and --strict-markers it must still be known.
    config.addinivalue_line("markers", "xdist_group(name): run tests of one group on the same xdist worker")


def _uses_db(item: pytest.Item) -> bool:
    names = getattr(item, "fixturenames", ())
    return item.get_closest_marker("django_db") is not None or "django_db_setup" in names


def _transactional(item: pytest.Item) -> bool:
    marker = item.get_closest_marker("django_db")
    if marker is not None and (marker.kwargs.get("transaction") or marker.kwargs.get("reset_sequences")):
        return True
    names = getattr(item, "fixturenames", ())
    return any(n in names for n in ("transactional_db", "live_server", "django_db_reset_sequences"))


def _has_rows() -> bool:
    """Whether the database holds anything yet (a database kept by --reuse-db does)."""
    from tongcheng.core.models import Jurisdiction, User

    return User.objects.exists() or Jurisdiction.objects.exists()


def _wanted(item: pytest.Item) -> str:
    return SMALL if item.get_closest_marker("small_demo") else FULL


class DemoDatabase:
    """Which demo the test database of this process holds (``current``; None: unknown, e.g. after a
    transactional test), and a snapshot of each demo once it has been loaded."""

    def __init__(self) -> None:
        self.ready = False  # the test database exists (django_db_setup ran)
        self.current: str | None = None
        self.snapshots: dict = {}
        self.first: str = FULL  # what the test that creates the database needs

    def ensure(self, name: str) -> None:
        if self.current != name:
            self._put(name)

    def _put(self, name: str) -> None:
        from django.contrib.contenttypes.models import ContentType
        from django.core.cache import caches
        from django.core.management import call_command

        from tongcheng.kit.dbsnapshot import DatabaseSnapshot, snapshot_supported

        snapshot = self.snapshots.get(name)
        if snapshot is not None:
            snapshot.restore()
        else:
            if self.current is not None or self.snapshots or _has_rows():
                call_command("flush", interactive=False, verbosity=0)
            ContentType.objects.clear_cache()
            self._load(name)
            if snapshot_supported():
                self.snapshots[name] = DatabaseSnapshot.take()
        # Ids may differ between the demos (and a flush renumbers content types); scopes are cached per
        # version token, which the snapshot puts back.
        ContentType.objects.clear_cache()
        for cache in caches.all(initialized_only=True):
            cache.clear()
        self.current = name

    @staticmethod
    def _load(name: str) -> None:
        if name == SMALL:
            from tongcheng.core.testing import load_small_demo

            load_small_demo()
        else:
            from tongcheng.core.demo import load_demo

            load_demo()


DEMO = DemoDatabase()


@pytest.hookimpl(trylast=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """After pytest-django's order (database tests, transactional tests, the rest): the small-demo tests
    that are not transactional first, so that a run switches demos once."""
    items.sort(
        key=lambda item: 0 if item.get_closest_marker("small_demo") and not _transactional(item) else 1
    )


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    """Before the test's fixtures (so before its transaction): the demo it needs. The test that creates
    the database gets it from django_db_setup below."""
    if not _uses_db(item):
        return
    if not DEMO.ready:
        DEMO.first = _wanted(item)
        return
    from pytest_django.plugin import blocking_manager_key

    with item.config.stash[blocking_manager_key].unblock():
        DEMO.ensure(_wanted(item))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None):
    """A transactional test's flush is skipped (see the module's docstring): the database is left as the
    test committed it, and marked unknown."""
    if not (_uses_db(item) and _transactional(item)):
        return (yield)
    from django.test import TransactionTestCase

    def no_flush(self: TransactionTestCase) -> None:
        DEMO.current = None

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(TransactionTestCase, "_fixture_teardown", no_flush)
        try:
            return (yield)
        finally:
            DEMO.current = None


@pytest.fixture(scope="session", autouse=True)
def fast_password_hasher():
    """MD5 first for every test of the session (see the module's docstring); override_settings clears
    Django's cached hasher list, which a plain assignment would not."""
    hashers = [FAST_HASHER, *(h for h in settings.PASSWORD_HASHERS if h != FAST_HASHER)]
    with override_settings(PASSWORD_HASHERS=hashers):
        yield


@pytest.fixture(scope="session")
def django_db_setup(fast_password_hasher, django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        DEMO.ready = True
        DEMO.ensure(DEMO.first)
    yield
    for snapshot in DEMO.snapshots.values():
        snapshot.close()


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
