"""The warning that a year's holiday schedule is missing.

The State Council publishes next year's holiday notice in the autumn, normally in November. From
1 November on (``WARN_FROM``), every office is told when next year is neither in the calendar package nor
entered; the current year, if it is missing, is warned about all year (no deadline in it can be
computed). The home page shows it to office users (``templatetags/core_calendar.py``); a periodic job can
call ``missing_schedule_warning(today())`` to notify them — register it once the scheduler exists.
"""

from __future__ import annotations

import datetime
from collections.abc import Iterable
from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from .coverage import package_years
from .selectors import entered_years

__all__ = ["WARN_FROM", "ScheduleWarning", "missing_schedule_warning", "missing_years", "today"]

WARN_FROM = (11, 1)  # (month, day) from which next year's schedule is expected


def today() -> datetime.date:
    """Today in the site's time zone (Beijing); tests replace this function to move the date."""
    return timezone.localdate()


def missing_years(day: datetime.date, entered: Iterable[int] | None = None) -> list[int]:
    """The years to warn about on ``day``: this year, and from ``WARN_FROM`` on next year, each when
    neither the package nor a complete entered schedule covers it."""
    wanted = [day.year]
    if (day.month, day.day) >= WARN_FROM:
        wanted.append(day.year + 1)
    covered = {*package_years(), *(entered_years() if entered is None else entered)}
    return [year for year in wanted if year not in covered]


@dataclass(frozen=True)
class ScheduleWarning:
    years: tuple[int, ...]

    @property
    def messages(self) -> list[str]:
        return [
            _(
                "The holiday schedule for %(year)s has not been entered, so no deadline reaching into "
                "%(year)s can be computed. The metropolitan-area office must enter it from the State "
                "Council notice."
            )
            % {"year": year}
            for year in self.years
        ]


def missing_schedule_warning(day: datetime.date) -> ScheduleWarning | None:
    """The warning due on ``day``, or None (one query)."""
    years = missing_years(day)
    return ScheduleWarning(tuple(years)) if years else None
