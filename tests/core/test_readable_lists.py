"""Lists people can read (issue 8 point 7): names in the reader's language instead of codes and slugs,
Chinese names in pinyin order on SQLite and PostgreSQL alike (a stored sort key, tongcheng.core.pinyin)."""

from __future__ import annotations

import html
import re

import pytest

from tongcheng.core.models import AdjacentZone, Organisation
from tongcheng.core.pinyin import initials, sort_key
from tongcheng.core.services import organisations

pytestmark = pytest.mark.django_db

VIEWER = "office_metro"
# The demo's zones by name in pinyin order: 顶山 (ding) < 江宁 (jiang) < 宁滁 (ning chu) < 宁淮合作 (ning huai he)
# < 宁淮特别 (ning huai te) < 浦口 (pu). In code-point order 宁 (U+5B81) would come first and 顶 last.
PINYIN_ORDER = [
    "dingshan-chahe",
    "jiangning-bowang",
    "ning-chu-nfz",
    "ninghuai-cooperation",
    "ninghuai",
    "pukou-nanqiao",
]


def rows(response) -> list[list[str]]:
    """The cells of the list table, row by row, as a reader sees them."""
    page = response.content.decode()
    body = page.split('data-testid="list-table"', 1)[1].split("<tbody>", 1)[1].split("</tbody>", 1)[0]
    return [
        [
            html.unescape(re.sub(r"<[^>]+>", "", cell)).strip()
            for cell in re.findall(r"<td>(.*?)</td>", row, re.S)
        ]
        for row in re.findall(r"<tr>(.*?)</tr>", body, re.S)
    ]


def speak(user, language: str) -> None:
    user.language = language
    user.save(update_fields=["language"])


def test_given_chinese_names_then_the_sort_key_is_their_pinyin_with_tones():
    assert sort_key("浦口区") == "pu3kou3qu1"
    assert sort_key("妈") < sort_key("马") < sort_key("买")  # ma1 < ma3 < mai3
    assert sort_key("六合区") == "lu4he2qu1"  # the district's own reading, not liù
    assert initials("浦口区") == "pkq"
    assert sort_key("S-Z3 合作区") == "sz3he2zuo4qu1"


def test_given_zones_when_listed_by_name_then_they_follow_pinyin_order(client_for):
    """Given the demo zones, when an office sorts the zone list by name, then 顶山… comes before 江宁… before
    宁滁… before 浦口… (pinyin), not in code-point order; descending reverses it. Runs on PostgreSQL too."""
    client = client_for(VIEWER)
    codes = [code for code in AdjacentZone.objects.values_list("code", flat=True)]
    by_name = [code for code in _zone_codes(client.get("/zones/", {"sort": "name"})) if code in PINYIN_ORDER]
    assert by_name == PINYIN_ORDER, by_name
    descending = [c for c in _zone_codes(client.get("/zones/", {"sort": "-name"})) if c in PINYIN_ORDER]
    assert descending == PINYIN_ORDER[::-1]
    assert set(PINYIN_ORDER) <= set(codes)


def _zone_codes(response) -> list[str]:
    assert response.status_code == 200
    return [cells[1] for cells in rows(response)]


def test_given_a_renamed_organisation_then_its_sort_key_follows_the_name(demo_user):
    """Given an organisation renamed through the service (an UPDATE that bypasses save()), then its sort
    key is the new name's, so the list puts it where a reader looks for it."""
    org = Organisation.objects.get(key="nanpu-co")
    organisations.update_organisation(
        actor=demo_user("office_pn"),
        organisation=org,
        changes={"name": "阿拉公司"},
        expected_version=org.version,
    )
    assert Organisation.objects.get(key="nanpu-co").name_sort == "a1la1gong1si1"


def test_given_a_batch_rename_then_the_sort_key_follows_the_name(demo_user):
    org = Organisation.objects.get(key="nanpu-co")
    result = organisations.update_organisations(
        actor=demo_user("office_pn"),
        updates=[organisations.OrganisationUpdate(org, {"name": "北京公司"}, org.version)],
        apply_valid=True,
    )
    assert result.written
    assert Organisation.objects.get(key="nanpu-co").name_sort == "bei3jing1gong1si1"


@pytest.mark.parametrize(
    ("language", "jurisdiction", "zone"),
    [("zh-hans", "南谯区", "浦口—南谯跨界一体化发展示范区"), ("en", "Nanqiao District", "Pukou–Nanqiao")],
)
def test_given_the_organisation_list_then_jurisdiction_and_zone_are_named_not_coded(
    client_for, demo_user, language, jurisdiction, zone
):
    """Given an office reading in Chinese or English, when it opens the organisation list, then the
    jurisdiction and zone columns name them in its language (the codes stay in the export)."""
    speak(demo_user(VIEWER), language)
    client = client_for(VIEWER)
    table = {cells[0]: cells for cells in rows(client.get("/organisations/"))}
    cells = table["nanpu-co"]
    assert jurisdiction in cells and any(cell.startswith(zone) for cell in cells), cells
    assert "341103" not in cells and "pukou-nanqiao" not in cells


def test_given_the_english_ui_then_the_zone_list_shows_english_names_and_members(client_for, demo_user):
    speak(demo_user(VIEWER), "en")
    table = {cells[1]: cells for cells in rows(client_for(VIEWER).get("/zones/"))}
    cells = table["pukou-nanqiao"]
    assert cells[0] == AdjacentZone.objects.get(code="pukou-nanqiao").name_en
    assert "Pukou District" in cells[4] and "浦口区" not in cells[4]
