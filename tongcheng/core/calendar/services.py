"""The only writer of the holiday schedules (see ``tongcheng.kit.services`` for the convention)."""

from __future__ import annotations

import datetime
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils.translation import gettext as _

from tongcheng.core.limits import TextRule
from tongcheng.core.validators import InvalidValue
from tongcheng.kit.services import (
    ConflictError,
    ForbiddenError,
    NotFoundError,
    ValidationFailed,
    audit,
    require,
)

from .coverage import SCHEDULE_FIRST_YEAR, SCHEDULE_LAST_YEAR, base_is_workday
from .models import BASIS_MAX, NOTE_MAX, HolidaySchedule, ScheduleDay
from .rules import may_enter, may_read

__all__ = ["ACTION", "DaySpec", "SavedSchedule", "check_days", "save_schedule"]

ACTION = "calendar.schedule"
MAX_DAYS = 366  # one row per day of a year at most
BASIS_RULE = TextRule(BASIS_MAX, blank=True)
NOTE_RULE = TextRule(NOTE_MAX, blank=True)


@dataclass(frozen=True)
class DaySpec:
    """One row of the form or of an import: a day off or a day worked, with an optional note."""

    day: datetime.date
    is_workday: bool
    note: str = ""


@dataclass
class SavedSchedule:
    schedule: HolidaySchedule
    changed: bool
    warnings: list[str] = field(default_factory=list)


def _row_error(index: int, name: str, code: str, message: Any) -> dict[str, Any]:
    return {"field": f"days.{index}.{name}", "code": code, "message": str(message)}


def check_days(year: int, days: Sequence[DaySpec]) -> tuple[list[DaySpec], list[dict[str, Any]], list[str]]:
    """The rows cleaned, the errors (each naming ``days.<index>.<field>``, index from 0) and the warnings
    of a year's rows; messages name the date, not a row number. A row that agrees with the calendar
    already (a weekend day off, a weekday worked, where no package data says otherwise) is kept but
    warned about: it changes nothing, which usually means a typing slip."""
    errors: list[dict[str, Any]] = []
    warnings: list[str] = []
    cleaned: list[DaySpec] = []
    seen: set[datetime.date] = set()
    if len(days) > MAX_DAYS:
        errors.append(
            {
                "field": "days",
                "code": "too_many_days",
                "message": _("A year has at most %(count)s days; the schedule lists %(given)s.")
                % {"count": MAX_DAYS, "given": len(days)},
            }
        )
        return cleaned, errors, warnings
    for index, spec in enumerate(days):
        try:
            note = NOTE_RULE(spec.note or "")
        except InvalidValue as exc:
            errors.append(_row_error(index, "note", exc.code or "invalid", exc))
            note = ""
        if spec.day.year != year:
            errors.append(
                _row_error(
                    index,
                    "day",
                    "day_outside_year",
                    _("%(date)s is not in %(year)s.") % {"date": spec.day.isoformat(), "year": year},
                )
            )
            continue
        if spec.day in seen:
            errors.append(
                _row_error(
                    index,
                    "day",
                    "duplicate_day",
                    _("%(date)s is listed twice.") % {"date": spec.day.isoformat()},
                )
            )
            continue
        seen.add(spec.day)
        if spec.is_workday == base_is_workday(spec.day):
            warning = (
                _("%(date)s is a working day anyway, so marking it a working day changes nothing.")
                if spec.is_workday
                else _("%(date)s is a day off anyway, so marking it a holiday changes nothing.")
            )
            warnings.append(warning % {"date": spec.day.isoformat()})
        cleaned.append(DaySpec(spec.day, spec.is_workday, note))
    return cleaned, errors, warnings


def _refuse(errors: list[dict[str, Any]]) -> ValidationFailed:
    message = errors[0]["message"] if len(errors) == 1 else _("The schedule has errors; see each one.")
    return ValidationFailed(message, field=errors[0]["field"], errors=errors)


def _day_text(day: datetime.date, is_workday: bool, note: str) -> str:
    return f"{day.isoformat()} {'+' if is_workday else '-'}{' ' + note if note else ''}"


