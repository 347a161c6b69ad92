"""Holiday schedules (节假日安排) entered by the office, one per year, as the State Council publishes them.

A schedule lists the days that differ from a plain Monday–Friday week: weekdays off (holidays) and
weekend days worked (调休上班). Only a schedule marked ``complete`` counts: a draft is being typed in and
covers nothing, so a half-entered year can never pass for a known one.
"""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from tongcheng.core.models.base import TrackedModel
from tongcheng.kit.querysets import ScopedQuerySet

from .coverage import SCHEDULE_FIRST_YEAR, SCHEDULE_LAST_YEAR

__all__ = ["BASIS_MAX", "NOTE_MAX", "HolidaySchedule", "ScheduleDay"]

BASIS_MAX = (
    200  # a notice reference with its title, e.g. 国办发明电〔2025〕7号 《…2026年部分节假日安排的通知》
)
NOTE_MAX = 100  # e.g. 春节, 国庆节调休上班


class HolidaySchedule(TrackedModel):
    """One year's holiday schedule; its history row of each save carries that save's day changes."""

    year = models.PositiveSmallIntegerField(
        _("year"),
        unique=True,
        validators=[MinValueValidator(SCHEDULE_FIRST_YEAR), MaxValueValidator(SCHEDULE_LAST_YEAR)],
    )
    basis = models.CharField(
        _("basis"),
        max_length=BASIS_MAX,
        blank=True,
        help_text=_("The document number of the State Council notice the schedule follows."),
    )
    published_on = models.DateField(_("published on"), null=True, blank=True)
    complete = models.BooleanField(_("complete"), default=False)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("entered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # {"added": [...], "removed": [...], "changed": [...]} of the latest save (see services.save_schedule).
    last_change = models.JSONField(_("last change"), default=dict, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-year"]
        verbose_name = _("holiday schedule")
        verbose_name_plural = _("holiday schedules")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(year__gte=SCHEDULE_FIRST_YEAR, year__lte=SCHEDULE_LAST_YEAR),
                name="core_calendar_schedule_year_range",
            ),
        ]

    def __str__(self) -> str:
        return str(self.year)


class ScheduleDay(models.Model):
    """One day of a schedule: a weekday off or a weekend day worked. Written only with its schedule, whose
    history and audit entry record every change, so it keeps no history of its own."""

    schedule = models.ForeignKey(
        HolidaySchedule, verbose_name=_("schedule"), on_delete=models.CASCADE, related_name="days"
    )
    day = models.DateField(_("day"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=NOTE_MAX, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["day"]
        verbose_name = _("schedule day")
        verbose_name_plural = _("schedule days")

    def __str__(self) -> str:
        return f"{self.day} {'+' if self.is_workday else '-'}"
