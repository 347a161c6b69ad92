"""The HTTP API under /api/v1/: joins the routers of the apps, authentication and the error shape.

Every error is JSON ``{"code", "message", "field"?, "errors"?}`` with a stable code."""

from __future__ import annotations

import logging

from django.core.exceptions import ValidationError as DjangoValidationError
from django.db import DataError, InterfaceError, OperationalError
from django.http import Http404, HttpRequest
from django.utils.translation import gettext as _
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as NinjaValidationError
from ninja.renderers import JSONRenderer
from ninja.security import APIKeyHeader, HttpBearer
from ninja.security import SessionAuth as NinjaSessionAuth
from ninja.utils import check_csrf

from tongcheng.kit.api_uploads import defer_csrf
from tongcheng.kit.error_codes import check_error_code, error_label
from tongcheng.kit.services import ServiceError
from tongcheng.kit.validation_messages import message_for

from .cooperation.api import router as cooperation_router
from .cooperation.settlements.api import router as cooperation_settlements_router
from .cooperation.sharing.api import router as cooperation_sharing_router
from .core.api import router as core_router
from .core.api_tools import router as tools_router
from .core.middleware import activate_saved_language
from .core.services.accounts import user_for_token
from .kit.jobs.api import router as jobs_router


class InvalidToken(AuthenticationError):
    """A token was sent but is unknown, revoked or expired."""


class CsrfFailed(Exception):
    """A signed-in browser session sent a write without its CSRF token."""


def _signed_in(request: HttpRequest, key: str):
    user = user_for_token(key)
    if user is None:
        # A presented credential that does not work is refused outright (401), never passed on to the
        # session behind it: the caller meant this token and must learn that it is no longer valid.
        raise InvalidToken()
    # A token request has no session; making its user the request's user lets history and the
    # middleware attribute the change to them, exactly as for a signed-in page.
    request.user = user
    # The user's saved language, as for a signed-in page (the middleware ran before the token was read).
    activate_saved_language(request, user)
    return user


class TokenAuth(HttpBearer):
    """``Authorization: Bearer tc_…`` with a personal token (see /api/v1/me/tokens)."""

    def authenticate(self, request: HttpRequest, token: str):
        return _signed_in(request, token)


class TokenHeaderAuth(APIKeyHeader):
    param_name = "X-API-Token"

    def authenticate(self, request: HttpRequest, key: str | None):
        return _signed_in(request, key) if key else None


class SessionAuth(NinjaSessionAuth):
    """The browser's session. Ninja's own session auth checks CSRF before it looks at the session, so a
    caller with no credentials at all got 403 "CSRF check Failed"; here only a signed-in session is
    held to the CSRF check (403 csrf_failed), and no session means 401 like every other missing
    credential."""

    def _get_key(self, request: HttpRequest) -> str | None:
        return request.COOKIES.get(self.param_name)

    def authenticate(self, request: HttpRequest, key: str | None):
        if not request.user.is_authenticated:
            return None
        if getattr(request, "_ninja_csrf_exempt", False):
            # An upload (kit/api_uploads.py csrf_after_checks): the token sits in the multipart body, which
            # nothing may read before the endpoint has checked the permission and the size; read_multipart
            # checks it then. No operation of this API is exempt from the session's CSRF check.
            defer_csrf(request)
        elif check_csrf(request):
            raise CsrfFailed()
        return request.user


class Utf8JSONRenderer(JSONRenderer):
    """JSON as UTF-8 text: Chinese names are written as themselves, not as \\uXXXX escapes (the response
    says charset=utf-8)."""

    json_dumps_params = {"ensure_ascii": False}


api = NinjaAPI(
    title="Tongcheng API",
    version="1",
    description="Tongcheng (同城) — adjacent-zone integration platform. All lists are paginated "
    "(limit/offset) and scoped to the caller; a record you may not see is a 404.",
    urls_namespace="api",
    auth=[TokenAuth(), TokenHeaderAuth(), SessionAuth()],
    docs_url="/docs",
    renderer=Utf8JSONRenderer(),
)


def _error(
    request: HttpRequest,
    status: int,
    code: str,
    message: str | None = None,
    field: str | None = None,
    errors: list | None = None,
):
    """The error JSON. The code must be registered (kit/error_codes.py), with this status; without a more
    precise message, the code's label is the message, in the caller's language."""
    check_error_code(code, status)
    body = {"code": code, "message": message if message is not None else error_label(code)}
    if field:
        body["field"] = field
    body["errors"] = errors or []
    return api.create_response(request, body, status=status)


