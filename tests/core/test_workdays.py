"""Working-day calendar across the 2025 and 2026 Spring Festival and National Day holidays, with 调休.

Facts: 2025 from the State Council notice (国办发明电〔2024〕12号); 2026 as in the chinesecalendar package
data (国办发明电〔2025〕7号): Spring Festival Feb 15–23 off, Sat Feb 14 and Sat Feb 28 worked; National
Day Oct 1–7 off, Sun Sep 20 and Sat Oct 10 worked.
"""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from tongcheng.core.workdays import (
    Calendar,
    OutsideCalendar,
    add_workdays,
    covered_years,
    db_overrides,
    is_workday,
    next_workday,
    workdays_between,
)

# Needs nothing beyond one zone and its roles: the small demo is enough (tests/conftest.py).
pytestmark = pytest.mark.small_demo

D = dt.date
UNCOVERED = max(covered_years()) + 1  # the first year the package has no data for (2027 today)


def days(first: dt.date, last: dt.date) -> list[dt.date]:
    return [first + dt.timedelta(n) for n in range((last - first).days + 1)]


def test_covered_years():
    assert 2025 in covered_years() and 2026 in covered_years()
    assert 2004 in covered_years()


# --- Facts ---------------------------------------------------------------------------------------

HOLIDAYS = {
    "2025 Spring Festival": (D(2025, 1, 28), D(2025, 2, 4)),
    "2025 National Day": (D(2025, 10, 1), D(2025, 10, 8)),
    "2026 Spring Festival": (D(2026, 2, 15), D(2026, 2, 23)),
    "2026 National Day": (D(2026, 10, 1), D(2026, 10, 7)),
}
ADJUSTED_WORKING_WEEKENDS = [
    D(2025, 1, 26),  # Sunday
    D(2025, 2, 8),  # Saturday
    D(2025, 9, 28),  # Sunday
    D(2025, 10, 11),  # Saturday
    D(2026, 2, 14),  # Saturday
    D(2026, 2, 28),  # Saturday
    D(2026, 9, 20),  # Sunday
    D(2026, 10, 10),  # Saturday
]


@pytest.mark.parametrize("name", HOLIDAYS)
def test_holidays_are_off_and_bounded_by_working_days(name):
    first, last = HOLIDAYS[name]
    assert not any(is_workday(d) for d in days(first, last))
    assert is_workday(first - dt.timedelta(1))
    assert is_workday(last + dt.timedelta(1))


@pytest.mark.parametrize("day", ADJUSTED_WORKING_WEEKENDS)
def test_adjusted_weekends_are_working_days(day):
    assert day.weekday() >= 5
    assert is_workday(day)


def test_ordinary_days():
    assert is_workday(D(2025, 3, 12))  # a Wednesday
    assert not is_workday(D(2025, 3, 15))  # a Saturday
    assert not is_workday(D(2025, 1, 25))  # the Saturday before Spring Festival stays off
    assert is_workday(dt.datetime(2025, 3, 12, 23, 59))


