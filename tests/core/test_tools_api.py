"""The shared tools over the API: working days with 调休, and identifier checks that agree with forms."""

import pytest

pytestmark = pytest.mark.django_db


def test_adding_a_working_day_before_spring_festival_2026_lands_on_the_adjusted_saturday(client_for):
    """Given Friday 2026-02-13, when one working day is added, then it is Saturday 02-14 (调休 workday)."""
    body = (
        client_for("officer_pukou")
        .get("/api/v1/tools/workdays/add", {"start": "2026-02-13T10:00:00+08:00", "n": 1})
        .json()
    )
    assert body["result"] == "2026-02-14T10:00:00+08:00"


def test_counting_across_national_day_2025_skips_the_eight_days_off(client_for):
    body = (
        client_for("officer_pukou")
        .get("/api/v1/tools/workdays/between", {"start": "2025-09-30", "end": "2025-10-10"})
        .json()
    )
    assert body["workdays"] == 2  # 10-09 and 10-10; 10-01..10-08 are the holiday


def test_an_override_in_the_database_wins(client_for):
    from tongcheng.core.models import WorkdayOverride

    WorkdayOverride.objects.create(day="2026-02-14", is_workday=False, note="test")
    body = (
        client_for("officer_pukou")
        .get("/api/v1/tools/workdays/add", {"start": "2026-02-13T10:00:00+08:00", "n": 1})
        .json()
    )
    assert body["result"] == "2026-02-24T10:00:00+08:00"


def test_an_absurd_span_is_refused_with_the_field_named(client_for):
    response = client_for("officer_pukou").get(
        "/api/v1/tools/workdays/add", {"start": "2026-01-01T00:00:00", "n": 99999}
    )
    assert response.status_code == 422 and response.json()["field"] == "n"


