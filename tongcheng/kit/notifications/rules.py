"""A notification is its recipient's alone: nobody else sees it, whatever their role."""

from __future__ import annotations

from typing import Any

from django.db.models import Q

from tongcheng.kit.access import NONE, register_rule

from .models import Notification


@register_rule(Notification, actions=("view", "mark_read"))
def notification_rule(scope: Any, action: str) -> Q:
    if action in {"view", "mark_read"} and scope.user_id:
        return Q(recipient_id=scope.user_id)
    return NONE
