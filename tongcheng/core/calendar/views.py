"""The calendar pages: the covered years, and one year's schedule with its form for the metropolitan-area
office. Thin: reads through ``visible_to`` and the selectors, writes through ``services.save_schedule``."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import translation
from django.utils.translation import gettext as _

from tongcheng.kit.access import can
from tongcheng.kit.services import ServiceError

from . import checks
from .coverage import SCHEDULE_FIRST_YEAR, SCHEDULE_LAST_YEAR, package_days, package_years
from .forms import HOLIDAY, WORKDAY, DayFormSet, ScheduleForm
from .models import HolidaySchedule
from .rules import may_enter, may_read
from .selectors import year_rows
from .services import DaySpec, save_schedule


def _readable(request: HttpRequest) -> None:
    if not may_read(request.user):
        raise Http404


@login_required
def calendar_list(request: HttpRequest) -> HttpResponse:
    _readable(request)
    today = checks.today()
    context = {
        "rows": year_rows(request.user, today),
        "today": today,
        "can_enter": may_enter(request.user),
        "warning": checks.missing_schedule_warning(today),
    }
    return render(request, "kit/calendar_list.html", context)


def _history(request: HttpRequest, schedule: HolidaySchedule | None) -> list[dict[str, Any]] | None:
    """Each save of the schedule, newest first, with the days it added, removed and changed."""
    if schedule is None or not can(request.user, "history", schedule):
        return None
    records = schedule.history.select_related("history_user").order_by("-history_date", "-history_id")[:50]
    return [
        {
            "at": r.history_date,
            "user": r.history_user,
            "version": r.version,
            "complete": r.complete,
            "basis": r.basis,
            "added": (r.last_change or {}).get("added", []),
            "removed": (r.last_change or {}).get("removed", []),
            "changed": (r.last_change or {}).get("changed", []),
        }
        for r in records
    ]


def _initial_rows(schedule: HolidaySchedule | None) -> list[dict[str, Any]]:
    if schedule is None:
        return []
    return [
        {"day": d.day, "kind": WORKDAY if d.is_workday else HOLIDAY, "note": d.note}
        for d in schedule.days.all()
    ]


def _show_errors(exc: ServiceError, form: ScheduleForm, formset: Any, row_forms: list[Any]) -> None:
    """Put each error of the service beside the field it names (``basis``, ``days.<i>.<field>``)."""
    for item in exc.errors or [{"field": exc.field, "message": str(exc.message)}]:
        name = item.get("field") or ""
        parts = name.split(".")
        if name in form.fields and name != "version":
            form.add_error(name, item["message"])
        elif len(parts) == 3 and parts[0] == "days" and parts[1].isdigit() and int(parts[1]) < len(row_forms):
            row_forms[int(parts[1])].add_error(
                parts[2] if parts[2] in ("day", "note") else None, item["message"]
            )
        else:
            form.add_error(None, item["message"])


@login_required
def calendar_year(request: HttpRequest, year: int) -> HttpResponse:
    _readable(request)
    if not SCHEDULE_FIRST_YEAR <= year <= SCHEDULE_LAST_YEAR:
        raise Http404
    schedule = HolidaySchedule.objects.visible_to(request.user).filter(year=year).first()
    can_enter = may_enter(request.user)
    if request.method == "POST" and not can_enter:
        raise PermissionDenied
    form = formset = None
    status = 200
    if can_enter:
        initial = {
            "basis": schedule.basis if schedule else "",
            "published_on": schedule.published_on if schedule else None,
            "complete": schedule.complete if schedule else False,
            "version": schedule.version if schedule else 0,
        }
        if request.method == "POST":
            form = ScheduleForm(request.POST)
            formset = DayFormSet(request.POST, prefix="days")
        else:
            form = ScheduleForm(initial=initial)
            formset = DayFormSet(initial=_initial_rows(schedule), prefix="days")
        if request.method == "POST":
            if form.is_valid() and formset.is_valid():
                row_forms = [f for f in formset.forms if f.cleaned_data.get("day")]
                specs = [
                    DaySpec(f.cleaned_data["day"], f.cleaned_data["kind"] == WORKDAY, f.cleaned_data["note"])
                    for f in row_forms
                ]
                try:
                    saved = save_schedule(
                        actor=request.user,
                        year=year,
                        days=specs,
                        basis=form.cleaned_data["basis"],
                        published_on=form.cleaned_data["published_on"],
                        complete=form.cleaned_data["complete"],
                        expected_version=form.cleaned_data["version"],
                    )
                except ServiceError as exc:
                    if exc.status == 403:
                        raise PermissionDenied from exc
                    if exc.status == 404:
                        raise Http404 from exc
                    _show_errors(exc, form, formset, row_forms)
                    status = exc.status
                else:
                    for warning in saved.warnings:
                        messages.warning(request, warning)
                    if saved.changed:
                        messages.success(request, _("The %(year)s schedule is saved.") % {"year": year})
                    else:
                        messages.info(request, _("Nothing changed."))
                    return redirect("calendar_year", year=year)
            else:
                status = 422
    chinese = translation.get_language() or ""
    context = {
        "year": year,
        "schedule": schedule,
        "days": list(schedule.days.all()) if schedule else [],
        "in_package": year in package_years(),
        "package_days": [
            {"day": day, "is_workday": works, "name": zh if chinese.startswith("zh") else en}
            for day, works, en, zh in package_days(year)
        ],
        "covered": year in package_years() or bool(schedule and schedule.complete),
        "form": form,
        "formset": formset,
        "history": _history(request, schedule),
    }
    return render(request, "kit/calendar_year.html", context, status=status)