# --- add_workdays -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "n", "expected"),
    [
        # 2025 Spring Festival: Fri 24 Jan → Sun 26 Jan (调休) → Mon 27 Jan → Wed 5 Feb.
        (D(2025, 1, 24), 1, D(2025, 1, 26)),
        (D(2025, 1, 24), 2, D(2025, 1, 27)),
        (D(2025, 1, 24), 3, D(2025, 2, 5)),
        (D(2025, 1, 25), 1, D(2025, 1, 26)),  # from a Saturday
        (D(2025, 1, 28), 1, D(2025, 2, 5)),  # from inside the holiday
        (D(2025, 2, 7), 1, D(2025, 2, 8)),  # Friday → 调休 Saturday
        (D(2025, 2, 7), 2, D(2025, 2, 10)),
        (D(2025, 1, 27), 5, D(2025, 2, 10)),  # 5, 6, 7, 8 (Sat), 10
        # 2025 National Day: Fri 26 Sep → Sun 28 Sep (调休); Tue 30 Sep → Thu 9 Oct; Fri 10 → Sat 11.
        (D(2025, 9, 26), 1, D(2025, 9, 28)),
        (D(2025, 9, 26), 2, D(2025, 9, 29)),
        (D(2025, 9, 30), 1, D(2025, 10, 9)),
        (D(2025, 10, 10), 1, D(2025, 10, 11)),
        (D(2025, 9, 30), 3, D(2025, 10, 11)),
        # 2026 Spring Festival: Fri 13 Feb → Sat 14 Feb (调休) → Tue 24 Feb; Fri 27 Feb → Sat 28 Feb.
        (D(2026, 2, 13), 1, D(2026, 2, 14)),
        (D(2026, 2, 13), 2, D(2026, 2, 24)),
        (D(2026, 2, 14), 1, D(2026, 2, 24)),
        (D(2026, 2, 27), 1, D(2026, 2, 28)),
        (D(2026, 2, 27), 2, D(2026, 3, 2)),
        # 2026 National Day: Fri 18 Sep → Sun 20 Sep (调休); Wed 30 Sep → Thu 8 Oct; Fri 9 Oct → Sat 10.
        (D(2026, 9, 18), 1, D(2026, 9, 20)),
        (D(2026, 9, 30), 1, D(2026, 10, 8)),
        (D(2026, 10, 9), 1, D(2026, 10, 10)),
        (D(2026, 10, 9), 2, D(2026, 10, 12)),
    ],
)
def test_add_workdays_across_holidays(start, n, expected):
    assert add_workdays(start, n) == expected
    assert workdays_between(start, expected) == n


def test_add_workdays_keeps_the_time_of_day():
    assert add_workdays(dt.datetime(2025, 9, 30, 16, 45), 1) == dt.datetime(2025, 10, 9, 16, 45)
    # Saturday evening and Friday morning give the same day: the starting date is never counted.
    assert add_workdays(dt.datetime(2025, 3, 15, 22, 0), 1) == dt.datetime(2025, 3, 17, 22, 0)
    assert add_workdays(dt.datetime(2025, 3, 14, 9, 0), 1) == dt.datetime(2025, 3, 17, 9, 0)


def test_add_workdays_with_office_hours_cutoff():
    cutoff = dt.time(17, 30)
    # Fri 13 Feb 2026 after hours counts from Sat 14 Feb (a working day), so one day later is 24 Feb.
    assert add_workdays(dt.datetime(2026, 2, 13, 18, 0), 1, cutoff=cutoff) == dt.datetime(2026, 2, 24, 18, 0)
    assert add_workdays(dt.datetime(2026, 2, 13, 17, 0), 1, cutoff=cutoff) == dt.datetime(2026, 2, 14, 17, 0)
    assert add_workdays(D(2026, 2, 13), 1, cutoff=cutoff) == D(2026, 2, 14)  # dates have no time


