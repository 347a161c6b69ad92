"""Start-up registrations of agreements and imports: error codes, audited actions (with their words in
both languages), the audit anchors of the records and the words of their audit data."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from tongcheng.kit.audit_text import register_data_label
from tongcheng.kit.auditing import Anchors, register_action, register_anchors
from tongcheng.kit.error_codes import ERROR_CODES, register_error

from ..models import Agreement, AgreementVersion

for _code, _status, _label in (
    # Agreement versions (sharing/canonical.py, sharing/services.py).
    ("invalid_rules", 422, _("The agreement's rules are not valid.")),
    ("invalid_month", 422, _("Enter a month as YYYY-MM.")),
    ("not_an_integer", 422, _("Enter a whole number.")),
    ("ratio_length", 422, _("Give one ratio per party.")),
    ("ratios_not_whole", 422, _("The ratios must add up to 10,000 bp (100%).")),
    ("unknown_tax_type", 422, _("Unknown tax type.")),
    ("invalid_parties", 422, _("The parties are not valid.")),
    ("party_outside_zone", 422, _("A party does not take part in the zone.")),
    ("invalid_uscc", 422, _("Not a valid unified social credit code.")),
    ("empty_scope", 422, _("Name the enterprises or projects the agreement covers.")),
    ("steps_order", 422, _("The steps of a ratio schedule must follow each other in time.")),
    ("engine_refused", 422, _("The settlement engine refuses these rules.")),
    ("division_not_in_use", 422, _("A jurisdiction code is not in use in a year of the term.")),
    ("version_overlap", 422, _("The version overlaps an approved version it cannot replace.")),
    ("agreements_overlap", 422, _("Two agreements of the zone cover the same enterprise and tax type.")),
    ("not_draft", 409, _("Only a draft version can be changed.")),
    ("parties_fixed", 409, _("The parties cannot change once a version has been approved.")),
    # Imports of receipts, indicators and factors (sharing/imports.py).
    ("import_refused", 400, _("Nothing was imported: the file has errors.")),
    ("no_import_scope", 403, _("You may not import into this zone.")),
):
    if _code not in ERROR_CODES:
        register_error(_code, _status, _label)

for _code, _label in (
    ("agreement.create", _("Cooperation agreement created")),
    ("agreement.update", _("Cooperation agreement edited")),
    ("agreement_version.create", _("Agreement version drafted")),
    ("agreement_version.update", _("Agreement version edited")),
    ("agreement_version.approve", _("Agreement version approved")),
    ("agreement_version.supersede", _("Agreement version superseded")),
    ("agreement_version.cut", _("Agreement version ended by a later one")),
    ("receipts.import", _("Tax receipts imported")),
    ("indicators.import", _("Statistical indicators imported")),
    ("factors.import", _("Apportionment factors imported")),
):
    register_action(_code, _label)


@register_anchors(Agreement)
def _agreement(obj: Agreement) -> Anchors:
    return {"zone_id": obj.zone_id}


@register_anchors(AgreementVersion)
def _version(obj: AgreementVersion) -> Anchors:
    return {"zone_id": obj.agreement.zone_id}


def _count(value: Any) -> str:
    return f"{int(value):,}" if isinstance(value, int) else str(value)


for _key, _label in (
    ("file", _("File")),
    ("rows", _("Rows read")),
    ("created", _("Rows created")),
    ("updated", _("Rows updated")),
    ("unchanged", _("Rows unchanged")),
    ("refused", _("Rows refused")),
    ("dataset", _("Data")),
):
    register_data_label(
        _key, _label, _count if _key in ("rows", "created", "updated", "unchanged", "refused") else None
    )
register_data_label("number", _("Version"))
register_data_label("until", _("In force until"))