@pytest.mark.parametrize(
    ("url", "params", "field", "year"),
    [
        ("add", {"start": "0001-01-01T00:00:00", "n": 5}, "start", 1),
        ("add", {"start": "9999-12-31T00:00:00", "n": 5}, "start", 9999),
        ("add", {"start": "9999-12-31T23:00:00-10:00", "n": 1}, "start", 9999),  # Beijing time is year 10000
        ("add", {"start": "0001-01-01T00:00:00+14:00", "n": 1}, "start", 1),  # UTC would be year 0
        ("add", {"start": "2026-12-31T23:00:00-05:00", "n": 0}, "start", 2027),  # 2027-01-01 in Beijing
        ("add", {"start": "2003-12-31T10:00:00", "n": 1}, "start", 2003),
        ("add", {"start": "2027-02-08T09:00:00+08:00", "n": 1}, "start", 2027),  # the Spring Festival week
        ("add", {"start": "2026-12-20T00:00:00", "n": 3650}, "n", 2027),  # counting runs past 2026
        ("add", {"start": "2026-12-30T00:00:00", "n": 2}, "n", 2027),
        ("add", {"start": "2004-01-05T00:00:00", "n": -10}, "n", 2003),  # … or back before 2004
        ("add", {"start": "2026-01-01T00:00:00", "n": 10**30}, "n", None),
        ("add", {"start": "2026-01-01T00:00:00", "n": -3651}, "n", None),
        ("between", {"start": "0001-01-01", "end": "9999-12-31"}, "start", 1),
        ("between", {"start": "9999-01-01", "end": "9999-12-31"}, "start", 9999),
        ("between", {"start": "2020-01-01", "end": "9999-12-31"}, "end", 9999),
        ("between", {"start": "2020-01-01", "end": "2027-02-08"}, "end", 2027),
        ("between", {"start": "2099-01-01", "end": "2020-01-01"}, "start", 2099),
    ],
)
def test_extreme_dates_and_counts_are_a_422_naming_the_field(client_for, url, params, field, year):
    """Given officer_pukou and no entered schedule, when working days are added or counted from year 1,
    year 9999, a year the package lacks (2003, 2027) or by an absurd n, then 422 names the field at fault
    and, for a date, says which year has no calendar and that the office must enter it."""
    client = client_for("officer_pukou")
    client.raise_request_exception = False
    response = client.get(f"/api/v1/tools/workdays/{url}", params, HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 422, response.content
    body = response.json()
    assert body["field"] == field
    if year is None:
        assert body["code"] == "out_of_range"
    else:
        assert body["code"] == "outside_calendar"
        assert f"computed for {year} " in body["message"]
        assert "office must enter it" in body["message"]


def test_the_outside_calendar_message_is_translated(client_for):
    """Given a Chinese-speaking user, when a count reaches 2027, then the 422 message is Chinese and names
    the year."""
    response = client_for("officer_pukou").get(
        "/api/v1/tools/workdays/add", {"start": "2026-12-30T09:00:00", "n": 5}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 422
    message = response.json()["message"]
    assert "2027" in message and "节假日安排" in message and "Working days" not in message


def test_the_edges_of_the_package_years_still_answer(client_for):
    """Given officer_pukou, when working days are counted across all the package's years and added at both
    ends, then the answers are 200 (only years outside are refused)."""
    client = client_for("officer_pukou")
    between = client.get("/api/v1/tools/workdays/between", {"start": "2004-01-01", "end": "2026-12-31"})
    assert between.status_code == 200 and between.json()["workdays"] > 5000
    last = client.get("/api/v1/tools/workdays/add", {"start": "2026-12-30T09:00:00", "n": 1})
    assert last.json()["result"] == "2026-12-31T09:00:00"  # a Thursday
    first = client.get("/api/v1/tools/workdays/add", {"start": "2004-01-05T09:00:00", "n": -1})
    assert first.json()["result"] == "2004-01-02T09:00:00"


def test_an_override_row_alone_does_not_cover_a_year(client_for):
    """Given a legacy override for 2003-12-31 (a year before the package's data) and no schedule for 2003,
    when that day is used, then it is still outside the calendar: one row says nothing of the other days
    of the year. (It used to widen the calendar to the whole year as Monday–Friday.)"""
    from tongcheng.core.models import WorkdayOverride

    WorkdayOverride.objects.create(day="2003-12-31", is_workday=True, note="test")
    response = client_for("officer_pukou").get(
        "/api/v1/tools/workdays/add", {"start": "2003-12-31T10:00:00", "n": 1}
    )
    assert response.status_code == 422, response.content
    assert response.json()["code"] == "outside_calendar"


@pytest.mark.parametrize(
    ("value", "at", "valid"),
    [
        ("340221", "2019-01-01", True),  # 芜湖县 before the 2020 change
        ("340221", None, False),  # abolished since
        ("340210", None, True),  # 湾沚区 today
        ("320111002", None, True),  # 顶山街道
        ("320413", "2014-01-01", False),  # 金坛区 did not exist yet
    ],
)
def test_a_division_code_is_checked_at_a_date(client_for, value, at, valid):
    params = {"value": value, **({"at": at} if at else {})}
    body = client_for("officer_pukou").get("/api/v1/tools/check/division", params).json()
    assert body["valid"] is valid
    if not valid:
        assert body["code"] in {"division_unknown_at_date"}


def test_an_id_number_is_echoed_masked_even_when_valid(client_for):
    body = (
        client_for("officer_pukou")
        .get("/api/v1/tools/check/id_number", {"value": "11010519491231002X"})
        .json()
    )
    assert body == {
        "kind": "id_number",
        "valid": True,
        "value": "1101**********002X",
        "code": None,
        "message": None,
    }


def test_tools_need_authentication(client_for):
    assert client_for(None).get("/api/v1/tools/check/uscc", {"value": "x"}).status_code == 401


def test_the_calendar_functions_refuse_dates_outside_with_a_value_error():
    """Given the working-day functions themselves (no API), when given year 9999 or counting past the
    package's last year, then they raise OutsideCalendar (a ValueError naming the date), never
    OverflowError."""
    import datetime as dt

    from tongcheng.core.workdays import OutsideCalendar, add_workdays, workdays_between

    with pytest.raises(OutsideCalendar) as info:
        add_workdays(dt.date(9999, 12, 31), 1)
    assert info.value.day == dt.date(9999, 12, 31) and isinstance(info.value, ValueError)
    with pytest.raises(OutsideCalendar) as info:
        add_workdays(dt.date(2026, 12, 31), 1)
    assert info.value.day == dt.date(2027, 1, 1)
    with pytest.raises(OutsideCalendar):
        workdays_between(dt.date(1, 1, 1), dt.date(2025, 1, 1))
