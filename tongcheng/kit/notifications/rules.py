"""A notification is its recipient's alone: nobody else sees it, whatever their role."""

from __future__ import annotations

from django.db.models import Q

from tongcheng.core.access import NONE, Scope, register_rule

from .models import Notification


@register_rule(Notification)
def notification_rule(scope: Scope, action: str) -> Q:
    if action in {"view", "mark_read"} and scope.user_id:
        return Q(recipient_id=scope.user_id)
    return NONE
