"""Browser test (issue 8, "Must show"): a zone office edits its zone's members by picking them by name with
pinyin initials, is refused a same-party pair and a duplicate zone with the messages beside the fields,
and sees the change in the zone's history in Chinese, then in English with English names.

Headless Chromium here has no CJK fonts: the test reads text, never pixels."""

from __future__ import annotations

import pytest
from django.utils import translation
from playwright.sync_api import expect

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

ZONE = "pukou-nanqiao"


def _t(message: str, language: str = "zh-hans") -> str:
    with translation.override(language):
        return translation.gettext(message)


def _pick(page, row: int, typed: str, name: str) -> None:
    """Type into a member row's name field as a user would (key by key), then click the suggestion."""
    field = page.locator(f"#id_members-{row}-member")
    field.click()
    field.press_sequentially(typed, delay=30)
    option = page.locator(f"#id_members-{row}-member-options [role=option]").filter(has_text=name).first
    expect(option).to_be_visible()
    option.click()
    expect(field).to_have_value(name)


def _save(page) -> None:
    with page.expect_navigation():
        page.locator("[data-testid=zone-edit-form]").get_by_role("button", name=_t("Save")).click()


def test_zone_office_edits_members_by_name_and_sees_the_change_in_both_languages(login_as):
    from tongcheng.core.models import AdjacentZone

    page = login_as("office_pn")
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(f"/zones/{ZONE}/")
    with page.expect_navigation():
        page.locator("[data-testid=zone-edit]").click()
    assert page.url.endswith(f"/zones/{ZONE}/edit/")

    # Remove 南谯区 and add 顶山街道 by its initials: two members of 南京市 are one side, refused.
    nanqiao = page.locator("[data-testid=member-row]").filter(has=page.locator("input[value='南谯区']"))
    nanqiao.locator("input[type=checkbox]").check()
    _pick(page, 2, "dsjd", "顶山街道")
    expect(page.locator("#id_members-2-code")).to_have_value("320111002")
    _save(page)
    assert page.url.endswith(f"/zones/{ZONE}/edit/")
    beside_members = page.locator("[data-testid=members-fieldset] [data-error-for=members]")
    expect(beside_members).to_contain_text(_t("A zone needs members on at least two sides."))
    expect(beside_members).to_contain_text("浦口区")
    expect(beside_members).to_contain_text("顶山街道")
    assert set(AdjacentZone.objects.get(code=ZONE).members.values_list("jurisdiction__code", flat=True)) == {
        "320111",
        "341103",
    }

    # Keep 南谯区 after all, picked again by its initials "nq" in the last empty row, and save.
    _pick(page, 3, "nq", "南谯区")
    _save(page)
    assert page.url.endswith(f"/zones/{ZONE}/"), page.url
    members = page.locator("[data-testid=zone-members] tbody")
    expect(members).to_contain_text("顶山街道")
    expect(members).to_contain_text("南谯区")

    # The change in the zone's history, in Chinese: what was added, by name.
    changes = page.locator("[data-testid=member-changes]")
    expect(changes).to_contain_text(_t("Members added"))
    expect(changes).to_contain_text("顶山街道")

    # The same zone defined twice: another zone's name is refused beside the name field.
    with page.expect_navigation():
        page.locator("[data-testid=zone-edit]").click()
    page.locator("#id_name").fill("顶山—汊河跨界一体化发展示范区")
    _save(page)
    beside_name = page.locator("[data-error-for=name]")
    expect(beside_name).to_contain_text(_t("This zone is already defined by another office."))
    assert AdjacentZone.objects.get(code=ZONE).name == "浦口—南谯跨界一体化发展示范区"

    # In English: the history names the members in English.
    page.goto(f"/zones/{ZONE}/")
    with page.expect_navigation():
        page.locator("[data-testid=switch-language-en]").click()
    changes = page.locator("[data-testid=member-changes]")
    expect(changes).to_contain_text("Members added")
    expect(changes).to_contain_text("Dingshan Subdistrict")
    expect(changes).not_to_contain_text("顶山街道")
    expect(page.get_by_role("heading", name="Changes of members")).to_be_visible()
    assert errors == [], errors
