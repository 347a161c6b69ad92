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
from django.utils import dateformat, timezone
from django.utils.dateparse import parse_datetime
from django.utils.text import capfirst
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

__all__ = [
    "change_lines",
    "data_lines",
    "entry_lines",
    "format_time",
    "model_of",
    "object_type_label",
    "register_data_label",
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
    """A moment in the site's time zone, in the one format of the active language."""
    if value is None:
        return ""
    if timezone.is_aware(value):
        value = timezone.localtime(value)
    # The format string is itself translated, so each language has exactly one.
    return dateformat.format(value, pgettext("date and time format of the audit log", "Y-m-d H:i"))


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


def _value_text(field: models.Field | None, value: Any) -> str:
    if field is not None and field.choices and not isinstance(value, (list, dict)):
        labels = {str(k): v for k, v in field.flatchoices}
        if str(value) in labels:
            return str(labels[str(value)])
    if isinstance(field, models.DateTimeField) and isinstance(value, str):
        moment = parse_datetime(value)
        if moment is not None:
            return format_time(moment)
    return _plain(value)


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


def change_lines(entry: Any) -> list[str]:
    """One line per changed field: "field: before → after", in words."""
    model = model_of(entry.object_type)
    changes = (entry.data or {}).get("changes") or {}
    lines = []
    for name, pair in changes.items():
        label, field = _label(model, name)
        before, after = (pair + [None, None])[:2] if isinstance(pair, list) else (None, pair)
        lines.append(
            _line(
                label,
                _("%(before)s → %(after)s")
                % {"before": _value_text(field, before), "after": _value_text(field, after)},
            )
        )
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
        text = registered.value(value) if registered and registered.value else _value_text(field, value)
        lines.append(_line(label, text))
    return lines


def entry_lines(entry: Any) -> list[str]:
    """Everything the entry's data says, in words: the changes first, then the rest."""
    return change_lines(entry) + data_lines(entry)
