"""Field limits and text rules shared by the models, the forms, the API schemas and the services.

One number per limit, so that a page, the API and the database refuse the same input with the same
message: forms use :class:`TextRule` as a validator, schemas as an ``AfterValidator``, models may name it
in ``validators`` (it is deconstructible, so migrations can record it) and take ``max_length`` from the
constants below.

Text rules (:class:`TextRule`): surrounding blanks are stripped; line breaks are normalised to ``\\n``
(a browser posts a textarea's breaks as CRLF, which would otherwise count twice); control characters
(Unicode category Cc, and lone surrogates, which no database stores) are refused, except tab and line
breaks in multi-line text; then the length is checked.
"""

from __future__ import annotations

import datetime as dt
import re

from django.utils.deconstruct import deconstructible

from .validators import MESSAGES as VALIDATOR_MESSAGES
from .validators import InvalidValue, gettext_noop

# --- adjacent zones (models/zones.py) ----------------------------------------------------------------------
ZONE_CODE_MAX = 60
ZONE_NAME_MAX = 100
ZONE_NAME_EN_MAX = 150
ZONE_DESCRIPTION_MAX = 5000
ZONE_DECISION_NOTE_MAX = 5000  # the metro office's note approving or rejecting a proposed zone
ZONE_MEMBERS_MIN = 2
ZONE_MEMBERS_MAX = 50
MEMBER_SIDE_MAX = 40
AREA_MAX_DIGITS = 10
AREA_DECIMAL_PLACES = 2

# --- metropolitan areas and jurisdictions (models/jurisdictions.py) ---------------------------------------
METRO_CODE_MAX = 40

# --- organisations and people (models/organisations.py) --------------------------------------------------
ORGANISATION_KEY_MAX = 80
ORGANISATION_NAME_MAX = 150
ORGANISATION_NAME_EN_MAX = 200
ORGANISATION_DESCRIPTION_MAX = 5000
PERSON_NAME_MAX = 60
PERSON_POSITION_MAX = 100
UNMASK_REASON_MAX = 200

# --- API tokens (models/access.py ApiToken) ---------------------------------------------------------------
TOKEN_NAME_MAX = 80
# Every token expires: a key forgotten in a script must not stay a credential for ever. The page offers
# TOKEN_EXPIRY_CHOICES_DAYS; the API takes any whole number of days in the bounds.
TOKEN_EXPIRY_DAYS_MIN = 1
TOKEN_EXPIRY_DAYS_MAX = 365
TOKEN_EXPIRY_DAYS_DEFAULT = 90  # settings.API_TOKEN_DEFAULT_DAYS overrides it
TOKEN_EXPIRY_CHOICES_DAYS = (7, 30, 90, 180, 365)

# --- records of every kind --------------------------------------------------------------------------------
# TrackedModel.version is a PositiveIntegerField: a 32-bit integer column on PostgreSQL.
VERSION_MAX = 2**31 - 1

# --- working-day tools (workdays.py, api_tools.py) --------------------------------------------------------
# The calendar covers the chinesecalendar package's years and the years an office has entered a complete
# holiday schedule for (core.calendar); a date in any other year is refused, never counted Monday-Friday.
WORKDAYS_N_MAX = 3650  # |n| of "add n working days": about fourteen years of working days

MESSAGES = {
    "required": VALIDATOR_MESSAGES["required"],
    "too_long": gettext_noop("Enter at most %(maximum)s characters (this text has %(length)s)."),
    "control_character": gettext_noop(
        "The text contains a control character (U+%(codepoint)s) at position %(position)s; remove it."
    ),
    "line_break": gettext_noop("This field is a single line; remove the line break or tab."),
    "ended_before_established": gettext_noop(
        "The end date %(ended)s is before the start date %(established)s."
    ),
}

_LINE_BREAKS = re.compile(r"\r\n?")
# Cc without tab and line feed, plus lone surrogates (JSON can carry "\ud800"; no database stores it).
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_TAB_OR_BREAK = re.compile(r"[\t\n]")


@deconstructible
class TextRule:
    """The rule of one text field: ``TextRule(ZONE_NAME_MAX)`` or ``TextRule(ZONE_DESCRIPTION_MAX,
    multiline=True, blank=True)``. Calling it checks a value and returns it cleaned."""

    def __init__(self, maximum: int, *, multiline: bool = False, blank: bool = False):
        self.maximum = maximum
        self.multiline = multiline
        self.blank = blank

    def normalise(self, value: str) -> str:
        return _LINE_BREAKS.sub("\n", value.strip())

    def __call__(self, value: str) -> str:
        value = self.normalise(value)
        if not value and not self.blank:
            raise InvalidValue("required", MESSAGES["required"])
        bad = _CONTROL.search(value)
        if bad:
            raise InvalidValue(
                "control_character",
                MESSAGES["control_character"],
                {"codepoint": f"{ord(bad.group()):04X}", "position": bad.start() + 1},
            )
        if not self.multiline and _TAB_OR_BREAK.search(value):
            raise InvalidValue("line_break", MESSAGES["line_break"])
        if len(value) > self.maximum:
            raise InvalidValue(
                "too_long", MESSAGES["too_long"], {"maximum": self.maximum, "length": len(value)}
            )
        return value

    def __eq__(self, other: object) -> bool:
        return isinstance(other, TextRule) and (self.maximum, self.multiline, self.blank) == (
            other.maximum,
            other.multiline,
            other.blank,
        )

    def __hash__(self) -> int:
        return hash((self.maximum, self.multiline, self.blank))


def check_zone_period(established: dt.date | None, ended: dt.date | None) -> None:
    """A zone cannot end before it starts (it may end on the day it starts). Raises InvalidValue."""
    if established is not None and ended is not None and ended < established:
        raise InvalidValue(
            "ended_before_established",
            MESSAGES["ended_before_established"],
            {"ended": ended.isoformat(), "established": established.isoformat()},
        )
