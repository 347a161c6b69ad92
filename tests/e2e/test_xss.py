"""Stored XSS (issue 6, point 2): record text that one office types is shown to every other user as text.

A zone, an organisation and a person are renamed to script-bearing text; every page that shows them (the
maps' tooltips and their aria description included) must show the characters literally, run none of it,
and report no Content-Security-Policy violation, console error about the policy, or page error."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ZONE = "pukou-nanqiao"
ORGANISATION = "pukou-nanqiao-office"
DISTRICT = "320111"  # 浦口区, a member of the zone: its tooltip lists the zone

# Each payload sets window.__xss if the browser ever treats it as markup.
IMG = '<img src=x onerror="window.__xss=1">'
SCRIPT = "<script>window.__xss=2</script>"
SVG = '"><svg onload=window.__xss=3>'
ZONE_NAME = "Z" + IMG + SCRIPT + SVG
ORGANISATION_NAME = "O" + SCRIPT + IMG + SVG
PERSON_NAME = "P" + SVG + "<b>"

# Recorded before any page script runs (Playwright's init scripts are not subject to the page's CSP).
WATCH_VIOLATIONS = """
window.__cspViolations = [];
document.addEventListener("securitypolicyviolation", (e) => {
  window.__cspViolations.push(e.violatedDirective + " " + e.blockedURI + " " + (e.sample || ""));
});
"""

# The ECharts tooltip of a map box: the child of the box that is not the canvas layer.
TOOLTIP = """(id) => {
  const box = document.getElementById(id);
  const tip = Array.from(box.children).find((d) => !d.querySelector("canvas"));
  return tip && tip.style.display !== "none" && tip.textContent ? tip : null;
}"""

# Move the mouse to the centre of a district (ECharts' own projection) so that its tooltip shows.
DISTRICT_PIXEL = """([id, name]) => {
  const chart = echarts.getInstanceByDom(document.getElementById(id));
  const region = chart.getModel().getComponent("geo", 0).coordinateSystem.getRegion(name);
  const [x, y] = chart.convertToPixel({geoIndex: 0}, region.getCenter());
  const rect = document.getElementById(id).getBoundingClientRect();
  return [rect.left + x, rect.top + y];
}"""

# A pixel inside a zone's marker on the metropolitan map (the second scatter series): a pin stands above
# its point, so a little above the point itself.
MARKER_PIXEL = """([id, name]) => {
  const chart = echarts.getInstanceByDom(document.getElementById(id));
  const point = chart.getOption().series[1].data.find((d) => d.name === name);
  const [x, y] = chart.convertToPixel({seriesIndex: 1}, point.value);
  const rect = document.getElementById(id).getBoundingClientRect();
  return [rect.left + x, rect.top + y - 6];
}"""


def _rename_records() -> dict[str, str]:
    """Given the demo, the zone's own office renames its zone and one of its organisations through the
    services (so history and the audit log carry the names), a person is renamed, her ID is unmasked (an
    audit entry naming her), and a token gets a script-bearing name too."""
    from tongcheng.core.models import AdjacentZone, Organisation, Person, User
    from tongcheng.core.services import accounts, organisations, zones

    actor = User.objects.get(username="office_pn")
    zone = AdjacentZone.objects.get(code=ZONE)
    zones.update_zone(actor=actor, zone=zone, changes={"name": ZONE_NAME}, expected_version=zone.version)
    org = Organisation.objects.get(key=ORGANISATION)
    organisations.update_organisation(
        actor=actor, organisation=org, changes={"name": ORGANISATION_NAME}, expected_version=org.version
    )
    person = Person.objects.filter(organisation=org).exclude(id_number="").order_by("pk").first()
    person.name = PERSON_NAME
    person.save(update_fields=["name"])
    organisations.unmask_id_number(actor=actor, person=person, reason="check " + SVG)
    accounts.create_api_token(actor=actor, name="T" + IMG)
    return {"zone": ZONE_NAME, "organisation": ORGANISATION_NAME, "person": PERSON_NAME}


class Watched:
    """A page with listeners for console messages and page errors; ``check`` asserts nothing ran."""

    def __init__(self, page):
        self.page = page
        self.console: list[str] = []
        self.errors: list[str] = []
        self.weak_policies: list[tuple[str, str]] = []
        page.context.add_init_script(WATCH_VIOLATIONS)
        page.on("console", lambda m: self.console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, path: str, *texts: str):
        self.console.clear()
        self.errors.clear()
        response = self.page.goto(path)
        assert response.status == 200, (path, response.status)
        # Checked at the end (``check_policies``), so that a missing policy does not hide whether the
        # escaping alone kept the script from running.
        policy = response.headers.get("content-security-policy", "")
        script_src = next((d for d in policy.split(";") if d.strip().startswith("script-src")), "")
        if not script_src or "'unsafe-inline'" in script_src:
            self.weak_policies.append((path, policy))
        self.page.wait_for_load_state("load")
        for text in texts:
            assert text in self.page.locator("body").text_content(), (path, text)
        self.check(path)
        return response

    def check_policies(self) -> None:
        assert self.weak_policies == [], "pages without a script-src free of 'unsafe-inline'"

    def check(self, where: str) -> None:
        page = self.page
        assert page.evaluate("typeof window.__xss") == "undefined", (where, page.evaluate("window.__xss"))
        injected = page.evaluate(
            """() => document.querySelectorAll('img[src="x"], svg[onload], [onerror], [onload]').length +
                     Array.from(document.scripts).filter((s) => s.textContent.includes("__xss")
                        && s.type !== "application/json").length"""
        )
        assert injected == 0, where
        assert page.evaluate("window.__cspViolations") == [], where
        csp_messages = [m for m in self.console if "Content Security Policy" in m or "Refused to" in m]
        assert csp_messages == [], (where, csp_messages)
        assert self.errors == [], (where, self.errors)


def _wait_for_map(watched: Watched, map_id: str) -> None:
    expect(watched.page.locator(f"#{map_id}")).to_have_attribute("data-rendered", "true")
    watched.page.wait_for_function(
        "(id) => !!echarts.getInstanceByDom(document.getElementById(id))", arg=map_id
    )


def _tooltip_text(watched: Watched, map_id: str, where: str) -> str:
    """The text of the map's tooltip once shown, after checking that nothing in it ran or was parsed."""
    handle = watched.page.wait_for_function(TOOLTIP, arg=map_id)
    watched.page.wait_for_timeout(300)  # time for an injected element's load/error handler to fire
    watched.check(where)
    tip = handle.as_element()
    assert tip.evaluate("(t) => t.querySelectorAll('img, script, svg, b').length") == 0, where
    return tip.text_content()


