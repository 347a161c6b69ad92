"""The calendar pages, /calendar/ and /calendar/<year>/, per role (issue 7, point 7).

Decided (tongcheng/kit/calendar/rules.py): the schedule is national, so only the metropolitan-area office
(an office grant on the metro area) enters it — a zone's office would move every other zone's deadlines.
Every other staff role (zone office, officer, finance, clerk, leader, auditor) reads the pages without the
form and gets 403 when it posts. The applicant, who works with the deadlines of their own cases only,
gets 404 for the pages and for a post. Nothing is written when refused."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.core.test_security_headers import assert_strict_page
from tests.kit.calendar_forms import ASSUMED_2027, form_data
from tongcheng.core.calendar import checks
from tongcheng.core.calendar.models import HolidaySchedule, ScheduleDay
from tongcheng.core.models import AuditEntry

pytestmark = pytest.mark.django_db

D = dt.date
YEAR = 2027
READERS = [
    "office_pn",
    "office_jb",
    "officer_pukou",
    "finance_pukou",
    "clerk_pukou",
    "leader_pn",
    "auditor_pn",
]


@pytest.fixture(autouse=True)
def on_1_november(monkeypatch):
    monkeypatch.setattr(checks, "today", lambda: D(2026, 11, 1))


def written() -> tuple[int, int, int]:
    return HolidaySchedule.objects.count(), ScheduleDay.objects.count(), AuditEntry.objects.count()


# --- reading ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/calendar/", f"/calendar/{YEAR}/", "/calendar/2026/"])
def test_the_metro_office_sees_the_pages_with_the_form_for_a_year(client_for, path):
    response = client_for("office_metro").get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    assert_strict_page(response, path)
    html = response.content.decode()
    if path != "/calendar/":
        assert 'data-testid="schedule-form"' in html


@pytest.mark.parametrize("username", READERS)
@pytest.mark.parametrize("path", ["/calendar/", f"/calendar/{YEAR}/"])
def test_other_staff_read_the_pages_without_the_form(client_for, username, path):
    response = client_for(username).get(path, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'data-testid="schedule-form"' not in html and "csrfmiddlewaretoken" not in html.split("<main")[-1]


@pytest.mark.parametrize("path", ["/calendar/", f"/calendar/{YEAR}/", "/calendar/2026/"])
def test_the_applicant_finds_no_calendar_page(client_for, path):
    assert client_for("applicant_demo").get(path).status_code == 404


def test_signed_out_visitors_are_sent_to_sign_in(client_for):
    response = client_for(None).get(f"/calendar/{YEAR}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


@pytest.mark.parametrize("path", ["/calendar/1999/", "/calendar/2101/", "/calendar/20277/"])
def test_a_year_outside_the_range_of_schedules_is_not_found(client_for, path):
    assert client_for("office_metro").get(path).status_code == 404


def test_the_list_says_which_years_are_covered(client_for):
    """Given the package (to 2026) and no schedule, then 2026 is listed as from the package and 2027 as not
    covered, with a link to enter it for the metro office."""
    html = client_for("office_metro").get("/calendar/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    row_2026 = html.split('data-testid="calendar-year-2026"')[1].split("</tr>")[0]
    row_2027 = html.split('data-testid="calendar-year-2027"')[1].split("</tr>")[0]
    assert "Calendar package" in row_2026
    assert "Not covered" in row_2027 and "Enter" in row_2027
    assert 'data-testid="schedule-warning"' in html


def test_a_package_year_shows_its_holidays_and_adjusted_working_days(client_for):
    html = client_for("officer_pukou").get("/calendar/2026/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    table = html.split('data-testid="package-days"')[1].split("</table>")[0]
    assert "2026-02-14" in table and "2026-02-28" in table and "2026-10-10" in table  # worked Saturdays
    assert "2026-02-16" in table and "Spring Festival" in table
    chinese = (
        client_for("officer_pukou").get("/calendar/2026/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    )
    assert "春节" in chinese.split('data-testid="package-days"')[1]


# --- writing ----------------------------------------------------------------------------------------------


def test_the_metro_office_enters_the_schedule_and_sees_it_with_its_history(client_for):
    client = client_for("office_metro")
    response = client.post(f"/calendar/{YEAR}/", form_data(ASSUMED_2027), HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 302 and response["Location"] == f"/calendar/{YEAR}/"
    schedule = HolidaySchedule.objects.get(year=YEAR)
    assert schedule.complete and schedule.version == 1 and schedule.days.count() == len(ASSUMED_2027)
    page = client.get(f"/calendar/{YEAR}/", HTTP_ACCEPT_LANGUAGE="en")
    assert_strict_page(page, "after saving")
    html = page.content.decode()
    assert "The 2027 schedule is saved." in html
    assert "covered by the schedule the office entered" in html
    assert 'data-testid="history"' in html and "2027-02-20 + 春节调休上班" in html
    days = html.split('data-testid="schedule-days"')[1].split("</table>")[0]
    assert "2027-02-05" in days and "Saturday" in days  # 20 Feb


@pytest.mark.parametrize("username", READERS)
def test_other_staff_may_not_post_and_nothing_is_written(client_for, username):
    before = written()
    response = client_for(username).post(f"/calendar/{YEAR}/", form_data(ASSUMED_2027))
    assert response.status_code == 403
    assert written() == before


def test_the_applicant_posting_gets_404_and_nothing_is_written(client_for):
    before = written()
    assert client_for("applicant_demo").post(f"/calendar/{YEAR}/", form_data(ASSUMED_2027)).status_code == 404
    assert written() == before


def test_a_signed_out_post_writes_nothing(client_for):
    before = written()
    assert client_for(None).post(f"/calendar/{YEAR}/", form_data(ASSUMED_2027)).status_code == 302
    assert written() == before


def test_bad_rows_come_back_beside_their_field_and_nothing_is_lost(client_for):
    """Given a date of another year, a duplicate and a note without a date, then the page answers 422 with
    each message beside its row, keeps every value typed, and writes nothing."""
    before = written()
    rows = [
        *ASSUMED_2027,
        (D(2026, 12, 31), "holiday", "跨年"),
        (D(2027, 2, 5), "holiday", "重复"),
        ("", "holiday", "无日期"),
    ]
    response = client_for("office_metro").post(
        f"/calendar/{YEAR}/", form_data(rows), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "Enter the date of this row, or clear its note." in html
    assert written() == before
    # The rows with a date reach the service once the dateless note is cleared; its errors are per row.
    rows[-1] = ("", "holiday", "")
    response = client_for("office_metro").post(
        f"/calendar/{YEAR}/", form_data(rows), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 422
    html = response.content.decode()
    assert "2026-12-31 is not in 2027." in html and "2027-02-05 is listed twice." in html
    assert 'value="跨年"' in html and 'value="重复"' in html
    assert written() == before


def test_a_stale_page_is_refused_with_409(client_for):
    client = client_for("office_metro")
    client.post(f"/calendar/{YEAR}/", form_data(ASSUMED_2027))
    before = written()
    response = client.post(
        f"/calendar/{YEAR}/", form_data(ASSUMED_2027[:3], version=0), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 409
    assert "changed by someone else" in response.content.decode()
    assert written() == before


def test_pointless_rows_are_saved_with_a_warning(client_for):
    rows = [*ASSUMED_2027, (D(2027, 2, 6), "holiday", "春节")]
    response = client_for("office_metro").post(
        f"/calendar/{YEAR}/", form_data(rows), HTTP_ACCEPT_LANGUAGE="en", follow=True
    )
    html = response.content.decode()
    assert "2027-02-06 is a day off anyway, so marking it a holiday changes nothing." in html
    assert ScheduleDay.objects.filter(day=D(2027, 2, 6)).exists()


def test_the_year_page_is_chinese_by_default(client_for):
    html = (
        client_for("office_metro").get(f"/calendar/{YEAR}/", HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    )
    assert "工作日" in html and "节假日" in html
    for english in (
        "Working-day calendar",
        "Enter the schedule",
        "State Council notice",
        "Holiday (day off)",
    ):
        assert english not in html, english
