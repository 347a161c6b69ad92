"""Content-Security-Policy and Permissions-Policy on every HTML page (issue 6, point 2).

Given the demo, when any page of the site is opened (signed out, as an office user, as the administrator
in the Django admin, the API docs, a not-found page), under the development settings and under the
production settings, then
- the response carries a Content-Security-Policy whose script-src allows our origin only: no
  'unsafe-inline', no 'unsafe-eval', no wildcard or scheme source; objects, framing, <base> and form
  targets are locked down too;
- every inline <script> of the HTML is a data block (json_script) or carries the request's nonce, no
  element has an inline event handler or a javascript: URL, and every style attribute is allowed by a
  hash of the policy (so the browser would refuse nothing the page needs);
- the response carries a Permissions-Policy denying camera, microphone, geolocation, payment and USB."""

from __future__ import annotations

import base64
import hashlib
import importlib
import sys
from html.parser import HTMLParser

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, get_resolver

# Needs nothing beyond one zone and its roles: the small demo is enough (tests/conftest.py).
pytestmark = [pytest.mark.django_db, pytest.mark.small_demo]


@pytest.fixture(autouse=True)
def cooperation_samples(db):
    """The 浦口—南谯 cooperation records the pages below name (the small demo has none)."""
    from tongcheng.cooperation.testing import make_pn_samples

    make_pn_samples()


ZONE = "pukou-nanqiao"
ORGANISATION = "pukou-nanqiao-office"
DENIED_FEATURES = ("camera", "microphone", "geolocation", "payment", "usb")

