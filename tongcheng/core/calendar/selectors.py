"""Reads of the holiday schedules: what the working-day functions use, and the list of years for the page.

The calendar is reference data every computation needs, so ``complete_schedules`` is not scoped to a
user: a deadline is the same whoever computes it. The pages read through ``visible_to``."""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from .coverage import package_years
from .models import HolidaySchedule, ScheduleDay

__all__ = ["YearRow", "complete_schedules", "entered_years", "year_rows"]


def complete_schedules() -> list[tuple[int, dict[datetime.date, bool]]]:
    """Every complete schedule as ``(year, {day: is_workday})`` (two queries)."""
    years = list(HolidaySchedule.objects.filter(complete=True).values_list("year", flat=True))
    days: dict[int, dict[datetime.date, bool]] = {year: {} for year in years}
    for year, day, works in ScheduleDay.objects.filter(schedule__year__in=years).values_list(
        "schedule__year", "day", "is_workday"
    ):
        days[year][day] = works
    return sorted(days.items())


def entered_years() -> set[int]:
    """The years a complete schedule covers."""
    return set(HolidaySchedule.objects.filter(complete=True).values_list("year", flat=True))


@dataclass(frozen=True)
class YearRow:
    year: int
    in_package: bool
    schedule: HolidaySchedule | None

    @property
    def covered(self) -> bool:
        return self.in_package or bool(self.schedule and self.schedule.complete)


def year_rows(user: Any, today: datetime.date) -> list[YearRow]:
    """The years of the list page, newest first: the package's years, every year a schedule was entered
    for, and the current and the next year (the ones an office has to look after)."""
    schedules = {s.year: s for s in HolidaySchedule.objects.visible_to(user).select_related("entered_by")}
    package = package_years()
    years = {*schedules, today.year, today.year + 1, *package}
    return [YearRow(y, y in package, schedules.get(y)) for y in sorted(years, reverse=True)]
