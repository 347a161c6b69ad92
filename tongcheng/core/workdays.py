"""Working-day calendar: Chinese statutory holidays and adjusted working weekends (调休).

A year is **covered** when the ``chinesecalendar`` package has its holiday data (:func:`covered_years`)
or when the office has entered that year's complete holiday schedule (the kit's ``HolidaySchedule``,
read by :func:`db_calendar`). Any computation that touches a year that is not covered — given a date in
it, or counting into it — raises :class:`OutsideCalendar` naming the year: an uncovered year is never
taken as plain Monday–Friday, since its Spring Festival week and 调休 weekends are unknown until the
State Council's notice is entered.

A :class:`Calendar` holds what the database adds to the package: the years covered by an entered
schedule, and the days that differ from the base calendar (the package's year, or Monday–Friday for a
year covered by a schedule only). Precedence for a day: the entered complete schedule of its year, then
the legacy ``WorkdayOverride`` table, then the package (or Monday–Friday). The pure functions take a
calendar (or, as before, a bare ``{date: is_workday}`` mapping of overrides, which covers no new year);
callers in a request pass ``db_calendar()``.

Counting rules (the usual reading of "…之日起N个工作日内": the starting day itself is not counted):

* ``add_workdays(moment, n)`` for n ≥ 1 returns the same time of day on the n-th working day *after*
  the moment's calendar date. A moment on a Saturday or on a Friday evening both give Monday for n=1 —
  office hours play no part unless ``cutoff`` is given: a moment at or after ``cutoff`` counts as the
  next calendar day. n = 0 rolls forward to the first working day on or after the date (unchanged if
  it is one); n < 0 gives the |n|-th working day strictly before the date.
* ``workdays_between(start, end)`` counts working days d with start's date < d ≤ end's date (negative
  when end is before start). So ``workdays_between(m, add_workdays(m, n)) == n`` for every n ≥ 1.

Aware datetimes are read in Asia/Shanghai (the calendar is Beijing's) and returned in that zone;
naive datetimes and dates are taken as they are. A moment's own year is checked before it is converted
to Beijing time, since the conversion itself overflows near years 1 and 9999.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

import chinese_calendar

from tongcheng.core.calendar.coverage import package_years

__all__ = [
    "Calendar",
    "OutsideCalendar",
    "PACKAGE_CALENDAR",
    "add_workdays",
    "check_in_calendar",
    "covered_years",
    "db_calendar",
    "db_overrides",
    "is_workday",
    "next_workday",
    "workdays_between",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
Moment = TypeVar("Moment", datetime.date, datetime.datetime)
Overrides = Mapping[datetime.date, bool]


def covered_years() -> range:
    """The years ``chinesecalendar`` has official holiday data for (e.g. range(2004, 2027))."""
    return package_years()


@dataclass(frozen=True)
class Calendar:
    """The package's calendar plus what the office entered.

    ``entered_years``: years covered by a complete entered schedule. ``overrides``: ``{day: is_workday}``
    for days that differ from the base calendar; an override in a year that is neither in the package
    nor entered covers nothing (the year stays outside)."""

    overrides: Overrides = field(default_factory=dict)
    entered_years: frozenset[int] = frozenset()

    def __post_init__(self) -> None:
        # One step past a covered year must stay representable, so that the answer is a clear refusal.
        wrong = [y for y in self.entered_years if not datetime.MINYEAR < y < datetime.MAXYEAR]
        if wrong:
            raise ValueError(f"years outside what the calendar can represent: {sorted(wrong)}")

    def covers(self, year: int) -> bool:
        return year in covered_years() or year in self.entered_years

    def is_workday(self, day: datetime.date) -> bool:
        return is_workday(day, self)

    def next_workday(self, day: datetime.date) -> datetime.date:
        return next_workday(day, self)

    def add_workdays(self, moment: Moment, n: int, *, cutoff: datetime.time | None = None) -> Moment:
        return add_workdays(moment, n, self, cutoff=cutoff)

    def workdays_between(self, start: datetime.date, end: datetime.date) -> int:
        return workdays_between(start, end, self)


PACKAGE_CALENDAR = Calendar()


def _calendar(calendar: Calendar | Overrides | None) -> Calendar:
    if calendar is None:
        return PACKAGE_CALENDAR
    if isinstance(calendar, Calendar):
        return calendar
    return Calendar(overrides=calendar)


class OutsideCalendar(ValueError):
    """A date in a year the calendar does not cover: ``day`` was given, or counting reached it."""

    def __init__(self, day: datetime.date):
        self.day = day
        self.year = day.year
        super().__init__(
            f"{day.isoformat()}: no working-day calendar for {day.year} (neither the chinesecalendar "
            "package nor an entered holiday schedule covers it)"
        )


def _check_year(day: datetime.date, calendar: Calendar) -> None:
    if not calendar.covers(day.year):
        raise OutsideCalendar(day)


def check_in_calendar(moment: datetime.date, calendar: Calendar | Overrides | None = None) -> datetime.date:
    """The moment's calendar date (in Beijing), or OutsideCalendar. The moment's own year is checked
    before it is converted to Beijing time, since the conversion itself overflows near years 1 and 9999."""
    calendar = _calendar(calendar)
    _check_year(moment.date() if isinstance(moment, datetime.datetime) else moment, calendar)
    day = _as_date(moment)
    _check_year(day, calendar)
    return day


@lru_cache(maxsize=256)
def _year_workdays(year: int) -> tuple[datetime.date, ...]:
    """All base-calendar working days of a year, sorted (cached: a year is ~250 dates). The base of a
    year the package lacks is Monday–Friday; it is used only once a schedule covers that year."""
    first = datetime.date(year, 1, 1)
    days = (first + datetime.timedelta(n) for n in range((datetime.date(year + 1, 1, 1) - first).days))
    if year in covered_years():
        return tuple(d for d in days if chinese_calendar.is_workday(d))
    return tuple(d for d in days if d.weekday() < 5)


@lru_cache(maxsize=256)
def _year_workday_set(year: int) -> frozenset[datetime.date]:
    return frozenset(_year_workdays(year))


def _as_date(moment: datetime.date) -> datetime.date:
    if isinstance(moment, datetime.datetime):
        if moment.tzinfo is not None:
            moment = moment.astimezone(SHANGHAI)
        return moment.date()
    return moment


def _is_workday(day: datetime.date, calendar: Calendar) -> bool:
    """``day`` must be a date in a covered year."""
    if day in calendar.overrides:
        return bool(calendar.overrides[day])
    return day in _year_workday_set(day.year)


def is_workday(day: datetime.date, calendar: Calendar | Overrides | None = None) -> bool:
    """True if ``day`` (a date, or a datetime's date in Beijing) is a working day."""
    calendar = _calendar(calendar)
    return _is_workday(check_in_calendar(day, calendar), calendar)


def next_workday(day: datetime.date, calendar: Calendar | Overrides | None = None) -> datetime.date:
    """The first working day on or after ``day``."""
    return _as_date(add_workdays(_as_date(day), 0, calendar))


def add_workdays(
    moment: Moment,
    n: int,
    calendar: Calendar | Overrides | None = None,
    *,
    cutoff: datetime.time | None = None,
) -> Moment:
    """The moment moved to the n-th working day after its date, same time of day (see module doc)."""
    calendar = _calendar(calendar)
    day = check_in_calendar(moment, calendar)
    local = (
        moment.astimezone(SHANGHAI) if isinstance(moment, datetime.datetime) and _is_aware(moment) else moment
    )
    if cutoff is not None and isinstance(local, datetime.datetime) and local.time() >= cutoff:
        day += datetime.timedelta(days=1)
        _check_year(day, calendar)
    target = _shift(day, n, calendar)
    if isinstance(local, datetime.datetime):
        return local.replace(year=target.year, month=target.month, day=target.day)
    return target


def _is_aware(moment: datetime.date) -> bool:
    return isinstance(moment, datetime.datetime) and moment.tzinfo is not None


def _shift(day: datetime.date, n: int, calendar: Calendar) -> datetime.date:
    """``day`` lies in a covered year; each step into another year checks that year first."""
    if n == 0:
        step, remaining = 1, 1
        day -= datetime.timedelta(days=1)  # so that the day itself is the first candidate
    else:
        step, remaining = (1 if n > 0 else -1), abs(n)
    one = datetime.timedelta(days=step)
    while remaining:
        following = day + one  # never overflows: covered years stay inside (MINYEAR, MAXYEAR)
        if following.year != day.year:
            _check_year(following, calendar)
        day = following
        if _is_workday(day, calendar):
            remaining -= 1
    return day


def workdays_between(
    start: datetime.date,
    end: datetime.date,
    calendar: Calendar | Overrides | None = None,
) -> int:
    """Working days d with start's date < d ≤ end's date; negative if end is before start. Every year
    from the earlier date to the later one must be covered."""
    calendar = _calendar(calendar)
    first = check_in_calendar(start, calendar)
    last = check_in_calendar(end, calendar)
    if last < first:
        return -workdays_between(end, start, calendar)
    for year in range(first.year + 1, last.year):
        _check_year(datetime.date(year, 1, 1), calendar)
    count = sum(_base_count(year, first, last) for year in range(first.year, last.year + 1))
    for day, works in calendar.overrides.items():
        day = _as_date(day)
        if first < day <= last and bool(works) != (day in _year_workday_set(day.year)):
            count += 1 if works else -1
    return count


def _base_count(year: int, first: datetime.date, last: datetime.date) -> int:
    """Base-calendar working days of ``year`` in (first, last]."""
    days = _year_workdays(year)
    return bisect.bisect_right(days, last) - bisect.bisect_right(days, first)


def merge(
    schedules: Iterable[tuple[int, Mapping[datetime.date, bool]]], legacy: Overrides | None = None
) -> Calendar:
    """A calendar from entered complete schedules ``(year, {day: is_workday})`` and the legacy override
    table; an entered schedule wins over a legacy override of its year."""
    overrides: dict[datetime.date, bool] = dict(legacy or {})
    years: set[int] = set()
    for year, days in schedules:
        years.add(year)
        overrides.update({day: bool(works) for day, works in days.items() if day.year == year})
    return Calendar(overrides=overrides, entered_years=frozenset(years))


def db_calendar() -> Calendar:
    """The calendar with what the database holds: the complete holiday schedules the office entered and
    the legacy ``WorkdayOverride`` rows (three queries)."""
    # Lazy: this module must import without Django.
    from tongcheng.core.calendar.selectors import complete_schedules

    return merge(complete_schedules(), db_overrides())


def db_overrides() -> dict[datetime.date, bool]:
    """All rows of the legacy ``WorkdayOverride`` table as ``{day: is_workday}`` (one query)."""
    from tongcheng.core.models import WorkdayOverride  # lazy: this module must import without Django

    return dict(WorkdayOverride.objects.values_list("day", "is_workday"))
