"""Request id (ties audit entries of one request together) and the user's remembered language."""

from __future__ import annotations

import contextvars
import uuid

from django.conf import settings
from django.utils import translation

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("tongcheng_request_id", default="")


class RequestIdMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        rid = request.headers.get("X-Request-Id", "")[:40] or uuid.uuid4().hex
        token = request_id_var.set(rid)
        request.id = rid
        try:
            response = self.get_response(request)
        finally:
            request_id_var.reset(token)
        response["X-Request-Id"] = rid
        return response


class UserLanguageMiddleware:
    """After authentication: a signed-in user's saved language wins over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        user = getattr(request, "user", None)
        language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
        if language and language in dict(settings.LANGUAGES):
            translation.activate(language)
            request.LANGUAGE_CODE = language
        return self.get_response(request)