def _hover(watched: Watched, map_id: str, pixel_script: str, arg: list, expected: str, where: str) -> str:
    """Move the mouse onto a point of the map until its tooltip holds ``expected`` (the chart may still be
    animating its symbols in when first hovered); return the tooltip's text."""
    page = watched.page
    text = ""
    for _attempt in range(20):
        page.mouse.move(0, 0)
        x, y = page.evaluate(pixel_script, arg)
        page.mouse.move(x, y)
        text = _tooltip_text(watched, map_id, where)
        if expected in text:
            break
    return text


def _hover_district(watched: Watched, map_id: str, name: str, expected: str) -> None:
    """Hover the district; its tooltip names the zone literally."""
    where = f"{map_id}: tooltip of {name}"
    assert expected in _hover(watched, map_id, DISTRICT_PIXEL, [map_id, name], expected, where)


def _hover_zone_marker(watched: Watched, zone: str) -> None:
    """Hover the zone's marker on the metro map; its tooltip is the zone's name (once: the marker is the zone)."""
    where = "metro map: marker tooltip"
    assert _hover(watched, "metro-map", MARKER_PIXEL, ["metro-map", zone], zone, where) == zone


def _show_zone_marker_tip(watched: Watched, zone: str) -> None:
    """The same tooltip shown by ECharts' showTip action (as a script or ECharts itself would)."""
    watched.page.mouse.move(0, 0)
    watched.page.evaluate(
        """(name) => {
          const chart = echarts.getInstanceByDom(document.getElementById("metro-map"));
          chart.dispatchAction({type: "hideTip"});
          const index = chart.getOption().series[1].data.findIndex((d) => d.name === name);
          chart.dispatchAction({type: "showTip", seriesIndex: 1, dataIndex: index});
        }""",
        zone,
    )
    assert _tooltip_text(watched, "metro-map", "metro map: showTip") == zone