def test_aware_moments_use_beijing_dates():
    utc = ZoneInfo("UTC")
    # 17:00 UTC on Tue 30 Sep 2025 is 01:00 on Wed 1 Oct in Beijing, inside the holiday.
    moment = dt.datetime(2025, 9, 30, 17, 0, tzinfo=utc)
    result = add_workdays(moment, 1)
    assert result == dt.datetime(2025, 10, 9, 1, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    assert not is_workday(moment)
    assert workdays_between(moment, result) == 1


def test_zero_and_negative_n():
    assert add_workdays(D(2025, 2, 8), 0) == D(2025, 2, 8)  # a working Saturday stays
    assert add_workdays(D(2025, 2, 9), 0) == D(2025, 2, 10)
    assert add_workdays(D(2025, 1, 30), 0) == D(2025, 2, 5)
    assert next_workday(D(2026, 10, 1)) == D(2026, 10, 8)
    assert add_workdays(D(2025, 2, 5), -1) == D(2025, 1, 27)
    assert add_workdays(D(2025, 2, 5), -2) == D(2025, 1, 26)
    assert add_workdays(D(2026, 2, 24), -1) == D(2026, 2, 14)


# --- workdays_between -------------------------------------------------------------------------------


def test_workdays_between_counts_the_end_not_the_start():
    assert workdays_between(D(2025, 1, 24), D(2025, 2, 8)) == 6  # 26, 27 Jan; 5, 6, 7, 8 Feb
    assert workdays_between(D(2025, 2, 8), D(2025, 1, 24)) == -6
    assert workdays_between(D(2025, 9, 30), D(2025, 10, 31)) == 18  # 9, 10, 11 Oct + 3 full weeks
    assert workdays_between(D(2026, 2, 13), D(2026, 2, 27)) == 5  # 14 (调休), 24, 25, 26, 27
    assert workdays_between(D(2026, 2, 13), D(2026, 3, 1)) == 6  # … + Sat 28 Feb (调休); Sun 1 Mar off
    assert workdays_between(D(2025, 3, 12), D(2025, 3, 12)) == 0
    assert workdays_between(dt.datetime(2025, 3, 12, 8), dt.datetime(2025, 3, 13, 20)) == 1


def test_workdays_in_whole_years():
    # 2025: 365 days, 104 weekend days, 18 holiday weekdays (New Year 1, Spring Festival 6, Qingming 1,
    # Labour Day 3, Dragon Boat 1, National Day 6), 5 调休 weekend days worked.
    assert workdays_between(D(2024, 12, 31), D(2025, 12, 31)) == 365 - 104 - 18 + 5 == 248


def brute_force_count(first: dt.date, last: dt.date, overrides: Calendar) -> int:
    return sum(is_workday(d, overrides) for d in days(first + dt.timedelta(1), last))


# Up to the middle of the first year the package lacks, which the calendars below cover as if its schedule
# had been entered: counting 80 working days from there stays inside it.
span = st.dates(min_value=D(2024, 6, 1), max_value=D(UNCOVERED, 6, 30))
override_maps = st.dictionaries(span, st.booleans(), max_size=8).map(
    lambda overrides: Calendar(overrides, frozenset({UNCOVERED}))
)


@given(start=span, n=st.integers(1, 80), overrides=override_maps)
def test_between_inverts_add(start, n, overrides):
    end = add_workdays(start, n, overrides)
    assert is_workday(end, overrides)
    assert workdays_between(start, end, overrides) == n
    assert workdays_between(start, end - dt.timedelta(1), overrides) == n - 1


@given(first=span, last=span, overrides=override_maps)
def test_between_matches_day_by_day_count(first, last, overrides):
    if first <= last:
        assert workdays_between(first, last, overrides) == brute_force_count(first, last, overrides)
    else:
        assert workdays_between(first, last, overrides) == -brute_force_count(last, first, overrides)


# --- Years the package lacks, and overrides ------------------------------------------------------


def test_an_uncovered_year_is_refused_never_taken_as_monday_to_friday():
    """Given no schedule for the first year the package lacks (2027, whose Spring Festival falls on
    6 February), when a day of it is asked about or working days are counted into it, then OutsideCalendar
    names that year — Monday 2027-02-08, in the Spring Festival week, used to count as a working day."""
    with pytest.raises(OutsideCalendar) as info:
        is_workday(D(UNCOVERED, 2, 8))
    assert info.value.year == UNCOVERED and isinstance(info.value, ValueError)
    with pytest.raises(OutsideCalendar) as info:
        add_workdays(D(UNCOVERED - 1, 12, 30), 5)  # 31 Dec is the only working day left in the package
    assert info.value.day == D(UNCOVERED, 1, 1)
    with pytest.raises(OutsideCalendar):
        workdays_between(D(UNCOVERED - 1, 12, 1), D(UNCOVERED, 3, 1))
    with pytest.raises(OutsideCalendar):
        next_workday(D(UNCOVERED, 2, 8))
    with pytest.raises(OutsideCalendar):  # an override row alone does not make a year known
        is_workday(D(UNCOVERED, 2, 8), {D(UNCOVERED, 2, 8): False})


def test_a_year_between_two_covered_ones_is_refused_too():
    """Given the package's years and an entered schedule two years on, when counting runs through the year
    between, then it is refused at that year's first day (the later schedule covers only its own year)."""
    calendar = Calendar({}, frozenset({UNCOVERED + 1}))
    assert is_workday(D(UNCOVERED + 1, 3, 3), calendar)
    with pytest.raises(OutsideCalendar) as info:
        add_workdays(D(UNCOVERED - 1, 12, 30), 400, calendar)
    assert info.value.day == D(UNCOVERED, 1, 1)
    with pytest.raises(OutsideCalendar):
        workdays_between(D(UNCOVERED - 1, 6, 1), D(UNCOVERED + 1, 6, 1), calendar)
    with pytest.raises(OutsideCalendar) as info:
        add_workdays(D(UNCOVERED + 1, 1, 4), -3, calendar)  # backwards into the gap
    assert info.value.day == D(UNCOVERED, 12, 31)


def test_an_entered_schedule_fills_in_an_uncovered_year():
    # e.g. a Spring Festival week entered by the office before the package is updated.
    monday = next(d for d in days(D(UNCOVERED, 2, 1), D(UNCOVERED, 2, 28)) if d.weekday() == 0)
    holiday = {monday + dt.timedelta(i): False for i in range(5)}
    saturday_before = monday - dt.timedelta(2)
    calendar = Calendar({**holiday, saturday_before: True}, frozenset({UNCOVERED}))
    friday_before = monday - dt.timedelta(3)
    assert add_workdays(friday_before, 1, calendar) == saturday_before
    assert add_workdays(friday_before, 2, calendar) == monday + dt.timedelta(7)
    assert workdays_between(friday_before, monday + dt.timedelta(7), calendar) == 2
    # Without the entries the year is plain Monday–Friday once entered (a schedule lists every change).
    assert (
        workdays_between(friday_before, monday + dt.timedelta(7), Calendar({}, frozenset({UNCOVERED}))) == 6
    )
    assert calendar.is_workday(saturday_before) and not calendar.is_workday(monday)


def test_overrides_win_in_a_covered_year():
    overrides = {D(2025, 10, 8): True, D(2025, 3, 12): False}
    assert is_workday(D(2025, 10, 8), overrides)
    assert not is_workday(D(2025, 3, 12), overrides)
    assert add_workdays(D(2025, 9, 30), 1, overrides) == D(2025, 10, 8)
    assert workdays_between(D(2025, 9, 30), D(2025, 10, 31), overrides) == 19


def _django_db():
    """``pytest.mark.django_db`` when pytest-django is active; a skip when run with ``-p no:django``."""
    try:
        return pytest.mark.django_db
    except pytest.fail.Exception:  # --strict-markers and no pytest-django to register the marker
        return pytest.mark.skip(reason="needs pytest-django")


@_django_db()
def test_db_overrides_reads_the_override_table():
    from tongcheng.core.models import WorkdayOverride

    WorkdayOverride.objects.create(day=D(UNCOVERED, 1, 1), is_workday=False, note="元旦")
    WorkdayOverride.objects.create(day=D(UNCOVERED, 1, 2), is_workday=True, note="调休")
    overrides = db_overrides()
    assert overrides == {D(UNCOVERED, 1, 1): False, D(UNCOVERED, 1, 2): True}
    entered = Calendar(overrides, frozenset({UNCOVERED}))  # once the year's schedule is entered
    assert not is_workday(D(UNCOVERED, 1, 1), entered)
    assert is_workday(D(UNCOVERED, 1, 2), entered)
