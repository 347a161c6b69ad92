"""The base every record of Tongcheng derives from: timestamps, a version for refusing stale edits,
and change history (django-simple-history)."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords

__all__ = ["TrackedModel"]


class TrackedModel(models.Model):
    """Abstract base: created/updated times, an edit version and full history of every change."""

    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    # Incremented by every service update; an edit made against an older version is refused.
    version = models.PositiveIntegerField(_("version"), default=1)

    history = HistoricalRecords(inherit=True)

    class Meta:
        abstract = True
