"""The kit's workflow records: the transition log, multi-party confirmations and number sequences.

The log and the confirmations point at their record generically (content type + id), so every module's
records share them. Primary keys of Tongcheng's models are integers, hence an integer ``object_id``: the
access rules compare it with a subquery of the record's primary keys."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongcheng.kit.querysets import ScopedQuerySet

__all__ = ["Confirmation", "ConfirmationStatus", "NumberSequence", "TransitionLog", "NOTE_MAX"]

NOTE_MAX = 5000  # a transition's note or a rejection's reason


class TransitionLog(models.Model):
    """One transition taken: who moved which record from which state to which, when, and why."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField(_("record id"))
    target = GenericForeignKey("content_type", "object_id")
    transition = models.CharField(_("transition"), max_length=60)
    source_state = models.CharField(_("from"), max_length=60)
    target_state = models.CharField(_("to"), max_length=60)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    actor_name = models.CharField(_("by (name)"), max_length=150)
    at = models.DateTimeField(_("at"), default=timezone.now)
    note = models.TextField(_("note"), blank=True, max_length=NOTE_MAX)
    version = models.PositiveIntegerField(_("version after"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["at", "id"]
        verbose_name = _("transition")
        verbose_name_plural = _("transition log")
        indexes = [models.Index(fields=["content_type", "object_id", "at"], name="kit_wf_log_target")]

    def __str__(self) -> str:
        return f"{self.content_type_id}:{self.object_id} {self.source_state} → {self.target_state}"


class ConfirmationStatus(models.TextChoices):
    PENDING = "pending", _("Awaiting confirmation")
    CONFIRMED = "confirmed", _("Confirmed")
    REJECTED = "rejected", _("Refused")


class Confirmation(models.Model):
    """One party's confirmation of a record (e.g. a finance bureau confirming a settlement).

    A request asks several parties at once: that is a round. A refusal ends the round; the record can be
    corrected and confirmation asked again, in a new round, so earlier answers are kept."""

    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField(_("record id"))
    target = GenericForeignKey("content_type", "object_id")
    round = models.PositiveIntegerField(_("round"), default=1)
    organisation = models.ForeignKey(
        "core.Organisation",
        verbose_name=_("party (organisation)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    jurisdiction = models.ForeignKey(
        "core.Jurisdiction",
        verbose_name=_("party (jurisdiction)"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    role = models.CharField(_("role that confirms"), max_length=12)
    status = models.CharField(
        _("status"), max_length=10, choices=ConfirmationStatus.choices, default=ConfirmationStatus.PENDING
    )
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"), default=timezone.now)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("answered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decided_by_name = models.CharField(_("answered by (name)"), max_length=150, blank=True)
    decided_at = models.DateTimeField(_("answered at"), null=True, blank=True)
    reason = models.TextField(_("reason"), blank=True, max_length=NOTE_MAX)
    # The version of the record the party confirmed: what exactly it agreed to.
    object_version = models.PositiveIntegerField(_("record version confirmed"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["round", "id"]
        verbose_name = _("confirmation")
        verbose_name_plural = _("confirmations")
        indexes = [models.Index(fields=["content_type", "object_id", "round"], name="kit_wf_conf_target")]
        constraints = [
            models.CheckConstraint(
                name="kit_wf_conf_one_party",
                condition=Q(organisation__isnull=False, jurisdiction__isnull=True)
                | Q(organisation__isnull=True, jurisdiction__isnull=False),
            ),
            models.CheckConstraint(
                name="kit_wf_conf_reason_for_refusal",
                condition=~Q(status="rejected") | ~Q(reason=""),
            ),
            models.UniqueConstraint(
                fields=["content_type", "object_id", "round", "organisation"],
                condition=Q(organisation__isnull=False),
                name="kit_wf_conf_once_per_organisation",
            ),
            models.UniqueConstraint(
                fields=["content_type", "object_id", "round", "jurisdiction"],
                condition=Q(jurisdiction__isnull=False),
                name="kit_wf_conf_once_per_jurisdiction",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.party} · {self.get_status_display()}"

    @property
    def party(self) -> models.Model:
        return self.organisation if self.organisation_id else self.jurisdiction  # type: ignore[return-value]


class NumberSequence(models.Model):
    """A gapless counter, e.g. ``case:pukou-nanqiao:2026``; see ``numbering.next_number``."""

    key = models.CharField(_("key"), max_length=120, unique=True)
    next_value = models.PositiveBigIntegerField(_("next number"), default=1)

    class Meta:
        ordering = ["key"]
        verbose_name = _("number sequence")
        verbose_name_plural = _("number sequences")

    def __str__(self) -> str:
        return f"{self.key}: {self.next_value}"
