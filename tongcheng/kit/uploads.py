"""The size limit of uploaded files (settings.TONGCHENG_UPLOAD_MAX_BYTES).

A body is measured twice: its declared Content-Length before anything is parsed, and the bytes of every
uploaded file while the multipart body streams in (a client may declare less than it sends, or send it
chunked), so an upload can neither fill a worker's memory or disk nor hold the worker for long."""

from __future__ import annotations

from django.conf import settings
from django.core.files.uploadhandler import FileUploadHandler, StopUpload
from django.http import HttpRequest
from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _

__all__ = [
    "FORM_OVERHEAD_BYTES",
    "LimitedUploadHandler",
    "declared_too_large",
    "limit_uploads",
    "too_large_message",
]

# Room in the body beyond the file itself: the multipart boundaries and headers and the form's own small
# fields (CSRF token, check boxes).
FORM_OVERHEAD_BYTES = 64 * 1024


def upload_limit() -> int:
    return int(settings.TONGCHENG_UPLOAD_MAX_BYTES)


def declared_too_large(request: HttpRequest, limit: int) -> bool:
    """Whether the declared body is larger than a file of ``limit`` bytes with its form could be."""
    try:
        length = int(request.META.get("CONTENT_LENGTH") or 0)
    except ValueError:
        return False  # Django then reads no body at all
    return length > limit + FORM_OVERHEAD_BYTES


class LimitedUploadHandler(FileUploadHandler):
    """First in the chain: counts the bytes of all files of the request and stops the parse, without
    reading the rest of the body, once they pass the limit. ``request.upload_too_large`` tells the view."""

    def __init__(self, request: HttpRequest, limit: int) -> None:
        super().__init__(request)
        self.limited_request = request  # Django's base types its request as optional; this one always has one
        self.limit = limit
        self.received = 0

    def receive_data_chunk(self, raw_data: bytes, start: int) -> bytes:
        self.received += len(raw_data)
        if self.received > self.limit:
            # A per-request flag the view reads; HttpRequest declares no such attribute.
            self.limited_request.upload_too_large = True  # type: ignore[attr-defined]
            raise StopUpload(connection_reset=True)
        return raw_data

    def file_complete(self, file_size: int) -> None:
        return None


def limit_uploads(request: HttpRequest, limit: int) -> None:
    """Put the limit in front of Django's handlers; must run before request.POST or request.FILES is read."""
    request.upload_too_large = False  # type: ignore[attr-defined]  # the flag above, read by the view
    request.upload_handlers.insert(0, LimitedUploadHandler(request, limit))


def too_large_message(limit: int) -> str:
    return _("The file is larger than the upload limit of %(limit)s.") % {"limit": filesizeformat(limit)}
