"""Working-day calendar: Chinese statutory holidays and adjusted working weekends (调休).

Base calendar: the ``chinesecalendar`` package (import name ``chinese_calendar``) for the years it
covers (:func:`covered_years`); for other years, Monday–Friday work and weekends are off. An override
mapping ``{date: is_workday}`` wins over both — it fills in years the package lacks (the
``WorkdayOverride`` table, see :func:`db_overrides`) and can correct a covered year.

The pure functions take overrides as an argument; callers in a request pass ``db_overrides()``.

Counting rules (the usual reading of "…之日起N个工作日内": the starting day itself is not counted):

* ``add_workdays(moment, n)`` for n ≥ 1 returns the same time of day on the n-th working day *after*
  the moment's calendar date. A moment on a Saturday or on a Friday evening both give Monday for n=1 —
  office hours play no part unless ``cutoff`` is given: a moment at or after ``cutoff`` counts as the
  next calendar day. n = 0 rolls forward to the first working day on or after the date (unchanged if
  it is one); n < 0 gives the |n|-th working day strictly before the date.
* ``workdays_between(start, end)`` counts working days d with start's date < d ≤ end's date (negative
  when end is before start). So ``workdays_between(m, add_workdays(m, n)) == n`` for every n ≥ 1.

Aware datetimes are read in Asia/Shanghai (the calendar is Beijing's) and returned in that zone;
naive datetimes and dates are taken as they are.

Range (:func:`supported_years`): from the package's first year (or the earliest override, if earlier) to
``limits.WORKDAYS_LAST_YEAR`` (or the latest override, if later). Before it the package knows no
holidays, so a weekday count would be wrong; after it nothing is meant to be planned. A date outside,
given or reached by counting, raises :class:`OutsideCalendar` (a ``ValueError`` naming the date) instead
of a wrong answer or an overflow at year 9999.
"""

from __future__ import annotations

import bisect
import datetime
from collections.abc import Mapping
from functools import lru_cache
from typing import TypeVar
from zoneinfo import ZoneInfo

import chinese_calendar

from .limits import WORKDAYS_LAST_YEAR

__all__ = [
    "OutsideCalendar",
    "add_workdays",
    "check_in_calendar",
    "covered_years",
    "db_overrides",
    "is_workday",
    "next_workday",
    "supported_years",
    "workdays_between",
]

SHANGHAI = ZoneInfo("Asia/Shanghai")
Moment = TypeVar("Moment", datetime.date, datetime.datetime)
Overrides = Mapping[datetime.date, bool]
_NO_OVERRIDES: Overrides = {}


@lru_cache(maxsize=1)
def covered_years() -> range:
    """The years ``chinesecalendar`` has official holiday data for (e.g. range(2004, 2027))."""
    years = [d.year for d in chinese_calendar.holidays]
    return range(min(years), max(years) + 1)


def supported_years(overrides: Overrides | None = None) -> range:
    """The years dates may fall in: the package's years and the override table's, and on to
    ``WORKDAYS_LAST_YEAR`` (weekdays plus overrides after the package's last year)."""
    years = [_as_date(d).year for d in (overrides or _NO_OVERRIDES)]
    # Never the first or last year Python can represent: a time-zone shift or one more step of counting
    # must stay representable, so that the answer is a clear refusal rather than an overflow.
    first = max(min([covered_years().start, *years]), datetime.MINYEAR + 1)
    last = min(max([WORKDAYS_LAST_YEAR, *years]), datetime.MAXYEAR - 1)
    return range(first, last + 1)


class OutsideCalendar(ValueError):
    """A date the working-day calendar does not cover: ``day`` was given, or counting reached it."""

    def __init__(self, day: datetime.date, years: range):
        self.day = day
        self.years = years
        super().__init__(f"{day.isoformat()} is outside the years {years.start}–{years.stop - 1}")


