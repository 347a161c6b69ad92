"""The audit log page in words (issue 7, point 3).

Given audit entries written by the services, when a reader opens /audit/ in Chinese or in English, then
each entry reads as words of that language: the time in the language's one format, who did it (display
name, else username, "system" translated), the action's label, the kind of record (its model's verbose
name) and the record's text, and what changed (field verbose names, choice labels, "before → after", the
other data as labelled text) — no raw JSON, no codes, no request ids on the page (the request id stays in
the exports, which carry the same words). The page filters by who, what (action, kind of record) and when
(a range of days); a bad day is a 400 naming it."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from tongcheng.core.models import AdjacentZone, AuditEntry, Organisation, Person, User
from tongcheng.core.services import organisations, zones
from tongcheng.kit.middleware import request_id_var
from tongcheng.kit.testing import list_count, read_csv_export

REQUEST_ID = "req-42"

pytestmark = pytest.mark.django_db

ZONE = "pukou-nanqiao"


def speak(username: str, language: str) -> None:
    User.objects.filter(username=username).update(language=language)


def table(response) -> str:
    """The text of the list table (what a reader sees), tags removed."""
    html = response.content.decode()
    body = html.split('data-testid="list-table"', 1)[1].split("</table>", 1)[0]
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", body))


@pytest.fixture
def zone_edit(demo_user):
    """office_pn renames its zone in English and changes its kind, through the service."""
    zone = AdjacentZone.objects.get(code=ZONE)
    zone.name_en = "A"
    AdjacentZone.objects.filter(pk=zone.pk).update(name_en="A", kind="cross_border_demo_zone")
    zone.refresh_from_db()
    # Audit entries are append-only: the request id is the one of the request that made the change.
    token = request_id_var.set(REQUEST_ID)
    try:
        return zones.update_zone(
            actor=demo_user("office_pn"),
            zone=zone,
            changes={"name_en": "B", "kind": "cooperation_park"},
            expected_version=zone.version,
        )
    finally:
        request_id_var.reset(token)


def test_a_zone_edit_reads_in_chinese(client_for, zone_edit):
    """Given office_pn's edit of its zone, when office_pn (Chinese) opens the audit log, then the row reads
    "修改毗邻区", "毗邻区", "英文名称：A → B" and the kind's labels, by the office's display name, with the
    time in the one date format (tongcheng/formats: 2026-11-30 14:05); no JSON, no field or choice codes, no request id."""
    speak("office_pn", "zh-hans")
    entry = AuditEntry.objects.get(action="zone.update")
    text = table(client_for("office_pn").get("/audit/?action=zone.update"))
    for words in (
        "修改毗邻区",
        "毗邻区",
        "英文名称：A → B",
        "类型：跨界一体化发展示范区 → 合作共建园区",
        "浦口—南谯同城办 陈科长",
        timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M"),
    ):
        assert words in text, words
    for raw in ("zone.update", "name_en", "cooperation_park", "{", "changes", entry.request_id, "office_pn"):
        assert raw not in text, raw


def test_a_zone_edit_reads_in_english(client_for, zone_edit):
    speak("office_pn", "en")
    text = table(client_for("office_pn").get("/audit/?action=zone.update"))
    entry = AuditEntry.objects.get(action="zone.update")
    for words in (
        "Zone edited",
        "Adjacent zone",
        "English name: A → B",
        "Kind: Cross-border integration demonstration zone → Co-built cooperation park",
        timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M"),
    ):
        assert words in text, words
    for chinese in ("修改毗邻区", "英文名称", "类型"):
        assert chinese not in text, chinese


def test_other_data_reads_as_labelled_text(client_for, demo_user):
    """Given an ID number unmasked with a reason and a zone defined with its members, then the reason and
    the members read as labelled text in either language."""
    person = Person.objects.filter(organisation__zone__code=ZONE).exclude(id_number="").first()
    organisations.unmask_id_number(actor=demo_user("office_pn"), person=person, reason="核对身份")
    zones.create_zone(
        actor=demo_user("office_pn"),
        metro=AdjacentZone.objects.get(code=ZONE).metro,
        code="pukou-inner",
        name="浦口内区",
        kind="cooperation_park",
        established=dt.date(2026, 1, 1),
        members=[zones.MemberSpec(code="320111"), zones.MemberSpec(code="341103")],
    )
    speak("office_pn", "zh-hans")
    text = table(client_for("office_pn").get("/audit/"))
    assert "事由：核对身份" in text
    assert "成员（区划代码）：320111、341103" in text or "成员（区划代码）：341103、320111" in text
    speak("office_pn", "en")
    text = table(client_for("office_pn").get("/audit/"))
    assert "Reason: 核对身份" in text
    assert re.search(r"Members \(codes\): 3\d{5}, 3\d{5}", text)


def test_work_of_no_user_reads_as_system_and_a_deleted_actor_by_username(client_for):
    zone = AdjacentZone.objects.get(code=ZONE)
    for name in ("system", "gone_user"):
        AuditEntry.objects.create(
            actor_name=name,
            action="zone.update",
            object_type="core.adjacentzone",
            object_id=str(zone.pk),
            object_repr=zone.name,
            zone=zone,
            data={"changes": {"name": ["x", "y"]}},
        )
    speak("auditor_pn", "zh-hans")
    text = table(client_for("auditor_pn").get("/audit/"))
    assert "系统" in text and "gone_user" in text and "名称：x → y" in text
    speak("auditor_pn", "en")
    assert " system " in table(client_for("auditor_pn").get("/audit/"))


def test_the_exports_carry_the_same_words_and_the_request_id(client_for, zone_edit):
    """The CSV and the XLSX hold the words of the page (in the reader's language) and, unlike the page,
    the request id that joins an entry to the server's logs."""
    entry = AuditEntry.objects.get(action="zone.update")
    assert entry.request_id == REQUEST_ID
    speak("office_pn", "zh-hans")
    client = client_for("office_pn")
    rows = read_csv_export(client.get("/audit/?action=zone.update&export=csv"))
    assert len(rows) == 1
    row = rows[0]
    assert row["action"] == "修改毗邻区" and row["object_type"] == "毗邻区"
    assert "英文名称：A → B" in row["changes"].splitlines()
    assert row["actor_name"] == "浦口—南谯同城办 陈科长" and row["request_id"] == REQUEST_ID
    xlsx = client.get("/audit/?action=zone.update&export=xlsx")
    sheet = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    header = xlsx.export_columns
    assert [c.value for c in sheet[1]][header.index("action")] == "操作"  # the header in the reader's words
    values = [c.value for c in sheet[2]]
    assert values[header.index("action")] == "修改毗邻区"
    assert "英文名称：A → B" in values[header.index("changes")]
    assert REQUEST_ID not in client.get("/audit/?action=zone.update").content.decode()
    assert list_count(client.get("/audit/?q=" + REQUEST_ID).content.decode()) == 1  # found by its request id


# --- filters -------------------------------------------------------------------------------------------


@pytest.fixture
def dated_entries(demo_user):
    """Entries by two actors on two kinds of record, on three known days."""
    zone = AdjacentZone.objects.get(code=ZONE)
    org = Organisation.objects.filter(zone=zone).first()
    made = []
    for day, actor, obj, action in (
        (dt.date(2025, 3, 1), "office_pn", zone, "zone.update"),
        (dt.date(2025, 3, 15), "office_metro", zone, "zone.update"),
        (dt.date(2025, 3, 31), "office_pn", org, "organisation.update"),
    ):
        user = demo_user(actor)
        at = timezone.make_aware(dt.datetime.combine(day, dt.time(23, 30)))
        made.append(
            AuditEntry.objects.create(
                at=at,
                actor=user,
                actor_name=user.username,
                action=action,
                object_type=obj._meta.label_lower,
                object_id=str(obj.pk),
                object_repr=obj.name,
                zone=zone,
                data={"changes": {"name": ["a", "b"]}},
            )
        )
    return made


def _objects(client, query: str) -> list[tuple[str, str]]:
    rows = read_csv_export(client.get(f"/audit/?{query}&export=csv"))
    return sorted((r["action"], r["actor_name"]) for r in rows)


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("date_from=2025-03-01&date_to=2025-03-01", [("修改毗邻区", "浦口—南谯同城办 陈科长")]),
        (
            "date_from=2025-03-02&date_to=2025-03-31",
            [("修改毗邻区", "都市圈同城办 王主任"), ("修改机构", "浦口—南谯同城办 陈科长")],
        ),
        (
            "date_from=2025-03-16&date_to=2025-12-31&type=core.organisation",
            [("修改机构", "浦口—南谯同城办 陈科长")],
        ),
        ("date_to=2025-03-14&date_from=2025-01-01", [("修改毗邻区", "浦口—南谯同城办 陈科长")]),
        ("actor=office_metro", [("修改毗邻区", "都市圈同城办 王主任")]),
        ("actor=office_pn&action=zone.update", [("修改毗邻区", "浦口—南谯同城办 陈科长")]),
        (
            "type=core.adjacentzone&date_to=2025-03-31",
            [("修改毗邻区", "浦口—南谯同城办 陈科长"), ("修改毗邻区", "都市圈同城办 王主任")],
        ),
    ],
)
def test_filters_by_who_what_and_when(client_for, dated_entries, query, expected):
    """Given three entries at 23:30 local time on 1, 15 and 31 March 2025, when the log is filtered, then
    a day range includes both its days whole (in the site's time zone), and who / action / kind narrow it."""
    speak("office_pn", "zh-hans")
    assert _objects(client_for("office_pn"), query) == sorted(expected)


