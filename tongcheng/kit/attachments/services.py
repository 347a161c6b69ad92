"""Adding and removing attachments: the only code that writes Attachment rows or attachment files.

``attach`` checks, in this order, and stops at the first refusal with nothing stored:
1. the actor may change the owner (404 if the owner is out of sight, 403 if only visible) — before a byte
   of the file is read;
2. the file is not empty and not larger than the use allows;
3. its content (not its name, not the browser's Content-Type) is a type the use accepts;
4. the owner has fewer attachments of this use than the use allows (counted with the owner row locked, so
   two uploads at once cannot both take the last place).
Then the bytes go to the storage under a random key, the row and the audit entry are written in one
transaction, and a failure after the bytes were stored deletes them again."""

from __future__ import annotations

import hashlib
import logging
from typing import Any, BinaryIO, cast

from django.contrib.contenttypes.models import ContentType
from django.core.files import File
from django.db import models, transaction
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext_lazy as _

from tongcheng.kit.auditing import anchors_of
from tongcheng.kit.services import NotFoundError, ServiceError, audit, require

from .filetypes import Detection, clean_filename, detect
from .models import Attachment
from .storage import attachment_storage, new_key
from .uses import AttachmentUse, get_use

__all__ = ["AttachmentRefused", "attach", "remove"]

logger = logging.getLogger(__name__)
HASH_CHUNK = 256 * 1024


class AttachmentRefused(ServiceError):
    """A file refused for what it is (empty, too large, wrong type) or for the owner's count; the message
    names the limit. Codes: empty_file (400), file_too_large (413), file_type_not_allowed (415),
    too_many_files (409)."""

    STATUS = {"empty_file": 400, "file_too_large": 413, "file_type_not_allowed": 415, "too_many_files": 409}

    def __init__(self, message: Any, *, code: str) -> None:
        super().__init__(message, code=code, field="file")
        self.status = self.STATUS[code]


def _owner_type(owner: models.Model) -> ContentType:
    return ContentType.objects.get_for_model(type(owner), for_concrete_model=True)


def _resolve_use(use: str | AttachmentUse, owner: models.Model) -> AttachmentUse:
    resolved = get_use(use) if isinstance(use, str) else use
    if not isinstance(owner, resolved.owner_model):
        raise TypeError(f"attachment use {resolved.code!r} belongs to {resolved.owner}, not {type(owner)}")
    return resolved


def _measure(uploaded: File, limit: int) -> tuple[int, str]:
    """Size and SHA-256 of the bytes, reading no further than one chunk past the limit."""
    digest = hashlib.sha256()
    size = 0
    uploaded.seek(0)
    while chunk := uploaded.read(HASH_CHUNK):
        size += len(chunk)
        if size > limit:
            break
        digest.update(chunk)
    return size, digest.hexdigest()


def attach(*, actor: Any, owner: models.Model, use: str | AttachmentUse, uploaded_file: File) -> Attachment:
    """Store an uploaded file as an attachment of ``owner`` for ``use``; see the module's docstring."""
    spec = _resolve_use(use, owner)
    require(actor, spec.change_action, owner)

    name = uploaded_file.name or ""
    shown = clean_filename(name)
    try:
        declared = uploaded_file.size
    except AttributeError:  # a stream whose size only reading tells
        declared = None
    if declared is not None and declared > spec.max_bytes:
        raise _too_large(shown, declared, spec)
    size, sha256 = _measure(uploaded_file, spec.max_bytes)
    if size == 0:
        raise AttachmentRefused(
            _("%(name)s is empty; choose a file that has content.") % {"name": shown}, code="empty_file"
        )
    if size > spec.max_bytes:
        raise _too_large(shown, size, spec)
    detection = detect(cast(BinaryIO, uploaded_file), name)  # a File proxies its binary file
    if detection.file_type is None or not spec.accepts(detection.code):
        raise AttachmentRefused(
            _(
                "%(name)s is not a type accepted here: its content is %(detected)s. Accepted types: %(allowed)s."
            )
            % {"name": shown, "detected": describe(detection), "allowed": spec.types_label},
            code="file_type_not_allowed",
        )
    filename = clean_filename(name, detection.file_type)
    owner_type = _owner_type(owner)
    storage = attachment_storage()

    with transaction.atomic():
        # The owner row is the lock that serialises uploads to it (count check below).
        list(type(owner)._default_manager.select_for_update().filter(pk=owner.pk).values_list("pk"))
        count = Attachment.objects.filter(content_type=owner_type, object_id=owner.pk, use=spec.code).count()
        if count >= spec.max_count:
            raise AttachmentRefused(
                _("At most %(count)d files may be attached here; remove one before adding another.")
                % {"count": spec.max_count},
                code="too_many_files",
            )
        uploaded_file.seek(0)
        key = storage.save(new_key(), uploaded_file)
        try:
            attachment = Attachment.objects.create(
                content_type=owner_type,
                object_id=owner.pk,
                use=spec.code,
                **anchors_of(owner),
                filename=filename,
                file_type=detection.file_type.code,
                media_type=detection.media_type,
                size=size,
                sha256=sha256,
                storage_key=key,
                uploaded_by=actor if getattr(actor, "pk", None) else None,
            )
            audit(actor, "attachment.add", attachment, _audit_data(attachment, owner))
        except BaseException:
            _delete_quietly(key)
            raise
    return attachment


FAMILIES = {
    "executable": _("an executable program"),
    "markup": _("a web page or XML document"),
    "macros": _("an Office document with macros"),
    "archive": _("a ZIP archive"),
    "damaged": _("a damaged archive"),
}


def describe(detection: Detection) -> str:
    """What the content is, in the user's language, for a refusal."""
    if detection.file_type is not None:
        return detection.file_type.label
    if detection.family in FAMILIES:
        return str(FAMILIES[detection.family])
    if detection.guess:
        return _("a file of type %(type)s") % {"type": detection.guess}
    return str(_("an unrecognised format"))


def _too_large(name: str, size: int, spec: AttachmentUse) -> AttachmentRefused:
    return AttachmentRefused(
        _("%(name)s is %(size)s, larger than the limit of %(limit)s for this kind of file.")
        % {"name": name, "size": filesizeformat(size), "limit": filesizeformat(spec.max_bytes)},
        code="file_too_large",
    )


def _audit_data(attachment: Attachment, owner: models.Model) -> dict[str, Any]:
    return {
        "owner": f"{owner._meta.label_lower}:{owner.pk}",
        "owner_repr": str(owner)[:200],
        "use": attachment.use,
        "filename": attachment.filename,
        "file_type": attachment.file_type,
        "size": attachment.size,
        "sha256": attachment.sha256,
    }


def _delete_quietly(key: str) -> None:
    try:
        attachment_storage().delete(key)
    except Exception:  # the original error matters more; the orphan is logged for clean-up
        logger.exception("Could not delete the stored attachment %s after a failed upload", key)


def remove(*, actor: Any, attachment: Attachment) -> None:
    """Delete an attachment: the row and its audit entry at once, the bytes once that has committed (a
    rolled-back removal keeps its file)."""
    spec = get_use(attachment.use)
    owner = spec.owner_model._default_manager.filter(pk=attachment.object_id).first()
    if owner is None:
        raise NotFoundError()
    require(actor, spec.change_action, owner)
    key = attachment.storage_key
    with transaction.atomic():
        audit(actor, "attachment.remove", attachment, _audit_data(attachment, owner))
        deleted, _rows = Attachment.objects.filter(pk=attachment.pk).delete()
        if deleted:
            transaction.on_commit(lambda: _delete_quietly(key))
