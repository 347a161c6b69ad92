"""The rule for a free-text note or reason given with a workflow step."""

from __future__ import annotations

import re

from django.utils.translation import gettext as _

from tongcheng.kit.services import ValidationFailed

from .models import NOTE_MAX

__all__ = ["clean_note"]

_LINE_BREAKS = re.compile(r"\r\n?")
# Control characters other than tab and line break, and lone surrogates: they corrupt exports and logs.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")


def clean_note(value: str | None, *, required: bool, field: str = "note") -> str:
    """The note stripped, with line breaks made uniform; refused (422 naming ``field``) when required and
    empty, too long, or holding control characters."""
    text = _LINE_BREAKS.sub("\n", (value or "").strip())
    if required and not text:
        raise ValidationFailed(_("Give the reason for this step."), code="required", field=field)
    bad = _CONTROL.search(text)
    if bad:
        raise ValidationFailed(
            _("The text contains a control character (U+%(codepoint)s) at position %(position)s; remove it.")
            % {"codepoint": f"{ord(bad.group()):04X}", "position": bad.start() + 1},
            code="control_character",
            field=field,
        )
    if len(text) > NOTE_MAX:
        raise ValidationFailed(
            _("Enter at most %(maximum)s characters (this text has %(length)s).")
            % {"maximum": NOTE_MAX, "length": len(text)},
            code="too_long",
            field=field,
        )
    return text
