"""Start-up registrations of settlements: error codes, audited actions (words in both languages), anchors."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tongcheng.kit.audit_text import register_data_label
from tongcheng.kit.auditing import Anchors, register_action, register_anchors
from tongcheng.kit.error_codes import ERROR_CODES, register_error

from ..models import Settlement

for _code, _status, _label in (
    ("invalid_period", 422, _("The months of the settlement are not valid.")),
    ("no_agreements", 422, _("No approved agreement of the zone is in force in these months.")),
    ("settlement_overlap", 409, _("The zone already has a settlement of some of these months.")),
    ("settlement_final", 409, _("A final settlement cannot be changed.")),
):
    if _code not in ERROR_CODES:
        register_error(_code, _status, _label)

for _code, _label in (
    ("settlement.create", _("Settlement created")),
    ("settlement.compute", _("Settlement computed")),
    ("settlement.submit", _("Settlement submitted for confirmation")),
    ("settlement.return", _("Settlement returned to draft")),
    ("settlement.finalise", _("Settlement finalised")),
):
    register_action(_code, _label)


@register_anchors(Settlement)
def _settlement(obj: Settlement) -> Anchors:
    return {"zone_id": obj.zone_id}


register_data_label("period", _("Period"))
