"""Holiday schedules entered by the office (issue 7, point 7): a year neither the package nor a complete
entered schedule covers is an error naming the year (service and API); once the metropolitan-area office
enters the year, the same computation answers. Entering is validated, audited and versioned; from
1 November offices are warned when next year is missing."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import translation

from tests.kit.calendar_forms import ASSUMED_2027, form_data
from tongcheng.core import workdays
from tongcheng.core.calendar import checks
from tongcheng.core.calendar.coverage import package_years
from tongcheng.core.calendar.errors import outside_calendar_error
from tongcheng.core.calendar.models import HolidaySchedule, ScheduleDay
from tongcheng.core.calendar.services import DaySpec, save_schedule
from tongcheng.core.models import AuditEntry, WorkdayOverride

pytestmark = pytest.mark.django_db

D = dt.date
UNCOVERED = max(package_years()) + 1  # 2027 with chinesecalendar 1.11.0
ADD = "/api/v1/tools/workdays/add"


def specs(rows=ASSUMED_2027) -> list[DaySpec]:
    return [DaySpec(day, kind == "workday", note) for day, kind, note in rows]


def enter(actor, rows=ASSUMED_2027, **kwargs):
    values = {
        "basis": "国办发明电〔2026〕99号（测试）",
        "published_on": None,
        "complete": True,
        "expected_version": 0,
    }
    values.update(kwargs)
    return save_schedule(actor=actor, year=UNCOVERED, days=specs(rows), **values)


def test_the_first_uncovered_year_is_the_one_the_tests_use():
    assert UNCOVERED == 2027, "the package now covers 2027: the assumed schedule must move to the next year"


# --- the uncovered year: service and API, before and after the office enters it -------------------------


def test_counting_into_an_uncovered_year_is_refused_until_the_office_enters_it(client_for, demo_user):
    """Given no schedule for 2027, when working days are added across New Year (service and API), then the
    service raises OutsideCalendar for 2027 and the API answers 422 outside_calendar naming the field and the
    year; when the metropolitan-area office enters the complete 2027 schedule on the calendar page, then the
    same calls answer, with its holidays and its adjusted working day."""
    with pytest.raises(workdays.OutsideCalendar) as info:
        workdays.add_workdays(D(2026, 12, 30), 5, workdays.db_calendar())
    assert info.value.year == UNCOVERED
    error = outside_calendar_error(info.value.day, field="start")
    assert (error.status, error.code, error.field) == (422, "outside_calendar", "start")

    api = client_for("officer_pukou")
    across = {"start": "2026-12-30T09:00:00+08:00", "n": 5}
    inside = {"start": "2027-02-04T09:00:00+08:00", "n": 1}
    refused = api.get(ADD, across, HTTP_ACCEPT_LANGUAGE="en")
    assert refused.status_code == 422
    assert refused.json()["code"] == "outside_calendar" and refused.json()["field"] == "n"
    assert "2027" in refused.json()["message"] and "office must enter it" in refused.json()["message"]
    assert api.get(ADD, inside).json()["field"] == "start"

    page = client_for("office_metro").post(f"/calendar/{UNCOVERED}/", form_data(ASSUMED_2027))
    assert page.status_code == 302, page.content.decode()

    assert workdays.add_workdays(D(2026, 12, 30), 5, workdays.db_calendar()) == D(2027, 1, 7)  # 1 Jan off
    answered = api.get(ADD, across)
    assert answered.status_code == 200 and answered.json()["result"] == "2027-01-07T09:00:00+08:00"
    # Thursday 4 Feb + 1: Friday 5 and 8–12 Feb are the Spring Festival, so Monday 15 Feb.
    assert api.get(ADD, inside).json()["result"] == "2027-02-15T09:00:00+08:00"
    assert not workdays.is_workday(D(2027, 2, 8), workdays.db_calendar())
    assert workdays.is_workday(D(2027, 2, 20), workdays.db_calendar())  # the adjusted Saturday


def test_a_draft_schedule_covers_nothing(demo_user):
    """Given a 2027 schedule saved without "complete", then 2027 is still outside the calendar."""
    enter(demo_user("office_metro"), complete=False)
    with pytest.raises(workdays.OutsideCalendar):
        workdays.is_workday(D(2027, 3, 3), workdays.db_calendar())
    assert workdays.db_calendar().entered_years == frozenset()


def test_the_entered_schedule_wins_over_a_legacy_override_and_the_override_still_works_in_package_years(
    demo_user,
):
    """Given a legacy override saying 5 Feb 2027 is worked and 14 Feb 2026 (a worked Saturday in the
    package) is off, when 2027 is entered with 5 Feb off, then 5 Feb 2027 is off (the entered schedule) and
    14 Feb 2026 is off (the override over the package)."""
    WorkdayOverride.objects.create(day=D(2027, 2, 5), is_workday=True, note="old")
    WorkdayOverride.objects.create(day=D(2026, 2, 14), is_workday=False, note="correction")
    enter(demo_user("office_metro"))
    calendar = workdays.db_calendar()
    assert not calendar.is_workday(D(2027, 2, 5))
    assert not calendar.is_workday(D(2026, 2, 14))


# --- the service: validation, audit, versions ------------------------------------------------------------


def test_saving_writes_the_days_an_audit_entry_and_a_history_row(demo_user):
    office = demo_user("office_metro")
    before = AuditEntry.objects.count()
    saved = enter(office)
    schedule = saved.schedule
    assert saved.changed and schedule.version == 1 and schedule.complete and schedule.entered_by == office
    assert ScheduleDay.objects.filter(schedule=schedule).count() == len(ASSUMED_2027)
    entry = AuditEntry.objects.get(action="calendar.schedule")
    assert AuditEntry.objects.count() == before + 1
    assert entry.actor == office and entry.object_id == str(schedule.pk) and entry.metro_id is not None
    assert entry.data["year"] == UNCOVERED and entry.data["complete"] == [None, True]
    assert "2027-02-20 + 春节调休上班" in entry.data["added"]

    # A second save that moves one day: version 2, one change recorded, history of both saves.
    rows = [r for r in ASSUMED_2027 if r[0] != D(2027, 2, 12)] + [(D(2027, 2, 12), "holiday", "春节（补）")]
    again = enter(office, rows=rows, expected_version=1)
    assert again.changed and again.schedule.version == 2
    entry = AuditEntry.objects.filter(action="calendar.schedule").order_by("-id").first()
    assert entry.data["changed"] == [["2027-02-12 - 春节", "2027-02-12 - 春节（补）"]]
    assert entry.data["added"] == [] and entry.data["removed"] == [] and "complete" not in entry.data
    assert schedule.history.count() == 2


def test_unchanged_input_writes_nothing(demo_user):
    office = demo_user("office_metro")
    enter(office)
    before = (AuditEntry.objects.count(), HolidaySchedule.history.count())
    again = enter(office, expected_version=1)
    assert not again.changed and again.schedule.version == 1
    assert (AuditEntry.objects.count(), HolidaySchedule.history.count()) == before


def test_a_stale_version_is_refused_and_nothing_written(demo_user):
    """Given two offices that opened the empty 2027 page, when the second saves after the first, then it is
    refused with 409 stale_version and the first one's schedule stands."""
    office = demo_user("office_metro")
    enter(office)
    with pytest.raises(Exception) as info:
        enter(office, rows=ASSUMED_2027[:2], expected_version=0)
    assert getattr(info.value, "status", None) == 409 and info.value.code == "stale_version"
    assert ScheduleDay.objects.count() == len(ASSUMED_2027)
    assert HolidaySchedule.objects.get(year=UNCOVERED).version == 1


