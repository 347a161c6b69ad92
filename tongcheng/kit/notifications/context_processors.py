"""The bell in the header: the signed-in user's unread count, counted by one query at most per request (and
not at all by a response that renders no page with the header)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from django.utils.functional import cached_property

from .models import Notification


class UnreadNotifications:
    def __init__(self, user: Any) -> None:
        self.user = user

    @cached_property
    def count(self) -> int:
        return Notification.objects.filter(recipient_id=self.user.pk, read_at__isnull=True).count()


def unread_notifications(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    # Kept on the request, so that several templates rendered for one request share the one count.
    cached = getattr(request, "_unread_notifications", None)
    if cached is None or cached.user is not user:
        cached = UnreadNotifications(user)
        request._unread_notifications = cached  # type: ignore[attr-defined]
    return {"unread_notifications": cached}
