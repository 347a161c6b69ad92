"""The registry of the error codes the API answers with (issue 7, point 3), in the style of the audited
actions (``kit/auditing.py``): every stable code is declared once, with its HTTP status and a label in
both languages (an English msgid, translated in the app's catalogue).

- The error JSON ``{code, message, field, errors}`` takes its message from here when the error has no more
  precise one (``ServiceError(code="session_required")``, the API's own 401/404/503 …); a service may
  still give a precise message that names the value at fault.
- An unregistered code is a programming error: raised while ``DEBUG`` or in tests
  (``TONGCHENG_STRICT_ACTIONS``, the same strictness as undeclared access actions), logged in production.
- ``docs/error-codes.md`` lists them; ``tests/kit/test_error_codes.py`` checks that every code used in the
  code base is registered, that every registered code has a Chinese label, and that the page is current
  (``tools/error_codes_doc.py`` writes it).

The kit registers its own codes below; an app registers its own when it starts (core:
``core/error_registry.py``). Field-rule codes (``core.validators.MESSAGES``, ``core.limits.MESSAGES``,
Pydantic's and Django's own) appear only inside ``errors[]`` items and keep their own tables."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext_lazy as _

__all__ = [
    "ERROR_CODES",
    "ErrorCode",
    "UnknownErrorCode",
    "check_error_code",
    "error_label",
    "error_status",
    "error_table",
    "markdown",
    "register_error",
]

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class ErrorCode:
    code: str
    status: int | None  # None: the status the error carries (a generic HTTP error)
    label: Any  # a gettext_lazy msgid: the message when the error gives none


class UnknownErrorCode(LookupError):
    """An error was raised with a code nobody registered (a typo, or a new code without its label)."""


ERROR_CODES: dict[str, ErrorCode] = {}


def register_error(code: str, status: int | None, label: Any) -> str:
    existing = ERROR_CODES.get(code)
    if existing is not None and existing.status != status:
        raise ValueError(f"error code {code!r} is already registered with status {existing.status}")
    ERROR_CODES[code] = ErrorCode(code, status, label)
    return code


def _strict() -> bool:
    return bool(settings.DEBUG or getattr(settings, "TONGCHENG_STRICT_ACTIONS", False))


def check_error_code(code: str, status: int | None = None) -> None:
    """Refuse an unregistered code (or one answered with another status than registered) in development
    and tests; log it in production, where the error is still answered."""
    entry = ERROR_CODES.get(code)
    if entry is None:
        problem = f"error code {code!r} is not registered (kit.error_codes.register_error)"
    elif status is not None and entry.status is not None and entry.status != status:
        problem = f"error code {code!r} is registered with status {entry.status}, answered with {status}"
    else:
        return
    if _strict():
        raise UnknownErrorCode(problem)
    logger.error(problem)


def error_label(code: str) -> str:
    """The code's message in the active language (the code itself when unregistered)."""
    entry = ERROR_CODES.get(code)
    return str(entry.label) if entry is not None else code


def error_status(code: str) -> int | None:
    entry = ERROR_CODES.get(code)
    return entry.status if entry is not None else None


def error_table() -> list[tuple[str, str, str, str]]:
    """(code, status, English label, Chinese label) of every registered code, by code: docs/error-codes.md."""
    rows = []
    for code in sorted(ERROR_CODES):
        entry = ERROR_CODES[code]
        with translation.override("en"):
            english = str(entry.label)
        with translation.override("zh-hans"):
            chinese = str(entry.label)
        rows.append((code, str(entry.status) if entry.status else "—", english, chinese))
    return rows


