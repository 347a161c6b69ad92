"""What the cooperation pages share: who may reach a create page, a record the user may change, a service's
refusal placed on its form, and the import page (core's organisation import, for any ``ImportSpec``)."""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import Http404, HttpRequest, HttpResponse
from django.http.multipartparser import MultiPartParserError
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_protect

from tongcheng.core.forms import ImportForm
from tongcheng.core.models import AdjacentZone
from tongcheng.core.views.forms_support import place_service_error
from tongcheng.kit.access import can
from tongcheng.kit.importing import (
    ImportSpec,
    TableError,
    TableRows,
    import_summary,
    import_template,
    run_import,
)
from tongcheng.kit.jobs.imports import start_import_job
from tongcheng.kit.services import ServiceError, get_visible
from tongcheng.kit.uploads import declared_too_large, limit_uploads, too_large_message, upload_limit

__all__ = [
    "ImportPage",
    "changeable",
    "may_create",
    "record_form",
    "refused",
    "require_creator",
    "visible",
]


def may_create(user: Any) -> bool:
    """Whether the user runs a zone's office (it may then create records in the zones it runs)."""
    return AdjacentZone.objects.visible_to(user, "change").exists()


def require_creator(user: Any, model: Any) -> None:
    """A create page: an office goes on; another user who sees such records gets 403, the rest 404."""
    if may_create(user):
        return
    if model.objects.visible_to(user).exists():
        raise PermissionDenied
    raise Http404


def visible(request: HttpRequest, qs: Any, **lookup: Any) -> Any:
    try:
        return get_visible(qs, request.user, **lookup)
    except ServiceError as exc:
        raise Http404 from exc


def changeable(request: HttpRequest, qs: Any, **lookup: Any) -> Any:
    """The record if the user may change it; 404 out of sight, 403 in sight only."""
    obj = visible(request, qs, **lookup)
    if not can(request.user, "change", obj):
        raise PermissionDenied
    return obj


def refused(exc: ServiceError, form: Any, aliases: dict[str, str] | None = None) -> int:
    if exc.status == 404 and not exc.field:
        raise Http404 from exc
    place_service_error(exc, form, aliases=aliases)
    return exc.status


def record_form(
    request: HttpRequest, form: Any, title: Any, back_url: str, status: int, **extra: Any
) -> HttpResponse:
    context = {"form": form, "title": title, "back_url": back_url, "pick_url": reverse("pick"), **extra}
    return render(request, "core/record_form.html", context, status=status)


class ImportPage:
    """The import page and its template for one list: an office that may change such records imports them;
    one that only sees them gets 403, others 404. Large files go to a background job (kit/jobs/imports.py)."""

    def __init__(
        self,
        *,
        model: Any,
        spec: Callable[[], ImportSpec],
        list_url: str,
        template_url: str,
        template_name: Any,
        job_kind: str,
        job_title: Any,
    ) -> None:
        self.model, self.spec = model, spec
        self.list_url, self.template_url = list_url, template_url
        self.template_name, self.job_kind, self.job_title = template_name, job_kind, job_title

    def _may_import(self, request: HttpRequest) -> None:
        if not self.model.objects.visible_to(request.user, "change").exists() and not may_create(
            request.user
        ):
            if self.model.objects.visible_to(request.user).exists():
                raise PermissionDenied
            raise Http404

    def _page(
        self, request: HttpRequest, form: ImportForm, result: Any = None, status: int = 200
    ) -> HttpResponse:
        context = {
            "form": form,
            "result": result,
            "back_url": reverse(self.list_url),
            "template_urls": [
                (fmt.upper(), reverse(self.template_url, args=[fmt])) for fmt in ("xlsx", "csv")
            ],
        }
        return render(request, "core/import.html", context, status=status)

    def template(self, request: HttpRequest, fmt: str) -> HttpResponse:
        self._may_import(request)
        if fmt not in {"csv", "xlsx"}:
            raise Http404
        return import_template(self.spec(), fmt, str(self.template_name))

    def _refused_upload(self, request: HttpRequest, limit: int, message: str, status: int) -> HttpResponse:
        form = ImportForm(max_bytes=limit)
        form.cleaned_data = {}
        form.add_error("file", message)
        return self._page(request, form, status=status)

    def view(self, request: HttpRequest) -> HttpResponse:
        """Called from a csrf_exempt, login_required view: CSRF is checked once the user may import and the
        body's size is acceptable (the check reads the token from the multipart body)."""
        try:
            self._may_import(request)
        except (PermissionDenied, Http404):
            request.csrf_processing_done = True  # type: ignore[attr-defined]
            raise
        limit = upload_limit()
        if request.method == "POST":
            if declared_too_large(request, limit):
                return self._refused_upload(request, limit, too_large_message(limit), 413)
            limit_uploads(request, limit)
            try:
                request.POST  # noqa: B018 - parsed here, with the limit in place
            except MultiPartParserError:
                return self._refused_upload(
                    request, limit, _("The upload could not be read; send the file again."), 400
                )
            if request.upload_too_large:  # type: ignore[attr-defined]
                return self._refused_upload(request, limit, too_large_message(limit), 413)
        return csrf_protect(self._checked)(request, limit)

    def _checked(self, request: HttpRequest, limit: int) -> HttpResponse:
        if request.method != "POST":
            return self._page(request, ImportForm(max_bytes=limit))
        form = ImportForm(request.POST, request.FILES, max_bytes=limit)
        if not form.is_valid():
            return self._page(request, form, status=413 if form.has_error("file", "too_large") else 400)
        upload = form.cleaned_data["file"]
        rows = TableRows(upload.name, upload.file)
        inline = settings.TONGCHENG_IMPORT_INLINE_MAX_ROWS
        try:
            large = sum(1 for _row in islice(rows, inline + 1)) > inline
            if not large:
                result = run_import(request.user, self.spec(), rows, form.cleaned_data["apply_good_rows"])
        except TableError as exc:
            form.add_error("file", exc.message)
            return self._page(request, form, status=400)
        if large:
            job = start_import_job(
                request.user,
                self.spec,
                upload,
                kind=self.job_kind,
                title=self.job_title % {"name": upload.name},
                apply_good_rows=form.cleaned_data["apply_good_rows"],
            )
            messages.info(
                request,
                _(
                    "The file has more than %(count)d rows: it is imported in the background. This page shows how far it got."
                )
                % {"count": inline},
            )
            return redirect(job.get_absolute_url())
        if result.applied:
            messages.success(request, import_summary(result))
        return self._page(request, form, result, status=400 if result.errors and not result.applied else 200)