@api.exception_handler(ServiceError)
def service_error(request: HttpRequest, exc: ServiceError):
    body = exc.as_dict()
    return _error(request, exc.status, body["code"], body["message"], body.get("field"), body.get("errors"))


def _field_of(loc: list) -> str:
    # Ninja locations look like ["body", "payload", "members", 0, "code"]; keep the part the caller wrote.
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "payload", "filters")]
    return ".".join(parts) or "body"


@api.exception_handler(NinjaValidationError)
def validation_error(request: HttpRequest, exc: NinjaValidationError):
    errors = [_validation_item(e) for e in exc.errors]
    first = errors[0] if errors else {"field": None, "message": _("Invalid input.")}
    return _error(request, 422, "validation_failed", first["message"], first["field"], errors)


def _validation_item(error: dict) -> dict:
    # The shared rules of core/limits.py arrive with their own code as the type and their translated
    # message (core/schemas.py shared_rule), the same words the page's form shows.
    field = _field_of(list(error.get("loc", [])))
    if error.get("type") == "extra_forbidden":
        # Input schemas forbid unknown keys, so a misspelt field is refused instead of silently dropped.
        code = "unknown_field"
        message = _("%(field)s is not a field of this request; check its spelling.") % {"field": field}
    else:
        # Pydantic's own English words become ours, in the caller's language (kit/validation_messages.py).
        code, message = error.get("type", "invalid"), message_for(error)
    return {"field": field, "code": code, "message": message}


@api.exception_handler(DjangoValidationError)
def model_validation_error(request: HttpRequest, exc: DjangoValidationError):
    """A model's own checks (full_clean) refused the data: 422 naming each field."""
    if hasattr(exc, "error_dict"):
        errors = [
            {"field": name, "code": e.code or "invalid", "message": str(m)}
            for name, items in exc.error_dict.items()
            for e in items
            for m in e.messages
        ]
    else:
        errors = [
            {"field": None, "code": e.code or "invalid", "message": str(m)}
            for e in exc.error_list
            for m in e.messages
        ]
    first = errors[0] if errors else {"field": None, "message": _("Invalid input.")}
    return _error(request, 422, "validation_failed", first["message"], first["field"], errors)


@api.exception_handler(DataError)
def data_error(request: HttpRequest, exc: DataError):
    """The database refused a value the schema let through (e.g. a NUL character inside JSON text)."""
    return _error(request, 422, "invalid_value")


@api.exception_handler(OperationalError)
@api.exception_handler(InterfaceError)
def database_unavailable(request: HttpRequest, exc: Exception):
    """The database does not answer (down, restarting, unreachable): 503, so that clients retry. The cause
    goes to the log for the operators, never to the caller."""
    logging.getLogger(__name__).error(
        "Database unavailable: %s %s", request.method, request.path, exc_info=exc
    )
    return _error(request, 503, "database_unavailable")


@api.exception_handler(AuthenticationError)
def authentication_error(request: HttpRequest, exc: AuthenticationError):
    """No credentials, or a token that is unknown, revoked or expired: 401 with a Bearer challenge."""
    response = _error(request, 401, "unauthenticated")
    challenge = 'Bearer realm="api"'
    if isinstance(exc, InvalidToken):
        challenge += ', error="invalid_token"'
    response["WWW-Authenticate"] = challenge
    return response


@api.exception_handler(CsrfFailed)
def csrf_failed(request: HttpRequest, exc: CsrfFailed):
    return _error(request, 403, "csrf_failed")


@api.exception_handler(Http404)
def not_found(request: HttpRequest, exc: Http404):
    return _error(request, 404, "not_found")


@api.exception_handler(HttpError)
def http_error(request: HttpRequest, exc: HttpError):
    return _error(request, exc.status_code, "http_error", str(exc) or None)


api.add_router("/", core_router)
api.add_router("/tools", tools_router)
api.add_router("/jobs", jobs_router)
api.add_router("/cooperation", cooperation_router)
api.add_router("/cooperation", cooperation_sharing_router)
api.add_router("/cooperation", cooperation_settlements_router)
