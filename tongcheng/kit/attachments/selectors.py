"""Reads of attachments, always through the owner's access: a page, the API and a download ask here."""

from __future__ import annotations

from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.db import models

from tongcheng.kit.services import NotFoundError, get_visible

from .models import Attachment
from .uses import AttachmentUse, find_use, get_use

__all__ = ["attachments_of", "downloadable"]


def attachments_of(user: Any, owner: models.Model, use: str | AttachmentUse) -> models.QuerySet[Attachment]:
    """The attachments of one owner for one use that the user may see (none if the owner is out of sight)."""
    spec = get_use(use) if isinstance(use, str) else use
    return (
        Attachment.objects.visible_to(user)
        .filter(
            content_type=ContentType.objects.get_for_model(type(owner)), object_id=owner.pk, use=spec.code
        )
        .select_related("uploaded_by")
    )


def downloadable(user: Any, pk: int) -> Attachment:
    """The attachment, if its owner is visible to the user for the use's view action; otherwise
    NotFoundError — the same for a missing attachment, an unknown use and an owner out of sight."""
    attachment = Attachment.objects.filter(pk=pk).first()
    spec = find_use(attachment.use) if attachment is not None else None
    if attachment is None or spec is None:
        raise NotFoundError()
    get_visible(spec.owner_model, user, spec.view_action, pk=attachment.object_id)
    return attachment
