"""Readable history and audit (issue 8 point 6): the history panel speaks the reader's language (the event,
field labels, choice labels, linked records by name, never one the reader may not see); the header's
language switch names the other language in itself; one date format per language on lists, detail pages,
histories and the audit log; our catalogues never override Django's own words (the admin keeps "修改")."""

from __future__ import annotations

import html
import re
from pathlib import Path

import django
import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.utils import timezone, translation

from tongcheng.core.models import AdjacentZone, AuditEntry, Organisation, User
from tongcheng.core.services import zones

pytestmark = pytest.mark.django_db

ZONE = "pukou-nanqiao"
OFFICE = "office_pn"


def speak(username: str, language: str) -> None:
    User.objects.filter(username=username).update(language=language)


def history_text(response) -> str:
    page = response.content.decode()
    body = page.split('data-testid="history"', 1)[1].split("</table>", 1)[0]
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body)))


@pytest.fixture
def zone_edit(demo_user):
    """office_pn changes its zone's description and kind through the service."""
    zone = AdjacentZone.objects.get(code=ZONE)
    return zones.update_zone(
        actor=demo_user(OFFICE),
        zone=zone,
        changes={"description": "新的描述", "kind": "cooperation_park"},
        expected_version=zone.version,
    )


def test_given_a_zone_edit_when_read_in_chinese_then_the_history_speaks_chinese(client_for, zone_edit):
    """Given office_pn's edit, when it opens the zone in Chinese, then the history says 创建 for the creation
    (not 创建时间), 修改 for the edit, 描述 for the description and the kind by its label — no field names
    or codes."""
    speak(OFFICE, "zh-hans")
    text = history_text(client_for(OFFICE).get(f"/zones/{ZONE}/"))
    assert " 创建 " in text and "创建时间" not in text
    assert " 修改 " in text
    assert "描述：" in text or "描述:" in text
    assert "类型: 跨界一体化发展示范区 → 合作共建园区" in text
    for raw in ("description", "cooperation_park", "version", "updated_at", "name_sort", "<code>"):
        assert raw not in text, raw


def test_given_a_zone_edit_when_read_in_english_then_the_history_speaks_english(client_for, zone_edit):
    speak(OFFICE, "en")
    text = history_text(client_for(OFFICE).get(f"/zones/{ZONE}/"))
    assert " Created " in text and " Changed " in text
    assert "Description: " in text
    assert "Kind: Cross-border integration demonstration zone → Co-built cooperation park" in text
    assert "类型" not in text and "创建" not in text


def test_given_a_link_to_a_record_the_reader_may_not_see_then_the_history_does_not_name_it(
    client_for, demo_user
):
    """Given an organisation whose parent became one office_pn may not see and then one it may see, when
    office_pn reads the organisation's history, then the visible parent is named (in its language) and
    the hidden one is "not shown", never named."""
    office = demo_user(OFFICE)
    org = Organisation.objects.get(key="nanpu-co")
    visible = set(Organisation.objects.visible_to(office).values_list("pk", flat=True))
    hidden_parent = Organisation.objects.exclude(pk__in=visible).first()
    shown_parent = Organisation.objects.filter(pk__in=visible).exclude(pk=org.pk).first()
    assert hidden_parent is not None and shown_parent is not None
    org.parent = hidden_parent
    org.save()
    org.parent = shown_parent
    org.save()
    speak(OFFICE, "zh-hans")
    text = history_text(client_for(OFFICE).get("/organisations/nanpu-co/"))
    assert hidden_parent.name not in text
    assert f"（无权查看） → {shown_parent.name}" in text
    speak(OFFICE, "en")
    text = history_text(client_for(OFFICE).get("/organisations/nanpu-co/"))
    assert hidden_parent.name not in text and (hidden_parent.name_en or "∅") not in text
    assert f"(not shown) → {shown_parent.name_en or shown_parent.name}" in text


@pytest.mark.parametrize(
    ("language", "label", "other"), [("zh-hans", "English", "en"), ("en", "中文", "zh-hans")]
)
def test_the_language_switch_names_the_other_language_in_itself(client_for, language, label, other):
    speak(OFFICE, language)
    page = client_for(OFFICE).get("/").content.decode()
    button = re.search(rf'data-testid="switch-language-{other}">(.*?)</button>', page, re.S)
    assert button is not None and button.group(1).strip() == label
    assert "简体中文" not in page


@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_a_date_reads_the_same_on_list_detail_history_and_audit_pages(client_for, zone_edit, language):
    """Given the zone edited today, when office_pn reads the zone list (its established day), the zone page,
    its history and the audit log, then a day is YYYY-MM-DD and a moment YYYY-MM-DD HH:MM in either
    language (tongcheng/formats), never 2026年11月30日 or "Nov. 30, 2026"."""
    speak(OFFICE, language)
    client = client_for(OFFICE)
    zone = AdjacentZone.objects.get(code=ZONE)
    day = zone.established.isoformat()
    entry = AuditEntry.objects.filter(action="zone.update").latest("at")
    moment = timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M")
    pages = {
        "list": client.get("/zones/").content.decode(),
        "detail": client.get(f"/zones/{ZONE}/").content.decode(),
        "audit": client.get("/audit/", {"action": "zone.update"}).content.decode(),
    }
    assert day in pages["list"]
    assert zone.established.strftime("%Y-%m") in pages["detail"]  # the date to its precision (2019-10)
    assert moment in history_text(client.get(f"/zones/{ZONE}/"))
    assert moment in pages["audit"]
    # The zone page quotes its sources' own words (a fact may say 2021年5月18日): its dates are checked in the
    # history table and the date facts, the other pages whole.
    pages["detail"] = history_text(client.get(f"/zones/{ZONE}/"))
    for name, page in pages.items():
        assert not re.search(r"\d{4}年\d{1,2}月\d{1,2}日", page), name
        assert not re.search(
            r"\b(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec)[a-z]*\.? \d{1,2}, \d{4}", page
        ), name


def _catalogue(path: Path) -> dict[tuple[str | None, str], str]:
    return {(e.msgctxt, e.msgid): e.msgstr for e in polib.pofile(str(path)) if e.msgstr}


def test_our_catalogues_never_override_django_and_installed_apps_translations():
    """Given the Chinese catalogues of Django and of every installed third-party app, then none of our
    entries gives one of their msgids (without a context) another translation: the admin keeps Django's
    "修改" for "Change", not our history column's "变更类型". Our own different wording takes a context."""
    django_root = Path(django.__file__).parent
    theirs: dict[tuple[str | None, str], set[str]] = {}
    folders = [django_root / "conf" / "locale"]
    folders += [Path(c.path) / "locale" for c in apps.get_app_configs() if not c.name.startswith("tongcheng")]
    for folder in folders:
        for po in folder.glob("zh_Hans/LC_MESSAGES/django.po"):
            for key, text in _catalogue(po).items():
                theirs.setdefault(key, set()).add(text)
    assert ("kind of a change in a history", "Change") not in theirs and (None, "Change") in theirs
    ours = Path(settings.BASE_DIR) / "tongcheng"
    overrides = []
    for po in ours.rglob("locale/zh_Hans/LC_MESSAGES/*.po"):
        for key, text in _catalogue(po).items():
            if key in theirs and text not in theirs[key]:
                overrides.append((str(po.relative_to(ours)), key, text, theirs[key]))
    assert overrides == []
    with translation.override("zh-hans"):
        assert translation.gettext("Change") == "修改"
        assert translation.gettext("History") == "历史"
