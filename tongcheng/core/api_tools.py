"""API router for the shared tools: working-day arithmetic and identifier checks, so that other systems
apply the same rules as Tongcheng."""

import datetime as dt

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Router, Schema

from . import workdays
from .lookups import check_division_code_at
from .schemas import ErrorOut
from .services.base import NotFoundError, ValidationFailed
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


@router.get("/workdays/add", response=WorkdaysAddOut, summary="Add N working days to a moment")
def workdays_add(request: HttpRequest, start: dt.datetime, n: int):
    """Statutory holidays and 调休 working weekends included; overrides from the database apply."""
    if abs(n) > 3650:
        raise ValidationFailed(_("n must be between -3650 and 3650."), field="n", code="out_of_range")
    result = workdays.add_workdays(start, n, workdays.db_overrides())
    return WorkdaysAddOut(start=start, workdays=n, result=result)


@router.get("/workdays/between", response=WorkdaysBetweenOut, summary="Count working days between two dates")
def workdays_count(request: HttpRequest, start: dt.date, end: dt.date):
    """Working days after ``start`` up to and including ``end`` (negative when end comes first)."""
    if abs((end - start).days) > 36600:
        raise ValidationFailed(
            _("The dates are more than 100 years apart."), field="end", code="out_of_range"
        )
    return WorkdaysBetweenOut(
        start=start, end=end, workdays=workdays.workdays_between(start, end, workdays.db_overrides())
    )


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