MARKDOWN_HEAD = """# Error codes (错误代码)

Every error the API answers is JSON `{"code", "message", "field", "errors"}` (docs/architecture.md,
section 6). `code` is stable and one of the codes below, declared once with its HTTP status and its label
in both languages (`tongcheng/kit/error_codes.py`; an app registers its own, e.g.
`tongcheng/core/error_registry.py`). The label is the `message` when the error has no more precise one;
a service often gives a precise message naming the value at fault, in the caller's language.

The items of `errors[]` carry, besides these, the codes of the field rules: `core/validators.py` and
`core/limits.py` (`MESSAGES`), Pydantic's own types (e.g. `string_too_long`) and Django's (e.g.
`max_length`).

This page is generated: `python tools/error_codes_doc.py` rewrites it, and
`tests/kit/test_error_codes.py` fails when it is out of date.

| code | HTTP | message (English) | 中文 |
| --- | --- | --- | --- |
"""


def markdown() -> str:
    """docs/error-codes.md: the table of every registered code."""
    lines = [
        f"| `{code}` | {status} | {english} | {chinese} |" for code, status, english, chinese in error_table()
    ]
    return MARKDOWN_HEAD + "\n".join(lines) + "\n"


for _code, _status, _label in (
    # The API's own answers (tongcheng/api.py, kit/errors.py, kit/middleware.py).
    ("unauthenticated", 401, _("Sign in or send a valid API token.")),
    (
        "csrf_failed",
        403,
        _("The request lacks the page's security token (CSRF); reload the page and try again."),
    ),
    ("invalid_character", 400, _("The input contains a NUL character.")),
    ("invalid_value", 422, _("A value cannot be stored as given.")),
    ("http_error", None, _("The request cannot be answered.")),
    (
        "database_unavailable",
        503,
        _("The database cannot be reached at the moment. Please try again in a few minutes."),
    ),
    ("server_error", 500, _("Something went wrong on our side. The error has been logged.")),
    # The service convention (kit/services.py).
    ("invalid", 400, _("The request is not valid.")),
    ("validation_failed", 422, _("Some of the input is not valid.")),
    ("not_found", 404, _("Not found.")),
    ("forbidden", 403, _("You may not do this.")),
    (
        "stale_version",
        409,
        _("This record was changed by someone else since you opened it; reload and try again."),
    ),
    (
        "version_required",
        422,
        _("Give the version of the record you edited, so that a newer change is not overwritten."),
    ),
    ("unknown_field", 422, _("A field of the request is not known; check its spelling.")),
    ("required", 422, _("A value is required.")),
    ("invalid_choice", 422, _("The value is not one of those offered.")),
    ("out_of_range", 422, _("The value is outside the allowed range.")),
    ("too_long", 422, _("The text is too long.")),
    ("control_character", 422, _("The text contains control characters.")),
    # Lists (kit/listing.py, kit/filters.py).
    ("invalid_date", 422, _("The date is not valid: write it as YYYY-MM-DD.")),
    ("date_range_reversed", 422, _("The start date is after the end date.")),
    # Imports (kit/importing.py): the upload is no table at all (the reader's own code is in errors[]).
    ("invalid_table", 400, _("The file cannot be read as a table (.csv or .xlsx).")),
    # Workflows and confirmations (kit/workflow).
    ("invalid_transition", 409, _("This step cannot be taken from the record's present state.")),
    ("unknown_transition", 422, _("No such step exists in this workflow.")),
    ("transition_blocked", 409, _("A condition of this step is not met.")),
    ("already_answered", 409, _("This party has already answered.")),
    ("confirmation_complete", 409, _("Every party has already confirmed.")),
    ("confirmation_pending", 409, _("Confirmation has already been asked and is awaited.")),
    ("round_refused", 409, _("Another party refused; wait until confirmation is asked again.")),
    ("duplicate_party", 422, _("A party is named twice.")),
    ("invalid_party", 422, _("A party must be an organisation or a jurisdiction.")),
    # Attachments (kit/attachments).
    ("empty_file", 400, _("The file is empty.")),
    ("file_too_large", 413, _("The file is too large.")),
    ("file_type_not_allowed", 415, _("This type of file is not accepted here.")),
    ("too_many_files", 409, _("No more files can be attached here.")),
):
    register_error(_code, _status, _label)
