"""Middleware every app relies on: a request id (ties audit entries and logs of one request together),
NUL characters refused at the edge, and the Permissions-Policy header."""

from __future__ import annotations

import contextvars
import re
import time
import uuid

from django.conf import settings
from django.http import JsonResponse
from django.utils.translation import gettext

REQUEST_ID_RE = re.compile(r"[A-Za-z0-9._-]{1,40}")

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("tongcheng_request_id", default="")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        # A caller may pass its own id to correlate logs; anything but a plain token is replaced.
        rid = request.headers.get("X-Request-Id", "")[:40]
        if not REQUEST_ID_RE.fullmatch(rid):
            rid = uuid.uuid4().hex
        token = request_id_var.set(rid)
        request.id = rid
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-Id"] = rid
        return response


class RejectNulMiddleware:
    """A NUL character is never valid input, and PostgreSQL refuses it in text (a DataError, which would
    be a 500): refuse it at the edge with a 400 naming where it was."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        where = None
        if "\x00" in request.path:
            where = "path"
        else:
            for key, values in request.GET.lists():
                if "\x00" in key or any("\x00" in v for v in values):
                    where = key.replace("\x00", "")
                    break
        if where is None:
            # Headers and cookies too: a session cookie is looked up in the database.
            for key, value in request.META.items():
                if key.startswith("HTTP_") and isinstance(value, str) and "\x00" in value:
                    where = "cookie" if key == "HTTP_COOKIE" else key[5:].lower().replace("_", "-")
                    break
        if where is None and any("\x00" in value for value in request.COOKIES.values()):
            where = "cookie"  # a quoted cookie can carry an escaped NUL that parsing turns back into one
        if where is None and request.content_type == "application/json" and b"\\u0000" in request.body:
            where = "body"
        if where is not None:
            body = {
                "code": "invalid_character",
                "message": gettext("The input contains a NUL character."),
                "field": where,
                "errors": [],
            }
            return JsonResponse(body, status=400, json_dumps_params={"ensure_ascii": False})
        return self.get_response(request)


class PermissionsPolicyMiddleware:
    """Sends ``Permissions-Policy`` from ``settings.PERMISSIONS_POLICY`` ({feature: [allowed origins]}):
    the platform needs no camera, microphone, location, payment or device access, so a script that got
    into a page anyway (or a framed page of ours) cannot ask the browser for them."""

    def __init__(self, get_response):
        self.get_response = get_response
        policy = getattr(settings, "PERMISSIONS_POLICY", {}) or {}
        self.header = ", ".join(
            f"{feature}=({' '.join(_allowlist_item(origin) for origin in origins)})"
            for feature, origins in policy.items()
        )

    def __call__(self, request):
        response = self.get_response(request)
        if self.header and "Permissions-Policy" not in response:
            response["Permissions-Policy"] = self.header
        return response


def _allowlist_item(origin: str) -> str:
    # Structured-header syntax: the keywords stay bare, origins are quoted strings.
    return origin if origin in {"self", "*"} else f'"{origin}"'


class SessionTouchMiddleware:
    """Idle expiry without a database write on every request: a signed-in session is saved again (its expiry
    and its cookie's max-age renewed) once ``TONGCHENG_SESSION_TOUCH_SECONDS`` have passed since it was last
    saved, instead of on every request (``SESSION_SAVE_EVERY_REQUEST``, which cost each request a write
    transaction). The idle limit is thereby exact to within that interval. Place it right after Django's
    SessionMiddleware."""

    KEY = "_tc_touched"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        session = getattr(request, "session", None)
        if session is None or session.modified or response.status_code == 500:
            return response
        # Only a session that exists in the store and carries a sign-in: nothing is created for a visitor.
        if session.session_key is None or "_auth_user_id" not in session:
            return response
        now = int(time.time())
        interval = getattr(settings, "TONGCHENG_SESSION_TOUCH_SECONDS", 60)
        if now - int(session.get(self.KEY, 0)) >= interval:
            session[self.KEY] = now
        return response
