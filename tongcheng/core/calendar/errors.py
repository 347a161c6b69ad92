"""The refusal a service or an endpoint gives when a computation reaches a year without a calendar.

Usage (a module's service, or an API endpoint)::

    try:
        due = workdays.add_workdays(received_at, item.limit, workdays.db_calendar())
    except workdays.OutsideCalendar as exc:
        raise outside_calendar_error(exc.day, field="received_at") from exc

The answer is 422 ``outside_calendar`` naming the field, with a message in the user's language that
names the year and says who must enter it."""

from __future__ import annotations

import datetime

from django.utils.translation import gettext as _

from tongcheng.kit.services import ValidationFailed

__all__ = ["CODE", "outside_calendar_error", "outside_calendar_message"]

CODE = "outside_calendar"


def outside_calendar_message(day: datetime.date) -> str:
    return _(
        "Working days cannot be computed for %(year)s (the date %(date)s lies in it): that year's holiday "
        "schedule has not been entered. The metropolitan-area office must enter it on the calendar page."
    ) % {"year": day.year, "date": day.isoformat()}


def outside_calendar_error(day: datetime.date, field: str | None = None) -> ValidationFailed:
    return ValidationFailed(outside_calendar_message(day), field=field, code=CODE)