@pytest.mark.parametrize(
    ("rows", "kwargs", "field", "code"),
    [
        ([(D(2026, 12, 31), "holiday", "")], {}, "days.0.day", "day_outside_year"),
        (
            ASSUMED_2027 + [(D(2027, 2, 5), "holiday", "again")],
            {},
            f"days.{len(ASSUMED_2027)}.day",
            "duplicate_day",
        ),
        (ASSUMED_2027, {"basis": ""}, "basis", "basis_required"),
        (ASSUMED_2027, {"basis": "x" * 201}, "basis", "too_long"),
        (ASSUMED_2027, {"basis": "line\nbreak"}, "basis", "line_break"),
        ([(D(2027, 2, 20), "workday", "")], {}, "days", "no_holiday"),
        ([(D(2027, 2, 5), "holiday", "\x07")], {}, "days.0.note", "control_character"),
    ],
)
def test_bad_rows_are_refused_naming_the_row_and_nothing_is_written(demo_user, rows, kwargs, field, code):
    before = AuditEntry.objects.count()
    with pytest.raises(Exception) as info:
        enter(demo_user("office_metro"), rows=rows, **kwargs)
    assert getattr(info.value, "status", None) == 422
    assert {"field": field, "code": code} in [
        {"field": e["field"], "code": e["code"]} for e in info.value.errors
    ]
    assert not HolidaySchedule.objects.exists() and not ScheduleDay.objects.exists()
    assert AuditEntry.objects.count() == before


