"""The words of core's audit data that are not fields of the audited model (see kit.audit_text): the
audit log page names them instead of showing their keys."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from tongcheng.kit.audit_text import register_data_label

# Reasons written by services as codes rather than typed by a user.
_REASONS = {"founding office": _("The office of a zone it defined")}


def _reason(value: Any) -> str:
    return str(_REASONS.get(value, value)) if value else "—"


register_data_label("reason", _("Reason"), _reason)
register_data_label("members", _("Members (codes)"))
register_data_label("beyond_territory", _("Members beyond the office's territory"))
register_data_label("user", _("User"))
register_data_label("scope", _("Scope"))
