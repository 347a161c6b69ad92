"""``{% load core_calendar %}{% schedule_warning as warning %}``: the missing-schedule warning for office
users (None for everyone else), so a page shows it without its view knowing about the calendar."""

from __future__ import annotations

from typing import Any

from django import template

from tongcheng.kit.access import scope_of

from .. import checks

register = template.Library()


@register.simple_tag(takes_context=True)
def schedule_warning(context: dict[str, Any]) -> checks.ScheduleWarning | None:
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not scope_of(user).has_role("office"):
        return None
    return checks.missing_schedule_warning(checks.today())
