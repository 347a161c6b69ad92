"""Browser tests (Playwright in Chromium) of the zone and metropolitan-area maps, the language switch
remembered per user, defining a zone, the generic list page with its CSV export, and keyboard access."""

from __future__ import annotations

import csv
import json

import pytest
from django.utils import translation
from playwright.sync_api import expect

from tongcheng.core.demo import DEMO_USERS

from .conftest import sign_in, sign_out

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ZONE = "pukou-nanqiao"
SCREENSHOT = "/tmp/zone.png"
HIGHLIGHT_RGB = (0x0B, 0x4F, 0x8A)  # first colour of the palette in static/js/map.js
BASE_RGB = (0xEE, 0xF2, 0xF6)  # areaColor of districts that are not members

# Colour statistics of the ECharts canvas inside a map box: distinct colours and pixels of given colours.
CANVAS_STATS = """([selector, colours]) => {
  const canvas = document.querySelector(selector + " canvas");
  if (!canvas || !canvas.width || !canvas.height) { return null; }
  const data = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  const seen = new Set();
  const counts = colours.map(() => 0);
  for (let i = 0; i < data.length; i += 4) {
    if (data[i + 3] === 0) { continue; }
    seen.add((data[i] << 16) | (data[i + 1] << 8) | data[i + 2]);
    colours.forEach((c, k) => {
      if (Math.abs(data[i] - c[0]) <= 2 && Math.abs(data[i + 1] - c[1]) <= 2 && Math.abs(data[i + 2] - c[2]) <= 2) {
        counts[k] += 1;
      }
    });
  }
  return {distinct: seen.size, counts: counts, width: canvas.width, height: canvas.height};
}"""


def _gettext(message: str, language: str) -> str:
    with translation.override(language):
        return translation.gettext(message)


def _wait_for_map(page, selector: str, min_highlighted: int) -> dict:
    """The map box says it rendered, highlights enough regions, and its canvas shows the member colour."""
    box = page.locator(selector)
    expect(box).to_have_attribute("data-rendered", "true")
    assert int(box.get_attribute("data-highlighted")) >= min_highlighted
    expect(box.locator("canvas").first).to_be_attached()
    # ECharts paints on the next animation frame(s): poll until the highlight colour covers a real area.
    handle = page.wait_for_function(
        f"(arg) => {{ const s = ({CANVAS_STATS})(arg); return s && s.distinct >= 5 && s.counts[0] > 500 && s; }}",
        arg=[selector, [list(HIGHLIGHT_RGB), list(BASE_RGB)]],
    )
    return handle.json_value()


def _html_lang(page) -> str:
    return page.locator("html").get_attribute("lang")


def test_zone_page_map_members_and_english_remembered_per_user(login_as, live_site):
    from tongcheng.core.models import User

    page = login_as("office_pn")
    page.goto(f"/zones/{ZONE}/")
    # Chinese by default (the browser asks for zh-CN): the interface text comes from the zh-hans catalogue.
    assert _html_lang(page) == "zh-hans"
    for message in ("Adjacent zones", "Members"):
        assert _gettext(message, "zh-hans") != message, f"{message!r} has no Chinese translation"
    nav = page.locator("header nav").first
    expect(nav).to_contain_text(_gettext("Adjacent zones", "zh-hans"))
    expect(nav).not_to_contain_text("Adjacent zones")
    expect(page.get_by_role("heading", name=_gettext("Members", "zh-hans"), exact=True)).to_be_visible()

    stats = _wait_for_map(page, "[data-testid=zone-map]", min_highlighted=2)
    assert stats["distinct"] >= 5, stats  # boundaries, base fill, highlighted members, anti-aliasing…
    assert stats["counts"][0] > 500 and stats["counts"][1] > 500, stats  # members and neighbours both drawn
    payload = json.loads(page.locator("#zone-map-data").text_content())
    assert {r["name"] for r in payload["regions"]} >= {"320111", "341103"}
    page.locator("[data-testid=zone-map]").screenshot(path=SCREENSHOT)

    members = page.locator("[data-testid=zone-members] tbody")
    expect(members).to_contain_text("浦口区")
    expect(members).to_contain_text("南谯区")
    expect(members.locator("tr")).to_have_count(2)

    # Switch to English: the same page comes back in English.
    with page.expect_navigation():
        page.locator("[data-testid=switch-language-en]").click()
    assert page.url.endswith(f"/zones/{ZONE}/")
    assert _html_lang(page) == "en"
    expect(page.locator("header nav").first).to_contain_text("Adjacent zones")
    expect(page.get_by_role("heading", name=_gettext("Members", "zh-hans"), exact=True)).to_have_count(0)
    expect(page.get_by_role("heading", name="Members", exact=True)).to_be_visible()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.locator("[data-testid=switch-language-zh-hans]")).to_be_visible()
    _wait_for_map(page, "[data-testid=zone-map]", min_highlighted=2)
    assert User.objects.get(username="office_pn").language == "en"

    # Remembered per user, not per browser: sign out, forget every cookie, sign in again.
    sign_out(page)
    page.context.clear_cookies()
    page.goto("/login/")
    assert _html_lang(page) == "zh-hans"
    sign_in(page, "office_pn")
    page.goto(f"/zones/{ZONE}/")
    assert _html_lang(page) == "en"
    expect(page.get_by_role("heading", name="Members", exact=True)).to_be_visible()


