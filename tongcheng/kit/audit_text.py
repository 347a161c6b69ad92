"""An audit entry in words, for the audit log page and its exports: who (a display name, or "system"), when
(one format per language), the kind of record (its model's verbose name) and what changed (field verbose
names, choice labels instead of codes, "before → after"), never raw codes or JSON.

The words come from the models themselves wherever they can: a key of an entry's data that is a field of
the audited model reads as that field's verbose name, and its values through the field's choices. Keys
that are not fields (a reason, a note, the members of a new zone) are named once by the app that writes
them (``register_data_label``)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import FieldDoesNotExist
from django.db import models
from django.utils import formats, timezone
from django.utils.dateparse import parse_date, parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from .access import restrict

__all__ = [
    "EMPTY",
    "change_lines",
    "data_lines",
    "entry_lines",
    "format_date",
    "format_time",
    "linked_names",
    "linked_text",
    "model_of",
    "object_type_label",
    "register_data_label",
    "value_text",
    "who",
]

EMPTY = "—"


@dataclass(frozen=True)
class _DataLabel:
    label: Any
    value: Callable[[Any], str] | None = None


_DATA_LABELS: dict[str, _DataLabel] = {}


def register_data_label(key: str, label: Any, value: Callable[[Any], str] | None = None) -> None:
    """Name a key of audit data that is not a field of the audited model (``value`` turns its stored value
    into words, when it is a code)."""
    _DATA_LABELS[key] = _DataLabel(label, value)


# Keys the kit itself writes (see services.change_record) or that every app uses.
register_data_label("reason", gettext_lazy("Reason"))
register_data_label("note", gettext_lazy("Note"))
register_data_label("overwrite", gettext_lazy("Written over a newer version on purpose"))


def format_time(value: dt.datetime | None) -> str:
    """A moment in the site's time zone, in the one format of the active language (DATETIME_FORMAT of
    tongcheng/formats: the same on lists, detail pages, histories and the audit log)."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    return formats.date_format(value, "DATETIME_FORMAT")


def format_date(value: dt.date | None) -> str:
    """A day in the one format of the active language (DATE_FORMAT of tongcheng/formats)."""
    return "" if value is None else formats.date_format(value, "DATE_FORMAT")


def who(entry: Any) -> str:
    """The actor's display name, else its username; "system" for work no user did."""
    actor: Any = getattr(entry, "actor", None)
    display_name = str(getattr(actor, "display_name", None) or "")
    if display_name:
        return display_name
    name = entry.actor_name or ""
    return _("system") if name in {"", "system"} else name


def model_of(object_type: str) -> type[models.Model] | None:
    """The model of an entry's ``object_type`` ("app_label.modelname"), if it still exists."""
    try:
        return apps.get_model(object_type)
    except (LookupError, ValueError):
        return None


def object_type_label(object_type: str) -> str:
    model = model_of(object_type)
    return capfirst(str(model._meta.verbose_name)) if model is not None else object_type


def _field(model: type[models.Model] | None, name: str) -> models.Field | None:
    if model is None:
        return None
    try:
        field = model._meta.get_field(name)
    except FieldDoesNotExist:
        return None
    return field if isinstance(field, models.Field) else None


def _plain(value: Any) -> str:
    if value is None or value == "" or value == []:
        return EMPTY
    if isinstance(value, bool):
        return pgettext("audit value", "yes") if value else pgettext("audit value", "no")
    if isinstance(value, (list, tuple)):
        return pgettext("list separator", ", ").join(_plain(v) for v in value)
    if isinstance(value, dict):
        return pgettext("list separator", ", ").join(f"{k}: {_plain(v)}" for k, v in value.items())
    return str(value)


def value_text(field: models.Field | None, value: Any) -> str:
    """A stored value in words: a choice by its label, a date or moment in the language's format."""
    if field is not None and field.choices and not isinstance(value, (list, dict)):
        labels = {str(k): v for k, v in field.flatchoices}
        if str(value) in labels:
            return str(labels[str(value)])
    if isinstance(field, models.DateTimeField):
        moment = parse_datetime(value) if isinstance(value, str) else value
        if isinstance(moment, dt.datetime):
            return format_time(moment)
    elif isinstance(field, models.DateField):
        day = parse_date(value) if isinstance(value, str) else value
        if isinstance(day, dt.date):
            return format_date(day)
    return _plain(value)


def _name_of(obj: models.Model) -> str:
    # A bilingual record names itself in the reader's language (core's Bilingual.display); the kit cannot
    # import core, so it asks the record.
    display = getattr(obj, "display", None)
    return str(display) if isinstance(display, str) and display else str(obj)


def linked_names(user: Any, model: Any, pks: Any) -> dict[str, str]:
    """The names of the linked records ``pks`` of ``model`` the user may see, by primary key (as text): a
    record the user may not see is never named (kit.access.visible_or_none, for many rows at once)."""
    wanted = {pk for pk in pks if pk not in (None, "")}
    if not wanted:
        return {}
    rows = restrict(model._default_manager.filter(pk__in=wanted), user, "view")
    return {str(obj.pk): _name_of(obj) for obj in rows}


def linked_text(value: Any, names: dict[str, str]) -> str:
    if value in (None, ""):
        return EMPTY
    return names.get(str(value), pgettext("a linked record the reader may not see", "(not shown)"))


def _label(model: type[models.Model] | None, key: str) -> tuple[str, models.Field | None]:
    registered = _DATA_LABELS.get(key)
    field = _field(model, key)
    if registered is not None:
        return capfirst(str(registered.label)), field
    if field is not None:
        return capfirst(str(field.verbose_name)), field
    return key, None


def _line(label: str, text: str) -> str:
    return _("%(label)s: %(text)s") % {"label": label, "text": text}


def change_lines(entry: Any, user: Any = None) -> list[str]:
    """One line per changed field: "field: before → after", in words. Given the reader, a linked record
    (a zone's parent, an organisation's zone) is named in the reader's language when the reader may see
    it, and "not shown" otherwise; without a reader it stays its key."""
    model = model_of(entry.object_type)
    changes = (entry.data or {}).get("changes") or {}
    lines = []
    for name, pair in changes.items():
        label, field = _label(model, name)
        before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        if user is not None and field is not None and field.many_to_one:
            names = linked_names(user, field.related_model, {before, after})
            texts = {"before": linked_text(before, names), "after": linked_text(after, names)}
        else:
            texts = {"before": value_text(field, before), "after": value_text(field, after)}
        lines.append(_line(label, _("%(before)s → %(after)s") % texts))
    return lines


def data_lines(entry: Any) -> list[str]:
    """The other keys of the entry's data (a reason, a note, the members …), each labelled."""
    model = model_of(entry.object_type)
    lines = []
    for key, value in (entry.data or {}).items():
        if key == "changes":
            continue
        label, field = _label(model, key)
        registered = _DATA_LABELS.get(key)
        text = registered.value(value) if registered and registered.value else value_text(field, value)
        lines.append(_line(label, text))
    return lines


def entry_lines(entry: Any, user: Any = None) -> list[str]:
    """Everything the entry's data says, in words: the changes first, then the rest."""
    return change_lines(entry, user) + data_lines(entry)
