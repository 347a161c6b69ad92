"""Overrides of the statutory working-day calendar, for years the package does not know yet."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from tongcheng.kit.querysets import ScopedQuerySet

from .base import TrackedModel

__all__ = ["WorkdayOverride"]


class WorkdayOverride(TrackedModel):
    """Declares one day a working day or a day off, whatever the package says."""

    day = models.DateField(_("day"), unique=True)
    is_workday = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=200, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["day"]
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")

    def __str__(self) -> str:
        return f"{self.day} {'+' if self.is_workday else '-'}"
