"""Pydantic's validation messages in the caller's language.

Pydantic writes its messages in English ("Field required", "Input should be a valid integer …"). The API
answers in the request's language (Accept-Language, or the user's saved one), so a built-in error is
reworded from its type (a stable code) into our translated words, with the limits from its context.
Errors our own rules raise (core/limits.py, with their own code as type and an already translated
message) keep their message; a built-in type we have no words for gets a translated generic message,
never English in the Chinese API."""

from __future__ import annotations

from typing import Any, get_args

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from pydantic_core.core_schema import ErrorType

__all__ = ["message_for"]

_BUILTIN = frozenset(get_args(ErrorType))

_WORDS: dict[str, Any] = {
    "missing": gettext_lazy("This field is required."),
    "int_parsing": gettext_lazy("Enter a whole number."),
    "int_type": gettext_lazy("Enter a whole number."),
    "int_from_float": gettext_lazy("Enter a whole number."),
    "float_parsing": gettext_lazy("Enter a number."),
    "float_type": gettext_lazy("Enter a number."),
    "decimal_parsing": gettext_lazy("Enter a number."),
    "decimal_type": gettext_lazy("Enter a number."),
    "bool_parsing": gettext_lazy("Enter true or false."),
    "bool_type": gettext_lazy("Enter true or false."),
    "string_type": gettext_lazy("Enter text."),
    "date_parsing": gettext_lazy("Enter a date as YYYY-MM-DD."),
    "date_from_datetime_parsing": gettext_lazy("Enter a date as YYYY-MM-DD."),
    "date_type": gettext_lazy("Enter a date as YYYY-MM-DD."),
    "datetime_parsing": gettext_lazy("Enter a date and time as YYYY-MM-DDTHH:MM."),
    "datetime_type": gettext_lazy("Enter a date and time as YYYY-MM-DDTHH:MM."),
    "json_invalid": gettext_lazy("The request body is not valid JSON."),
    "model_type": gettext_lazy("Send an object with the fields of this request."),
    "dict_type": gettext_lazy("Send an object with the fields of this request."),
    "list_type": gettext_lazy("Send a list."),
}
# Errors whose words carry a limit from the error's context.
_LIMITED: dict[str, tuple[Any, str]] = {
    "string_too_long": (gettext_lazy("Use at most %(limit)s characters."), "max_length"),
    "string_too_short": (gettext_lazy("Use at least %(limit)s characters."), "min_length"),
    "too_long": (gettext_lazy("Send at most %(limit)s items."), "max_length"),
    "too_short": (gettext_lazy("Send at least %(limit)s items."), "min_length"),
    "greater_than_equal": (gettext_lazy("Enter a value of at least %(limit)s."), "ge"),
    "greater_than": (gettext_lazy("Enter a value greater than %(limit)s."), "gt"),
    "less_than_equal": (gettext_lazy("Enter a value of at most %(limit)s."), "le"),
    "less_than": (gettext_lazy("Enter a value less than %(limit)s."), "lt"),
    "enum": (gettext_lazy("Choose one of: %(limit)s."), "expected"),
    "literal_error": (gettext_lazy("Choose one of: %(limit)s."), "expected"),
}


def message_for(error: dict[str, Any]) -> str:
    """The message of one Pydantic error (an item of ``ValidationError.errors()``), in the active
    language."""
    kind = str(error.get("type", ""))
    ctx = error.get("ctx") or {}
    if kind in _WORDS:
        return str(_WORDS[kind])
    if kind in _LIMITED and _LIMITED[kind][1] in ctx:
        # (Our own rules may use the same type name, e.g. "too_long", with their own context and words.)
        words, key = _LIMITED[kind]
        return str(words) % {"limit": ctx[key]}
    if kind in {"value_error", "assertion_error"}:
        # Raised by our validators with our (translated) words; Pydantic prefixes them in English.
        cause = ctx.get("error")
        return str(cause) if cause is not None else str(error.get("msg", ""))
    if kind in _BUILTIN and kind not in _LIMITED:
        return _("Invalid value.")
    return str(error.get("msg", ""))
