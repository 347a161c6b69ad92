"""A background job as its user sees it, and the last runs of the periodic functions.

The queue itself belongs to django-tasks (its database backend keeps one row per enqueued task); a ``Job``
is what Tongcheng shows and scopes: who started it, where it lies, how far it got, what it wrote down and
which file it produced."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongcheng.kit.querysets import ScopedQuerySet

__all__ = ["Job", "JobStatus", "PeriodicRun", "ANCHOR_FIELDS"]

# The scope anchors a job may carry, as in the audit log: offices and auditors whose scope contains one of
# them see the job (kit.jobs.rules).
ANCHOR_FIELDS = ("zone_id", "metro_id", "jurisdiction_id", "organisation_id")


class JobStatus(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")


FINISHED = (JobStatus.SUCCEEDED, JobStatus.FAILED)


class Job(models.Model):
    """One run of a long piece of work, started by a user. Written only by ``kit.jobs.services``."""

    started_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("started by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    zone = models.ForeignKey(
        "core.AdjacentZone", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    metro = models.ForeignKey(
        "core.MetroArea", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    jurisdiction = models.ForeignKey(
        "core.Jurisdiction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "core.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    kind = models.CharField(_("kind"), max_length=60, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    status = models.CharField(
        _("status"), max_length=10, choices=JobStatus.choices, default=JobStatus.QUEUED, db_index=True
    )
    progress = models.PositiveSmallIntegerField(_("progress"), default=0)
    message = models.CharField(_("message"), max_length=300, blank=True)
    # Lines "YYYY-MM-DD HH:MM:SS text", appended by one UPDATE each so that concurrent readers see whole lines.
    log = models.TextField(_("log"), blank=True)
    log_lines = models.PositiveIntegerField(default=0)
    # What the user reads when the job failed; the traceback stays in the server log and the task backend.
    error = models.TextField(_("error"), blank=True)
    # The language of the user who started it: the worker writes the log and the result in it.
    language = models.CharField(max_length=10, blank=True)
    task_result_id = models.CharField(max_length=64, blank=True, db_index=True)
    # Files in the storage, under unguessable keys; served only through views that check visibility.
    input_key = models.CharField(max_length=200, blank=True)
    input_name = models.CharField(max_length=255, blank=True)
    result_key = models.CharField(max_length=200, blank=True)
    result_name = models.CharField(_("result"), max_length=255, blank=True)
    result_size = models.PositiveBigIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(_("created at"), default=timezone.now, db_index=True)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        constraints = [models.CheckConstraint(name="job_progress_0_100", condition=Q(progress__lte=100))]
        indexes = [models.Index(fields=["started_by", "-created_at"], name="job_starter_created")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.title}"

    def get_absolute_url(self) -> str:
        return reverse("job_detail", args=[self.pk])

    @property
    def is_finished(self) -> bool:
        return self.status in FINISHED

    @property
    def has_result(self) -> bool:
        return bool(self.result_key)

    def anchors(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in ANCHOR_FIELDS if getattr(self, name) is not None}


class PeriodicRun(models.Model):
    """When a periodic function was last claimed: the claim is one conditional UPDATE, so of several servers
    calling ``run_periodic`` at once exactly one runs each due function."""

    name = models.CharField(max_length=200, unique=True)
    last_started_at = models.DateTimeField(null=True, blank=True)
    last_finished_at = models.DateTimeField(null=True, blank=True)
    last_ok = models.BooleanField(null=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name
