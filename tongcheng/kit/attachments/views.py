"""Download and removal of attachments, and the upload page a module's view hands its owner record to.

Downloads are served only here, after the owner is found through its access rule: never from MEDIA_URL,
never inline, with the type detected at upload and ``nosniff`` so that no browser runs a file as a page."""

from __future__ import annotations

import logging
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import models
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect
from django.views.decorators.http import require_POST, require_safe

from tongcheng.kit.access import can
from tongcheng.kit.services import NotFoundError, ServiceError
from tongcheng.kit.uploads import declared_too_large, limit_uploads, too_large_message

from . import selectors, services
from .storage import attachment_storage
from .uses import AttachmentUse, get_use

__all__ = ["download", "remove", "upload_page"]

logger = logging.getLogger(__name__)


@login_required
@require_safe
def download(request: HttpRequest, pk: int) -> FileResponse:
    try:
        attachment = selectors.downloadable(request.user, pk)
    except NotFoundError as exc:
        raise Http404 from exc
    try:
        handle = attachment_storage().open(attachment.storage_key, "rb")
    except OSError as exc:
        # The row exists but its bytes do not: an operations fault, logged; the user gets the plain 404.
        logger.error("Attachment %s: stored file %s is missing", attachment.pk, attachment.storage_key)
        raise Http404 from exc
    response = FileResponse(
        handle, as_attachment=True, filename=attachment.filename, content_type=attachment.media_type
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Cache-Control"] = "private, no-store"
    return response


def _safe_next(request: HttpRequest, fallback: str = "/") -> str:
    target = request.POST.get("next") or ""
    if url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return fallback


@login_required
@require_POST
def remove(request: HttpRequest, pk: int) -> HttpResponse:
    try:
        attachment = selectors.downloadable(request.user, pk)
        services.remove(actor=request.user, attachment=attachment)
    except ServiceError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        raise Http404 from exc
    messages.success(request, _("%(name)s removed.") % {"name": attachment.filename})
    return redirect(_safe_next(request))


def _page(
    request: HttpRequest,
    owner: models.Model,
    use: AttachmentUse,
    back_url: str,
    error: str = "",
    status: int = 200,
) -> HttpResponse:
    context: dict[str, Any] = {"owner": owner, "use": use, "back_url": back_url, "error": error}
    return render(request, "kit/attachments/upload.html", context, status=status)


def upload_page(request: HttpRequest, owner: models.Model, use_code: str, back_url: str) -> HttpResponse:
    """The upload page of one owner record (GET) and the upload itself (POST); the module's view finds the
    owner through its access rule (404 otherwise) and must be ``csrf_exempt``: CSRF is checked here, after
    the permission and the size, because the token sits in the multipart body that nothing may read
    before those two checks."""
    use = get_use(use_code)
    if not can(request.user, use.change_action, owner):
        # Refused whatever the body holds: the CSRF decision is taken here, and the body stays unread.
        setattr(request, "csrf_processing_done", True)  # noqa: B010 - an attribute Django's CSRF code reads
        raise PermissionDenied
    if request.method == "POST":
        limit = use.max_bytes
        if declared_too_large(request, limit):
            return _page(request, owner, use, back_url, too_large_message(limit), 413)
        limit_uploads(request, limit)
        try:
            request.POST  # noqa: B018 - parsed here, with the limit in place
        except MultiPartParserError:
            return _page(
                request, owner, use, back_url, _("The upload could not be read; send the file again."), 400
            )
        if getattr(request, "upload_too_large", False):
            return _page(request, owner, use, back_url, too_large_message(limit), 413)
    return _upload_checked(request, owner, use, back_url)


@csrf_protect
def _upload_checked(
    request: HttpRequest, owner: models.Model, use: AttachmentUse, back_url: str
) -> HttpResponse:
    if request.method != "POST":
        return _page(request, owner, use, back_url)
    uploaded = request.FILES.get("file")
    if uploaded is None:
        return _page(request, owner, use, back_url, _("Choose a file to upload."), 400)
    try:
        attachment = services.attach(actor=request.user, owner=owner, use=use, uploaded_file=uploaded)
    except services.AttachmentRefused as exc:
        return _page(request, owner, use, back_url, str(exc.message), exc.status)
    except ServiceError as exc:
        if exc.status == 403:
            raise PermissionDenied from exc
        raise Http404 from exc
    messages.success(request, _("%(name)s added.") % {"name": attachment.filename})
    return redirect(back_url)
