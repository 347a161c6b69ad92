"""Our answer when a request fails: the server-error handler (handler500) and the pages and JSON it gives.

They must work when the rest of the site does not: without the database (no session, no user, no context
processors), and without the static manifest (a stylesheet that cannot be named is left out). Under
/api/ the answer is the API's JSON error shape, elsewhere a page in the visitor's language showing the
request id (X-Request-Id) to quote when reporting it. No traceback or exception text is ever shown.

A database that does not answer (down, restarting, unreachable) is a 503, not a 500: it is not a bug and
the client should retry. It is decided here, in handler500, because the first query of a request is often
made by a middleware (the session and the signed-in user) before any view runs, where neither a view's
nor a middleware's exception hook would see it. The API's own views answer it in tongcheng/api.py.
"""

from __future__ import annotations

import sys

from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.template import loader
from django.templatetags.static import static
from django.urls import NoReverseMatch, reverse
from django.utils import translation
from django.utils.translation import gettext_lazy as _

from .middleware import request_id_var

DATABASE_UNAVAILABLE = (OperationalError, InterfaceError)
DATABASE_UNAVAILABLE_MESSAGE = _(
    "The database cannot be reached at the moment. Please try again in a few minutes."
)
SERVER_ERROR_MESSAGE = _("Something went wrong on our side. The error has been logged.")

STYLESHEETS = ("vendor/bootstrap/bootstrap.min.css", "css/tongcheng.css")


def server_error(request: HttpRequest) -> HttpResponse:
    """handler500: Django calls it while handling the uncaught exception, so sys.exc_info() names it."""
    if isinstance(sys.exc_info()[1], DATABASE_UNAVAILABLE):
        return error_response(request, 503, "database_unavailable", DATABASE_UNAVAILABLE_MESSAGE, "503.html")
    return error_response(request, 500, "server_error", SERVER_ERROR_MESSAGE, "500.html")


def error_response(request: HttpRequest, status: int, code: str, message, template_name: str) -> HttpResponse:
    with translation.override(_language_of(request)):
        if _is_api(request):
            body = {"code": code, "message": str(message), "errors": []}
            # UTF-8 text like the API's own answers (tongcheng/api.py), not \u escapes.
            return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
        context = {
            "request_id": getattr(request, "id", "") or request_id_var.get(),
            "stylesheets": _stylesheets(),
        }
        # No request: context processors would load the user, i.e. query the database.
        return HttpResponse(loader.render_to_string(template_name, context), status=status)


def _language_of(request: HttpRequest) -> str:
    # Set by LocaleMiddleware (and the user's saved choice) when the failure came after them; otherwise the
    # language cookie or the browser's, neither of which needs the database.
    return getattr(request, "LANGUAGE_CODE", "") or translation.get_language_from_request(request)


def _is_api(request: HttpRequest) -> bool:
    try:
        return request.path.startswith(reverse("api:api-root"))
    except NoReverseMatch:
        return False


def _stylesheets() -> list[str]:
    # With a missing or stale manifest, {% static %} raises: the error page then goes unstyled rather than
    # failing in turn.
    try:
        return [static(name) for name in STYLESHEETS]
    except ValueError:
        return []
