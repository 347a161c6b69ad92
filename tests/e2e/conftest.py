"""Browser fixtures: Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

- ``browser``: one headless Chromium per session (``CHROMIUM``, default /usr/bin/chromium; Playwright's own
  downloaded browsers are not used).
- ``live_site``: the live server's URL with the demo of the Nanjing metropolitan area loaded. The live server
  needs ``transactional_db``: what a browser test writes is committed. tests/conftest.py skips Django's
  flush after it and, before the next test that uses the database, puts the demo back from a snapshot of
  its rows (SQLite's backup API; on PostgreSQL ``DELETE`` and ``COPY``): a few milliseconds instead of a
  flush and a load of the demo.
- ``page``: a fresh browser context (no cookies) whose browser asks for Chinese, like a typical user.
- ``login_as("office_pn")``: signs in through the real login form and returns the page.

Every test in this folder gets the ``e2e`` mark and the ``xdist_group("e2e")`` mark (one worker, one live
server) whether or not it says so itself."""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django would otherwise refuse ORM calls here.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
E2E_DIR = Path(__file__).resolve().parent
TIMEOUT_MS = 15_000


def pytest_configure(config: pytest.Config) -> None:
    # pytest-xdist registers this mark; with ``-p no:xdist`` and --strict-markers it must still be known.
    config.addinivalue_line("markers", "xdist_group(name): run tests of one group on the same xdist worker")


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if E2E_DIR in Path(str(item.fspath)).resolve().parents:
            if item.get_closest_marker("e2e") is None:
                item.add_marker(pytest.mark.e2e)
            if item.get_closest_marker("xdist_group") is None:
                item.add_marker(pytest.mark.xdist_group("e2e"))


@pytest.fixture(scope="session")
def chromium_path() -> str:
    path = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    if not os.path.exists(path):
        pytest.fail(
            f"The browser tests need Chromium at {path}: run 'make chromium' (or set CHROMIUM=/path)."
        )
    return path


@pytest.fixture(scope="session")
def playwright_instance():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance, chromium_path):
    browser = playwright_instance.chromium.launch(
        executable_path=chromium_path, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def live_site(live_server, transactional_db) -> str:
    """The live server's base URL. The demo is in the database (users, grants, zones, organisations): put
    back before the test by tests/conftest.py from its snapshot, whatever the test before committed."""
    return live_server.url


@pytest.fixture
def new_page(browser, live_site) -> Iterator[Callable[[], object]]:
    """new_page() -> a page in a fresh context (own cookies), for a second user or a clean sign-in."""
    contexts = []

    def make():
        context = browser.new_context(
            base_url=live_site, locale="zh-CN", accept_downloads=True, viewport={"width": 1280, "height": 900}
        )
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        return context.new_page()

    yield make
    for context in contexts:
        context.close()


@pytest.fixture
def page(new_page):
    return new_page()


def sign_in(page, username: str, password: str | None = None):
    """Sign in through the real form at /login/ and wait until the home page answers."""
    from tongcheng.core.demo import DEMO_PASSWORD

    page.goto("/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", password if password is not None else DEMO_PASSWORD)
    with page.expect_navigation():
        page.locator("main form button[type=submit]").click()
    if "/login/" in page.url:
        raise AssertionError(f"sign-in as {username} failed: still on {page.url}")
    return page


def sign_out(page):
    with page.expect_navigation():
        page.locator("header form[action$='/logout/'] button[type=submit]").click()
    return page


@pytest.fixture
def login_as(page):
    """login_as("office_pn") -> the page, signed in as that demo user through the login form.
    login_as("office_jb", other_page) signs in on another page (e.g. from ``new_page()``)."""

    def login(username: str, on_page=None):
        return sign_in(on_page or page, username)

    return login