def test_a_row_that_changes_nothing_is_kept_with_a_warning(demo_user):
    """Given a Saturday marked holiday and a Wednesday marked working day in 2027 (a plain week there), then
    the schedule is saved and both rows come back as warnings naming the date."""
    rows = ASSUMED_2027 + [(D(2027, 2, 6), "holiday", "春节"), (D(2027, 3, 3), "workday", "")]
    with translation.override("en"):
        saved = enter(demo_user("office_metro"), rows=rows)
    assert saved.changed
    assert len(saved.warnings) == 2
    assert "2027-02-06" in saved.warnings[0] and "day off anyway" in saved.warnings[0]
    assert "2027-03-03" in saved.warnings[1] and "working day anyway" in saved.warnings[1]
    assert ScheduleDay.objects.count() == len(rows)


@pytest.mark.parametrize("username", ["office_pn", "officer_pukou", "auditor_pn", "leader_pn", "clerk_pukou"])
def test_only_the_metropolitan_area_office_enters_a_schedule(demo_user, username):
    with pytest.raises(Exception) as info:
        enter(demo_user(username))
    assert getattr(info.value, "status", None) == 403
    assert not HolidaySchedule.objects.exists()


def test_an_applicant_is_told_nothing_exists(demo_user):
    with pytest.raises(Exception) as info:
        enter(demo_user("applicant_demo"))
    assert getattr(info.value, "status", None) == 404
    assert not HolidaySchedule.objects.exists()


# --- the warning from 1 November --------------------------------------------------------------------------


def test_the_warning_is_due_from_1_november_for_next_year_and_all_year_for_the_current_one(demo_user):
    assert checks.missing_schedule_warning(D(UNCOVERED - 1, 10, 31)) is None
    assert checks.missing_schedule_warning(D(UNCOVERED - 1, 11, 1)).years == (UNCOVERED,)
    assert checks.missing_schedule_warning(D(UNCOVERED - 1, 12, 31)).years == (UNCOVERED,)
    assert checks.missing_schedule_warning(D(UNCOVERED, 3, 1)).years == (UNCOVERED,)
    assert checks.missing_schedule_warning(D(UNCOVERED, 11, 1)).years == (UNCOVERED, UNCOVERED + 1)
    enter(demo_user("office_metro"), complete=False)
    assert checks.missing_schedule_warning(D(UNCOVERED - 1, 11, 1)).years == (UNCOVERED,)  # a draft
    enter(demo_user("office_metro"), expected_version=1)
    assert checks.missing_schedule_warning(D(UNCOVERED - 1, 11, 1)) is None


def _home(client_for, username, day, monkeypatch):
    monkeypatch.setattr(checks, "today", lambda: day)
    return client_for(username).get("/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


@pytest.mark.parametrize("username", ["office_metro", "office_pn", "office_jb"])
def test_an_office_user_sees_the_warning_on_the_home_page_from_1_november(client_for, monkeypatch, username):
    """Given no 2027 schedule, when an office user opens the home page on 1 Nov 2026, then it warns that the
    2027 schedule is missing and links to its page; on 31 Oct 2026 it does not."""
    html = _home(client_for, username, D(UNCOVERED - 1, 11, 1), monkeypatch)
    assert 'data-testid="schedule-warning"' in html
    assert f"The holiday schedule for {UNCOVERED} has not been entered" in html
    assert f'href="/calendar/{UNCOVERED}/"' in html
    assert 'data-testid="schedule-warning"' not in _home(
        client_for, username, D(UNCOVERED - 1, 10, 31), monkeypatch
    )


@pytest.mark.parametrize(
    "username", ["officer_pukou", "finance_pukou", "clerk_pukou", "leader_pn", "auditor_pn", "applicant_demo"]
)
def test_a_user_without_the_office_role_never_sees_the_warning(client_for, monkeypatch, username):
    html = _home(client_for, username, D(UNCOVERED - 1, 11, 1), monkeypatch)
    assert "schedule-warning" not in html and "holiday schedule" not in html


def test_the_warning_goes_once_the_year_is_entered(client_for, demo_user, monkeypatch):
    enter(demo_user("office_metro"))
    assert "schedule-warning" not in _home(client_for, "office_pn", D(UNCOVERED - 1, 11, 1), monkeypatch)


def test_the_warning_is_in_chinese_for_a_chinese_page(client_for, monkeypatch):
    monkeypatch.setattr(checks, "today", lambda: D(UNCOVERED - 1, 11, 1))
    html = client_for("office_pn").get("/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "schedule-warning" in html and f"{UNCOVERED}年" in html and "has not been entered" not in html
