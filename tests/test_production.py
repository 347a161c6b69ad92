"""Production serving: the README's steps give a working site, and its error pages are ours.

Given the production settings (tongcheng.settings.production) and the vendored static files, when
`manage.py collectstatic --noinput` runs as the README says, then it succeeds, and pages rendered with the
manifest storage (DEBUG off, no static finders: whitenoise serves only what collectstatic wrote) answer 200
and every static file they name, and every file those name in turn (source maps), is served under its
hashed name with a far-future cache lifetime.

collectstatic runs once per test session and worker (a few seconds) into a temporary STATIC_ROOT.

Error pages (DEBUG off): a 403, a 404 and a 500 are our pages, in Chinese or English as the browser or the
language cookie asks, with a link home; the 500 names the request id and shows no exception text, and it
still renders when the static manifest is missing. Under /api/ a 500 is the API's JSON error shape.
"""

from __future__ import annotations

import importlib
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest
from django.core.exceptions import PermissionDenied
from django.test import Client, override_settings
from django.urls import path as url_path

from tongcheng import urls as tongcheng_urls

ROOT = Path(__file__).resolve().parent.parent
VENDOR = ROOT / "static" / "vendor"
PRODUCTION = "tongcheng.settings.production"
# Production settings refuse to load without a real-looking key; any 50+ characters will do for a build step.
BUILD_SECRET_KEY = "collectstatic-in-tests-" + "k" * 50

# The same group keeps the module on one xdist worker, so collectstatic runs once.
pytestmark = pytest.mark.xdist_group("production_static")

STATIC_REF = re.compile(r"""(?:src|href)="(/static/[^"]+)\"""")
SOURCE_MAP_JS = re.compile(r"(?m)^//# sourceMappingURL=(\S+)\s*$")
SOURCE_MAP_CSS = re.compile(r"(?m)^/\*# sourceMappingURL=(\S+?)\s*\*/\s*$")
CSS_URL = re.compile(r"""url\(\s*['"]?(.*?)['"]?\s*\)""")


def production_environment(static_root: Path) -> dict[str, str]:
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE=PRODUCTION, SECRET_KEY=BUILD_SECRET_KEY, STATIC_ROOT=str(static_root))
    return env


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """collectstatic under the production settings, as the README runs it: (completed process, STATIC_ROOT)."""
    static_root = tmp_path_factory.mktemp("staticfiles")
    result = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=production_environment(static_root),
        capture_output=True,
        text=True,
        timeout=300,
    )
    return result, static_root


@pytest.fixture(scope="module")
def production_static_settings(collected):
    """The production settings that decide how static files are named and served, read from the production
    module itself (so a change there is what the tests see), with STATIC_ROOT the collected folder."""
    _, static_root = collected
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("SECRET_KEY", BUILD_SECRET_KEY)
        production = importlib.import_module(PRODUCTION)
    values = {name: getattr(production, name) for name in dir(production) if name.startswith("WHITENOISE_")}
    values.update(
        STORAGES=production.STORAGES,
        STATIC_URL=production.STATIC_URL,
        STATIC_ROOT=static_root,
        DEBUG=False,
    )
    assert values["WHITENOISE_USE_FINDERS"] is False, "production must serve collected files only"
    return values


@pytest.fixture
def production_static(production_static_settings):
    # A Client made inside this block loads its middleware (whitenoise scans STATIC_ROOT) with these settings.
    with override_settings(**production_static_settings):
        yield


def fetch(client: Client, url: str) -> tuple[int, bytes, str]:
    response = client.get(url)
    body = b"".join(response.streaming_content) if response.streaming else response.content
    response.close()
    return response.status_code, body, response.get("Cache-Control", "")


def assert_static_served(client: Client, page_html: str) -> list[str]:
    """Every /static/ URL of the page is a hashed name, served with a far-future lifetime; a source map a
    script or stylesheet names is served too. Returns the URLs checked."""
    urls = sorted(set(STATIC_REF.findall(page_html)))
    assert urls, "the page names no static file"
    checked = []
    for url in urls:
        assert re.search(r"\.[0-9a-f]{12}\.\w+$", url), f"{url} is not a hashed (manifest) name"
        status, body, cache = fetch(client, url)
        assert status == 200, f"{url} answered {status}"
        assert "immutable" in cache or "max-age=315360000" in cache, f"{url}: Cache-Control {cache!r}"
        checked.append(url)
        text = body.decode("utf-8", "replace")
        for ref in SOURCE_MAP_JS.findall(text) + SOURCE_MAP_CSS.findall(text):
            map_url = url.rsplit("/", 1)[0] + "/" + ref
            map_status, _, _ = fetch(client, map_url)
            assert map_status == 200, f"{url} names the source map {ref}, which answered {map_status}"
            checked.append(map_url)
    return checked