def check_in_calendar(moment: datetime.date, overrides: Overrides | None = None) -> datetime.date:
    """The moment's calendar date (in Beijing), or OutsideCalendar. The moment's own year is checked
    before it is converted to Beijing time, since the conversion itself overflows near years 1 and 9999."""
    years = supported_years(overrides)
    if moment.year not in years:
        raise OutsideCalendar(moment.date() if isinstance(moment, datetime.datetime) else moment, years)
    day = _as_date(moment)
    if day.year not in years:
        raise OutsideCalendar(day, years)
    return day


@lru_cache(maxsize=256)
def _year_workdays(year: int) -> tuple[datetime.date, ...]:
    """All base-calendar working days of a year, sorted (cached: a year is ~250 dates)."""
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


def is_workday(day: datetime.date, overrides: Overrides | None = None) -> bool:
    """True if ``day`` (a date, or a datetime's date) is a working day."""
    day = _as_date(day)
    if overrides and day in overrides:
        return bool(overrides[day])
    return day in _year_workday_set(day.year)


def next_workday(day: datetime.date, overrides: Overrides | None = None) -> datetime.date:
    """The first working day on or after ``day``."""
    return _as_date(add_workdays(_as_date(day), 0, overrides))


def add_workdays(
    moment: Moment,
    n: int,
    overrides: Overrides | None = None,
    *,
    cutoff: datetime.time | None = None,
) -> Moment:
    """The moment moved to the n-th working day after its date, same time of day (see module doc)."""
    overrides = overrides or _NO_OVERRIDES
    day = check_in_calendar(moment, overrides)
    local = moment.astimezone(SHANGHAI) if _is_aware(moment) else moment
    if cutoff is not None and isinstance(local, datetime.datetime) and local.time() >= cutoff:
        day += datetime.timedelta(days=1)
    target = _shift(day, n, overrides)
    if isinstance(local, datetime.datetime):
        return local.replace(year=target.year, month=target.month, day=target.day)
    return target


def _is_aware(moment: datetime.date) -> bool:
    return isinstance(moment, datetime.datetime) and moment.tzinfo is not None


def _shift(day: datetime.date, n: int, overrides: Overrides) -> datetime.date:
    if n == 0:
        step, remaining = 1, 1
        day -= datetime.timedelta(days=1)  # so that the day itself is the first candidate
    else:
        step, remaining = (1 if n > 0 else -1), abs(n)
    one = datetime.timedelta(days=step)
    years = supported_years(overrides)
    last, first = datetime.date(years.stop - 1, 12, 31), datetime.date(years.start, 1, 1)
    while remaining:
        # Checked before the step, which would itself overflow at the ends of Python's calendar.
        if (step > 0 and day >= last) or (step < 0 and day <= first):
            raise OutsideCalendar(day + one, years)
        day += one
        if is_workday(day, overrides):
            remaining -= 1
    return day


def workdays_between(
    start: datetime.date,
    end: datetime.date,
    overrides: Overrides | None = None,
) -> int:
    """Working days d with start's date < d ≤ end's date; negative if end is before start."""
    check_in_calendar(start, overrides)
    check_in_calendar(end, overrides)
    first, last = _as_date(start), _as_date(end)
    if last < first:
        return -workdays_between(end, start, overrides)
    count = sum(_base_count(year, first, last) for year in range(first.year, last.year + 1))
    for day, works in (overrides or _NO_OVERRIDES).items():
        day = _as_date(day)
        if first < day <= last and bool(works) != (day in _year_workday_set(day.year)):
            count += 1 if works else -1
    return count


def _base_count(year: int, first: datetime.date, last: datetime.date) -> int:
    """Base-calendar working days of ``year`` in (first, last]."""
    days = _year_workdays(year)
    return bisect.bisect_right(days, last) - bisect.bisect_right(days, first)


def db_overrides() -> dict[datetime.date, bool]:
    """All rows of the ``WorkdayOverride`` table as ``{day: is_workday}`` (one query)."""
    from tongcheng.core.models import WorkdayOverride  # lazy: this module must import without Django

    return dict(WorkdayOverride.objects.values_list("day", "is_workday"))
