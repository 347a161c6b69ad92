"""What the edit pages share: a service's refusal shown beside the field or member row it concerns."""

from __future__ import annotations

import re
from typing import Any

from django import forms

from tongcheng.kit.services import ServiceError

__all__ = ["place_service_error"]

_ROW_FIELD = re.compile(r"^members\.(\d+)\.")


def place_service_error(
    exc: ServiceError,
    form: forms.Form,
    formset: forms.BaseFormSet | None = None,
    rows: list[int] | None = None,
    aliases: dict[str, str] | None = None,
) -> list[str]:
    """Put each error of a ServiceError where it belongs: ``members.<i>.<x>`` beside the member row the
    service's i-th member came from (``rows[i]`` is that row's index in the formset), a field of the form
    beside that field (``aliases`` renames a service field to the form's), anything else at the top of the
    form. Returns the messages about the members as a whole (``members``), for the members' fieldset."""
    aliases = aliases or {}
    members: list[str] = []
    items: list[dict[str, Any]] = exc.errors or [{"field": exc.field, "message": str(exc.message)}]
    for item in items:
        field = item.get("field") or ""
        message = str(item.get("message") or exc.message)
        row = _ROW_FIELD.match(field)
        if row and formset is not None and rows is not None and int(row[1]) < len(rows):
            formset.forms[rows[int(row[1])]].add_error("member", message)
        elif field == "members" and formset is not None:
            members.append(message)
        else:
            name = aliases.get(field, field)
            visible = name in form.fields and not form.fields[name].widget.is_hidden
            form.add_error(name if visible else None, message)
    return members
