"""Core middleware: the signed-in user's remembered language."""

from __future__ import annotations

from django.conf import settings
from django.utils import translation


def activate_saved_language(request, user) -> None:
    """A signed-in user's saved language wins over the browser's (pages, and the API with a token)."""
    language = getattr(user, "language", "") if user is not None and user.is_authenticated else ""
    if language and language in dict(settings.LANGUAGES):
        translation.activate(language)
        request.LANGUAGE_CODE = language


class UserLanguageMiddleware:
    """After authentication: a signed-in user's saved language wins over the browser's."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        activate_saved_language(request, getattr(request, "user", None))
        return self.get_response(request)