# (user or None, path, expected status). Every page of tongcheng.core.urls that answers HTML is here
# (test_every_page_is_checked keeps the list complete).
PAGES: list[tuple[str | None, str, int]] = [
    (None, "/login/", 200),
    (None, "/admin/login/", 200),
    ("office_pn", "/", 200),
    ("office_pn", "/metro/", 200),
    ("office_pn", "/zones/", 200),
    ("office_pn", f"/zones/{ZONE}/", 200),
    ("office_pn", "/zones/no-such-zone/", 404),
    ("office_metro", "/zones/new/", 200),
    ("office_pn", f"/zones/{ZONE}/edit/", 200),
    ("office_pn", "/organisations/new/", 200),
    ("office_pn", f"/organisations/{ORGANISATION}/edit/", 200),
    ("office_pn", f"/organisations/{ORGANISATION}/people/new/", 200),
    ("office_pn", "/people/{person_pk}/edit/", 200),
    ("office_pn", "/jurisdictions/", 200),
    ("office_pn", "/jurisdictions/320111/", 200),
    ("office_pn", "/organisations/", 200),
    ("office_pn", "/organisations/import/", 200),
    ("office_pn", f"/organisations/{ORGANISATION}/", 200),
    ("office_pn", f"/organisations/{ORGANISATION}/documents/", 200),
    ("office_pn", "/people/", 200),
    ("office_pn", "/audit/", 200),
    ("office_pn", "/audit/?date_from=2020-01-01&date_to=2030-12-31", 200),
    ("office_pn", "/grants/", 200),
    ("office_pn", "/grants/new/?find=office_pn", 200),
    ("office_pn", "/grants/{grant_pk}/", 200),
    ("officer_pukou", "/grants/", 403),
    ("office_pn", "/me/tokens/", 200),
    ("office_pn", "/api/v1/docs", 200),
    # Cooperation: agreements (with the ratio chart), versions, the what-if preview, receipts, imports.
    ("office_pn", "/cooperation/agreements/", 200),
    ("office_pn", "/cooperation/agreements/new/", 200),
    ("office_pn", "/cooperation/agreements/pn-park-district-share/", 200),
    ("office_pn", "/cooperation/agreements/pn-park-district-share/edit/", 200),
    ("office_pn", "/cooperation/agreements/pn-park-district-share/versions/new/", 200),
    ("office_pn", "/cooperation/agreements/pn-park-district-share/versions/1/", 200),
    ("office_pn", "/cooperation/agreements/pn-park-district-share/versions/2/", 200),
    ("office_pn", "/cooperation/agreements/pn-park-district-share/versions/2/edit/", 200),
    ("office_pn", "/cooperation/agreements/pn-park-district-share/versions/2/preview/", 200),
    ("office_pn", "/cooperation/receipts/", 200),
    ("office_pn", "/cooperation/receipts/?zone=pukou-nanqiao&period_from=2025-01&tax_type=VAT", 200),
    ("office_pn", "/cooperation/imports/", 200),
    ("admin", "/admin/", 200),
    ("admin", "/admin/core/adjacentzone/", 200),
    # The admin shows audited records read-only (their writes go through services): no add form.
    ("admin", "/admin/core/adjacentzone/add/", 403),
    ("admin", "/admin/core/workdayoverride/add/", 200),
    ("admin", "/admin/core/adjacentzone/{zone_pk}/change/", 200),
    ("admin", "/admin/core/adjacentzone/{zone_pk}/history/", 200),
    ("admin", "/admin/core/organisation/?q=pukou", 200),
    ("admin", "/admin/core/user/{admin_pk}/password/", 200),
    ("admin", "/admin/core/jurisdiction/?_popup=1&_to_field=id", 200),
    # The cooperation records, the overview with its charts, the fund (tongcheng/cooperation/urls.py).
    ("office_pn", "/cooperation/", 200),
    ("office_pn", "/cooperation/parks/", 200),
    ("office_pn", "/cooperation/parks/new/", 200),
    ("office_pn", "/cooperation/parks/import/", 200),
    ("office_pn", "/cooperation/parks/pn-cobuilt-park/", 200),
    ("office_pn", "/cooperation/parks/pn-cobuilt-park/edit/", 200),
    ("office_pn", "/cooperation/enterprises/", 200),
    ("office_pn", "/cooperation/enterprises/new/", 200),
    ("office_pn", "/cooperation/enterprises/import/", 200),
    ("office_pn", "/cooperation/enterprises/{enterprise_code}/", 200),
    ("office_pn", "/cooperation/enterprises/{enterprise_code}/edit/", 200),
    ("office_pn", "/cooperation/projects/", 200),
    ("office_pn", "/cooperation/projects/new/", 200),
    ("office_pn", "/cooperation/projects/import/", 200),
    ("office_pn", "/cooperation/projects/pn-huanuo/", 200),
    ("office_pn", "/cooperation/projects/pn-huanuo/edit/", 200),
    ("office_pn", "/cooperation/zones/pukou-nanqiao/", 200),
    ("office_pn", "/cooperation/zones/pukou-nanqiao/fund/", 200),
    ("office_pn", "/cooperation/zones/pukou-nanqiao/fund/commitments/new/", 200),
    ("office_pn", "/cooperation/zones/pukou-nanqiao/fund/contributions/new/", 200),
    ("office_pn", "/cooperation/zones/pukou-nanqiao/fund/disbursements/new/", 200),
    ("officer_pukou", "/cooperation/zones/pukou-nanqiao/fund/", 404),
    # The statistical split (S-B3), read like the fund (tongcheng/cooperation/sharing/statistics.py).
    ("office_pn", "/cooperation/zones/pukou-nanqiao/statistics/", 200),
    ("office_pn", "/cooperation/zones/pukou-nanqiao/statistics/?from=2025-13&to=2025-12", 422),
    ("officer_pukou", "/cooperation/zones/pukou-nanqiao/statistics/", 404),
    # Settlements (tongcheng/cooperation/settlements/urls.py): the demo's final 2025 of 浦口—南谯.
    ("office_pn", "/cooperation/settlements/", 200),
    ("office_pn", "/cooperation/settlements/new/", 200),
    ("office_pn", "/cooperation/settlements/SJ-PUKOUNANQIAO-2025-000001/", 200),
    ("finance_pukou", "/cooperation/settlements/SJ-PUKOUNANQIAO-2026-000001/", 200),
]
# Pages reached by POST, and URLs that answer something other than a page.
POSTED_PAGES = {
    "person_unmask",
    "grant_withdraw",
    "coop_project_step",
    "settlement_compute",
    "settlement_submit",
    "settlement_confirm",
    "settlement_reject",
    "settlement_finalise",
}
# Endpoints that answer with data or a redirect, never an HTML page of their own.
NOT_PAGES = {
    "organisation_import_template",
    "coop_park_import_template",
    "coop_enterprise_import_template",
    "coop_project_import_template",
    "geojson",
    "healthz",
    "logout",
    "pick",
    "set_language",
    "zone_decide",
    "zone_sheet",
    "settlement_statement",
}


