"""Content in Chinese, names in English (issue 8 point 4): the English UI of the detail pages shows no
Chinese outside proper names that have no English form, and the Chinese UI shows the Chinese text."""

from __future__ import annotations

import html
import json
import re

import pytest
from django.conf import settings

from tongcheng.core.data import reader
from tongcheng.core.models import AdjacentZone, Jurisdiction, Organisation
from tongcheng.kit.testing import read_csv_export

CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
PAGES = ["/zones/pukou-nanqiao/", "/organisations/nanpu-co/", "/jurisdictions/320111/"]
# Allowed in the English UI: the language switch names each language in itself (settings.LANGUAGES), the
# product's name 同城 stands beside "Tongcheng" in the brand, and the signed-in user's own display name is a
# personal name, which has no English form.
VIEWER = "office_metro"
ALLOWED_RUNS = {"同城", "中文", *(run for _code, name in settings.LANGUAGES for run in CJK.findall(name))}


def _page_text(response) -> str:
    """What a reader meets: the HTML, plus the map's JSON payload decoded (json_script escapes it as \\uXXXX,
    and the map script shows its labels)."""
    text = html.unescape(response.content.decode())
    for payload in re.findall(r'<script id="[^"]+" type="application/json">(.*?)</script>', text, re.S):
        text += json.dumps(json.loads(payload), ensure_ascii=False)
    return text


def _english_client(client_for, demo_user):
    client = client_for(VIEWER)
    user = demo_user(VIEWER)
    user.language = "en"
    user.save(update_fields=["language"])
    return client, user


@pytest.mark.parametrize("url", PAGES)
def test_english_ui_shows_no_chinese_outside_names_without_english_form(client_for, demo_user, url):
    """Given an office reading in English, when it opens a zone, an organisation and a jurisdiction page,
    then every Chinese run on the page (map labels included) is the language switch or its own name."""
    client, user = _english_client(client_for, demo_user)
    response = client.get(url)
    assert response.status_code == 200
    text = _page_text(response)
    assert '<html lang="en">' in text
    allowed = {*ALLOWED_RUNS, *CJK.findall(user.display_name)}
    found = [run for run in CJK.findall(text) if run not in allowed]
    assert found == [], found


def test_english_ui_shows_the_english_texts_and_names(client_for, demo_user):
    client, _user = _english_client(client_for, demo_user)
    zone = AdjacentZone.objects.get(code="pukou-nanqiao")
    text = _page_text(client.get("/zones/pukou-nanqiao/"))
    assert zone.description_en[:60] in text and zone.established_basis_en[:40] in text
    assert "<title>" in text and zone.name_en in text
    assert "Nanjing" in text and "Pukou District" in text  # side (its party) and member by English name
    org = Organisation.objects.get(key="nanpu-co")
    assert org.description_en[:60] in _page_text(client.get("/organisations/nanpu-co/"))
    pukou = Jurisdiction.objects.current().get(code="320111")
    page = _page_text(client.get("/jurisdictions/320111/"))
    assert pukou.note_en[:60] in page and "start unknown" in page


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("/zones/pukou-nanqiao/", lambda: AdjacentZone.objects.get(code="pukou-nanqiao").description),
        ("/organisations/nanpu-co/", lambda: Organisation.objects.get(key="nanpu-co").description),
        ("/jurisdictions/320111/", lambda: Jurisdiction.objects.current().get(code="320111").note),
    ],
)
def test_chinese_ui_shows_the_chinese_text(client_for, url, expected):
    """Given an office reading in Chinese, then the same pages show the Chinese description or note and not
    the English one."""
    text = _page_text(client_for(VIEWER).get(url))
    chinese = expected()
    assert reader.has_cjk(chinese) and chinese[:40] in text


def test_chinese_ui_shows_start_unknown_in_chinese_not_1980(client_for):
    page = _page_text(client_for(VIEWER).get("/jurisdictions/320100/"))
    assert "起始日期不详" in page and "1980" not in page


def test_a_corrected_start_shows_to_its_precision(client_for):
    """六合区 began in April 2002 (no day in the sources): the page says 2002-04, not 2002-04-01."""
    page = _page_text(client_for(VIEWER).get("/jurisdictions/320116/"))
    validity = re.search(r'data-testid="validity">(.*?)</dd>', page, re.S).group(1)
    assert validity.startswith("2002-04 ") and "2002-04-01" not in validity


def test_demo_records_are_marked_in_the_list_and_export_real_ones_are_not(client_for):
    """Given synthetic finance bureaus and a real joint company, then the organisation export has a Demo data
    column filled for the synthetic ones only."""
    client = client_for(VIEWER)
    response = client.get("/organisations/", {"export": "csv"})
    rows = {row["key"]: row for row in read_csv_export(response)}
    assert rows["fin-pukou"]["synthetic"] == "演示数据"
    assert rows["nanpu-co"]["synthetic"] == ""
    page = client.get("/organisations/").content.decode()
    assert "演示数据" in page


def test_api_exposes_both_languages_and_an_unknown_start_as_null(client_for):
    client = client_for(VIEWER)
    zone = client.get("/api/v1/zones/pukou-nanqiao").json()
    assert reader.has_cjk(zone["description"]) and not reader.has_cjk(zone["description_en"])
    assert zone["established_basis_en"]
    org = client.get("/api/v1/organisations/nanpu-co").json()
    assert reader.has_cjk(org["description"]) and not reader.has_cjk(org["description_en"])
    nanjing = client.get("/api/v1/jurisdictions/320100").json()
    assert nanjing["valid_from"] is None and nanjing["valid_from_precision"] == "unknown"
    assert nanjing["note"] and nanjing["note_en"]