def test_login_fixture_signs_in_every_demo_role(new_page, login_as):
    """The login fixture works for each demo role (one account per role): each lands on the home page
    under its own name, with the navigation of its role."""
    from tongcheng.core.models import User

    first_of_role: dict[str, str] = {}
    for username, _display, role, _kind, _key in DEMO_USERS:
        first_of_role.setdefault(str(role), username)
    assert len(first_of_role) >= 7
    for username in first_of_role.values():
        page = login_as(username, new_page())
        assert page.url.endswith("/")
        expect(page.locator("main h1")).to_contain_text(str(User.objects.get(username=username)))
        expect(page.locator("header nav .nav-link").first).to_be_visible()
        page.context.close()


def _metro_payload(page) -> dict:
    return json.loads(page.locator("#metro-map-data").text_content())


def test_metro_page_renders_the_map_and_lists_every_zone(login_as):
    from tongcheng.core.models import AdjacentZone

    page = login_as("office_metro")
    page.goto("/metro/")
    zones = list(AdjacentZone.objects.values_list("name", flat=True))
    assert len(zones) >= 4
    payload = _metro_payload(page)
    _wait_for_map(page, "[data-testid=zone-map]", min_highlighted=len(payload["regions"]))
    assert int(page.locator("[data-testid=zone-map]").get_attribute("data-highlighted")) == len(
        payload["regions"]
    )
    assert len({r["zones"][0] for r in payload["regions"]}) >= 3  # several zones, several colours
    table = page.locator("[data-testid=metro-zones] tbody")
    expect(table.locator("tr")).to_have_count(len(zones))
    for name in zones:
        expect(table).to_contain_text(name)


def test_metro_map_shows_every_zone(login_as):
    from tongcheng.core.models import AdjacentZone

    page = login_as("office_metro")
    page.goto("/metro/")
    payload = _metro_payload(page)
    on_map = {z for r in payload["regions"] for z in r["zones"]}
    on_map |= {p["zone"] for p in payload["points"]}
    assert on_map == set(AdjacentZone.objects.values_list("name", flat=True))
    # The key under the map names every zone, and a zone whose members are whole cities (宁淮合作:
    # 南京市, 淮安市) is drawn over their districts, lighter where a narrower zone does not colour them.
    _wait_for_map(page, "[data-testid=zone-map]", min_highlighted=len(payload["regions"]))
    legend = page.locator("[data-testid=map-legend] li")
    expect(legend).to_have_count(len(payload["zones"]))
    assert sorted(legend.all_text_contents()) == sorted(payload["zones"])
    city_wide = [r for r in payload["regions"] if r["broad"]]
    assert {"宁淮合作"} == {z for r in city_wide for z in r["zones"]}
    assert {r["name"][:4] for r in city_wide} == {"3201", "3208"}


def test_a_zone_outside_the_users_scope_is_not_found(login_as):
    page = login_as("office_pn")
    response = page.goto("/zones/jiangning-bowang/")
    assert response.status == 404
    assert "江宁—博望" not in page.content()
    assert page.goto("/zones/no-such-zone/").status == 404
    assert page.goto(f"/zones/{ZONE}/").status == 200


def test_metro_office_defines_a_new_zone(login_as):
    page = login_as("office_metro")
    page.goto("/zones/")
    with page.expect_navigation():
        page.locator("main a[href$='/zones/new/']").click()
    form = page.locator("[data-testid=zone-form]")
    form.locator("#id_name").fill("溧水—博望")
    form.locator("#id_name_en").fill("Lishui-Bowang")
    form.locator("#id_code").fill("lishui-bowang")
    form.locator("#id_kind").select_option("cross_border_demo_zone")
    form.locator("#id_established").fill("2026-01-01")
    form.locator("#id_planning_area_km2").fill("30")
    # Members by name (typed whole here; the picker's suggestions are tried in test_zone_edit.py).
    form.locator("#id_members-0-member").fill("溧水区")
    form.locator("#id_members-1-member").fill("江宁区")  # also Nanjing: one side only

    with page.expect_navigation():
        form.get_by_role("button", name=_gettext("Create zone", "zh-hans")).click()
    assert page.url.endswith("/zones/new/")
    one_sided = _gettext("A zone needs members on at least two sides.", "zh-hans")
    expect(page.locator("[data-testid=zone-form] [data-error-for=members]")).to_contain_text(one_sided)
    # The form keeps what was typed.
    expect(page.locator("#id_name")).to_have_value("溧水—博望")
    expect(page.locator("#id_members-0-member")).to_have_value("溧水区")

    page.locator("#id_members-1-member").fill("博望区")  # Ma'anshan, Anhui
    with page.expect_navigation():
        page.locator("[data-testid=zone-form]").get_by_role(
            "button", name=_gettext("Create zone", "zh-hans")
        ).click()
    assert page.url.endswith("/zones/lishui-bowang/")
    expect(page.locator("[data-testid=zone-name]")).to_contain_text("溧水—博望")
    members = page.locator("[data-testid=zone-members] tbody")
    expect(members).to_contain_text("溧水区")
    expect(members).to_contain_text("博望区")
    _wait_for_map(page, "[data-testid=zone-map]", min_highlighted=2)


