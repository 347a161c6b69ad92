"""Change history of a record for its detail page (django-simple-history), shown only to those whose
role may see history of that record (the ``history`` action of its access rule)."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from .access import can

__all__ = ["record_history"]


def record_history(request: HttpRequest, obj: Any, limit: int = 50) -> list[dict[str, Any]] | None:
    """Change history of a record, newest first, for those who may see it (None hides the section)."""
    if not can(request.user, "history", obj):
        return None
    records = list(
        obj.history.select_related("history_user").order_by("-history_date", "-history_id")[:limit]
    )
    out = []
    for newer, older in zip(records, records[1:] + [None], strict=False):
        changes = []
        if older is not None:
            delta = newer.diff_against(older)
            changes = [{"field": c.field, "old": c.old, "new": c.new} for c in delta.changes]
        out.append(
            {
                "at": newer.history_date,
                "user": newer.history_user,
                "type": newer.get_history_type_display(),
                "changes": changes,
            }
        )
    return out
