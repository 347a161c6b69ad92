"""One notification to one user: a headline in the user's language, a link into the app, where the matter
lies (the same scope anchors as the audit log), and whether it was read."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from tongcheng.kit.querysets import ScopedQuerySet

__all__ = ["Notification"]


class Notification(models.Model):
    """Written only by ``kit.notifications.services``; read only by its recipient."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+", verbose_name=_("recipient")
    )
    title = models.CharField(_("title"), max_length=300)
    # A path inside the application (never another site): the page that the notification is about.
    link = models.CharField(_("link"), max_length=500, blank=True)
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
    created_at = models.DateTimeField(_("created at"), default=timezone.now)
    read_at = models.DateTimeField(_("read at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("notification")
        verbose_name_plural = _("notifications")
        # The bell's count and the page's list: both by recipient, unread first.
        indexes = [models.Index(fields=["recipient", "read_at", "-created_at"], name="notification_inbox")]

    def __str__(self) -> str:
        return self.title

    @property
    def is_read(self) -> bool:
        return self.read_at is not None
