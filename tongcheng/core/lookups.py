"""Reads that validate against the records: a GB/T 2260 code must exist at a date."""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from .models import Jurisdiction
from .validators import InvalidValue, check_division_code_format, gettext_noop

__all__ = ["jurisdiction_at", "check_division_code_at"]


def jurisdiction_at(code: str, day: dt.date | None = None) -> Jurisdiction | None:
    """The jurisdiction that carried ``code`` on ``day`` (default today), or None."""
    return (
        Jurisdiction.objects.valid_on(day or timezone.localdate())
        .filter(code=code)
        .select_related("parent", "successor")
        .first()
    )


def check_division_code_at(code: str, day: dt.date | None = None) -> Jurisdiction:
    """Validator for forms, schemas and importers: well formed, and in force on the date."""
    code = check_division_code_format(code, allow_town=True)
    found = jurisdiction_at(code, day)
    if found is None:
        day = day or timezone.localdate()
        raise InvalidValue(
            "division_unknown_at_date",
            gettext_noop("No jurisdiction has the code %(code)s on %(date)s."),
            {"code": code, "date": day.isoformat()},
        )
    return found
