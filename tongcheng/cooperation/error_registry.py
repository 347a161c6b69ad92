"""The error codes of the cooperation records and the fund, with their status and labels in both languages
(kit/error_codes.py); docs/error-codes.md lists them."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tongcheng.kit.error_codes import register_error

for _code, _status, _label in (
    ("outside_zone", 422, _("The jurisdiction lies outside the zone's members.")),
    ("park_in_other_zone", 422, _("The park belongs to another zone.")),
    ("not_a_party", 422, _("The jurisdiction is not a party to the zone.")),
    ("not_a_province", 422, _("The jurisdiction is not a province.")),
    ("duplicate_year", 422, _("This year is already recorded.")),
    ("industry_code", 422, _("Not a GB/T 4754 industry code this platform knows.")),
):
    register_error(_code, _status, _label)