def test_the_filters_offer_words(client_for, dated_entries):
    speak("office_pn", "zh-hans")
    html = client_for("office_pn").get("/audit/").content.decode()
    assert '<option value="office_metro" >都市圈同城办 王主任 (office_metro)</option>' in html
    assert '<option value="core.organisation" >机构</option>' in html
    assert 'type="date" name="date_from"' in html and "日期（起）" in html


@pytest.mark.parametrize(
    ("query", "message"),
    [
        ("date_from=2025-02-30", "“2025-02-30”不是日期（起）的有效日期"),
        ("date_to=yesterday", "“yesterday”不是日期（止）的有效日期"),
        ("date_from=20250301", "“20250301”不是日期（起）的有效日期"),
        ("date_from=2025-03-31&date_to=2025-03-01", "起始日期 2025-03-31 晚于终止日期 2025-03-01"),
        ("actor=someone_else", "“someone_else”"),
        ("type=core.user", "“core.user”"),
    ],
)
@pytest.mark.parametrize("export", ["", "&export=csv"])
def test_a_bad_filter_value_is_a_400_naming_it(client_for, dated_entries, query, message, export):
    """A day the page cannot read, an end before the start, or a who / kind the reader's log does not hold
    is a 400 page naming it (the rest of the list still shown), never a 500 and never a file."""
    speak("office_pn", "zh-hans")
    response = client_for("office_pn").get(f"/audit/?{query}{export}")
    assert response.status_code == 400
    assert response["Content-Type"].startswith("text/html")
    alert = response.content.decode().split('data-testid="list-errors"', 1)[1].split("</div>", 1)[0]
    assert message in alert
    assert list_count(response.content.decode()) == 3


def test_a_bad_date_reads_in_english_too(client_for, dated_entries):
    speak("office_pn", "en")
    response = client_for("office_pn").get("/audit/?date_to=2025-13-01")
    assert response.status_code == 400
    assert (
        "“2025-13-01” is not a valid date for Date to: write it as YYYY-MM-DD." in response.content.decode()
    )