def test_collectstatic_succeeds_under_production_settings(collected):
    """Given the production settings, when collectstatic runs, then it exits 0 and writes the manifest."""
    result, static_root = collected
    assert result.returncode == 0, f"collectstatic failed:\n{result.stderr[-3000:]}"
    assert (static_root / "staticfiles.json").is_file()


@pytest.mark.django_db
def test_login_page_and_its_static_files_are_served(production_static):
    """Given the collected static files, when an anonymous visitor opens the sign-in page, then it answers 200
    and each script and stylesheet it names (hashed) and their source maps are served."""
    client = Client()
    response = client.get("/login/")
    assert response.status_code == 200
    checked = assert_static_served(client, response.content.decode())
    names = " ".join(checked)
    for vendored in ("bootstrap.min", "bootstrap.bundle.min", "htmx.min"):
        assert vendored in names, f"{vendored} not among {checked}"
    assert ".map" in names  # bootstrap's source maps are named and served


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/zones/", "/metro/"])
def test_signed_in_pages_and_their_static_files_are_served(production_static, client_for, path):
    """Given the collected static files and a signed-in office user, when they open a list and the map page,
    then each answers 200 and every static file it names (ECharts and our map script on the map) is served."""
    client = client_for("office_metro")
    response = client.get(path)
    assert response.status_code == 200
    checked = assert_static_served(client, response.content.decode())
    if path == "/metro/":
        assert any("echarts.min" in url for url in checked) and any("/js/map." in url for url in checked)


@pytest.mark.django_db
def test_unknown_static_file_is_our_404_page(production_static):
    """Given the manifest storage, when a static name that was never collected is asked for, then whitenoise
    does not serve it and the answer is our 404 page, itself styled through the manifest (no 500)."""
    client = Client()
    response = client.get("/static/vendor/bootstrap/no-such-file.js", headers={"Accept-Language": "en"})
    assert response.status_code == 404
    body = response.content.decode()
    assert "Page not found" in body
    assert_static_served(client, body)


def vendored_references() -> list[tuple[Path, str]]:
    """(file, kind, reference) for every reference collectstatic's post-processing follows in static/vendor:
    sourceMappingURL comments in scripts and stylesheets, url(...) in stylesheets."""
    found = []
    for path in sorted(VENDOR.rglob("*")):
        if path.suffix == ".js":
            found += [(path, "map", ref) for ref in SOURCE_MAP_JS.findall(path.read_text("utf-8"))]
        elif path.suffix == ".css":
            text = path.read_text("utf-8")
            found += [(path, "map", ref) for ref in SOURCE_MAP_CSS.findall(text)]
            found += [(path, "url", ref) for ref in CSS_URL.findall(text)]
    return found


def test_vendored_files_name_only_shipped_files():
    """Given static/vendor, then every file a vendored script or stylesheet refers to (source map, image,
    font) is shipped beside it, data: URIs apart, and each vendored package keeps its licence."""
    missing = []
    references = vendored_references()
    for path, _, ref in references:
        if ref.startswith(("data:", "#")) or "://" in ref:
            continue
        target = (path.parent / ref.split("?")[0].split("#")[0]).resolve()
        if not target.is_file():
            missing.append(f"{path.relative_to(ROOT)} -> {ref}")
    assert {kind for _, kind, _ in references} == {"map", "url"}  # the scan sees both kinds of reference
    assert not missing, f"vendored files name files that are not shipped: {missing}"
    for package in sorted(p for p in VENDOR.iterdir() if p.is_dir()):
        assert (package / "LICENSE").is_file(), f"{package.relative_to(ROOT)} has no LICENSE"


# --- error pages ----------------------------------------------------------------------------------------------
# This module is also the URL configuration of the error-page tests: the site's own routes, the site's
# handler500, and two routes that fail the way a bug or a refusal would.


def failing_view(request):
    raise RuntimeError("secret detail of the failure")


def refusing_view(request):
    raise PermissionDenied("secret reason")


