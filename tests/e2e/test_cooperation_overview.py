"""Browser test (issue 10): the zone office creates a project through the form, picking nothing but typing
its amount as people write it, and sees it counted on the zone's cooperation overview, whose charts draw
(ECharts canvases, no script error) beside their tables.

Headless Chromium here has no CJK fonts: the test reads text, never pixels."""

from __future__ import annotations

import pytest
from django.utils import translation
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]


def _t(message: str) -> str:
    with translation.override("zh-hans"):
        return translation.gettext(message)


def test_the_zone_office_creates_a_project_and_sees_it_on_the_overview(login_as):
    from tongcheng.cooperation.models import Project

    page = login_as("office_pn")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto("/cooperation/zones/pukou-nanqiao/")
    expect(page.locator("[data-testid=card-projects]")).to_have_text("3")
    expect(page.locator("[data-testid=card-investment]")).to_have_text("32.00")

    page.goto("/cooperation/projects/new/")
    page.fill("#id_code", "pn-browser")
    page.fill("#id_name", "浏览器新建项目")
    page.select_option("#id_zone", label="浦口—南谯跨界一体化发展示范区")
    page.select_option("#id_mode", value="headquarters")
    page.fill("#id_investment", "3亿元")
    page.fill("#id_attracted_by", "320111;341103")
    with page.expect_navigation():
        page.locator("[data-testid=record-form]").get_by_role("button", name=_t("Save")).click()
    assert page.url.endswith("/cooperation/projects/pn-browser/")
    expect(page.locator("[data-testid=project-status]")).to_have_text(_t("Signed"))

    page.goto("/cooperation/zones/pukou-nanqiao/")
    expect(page.locator("[data-testid=card-projects]")).to_have_text("4")
    expect(page.locator("[data-testid=card-investment]")).to_have_text("35.00")
    for chart in ("chart-park", "chart-year", "chart-mode"):
        expect(page.locator(f"#{chart} canvas")).to_have_count(1)
    mode_table = page.locator("[data-testid=chart-mode-table]")
    expect(mode_table.locator("tr", has_text=_t("Headquarters economy"))).to_contain_text("18.00")
    assert errors == []
    assert Project.objects.get(code="pn-browser").investment_fen == 3 * 10**10