def _production_settings(monkeypatch) -> dict:
    """The production settings module's values where they differ from the base ones, except the static
    files storage: its manifest exists only after collectstatic, which the release step runs."""
    from tongcheng.settings import base

    monkeypatch.setenv("SECRET_KEY", "x" * 64)
    sys.modules.pop("tongcheng.settings.production", None)
    production = importlib.import_module("tongcheng.settings.production")
    names = [n for n in dir(production) if n.isupper()]
    differing = {n: getattr(production, n) for n in names if getattr(production, n) != getattr(base, n, None)}
    differing.pop("STORAGES", None)
    differing.pop("WHITENOISE_USE_FINDERS", None)
    # The policy itself is inherited: production changes none of it.
    for name in ("CONTENT_SECURITY_POLICY", "PERMISSIONS_POLICY", "MIDDLEWARE", "INSTALLED_APPS"):
        assert name not in differing, name
    return differing


@pytest.fixture(params=["development", "production"])
def settings_module(request, monkeypatch):
    """Run the test once under tongcheng.settings (as loaded) and once under the production values."""
    if request.param == "development":
        yield {"secure": False}
        return
    with override_settings(**_production_settings(monkeypatch)):
        yield {"secure": True}  # production redirects plain HTTP to HTTPS


def _client(username: str | None) -> Client:
    from tongcheng.core.models import User

    client = Client()
    if username:
        client.force_login(User.objects.get(username=username))
    return client


def _path(template: str) -> str:
    from tongcheng.core.models import AdjacentZone, Person, RoleGrant, User

    return template.format(
        person_pk=Person.objects.get(user__username="leader_pn").pk,
        zone_pk=AdjacentZone.objects.get(code=ZONE).pk,
        admin_pk=User.objects.get(username="admin").pk,
        grant_pk=RoleGrant.objects.get(user__username="officer_pukou").pk,
        enterprise_code=_enterprise_code() if "{enterprise_code}" in template else "",
    )


def _enterprise_code() -> str:
    from tongcheng.cooperation.models import Enterprise

    return Enterprise.objects.get(name="华诺半导体").credit_code


