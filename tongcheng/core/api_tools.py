"""API router for the shared tools: working-day arithmetic and identifier checks, so that other systems
apply the same rules as Tongcheng."""

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from tongcheng.core.calendar.errors import outside_calendar_error
from tongcheng.kit.services import NotFoundError, ValidationFailed

from . import workdays
from .limits import WORKDAYS_N_MAX
from .lookups import check_division_code_at
from .schemas import ErrorOut
from .validators import InvalidValue, check_id_number, check_phone, check_uscc, mask_id_number

router = Router(tags=["tools"])


class WorkdaysAddOut(Schema):
    start: dt.datetime
    workdays: int
    result: dt.datetime


class WorkdaysBetweenOut(Schema):
    start: dt.date
    end: dt.date
    workdays: int


class CheckOut(Schema):
    kind: str
    valid: bool
    value: str
    code: str | None = None
    message: str | None = None


def _outside(exc: workdays.OutsideCalendar, field: str) -> ValidationFailed:
    return outside_calendar_error(exc.day, field=field)


@router.get(
    "/workdays/add", response={200: WorkdaysAddOut, 422: ErrorOut}, summary="Add N working days to a moment"
)
def workdays_add(request: HttpRequest, start: dt.datetime, n: int):
    """Statutory holidays and 调休 working weekends included; the holiday schedules the office entered and
    the overrides from the database apply. ``start`` and every year counted into must be covered — by the
    calendar package or by an entered complete schedule — else 422 ``outside_calendar`` names the field."""
    if abs(n) > WORKDAYS_N_MAX:
        raise ValidationFailed(
            _("n must be between %(min)s and %(max)s.") % {"min": -WORKDAYS_N_MAX, "max": WORKDAYS_N_MAX},
            field="n",
            code="out_of_range",
        )
    calendar = workdays.db_calendar()
    try:
        workdays.check_in_calendar(start, calendar)
    except workdays.OutsideCalendar as exc:
        raise _outside(exc, "start") from exc
    try:
        result = workdays.add_workdays(start, n, calendar)
    except workdays.OutsideCalendar as exc:  # counting from a good start reached a year not covered
        raise _outside(exc, "n") from exc
    return WorkdaysAddOut(start=start, workdays=n, result=result)


@router.get(
    "/workdays/between",
    response={200: WorkdaysBetweenOut, 422: ErrorOut},
    summary="Count working days between two dates",
)
def workdays_count(request: HttpRequest, start: dt.date, end: dt.date):
    """Working days after ``start`` up to and including ``end`` (negative when end comes first). Both
    dates and every year between them must be covered (422 ``outside_calendar``; a year between them is
    laid to ``end``)."""
    calendar = workdays.db_calendar()
    for field, day in (("start", start), ("end", end)):
        try:
            workdays.check_in_calendar(day, calendar)
        except workdays.OutsideCalendar as exc:
            raise _outside(exc, field) from exc
    try:
        count = workdays.workdays_between(start, end, calendar)
    except workdays.OutsideCalendar as exc:
        raise _outside(exc, "end") from exc
    return WorkdaysBetweenOut(start=start, end=end, workdays=count)


CHECKS = {
    "uscc": check_uscc,
    "id_number": check_id_number,
    "phone": check_phone,
}


@router.get("/check/{kind}", response={200: CheckOut, 404: ErrorOut}, summary="Check an identifier")
def check_value(request: HttpRequest, kind: str, value: str, at: dt.date | None = None):
    """kind: uscc (统一社会信用代码), id_number (居民身份证号码), phone, division (GB/T 2260 code at a date).
    An ID number is echoed masked."""
    try:
        if kind == "division":
            normalised = check_division_code_at(value, at).code
        elif kind in CHECKS:
            normalised = CHECKS[kind](value)
        else:
            raise NotFoundError()
    except InvalidValue as exc:
        return CheckOut(
            kind=kind,
            valid=False,
            value=mask_id_number(value) if kind == "id_number" else value,
            code=exc.code,
            message=str(exc),
        )
    shown = mask_id_number(normalised) if kind == "id_number" else normalised
    return CheckOut(kind=kind, valid=True, value=shown)
