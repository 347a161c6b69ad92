"""List filters declared once for the page and the API (issue 7, point 8).

A list's ``ListSpec`` (``kit/listing.py``) declares its search, filters, date ranges and sortable columns.
The page applies them with ``render_list``; an API list endpoint takes the same parameters through the
query schema ``query_schema(spec)`` builds and applies them with ``api_list``, which runs the very same
``apply_list_params``. So a parameter means the same on both, is refused the same way (the page answers
400 with a message naming it, the API 422 ``validation_failed`` with ``field`` = the parameter and the
same message) and is documented in the OpenAPI schema (with the enum of its values when they are fixed).

The kinds of filter, each answering ``choices(user)``, ``refusal(value, user)`` and ``apply(qs, value,
user)``:

- ``listing.Filter``: a value among those the page offers (``Choices`` for fixed ones);
- ``Mine``: rows of the current user — created by them, assigned to them, in their territory — a lookup
  that depends on who asks (``?mine=1``);
- ``Overdue``: rows whose due date is before today (and still open), or in an "overdue" clock state
  (``?overdue=1``, or ``0`` for the others);
- ``Code``: a free value matched exactly (a code or key), checked against a pattern; the page shows a
  text input;
- ``listing.DateRange``: ``<param>_from`` / ``<param>_to``, days written YYYY-MM-DD, both included.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext_lazy as _
from ninja import Schema
from pydantic import Field, create_model

from .listing import ListSpec, _invalid, apply_list_params
from .services import ValidationFailed

__all__ = ["Choices", "Code", "Mine", "Overdue", "api_list", "query_schema"]


class Choices:
    """Fixed choices of a filter (a ``TextChoices``' ``.choices``, or pairs): the page offers them, and the
    API publishes their values as the parameter's enum. Filters whose values depend on the user (zones
    they see) keep a plain function."""

    def __init__(self, pairs: Iterable[tuple[Any, Any]]):
        self.pairs = [(str(value), label) for value, label in pairs]

    @property
    def values(self) -> list[str]:
        return [value for value, _label in self.pairs]

    def __call__(self, user: Any) -> list[tuple[str, Any]]:
        return list(self.pairs)


YES = "1"


@dataclass(frozen=True)
class Mine:
    """Rows "of mine": ``q(user)`` says which (``Q(proposed_by=user)``, ``Q(granted_by=user)``, the
    user's territory …). The one value is ``1``; without the parameter every visible row is listed. The
    list stays inside what the user may see (the queryset is already restricted); this only narrows it."""

    param: str
    label: Any
    q: Callable[[Any], Q]
    choice_label: Any = _("Only mine")

    @property
    def static_values(self) -> list[str]:
        return [YES]

    def choices(self, user: Any) -> list[tuple[str, Any]]:
        return [(YES, self.choice_label)]

    def refusal(self, value: str, user: Any) -> str | None:
        return None if value == YES else _invalid(value, self.label)

    def apply(self, qs: QuerySet, value: str, user: Any) -> QuerySet:
        return qs.filter(self.q(user))


@dataclass(frozen=True)
class Overdue:
    """Overdue rows (``1``) or the others (``0``). Either a due-date field — overdue when it lies before
    today in the site's time zone, and the row is still open (``open_q``, e.g. ``Q(closed_at=None)``) —
    or ``q(today)`` for any other definition (a clock state, a computed deadline)."""

    param: str
    label: Any
    due_field: str | None = None
    open_q: Q = field(default_factory=Q)
    q: Callable[[dt.date], Q] | None = None

    def __post_init__(self) -> None:
        if (self.due_field is None) == (self.q is None):
            raise ValueError("Overdue needs exactly one of due_field and q")

    @property
    def static_values(self) -> list[str]:
        return [YES, "0"]

    def choices(self, user: Any) -> list[tuple[str, Any]]:
        return [(YES, _("Overdue")), ("0", _("Not overdue"))]

    def refusal(self, value: str, user: Any) -> str | None:
        return None if value in self.static_values else _invalid(value, self.label)

    def overdue_q(self, today: dt.date | None = None) -> Q:
        today = today or timezone.localdate()
        if self.q is not None:
            return self.q(today)
        return Q(**{f"{self.due_field}__lt": today}) & self.open_q

    def apply(self, qs: QuerySet, value: str, user: Any) -> QuerySet:
        overdue = self.overdue_q()
        return qs.filter(overdue) if value == YES else qs.exclude(overdue)


@dataclass(frozen=True)
class Code:
    """A free value matched exactly (``lookup``), e.g. a parent's code or a jurisdiction's code: too many
    values for a select, so the page shows a text input. A value that does not match ``pattern`` is
    refused; one that matches no visible row simply lists nothing (the rows are already restricted)."""

    param: str
    label: Any
    lookup: str
    pattern: str = r"[A-Za-z0-9_-]{1,64}"

    @property
    def static_values(self) -> None:
        return None

    def choices(self, user: Any) -> None:
        return None

    def refusal(self, value: str, user: Any) -> str | None:
        return None if re.fullmatch(self.pattern, value, flags=re.ASCII) else _invalid(value, self.label)

    def apply(self, qs: QuerySet, value: str, user: Any) -> QuerySet:
        return qs.filter(**{self.lookup: value})


def _static_values(flt: Any) -> list[str] | None:
    values = getattr(flt, "static_values", None)
    if values is not None:
        return list(values)
    choices = getattr(flt, "choices", None)
    return choices.values if isinstance(choices, Choices) else None


def _english(label: Any) -> str:
    # The OpenAPI document is in English, whatever language the process started in.
    with translation.override("en"):
        return str(label)


def query_schema(spec: ListSpec, name: str, search: str = "") -> type[Schema]:
    """The API's query parameters of a list, from its ``ListSpec``: ``q``, one per filter, the date ranges'
    ``<param>_from``/``<param>_to`` and ``sort``. Every parameter is text: the values are checked by
    ``api_list`` with the page's own rules (so both refuse with one message); the schema documents them
    (enum where the values are fixed, format and pattern for days)."""
    fields: dict[str, Any] = {
        "q": (str, Field(None, description=search or "Search: " + ", ".join(spec.search_fields))),
    }
    for flt in spec.filters:
        extra: dict[str, Any] = {}
        values = _static_values(flt)
        if values is not None:
            extra["enum"] = values
        elif isinstance(flt, Code):
            extra["pattern"] = f"^{flt.pattern}$"
        description = _english(flt.label)
        if isinstance(flt, Mine):
            description += " (1: only the rows of the caller)"
        elif isinstance(flt, Overdue):
            description += " (1: overdue, 0: not overdue)"
        fields[flt.param] = (str, Field(None, description=description, json_schema_extra=extra))
    for span in spec.date_ranges:
        start, end = span.params
        label = _english(span.label)
        for param, word in ((start, "from"), (end, "to")):
            fields[param] = (
                str,
                Field(
                    None,
                    description=f"{label} {word} this day (YYYY-MM-DD, included)",
                    json_schema_extra={"format": "date", "pattern": r"^\d{4}-\d{2}-\d{2}$"},
                ),
            )
    sortable = [c.name for c in spec.columns if c.sort]
    if sortable:
        fields["sort"] = (
            str,
            Field(
                None,
                description="Order by a column, descending with a leading '-'"
                + (f" (default {spec.default_sort})" if spec.default_sort else ""),
                json_schema_extra={"enum": [v for n in sortable for v in (n, "-" + n)]},
            ),
        )
    return create_model(name, __base__=Schema, **fields)


def api_list(qs: QuerySet, spec: ListSpec, params: Any, user: Any) -> QuerySet:
    """Apply an API list's query parameters (a ``query_schema`` instance, or a mapping) to its scoped
    queryset, exactly as the page does; a value the list does not offer is a 422 naming the parameter."""
    if isinstance(params, Schema):
        params = params.dict()
    qs, state = apply_list_params(qs, spec, params, user)
    problems = state["problems"]
    if problems:
        first = problems[0]
        raise ValidationFailed(first["message"], field=first["field"], errors=problems)
    return qs
