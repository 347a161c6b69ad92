"""The attachments core records may have (tongcheng.kit.attachments imports this module at start-up)."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tongcheng.kit.attachments.uses import AttachmentUse, register_use

MB = 1024 * 1024

# Statutes, agreements, minutes and scans an organisation files: office formats and images, no archives,
# no executables, no markup.
ORGANISATION_DOCUMENT = register_use(
    AttachmentUse(
        code="organisation.document",
        label=_("Documents"),
        owner="core.Organisation",
        types=("pdf", "docx", "xlsx", "png", "jpeg"),
        max_bytes=20 * MB,
        max_count=50,
    )
)
