"""API schemas of the core app: XIn for input, XOut for output. The lists' query parameters (XFilter) are
built in core/api.py from the pages' list declarations (kit/filters.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Field, Schema
from pydantic import AfterValidator, ConfigDict, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from tongcheng.kit.api_uploads import FileIn
from tongcheng.kit.schemas import ErrorItem, ErrorOut  # noqa: F401  (part of core's API)

from . import limits
from .limits import TextRule
from .models import MemberRole, ZoneKind
from .validators import InvalidValue, mask_id_number


class StrictSchema(Schema):
    """Base of every input schema: an unknown key is a 422 naming it (a misspelt field must never be
    dropped silently), and text is stripped before the shared rules of limits.py check it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def as_pydantic_error(exc: InvalidValue) -> PydanticCustomError:
    """A refusal by a rule of limits.py as a Pydantic error: its type is the rule's stable code and its
    message the rule's translated text (the page's form shows the same one)."""
    return PydanticCustomError(exc.code, str(exc))


def shared_rule(rule):
    """A rule of limits.py as a Pydantic after-validator."""

    def check(value):
        try:
            return rule(value)
        except InvalidValue as exc:
            raise as_pydantic_error(exc) from exc

    return check


def Text(maximum: int, *, multiline: bool = False, blank: bool = False):  # noqa: N802 - reads as a type
    """A text field checked by the same limits.TextRule as the page's form field, so both give one
    message. The limit is also published in the OpenAPI document (maxLength)."""
    extra = {"maxLength": maximum, **({} if blank else {"minLength": 1})}
    return Annotated[
        str,
        Field(json_schema_extra=extra),
        AfterValidator(shared_rule(TextRule(maximum, multiline=multiline, blank=blank))),
    ]


Version = Annotated[
    int,
    Field(
        strict=True,  # a JSON number: true or "3" is a mistake, not version 1 or 3
        ge=1,
        le=limits.VERSION_MAX,
        description="The version you read; a stale version is refused with 409",
    ),
]
Area = Annotated[
    Decimal,
    Field(gt=0, max_digits=limits.AREA_MAX_DIGITS, decimal_places=limits.AREA_DECIMAL_PLACES),
]


class JurisdictionRef(Schema):
    code: str
    name: str
    name_en: str


class JurisdictionOut(Schema):
    code: str
    name: str
    name_en: str
    level: str
    kind: str
    parent_code: str | None = Field(None, alias="parent.code")
    # null when no source gives the start (valid_from_precision "unknown"): never the 1980 lookup floor.
    valid_from: dt.date | None = Field(None, alias="known_valid_from")
    valid_from_precision: str = Field(..., description="day, month, year or unknown")
    valid_to: dt.date | None
    valid_to_precision: str = Field(..., description="day, month or year; empty while valid")
    successor_code: str | None = Field(None, alias="successor.code")
    lon: Decimal | None
    lat: Decimal | None
    note: str = Field(..., description="In Chinese")
    note_en: str = Field(..., description="In English; empty where none exists")


class ZoneMemberOut(Schema):
    jurisdiction: JurisdictionRef
    party: JurisdictionRef
    side: str
    role: str


class ZoneOut(Schema):
    code: str
    name: str
    name_en: str
    kind: str
    metro: str = Field(..., alias="metro.code")
    parent: str | None = Field(None, alias="visible_parent_code")  # only when the caller may see it
    established: dt.date
    ended: dt.date | None
    planning_area_km2: Decimal | None
    start_area_km2: Decimal | None
    established_basis: str
    established_basis_en: str
    description: str = Field(..., description="In Chinese")
    description_en: str = Field(..., description="In English; empty where none exists")
    status: str = Field(..., description="active, or proposed/rejected for a zone awaiting the metro office")
    version: int
    members: list[ZoneMemberOut]


class ZoneDecisionIn(StrictSchema):
    note: Text(limits.ZONE_DECISION_NOTE_MAX, multiline=True, blank=True) = Field(
        "", description="Why; required to reject"
    )


class MemberIn(StrictSchema):
    code: str = Field(..., min_length=6, max_length=12, pattern=r"^\d{6}(\d{3})?$")
    # The party is the city the member belongs to (its side); given, it must be that city.
    party_code: str | None = Field(None, pattern=r"^\d{6}$")
    role: MemberRole = MemberRole.PARTNER


