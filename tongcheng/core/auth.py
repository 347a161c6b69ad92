"""Sign-in with lockout: after LOGIN_FAILURE_LIMIT failures within LOGIN_LOCKOUT_MINUTES an account
refuses every attempt, right or wrong, until the window has passed."""

from __future__ import annotations

from datetime import timedelta

from django.conf import settings
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from .models import LoginAttempt


def _client_ip(request) -> str | None:
    if request is None:
        return None
    return request.META.get("REMOTE_ADDR")


def is_locked(username: str) -> bool:
    since = timezone.now() - timedelta(minutes=settings.LOGIN_LOCKOUT_MINUTES)
    recent = LoginAttempt.objects.filter(username=username, at__gte=since).order_by("-at")
    failures = 0
    for succeeded in recent.values_list("succeeded", flat=True)[: settings.LOGIN_FAILURE_LIMIT]:
        if succeeded:
            break
        failures += 1
    return failures >= settings.LOGIN_FAILURE_LIMIT


class LockoutModelBackend(ModelBackend):
    def authenticate(self, request, username=None, password=None, **kwargs):
        if username is None:
            username = kwargs.get("email")
        if not username:
            return None
        if is_locked(username):
            # PermissionDenied stops Django trying other backends and is reported as a failed login.
            raise PermissionDenied("locked")
        user = super().authenticate(request, username=username, password=password, **kwargs)
        LoginAttempt.objects.create(username=username, ip=_client_ip(request), succeeded=user is not None)
        return user
