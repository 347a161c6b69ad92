"""The error codes of the core app, with their HTTP status and labels in both languages
(``kit/error_codes.py``; the kit registers the shared ones). ``docs/error-codes.md`` lists them all."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _

from tongcheng.kit.error_codes import register_error

from .calendar.errors import CODE as OUTSIDE_CALENDAR

for _code, _status, _label in (
    # Accounts and tokens (services/accounts.py).
    ("session_required", 403, _("Only a signed-in session may do this, not an API token.")),
    ("line_break", 422, _("This field is a single line; remove the line break or tab.")),
    # Role grants (services/grants.py).
    ("one_scope", 422, _("Choose exactly one scope for the role.")),
    ("ends_before_start", 422, _("A grant must end after it starts.")),
    # Organisations and their import (services/organisations.py).
    ("duplicate_key", 422, _("A record with this key already exists.")),
    ("duplicate", 422, _("This organisation is already changed by an earlier row.")),
    # Zones (services/zones.py).
    ("duplicate_code", 422, _("A zone with this code already exists.")),
    ("one_sided_zone", 422, _("A zone needs members on at least two sides.")),
    ("invalid_area", 422, _("An area must be positive.")),
    ("member_outside_metro", 422, _("A member lies outside the metropolitan area.")),
    ("duplicate_member", 422, _("A member is listed twice.")),
    ("member_not_valid_at_start", 422, _("A member's code does not exist on the zone's start date.")),
    ("party_mismatch", 422, _("A member's party is the city it belongs to.")),
    ("duplicate_zone", 422, _("This zone is already defined.")),
    ("parent_cycle", 422, _("A zone cannot be part of itself or of a zone within it.")),
    # The holiday schedules (calendar/).
    ("basis_required", 422, _("Name the State Council notice a complete schedule follows.")),
    ("no_holiday", 422, _("A complete schedule lists at least one holiday.")),
    ("too_many_days", 422, _("The schedule lists too many days.")),
    (
        OUTSIDE_CALENDAR,
        422,
        _("Working days cannot be computed for a year whose holiday schedule has not been entered."),
    ),
):
    register_error(_code, _status, _label)
