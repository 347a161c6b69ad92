"""Uploads to the API (multipart/form-data), checked in an order that leaves the body unread until it may
be read: the caller (Ninja's authentication), the caller's permission (the endpoint), the declared size,
then the body, parsed with the streaming limit in place, and only then the browser session's CSRF token,
which sits in that body.

Ninja's session authentication checks CSRF before the endpoint runs, and Django's CSRF check reads a POST
body to look for the token: for a multipart upload that would parse the whole body for a caller who may not
upload at all, or for a body larger than any upload. An upload endpoint therefore declares
``@csrf_after_checks`` (the session's check is deferred: ``tongcheng/api.py`` ``SessionAuth`` marks it
pending with ``defer_csrf``) and calls ``read_multipart`` once it has checked the permission::

    @router.post("/things/import", response={202: JobAcceptedOut, **ERRORS},
                 openapi_extra=multipart_body(ThingImportIn))
    @csrf_after_checks
    def import_things(request):
        require(request.auth, "change", ...)                  # 403 / 404, nothing of the body read
        form = read_multipart(request, ThingImportIn, limit=upload_limit())  # 413, 400, 403 csrf, 422
        ...

A call authenticated by an API token has no CSRF check (the authentication read no cookie). A session's
call that returns without ``read_multipart`` having checked its token is a programming error (raised, so
that the endpoint's first test shows it)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Annotated, Any, TypeVar

from django.core.exceptions import RequestDataTooBig, SuspiciousOperation
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpRequest
from django.http.multipartparser import MultiPartParserError
from django.utils.translation import gettext as _
from ninja.errors import ValidationError as NinjaValidationError
from ninja.utils import check_csrf
from pydantic import BaseModel, PlainValidator, WithJsonSchema
from pydantic import ValidationError as PydanticValidationError
from pydantic_core import PydanticCustomError

from .services import ForbiddenError, ServiceError
from .uploads import declared_too_large, limit_uploads, too_large_message

__all__ = [
    "FileIn",
    "UploadRefused",
    "csrf_after_checks",
    "defer_csrf",
    "multipart_body",
    "read_multipart",
]

_PENDING = "tongcheng_csrf_pending"
# The form field Django's CSRF check reads the token from: part of the CSRF machinery, not of the input.
CSRF_FIELD = "csrfmiddlewaretoken"

Model = TypeVar("Model", bound=BaseModel)


def _uploaded_file(value: Any) -> UploadedFile:
    if not isinstance(value, UploadedFile):
        raise PydanticCustomError(
            "file_expected", _("Send a file here: a form part with a file name (multipart/form-data).")
        )
    return value


FileIn = Annotated[
    Any, PlainValidator(_uploaded_file), WithJsonSchema({"type": "string", "format": "binary"})
]
"""A schema field holding an uploaded file (in the OpenAPI document: a binary string)."""


class UploadRefused(ServiceError):
    """The upload itself is refused: too large (413 ``file_too_large``) or not readable as a form (400
    ``invalid``); ``field`` names the file field."""

    def __init__(self, message: Any, *, code: str, status: int, field: str) -> None:
        super().__init__(message, code=code, field=field)
        self.status = status


def defer_csrf(request: HttpRequest) -> None:
    """Called by the session authentication for an operation marked ``csrf_after_checks``: the session's
    CSRF check is owed, and ``read_multipart`` takes it."""
    setattr(request, _PENDING, True)


def csrf_after_checks(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark an API operation whose session CSRF check waits for ``read_multipart`` (Ninja then skips it in
    the authentication). The operation must call ``read_multipart`` before it does anything."""

    @functools.wraps(view)
    def checked(request: HttpRequest, *args: Any, **kwargs: Any) -> Any:
        response = view(request, *args, **kwargs)
        if getattr(request, _PENDING, False):
            raise RuntimeError(f"{view.__name__} answered a session without checking its CSRF token")
        return response

    checked.csrf_exempt = True  # type: ignore[attr-defined]  # the flag Ninja's Operation reads
    return checked


def _check_deferred_csrf(request: HttpRequest) -> None:
    if not getattr(request, _PENDING, False):
        return  # an API token, or an operation whose authentication checked already
    setattr(request, _PENDING, False)
    if check_csrf(request):
        raise ForbiddenError(code="csrf_failed")


def read_multipart(
    request: HttpRequest, schema: type[Model], *, limit: int, file_field: str = "file"
) -> Model:
    """The form of a multipart upload, checked and validated; call it after the permission check.

    In order: a declared Content-Length beyond ``limit`` (plus the room of the form's own fields) is 413
    without reading the body; the body is parsed with the streaming limit in place (a body that cannot be
    parsed is 400, a file passing ``limit`` while it streams 413); a browser session's CSRF token is checked
    (403 ``csrf_failed``); and the fields and files are validated by ``schema`` (a ``StrictSchema``: an
    unknown field is 422 ``unknown_field``, a missing file 422), each refusal naming its field."""
    if declared_too_large(request, limit):
        raise UploadRefused(too_large_message(limit), code="file_too_large", status=413, field=file_field)
    limit_uploads(request, limit)
    try:
        data, files = request.POST, request.FILES
    except RequestDataTooBig:  # the form's text fields beyond DATA_UPLOAD_MAX_MEMORY_SIZE
        raise UploadRefused(
            too_large_message(limit), code="file_too_large", status=413, field=file_field
        ) from None
    except (MultiPartParserError, SuspiciousOperation):  # malformed, or too many fields or files
        raise UploadRefused(
            _("The upload could not be read; send the file again."),
            code="invalid",
            status=400,
            field=file_field,
        ) from None
    if getattr(request, "upload_too_large", False):
        raise UploadRefused(too_large_message(limit), code="file_too_large", status=413, field=file_field)
    _check_deferred_csrf(request)
    values: dict[str, Any] = {key: value for key, value in data.items() if key != CSRF_FIELD}
    values.update(files.items())
    try:
        return schema.model_validate(values)
    except PydanticValidationError as exc:
        raise NinjaValidationError([dict(error) for error in exc.errors(include_url=False)]) from None


def multipart_body(schema: type[BaseModel], description: str = "") -> dict[str, Any]:
    """``openapi_extra`` of an operation that reads its body with ``read_multipart``: the form as its
    request body (Ninja sees no body parameter, since it must not parse the body itself)."""
    body: dict[str, Any] = {
        "required": True,
        "content": {"multipart/form-data": {"schema": schema.model_json_schema()}},
    }
    if description:
        body["description"] = description
    return {"requestBody": body}
