"""One attachment model for every module: a file owned by any record, stored under an unguessable key."""

from __future__ import annotations

from django.conf import settings
from django.contrib.contenttypes.fields import GenericForeignKey
from django.contrib.contenttypes.models import ContentType
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongcheng.kit.querysets import ScopedQuerySet

__all__ = ["Attachment"]


class Attachment(models.Model):
    """A stored file. Rows are written and deleted only by ``services.attach`` and ``services.remove``; the
    bytes are never changed after upload, so the row has no version and no history (the audit log records
    both events with the file's name, size and SHA-256)."""

    # The owner: any record of any module (generic relation), for one registered use.
    content_type = models.ForeignKey(ContentType, on_delete=models.PROTECT, related_name="+")
    object_id = models.PositiveBigIntegerField(_("owner id"))
    owner = GenericForeignKey("content_type", "object_id")
    use = models.CharField(_("use"), max_length=60)
    # Scope anchors, copied from the owner at upload (core.auditing.anchors_of): where the file lies, for
    # the audit log and for queries by zone or organisation without resolving every owner.
    metro = models.ForeignKey(
        "core.MetroArea", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    zone = models.ForeignKey(
        "core.AdjacentZone", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    jurisdiction = models.ForeignKey(
        "core.Jurisdiction", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    organisation = models.ForeignKey(
        "core.Organisation", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filename = models.CharField(_("file name"), max_length=160)
    file_type = models.CharField(_("file type"), max_length=16)
    media_type = models.CharField(_("media type"), max_length=120)
    size = models.PositiveBigIntegerField(_("size"))
    sha256 = models.CharField(_("SHA-256"), max_length=64, db_index=True)
    # Random (secrets.token_urlsafe), never derived from the name or the content, and never shown.
    storage_key = models.CharField(max_length=200, unique=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    uploaded_at = models.DateTimeField(_("uploaded at"), default=timezone.now)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["uploaded_at", "id"]
        indexes = [models.Index(fields=["content_type", "object_id", "use"], name="attachment_owner_idx")]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.filename