def test_script_bearing_names_are_shown_as_text_everywhere(live_site, login_as):
    """Given a zone, an organisation, a person (and a token) whose names carry <img onerror>, <script> and
    <svg onload>, when the zone's office opens every page showing them and hovers the maps, then each name
    is in the page as text, no script ran, and the CSP (strict for scripts) reported nothing."""
    names = _rename_records()
    watched = Watched(login_as("office_pn"))
    zone, org, person = names["zone"], names["organisation"], names["person"]

    watched.open("/", zone)  # the role list names the zone of the grant
    watched.open(f"/zones/?q={ZONE}", zone)
    watched.open(f"/organisations/?q={ORGANISATION}", org, zone)  # the zone filter lists zone names
    watched.open(f"/organisations/{ORGANISATION}/", org, person, zone)
    watched.open(f"/jurisdictions/{DISTRICT}/", zone)
    watched.open("/audit/", zone, org, person)
    watched.open("/me/tokens/", "T" + IMG)

    # The metropolitan map: the zone's marker (hovered, then by showTip), a member district, the aria text.
    watched.open("/metro/", zone)
    _wait_for_map(watched, "metro-map")
    _hover_zone_marker(watched, zone)
    _show_zone_marker_tip(watched, zone)
    _hover_district(watched, "metro-map", DISTRICT, zone)
    assert zone in watched.page.locator("#metro-map").get_attribute("aria-label")

    # The zone's own page and map.
    watched.open(f"/zones/{ZONE}/", zone, org)
    assert zone in watched.page.title()  # the <title> holds the name as text too
    _wait_for_map(watched, "zone-map")
    _hover_district(watched, "zone-map", DISTRICT, zone)

    # The API documentation (Swagger UI) works under the same policy.
    watched.open("/api/v1/docs")
    expect(watched.page.locator(".swagger-ui .opblock").first).to_be_visible()
    watched.check("API docs")
    watched.check_policies()


def test_another_office_sees_the_renamed_zone_as_text_on_the_metro_map(live_site, login_as):
    """Given office_pn renamed its zone, when the metropolitan-area office (another government's staff)
    opens the metro map and the zone's page and hovers the marker and the districts, then the name is
    text and nothing runs."""
    names = _rename_records()
    watched = Watched(login_as("office_metro"))
    watched.open("/metro/", names["zone"])
    _wait_for_map(watched, "metro-map")
    _hover_zone_marker(watched, names["zone"])
    _hover_district(watched, "metro-map", DISTRICT, names["zone"])
    watched.open(f"/zones/{ZONE}/", names["zone"])
    _wait_for_map(watched, "zone-map")
    _hover_district(watched, "zone-map", DISTRICT, names["zone"])
    watched.check_policies()


SIGNED_IN_PAGES = [
    "/",
    "/metro/",
    "/zones/",
    "/zones/new/",
    f"/zones/{ZONE}/",
    "/jurisdictions/",
    "/jurisdictions/320111/",
    "/organisations/",
    "/organisations/import/",
    f"/organisations/{ORGANISATION}/",
    "/audit/",
    "/me/tokens/",
    "/api/v1/docs",
]
ADMIN_PAGES = [
    "/admin/",
    "/admin/core/adjacentzone/",
    "/admin/core/adjacentzone/{zone_pk}/change/",
    "/admin/core/adjacentzone/{zone_pk}/history/",
    "/admin/core/user/{admin_pk}/change/",
    "/admin/core/jurisdiction/?_popup=1&_to_field=id",
    "/admin/core/workdayoverride/add/",
]


def test_every_page_runs_under_the_policy(live_site, new_page):
    """Given the CSP, when the sign-in pages, every page of an office user, the API docs and the admin
    (its date picker opened) run in the browser, then nothing is refused and no page error occurs."""
    from tongcheng.core.models import AdjacentZone, User

    from .conftest import sign_in

    anonymous = Watched(new_page())
    anonymous.open("/login/")
    anonymous.open("/admin/login/")

    office = Watched(new_page())
    sign_in(office.page, "office_metro")
    for path in SIGNED_IN_PAGES:
        office.open(path)
        maps = office.page.locator("[data-map-payload]")
        if maps.count():
            expect(maps.first).to_have_attribute("data-rendered", "true")
            office.check(path)

    # htmx took its configuration from base.html: no inline <style>, no eval, no scripts from swapped HTML.
    office.open("/")
    config = office.page.evaluate(
        "() => [htmx.config.includeIndicatorStyles, htmx.config.allowEval, htmx.config.allowScriptTags]"
    )
    assert config == [False, False, False]
    assert office.page.locator("head style").count() == 0

    admin = Watched(new_page())
    sign_in(admin.page, "admin")
    pks = {
        "zone_pk": AdjacentZone.objects.get(code=ZONE).pk,
        "admin_pk": User.objects.get(username="admin").pk,
    }
    for path in ADMIN_PAGES:
        admin.open(path.format(**pks))
    admin.page.locator(".datetimeshortcuts a").last.click()  # the calendar of the date field
    expect(admin.page.locator(".calendarbox").first).to_be_visible()
    admin.check("admin date picker")
    for watched in (anonymous, office, admin):
        watched.check_policies()
