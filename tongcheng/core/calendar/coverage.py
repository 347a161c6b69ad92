"""Which years the statutory calendar is known for, from the package alone (no Django import).

The ``chinesecalendar`` package (import name ``chinese_calendar``) carries the State Council's holiday
notices up to the year of its last release; a later year is *not* Monday–Friday — it has a Spring
Festival, a National Day and 调休 weekends nobody knows until the notice is published (normally in
November of the year before). So a year the package lacks is covered only once an office has entered
that year's schedule (``models.HolidaySchedule`` with ``complete=True``).
"""

from __future__ import annotations

import datetime
from functools import lru_cache

import chinese_calendar

__all__ = ["SCHEDULE_FIRST_YEAR", "SCHEDULE_LAST_YEAR", "base_is_workday", "package_years"]

# The years a schedule may be entered for. The bounds keep a typing slip (20277) out and every date the
# arithmetic reaches far from the ends of Python's calendar, where one more day would overflow.
SCHEDULE_FIRST_YEAR = 2000
SCHEDULE_LAST_YEAR = 2100


@lru_cache(maxsize=1)
def package_years() -> range:
    """The years ``chinesecalendar`` has official holiday data for (range(2004, 2027) with 1.11.0)."""
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def base_is_workday(day: datetime.date) -> bool:
    """What a day is before any schedule: the package's answer in its years, else Monday–Friday."""
    if day.year in package_years():
        return bool(chinese_calendar.is_workday(day))
    return day.weekday() < 5


def package_days(year: int) -> list[tuple[datetime.date, bool, str, str]]:
    """The days of a package year that differ from Monday–Friday, as ``(day, is_workday, festival in
    English, festival in Chinese)``: the holidays on weekdays and the 调休 weekends worked."""
    if year not in package_years():
        return []
    names = {h.value: h.chinese for h in chinese_calendar.Holiday}
    first = datetime.date(year, 1, 1)
    rows = []
    for offset in range((datetime.date(year + 1, 1, 1) - first).days):
        day = first + datetime.timedelta(offset)
        works = bool(chinese_calendar.is_workday(day))
        if works != (day.weekday() < 5):
            _on_holiday, name = chinese_calendar.get_holiday_detail(day)
            rows.append((day, works, name or "", names.get(name or "", "")))
    return rows
