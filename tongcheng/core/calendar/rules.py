"""Who reads and who enters the holiday schedules.

The schedule is national — one State Council notice for the whole country — so it is neither a zone's
nor a jurisdiction's record: every staff role reads it (their deadlines depend on it), and only the
metropolitan-area office (an office grant on the metro area) enters it. A zone's office does not: its
entry would move the deadlines of every other zone, which it does not run. Applicants work with the
deadlines of their own cases, not with the calendar, so the pages do not exist for them (404)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from tongcheng.core.scope import HISTORY_ROLES, STAFF_ROLES, Scope
from tongcheng.kit.access import ALL, NONE, register_rule, scope_of
from tongcheng.kit.auditing import Anchors, register_action, register_anchors

from .models import HolidaySchedule, ScheduleDay

__all__ = ["may_enter", "may_read"]

EDITOR_ROLE = "office"


def _reads(scope: Scope) -> bool:
    return scope.has_role(*STAFF_ROLES)


def _enters(scope: Scope) -> bool:
    return scope.superuser or any(g.role == EDITOR_ROLE and g.metro_id for g in scope.grants)


def may_read(user: Any) -> bool:
    """Whether the user sees the calendar pages."""
    scope = scope_of(user)
    return scope.authenticated and _reads(scope)


def may_enter(user: Any) -> bool:
    """Whether the user enters schedules (the metropolitan-area office)."""
    scope = scope_of(user)
    return scope.authenticated and _enters(scope)


def _rule(scope: Scope, action: str) -> Q:
    if action == "view":
        return ALL if _reads(scope) else NONE
    if action == "change":
        return ALL if _enters(scope) else NONE
    if action == "history":
        return ALL if scope.has_role(*HISTORY_ROLES) else NONE
    return NONE


register_rule(HolidaySchedule, actions=("view", "change", "history"))(_rule)
register_rule(ScheduleDay, actions=("view", "change", "history"))(_rule)
register_action("calendar.schedule", _("Holiday schedule entered"))


@register_anchors(HolidaySchedule)
def _schedule_anchors(obj: HolidaySchedule) -> Anchors:
    # A national record: its audit entry is anchored on the metropolitan area whose office entered it, so
    # that area's offices and auditors read it in the audit log.
    if obj.entered_by is None:
        return {}
    metros = sorted(
        g.metro_id for g in scope_of(obj.entered_by).grants if g.role == EDITOR_ROLE and g.metro_id
    )
    return {"metro_id": metros[0]} if metros else {}