def parse_policy(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            assert words[0] not in directives, f"{words[0]} given twice"
            directives[words[0]] = words[1:]
    return directives


class _Markup(HTMLParser):
    """Collects the inline scripts, event-handler attributes, javascript: URLs and style attributes."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.inline_scripts: list[dict[str, str | None]] = []
        self.handlers: list[str] = []
        self.js_urls: list[str] = []
        self.style_attributes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = dict(attrs)
        if tag == "script" and not values.get("src"):
            self.inline_scripts.append(values)
        for name, value in attrs:
            if name.startswith("on"):
                self.handlers.append(f"<{tag} {name}>")
            if name in {"href", "src", "action", "formaction"} and (value or "").strip().lower().startswith(
                "javascript:"
            ):
                self.js_urls.append(f"<{tag} {name}={value}>")
            if name == "style":
                self.style_attributes.append(value or "")


def _sha256(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


def assert_strict_page(response, where: str) -> None:
    assert response["Content-Type"].startswith("text/html"), where
    header = response.get("Content-Security-Policy", "")
    assert header, f"{where}: no Content-Security-Policy"
    policy = parse_policy(header)
    script_src = policy.get("script-src", policy.get("default-src"))
    assert "'self'" in script_src, where
    for weak in ("'unsafe-inline'", "'unsafe-eval'", "'unsafe-hashes'", "*", "data:", "http:", "https:"):
        assert weak not in script_src, f"{where}: script-src has {weak}"
    assert "script-src-elem" not in policy and "script-src-attr" not in policy, where
    assert policy["default-src"] == ["'self'"], where
    assert policy["object-src"] == ["'none'"], where
    assert policy["base-uri"] == ["'self'"], where
    assert policy["frame-ancestors"] == ["'none'"], where
    assert policy["form-action"] == ["'self'"], where
    for directive in ("style-src", "style-src-attr", "style-src-elem"):
        assert "'unsafe-inline'" not in policy.get(directive, []), f"{where}: {directive}"

    markup = _Markup()
    markup.feed(response.content.decode())
    nonces = [s[len("'nonce-") : -1] for s in script_src if s.startswith("'nonce-")]
    for script in markup.inline_scripts:
        if script.get("type") == "application/json":
            continue  # a data block (json_script): never executed
        assert nonces and script.get("nonce") == nonces[0], f"{where}: inline script without the nonce"
    assert markup.handlers == [], f"{where}: inline event handlers {markup.handlers}"
    assert markup.js_urls == [], f"{where}: javascript: URLs {markup.js_urls}"
    allowed_styles = policy.get("style-src-attr", policy.get("style-src", []))
    for style in markup.style_attributes:
        assert "'unsafe-hashes'" in allowed_styles and _sha256(style) in allowed_styles, (
            f"{where}: style attribute {style!r} not allowed by the policy"
        )

    permissions = response.get("Permissions-Policy", "")
    for feature in DENIED_FEATURES:
        assert f"{feature}=()" in permissions.replace(" ", "").split(","), f"{where}: {feature} not denied"


@pytest.mark.parametrize(("username", "path", "status"), PAGES, ids=[f"{u}:{p}" for u, p, _ in PAGES])
def test_every_page_has_a_strict_policy(settings_module, username, path, status):
    response = _client(username).get(_path(path), secure=settings_module["secure"])
    assert response.status_code == status, path
    assert_strict_page(response, path)


def test_the_unmasked_id_page_has_a_strict_policy(settings_module):
    """The page shown after a POST (the full ID number) is a page too."""
    from tongcheng.core.models import Person

    person = Person.objects.filter(organisation__key=ORGANISATION).exclude(id_number="").first()
    response = _client("office_pn").post(
        f"/people/{person.pk}/unmask/", {"reason": "audit check"}, secure=settings_module["secure"]
    )
    assert response.status_code == 200
    assert_strict_page(response, "unmask")


def test_an_inline_script_is_allowed_only_with_the_requests_nonce(rf):
    """Given a template that needs an inline script, when it writes the request's nonce on it, then the
    header carries that nonce (and only then: the pages without inline script get no nonce at all)."""
    from csp.middleware import CSPMiddleware
    from django.http import HttpResponse
    from django.template import engines

    template = engines["django"].from_string('<script nonce="{{ request.csp_nonce }}">go()</script>')
    request = rf.get("/")

    def view(req):
        return HttpResponse(template.render({}, req))

    response = CSPMiddleware(view)(request)
    policy = parse_policy(response["Content-Security-Policy"])
    nonce = str(request.csp_nonce)
    assert f"'nonce-{nonce}'" in policy["script-src"]
    assert f'nonce="{nonce}"' in response.content.decode()
    plain = CSPMiddleware(lambda req: HttpResponse("<p>no script</p>"))(rf.get("/"))
    assert not any(
        s.startswith("'nonce-") for s in parse_policy(plain["Content-Security-Policy"])["script-src"]
    )


def test_every_page_is_checked():
    """Each named URL of the site's own pages is in PAGES (or is known not to be a page), so a new page
    cannot escape these checks."""
    from django.urls import resolve

    checked = {resolve(_path_only(p)).url_name for _, p, status in PAGES if status == 200}
    core = [
        p
        for urlconf in ("tongcheng.core.urls", "tongcheng.cooperation.urls")
        for p in get_resolver(urlconf).url_patterns
        if isinstance(p, URLPattern)
    ]
    missing = {p.name for p in core} - checked - POSTED_PAGES - NOT_PAGES
    assert missing == set()


def _path_only(path: str) -> str:
    return (
        path.split("?")[0]
        .replace("{zone_pk}", "1")
        .replace("{admin_pk}", "1")
        .replace("{grant_pk}", "1")
        .replace("{person_pk}", "1")
        .replace("{enterprise_code}", "913411038410580880")
    )