def test_validation_message_in_english(login_as):
    page = login_as("office_metro")
    page.goto("/zones/new/")
    with page.expect_navigation():
        page.locator("[data-testid=switch-language-en]").click()
    assert _html_lang(page) == "en"
    form = page.locator("[data-testid=zone-form]")
    form.locator("#id_name").fill("溧水—博望")
    form.locator("#id_kind").select_option("cross_border_demo_zone")
    form.locator("#id_established").fill("2026-01-01")
    form.locator("#id_members-0-member").fill("Lishui District")  # English names are names too
    form.locator("#id_members-1-member").fill("Jiangning District")
    with page.expect_navigation():
        form.get_by_role("button", name="Create zone").click()
    # In English, with the English names of the members and of the party they share, beside the members.
    expect(page.locator("[data-testid=zone-form] [data-error-for=members]")).to_have_text(
        "A zone needs members on at least two sides. "
        "Lishui District, Jiangning District all act for Nanjing, which makes one side."
    )


def _table_column(page, index: int) -> list[str]:
    return [
        t.strip()
        for t in page.locator(f"[data-testid=list-table] tbody tr td:nth-child({index})").all_inner_texts()
    ]


def _export_csv(page) -> list[dict[str, str]]:
    with page.expect_download() as info:
        page.locator("main a[href*='export=csv']").click()
    download = info.value
    assert download.suggested_filename == "organisations.csv"
    # The headers are the column labels in the page's language (Chinese here): keyed back by column name.
    from tongcheng.core.views.organisations import ORGANISATION_LIST

    with translation.override("zh-hans"):
        names = {str(c.label): c.name for c in ORGANISATION_LIST.columns}
    with open(download.path(), encoding="utf-8-sig", newline="") as handle:
        return [{names.get(k, k): v for k, v in row.items()} for row in csv.DictReader(handle)]


def test_organisation_list_search_filter_and_csv_export(login_as):
    from tongcheng.core.models import Organisation, User

    page = login_as("office_pn")
    page.goto("/organisations/")
    visible = set(
        Organisation.objects.visible_to(User.objects.get(username="office_pn")).values_list("key", flat=True)
    )
    assert visible and Organisation.objects.exclude(key__in=visible).exists()  # scoping hides something
    all_keys = _table_column(page, 1)
    assert set(all_keys) == visible
    assert {row["key"] for row in _export_csv(page)} == visible  # the export is scoped like the page

    # Search, then filter by kind: the table narrows, and the export holds exactly the rows shown.
    page.locator("#list-q").fill("窗口")
    with page.expect_navigation():
        page.locator("form[role=search] button[type=submit]").click()
    searched = _table_column(page, 1)
    assert searched and len(searched) < len(all_keys)
    assert all("窗口" in name for name in _table_column(page, 2))

    page.locator("#filter-zone").select_option(ZONE)
    with page.expect_navigation():
        page.locator("form[role=search] button[type=submit]").click()
    shown = _table_column(page, 1)
    assert shown and set(shown) <= set(searched)
    expect(page.locator("#list-q")).to_have_value("窗口")
    rows = _export_csv(page)
    assert [row["key"] for row in rows] == shown
    from tongcheng.core.models import AdjacentZone

    zone_name = AdjacentZone.objects.get(code=ZONE).name  # the export names the zone (and imports it so)
    assert all(row["zone"] == zone_name and "窗口" in row["name"] for row in rows)


def test_tab_from_the_top_focuses_the_skip_link(login_as):
    page = login_as("office_pn")
    page.goto("/zones/")
    page.keyboard.press("Tab")
    focused = page.evaluate(
        "() => ({cls: document.activeElement.className, href: document.activeElement.getAttribute('href')})"
    )
    assert "skip-link" in focused["cls"] and focused["href"] == "#main"
    expect(page.locator("a.skip-link")).to_be_visible()  # visible once focused
    page.keyboard.press("Enter")
    assert page.evaluate("() => document.activeElement.id") == "main"