urlpatterns = [
    url_path("test-only/fail/", failing_view),
    url_path("test-only/refuse/", refusing_view),
    url_path("api/v1/test-only/fail", failing_view),
    *tongcheng_urls.urlpatterns,
]
# The site's handler (Django's default when the site names none).
handler500 = getattr(tongcheng_urls, "handler500", "django.views.defaults.server_error")

DJANGO_DEFAULT_TEXTS = (
    "The requested resource was not found on this server",
    "<h1>Server Error (500)</h1>",
    "<h1>403 Forbidden</h1>",
)
SECRETS = ("secret detail", "secret reason", "Traceback", "RuntimeError")

ENGLISH = {"Accept-Language": "en"}
CHINESE = {"Accept-Language": "zh-CN,zh;q=0.9"}


def error_client(language_cookie: str | None = None) -> Client:
    client = Client(raise_request_exception=False)
    if language_cookie:
        client.cookies["tongcheng_language"] = language_cookie
    return client


def assert_our_error_page(response, status: int, *texts: str) -> str:
    body = response.content.decode()
    assert response.status_code == status
    assert 'data-testid="error-page"' in body, body[:300]
    for text in texts:
        assert text in body, f"{text!r} not in the {status} page"
    for text in DJANGO_DEFAULT_TEXTS + SECRETS:
        assert text not in body, f"the {status} page shows {text!r}"
    return body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "cookie", "language", "texts"),
    [
        ({}, None, "zh-hans", ("页面不存在", "返回首页")),
        (ENGLISH, None, "en", ("Page not found", "Back to the home page")),
        (CHINESE, "en", "en", ("Page not found",)),  # the language switch's cookie beats the browser
    ],
    ids=["default-chinese", "english-browser", "english-cookie"],
)
@override_settings(DEBUG=False)
def test_404_page_is_ours(headers, cookie, language, texts):
    """Given DEBUG off, when a page that does not exist is asked, then the 404 is our page in the visitor's
    language, with a link home, not Django's default text."""
    response = error_client(cookie).get("/no-such-page/", headers=headers)
    body = assert_our_error_page(response, 404, *texts)
    assert f'<html lang="{language}">' in body
    assert 'href="/"' in body


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("headers", "cookie", "texts"),
    [
        (CHINESE, None, ("出错了", "系统内部出错，错误已记录。", "请凭以下编号报告")),
        (
            ENGLISH,
            None,
            ("Something went wrong", "The error has been logged.", "report it with this reference"),
        ),
        ({}, "en", ("Something went wrong",)),
    ],
    ids=["chinese-browser", "english-browser", "english-cookie"],
)
@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_500_page_is_ours_and_names_the_request_id(headers, cookie, texts):
    """Given DEBUG off, when a page fails with an unexpected error, then the 500 is our page in the visitor's
    language with the request id (as sent in X-Request-Id) to report and a link home; no exception text."""
    response = error_client(cookie).get("/test-only/fail/", headers=headers)
    body = assert_our_error_page(response, 500, *texts)
    assert f'<code data-testid="request-id">{response["X-Request-Id"]}</code>' in body
    assert 'href="/"' in body


@pytest.mark.django_db
@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_403_page_is_ours():
    """Given DEBUG off, when a view refuses an action, then the 403 is our page, without the reason's text."""
    response = error_client().get("/test-only/refuse/", headers=ENGLISH)
    assert_our_error_page(response, 403, "Not allowed", "Back to the home page")


@pytest.mark.django_db
@override_settings(DEBUG=False, ROOT_URLCONF=__name__)
def test_api_500_is_json_in_the_error_shape():
    """Given DEBUG off, when an API route fails unexpectedly, then the answer is the API's JSON error shape
    (code server_error), with the request id in X-Request-Id and no exception text."""
    response = error_client().get("/api/v1/test-only/fail", headers=ENGLISH)
    assert response.status_code == 500
    assert response.json() == {
        "code": "server_error",
        "message": "Something went wrong on our side. The error has been logged.",
        "errors": [],
    }
    assert response["X-Request-Id"]


@pytest.mark.django_db
def test_500_page_renders_without_a_static_manifest(production_static_settings, tmp_path):
    """Given the production static storage but no manifest (collectstatic not run, or failed), when a page
    is asked, then the visitor gets our 500 page with the request id (unstyled), not a crash of the
    error handling itself."""
    with override_settings(**{**production_static_settings, "STATIC_ROOT": tmp_path}):
        response = error_client().get("/login/", headers=ENGLISH)
    body = assert_our_error_page(response, 500, "Something went wrong")
    assert response["X-Request-Id"] in body
    assert "<link" not in body
