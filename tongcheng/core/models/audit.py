"""Domain audit log: one row per service action, written in the same transaction as the change."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from tongcheng.kit.models import AppendOnlyModel, AppendOnlyQuerySet
from tongcheng.kit.querysets import ScopedQuerySet

__all__ = ["AuditEntry"]


class AuditQuerySet(AppendOnlyQuerySet, ScopedQuerySet):
    """Scoped reads; updates and deletes refused (the entries are append-only)."""


class AuditEntry(AppendOnlyModel):
    """Who did what to which record, when, from which request. Never edited, never deleted by the app."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    # Kept as text so the entry survives the user's deletion.
    actor_name = models.CharField(_("actor"), max_length=150, blank=True)
    action = models.CharField(_("action"), max_length=60, db_index=True)
    object_type = models.CharField(_("object type"), max_length=60, db_index=True)
    object_id = models.CharField(
        pgettext_lazy("field of an audit entry", "object id"), max_length=40, db_index=True
    )
    object_repr = models.CharField(_("object"), max_length=200, blank=True)
    # Scope anchors: where the record lies, so that every auditor and office whose scope contains it reads
    # the entry (core.rules.audit_rule). An entry with no anchor concerns the actor's own account only.
    zone = models.ForeignKey(
        "core.AdjacentZone",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    metro = models.ForeignKey(
        "core.MetroArea",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    jurisdiction = models.ForeignKey(
        "core.Jurisdiction",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    organisation = models.ForeignKey(
        "core.Organisation",
        null=True,
        blank=True,
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    data = models.JSONField(_("data"), default=dict, blank=True)
    request_id = models.CharField(_("request id"), max_length=40, blank=True)

    objects = AuditQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit entries")

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor_name} {self.action} {self.object_repr}"