class ZoneIn(StrictSchema):
    metro: Text(limits.METRO_CODE_MAX) = "nanjing"
    code: str = Field("", max_length=limits.ZONE_CODE_MAX, pattern=r"^[a-z0-9-]*$")
    name: Text(limits.ZONE_NAME_MAX)
    name_en: Text(limits.ZONE_NAME_EN_MAX, blank=True) = ""
    kind: ZoneKind
    established: dt.date
    planning_area_km2: Area | None = None
    start_area_km2: Area | None = None
    description: Text(limits.ZONE_DESCRIPTION_MAX, multiline=True, blank=True) = ""
    members: list[MemberIn] = Field(
        ..., min_length=limits.ZONE_MEMBERS_MIN, max_length=limits.ZONE_MEMBERS_MAX
    )


class ZonePatch(StrictSchema):
    version: Version
    # Omit a field to keep it; null is accepted only where the field may be empty.
    name: Text(limits.ZONE_NAME_MAX) = None
    name_en: Text(limits.ZONE_NAME_EN_MAX, blank=True) = None
    kind: ZoneKind = None
    established: dt.date = None
    ended: dt.date | None = None
    planning_area_km2: Area | None = None
    start_area_km2: Area | None = None
    description: Text(limits.ZONE_DESCRIPTION_MAX, multiline=True, blank=True) = None

    @field_validator("ended")
    @classmethod
    def _not_before_established(cls, ended: dt.date | None, info: ValidationInfo) -> dt.date | None:
        # Only when both come in one PATCH; against the stored start date the service checks it.
        try:
            limits.check_zone_period(info.data.get("established"), ended)
        except InvalidValue as exc:
            raise as_pydantic_error(exc) from exc
        return ended


class OrganisationOut(Schema):
    key: str
    name: str
    name_en: str
    kind: str
    jurisdiction: JurisdictionRef
    # Named only when the caller may see them (core.selectors annotates the visible codes).
    zone: str | None = Field(None, alias="visible_zone_code")
    parent: str | None = Field(None, alias="visible_parent_key")
    established: dt.date | None
    description: str = Field(..., description="In Chinese")
    description_en: str = Field(..., description="In English; empty where none exists")
    synthetic: bool = Field(..., description="A demo record, not a real institution's data")
    version: int


class PersonOut(Schema):
    id: int
    name: str
    organisation: str = Field(..., alias="organisation.key")
    position: str
    id_number: str = Field(
        ..., description="Always masked (the whole number is shown only by the audited unmasking)"
    )

    @staticmethod
    def resolve_id_number(obj) -> str:
        return mask_id_number(obj.id_number) if obj.id_number else ""


class GrantOut(Schema):
    role: str
    scope: str


class MeOut(Schema):
    username: str
    display_name: str
    language: str
    grants: list[GrantOut]


class TokenIn(StrictSchema):
    name: Text(limits.TOKEN_NAME_MAX)
    expires_in_days: int | None = Field(
        None,
        strict=True,
        ge=limits.TOKEN_EXPIRY_DAYS_MIN,
        le=limits.TOKEN_EXPIRY_DAYS_MAX,
        description=f"The token stops working this many days from now "
        f"({limits.TOKEN_EXPIRY_DAYS_MIN}–{limits.TOKEN_EXPIRY_DAYS_MAX}); omitted or null: "
        f"settings.API_TOKEN_DEFAULT_DAYS (default {limits.TOKEN_EXPIRY_DAYS_DEFAULT}). Every token expires.",
    )


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None = Field(..., description="Updated at most once a minute")
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    key: str = Field(..., description="Shown once; store it now")


class OrganisationImportIn(StrictSchema):
    """The form of ``POST /api/v1/organisations/import`` (multipart/form-data)."""

    file: FileIn = Field(
        ...,
        description="The organisations' export as edited, or the filled template: .csv (UTF-8 or GBK) or "
        ".xlsx, with a file name that ends so",
    )
    apply_good_rows: bool = Field(
        False,
        description="Write the rows without errors even when others have errors (default false: when any "
        "row is refused nothing is written)",
    )
