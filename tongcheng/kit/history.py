"""Change history of a record for its detail page (django-simple-history), shown only to those whose
role may see history of that record (the ``history`` action of its access rule).

The history reads as words of the reader's language, like the audit log (kit.audit_text): the event
("Created", "Changed", "Deleted"), each changed field by its verbose name, choices by their label, dates
in the language's one format, and a linked record by its name in the reader's language, only when the
reader may see it (else "not shown": a history never names what its reader may not see). Bookkeeping
fields (the version, timestamps, derived keys such as a path or a sort key) are left out."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.http import HttpRequest
from django.utils.text import capfirst
from django.utils.translation import pgettext_lazy

from .access import can
from .audit_text import linked_names, linked_text, value_text

__all__ = ["record_history"]

EVENTS = {
    "+": pgettext_lazy("history event", "Created"),
    "~": pgettext_lazy("history event", "Changed"),
    "-": pgettext_lazy("history event", "Deleted"),
}


def _hidden_fields(model: type[models.Model]) -> set[str]:
    return {"version"} | {f.name for f in model._meta.concrete_fields if not f.editable}


def record_history(request: HttpRequest, obj: Any, limit: int = 50) -> list[dict[str, Any]] | None:
    """Change history of a record, newest first, for those who may see it (None hides the section)."""
    if not can(request.user, "history", obj):
        return None
    model = type(obj)
    records = list(
        obj.history.select_related("history_user").order_by("-history_date", "-history_id")[:limit]
    )
    hidden = _hidden_fields(model)
    deltas = []
    for newer, older in zip(records, records[1:] + [None], strict=False):
        changes = newer.diff_against(older, excluded_fields=hidden).changes if older is not None else []
        deltas.append((newer, changes))
    # Linked records are named in one query per linked model, whatever the length of the history.
    wanted: dict[str, set[Any]] = {}
    for _newer, changes in deltas:
        for change in changes:
            field = model._meta.get_field(change.field)
            if field.is_relation and field.many_to_one:
                wanted.setdefault(change.field, set()).update({change.old, change.new})
    names = {
        name: linked_names(request.user, model._meta.get_field(name).related_model, pks)
        for name, pks in wanted.items()
    }
    out = []
    for newer, changes in deltas:
        lines = []
        for change in changes:
            field = model._meta.get_field(change.field)
            if change.field in names:
                old, new = (
                    linked_text(change.old, names[change.field]),
                    linked_text(change.new, names[change.field]),
                )
            else:
                old, new = value_text(field, change.old), value_text(field, change.new)
            lines.append({"field": capfirst(str(field.verbose_name)), "old": old, "new": new})
        user = newer.history_user
        out.append(
            {
                "at": newer.history_date,
                "user": (getattr(user, "display_name", "") or user.get_username()) if user else None,
                "type": EVENTS.get(newer.history_type, newer.history_type),
                "changes": lines,
            }
        )
    return out
