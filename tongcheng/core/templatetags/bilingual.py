"""Template filters for record text in the user's language (see tongcheng.core.bilingual)."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import formats
from django.utils.translation import gettext as _

from .. import bilingual

register = template.Library()


@register.filter
def tr(obj, field: str) -> str:
    """``{{ zone|tr:"description" }}``: the English twin in the English UI when there is one."""
    if obj is None:
        return ""
    return bilingual.text_for(obj, field)


@register.filter
def source_where(source: dict) -> str:
    return bilingual.source_where(source)


@register.filter
def precise_date(value: dt.date | None, precision: str = "day") -> str:
    """A date shown only as far as the sources give it: 2002-04, 2011, or "unknown" (in the language's one
    format, tongcheng/formats)."""
    if precision == "unknown":
        return _("unknown")
    if value is None:
        return ""
    if precision == "month":
        return formats.date_format(value, "YEAR_MONTH_FORMAT")
    if precision == "year":
        return formats.date_format(value, "Y")
    return formats.date_format(value, "DATE_FORMAT")