def save_schedule(
    *,
    actor: Any,
    year: int,
    days: Sequence[DaySpec],
    basis: str,
    published_on: datetime.date | None,
    complete: bool,
    expected_version: int,
) -> SavedSchedule:
    """Enter or replace a year's schedule: ``days`` is the whole list of the year's rows. ``expected_version``
    is the version the editor read (0: no schedule existed); anything else is refused with 409.

    A complete schedule covers its year for every working-day computation, so it needs the notice it
    follows (``basis``) and at least one holiday. Unchanged input writes nothing. Pointless rows are kept
    and returned as warnings."""
    if not may_read(actor):
        raise NotFoundError()
    if not may_enter(actor):
        raise ForbiddenError(_("Only the metropolitan-area office enters the holiday schedule."))
    if not SCHEDULE_FIRST_YEAR <= year <= SCHEDULE_LAST_YEAR:
        raise ValidationFailed(
            _("A schedule can be entered for the years %(first)s to %(last)s.")
            % {"first": SCHEDULE_FIRST_YEAR, "last": SCHEDULE_LAST_YEAR},
            field="year",
            code="out_of_range",
        )
    cleaned, errors, warnings = check_days(year, days)
    try:
        basis = BASIS_RULE(basis or "")
    except InvalidValue as exc:
        errors.insert(0, {"field": "basis", "code": exc.code or "invalid", "message": str(exc)})
    if complete and not basis and not any(e["field"] == "basis" for e in errors):
        errors.insert(
            0,
            {
                "field": "basis",
                "code": "basis_required",
                "message": _("Name the State Council notice a complete schedule follows."),
            },
        )
    if complete and not errors and not any(not d.is_workday for d in cleaned):
        errors.append(
            {
                "field": "days",
                "code": "no_holiday",
                "message": _("A complete schedule lists at least one holiday."),
            }
        )
    if errors:
        raise _refuse(errors)

    with transaction.atomic():
        schedule = HolidaySchedule.objects.select_for_update().filter(year=year).first()
        if (schedule.version if schedule else 0) != expected_version:
            raise ConflictError(
                _(
                    "The %(year)s schedule was changed by someone else since you opened it; reload and try again."
                )
                % {"year": year},
                field="version",
            )
        existing = {d.day: d for d in schedule.days.all()} if schedule else {}
        wanted = {d.day: d for d in cleaned}
        added = [wanted[d] for d in sorted(wanted.keys() - existing.keys())]
        removed = [existing[d] for d in sorted(existing.keys() - wanted.keys())]
        changed = [
            (existing[d], wanted[d])
            for d in sorted(wanted.keys() & existing.keys())
            if (existing[d].is_workday, existing[d].note) != (wanted[d].is_workday, wanted[d].note)
        ]
        before = (schedule.basis, schedule.published_on, schedule.complete) if schedule else None
        if (
            schedule is not None
            and not (added or removed or changed)
            and before == (basis, published_on, complete)
        ):
            return SavedSchedule(schedule, changed=False, warnings=warnings)

        change = {
            "added": [_day_text(d.day, d.is_workday, d.note) for d in added],
            "removed": [_day_text(d.day, d.is_workday, d.note) for d in removed],
            "changed": [
                [_day_text(old.day, old.is_workday, old.note), _day_text(new.day, new.is_workday, new.note)]
                for old, new in changed
            ],
        }
        if schedule is None:
            schedule = HolidaySchedule(year=year)
        else:
            schedule.version += 1
        schedule.basis, schedule.published_on, schedule.complete = basis, published_on, complete
        schedule.entered_by = actor
        schedule.last_change = change
        try:
            with transaction.atomic():  # a savepoint: another office may have created the year meanwhile
                schedule.save()
        except IntegrityError as exc:
            raise ConflictError(
                _(
                    "The %(year)s schedule was changed by someone else since you opened it; reload and try again."
                )
                % {"year": year},
                field="version",
            ) from exc

        ScheduleDay.objects.filter(pk__in=[d.pk for d in removed]).delete()
        for old, new in changed:
            old.is_workday, old.note = new.is_workday, new.note
        ScheduleDay.objects.bulk_update([old for old, _new in changed], ["is_workday", "note"])
        ScheduleDay.objects.bulk_create(
            [ScheduleDay(schedule=schedule, day=d.day, is_workday=d.is_workday, note=d.note) for d in added]
        )
        require(actor, "change", schedule)
        data: dict[str, Any] = {"year": year, "version": schedule.version, **change}
        if before is None or before[2] != complete:
            data["complete"] = [before[2] if before else None, complete]
        if before is None or before[0] != basis:
            data["basis"] = [before[0] if before else None, basis]
        if before is None or before[1] != published_on:
            data["published_on"] = [
                before[1].isoformat() if before and before[1] else None,
                published_on.isoformat() if published_on else None,
            ]
        audit(actor, ACTION, schedule, data)
    return SavedSchedule(schedule, changed=True, warnings=warnings)
