"""The words of core's audit data that are not fields of the audited model (see kit.audit_text): the
audit log page names them instead of showing their keys."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext

from tongcheng.kit.audit_text import register_data_label

from .bilingual import text_for
from .models.zones import MemberRole

# Reasons written by services as codes rather than typed by a user.
_REASONS = {"founding office": _("The office of a zone it defined")}


def _reason(value: Any) -> str:
    return str(_REASONS.get(value, value)) if value else "—"


def _member_names(value: Any) -> str:
    """Member codes as the names of their jurisdictions in the reader's language (a code no longer in the
    registry stays a code)."""
    from .models import Jurisdiction

    codes = [str(c) for c in value] if isinstance(value, list) else [str(value)]
    names: dict[str, str] = {}
    for j in Jurisdiction.objects.filter(code__in=codes).order_by("code", "-valid_from"):
        names.setdefault(j.code, text_for(j, "name"))
    return pgettext("list separator", ", ").join(names.get(c, c) for c in codes) if codes else "—"


def _member_roles(value: Any) -> str:
    if not isinstance(value, dict):
        return str(value)
    labels = dict(MemberRole.choices)
    return pgettext("list separator", ", ").join(
        f"{_member_names([code])}: {labels.get(pair[0], pair[0])} → {labels.get(pair[1], pair[1])}"
        for code, pair in value.items()
        if isinstance(pair, list) and len(pair) == 2
    )


register_data_label("reason", _("Reason"), _reason)
register_data_label("members_added", _("Members added"), _member_names)
register_data_label("members_removed", _("Members removed"), _member_names)
register_data_label("member_roles", _("Member roles"), _member_roles)
register_data_label("members", _("Members (codes)"))
register_data_label("beyond_territory", _("Members beyond the office's territory"))
register_data_label("user", _("User"))
register_data_label("scope", _("Scope"))
