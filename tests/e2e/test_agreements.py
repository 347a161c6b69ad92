"""Browser test (Playwright in Chromium) of an agreement: its ratio chart drawn under the strict CSP with its
table beside it, a version drafted through the form, and the what-if preview of that draft."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

AGREEMENT = "pn-park-district-share"


def test_the_office_sees_the_schedule_drafts_a_version_and_previews_it(login_as):
    """Given office_pn, when it opens 浦口—南谯's agreement, then the ratio chart is drawn (a canvas, no console
    error or CSP violation) above its table; when it drafts a version 65:35 from 2026-01 through the form
    and opens its preview, then the page shows each party's difference over the last 12 months."""
    page = login_as("office_pn")
    problems: list[str] = []
    page.on("console", lambda m: problems.append(m.text) if m.type == "error" else None)
    page.goto(f"/cooperation/agreements/{AGREEMENT}/")
    chart = page.locator("[data-testid=ratio-chart]")
    expect(chart).to_have_attribute("data-rendered", "true")
    expect(chart.locator("canvas").first).to_be_attached()
    expect(page.locator("[data-testid=ratio-table] tbody tr")).to_have_count(2)
    assert "70%" in page.locator("[data-testid=ratio-table]").inner_text()

    page.locator("[data-testid=version-new]").click()
    page.fill("#id_effective_from", "2026-01")
    page.fill("#id_ratio_bp", "6500, 3500")
    with page.expect_navigation():
        page.locator("form[data-testid=record-form] button[type=submit]").click()
    expect(page.locator("[data-testid=version-status]")).to_be_visible()
    assert "/versions/3/" in page.url

    page.locator("[data-testid=version-preview]").click()
    differences = page.locator("[data-testid=preview-difference]")
    expect(differences).to_have_count(2)
    texts = differences.all_inner_texts()
    assert texts[0].startswith("-") and texts[1].startswith("+"), texts  # 南谯 7 → 6.5, 浦口 3 → 3.5
    assert not problems, problems
