"""API schemas of the core app: XIn for input, XOut for output, XFilter for list filters."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Annotated

from ninja import Field, FilterLookup, FilterSchema, Schema

from .models import MemberRole, OrganisationKind, ZoneKind


class ErrorItem(Schema):
    field: str | None = None
    code: str
    message: str


class ErrorOut(Schema):
    code: str = Field(
        ..., description="Stable machine code, e.g. not_found, validation_failed, stale_version"
    )
    message: str
    field: str | None = Field(None, description="The input field at fault, where there is one")
    errors: list[ErrorItem] = []


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
    valid_from: dt.date
    valid_to: dt.date | None
    successor_code: str | None = Field(None, alias="successor.code")
    lon: Decimal | None
    lat: Decimal | None


class JurisdictionFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["code__startswith", "name__icontains", "name_en__icontains"])] = (
        Field(None, description="Code prefix or part of the name")
    )
    level: str | None = None
    parent: Annotated[str | None, FilterLookup("parent__code")] = None


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
    parent: str | None = Field(None, alias="parent.code")
    established: dt.date
    ended: dt.date | None
    planning_area_km2: Decimal | None
    start_area_km2: Decimal | None
    description: str
    status: str = Field(..., description="active, or proposed/rejected for a zone awaiting the metro office")
    version: int
    members: list[ZoneMemberOut]


class ZoneDecisionIn(Schema):
    note: str = Field("", max_length=5000, description="Why; required to reject")


class ZoneFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "name_en__icontains", "code__icontains"])] = (
        None
    )
    kind: ZoneKind | None = None


class MemberIn(Schema):
    code: str = Field(..., min_length=6, max_length=12, pattern=r"^\d{6}(\d{3})?$")
    party_code: str | None = Field(None, pattern=r"^\d{6}$")
    side: str | None = Field(None, max_length=40)
    role: MemberRole = MemberRole.PARTNER


class ZoneIn(Schema):
    metro: str = "nanjing"
    code: str = Field("", max_length=60, pattern=r"^[a-z0-9-]*$")
    name: str = Field(..., min_length=1, max_length=100)
    name_en: str = Field("", max_length=150)
    kind: ZoneKind
    established: dt.date
    planning_area_km2: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=2)
    start_area_km2: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=2)
    description: str = Field("", max_length=5000)
    members: list[MemberIn] = Field(..., min_length=2, max_length=50)


class ZonePatch(Schema):
    version: int = Field(..., ge=1, description="The version you read; a stale version is refused with 409")
    # Omit a field to keep it; null is accepted only where the field may be empty.
    name: str = Field(None, min_length=1, max_length=100)
    name_en: str = Field(None, max_length=150)
    kind: ZoneKind = None
    established: dt.date = None
    ended: dt.date | None = None
    planning_area_km2: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=2)
    start_area_km2: Decimal | None = Field(None, gt=0, max_digits=10, decimal_places=2)
    description: str = Field(None, max_length=5000)


class OrganisationOut(Schema):
    key: str
    name: str
    name_en: str
    kind: str
    jurisdiction: JurisdictionRef
    zone: str | None = Field(None, alias="zone.code")
    parent: str | None = Field(None, alias="parent.key")
    established: dt.date | None
    description: str
    synthetic: bool
    version: int


class OrganisationFilter(FilterSchema):
    q: Annotated[str | None, FilterLookup(["name__icontains", "name_en__icontains", "key__icontains"])] = None
    kind: OrganisationKind | None = None
    zone: Annotated[str | None, FilterLookup("zone__code")] = None
    jurisdiction: Annotated[str | None, FilterLookup("jurisdiction__code")] = None


class GrantOut(Schema):
    role: str
    scope: str


class MeOut(Schema):
    username: str
    display_name: str
    language: str
    grants: list[GrantOut]


class TokenIn(Schema):
    name: str = Field(..., min_length=1, max_length=80)


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    key: str = Field(..., description="Shown once; store it now")
